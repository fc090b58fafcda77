"""Shared helpers of the ingest tests: the seed articles, loading with warnings collected, offset checks."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from verify.ingest import CHAR_MAP, load_articles
from verify.records import Article

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
YONHAP = SEEDS / "000_04de47457a69673e.txt"
INDEPENDENT = SEEDS / "003_19297d05e1626443.txt"
STAR = SEEDS / "004_fa41245d04f6e4dd.txt"
SEED_FILES = [YONHAP, INDEPENDENT, STAR]
SEED_IDS = ["yonhap", "independent", "star"]
BOILERPLATE_PAGE = Path(__file__).resolve().parents[1] / "fixtures" / "boilerplate_page.html"

SENTENCE = re.compile(r"\S[^\n]*?(?:[.!?][\"')]*(?=\s|$)|(?=\n)|$)")


def load(*paths: Path | str, **kwargs) -> tuple[list[Article], list[str]]:
    """load_articles on ``paths``, with the warnings it reported."""
    warnings: list[str] = []
    return load_articles(list(paths), on_warning=warnings.append, **kwargs), warnings


def seed(path: Path) -> Article:
    (article,), _ = load(path)
    return article


def norm(text: str) -> str:
    return "".join(CHAR_MAP.get(ch, ch) for ch in text)


def sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) spans of sentence-like pieces of cleaned text."""
    return [m.span() for m in SENTENCE.finditer(text) if m.group().strip()]


def assert_offsets_simple(article: Article) -> None:
    """Every kept char maps to the same char (after quote normalisation) in the original."""
    for i, ch in enumerate(article.text):
        source = article.original[article.offsets[i]]
        assert source.isspace() if ch.isspace() else norm(source) == ch


def assert_offsets(article: Article) -> None:
    """Every kept char maps to the same char (after quote normalisation) in the original, and
    every sentence maps to a span of the original with the same text, up to whitespace."""
    text, original, offsets = article.text, article.original, article.offsets
    assert len(offsets) == len(text) + 1
    assert all(a < b for a, b in itertools.pairwise(offsets)), "offsets must increase"
    for i, ch in enumerate(text):
        source = original[offsets[i]]
        assert (source.isspace() if ch.isspace() else norm(source) == ch), (i, ch, source)
    spans = sentences(text)
    assert len(spans) > 3
    for start, end in spans:
        s, e = article.span(start, end)
        assert "".join(norm(original[s:e]).split()) == "".join(text[start:end].split())
