"""Property-based tests: cleaning, sentence spans and claim extraction never crash and always map back."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verify.extract.claims import ClaimExtractor, extract_entities, split_sentences
from verify.extract.timeinfo import resolve_time
from verify.extract.values import extract_dates, extract_numbers, extract_quantities
from verify.ingest import clean
from verify.records import Article, short_hash

# text that looks like news (names, numbers, dates, punctuation, line breaks) mixed with arbitrary unicode
NEWSY = st.lists(
    st.one_of(
        st.sampled_from(["Kim Jong-un", "Aug. 15", "1,500 tons", "“quoted”", "’s", "U.S.-led", "?? — AFP ??", "\n",
                         "bui\nlding", "In fact,", "Your support helps us", " 1945", "Thursday", "—", ".", "  "]),
        st.text(min_size=0, max_size=12),
    ),
    max_size=40,
).map("".join)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _article(raw: str) -> Article:
    text, offsets = clean(raw)
    return Article("a:" + short_hash(raw), "x.txt", "X", None, "2024-08-16", None, text, raw, offsets)


@FAST
@given(NEWSY)
def test_clean_offsets_index_the_original(raw):
    text, offsets = clean(raw)
    assert len(offsets) == len(text) + 1
    assert all(0 <= o <= len(raw) for o in offsets)
    assert list(offsets[:-1]) == sorted(offsets[:-1])  # order preserved


@FAST
@given(NEWSY)
def test_sentence_spans_are_inside_the_text(raw):
    text, _ = clean(raw)
    for start, end in split_sentences(text):
        assert 0 <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()


@FAST
@given(NEWSY)
def test_claims_spans_index_the_original_file(raw):
    article = _article(raw)
    for claim in ClaimExtractor().extract([article]):
        start, end = claim.span
        assert 0 <= start < end <= len(raw)
        # the first and last kept characters of the claim come from the span's ends
        assert raw[start] not in " \n" and raw[end - 1] not in " \n"


@FAST
@given(st.text(max_size=200))
def test_extractors_never_raise_on_arbitrary_unicode(text):
    extract_entities(text)
    extract_numbers(text)
    extract_dates(text)
    extract_quantities(text)
    resolve_time(text, None)
