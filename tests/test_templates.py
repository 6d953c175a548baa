"""`cchc templates`: a unit fills its template and the ingest reads it back exactly."""

from __future__ import annotations

import openpyxl

from cchc_analysis.catalogue import load_catalogue, load_units
from cchc_analysis.ingest import ingest
from cchc_analysis.outputs.templates import write_templates


def test_filled_template_reads_back(tmp_path):
    catalogue = load_catalogue(2021)
    paths = write_templates("2021-H1", catalogue, load_units(), tmp_path / "templates")
    assert len(paths) == 6
    tp = next(p for p in paths if " - TP - " in p.name)
    book = openpyxl.load_workbook(tp)
    sheet = book["Phụ lục II"]
    assert book["_cchc"].sheet_state == "hidden"
    filled = {"2.1": 3, "2.2": 2, "2.3": 11, "2.4": 1, "2.5": 0}
    codes = {}
    for row in range(9, sheet.max_row + 1):
        code = str(sheet.cell(row, 1).value or "").rstrip(".")
        if code in filled:
            sheet.cell(row, 4).value = filled[code]
            codes[code] = row
    assert set(codes) == set(filled)  # every TP row is in its template, and nothing else to fill
    assert sheet.data_validations.dataValidation  # input checks travel with the template
    raw = tmp_path / "raw"
    raw.mkdir()
    book.save(raw / "anything.xlsx")  # the file name does not matter: the template says whose it is
    result = ingest("2021-H1", raw)
    assert result.findings.empty
    assert dict(zip(result.values["indicator"], result.values["value"])) == filled
    assert set(result.values["unit"]) == {"TP"}
    assert result.files.iloc[0]["unit_source"] == "meta"


def test_template_of_another_period_is_a_period_mismatch(tmp_path):
    paths = write_templates("2021-Q1", load_catalogue(2021), load_units(), tmp_path)
    raw = tmp_path / "raw"
    raw.mkdir()
    nv = next(p for p in paths if " - NV - " in p.name)
    nv.rename(raw / nv.name)
    result = ingest("2021-H1", raw)
    assert list(result.findings["check"]) == ["period-mismatch"]
