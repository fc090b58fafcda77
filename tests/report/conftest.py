"""The ``report`` fixture: a small hand-built report (tests.report.samples)."""

from __future__ import annotations

import pytest

from tests.report.samples import sample_report
from verify.records import Report


@pytest.fixture()
def report() -> Report:
    return sample_report()
