"""Each named rule alone, its typed evidence, the order, disabling rules, and regressions from real news."""

from __future__ import annotations

import dataclasses

import pytest

from verify.errors import ConfigError
from verify.records import Agreement, Attribution, Conflict, DistinctEntities, NLIScores, Rebuttal, TimeGap, TimeSpan
from verify.verdict import RULE_NAMES, check_rule_names
from verify.verdict.aggregate import Aggregator, clusters, shared_facts
from verify.verdict.rules import (
    RULES,
    AttributionRule,
    Commemoration,
    CompatibleValues,
    DifferentTime,
    DistinctEntitiesRule,
    NLIContradiction,
    NLIEntailment,
    NLINeutral,
    PairContext,
    Restatement,
    Thresholds,
    ValueConflict,
    distinct_entities,
    value_conflicts,
)

from .helpers import KNOWLEDGE, PARAMS, C, E, N, claim, judge, probs


def agg(**kw) -> Aggregator:
    return Aggregator(params=PARAMS, knowledge=KNOWLEDGE, **kw)


def ctx(j, dates=None) -> PairContext:
    return PairContext(j, Thresholds.resolve(PARAMS), KNOWLEDGE, dates or {})


# --------------------------------------------------------------------------------------------- checks
def test_value_conflicts_are_typed_dates_and_units():
    a = claim("1", "On Aug 8, 1945, 1,500 tons of cargo moved.", dates=("1945-08-08",))
    b = claim("2", "On Aug 9, 1945, 15,000 tons of cargo moved.", source="B", article="a:2", dates=("1945-08-09",))
    assert value_conflicts(a, b) == [Conflict("date", "1945-08-08", "1945-08-09"), Conflict("ton", "1,500", "15,000")]
    c = claim("3", "In 1945 about 1,480 tons of cargo moved, in four ships.", dates=("1945",))
    assert value_conflicts(a, c) == []
    d = claim("4", "It marked the 80th anniversary.")
    assert value_conflicts(claim("5", "It marked the 79th anniversary."), d) == [Conflict("anniversary", "79th", "80th")]


def test_value_rules_read_the_values_the_claim_carries_not_its_text():
    a = claim("1", "That day 1,500 tons of cargo moved.")
    b = claim("2", "That day 15,000 tons of cargo moved.", source="B", article="a:2")
    assert value_conflicts(a, b) == [Conflict("ton", "1,500", "15,000")]
    assert value_conflicts(dataclasses.replace(a, quantities=()), b) == []


def test_two_amounts_of_money_about_different_things_do_not_conflict():
    """Real news (FNC-1): a price asked for a body and a ransom are two quantities, both in dollars."""
    sale = claim("1", "The militants offered to sell the body of James Foley for $1million.",
                 entities=("James Foley",))
    ransom = claim("2", "The militants had demanded a $132million ransom for James Foley.", source="B", article="a:2",
                   entities=("James Foley",))
    assert value_conflicts(sale, ransom) == []
    v = agg().decide(judge(sale, ransom, N, N, sim=0.8))
    assert v.verdict == "neutral" and v.rule == "nli-neutral"
    # the same quantity (the same words around it) still conflicts
    other_ransom = claim("3", "The militants had demanded a $100million ransom for James Foley.", source="B",
                         article="a:2", entities=("James Foley",))
    assert value_conflicts(ransom, other_ransom) == [Conflict("usd", "132,000,000", "100,000,000")]
    # the words next to the numbers differ: the dead and the injured are two counts
    killed = claim("4", "The bomb killed 40 people in the market attack.")
    injured = claim("5", "The bomb injured 60 people in the market attack.", source="B", article="a:2")
    assert value_conflicts(killed, injured) == []
    assert value_conflicts(killed, claim("6", "The bomb killed 60 people in the market attack.", source="B")) == \
        [Conflict("people", "40", "60")]


