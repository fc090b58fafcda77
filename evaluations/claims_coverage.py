"""Claim-extraction coverage on FNC-1 train news (issue 11): the spaCy extractor against the previous one.

What it measures, on a seeded sample of the FNC-1 *train* split (``news/fnc1`` under ``--data-dir``):

1. Headlines (``--headlines`` unique ones, default 1,000): each becomes an article whose title and only line
   is the headline. Coverage = share that yield a claim; share of those claims with an entity (any, and typed:
   a spaCy/knowledge label). Also ``headline_as_sentence``: the headline with a full stop added and no title,
   the only way the previous extractor (no title handling) can keep one.
2. Bodies (``--bodies`` unique ones, default 200), cleaned as ``.txt`` files are (``verify.ingest.clean``):
   claims per body, share of body sentences kept, share of claims with a typed entity.
3. Check-worthiness precision: ``--label-sample`` (40) random kept and 40 random dropped body sentences of the
   new extractor, seeded, written to ``samples.jsonl``. Labels made by hand (``cw``: a factual, check-worthy
   statement; ``no``: not) live in ``labels.jsonl`` beside the results, keyed by the sentence's hash; when
   present they give precision (kept and labelled ``cw``), the share of check-worthy sentences among the
   dropped, and a recall estimate scaled to all kept / dropped sentences.

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

import argparse  # noqa: E402
import csv  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verify.claims import ClaimExtractor, split_sentences  # noqa: E402
from verify.ingest import clean  # noqa: E402
from verify.knowledge import load_knowledge  # noqa: E402
from verify.nlp import NLP  # noqa: E402
from verify.types import Article, short_hash  # noqa: E402

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


def precision_recall(samples: list[dict[str, Any]], labels: dict[str, str], n_kept: int, n_dropped: int) -> dict[str, Any]:
    """Precision of the kept sample, the check-worthy share of the dropped sample, and a recall estimate:
    kept check-worthy / (kept check-worthy + dropped check-worthy), each scaled to its population."""
    out: dict[str, Any] = {}
    rates = {}
    for group in ("kept", "dropped"):
        rows = [s for s in samples if s["group"] == group and s["key"] in labels]
        cw = sum(labels[s["key"]] == "cw" for s in rows)
        out[f"{group}_labelled"] = len(rows)
        out[f"{group}_checkworthy"] = cw
        rates[group] = cw / len(rows) if rows else 0.0
    out["precision"] = round(rates["kept"], 4)
    out["dropped_checkworthy_share"] = round(rates["dropped"], 4)
    found, missed = rates["kept"] * n_kept, rates["dropped"] * n_dropped
    out["recall_estimate"] = round(found / (found + missed), 4) if found + missed else 0.0
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
        for row in samples:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    labels_path = args.out / "labels.jsonl"
    labels = {}
    if labels_path.exists():
        labels = {r["key"]: r["label"] for r in map(json.loads, labels_path.read_text(encoding="utf-8").splitlines()) if r}
    n_kept = sum(len(k & set(s)) for k, s in zip(kept, b_sentences))
    n_dropped = sum(len(s) for s in b_sentences) - n_kept

    results = {
        "task": "claims-coverage",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": {"data": "fnc1 train (train_stances.csv headlines, train_bodies.csv bodies)", "seed": args.seed,
                   "headlines": len(headlines), "bodies": len(bodies), "knowledge": args.knowledge,
                   "spacy": nlp.version, "old_rev": args.old_rev, "threads": os.environ.get("OMP_NUM_THREADS")},
        "new": {"headline": headline_measures(new_h, headlines, True),
                "headline_as_sentence": headline_measures(new_s, headlines, True),
                "body": body_measures(new_b, b_sentences, True)},
        "old": {"headline": headline_measures(old_h, headlines, False),
                "headline_as_sentence": headline_measures(old_s, headlines, False),
                "body": body_measures(old_b, old_b_sentences, False)},
        "checkworthiness": {"sample_per_group": args.label_sample, "kept_sentences": n_kept,
                            "dropped_sentences": n_dropped,
                            **(precision_recall(samples, labels, n_kept, n_dropped) if labels else {"labels": "none"})},
        "timings_s": timings,
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
