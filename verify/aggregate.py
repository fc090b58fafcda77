"""Judgement -> PairVerdict and Cluster: NLI scores plus value, entity and time checks.

Order of evidence for one pair:
1. conflicting values (dates, numbers) in claims about the same fact -> contradict, whatever NLI says
2. different specific entities of one kind (two monuments, two summits) -> neutral, not a contradiction
3. NLI contradiction in either direction above the threshold -> contradict, unless the claims are
   about changeable states (allies, leaders, ties) in articles written years apart -> neutral
4. NLI entailment in either direction above the threshold -> support
5. otherwise neutral
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .claims import STATE_CUES, entity_table
from .types import CONFLICTING, Claim, Cluster, Judgement, PairVerdict, SharedFact, short_hash, source_digest
from .values import compatible, extract_quantities, quantity_conflicts

# kinds of entity where two different names mean two different things, not a disagreement
DISTINCT_KINDS = {"monument", "event", "place", "person"}


ABSOLUTE = re.compile(r"\b1[6-9]\d\d\b|\b20\d\d\b")  # a time expression that names its year


@dataclass(frozen=True, slots=True)
class Thresholds:
    contradict: float = 0.6
    support: float = 0.6
    same_fact_similarity: float = 0.6
    years_apart: float = 1.0  # article dates this far apart make state claims "different time"


# ---------------------------------------------------------------------------------------------
# value checks
# ---------------------------------------------------------------------------------------------
def _date_parts(value: str) -> tuple[str | None, str | None, str | None]:
    """("1945", "08", "08") from "1945-08-08"; "--08-15" -> (None, "08", "15"); ranges -> start year."""
    if "/" in value:
        return value.split("/")[0], None, None
    if value.startswith("--"):
        parts = value[2:].split("-")
        return None, parts[0], parts[1] if len(parts) > 1 else None
    parts = value.split("-")
    return parts[0], parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None


def dates_compatible(a: str, b: str) -> bool:
    """True when neither date contradicts the other (1945 vs 1945-08-08 agree; Aug 8 vs Aug 9 don't)."""
    return all(x is None or y is None or x == y for x, y in zip(_date_parts(a), _date_parts(b)))


def value_conflicts(a: Claim, b: Claim) -> list[str]:
    """Dates of the same granularity that cannot both hold, and same-unit numbers that differ."""
    conflicts = []
    # dates down to the month at least (1945-08-08, 1945-08, --08-15): none of one side agrees with the other
    monthly_a = [d for d in a.dates if _date_parts(d)[1]]
    monthly_b = [d for d in b.dates if _date_parts(d)[1]]
    if monthly_a and monthly_b and not any(dates_compatible(x, y) for x in monthly_a for y in monthly_b):
        conflicts.append(f"date: {', '.join(monthly_a)} vs {', '.join(monthly_b)}")
    # quantities with a unit or an ordinal noun (unitless counts are too loose to compare across sentences)
    conflicts += [c for c in quantity_conflicts(_quantities(a.text), _quantities(b.text))
                  if not c.startswith("count:")]
    return conflicts


MONTH_WORDS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
HEDGES = {"about", "around", "roughly", "some", "approximately", "nearly", "almost", "more", "than", "over", "at",
          "least", "fewer", "less", "under", "up", "to", "in", "on", "of", "the", "a", "an"}


@lru_cache(maxsize=4096)
def _quantities(text: str) -> tuple:
    """A claim's quantities; each claim meets many pairs and several checks, so extract once per text."""
    return extract_quantities(text)


def compatible_values(a: Claim, b: Claim) -> list[str]:
    """The value pairs that agree, when every date and quantity of each claim has an agreeing partner in
    the other (1945 ~ Aug 8, 1945; about 80 ~ 79); else [] (a value without a partner may be an edit)."""
    out = []
    qa, qb = _quantities(a.text), _quantities(b.text)
    date_pairs = [(x, y) for x in a.dates for y in b.dates if dates_compatible(x, y)]
    quantity_pairs = [(x, y) for x in qa for y in qb if compatible(x, y)]
    partnered = (
        all(any(x == p for p, _ in date_pairs) for x in a.dates) and all(any(y == p for _, p in date_pairs) for y in b.dates)
        and all(any(x is p for p, _ in quantity_pairs) for x in qa) and all(any(y is p for _, p in quantity_pairs) for y in qb)
    )
    if not partnered:
        return []
    out += [f"date: {x} ~ {y}" for x, y in date_pairs]
    out += [f"{x.unit or x.kind}: {x.text} ~ {y.text}" for x, y in quantity_pairs]
    return out


def same_apart_from_values(a: Claim, b: Claim, threshold: float = 1.0) -> bool:
    """The claims use (almost) the same words once numbers, dates and hedges ("about", "more than") are set aside."""
    def words(text: str) -> set[str]:
        return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in HEDGES and w not in MONTH_WORDS}

    wa, wb = words(a.standalone), words(b.standalone)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= threshold


