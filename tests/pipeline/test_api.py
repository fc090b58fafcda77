"""The public Python API: verify.article, verify.run, verify.Pipeline, verify.to_dict (fakes, no model)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import verify
from verify.errors import InputError
from verify.report import SCHEMA_VERSION, ReportJSON

from ..conftest import SEEDS

TEXT_A = "Officials said 12 people died in the floods in Dhaka on Monday, the ministry reported."
TEXT_B = "Officials said 15 people died in the floods in Dhaka on Monday, the ministry reported."


def test_import_verify_stays_light():
    code = "import sys, verify; print(int(any(m in sys.modules for m in ('torch', 'verify.pipeline.core', 'spacy'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0"
    assert {"run", "article", "to_dict", "Pipeline", "Settings", "Report"} <= set(dir(verify))
    with pytest.raises(AttributeError):
        verify.no_such_thing  # noqa: B018


def test_article_is_cleaned_like_ingest():
    art = verify.article("  Officials  said\u00a0“12 people” died.\n\nSubscribe to our newsletter!\n", source="Outlet A",
                         date="2024-05-06", url="https://example.org/x")
    assert art.source == "Outlet A" and art.date == "2024-05-06" and art.date_source == "metadata"
    assert "Subscribe" not in art.text and '"12 people"' in art.text
    start = art.text.index("Officials")
    assert art.original[art.offsets[start]:art.offsets[start] + 9] == "Officials"
    assert art.id == verify.article(art.original, source="Other").id  # the id is the text's hash, as in ingest
    assert verify.article(TEXT_A, source="A", title="Floods kill 12").title == "Floods kill 12"


def test_article_refuses_bad_input():
    with pytest.raises(InputError, match="no text"):
        verify.article("   ", source="A")
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        verify.article("Some text here.", source="A", date="last Tuesday")
    with pytest.raises(InputError, match="source"):
        verify.article("Some text here.", source=" ")


def test_run_in_memory_articles_returns_records_and_the_json_dict(fake_settings):
    a = verify.article(TEXT_A, source="Outlet A", date="2024-05-06")
    b = verify.article(TEXT_B, source="Outlet B", date="2024-05-06")
    report = verify.run([a, b], fake_settings)
    assert isinstance(report, verify.Report) and {x.source for x in report.articles} == {"Outlet A", "Outlet B"}
    assert "ingest" not in report.meta["timings_s"]  # nothing was read
    assert report.claims and report.verdicts
    data = verify.to_dict(report)
    ReportJSON.model_validate(data)  # the versioned schema
    assert data["schema_version"] == SCHEMA_VERSION and len(data["pairs"]) == len(report.verdicts)
    assert {s["name"] for s in data["sources"]} == {"Outlet A", "Outlet B"}


def test_run_mixes_paths_and_articles_and_reuses_a_pipeline(fake_settings):
    pipeline = verify.Pipeline(fake_settings)
    extra = verify.article(TEXT_A, source="Outlet A", date="2024-05-06")
    report = verify.run([SEEDS, extra], pipeline=pipeline)
    assert "Outlet A" in {x.source for x in report.articles} and len(report.articles) >= 4
    assert "ingest" in report.meta["timings_s"]  # reading the paths is timed, as Pipeline.run_paths times it
    assert verify.run(SEEDS, pipeline=pipeline).articles  # one path, not a list
    embedder = pipeline.embedder
    verify.run([extra, verify.article(TEXT_B, source="Outlet B")], pipeline=pipeline)
    assert pipeline.embedder is embedder  # models loaded once
    with pytest.raises(InputError, match="not both"):
        verify.run(SEEDS, fake_settings.model_copy(update={"top_k": 2}), pipeline=pipeline)


def test_duplicate_articles_are_verified_once(fake_settings):
    a = verify.article(TEXT_A, source="Outlet A")
    report = verify.run([a, a, verify.article(TEXT_B, source="Outlet B")], fake_settings)
    assert len(report.articles) == 2
