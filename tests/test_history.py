"""History, comparison and flags (cchc_analysis.history), on small hand-made histories.

Every expected number below is worked out by hand in the comment or literal beside it.
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from cchc_analysis import history as H
from cchc_analysis.catalogue import CatalogueError, load_catalogue
from cchc_analysis.config import load_settings

SETTINGS = {"comparison": {"rel_threshold": 0.5, "abs_floor": 5, "robust_min_periods": 4, "robust_z": 3.5}}


@pytest.fixture(scope="module")
def catalogue() -> pd.DataFrame:
    return load_catalogue(2021)


def write_history(root: Path, periods: dict[str, dict[str, float]]) -> Path:
    """Write ``data/processed/<period>/consolidated.parquet`` for each period; return processed root."""
    processed = root / "data" / "processed"
    for period, values in periods.items():
        folder = processed / period
        folder.mkdir(parents=True, exist_ok=True)
        frame = pd.DataFrame(
            {"period": period, "indicator": list(values), "value": [float(v) for v in values.values()], "units": "X"}
        )
        frame.to_parquet(folder / "consolidated.parquet", index=False)
    return processed


def current(period: str, values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"period": period, "indicator": list(values), "value": [float(v) for v in values.values()], "units": "NV"}
    )


def row(comparison: pd.DataFrame, indicator: str, ref: str) -> pd.Series:
    hit = comparison[(comparison["indicator"] == indicator) & (comparison["ref"] == ref)]
    assert len(hit) == 1, (indicator, ref, comparison)
    return hit.iloc[0]


def flags(found: list[dict], check: str) -> dict[str, dict]:
    return {f["indicator"]: f for f in found if f["check"] == check}


# --------------------------------------------------------------------------------------------
# reference selection


HISTORY_ALL_KINDS = {
    "2020-Q1": 11, "2020-Q2": 12, "2020-Q3": 13, "2020-Q4": 14,
    "2020-H1": 16, "2020-9M": 19, "2020": 20,
    "2021-Q1": 21, "2021-Q2": 22,
}


@pytest.mark.parametrize(
    "period, previous, previous_value, last_year, last_year_value",
    [
        ("2021-Q1", "2020-Q4", 14, "2020-Q1", 11),
        ("2021-Q3", "2021-Q2", 22, "2020-Q3", 13),
        ("2021-H1", "2020-H1", 16, "2020-H1", 16),
        ("2021-9M", "2020-9M", 19, "2020-9M", 19),
        ("2021", "2020", 20, "2020", 20),
    ],
)
def test_previous_and_last_year_for_every_kind(tmp_path, catalogue, period, previous, previous_value, last_year,
                                              last_year_value):
    processed = write_history(tmp_path, {p: {"2.1": v} for p, v in HISTORY_ALL_KINDS.items()})
    history = H.load_history(processed, exclude=period)
    comparison, _ = H.compare(period, current(period, {"2.1": 30}), history, catalogue, SETTINGS)
    assert list(comparison.columns) == H.COMPARISON_COLUMNS
    assert list(comparison["ref"]) == ["previous", "last_year"]  # both rows, even for the same period
    prev, last = row(comparison, "2.1", "previous"), row(comparison, "2.1", "last_year")
    assert (prev["ref_period"], prev["ref_value"], prev["change"]) == (previous, previous_value, 30 - previous_value)
    assert (last["ref_period"], last["ref_value"], last["change"]) == (last_year, last_year_value, 30 - last_year_value)
    assert prev["change_pct"] == pytest.approx((30 - previous_value) / previous_value * 100)
    assert (prev["period"], prev["value"]) == (period, 30.0)


def test_zero_and_missing_references_are_nan_not_inf(tmp_path, catalogue):
    processed = write_history(tmp_path, {"2020-H1": {"2.2": 0, "2.3": 8}})
    history = H.load_history(processed)
    comparison, found = H.compare("2021-H1", current("2021-H1", {"2.1": 4, "2.2": 3, "2.3": 6}), history,
                                  catalogue, SETTINGS)
    assert len(comparison) == 6  # three indicators x two references
    zero = row(comparison, "2.2", "previous")
    assert zero["ref_value"] == 0 and zero["change"] == 3 and math.isnan(zero["change_pct"])
    missing = row(comparison, "2.1", "last_year")
    assert missing["ref_period"] == "2020-H1"
    assert math.isnan(missing["ref_value"]) and math.isnan(missing["change"]) and math.isnan(missing["change_pct"])
    normal = row(comparison, "2.3", "previous")
    assert normal["change"] == -2 and normal["change_pct"] == pytest.approx(-25.0)  # (6 - 8) / 8
    numbers = comparison[["value", "ref_value", "change", "change_pct"]].to_numpy(dtype=float)
    assert not (abs(numbers) == math.inf).any()
    assert found == []  # 0 -> 3 is below the absolute floor


def test_comparison_skips_nan_current_values_and_own_period_in_history(catalogue):
    history = pd.DataFrame({"period": ["2021-H1", "2020-H1"], "indicator": ["2.1", "2.1"], "value": [99.0, 10.0],
                            "units": ["X", "X"]})
    consolidated = pd.DataFrame({"period": "2021-H1", "indicator": ["2.1", "2.2"], "value": [12.0, math.nan],
                                 "units": ["TP", "TP;VP"]})
    comparison, _ = H.compare("2021-H1", consolidated, history, catalogue, SETTINGS)
    assert set(comparison["indicator"]) == {"2.1"}
    assert row(comparison, "2.1", "previous")["ref_value"] == 10.0


# --------------------------------------------------------------------------------------------
# flags


def test_cumulative_decrease_against_latest_earlier_cutoff_of_any_kind(tmp_path, catalogue):
    processed = write_history(tmp_path, {
        "2020-H1": {"6.1": 3, "6.2": 7},
        "2020": {"6.1": 3, "6.2": 10},    # stock at 14/12/2020
        "2021-Q1": {"6.3": 5},            # stock at 14/3/2021, the latest before 14/6/2021 for 6.3
        "2019": {"6.3": 1},
    })
    history = H.load_history(processed)
    comparison, found = H.compare("2021-H1", current("2021-H1", {"6.1": 4, "6.2": 8, "6.3": 4}), history,
                                  catalogue, SETTINGS)
    falls = flags(found, "cumulative-decrease")
    assert set(falls) == {"6.2", "6.3"}  # 6.1 rose from 3 to 4
    fall = falls["6.2"]
    # 8 is above the same-kind 7 of 2020-H1 but below the 10 of the year 2020: flagged against 2020
    assert fall["severity"] == "error" and fall["unit"] == "TCKH" and fall["period"] == "2021-H1"
    assert "10" in fall["message"] and "8" in fall["message"] and "kỳ 2020," in fall["message"]
    assert "2021-H1" in fall["message"] and "giảm 2" in fall["message"]
    assert "kỳ 2021-Q1" in falls["6.3"]["message"]
    assert row(comparison, "6.2", "previous")["ref_value"] == 7  # the table still compares same kind


def test_large_change_relative_and_absolute(tmp_path, catalogue):
    processed = write_history(tmp_path, {"2020-H1": {
        "2.1": 20, "2.2": 1, "2.3": 20, "2.4": 0, "2.5": 10,
        "3.3.3": 2, "3.3.4": 40, "1.4.2": 0,
    }})
    history = H.load_history(processed)
    now = {
        "2.1": 85,     # +65, +325 %: flagged
        "2.2": 3,      # +200 % but +2: not flagged
        "2.3": 24,     # +4, +20 %: not flagged
        "2.4": 20,     # from 0: unbounded relative, +20: flagged
        "2.5": 14,     # +40 %, +4: not flagged
        "3.3.3": 4,    # +100 % but 2 percentage points: not flagged
        "3.3.4": 70,   # +30 percentage points, +75 %: flagged
        "1.4.2": 2,    # coded indicator: never a large change
    }
    comparison, found = H.compare("2021-H1", current("2021-H1", now), history, catalogue, SETTINGS)
    large = flags(found, "large-change")
    assert set(large) == {"2.1", "2.4", "3.3.4"}
    message = large["2.1"]["message"]
    assert "85" in message and "20" in message and "2020-H1" in message and "2021-H1" in message
    assert "tăng 65 (+325%)" in message and "ngưỡng tương đối 50%" in message and "ngưỡng tuyệt đối 5" in message
    assert large["2.1"]["unit"] == "TP" and large["2.1"]["severity"] == "warning"
    assert "điểm phần trăm" in large["3.3.4"]["message"] and "tăng 30 điểm phần trăm (+75%)" in large["3.3.4"]["message"]
    assert "inf" not in large["2.4"]["message"].lower()
    assert len([f for f in found if f["indicator"] == "2.1"]) == 1  # one finding, not one per reference
    coded = row(comparison, "1.4.2", "previous")
    assert coded["change"] == 2 and math.isnan(coded["change_pct"])


def test_large_change_for_quarters_checks_both_references(tmp_path, catalogue):
    processed = write_history(tmp_path, {"2021-Q1": {"2.1": 30}, "2020-Q2": {"2.1": 10}})
    history = H.load_history(processed)
    _, found = H.compare("2021-Q2", current("2021-Q2", {"2.1": 32}), history, catalogue, SETTINGS)
    # +2 over 2021-Q1 is nothing; +22 (+220 %) over 2020-Q2 is a large change
    (flag,) = found
    assert flag["check"] == "large-change" and "2020-Q2" in flag["message"] and "2021-Q1" not in flag["message"]


FIVE_H1 = ["2016-H1", "2017-H1", "2018-H1", "2019-H1", "2020-H1"]


def test_robust_z_with_five_periods(tmp_path, catalogue):
    series = [100, 101, 99, 100, 102]
    processed = write_history(tmp_path, {p: {"2.1": v} for p, v in zip(FIVE_H1, series)})
    history = H.load_history(processed)
    # 130 vs 102 is +27 %: below the relative threshold; median 100, MAD 1, z = 0.6745 * 30 / 1 = 20.2
    _, found = H.compare("2021-H1", current("2021-H1", {"2.1": 130}), history, catalogue, SETTINGS)
    (flag,) = flags(found, "large-change").values()
    assert "robust z" in flag["message"] and "20,2" in flag["message"] and "trung vị 100" in flag["message"]
    assert "2016-H1 đến 2020-H1" in flag["message"]
    # with three earlier values only, no robust score and no flag
    short = history[history["period"].isin(FIVE_H1[2:])]
    _, found = H.compare("2021-H1", current("2021-H1", {"2.1": 130}), short, catalogue, SETTINGS)
    assert found == []
    # a value within the history's spread is not flagged
    _, found = H.compare("2021-H1", current("2021-H1", {"2.1": 101}), history, catalogue, SETTINGS)
    assert found == []


def test_robust_z_only_counts_earlier_periods_of_the_same_kind(tmp_path, catalogue):
    quarters = {f"2020-Q{q}": {"2.1": 100} for q in range(1, 5)} | {"2019-Q4": {"2.1": 100}}
    processed = write_history(tmp_path, quarters | {"2020-H1": {"2.1": 100}})
    history = H.load_history(processed)
    # five quarters but a single earlier H1: 130 vs 100 (+30 %) is not flagged
    _, found = H.compare("2021-H1", current("2021-H1", {"2.1": 130}), history, catalogue, SETTINGS)
    assert found == []


def test_mad_zero(tmp_path, catalogue):
    periods = {p: {} for p in FIVE_H1}
    for p, v in zip(FIVE_H1, [40, 40, 40, 40, 40]):
        periods[p]["2.2"] = v
    for p, v in zip(FIVE_H1, [40, 40, 40, 40, 44]):
        periods[p]["2.3"] = v
    for p in FIVE_H1:
        periods[p]["2.4"] = 0
        periods[p]["2.5"] = 7
    history = H.load_history(write_history(tmp_path, periods))
    now = {"2.2": 48, "2.3": 50, "2.4": 3, "2.5": 7}
    comparison, found = H.compare("2021-H1", current("2021-H1", now), history, catalogue, SETTINGS)
    large = flags(found, "large-change")
    # 2.2: constant 40, now 48 (+20 %, +8 > floor) -> flagged as a break from a constant history
    # 2.3: median 40, MAD 0, mean abs. deviation 0.8 -> z = 10 / (1.2533 * 0.8) = 9.97 -> flagged
    # 2.4: constant 0, now 3: below the floor; 2.5: unchanged
    assert set(large) == {"2.2", "2.3"}
    assert "đều bằng 40" in large["2.2"]["message"] and "inf" not in large["2.2"]["message"]
    assert "MAD bằng 0" in large["2.3"]["message"] and "10" in large["2.3"]["message"]
    assert not comparison[["change", "change_pct"]].abs().eq(math.inf).any().any()


def test_robust_z_function():
    assert H.robust_z(130, [100, 101, 99, 100, 102])[0] == pytest.approx(0.6745 * 30)
    assert H.robust_z(50, [40, 40, 40, 40, 44])[0] == pytest.approx(10 / (1.253314 * 0.8))
    assert H.robust_z(48, [40] * 5) == (math.inf, 40.0, 0.0, "constant")
    assert H.robust_z(40, [40] * 5)[0] == 0.0


def test_thresholds_come_from_settings(tmp_path, catalogue):
    history = H.load_history(write_history(tmp_path, {"2020-H1": {"2.1": 20}}))
    strict = {"comparison": {"rel_threshold": 5.0, "abs_floor": 100, "robust_min_periods": 4, "robust_z": 3.5}}
    _, found = H.compare("2021-H1", current("2021-H1", {"2.1": 85}), history, catalogue, strict)
    assert found == []
    _, found = H.compare("2021-H1", current("2021-H1", {"2.1": 85}), history, catalogue, load_settings())
    assert [f["check"] for f in found] == ["large-change"]


# --------------------------------------------------------------------------------------------
# history files and crosswalk


def test_load_history_reads_only_period_folders(tmp_path):
    processed = write_history(tmp_path, {"2020-H1": {"2.1": 1}, "2020": {"2.1": 2}, "2021-H1": {"2.1": 3}})
    (processed / "notes").mkdir()
    (processed / ".2020.tmp").mkdir()
    (processed / "2019").mkdir()  # ingested but never consolidated
    pd.DataFrame({"indicator": ["2.1"], "value": [9.0]}).to_parquet(processed / "notes" / "consolidated.parquet")
    history = H.load_history(processed, exclude="2021-H1")
    assert list(history.columns) == H.HISTORY_COLUMNS
    assert list(history["period"]) == ["2020-H1", "2020"]  # in order of cut-off
    assert list(history["value"]) == [1.0, 2.0]
    assert H.load_history(tmp_path / "nowhere").empty


def test_crosswalked_id_is_not_new(tmp_path, catalogue):
    (tmp_path / "catalogue").mkdir()
    (tmp_path / "catalogue" / "crosswalk.csv").write_text(
        "from_year,from_id,to_year,to_id,note\n2020,9.9.9,2021,2.1,đánh số lại\n", encoding="utf-8")
    processed = write_history(tmp_path, {"2020-H1": {"9.9.9": 20}})
    values = pd.DataFrame({"period": "2021-H1", "unit": ["TP"], "indicator": ["2.1"], "value": [85.0],
                           "superseded": [False]})
    result = H.run_history("2021-H1", values, catalogue, SETTINGS, processed, root=tmp_path)
    assert row(result.comparison, "2.1", "previous")["ref_value"] == 20
    assert list(result.findings["check"]) == ["large-change"]
    # without the workspace's crosswalk the package's (header only) applies: 2.1 has no history
    plain = H.run_history("2021-H1", values, catalogue, SETTINGS, processed)
    assert math.isnan(row(plain.comparison, "2.1", "previous")["ref_value"]) and plain.findings.empty


def test_crosswalk_chains_swaps_and_drops():
    crosswalk = pd.DataFrame({
        "from_year": [2019, 2020, 2020, 2020, 2020],
        "from_id": ["8.8", "9.9", "A", "B", "gone"],
        "to_year": [2020, 2021, 2021, 2021, 2021],
        "to_id": ["9.9", "2.1", "B", "A", ""],
        "note": "",
    })
    history = pd.DataFrame({
        "period": ["2019-H1", "2020-H1", "2020-H1", "2020-H1", "2020-H1", "2021-Q1", "2022"],
        "indicator": ["8.8", "9.9", "A", "B", "gone", "9.9", "8.8"],
        "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        "units": "X",
    })
    out = H.apply_crosswalk(history, crosswalk, 2021)
    got = dict(zip(zip(out["period"], out["value"]), out["indicator"]))
    assert got == {
        ("2019-H1", 1.0): "2.1",   # 8.8 (2019) -> 9.9 (2020) -> 2.1 (2021)
        ("2020-H1", 2.0): "2.1",
        ("2020-H1", 3.0): "B",     # A and B swapped in one step
        ("2020-H1", 4.0): "A",
        ("2021-Q1", 6.0): "9.9",   # already a 2021 id: untouched
        ("2022", 7.0): "8.8",      # after the target year: untouched
    }                              # "gone" has no counterpart: dropped
    # towards 2020 only the first step applies
    assert set(H.apply_crosswalk(history, crosswalk, 2020).query("period == '2019-H1'")["indicator"]) == {"9.9"}


def test_crosswalk_file_validation(tmp_path):
    assert list(H.load_crosswalk().columns) == H.CROSSWALK_COLUMNS
    assert H.load_crosswalk().empty  # the package's file changes nothing in 2021
    (tmp_path / "catalogue").mkdir()
    (tmp_path / "catalogue" / "crosswalk.csv").write_text(
        "from_year,from_id,to_year,to_id,note\n2020,1.1,2021,2.1,\n2020,1.2,2021,2.1,\n2021,3.1,2020,3.2,\n",
        encoding="utf-8")
    with pytest.raises(CatalogueError) as error:
        H.load_crosswalk(tmp_path)
    assert "dòng 3" in str(error.value) and "dòng 4" in str(error.value)


# --------------------------------------------------------------------------------------------
# consolidation


def test_consolidate_combine_rules(catalogue):
    summed = catalogue.assign(combine=catalogue["combine"].where(catalogue["id"] != "4.2.1", "sum"))
    summed = summed.assign(combine=summed["combine"].where(summed["id"] != "4.2.2", "max"))
    rows = [
        ("NV", "1.1.1", 3.0, False), ("TP", "1.1.1", 4.0, False),           # owner NV reported: 3
        ("VP", "1.1.2", 5.0, False),                                         # owner NV silent: VP's 5
        ("VP", "2.1", 6.0, False), ("NV", "2.1", 7.0, False),               # owner TP silent, others differ
        ("NV", "1.1.3", 9.0, True), ("NV", "1.1.3", 2.0, False),            # superseded 9 ignored
        ("NV", "1.2.1", math.nan, False),                                     # unreadable: no value
        ("NV", "4.2.1", 3.0, False), ("TP", "4.2.1", 4.0, False), ("VP", "4.2.1", 5.0, False),  # sum 12
        ("NV", "4.2.2", 3.0, False), ("KTHT", "4.2.2", 8.0, False),        # max 8
    ]
    values = pd.DataFrame(rows, columns=["unit", "indicator", "value", "superseded"]).assign(period="2021-H1")
    consolidated, found = H.consolidate("2021-H1", values, summed)
    assert list(consolidated.columns) == H.CONSOLIDATED_COLUMNS
    got = {r.indicator: (r.value, r.units) for r in consolidated.itertuples()}
    assert list(got) == ["1.1.1", "1.1.2", "1.1.3", "2.1", "4.2.1", "4.2.2"]  # catalogue order
    assert got["1.1.1"] == (3.0, "NV")
    assert got["1.1.2"] == (5.0, "VP")
    assert got["1.1.3"] == (2.0, "NV")
    assert math.isnan(got["2.1"][0]) and got["2.1"][1] == "NV;VP"
    assert got["4.2.1"] == (12.0, "NV;TP;VP")
    assert got["4.2.2"] == (8.0, "KTHT;NV")
    assert (consolidated["period"] == "2021-H1").all()
    by = {(f["indicator"], f["check"]): f for f in found}
    assert set(by) == {("1.1.2", "non-owner-value"), ("2.1", "unresolved-value")}  # no "conflict" here
    info = by[("1.1.2", "non-owner-value")]
    assert info["severity"] == "info" and info["unit"] == "NV" and "VP" in info["message"] and "5" in info["message"]
    unresolved = by[("2.1", "unresolved-value")]
    assert unresolved["unit"] == "TP" and "VP: 6" in unresolved["message"] and "NV: 7" in unresolved["message"]


def test_consolidate_mean_and_min(catalogue):
    cat = catalogue.assign(combine=catalogue["combine"].mask(catalogue["id"] == "3.3.3", "mean")
                           .mask(catalogue["id"] == "3.3.4", "min"))
    values = pd.DataFrame({"unit": ["VP", "NV", "VP", "NV"], "indicator": ["3.3.3", "3.3.3", "3.3.4", "3.3.4"],
                           "value": [80.0, 90.0, 70.0, 60.0], "superseded": False})
    consolidated, found = H.consolidate("2021-H1", values, cat)
    assert dict(zip(consolidated["indicator"], consolidated["value"])) == {"3.3.3": 85.0, "3.3.4": 60.0}
    assert found == []


def test_consolidate_nothing(catalogue):
    consolidated, found = H.consolidate("2021-H1", pd.DataFrame(columns=["unit", "indicator", "value", "superseded"]),
                                        catalogue)
    assert consolidated.empty and list(consolidated.columns) == H.CONSOLIDATED_COLUMNS and found == []


# --------------------------------------------------------------------------------------------
# backfill and the whole step


def district_workbook(path: Path) -> Path:
    """The district's consolidated Phụ lục II of 2020-H1, as it was sent to the province."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Phụ lục II"
    sheet.append(["UBND HUYỆN CẨM XUYÊN"])
    sheet.append(["THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH 6 tháng đầu năm 2020"])
    sheet.append([])
    sheet.append(["STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú"])
    for line in [
        ("1.", "Công tác chỉ đạo điều hành CCHC", None, None, None),
        ("1.1.", "Kế hoạch CCHC", None, None, None),
        ("1.1.1.", "Số nhiệm vụ đề ra trong kế hoạch", "Nhiệm vụ", 24, None),
        ("1.1.2.", "Số nhiệm vụ đã hoàn thành", "Nhiệm vụ", 10, None),
        ("1.1.3.", "Số văn bản chỉ đạo CCHC đã ban hành", "Văn bản", "mười hai", None),
        ("1.2.", "Kiểm tra CCHC", None, None, None),
        ("1.1.1.", "Số phòng, ban, đơn vị trực thuộc đã kiểm tra", "Cơ quan, đơn vị", 6, None),
        ("1.4.2.", "Hình thức khảo sát", "Trực tuyến = 0 Phát phiếu = 1 Kết hợp = 2", "Kết hợp", None),
        ("2.", "Cải cách thể chế", None, None, None),
        ("2.1.", "Số VBQPPL đã ban hành/tham mưu ban hành", "Văn bản", 20, None),
        ("3.3.3.", "Tỷ lệ TTHC đã được phê duyệt quy trình nội bộ", "%", 85.5, None),
        ("6.", "Cải cách tài chính công", None, None, None),
        ("6.2.", "Số đơn vị SNCL đã thực hiện tự chủ 100% chi thường xuyên (lũy kế đến thời điểm báo cáo)",
         "Cơ quan, đơn vị", 10, None),
    ]:
        sheet.append(list(line))
    book.save(path)
    return path


