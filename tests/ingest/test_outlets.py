"""Tests for verify.ingest.outlets: the outlet of an article from text cues, names, aliases and domains."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.helpers import INDEPENDENT, STAR, YONHAP
from verify.ingest import infer_source
from verify.ingest.outlets import canonical_outlet, outlet_for_domain, outlet_for_url


@pytest.mark.parametrize(
    ("path", "outlet"),
    [(YONHAP, "Yonhap News Agency"), (INDEPENDENT, "The Independent"), (STAR, "The Star (Malaysia)")],
    ids=["yonhap", "independent", "star"],
)
def test_infer_source_on_seeds(path: Path, outlet: str) -> None:
    assert infer_source(path.read_text(encoding="utf-8"), path) == outlet


def test_infer_source_from_url_and_stem() -> None:
    assert infer_source("See https://www.nknews.org/2024/01/x for more.", Path("x.txt")) == "NK News"
    assert infer_source("See https://news.example.org/x", Path("x.txt")) == "news.example.org"
    assert infer_source("Plain text.", Path("dir/my_story.txt")) == "my_story"
    assert infer_source("Body.\nSource: Reuters\n", Path("x.txt")) == "Reuters"


def test_outlet_names_aliases_and_domains() -> None:
    assert canonical_outlet("The Star Malaysia") == "The Star (Malaysia)"
    assert canonical_outlet("Nobody's Gazette") is None
    assert outlet_for_domain("www.reuters.com") == "Reuters"
    assert outlet_for_domain("uk.reuters.com:443") == "Reuters"  # a subdomain, a port
    assert outlet_for_domain("www.example.com") == "example.com"
    assert outlet_for_url("https://www.reuters.com/world/x") == "Reuters"
    assert outlet_for_url("ftp://www.reuters.com/x") is None
