"""Checks of a period: expectations, completeness, timeliness, rules and conflicts.

Every fixture is written by hand here (small frames, or tiny openpyxl workbooks read by the real
ingest); every expected value below comes from the fixture, not from running the code.
"""

from __future__ import annotations

import csv
import math
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cchc_analysis import findings as F
from cchc_analysis.catalogue import CatalogueError, load_catalogue, load_units
from cchc_analysis.checks import (
    ChecksResult,
    expectations,
    load_rules,
    rates,
    run_checks,
)
from cchc_analysis.ingest import CELL_COLUMNS, FILE_COLUMNS, VALUE_COLUMNS, IngestResult, ingest

PERIOD = "2021-H1"
SETTINGS = {"district": {"level": "district"}, "deadlines": {"2021-H1": "2021-06-15T09:00"}}
NO_DEADLINE = {"district": {"level": "district"}, "deadlines": {}}
SHEET = "Phụ lục II"
ON_TIME = datetime(2021, 6, 14, 15, 30)


@pytest.fixture(scope="module")
def cat() -> pd.DataFrame:
    return load_catalogue(2021)


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    return load_units()


@pytest.fixture(scope="module")
def rules() -> pd.DataFrame:
    return load_rules(2021)


# --------------------------------------------------------------------------------------------
# hand-built ingest results


def file_row(unit: str, name: str, received: datetime = ON_TIME, status: str = "ok") -> dict:
    return {"source_file": name, "unit": unit, "unit_source": "title", "unit_title": unit, "period_found": PERIOD,
            "received_at": received, "time_source": "submissions.csv", "status": status, "sheet": SHEET,
            "n_values": 0}


def value_row(unit: str, indicator: str, value: float, source: str, row: int, raw: str | None = None,
              superseded: bool = False) -> dict:
    if raw is None:
        raw = "" if isinstance(value, float) and math.isnan(value) else f"{value:g}"
    return {"period": PERIOD, "unit": unit, "indicator": indicator, "value": float(value), "raw": raw,
            "source_file": source, "sheet": SHEET, "row": row, "superseded": superseded}


def make_ingest(values: list[dict], files: list[dict], cells: list[dict] | None = None,
                found: list[dict] | None = None) -> IngestResult:
    frame = pd.DataFrame(values, columns=VALUE_COLUMNS).astype(
        {"value": float, "row": "Int64", "superseded": bool})
    cell_frame = pd.DataFrame(cells or [], columns=CELL_COLUMNS).astype({"row": "Int64"})
    return IngestResult(values=frame, findings=F.frame(found or []), cells=cell_frame,
                        files=pd.DataFrame(files, columns=FILE_COLUMNS))


def of(result: ChecksResult, check: str, unit: str | None = None) -> pd.DataFrame:
    out = result.findings[result.findings["check"] == check]
    return out if unit is None else out[out["unit"] == unit]


def rule_frame(*rows: tuple) -> pd.DataFrame:
    """Rules built by hand: (id, left, operator, right, missing[, tolerance])."""
    records = []
    for row in rows:
        rule_id, left, op, right, missing = row[:5]
        records.append({"id": rule_id, "left": left, "operator": op, "right": right, "severity": "error",
                        "missing": missing, "message": "Quy tắc thử.", "tolerance": row[5] if len(row) > 5 else 0.0,
                        "note": ""})
    return pd.DataFrame(records)


# --------------------------------------------------------------------------------------------
# expectations


def test_expectations_follow_owners_and_levels(cat, units):
    expected = expectations(cat, units)
    by_unit = expected.groupby("unit")["indicator"].apply(list).to_dict()
    assert by_unit["KTHT"] == ["3.4.5"]
    assert by_unit["TP"] == ["2.1", "2.2", "2.3", "2.4", "2.5"]
    assert by_unit["TCKH"] == ["6.1", "6.2", "6.3", "6.4", "6.5"]
    assert by_unit["VHTT"] == ["7.1.1", "7.1.2", "7.1.3", "7.1.4", "7.1.5"]
    assert "3.4.1" not in set(expected["indicator"])  # provincial departments only
    assert {"3.4.2", "3.1.3.a", "7.1.6.1.a", "1.3.1"} <= set(by_unit["VP"])
    assert {"1.2.2", "4.1.a", "7.2.7.2"} <= set(by_unit["NV"])
    assert "1.1" not in set(expected["indicator"])  # group rows carry no value
    assert set(expected.loc[expected["indicator"] == "4.2.1", "section"]) == {"4"}
    assert list(expected.columns) == ["unit", "indicator", "section"]


