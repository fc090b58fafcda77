"""CLI behaviour with the fakes: exit codes, one-line errors, JSON on stdout, reports on disk."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from verify.cli import app
from verify.report import SCHEMA_VERSION

from ..conftest import SEEDS

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def assert_user_error(result, text: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output and text in result.output
    assert "Traceback" not in result.output


def test_claims_on_seeds_prints_valid_json(fake_env):
    result = invoke("claims", str(SEEDS), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == SCHEMA_VERSION
    assert len(data["sources"]) == 3
    assert {s["name"] for s in data["sources"]} >= {"The Independent"}
    assert data["claims"] and data["pairs"]
    for c in data["claims"]:
        assert len(c["span"]) == 2 and c["span"][0] < c["span"][1]
    assert data["meta"]["models"]["nli"]["name"] == "keyword"
    assert list(data["meta"]["timings_s"])[:2] == ["ingest", "claims"]  # the library reads the files, timed


def test_claims_writes_reports(fake_env, tmp_path):
    out = tmp_path / "out"
    result = invoke("claims", str(SEEDS), "--out", str(out), "--format", "json,md")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.manifest.json", "report.md"]
    assert "Contradictions" in (out / "report.md").read_text()


def test_terminal_output_has_tables(fake_env):
    result = invoke("claims", str(SEEDS))
    assert result.exit_code == 0, result.output
    assert "Sources" in result.stdout or "sources" in result.stdout.lower()


@pytest.mark.parametrize(
    "args, text",
    [
        (("claims", "does/not/exist"), "no such file"),
        (("claims", "SEEDS", "--format", "pdf"), "unknown format"),
        (("claims", "SEEDS", "--top-k", "0"), "top_k"),
        (("claims", "SEEDS", "--fail-on", "neutral"), "--fail-on"),
    ],
)
def test_bad_input_is_one_line_error(fake_env, args, text):
    args = tuple(str(SEEDS) if a == "SEEDS" else a for a in args)
    assert_user_error(invoke(*args), text)


def test_empty_folder_and_binary_file(fake_env, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_user_error(invoke("claims", str(empty)), "")
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x00\x01\x02binary\x00")
    assert_user_error(invoke("claims", str(binary)), "")


def test_unknown_model_alias_suggests(monkeypatch):
    monkeypatch.setenv("VERIFY_EMBED_MODEL", "hash")
    result = invoke("claims", str(SEEDS), "--nli-model", "verify-nli-minlm")
    assert_user_error(result, "did you mean 'verify-nli-minilm'")


def test_single_source_warns_but_runs(fake_env, tmp_path):
    one = tmp_path / "one"
    one.mkdir()
    src = sorted(SEEDS.glob("*.txt"))[0]
    shutil.copy(src, one / src.name)
    result = invoke("claims", str(one), "--json")
    assert result.exit_code == 0, result.output
    assert "only one source" in result.stderr
    assert json.loads(result.stdout)["pairs"] == []


def test_fail_on_contradict_exit_code(fake_env, tmp_path):
    for name, text in [("a.md", "---\nsource: Alpha\n---\nThe Soviet Union declared war on Japan on Aug 8, 1945.\n"),
                       ("b.md", "---\nsource: Beta\n---\nThe Soviet Union declared war on Japan on Aug 9, 1945.\n")]:
        (tmp_path / name).write_text(text)
    result = invoke("claims", str(tmp_path), "--fail-on", "contradict", "--json")
    assert result.exit_code == 3, result.output
    pairs = json.loads(result.stdout)["pairs"]
    assert pairs[0]["verdict"] == "contradict" and "1945-08-08" in pairs[0]["conflicts"][0]


def test_models_list_json():
    result = invoke("models", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {"verify-nli-minilm", "all-MiniLM-L6-v2", "nli-deberta-v3-base"} <= {r["alias"] for r in rows}


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.startswith("verify ")


def test_pair_command_explains_a_date_conflict(fake_env):
    result = invoke("pair", "The Soviet Union declared war on Japan on Aug 8, 1945.",
                    "The USSR declared war on Japan on August 9, 1945.", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "contradict"
    assert "1945-08-08 vs 1945-08-09" in data["reason"]
    assert data["a"]["entities"] == ["Soviet Union", "Japan"]


def test_pair_command_compatible_dates_and_empty_input(fake_env):
    result = invoke("pair", "The USSR declared war on Japan in 1945.", "The USSR declared war on Japan on Aug 8, 1945.",
                    "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] != "contradict"
    assert_user_error(invoke("pair", " ", "x"), "both claims")


def test_show_rerenders_a_saved_report(fake_env, tmp_path):
    assert invoke("claims", str(SEEDS), "--out", str(tmp_path), "--format", "json,md").exit_code == 0
    saved = tmp_path / "report.json"
    md = invoke("show", str(saved), "--format", "md")
    assert md.exit_code == 0, md.output
    assert md.stdout == (tmp_path / "report.md").read_text()  # the same Markdown as the original run
    html_out = tmp_path / "again.html"
    assert invoke("show", str(saved), "-f", "html", "-o", str(html_out)).exit_code == 0
    assert html_out.read_text().startswith("<!DOCTYPE html>")
    again = invoke("show", str(saved), "-f", "json")
    assert json.loads(again.stdout)["pairs"] == json.loads(saved.read_text())["pairs"]
    assert invoke("show", str(saved)).exit_code == 0


def test_show_bad_input(tmp_path):
    assert_user_error(invoke("show", str(tmp_path / "missing.json")), "")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert_user_error(invoke("show", str(bad)), "")
    assert_user_error(invoke("show", str(bad), "-f", "pdf"), "unknown format")


def test_date_override(fake_env):
    result = invoke("claims", str(SEEDS), "--json", "--date", "004_fa41245d04f6e4dd=2019-04-24", "--date",
                    "000_04de47457a69673e.txt=2024-08-17")
    assert result.exit_code == 0, result.output
    dates = {s["path"].rsplit("/", 1)[-1]: (s["date"], s["date_source"]) for s in json.loads(result.stdout)["sources"]}
    assert dates["004_fa41245d04f6e4dd.txt"] == ("2019-04-24", "command line")
    assert dates["000_04de47457a69673e.txt"] == ("2024-08-17", "command line")
    assert dates["003_19297d05e1626443.txt"] == ("2021-07-29", "metadata")
    assert_user_error(invoke("claims", str(SEEDS), "--date", "yesterday"), "YYYY-MM-DD")
    assert_user_error(invoke("claims", str(SEEDS), "--date", "nope.txt=2020-01-01"), "no article file")


def test_fail_on_counts_disputes(fake_env, tmp_path):
    (tmp_path / "a.md").write_text("---\nsource: Alpha\n---\nKCNA said the Red Army liberated Korea from Japan in 1945.\n")
    (tmp_path / "b.md").write_text("---\nsource: Beta\n---\nThe Red Army did not liberate Korea from Japan in 1945.\n")
    result = invoke("claims", str(tmp_path), "--fail-on", "contradict", "--json")
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout)["pairs"][0]["verdict"] == "disputed"


def test_help_into_a_closed_pipe_prints_no_traceback():
    import subprocess
    import sys

    run = subprocess.run(f"'{sys.executable}' -m verify claims --help | head -1", shell=True, capture_output=True,
                         text=True, timeout=120)
    assert "Traceback" not in run.stderr, run.stderr


def test_the_command_runs_with_the_collector_thresholds_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    """``verify`` (the entry point, not the library) has the cyclic collector run rarely while ``app`` runs, and
    leaves what the run made to the process's exit (frozen: not walked and freed object by object)."""
    import gc
    import importlib

    app_module = importlib.import_module("verify.cli.app")

    seen: list[tuple[int, ...]] = []
    before = gc.get_threshold()
    monkeypatch.setattr(app_module, "app", lambda: seen.append(gc.get_threshold()))
    frozen = gc.get_freeze_count()
    try:
        app_module.main()
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert seen == [app_module.GC_THRESHOLDS] and seen[0][0] > 10 * before[0]


