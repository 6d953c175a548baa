"""The catalogue is the letter's Appendix II as data: tie every entry to the seed text."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
import pytest

from cchc_analysis.catalogue import CatalogueError, load_catalogue, load_units, parse_choices, validate_catalogue
from cchc_analysis.text import fold

from conftest import SEED


def _seed_table() -> list[dict]:
    """Rows of the letter's Phụ lục II as the seed prints them, page-break pieces joined.

    Independent of the package: tab-separated lines after 'Phụ lục II'; repeated header lines are
    skipped; a line with no STT that continues the row above (a lower-case name, or only unit
    text) is joined to it."""
    text = unicodedata.normalize("NFC", SEED.read_text(encoding="utf-8"))
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == "Phụ lục II")
    rows: list[dict] = []
    for line in lines[start:]:
        if "\t" not in line:
            continue
        cells = [re.sub(r"</?i>", "", c).strip() for c in line.split("\t")] + ["", "", "", ""]
        stt, name, unit, _value, note = cells[:5]
        if stt == "STT" or name.startswith("Chỉ tiêu thống kê") or (not stt and not name and unit == "Đơn vị tính"):
            continue
        if not stt and (not name or name[0].islower()):
            rows[-1]["name"] = f"{rows[-1]['name']} {name}".strip()
            rows[-1]["unit"] = f"{rows[-1]['unit']} {unit}".strip()
            continue
        rows.append({"printed": stt, "name": name, "unit": unit, "note": note})
    return rows


def _expected_ids(rows: list[dict]) -> list[str]:
    """Ids by the rules of DESIGN.md, derived from the printed codes alone."""
    ids, letters, last_coded = [], {}, ""
    for row in rows:
        printed = row["printed"]
        if printed and printed != "Trong đó":
            code = printed.rstrip(".")
            if code.startswith("1.1.") and ids and (ids[-1] == "1.2" or ids[-1].startswith("1.2.")):
                code = "1.2." + code.split(".")[2]
            ids.append(code)
            last_coded = code
            continue
        # uncoded rows: the parent's id plus a letter in print order
        parent = last_coded
        letters[parent] = letters.get(parent, 0) + 1
        ids.append(f"{parent}.{'abc'[letters[parent] - 1]}")
    return ids


def _groups(rows: list[dict]) -> set[str]:
    """Rows that head others and print no unit (3.1.3 and 7.1.6.2 head rows but carry a value)."""
    ids = _expected_ids(rows)
    return {i for i, row in zip(ids, rows) if not row["unit"] and any(j.startswith(i + ".") for j in ids)}


SEED_ROWS = _seed_table()


def test_seed_has_137_rows_102_with_a_value():
    groups = _groups(SEED_ROWS)
    assert len(SEED_ROWS) == 137
    assert len(SEED_ROWS) - len(groups) == 102


def test_every_seed_row_is_exactly_one_entry():
    catalogue = load_catalogue(2021)
    ids = _expected_ids(SEED_ROWS)
    assert list(catalogue["id"]) == ids
    assert catalogue["id"].is_unique
    for row, (_, entry) in zip(SEED_ROWS, catalogue.iterrows()):
        assert fold(f"{entry['name']} {entry['description']}") == fold(row["name"].rstrip(":")), entry["id"]
        assert fold(entry["unit"]) == fold(row["unit"]), entry["id"]
        assert fold(entry["note"]) == fold(row["note"]), entry["id"]
        printed = row["printed"] if row["printed"] else ""
        assert entry["printed"] == printed, entry["id"]


def test_misnumbered_and_uncoded_rows_have_design_ids():
    catalogue = load_catalogue(2021).set_index("id")
    assert [catalogue.loc[i, "printed"] for i in ["1.2.1", "1.2.2", "1.2.3", "1.2.4"]] == ["1.1.1.", "1.1.2.", "1.1.3.", "1.1.4."]
    assert catalogue.loc["3.1.3.a", "name"] == "Số TTHC cấp tỉnh"
    assert catalogue.loc["3.1.3.c", "name"] == "Số TTHC cấp xã"
    assert catalogue.loc["4.1.b", "name"] == "Tỷ lệ ĐVSNCL đã cắt giảm so với năm 2015"
    assert catalogue.loc["7.1.6.1.a", "parent"] == "7.1.6.1"
    assert catalogue.loc["7.1.6.2.b", "name"].endswith("song song với văn bản giấy")


def test_kinds_follow_the_unit_column():
    catalogue = load_catalogue(2021)
    groups = _groups(SEED_ROWS)
    for row, (_, entry) in zip(SEED_ROWS, catalogue.iterrows()):
        unit = row["unit"]
        if entry["id"] in groups:
            expected = "group"
        elif unit == "%":
            expected = "percent"
        elif "Điểm" in unit or unit.startswith("Theo QĐ"):
            expected = "score"
        elif "=" in unit:
            expected = "code"
        elif not unit:
            expected = "percent" if row["name"].startswith("Tỷ lệ") else "count"
        else:
            expected = "count"
        assert entry["kind"] == expected, entry["id"]


def test_coded_rows_carry_the_letters_choices():
    catalogue = load_catalogue(2021).set_index("id")
    expected = {
        "1.4.2": {0: "Trực tuyến", 1: "Phát phiếu", 2: "Kết hợp"},
        "1.5": {0: "Không", 1: "Có"},
        "5.3.1": {0: "Chưa thực hiện", 1: "Đã thực hiện"},
        "7.1.2": {0: "Chưa có", 1: "2 cấp", 2: "3 cấp"},
        "7.1.3": {0: "Chưa", 1: "Đang làm", 2: "Hoàn thành"},
    }
    coded = catalogue[catalogue["kind"] == "code"]
    assert set(coded.index) == set(expected)
    for indicator, choices in expected.items():
        assert parse_choices(catalogue.loc[indicator, "choices"]) == choices
        # the letter's unit text states the same pairs
        pairs = re.findall(r"([^=]+?)\s*=\s*(\d)", catalogue.loc[indicator, "unit"])
        assert {int(code): label.strip() for label, code in pairs} == choices


def test_owners_follow_design():
    catalogue = load_catalogue(2021).set_index("id")
    owner = catalogue["owner"]
    assert owner["1.1.1"] == owner["1.2.4"] == owner["1.4.2"] == owner["4.2.5"] == owner["5.4.3"] == owner["7.2.7.2"] == "NV"
    assert owner["1.3.1"] == owner["1.5"] == owner["3.1.3.b"] == owner["3.4.4"] == owner["7.1.6.2.a"] == owner["7.1.9.3"] == "VP"
    assert owner["3.4.5"] == "KTHT"
    assert owner["2.5"] == "TP"
    assert owner["6.5"] == "TCKH"
    assert [owner[f"7.1.{i}"] for i in range(1, 6)] == ["VHTT"] * 5
    assert catalogue.loc["3.4.1", "levels"] == "province"
    assert catalogue.loc[[f"6.{i}" for i in range(1, 6)], "cumulative"].all()
    assert catalogue["cumulative"].sum() == 5


def test_validation_names_every_problem():
    catalogue = load_catalogue(2021)
    broken = catalogue.copy()
    broken.loc[2, "id"] = "1.1"  # duplicate
    broken.loc[3, "kind"] = "ratio"
    broken.loc[16, "choices"] = ""  # 1.4.2 code row without choices
    broken.loc[20, "owner"] = "XYZ"
    for column in ("cumulative", "min", "max"):
        broken[column] = broken[column].astype(str).replace({"nan": ""}).str.lower()
    problems = validate_catalogue(broken, set(load_units()["code"]))
    assert len(problems) == 4
    assert "bị trùng" in problems[0]
    assert "'ratio'" in problems[1]
    assert "không có lựa chọn" in problems[2]
    assert "'XYZ'" in problems[3]


def test_a_broken_workspace_catalogue_is_refused(tmp_path):
    folder = tmp_path / "catalogue" / "2021"
    folder.mkdir(parents=True)
    source = load_catalogue(2021)
    text = (tmp_path / "x.csv")
    frame = pd.read_csv(__import__("cchc_analysis").config.CATALOGUE_DIR / "2021" / "indicators.csv", dtype=str, keep_default_na=False)
    frame.loc[5, "kind"] = "bogus"
    frame.to_csv(folder / "indicators.csv", index=False)
    with pytest.raises(CatalogueError, match="bogus"):
        load_catalogue(2021, tmp_path)
    assert len(source) == 137 and not text.exists()


def test_units_registry_and_workspace_units(tmp_path):
    units = load_units()
    assert list(units["code"]) == ["NV", "TCKH", "TP", "VHTT", "KTHT", "VP"]
    (tmp_path / "catalogue").mkdir()
    (tmp_path / "catalogue" / "units.csv").write_text(
        "code,name,level,aliases\nNV,Phòng Nội vụ,department,Nội vụ\nXCX,UBND xã Cẩm Xuyên,commune,Xã Cẩm Xuyên\n",
        encoding="utf-8",
    )
    local = load_units(tmp_path)
    assert list(local["code"]) == ["NV", "XCX"]
    assert "Xã Cẩm Xuyên" in local.set_index("code").loc["XCX", "aliases"]


def test_catalogue_for_other_years_falls_back():
    assert len(load_catalogue(2020)) == 137  # before the first catalogue: the oldest one
    assert len(load_catalogue(2024)) == 137  # after: the newest not later than the year
