"""Claims, judgements, fitted parameters and a small knowledge object for the verdict tests."""

from __future__ import annotations

import re

from verify.extract.values import extract_quantities
from verify.knowledge import Knowledge
from verify.records import Claim, ClaimPair, Judgement
from verify.verdict.params import Params

E = {"entailment": 0.9, "neutral": 0.05, "contradiction": 0.05}
N = {"entailment": 0.1, "neutral": 0.8, "contradiction": 0.1}
C = {"entailment": 0.05, "neutral": 0.1, "contradiction": 0.85}

# the hand thresholds, so the tests do not depend on what the fit wrote into params.json
PARAMS = Params({"support": 0.6, "contradict": 0.6, "weak_entail": 0.3, "same_fact_similarity": 0.6}, None,
                {"source": "test"}, "test")

# a topic that is not the seeds': the commemoration rule must work from data alone
KNOWLEDGE = Knowledge(
    packs=("test",), digest="test",
    types={"Kim Jong Un": "PERSON", "Donald Trump": "PERSON", "Vladimir Putin": "PERSON", "Arc de Triomphe": "FAC",
           "Liberation Tower": "FAC", "Friendship Tower": "FAC", "Korean War": "EVENT", "World War II": "EVENT",
           "France": "GPE", "Soviet Union": "GPE", "Japan": "GPE", "Justin Bieber": "PERSON", "James Foley": "PERSON"},
    generic=frozenset({"France"}),
    honour_cues=re.compile(r"\b(honou?r\w*|tribute|commemorat\w*|panel|depict\w*)\b", re.IGNORECASE),
    commemorations={"the Napoleonic wars": re.compile(r"Napoleon\w*|Austerlitz"),
                    "the First World War": re.compile(r"First World War|Unknown Soldier|1914")},
)


def probs(entailment: float, contradiction: float) -> dict[str, float]:
    return {"entailment": entailment, "neutral": round(1 - entailment - contradiction, 4), "contradiction": contradiction}


def claim(cid: str, text: str, source: str = "A", article: str = "a:1", **kw) -> Claim:
    """A claim whose entity types come from KNOWLEDGE and whose quantities are parsed from ``text``, as the
    extractor does, unless given (dates are given: a test says which of the text's dates it compares)."""
    if "entities" in kw and "entity_types" not in kw:
        kw["entity_types"] = tuple(KNOWLEDGE.types.get(e, "") for e in kw["entities"])
    kw.setdefault("quantities", extract_quantities(text))
    return Claim(cid, article, source, text, text, (0, len(text)), **kw)


def judge(a: Claim, b: Claim, fwd=N, bwd=N, sim: float = 0.8, via: str | None = None) -> Judgement:
    return Judgement(ClaimPair(a, b, sim, via=via), fwd, bwd)
