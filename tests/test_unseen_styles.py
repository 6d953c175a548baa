"""Workbooks in styles the layout tests do not show (tests/fixtures/unseen_styles.py, 21 cases
with hand-written expected values and findings): every value read right, every planted problem
found, no correct value flagged."""

from __future__ import annotations

import importlib.util
import math

import pytest

from cchc_analysis.catalogue import load_catalogue, load_units
from cchc_analysis.checks import run_checks
from cchc_analysis.config import load_settings
from cchc_analysis.ingest import ingest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("unseen_styles", ROOT / "tests" / "fixtures" / "unseen_styles.py")
styles = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(styles)

IGNORED = {"missing-report", "late-report", "no-deadline"}  # each case holds one unit only


@pytest.fixture(scope="module")
def context():
    return load_catalogue(2021), load_units(), load_settings()


@pytest.mark.parametrize("case", styles.CASES, ids=[c["name"] for c in styles.CASES])
def test_unseen_style(case, context, tmp_path):
    catalogue, units, settings = context
    styles.build(case, tmp_path)
    result = ingest("2021-H1", tmp_path / case["name"], catalogue=catalogue, units=units, settings=settings)
    checked = run_checks("2021-H1", result, catalogue, units, settings)
    live = result.values[~result.values["superseded"]]
    got = {(u, i): v for u, i, v in zip(live["unit"], live["indicator"], live["value"]) if not math.isnan(v)}
    expected = {(case["unit"], i): float(v) for i, v in case["expect"].items()}
    assert got == expected
    found = [f for f in result.findings.itertuples() if f.check not in IGNORED]
    found += [f for f in checked.findings.itertuples() if f.check not in IGNORED]
    planted = {tuple(p) for p in case["findings"]}
    serious = {(f.check, f.indicator) for f in found if f.severity in ("error", "warning")}
    # every planted problem is found, and nothing else is called an error or a warning
    for check, indicator in planted:
        assert any(c == check and (not indicator or i == indicator) for c, i in serious), (check, indicator)
    assert {(c, i) for c, i in serious if not any(c == pc and (not pi or i == pi) for pc, pi in planted)} == set()
