from __future__ import annotations

import pytest

from verify.aggregate import Aggregator, Thresholds, clusters, dates_compatible, distinct_entities, value_conflicts
from verify.types import Claim, ClaimPair, Judgement, TimeSpan

E = {"entailment": 0.9, "neutral": 0.05, "contradiction": 0.05}
N = {"entailment": 0.1, "neutral": 0.8, "contradiction": 0.1}
C = {"entailment": 0.05, "neutral": 0.1, "contradiction": 0.85}


def claim(cid: str, text: str, source: str = "A", article: str = "a:1", **kw) -> Claim:
    return Claim(cid, article, source, text, text, (0, len(text)), **kw)


def judge(a: Claim, b: Claim, fwd=N, bwd=N, sim: float = 0.8) -> Judgement:
    return Judgement(ClaimPair(a, b, sim), fwd, bwd)


@pytest.mark.parametrize(
    "a, b, ok",
    [("1945", "1945-08-08", True), ("1945-08-08", "1945-08-09", False), ("--08-15", "2024-08-15", True),
     ("--08-15", "--08-16", False), ("1950/1953", "1950", True), ("1945-08", "1945-09-01", False)],
)
def test_dates_compatible(a, b, ok):
    assert dates_compatible(a, b) is ok


def test_value_conflicts_dates_and_units():
    a = claim("1", "On Aug 8, 1945, 1,500 tons of cargo moved.", dates=("1945-08-08",))
    b = claim("2", "On Aug 9, 1945, 15,000 tons of cargo moved.", source="B", article="a:2", dates=("1945-08-09",))
    assert value_conflicts(a, b) == ["date: 1945-08-08 vs 1945-08-09", "ton: 1,500 vs 15,000"]
    c = claim("3", "In 1945 about 1,480 tons of cargo moved, in four ships.", dates=("1945",))
    assert value_conflicts(a, c) == []
    d = claim("4", "It marked the 80th anniversary.")
    assert value_conflicts(claim("5", "It marked the 79th anniversary."), d) == ["anniversary: 79th vs 80th"]


def test_value_conflict_overrides_nli_entailment():
    a = claim("1", "The USSR declared war on Aug 8, 1945.", dates=("1945-08-08",))
    b = claim("2", "The USSR declared war on Aug 9, 1945.", source="B", article="a:2", dates=("1945-08-09",))
    v = Aggregator().decide(judge(a, b, E, E))
    assert v.verdict == "contradict" and v.conflicts == ("date: 1945-08-08 vs 1945-08-09",)


def test_different_monuments_are_not_a_contradiction():
    a = claim("1", "Kim visited the Friendship Tower.", entities=("Kim Jong Un", "Friendship Tower"))
    b = claim("2", "Kim visited the Liberation Tower.", source="B", article="a:2", entities=("Kim Jong Un", "Liberation Tower"))
    assert distinct_entities(a, b) == ["monument: Friendship Tower vs Liberation Tower"]
    v = Aggregator().decide(judge(a, b, C, C))
    assert v.verdict == "neutral" and "different things" in v.reason


def test_state_claims_years_apart_are_not_contradictions():
    a = claim("1", "Russia is North Korea's main ally.", article="a:1")
    b = claim("2", "China is North Korea's main ally.", source="B", article="a:2")
    agg = Aggregator(article_dates={"a:1": "2019-04-23", "a:2": "2021-07-29"})
    v = agg.decide(judge(a, b, C, C))
    assert v.verdict == "different-time" and "years apart" in v.reason
    same_time = Aggregator(article_dates={"a:1": "2021-07-01", "a:2": "2021-07-29"}).decide(judge(a, b, C, C))
    assert same_time.verdict == "contradict"


@pytest.mark.parametrize(
    "fwd, bwd, verdict",
    [(C, N, "contradict"), (N, C, "contradict"), (E, N, "support"), (E, E, "support"), (N, N, "neutral")],
)
def test_nli_verdicts(fwd, bwd, verdict):
    a, b = claim("1", "a b c"), claim("2", "a b d", source="B", article="a:2")
    v = Aggregator(Thresholds()).decide(judge(a, b, fwd, bwd))
    assert v.verdict == verdict
    assert 0 <= v.confidence <= 1
    assert v.forward == fwd and v.backward == bwd


def test_attribution_is_named_in_the_reason():
    a = claim("1", "The Red Army liberated Korea.", attribution="the North")
    b = claim("2", "US bombings forced Japan's surrender.", source="B", article="a:2")
    v = Aggregator().decide(judge(a, b, C, C))
    assert v.verdict == "disputed" and "attributes its claim to the North" in v.reason


def test_clusters_group_agreeing_and_disagreeing_sources():
    a, b = claim("1", "x", "A"), claim("2", "y", "B", "a:2")
    c, d = claim("3", "z", "C", "a:3"), claim("4", "w", "D", "a:4")
    agg = Aggregator()
    verdicts = [agg.decide(judge(a, b, E, E)), agg.decide(judge(b, c, C, C)), agg.decide(judge(c, d, N, N))]
    (cluster,) = clusters(verdicts)
    assert cluster.claim_ids == ("1", "2", "3")
    assert cluster.agree == (("A", "B"),) and cluster.disagree == (("B", "C"),)
    assert clusters([]) == []


