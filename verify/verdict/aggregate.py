"""Judgements -> pair verdicts, clusters and assessments: the verdict stage (``Aggregator.aggregate``).

In this order:

1. ``decide``: each pair gets the verdict of the first rule of ``verify.verdict.rules.RULES`` that fires
   (different-time, value-conflict, commemoration, compatible-values, restatement, distinct-entities,
   nli-entailment, attribution, nli-contradiction, nli-neutral; disabled rules are skipped). With
   ``checks=False`` the NLI scores alone decide (contradiction, then entailment, then neutral).
2. ``rebuttal``: for a rebuttal pair (X, R), where R rebuts D of its own article: when X matches D (their pair
   is a support, or not a conflict and similar by ``same_fact_similarity`` + 0.05), R disputes X.
3. ``assess``: each claim against every claim of each other outlet it was paired with, looking at both NLI
   directions of every pair (as SummaC does over sentence matrices). The first that applies decides:
   a. a hard conflict (different-time, value-conflict, commemoration, rebuttal; not a commemoration support);
   b. a hard support (compatible-values, commemoration, restatement);
   c. every pair is about different things (distinct-entities) -> unrelated;
   d. the fitted stance model, when the parameters hold one and the rule is on (agree -> support, disagree ->
      contradict, or disputed when the claim or the evidence is attributed, discuss -> neutral, unrelated ->
      unrelated), held to the issue's rules: agree counts only when some claim of the outlet entails the claim
      (>= ``weak_entail``), disagree only with NLI contradiction >= ``contradict`` and entailment below
      ``weak_entail`` from every claim of the outlet (else both are discuss), and when nothing entails
      while a pair is an NLI conflict (attribution, nli-contradiction), that pair's conflict stands whatever
      the model says;
   e. without a stance model: a pair decided support -> support; a conflicting pair (contradict, disputed,
      different-time) while every claim of the outlet entails below ``weak_entail`` -> that conflict; a
      conflict that some claim of the outlet (or the other direction) entails -> neutral (rule ``outlet``);
      otherwise neutral.
   Then (rule ``outlet``) a soft conflict (not a hard rule, not the stance model) becomes neutral when the
   other claim of its deciding pair, judged against this claim's outlet, is neither in conflict nor
   unrelated. The result is an ``Assessment`` per (claim, other outlet).
4. Pair verdicts follow the assessments (rule ``outlet``): a pair that decides a stance-model conflict carries
   it; else a soft conflict that the outlet view of either of its claims does not share becomes neutral; else
   a pair that decides assessments carries the most conflicting of them (unrelated as neutral).
   Steps 2, the ``outlet`` part of 3, and 4 run only with ``checks`` on and their rule not disabled.
5. ``clusters``: connected components over the support and conflict edges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from verify.errors import ConfigError
from verify.extract.values import number_keys
from verify.knowledge import default_knowledge
from verify.pairing import pair_ends
from verify.records import (
    CONFLICTING,
    Assessment,
    Claim,
    Cluster,
    Conflict,
    Judgement,
    NLIScores,
    OutletEvidence,
    PairVerdict,
    Rebuttal,
    SharedFact,
    short_hash,
)
from verify.verdict import check_rule_names
from verify.verdict.rules import DISTINCT_TYPES, HARD_RULES, RULES, PairContext, Thresholds, decide_pair, typed
from verify.verdict.table import names_and_confidences, pairs_of

HARD_CONFLICT_RULES = frozenset({"different-time", "value-conflict", "commemoration", "rebuttal"})
HARD_SUPPORT_RULES = frozenset({"compatible-values", "commemoration", "restatement"})
STANCE_VERDICTS = {"agree": "support", "disagree": "contradict", "discuss": "neutral", "unrelated": "unrelated"}


def rules_version() -> str:
    """The declared versions of the verdict and claim code (``verify.verdict.VERSION``, ``verify.extract.VERSION``)."""
    from verify import extract, verdict

    return short_hash(verdict.VERSION, extract.VERSION)


def decision_key(judgement: Judgement, article_dates: Mapping[str, str | None], rules: str) -> str | None:
    """Everything ``decide`` reads, hashed: the same key means the same pair decision. None for rebuttal pairs,
    whose verdict also depends on other pairs."""
    p = judgement.pair
    if p.via is not None:
        return None

    def claim_key(c: Claim) -> str:
        return repr((c.id, c.standalone, c.attribution, c.entities, c.entity_types, c.dates, c.quantities, c.time))

    a, b = p.a, p.b
    return short_hash(rules, claim_key(a), claim_key(b), repr(p.similarity), "|".join(p.shared),
                      article_dates.get(a.article_id) or "", article_dates.get(b.article_id) or "",
                      repr(sorted(judgement.forward.items())), repr(sorted(judgement.backward.items())), size=12)


class Aggregator:
    def __init__(self, thresholds: Thresholds | None = None, article_dates: Mapping[str, str | None] | None = None,
                 checks: bool = True, knowledge: Any = None, params: Any = None,
                 disabled_rules: Sequence[str] = ()) -> None:
        """``checks=False`` decides by the NLI scores alone (the baseline the rules are measured against).
        ``params``: fitted parameters (``calibrate.Params``; the packaged ones when None); ``thresholds``
        overrides theirs. ``disabled_rules``: rule names (``verify.verdict.RULE_NAMES``) to skip."""
        if params is None:
            from verify.verdict.params import load_params

            params = load_params()
        try:
            self.disabled = frozenset(check_rule_names(disabled_rules))
        except ValueError as exc:
            raise ConfigError(f"disabled_rules: {exc}") from None
        self.params = params
        self.t = thresholds or Thresholds.resolve(params)
        self.article_dates = dict(article_dates or {})
        self.checks = checks
        self.knowledge = knowledge if knowledge is not None else default_knowledge()
        self.rules = tuple(r for r in RULES if r.name not in self.disabled)

    def key(self) -> str:
        """What the pair decisions depend on besides the pair: for the store's rules key."""
        return short_hash(self.t.key(), str(self.checks), rules_version(), getattr(self.knowledge, "digest", ""),
                          getattr(self.params, "digest", ""), ",".join(sorted(self.disabled)))

    # pair ---------------------------------------------------------------------------------------
    def decide(self, judgement: Judgement) -> PairVerdict:
        if not self.checks:
            return self._decide_nli_only(judgement)
        d = decide_pair(PairContext(judgement, self.t, self.knowledge, self.article_dates), self.rules)
        return _verdict(judgement, d.verdict, d.confidence, d.reason, d.rule, d.evidence)

    def _decide_nli_only(self, judgement: Judgement) -> PairVerdict:
        fwd, bwd = judgement.forward, judgement.backward
        contra = max(fwd["contradiction"], bwd["contradiction"])
        entail = max(fwd["entailment"], bwd["entailment"])
        if contra >= self.t.contradict and contra > entail:
            scores = NLIScores("contradiction", fwd["contradiction"], bwd["contradiction"], self.t.contradict)
            return _verdict(judgement, "contradict", contra, f"NLI only: contradiction {contra:.2f}", "nli-contradiction",
                            (scores,))
        if entail >= self.t.support:
            scores = NLIScores("entailment", fwd["entailment"], bwd["entailment"], self.t.support)
            return _verdict(judgement, "support", entail, f"NLI only: entailment {entail:.2f}", "nli-entailment", (scores,))
        return _verdict(judgement, "neutral", 1 - max(contra, entail), "NLI only: neither", "nli-neutral", ())

    # the stage ----------------------------------------------------------------------------------
    def aggregate(self, judgements: Sequence[Judgement], known: Sequence[PairVerdict | None] | None = None
                  ) -> tuple[list[PairVerdict], list[Cluster], list[Assessment]]:
        """Verdicts, clusters and assessments. ``known[i]``, when given, is judgement i's pair decision made by
        an earlier run under the same rules (see decision_key), used instead of deciding again."""
        known = known or [None] * len(judgements)
        verdicts = [k or self.decide(j) for j, k in zip(judgements, known)]
        if self.checks and "rebuttal" not in self.disabled:
            verdicts = self._apply_rebuttals(verdicts)
        assessments, deciding = self.assess(judgements, verdicts)
        if self.checks and "outlet" not in self.disabled:
            verdicts = self._follow_assessments(verdicts, assessments, deciding)
        return verdicts, clusters(verdicts), assessments

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
            evidence = Rebuttal(rebuttal.source, disputed.id, rebuttal.id, disputed.attribution or "", disputed.text,
                                rebuttal.text, base.pair.id)
            reason = (
                f"{rebuttal.source} disputes a claim that matches this one: it reports "
                f"\"{_clip(disputed.text)}\" ({disputed.attribution}) and then rebuts it: \"{_clip(rebuttal.text)}\""
            )
            # the confidence that the other outlet's claim matches the rebutted one: the matching pair's
            measured = self.t.precision.get("rebuttal")
            out.append(_verdict(v, "disputed", measured if measured is not None else base.confidence, reason, "rebuttal",
                                (evidence,)))
        return out

    # outlets ------------------------------------------------------------------------------------
    def assess(self, judgements: Sequence[Judgement], verdicts: Sequence[PairVerdict]
               ) -> tuple[list[Assessment], dict[str, list[Assessment]]]:
        """Each claim against each other outlet; and, per pair id, the assessments that pair decides."""
        claims: dict[str, Claim] = {}
        groups: dict[tuple[str, str], list[int]] = {}
        for i, v in enumerate(verdicts):
            a, b = v.pair.a, v.pair.b
            if a.source == b.source:
                continue
            claims[a.id], claims[b.id] = a, b
            groups.setdefault((a.id, b.source), []).append(i)
            groups.setdefault((b.id, a.source), []).append(i)
        found = {key: self._assess(claims[key[0]], key[1], [judgements[i] for i in members],
                                   [verdicts[i] for i in members])
                 for key, members in groups.items()}
        # a soft conflict (NLI, attribution, stance) whose pair the other claim's outlet view does not share
        # (that outlet entails the other claim) is no conflict: both views of one pair must agree on one
        pairs = {v.pair.id: v.pair for v in verdicts}
        if self.checks and "outlet" not in self.disabled:
            for key, x in list(found.items()):
                if not _conflicting(x.verdict) or x.rule in HARD_RULES or x.rule == "stance-model":
                    continue  # the stance model already weighed every claim of the outlet, in both directions
                pair = pairs[x.pair_ids[0]]
                other = pair.b if pair.a.id == x.claim_id else pair.a
                mirror = found.get((other.id, claims[x.claim_id].source))
                if mirror is not None and not _conflicting(mirror.verdict) and mirror.verdict != "unrelated":
                    found[key] = Assessment(x.claim_id, x.source, "neutral", mirror.probability, "outlet", x.pair_ids)
        deciding: dict[str, list[Assessment]] = {}
        for x in found.values():
            deciding.setdefault(x.pair_ids[0], []).append(x)
        return sorted(found.values(), key=lambda x: (x.claim_id, x.source)), deciding

    def _assess(self, claim: Claim, source: str, judgements: Sequence[Judgement],
                verdicts: Sequence[PairVerdict]) -> Assessment:
        def made(verdict: str, probability: float, rule: str, first: PairVerdict) -> Assessment:
            rest = [v.pair.id for v in verdicts if v.pair.id != first.pair.id]
            return Assessment(claim.id, source, verdict, round(float(probability), 4), rule, (first.pair.id, *rest))

        def best(vs: Sequence[PairVerdict]) -> PairVerdict:
            return max(vs, key=lambda v: (v.confidence, v.pair.id))

        hard_conflicts = [v for v in verdicts if v.rule in HARD_CONFLICT_RULES and v.verdict != "support"]
        if hard_conflicts:
            v = best(hard_conflicts)
            return made(v.verdict, v.confidence, v.rule, v)
        hard_supports = [v for v in verdicts if v.rule in HARD_SUPPORT_RULES and v.verdict == "support"]
        if hard_supports:
            v = best(hard_supports)
            return made("support", v.confidence, v.rule, v)
        # pairs about different things say nothing about this claim
        about = [(j, v) for j, v in zip(judgements, verdicts) if v.rule != "distinct-entities"]
        if not about:
            v = best(verdicts)
            return made("unrelated", v.confidence, v.rule, v)
        entail = [max(j.forward["entailment"], j.backward["entailment"]) for j, _ in about]
        contra = [max(j.forward["contradiction"], j.backward["contradiction"]) for j, _ in about]
        top_entail = max(range(len(about)), key=lambda i: (entail[i], about[i][1].pair.id))
        top_contra = max(range(len(about)), key=lambda i: (contra[i] * (1 - entail[i]), about[i][1].pair.id))
        stance = self.params.stance if self.checks and "stance-model" not in self.disabled else None
        if stance is not None:
            from verify.verdict.calibrate import evidence_features

            # the features of every pair with the outlet, as the model was fitted (calibrate.evidence_features)
            probs = stance.predict_proba(evidence_features(claim, judgements, self.knowledge))
            label = max(probs, key=lambda k: (probs[k], k))
            verdict = STANCE_VERDICTS[label]
            if verdict == "contradict" and (max(entail) >= self.t.weak_entail or max(contra) < self.t.contradict):
                # a contradiction needs strong NLI contradiction and weak entailment from every claim of the outlet
                verdict, label = "neutral", "discuss"
            both_ways = [v for j, v in about if v.verdict in CONFLICTING and v.rule in ("attribution", "nli-contradiction")
                         and max(j.forward["contradiction"], j.backward["contradiction"]) >= self.t.contradict]
            if verdict == "support" and max(entail) < self.t.weak_entail:
                verdict, label = "neutral", "discuss"  # support needs some claim of the outlet to entail this one
            if verdict != "contradict" and both_ways and max(entail) < self.t.weak_entail:
                v = best(both_ways)  # contradiction both ways and nothing entails: the model does not outweigh that
                return made(v.verdict, v.confidence, v.rule, v)
            if verdict == "support":
                first = about[top_entail][1]
            elif verdict == "contradict":
                first = about[top_contra][1]
                evidence_claim = first.pair.b if first.pair.a.id == claim.id else first.pair.a
                if claim.attribution or evidence_claim.attribution:
                    verdict = "disputed"
            else:
                first = max((v for _, v in about), key=lambda v: (v.pair.similarity, v.pair.id))
            return made(verdict, probs[label], "stance-model", first)
        supports = [v for _, v in about if v.verdict == "support"]
        if supports:
            v = best(supports)
            return made("support", v.confidence, v.rule, v)
        conflicts = [v for _, v in about if v.verdict in CONFLICTING or v.verdict == "different-time"]
        if conflicts and max(entail) < self.t.weak_entail:
            v = best(conflicts)
            return made(v.verdict, v.confidence, v.rule, v)
        if conflicts:  # contradiction here, but another claim of the outlet (or direction) entails this one
            return made("neutral", entail[top_entail], "outlet", about[top_entail][1])
        v = best([v for _, v in about])
        return made("neutral", v.confidence, v.rule, v)

    def _follow_assessments(self, verdicts: list[PairVerdict], assessments: Sequence[Assessment],
                            deciding: Mapping[str, list[Assessment]]) -> list[PairVerdict]:
        """A soft conflict (NLI, attribution, stance model) that the outlet view of either of its claims does not
        share becomes neutral (rule ``outlet``); otherwise the deciding pair carries its assessment's verdict."""
        by_group = {(x.claim_id, x.source): x for x in assessments}
        out = []
        for v in verdicts:
            a, b = v.pair.a, v.pair.b
            views = [x for x in (by_group.get((a.id, b.source)), by_group.get((b.id, a.source))) if x is not None]
            calm = sorted((x for x in views if not _conflicting(x.verdict) and x.verdict != "unrelated"),
                          key=lambda x: (x.verdict != "support", -x.probability))
            mine = deciding.get(v.pair.id, [])
            stance_conflict = [x for x in mine if x.rule == "stance-model" and _conflicting(x.verdict)]
            if stance_conflict:  # the outlet-level judgement this pair decides: it carries that verdict
                x = max(stance_conflict, key=lambda m: m.probability)
                out.append(v if (x.verdict, x.rule) == (v.verdict, v.rule) else _verdict(
                    v, x.verdict, x.probability, f"{_outlet_reason(x, a, b)}; {v.reason}", x.rule,
                    (*v.evidence, OutletEvidence(x.claim_id, x.source, x.verdict, v.pair.id))))
            elif v.verdict in CONFLICTING and v.rule not in HARD_RULES and calm:
                x = calm[0]
                out.append(_verdict(v, "neutral", x.probability, f"{_outlet_reason(x, a, b)}, so this pair's "
                                    f"conflict is not the outlets' view; {v.reason}", "outlet",
                                    (*v.evidence, OutletEvidence(x.claim_id, x.source, x.verdict, x.pair_ids[0]))))
            elif mine:
                x = max(mine, key=lambda m: (_conflicting(m.verdict), m.probability))
                verdict = "neutral" if x.verdict == "unrelated" else x.verdict
                if (verdict, x.rule) == (v.verdict, v.rule):
                    out.append(v)
                else:
                    out.append(_verdict(v, verdict, x.probability, f"{_outlet_reason(x, a, b)}; {v.reason}", x.rule,
                                        (*v.evidence, OutletEvidence(x.claim_id, x.source, x.verdict, v.pair.id))))
            else:
                out.append(v)
        return out


