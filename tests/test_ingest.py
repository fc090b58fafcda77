"""Tests for verify.ingest: formats, metadata, offsets, cleaning of the seed articles, bad input."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from verify.errors import InputError
from verify.ingest import CHAR_MAP, clean, guess_title, infer_source, load_articles
from verify.knowledge import load_knowledge
from verify.records import Article, short_hash

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
YONHAP = SEEDS / "000_04de47457a69673e.txt"
INDEPENDENT = SEEDS / "003_19297d05e1626443.txt"
STAR = SEEDS / "004_fa41245d04f6e4dd.txt"

SENTENCE = re.compile(r"\S[^\n]*?(?:[.!?][\"')]*(?=\s|$)|(?=\n)|$)")


def load(*paths: Path | str, **kwargs) -> tuple[list[Article], list[str]]:
    warnings: list[str] = []
    return load_articles(list(paths), on_warning=warnings.append, **kwargs), warnings


def seed(path: Path) -> Article:
    (article,), _ = load(path)
    return article


def norm(text: str) -> str:
    return "".join(CHAR_MAP.get(ch, ch) for ch in text)


def sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) spans of sentence-like pieces of cleaned text."""
    return [m.span() for m in SENTENCE.finditer(text) if m.group().strip()]


def assert_offsets(article: Article) -> None:
    """Every kept char maps to the same char (after quote normalisation) in the original, and
    every sentence maps to a span of the original with the same text, up to whitespace."""
    text, original, offsets = article.text, article.original, article.offsets
    assert len(offsets) == len(text) + 1
    assert all(a < b for a, b in zip(offsets, offsets[1:])), "offsets must increase"
    for i, ch in enumerate(text):
        source = original[offsets[i]]
        assert (source.isspace() if ch.isspace() else norm(source) == ch), (i, ch, source)
    spans = sentences(text)
    assert len(spans) > 3
    for start, end in spans:
        s, e = article.span(start, end)
        assert "".join(norm(original[s:e]).split()) == "".join(text[start:end].split())


# --- formats --------------------------------------------------------------------------------


def test_txt_article_is_cleaned_and_keeps_the_original(tmp_path: Path) -> None:
    raw = "Kim\u2019s  visit\n\nHe said \u201cyes\u201d on Monday.\n"
    (tmp_path / "note.txt").write_text(raw, encoding="utf-8")
    (article,), warnings = load(tmp_path / "note.txt")
    assert warnings == []
    assert article.text == "Kim's visit\nHe said \"yes\" on Monday."
    assert article.original == raw
    assert article.id == "a:" + short_hash(raw)
    assert article.path == str(tmp_path / "note.txt")
    assert article.source == "note"  # no cue: the file stem
    assert article.title == "Kim's visit"
    assert article.date is None and article.url is None
    assert_offsets_simple(article)


def assert_offsets_simple(article: Article) -> None:
    for i, ch in enumerate(article.text):
        source = article.original[article.offsets[i]]
        assert source.isspace() if ch.isspace() else norm(source) == ch


def test_markdown_front_matter_and_offsets_into_the_whole_file(tmp_path: Path) -> None:
    raw = (
        "---\nsource: Example Times\ntitle: Summit ends\ndate: 2024-05-01\nurl: https://example.com/a\n---\n"
        "# Summit ends\n\nThe **leaders** met in [Hanoi](https://example.com/hanoi) on Tuesday.\n"
    )
    path = tmp_path / "a.md"
    path.write_text(raw, encoding="utf-8")
    (article,), _ = load(path)
    assert (article.source, article.title, article.date, article.url) == (
        "Example Times", "Summit ends", "2024-05-01", "https://example.com/a",
    )  # fmt: skip
    assert article.text == "Summit ends\nThe leaders met in Hanoi on Tuesday."
    assert article.original == raw
    start = article.text.index("The leaders")
    s, e = article.span(start, len(article.text))
    assert raw[s:e] == "The **leaders** met in [Hanoi](https://example.com/hanoi) on Tuesday."
    assert s > raw.index("---\n#")  # the front matter is counted
    assert_offsets_simple(article)


