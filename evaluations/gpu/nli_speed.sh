#!/bin/bash
# One device call (issue 16): the shipped model's NLI speed on the GPU against the naive CrossEncoder.predict,
# in process (the table) and from outside. Needs .gpu/whl (prepare.sh) and the shipped weights in the
# checkout, so carry only .gpu/whl and .gpu/snli_validation.jsonl:  device run: bash evaluations/gpu/nli_speed.sh
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpu/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
D=.gpu/snli_validation.jsonl  # prepare.sh copies it
timeout 200 python3 evaluations/nli_speed.py --device cuda --pairs 50000 --rounds 3 --skip outside --data $D --out $OUT/speed
timeout 200 python3 evaluations/nli_speed.py --device cuda --pairs 20000 --rounds 2 --skip in-process --data $D --out $OUT/speed-outside
