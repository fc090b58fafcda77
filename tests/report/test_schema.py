"""The JSON report: round trip, pair order, schema, strict validation, reading a report.json."""

from __future__ import annotations

import json
from pathlib import Path

import pydantic
import pytest

import verify
from verify.errors import InputError
from verify.records import Report
from verify.report import SCHEMA_VERSION, ReportJSON, json_schema, load_json, render_json, to_json_model


def test_json_round_trips(report: Report) -> None:
    text = render_json(report)
    model = ReportJSON.model_validate_json(text)
    assert model == to_json_model(report)
    data = json.loads(text)
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["verify_version"] == verify.__version__
    assert data["created"] == "2024-05-01T12:00:00Z"
    assert data["meta"]["models"]["nli"]["revision"] == "abc123"
    assert data["claims"][0]["source"] == "a:yon"
    assert data["claims"][0]["source_name"] == "Yonhap"


def test_pairs_are_ordered_contradictions_first(report: Report) -> None:
    pairs = json.loads(render_json(report))["pairs"]
    assert [p["verdict"] for p in pairs] == ["contradict", "support", "neutral"]
    assert pairs[0]["scores"]["forward"]["contradiction"] == pytest.approx(0.90)
    assert pairs[0]["conflicts"] == ["date: Aug 9 vs Aug 8"]


def test_spans_are_lists_of_two_ints(report: Report) -> None:
    for claim in json.loads(render_json(report))["claims"]:
        span = claim["span"]
        assert isinstance(span, list) and len(span) == 2
        assert all(isinstance(x, int) for x in span)


def test_extra_keys_are_rejected(report: Report) -> None:
    data = json.loads(render_json(report))
    data["surprise"] = 1
    with pytest.raises(pydantic.ValidationError):
        ReportJSON.model_validate(data)
    data = json.loads(render_json(report))
    data["pairs"][0]["surprise"] = 1
    with pytest.raises(pydantic.ValidationError):
        ReportJSON.model_validate(data)


def test_json_schema_lists_top_level_fields() -> None:
    schema = json_schema()
    assert set(schema["required"]) >= {"schema_version", "verify_version", "created", "pairs", "clusters"}
    assert schema["additionalProperties"] is False


def test_load_json(report: Report, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(render_json(report), encoding="utf-8")
    assert load_json(path) == to_json_model(report)


@pytest.mark.parametrize("content", [None, "{not json", '{"schema_version": "1.0"}'])
def test_load_json_bad_file_is_one_line_input_error(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_json(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)
