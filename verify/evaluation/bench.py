"""`verify bench`: the pipeline on corpora of growing size built from real sentences, against the naive way.

A corpus is JSONL articles from 12 made-up outlets. Their paragraphs are real sentences and passages from
the shared data: NLI pairs (premise in one outlet, hypothesis in another - these are the labelled "true
pairs" the pairing must find), then passages and news sentences from the curriculum sets (DROP, ConTRoL,
kg_relations, NER, coreference, ESTER, CosmosQA, LogiQA, SpRL, HellaSwag premises; their templated
hypotheses are left out), plus the seed articles. Each size runs in its own process, so peak memory is that size's
own. Built corpora are kept under ``<cache_dir>/bench/`` (building 100k claims takes most of an hour) and reused.

Per size: wall time per stage, peak memory (max RSS), candidate pairs against all cross-source pairs,
recall of the true pairs (exact and approximate search), NLI pairs/s, the naive baseline (sentence-transformers
``CrossEncoder.predict`` with default settings on a random sample of all cross-source pairs, extrapolated to all
of them; skipped for the fake models), and adding one article: `verify claims` in a fresh process on the corpus plus
one unseen article against a copy of the store the run filled (the whole process timed), first right after the
size's run (its stages, its pairs against a from-scratch pairing of the same corpus and the recall of both), then
in rounds across all sizes once every store is filled (``time_adds``), whose median is the figure.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verify.errors import InputError

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1.0"
OUTLETS = tuple(f"Outlet {i:02d}" for i in range(1, 13))
PARAGRAPHS_PER_ARTICLE = 10
# (files under the data dir, format, premise field, hypothesis field or None, label field)
PAIR_SOURCES = (
    ("nli/te_new_protocols/*_train.tsv", "tsv", "sentence1", "sentence2", "gold_label"),
    ("nli/semi_automatic_nli/*_train.jsonl", "jsonl", "premise", "hypothesis", "label"),
    ("nli/lingnli/train_*.jsonl", "jsonl", "premise", "hypothesis", "label"),
)
PASSAGE_SOURCES = (  # (zip, member, field): passages and news sentences; their recast hypotheses are templated
    ("nli/curriculum/drop.zip", "drop/train.jsonl", "premise"),
    ("nli/curriculum/control.zip", "control/train.jsonl", "premise"),
    ("nli/curriculum/kg_relations.zip", "kg_relations/train.jsonl", "premise"),
    ("nli/curriculum/ner.zip", "ner/train.jsonl", "premise"),
    ("nli/curriculum/coreference.zip", "coreference/train.jsonl", "premise"),
    ("nli/curriculum/ester.zip", "ester/train.jsonl", "premise"),
    ("nli/curriculum/cosmoqa.zip", "cosmoqa/train.jsonl", "premise"),
    ("nli/curriculum/logiqa.zip", "logiqa/train.jsonl", "premise"),
    ("nli/curriculum/sprl.zip", "sprl/train.jsonl", "premise"),
    ("nli/curriculum/hellaswag.zip", "hellaswag/train.jsonl", "premise"),
)
SAME_FACT = {"entailment", "contradiction", "e", "c"}  # labelled pairs about the same fact


@dataclass(frozen=True, slots=True)
class Unit:
    premise: str
    hypothesis: str | None = None
    label: str | None = None


def read_units(data_dir: Path) -> list[Unit]:
    """Every usable pair and passage, de-duplicated by text, in a fixed order."""
    import csv
    import glob

    csv.field_size_limit(1 << 27)
    seen: set[str] = set()
    units: list[Unit] = []

    def fresh(text: str) -> bool:
        if not text or text in seen:
            return False
        seen.add(text)
        return True

    for spec, fmt, pf, hf, lf in PAIR_SOURCES:
        files = sorted(glob.glob(str(data_dir / spec)))
        if not files:
            raise InputError(f"{data_dir / spec}: no such files; pass --data-dir to the shared data folder")
        for file in files:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                rows: Any = (json.loads(line) for line in handle if line.strip()) if fmt == "jsonl" else \
                    csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
                for r in rows:
                    p, h = str(r.get(pf) or "").strip(), str(r.get(hf) or "").strip()
                    label = str(r.get(lf) or "").strip().lower()
                    if p and h and p != h and p not in seen and h not in seen:
                        seen.update((p, h))
                        units.append(Unit(p, h, label))
    for archive, member, field in PASSAGE_SOURCES:
        path = data_dir / archive
        if not path.exists():
            raise InputError(f"{path}: no such file; pass --data-dir to the shared data folder")
        with zipfile.ZipFile(path) as zf:
            for line in zf.read(member).decode("utf-8").splitlines():
                text = str(json.loads(line).get(field) or "").strip()
                if fresh(text):
                    units.append(Unit(text))
    return units


def build_corpus(data_dir: Path, n_claims: int, seed: int = 0) -> tuple[list[dict], dict, list[tuple[str, str, str]]]:
    """(article records with about ``n_claims`` claims, one held-back article, labelled true pairs)."""
    from verify.extract.claims import ClaimExtractor
    from verify.ingest import load_articles

    units = read_units(data_dir)
    random.Random(seed).shuffle(units)
    rng = random.Random(seed + 1)
    buffers: dict[str, list[str]] = {o: [] for o in OUTLETS}
    records: list[dict] = []
    true_pairs: list[tuple[str, str, str]] = []
    extractor, claims = ClaimExtractor(), 0
    tmp = Path(tempfile.mkdtemp(prefix="verify-bench-"))

    def flush(outlet: str) -> None:
        nonlocal claims
        record = {"text": "\n\n".join(buffers[outlet]), "source": outlet, "title": f"{outlet} #{len(records)}",
                  "date": f"2024-05-{1 + len(records) % 28:02d}", "url": f"https://example.org/{len(records)}"}
        buffers[outlet] = []
        file = tmp / "one.jsonl"
        file.write_text(json.dumps(record) + "\n", encoding="utf-8")
        claims += len(extractor.extract(load_articles([file])))
        records.append(record)

    pending = iter(units)
    while claims < n_claims:
        unit = next(pending, None)
        if unit is None:
            raise InputError(f"the shared data gives only about {claims:,} claims; ask for fewer")
        first, second = rng.sample(OUTLETS, 2)
        for outlet, text in ((first, unit.premise), (second, unit.hypothesis)):
            if text is None:
                continue
            buffers[outlet].append(text)
            if len(buffers[outlet]) >= PARAGRAPHS_PER_ARTICLE:
                flush(outlet)
        if unit.hypothesis and unit.label in SAME_FACT:
            true_pairs.append((unit.premise, unit.hypothesis, unit.label))
    for outlet in OUTLETS:  # no sentence is left out of the corpus
        if buffers[outlet]:
            flush(outlet)
    # the held-back article: the other halves of labelled pairs whose first half is in the corpus
    extra_texts: list[str] = []
    for unit in pending:
        if unit.hypothesis is None or unit.label not in SAME_FACT:
            continue
        buffers[OUTLETS[1]].append(unit.premise)
        extra_texts.append(unit.hypothesis)
        if len(extra_texts) == PARAGRAPHS_PER_ARTICLE:
            break
    flush(OUTLETS[1])
    extra = {"text": "\n\n".join(extra_texts), "source": OUTLETS[0], "title": "the new article",
             "date": "2024-06-01", "url": "https://example.org/new"}
    return records, extra, true_pairs


def _fail(message: str) -> None:
    raise InputError(f"bench corpus: {message}")


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pair_recall(claims: list, pairs: Iterable[tuple[str, str]], true_pairs: list[tuple[str, str, str]]
                ) -> dict[str, float | int]:
    """Of the labelled pairs whose two sentences both became claims (in different articles), the share
    the candidate ``pairs`` (claim id pairs) contain."""
    by_text: dict[str, list[Any]] = {}
    for c in claims:
        by_text.setdefault(c.text.strip(), []).append(c)
    found = {frozenset(p) for p in pairs}
    eligible = hit = 0
    for premise, hypothesis, _ in true_pairs:
        a_claims, b_claims = by_text.get(premise.strip(), []), by_text.get(hypothesis.strip(), [])
        options = [(a, b) for a in a_claims for b in b_claims if a.article_id != b.article_id]
        if not options:
            continue
        eligible += 1
        hit += any(frozenset((a.id, b.id)) in found for a, b in options)
    return {"true_pairs": eligible, "found": hit, "recall": round(hit / eligible, 4) if eligible else 0.0}


def ids(pairs: Iterable[Any]) -> list[tuple[str, str]]:
    """(a id, b id) of ClaimPairs."""
    return [(p.a.id, p.b.id) for p in pairs]


def naive_baseline(model_path: str, claims: list, candidates: list, sample: int, device: str,
                   seed: int = 0) -> dict[str, float]:
    """CrossEncoder.predict with default settings: pairs/s on random cross-source pairs (what the naive
    way scores) and on a sample of our candidate pairs (the same texts our judge scored)."""
    from sentence_transformers import CrossEncoder

    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    while len(pairs) < sample:
        a, b = rng.sample(claims, 2)
        if a.article_id != b.article_id:
            pairs.append((a.standalone, b.standalone))
    ours = [(p.a.standalone, p.b.standalone) for p in rng.sample(candidates, min(sample, len(candidates)))]
    model = CrossEncoder(model_path, device=None if device == "auto" else device)
    model.predict(pairs[:32])  # warm-up, as for ours (the judge has already run)
    rates = {}
    for name, texts in (("pairs_per_s", pairs), ("candidate_pairs_per_s", ours)):
        start = time.perf_counter()
        model.predict(texts)
        rates[name] = round(len(texts) / (time.perf_counter() - start), 1)
    return {"sample": sample, **rates}


CORPUS_VERSION = "1"  # of build_corpus: part of the name a built corpus is kept under


def corpus_for(size: int, data_dir: Path, cache: Path, seed: int = 0) -> tuple[Path, Path, list[tuple[str, str, str]], bool]:
    """(corpus folder, the held-back article's file, labelled pairs, whether it was built before) for ``size``
    claims: built once (files of 1,000 articles, each well under ingest's 5 MB per file) and kept under ``cache``."""
    import shutil

    from verify.records import short_hash

    folder = cache / f"corpus-{size}-{seed}-{short_hash(CORPUS_VERSION, str(data_dir.resolve()))}"
    done = folder / "true_pairs.json"
    cached = done.exists()
    if not cached:
        records, extra, true_pairs = build_corpus(data_dir, size, seed)
        tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / "corpus").mkdir(parents=True)
        for n, first in enumerate(range(0, len(records), 1000)):
            chunk = records[first : first + 1000]
            (tmp / "corpus" / f"part-{n:04d}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chunk),
                                                                encoding="utf-8")
        (tmp / "new.jsonl").write_text(json.dumps(extra) + "\n", encoding="utf-8")
        (tmp / "true_pairs.json").write_text(json.dumps(true_pairs), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    true_pairs = [(p, h, label) for p, h, label in json.loads(done.read_text(encoding="utf-8"))]
    return folder / "corpus", folder / "new.jsonl", true_pairs, cached


def run_one(size: int, data_dir: Path, work: Path, settings_overrides: dict[str, Any], baseline_sample: int,
            seed: int = 0, cache: Path | None = None) -> dict[str, Any]:
    """Everything measured for one corpus size (meant to run in a process of its own)."""
    from verify.config import load_settings
    from verify.pairing import Pairer
    from verify.pipeline.core import Pipeline
    from verify.registry import NLI_JUDGES
    from verify.report import iter_json, write_atomic

    work.mkdir(parents=True, exist_ok=True)
    settings = load_settings(store=work / "store.sqlite", data_dir=data_dir, **settings_overrides)
    start = time.perf_counter()
    corpus, new_file, true_pairs, cached = corpus_for(size, data_dir, cache or settings.cache_dir / "bench", seed)
    build_s = time.perf_counter() - start
    seeds_dir = Path(__file__).resolve().parents[2] / "seeds"
    inputs = [corpus] + ([seeds_dir] if seeds_dir.is_dir() else [])

    pipeline = Pipeline(settings).load(weights=True)  # stage times without model loading
    rss_before = peak_rss_mib()
    start = time.perf_counter()
    report = pipeline.run_paths(inputs, on_warning=_fail)
    with_report = time.perf_counter()
    write_atomic(work / "report.json", iter_json(report))
    timings = dict(report.meta["timings_s"]) | {"report": round(time.perf_counter() - with_report, 3)}
    total_s = time.perf_counter() - start
    peak = peak_rss_mib()
    counts = report.meta["counts"]
    judge = pipeline.judge
    nli_s = timings.get("nli", 0.0)
    scored = counts["pairs"] - counts["nli_cached"] // 2
    ours = {"pairs": scored, "directions": 2, "seconds": nli_s,
            "pairs_per_s": round(scored / nli_s, 1) if nli_s else None,
            "inputs_per_s": round(2 * scored / nli_s, 1) if nli_s else None,
            "backend": getattr(judge, "backend", None)}

    # pairing: recall of the labelled pairs, exact search against the approximate index
    claims = list(report.claims)
    vectors = pipeline.embedder.embed([c.standalone for c in claims])
    recall: dict[str, Any] = {"pipeline": pair_recall(claims, ids(v.pair for v in report.verdicts), true_pairs)}
    s = settings
    for method, threshold in (("exact", 10**12), ("ann", 0)):
        pairer = Pairer(s.top_k, s.min_similarity, s.shared_min_similarity, s.within_source, ann_threshold=threshold,
                        knowledge=pipeline.knowledge)
        t0 = time.perf_counter()
        candidates = pairer.pair(claims, vectors)
        recall[method] = pair_recall(claims, ids(candidates), true_pairs) | {
            "candidates": len(candidates), "seconds": round(time.perf_counter() - t0, 2)}

    cross = counts["cross_source_pairs"]
    baseline = None
    if settings.nli_model not in NLI_JUDGES:  # a fake judge has no model the naive way could load
        baseline = naive_baseline(judge.resolved.path, claims, [v.pair for v in report.verdicts], baseline_sample,
                                  settings.device)
        baseline |= {"all_pairs": cross, "extrapolated_s": round(cross / baseline["pairs_per_s"], 1)}

    return {
        "size_target": size, "articles": counts["articles"], "claims": counts["claims"],
        "corpus_build_s": round(build_s, 2), "corpus_cached": cached, "total_s": round(total_s, 2),
        "stages_s": timings, "peak_rss_mib": round(peak, 1), "peak_rss_before_run_mib": round(rss_before, 1),
        "pairing": {"method": pipeline.last_pairing.get("method"), "candidates": counts["pairs"],
                    "cross_source_pairs": cross,
                    "reduction": round(cross / max(1, counts["pairs"]), 1), "recall": recall},
        "nli": ours, "naive": baseline,
        "speedup_per_input": round(ours["inputs_per_s"] / baseline["pairs_per_s"], 2)
        if baseline and ours["inputs_per_s"] else None,
        "speedup_same_pairs": round(ours["inputs_per_s"] / baseline["candidate_pairs_per_s"], 2)
        if baseline and ours["inputs_per_s"] else None,
        "add_article": add_article(pipeline, inputs, new_file, work, settings_overrides, true_pairs),
    }


def add_article(pipeline: Any, inputs: list[Path], new_file: Path, work: Path, overrides: dict[str, Any],
                true_pairs: list[tuple[str, str, str]]) -> dict[str, Any]:
    """`verify claims` on the corpus plus one unseen article, in a fresh process (imports, model loading and
    the report included), on a copy of the store the full run filled (the store itself stays as filled, for
    ``time_adds``); then its pairs against a from-scratch pairing of the same claims and vectors, and the recall of
    the labelled pairs both ways. "seconds" is this one run's time until ``time_adds`` replaces it with a median."""
    from verify.pairing import Pairer
    from verify.pipeline.core import Pipeline

    pipeline.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the whole database in its main file
    spec = {"inputs": [str(p) for p in [*inputs, new_file]], "store": str(pipeline.settings.store_path),
            "states": str(pipeline.store.state_root() or ""), "overrides": overrides}
    (work / "add.json").write_text(json.dumps(spec), encoding="utf-8")
    out, check = work / "added", work / "add-check"
    seconds = timed_add(spec, check, out, keep=True)
    added = json.loads((out / "report.json").read_text(encoding="utf-8"))
    counts = added["meta"]["counts"]
    incremental = {(p["claim_a"], p["claim_b"]) for p in added["pairs"]}
    s = pipeline.settings.model_copy(update={"store": check / Path(spec["store"]).name})
    try:  # the claims and vectors from the store the add filled: the filled store stays without the new article
        checked = Pipeline(s)
        claims = checked.extract(checked.ingest([*inputs, new_file]))
        vectors = checked.embedder.embed([c.standalone for c in claims])
        checked.store.close()
    finally:
        shutil.rmtree(check, ignore_errors=True)
    pairer = Pairer(s.top_k, s.min_similarity, s.shared_min_similarity, s.within_source, knowledge=pipeline.knowledge)
    t0 = time.perf_counter()
    scratch = set(ids(pairer.pair(claims, vectors)))
    scratch_s = time.perf_counter() - t0
    return {"seconds": seconds, "check_run_s": seconds, "runs_s": [seconds], "stages_s": added["meta"]["timings_s"],
            "claims": counts["claims"], "pairs": counts["pairs"], "new_pairs_scored": counts["pairs"] - counts["nli_cached"] // 2,
            "scratch": {"candidates": len(scratch), "seconds": round(scratch_s, 2), "same": len(incremental & scratch),
                        "only_incremental": len(incremental - scratch), "only_scratch": len(scratch - incremental),
                        "recall_incremental": pair_recall(claims, incremental, true_pairs)["recall"],
                        "recall_scratch": pair_recall(claims, scratch, true_pairs)["recall"]}}


def timed_add(spec: dict[str, Any], scratch: Path, out: Path, keep: bool = False) -> float:
    """Seconds of one fresh `verify claims` process adding the article (``spec``: see ``add_article``) to a copy,
    under ``scratch`` (removed afterwards unless ``keep``), of the filled store. The copy is synced to disk before
    the clock starts: at 100k claims it is 1.2 GB still being written back, and the store's and the report's syncs
    in the add waited for it (about a second, charged to the add; a user's store is not copied before each run)."""
    store = scratch / Path(spec["store"]).name
    scratch.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(spec["store"], store)
    if spec["states"] and Path(spec["states"]).is_dir():
        shutil.copytree(spec["states"], store.with_name(store.name + ".states"))
    os.sync()  # the copy written back now: a file the add syncs (the report, the store) would otherwise wait for it
    env = os.environ | {"VERIFY_STORE": str(store)} | {f"VERIFY_{k.upper()}": str(v) for k, v in spec["overrides"].items()}
    try:
        t0 = time.perf_counter()
        proc = subprocess.run([*verify_command(), "claims", *spec["inputs"], "--format", "json", "--out", str(out)],
                              env=env, capture_output=True, text=True, check=False)
        seconds = round(time.perf_counter() - t0, 2)
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"adding an article failed: {proc.stderr.strip()[-500:]}")
    return seconds


def time_adds(works: list[Path], runs: int) -> list[list[float]]:
    """Per work folder (one per size, its store filled), the seconds of ``runs`` fresh processes adding the
    article, taken in rounds across the sizes, every other round in reverse order (1k, 10k, 10k, 1k, ...): on
    shared cores the load drifts over minutes, and alternating rounds spread that drift over every size alike
    instead of charging it to whichever size ran last."""
    specs = [json.loads((work / "add.json").read_text(encoding="utf-8")) for work in works]
    seconds: list[list[float]] = [[] for _ in works]
    for r in range(runs):
        order = range(len(works)) if r % 2 == 0 else reversed(range(len(works)))
        for i in order:
            seconds[i].append(timed_add(specs[i], works[i] / f"add-{r}", works[i] / "added-timed"))
    return seconds


def verify_command() -> list[str]:
    """The `verify` console script of this environment (what a user runs)."""
    script = Path(sys.executable).parent / "verify"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from verify.cli import main; main()"]


def machine() -> dict[str, Any]:
    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"cpu": cpu, "cores": len(os.sched_getaffinity(0)), "memory_gib": round(mem, 1), "gpu": gpu,
            "python": platform.python_version(), "torch": torch.__version__, "platform": platform.platform()}