def test_unit_owning_nothing_expects_nothing(cat, units):
    with_commune = pd.concat([units, pd.DataFrame([{"code": "XA", "name": "UBND xã Cẩm Hưng", "level": "commune",
                                                    "aliases": ["Cẩm Hưng"]}])], ignore_index=True)
    expected = expectations(cat, with_commune)
    assert "XA" not in set(expected["unit"])
    result = run_checks(PERIOD, make_ingest([], []), cat, with_commune, SETTINGS, rule_frame())
    assert "XA" not in set(result.timeliness["unit"])
    assert "XA" not in set(result.findings["unit"])


def test_province_level_expects_3_4_1_but_not_district_only_rows(cat, units):
    expected = set(expectations(cat, units, level="province")["indicator"])
    assert "3.4.1" in expected
    assert "1.2.2" not in expected and "3.4.2" not in expected


# --------------------------------------------------------------------------------------------
# missing reports, timeliness and rates


def test_unit_that_reports_nothing_is_a_missing_report(cat, units):
    files = [file_row("NV", "nv.xlsx"), file_row("TP", "tp.xlsx", status="period-mismatch")]
    result = run_checks(PERIOD, make_ingest([], files), cat, units, SETTINGS, rule_frame())
    missing = of(result, "missing-report")
    assert sorted(missing["unit"]) == ["KTHT", "TCKH", "TP", "VHTT", "VP"]
    assert set(missing["severity"]) == {"error"}
    tp = missing[missing["unit"] == "TP"].iloc[0]["message"]
    assert "Phòng Tư pháp" in tp and "tp.xlsx" in tp and "kỳ báo cáo khác" in tp
    assert "09:00 ngày 15/06/2021" in tp
    # no missing-value for units that sent nothing: one problem, one finding
    assert of(result, "missing-value")["unit"].isin(["NV"]).all()
    row = result.timeliness.set_index("unit").loc["TP"]
    assert not row["reported"] and pd.isna(row["on_time"]) and math.isnan(row["late_hours"])


def test_late_report_says_how_late_and_the_deadline(cat, units):
    files = [file_row("NV", "nv.xlsx", datetime(2021, 6, 17, 11, 30)),
             file_row("VP", "vp.xlsx", datetime(2021, 6, 15, 9, 0)),  # exactly at the deadline: on time
             file_row("TP", "tp.xlsx", datetime(2021, 6, 14, 8, 0))]
    result = run_checks(PERIOD, make_ingest([], files), cat, units, SETTINGS, rule_frame())
    late = of(result, "late-report")
    assert list(late["unit"]) == ["NV"]
    message = late.iloc[0]["message"]
    assert "2 ngày 2 giờ" in message and "50,5 giờ" in message
    assert "09:00 ngày 15/06/2021" in message and "11:30 ngày 17/06/2021" in message
    assert late.iloc[0]["source_file"] == "nv.xlsx" and late.iloc[0]["severity"] == "warning"
    t = result.timeliness.set_index("unit")
    assert t.loc["NV", "on_time"] == False and t.loc["NV", "late_hours"] == pytest.approx(50.5)  # noqa: E712
    assert t.loc["VP", "on_time"] == True and t.loc["VP", "late_hours"] == 0  # noqa: E712
    assert t.loc["NV", "deadline"] == pd.Timestamp("2021-06-15 09:00")
    assert t.loc["NV", "unit_name"] == "Phòng Nội vụ"
    assert list(result.timeliness.columns) == ["period", "unit", "unit_name", "expected", "reported", "source_file",
                                               "received_at", "deadline", "on_time", "late_hours"]
    assert rates(result.timeliness) == {"expected": 6, "reported": 3, "on_time": 2, "late": 1,
                                        "reporting_rate": 0.5, "on_time_rate": pytest.approx(2 / 6)}
    assert of(result, "no-deadline").empty


