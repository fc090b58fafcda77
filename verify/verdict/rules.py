"""Named verdict rules over one pair of claims: each returns a ``Decision`` with typed evidence, or None.

A pair's verdict is the first rule in ``RULES`` that decides. The values the rules compare are the ones each
claim carries, parsed once by the extractor (``Claim.quantities``, ``Claim.dates``; ``verify.extract.values``).
The order, and why:

1. ``different-time``   the claims conflict (value conflicts in claims about the same fact, or NLI
                        contradiction >= threshold and stronger than entailment, unless the claims name
                        different specific things other than people) but describe different moments:
                        non-overlapping time spans, one speaks of the past, or a changeable state in
                        articles a year apart. First, because a conflict between two moments is not a
                        disagreement.
2. ``value-conflict``   same-kind values about the same subject that cannot both hold (Aug 8 vs Aug 9,
                        1,500 vs 15,000 tons) in claims about the same fact -> contradict, whatever NLI says.
3. ``commemoration``    one monument (a FAC entity) said to honour different events -> contradict (disputed
                        when one side is attributed); the same event -> support. Only through a knowledge
                        pack's ``commemorations``/``honour_cues``: no topic words here.
4. ``compatible-values`` the same words, once values and hedges are set aside, with values that all agree
                        (about 80 ~ 79; 1945 ~ Aug 8, 1945) -> support.
5. ``restatement``      one claim's words are all in the other (near-verbatim), with the same numbers, the
                        same negations and the same attribution -> support (NLI is unreliable on copies).
6. ``distinct-entities`` different specific entities of one NER type (PERSON, FAC, EVENT, WORK_OF_ART, LAW,
                        PRODUCT) -> neutral: look-alike sentences about different things.
7. ``nli-entailment``   entailment in either direction >= the support threshold -> support. Entailment is
                        looked at before contradiction: a pair that entails one way is not a contradiction.
8. ``attribution``      NLI contradiction (>= threshold, and entailment both ways < weak_entail) where exactly
                        one side is reported speech -> disputed.
9. ``nli-contradiction`` the same without attribution -> contradict.
10. ``nli-neutral``     otherwise -> neutral.

Three set-level rules follow in ``verify.verdict.aggregate`` (its docstring gives their order): ``rebuttal`` (an
outlet that reports a claim and then rebuts it disputes the other outlets' matching claims), ``stance-model``
(the fitted model's verdict on a claim against all the claims of another outlet) and ``outlet`` (that
outlet-level view overrides a pair's soft conflict: an NLI contradiction is dropped when another claim of that
outlet, or the other direction, entails it). Hard rules (1-6 and rebuttal) stay ahead of the fitted NLI
decision.

Thresholds come from the fitted parameters (``verify.verdict.calibrate.load_params``) unless settings override
them. A decision's confidence is the NLI probability that decided it; for a hard rule, the rule's precision
measured by the fit (``precision:<rule>`` in the parameters) when there is one, else the NLI probability of
the label the verdict implies (low when NLI disagrees with the rule: a signal, not a bug).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from verify.extract.claims import STATE_CUES
from verify.extract.values import (
    FUNCTION_WORDS,
    MONTHS,
    YEAR,
    Quantity,
    compatible,
    date_parts,
    dates_compatible,
    describe,
)
from verify.extract.values import HEDGES as VALUE_HEDGES
from verify.records import (
    Agreement,
    Attribution,
    Claim,
    Conflict,
    DistinctEntities,
    Evidence,
    Judgement,
    NLIScores,
    TimeGap,
)
from verify.verdict import RULE_NAMES
from verify.verdict.params import Params, load_params

# NER types where two different names mean two different things (not a disagreement). GPE, LOC, ORG and
# NORP are too coarse: "Russia"/"China" as an ally is a disagreement, not two topics.
DISTINCT_TYPES: tuple[str, ...] = ("PERSON", "FAC", "EVENT", "WORK_OF_ART", "LAW", "PRODUCT")
ABSOLUTE = re.compile(rf"\b{YEAR}\b")  # a time expression that names its year
YEARS_APART = 1.0  # article dates this far apart make state claims "different time" (a year: a definition)


# ---------------------------------------------------------------------------------------------
# thresholds and the decision record
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Thresholds:
    """The cut-offs the rules read: fitted (``Params.thresholds``) unless settings override them."""

    contradict: float = 0.6
    support: float = 0.6
    same_fact_similarity: float = 0.6
    weak_entail: float = 0.3  # an NLI contradiction counts only when entailment (both ways) is below this
    years_apart: float = YEARS_APART
    precision: Mapping[str, float] = field(default_factory=dict)  # rule name -> measured precision

    @classmethod
    def resolve(cls, params: Params | None = None, **overrides: float | None) -> Thresholds:
        """From fitted parameters (`Params`; the packaged ones when None), settings overrides first
        (None: use the fitted value)."""
        if params is None:
            params = load_params()
        fitted = dict(params.thresholds)
        values = {name: float(fitted[name]) for name in ("contradict", "support", "same_fact_similarity", "weak_entail")
                  if name in fitted}
        values |= {k: float(v) for k, v in overrides.items() if v is not None}
        precision = {k.split(":", 1)[1]: float(v) for k, v in fitted.items() if k.startswith("precision:")}
        return cls(**values, precision=precision)

    def key(self) -> str:
        """For cache keys: every value the rules read."""
        return repr((self.contradict, self.support, self.same_fact_similarity, self.weak_entail, self.years_apart,
                     sorted(self.precision.items())))


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: str  # contradict | disputed | different-time | support | neutral
    confidence: float
    rule: str
    evidence: tuple[Evidence, ...]
    reason: str  # the evidence in words


# ---------------------------------------------------------------------------------------------
# what a rule sees
# ---------------------------------------------------------------------------------------------
class PairContext:
    """One judgement with everything the rules read, each check computed once and only when asked."""

    def __init__(self, judgement: Judgement, thresholds: Thresholds, knowledge: Any,
                 article_dates: Mapping[str, str | None]) -> None:
        self.judgement = judgement
        self.pair = judgement.pair
        self.a, self.b = judgement.pair.a, judgement.pair.b
        self.fwd, self.bwd = judgement.forward, judgement.backward
        self.t = thresholds
        self.knowledge = knowledge
        self.article_dates = article_dates

    def nli(self, label: str, threshold: float) -> NLIScores:
        return NLIScores(label, round(self.fwd[label], 4), round(self.bwd[label], 4), threshold)

    @cached_property
    def contra(self) -> float:
        return max(self.fwd["contradiction"], self.bwd["contradiction"])

    @cached_property
    def entail(self) -> float:
        return max(self.fwd["entailment"], self.bwd["entailment"])

    @property
    def same_fact(self) -> bool:
        return self.pair.similarity >= self.t.same_fact_similarity

    @property
    def nli_conflict(self) -> bool:
        """NLI sees a contradiction that entailment does not outweigh."""
        return self.contra >= self.t.contradict and self.contra > self.entail

    @cached_property
    def conflicts(self) -> list[Conflict]:
        return value_conflicts(self.a, self.b)

    @cached_property
    def distinct(self) -> list[DistinctEntities]:
        return distinct_entities(self.a, self.b, self.knowledge)

    @cached_property
    def time_gap(self) -> TimeGap | None:
        return different_times(self.a, self.b, self.article_dates, self.t.years_apart)

    def confidence(self, rule: str, label: str) -> float:
        """The rule's fitted precision, else the NLI probability of ``label`` (max over both directions)."""
        measured = self.t.precision.get(rule)
        return round(measured if measured is not None else max(self.fwd[label], self.bwd[label]), 4)


