"""The HTML report's stylesheet and script: package data the wheel ships, inlined whole and pinned by the CSP."""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import re
import tomllib
from pathlib import Path

from verify.records import Report
from verify.report import render_html
from verify.report.html import CSS, JS

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "verify" / "report" / "assets"


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def test_package_data_ships_every_asset() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["verify"]
    assets = [p.relative_to(ROOT / "verify").as_posix() for p in ASSETS.iterdir() if p.is_file()]
    assert sorted(assets) == ["report/assets/report.css", "report/assets/report.js"]
    unshipped = [a for a in assets if not any(fnmatch.fnmatch(a, pattern) for pattern in patterns)]
    assert unshipped == [], "add these to [tool.setuptools.package-data] in pyproject.toml"


def test_page_inlines_the_asset_files_under_their_csp_hashes(report: Report) -> None:
    page = render_html(report)
    style = re.search(r"<style>(.*?)</style>", page, re.DOTALL)
    script = re.search(r"<script>(.*?)</script>", page, re.DOTALL)
    assert style and script
    assert style.group(1) == CSS and CSS.strip() == (ASSETS / "report.css").read_text(encoding="utf-8").strip()
    assert script.group(1) == JS and JS.strip() == (ASSETS / "report.js").read_text(encoding="utf-8").strip()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp
    policy = csp.group(1).replace("&#x27;", "'")
    assert f"style-src {_sha256(style.group(1))};" in policy
    assert f"script-src {_sha256(script.group(1))};" in policy
