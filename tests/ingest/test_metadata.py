"""Tests for verify.ingest.metadata: front matter, metadata dates and the --date overrides."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from tests.ingest.helpers import SEEDS, load
from verify.errors import InputError
from verify.ingest import override_dates
from verify.ingest.metadata import iso_date


def test_markdown_date_and_datetime_from_yaml(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ndate: 2021-07-29 10:30:00\n---\nKim visited the tower.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("---\ndate: July 29, 2021\n---\nKim left the tower.\n", encoding="utf-8")
    articles, _ = load(tmp_path)
    assert [a.date for a in articles] == ["2021-07-29", "2021-07-29"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2021-07-29T10:30:00+09:00", "2021-07-29"), ("July 29, 2021", "2021-07-29"), ("29 Jul 2021", "2021-07-29"),
     ("2021/07/29", "2021-07-29"), (datetime.datetime(2021, 7, 29, 10), "2021-07-29"), ("", None), (None, None)],
)
def test_metadata_dates(value: object, expected: str | None) -> None:
    assert iso_date(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "0999-12-31", datetime.date(3000, 1, 1), 20210729])
def test_unreadable_or_implausible_metadata_dates_raise(value: object) -> None:
    with pytest.raises(ValueError):
        iso_date(value)


def test_date_overrides() -> None:
    articles, _ = load(SEEDS)
    every = override_dates(articles, ["2020-01-02"])
    assert {(a.date, a.date_source) for a in every} == {("2020-01-02", "command line")}
    one = override_dates(articles, ["004_fa41245d04f6e4dd=2019-04-24"])
    assert [a.date for a in one] == ["2024-08-16", "2021-07-29", "2019-04-24"]
    assert [a.date for a in articles] == ["2024-08-16", "2021-07-29", "2019-04-23"]  # the input is not changed
    with pytest.raises(InputError, match="dates are YYYY-MM-DD between 1000 and 2999"):
        override_dates(articles, ["0999-01-01"])
    with pytest.raises(InputError, match="no article file is named 'nope.txt'"):
        override_dates(articles, ["nope.txt=2020-01-01"])
    assert Path(articles[2].path).stem == "004_fa41245d04f6e4dd"
