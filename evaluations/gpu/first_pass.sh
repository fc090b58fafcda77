#!/bin/bash
# One device call (issue 16): consecutive predict calls per fresh process, with and without cuDNN attention, and
# with the CLI's TOKENIZERS_PARALLELISM=false. Carry .gpu/whl and .gpu/snli_validation.jsonl.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpu/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
F="timeout 60 python3 evaluations/gpu/first_pass.py"
$F; $F --cudnn-attention; $F --rows 8192; TOKENIZERS_PARALLELISM=false $F