def test_latest_file_decides_timeliness(cat, units):
    files = [file_row("NV", "nv.xlsx", datetime(2021, 6, 14, 10, 0)),
             file_row("NV", "nv (sửa).xlsx", datetime(2021, 6, 15, 10, 0))]
    result = run_checks(PERIOD, make_ingest([], files), cat, units, SETTINGS, rule_frame())
    t = result.timeliness.set_index("unit")
    assert t.loc["NV", "source_file"] == "nv (sửa).xlsx" and t.loc["NV", "late_hours"] == pytest.approx(1.0)
    message = of(result, "late-report").iloc[0]["message"]
    assert "1 giờ" in message and "nv.xlsx" in message  # the earlier, on-time file is named


def test_late_by_file_time_says_so(cat, units):
    files = [dict(file_row("NV", "nv.xlsx", datetime(2021, 6, 15, 9, 45)), time_source="mtime")]
    result = run_checks(PERIOD, make_ingest([], files), cat, units, SETTINGS, rule_frame())
    message = of(result, "late-report").iloc[0]["message"]
    assert "45 phút" in message and "ngày sửa tệp" in message and "submissions.csv" in message


def test_period_without_deadline_gives_one_info_and_no_on_time_rate(cat, units):
    files = [file_row("NV", "nv.xlsx", datetime(2021, 9, 30, 23, 0))]
    result = run_checks("2021-Q3", make_ingest([], files), cat, units, NO_DEADLINE, rule_frame())
    info = of(result, "no-deadline")
    assert len(info) == 1 and info.iloc[0]["severity"] == "info" and "2021-Q3" in info.iloc[0]["message"]
    assert of(result, "late-report").empty
    assert result.timeliness["on_time"].isna().all() and result.timeliness["deadline"].isna().all()
    assert rates(result.timeliness) == {"expected": 6, "reported": 1, "on_time": None, "late": None,
                                        "reporting_rate": pytest.approx(1 / 6), "on_time_rate": None}


def test_rates_of_an_empty_period():
    empty = pd.DataFrame(columns=["unit", "expected", "reported", "deadline", "on_time"])
    assert rates(empty)["reporting_rate"] is None and rates(empty)["on_time_rate"] is None


# --------------------------------------------------------------------------------------------
# missing values and completeness


def tp_fixture() -> IngestResult:
    """TP: 2.1 = 3, 2.2 '-', 2.3 'khoảng 12' (type-error), 2.4 = 2, 2.5 empty cell."""
    values = [value_row("TP", "2.1", 3, "tp.xlsx", 20),
              value_row("TP", "2.2", math.nan, "tp.xlsx", 21, raw="-"),
              value_row("TP", "2.3", math.nan, "tp.xlsx", 22, raw="khoảng 12"),
              value_row("TP", "2.4", 2, "tp.xlsx", 23)]
    cells = [{"unit": "TP", "indicator": i, "status": s, "source_file": "tp.xlsx", "sheet": SHEET, "row": r}
             for i, s, r in [("2.1", "ok", 20), ("2.2", "no-value", 21), ("2.3", "type-error", 22),
                             ("2.4", "ok", 23), ("2.5", "empty", 24)]]
    found = [F.make("type-error", "chỉ tiêu 2.3: 'khoảng 12' không phải là số.", period=PERIOD, unit="TP",
                    indicator="2.3", source_file="tp.xlsx", sheet=SHEET, row=22)]
    return make_ingest(values, [file_row("TP", "tp.xlsx")], cells, found)


def test_missing_values_name_the_cell_and_skip_cells_with_their_own_problem(cat, units):
    result = run_checks(PERIOD, tp_fixture(), cat, units, SETTINGS, rule_frame())
    missing = of(result, "missing-value", "TP").set_index("indicator")
    assert sorted(missing.index) == ["2.2", "2.5"]  # not 2.3: its type-error is the one finding
    empty = missing.loc["2.5"]
    assert (empty["source_file"], empty["sheet"], empty["row"]) == ("tp.xlsx", SHEET, 24)
    assert "để trống" in empty["message"] and "dòng 24" in empty["message"]
    assert "số nguyên không âm" in empty["message"] and "ghi 0" in empty["message"]
    assert "'-'" in missing.loc["2.2", "message"] and missing.loc["2.2", "row"] == 21
    assert set(missing["severity"]) == {"error"}


