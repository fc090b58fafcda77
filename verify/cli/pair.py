"""`verify pair "A" "B"`: the whole verdict logic on two claims, explained."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from verify.cli._common import out, quiet_libraries, setup_logging, status, terminal_text, user_errors


def pair(
    text_a: Annotated[str, typer.Argument(help="First claim.")],
    text_b: Annotated[str, typer.Argument(help="Second claim.")],
    date_a: Annotated[str | None, typer.Option(help="Date of A's article (YYYY-MM-DD).")] = None,
    date_b: Annotated[str | None, typer.Option(help="Date of B's article (YYYY-MM-DD).")] = None,
    nli_model: Annotated[str | None, typer.Option(help="NLI alias, HF id or local folder.")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu or cuda.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True)] = 0,
) -> None:
    """Verdict, the rule that decided it and its evidence, confidence, NLI probabilities both ways and the reason."""
    setup_logging(verbose)
    quiet_libraries()
    with user_errors():
        from verify.config import load_settings
        from verify.pipeline.core import Pipeline
        from verify.records import evidence_to_dict

        for flag, value in (("--date-a", date_a), ("--date-b", date_b)):
            _check_date(flag, value)
        settings = load_settings(nli_model=nli_model, device=device)
        with status("Loading models..."):
            pipeline = Pipeline(settings).load()
        v = pipeline.judge_pair(text_a, text_b, date_a, date_b)
        data = {
            "verdict": v.verdict, "confidence": v.confidence, "similarity": v.pair.similarity,
            "forward": v.forward, "backward": v.backward, "reason": v.reason, "conflicts": list(v.conflicts),
            "rule": v.rule, "evidence": [evidence_to_dict(e) for e in v.evidence],
            "a": {"text": v.pair.a.text, "entities": v.pair.a.entities, "numbers": v.pair.a.numbers, "dates": v.pair.a.dates,
                  "attribution": v.pair.a.attribution},
            "b": {"text": v.pair.b.text, "entities": v.pair.b.entities, "numbers": v.pair.b.numbers, "dates": v.pair.b.dates,
                  "attribution": v.pair.b.attribution},
        }
        if as_json:
            out.print(json.dumps(data, indent=2), markup=False, highlight=False)
            return
        out.print(f"[bold]{v.verdict}[/bold] (confidence {v.confidence:.2f}, cosine {v.pair.similarity:.2f})")
        out.print(f"Rule: {v.rule}", markup=False, highlight=False)
        out.print(f"Reason: {terminal_text(v.reason)}", markup=False, highlight=False)
        table = Table("", "entailment", "neutral", "contradiction", title="NLI probabilities")
        for name, probs in (("A -> B", v.forward), ("B -> A", v.backward)):
            table.add_row(name, *(f"{probs[k]:.2f}" for k in ("entailment", "neutral", "contradiction")))
        out.print(table)
        for side in ("a", "b"):
            c = data[side]
            out.print(terminal_text(f"{side.upper()}: entities {list(c['entities'])}, numbers {list(c['numbers'])}, "
                                    f"dates {list(c['dates'])}"), markup=False, highlight=False)


def _check_date(flag: str, value: str | None) -> None:
    """A YYYY-MM-DD date in the years verify can reason about, else a one-line user error."""
    from datetime import date

    from verify.errors import ConfigError
    from verify.ingest import MAX_YEAR, MIN_YEAR

    if value is None:
        return
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        day = None
    if day is None or not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ConfigError(f"{flag} {terminal_text(value, one_line=True)[:40]!r}: give a date YYYY-MM-DD between "
                          f"{MIN_YEAR} and {MAX_YEAR}")
