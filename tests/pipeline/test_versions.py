"""The declared versions that cache keys are built from (verify.pipeline.caches) must move with the code.

Each stage declares ``VERSION``; ``versions.lock.json`` beside this file records, for each, the version and a digest
of the source files it covers (``COVERS``). When a stage's sources change and its version does not, stored claims,
verdicts or evaluation records could be served stale, so the test fails and names the version to bump.

After bumping (or when only the lock is out of date), regenerate the lock from the repository root:

    .venv/bin/python -m tests.pipeline.test_versions --update
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = Path(__file__).with_name("versions.lock.json")
UPDATE = "python -m tests.pipeline.test_versions --update"

# declared version -> the sources it covers (a folder: every .py file under it; data files such as params.json and
# the knowledge packs are hashed by content where they are loaded, so they are not listed)
COVERS: dict[str, tuple[str, ...]] = {
    "verify.ingest": ("verify/ingest/",),
    "verify.extract": ("verify/extract/", "verify/nlp.py", "verify/knowledge/__init__.py", "verify/records.py"),
    "verify.pipeline": ("verify/pipeline/core.py", "verify/pipeline/store.py", "verify/pairing.py", "verify/columns.py"),
    "verify.models": ("verify/models/embed.py", "verify/models/nli.py", "verify/models/runtime.py",
                      "verify/models/fakes.py"),
    "verify.verdict": ("verify/verdict/",),
    "verify.report.schema": ("verify/report/schema.py",),
}


def source_files(covers: tuple[str, ...]) -> list[Path]:
    files: set[Path] = set()
    for entry in covers:
        path = ROOT / entry
        files |= set(path.rglob("*.py")) if entry.endswith("/") else {path}
    return sorted(files)


def sources_digest(covers: tuple[str, ...]) -> str:
    h = hashlib.blake2b(digest_size=8)
    for path in source_files(covers):
        h.update(path.relative_to(ROOT).as_posix().encode())
        h.update(b"\x00")
        h.update(path.read_bytes())
        h.update(b"\x00")
    return h.hexdigest()


def current() -> dict[str, dict[str, str]]:
    return {name: {"version": importlib.import_module(name).VERSION, "sources": sources_digest(covers)}
            for name, covers in COVERS.items()}


def test_every_covered_source_exists():
    for covers in COVERS.values():
        for entry in covers:
            assert (ROOT / entry).exists(), entry
        assert source_files(covers)


def lock_problems(locked: dict[str, dict[str, str]], now: dict[str, dict[str, str]]) -> list[str]:
    """What is wrong with the lock, in words: a version to bump, or a lock to regenerate."""
    problems = []
    for name in sorted(set(now) | set(locked)):
        was, new = locked.get(name), now.get(name)
        if was == new:
            continue
        if was and new and was["version"] == new["version"]:
            problems.append(f"the sources of {name} changed ({', '.join(COVERS[name])}): bump {name}.VERSION, "
                            f"then run `{UPDATE}`")
        else:
            problems.append(f"{name}: versions.lock.json is out of date; run `{UPDATE}`")
    return problems


def test_declared_versions_move_with_their_sources():
    problems = lock_problems(json.loads(LOCK.read_text(encoding="utf-8")), current())
    assert not problems, "\n".join(problems)


def test_a_source_change_without_a_bump_names_the_version_to_bump():
    now = current()
    edited = {**now, "verify.extract": {**now["verify.extract"], "sources": "0" * 16}}
    assert lock_problems(now, now) == []
    (problem,) = lock_problems(now, edited)
    assert "bump verify.extract.VERSION" in problem
    bumped = {**edited, "verify.extract": {**edited["verify.extract"], "version": "bumped"}}
    assert "out of date" in lock_problems(now, bumped)[0]


def main(argv: list[str]) -> int:
    if argv != ["--update"]:
        print(f"usage: {UPDATE}", file=sys.stderr)
        return 2
    LOCK.write_text(json.dumps(current(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {LOCK.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