def test_backfill_reads_the_district_workbook(tmp_path, catalogue):
    workbook = district_workbook(tmp_path / "PL2_huyen_6T2020.xlsx")
    consolidated, found = H.backfill("2020-H1", workbook, tmp_path, SETTINGS)
    assert list(consolidated.columns) == H.CONSOLIDATED_COLUMNS
    got = dict(zip(consolidated["indicator"], consolidated["value"]))
    assert got == {"1.1.1": 24.0, "1.1.2": 10.0, "1.2.1": 6.0, "1.4.2": 2.0, "2.1": 20.0, "3.3.3": 85.5, "6.2": 10.0}
    assert (consolidated["units"] == "HUYEN").all() and (consolidated["period"] == "2020-H1").all()
    errors = found[found["check"] == "type-error"]
    assert list(errors["indicator"]) == ["1.1.3"] and list(errors["row"]) == [9]
    assert (found["source_file"] == "PL2_huyen_6T2020.xlsx").all()

    # stored as history, it feeds the next period's comparison and flags
    folder = tmp_path / "data" / "processed" / "2020-H1"
    folder.mkdir(parents=True)
    consolidated.to_parquet(folder / "consolidated.parquet", index=False)
    values = pd.DataFrame({"period": "2021-H1", "unit": ["TP", "TCKH", "NV"], "indicator": ["2.1", "6.2", "1.1.1"],
                           "value": [85.0, 8.0, 25.0], "superseded": False})
    result = H.run_history("2021-H1", values, catalogue, SETTINGS, tmp_path / "data" / "processed", root=tmp_path)
    assert row(result.comparison, "2.1", "last_year")["ref_value"] == 20
    assert row(result.comparison, "1.1.1", "previous")["change"] == 1
    assert sorted(zip(result.findings["indicator"], result.findings["check"])) == [
        ("2.1", "large-change"), ("6.2", "cumulative-decrease")]


