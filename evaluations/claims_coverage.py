"""Claim-extraction coverage on FNC-1 train news (issue 11): the spaCy extractor against the previous one.

What it measures, on a seeded sample of the FNC-1 *train* split (``news/fnc1`` under ``--data-dir``):

1. Headlines (``--headlines`` unique ones, default 1,000): each becomes an article whose title and only line
   is the headline. Coverage = share that yield a claim; share of those claims with an entity (any, and typed:
   a spaCy/knowledge label). Also ``headline_as_sentence``: the headline with a full stop added and no title,
   the only way the previous extractor (no title handling) can keep one.
2. Bodies (``--bodies`` unique ones, default 200), cleaned as ``.txt`` files are (``verify.ingest.clean``):
   claims per body, share of body sentences kept, share of claims with a typed entity.
3. Check-worthiness: ``--label-sample`` (40) random kept and 40 random dropped body sentences of the new
   extractor, seeded, are written to ``samples.jsonl`` on every run. The hand labels (``cw``: a factual,
   check-worthy statement; ``no``: not) are a fixed set in ``labels.jsonl`` beside the results, keyed by the
   sentence's hash; they were drawn that way once (2026-11-28) and are not redrawn when the extractor changes.
   Each extractor is scored on the labelled sentences by what it does with them now: precision (check-worthy
   share of the kept), check-worthy share of the dropped, and a recall estimate scaled to its own kept /
   dropped counts. ``current_draw_unlabelled`` says how many of today's draw lack a label.

The previous extractor is rebuilt from git (``--old-rev``, read-only ``git show`` of its claims.py, timeinfo.py,
types.py, values.py and data/aliases.json into a temporary package) and run on the same articles.

    .venv/bin/python evaluations/claims_coverage.py [--data-dir ../shared/data] [--seed 0]
        [--headlines 1000] [--bodies 200] [--knowledge default] [--out evaluations/results/claims-coverage]

Runs on one CPU thread (the thread variables are set before numpy/spaCy load). Writes ``results.json``,
``results.md`` and ``samples.jsonl`` to ``--out``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import csv
import importlib
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verify.extract.claims import ClaimExtractor, extractor_version, split_sentences
from verify.ingest import clean
from verify.knowledge import load_knowledge
from verify.nlp import NLP
from verify.records import Article, short_hash

OLD_FILES = ("claims.py", "timeinfo.py", "types.py", "values.py", "data/aliases.json")
csv.field_size_limit(1 << 24)


# ---------------------------------------------------------------------------------------------
# 1. Data: a seeded sample of unique headlines and bodies
# ---------------------------------------------------------------------------------------------
def load_sample(data_dir: Path, n_headlines: int, n_bodies: int, seed: int) -> tuple[list[str], list[tuple[str, str]]]:
    folder = data_dir / "news" / "fnc1"
    with open(folder / "train_stances.csv", encoding="utf-8", newline="") as f:
        headlines = sorted({" ".join(row["Headline"].split()) for row in csv.DictReader(f)} - {""})
    with open(folder / "train_bodies.csv", encoding="utf-8", newline="") as f:
        bodies = sorted((row["Body ID"], row["articleBody"]) for row in csv.DictReader(f) if row["articleBody"].strip())
    rng = random.Random(seed)
    return rng.sample(headlines, min(n_headlines, len(headlines))), rng.sample(bodies, min(n_bodies, len(bodies)))


def make_article(article_cls: Any, aid: str, text: str, original: str, offsets: Any, title: str | None) -> Any:
    return article_cls(aid, f"fnc1:{aid}", "FNC-1", title, None, None, text, original, offsets)


def headline_article(cls: Any, headline: str, n: int) -> Any:
    return make_article(cls, f"a:h{n}", headline, headline, tuple(range(len(headline) + 1)), headline)


def body_article(cls: Any, body_id: str, raw: str) -> Any:
    text, offsets = clean(raw)
    return make_article(cls, f"a:b{body_id}", text, raw, offsets, None)


# ---------------------------------------------------------------------------------------------
# 2. The previous extractor, rebuilt from git into a throw-away package
# ---------------------------------------------------------------------------------------------
def load_old_extractor(rev: str, into: Path) -> Any:
    package = into / "verify_previous"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name in OLD_FILES:
        blob = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:verify/{name}"], check=True,
                              capture_output=True).stdout
        if name.endswith(".py"):  # its data table is read as package data of "verify": point it at this copy
            blob = blob.replace(b'resources.files("verify")', b"resources.files(__package__)")
        (package / name).write_bytes(blob)
    sys.path.insert(0, str(into))
    return importlib.import_module("verify_previous.claims")


# ---------------------------------------------------------------------------------------------
# 3. Measures
# ---------------------------------------------------------------------------------------------
def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def headline_measures(claims_per_article: list[list[Any]], headlines: list[str], typed: bool) -> dict[str, Any]:
    became = [cs for cs in claims_per_article if cs]
    first = [cs[0] for cs in became]
    out: dict[str, Any] = {
        "headlines": len(headlines),
        "became_claim": len(became),
        "coverage": share(len(became), len(headlines)),
        "claims_with_entity": share(sum(bool(c.entities) for c in first), len(first)),
    }
    if typed:
        out["claims_with_typed_entity"] = share(sum(any(c.entity_types) for c in first), len(first))
    return out


def body_measures(claims_per_article: list[list[Any]], sentences_per_article: list[list[str]], typed: bool) -> dict[str, Any]:
    counts = [len(cs) for cs in claims_per_article]
    n_sent = sum(len(s) for s in sentences_per_article)
    claims = [c for cs in claims_per_article for c in cs]
    out: dict[str, Any] = {
        "bodies": len(counts),
        "sentences": n_sent,
        "claims": len(claims),
        "claims_per_body_mean": round(statistics.mean(counts), 2) if counts else 0.0,
        "claims_per_body_median": statistics.median(counts) if counts else 0,
        "bodies_without_claims": sum(c == 0 for c in counts),
        "sentences_kept": share(len(claims), n_sent),
        "claims_with_entity": share(sum(bool(c.entities) for c in claims), len(claims)),
    }
    if typed:
        out["claims_with_typed_entity"] = share(sum(any(c.entity_types) for c in claims), len(claims))
    return out


def sentence_key(text: str) -> str:
    return short_hash(" ".join(text.split()), size=6)


def label_sample(bodies: list[tuple[str, str]], sentences: list[list[str]], kept: list[set[str]], n: int,
                 seed: int) -> list[dict[str, Any]]:
    pool = {"kept": [], "dropped": []}
    for (body_id, _), sents, keep in zip(bodies, sentences, kept):
        for s in sents:
            pool["kept" if s in keep else "dropped"].append((body_id, s))
    rng = random.Random(seed + 1)
    out = []
    for group in ("kept", "dropped"):
        for body_id, s in rng.sample(pool[group], min(n, len(pool[group]))):
            out.append({"key": sentence_key(s), "group": group, "body_id": body_id, "text": s})
    return out


def wilson(k: int, n: int, z: float = 1.96) -> list[float]:
    """95% Wilson interval of a proportion k/n."""
    if not n:
        return [0.0, 0.0]
    p = k / n
    centre, half = p + z * z / (2 * n), z * ((p * (1 - p) + z * z / (4 * n)) / n) ** 0.5
    return [round((centre - half) / (1 + z * z / n), 4), round((centre + half) / (1 + z * z / n), 4)]


def sentence_status(sentences: list[list[str]], kept: list[set[str]]) -> dict[str, str]:
    """Sentence key -> "kept" or "dropped" under one extractor (kept anywhere wins)."""
    out: dict[str, str] = {}
    for sents, keep in zip(sentences, kept):
        for s in sents:
            key = sentence_key(s)
            out[key] = "kept" if s in keep or out.get(key) == "kept" else "dropped"
    return out


def precision_recall(labels: list[dict[str, Any]], status: dict[str, str], n_kept: int, n_dropped: int) -> dict[str, Any]:
    """Over the hand-labelled sentences this extractor also splits out: the check-worthy share of those it keeps
    (precision) and of those it drops, and a recall estimate: kept check-worthy / (kept + dropped check-worthy),
    each share scaled to the extractor's own kept / dropped population."""
    out: dict[str, Any] = {"labelled_not_a_sentence_here": sum(r["key"] not in status for r in labels)}
    rates = {}
    for group in ("kept", "dropped"):
        rows = [r for r in labels if status.get(r["key"]) == group]
        cw = sum(r["label"] == "cw" for r in rows)
        out[f"{group}_labelled"] = len(rows)
        out[f"{group}_checkworthy"] = cw
        out[f"{group}_checkworthy_ci95"] = wilson(cw, len(rows))
        rates[group] = cw / len(rows) if rows else 0.0
    out["precision"] = round(rates["kept"], 4)
    out["dropped_checkworthy_share"] = round(rates["dropped"], 4)
    found, missed = rates["kept"] * n_kept, rates["dropped"] * n_dropped
    out["recall_estimate"] = round(found / (found + missed), 4) if found + missed else 0.0
    out["kept_sentences"], out["dropped_sentences"] = n_kept, n_dropped
    return out


