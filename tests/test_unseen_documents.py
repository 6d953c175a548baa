"""Phụ lục I reports in styles the reader was not first written for (tests/fixtures/
unseen_documents.py, hand-written expectations): every paragraph of content is read, under the
heading it was written under (or under none, '', with a finding), and nothing else is."""

from __future__ import annotations

import importlib.util

import pytest

from cchc_analysis.catalogue import catalogue_records, narrative_records, unit_records
from cchc_analysis.ingest import make_context
from cchc_analysis.narrative import Outline, read_document

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("unseen_documents", ROOT / "tests" / "fixtures" / "unseen_documents.py")
documents = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(documents)


@pytest.fixture(scope="module")
def context():
    return make_context("2021-H1", catalogue_records(2021), unit_records()), Outline(narrative_records(2021))


@pytest.mark.parametrize("case", documents.CASES, ids=[c["name"] for c in documents.CASES])
def test_unseen_document(case, context, tmp_path):
    d = documents.Doc()
    case["build"](d)
    path = d.save(tmp_path / f"{case['name']}.docx")
    ctx, outline = context
    result = read_document(path, path.name, ctx, outline)
    assert result.record["unit"] == case["unit"]
    assert result.record["status"] == "narrative"
    assert [(h, t) for h, t, _ in result.paragraphs] == case["expected"]
    unknown = [f for f in result.findings if f["check"] == "unknown-section"]
    assert bool(unknown) == any(h == "" for h, _ in case["expected"])