class Rule:
    name: str = ""

    def decide(self, ctx: PairContext) -> Decision | None:
        raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# the rules, in order
# ---------------------------------------------------------------------------------------------
class DifferentTime(Rule):
    name = "different-time"

    def decide(self, ctx: PairContext) -> Decision | None:
        values = ctx.conflicts if ctx.same_fact else []
        # an NLI conflict between different specific things is rule 6's; a value conflict is about one fact
        nli = ctx.nli_conflict and not any(d.kind != "PERSON" for d in ctx.distinct)
        if not (values or nli):
            return None
        gap = ctx.time_gap
        if gap is None:
            return None
        what = f"the values differ ({'; '.join(map(str, values))})" if values else \
            f"NLI sees a conflict (max {ctx.contra:.2f})"
        evidence = (*values, gap, ctx.nli("contradiction", ctx.t.contradict))
        return Decision("different-time", ctx.confidence(self.name, "contradiction"), self.name, evidence,
                        f"{what}, but {describe_gap(gap, ctx.a, ctx.b)}")


class ValueConflict(Rule):
    name = "value-conflict"

    def decide(self, ctx: PairContext) -> Decision | None:
        if not (ctx.conflicts and ctx.same_fact):
            return None
        return Decision("contradict", ctx.confidence(self.name, "contradiction"), self.name,
                        (*ctx.conflicts, ctx.nli("contradiction", ctx.t.contradict)),
                        "the claims give conflicting values for the same fact ("
                        + "; ".join(map(str, ctx.conflicts)) + ")")


