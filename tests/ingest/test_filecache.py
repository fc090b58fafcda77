"""Tests for the ingest cache (verify.ingest.filecache): an unchanged file read again gives the same articles and
warnings without being parsed; a change to anything the result depends on is a miss; a damaged entry or no store
reads the files as before."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import fields
from pathlib import Path

import pytest

from tests.ingest.helpers import YONHAP, load
from verify.errors import InputError
from verify.ingest import readers
from verify.knowledge import load_knowledge
from verify.pipeline.store import Store
from verify.records import Article

KOREA = load_knowledge(("default", "korea"))


def snapshot(articles: list[Article]) -> list[tuple]:
    """Every field of every article (offsets as a list, so two arrays compare by value)."""
    return [tuple(list(v) if f.name == "offsets" else v for f in fields(a) for v in [getattr(a, f.name)])
            for a in articles]


def corpus(root: Path) -> Path:
    """A folder whose reading gives warnings of every kind: while reading (bad lines, a bad sidecar, a legacy
    encoding, bad front matter), while making articles (metadata of the wrong type, an unreadable date) and
    across files (a duplicate)."""
    root.mkdir()
    rows = [json.dumps({"text": "Kim met Putin in Vladivostok on Thursday.", "source": "Wire A", "date": "2019-04-25"}),
            "{not json",
            json.dumps({"text": "Putin met Kim \u201cwarmly\u201d.", "url": "https://www.reuters.com/world/x"}),
            json.dumps({"text": "The summit ended early.", "source": 7, "date": "someday"}),
            json.dumps({"text": "Kim met  Putin in Vladivostok on Thursday."})]  # a duplicate of the first
    (root / "feed.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (root / "wide.jsonl").write_text(json.dumps({"text": "Kim left Russia by train.", "source": "Wire W"}) + "\n",
                                     encoding="utf-16")
    (root / "a.txt").write_text("Kim met Putin in Vladivostok.\nSource: Wire C\n", encoding="utf-8")
    (root / "a.meta.json").write_text("{bad", encoding="utf-8")
    (root / "b.txt").write_bytes("Caf\xe9 owners in Pyongyang said prices rose 10 percent.\n".encode("cp1252"))
    (root / "c.md").write_text("---\ntitle: [unclosed\n---\n# Talks\n\nThe **talks** ended on Friday.\n",
                               encoding="utf-8")
    (root / "d.txt").write_text("Kim met Putin.\n", encoding="utf-8")
    (root / "d.meta.json").write_text(json.dumps({"source": "Wire D", "date": "2019-04-25"}), encoding="utf-8")
    (root / YONHAP.name).write_bytes(YONHAP.read_bytes())  # without its sidecar: the korea pack dates it
    return root


class Entries:
    """A cache in a dict, counting what is read and written."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, bytes]] = {}
        self.hits = self.writes = 0

    def get_ingest(self, key: str) -> bytes | None:
        row = self.rows.get(key)
        self.hits += row is not None
        return row[1] if row else None

    def put_ingest(self, items) -> None:
        for file, key, data in items:
            self.rows = {k: v for k, v in self.rows.items() if v[0] != file}
            self.rows[key] = (file, data)
            self.writes += 1


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The files the readers parse (a cache hit parses none)."""
    seen: list[str] = []
    read_file, read_jsonl = readers._read_file, readers._read_jsonl

    def spy_file(path, data, warn):
        seen.append(path.name)
        return read_file(path, data, warn)

    def spy_jsonl(path, caps, warn):
        seen.append(path.name)
        return read_jsonl(path, caps, warn)

    monkeypatch.setattr(readers, "_read_file", spy_file)
    monkeypatch.setattr(readers, "_read_jsonl", spy_jsonl)
    return seen


def test_a_hit_gives_the_same_articles_and_warnings_without_parsing(tmp_path: Path, parses: list[str]) -> None:
    folder = corpus(tmp_path / "corpus")
    plain, plain_warnings = load(folder, knowledge=KOREA)
    assert len(plain) == 9 and len(plain_warnings) == 7  # every kind of warning is there to be replayed
    store = Store(tmp_path / "store.sqlite")
    first, first_warnings = load(folder, knowledge=KOREA, cache=store)
    parses.clear()
    again, again_warnings = load(folder, knowledge=KOREA, cache=store)
    assert parses == []  # nothing parsed, cleaned or dated again
    assert snapshot(again) == snapshot(first) == snapshot(plain)
    assert again_warnings == first_warnings == plain_warnings  # same messages, same order
    assert all(type(a.offsets) is type(p.offsets) for a, p in zip(again, plain))
    assert store.counts()["ingest_files"] == 7  # one entry per file read
    store.close()
    reopened = Store(tmp_path / "store.sqlite")  # the entries outlive the process
    assert snapshot(load(folder, knowledge=KOREA, cache=reopened)[0]) == snapshot(plain) and parses == []


def test_hit_warnings_go_to_the_log_without_a_callback(tmp_path: Path, caplog) -> None:
    folder = corpus(tmp_path / "corpus")
    cache = Entries()
    readers.load_articles([folder], cache=cache)
    first = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    caplog.clear()
    readers.load_articles([folder], cache=cache)
    assert cache.hits == 7 and [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == first


def test_changed_bytes_are_a_miss_and_replace_the_entry(tmp_path: Path, parses: list[str]) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"text": "Kim met Putin.", "source": "Wire A"}) + "\n", encoding="utf-8")
    cache = Entries()
    load(feed, cache=cache)
    feed.write_text(json.dumps({"text": "Kim met Putin.", "source": "Wire B"}) + "\n", encoding="utf-8")
    parses.clear()
    (article,), _ = load(feed, cache=cache)
    assert article.source == "Wire B" and parses == ["feed.jsonl"]
    assert len(cache.rows) == 1  # the old entry of this file is gone


def test_appended_record_is_read(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"text": "Kim met Putin."}) + "\n", encoding="utf-8")
    cache = Entries()
    load(feed, cache=cache)
    with feed.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"text": "Putin met Kim."}) + "\n")
    articles, _ = load(feed, cache=cache)
    assert [a.text for a in articles] == ["Kim met Putin.", "Putin met Kim."]


def test_same_bytes_under_another_name_are_a_miss(tmp_path: Path) -> None:
    """The path is in the key: article paths, warnings and the outlet a stem gives come from it."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "alpha.txt").write_text("Kim met Putin.\n", encoding="utf-8")
    (tmp_path / "two" / "beta.txt").write_text("Kim met Putin.\n", encoding="utf-8")
    cache = Entries()
    (first,), _ = load(tmp_path / "one" / "alpha.txt", cache=cache)
    (second,), _ = load(tmp_path / "two" / "beta.txt", cache=cache)
    assert (first.source, second.source) == ("alpha", "beta")
    assert second.path == str(tmp_path / "two" / "beta.txt") and cache.hits == 0


