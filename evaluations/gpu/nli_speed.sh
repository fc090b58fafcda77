#!/bin/bash
# One device call (issue 16): the shipped model's NLI speed on the GPU against the naive CrossEncoder.predict,
# in process (the table) and from outside, and consecutive calls in a fresh process (first_pass.py). Needs
# .gpu/whl (prepare.sh) and the shipped weights in the checkout, so carry only .gpu/whl and
# .gpu/snli_validation.jsonl:  device run: bash evaluations/gpu/nli_speed.sh
# Variants measured once (2026-11-28, README of evaluations/results/nli-speed-cuda): --backend torch-bf16 and
# --compile default. Each step has its own time limit and log under $OUT, so a failing step leaves the others.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpu/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
D=.gpu/snli_validation.jsonl  # prepare.sh copies it
nvidia-smi -L > $OUT/device.txt; nproc >> $OUT/device.txt
step() { local name=$1 limit=$2; shift 2; echo "== $name"; timeout $limit "$@" > $OUT/$name.log 2>&1; echo "rc $?"; grep -v "^$\|Loading weights" $OUT/$name.log | tail -12; }
step first-pass 40 python3 evaluations/gpu/first_pass.py --data $D
step speed 110 python3 evaluations/nli_speed.py --device cuda --pairs 50000 --rounds 3 --skip outside --data $D --out $OUT/speed
step speed-outside 170 python3 evaluations/nli_speed.py --device cuda --pairs 20000 --rounds 2 --skip in-process --data $D --out $OUT/speed-outside
