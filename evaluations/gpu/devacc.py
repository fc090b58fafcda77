"""Accuracy of NLI model folders on the eval suite's NLI benchmarks, model only (no verdict metrics: those need
spaCy, which the GPU machine lacks). Usage: devacc.py DATA_DIR OUT.json MODEL_DIR..."""
import json
import sys
import time
from pathlib import Path

from verify.evaluation.benchmarks import load_benchmarks
from verify.evaluation.evaluator import NLIEvaluator
from verify.models.nli import NLIJudge

DEV = ["snli_dev", "lingnli_val", "te_val", "fever_symmetric", "scitail_dev", "anli_r1", "anli_r2"]
OTHER = ["value_edits", "conjnli_dev", "xnli_en", "healthver", "climate_fever"]
data, out, models = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
benches = load_benchmarks()
results = {}
for model in models:
    judge = NLIJudge(model, device="cuda", backend="torch")
    row = {}
    for name in DEV + OTHER:
        ev = NLIEvaluator.from_benchmark(benches[name], data)
        ev.verdicts = False
        t = time.perf_counter()
        m = ev.evaluate(judge).metrics
        row[name] = {k: m.get(k) for k in ("accuracy", "macro_f1", "ece", "n", "accuracy_gold_labels")} | {"s": round(time.perf_counter() - t, 1)}
    row["dev_mean"] = round(100 * sum(row[n]["accuracy"] for n in DEV) / len(DEV), 2)
    results[model] = row
    print(model, "dev_mean", row["dev_mean"], " ".join(f"{n}={100 * row[n]['accuracy']:.1f}" for n in DEV + OTHER), flush=True)
out.write_text(json.dumps(results, indent=1))
best = max(results, key=lambda k: results[k]["dev_mean"])
print("BEST", best)
Path(out.parent / "best.txt").write_text(best)