# ---------------------------------------------------------------------------------------------
# 4. Run
# ---------------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--headlines", type=int, default=1000)
    ap.add_argument("--bodies", type=int, default=200)
    ap.add_argument("--label-sample", type=int, default=40)
    ap.add_argument("--knowledge", default="default")
    ap.add_argument("--old-rev", default="8cb7f72", help="git revision of the previous extractor")
    ap.add_argument("--out", type=Path, default=ROOT / "evaluations" / "results" / "claims-coverage")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    headlines, bodies = load_sample(args.data_dir, args.headlines, args.bodies, args.seed)
    knowledge = load_knowledge(tuple(args.knowledge.split(",")))
    nlp = NLP()
    new = ClaimExtractor(knowledge, nlp)
    timings: dict[str, float] = {}

    # the new extractor
    start = time.perf_counter()
    h_articles = [headline_article(Article, h, n) for n, h in enumerate(headlines)]
    h_claims = new.extract(h_articles)
    timings["new_headlines_s"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    b_articles = [body_article(Article, bid, raw) for bid, raw in bodies]
    b_claims = new.extract(b_articles)
    b_sentences = [[a.text[s:e] for s, e in split_sentences(a.text, nlp)] for a in b_articles]
    timings["new_bodies_s"] = round(time.perf_counter() - start, 2)
    by_article: dict[str, list[Any]] = {}
    for c in [*h_claims, *b_claims]:
        by_article.setdefault(c.article_id, []).append(c)
    new_h = [by_article.get(a.id, []) for a in h_articles]
    new_b = [by_article.get(a.id, []) for a in b_articles]

    # the headline as a plain sentence (a full stop added, no title): what an extractor without title
    # handling can do with it
    s_articles = [make_article(Article, f"a:s{n}", h + ".", h + ".", tuple(range(len(h) + 2)), None)
                  for n, h in enumerate(headlines)]
    s_claims: dict[str, list[Any]] = {}
    for c in new.extract(s_articles):
        s_claims.setdefault(c.article_id, []).append(c)
    new_s = [s_claims.get(a.id, []) for a in s_articles]

    # the previous extractor, on the same articles
    with tempfile.TemporaryDirectory() as tmp:
        old_mod = load_old_extractor(args.old_rev, Path(tmp))
        old_types = importlib.import_module("verify_previous.types")
        old = old_mod.ClaimExtractor()
        start = time.perf_counter()
        old_h = [old.extract([headline_article(old_types.Article, h, n)]) for n, h in enumerate(headlines)]
        old_s = [old.extract([make_article(old_types.Article, f"a:s{n}", h + ".", h + ".", tuple(range(len(h) + 2)),
                                           None)]) for n, h in enumerate(headlines)]
        old_b_articles = [body_article(old_types.Article, bid, raw) for bid, raw in bodies]
        old_b = [old.extract([a]) for a in old_b_articles]
        old_b_sentences = [[a.text[s:e] for s, e in old_mod.split_sentences(a.text)] for a in old_b_articles]
        timings["old_all_s"] = round(time.perf_counter() - start, 2)

    # check-worthiness sample (new extractor) and the hand labels, if any
    kept = [{c.text for c in cs} for cs in new_b]
    samples = label_sample(bodies, b_sentences, kept, args.label_sample, args.seed)
    with open(args.out / "samples.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in samples)
    labels_path = args.out / "labels.jsonl"
    labels = [json.loads(line) for line in labels_path.read_text(encoding="utf-8").splitlines()
              if line.strip()] if labels_path.exists() else []
    old_kept = [{c.text for c in cs} for cs in old_b]
    status = {"new": sentence_status(b_sentences, kept), "old": sentence_status(old_b_sentences, old_kept)}
    populations = {
        "new": (sum(len(k & set(s)) for k, s in zip(kept, b_sentences)), sum(map(len, b_sentences))),
        "old": (sum(len(k & set(s)) for k, s in zip(old_kept, old_b_sentences)), sum(map(len, old_b_sentences))),
    }
    labelled = {r["key"] for r in labels}
    checkworthiness: dict[str, Any] = {
        "labels": len(labels),
        "labelled_from": "40 kept + 40 dropped body sentences drawn (seed 0) from the spaCy extractor of 2026-11-28 08:43 UTC",
        "current_draw_unlabelled": sum(s["key"] not in labelled for s in samples),
    }
    if labels:
        for name, (n_kept, n_all) in populations.items():
            checkworthiness[name] = precision_recall(labels, status[name], n_kept, n_all - n_kept)

    results = {
        "task": "claims-coverage",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {"data": "fnc1 train (train_stances.csv headlines, train_bodies.csv bodies)", "seed": args.seed,
                   "headlines": len(headlines), "bodies": len(bodies), "knowledge": args.knowledge,
                   "spacy": nlp.version, "old_rev": args.old_rev,
                   "extractor_version": extractor_version(knowledge, nlp), "threads": os.environ.get("OMP_NUM_THREADS")},
        "new": {"headline": headline_measures(new_h, headlines, True),
                "headline_as_sentence": headline_measures(new_s, headlines, True),
                "body": body_measures(new_b, b_sentences, True)},
        "old": {"headline": headline_measures(old_h, headlines, False),
                "headline_as_sentence": headline_measures(old_s, headlines, False),
                "body": body_measures(old_b, old_b_sentences, False)},
        "checkworthiness": checkworthiness,
        "timings_s": timings,
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    write_markdown(results, args.out / "results.md", labels, status)
    print(json.dumps(results, indent=2))


NOTES_MARK = "<!-- notes: hand-written below this line, kept when the script rewrites the file -->"


def write_markdown(r: dict[str, Any], path: Path, labels: list[dict[str, Any]], status: dict[str, dict[str, str]]) -> None:
    """results.md: the figures as tables; whatever follows NOTES_MARK in an existing file is kept."""
    notes = ""
    if path.exists() and NOTES_MARK in (old := path.read_text(encoding="utf-8")):
        notes = old.split(NOTES_MARK, 1)[1]
    c, n, o = r["config"], r["new"], r["old"]
    pct = lambda x: f"{100 * x:.1f}%"
    lines = [
        "# Claim extraction coverage on FNC-1 train (issue 11)",
        "",
        (f"Created {r['created']} by `evaluations/claims_coverage.py` (seed {c['seed']}, {c['headlines']} unique "
        f"headlines, {c['bodies']} unique bodies, knowledge `{c['knowledge']}`, {c['spacy']}, one thread). "
        f"Previous extractor: `verify/claims.py` at {c['old_rev']}."),
        "",
        "## Headlines (title and only line of an article)",
        "",
        "| | new (spaCy) | previous |",
        "|---|---|---|",
        (f"| became a claim | {n['headline']['became_claim']} ({pct(n['headline']['coverage'])}) | "
        f"{o['headline']['became_claim']} ({pct(o['headline']['coverage'])}) |"),
        (f"| as a plain sentence (full stop added, no title) | {n['headline_as_sentence']['became_claim']} "
        f"({pct(n['headline_as_sentence']['coverage'])}) | {o['headline_as_sentence']['became_claim']} "
        f"({pct(o['headline_as_sentence']['coverage'])}) |"),
        (f"| headline claims with an entity | {pct(n['headline']['claims_with_entity'])} | "
        f"{pct(o['headline']['claims_with_entity'])} |"),
        f"| headline claims with a typed entity | {pct(n['headline']['claims_with_typed_entity'])} | (no types) |",
        "",
        "## Bodies",
        "",
        "| | new (spaCy) | previous |",
        "|---|---|---|",
    ]
    for key, label in (("sentences", "sentences"), ("claims", "claims"), ("claims_per_body_mean", "claims per body (mean)"),
                       ("claims_per_body_median", "claims per body (median)"),
                       ("bodies_without_claims", "bodies without a claim")):
        lines.append(f"| {label} | {n['body'][key]} | {o['body'][key]} |")
    lines += [
        f"| sentences kept | {pct(n['body']['sentences_kept'])} | {pct(o['body']['sentences_kept'])} |",
        f"| claims with an entity | {pct(n['body']['claims_with_entity'])} | {pct(o['body']['claims_with_entity'])} |",
        f"| claims with a typed entity | {pct(n['body']['claims_with_typed_entity'])} | (no types) |",
        "",
        "## Check-worthiness (hand labels, `labels.jsonl`)",
        "",
    ]
    cw = r["checkworthiness"]
    if labels:
        lines += [
            (f"{cw['labels']} hand-labelled body sentences ({cw['labelled_from']}), labelled `cw` (a factual, "
            "check-worthy statement) or `no`. Each extractor is scored on the labelled sentences it splits out too, "
            "by what it does with them now. The sample was stratified by the spaCy extractor's decisions, so the "
            "previous extractor's figures are indicative only."),
            "",
            "| extractor | kept: check-worthy (precision, 95% CI) | dropped: check-worthy (95% CI) | recall estimate |",
            "|---|---|---|---|",
        ]
        for name in ("new", "old"):
            m = cw[name]
            lines.append(
                f"| {'new (spaCy)' if name == 'new' else 'previous'} | {m['kept_checkworthy']}/{m['kept_labelled']} = "
                f"{pct(m['precision'])} ({pct(m['kept_checkworthy_ci95'][0])}-{pct(m['kept_checkworthy_ci95'][1])}) | "
                f"{m['dropped_checkworthy']}/{m['dropped_labelled']} = {pct(m['dropped_checkworthy_share'])} "
                f"({pct(m['dropped_checkworthy_ci95'][0])}-{pct(m['dropped_checkworthy_ci95'][1])}) | "
                f"{pct(m['recall_estimate'])} |")
        lines += [
            "",
            ("Recall estimate: kept check-worthy / all check-worthy, each labelled share scaled to that extractor's "
            f"kept / dropped sentence counts (new {cw['new']['kept_sentences']} / {cw['new']['dropped_sentences']}, "
            f"previous {cw['old']['kept_sentences']} / {cw['old']['dropped_sentences']})."),
            "",
            "| label | new | previous | sentence | note |",
            "|---|---|---|---|---|",
        ]
        for row in labels:
            text = " ".join(row["text"].split()).replace("|", "\\|")
            text = text if len(text) <= 160 else text[:157] + "..."
            lines.append(f"| {row['label']} | {status['new'].get(row['key'], '-')} | {status['old'].get(row['key'], '-')} "
                         f"| {text} | {row.get('note', '')} |")
    else:
        lines.append("No labels yet: label `samples.jsonl` into `labels.jsonl` (key, label cw|no, note, text).")
    lines += ["", NOTES_MARK]
    path.write_text("\n".join(lines) + (notes or "\n"), encoding="utf-8")


if __name__ == "__main__":
    main()