class Commemoration(Rule):
    """One monument (FAC) said to honour different events, or the same one; events and cue words are data."""

    name = "commemoration"

    def decide(self, ctx: PairContext) -> Decision | None:
        k = ctx.knowledge
        if not getattr(k, "commemorations", None) or getattr(k, "honour_cues", None) is None:
            return None
        shared = sorted(set(entities_of_type(ctx.a, "FAC", k)) & set(entities_of_type(ctx.b, "FAC", k)))
        if not shared:
            return None
        ea, eb = honoured_events(ctx.a, k), honoured_events(ctx.b, k)
        if not (ea and eb):
            return None
        if not (ea & eb):
            conflict = Conflict("commemorates", ", ".join(sorted(ea)), ", ".join(sorted(eb)), subject=shared[0])
            attributed = [c for c in (ctx.a, ctx.b) if c.attribution]
            if len(attributed) == 1:
                who = attributed[0]
                return Decision("disputed", ctx.confidence(self.name, "contradiction"), self.name,
                                (conflict, Attribution(who.id, who.source, who.attribution or "")),
                                f"the claims say one monument honours different events ({conflict}); "
                                f"{who.source} attributes its claim to {who.attribution}")
            return Decision("contradict", ctx.confidence(self.name, "contradiction"), self.name, (conflict,),
                            f"the claims say one monument honours different events ({conflict})")
        if ctx.contra >= ctx.t.contradict:
            return None
        both = ", ".join(sorted(ea & eb))
        return Decision("support", ctx.confidence(self.name, "entailment"), self.name,
                        (Agreement("commemorates", both, both, subject=shared[0]),),
                        f"both say the {shared[0]} commemorates {both}")


class CompatibleValues(Rule):
    name = "compatible-values"

    def decide(self, ctx: PairContext) -> Decision | None:
        if ctx.conflicts:
            return None
        agreeing = compatible_values(ctx.a, ctx.b)
        if not agreeing or not same_apart_from_values(ctx.a, ctx.b):
            return None
        return Decision("support", ctx.confidence(self.name, "entailment"), self.name,
                        (*agreeing, ctx.nli("entailment", ctx.t.support)),
                        "the claims say the same thing with compatible values ("
                        + "; ".join(map(str, agreeing)) + ")")


class Restatement(Rule):
    name = "restatement"

    def decide(self, ctx: PairContext) -> Decision | None:
        if ctx.conflicts or not restates(ctx.a, ctx.b):
            return None
        return Decision("support", ctx.confidence(self.name, "entailment"), self.name,
                        (ctx.nli("entailment", ctx.t.support),),
                        "one claim repeats the other's words, numbers and negations "
                        f"(NLI entailment max {ctx.entail:.2f}, contradiction max {ctx.contra:.2f})")


