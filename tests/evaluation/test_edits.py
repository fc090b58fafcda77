from __future__ import annotations

import random

from verify.evaluation.edits import edit_pairs, edit_sentence, reduce_sentence


def test_reduce_drops_a_trailing_clause_only():
    assert reduce_sentence("The tower was built in Pyongyang in 1947, which was two years after the war.") == (
        "The tower was built in Pyongyang in 1947."
    )
    assert reduce_sentence("Short, and sweet.") is None


def test_edits_change_exactly_one_value():
    rng = random.Random(0)
    s = "The Soviet Union declared war on Japan on August 8, 1945 in Moscow."
    kinds = set()
    for _ in range(40):
        kind, edited = edit_sentence(s, ["Berlin"], rng)
        kinds.add(kind)
        assert edited != s
        assert len(set(s.split()) ^ set(edited.split())) <= 4  # one value swapped (a name may span 2 words)
    assert {"number", "month", "name"} <= kinds


def test_edit_pairs_alternate_keep_and_edit():
    rows = edit_pairs(["Kim visited the tower in Pyongyang on 3 occasions in 2019, which surprised many."], ["Seoul"],
                      random.Random(1), 10)
    assert [r[2] for r in rows] == ["entailment", "contradiction"]
    assert rows[0][1].endswith("2019.")
    assert edit_pairs(["no values here at all"], [], random.Random(1), 10) == []
