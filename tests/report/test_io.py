"""Report files: all formats as one set, atomically, in a folder that may not exist yet."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from verify.errors import ConfigError
from verify.records import Report
from verify.report import SCHEMA_VERSION, load_json, write_atomic, write_reports
from verify.report.io import _blocks


def test_write_reports_writes_all_formats_atomically(report: Report, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "out"
    out.mkdir(parents=True)
    (out / "report.json").write_text('{"old": "' + "x" * 10_000 + '"}', encoding="utf-8")

    paths = write_reports(report, out, ["json", "md", "html"])

    assert [p.name for p in paths] == ["report.json", "report.md", "report.html"]
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.manifest.json", "report.md"]
    assert load_json(out / "report.json").schema_version == SCHEMA_VERSION  # old file wholly replaced
    assert "## Contradictions" in (out / "report.md").read_text(encoding="utf-8")
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_write_reports_creates_out_dir(report: Report, tmp_path: Path) -> None:
    out = tmp_path / "new"
    assert write_reports(report, out, ["md"]) == [out / "report.md"]


def test_write_reports_keeps_old_report_when_rendering_fails(
    report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "report.json").write_text("previous", encoding="utf-8")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt  # e.g. Ctrl-C after the temp file is written, before the rename

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_reports(report, tmp_path, ["json"])
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == "previous"


def test_write_reports_unknown_format(report: Report, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="json, md, html"):
        write_reports(report, tmp_path, ["json", "pdf"])
    assert list(tmp_path.iterdir()) == []  # nothing written before the check


def test_write_atomic_writes_text_pieces_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o600)
    write_atomic(path, "één\r\n")
    assert path.read_bytes() == "één\r\n".encode()  # UTF-8, newlines as given
    assert path.stat().st_mode & 0o777 == 0o600  # the target's mode is kept
    write_atomic(path, iter(["a", "b", "c"]))
    assert path.read_text(encoding="utf-8") == "abc"
    write_atomic(path, b"\x89PNG\r\n")
    assert path.read_bytes() == b"\x89PNG\r\n"


def test_pieces_are_written_in_blocks_as_given() -> None:
    pieces = ["ab", "cdé", b"\x00\xff", "f", "", "ghij", b"", "k"]
    blocks = list(_blocks(pieces, size=4))
    assert b"".join(blocks) == b"abcd\xc3\xa9\x00\xfffghijk"
    assert blocks == [b"abcd\xc3\xa9", b"\x00\xfffghij", b"k"]  # bytes joined with the text, in place


def test_write_atomic_leaves_the_old_file_when_the_content_fails(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old", encoding="utf-8")

    def pieces():
        yield "new"
        raise RuntimeError("renderer failed")

    with pytest.raises(RuntimeError):
        write_atomic(path, pieces())
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary file left



def test_a_long_report_is_handed_to_the_disk_while_it_is_written(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    """Every WRITEBACK bytes the writer asks the kernel to start writing them back (so the final fsync waits for
    little); the asks cover the file in order, and the file and its digest are what was given."""
    if not hasattr(os, "posix_fadvise"):
        pytest.skip("no posix_fadvise on this platform")
    import hashlib

    from verify.report import io

    asked: list[tuple[int, int]] = []
    real = os.posix_fadvise
    monkeypatch.setattr(io._Sink, "WRITEBACK", 10)
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, offset, length, advice: (asked.append((offset, length)),
                                                                                   real(fd, offset, length, advice)))
    pieces = [bytes([65 + n]) * 600_000 for n in range(3)]  # written as two blocks of about 1 MB
    target = tmp_path / "report.json"
    tmp, digest, size = io._stage(target, iter(pieces))
    data = b"".join(pieces)
    assert tmp.read_bytes() == data and size == len(data) and digest == hashlib.sha256(data).hexdigest()
    assert asked == [(0, 1_200_000), (1_200_000, 600_000)]
