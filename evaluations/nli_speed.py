"""NLI speed of the shipped model against the naive baseline, in the same process and from outside.

    .venv/bin/python evaluations/nli_speed.py                       # CPU: 2,000 SNLI pairs
    .venv/bin/python evaluations/nli_speed.py --device cuda --pairs 100000 --outside-pairs 20000

The naive baseline is what a user of sentence-transformers writes: ``CrossEncoder(model).predict(pairs)``.

- **In process**: both loaded once and warmed up, then timed in alternation for ``--rounds`` rounds on the same
  pairs, with the same thread setting; the table gives each side's best round and median (best is the least
  disturbed by other processes).
- **From outside**: whole processes timed with a wall clock, alternating, each started with the environment this
  script was started with: ``verify eval nli --data <pairs>`` against ``python -c "CrossEncoder(model).predict(pairs)"``
  on the same file, so imports, model loading and thread settings count; and the naive script once more with the
  thread setting verify makes for itself (OMP_WAIT_POLICY=PASSIVE), to show how much of the gap that setting is.
  Start-up is the same two commands on 10 pairs, and ``verify eval nli --help``.

Every figure is written with the 1-minute load average taken just before it (on shared cores, a load above the
core count means the figures are slowed by other work). Writes ``results.json`` and ``results.md`` to ``--out``
(default ``evaluations/results/nli-speed-<device>/``), naming the device. Runs unchanged on a GPU machine.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
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
USER_ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}  # the environment a user's process starts with (and offline)
THREADS = {"OMP_WAIT_POLICY": "PASSIVE"}  # the thread setting verify makes for itself (verify/__init__.py)
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
    """Both models loaded once; pairs/s per round, alternating, with the agreement of their answers. verify is
    imported first, so both run with its thread setting: the difference is the code's."""
    importlib.import_module("verify")  # before torch loads: verify sets OMP_WAIT_POLICY (verify/__init__.py)
    import torch
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
            "compile": compile, "torch_threads": torch.get_num_threads(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "runs": runs,
            "argmax_agreement": round(agree / len(pairs), 4)}


def timed(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall seconds, CPU seconds (user + system: less disturbed by other processes than the wall clock, but
    counting spinning threads) and the load average before, of one process; it must succeed."""
    before, cpu = load(), _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=env, text=True)
    if done.returncode:
        raise SystemExit(f"error: {' '.join(command[:4])} ... exited {done.returncode}: {done.stderr.strip()[-1500:]}")
    return {"seconds": round(time.perf_counter() - start, 3), "cpu_seconds": round(_children_cpu() - cpu, 3),
            "load": before}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def from_outside(rows: list[dict[str, str]], device: str, rounds: int, backend: str = "auto") -> dict[str, Any]:
    """Whole processes, started with the user's environment: verify eval nli and the naive script on the same
    file, and the naive script again with verify's thread setting (how much of the gap that setting makes);
    start-up on 10 pairs."""
    verify = [str(Path(sys.executable).with_name("verify"))]
    if not Path(verify[0]).exists():
        verify = [sys.executable, "-c", "from verify.cli import main; main()"]
    result: dict[str, Any] = {"pairs": len(rows), "runs": {"verify": [], "naive": [], "naive_threads": []},
                              "startup": {"verify": [], "naive": [], "verify_help": []}}
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name, part in (("all", rows), ("ten", rows[:10])):
            files[name] = Path(tmp) / f"{name}.jsonl"
            files[name].write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")

        def ours(which: str) -> list[str]:
            return [*verify, "eval", "nli", "--data", str(files[which]), "--device", device, "--backend", backend, "--json"]

        def naive(which: str) -> list[str]:
            return [sys.executable, "-c", NAIVE, str(files[which]), str(MODEL), device]

        for _ in range(rounds):
            for side, command, env in (("verify", ours, USER_ENV), ("naive", naive, USER_ENV),
                                       ("naive_threads", naive, {**USER_ENV, **THREADS})):
                run = timed(command("all"), env)
                result["runs"][side].append({**run, "pairs_per_s": round(len(rows) / run["seconds"], 1)})
                if side != "naive_threads":
                    result["startup"][side].append(timed(command("ten"), env))
            result["startup"]["verify_help"].append(timed([*verify, "eval", "nli", "--help"], USER_ENV))
    return result


def summary(runs: list[dict[str, float]], key: str, best: Any) -> dict[str, float]:
    values = [r[key] for r in runs]
    return {"best": best(values), "median": round(statistics.median(values), 3),
            "load_at_best": runs[values.index(best(values))]["load"]}


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    """Table rows: name -> (verify's summary, the naive baseline's, how many times faster verify is)."""
    rows: dict[str, Any] = {}
    inner = results.get("in_process")
    if inner:
        ours, theirs = (summary(inner["runs"][s], "pairs_per_s", max) for s in ("verify", "naive"))
        rows["in process, pairs/s"] = (ours, theirs, round(ours["best"] / theirs["best"], 2))
    outer = results.get("from_outside")
    if outer:
        n = outer["pairs"]
        for name, part, naive, key in (
                (f"whole process, {n} pairs, wall s", "runs", "naive", "seconds"),
                (f"whole process, {n} pairs, CPU s", "runs", "naive", "cpu_seconds"),
                (f"whole process, {n} pairs, wall s, naive with OMP_WAIT_POLICY=PASSIVE", "runs", "naive_threads",
                 "seconds"),
                ("start-up (10 pairs), wall s", "startup", "naive", "seconds"),
                ("start-up (10 pairs), CPU s", "startup", "naive", "cpu_seconds")):
            ours, theirs = summary(outer[part]["verify"], key, min), summary(outer[part][naive], key, min)
            rows[name] = (ours, theirs, round(theirs["best"] / ours["best"], 2))
        rows["verify eval nli --help, wall s"] = (summary(outer["startup"]["verify_help"], "seconds", min), None, None)
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
                       f"{inner['max_tokens']} tokens, compile {inner['compile']}; in process both ran with "
                       f"{inner['torch_threads']} torch threads and OMP_WAIT_POLICY={inner['omp_wait_policy']}; "
                       f"argmax agreement with the naive baseline {100 * inner['argmax_agreement']:.2f}%.")]
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
        results["from_outside"] = from_outside(rows[: args.outside_pairs or args.pairs], args.device, args.rounds,
                                               args.backend)
    results["summary"] = {k: {"verify": v[0], "naive": v[1], "ratio": v[2]} for k, v in summarise(results).items()}
    out = args.out or ROOT / "evaluations" / "results" / f"nli-speed-{args.device}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (out / "results.md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))


if __name__ == "__main__":
    main()
