"""The JSON report: round trip, pair order, schema, strict validation, reading a report.json."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pydantic
import pytest

import verify
from tests.report.samples import awkward_report, hostile_report, sample_report
from verify.errors import InputError
from verify.records import Report
from verify.report import (
    SCHEMA_VERSION,
    ReportJSON,
    inert_json,
    json_schema,
    load_json,
    render_json,
    schema,
    to_json_model,
    write_reports,
)
from verify.verdict.table import AssessmentTable, VerdictTable


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


def _dumped_by_models(report: Report) -> str:
    """The JSON report as it was written before the writer built plain dicts: every record validated into its
    pydantic model and written by ``model_dump_json``, in ``iter_json``'s layout."""
    model = to_json_model(report)
    parts = [f"  {json.dumps(key)}: {json.dumps(getattr(model, key), ensure_ascii=False)},\n"
             for key in ("schema_version", "verify_version", "created", "meta")]
    lists = []
    for key in ("sources", "claims", "pairs", "clusters", "facts", "assessments"):
        items = [item.model_dump_json() for item in getattr(model, key)]
        body = ",".join(f"\n    {item}" for item in items) + ("\n  " if items else "")
        lists.append(f"  {json.dumps(key)}: [{body}]")
    return "{\n" + "".join(parts) + ",\n".join(lists) + "\n}\n"


@pytest.mark.parametrize("make", [sample_report, hostile_report, awkward_report])
def test_json_is_byte_for_byte_what_the_models_write(make) -> None:
    """``iter_json`` skips the per-record models (speed); these are the bytes they would write, floats and
    escapes alike, every field in schema order."""
    report = make()
    assert render_json(report) == _dumped_by_models(report)


@pytest.mark.parametrize("block", [1, 2])
@pytest.mark.parametrize("tables", [False, True])
def test_json_written_a_block_at_a_time_is_the_same(monkeypatch: pytest.MonkeyPatch, block: int, tables: bool) -> None:
    """Records go out joined a block at a time (and a table's stored lines as they are): block edges, the first
    block of a list and the tables' lines leave the bytes as the models write them."""
    monkeypatch.setattr(schema._Lines, "BLOCK", block)
    report = sample_report()
    assert len(report.verdicts) > block and len(report.claims) > block
    if tables:
        report = dataclasses.replace(report, verdicts=VerdictTable.of(report.verdicts),
                                     assessments=AssessmentTable.of(report.assessments))
    assert render_json(report) == _dumped_by_models(report)


def test_written_json_is_the_models_dump_made_inert(tmp_path: Path) -> None:
    report = awkward_report()
    write_reports(report, tmp_path, ["json"])
    written = (tmp_path / "report.json").read_bytes()
    assert written == inert_json(_dumped_by_models(report)).encode("utf-8")
    assert "\u2028" not in written.decode("utf-8") and "\\u2028" in written.decode("utf-8")


def test_awkward_values_are_written_as_the_schema_says() -> None:
    data = json.loads(render_json(awkward_report()))
    assert all(isinstance(p["confidence"], float) or p["confidence"] is None for p in data["pairs"])
    assert {p["confidence"] for p in data["pairs"]} >= {1.0, None}  # an int, NaN and infinity
    gap = next(e for p in data["pairs"] for e in p["evidence"] if e["type"] == "time_gap" and e["years"])
    assert gap["years"] == 79.0 and isinstance(gap["years"], float)
    assert data["claims"][1]["span"] == [3, 7]


@pytest.mark.parametrize("text", ['{"a":"plain"}', '{"a":"é 😀 漢字"}', ""])
def test_inert_json_leaves_harmless_text_alone(text: str) -> None:
    assert inert_json(text) == text


def test_inert_json_escapes_del_in_ascii_text_too() -> None:
    assert inert_json('{"a":"x\x7f"}') == '{"a":"x\\u007f"}'
    assert inert_json('{"a":"\x9b\u2028\u202e"}') == '{"a":"\\u009b\\u2028\\u202e"}'


def test_a_table_renders_its_missing_lines_once() -> None:
    """The state writer and the JSON writer both ask a table for its lines: each missing one is rendered once, and
    a table whose lines are all there is not looked through again."""
    report = sample_report()
    table = VerdictTable.of(report.verdicts)
    table.lines[0] = b"kept"
    rendered: list[int] = []

    def render(verdict, n):
        rendered.append(n)
        return f"line {n}".encode()

    lines = table.json_lines(render)
    assert lines[0] == b"kept" and lines[1:] == [f"line {n}".encode() for n in range(1, len(table))]
    assert table.json_lines(render) is lines and rendered == list(range(1, len(table)))