# what a monument commemorates: cue words, then event patterns (data; extend for other regions)
HONOUR_CUES = re.compile(r"\b(honou?r\w*|tribute|commemorat\w*|in memory|memorial to|inscription|proclaims|panel|"
                         r"depict\w*|showing)\b", re.IGNORECASE)
HONOURED_EVENTS = {
    "the Korean War (1950-53)": re.compile(r"Korean War|1950-53|1950/1953"),
    "the 1945 fight against Japan": re.compile(r"Japanese|[Ll]iberat\w* (?:Korea|Koreans)\b.*Japan|against the Japanese|1945"),
}


def honoured_events(claim: Claim) -> set[str]:
    """The events a claim says a monument commemorates (empty when it names no monument or no purpose)."""
    types = entity_table().types
    if not any(types.get(e) == "monument" for e in claim.entities) or not HONOUR_CUES.search(claim.standalone):
        return set()
    return {event for event, pattern in HONOURED_EVENTS.items() if pattern.search(claim.standalone)}


def _shared_monuments(a: Claim, b: Claim) -> list[str]:
    types = entity_table().types
    return sorted(e for e in set(a.entities) & set(b.entities) if types.get(e) == "monument")


def commemoration_conflict(a: Claim, b: Claim) -> str | None:
    """One monument said to honour different events: "Liberation Tower: ... vs ..."."""
    shared = _shared_monuments(a, b)
    ea, eb = honoured_events(a), honoured_events(b)
    if shared and ea and eb and not (ea & eb):
        return f"{shared[0]} commemorates: {', '.join(sorted(ea))} vs {', '.join(sorted(eb))}"
    return None


def commemoration_agreement(a: Claim, b: Claim) -> str | None:
    """One monument said to honour the same event by both claims."""
    shared = _shared_monuments(a, b)
    both = honoured_events(a) & honoured_events(b)
    return f"the {shared[0]} commemorates {', '.join(sorted(both))}" if shared and both else None


def distinct_entities(a: Claim, b: Claim) -> list[str]:
    """Specific entities of one kind that differ: ["monument: Friendship Tower vs Liberation Tower"]."""
    types = entity_table().types
    out = []
    for kind in sorted(DISTINCT_KINDS):
        ea = {e for e in a.entities if types.get(e) == kind}
        eb = {e for e in b.entities if types.get(e) == kind}
        if ea and eb and not (ea & eb):
            out.append(f"{kind}: {', '.join(sorted(ea))} vs {', '.join(sorted(eb))}")
    return out


def _year(date: str | None) -> float | None:
    if not date:
        return None
    m = re.match(r"(\d{4})(?:-(\d{2}))?", date)
    return int(m.group(1)) + (int(m.group(2)) - 1) / 12 if m and m.group(2) else (int(m.group(1)) if m else None)


# ---------------------------------------------------------------------------------------------
# the stage
# ---------------------------------------------------------------------------------------------
def rules_version() -> str:
    """Changes whenever the verdict rules, the claim rules or their data tables change."""
    return source_digest("aggregate.py", "values.py", "edits.py", "timeinfo.py", "claims.py")


def decision_key(judgement: Judgement, article_dates: Mapping[str, str | None], rules: str) -> str | None:
    """Everything decide() reads, hashed: the same key means the same verdict. None for rebuttal pairs,
    whose verdict also depends on other pairs."""
    p = judgement.pair
    if p.via is not None:
        return None
    a, b = p.a, p.b
    return short_hash(rules, a.id, a.standalone, b.id, b.standalone, repr(p.similarity), "|".join(p.shared),
                      article_dates.get(a.article_id) or "", article_dates.get(b.article_id) or "",
                      repr(sorted(judgement.forward.items())), repr(sorted(judgement.backward.items())), size=12)


