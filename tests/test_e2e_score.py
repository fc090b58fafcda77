from __future__ import annotations

from verify.e2e import GoldPair, Scored, score


def scored(gold: str, predicted: str) -> Scored:
    return Scored(GoldPair("x", "a", "b", gold), predicted, True, True, "")


def test_score_by_hand():
    rows = [scored("contradict", "contradict"), scored("disputed", "contradict"), scored("neutral", "contradict"),
            scored("different-time", "neutral"), scored("support", "support")]
    m = score(rows)
    assert m["accuracy"] == 0.4
    assert m["precision_contradict"] == round(1 / 3, 4) and m["recall_contradict"] == 1.0
    assert m["precision_conflict"] == round(2 / 3, 4) and m["recall_conflict"] == 1.0
    assert m["false_contradiction_rate"] == round(1 / 3, 4)
    assert m["recall_different-time"] == 0.0 and m["f1_support"] == 1.0
    assert score([]) == {"n": 0}