def test_distinct_entities_use_ner_types_not_topic_tables():
    a = claim("1", "Kim visited the Friendship Tower.", entities=("Kim Jong Un", "Friendship Tower"))
    b = claim("2", "Kim visited the Liberation Tower.", source="B", article="a:2",
              entities=("Kim Jong Un", "Liberation Tower"))
    assert distinct_entities(a, b, KNOWLEDGE) == [DistinctEntities("FAC", ("Friendship Tower",), ("Liberation Tower",))]
    # the claim's own NER label wins over the pack's; an unknown name with no label is not compared
    untyped = claim("3", "Kim visited the Obelisk.", source="B", article="a:2", entities=("Kim Jong Un", "Obelisk"),
                    entity_types=("PERSON", ""))
    assert distinct_entities(a, untyped, KNOWLEDGE) == []
    typed = claim("4", "Kim visited the Obelisk.", source="B", article="a:2", entities=("Kim Jong Un", "Obelisk"),
                  entity_types=("PERSON", "FAC"))
    assert distinct_entities(a, typed, KNOWLEDGE)[0].b == ("Obelisk",)
    # countries are too coarse to be "different things", and generic names never count
    fr = claim("5", "France sent troops.", entities=("France",), entity_types=("PERSON",))
    assert distinct_entities(fr, claim("6", "Japan sent troops.", entities=("Japan",)), KNOWLEDGE) == []


# --------------------------------------------------------------------------------------------- each rule alone
def test_rule_names_match_the_registry():
    assert tuple(r.name for r in RULES) == RULE_NAMES[: len(RULES)]
    assert check_rule_names(["value-conflict"]) == ("value-conflict",)
    with pytest.raises(ValueError, match="did you mean 'value-conflict'"):
        check_rule_names(["value-conflcit"])


def test_different_time_rule_alone():
    a = claim("1", "Russia is North Korea's main ally.", article="a:1")
    b = claim("2", "China is North Korea's main ally.", source="B", article="a:2")
    apart = DifferentTime().decide(ctx(judge(a, b, C, C), {"a:1": "2019-04-23", "a:2": "2021-07-29"}))
    assert apart is not None and apart.verdict == "different-time" and apart.rule == "different-time"
    assert TimeGap("years_apart", "2019-04-23", "2021-07-29", 2.2) in apart.evidence
    assert DifferentTime().decide(ctx(judge(a, b, C, C), {"a:1": "2021-07-01", "a:2": "2021-07-29"})) is None
    assert DifferentTime().decide(ctx(judge(a, b, E, E), {"a:1": "2019-04-23", "a:2": "2021-07-29"})) is None


def test_value_conflict_rule_alone():
    a = claim("1", "The USSR declared war on Aug 8, 1945.", dates=("1945-08-08",))
    b = claim("2", "The USSR declared war on Aug 9, 1945.", source="B", article="a:2", dates=("1945-08-09",))
    d = ValueConflict().decide(ctx(judge(a, b, E, E)))
    assert d is not None and d.verdict == "contradict"
    assert d.evidence[0] == Conflict("date", "1945-08-08", "1945-08-09")
    assert isinstance(d.evidence[-1], NLIScores) and d.evidence[-1].label == "contradiction"
    assert d.confidence == 0.05  # no fitted precision: the NLI contradiction, which disagrees with the rule
    fitted = Thresholds.resolve(PARAMS.__class__({**PARAMS.thresholds, "precision:value-conflict": 0.93}, None, {}, "x"))
    assert ValueConflict().decide(PairContext(judge(a, b, E, E), fitted, KNOWLEDGE, {})).confidence == 0.93
    assert ValueConflict().decide(ctx(judge(a, b, E, E, sim=0.3))) is None  # not about the same fact


def test_commemoration_rule_works_from_pack_data_alone():
    a = claim("1", "The Arc de Triomphe honours the soldiers of Napoleon's wars.", entities=("Arc de Triomphe",))
    b = claim("2", "The Arc de Triomphe honours the Unknown Soldier of the First World War.", source="B",
              article="a:2", entities=("Arc de Triomphe",))
    d = Commemoration().decide(ctx(judge(a, b, N, N)))
    assert d is not None and d.verdict == "contradict"
    assert d.evidence == (Conflict("commemorates", "the Napoleonic wars", "the First World War", "Arc de Triomphe"),)
    said = claim("3", "The guide said the Arc de Triomphe honours the First World War dead.", source="C",
                 article="a:3", entities=("Arc de Triomphe",), attribution="The guide")
    disputed = Commemoration().decide(ctx(judge(a, said, N, N)))
    assert disputed is not None and disputed.verdict == "disputed"
    assert Attribution("3", "C", "The guide") in disputed.evidence
    agree = Commemoration().decide(ctx(judge(b, said, N, N)))
    assert agree is not None and agree.verdict == "support"
    assert agree.evidence == (Agreement("commemorates", "the First World War", "the First World War", "Arc de Triomphe"),)
    # without a pack's commemorations the rule never fires
    from verify.knowledge import Knowledge

    bare = PairContext(judge(a, b, N, N), Thresholds.resolve(PARAMS), Knowledge(packs=(), digest="0", types=KNOWLEDGE.types), {})
    assert Commemoration().decide(bare) is None


