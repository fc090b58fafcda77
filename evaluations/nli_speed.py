"""NLI speed of the shipped model against the naive baseline, in the same process and from outside.

    .venv/bin/python evaluations/nli_speed.py                       # CPU: 2,000 SNLI pairs
    .venv/bin/python evaluations/nli_speed.py --device cuda --pairs 100000 --outside-pairs 20000

The naive baseline is what a user of sentence-transformers writes: ``CrossEncoder(model).predict(pairs)``.

- **In process**: both loaded once and warmed up, then timed in alternation for ``--rounds`` rounds on the same
  pairs; the table gives each side's best round and median (best is the least disturbed by other processes).
- **From outside**: whole processes timed with a wall clock, alternating: ``verify eval nli --data <pairs>``
  against ``python -c "CrossEncoder(model).predict(pairs)"`` on the same file, so imports and model loading
  count. Start-up is the same two commands on 10 pairs, and ``verify eval nli --help``.

Every figure is written with the 1-minute load average taken just before it (on shared cores, a load above the
core count means the figures are slowed by other work). Writes ``results.json`` and ``results.md`` to ``--out``
(default ``evaluations/results/nli-speed-<device>/``), naming the device. Runs unchanged on a GPU machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "verify-nli-minilm"
DATA = ROOT.parent / "shared" / "data" / "nli" / "snli_validation.jsonl"
LABELS = ("entailment", "neutral", "contradiction")
NAIVE = """import json, sys
from sentence_transformers import CrossEncoder
pairs = [(r["premise"], r["hypothesis"]) for r in map(json.loads, open(sys.argv[1], encoding="utf-8"))]
CrossEncoder(sys.argv[2], device=sys.argv[3]).predict(pairs)
"""


def load_pairs(path: Path, n: int) -> list[dict[str, str]]:
    """The first ``n`` labelled rows (repeated when the file has fewer), labels as names."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("label") in (0, 1, 2):
            rows.append({"premise": row["premise"], "hypothesis": row["hypothesis"], "label": LABELS[row["label"]]})
    return [rows[i % len(rows)] for i in range(n)]


def device_name(device: str) -> str:
    if device == "cuda":
        import torch

        return f"{torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})"
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "CPU")
    return f"{model}, {len(os.sched_getaffinity(0))} cores"


def load() -> float:
    return round(os.getloadavg()[0], 2)