class DistinctEntitiesRule(Rule):
    name = "distinct-entities"

    def decide(self, ctx: PairContext) -> Decision | None:
        if not ctx.distinct:
            return None
        people = all(d.kind == "PERSON" for d in ctx.distinct)
        return Decision("neutral", ctx.confidence(self.name, "neutral"), self.name, tuple(ctx.distinct),
                        f"the claims are about different {'people' if people else 'things'} ("
                        + "; ".join(map(str, ctx.distinct)) + ")")


class NLIEntailment(Rule):
    name = "nli-entailment"

    def decide(self, ctx: PairContext) -> Decision | None:
        if ctx.entail < ctx.t.support:
            return None
        scores = ctx.nli("entailment", ctx.t.support)
        direction = "both directions" if scores.directions == 2 else "one direction"
        return Decision("support", round(ctx.entail, 4), self.name, (scores,),
                        f"NLI: entailment in {direction} (max {ctx.entail:.2f})")


def _nli_contradiction(ctx: PairContext) -> NLIScores | None:
    if ctx.contra < ctx.t.contradict or ctx.entail >= ctx.t.weak_entail:
        return None
    return ctx.nli("contradiction", ctx.t.contradict)


def _contradiction_reason(scores: NLIScores, ctx: PairContext) -> str:
    direction = "both directions" if scores.directions == 2 else "one direction"
    return f"NLI: contradiction in {direction} (max {scores.best:.2f}; entailment max {ctx.entail:.2f})"


class AttributionRule(Rule):
    name = "attribution"

    def decide(self, ctx: PairContext) -> Decision | None:
        attributed = [c for c in (ctx.a, ctx.b) if c.attribution]
        scores = _nli_contradiction(ctx) if len(attributed) == 1 else None
        if scores is None:
            return None
        who = attributed[0]
        other = ctx.b if who is ctx.a else ctx.a
        return Decision("disputed", round(ctx.contra, 4), self.name,
                        (scores, Attribution(who.id, who.source, who.attribution or "")),
                        f"{_contradiction_reason(scores, ctx)}; {who.source} attributes its claim to "
                        f"{who.attribution}, {other.source} asserts the other")


class NLIContradiction(Rule):
    name = "nli-contradiction"

    def decide(self, ctx: PairContext) -> Decision | None:
        scores = _nli_contradiction(ctx)
        if scores is None:
            return None
        return Decision("contradict", round(ctx.contra, 4), self.name, (scores,), _contradiction_reason(scores, ctx))


class NLINeutral(Rule):
    name = "nli-neutral"

    def decide(self, ctx: PairContext) -> Decision | None:
        neutral = (ctx.fwd["neutral"] + ctx.bwd["neutral"]) / 2
        return Decision("neutral", round(max(neutral, 1 - max(ctx.contra, ctx.entail)), 4), self.name,
                        (ctx.nli("entailment", ctx.t.support), ctx.nli("contradiction", ctx.t.contradict)),
                        "NLI: neither entailment nor contradiction is clear")


RULES: tuple[Rule, ...] = (DifferentTime(), ValueConflict(), Commemoration(), CompatibleValues(), Restatement(),
                           DistinctEntitiesRule(), NLIEntailment(), AttributionRule(), NLIContradiction(),
                           NLINeutral())
# set-level rules (verify.verdict.aggregate) follow the pair rules
SET_RULES: tuple[str, ...] = ("rebuttal", "outlet", "stance-model")
HARD_RULES: frozenset[str] = frozenset({"different-time", "value-conflict", "commemoration", "compatible-values",
                                        "restatement", "distinct-entities", "rebuttal"})
assert tuple(r.name for r in RULES) + SET_RULES == RULE_NAMES, "verify.verdict.RULE_NAMES is out of date"


def decide_pair(ctx: PairContext, rules: Sequence[Rule] = RULES) -> Decision:
    """The first rule that decides; ``nli-neutral`` always does, so with it disabled the fallback is its own."""
    for rule in rules:
        decision = rule.decide(ctx)
        if decision is not None:
            return decision
    return NLINeutral().decide(ctx)  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------
