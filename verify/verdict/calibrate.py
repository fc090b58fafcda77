"""Evidence features of one claim against one other outlet: what the fitted stance model reads at run time.

`evidence_features(claim, judgements)` turns the NLI judgements of every pair between one claim and the claims
of ONE other outlet into a small vector of numbers in [0, 1]. The stance model (`verify.verdict.params`) is a
multinomial logistic regression over that vector (agree / disagree / discuss / unrelated); `rule_stance` is the
thresholds as a rule over the same vector. The fit runs offline from ``verify eval fit`` (`verify.evaluation.fit`)
on real news (FNC-1 train), never on the seed articles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from verify.records import Claim, Judgement
from verify.verdict.rules import value_conflicts


# English cue words (overridable through a knowledge object with the same attribute names)
HEDGE_CUES = re.compile(
    r"\b(reported(?:ly)?|allegedly|alleged|claim(?:s|ed)?|according to|rumou?r(?:s|ed)?|purported(?:ly)?|"
    r"unconfirmed|said to|appears? to|may have|might have|could have|sources? (?:say|said)|believed to|"
    r"apparently|suggests?|speculat\w*|unverified)\b", re.IGNORECASE)
DENIAL_CUES = re.compile(
    r"\b(den(?:y|ies|ied|ial)|false(?:ly)?|fake|hoax(?:es)?|not true|untrue|debunk\w*|no evidence|"
    r"dismiss(?:ed|es)?|refut\w*|satir\w*|fabricat\w*|baseless|myth|made up|never happened|not real|"
    r"misleading|bogus)\b", re.IGNORECASE)

FEATURES: tuple[str, ...] = (
    "has_evidence",        # 1 when the claim was paired with at least one claim of the other outlet
    "pairs",               # number of pairs, /10, capped at 1
    "entail_as_hyp",       # max entailment with the claim as hypothesis (the other outlet's claim as premise)
    "entail_as_prem",      # max entailment with the claim as premise
    "contra_as_hyp",       # max contradiction, claim as hypothesis
    "contra_as_prem",      # max contradiction, claim as premise
    "contra_weak_entail",  # max over pairs of contradiction x (1 - entailment): contradiction where entailment is weak
    "neutral_mean",        # mean neutral probability over pairs and directions
    "support_margin",      # max over pairs of (entailment - contradiction), mapped to [0, 1]
    "sim_max",             # max cosine similarity
    "sim_mean",            # mean cosine similarity
    "evidence_hedged",     # share of the other outlet's claims that are attributed or hedged ("reportedly")
    "evidence_denial",     # share of the other outlet's claims with denial cues ("denied", "hoax", "not true")
    "denial_contra",       # max contradiction among the pairs whose evidence has a denial cue
    "claim_hedged",        # the claim itself is attributed or hedged
    "claim_denial",        # the claim itself has a denial cue
    "value_conflict",      # share of pairs whose claims give conflicting dates or same-unit numbers
    "overlap_max",         # max share of the claim's content words that an evidence claim repeats
    "claim_question",      # the claim is a question ("Is X dead?"): it raises the matter, asserts nothing
)
_WORD = re.compile(r"[a-z0-9]+")
STOP_WORDS = frozenset(
    ["a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or", "but", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "it", "its", "this", "that", "these", "those", "as", "not", "no", "after", "before", "over", "under", "into", "than", "then", "there", "their", "they", "he", "she", "his", "her", "we", "you", "i", "will", "would", "can", "could", "may", "might", "says", "said", "say", "report", "reports"])


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS and len(w) > 1}


def _cues(knowledge: Any, name: str, default: re.Pattern[str]) -> re.Pattern[str]:
    """A knowledge pack's cue pattern (or word list) when it has one, else the built-in English one."""
    value = getattr(knowledge, name, None) if knowledge is not None else None
    if value is None:
        return default
    if isinstance(value, re.Pattern):
        return value
    words = sorted((str(w) for w in value), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE) if words else default


def no_evidence() -> dict[str, float]:
    """The vector of a claim the other outlet says nothing about (no pair at all)."""
    return dict.fromkeys(FEATURES, 0.0)