def test_completeness_counts_owed_filled_and_valid(cat, units):
    result = run_checks(PERIOD, tp_fixture(), cat, units, SETTINGS, rule_frame())
    c = result.completeness.set_index(["unit", "section"])
    assert list(result.completeness.columns) == ["period", "unit", "section", "owed", "filled", "valid", "rate"]
    assert tuple(c.loc[("TP", "2"), ["owed", "filled", "valid"]]) == (5, 4, 2)
    assert c.loc[("TP", "2"), "rate"] == pytest.approx(0.4)
    assert tuple(c.loc[("TP", "all"), ["owed", "filled", "valid"]]) == (5, 4, 2)
    assert c.loc[("TP", "1"), "owed"] == 0 and math.isnan(c.loc[("TP", "1"), "rate"])
    # a unit that sent nothing owes its values all the same
    assert tuple(c.loc[("VHTT", "7"), ["owed", "filled", "valid", "rate"]]) == (5, 0, 0, 0.0)
    assert sorted(result.completeness.loc[result.completeness["unit"] == "TP", "section"]) == \
        ["1", "2", "3", "4", "5", "6", "7", "all"]
    assert set(result.completeness["unit"]) == {"NV", "TCKH", "TP", "VHTT", "KTHT", "VP"}


def test_row_absent_from_the_file(cat, units):
    values = [value_row("KTHT", "3.1.1", 5, "ktht.xlsx", 9)]  # a row KTHT does not own
    result = run_checks(PERIOD, make_ingest(values, [file_row("KTHT", "ktht.xlsx")]), cat, units, SETTINGS,
                        rule_frame())
    missing = of(result, "missing-value", "KTHT")
    assert list(missing["indicator"]) == ["3.4.5"]
    message = missing.iloc[0]["message"]
    assert "không có dòng" in message and "ktht.xlsx" in message and "từ 0 đến 100" in message
    assert pd.isna(missing.iloc[0]["row"])


def test_superseded_values_do_not_count(cat, units):
    values = [value_row("KTHT", "3.4.5", 80, "ktht-1.xlsx", 40, superseded=True)]
    files = [file_row("KTHT", "ktht-1.xlsx", datetime(2021, 6, 13)), file_row("KTHT", "ktht-2.xlsx")]
    cells = [{"unit": "KTHT", "indicator": "3.4.5", "status": s, "source_file": f, "sheet": SHEET, "row": 40}
             for s, f in [("ok", "ktht-1.xlsx"), ("empty", "ktht-2.xlsx")]]
    result = run_checks(PERIOD, make_ingest(values, files, cells), cat, units, SETTINGS, rule_frame())
    missing = of(result, "missing-value", "KTHT")
    assert list(missing["source_file"]) == ["ktht-2.xlsx"]


# --------------------------------------------------------------------------------------------
# rules


def vp_values(pairs: dict[str, float], source: str = "vp.xlsx") -> list[dict]:
    return [value_row("VP", k, v, source, 10 + n) for n, (k, v) in enumerate(pairs.items())]


def test_sum_rule_broken_shows_both_sides(cat, units, rules):
    values = vp_values({"3.1.3": 360, "3.1.3.a": 0, "3.1.3.b": 250, "3.1.3.c": 100})
    result = run_checks(PERIOD, make_ingest(values, [file_row("VP", "vp.xlsx")]), cat, units, SETTINGS, rules)
    broken = of(result, "rule-violation")
    assert len(broken) == 1
    f = broken.iloc[0]
    assert (f["unit"], f["indicator"], f["severity"], f["source_file"], f["row"]) == ("VP", "3.1.3", "error", "vp.xlsx", 10)
    assert "3.1.3 = 360" in f["message"] and "tổng = 350" in f["message"]
    assert "3.1.3.a = 0" in f["message"] and "3.1.3 = 3.1.3.a + 3.1.3.b + 3.1.3.c" in f["message"]
    assert "dòng 10" in f["message"]


def test_sum_rule_kept(cat, units, rules):
    values = vp_values({"3.1.3": 350, "3.1.3.a": 0, "3.1.3.b": 250, "3.1.3.c": 100})
    result = run_checks(PERIOD, make_ingest(values, [file_row("VP", "vp.xlsx")]), cat, units, SETTINGS, rules)
    assert of(result, "rule-violation").empty