# checks the rules use
# ---------------------------------------------------------------------------------------------
STOP = frozenset(FUNCTION_WORDS) | {w for h in VALUE_HEDGES for w in h.split()} | {
    "has", "have", "had", "will", "would", "could", "should", "can", "may", "might", "also", "just", "only", "said",
    "says", "say", "told", "according", "there", "here", "then", "than", "what", "into", "out", "up", "down"}
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
CONTEXT_WORDS = 3  # content words looked at on each side of a number


def _stem(word: str) -> str:
    return word.lower()[:5]


def _context(text: str, q: Quantity) -> tuple[list[str], list[str]] | None:
    """The nearest lower-case content words before and after a quantity (CONTEXT_WORDS each side, stemmed; capitalised
    words, i.e. names, are left out: the same person near two numbers does not make them one quantity)."""
    at = text.find(q.text)
    if at < 0:
        return None
    unit_words = {_stem(w) for w in WORD.findall(q.text)}

    def content(span: str) -> list[str]:
        return [_stem(w) for w in WORD.findall(span)
                if w[0].islower() and w.lower() not in STOP and _stem(w) not in unit_words]

    return content(text[:at])[-CONTEXT_WORDS:], content(text[at + len(q.text):])[:CONTEXT_WORDS]


def same_quantity(text_a: str, qa: Quantity, text_b: str, qb: Quantity) -> bool:
    """Two quantities of one unit measure the same thing when, on each side where both numbers have words
    (before; after), the nearest content word of one is among the words around the other (CONTEXT_WORDS on
    each side, so word order may change: "killed four people" / "Five people were killed"; "winning 48.9
    percent of the vote" / "won with 52.4 percent of the vote"), or neither number has any word around it.
    So a "$1million" sale price and a "$132million ransom", or "killed 40 people" and "injured 60 people",
    are two different quantities."""
    ca, cb = _context(text_a, qa), _context(text_b, qb)
    if ca is None or cb is None:
        return False
    (left_a, right_a), (left_b, right_b) = ca, cb
    if not (left_a or right_a or left_b or right_b):
        return True
    around_a, around_b = set(left_a + right_a), set(left_b + right_b)
    sides = [(left_a[-1:], left_b[-1:]), (right_a[:1], right_b[:1])]
    compared = [(x, y) for x, y in sides if x or y]
    both = [(x, y) for x, y in compared if x and y]
    if both:
        compared = both
    return all(bool(set(x) & around_b) or bool(set(y) & around_a) for x, y in compared)


def value_conflicts(a: Claim, b: Claim, knowledge: Any = None) -> list[Conflict]:
    """Dates of the same granularity that cannot both hold, and numbers of one unit about the same thing that
    differ (neither has a compatible partner on the other side, so an extra, unrelated number is no conflict)."""
    out: list[Conflict] = []
    # dates down to the month at least (1945-08-08, 1945-08, --08-15): none of one side agrees with the other
    monthly_a = [d for d in a.dates if date_parts(d)[1]]
    monthly_b = [d for d in b.dates if date_parts(d)[1]]
    if monthly_a and monthly_b and not any(dates_compatible(x, y) for x in monthly_a for y in monthly_b):
        out.append(Conflict("date", ", ".join(monthly_a), ", ".join(monthly_b)))
    # quantities with a unit or an ordinal noun (unitless counts are too loose to compare across sentences)
    qa = [q for q in a.quantities if q.unit]
    qb = [q for q in b.quantities if q.unit]
    matched_a = {i for i, q in enumerate(qa) if any(compatible(q, r) for r in qb)}
    matched_b = {j for j, r in enumerate(qb) if any(compatible(q, r) for q in qa)}
    for i, q in enumerate(qa):
        if i in matched_a:
            continue
        rivals = [r for j, r in enumerate(qb) if j not in matched_b and compatible(q, r) is False
                  and same_quantity(a.text, q, b.text, r)]
        if rivals:
            out.append(Conflict(q.unit or q.kind, describe(q), ", ".join(describe(r) for r in rivals)))
    return list(dict.fromkeys(out))


