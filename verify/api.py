"""The stable Python API: build articles in memory, run the whole pipeline, get the report as records or as
the versioned JSON dict.

```python
import verify

a = verify.article("Officials said 12 people died on Monday.", source="Outlet A", date="2024-05-06")
b = verify.article("Officials said 15 people died on Monday.", source="Outlet B", date="2024-05-06")
report = verify.run([a, b])                      # or verify.run(["seeds/"]); files and Articles may be mixed
report.verdicts[0].verdict                       # records: verify.records.Report
data = verify.to_dict(report)                    # the versioned JSON report as a dict

pipeline = verify.Pipeline(verify.Settings())    # load the models once, run many times
for batch in batches:
    verify.run(batch, pipeline=pipeline)
```
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import time
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from verify.config import Settings
from verify.errors import InputError
from verify.pipeline.core import Pipeline, ProgressFactory, _no_progress
from verify.records import Article, Report, short_hash

__all__ = ["Pipeline", "Settings", "article", "run", "to_dict"]


def article(text: str, *, source: str, title: str | None = None, date: str | _dt.date | None = None,
            url: str | None = None, path: str | None = None, infer_date: bool = True) -> Article:
    """An in-memory article, cleaned exactly as ingest cleans a ``.txt`` file (quotes, boilerplate, broken
    lines; offsets back to ``text``). ``date`` is ISO ``YYYY-MM-DD`` (or a ``date``); without one, a date is
    inferred from the text as ingest does unless ``infer_date=False``. ``title`` defaults to ingest's guess."""
    from verify.ingest import clean, guess_title

    if not isinstance(text, str) or not text.strip():
        raise InputError(f"article from {source!r}: no text")
    if not source or not source.strip():
        raise InputError("article: name its outlet with source=...")
    cleaned, offsets = clean(text)
    if not cleaned:
        raise InputError(f"article from {source!r}: no text left after cleaning")
    day = _iso(date)
    made = Article(
        id="a:" + short_hash(text), path=path or f"<{source.strip()}>", source=source.strip(),
        title=title or guess_title(cleaned), date=day, url=url, text=cleaned, original=text,
        offsets=array("i", offsets), date_source="metadata" if day else None,
    )
    return _inferred(made) if infer_date and not day else made


def _iso(value: str | _dt.date | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    try:
        return _dt.date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        raise InputError(f"article date {value!r}: write it as YYYY-MM-DD") from None


def _inferred(made: Article) -> Article:
    """ingest's rule: no date in the metadata -> infer one from the text (anniversaries, datelines)."""
    from verify.extract.timeinfo import infer_article_date

    guess = infer_article_date(made.text)
    if guess is None:
        return made
    iso = guess.date.isoformat() if guess.precision == "day" else str(guess.date.year)
    return dataclasses.replace(made, date=iso, date_source=f"inferred from the text: {guess.evidence!r} "
                                                           f"(confidence {guess.confidence:.1f})")


_PIPELINES: dict[str, Pipeline] = {}


def _pipeline_for(settings: Settings) -> Pipeline:
    """One pipeline (models loaded once) per distinct settings, kept for later calls."""
    key = settings.model_dump_json()
    if key not in _PIPELINES:
        _PIPELINES.clear()  # keep one: a second set of models would double the memory
        _PIPELINES[key] = Pipeline(settings)
    return _PIPELINES[key]


def run(inputs: str | Path | Article | Sequence[str | Path | Article], settings: Settings | None = None, *,
        pipeline: Pipeline | None = None, progress: ProgressFactory = _no_progress,
        on_warning: Callable[[str], None] | None = None) -> Report:
    """Verify files, folders and in-memory `Article`s (mixed freely) and return the `Report`.

    The models load once: pass ``pipeline=`` to reuse yours, else the pipeline for ``settings`` (default
    `Settings()`: flag-free precedence, ``VERIFY_*`` > ``verify.toml`` > defaults) is kept between calls. The
    report's timings include reading the paths (``ingest``), as ``Pipeline.run_paths`` reports them."""
    if isinstance(inputs, (str, Path, Article)):
        inputs = [inputs]
    if pipeline is not None and settings is not None and pipeline.settings != settings:
        raise InputError("run: pass settings or a pipeline, not both with different settings")
    pipe = pipeline or _pipeline_for(settings or Settings())
    start = time.perf_counter()
    articles: list[Article] = []
    for item in inputs:  # in the caller's order; each path read as ingest reads it
        articles += [item] if isinstance(item, Article) else pipe.ingest([item], on_warning)
    timings = {} if all(isinstance(item, Article) for item in inputs) else {"ingest": time.perf_counter() - start}
    seen: set[str] = set()
    unique = [a for a in articles if not (a.id in seen or seen.add(a.id))]  # one copy of each text
    return pipe.run(unique, progress, timings, on_warning)


def to_dict(report: Report) -> dict[str, Any]:
    """The report as the versioned JSON document (``verify.report.ReportJSON``), as a plain dict: the same
    content ``--format json`` writes."""
    from verify.report import render_json

    return json.loads(render_json(report))