def _conflicting(verdict: str) -> bool:
    return verdict in CONFLICTING or verdict == "different-time"


def _outlet_reason(x: Assessment, a: Claim, b: Claim) -> str:
    claim = a if a.id == x.claim_id else b
    return f"against all of {x.source}'s claims, {claim.source}'s claim is {x.verdict} ({x.rule}, {x.probability:.2f})"


def _verdict(base: Judgement | PairVerdict, verdict: str, confidence: float, reason: str, rule: str,
             evidence: tuple) -> PairVerdict:
    conflicts = tuple(str(e) for e in evidence if isinstance(e, Conflict))
    return PairVerdict(base.pair, verdict, round(float(confidence), 4), base.forward, base.backward,  # type: ignore[arg-type]
                       reason, conflicts, rule, tuple(evidence))


def _clip(text: str, size: int = 90) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def clusters(verdicts: Sequence[PairVerdict]) -> list[Cluster]:
    """Connected components over support/contradict edges: claims about the same fact. Read from the pairs and
    verdict names alone (a ``VerdictTable``'s columns: no record made)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    claim_source: dict[str, str] = {}
    names, _ = names_and_confidences(verdicts)
    positions = np.nonzero(np.isin(names, ["support", *CONFLICTING]))[0].tolist()
    edges = list(zip(pair_ends(pairs_of(verdicts), positions), names[positions].tolist()))
    for (a, a_source, b, b_source), _ in edges:
        claim_source[a], claim_source[b] = a_source, b_source
        parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for claim_id in claim_source:
        groups.setdefault(find(claim_id), []).append(claim_id)
    edge_groups: dict[str, list[tuple[tuple[str, str, str, str], str]]] = {}
    for edge in edges:
        edge_groups.setdefault(find(edge[0][0]), []).append(edge)
    out = []
    for root, members in groups.items():
        agree, disagree = set(), set()
        for (_, a_source, _, b_source), name in edge_groups.get(root, []):
            key = tuple(sorted((a_source, b_source)))
            (agree if name == "support" else disagree).add(key)  # disputes count as disagreement
        ids = tuple(sorted(members))
        out.append(Cluster(id="k:" + short_hash(*ids), claim_ids=ids, sources=tuple(sorted({claim_source[c] for c in members})),
                           agree=tuple(sorted(agree)), disagree=tuple(sorted(disagree))))
    return sorted(out, key=lambda c: (-len(c.claim_ids), c.id))


def shared_facts(claims: Sequence[Claim], knowledge: Any = None) -> list[SharedFact]:
    """Agreement below the sentence: the same date or number given with the same specific entity (of a
    distinct NER type: an event, a monument, a person, not a country) by claims of two or more outlets."""
    knowledge = knowledge if knowledge is not None else default_knowledge()
    return facts_of((entity, value, c.source, c.id) for c in claims for entity, value in fact_keys(c, knowledge))


def fact_keys(claim: Claim, knowledge: Any) -> list[tuple[str, str]]:
    """The (entity, value) keys a claim gives the shared facts: each of its dates and numbers with a unit with each
    of its distinct, not generic entities (none for most claims)."""
    values = (*claim.dates, *number_keys(q for q in claim.quantities if q.unit))
    if not values:
        return []
    generic = getattr(knowledge, "generic", frozenset())
    return [(entity, value) for entity, t in typed(claim, knowledge) if t in DISTINCT_TYPES and entity not in generic
            for value in values]


def facts_of(entries: Iterable[tuple[str, str, str, str]]) -> list[SharedFact]:
    """The shared facts of (entity, value, outlet, claim id) entries in claim order (``fact_keys`` of each claim)."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for entity, value, source, claim_id in entries:
        groups.setdefault((entity, value), []).append((source, claim_id))
    out = []
    for (entity, value), members in groups.items():
        sources = tuple(sorted({source for source, _ in members}))
        if len(sources) >= 2:
            out.append(SharedFact(entity, value, sources, tuple(claim_id for _, claim_id in members)))
    return sorted(out, key=lambda f: (-len(f.sources), f.entity, f.value))


__all__ = ["Aggregator", "Thresholds", "clusters", "decision_key", "fact_keys", "facts_of", "rules_version", "shared_facts"]