@pytest.mark.parametrize("strategy, values, broken", [
    # 1.3.3 missing, 1.3.2 alone exceeds 1.3.1
    ("skip_if_any_missing", {"1.3.1": 10, "1.3.2": 12}, False),
    ("skip_if_all_missing", {"1.3.1": 10, "1.3.2": 12}, True),
    ("never_skip", {"1.3.1": 10, "1.3.2": 12}, True),
    # the right side is missing entirely
    ("skip_if_any_missing", {"1.3.2": 3, "1.3.3": 1}, False),
    ("skip_if_all_missing", {"1.3.2": 3, "1.3.3": 1}, False),
    ("never_skip", {"1.3.2": 3, "1.3.3": 1}, True),
    # every value missing: nothing to check whatever the strategy
    ("never_skip", {}, False),
    # all there and consistent
    ("skip_if_any_missing", {"1.3.1": 10, "1.3.2": 7, "1.3.3": 3}, False),
    ("never_skip", {"1.3.1": 10, "1.3.2": 7, "1.3.3": 4}, True),
])
def test_missing_value_strategies(cat, units, strategy, values, broken):
    rules = rule_frame(("T1", "1.3.2 + 1.3.3", "<=", "1.3.1", strategy))
    result = run_checks(PERIOD, make_ingest(vp_values(values), [file_row("VP", "vp.xlsx")]), cat, units, SETTINGS,
                        rules)
    assert len(of(result, "rule-violation")) == (1 if broken else 0)


def test_missing_term_is_shown_as_zero(cat, units):
    rules = rule_frame(("T1", "1.3.2 + 1.3.3", "<=", "1.3.1", "skip_if_all_missing"))
    result = run_checks(PERIOD, make_ingest(vp_values({"1.3.1": 10, "1.3.2": 12}), [file_row("VP", "vp.xlsx")]),
                        cat, units, SETTINGS, rules)
    message = of(result, "rule-violation").iloc[0]["message"]
    assert "1.3.3 = trống, tính là 0" in message and "1.3.1 = 10" in message and "1.3.2 = 12" in message


@pytest.mark.parametrize("a, b, broken", [(60.5, 40.0, False), (70, 40, True), (55, 20, False)])
def test_percent_sum_rule_allows_rounding(cat, units, rules, a, b, broken):
    values = vp_values({"7.1.6.2.a": a, "7.1.6.2.b": b})
    result = run_checks(PERIOD, make_ingest(values, [file_row("VP", "vp.xlsx")]), cat, units, SETTINGS, rules)
    assert len(of(result, "rule-violation")) == (1 if broken else 0)


@pytest.mark.parametrize("op, left, right, broken", [
    ("<", 5, 5, True), ("<", 4, 5, False), (">", 5, 5, True), (">", 6, 5, False),
    (">=", 4, 5, True), (">=", 5, 5, False), ("=", 5, 5, False), ("=", 5, 6, True), ("<=", 6, 5, True),
])
def test_operators(cat, units, op, left, right, broken):
    rules = rule_frame(("T1", "3.2.2", op, "3.2.1", "skip_if_any_missing"))
    values = vp_values({"3.2.2": left, "3.2.1": right})
    result = run_checks(PERIOD, make_ingest(values, [file_row("VP", "vp.xlsx")]), cat, units, SETTINGS, rules)
    assert len(of(result, "rule-violation")) == (1 if broken else 0)


def test_rule_across_units_uses_the_district_values(cat, units):
    # VP owns 1.3.1, NV owns 1.1.1: no single file can break this rule, the district can
    rules = rule_frame(("X1", "1.3.1", "<=", "1.1.1", "skip_if_any_missing"))
    values = [value_row("VP", "1.3.1", 30, "vp.xlsx", 14), value_row("NV", "1.1.1", 25, "nv.xlsx", 8)]
    files = [file_row("VP", "vp.xlsx"), file_row("NV", "nv.xlsx")]
    result = run_checks(PERIOD, make_ingest(values, files), cat, units, SETTINGS, rules)
    broken = of(result, "rule-violation")
    assert len(broken) == 1
    f = broken.iloc[0]
    assert (f["unit"], f["indicator"], f["source_file"], f["row"]) == ("VP", "1.3.1", "vp.xlsx", 14)
    assert "Phòng Nội vụ" in f["message"] and "Văn phòng HĐND và UBND huyện" in f["message"]
    assert "1.3.1 = 30" in f["message"] and "1.1.1 = 25" in f["message"] and "nv.xlsx" in f["message"]