def test_compatible_values_rule_alone():
    a = claim("1", "About 80 people attended the ceremony.")
    b = claim("2", "79 people attended the ceremony.", source="B", article="a:2")
    d = CompatibleValues().decide(ctx(judge(a, b, C, N)))
    assert d is not None and d.verdict == "support" and d.evidence[0] == Agreement("people", "About 80 people", "79 people")
    other = claim("3", "79 soldiers were killed in the border clash.", source="B", article="a:2")
    assert CompatibleValues().decide(ctx(judge(a, other, C, C))) is None


def test_restatement_rule_alone():
    a = claim("1", "Justin Bieber saves man from bear attack.")
    longer = claim("2", "Justin Bieber saves man from bear attack in Russia, fans say.", source="B", article="a:2")
    assert Restatement().decide(ctx(judge(a, longer, C, C))).verdict == "support"
    negated = claim("3", "Justin Bieber never saves man from bear attack.", source="B", article="a:2")
    assert Restatement().decide(ctx(judge(a, negated, C, C))) is None
    renumbered = claim("4", "Dasher passed the 600-yard mark with 204 yards.", source="B", article="a:2")
    assert Restatement().decide(ctx(judge(claim("5", "Dasher passed the 200-yard mark with 204 yards."), renumbered,
                                          C, C))) is None
    renamed = claim("6", "The primary is a giant of magnitude 2.2, 228 light-years from Mars.", source="B")
    original = claim("7", "The primary is a giant of magnitude 2.2, 228 light-years from Earth.")
    assert Restatement().decide(ctx(judge(original, renamed, C, C))) is None


def test_distinct_entities_rule_alone():
    a = claim("1", "Trump spoke at the summit.", entities=("Donald Trump",))
    b = claim("2", "Putin spoke at the summit.", source="B", article="a:2", entities=("Vladimir Putin",))
    d = DistinctEntitiesRule().decide(ctx(judge(a, b, C, C)))
    assert d is not None and d.verdict == "neutral" and "different people" in d.reason
    assert d.evidence == (DistinctEntities("PERSON", ("Donald Trump",), ("Vladimir Putin",)),)
    # a shared person does not make the others the same ("Kim met Trump" / "Kim met Putin")
    with_kim = claim("3", "Kim met Trump.", entities=("Kim Jong Un", "Donald Trump"))
    and_kim = claim("4", "Kim met Putin.", source="B", article="a:2", entities=("Kim Jong Un", "Vladimir Putin"))
    assert distinct_entities(with_kim, and_kim, KNOWLEDGE) == [DistinctEntities("PERSON", ("Donald Trump",), ("Vladimir Putin",))]
    # naming one more is not naming a different one
    assert distinct_entities(with_kim, claim("5", "Kim spoke.", entities=("Kim Jong Un",)), KNOWLEDGE) == []


def test_nli_rules_alone():
    a, b = claim("1", "a b c"), claim("2", "a b d", source="B", article="a:2")
    assert NLIEntailment().decide(ctx(judge(a, b, N, E))).evidence == (NLIScores("entailment", 0.1, 0.9, 0.6),)
    assert NLIEntailment().decide(ctx(judge(a, b, C, N))) is None
    assert NLIContradiction().decide(ctx(judge(a, b, C, N))).verdict == "contradict"
    # contradiction needs entailment below weak_entail in BOTH directions
    assert NLIContradiction().decide(ctx(judge(a, b, C, probs(0.4, 0.3)))) is None
    said = claim("3", "a b d", source="B", article="a:2", attribution="KCNA")
    d = AttributionRule().decide(ctx(judge(a, said, C, C)))
    assert d is not None and d.verdict == "disputed" and Attribution("3", "B", "KCNA") in d.evidence
    assert AttributionRule().decide(ctx(judge(a, b, C, C))) is None
    assert NLINeutral().decide(ctx(judge(a, b, N, N))).verdict == "neutral"


