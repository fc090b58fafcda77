"""Tests for verify.ingest.cleaning: clean() with offsets, page furniture and appeals, broken lines, titles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ingest.helpers import INDEPENDENT, SEED_FILES, SEED_IDS, STAR, YONHAP, seed
from verify.ingest import clean, guess_title


@pytest.mark.parametrize("path", SEED_FILES, ids=SEED_IDS)
def test_seed_text_is_normalised(path: Path) -> None:
    text = seed(path).text
    assert not re.search("[\u2018\u2019\u201c\u201d]", text)
    assert "  " not in text and "\n\n" not in text and text == text.strip()
    lines = [line for line in text.split("\n") if len(line) >= 20]
    assert len(lines) == len(set(lines))


def test_independent_appeal_is_removed_and_the_news_kept() -> None:
    text = seed(INDEPENDENT).text
    for banned in ("Your support", "donation", "is trusted", "reproductive rights", "paywalls",
                   "critical moment", "quality journalism", "difference."):  # fmt: skip
        assert banned not in text, banned
    assert "\nNorth Korean leader Kim Jong Un paid tribute to China s war dead" in text
    assert text.startswith("N Korea leader pays respect to Chinese war dead at memorial\n")
    assert text.endswith("nuclear negotiations between Pyongyang and Washington eventually resume.")


def test_star_captions_and_page_furniture_are_removed() -> None:
    article = seed(STAR)
    text = article.text
    for banned in ("??", "AFP", "Friendlier times", "Newspapers", "The Star Malaysia"):
        assert banned not in text, banned
    assert "\n-\n" not in text
    assert text.startswith("Kim heads to Russia to revive friendship\nPYONGYANG: On the neighbouring mound")
    assert text.endswith('"Jong-un\'s role model has always been his grandfather, not his father," he explained.')
    assert "Kim Jong-un \u2013 the son and grandson" in text  # dashes are kept


def test_yonhap_broken_word_is_repaired_and_labels_removed() -> None:
    article = seed(YONHAP)
    text = article.text
    assert "the building of a multi-polarized new world" in text
    assert "bui\n" not in text and "lding" not in text.replace("building", "")
    assert "General" not in text and "Source:" not in text and "Yonhapi" not in text
    i = text.index("building of a multi")
    s, e = article.span(i, i + len("building"))
    assert article.original[s:e] == "bui\nlding"


def test_clean_offsets_cover_every_char() -> None:
    raw = "Title line\r\n\r\nOne  sentence\u00a0here. Two.\n\n\n"
    text, offsets = clean(raw)
    assert text == "Title line\nOne sentence here. Two."
    assert len(offsets) == len(text) + 1 and offsets[-1] == offsets[-2] + 1
    assert raw[offsets[text.index("One")] :].startswith("One  sentence")


def test_clean_glued_appeal_and_repeated_lines() -> None:
    raw = ("Your support makes all the difference.Kim met Putin on Thursday in the city.\n"
           "Kim met Putin on Thursday in the city.\n(AFP) Leaders shake hands\n- AFP Leaders\n")  # fmt: skip
    text, offsets = clean(raw)
    assert text == "Kim met Putin on Thursday in the city."
    assert offsets[0] == raw.index("Kim")


def test_clean_keeps_news_paragraph_with_one_appeal_sentence() -> None:
    raw = "Kim arrived. Putin waited. They talked for hours. Subscribe now to read more."
    assert clean(raw)[0] == "Kim arrived. Putin waited. They talked for hours."


def test_clean_wrapped_lines_join_with_a_space() -> None:
    assert clean("the negoti\nations were long.")[0] == "the negotiations were long."  # a broken word
    assert clean("talks with the\nleaders ended.")[0] == "talks with the leaders ended."  # after a function word
    assert clean("talks ended \nlater.")[0] == "talks ended later."  # a space before the break
    assert clean("multi-\npolarized world.")[0] == "multi-polarized world."
    wrapped = "Kim met the\nleader of Russia\nin the city\nof Vladivostok\non Thursday."
    assert clean(wrapped)[0] == "Kim met the leader of Russia in the city of Vladivostok on Thursday."
    assert clean("It ended.\nthen more.")[0] == "It ended.\nthen more."  # sentence end: no join


def test_guess_title() -> None:
    assert guess_title("Kim heads to Russia\nBody.") == "Kim heads to Russia"
    assert guess_title("Kim went to Russia.\nBody.") is None
    assert guess_title("") is None
