#!/bin/bash
# One device call (issue 13): train seeds of the v2 recipe from the backbone in parallel on the GPU, their soup,
# dev accuracy of each (devacc.py), the best packed into $OUT in 15 MB parts. Prepare .gpu/ first (prepare.sh),
# then move models/verify-nli-minilm/model.safetensors aside for the call (the checkout and .gpu/ must fit in
# 64 MiB) and put it back after. Seen on an H200: 55 steps/s with three runs at once on one machine, 35 on
# another, so give the training its own generous limit (a run killed before saving returns nothing).
#   device run: bash evaluations/gpu/nli_round.sh "13 14 15"      (carry .gpu)
T0=$(date +%s); stamp() { echo "== $(( $(date +%s) - T0 ))s $*"; }
SEEDS=${1:-"13 14 15"}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpu/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
mkdir -p /tmp/data && tar -xJf .gpu/data.tar.xz -C /tmp/data || exit 1
common="--data-dir /tmp/data --backbone .gpu/backbone --snli-train --epochs 1.4 --eval-every 24000 --device cuda --threads 4 --init-seed 13"
for s in $SEEDS; do timeout 420 python3 models/train_nli.py --out /tmp/v2-s$s $common --seed $s > $OUT/train-s$s.log 2>&1 & done
wait; stamp trained
members=$(for s in $SEEDS; do [ -f /tmp/v2-s$s/calibration.json ] && echo /tmp/v2-s$s; done)
[ $(echo $members | wc -w) -ge 2 ] && timeout 120 python3 models/train_nli.py --out /tmp/v2-soup --soup $members \
    --data-dir /tmp/data --snli-train > $OUT/soup.log 2>&1
stamp soup
models=$(for d in $members /tmp/v2-soup; do [ -f $d/calibration.json ] && echo $d; done)
[ -n "$models" ] || exit 2
timeout 150 python3 .gpu/devacc.py /tmp/data $OUT/devacc.json $models 2>&1 | grep -v Warning; stamp devacc
best=$(cat $OUT/best.txt)
mkdir -p /tmp/pack && for d in $models; do mkdir -p /tmp/pack/$(basename $d) && cp $d/*.json $d/README.md /tmp/pack/$(basename $d)/; done
mv $OUT/*.log $OUT/devacc.json $OUT/best.txt /tmp/pack/
(cd /tmp && tar -czf $OUT/runs.tar.gz pack)
(cd $best && tar -cf - --exclude=checkpoint .) | split -b 15M - $OUT/best.tar.part-
stamp packed
