"""Tests for verify.ingest.files: size caps, empty and binary files, BOMs and legacy encodings."""

from __future__ import annotations

import re
from pathlib import Path

from tests.ingest.helpers import load


def test_empty_binary_big_and_cp1252_files(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"  \n\n")
    (tmp_path / "binary.txt").write_bytes(b"abc\x00def")
    (tmp_path / "big.txt").write_text("Kim met Putin. " * 100, encoding="utf-8")
    (tmp_path / "furniture.txt").write_text("General\n\nNewspapers in English\n", encoding="utf-8")
    (tmp_path / "win.txt").write_bytes("Kim\u2019s caf\u00e9 visit \u2013 Thursday.".encode("cp1252"))
    articles, warnings = load(tmp_path, max_bytes=1000)
    assert [Path(a.path).name for a in articles] == ["win.txt"]
    assert articles[0].text == "Kim's caf\u00e9 visit \u2013 Thursday."
    assert articles[0].original == "Kim\u2019s caf\u00e9 visit \u2013 Thursday."
    joined = "\n".join(warnings)
    assert "big.txt: file is too big" in joined
    assert "binary.txt: binary file" in joined
    assert "empty.txt: file is empty" in joined and "blank.txt: file is empty" in joined
    assert "furniture.txt: no text left after cleaning" in joined
    assert "win.txt: not UTF-8; read as cp1252" in joined
    assert len(warnings) == 6


def test_utf8_bom_is_not_part_of_the_original(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfKim met Putin.")
    (article,), _ = load(tmp_path / "bom.txt")
    assert article.original == "Kim met Putin." and article.offsets[0] == 0


def test_euc_kr_file_is_detected(tmp_path: Path) -> None:
    korean = ("북한 김정은 국무위원장이 광복절을 맞아 평양의 해방탑을 찾았다고 조선중앙통신이 16일 보도했다. "
              "해방탑은 1947년에 세워졌다.")
    path = tmp_path / "yonhap-ko.txt"
    path.write_bytes(korean.encode("euc-kr"))
    (article,), warnings = load(path)
    assert article.original == korean
    assert len(warnings) == 1 and re.search(r"not UTF-8; read as (cp949|euc_kr)", warnings[0])


def test_western_legacy_files_read_as_cp1252(tmp_path: Path) -> None:
    french = "Le député a dit « oui » – Kim a visité Moscou en 2019, selon l’agence."
    (tmp_path / "fr.txt").write_bytes(french.encode("cp1252"))
    russian = "Ким Чен Ын посетил Владивосток в апреле 2019 года, сообщает агентство."
    (tmp_path / "ru.txt").write_bytes(russian.encode("cp1251"))
    articles, warnings = load(tmp_path)
    by_name = {Path(a.path).name: a for a in articles}
    assert by_name["fr.txt"].original == french
    assert by_name["ru.txt"].original == russian  # not read as cp1252 letters
    assert sorted(w.rsplit(" ", 1)[-1] for w in warnings) == ["cp1251", "cp1252"]