def evidence_features(claim: Claim, judgements: Sequence[Judgement], knowledge: Any = None) -> dict[str, float]:
    """One claim against ONE other outlet: features of the judgements of every pair between this claim and
    that outlet's claims (the claim may be ``pair.a`` or ``pair.b``; forward = a premise, b hypothesis).
    Every value is in [0, 1]; no judgement gives `no_evidence()`."""
    hedges, denials = _cues(knowledge, "hedge_cues", HEDGE_CUES), _cues(knowledge, "denial_cues", DENIAL_CUES)
    feats = no_evidence()
    feats["claim_hedged"] = float(bool(claim.attribution) or bool(hedges.search(claim.standalone)))
    feats["claim_denial"] = float(bool(denials.search(claim.standalone)))
    feats["claim_question"] = float(claim.text.rstrip(" \"'”’)").endswith("?"))
    rows = []
    for j in judgements:
        if j.pair.b.id == claim.id:
            evidence, as_hyp, as_prem = j.pair.a, j.forward, j.backward
        elif j.pair.a.id == claim.id:
            evidence, as_hyp, as_prem = j.pair.b, j.backward, j.forward
        else:
            raise ValueError(f"judgement {j.pair.id} does not involve claim {claim.id}")
        rows.append((evidence, as_hyp, as_prem, float(j.pair.similarity)))
    if not rows:
        return feats
    evidence_ids: dict[str, Claim] = {}
    entail, contra = [], []
    for evidence, as_hyp, as_prem, _ in rows:
        evidence_ids.setdefault(evidence.id, evidence)
        entail.append(max(as_hyp["entailment"], as_prem["entailment"]))
        contra.append(max(as_hyp["contradiction"], as_prem["contradiction"]))
    hedged = [bool(e.attribution) or bool(hedges.search(e.standalone)) for e in evidence_ids.values()]
    denying = {i for i, e in evidence_ids.items() if denials.search(e.standalone)}
    sims = [s for *_, s in rows]
    feats.update(
        has_evidence=1.0,
        pairs=min(len(rows), 10) / 10,
        entail_as_hyp=max(h["entailment"] for _, h, _, _ in rows),
        entail_as_prem=max(p["entailment"] for _, _, p, _ in rows),
        contra_as_hyp=max(h["contradiction"] for _, h, _, _ in rows),
        contra_as_prem=max(p["contradiction"] for _, _, p, _ in rows),
        contra_weak_entail=max(c * (1 - e) for c, e in zip(contra, entail)),
        neutral_mean=sum(h["neutral"] + p["neutral"] for _, h, p, _ in rows) / (2 * len(rows)),
        support_margin=(max(e - c for e, c in zip(entail, contra)) + 1) / 2,
        sim_max=min(max(max(sims), 0.0), 1.0),
        sim_mean=min(max(sum(sims) / len(sims), 0.0), 1.0),
        evidence_hedged=sum(hedged) / len(hedged),
        evidence_denial=len(denying) / len(evidence_ids),
        denial_contra=max((c for (e, *_), c in zip(rows, contra) if e.id in denying), default=0.0),
        value_conflict=sum(bool(value_conflicts(claim, e, knowledge)) for e, *_ in rows) / len(rows),
        overlap_max=max((len(mine & _content_words(e.standalone)) / len(mine) for e in evidence_ids.values()),
                        default=0.0) if (mine := _content_words(claim.standalone)) else 0.0,
    )
    return {k: float(v) for k, v in feats.items()}


def rule_stance(feats: Mapping[str, float], support: float, contradict: float, weak_entail: float) -> str:
    """The thresholds as a rule over one claim's evidence: entailment first, then contradiction where
    entailment is weak, then any pair -> discuss, no pair -> unrelated."""
    if not feats.get("has_evidence"):
        return "unrelated"
    entail = max(feats["entail_as_hyp"], feats["entail_as_prem"])
    contra = max(feats["contra_as_hyp"], feats["contra_as_prem"])
    if entail >= support:
        return "agree"
    if contra >= contradict and entail < weak_entail:
        return "disagree"
    return "discuss"