class Aggregator:
    def __init__(self, thresholds: Thresholds | None = None, article_dates: Mapping[str, str | None] | None = None,
                 checks: bool = True) -> None:
        """``checks=False`` decides by the NLI scores alone (the baseline the checks are measured against)."""
        self.t = thresholds or Thresholds()
        self.article_dates = dict(article_dates or {})
        self.checks = checks

    def decide(self, judgement: Judgement) -> PairVerdict:
        if not self.checks:
            return self._decide_nli_only(judgement)
        pair, fwd, bwd = judgement.pair, judgement.forward, judgement.backward
        a, b = pair.a, pair.b
        contra = max(fwd["contradiction"], bwd["contradiction"])
        entail = max(fwd["entailment"], bwd["entailment"])
        conflicts = value_conflicts(a, b)
        same_fact = pair.similarity >= self.t.same_fact_similarity

        def verdict(v: str, conf: float, reason: str, extra: Sequence[str] = ()) -> PairVerdict:
            return PairVerdict(pair, v, round(conf, 4), fwd, bwd, reason, tuple(extra))  # type: ignore[arg-type]

        if conflicts and same_fact:
            when = self._different_times(a, b)
            if when:
                return verdict("different-time", max(contra, 0.6), f"the values differ ({'; '.join(conflicts)}), but {when}",
                               conflicts)
            return verdict("contradict", max(contra, 0.8),
                           "the claims give conflicting values for the same fact (" + "; ".join(conflicts) + ")", conflicts)
        purpose = commemoration_conflict(a, b)
        if purpose:
            kind = "disputed" if bool(a.attribution) != bool(b.attribution) else "contradict"
            return verdict(kind, max(contra, 0.7), f"the claims say one monument honours different events ({purpose})",
                           (purpose,))
        same_purpose = commemoration_agreement(a, b)
        if same_purpose and contra < self.t.contradict:
            return verdict("support", max(entail, 0.7), f"both say {same_purpose}", (same_purpose,))
        agreeing = compatible_values(a, b)
        if agreeing and not conflicts and same_apart_from_values(a, b):
            return verdict("support", max(entail, 0.7),
                           "the claims say the same thing with compatible values (" + "; ".join(agreeing) + ")", agreeing)
        # two monuments, events or places: different things. Two people may hold one role at different
        # times ("Obama/Trump is the president"), so for people the time check comes first.
        different = distinct_entities(a, b)
        things = [d for d in different if not d.startswith("person:")]
        if things:
            return verdict("neutral", 1 - contra / 2, "the claims are about different things (" + "; ".join(things) + ")", things)
        if contra >= self.t.contradict and contra > entail:
            when = self._different_times(a, b)
            if when:
                return verdict("different-time", contra, f"NLI sees a conflict (max {contra:.2f}), but {when}")
        if different:
            return verdict("neutral", 1 - contra / 2, "the claims are about different people (" + "; ".join(different) + ")", different)
        if contra >= self.t.contradict and contra > entail:
            direction = "both directions" if min(fwd["contradiction"], bwd["contradiction"]) >= self.t.contradict else "one direction"
            reason = f"NLI: contradiction in {direction} (max {contra:.2f})"
            attributed = [c for c in (a, b) if c.attribution]
            if len(attributed) == 1:
                other = b if attributed[0] is a else a
                return verdict("disputed", contra, f"{reason}; {attributed[0].source} attributes its claim to "
                                                   f"{attributed[0].attribution}, {other.source} asserts the other")
            return verdict("contradict", contra, reason)
        if entail >= self.t.support and contra < self.t.contradict / 2:
            direction = "both directions" if min(fwd["entailment"], bwd["entailment"]) >= self.t.support else "one direction"
            return verdict("support", entail, f"NLI: entailment in {direction} (max {entail:.2f})")
        neutral = (fwd["neutral"] + bwd["neutral"]) / 2
        return verdict("neutral", max(neutral, 1 - max(contra, entail)), "NLI: neither entailment nor contradiction is clear")

    def _decide_nli_only(self, judgement: Judgement) -> PairVerdict:
        fwd, bwd = judgement.forward, judgement.backward
        contra = max(fwd["contradiction"], bwd["contradiction"])
        entail = max(fwd["entailment"], bwd["entailment"])
        if contra >= self.t.contradict and contra > entail:
            return PairVerdict(judgement.pair, "contradict", contra, fwd, bwd, f"NLI only: contradiction {contra:.2f}")
        if entail >= self.t.support:
            return PairVerdict(judgement.pair, "support", entail, fwd, bwd, f"NLI only: entailment {entail:.2f}")
        return PairVerdict(judgement.pair, "neutral", 1 - max(contra, entail), fwd, bwd, "NLI only: neither")

    def _different_times(self, a: Claim, b: Claim, intervals: bool = True) -> str | None:
        """Why two conflicting claims may describe different moments, or None.

        Two explicit dates ("in 1947" vs "in 1950") for one event are a disagreement about the date, not
        different times, so the interval rule needs at least one relative expression ("on Thursday").
        """
        relative = a.time and b.time and not (ABSOLUTE.search(a.time.text) and ABSOLUTE.search(b.time.text))
        if intervals and relative and (a.time.end < b.time.start or b.time.end < a.time.start):
            return f"they describe different times ({a.time.text!r}: {a.time.start}..{a.time.end} vs " \
                   f"{b.time.text!r}: {b.time.start}..{b.time.end})"
        for past, other in ((a, b), (b, a)):
            if past.time and past.time.precision == "past" and not (other.time and other.time.precision == "past"):
                return f"{past.source} speaks of the past ({past.time.text!r}), a state that may have changed since"
        apart = self._years_apart(a, b)
        if apart is not None and apart >= self.t.years_apart and (STATE_CUES.search(a.standalone) or STATE_CUES.search(b.standalone)):
            return f"the articles are {apart:.1f} years apart and the claims describe a state that can change"
        return None

    def _years_apart(self, a: Claim, b: Claim) -> float | None:
        ya, yb = _year(self.article_dates.get(a.article_id)), _year(self.article_dates.get(b.article_id))
        return abs(ya - yb) if ya is not None and yb is not None else None

    def aggregate(self, judgements: Sequence[Judgement],
                  known: Sequence[PairVerdict | None] | None = None) -> tuple[list[PairVerdict], list[Cluster]]:
        """Verdicts and clusters. ``known[i]``, when given, is judgement i's verdict decided by an earlier
        run under the same rules (see decision_key), used instead of deciding again."""
        known = known or [None] * len(judgements)
        verdicts = [k or self.decide(j) for j, k in zip(judgements, known)]
        if self.checks:
            verdicts = self._apply_rebuttals(verdicts)
        return verdicts, clusters(verdicts)

    def _apply_rebuttals(self, verdicts: list[PairVerdict]) -> list[PairVerdict]:
        """X resembles D, and R (same article as D) rebuts D: then R disputes X."""
        by_ids = {frozenset((v.pair.a.id, v.pair.b.id)): v for v in verdicts}
        out = []
        for v in verdicts:
            pair = v.pair
            if pair.via is None or v.verdict in CONFLICTING:
                out.append(v)
                continue
            rebuttal, other = (pair.a, pair.b) if pair.a.rebuts == pair.via else (pair.b, pair.a)
            base = by_ids.get(frozenset((other.id, pair.via)))
            agrees = base is not None and (
                base.verdict == "support"
                or (base.verdict not in CONFLICTING and base.pair.similarity >= self.t.same_fact_similarity + 0.05)
            )
            if not agrees:
                out.append(v)
                continue
            disputed = base.pair.a if base.pair.a.id == pair.via else base.pair.b
            reason = (
                f"{rebuttal.source} disputes a claim that matches this one: it reports "
                f"\"{_clip(disputed.text)}\" ({disputed.attribution}) and then rebuts it: \"{_clip(rebuttal.text)}\""
            )
            out.append(PairVerdict(pair, "disputed", round(max(base.confidence, 0.6) * 0.9, 4), v.forward, v.backward,
                                   reason, (f"rebuttal of {disputed.id}",)))
        return out