# --------------------------------------------------------------------------------------------- the order
def test_value_conflict_overrides_nli_entailment():
    a = claim("1", "The USSR declared war on Aug 8, 1945.", dates=("1945-08-08",))
    b = claim("2", "The USSR declared war on Aug 9, 1945.", source="B", article="a:2", dates=("1945-08-09",))
    v = agg().decide(judge(a, b, E, E))
    assert (v.verdict, v.rule) == ("contradict", "value-conflict") and v.conflicts == ("date: 1945-08-08 vs 1945-08-09",)


def test_different_monuments_are_not_a_contradiction():
    a = claim("1", "Kim visited the Friendship Tower.", entities=("Kim Jong Un", "Friendship Tower"))
    b = claim("2", "Kim visited the Liberation Tower.", source="B", article="a:2", entities=("Kim Jong Un", "Liberation Tower"))
    v = agg().decide(judge(a, b, C, C))
    assert (v.verdict, v.rule) == ("neutral", "distinct-entities") and "different things" in v.reason


def test_state_claims_years_apart_are_not_contradictions():
    a = claim("1", "Russia is North Korea's main ally.", article="a:1")
    b = claim("2", "China is North Korea's main ally.", source="B", article="a:2")
    v = agg(article_dates={"a:1": "2019-04-23", "a:2": "2021-07-29"}).decide(judge(a, b, C, C))
    assert v.verdict == "different-time" and "years apart" in v.reason
    same_time = agg(article_dates={"a:1": "2021-07-01", "a:2": "2021-07-29"}).decide(judge(a, b, C, C))
    assert (same_time.verdict, same_time.rule) == ("contradict", "nli-contradiction")


@pytest.mark.parametrize(
    "fwd, bwd, verdict, rule",
    [(C, N, "contradict", "nli-contradiction"), (N, C, "contradict", "nli-contradiction"),
     (E, N, "support", "nli-entailment"), (E, E, "support", "nli-entailment"), (N, N, "neutral", "nli-neutral"),
     (C, E, "support", "nli-entailment")],
)
def test_nli_verdicts(fwd, bwd, verdict, rule):
    a, b = claim("1", "a b c"), claim("2", "a b d", source="B", article="a:2")
    v = agg().decide(judge(a, b, fwd, bwd))
    assert (v.verdict, v.rule) == (verdict, rule)
    assert 0 <= v.confidence <= 1
    assert v.forward == fwd and v.backward == bwd


def test_bieber_one_direction_entails_so_it_is_not_a_contradiction():
    """Real news (FNC-1): contradiction 0.74 one way, entailment 0.62 the other; checking contradiction first
    called it a contradiction."""
    headline = claim("1", "Justin Bieber saves man from bear attack", entities=("Justin Bieber",))
    body = claim("2", "The singer saved a Russian fisherman from a brown bear, a report claimed.", source="B",
                 article="a:2", entities=("Justin Bieber",))
    v = agg().decide(judge(headline, body, probs(0.1, 0.74), probs(0.62, 0.2), sim=0.7))
    assert (v.verdict, v.rule, v.confidence) == ("support", "nli-entailment", 0.62)


def test_near_verbatim_sentence_is_support_whatever_nli_says():
    """Real news (FNC-1): a body sentence that repeats the headline got contradict 0.95 from NLI."""
    headline = claim("1", "Islamic State militants behead American journalist James Foley in video",
                     entities=("James Foley",))
    body = claim("2", "Islamic State militants behead American journalist James Foley in video released online.",
                 source="B", article="a:2", entities=("James Foley",))
    v = agg().decide(judge(headline, body, probs(0.02, 0.95), probs(0.03, 0.9), sim=0.97))
    assert (v.verdict, v.rule) == ("support", "restatement")