def test_claim_times_that_do_not_overlap_make_different_time():
    t1 = TimeSpan("2019-01-01", "2019-12-31", "in 2019", "year")
    t2 = TimeSpan("2021-07-29", "2021-07-29", "on Thursday", "day")
    a = claim("1", "Kim met Putin in Vladivostok.", time=t1)
    b = claim("2", "Kim did not meet Putin in Vladivostok.", source="B", article="a:2", time=t2)
    v = Aggregator().decide(judge(a, b, C, C))
    assert v.verdict == "different-time" and "different times" in v.reason
    past = claim("3", "Moscow was once its most important ally.", time=TimeSpan("0001-01-01", "2019-04-22", "once", "past"))
    assert Aggregator().decide(judge(past, b, C, C)).verdict == "different-time"


def test_rebuttal_turns_a_matching_claim_into_a_dispute():
    reported = claim("d", "The inscription proclaims the Soviet military liberated Koreans.", source="Star", article="a:s",
                     attribution="The inscription")
    rebuttal = claim("r", "In fact, the Soviet Union only declared war on Aug 8, 1945.", source="Star", article="a:s",
                     rebuts="d")
    other = claim("x", "The tower honours the Red Army that the North claimed liberated Korea.", source="Yonhap",
                  article="a:y", attribution="the North")
    agg = Aggregator()
    matching = Judgement(ClaimPair(other, reported, 0.7), N, N)
    rebutting = Judgement(ClaimPair(other, rebuttal, 0.2, via="d"), N, N)
    verdicts, groups = agg.aggregate([matching, rebutting])
    assert [v.verdict for v in verdicts] == ["neutral", "disputed"]
    assert "Star disputes a claim that matches this one" in verdicts[1].reason
    assert groups and groups[0].disagree == (("Star", "Yonhap"),)
    # without a matching pair there is nothing to dispute
    assert [v.verdict for v in agg.aggregate([rebutting])[0]] == ["neutral"]


@pytest.mark.parametrize(
    "text_a, text_b, dates_a, dates_b",
    [("About 80 people attended the ceremony.", "79 people attended the ceremony.", (), ()),
     ("More than 1,000 soldiers took part in the parade.", "1,200 soldiers took part in the parade.", (), ()),
     ("The USSR declared war on Japan in 1945.", "The USSR declared war on Japan on Aug 8, 1945.", ("1945",), ("1945-08-08",))],
)
def test_compatible_values_in_the_same_claim_are_support_even_if_nli_disagrees(text_a, text_b, dates_a, dates_b):
    a = claim("1", text_a, dates=dates_a)
    b = claim("2", text_b, source="B", article="a:2", dates=dates_b)
    v = Aggregator().decide(judge(a, b, C, N))
    assert v.verdict == "support" and "compatible values" in v.reason


def test_compatible_values_need_the_rest_of_the_claim_to_agree():
    a = claim("1", "About 80 people attended the ceremony in Pyongyang.")
    b = claim("2", "79 soldiers were killed in the border clash.", source="B", article="a:2")
    assert Aggregator().decide(judge(a, b, C, C)).verdict == "contradict"


def test_shared_facts_need_a_specific_entity_and_two_outlets():
    from verify.aggregate import shared_facts

    a = claim("1", "x", "Yonhap", "a:1", entities=("Korean War", "Soviet Union"), dates=("1950/1953",))
    b = claim("2", "y", "Independent", "a:2", entities=("Korean War", "China"), dates=("1950/1953",))
    c = claim("3", "z", "Independent", "a:2", entities=("Japan",), dates=("1945",))
    d = claim("4", "w", "Yonhap", "a:1", entities=("Japan",), dates=("1945",))
    facts = shared_facts([a, b, c, d])
    assert [(f.entity, f.value, f.sources) for f in facts] == [("Korean War", "1950/1953", ("Independent", "Yonhap"))]


def test_one_monument_said_to_honour_different_events():
    a = claim("1", "Kim visited the Liberation Tower to pay tribute to Soviet soldiers killed during the 1950-53 Korean War.",
              entities=("Kim Jong Un", "Liberation Tower", "Soviet Union", "Korean War"))
    b = claim("2", "The Liberation Tower has a panel showing Soviet and Korean troops going into battle against the Japanese.",
              source="B", article="a:2", entities=("Liberation Tower", "Soviet Union", "Japan"))
    v = Aggregator().decide(judge(a, b, N, N))
    assert v.verdict == "contradict" and "Liberation Tower commemorates" in v.conflicts[0]
    c = claim("3", "The Liberation Tower was built in 1947 to honor the Red Army that liberated Korea from Japan.",
              source="C", article="a:3", entities=("Liberation Tower", "Soviet Union", "Korea", "Japan"))
    agree = Aggregator().decide(judge(b, c, N, N))  # both: the fight against Japan
    assert agree.verdict == "support" and "commemorates the 1945 fight against Japan" in agree.reason


def test_compatible_values_do_not_excuse_other_edits():
    a = claim("1", "The primary is a giant of magnitude 2.2, 228 light-years from Earth.")
    b = claim("2", "The primary is a giant of magnitude 2.2, 228 light-years from Mars.", source="B", article="a:2")
    assert Aggregator().decide(judge(a, b, C, C)).verdict == "contradict"  # a name changed, the numbers agree
    c = claim("3", "Dasher passed the 200-yard mark with 204 yards.")
    d = claim("4", "Dasher passed the 600-yard mark with 204 yards.", source="B", article="a:2")
    assert Aggregator().decide(judge(c, d, C, C)).verdict == "contradict"  # one number has no agreeing partner
    e = claim("5", "It was held from July 18 to 21, 2018.", dates=("--07-18",))
    f = claim("6", "It was held from April 18 to 21, 2018.", source="B", article="a:2", dates=("--04-18",))
    v = Aggregator().decide(judge(e, f, E, E))
    assert v.verdict == "contradict" and "--07-18 vs --04-18" in v.conflicts[0]
