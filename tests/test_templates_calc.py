"""A template filled by typing into LibreOffice Calc, in a Vietnamese locale, as a department does.

LibreOffice runs headless and is driven through its UNO bridge (``tests/calc_typing.py``, run by
the system Python that has Debian's ``python3-uno``): the text goes to the cell as key strokes,
through Calc's own input handler, with the template's input checks. The workbook is then saved as
``.xlsx`` and as ``.ods`` and read by ``cchc check``. Expected values are what the person meant.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import calc_office

from cchc_analysis.catalogue import load_catalogue, load_units
from cchc_analysis.outputs.templates import PERCENT_ERROR, write_templates

HERE = Path(__file__).resolve().parent

# indicator of the VP template -> (what the person types, the value meant or None if refused)
TYPED = {
    "3.3.3": ("87,5", 87.5),
    "3.3.4": ("87,5%", 87.5),
    "3.4.2": ("6,4%", 6.4),
    "3.4.3": ("100%", 100.0),
    "3.4.4": ("87.5", None),  # a point is not the decimal separator in vi-VN: text, refused
    "7.1.7.1": ("87,5 %", 87.5),
    "7.1.8.3": ("150", None),  # not a rate: refused
}


def value_cells(path: Path) -> dict[str, str]:
    """Indicator id -> the reference of its Số liệu cell in a template."""
    sheet = openpyxl.load_workbook(path)["Phụ lục II"]
    found = {}
    for row in range(1, sheet.max_row + 1):
        code = str(sheet.cell(row, 1).value or "").strip().rstrip(".")
        if code:
            found[code] = f"D{row}"
    return found


@pytest.fixture(scope="module")
def typed_in_calc(soffice, uno_python, tmp_path_factory):
    folder = tmp_path_factory.mktemp("calc")
    paths = write_templates("2021-H1", load_catalogue(2021), load_units(), folder / "templates")
    template = next(p for p in paths if " - VP - " in p.name)
    refs = value_cells(template)
    typing = {refs[indicator]: text for indicator, (text, _meant) in TYPED.items()}
    stem = folder / "VP typed in Calc"
    with calc_office(soffice) as port:
        done = subprocess.run([uno_python, str(HERE / "calc_typing.py"), str(port), str(template), str(stem),
                               json.dumps(typing, ensure_ascii=False)],
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return folder, stem, refs, result


def test_calc_runs_in_a_vietnamese_locale(typed_in_calc):
    _folder, _stem, refs, result = typed_in_calc
    assert result["locale"] == "vi-VN"
    cell = result["cells"][refs["3.3.3"]]
    assert (cell["type"], cell["value"], cell["shown"]) == ("VALUE", 87.5, "87,5")  # a decimal comma


def test_what_calc_stores_for_each_entry(typed_in_calc):
    _folder, _stem, refs, result = typed_in_calc
    cells = result["cells"]
    # a percent typed into a General cell: the fraction, and the cell takes a percent format
    for indicator, fraction in (("3.3.4", 0.875), ("3.4.2", 0.064), ("3.4.3", 1.0), ("7.1.7.1", 0.875)):
        cell = cells[refs[indicator]]
        assert cell["type"] == "VALUE" and cell["value"] == pytest.approx(fraction), indicator
        assert "%" in cell["format"] and cell["shown"].endswith("%"), indicator


@pytest.mark.parametrize("indicator", ["3.4.4", "7.1.8.3"])
def test_a_wrong_entry_is_refused_with_a_vietnamese_message(typed_in_calc, indicator):
    _folder, _stem, refs, result = typed_in_calc
    cell = result["cells"][refs[indicator]]
    assert cell["type"] == "EMPTY" and cell["shown"] == ""  # the entry was not taken
    assert cell["show_error"] and cell["error_title"] == "Số liệu không hợp lệ"
    assert cell["error_message"] == PERCENT_ERROR
    assert "87,5" in cell["error_message"]


@pytest.mark.parametrize("ending", [".xlsx", ".ods"])
def test_cchc_check_reads_what_the_person_meant(typed_in_calc, ending, tmp_path):
    _folder, stem, _refs, _result = typed_in_calc
    raw = tmp_path / "data" / "raw" / "2021-H1"
    raw.mkdir(parents=True)
    shutil.copyfile(str(stem) + ending, raw / f"VP{ending}")
    done = subprocess.run([sys.executable, "-m", "cchc_analysis", "check", "--period", "2021-H1", "--root",
                           str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    values = pd.read_parquet(tmp_path / "data" / "processed" / "2021-H1" / "values.parquet")
    read = dict(zip(values["indicator"], values["value"]))
    assert read == pytest.approx({i: meant for i, (_t, meant) in TYPED.items() if meant is not None})
    assert set(values["unit"]) == {"VP"}
    findings = pd.read_csv(tmp_path / "data" / "processed" / "2021-H1" / "findings.csv")
    mine = findings[findings["source_file"] == f"VP{ending}"]
    assert not set(mine["check"]) & {"type-error", "out-of-range", "ambiguous-percent"}
