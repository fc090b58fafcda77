"""Whatever a user throws at `verify claims`: one clear message, good files still processed, no traceback."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from verify.cli import app

runner = CliRunner()

NEWS = "The Soviet Union declared war on Japan on Aug {day}, 1945, {who} reported on Thursday.\n"


def test_thousands_of_tiny_files(fake_env, tmp_path):
    for i in range(1000):
        (tmp_path / f"a{i:04d}.txt").write_text(NEWS.format(day=1 + (i % 500) % 28, who=f"Outlet{i % 500}"))
    (tmp_path / "empty-subfolder").mkdir()
    result = runner.invoke(app, ["claims", str(tmp_path), "--json", "--top-k", "2"])
    assert result.exit_code == 0, result.output[-500:]
    data = json.loads(result.stdout)
    assert len(data["sources"]) == 500  # the other 500 files repeat a text: dropped as duplicates
    assert result.stderr.count("duplicate") == 500
    assert data["pairs"]


def test_bad_files_are_skipped_and_good_ones_kept(fake_env, tmp_path):
    (tmp_path / "good-a.md").write_text("---\nsource: Alpha\ndate: 2024-08-16\n---\n" + NEWS.format(day=8, who="KCNA"))
    (tmp_path / "good-b.md").write_text("---\nsource: Beta\ndate: 2024-08-16\n---\n" + NEWS.format(day=9, who="Yonhap"))
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01PNG\x00" * 50)
    (tmp_path / "latin1.txt").write_bytes("Le d\xe9put\xe9 a dit que Kim avait visit\xe9 Moscou en 2019.\n".encode("cp1252"))
    (tmp_path / "hostile.html").write_text(
        "<html><head><script>alert(1)</script><style>p{}</style></head><body><article><p>"
        "Kim met Putin in Vladivostok on April 25, 2019, <b>officials</b> said.</p></article></body></html>")
    (tmp_path / "broken-link.txt").symlink_to(tmp_path / "does-not-exist.txt")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    result = runner.invoke(app, ["claims", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output[-800:]
    assert "Traceback" not in result.output
    names = {s["name"] for s in json.loads(result.stdout)["sources"]}
    assert {"Alpha", "Beta"} <= names and len(names) >= 4
    for word in ("empty.txt", "binary.txt", "broken-link.txt", "notes.docx"):
        assert word in result.stderr, word
    claims = json.loads(result.stdout)["claims"]
    assert not any("alert(1)" in c["text"] for c in claims)


def test_enormous_file_is_refused_with_a_message(fake_env, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("Kim visited Moscow in 2019. " * 250_000)  # about 7 MB, over the 5 MB limit
    result = runner.invoke(app, ["claims", str(big)])
    assert result.exit_code == 1 and "Error:" in result.output and "Traceback" not in result.output


def test_lone_surrogates_from_json_escapes_and_utf16(tmp_path):
    from verify.ingest import load_articles

    (tmp_path / "a.jsonl").write_text('{"text": "Kim visited Moscow in 2019 \\udcff and met Putin.", "source": "S\\ud800"}\n')
    (tmp_path / "b.txt").write_bytes("Kim met Putin in 2019.".encode("utf-16") + b"\x00\xd8")  # a lone high surrogate
    articles = load_articles([tmp_path], on_warning=lambda m: None)
    assert len(articles) == 2
    for a in articles:
        a.text.encode("utf-8")  # no lone surrogate survives ingest
        assert len(a.offsets) == len(a.text) + 1


@pytest.mark.slow
def test_fuzz_smoke():
    from tests.fuzz.fuzz_inputs import main

    assert main(["--n", "300", "--seed", "1"]) == 0


def test_fuzz_hostile_kinds_smoke(capsys):
    """Every hostile input kind of the fuzzer (front matter aliases, FIFOs and devices, markup-like and
    control/bidi strings, deep nesting, lone surrogates), a few of each, through ingest and all reports."""
    from tests.fuzz.fuzz_inputs import HOSTILE, main

    assert len(HOSTILE) == 4
    assert main(["--n", "24", "--seed", "7", "--hostile-share", "1"]) == 0
    assert "24 inputs (24 hostile), 0 crashes, 0 slower" in capsys.readouterr().out
