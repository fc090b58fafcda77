"""Knowledge packs: topic data loaded by configuration, hashed into cache keys, no topic names in core code."""

from __future__ import annotations

import ast
import json
import re
from datetime import date
from pathlib import Path

import pytest

from verify.config import Settings
from verify.errors import ConfigError
from verify.extract.claims import ClaimExtractor, extractor_version
from verify.knowledge import available_packs, load_knowledge
from verify.records import Article

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_packs_and_merge_order():
    assert {"default", "korea"} <= set(available_packs())
    default, korea = load_knowledge(("default",)), load_knowledge(("default", "korea"))
    assert default.anniversaries == {} and default.rewrites == () and default.commemorations == {}
    assert korea.aliases["Kim Jong-un"] == "Kim Jong Un" and korea.types["Liberation Tower"] == "FAC"
    assert korea.aliases["Moscow"] == "Russia" and "Moscow" not in default.aliases  # a pack extends a default entity
    assert "North Korea" in korea.generic and not default.generic
    assert default.digest != korea.digest
    assert load_knowledge(("default", "korea")) is korea  # loaded once


def test_unknown_pack_is_a_clear_error():
    with pytest.raises(ConfigError, match="unknown knowledge pack 'koera'; shipped packs: default, korea"):
        load_knowledge(("default", "koera"))


def _pack(tmp_path: Path, **files: object) -> str:
    folder = tmp_path / "pack"
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    return str(folder)


def test_a_folder_is_a_pack_and_its_content_is_in_the_digest(tmp_path):
    path = _pack(tmp_path, entities={"Acme Corp": {"type": "ORG", "aliases": ["Acme"]}},
                 anniversaries={"events": [["founding of acme", "1990-05-01"]]})
    first = load_knowledge(("default", path))
    assert first.aliases["Acme"] == "Acme Corp" and first.anniversaries["founding of acme"] == date(1990, 5, 1)
    _pack(tmp_path, entities={"Acme Corp": {"type": "ORG", "aliases": ["Acme", "ACME"]}})
    load_knowledge.cache_clear()
    second = load_knowledge(("default", path))
    assert second.digest != first.digest
    assert extractor_version(first) != extractor_version(second)  # stored claims are never stale


@pytest.mark.parametrize("files, message", [
    ({"rewrites": {"rewrites": [{"pattern": "(unclosed", "replacement": "x"}]}}, "bad regex in rewrites.json"),
    ({"anniversaries": {"events": [["x", "May 1990"]]}}, "is not YYYY or YYYY-MM-DD"),
])
def test_bad_pack_data_is_a_clear_error(tmp_path, files, message):
    path = _pack(tmp_path, **files)
    load_knowledge.cache_clear()
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_knowledge(("default", path))


def test_bad_json_names_the_file(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "entities.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="entities.json is not valid JSON"):
        load_knowledge(("default", str(folder)))


def test_settings_name_the_packs(monkeypatch):
    assert Settings().knowledge == ("default",)
    monkeypatch.setenv("VERIFY_KNOWLEDGE", '["default", "korea"]')
    assert Settings().knowledge == ("default", "korea")


def test_a_pack_rewrite_applies_only_where_the_article_matches_requires(tmp_path):
    path = _pack(tmp_path, rewrites={"rewrites": [
        {"pattern": "(?:The|the) club", "replacement": "Leeds United", "requires": "Leeds United"}]})
    knowledge = load_knowledge(("default", path))
    about = "Leeds United won 3-1 on Saturday.\nThe club signed two players on Monday, officials said."
    other = "Chelsea won 2-0 on Saturday.\nThe club signed two players on Monday, officials said."

    def standalone(text: str) -> list[str]:
        art = Article("a:1", "x.txt", "Wire", None, None, None, text, text, tuple(range(len(text) + 1)))
        return [c.standalone for c in ClaimExtractor(knowledge).extract([art])]

    assert "Leeds United signed two players on Monday, officials said." in standalone(about)
    assert "The club signed two players on Monday, officials said." in standalone(other)


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """String constants and names in a module's code: docstrings and comments (examples) are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            out.append((node.lineno, node.value))
        elif isinstance(node, ast.Name):
            out.append((node.lineno, node.id))
    return out


def test_core_code_holds_no_topic_names():
    """Story words live in packs: the core's code never names the seed stories' people, places or outlets."""
    names = re.compile(r"\b(Korea\w*|Pyongyang|Kim Jong|Yonhap|KCNA|Liberation Tower|Friendship Tower|Soviet)\b")
    core = [p for p in (ROOT / "verify").rglob("*.py") if "evaluation" not in p.parts]
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in core for n, text in _code_strings(p) if names.search(text)]
    assert hits == []