def test_changed_sidecar_is_a_miss(tmp_path: Path, parses: list[str]) -> None:
    (tmp_path / "a.txt").write_text("Kim met Putin.\n", encoding="utf-8")
    sidecar = tmp_path / "a.meta.json"
    sidecar.write_text(json.dumps({"date": "2019-04-25"}), encoding="utf-8")
    cache = Entries()
    load(tmp_path, cache=cache)
    sidecar.write_text(json.dumps({"date": "2020-01-02"}), encoding="utf-8")
    (article,), _ = load(tmp_path, cache=cache)
    assert article.date == "2020-01-02"
    sidecar.unlink()
    (article,), _ = load(tmp_path, cache=cache)
    assert article.date is None and cache.hits == 0 and parses == ["a.txt"] * 3


@pytest.mark.parametrize("change", [{"max_record_bytes": 30}, {"max_bytes": 100}, {"knowledge": KOREA}],
                         ids=["record-cap", "file-cap", "knowledge"])
def test_changed_caps_or_knowledge_are_a_miss(tmp_path: Path, change: dict, parses: list[str]) -> None:
    folder = corpus(tmp_path / "corpus")
    cache = Entries()
    before, _ = load(folder, cache=cache)
    parses.clear()
    after, warnings = load(folder, cache=cache, **change)
    expected, expected_warnings = load(folder, **change)  # without a cache
    assert cache.hits == 0 and parses
    assert snapshot(after) == snapshot(expected) and warnings == expected_warnings
    assert snapshot(after) != snapshot(before) or warnings != load(folder)[1]  # the change matters here


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],  # cut short
    lambda data: b"garbage",  # not an entry at all
    lambda data: b"VIF0" + data[4:],  # another layout
    lambda data: data[:20] + bytes(40) + data[60:],  # the JSON head overwritten
    lambda data: data[:-8] + bytes(8),  # the offsets overwritten
    lambda data: "text, not bytes",
], ids=["cut", "garbage", "layout", "head", "offsets", "text"])
def test_a_damaged_entry_is_read_again(tmp_path: Path, damage, parses: list[str]) -> None:
    folder = corpus(tmp_path / "corpus")
    expected, expected_warnings = load(folder, knowledge=KOREA)
    path = tmp_path / "store.sqlite"
    load(folder, knowledge=KOREA, cache=Store(path))
    db = sqlite3.connect(path)
    with db:
        for key, data in db.execute("SELECT key, data FROM ingest_files").fetchall():
            db.execute("UPDATE ingest_files SET data = ? WHERE key = ?", (damage(data), key))
    db.close()
    parses.clear()
    store = Store(path)
    articles, warnings = load(folder, knowledge=KOREA, cache=store)
    assert snapshot(articles) == snapshot(expected) and warnings == expected_warnings
    assert len(parses) == 7  # every file read again
    parses.clear()
    assert snapshot(load(folder, knowledge=KOREA, cache=store)[0]) == snapshot(expected) and parses == []  # rewritten