def test_attribution_is_named_in_the_reason():
    a = claim("1", "The Red Army liberated Korea.", attribution="the North")
    b = claim("2", "US bombings forced Japan's surrender.", source="B", article="a:2")
    v = agg().decide(judge(a, b, C, C))
    assert (v.verdict, v.rule) == ("disputed", "attribution") and "attributes its claim to the North" in v.reason


def test_claim_times_that_do_not_overlap_make_different_time():
    t1 = TimeSpan("2019-01-01", "2019-12-31", "in 2019", "year")
    t2 = TimeSpan("2021-07-29", "2021-07-29", "on Thursday", "day")
    a = claim("1", "Kim met Putin in Vladivostok.", time=t1)
    b = claim("2", "Kim did not meet Putin in Vladivostok.", source="B", article="a:2", time=t2)
    v = agg().decide(judge(a, b, C, C))
    assert v.verdict == "different-time" and "different times" in v.reason
    assert TimeGap("intervals", "in 2019: 2019-01-01..2019-12-31", "on Thursday: 2021-07-29..2021-07-29") in v.evidence
    past = claim("3", "Moscow was once its most important ally.", time=TimeSpan("0001-01-01", "2019-04-22", "once", "past"))
    now = claim("4", "Moscow is not its most important ally.", source="B", article="a:2")
    w = agg().decide(judge(past, now, C, C))
    assert w.verdict == "different-time" and TimeGap("past", "once", "") in w.evidence


@pytest.mark.parametrize(
    "text_a, text_b, dates_a, dates_b",
    [("About 80 people attended the ceremony.", "79 people attended the ceremony.", (), ()),
     ("More than 1,000 soldiers took part in the parade.", "1,200 soldiers took part in the parade.", (), ()),
     ("The USSR declared war on Japan in 1945.", "The USSR declared war on Japan on Aug 8, 1945.", ("1945",), ("1945-08-08",))],
)
def test_compatible_values_in_the_same_claim_are_support_even_if_nli_disagrees(text_a, text_b, dates_a, dates_b):
    a = claim("1", text_a, dates=dates_a)
    b = claim("2", text_b, source="B", article="a:2", dates=dates_b)
    v = agg().decide(judge(a, b, C, N))
    assert (v.verdict, v.rule) == ("support", "compatible-values") and "compatible values" in v.reason
    assert all(isinstance(e, (Agreement, NLIScores)) for e in v.evidence)


def test_compatible_values_do_not_excuse_other_edits():
    a = claim("1", "The primary is a giant of magnitude 2.2, 228 light-years from Earth.")
    b = claim("2", "The primary is a giant of magnitude 2.2, 228 light-years from Mars.", source="B", article="a:2")
    assert agg().decide(judge(a, b, C, C)).verdict == "contradict"  # a name changed, the numbers agree
    c = claim("3", "Dasher passed the 200-yard mark with 204 yards.")
    d = claim("4", "Dasher passed the 600-yard mark with 204 yards.", source="B", article="a:2")
    assert agg().decide(judge(c, d, C, C)).verdict == "contradict"  # one number has no agreeing partner
    e = claim("5", "It was held from July 18 to 21, 2018.", dates=("--07-18",))
    f = claim("6", "It was held from April 18 to 21, 2018.", source="B", article="a:2", dates=("--04-18",))
    v = agg().decide(judge(e, f, E, E))
    assert v.verdict == "contradict" and v.evidence[0] == Conflict("date", "--07-18", "--04-18")


# --------------------------------------------------------------------------------------------- switching rules off
def test_a_disabled_rule_is_skipped():
    a = claim("1", "The USSR declared war on Aug 8, 1945.", dates=("1945-08-08",))
    b = claim("2", "The USSR declared war on Aug 9, 1945.", source="B", article="a:2", dates=("1945-08-09",))
    v = agg(disabled_rules=("value-conflict",)).decide(judge(a, b, E, E))
    assert (v.verdict, v.rule) == ("support", "nli-entailment")
    assert agg(disabled_rules=("value-conflict",)).key() != agg().key()  # cached verdicts are not reused
    with pytest.raises(ConfigError, match="did you mean 'restatement'"):
        agg(disabled_rules=("restatment",))


def test_disabled_rules_setting_is_validated():
    from verify.config import load_settings

    assert load_settings(disabled_rules=("restatement",)).disabled_rules == ("restatement",)
    with pytest.raises(ConfigError, match="did you mean 'nli-entailment'"):
        load_settings(disabled_rules=("nli-entailmnt",))