def test_backfill_of_another_period_is_refused(tmp_path):
    workbook = district_workbook(tmp_path / "PL2.xlsx")
    consolidated, found = H.backfill("2020", workbook, tmp_path, SETTINGS)
    assert consolidated.empty
    assert "period-mismatch" in set(found["check"])


def test_backfill_of_a_broken_file(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    consolidated, found = H.backfill("2020-H1", broken, tmp_path)
    assert consolidated.empty and list(found["check"]) == ["unreadable-file"]


def test_run_history_ignores_the_period_itself_and_messages_are_nfc(tmp_path, catalogue):
    processed = write_history(tmp_path, {"2021-H1": {"2.1": 1000}, "2020-H1": {"2.1": 20, "6.2": 10}})
    values = pd.DataFrame({"period": "2021-H1", "unit": ["TP", "TCKH", "VP"], "indicator": ["2.1", "6.2", "1.1.2"],
                           "value": [85.0, 8.0, 4.0], "superseded": False})
    result = H.run_history("2021-H1", values, catalogue, SETTINGS, processed)
    assert isinstance(result, H.HistoryResult)
    assert row(result.comparison, "2.1", "previous")["ref_period"] == "2020-H1"
    assert set(result.findings["check"]) == {"large-change", "cumulative-decrease", "non-owner-value"}
    assert list(result.consolidated["indicator"]) == ["1.1.2", "2.1", "6.2"]
    for message in result.findings["message"]:
        assert message == unicodedata.normalize("NFC", message)
    assert str(result.findings["row"].dtype) == "Int64"
