"""Issue 16 experiment: pairs/s of consecutive NLIJudge.predict calls in one fresh process on CUDA (the first call
is what a pipeline run gets). Variants: --cudnn-attention (let torch pick cuDNN's attention, as before the
change this measured), --rows (rows per batch). Run by first_pass.sh on a device machine."""

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, ".")
import verify  # noqa: F401, I001 - verify's thread settings before torch loads
import torch

from verify.models.nli import NLIJudge

parser = argparse.ArgumentParser()
parser.add_argument("--pairs", type=int, default=50000)
parser.add_argument("--calls", type=int, default=4)
parser.add_argument("--cudnn-attention", action="store_true")
parser.add_argument("--rows", type=int, default=None, help="rows per batch (tokens: x 64)")
parser.add_argument("--data", default=".gpu/snli_validation.jsonl")
args = parser.parse_args()
rows = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines()]
pairs = [(r["premise"], r["hypothesis"]) for r in rows]
pairs = [pairs[i % len(pairs)] for i in range(args.pairs)]
judge = NLIJudge("models/verify-nli-minilm", device="cuda")
if args.cudnn_attention:
    judge.runner._attention = contextlib.nullcontext
if args.rows:
    judge.batch_size, judge.max_tokens = args.rows, args.rows * 64
judge.predict(pairs[:64])
speeds = []
for _ in range(args.calls):
    torch.cuda.synchronize()
    start = time.perf_counter()
    judge.predict(pairs)
    speeds.append(round(args.pairs / (time.perf_counter() - start)))
print(json.dumps({"torch": torch.__version__, "cudnn_attention": args.cudnn_attention, "rows": judge.batch_size,
                  "tokenizer_threads": judge.threads, "pairs_per_s": speeds}))