HEDGE_WORDS = frozenset({"about", "around", "roughly", "some", "approximately", "nearly", "almost", "more", "than",
                         "over", "at", "least", "fewer", "less", "under", "up", "to", "in", "on", "of", "the", "a",
                         "an"})


def compatible_values(a: Claim, b: Claim) -> list[Agreement]:
    """The value pairs that agree, when every date and quantity of each claim has an agreeing partner in the
    other (1945 ~ Aug 8, 1945; about 80 ~ 79); else [] (a value without a partner may be an edit)."""
    qa, qb = a.quantities, b.quantities
    date_pairs = [(x, y) for x in a.dates for y in b.dates if dates_compatible(x, y)]
    quantity_pairs = [(x, y) for x in qa for y in qb if compatible(x, y)]
    partnered = (
        all(any(x == p for p, _ in date_pairs) for x in a.dates) and all(any(y == p for _, p in date_pairs) for y in b.dates)
        and all(any(x is p for p, _ in quantity_pairs) for x in qa) and all(any(y is p for _, p in quantity_pairs) for y in qb)
    )
    if not partnered:
        return []
    return [Agreement("date", x, y) for x, y in date_pairs] + \
        [Agreement(x.unit or x.kind, x.text, y.text) for x, y in quantity_pairs]


def same_apart_from_values(a: Claim, b: Claim, threshold: float = 1.0) -> bool:
    """The claims use (almost) the same words once numbers, dates and hedges ("about", "more than") are set aside."""
    def words(text: str) -> set[str]:
        return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in HEDGE_WORDS and w not in MONTHS}

    wa, wb = words(a.standalone), words(b.standalone)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= threshold


NEGATIONS = re.compile(
    r"\b(not|no|never|nor|neither|without|none|nobody|nothing|den(?:y|ies|ied|ial)|false(?:ly)?|fake|hoax|untrue|"
    r"refut\w*|debunk\w*|reject\w*|dismiss\w*|fail\w*)\b|n['’]t\b", re.IGNORECASE)
NUMBER = re.compile(r"\d[\d,.]*")
RESTATEMENT_MIN_WORDS = 4  # fewer content words are too little to call a sentence a copy


def restates(a: Claim, b: Claim) -> bool:
    """Near-verbatim: every content word of the shorter claim is in the longer one, both have the same numbers,
    the same negation words and the same attribution. "Kim visited X" / "Kim did not visit X" is not one."""
    def content(text: str) -> set[str]:
        return {w.lower() for w in WORD.findall(text) if w.lower() not in STOP}

    ca, cb = content(a.standalone), content(b.standalone)
    short, long = (ca, cb) if len(ca) <= len(cb) else (cb, ca)
    if len(short) < RESTATEMENT_MIN_WORDS or not short <= long:
        return False
    negations = [sorted(m.group(0).lower() for m in NEGATIONS.finditer(c.standalone)) for c in (a, b)]
    numbers = [sorted(NUMBER.findall(c.standalone)) for c in (a, b)]
    return negations[0] == negations[1] and numbers[0] == numbers[1] and bool(a.attribution) == bool(b.attribution)


# ---------------------------------------------------------------------------------------------
# entities (types from the claim's NER labels; the knowledge packs type the names they know)
# ---------------------------------------------------------------------------------------------
def typed(claim: Claim, knowledge: Any) -> list[tuple[str, str]]:
    """(canonical name, NER type) for each entity of the claim: the claim's own label, else the pack's type."""
    types = getattr(knowledge, "types", {}) if knowledge is not None else {}
    labels = claim.entity_types
    return [(e, (labels[i] if i < len(labels) and labels[i] else types.get(e, ""))) for i, e in enumerate(claim.entities)]