def run_sizes(sizes: list[int], data_dir: Path, out_dir: Path, overrides: dict[str, Any], baseline_sample: int,
              on_done: Any = None, add_runs: int = 5) -> dict[str, Any]:
    """Each size in a fresh process (results.json is rewritten after each one); then the adds of every size timed
    in alternating rounds (``time_adds``), their medians in the results."""
    from datetime import UTC, datetime

    from verify import __version__
    from verify.report import write_atomic

    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "verify_version": __version__,
                               "created": datetime.now(UTC).isoformat(timespec="seconds"),
                               "machine": machine(), "settings": overrides, "baseline_sample": baseline_sample,
                               "add_runs": add_runs,
                               "runs": []}
    works: list[Path] = []
    try:
        for size in sizes:
            work = Path(tempfile.mkdtemp(prefix=f"verify-bench-{size}-"))
            works.append(work)
            cmd = [sys.executable, "-m", "verify.evaluation.bench", "--size", str(size), "--data-dir", str(data_dir),
                   "--work", str(work), "--baseline-sample", str(baseline_sample), "--overrides", json.dumps(overrides)]
            load = os.getloadavg()[0]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise InputError(f"bench at {size:,} claims failed: {proc.stderr.strip().splitlines()[-1:]}")
            run = json.loads((work / "result.json").read_text())
            results["runs"].append(run | {"load_1min": [round(load, 2), round(os.getloadavg()[0], 2)]})
            write_atomic(out_dir / "results.json", json.dumps(results, indent=2) + "\n")
            if on_done:
                on_done(results["runs"][-1])
        # the stores stay until every size's adds are timed (gigabytes at 100k claims), then go
        for run, seconds in zip(results["runs"], time_adds(works, add_runs)):
            run["add_article"] |= {"seconds": statistics.median(seconds), "runs_s": seconds}
    finally:
        for work in works:
            shutil.rmtree(work, ignore_errors=True)
    write_atomic(out_dir / "results.json", json.dumps(results, indent=2) + "\n")
    write_atomic(out_dir / "results.md", render_markdown(results))
    plot(results, out_dir / "time_vs_size.png")
    return results