def test_the_command_turns_numpy_huge_page_advice_off_unless_the_user_set_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """``verify`` runs with numpy's transparent-huge-page advice off (kernel compaction cost seconds of system time
    at 100k claims); NUMPY_MADVISE_HUGEPAGE, when set, is left to numpy."""
    import importlib

    from numpy._core.multiarray import _get_madvise_hugepage, _set_madvise_hugepage

    app_module = importlib.import_module("verify.cli.app")
    before, thresholds = _get_madvise_hugepage(), app_module.gc.get_threshold()
    seen: list[bool] = []
    monkeypatch.setattr(app_module, "app", lambda: seen.append(_get_madvise_hugepage()))
    monkeypatch.setattr(app_module.gc, "freeze", lambda: None)
    try:
        _set_madvise_hugepage(True)
        monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
        app_module.main()
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
        _set_madvise_hugepage(True)
        app_module.main()
    finally:
        _set_madvise_hugepage(before)
        app_module.gc.set_threshold(*thresholds)
    assert seen == [False, True]


def test_the_store_is_closed_whole_when_the_command_exits(fake_env, tmp_path):
    """The command leaves its objects to the process's exit (``gc.freeze``), but the store is closed first: its WAL
    is written back, so the database file alone holds the run (a copy of it, a backup, another reader)."""
    import sqlite3
    import subprocess
    import sys

    store = tmp_path / "store.sqlite"
    subprocess.run([sys.executable, "-m", "verify", "claims", str(SEEDS), "--store", str(store), "--format", "json",
                    "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300, check=True)
    assert not (tmp_path / "store.sqlite-wal").exists()
    alone = tmp_path / "copy.sqlite"
    shutil.copyfile(store, alone)
    runs = sqlite3.connect(alone).execute("SELECT status FROM runs").fetchall()
    assert runs == [("ok",)]