def entities_of_type(claim: Claim, kind: str, knowledge: Any) -> list[str]:
    generic = getattr(knowledge, "generic", frozenset()) if knowledge is not None else frozenset()
    return [e for e, t in typed(claim, knowledge) if t == kind and e not in generic]


def distinct_entities(a: Claim, b: Claim, knowledge: Any = None) -> list[DistinctEntities]:
    """Specific entities of one type that differ: [DistinctEntities("FAC", ("Friendship Tower",), ("Liberation Tower",))].
    Each side must name one the other does not ("Kim met Trump" / "Kim met Putin": PERSON Trump vs Putin); one
    side naming more ("Kim and Putin" / "Kim") is not two different things."""
    out = []
    for kind in DISTINCT_TYPES:
        ea, eb = set(entities_of_type(a, kind, knowledge)), set(entities_of_type(b, kind, knowledge))
        if ea - eb and eb - ea:
            out.append(DistinctEntities(kind, tuple(sorted(ea - eb)), tuple(sorted(eb - ea))))
    return out


def honoured_events(claim: Claim, knowledge: Any) -> set[str]:
    """The events (a pack's commemoration labels) a claim says a monument honours; empty when the claim names
    no FAC entity or states no purpose."""
    cues = getattr(knowledge, "honour_cues", None)
    if cues is None or not entities_of_type(claim, "FAC", knowledge) or not cues.search(claim.standalone):
        return set()
    return {event for event, pattern in knowledge.commemorations.items() if pattern.search(claim.standalone)}


# ---------------------------------------------------------------------------------------------
# time
# ---------------------------------------------------------------------------------------------
def _year(date: str | None) -> float | None:
    if not date:
        return None
    m = re.match(r"(\d{4})(?:-(\d{2}))?", date)
    return int(m.group(1)) + (int(m.group(2)) - 1) / 12 if m and m.group(2) else (int(m.group(1)) if m else None)


def different_times(a: Claim, b: Claim, article_dates: Mapping[str, str | None],
                    years_apart: float = YEARS_APART) -> TimeGap | None:
    """Why two conflicting claims may describe different moments, or None.

    Two explicit dates ("in 1947" vs "in 1950") for one event are a disagreement about the date, not different
    times, so the interval check needs at least one relative expression ("on Thursday")."""
    relative = a.time and b.time and not (ABSOLUTE.search(a.time.text) and ABSOLUTE.search(b.time.text))
    if relative and (a.time.end < b.time.start or b.time.end < a.time.start):  # type: ignore[union-attr]
        return TimeGap("intervals", f"{a.time.text}: {a.time.start}..{a.time.end}",  # type: ignore[union-attr]
                       f"{b.time.text}: {b.time.start}..{b.time.end}")  # type: ignore[union-attr]
    for past, other in ((a, b), (b, a)):
        if past.time and past.time.precision == "past" and not (other.time and other.time.precision == "past"):
            text = past.time.text
            return TimeGap("past", text if past is a else "", text if past is b else "")
    da, db = article_dates.get(a.article_id), article_dates.get(b.article_id)
    ya, yb = _year(da), _year(db)
    if ya is not None and yb is not None and abs(ya - yb) >= years_apart \
            and (STATE_CUES.search(a.standalone) or STATE_CUES.search(b.standalone)):
        return TimeGap("years_apart", da or "", db or "", round(abs(ya - yb), 1))
    return None


def describe_gap(gap: TimeGap, a: Claim, b: Claim) -> str:
    """The gap in words, e.g. "A speaks of the past ('once'), a state that may have changed since"."""
    if gap.kind == "intervals":
        return (f"they describe different times ({a.time.text!r}: {a.time.start}..{a.time.end} vs "  # type: ignore[union-attr]
                f"{b.time.text!r}: {b.time.start}..{b.time.end})")  # type: ignore[union-attr]
    if gap.kind == "past":
        past, text = (a, gap.a) if gap.a else (b, gap.b)
        return f"{past.source} speaks of the past ({text!r}), a state that may have changed since"
    return f"the articles are {gap.years:.1f} years apart and the claims describe a state that can change"
