"""The spaCy layer: sentences with offsets, typed mentions, subjects; bounded on hostile text."""

from __future__ import annotations

from verify.nlp import MAX_CHARS, NLP, default_nlp


def test_sentences_have_offsets_types_and_subjects():
    text = "The Eiffel Tower was built for the 1889 World's Fair. He said it was fine."
    first, second = default_nlp().sentences(text)
    assert text[first.start : first.end] == first.text and text[second.start : second.end] == second.text
    assert first.subject == "The Eiffel Tower" and not first.subject_pronoun and first.has_predicate
    assert second.subject == "He" and second.subject_pronoun
    assert any(m.label == "DATE" and text[m.start : m.end] == "1889" for m in first.mentions)


def test_a_huge_paragraph_is_analysed_in_pieces_with_true_offsets():
    sentence = "Acme Corp hired 40 engineers in Berlin on Monday. "
    text = sentence * (3 * MAX_CHARS // len(sentence))
    sentences = NLP().sentences(text)
    assert len(sentences) >= len(text) // len(sentence) - 3
    assert all(text[s.start : s.end] == s.text for s in sentences)
    assert all(text[m.start : m.end] == m.text for s in sentences[-5:] for m in s.mentions)


def test_a_word_longer_than_a_piece_does_not_break_the_offsets():
    text = "x" * (MAX_CHARS + 5) + " Acme Corp hired 40 engineers."
    sentences = NLP().sentences(text)
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_empty_and_blank_texts():
    assert NLP().analyse(["", "   "]) == [(), ()]


def test_more_texts_at_once_than_the_cache_holds_are_all_analysed(monkeypatch):
    """The cache keeps CACHE_SIZE texts; one call with more must still give every text its sentences (it gave the
    first ones none: a 100k-claim corpus lost a fifth of its claims)."""
    from verify import nlp

    monkeypatch.setattr(nlp, "CACHE_SIZE", 3)
    texts = [f"Acme Corp hired {n} engineers in Berlin." for n in range(10, 20)]
    nlp.NLP().analyse(texts[:2])  # two already cached, then pushed out by the call below
    results = nlp.NLP().analyse(texts)
    assert [len(r) for r in results] == [1] * len(texts)
    assert [r[0].text for r in results] == texts