def test_thresholds_come_from_the_fit_unless_settings_override():
    fitted = PARAMS.__class__({"support": 0.7, "contradict": 0.55, "weak_entail": 0.2, "same_fact_similarity": 0.5},
                              None, {}, "fit")
    t = Thresholds.resolve(fitted, support=None, contradict=0.8)
    assert (t.support, t.contradict, t.weak_entail, t.same_fact_similarity) == (0.7, 0.8, 0.2, 0.5)


# --------------------------------------------------------------------------------------------- set-level and helpers
def test_rebuttal_turns_a_matching_claim_into_a_dispute():
    reported = claim("d", "The inscription proclaims the Soviet military liberated Koreans.", source="Star",
                     article="a:s", attribution="The inscription")
    rebuttal = claim("r", "In fact, the Soviet Union only declared war on Aug 8, 1945.", source="Star", article="a:s",
                     rebuts="d")
    other = claim("x", "The tower honours the Red Army that the North claimed liberated Korea.", source="Yonhap",
                  article="a:y", attribution="the North")
    matching = judge(other, reported, N, N, sim=0.7)
    rebutting = judge(other, rebuttal, N, N, sim=0.2, via="d")
    verdicts, groups, _ = agg().aggregate([matching, rebutting])
    assert [(v.verdict, v.rule) for v in verdicts] == [("neutral", "nli-neutral"), ("disputed", "rebuttal")]
    assert "Star disputes a claim that matches this one" in verdicts[1].reason
    (evidence,) = verdicts[1].evidence
    assert isinstance(evidence, Rebuttal) and (evidence.disputed_id, evidence.rebuttal_id) == ("d", "r")
    assert groups and groups[0].disagree == (("Star", "Yonhap"),)
    assert [v.verdict for v in agg().aggregate([rebutting])[0]] == ["neutral"]  # nothing matches: nothing to dispute
    assert [v.verdict for v in agg(disabled_rules=("rebuttal",)).aggregate([matching, rebutting])[0]] == ["neutral"] * 2


def test_clusters_group_agreeing_and_disagreeing_sources():
    a, b = claim("1", "x", "A"), claim("2", "y", "B", "a:2")
    c, d = claim("3", "z", "C", "a:3"), claim("4", "w", "D", "a:4")
    verdicts = [agg().decide(judge(a, b, E, E)), agg().decide(judge(b, c, C, C)), agg().decide(judge(c, d, N, N))]
    (cluster,) = clusters(verdicts)
    assert cluster.claim_ids == ("1", "2", "3")
    assert cluster.agree == (("A", "B"),) and cluster.disagree == (("B", "C"),)
    assert clusters([]) == []


def test_shared_facts_need_a_specific_entity_and_two_outlets():
    a = claim("1", "x", "Yonhap", "a:1", entities=("Korean War", "Soviet Union"), dates=("1950/1953",))
    b = claim("2", "y", "Independent", "a:2", entities=("Korean War", "Japan"), dates=("1950/1953",))
    c = claim("3", "z", "Independent", "a:2", entities=("Japan",), dates=("1945",))
    d = claim("4", "w", "Yonhap", "a:1", entities=("Japan",), dates=("1945",))
    facts = shared_facts([a, b, c, d], KNOWLEDGE)
    assert [(f.entity, f.value, f.sources) for f in facts] == [("Korean War", "1950/1953", ("Independent", "Yonhap"))]


def test_evidence_survives_the_store(tmp_path):
    from verify.pipeline.store import Store

    a = claim("1", "The USSR declared war on Aug 8, 1945.", dates=("1945-08-08",))
    b = claim("2", "The USSR declared war on Aug 9, 1945.", source="B", article="a:2", dates=("1945-08-09",))
    v = agg().decide(judge(a, b, E, E))
    store = Store(tmp_path / "s.sqlite")
    store.put_verdicts(1, "m", "r", [("k", v)])
    verdict, _, reason, conflicts, rule, evidence = store.get_verdicts("m", ["k"])["k"]
    assert (verdict, reason, conflicts, rule, evidence) == (v.verdict, v.reason, v.conflicts, v.rule, v.evidence)