def in_process(pairs: list[tuple[str, str]], device: str, rounds: int, backend: str, compile: str | None) -> dict[str, Any]:
    """Both models loaded once; pairs/s per round, alternating, with the agreement of their answers."""
    from sentence_transformers import CrossEncoder

    from verify.models.nli import NLIJudge

    judge = NLIJudge(str(MODEL), device=device, backend=backend, compile=compile)
    naive = CrossEncoder(str(MODEL), device=device)
    warm = pairs[: min(len(pairs), 4096)]
    judge.predict(warm)
    naive.predict(warm)
    runs: dict[str, list[dict[str, float]]] = {"verify": [], "naive": []}
    answers: dict[str, Any] = {}
    for _ in range(rounds):
        for side, predict in (("verify", judge.predict), ("naive", naive.predict)):
            before = load()
            start = time.perf_counter()
            answers[side] = predict(pairs)
            seconds = time.perf_counter() - start
            runs[side].append({"pairs_per_s": round(len(pairs) / seconds, 1), "load": before})
    name_of = {j: name for name, j in judge.labels.items()}  # the naive logits are in the model's id2label order
    agree = sum(max(p, key=p.get) == name_of[int(row.argmax())] for p, row in zip(answers["verify"], answers["naive"]))
    return {"backend": judge.backend, "batch_rows": judge.batch_size, "max_tokens": judge.max_tokens,
            "compile": compile, "runs": runs, "argmax_agreement": round(agree / len(pairs), 4)}


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, load average before) of one process; it must succeed."""
    before = load()
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    return round(time.perf_counter() - start, 3), before


def from_outside(rows: list[dict[str, str]], device: str, rounds: int) -> dict[str, Any]:
    """Whole processes: verify eval nli and the naive script on the same file; start-up on 10 pairs."""
    verify = [str(Path(sys.executable).with_name("verify"))]
    if not Path(verify[0]).exists():
        verify = [sys.executable, "-c", "from verify.cli import main; main()"]
    result: dict[str, Any] = {"pairs": len(rows), "runs": {"verify": [], "naive": []},
                              "startup": {"verify": [], "naive": [], "verify_help": []}}
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name, part in (("all", rows), ("ten", rows[:10])):
            files[name] = Path(tmp) / f"{name}.jsonl"
            files[name].write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")

        def ours(which: str) -> list[str]:
            return [*verify, "eval", "nli", "--data", str(files[which]), "--device", device, "--json"]

        def naive(which: str) -> list[str]:
            return [sys.executable, "-c", NAIVE, str(files[which]), str(MODEL), device]

        for _ in range(rounds):
            for side, command in (("verify", ours), ("naive", naive)):
                seconds, before = timed(command("all"))
                result["runs"][side].append({"seconds": seconds, "pairs_per_s": round(len(rows) / seconds, 1),
                                             "load": before})
                seconds, before = timed(command("ten"))
                result["startup"][side].append({"seconds": seconds, "load": before})
            seconds, before = timed([*verify, "eval", "nli", "--help"])
            result["startup"]["verify_help"].append({"seconds": seconds, "load": before})
    return result


def summary(runs: list[dict[str, float]], key: str, best: Any) -> dict[str, float]:
    values = [r[key] for r in runs]
    return {"best": best(values), "median": round(statistics.median(values), 3),
            "load_at_best": runs[values.index(best(values))]["load"]}


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    inner = results.get("in_process")
    if inner:
        ours, theirs = (summary(inner["runs"][s], "pairs_per_s", max) for s in ("verify", "naive"))
        rows["in process, pairs/s"] = (ours, theirs, round(ours["best"] / theirs["best"], 2))
    outer = results.get("from_outside")
    if outer:
        ours, theirs = (summary(outer["runs"][s], "seconds", min) for s in ("verify", "naive"))
        rows[f"whole process, {outer['pairs']} pairs, s"] = (ours, theirs, round(theirs["best"] / ours["best"], 2))
        ours, theirs = (summary(outer["startup"][s], "seconds", min) for s in ("verify", "naive"))
        rows["start-up (10 pairs), s"] = (ours, theirs, round(theirs["best"] / ours["best"], 2))
        rows["verify eval nli --help, s"] = (summary(outer["startup"]["verify_help"], "seconds", min), None, None)
    return rows


def markdown(results: dict[str, Any]) -> str:
    intro = (f"{results['created']}, device `{results['device']}`, {results['pairs']} SNLI validation pairs, "
             f"{results['rounds']} rounds; best (median) of the rounds, and the 1-minute load average at the best "
             f"round ({results['cores']} cores). Ratio: how many times faster verify is.")
    lines = [f"# NLI speed: {results['model']} on {results['device_name']}", "", intro, "",
             "| measure | verify | naive CrossEncoder.predict | ratio |", "|---|---|---|---|"]

    def cell(s: dict[str, float] | None) -> str:
        return "-" if s is None else f"{s['best']} ({s['median']}), load {s['load_at_best']}"

    for name, (ours, theirs, ratio) in summarise(results).items():
        lines.append(f"| {name} | {cell(ours)} | {cell(theirs)} | {'-' if ratio is None else f'{ratio}x'} |")
    inner = results.get("in_process")
    if inner:
        lines += ["", (f"verify: backend {inner['backend']}, batches of at most {inner['batch_rows']} rows and "
                       f"{inner['max_tokens']} tokens, compile {inner['compile']}; argmax agreement with the naive "
                       f"baseline {100 * inner['argmax_agreement']:.2f}%.")]
    lines += ["", f"Command: `{results['command']}`", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--pairs", type=int, default=2000, help="pairs per in-process round")
    parser.add_argument("--outside-pairs", type=int, default=None, help="pairs per whole process (default --pairs)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--compile", default=None, help="torch.compile mode for verify (e.g. default, reduce-overhead)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--skip", choices=("in-process", "outside"), action="append", default=[])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    rows = load_pairs(args.data, max(args.pairs, args.outside_pairs or 0))
    results: dict[str, Any] = {
        "model": MODEL.name, "device": args.device, "device_name": device_name(args.device),
        "cores": len(os.sched_getaffinity(0)), "pairs": args.pairs, "rounds": args.rounds,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]), "python": platform.python_version(),
    }
    if "in-process" not in args.skip:
        pairs = [(r["premise"], r["hypothesis"]) for r in rows[: args.pairs]]
        results["in_process"] = in_process(pairs, args.device, args.rounds, args.backend, args.compile)
    if "outside" not in args.skip:
        results["from_outside"] = from_outside(rows[: args.outside_pairs or args.pairs], args.device, args.rounds)
    results["summary"] = {k: {"verify": v[0], "naive": v[1], "ratio": v[2]} for k, v in summarise(results).items()}
    out = args.out or ROOT / "evaluations" / "results" / f"nli-speed-{args.device}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (out / "results.md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))


if __name__ == "__main__":
    main()
