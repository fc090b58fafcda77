"""Fuzz the input side: mutated seed articles in every format through ingest -> claims -> extractors.

    python tests/fuzz/fuzz_inputs.py --n 10000 [--seed 0]

Writes each input to a temporary file (random suffix among .txt .md .html .jsonl, random encoding),
loads it with verify.ingest.load_articles, extracts claims and checks every span indexes the original
file. A crash is any exception other than a VerifyError (which is a clear, expected user error).
Prints a summary line and exits 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import traceback
from pathlib import Path

from verify.claims import ClaimExtractor
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    extractor = ClaimExtractor()
    crashes, user_errors, claims = 0, 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.n):
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
    print(f"fuzz: {args.n} inputs, {crashes} crashes, {user_errors} clear user errors, {claims} claims checked")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