def test_markdown_date_and_datetime_from_yaml(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ndate: 2021-07-29 10:30:00\n---\nKim visited the tower.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("---\ndate: July 29, 2021\n---\nKim left the tower.\n", encoding="utf-8")
    articles, _ = load(tmp_path)
    assert [a.date for a in articles] == ["2021-07-29", "2021-07-29"]


def test_html_main_text_metadata_and_offsets(tmp_path: Path) -> None:
    raw = """<!doctype html><html><head><title>Kim visits Russia &amp; China</title>
<meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2019-04-23T08:00:00+08:00">
<style>p { color: red }</style><script>var tracking = "Your support";</script></head>
<body><header>Home | World</header><nav><a href="/">Menu</a></nav>
<article><h1>Kim heads to Russia</h1>
<p>Kim Jong-un will meet
  Vladimir Putin on Thursday.</p><p>Talks cover <b>sanctions</b> &amp; aid.</p>
</article><aside>Most read</aside><footer>Copyright</footer>
<form>Subscribe</form></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(raw, encoding="utf-8")
    (article,), _ = load(path)
    assert article.text == (
        "Kim heads to Russia\nKim Jong-un will meet Vladimir Putin on Thursday.\nTalks cover sanctions & aid."
    )
    assert (article.source, article.title, article.date) == ("Example News", "Kim visits Russia & China", "2019-04-23")
    for banned in ("tracking", "color", "Menu", "Most read", "Subscribe", "Home"):
        assert banned not in article.text
    start = article.text.index("Kim Jong-un")
    end = article.text.index("Thursday.") + len("Thursday.")
    s, e = article.span(start, end)
    assert raw[s:e] == "Kim Jong-un will meet\n  Vladimir Putin on Thursday."
    amp = article.text.index("&")
    assert raw[article.offsets[amp] : article.offsets[amp] + 5] == "&amp;"  # entities map to their start


def test_html_without_article_element_uses_the_body(tmp_path: Path) -> None:
    raw = "<html><body><div>First paragraph here.</div><div>Second one.<br>Third.</div></body></html>"
    (tmp_path / "p.htm").write_text(raw, encoding="utf-8")
    (article,), _ = load(tmp_path / "p.htm")
    assert article.text == "First paragraph here.\nSecond one.\nThird."
    assert article.source == "p"


def test_jsonl_records_and_bad_lines(tmp_path: Path) -> None:
    rows = [
        json.dumps({"text": "Kim met Putin on Thursday.", "source": "Wire A", "date": "2019-04-25"}),
        "{not json",
        json.dumps({"title": "no text"}),
        "",
        json.dumps({"text": "Putin met Kim \u201cwarmly\u201d.", "url": "https://www.reuters.com/world/x"}),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    articles, warnings = load(path)
    assert [a.path for a in articles] == [f"{path}:1", f"{path}:5"]
    assert [a.source for a in articles] == ["Wire A", "Reuters"]
    assert articles[0].date == "2019-04-25"
    assert articles[1].original == "Putin met Kim \u201cwarmly\u201d."
    assert articles[1].text == 'Putin met Kim "warmly".'
    assert articles[1].url == "https://www.reuters.com/world/x"
    assert len(warnings) == 2
    assert f"{path}:2" in warnings[0] and f"{path}:3" in warnings[1]


def test_sidecar_metadata_and_folder_scan(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Kim met Putin in Vladivostok.\n", encoding="utf-8")
    (tmp_path / "a.meta.json").write_text(json.dumps({"source": "Wire A", "title": "T", "date": "2019-04-25",
                                                      "url": None, "date_note": "x"}), encoding="utf-8")  # fmt: skip
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("Putin met Kim in Vladivostok.\n", encoding="utf-8")
    (tmp_path / "sub" / "b.json").write_text(json.dumps({"source": "Wire B"}), encoding="utf-8")
    (tmp_path / "README.md").write_text("# About these files\n\nNot an article.\n", encoding="utf-8")
    (tmp_path / "notes.csv").write_text("a,b\n", encoding="utf-8")
    articles, warnings = load(tmp_path)
    assert [(Path(a.path).name, a.source, a.title, a.date) for a in articles] == [
        ("a.txt", "Wire A", "T", "2019-04-25"),
        ("b.txt", "Wire B", None, None),
    ]
    assert len(warnings) == 1 and "notes.csv" in warnings[0]


# --- the seed articles ------------------------------------------------------------------------


def test_seed_folder_loads_three_articles_with_metadata() -> None:
    articles, warnings = load(SEEDS)
    assert warnings == []
    assert [(a.source, a.date) for a in articles] == [
        ("Yonhap News Agency", "2024-08-16"),
        ("The Independent", "2021-07-29"),
        ("The Star (Malaysia)", "2019-04-23"),
    ]
    assert [a.title for a in articles] == [
        "N. Korean leader exchanges message with Putin on 79th anniv. of Korea's liberation from Japan's colonial rule",
        "N Korea leader pays respect to Chinese war dead at memorial",
        "Kim heads to Russia to revive friendship",
    ]
    for article in articles:
        assert article.original == Path(article.path).read_text(encoding="utf-8")
        assert article.url is None


@pytest.mark.parametrize("path", [YONHAP, INDEPENDENT, STAR], ids=["yonhap", "independent", "star"])
def test_seed_offsets_map_back_to_the_original(path: Path) -> None:
    assert_offsets(seed(path))


@pytest.mark.parametrize("path", [YONHAP, INDEPENDENT, STAR], ids=["yonhap", "independent", "star"])
def test_seed_text_is_normalised(path: Path) -> None:
    text = seed(path).text
    assert not re.search("[\u2018\u2019\u201c\u201d]", text)
    assert "  " not in text and "\n\n" not in text and text == text.strip()
    lines = [line for line in text.split("\n") if len(line) >= 20]
    assert len(lines) == len(set(lines))


def test_independent_appeal_is_removed_and_the_news_kept() -> None:
    text = seed(INDEPENDENT).text
    for banned in ("Your support", "donation", "is trusted", "reproductive rights", "paywalls",
                   "critical moment", "quality journalism", "difference."):  # fmt: skip
        assert banned not in text, banned
    assert "\nNorth Korean leader Kim Jong Un paid tribute to China s war dead" in text
    assert text.startswith("N Korea leader pays respect to Chinese war dead at memorial\n")
    assert text.endswith("nuclear negotiations between Pyongyang and Washington eventually resume.")


def test_star_captions_and_page_furniture_are_removed() -> None:
    article = seed(STAR)
    text = article.text
    for banned in ("??", "AFP", "Friendlier times", "Newspapers", "The Star Malaysia"):
        assert banned not in text, banned
    assert "\n-\n" not in text
    assert text.startswith("Kim heads to Russia to revive friendship\nPYONGYANG: On the neighbouring mound")
    assert text.endswith('"Jong-un\'s role model has always been his grandfather, not his father," he explained.')
    assert "Kim Jong-un \u2013 the son and grandson" in text  # dashes are kept


def test_yonhap_broken_word_is_repaired_and_labels_removed() -> None:
    article = seed(YONHAP)
    text = article.text
    assert "the building of a multi-polarized new world" in text
    assert "bui\n" not in text and "lding" not in text.replace("building", "")
    assert "General" not in text and "Source:" not in text and "Yonhapi" not in text
    i = text.index("building of a multi")
    s, e = article.span(i, i + len("building"))
    assert article.original[s:e] == "bui\nlding"


@pytest.mark.parametrize(
    ("path", "outlet"),
    [(YONHAP, "Yonhap News Agency"), (INDEPENDENT, "The Independent"), (STAR, "The Star (Malaysia)")],
    ids=["yonhap", "independent", "star"],
)
def test_infer_source_on_seeds(path: Path, outlet: str) -> None:
    assert infer_source(path.read_text(encoding="utf-8"), path) == outlet


def test_seed_sources_inferred_without_sidecars(tmp_path: Path) -> None:
    for path in (YONHAP, INDEPENDENT, STAR):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    articles, _ = load(tmp_path, knowledge=load_knowledge(("default", "korea")))
    assert [a.source for a in articles] == ["Yonhap News Agency", "The Independent", "The Star (Malaysia)"]
    # without metadata the dates are inferred from the text (the korea pack's anniversaries); the Star gives no clue
    assert [a.date for a in articles] == ["2024-08-15", "2021-07-27", None]
    assert "79th anniv" in articles[0].date_source and articles[2].date_source is None
    assert articles[2].title == "Kim heads to Russia to revive friendship"


def test_infer_source_from_url_and_stem() -> None:
    assert infer_source("See https://www.nknews.org/2024/01/x for more.", Path("x.txt")) == "NK News"
    assert infer_source("See https://news.example.org/x", Path("x.txt")) == "news.example.org"
    assert infer_source("Plain text.", Path("dir/my_story.txt")) == "my_story"
    assert infer_source("Body.\nSource: Reuters\n", Path("x.txt")) == "Reuters"


# --- clean() ------------------------------------------------------------------------------------


def test_clean_offsets_cover_every_char() -> None:
    raw = "Title line\r\n\r\nOne  sentence\u00a0here. Two.\n\n\n"
    text, offsets = clean(raw)
    assert text == "Title line\nOne sentence here. Two."
    assert len(offsets) == len(text) + 1 and offsets[-1] == offsets[-2] + 1
    assert raw[offsets[text.index("One")] :].startswith("One  sentence")


def test_clean_glued_appeal_and_repeated_lines() -> None:
    raw = ("Your support makes all the difference.Kim met Putin on Thursday in the city.\n"
           "Kim met Putin on Thursday in the city.\n(AFP) Leaders shake hands\n- AFP Leaders\n")  # fmt: skip
    text, offsets = clean(raw)
    assert text == "Kim met Putin on Thursday in the city."
    assert offsets[0] == raw.index("Kim")


def test_clean_keeps_news_paragraph_with_one_appeal_sentence() -> None:
    raw = "Kim arrived. Putin waited. They talked for hours. Subscribe now to read more."
    assert clean(raw)[0] == "Kim arrived. Putin waited. They talked for hours."


def test_clean_wrapped_lines_join_with_a_space() -> None:
    assert clean("the negoti\nations were long.")[0] == "the negotiations were long."  # a broken word
    assert clean("talks with the\nleaders ended.")[0] == "talks with the leaders ended."  # after a function word
    assert clean("talks ended \nlater.")[0] == "talks ended later."  # a space before the break
    assert clean("multi-\npolarized world.")[0] == "multi-polarized world."
    wrapped = "Kim met the\nleader of Russia\nin the city\nof Vladivostok\non Thursday."
    assert clean(wrapped)[0] == "Kim met the leader of Russia in the city of Vladivostok on Thursday."
    assert clean("It ended.\nthen more.")[0] == "It ended.\nthen more."  # sentence end: no join


def test_guess_title() -> None:
    assert guess_title("Kim heads to Russia\nBody.") == "Kim heads to Russia"
    assert guess_title("Kim went to Russia.\nBody.") is None
    assert guess_title("") is None


# --- bad input ------------------------------------------------------------------------------------


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


def test_duplicates_are_dropped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Kim met Putin on Thursday.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Kim met  Putin on Thursday.\n\n\n", encoding="utf-8")  # same cleaned text
    (tmp_path / "c.jsonl").write_text(json.dumps({"text": "Kim met Putin on Thursday."}) + "\n", encoding="utf-8")
    articles, warnings = load(tmp_path)
    assert [Path(a.path).name for a in articles] == ["a.txt"]
    assert len(warnings) == 2 and all("duplicate" in w for w in warnings)


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputError, match="no such file or directory") as info:
        load_articles([missing])
    assert str(info.value) == f"{missing}: no such file or directory"


def test_unknown_suffix_named_explicitly_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "data.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match=r"data\.pdf: unsupported file type '\.pdf'"):
        load_articles([tmp_path / "data.pdf"])


def test_folder_without_articles_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="no usable article in this folder"):
        load_articles([tmp_path], on_warning=lambda _: None)


def test_no_article_left_names_the_problem(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(InputError, match=r"no usable article.*empty\.txt: file is empty"):
        load_articles([tmp_path / "empty.txt"], on_warning=lambda _: None)
    with pytest.raises(InputError, match="no input paths"):
        load_articles([])


# --------------------------------------------------------------------------------------------
# HTML main text by trafilatura, offsets kept; encodings by charset-normalizer
# --------------------------------------------------------------------------------------------

BOILERPLATE_PAGE = Path(__file__).parent / "fixtures" / "boilerplate_page.html"


def test_html_main_text_comes_from_trafilatura_with_offsets_into_the_file(tmp_path: Path) -> None:
    from verify.extract.claims import ClaimExtractor

    path = tmp_path / "page.html"
    path.write_bytes(BOILERPLATE_PAGE.read_bytes())
    (article,), _ = load(path)
    for junk in ("cookies", "Related stories", "wheat", "missiles", "Reader1", "1950", "Example Media Group", "Home"):
        assert junk not in article.text, junk  # navigation, related links, comments, footer: gone
    assert article.text.startswith("Kim visits Liberation Tower on anniversary\nNorth Korean leader")
    # every kept character maps back to the same character of the file (entities map to their "&")
    for i, ch in enumerate(article.text):
        source = article.original[article.offsets[i]]
        assert source == ch or ch in "'\n " or source == "&", (i, ch, source)
    claims = ClaimExtractor().extract([article])
    assert claims and any("1947" in c.text for c in claims)
    for claim in claims:
        assert not any(word in claim.text for word in ("wheat", "missiles", "1950", "cookies"))
        start, end = claim.span
        quoted = html.unescape(article.original[start:end]).replace("\u2019", "'")
        assert " ".join(quoted.split()) == " ".join(claim.text.split())


def test_html_falls_back_to_the_builtin_extractor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    path = tmp_path / "page.html"
    path.write_bytes(BOILERPLATE_PAGE.read_bytes())
    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: None)
    (article,), _ = load(path)
    assert "Reader1" in article.text  # the built-in extractor keeps every block outside nav/header/footer
    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: "Text that is nowhere in the page at all, really.")
    (again,), _ = load(path)
    assert again.text == article.text  # trafilatura's text not found in the page: the built-in result


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