def test_package_rules_hold_on_consistent_values(cat, units, rules):
    values = [value_row("NV", k, v, "nv.xlsx", 10 + n) for n, (k, v) in enumerate(
        {"1.1.1": 20, "1.1.2": 20, "1.2.3": 5, "1.2.4": 0, "4.2.1": 75, "4.2.2": 75, "4.3.1": 10, "4.3.2": 9,
         "7.2.7.1": 90, "7.2.7.2": 90}.items())]
    values += vp_values({"1.3.1": 10, "1.3.2": 10, "1.3.3": 0, "3.2.1": 300, "3.2.2": 300,
                         "7.1.6.2.a": 100, "7.1.6.2.b": 0})
    values += [value_row("TP", "2.4", 0, "tp.xlsx", 5), value_row("TP", "2.5", 0, "tp.xlsx", 6)]
    files = [file_row("NV", "nv.xlsx"), file_row("VP", "vp.xlsx"), file_row("TP", "tp.xlsx")]
    result = run_checks(PERIOD, make_ingest(values, files), cat, units, SETTINGS, rules)
    assert of(result, "rule-violation").empty


@pytest.mark.parametrize("small, big", [("1.1.2", "1.1.1"), ("1.2.4", "1.2.3"), ("4.2.2", "4.2.1"),
                                        ("4.3.2", "4.3.1"), ("7.2.7.2", "7.2.7.1")])
def test_package_rules_catch_a_part_above_its_whole(cat, units, rules, small, big):
    values = [value_row("NV", small, 9, "nv.xlsx", 30), value_row("NV", big, 8, "nv.xlsx", 29)]
    result = run_checks(PERIOD, make_ingest(values, [file_row("NV", "nv.xlsx")]), cat, units, SETTINGS, rules)
    broken = of(result, "rule-violation")
    assert list(broken["indicator"]) == [small] and list(broken["row"]) == [30]
    assert f"{small} = 9" in broken.iloc[0]["message"] and f"{big} = 8" in broken.iloc[0]["message"]


# --------------------------------------------------------------------------------------------
# rules.csv


def test_package_rules_load(rules):
    text = {(r.left, r.operator, r.right) for r in rules.itertuples()}
    for required in [("1.1.2", "<=", "1.1.1"), ("1.2.4", "<=", "1.2.3"), ("1.3.2 + 1.3.3", "<=", "1.3.1"),
                     ("2.5", "<=", "2.4"), ("3.1.3", "=", "3.1.3.a + 3.1.3.b + 3.1.3.c"), ("3.2.2", "<=", "3.2.1"),
                     ("4.2.2", "<=", "4.2.1"), ("4.3.2", "<=", "4.3.1"), ("7.2.7.2", "<=", "7.2.7.1"),
                     ("7.1.6.2.a + 7.1.6.2.b", "<=", "100")]:
        assert required in text
    assert rules["id"].is_unique
    assert rules["tolerance"].dtype == float


