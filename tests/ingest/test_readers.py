"""Tests for verify.ingest.readers: the formats, folders, sidecars, seeds, duplicates and input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest.helpers import SEED_FILES, SEED_IDS, SEEDS, assert_offsets, assert_offsets_simple, load, seed
from verify.errors import InputError
from verify.ingest import load_articles
from verify.knowledge import load_knowledge
from verify.records import short_hash


def test_txt_article_is_cleaned_and_keeps_the_original(tmp_path: Path) -> None:
    raw = "Kim\u2019s  visit\n\nHe said \u201cyes\u201d on Monday.\n"
    (tmp_path / "note.txt").write_text(raw, encoding="utf-8")
    (article,), warnings = load(tmp_path / "note.txt")
    assert warnings == []
    assert article.text == "Kim's visit\nHe said \"yes\" on Monday."
    assert article.original == raw
    assert article.id == "a:" + short_hash(raw)
    assert article.path == str(tmp_path / "note.txt")
    assert article.source == "note"  # no cue: the file stem
    assert article.title == "Kim's visit"
    assert article.date is None and article.url is None
    assert_offsets_simple(article)


def test_markdown_front_matter_and_offsets_into_the_whole_file(tmp_path: Path) -> None:
    raw = (
        "---\nsource: Example Times\ntitle: Summit ends\ndate: 2024-05-01\nurl: https://example.com/a\n---\n"
        "# Summit ends\n\nThe **leaders** met in [Hanoi](https://example.com/hanoi) on Tuesday.\n"
    )
    path = tmp_path / "a.md"
    path.write_text(raw, encoding="utf-8")
    (article,), _ = load(path)
    assert (article.source, article.title, article.date, article.url) == (
        "Example Times", "Summit ends", "2024-05-01", "https://example.com/a",
    )  # fmt: skip
    assert article.text == "Summit ends\nThe leaders met in Hanoi on Tuesday."
    assert article.original == raw
    start = article.text.index("The leaders")
    s, e = article.span(start, len(article.text))
    assert raw[s:e] == "The **leaders** met in [Hanoi](https://example.com/hanoi) on Tuesday."
    assert s > raw.index("---\n#")  # the front matter is counted
    assert_offsets_simple(article)


def test_jsonl_records_and_bad_lines(tmp_path: Path) -> None:
    rows = [
        json.dumps({"text": "Kim met Putin on Thursday.", "source": "Wire A", "date": "2019-04-25"}),
        "{not json",
        json.dumps({"title": "no text"}),
        "",
        json.dumps({"text": "Putin met Kim \u201cwarmly\u201d.", "url": "https://www.reuters.com/world/x"}),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    articles, warnings = load(path)
    assert [a.path for a in articles] == [f"{path}:1", f"{path}:5"]
    assert [a.source for a in articles] == ["Wire A", "Reuters"]
    assert articles[0].date == "2019-04-25"
    assert articles[1].original == "Putin met Kim \u201cwarmly\u201d."
    assert articles[1].text == 'Putin met Kim "warmly".'
    assert articles[1].url == "https://www.reuters.com/world/x"
    assert len(warnings) == 2
    assert f"{path}:2" in warnings[0] and f"{path}:3" in warnings[1]


def test_sidecar_metadata_and_folder_scan(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Kim met Putin in Vladivostok.\n", encoding="utf-8")
    (tmp_path / "a.meta.json").write_text(json.dumps({"source": "Wire A", "title": "T", "date": "2019-04-25",
                                                      "url": None, "date_note": "x"}), encoding="utf-8")  # fmt: skip
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("Putin met Kim in Vladivostok.\n", encoding="utf-8")
    (tmp_path / "sub" / "b.json").write_text(json.dumps({"source": "Wire B"}), encoding="utf-8")
    (tmp_path / "README.md").write_text("# About these files\n\nNot an article.\n", encoding="utf-8")
    (tmp_path / "notes.csv").write_text("a,b\n", encoding="utf-8")
    articles, warnings = load(tmp_path)
    assert [(Path(a.path).name, a.source, a.title, a.date) for a in articles] == [
        ("a.txt", "Wire A", "T", "2019-04-25"),
        ("b.txt", "Wire B", None, None),
    ]
    assert len(warnings) == 1 and "notes.csv" in warnings[0]


def test_seed_folder_loads_three_articles_with_metadata() -> None:
    articles, warnings = load(SEEDS)
    assert warnings == []
    assert [(a.source, a.date) for a in articles] == [
        ("Yonhap News Agency", "2024-08-16"),
        ("The Independent", "2021-07-29"),
        ("The Star (Malaysia)", "2019-04-23"),
    ]
    assert [a.title for a in articles] == [
        "N. Korean leader exchanges message with Putin on 79th anniv. of Korea's liberation from Japan's colonial rule",
        "N Korea leader pays respect to Chinese war dead at memorial",
        "Kim heads to Russia to revive friendship",
    ]
    for article in articles:
        assert article.original == Path(article.path).read_text(encoding="utf-8")
        assert article.url is None


@pytest.mark.parametrize("path", SEED_FILES, ids=SEED_IDS)
def test_seed_offsets_map_back_to_the_original(path: Path) -> None:
    assert_offsets(seed(path))


def test_seed_sources_inferred_without_sidecars(tmp_path: Path) -> None:
    for path in SEED_FILES:
        (tmp_path / path.name).write_bytes(path.read_bytes())
    articles, _ = load(tmp_path, knowledge=load_knowledge(("default", "korea")))
    assert [a.source for a in articles] == ["Yonhap News Agency", "The Independent", "The Star (Malaysia)"]
    # without metadata the dates are inferred from the text (the korea pack's anniversaries); the Star gives no clue
    assert [a.date for a in articles] == ["2024-08-15", "2021-07-27", None]
    assert "79th anniv" in articles[0].date_source and articles[2].date_source is None
    assert articles[2].title == "Kim heads to Russia to revive friendship"


def test_duplicates_are_dropped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Kim met Putin on Thursday.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Kim met  Putin on Thursday.\n\n\n", encoding="utf-8")  # same cleaned text
    (tmp_path / "c.jsonl").write_text(json.dumps({"text": "Kim met Putin on Thursday."}) + "\n", encoding="utf-8")
    articles, warnings = load(tmp_path)
    assert [Path(a.path).name for a in articles] == ["a.txt"]
    assert len(warnings) == 2 and all("duplicate" in w for w in warnings)


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputError, match="no such file or directory") as info:
        load_articles([missing])
    assert str(info.value) == f"{missing}: no such file or directory"


def test_unknown_suffix_named_explicitly_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "data.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match=r"data\.pdf: unsupported file type '\.pdf'"):
        load_articles([tmp_path / "data.pdf"])


def test_folder_without_articles_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="no usable article in this folder"):
        load_articles([tmp_path], on_warning=lambda _: None)


def test_no_article_left_names_the_problem(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(InputError, match=r"no usable article.*empty\.txt: file is empty"):
        load_articles([tmp_path / "empty.txt"], on_warning=lambda _: None)
    with pytest.raises(InputError, match="no input paths"):
        load_articles([])


def test_utf16_jsonl_is_read_whole(tmp_path: Path) -> None:
    rows = [json.dumps({"text": "Kim met Putin on Thursday.", "source": "Wire A"}),
            json.dumps({"text": "Putin met Kim \u201cwarmly\u201d.", "url": "https://www.reuters.com/world/x"})]
    path = tmp_path / "feed.jsonl"
    path.write_bytes(("\n".join(rows) + "\n").encode("utf-16"))
    articles, warnings = load(path)
    assert warnings == []
    assert [(a.path, a.source, a.text) for a in articles] == [
        (f"{path}:1", "Wire A", "Kim met Putin on Thursday."),
        (f"{path}:2", "Reuters", 'Putin met Kim "warmly".'),
    ]
