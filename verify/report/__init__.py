"""Report -> JSON (a documented schema), Markdown, HTML and rich terminal tables, and the files on disk.

The report is a public interface: people read the Markdown/HTML/terminal views and programs parse the
JSON. Every view reads the ``Report``'s typed fields (verdict, rule, evidence records); none parses the
words of a reason. Only ``render_terminal`` prints, and only to the console it is given.

Modules:

- ``schema``: the versioned JSON (``ReportJSON``, ``SCHEMA_VERSION``, ``json_schema``), ``Report`` to JSON
  (``to_json_model``, ``iter_json``, ``render_json``) and back (``from_json``, ``load_json``), ``inert_json``.
- ``view``: what the views share: verdict order, counts, dates and numbers in words, ``safe_text``.
- ``markdown``: ``render_markdown`` (``report.md``).
- ``html``: ``render_html`` (``report.html``), with its stylesheet and script in ``assets/`` (package data).
- ``terminal``: ``render_terminal`` (rich tables).
- ``io``: ``write_reports`` (a set of report files and its manifest), ``manifest_problem``, ``write_atomic``.
"""

from verify.report.html import render_html
from verify.report.io import FORMATS, MANIFEST, ReportWriteError, manifest_problem, write_atomic, write_reports
from verify.report.markdown import render_markdown
from verify.report.schema import (
    SCHEMA_VERSION,
    ReportJSON,
    from_json,
    inert_json,
    iter_json,
    json_schema,
    load_json,
    render_json,
    to_json_model,
)
from verify.report.terminal import render_terminal
from verify.report.view import safe_text

__all__ = [
    "FORMATS",
    "MANIFEST",
    "SCHEMA_VERSION",
    "ReportJSON",
    "ReportWriteError",
    "from_json",
    "inert_json",
    "iter_json",
    "json_schema",
    "load_json",
    "manifest_problem",
    "render_html",
    "render_json",
    "render_markdown",
    "render_terminal",
    "safe_text",
    "to_json_model",
    "write_atomic",
    "write_reports",
]
