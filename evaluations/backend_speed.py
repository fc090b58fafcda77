"""1,000 SNLI dev pairs per backend: pairs/s and accuracy (same pairs, same process)."""
import json, time
from verify.models.nli import NLIJudge
rows = [json.loads(l) for l in open("../shared/data/nli/snli_validation.jsonl")][:1000]
pairs = [(r["premise"], r["hypothesis"]) for r in rows]
names = ["entailment", "neutral", "contradiction"]
for backend in ["torch", "torch-bf16", "onnx", "onnx-int8"]:
    judge = NLIJudge(device="cpu", backend=backend)
    judge.predict(pairs[:64])  # warm-up
    start = time.perf_counter()
    probs = judge.predict(pairs)
    seconds = time.perf_counter() - start
    acc = sum(max(p, key=p.get) == names[r["label"]] for p, r in zip(probs, rows)) / len(rows)
    print(f"{backend}: {len(pairs) / seconds:.0f} pairs/s, accuracy {100 * acc:.1f}%")
