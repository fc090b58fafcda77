"""Issue 14: hostile and odd inputs. Each case ends within seconds with one clear line and the right
exit code; good files in the same run are still processed; nothing from the data reaches the terminal
raw or makes a report fetch or run anything."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from verify.cli import app
from verify.errors import ConfigError, InputError
from verify.ingest import load_articles

runner = CliRunner()

NEWS = "Kim Jong-un met Vladimir Putin in Vladivostok on April 25, 2019, {who} reported on Thursday.\n"
ESC = "\x1b"
BILLION_LAUGHS = """---
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
date: *g
---
"""


def load(*paths: Path, **kwargs):
    warnings: list[str] = []
    return load_articles(list(paths), on_warning=warnings.append, **kwargs), warnings


def good_pair(folder: Path) -> None:
    """Two good articles from two outlets: a run over the folder must keep both."""
    (folder / "good-a.md").write_text("---\nsource: Alpha\ndate: 2024-08-16\n---\n" + NEWS.format(who="KCNA"))
    (folder / "good-b.md").write_text("---\nsource: Beta\ndate: 2024-08-16\n---\n" + NEWS.format(who="Yonhap"))


def claims_json(*args: str):
    result = runner.invoke(app, ["claims", *args, "--json", "--no-store"])
    assert "Traceback" not in result.output
    return result


# ----------------------------------------------------------------------------- 1. front matter aliases


def test_billion_laughs_front_matter_is_refused_quickly_and_quoted_short(tmp_path):
    path = tmp_path / "laughs.md"
    path.write_text(BILLION_LAUGHS + NEWS.format(who="KCNA"))
    assert path.stat().st_size < 500
    tracemalloc.start()
    started = time.perf_counter()
    (article,), warnings = load(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 20_000_000  # the alias graph would be 9**7 = 4.8 million strings
    assert article.date_source != "metadata" and "Putin" in article.text
    (warning,) = warnings
    assert "aliases" in warning and len(warning) < 300


def test_front_matter_limits_size_depth_and_quotes_values_short(tmp_path):
    (tmp_path / "huge.md").write_text("---\ntitle: " + "x" * 70_000 + "\n---\n" + NEWS.format(who="A"))
    (tmp_path / "deep.md").write_text("---\nsource: " + "[" * 5000 + "]" * 5000 + "\n---\n" + NEWS.format(who="B"))
    (tmp_path / "long-date.md").write_text("---\ndate: " + "z" * 50_000 + "\n---\n" + NEWS.format(who="C"))
    articles, warnings = load(tmp_path)
    assert len(articles) == 3
    assert any("huge.md: unreadable front matter (longer than" in w for w in warnings)
    assert any("deep.md: unreadable front matter (nested deeper than" in w for w in warnings)
    assert any("long-date.md: unreadable date" in w for w in warnings)
    assert all(len(w) < 400 for w in warnings), [len(w) for w in warnings]


# ----------------------------------------------------------------------------- 2. unbounded reads


def test_devices_and_fifos_are_refused_unread(tmp_path):
    good_pair(tmp_path)
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe.txt")
    started = time.perf_counter()
    articles, warnings = load(tmp_path)
    assert time.perf_counter() - started < 5
    assert {a.source for a in articles} == {"Alpha", "Beta"}
    assert any("zero.txt: not a regular file (a device)" in w for w in warnings)
    assert any("pipe.txt: not a regular file (a FIFO)" in w for w in warnings)
    # named explicitly, on the command line
    result = runner.invoke(app, ["claims", str(tmp_path / "pipe.txt"), str(tmp_path / "zero.txt")])
    assert result.exit_code == 1 and "Error:" in result.output and "not a regular file" in result.output


def test_size_cap_is_checked_while_reading():
    from verify.ingest.files import SkipFile as _Skip, read_bounded

    status = Path("/proc/self/status")  # st_size 0, yet it has content: the cap must hold while reading
    if not status.exists() or status.stat().st_size:
        pytest.skip("needs Linux /proc")
    with pytest.raises(_Skip, match="more than max_file_bytes=10 bytes"):
        read_bounded(status, 10)


# ----------------------------------------------------------------------------- 3. markup-like text


def test_markup_like_paths_and_metadata_never_raise(fake_env, tmp_path):
    folder = tmp_path / "news [" / "red] and [bold]"  # the path reads "news [/red] and [bold]"
    folder.mkdir(parents=True)
    assert "[/red]" in str(folder)
    (folder / "a.md").write_text("---\nsource: '[/red]Alpha[/bold]'\ntitle: '[link=x]t[/link]'\n---\n"
                                        + NEWS.format(who="KCNA"))
    (folder / "b.md").write_text("---\nsource: Beta\ndate: '[/red]'\n---\n" + NEWS.format(who="Yonhap"))
    result = runner.invoke(app, ["claims", str(folder), "--no-store"])
    assert result.exit_code == 0, result.output
    assert "[/red]Alpha[/bold]" in result.stdout  # shown literally
    assert "unreadable date '[/red]'" in result.stderr
    missing = runner.invoke(app, ["claims", str(tmp_path / "x [" / "bold]missing.txt")])
    assert missing.exit_code == 1 and "Traceback" not in missing.output
    assert "Error: " in missing.stderr and "x [/bold]missing.txt" in missing.stderr


# ----------------------------------------------------------------------------- 4. terminal and report injection

HOSTILE_SOURCE = "Evil\x1b]8;;http://evil.example\x07News\x1b[2J\x9b31m"


def _hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.md").write_text(
        "---\n"
        f"source: {json.dumps(HOSTILE_SOURCE)}\n"
        "title: \"[click](javascript:alert(1)) ![pixel](http://evil.example/p.png) <img src=x>\"\n"
        "date: 2024-08-16\n---\n" + NEWS.format(who="KCNA"))
    (folder / "b.md").write_text("---\nsource: \"\u202eBeta\"\ndate: 2024-08-16\n---\n"
                                 + NEWS.format(who="Yonhap") + "\n" + "W" * 20_000 + "\n")
    return folder


def test_escape_sequences_never_reach_the_terminal_or_reports(fake_env, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["claims", str(_hostile_folder(tmp_path)), "--out", str(out), "--no-store"])
    assert result.exit_code == 0, result.output
    for text in (result.stdout, result.stderr):
        assert ESC not in text and "\x07" not in text and "\x9b" not in text and "\u202e" not in text
    assert "Evil]8;;http://evil.exam" in result.stdout  # the name, inert (the table may cut it short)
    md = (out / "report.md").read_text(encoding="utf-8")
    assert ESC not in md and "\x9b" not in md and "\u202e" not in md
    json_report = (out / "report.json").read_text(encoding="utf-8")
    assert "\x9b" not in json_report and "\\u009b" in json_report  # C1 CSI written as an escape
    assert HOSTILE_SOURCE in json.loads(json_report)["sources"][0]["name"]  # the JSON keeps the data exactly
    printed = runner.invoke(app, ["claims", str(tmp_path / "in"), "--json", "--no-store"])
    assert "\x9b" not in printed.stdout and json.loads(printed.stdout)["sources"][0]["name"] == HOSTILE_SOURCE
    shown = runner.invoke(app, ["show", str(out / "report.json")])
    assert shown.exit_code == 0 and ESC not in shown.stdout and "\x9b" not in shown.stdout
    shown_md = runner.invoke(app, ["show", str(out / "report.json"), "--format", "md"])
    assert ESC not in shown_md.stdout


def test_markdown_from_metadata_is_inert(fake_env, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["claims", str(_hostile_folder(tmp_path)), "--out", str(out), "--no-store",
                                 "--format", "md"])
    assert result.exit_code == 0, result.output
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "[click](javascript" not in md and "![pixel](" not in md and not re.search(r"(?<!\\)<img", md)
    assert r"\[click\](javascript:alert(1)) !\[pixel\](http://evil.example/p.png) \<img src=x\>" in md


def test_markdown_escape_covers_every_live_construct():
    from verify.report.markdown import escape as _md

    for live in ("[a](http://x)", "![i](http://x/p.png)", "<script>", "<http://x>", "**b**", "`c`", "[r][1]",
                 "# h", "a|b", "~~s~~", "_e_"):
        escaped = _md(live)
        assert not re.search(r"(?<!\\)[\[\]<>*`#|~_]", escaped), (live, escaped)


def test_html_isolates_bidi_and_wraps_long_words(fake_env, tmp_path):
    from verify.report.html import CSS as _CSS

    out = tmp_path / "out"
    result = runner.invoke(app, ["claims", str(_hostile_folder(tmp_path)), "--out", str(out), "--no-store",
                                 "--format", "html"])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "\x1b" not in page and "\x9b" not in page
    # every bidi override sits inside an isolating element: <bdi>, or an element with dir="auto"
    for match in re.finditer("\u202e", page):
        before = page[: match.start()]
        if before.rfind("<") > before.rfind(">"):
            continue  # an attribute value: never shown
        isolating = [m.group(1) for m in re.finditer(r"<(bdi|[a-z0-9]+ [^>]*dir=\"auto\")[^>]*>", before)]
        closed = before.rfind("</bdi>") > before.rfind("<bdi>") if isolating[-1:] == ["bdi"] else False
        assert isolating and not closed, page[match.start() - 200 : match.start()]
    assert '<option value="\u202eBeta">\u2068\u202eBeta\u2069</option>' in page
    assert "overflow-wrap: anywhere" in _CSS and re.search(r"body \{[^}]*overflow-wrap: anywhere", _CSS)
    assert '<div class="article-text" dir="auto">' in page and "W" * 20_000 in page


# ----------------------------------------------------------------------------- 5. one bad file never aborts the run


def test_bad_files_become_warnings_and_the_rest_is_processed(fake_env, tmp_path, monkeypatch):
    good_pair(tmp_path)
    (tmp_path / "time.md").write_text("---\ndate: 2019-04-23T25:99:99\n---\n" + NEWS.format(who="AP"))
    (tmp_path / "tagged.md").write_text("---\ndate: !!timestamp 2019-04-23T25:99:99\n---\n" + NEWS.format(who="AFP"))
    (tmp_path / "deep.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n"
                                         + json.dumps({"text": NEWS.format(who="Reuters"), "source": "J"}) + "\n")
    (tmp_path / "side.txt").write_text(NEWS.format(who="BBC"))
    (tmp_path / "side.meta.json").write_text('{"source": ' + "[" * 20_000 + "]" * 20_000 + "}")
    (tmp_path / "sur.txt").write_text(NEWS.format(who="CNN"))
    (tmp_path / "sur.meta.json").write_text('{"source": "S\\ud800", "title": "T\\udcff"}')
    (tmp_path / "sur-yaml.md").write_text('---\nsource: "Y\\ud800"\n---\n' + NEWS.format(who="NHK"))
    (tmp_path / "year1.md").write_text("---\ndate: 0001-01-01\n---\n" + NEWS.format(who="TASS"))
    (tmp_path / "locked.txt").write_text(NEWS.format(who="Xinhua"))
    real_open = os.open

    def deny(path, flags, *args, **kwargs):  # root reads anything: simulate an unreadable file
        if str(path).endswith("locked.txt"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    long_name = str(tmp_path / ("n" * 300 + ".txt"))
    store = tmp_path / "store.sqlite"
    result = runner.invoke(app, ["claims", str(tmp_path), long_name, "--json", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "Internal error" not in result.output and "Traceback" not in result.output
    data = json.loads(result.stdout)
    names = {s["name"] for s in data["sources"]}
    assert {"Alpha", "Beta", "J", "S\ufffd", "Y\ufffd"} <= names
    err = result.stderr
    for expected in ("deep.jsonl:1: JSON nested too deeply", "side.meta.json: unreadable metadata (nested too deeply)",
                     "tagged.md: unreadable front matter", "year1.md: unreadable date '0001-01-01'",
                     "locked.txt: cannot be read (Permission denied)", "cannot be read (File name too long)"):
        assert expected in err, expected
    dates = {s["path"].rsplit("/", 1)[-1]: s["date"] for s in data["sources"]}
    assert dates["time.md"] == "2019-04-23"  # timestamps stay strings; the valid day is kept


def test_date_override_of_year_one_is_a_user_error(fake_env, tmp_path):
    good_pair(tmp_path)
    result = runner.invoke(app, ["claims", str(tmp_path), "--date", "0001-01-01"])
    assert result.exit_code == 1 and "between 1000 and 2999" in result.stderr


# ----------------------------------------------------------------------------- 6. report sets


def _fake_report():
    from tests.report.samples import hostile_report

    return hostile_report()


def test_report_set_has_a_manifest_matching_its_files(tmp_path):
    import hashlib

    from verify.report import MANIFEST, write_reports

    written: list[Path] = []
    paths = write_reports(_fake_report(), tmp_path, ["json", "md", "html"], on_written=written.append)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert written == [*paths, tmp_path / MANIFEST]
    assert manifest["complete"] and manifest["run"] and set(manifest["files"]) == {p.name for p in paths}
    for path in paths:
        entry = manifest["files"][path.name]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["bytes"] == path.stat().st_size


def test_full_disk_replaces_nothing_and_says_so(tmp_path, monkeypatch):
    from verify.report import MANIFEST, ReportWriteError, write_reports

    write_reports(_fake_report(), tmp_path, ["json", "md", "html"])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_fdopen = os.fdopen
    calls = {"n": 0}

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.handle, name)

    def fdopen(fd, *args, **kwargs):
        calls["n"] += 1
        handle = real_fdopen(fd, *args, **kwargs)
        return Full(handle) if calls["n"] == 2 else handle  # the second file hits a full disk

    monkeypatch.setattr(os, "fdopen", fdopen)
    with pytest.raises(ReportWriteError, match="No space left on device.*nothing was replaced"):
        write_reports(_fake_report(), tmp_path, ["json", "md", "html"])
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temp file left, old set whole
    assert MANIFEST in before


def test_interrupt_during_the_renames_is_held_until_the_set_is_complete(tmp_path, monkeypatch):
    import hashlib

    from verify.report import MANIFEST, write_reports

    real_replace = os.replace
    sent = []

    def replace(src, dst):
        if not sent:
            sent.append(dst)
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between the first and second rename
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    # Python's own Ctrl-C handler: an earlier test in the same process (Ray's init) may have replaced it
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            write_reports(_fake_report(), tmp_path, ["json", "md", "html"])
    finally:
        signal.signal(signal.SIGINT, previous)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == entry["sha256"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_names_each_written_file(fake_env, tmp_path):
    good_pair(tmp_path)
    result = runner.invoke(app, ["claims", str(tmp_path), "--out", str(tmp_path / "out"), "--no-store"])
    assert result.exit_code == 0, result.output
    for name in ("report.json", "report.md", "report.html", "report.manifest.json"):
        assert f"Wrote {tmp_path / 'out' / name}" in result.stderr


# ----------------------------------------------------------------------------- 7. large inputs


def _archive(path: Path, n: int) -> None:
    with path.open("w") as handle:
        for i in range(n):
            handle.write(json.dumps({"text": f"Story {i}: " + NEWS.format(who=f"Outlet {i}") * 6,
                                     "source": f"S{i % 7}"}) + "\n")


def test_jsonl_archive_over_the_file_cap_is_streamed(tmp_path):
    path = tmp_path / "archive.jsonl"
    _archive(path, 500)
    assert path.stat().st_size > 300_000
    articles, warnings = load(path, max_bytes=100_000)  # the file cap is for single articles, not archives
    assert len(articles) == 500 and not warnings


@pytest.mark.slow
def test_jsonl_archive_of_ten_thousand_articles(tmp_path):
    path = tmp_path / "archive.jsonl"
    _archive(path, 10_000)
    assert path.stat().st_size > 5_000_000  # the size the issue saw refused with "no usable article"
    articles, warnings = load(path)
    assert len(articles) == 10_000 and not warnings


def test_jsonl_record_cap_skips_only_the_big_record(tmp_path):
    path = tmp_path / "archive.jsonl"
    path.write_text(json.dumps({"text": NEWS.format(who="A"), "source": "A"}) + "\n"
                    + json.dumps({"text": "x " * 600_000, "source": "big"}) + "\n"
                    + json.dumps({"text": NEWS.format(who="B"), "source": "B"}) + "\n")
    articles, warnings = load(path, max_record_bytes=1_000_000)
    assert [a.source for a in articles] == ["A", "B"]
    assert warnings == [f"{path}:2: record is over max_record_bytes=1,000,000, skipped"]


def test_caps_are_settings(fake_env, tmp_path, monkeypatch):
    good_pair(tmp_path)
    (tmp_path / "long.txt").write_text(NEWS.format(who="AP") * 40)
    monkeypatch.setenv("VERIFY_MAX_FILE_BYTES", "1000")
    result = claims_json(str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "long.txt: file is too big" in result.stderr and "max_file_bytes=1,000" in result.stderr


# ----------------------------------------------------------------------------- 8. flags that did nothing


def test_allow_download_leaves_the_hub_online(fake_env, tmp_path, monkeypatch):
    good_pair(tmp_path)
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(key, raising=False)
    assert claims_json(str(tmp_path), "--allow-download").exit_code == 0
    assert "HF_HUB_OFFLINE" not in os.environ
    assert claims_json(str(tmp_path)).exit_code == 0
    assert os.environ.get("HF_HUB_OFFLINE") == "1"  # offline by default


def test_allow_download_reaches_the_hub(tmp_path):
    """End to end in a fresh process (huggingface_hub reads HF_HUB_OFFLINE once, at import): `verify claims
    --allow-download` with a Hub id reaches the Hub client online; without the flag it is offline."""
    good_pair(tmp_path)
    code = (
        "import sys\n"
        "import verify.models.resolve\n"
        "def hub(repo_id, revision, allow_download):\n"
        "    import huggingface_hub.constants as c\n"
        "    print('HUB', 'offline' if c.HF_HUB_OFFLINE else 'online', allow_download, flush=True)\n"
        "    return None\n"
        "verify.models.resolve._hub = hub\n"
        "from verify.cli import main\n"
        "sys.argv = ['verify', 'claims', sys.argv[1], '--embed-model', 'hash', '--nli-model', 'someone/nli-model',"
        " '--no-store'] + sys.argv[2:]\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    for flags, expected in ((["--allow-download"], "HUB online True"), ([], "HUB offline False")):
        done = subprocess.run([sys.executable, "-c", code, str(tmp_path), *flags], capture_output=True, text=True,
                              env=env, timeout=300, check=False)
        assert expected in done.stdout, done.stdout[-300:] + done.stderr[-500:]
        assert done.returncode == 1 and "Error:" in done.stderr  # the fake Hub has no such model


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_verify_config_must_name_a_file(fake_env, tmp_path, monkeypatch, kind):
    good_pair(tmp_path)
    target = tmp_path / ("nope.toml" if kind == "missing" else "")
    monkeypatch.setenv("VERIFY_CONFIG", str(target))
    result = runner.invoke(app, ["claims", str(tmp_path)])
    assert result.exit_code == 1
    assert f"VERIFY_CONFIG={target}: " + ("no such file" if kind == "missing" else "is a folder") in result.stderr


def test_ray_address_where_nothing_answers_fails_in_seconds(fake_env, tmp_path):
    from verify.pipeline.engine_ray import check_address

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="nothing answers there"):
        check_address(f"ray://127.0.0.1:{port}")
    with pytest.raises(ConfigError, match="give HOST:PORT"):
        check_address("not-an-address")
    good_pair(tmp_path)
    result = runner.invoke(app, ["claims", str(tmp_path), "--engine", "ray", "--ray-address", f"127.0.0.1:{port}"])
    assert result.exit_code == 1 and "nothing answers there" in result.stderr
    assert time.perf_counter() - started < 15


def test_ray_address_auto_without_a_cluster_is_one_line(tmp_path, monkeypatch):
    pytest.importorskip("ray")
    from verify.pipeline.engine_ray import ray_module

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path))  # no cluster address file from another test run
    started = time.perf_counter()
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(ConfigError, match="cannot join the Ray cluster"):
        ray_module("auto")
    assert time.perf_counter() - started < 30
    assert signal.getsignal(signal.SIGTERM) == before  # Ray's own handler does not outlive the failed start


# ----------------------------------------------------------------------------- 9. work kept, runs marked, codes true


def test_nli_scores_are_stored_per_batch_and_survive_an_interrupt(tmp_path):
    from verify.models.fakes import CountingJudge
    from verify.pipeline.caches import STORE_EVERY, CachedJudge
    from verify.pipeline.store import Store

    store = Store(tmp_path / "s.sqlite")
    texts = [(f"premise {i}", f"hypothesis {i}") for i in range(3 * STORE_EVERY)]
    with pytest.raises(KeyboardInterrupt):
        CachedJudge(CountingJudge(fail_after=2), store).predict(texts)
    assert store.counts()["nli_scores"] == 2 * STORE_EVERY  # two chunks done before the interrupt, kept
    inner = CountingJudge()
    CachedJudge(inner, store).predict(texts)
    assert len(inner.seen) == STORE_EVERY  # the re-run scores only what was lost


def test_identical_pairs_are_scored_once(tmp_path):
    from verify.models.fakes import CountingJudge
    from verify.pipeline.caches import CachedJudge

    inner = CountingJudge()
    judge = CachedJudge(inner, None)
    texts = [("a", "b"), ("b", "a"), ("a", "b"), ("a", "b")]
    out = judge.predict(texts)
    assert len(out) == 4 and out[0] is out[2] is out[3]
    assert sorted(inner.seen) == [("a", "b"), ("b", "a")] and judge.duplicates == 2


def test_invalid_utf8_is_replaced_with_a_warning_not_read_as_cp1252(tmp_path):
    path = tmp_path / "damaged.txt"
    path.write_bytes("Kim’s visit to Vladivostok — a “historic” summit, officials said on Thursday.".encode()
                     + b" Then \xff he left.")
    (article,), warnings = load(path)
    assert "Kim’s visit" in article.original and "\ufffd" in article.original  # not "Kimâ€™s"
    assert warnings == [f"{path}: 1 invalid UTF-8 byte sequence replaced with U+FFFD"]


def test_one_nul_byte_drops_one_jsonl_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(json.dumps({"text": NEWS.format(who="A"), "source": "A"}).encode() + b"\n"
                     + b'{"text": "bad\x00line"}\n'
                     + json.dumps({"text": NEWS.format(who="B"), "source": "B"}).encode() + b"\n")
    articles, warnings = load(path)
    assert [a.source for a in articles] == ["A", "B"]
    assert warnings == [f"{path}:2: NUL bytes in the line, skipped"]


def test_a_killed_run_is_marked_stale(tmp_path):
    from verify.pipeline.store import Store

    db = tmp_path / "s.sqlite"
    code = (f"import os, signal\nfrom verify.pipeline.store import Store\ns = Store({str(db)!r})\ns.start_run('x', {{}})\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    subprocess.run([sys.executable, "-c", code], timeout=60)
    (run,) = Store(db).runs()
    assert run["status"] == "stale"


def test_sigterm_is_handled_like_ctrl_c(fake_env, tmp_path, monkeypatch):
    from verify.pipeline.core import Pipeline
    from verify.pipeline.store import Store

    good_pair(tmp_path)
    real_run = Pipeline._run

    def terminated(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        return real_run(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "_run", terminated)
    store = tmp_path / "s.sqlite"
    before = signal.getsignal(signal.SIGTERM)
    result = runner.invoke(app, ["claims", str(tmp_path), "--store", str(store)])
    assert result.exit_code == 143 and "Terminated." in result.stderr and "Traceback" not in result.output
    assert [r["status"] for r in Store(store).runs()] == ["interrupted"]
    assert signal.getsignal(signal.SIGTERM) == before  # the handler is removed afterwards


@pytest.mark.parametrize("args", [["claims", "--bogus"], ["claims"], ["claims", "x", "--top-k", "many"],
                                  ["store", "info", "--runs", "-1"], ["no-such-command"]])
def test_usage_errors_are_user_errors(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output


def test_internal_errors_keep_exit_2(fake_env, tmp_path, monkeypatch):
    from verify.pipeline import core as pipeline

    good_pair(tmp_path)
    monkeypatch.setattr(pipeline.Pipeline, "run", lambda *a, **k: 1 / 0)
    result = runner.invoke(app, ["claims", str(tmp_path), "--no-store"])
    assert result.exit_code == 2 and result.stderr.startswith("Internal error: ZeroDivisionError")


def test_input_error_message_is_one_line_for_a_newline_in_a_name(tmp_path):
    folder = tmp_path / "two\nlines"
    folder.mkdir()
    with pytest.raises(InputError):
        load_articles([folder])
    result = runner.invoke(app, ["claims", str(folder)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "two\\nlines" in result.stderr


def test_undecodable_file_name_reaches_store_and_reports(fake_env, tmp_path):
    good_pair(tmp_path)
    name = os.path.join(os.fsencode(tmp_path), b"caf\xe9-\xff.txt")  # not UTF-8: a lone surrogate in Python
    with open(name, "wb") as handle:
        handle.write(NEWS.format(who="Le Monde").encode())
    store = tmp_path / "s.sqlite"
    result = runner.invoke(app, ["claims", str(tmp_path), "--json", "--store", str(store),
                                 "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    names = {s["name"] for s in json.loads(result.stdout)["sources"]}
    assert "caf\ufffd-\ufffd" in names
    assert (tmp_path / "o" / "report.md").read_text(encoding="utf-8")


def test_show_warns_about_a_report_the_manifest_does_not_name(tmp_path):
    from verify.report import manifest_problem, write_reports

    write_reports(_fake_report(), tmp_path, ["json", "md"])
    assert manifest_problem(tmp_path / "report.json") is None
    stale = tmp_path / "report.json"
    stale.write_text(stale.read_text() + "\n")  # as if another run wrote it
    assert "does not match" in manifest_problem(stale)
    result = runner.invoke(app, ["show", str(stale), "--format", "md"])
    assert result.exit_code == 0 and "Warning: " in result.stderr and "does not match" in result.stderr


@pytest.mark.parametrize("unit", ["**a ", "*a ", "`a ", "[a", "![a](", "[a](" + "x" * 80])
def test_markdown_markup_that_never_closes_is_linear(tmp_path, unit):
    """Each opener of a bold/italic/link/image span used to scan to the end of its line: 40,000 of them
    on one line took minutes. Bounded, possessive patterns keep it linear."""
    path = tmp_path / "unclosed.md"
    path.write_text("Kim met Putin in Vladivostok on April 25, 2019, officials said. " + unit * 40_000 + "\n")
    started = time.perf_counter()
    (article,), _ = load(path)
    assert time.perf_counter() - started < 10
    assert article.text.startswith("Kim met Putin")