def render_markdown(results: dict[str, Any]) -> str:
    from itertools import pairwise

    m = results["machine"]
    models = ", ".join(f"{k}={v}" for k, v in sorted(results.get("settings", {}).items()))
    lines = [
        "# verify bench", "",
        (f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, GPU: {m['gpu'] or 'none'}; "
         f"Python {m['python']}, torch {m['torch']}; verify {results['verify_version']}, {results['created']}"
         f"{f'; models: {models}' if models else ''}."), "",
        ("| claims | articles | total s | claims s | embed s | pair s | NLI s | aggregate s | report s | peak MiB "
         "| candidates / all cross-source | recall exact / ANN | NLI pairs/s (inputs/s) | naive pairs/s: random / our pairs "
         "| speed-up per input: random / our pairs | naive all pairs (extrapolated) s | add 1 article s |"),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|---|---:|---:|",
    ]
    for r in results["runs"]:
        st, p, n, b = r["stages_s"], r["pairing"], r["nli"], r["naive"]
        rec = p["recall"]
        naive = (f"{b['pairs_per_s']} / {b['candidate_pairs_per_s']} | {r['speedup_per_input']}x / "
                 f"{r['speedup_same_pairs']}x | {b['extrapolated_s']:,.0f}") if b else "- | - | -"
        lines.append(
            f"| {r['claims']:,} | {r['articles']:,} | {r['total_s']:.1f} | {st.get('claims', 0):.1f} | "
            f"{st.get('embed', 0):.1f} | {st.get('pair', 0):.1f} | {st.get('nli', 0):.1f} | {st.get('aggregate', 0):.1f} | "
            f"{st.get('report', 0):.1f} | {r['peak_rss_mib']:,.0f} | {p['candidates']:,} / {p['cross_source_pairs']:,} | "
            f"{100 * rec['exact']['recall']:.1f}% / {100 * rec['ann']['recall']:.1f}% (n={rec['exact']['true_pairs']:,}) | "
            f"{n['pairs_per_s']} ({n['inputs_per_s']}, {n['backend']}) | {naive} | {r['add_article']['seconds']:.1f} |"
        )
    lines += ["", ("NLI pairs/s counts claim pairs, each scored in both directions (inputs/s = 2 x pairs/s); the naive "
                   "baseline scores one direction per pair, so the speed-up per input is inputs/s / naive pairs/s, on "
                   "random cross-source pairs (what the naive way scores) and on our own candidate pairs (the same "
                   "texts)."),
              (f"Naive: sentence-transformers CrossEncoder.predict with default settings on "
               f"{results['baseline_sample']:,} random cross-source pairs per size, extrapolated to all cross-source "
               "pairs (- : fake models, no baseline)."),
              "", "## Adding one article", "",
              ("| claims | whole process s | ingest / claims / embed / pair / NLI / aggregate / save state s | "
               "pairs (new, scored) | same pairs as from scratch | recall: incremental / from scratch | load (1 min) |"),
              "|---:|---:|---|---|---|---|---|"]
    for r in results["runs"]:
        a = r["add_article"]
        st, x = a.get("stages_s", {}), a.get("scratch", {})
        stages = " / ".join(f"{st.get(k, 0):.2f}" for k in ("ingest", "claims", "embed", "pair", "nli", "aggregate",
                                                            "save_state"))
        same = (f"{x['same']:,} of {x['candidates']:,} (+{x['only_incremental']:,} / -{x['only_scratch']:,})"
                if x else "-")
        recall = f"{100 * x['recall_incremental']:.2f}% / {100 * x['recall_scratch']:.2f}%" if x else "-"
        load = " -> ".join(str(v) for v in r.get("load_1min", [])) or "-"
        each = f" ({', '.join(f'{x:.2f}' for x in a['runs_s'])})" if len(a.get("runs_s", ())) > 1 else ""
        lines.append(f"| {a['claims']:,} | {a['seconds']:.2f}{each} | {stages} | {a['pairs']:,} ({a['new_pairs_scored']:,}) | "
                     f"{same} | {recall} | {load} |")
    lines += ["", ("`verify claims` in a fresh process (imports, model loading and the report included) on the corpus "
                   "plus one unseen article, against a copy of the store the run filled: the median of the runs in "
                   "brackets, timed once every size's store was filled, in rounds across the sizes, every other round "
                   "in reverse order, so that a drifting load on shared cores weighs on every size alike. Stages, pairs "
                   "and recall: a first run right after the size's own run, its pairs against a from-scratch "
                   "pairing of the same claims (+ only incremental / - only from scratch). Load: the 1-minute load "
                   "average before and after the size ran.")]
    for small, big in pairwise(results["runs"]):
        ratio = big["add_article"]["seconds"] / max(small["add_article"]["seconds"], 1e-9)
        lines.append(f"Adding an article at {big['claims']:,} claims took {ratio:.2f}x what it took at "
                     f"{small['claims']:,} claims.")
    return "\n".join([*lines, ""])


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = results["runs"]
    x = [r["claims"] for r in runs]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(x, [r["total_s"] for r in runs], "o-", label="verify, end to end")
    for stage in ("claims", "embed", "pair", "nli"):
        ax.plot(x, [r["stages_s"].get(stage, 0) for r in runs], ".--", label=f"  stage: {stage}")
    ax.plot(x, [r["add_article"]["seconds"] for r in runs], "s-", label="add one article (fresh process)")
    if all(r["naive"] for r in runs):
        ax.plot(x, [r["naive"]["extrapolated_s"] for r in runs], "x:", label="naive CrossEncoder, all pairs (extrapolated)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("claims in the corpus")
    ax.set_ylabel("seconds")
    ax.set_title(f"verify bench ({results['machine']['cores']} CPU cores)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _main(argv: list[str] | None = None) -> None:
    """The per-size worker: python -m verify.evaluation.bench --size N --data-dir D --work W ..."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m verify.evaluation.bench")
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--baseline-sample", type=int, default=2000)
    parser.add_argument("--overrides", default="{}")
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    result = run_one(args.size, args.data_dir, args.work, json.loads(args.overrides), args.baseline_sample)
    (args.work / "result.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    _main()