def write_rules(root: Path, rows: list[list[str]]) -> None:
    folder = root / "catalogue" / "2021"
    folder.mkdir(parents=True)
    with open(folder / "rules.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "left", "operator", "right", "severity", "missing", "message"])
        writer.writerows(rows)


def test_rules_csv_problems_are_listed_one_per_line(tmp_path):
    write_rules(tmp_path, [
        ["A", "1.1.2", "<=", "1.1.1", "error", "skip_if_any_missing", "Đúng."],
        ["B", "1.9.9", "<=", "1.1.1", "error", "skip_if_any_missing", "Chỉ tiêu lạ."],
        ["C", "1.1.2", "=<", "1.1.1", "error", "skip_if_any_missing", "Phép lạ."],
        ["D", "1.1.2", "<=", "1.1.1", "error", "bo_qua", "Cách lạ."],
        ["E", "1.1.2", "<=", "1.1.1", "fatal", "never_skip", "Mức lạ."],
        ["F", "1.1", "<=", "1.1.1", "error", "never_skip", "Dòng nhóm."],
    ])
    with pytest.raises(CatalogueError) as caught:
        load_rules(2021, tmp_path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 5
    assert "'B'" in lines[0] and "1.9.9" in lines[0] and "không có trong danh mục" in lines[0]
    assert "'C'" in lines[1] and "=<" in lines[1]
    assert "'D'" in lines[2] and "bo_qua" in lines[2]
    assert "'E'" in lines[3] and "fatal" in lines[3]
    assert "'F'" in lines[4] and "nhóm" in lines[4]


def test_workspace_rules_replace_the_package_rules(tmp_path):
    write_rules(tmp_path, [["A", "1.1.2", "<=", "1.1.1 + 5", "warning", "never_skip", "Thử."]])
    loaded = load_rules(2021, tmp_path)
    assert list(loaded["id"]) == ["A"] and loaded.loc[0, "tolerance"] == 0.0


def test_run_checks_refuses_a_broken_rules_frame(cat, units):
    bad = rule_frame(("T1", "3.2.2", "≠", "3.2.1", "skip_if_any_missing"))
    with pytest.raises(CatalogueError):
        run_checks(PERIOD, make_ingest([], []), cat, units, SETTINGS, bad)


# --------------------------------------------------------------------------------------------
# conflicts


def test_conflict_names_both_units_and_the_owner_value_counts(cat, units):
    values = [value_row("VP", "1.3.1", 25, "vp.xlsx", 14), value_row("NV", "1.3.1", 20, "nv.xlsx", 15),
              value_row("VP", "1.3.2", 10, "vp.xlsx", 15), value_row("NV", "1.3.2", 10, "nv.xlsx", 16)]
    files = [file_row("VP", "vp.xlsx"), file_row("NV", "nv.xlsx")]
    result = run_checks(PERIOD, make_ingest(values, files), cat, units, SETTINGS, rule_frame())
    conflicts = of(result, "conflict")
    assert len(conflicts) == 1  # 1.3.2 agrees: no conflict
    f = conflicts.iloc[0]
    assert (f["unit"], f["indicator"], f["source_file"], f["row"], f["severity"]) == \
        ("NV", "1.3.1", "nv.xlsx", 15, "warning")
    for text in ("Phòng Nội vụ", "Văn phòng HĐND và UBND huyện", "vp.xlsx", "20", "25", "dòng 14"):
        assert text in f["message"]


def test_conflict_without_the_owner(cat, units):
    values = [value_row("NV", "2.1", 3, "nv.xlsx", 30), value_row("VHTT", "2.1", 4, "vhtt.xlsx", 31)]
    files = [file_row("NV", "nv.xlsx"), file_row("VHTT", "vhtt.xlsx")]
    result = run_checks(PERIOD, make_ingest(values, files), cat, units, SETTINGS, rule_frame())
    conflicts = of(result, "conflict")
    assert sorted(conflicts["unit"]) == ["NV", "VHTT"]
    assert set(conflicts["indicator"]) == {"2.1"}
    assert all("Phòng Tư pháp" in m for m in conflicts["message"])


# --------------------------------------------------------------------------------------------
# end to end: workbooks -> ingest -> checks

#: by hand: values that keep every rule of the letter (parts below wholes, 3.1.3 = a + b + c)
CONSISTENT = {
    "1.1.1": 20, "1.1.2": 15, "1.1.3": 6, "1.2.1": 8, "1.2.2": 6, "1.2.3": 9, "1.2.4": 7,
    "1.3.1": 24, "1.3.2": 18, "1.3.3": 2, "1.4.1": 1200, "2.1": 4, "2.2": 5, "2.3": 30, "2.4": 3, "2.5": 2,
    "3.1.3": 372, "3.1.3.a": 0, "3.1.3.b": 262, "3.1.3.c": 110, "3.2.1": 350, "3.2.2": 210, "3.2.3": 40,
    "4.2.1": 76, "4.2.2": 71, "4.3.1": 1800, "4.3.2": 1725, "7.1.6.2.a": 62.5, "7.1.6.2.b": 12.5,
    "7.2.7.1": 95, "7.2.7.2": 88.5,
}
BY_KIND = {"count": 10, "percent": 92.5, "score": 8.5}


def consistent_values(cat: pd.DataFrame, unit: str) -> dict[str, float]:
    """Every indicator ``unit`` owes at district level, with a plausible consistent value."""
    out = {}
    for row in cat.itertuples(index=False):
        if row.kind == "group" or row.owner != unit or "district" not in row.levels.split(";"):
            continue
        if row.id in CONSISTENT:
            out[row.id] = CONSISTENT[row.id]
        elif row.kind == "code":
            out[row.id] = max(int(part.split("=")[0]) for part in row.choices.split("|"))
        else:
            out[row.id] = BY_KIND[row.kind]
    return out


def write_unit_workbook(path: Path, cat: pd.DataFrame, unit_name: str, values: dict[str, float]) -> None:
    """The letter's Phụ lục II table, every row in print order, values where ``values`` has them."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([f"TÊN CƠ QUAN: {unit_name}"])
    sheet.append(["THỐNG KÊ SỐ LIỆU CẢI CÁCH HÀNH CHÍNH 6 tháng đầu năm 2021"])
    sheet.append([])
    sheet.append(["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", "Ghi chú"])
    for row in cat.itertuples(index=False):
        sheet.append([row.printed, row.name, row.unit, values.get(row.id), row.note])
    book.save(path)


def test_end_to_end_reports_exactly_the_planted_problems(tmp_path, cat, units, rules):
    raw = tmp_path / "raw"
    raw.mkdir()
    names = dict(zip(units["code"], units["name"]))
    received = {}
    for unit in ["NV", "TCKH", "TP", "KTHT", "VP"]:  # VHTT sends nothing
        values = consistent_values(cat, unit)
        if unit == "NV":
            del values["1.1.2"]  # left blank
        if unit == "VP":
            values["3.1.3"] = 380  # parts still add up to 372
        name = f"{unit.lower()}.xlsx"
        write_unit_workbook(raw / name, cat, names[unit], values)
        received[name] = "2021-06-17T14:00:00" if unit == "KTHT" else "2021-06-14T16:20:00"
    with open(raw / "submissions.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "received_at"])
        writer.writerows(received.items())

    ingested = ingest(PERIOD, raw, catalogue=cat, units=units, settings=SETTINGS)
    assert set(ingested.files["status"]) == {"ok"}
    result = run_checks(PERIOD, ingested, cat, units, SETTINGS, rules)
    everything = pd.concat([ingested.findings, result.findings], ignore_index=True)
    serious = everything[everything["severity"].isin(["error", "warning"])]
    got = sorted(zip(serious["unit"], serious["indicator"], serious["check"], serious["severity"]))
    assert got == [
        ("KTHT", "", "late-report", "warning"),
        ("NV", "1.1.2", "missing-value", "error"),
        ("VHTT", "", "missing-report", "error"),
        ("VP", "3.1.3", "rule-violation", "error"),
    ]
    assert everything[everything["severity"] == "info"].empty
    blank = of(result, "missing-value").iloc[0]
    assert blank["source_file"] == "nv.xlsx" and blank["sheet"] == SHEET
    assert blank["row"] == 5 + list(cat["id"]).index("1.1.2")  # title rows, blank, header, then print order
    sum_rule = of(result, "rule-violation").iloc[0]["message"]
    assert "380" in sum_rule and "372" in sum_rule
    late = of(result, "late-report").iloc[0]
    assert late["source_file"] == "ktht.xlsx" and "2 ngày 5 giờ" in late["message"]
    assert rates(result.timeliness) == {"expected": 6, "reported": 5, "on_time": 4, "late": 1,
                                        "reporting_rate": pytest.approx(5 / 6), "on_time_rate": pytest.approx(4 / 6)}
    c = result.completeness.set_index(["unit", "section"])
    assert tuple(c.loc[("NV", "1"), ["owed", "filled", "valid"]]) == (9, 8, 8)
    assert c.loc[("VP", "all"), "rate"] == 1.0


def test_records_give_the_rows_itertuples_gives():
    from cchc_analysis.checks import _records

    frame = pd.DataFrame({
        "unit": pd.array(["TP", None, "Phòng Nội vụ"], dtype="str"),
        "value": [1.5, float("nan"), 3.0],
        "row": pd.array([4, None, 12], dtype="Int64"),
        "2 tên cột": ["a", "b", "c"],
    })
    got = list(_records(frame))
    want = list(frame.itertuples(index=False))
    assert got[0]._fields == want[0]._fields == ("unit", "value", "row", "_3")
    assert tuple(got[0]) == ("TP", 1.5, 4, "a") and tuple(got[2]) == ("Phòng Nội vụ", 3.0, 12, "c")
    assert math.isnan(got[1].unit) and math.isnan(got[1].value) and got[1].row is pd.NA and got[1]._3 == "b"
    for mine, theirs in zip(got, want):
        for a, b in zip(mine, theirs):
            assert (pd.isna(a) and pd.isna(b)) or (a == b and (type(a) is type(b) or isinstance(b, np.integer)))
    assert list(_records(frame.iloc[:0])) == []
