"""Claim extraction and pairing on news topics other than the Korean seeds (issue 11).

``tests/fixtures/topics/<topic>/`` holds two or three short fictional articles per topic from different
outlets; ``tests/fixtures/topics/gold/<topic>.jsonl`` lists the planted contradictions, agreements and
look-alikes (see the README there). The fast tests use the fakes (HashEmbedder, KeywordNLI) and only the
``default`` knowledge pack: nothing here is about Korea.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from verify.config import Settings
from verify.evaluation.e2e import Scored, load_gold, match
from verify.extract.claims import ClaimExtractor, claim_from_text, extract_entities, find_attribution
from verify.knowledge import load_knowledge
from verify.pipeline.core import Pipeline
from verify.records import CONFLICTING, Article, Report

TOPICS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "topics"
TOPICS = ("election", "shooting", "merger")
# outlet -> the date its metadata gives (front matter or sidecar)
DATES = {
    "election": {"Harbor Herald": "2026-03-09", "Capital Wire": "2026-03-09", "The Meridian Post": "2026-03-10"},
    "shooting": {"Lakeshore Tribune": "2026-11-15", "Valley Wire": "2026-11-15", "Midwest Daily": "2026-11-16"},
    "merger": {"Market Ledger": "2026-02-03", "Business Daily": "2026-02-04", "Food Trade Journal": "2026-02-05"},
}
# planted contradictions that the value rule (same fact, incompatible number or date) decides, whatever
# the NLI model says: with the fakes they should come out as "contradict"
VALUE_CONTRADICTIONS = ("election-share", "election-sworn-in", "shooting-deaths", "shooting-deaths-2", "merger-price")
# reported with the rules of 7ce823a; missed since same_quantity compares only the nearest word on each side of a
# number ("acquire ... for $4.8 billion" vs "buy ... for $4.2 billion"): not strict while the rules are changed
VALUE_MISSES = {  # known misses of the value rule (strict: a fix shows up)
    "merger-price": "'acquire ... for $4.8 billion' vs 'buy ... for $4.2 billion': the words around the two "
                    "prices differ (synonyms), so same_quantity keeps them apart",
}
KNOWN_LOOKALIKE_MISSES: dict[str, str] = {}


def fake_default_settings(tmp_path: Path) -> Settings:
    return Settings(embed_model="hash", nli_model="keyword", knowledge=("default",), cache_dir=tmp_path / "cache")


def run_topic(topic: str, settings: Settings) -> Report:
    return Pipeline(settings, store=False).run_paths([TOPICS_DIR / topic])


def scored(report: Report, topic: str) -> dict[str, Scored]:
    return {s.gold.id: s for s in match(report, load_gold(TOPICS_DIR / "gold" / f"{topic}.jsonl"))}


@pytest.fixture
def report_of(tmp_path):
    cache: dict[str, Report] = {}

    def get(topic: str) -> Report:
        if topic not in cache:
            cache[topic] = run_topic(topic, fake_default_settings(tmp_path))
        return cache[topic]

    return get


def article(text: str, title: str | None = None, original: str | None = None, aid: str = "a:1") -> Article:
    original = text if original is None else original
    return Article(aid, "x.txt", "Test Times", title, "2026-01-02", None, text, original, tuple(range(len(text) + 1)))


# ---------------------------------------------------------------------------------------------
# The topic fixtures, end to end with the fakes
# ---------------------------------------------------------------------------------------------
def test_every_topic_has_gold_pairs_of_each_kind():
    for topic in TOPICS:
        gold = load_gold(TOPICS_DIR / "gold" / f"{topic}.jsonl")
        kinds = {g.gold for g in gold}
        assert "contradict" in kinds and "support" in kinds, topic
        assert kinds & {"neutral", "different-time"}, f"{topic}: no look-alike"


@pytest.mark.parametrize("topic", TOPICS)
def test_article_dates_and_outlets_are_read(topic, report_of):
    report = report_of(topic)
    assert {a.source: a.date for a in report.articles} == DATES[topic]
    assert all(a.date_source == "metadata" for a in report.articles)


@pytest.mark.parametrize("topic", TOPICS)
def test_claims_from_every_article(topic, report_of):
    report = report_of(topic)
    per_article = {a.id: 0 for a in report.articles}
    for claim in report.claims:
        per_article[claim.article_id] += 1
    assert all(n >= 3 for n in per_article.values()), per_article
    for claim in report.claims:  # spans index the original file
        article_ = next(a for a in report.articles if a.id == claim.article_id)
        assert " ".join(article_.original[claim.span[0] : claim.span[1]].split()) == " ".join(claim.text.split())


@pytest.mark.parametrize("topic", TOPICS)
def test_most_claims_have_a_typed_entity(topic, report_of):
    claims = report_of(topic).claims
    typed = [c for c in claims if any(c.entity_types)]
    assert len(typed) >= 0.8 * len(claims), [c.text for c in claims if c not in typed]
    for c in claims:
        assert len(c.entities) == len(c.entity_types)


@pytest.mark.parametrize("topic", TOPICS)
def test_opinion_questions_and_boilerplate_are_not_claims(topic, report_of):
    texts = [c.text for c in report_of(topic).claims]
    assert not any(t.rstrip().endswith("?") for t in texts)
    assert not any(t.startswith(("We think", "Our thoughts", "Subscribe", "Photo:")) for t in texts)


@pytest.mark.parametrize("topic", TOPICS)
def test_planted_contradictions_are_extracted_and_paired(topic, report_of):
    found = scored(report_of(topic), topic)
    planted = [s for s in found.values() if s.gold.gold in CONFLICTING]
    assert planted
    for s in planted:
        assert s.found, f"{s.gold.id}: a claim was not extracted"
        assert s.paired, f"{s.gold.id}: the two claims were not paired"


@pytest.mark.parametrize("topic", TOPICS)
def test_agreements_are_extracted_and_not_called_conflicts(topic, report_of):
    for s in scored(report_of(topic), topic).values():
        if s.gold.gold == "support":
            assert s.found, s.gold.id
            assert s.predicted not in CONFLICTING, (s.gold.id, s.reason)


@pytest.mark.parametrize("gold_id", [
    pytest.param(g, marks=pytest.mark.xfail(reason=VALUE_MISSES[g], strict=True)) if g in VALUE_MISSES else g
    for g in VALUE_CONTRADICTIONS])
def test_value_contradictions_are_reported(gold_id, report_of):
    topic = gold_id.split("-")[0]
    s = scored(report_of(topic), topic)[gold_id]
    assert s.predicted == "contradict", s.reason


LOOKALIKES = [(t, g.id) for t in TOPICS for g in load_gold(TOPICS_DIR / "gold" / f"{t}.jsonl")
              if g.gold in ("neutral", "different-time")]


@pytest.mark.parametrize(
    "topic, gold_id",
    [pytest.param(t, g, marks=pytest.mark.xfail(reason=KNOWN_LOOKALIKE_MISSES[g], strict=False))
     if g in KNOWN_LOOKALIKE_MISSES else (t, g) for t, g in LOOKALIKES],
)
def test_lookalikes_are_not_contradictions(topic, gold_id, report_of):
    s = scored(report_of(topic), topic)[gold_id]
    assert s.found, gold_id
    assert s.predicted not in CONFLICTING, s.reason


# ---------------------------------------------------------------------------------------------
# Probes of issue 11
# ---------------------------------------------------------------------------------------------
DEFAULT = ("default",)


def test_probe_eiffel_tower_is_an_entity():
    knowledge = load_knowledge(DEFAULT)
    assert "Eiffel Tower" in extract_entities("The Eiffel Tower was built for the 1889 World's Fair.", knowledge)
    claim = claim_from_text("The Eiffel Tower was built for the 1889 World's Fair.", knowledge=knowledge)
    assert claim.entity_types[claim.entities.index("Eiffel Tower")] in ("FAC", "ORG", "GPE", "LOC", "PERSON")
    assert claim.dates == ("1889",)


UK_ARTICLE = ("The North voted heavily for Labour in the 2019 election.\n"
              "Labour lost 60 seats in England and Wales, the Electoral Commission said.")


def test_probe_the_north_is_not_rewritten_to_north_korea_outside_korea_stories():
    claims = ClaimExtractor(load_knowledge(("default", "korea"))).extract([article(UK_ARTICLE)])
    first = next(c for c in claims if c.text.startswith("The North voted"))
    assert "North Korea" not in first.standalone
    assert first.standalone == first.text
    assert "Labour" in first.entities


def test_probe_the_north_entity_is_not_north_korea_outside_korea_stories():
    claims = ClaimExtractor(load_knowledge(("default", "korea"))).extract([article(UK_ARTICLE)])
    first = next(c for c in claims if c.text.startswith("The North voted"))
    assert "North Korea" not in first.entities


HEADLINE = "Teenage British Jihadi Killed in US Airstrikes"


@pytest.mark.parametrize("knowledge", [DEFAULT, ("default", "korea")])
def test_probe_headline_with_us_is_a_claim(knowledge):
    body = "The 19-year-old from London died in a strike near Raqqa on Tuesday, officials said."
    as_first_line = article(f"{HEADLINE}\n{body}", title=HEADLINE)
    only_in_metadata = article(body, title=HEADLINE, original=f"title: {HEADLINE}\n\n{body}", aid="a:2")
    alone = article(HEADLINE, title=HEADLINE, aid="a:3")  # the headline is the article's title and only line
    claims = ClaimExtractor(load_knowledge(knowledge)).extract([as_first_line, only_in_metadata, alone])
    headlines = [c for c in claims if c.text == HEADLINE]
    assert {c.article_id for c in headlines} == {"a:1", "a:2", "a:3"}  # not dropped as opinion ("US" is not "us")
    assert all("United States" in c.entities for c in headlines)


def test_probe_questions_are_not_claims():
    text = ("Did the police shoot the suspect on Monday in Dallas?\n"
            "Police shot a 25-year-old suspect in Dallas on Monday, the Dallas Police Department said.\n"
            "Why did Halvorsen pay $4.2 billion for Brightmill?\n"
            "Is this the end of the National Party?")
    claims = ClaimExtractor(load_knowledge(DEFAULT)).extract([article(text, title="Will the Dallas police explain?")])
    assert [c.text for c in claims] == [
        "Police shot a 25-year-old suspect in Dallas on Monday, the Dallas Police Department said."]


# ---------------------------------------------------------------------------------------------
# Extractor bugs found while writing these tests, fixed: regression tests
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sentence", [
    "The charity received a $5 million donation from the Gates Foundation in 2014.",
    "Procter & Gamble spent $2 billion on advertising in 2014.",
    "Netflix said 5 million people subscribed in the third quarter of 2014.",
])
def test_regression_factual_sentences_about_donations_or_advertising_are_claims(sentence):
    claims = ClaimExtractor(load_knowledge(DEFAULT)).extract([article(sentence)])
    assert [c.text for c in claims] == [sentence]


def test_regression_single_quoted_speech_in_a_headline_is_not_opinion():
    headline = "Texas plumber's truck spotted in Syria: 'We have nothing to do with terror at all'"
    claims = ClaimExtractor(load_knowledge(DEFAULT)).extract([article(headline, title=headline)])
    assert [c.text for c in claims] == [headline]


@pytest.mark.parametrize("sentence", ["Four people were killed, police said.",
                                      "Turnout was 61 percent, election officials said."])
def test_regression_police_said_is_an_attribution(sentence):
    assert find_attribution(sentence) is not None


def test_regression_she_resolves_to_the_woman_just_named():
    text = ("Elena Marsh won the election on Sunday.\nTomas Berg conceded defeat on Monday.\n"
            "Marsh will be sworn in as president on April 1, 2026.\n"
            "She has promised to cut the sales tax from 20 percent to 17 percent.")
    claims = ClaimExtractor(load_knowledge(DEFAULT)).extract([article(text)])
    assert claims[-1].standalone.startswith("Elena Marsh has promised")


# ---------------------------------------------------------------------------------------------
# Real models (slow): one topic end to end with the default pack only
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def real_default_pipeline(tmp_path_factory):
    return Pipeline(Settings(device="cpu", knowledge=DEFAULT, cache_dir=tmp_path_factory.mktemp("cache")), store=False)


@pytest.fixture(scope="session")
def real_shooting_report(real_default_pipeline):
    return real_default_pipeline.run_paths([TOPICS_DIR / "shooting"])


# with the shipped models on the shooting topic (measured 2026-11-28, rules of 7ce823a): the three planted contradictions are
# reported; of the look-alikes, the 2019 shooting against "on Nov. 14, 2026" is called a contradiction because
# two absolute dates are read as a disagreement about one event's date (verify.verdict.rules.different_times)
REAL_LOOKALIKE_MISSES = {
    "shooting-2019-b": "two absolute dates ('In 2019' vs 'on Nov. 14, 2026') never count as different times, so "
                       "the value rule calls '2 vs 4 people' a contradiction",
}


@pytest.mark.slow
@pytest.mark.parametrize("gold_id", ["shooting-deaths", "shooting-deaths-2", "shooting-suspect"])
def test_real_models_pair_the_planted_contradictions(gold_id, real_shooting_report):
    s = scored(real_shooting_report, "shooting")[gold_id]
    assert s.found and s.paired, s.reason


@pytest.mark.slow
@pytest.mark.parametrize("gold_id", ["shooting-deaths", "shooting-suspect", "shooting-deaths-2"])
def test_real_models_report_the_planted_contradictions(gold_id, real_shooting_report):
    s = scored(real_shooting_report, "shooting")[gold_id]
    assert s.predicted in CONFLICTING, s.reason


@pytest.mark.slow
@pytest.mark.parametrize(
    "gold_id",
    [pytest.param(g, marks=pytest.mark.xfail(reason=REAL_LOOKALIKE_MISSES[g], strict=False))
     if g in REAL_LOOKALIKE_MISSES else g
     for g in ("shooting-2019", "shooting-2019-b", "shooting-ortiz")],
)
def test_real_models_do_not_call_lookalikes_contradictions(gold_id, real_shooting_report):
    s = scored(real_shooting_report, "shooting")[gold_id]
    assert s.found, gold_id
    assert s.predicted not in CONFLICTING, s.reason
