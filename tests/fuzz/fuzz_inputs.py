"""Fuzz the input side: mutated seed articles in every format through ingest -> claims -> extractors,
and hostile inputs through ingest -> reports.

    python tests/fuzz/fuzz_inputs.py --n 10000 [--seed 0]

Writes each input to a temporary file (random suffix among .txt .md .html .jsonl, random encoding),
loads it with verify.ingest.load_articles, extracts claims and checks every span indexes the original
file. One input in three (--hostile-share) is hostile instead (see HOSTILE): YAML front matter with aliases, a FIFO or a
device among the inputs, markup-like strings, control and bidi characters in metadata, JSON/YAML nested
thousands deep, lone surrogates; its articles are also rendered (terminal, Markdown, HTML), which must
carry no control character, and each input must finish within SLOW_S seconds.
A crash is any exception other than a VerifyError (which is a clear, expected user error).
Prints a summary line and exits 1 when anything crashed or was slow.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from verify.extract.claims import ClaimExtractor
from verify.errors import VerifyError
from verify.ingest import load_articles

ROOT = Path(__file__).resolve().parents[2]
JUNK = ["\x00", "\ufeff", "\u202e", "’", "“", "\r\n", "\n\n\n", "<script>alert(1)</script>", "---\n", "?? — AFP ??",
        "bui\nlding", "😀", "\udcff", "Aug. 15, 1945", "1,500 tons", "In fact, ", "{\"text\": 1}", "&amp;", "<p>", " " * 50]


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 8)):
        op = rng.random()
        pos = rng.randint(0, len(text))
        if op < 0.3:
            text = text[:pos] + rng.choice(JUNK) + text[pos:]
        elif op < 0.5:
            text = text[:pos] + text[pos + rng.randint(1, 200):]
        elif op < 0.6:
            text = text[:pos] + "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 30))) + text[pos:]
        elif op < 0.7:
            lines = text.splitlines(keepends=True)
            rng.shuffle(lines)
            text = "".join(lines)
        elif op < 0.8:
            text = text[: rng.randint(0, len(text))]
        else:
            text = text + text[: rng.randint(0, 300)]
    return text


def wrap(text: str, suffix: str, rng: random.Random) -> str:
    if suffix == ".md" and rng.random() < 0.7:
        return f"---\nsource: {rng.choice(['X', 'Y', ':', '[a'])}\ndate: {rng.choice(['2024-08-16', 'nope', '1945'])}\n---\n{text}"
    if suffix == ".html":
        return f"<html><head><title>{text[:40]}</title><style>x</style></head><body><article>{text}</article></body></html>"
    if suffix == ".jsonl":
        import json

        return "\n".join(json.dumps({"text": part, "source": "J"}) for part in text.split("\n\n")) + "\n{bad json\n"
    return text


SLOW_S = 5.0
MARKUP = ["[/red]", "[/bold]", "[bold]", "[link=javascript:alert(1)]x[/link]", "[click](javascript:alert(1))",
          "![p](http://evil.example/p.png)", "<img src=x onerror=alert(1)>", "**", "`", "|", "#"]
CONTROLS = ["\x1b[2J", "\x1b]0;owned\x07", "\x1b]8;;http://evil.example\x1b\\", "\x9b31m", "\x07", "\r", "\x00",
            "\u202e", "\u2066", "\u200f", "\u061c", "\ufeff"]
SURROGATES = ["\\ud800", "\\udcff", "\\udfff"]  # as JSON/YAML escapes: they decode to lone surrogates
BAD_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile_value(rng: random.Random) -> str:
    parts = [rng.choice(MARKUP + CONTROLS + ["Seoul", "Yonhap", "2024-08-16"]) for _ in range(rng.randint(1, 5))]
    return "".join(parts)


def _front_matter_aliases(rng: random.Random, body: str, folder: Path) -> Path:
    levels = rng.randint(2, 9)
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    key = rng.choice(["date", "source", "title"])
    lines.append(f"{key}: *a{levels - 1}")
    path = folder / "aliases.md"
    path.write_text("---\n" + "\n".join(lines) + "\n---\n" + body, encoding="utf-8")
    return path


def _deep(rng: random.Random, body: str, folder: Path) -> Path:
    depth = rng.choice([100, 1000, 20_000, 100_000])
    nest = "[" * depth + "]" * depth
    kind = rng.choice(["jsonl", "sidecar", "yaml"])
    if kind == "jsonl":
        path = folder / "deep.jsonl"
        path.write_text(json.dumps({"text": body, "source": "J"}) + "\n" + nest + "\n"
                        + '{"text": "x", "source": ' + nest + "}\n", encoding="utf-8")
    elif kind == "sidecar":
        path = folder / "deep.txt"
        path.write_text(body, encoding="utf-8")
        (folder / "deep.meta.json").write_text('{"source": ' + nest + "}", encoding="utf-8")
    else:
        path = folder / "deep.md"
        path.write_text("---\nsource: " + nest[: 2 * min(depth, 5000)] + "\n---\n" + body, encoding="utf-8")
    return path


def _special_file(rng: random.Random, body: str, folder: Path) -> Path:
    path = folder / rng.choice(["fifo.txt", "dev.md", "zero.jsonl"])
    if path.name == "fifo.txt":
        os.mkfifo(path)
    else:
        path.symlink_to(rng.choice(["/dev/zero", "/dev/null", "/dev/urandom"]))
    (folder / "good.txt").write_text(body, encoding="utf-8")  # the good file beside it must still be read
    return folder


def _metadata(rng: random.Random, body: str, folder: Path) -> Path:
    """Markup-like, control, bidi and surrogate strings in metadata and in the file name."""
    name = "".join(rng.choice(["[\\red]", "\u202e", "x", "[b]", " ", "\x1b[2J"]) for _ in range(4))
    name += rng.choice([".md", ".jsonl", ".txt"])  # no "/" in a name: "[/red]" is tried in metadata
    path = folder / name
    value = hostile_value(rng) + rng.choice(SURROGATES + [""])
    if path.suffix == ".md":
        meta = {k: value for k in rng.sample(["source", "title", "date", "url"], 2)}
        front = "\n".join(f'{k}: "{v.encode("unicode_escape").decode("ascii").replace(chr(92) * 2, chr(92))}"'
                          for k, v in meta.items())
        path.write_text("---\n" + front + "\n---\n" + hostile_value(rng) + body, encoding="utf-8", errors="replace")
    elif path.suffix == ".jsonl":
        record = '{"text": ' + json.dumps(hostile_value(rng) + body) + ', "source": "' + value.replace('"', "") + '"}'
        path.write_text(record.replace("\x00", "") + "\n", encoding="utf-8", errors="replace")
    else:
        path.write_text(body + hostile_value(rng), encoding="utf-8", errors="replace")
        (folder / (path.stem + ".meta.json")).write_text('{"source": "' + value.replace('"', "") + '"}',
                                                          encoding="utf-8", errors="replace")
    return folder


HOSTILE: list[Callable[[random.Random, str, Path], Path]] = [_front_matter_aliases, _deep, _special_file, _metadata]


def render_all(articles: list, claims: list) -> None:
    """Every report view of the articles; the human views must carry no control or bidi character raw."""
    from rich.console import Console

    from verify.report import render_html, render_markdown, render_terminal
    from verify.records import Report

    report = Report(tuple(articles), tuple(claims), (), ())
    buffer = io.StringIO()
    render_terminal(report, Console(file=buffer, width=120, force_terminal=True, color_system=None))
    for name, text in (("terminal", buffer.getvalue()), ("markdown", render_markdown(report))):
        bad = BAD_CONTROL.search(text)
        assert bad is None, f"{name} view carries {bad.group()!r}"
    page = render_html(report)
    assert "<img" not in page and 'href="javascript' not in page


def run_hostile(rng: random.Random, seeds: list[str], extractor: ClaimExtractor) -> tuple[int, int]:
    """One hostile input; returns (claims checked, 1 if it was a clear user error)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make = rng.choice(HOSTILE)
        target = make(rng, rng.choice(seeds)[:3000], folder)
        if os.environ.get("FUZZ_VERBOSE"):
            print(make.__name__, file=sys.stderr)
        try:
            articles = load_articles([target], on_warning=lambda message: None)
        except VerifyError:
            return 0, 1
        claims = extractor.extract(articles)
        for claim in claims:
            article = next(a for a in articles if a.id == claim.article_id)
            assert 0 <= claim.span[0] < claim.span[1] <= len(article.original)
        render_all(articles, claims)
        return len(claims), 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hostile-share", type=float, default=1 / 3, help="share of hostile inputs (0 to 1)")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    extractor = ClaimExtractor()
    crashes, user_errors, claims, slow, hostile = 0, 0, 0, 0, 0
    warm = load_articles([sorted((ROOT / "seeds").glob("*.txt"))[0]], on_warning=lambda message: None)
    render_all(warm, extractor.extract(warm))  # imports and model loading are not timed as a slow input
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.n):
            if rng.random() < args.hostile_share:
                hostile += 1
                started = time.perf_counter()
                try:
                    found, refused = run_hostile(rng, seeds, extractor)
                    claims += found
                    user_errors += refused
                except Exception:  # noqa: BLE001 - counting crashes is the point
                    crashes += 1
                    if crashes <= 3:
                        traceback.print_exc()
                if time.perf_counter() - started > SLOW_S:
                    slow += 1
                    print(f"slow: input {i} took {time.perf_counter() - started:.1f} s", file=sys.stderr)
                continue
            suffix = rng.choice([".txt", ".md", ".html", ".jsonl"])
            text = wrap(mutate(rng.choice(seeds), rng), suffix, rng)
            path = Path(tmp) / f"input{i % 50}{suffix}"
            encoding = rng.choice(["utf-8", "utf-8", "utf-16", "cp1252", "latin-1"])
            path.write_bytes(text.encode(encoding, errors="replace" if encoding != "utf-8" else "surrogatepass"))
            try:
                articles = load_articles([path], on_warning=lambda message: None)
                for claim in extractor.extract(articles):
                    article = next(a for a in articles if a.id == claim.article_id)
                    start, end = claim.span
                    assert 0 <= start < end <= len(article.original), (start, end, len(article.original))
                    claims += 1
            except VerifyError:
                user_errors += 1
            except Exception:  # noqa: BLE001 - counting crashes is the point
                crashes += 1
                if crashes <= 3:
                    traceback.print_exc()
            path.unlink(missing_ok=True)
    print(f"fuzz: {args.n} inputs ({hostile} hostile), {crashes} crashes, {slow} slower than {SLOW_S:.0f} s, "
          f"{user_errors} clear user errors, {claims} claims checked")
    return 1 if crashes or slow else 0


if __name__ == "__main__":
    sys.exit(main())
