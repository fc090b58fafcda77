"""Verdicts: the rules that decide a pair, the outlet-level aggregation, and the fitted parameters (calibrate).

``rules`` holds the named pair rules (each returns a ``Decision`` with typed evidence, or None), ``aggregate``
the stage (pair decisions, rebuttals, each claim judged against each other outlet), ``calibrate`` the fitted
thresholds and stance model. This module stays light: ``verify.config`` imports the rule names from it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# The declared version of the verdict code (rules, aggregate, calibrate): bump it when they change
# (tests/pipeline/test_versions.py fails until you do).
VERSION = "9"

# every rule a verdict can name: the pair rules in the order they are tried (verify.verdict.rules.RULES), then the
# set-level rules of verify.verdict.aggregate (whose docstring gives the order they apply in)
RULE_NAMES: tuple[str, ...] = (
    "different-time", "value-conflict", "commemoration", "compatible-values", "restatement", "distinct-entities",
    "nli-entailment", "attribution", "nli-contradiction", "nli-neutral", "rebuttal", "outlet", "stance-model",
)


def check_rule_names(names: Iterable[str]) -> tuple[str, ...]:
    """The names, unchanged, if every one is a rule; else ValueError naming the closest rule."""
    names = tuple(names)
    for name in names:
        if name not in RULE_NAMES:
            close = difflib.get_close_matches(name, RULE_NAMES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; rules: {', '.join(RULE_NAMES)}"
            raise ValueError(f"unknown verdict rule {name!r}{hint}")
    return names
