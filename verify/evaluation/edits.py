"""Contrastive edits of real sentences: changed numbers, years, months, names, or a negation.

Used twice: models/train_nli.py augments training data with edits of *training* sentences, and the
evaluation suite's ``value_edits`` benchmark builds the same kind of pairs from *held-out* sentences.
A sentence entails its reduction (a trailing clause dropped); an edited reduction contradicts it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator

from verify.extract.values import MONTH_NAMES, YEAR

NUM_RE = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w])")
YEAR_RE = re.compile(rf"\b({YEAR})\b")
MONTH_RE = re.compile(r"\b(" + "|".join(MONTH_NAMES) + r")\b")
NEG_RE = re.compile(r"\b(is|was|are|were|has|had|will|can|did|does)\b(?! not)")
NAME_RE = re.compile(r"(?<=[a-z,] )([A-Z][a-z]+(?: [A-Z][a-z]+)?)")


def _other_number(tok: str, rng: random.Random) -> str:
    digits = tok.replace(",", "")
    if YEAR_RE.fullmatch(digits):
        return str(int(digits) + rng.choice([-11, -3, -2, -1, 1, 2, 5, 10]))
    value = float(digits)
    factor = rng.choice([0.1, 0.5, 2, 3, 10])
    new = value * factor if value > 1 else value + rng.choice([2, 3, 7])
    if "." in digits:
        return f"{new:.1f}"
    new_int = int(round(new))
    if new_int == int(value):
        new_int += 1
    return f"{new_int:,}" if "," in tok else str(new_int)


def reduce_sentence(s: str) -> str | None:
    """A paraphrase-safe reduction: drop a trailing comma clause that is not needed for truth."""
    m = re.match(r"^(.{25,}?), (?:which|who|where|while|and|but) .+$", s)
    if m:
        return m.group(1).rstrip(" ,") + "."
    return None


def edit_sentence(s: str, names: list[str], rng: random.Random) -> tuple[str, str] | None:
    """One contradicting edit of s: a changed number/year, month or name, or a negation."""
    edits = []
    nums = NUM_RE.findall(s)
    if nums:
        tok = rng.choice(nums)
        edits.append(("number", s.replace(tok, _other_number(tok, rng), 1)))
    months = MONTH_RE.findall(s)
    if months:
        old = rng.choice(months)
        edits.append(("month", s.replace(old, rng.choice([m for m in MONTH_NAMES if m != old]), 1)))
    found = NAME_RE.findall(s)
    if found and names:
        old, new = rng.choice(found), rng.choice(names)
        if new not in s:
            edits.append(("name", s.replace(old, new, 1)))
    neg = NEG_RE.search(s)
    if neg and rng.random() < 0.5:
        edits.append(("negation", s[: neg.end()] + " not" + s[neg.end() :]))
    return rng.choice(edits) if edits else None


def edit_pairs(sentences: list[str], names: list[str], rng: random.Random, n_max: int) -> list[tuple[str, str, str, str]]:
    """(premise, hypothesis, label, kind) rows: the reduction (entailment) and its edit (contradiction)."""
    out: list[tuple[str, str, str, str]] = []
    for s in sentences:
        if len(out) >= n_max:
            break
        base = reduce_sentence(s) or s
        edit = edit_sentence(base, names, rng)
        if edit is None or edit[1] == base:
            continue
        kind, edited = edit
        out.append((s, base, "entailment", "keep"))
        out.append((s, edited, "contradiction", kind))
    return out


def value_edit_rows(records: Iterable[dict], n_max: int = 1000, seed: int = 7) -> Iterator[dict]:
    """The value-edit benchmark (a ``process_rows`` hook): edits of held-out sentences.

    Takes rows with a ``sentence1`` field (TE-New-Protocols *val* premises, never trained on) and yields
    premise/hypothesis/label/kind rows. Only number, month and name edits (negation is covered by
    the NLI sets); deterministic for a seed.
    """
    premises = sorted({str(r.get("sentence1") or "").strip() for r in records} - {""})
    premises = [p for p in premises if 40 < len(p) < 300]
    rng = random.Random(seed)
    rng.shuffle(premises)
    names = sorted({n for s in premises for n in NAME_RE.findall(s)})
    valued = [s for s in premises if NUM_RE.search(s) or MONTH_RE.search(s) or NAME_RE.search(s)]
    rows = edit_pairs(valued, names, rng, n_max)
    for keep, edited in zip(rows[::2], rows[1::2]):  # edit_pairs yields (reduction, edit) pairs
        if edited[3] == "negation":
            continue
        for premise, hypothesis, label, _ in (keep, edited):
            yield {"premise": premise, "hypothesis": hypothesis, "label": label, "kind": edited[3] if label == "contradiction" else "keep"}