def test_an_unwritable_store_still_reads(tmp_path: Path, caplog) -> None:
    store = Store(tmp_path / "store.sqlite")
    store.db.execute("DROP TABLE ingest_files")  # as a store whose writes fail would
    (tmp_path / "a.txt").write_text("Kim met Putin.\n", encoding="utf-8")
    (article,), warnings = load(tmp_path / "a.txt", cache=store)
    assert article.text == "Kim met Putin." and warnings == []
    assert "ingest cache not written" in caplog.text


def test_skipped_files_and_errors_are_unchanged(tmp_path: Path) -> None:
    """Files that cannot be used are not cached: they are reported as without a cache, each time."""
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "blank.jsonl").write_text("\n\n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02")
    cache = Entries()
    for _ in range(2):
        with pytest.raises(InputError) as info:
            load(tmp_path, cache=cache)
        assert "no usable article" in str(info.value)
    assert cache.rows == {}
    (tmp_path / "ok.txt").write_text("Kim met Putin.\n", encoding="utf-8")
    plain = load(tmp_path)
    assert load(tmp_path, cache=cache)[1] == load(tmp_path, cache=cache)[1] == plain[1]
    assert len(plain[1]) == 3 and cache.hits == 1


def test_no_store_reads_as_before(tmp_path: Path, fake_settings) -> None:
    from verify.pipeline.core import Pipeline

    folder = corpus(tmp_path / "corpus")
    expected, expected_warnings = load(folder, knowledge=KOREA)
    warnings: list[str] = []
    articles = Pipeline(fake_settings, store=False).ingest([folder], warnings.append)
    assert snapshot(articles) == snapshot(expected) and warnings == expected_warnings


def test_the_pipeline_reads_through_its_store(tmp_path: Path, fake_settings, parses: list[str]) -> None:
    from verify.pipeline.core import Pipeline

    folder = corpus(tmp_path / "corpus")
    store = Store(tmp_path / "store.sqlite")
    pipeline = Pipeline(fake_settings, store=store)
    first = pipeline.ingest([folder], lambda m: None, dates=["a.txt=2020-02-02"])
    parses.clear()
    again = pipeline.ingest([folder], lambda m: None, dates=["a.txt=2020-02-02"])
    assert parses == [] and snapshot(again) == snapshot(first)
    assert next(a for a in again if a.path.endswith("a.txt")).date == "2020-02-02"  # overrides still apply
    undated = pipeline.ingest([folder], lambda m: None)
    assert next(a for a in undated if a.path.endswith("a.txt")).date != "2020-02-02" and parses == []