def _clip(text: str, size: int = 90) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def clusters(verdicts: Sequence[PairVerdict]) -> list[Cluster]:
    """Connected components over support/contradict edges: claims about the same fact."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    claim_source: dict[str, str] = {}
    edges = [v for v in verdicts if v.verdict == "support" or v.verdict in CONFLICTING]
    for v in edges:
        claim_source[v.pair.a.id], claim_source[v.pair.b.id] = v.pair.a.source, v.pair.b.source
        parent[find(v.pair.a.id)] = find(v.pair.b.id)
    groups: dict[str, list[str]] = {}
    for claim_id in claim_source:
        groups.setdefault(find(claim_id), []).append(claim_id)
    edge_groups: dict[str, list[PairVerdict]] = {}
    for v in edges:
        edge_groups.setdefault(find(v.pair.a.id), []).append(v)
    out = []
    for root, members in groups.items():
        agree, disagree = set(), set()
        for v in edge_groups.get(root, []):
            key = tuple(sorted((v.pair.a.source, v.pair.b.source)))
            (agree if v.verdict == "support" else disagree).add(key)  # disputes count as disagreement
        ids = tuple(sorted(members))
        out.append(
            Cluster(
                id="k:" + short_hash(*ids),
                claim_ids=ids,
                sources=tuple(sorted({claim_source[c] for c in members})),
                agree=tuple(sorted(agree)),
                disagree=tuple(sorted(disagree)),
            )
        )
    return sorted(out, key=lambda c: (-len(c.claim_ids), c.id))


def shared_facts(claims: Sequence[Claim]) -> list[SharedFact]:
    """Agreement below the sentence: the same date or number given with the same specific entity
    (an event, monument, place or person, not a country) by claims of two or more outlets."""
    types = entity_table().types
    groups: dict[tuple[str, str], list[Claim]] = {}
    for c in claims:
        specific = [e for e in c.entities if types.get(e) in DISTINCT_KINDS]
        for entity in specific:
            for value in (*c.dates, *(n for n in c.numbers if " " in n)):
                groups.setdefault((entity, value), []).append(c)
    out = []
    for (entity, value), members in groups.items():
        sources = tuple(sorted({c.source for c in members}))
        if len(sources) >= 2:
            out.append(SharedFact(entity, value, sources, tuple(c.id for c in members)))
    return sorted(out, key=lambda f: (-len(f.sources), f.entity, f.value))
