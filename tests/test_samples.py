"""Tests of the sample-workbook generator (cchc_analysis.samples)."""

import csv
import datetime as dt
import random
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest

from cchc_analysis import samples

CATALOGUE = Path(samples.__file__).parent / "data" / "catalogue" / "2021" / "indicators.csv"

# Hand-written values of several kinds, used for every layout.
VALUES = {
    "1.1.1": 30,          # count
    "1.1.2": 24,          # count
    "1.4.1": 1234,        # count >= 1000
    "1.4.2": 2,           # code: Kết hợp
    "1.5": 1,             # code: Có
    "3.3.3": 87.5,        # percent
    "7.1.1": 25.5,        # score
    "5.2.5": 3,           # the row the letter splits over a page break
    "2.1": "khoảng 12",   # text written verbatim
}


def catalogue_rows():
    with open(CATALOGUE, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def cell_texts(ws):
    return [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]


def find_row(ws, stt_col, stt, name_col=None, name_start=None):
    """Values of the first row whose STT cell is ``stt`` (and whose name starts with
    ``name_start`` when given)."""
    for row in ws.iter_rows(values_only=True):
        code = row[stt_col]
        if isinstance(code, str) and code.strip() == stt:
            if name_start is None or str(row[name_col]).startswith(name_start):
                return row
    raise AssertionError(f"no row {stt!r} in {ws.title}")


# --------------------------------------------------------------------------------------------
# write_workbook


def test_layouts_constant():
    assert samples.LAYOUTS == ("letter", "own_rows", "swapped", "text_values", "nfd_nodots",
                               "narrative_first", "single_header_no_title")


@pytest.mark.parametrize("layout", samples.LAYOUTS)
def test_every_layout_opens(tmp_path, layout):
    path = samples.write_workbook(tmp_path / "sub" / f"{layout}.xlsx", "Phòng Nội vụ",
                                  "6 tháng đầu năm 2021", VALUES, layout,
                                  meta={"unit": "NV", "period": "2021-H1"})
    assert path == tmp_path / "sub" / f"{layout}.xlsx"
    wb = openpyxl.load_workbook(path)
    meta = wb["_cchc"]
    assert meta.sheet_state == "hidden"
    assert [tuple(r) for r in meta.iter_rows(values_only=True)] == [("unit", "NV"),
                                                                   ("period", "2021-H1")]
    texts = [unicodedata.normalize("NFC", str(t)) for ws in wb.worksheets for t in cell_texts(ws)]
    assert any("Số liệu" in t for t in texts)
    assert "khoảng 12" in texts
    if layout == "single_header_no_title":
        assert not any("Nội vụ" in t for t in texts)
    else:
        assert any("Nội vụ" in t or "NỘI VỤ" in t for t in texts)


def test_no_meta_no_hidden_sheet(tmp_path):
    wb = openpyxl.load_workbook(samples.write_workbook(tmp_path / "a.xlsx", None, None, {}))
    assert "_cchc" not in wb.sheetnames
    texts = cell_texts(wb.worksheets[0])
    assert not any(str(t).startswith("TÊN CƠ QUAN") for t in texts)


def test_unknown_layout_refused(tmp_path):
    with pytest.raises(ValueError):
        samples.write_workbook(tmp_path / "a.xlsx", "Phòng Tư pháp", None, {}, "fancy")


def test_letter_layout_has_every_catalogue_row_and_the_page_breaks(tmp_path):
    path = samples.write_workbook(tmp_path / "l.xlsx", "Phòng Tư pháp", "6 tháng đầu năm 2021",
                                  VALUES, "letter")
    ws = openpyxl.load_workbook(path).worksheets[0]
    rows = [tuple(r[:5]) for r in ws.iter_rows(values_only=True)]
    texts = cell_texts(ws)
    assert "TÊN CƠ QUAN: Phòng Tư pháp" in texts
    assert "ỦY BAN NHÂN DÂN HUYỆN CẨM XUYÊN" in texts
    assert "Phụ lục II" in texts
    assert any(str(t).startswith("THỐNG KÊ SỐ LIỆU") and "6 THÁNG ĐẦU NĂM 2021" in str(t)
               for t in texts)

    header_rows = [i for i, r in enumerate(rows) if r[0] == "STT"]
    assert len(header_rows) == 8  # the letter's 8 pages
    for i in header_rows:
        assert rows[i][1].startswith("Chỉ tiêu thống kê")
        assert rows[i][2] == "Kết quả thống kê" and rows[i][4] == "Ghi chú"
        assert rows[i + 1][2:4] == ("Đơn vị tính", "Số liệu")
    merged = {str(m) for m in ws.merged_cells.ranges}
    first = header_rows[0] + 1
    assert {f"A{first}:A{first + 1}", f"B{first}:B{first + 1}", f"C{first}:D{first}",
            f"E{first}:E{first + 1}"} <= merged

    # the four continuation rows, each right after a repeated header
    continuations = {"Kết hợp = 2", "trường hợp đặc biệt.", "2394/QĐ-UBND của UBND tỉnh",
                     "dụng tại cơ quan"}
    found = [r for r in rows if r[0] is None and (r[1] in continuations or r[2] in continuations)]
    assert len(found) == 4

    body = [r for i, r in enumerate(rows[header_rows[0]:], start=header_rows[0])
            if i not in header_rows and i - 1 not in header_rows and r not in found
            and (r[0] is not None or (r[1] is not None and r[1] not in ("NGƯỜI LẬP BIỂU",)))]
    catalogue = catalogue_rows()
    assert len(catalogue) == 137
    assert len(body) == 137
    assert [r[0] or None for r in body] == [c["printed"] or None for c in catalogue]
    assert [r[0] for r in body[:10]] == ["1.", "1.1.", "1.1.1.", "1.1.2.", "1.1.3.", "1.2.",
                                         "1.1.1.", "1.1.2.", "1.1.3.", "1.1.4."]

    # values only where given, the split row's value on its first row
    split = find_row(ws, 0, "5.2.5.")
    assert split[1] == "Số viên chức được tuyển dụng theo"
    assert split[3] == 3
    assert find_row(ws, 0, "1.1.1.", 1, "Số nhiệm vụ")[3] == 30
    assert find_row(ws, 0, "1.1.1.", 1, "Số phòng")[3] is None
    assert find_row(ws, 0, "3.3.3.")[3] == 87.5
    assert find_row(ws, 0, "2.1.")[3] == "khoảng 12"
    assert find_row(ws, 0, "7.1.1")[2] == "Theo QĐ"
    assert find_row(ws, 0, "7.1.1")[3] == 25.5
    assert find_row(ws, 0, "Trong đó")[1] == "Số TTHC cấp tỉnh:"
    filled = [r for r in body if r[3] is not None]
    assert len(filled) == len(VALUES)


def test_own_rows_layout(tmp_path):
    values = {"2.1": 3, "2.4": 2, "3.1.3.b": 280}
    path = samples.write_workbook(tmp_path / "o.xlsx", "Phòng Tư pháp", "năm 2020", values,
                                  "own_rows")
    ws = openpyxl.load_workbook(path).worksheets[0]
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "Đơn vị: Phòng Tư pháp"
    header = rows.index(("STT", "Nội dung", "ĐVT", "Số liệu", "Ghi chú"))
    table = rows[header + 1:]
    assert [r[0] for r in table] == ["2", "2.1", "2.4", "3", "3.1", "3.1.3", "-"]
    assert [r[3] for r in table] == [None, 3, 2, None, None, None, 280]
    assert table[-1][1] == "Số TTHC cấp huyện"


def test_swapped_layout(tmp_path):
    path = samples.write_workbook(tmp_path / "s.xlsx", "Phòng Tư pháp", "Quý I năm 2021", VALUES,
                                  "swapped")
    ws = openpyxl.load_workbook(path).worksheets[0]
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert ("UBND HUYỆN CẨM XUYÊN", None, None, None, None) in rows
    header = rows.index(("STT", "Chỉ tiêu", "Số liệu", "Đơn vị tính", "Ghi chú"))
    assert rows[header + 1] == ("(1)", "(2)", "(3)", "(4)", "(5)")
    row = find_row(ws, 0, "1.4.1.")
    assert row[2] == 1234 and row[3] == "Số lượng"


def test_text_values_layout(tmp_path):
    path = samples.write_workbook(tmp_path / "t.xlsx", "Phòng Tư pháp", "6 tháng đầu năm 2021",
                                  VALUES, "text_values")
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert find_row(ws, 0, "1.4.1.")[3] == "1.234"
    assert find_row(ws, 0, "1.1.1.", 1, "Số nhiệm vụ")[3] == " 30 "
    assert find_row(ws, 0, "1.4.2.")[3] == "Kết hợp"
    assert find_row(ws, 0, "1.5.")[3] == "Có"
    assert find_row(ws, 0, "3.3.3.")[3] in ("87,5%", "87,5")
    assert find_row(ws, 0, "7.1.1")[3] == "25,5"
    assert find_row(ws, 0, "2.1.")[3] == "khoảng 12"
    assert "Kỳ báo cáo: 6 tháng đầu năm 2021" in cell_texts(ws)
    assert sum(1 for t in cell_texts(ws) if t == "STT") == 1
    small = samples.write_workbook(tmp_path / "t2.xlsx", None, None, {"1.1.3": 5, "3.3.4": 100},
                                   "text_values")
    ws = openpyxl.load_workbook(small).worksheets[0]
    assert find_row(ws, 0, "1.1.3.")[3] == " 05 "
    assert find_row(ws, 0, "3.3.4.")[3] in ("100%", "100")


def test_nfd_nodots_layout(tmp_path):
    path = samples.write_workbook(tmp_path / "n.xlsx", "Phòng Tư pháp", "6 tháng đầu năm 2021",
                                  VALUES, "nfd_nodots")
    ws = openpyxl.load_workbook(path).worksheets[0]
    row = find_row(ws, 0, "3.3.3")
    assert row[3] == pytest.approx(0.875)
    assert unicodedata.normalize("NFC", row[1]).startswith("Tỷ  lệ TTHC")
    assert row[1].endswith(" ")
    assert row[1] == unicodedata.normalize("NFD", row[1]) != unicodedata.normalize("NFC", row[1])
    for cells in ws.iter_rows():
        if cells[0].value == "3.3.3":
            assert cells[3].number_format == "0.0%"
    assert find_row(ws, 0, "1.1.1", 1, unicodedata.normalize("NFD", "Số"))[3] == 30
    codes = [r[0] for r in ws.iter_rows(values_only=True) if isinstance(r[0], str)]
    assert "1.1.1" in codes and not any(c.endswith(".") for c in codes)


def test_narrative_first_layout(tmp_path):
    path = samples.write_workbook(tmp_path / "p.xlsx", "Phòng Tư pháp", "năm 2020", VALUES,
                                  "narrative_first")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["Phụ lục I", "Phụ lục II"]
    narrative = cell_texts(wb["Phụ lục I"])
    assert "BÁO CÁO" in narrative and len(narrative) >= 8
    ws = wb["Phụ lục II"]
    assert all(r[0] is None for r in ws.iter_rows(values_only=True))
    row = find_row(ws, 1, "1.4.1.")
    assert row[1:5] == ("1.4.1.", "Số lượng phiếu khảo sát", "Số lượng", 1234)


def test_single_header_no_title_layout(tmp_path):
    path = samples.write_workbook(tmp_path / "x.xlsx", "Phòng Tư pháp", "năm 2020", VALUES,
                                  "single_header_no_title")
    ws = openpyxl.load_workbook(path).worksheets[0]
    first = next(ws.iter_rows(values_only=True))
    assert first == ("STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú")
    assert find_row(ws, 0, "1.1.1.", 1, "Số nhiệm vụ")[3] == 30
    assert ws.max_row == 1 + 137


def test_unknown_indicator_is_added_as_a_row(tmp_path):
    path = samples.write_workbook(tmp_path / "u.xlsx", "Phòng Tư pháp", None, {"9.9": 4},
                                  "own_rows")
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert find_row(ws, 0, "9.9")[3] == 4


# --------------------------------------------------------------------------------------------
# Periods


def test_period_titles():
    assert samples.period_title("2021-H1") == "6 tháng đầu năm 2021"
    assert samples.period_title("2020") == "năm 2020"
    assert samples.period_title("2021-Q1") == "Quý I năm 2021"
    assert samples.period_title("2022-Q4") == "Quý IV năm 2022"
    assert samples.period_title("2021-9M") == "9 tháng đầu năm 2021"
    assert samples.PERIOD_TITLES["2021-H1"] == "6 tháng đầu năm 2021"
    assert samples.PERIOD_TITLES["2020"] == "năm 2020"
    assert samples.PERIOD_TITLES["2021-Q3"] == "Quý III năm 2021"
    for bad in ("2021-H2", "21-H1", "2021-Q5", "2021H1", ""):
        with pytest.raises(ValueError):
            samples.period_title(bad)


# --------------------------------------------------------------------------------------------
# plausible_values

OWNED = {
    "TP": {"2.1", "2.2", "2.3", "2.4", "2.5"},
    "TCKH": {"6.1", "6.2", "6.3", "6.4", "6.5"},
    "VHTT": {"7.1.1", "7.1.2", "7.1.3", "7.1.4", "7.1.5"},
    "KTHT": {"3.4.5"},
}
CODES = {"1.4.2": {0, 1, 2}, "1.5": {0, 1}, "5.3.1": {0, 1}, "7.1.2": {0, 1, 2},
         "7.1.3": {0, 1, 2}}


def check_rules(v):
    def le(small, big):
        if small in v and big in v:
            assert v[small] <= v[big], (small, big, v[small], v[big])

    le("1.1.2", "1.1.1")
    le("1.2.4", "1.2.3")
    le("2.5", "2.4")
    le("3.2.2", "3.2.1")
    le("4.2.2", "4.2.1")
    le("4.3.2", "4.3.1")
    le("7.2.7.2", "7.2.7.1")
    if "1.3.1" in v:
        assert v["1.3.2"] + v["1.3.3"] <= v["1.3.1"]
    if "3.1.3" in v:
        assert v["3.1.3"] == v["3.1.3.a"] + v["3.1.3.b"] + v["3.1.3.c"]
    assert "3.4.1" not in v
    kinds = {row["id"]: row["kind"] for row in catalogue_rows()}
    for ind, value in v.items():
        assert isinstance(value, float)
        kind = kinds[ind]
        assert kind != "group"
        if kind == "count":
            assert value >= 0 and value == int(value), (ind, value)
        elif kind == "percent":
            assert 0 <= value <= 100 and round(value, 1) == value, (ind, value)
        elif kind == "code":
            assert value in CODES[ind], (ind, value)
        else:
            assert value >= 0 and round(value, 1) == value, (ind, value)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("unit", ["NV", "TCKH", "TP", "VHTT", "KTHT", "VP"])
def test_plausible_values_obey_the_rules(unit, seed):
    rng = random.Random(seed)
    first = samples.plausible_values(unit, rng)
    if unit in OWNED:
        assert set(first) == OWNED[unit]
    elif unit == "NV":
        assert {"1.1.1", "1.2.4", "1.4.2", "4.1.a", "5.2.5", "7.2.7.2"} <= set(first)
        assert not {"1.3.1", "2.1", "6.1"} & set(first)
    else:
        assert {"1.3.1", "1.5", "3.1.3.a", "3.4.2", "7.1.6.2.b", "7.1.9.3"} <= set(first)
        assert not {"3.4.1", "3.4.5", "7.1.1"} & set(first)
    check_rules(first)
    previous = first
    for _ in range(3):
        later = samples.plausible_values(unit, rng, base=previous)
        assert set(later) == set(first)
        check_rules(later)
        for ind in ("6.1", "6.2", "6.3", "6.4", "6.5"):
            if ind in later:
                assert later[ind] >= previous[ind]
        # modest drift: a count by at most max(2, 20 %) (3.1.3, a sum of three, by at most
        # max(6, 20 %)), a percent by 2.5 points, a score by 1
        kinds = {row["id"]: row["kind"] for row in catalogue_rows()}
        for ind, value in later.items():
            change = abs(value - previous[ind])
            if kinds[ind] == "count":
                floor = 6 if ind == "3.1.3" else 2
                assert change <= max(floor, 0.2 * previous[ind]), (ind, previous[ind], value)
            elif kinds[ind] == "percent":
                assert change <= 2.5 + 1e-9, (ind, previous[ind], value)
            elif kinds[ind] == "score":
                assert change <= 1 + 1e-9, (ind, previous[ind], value)
        previous = later


def test_plausible_values_are_deterministic():
    assert (samples.plausible_values("VP", random.Random(5))
            == samples.plausible_values("VP", random.Random(5)))


# --------------------------------------------------------------------------------------------
# make_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    return root, samples.make_sample(root, seed=3)


def read_submissions(directory):
    with open(directory / "submissions.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {r["file"]: dt.datetime.fromisoformat(r["received_at"]) for r in rows}, rows


def test_make_sample_writes_what_the_manifest_says(sample):
    root, manifest = sample
    assert manifest["periods"] == ["2020-H1", "2020", "2021-H1"]
    for period in manifest["periods"]:
        directory = root / "data" / "raw" / period
        on_disk = {p.name for p in directory.iterdir()} - {"submissions.csv"}
        listed = {f["file"] for f in manifest["files"][period]}
        assert on_disk == listed
        received, rows = read_submissions(directory)
        assert set(received) == listed
        assert list(rows[0]) == ["file", "received_at"]
        for name in listed - {"hong.xlsx"}:
            openpyxl.load_workbook(directory / name)
    units_2020 = sorted(f["unit"] for f in manifest["files"]["2020"])
    assert units_2020 == sorted(["NV", "TCKH", "TP", "VHTT", "KTHT", "VP"])


def test_make_sample_plants_the_problems(sample):
    root, manifest = sample
    planted = {(p["period"], p["unit"], p["indicator"], p["check"]) for p in manifest["planted"]}
    newest = {p for p in planted if p[0] == "2021-H1"}
    assert newest == {
        ("2021-H1", "VHTT", None, "missing-report"),
        ("2021-H1", "KTHT", None, "late-report"),
        ("2021-H1", "NV", "1.1.2", "missing-value"),
        ("2021-H1", "VP", "3.1.3", "rule-violation"),
        ("2021-H1", "TP", "2.1", "type-error"),
        ("2021-H1", "TCKH", "6.2", "cumulative-decrease"),
        ("2021-H1", "VP", "7.1.8.3", "large-change"),
        ("2021-H1", "TP", None, "duplicate-submission"),
        ("2021-H1", None, None, "unknown-unit"),
        ("2021-H1", None, None, "unreadable-file"),
    }
    earlier = planted - newest
    assert {p[3] for p in earlier} <= {"late-report"} and len(earlier) <= 1
    for p in manifest["planted"]:
        assert p["detail"] and unicodedata.is_normalized("NFC", p["detail"])

    raw = root / "data" / "raw" / "2021-H1"
    files = manifest["files"]["2021-H1"]
    assert not any(f["unit"] == "VHTT" for f in files)
    tp = [f["file"] for f in files if f["unit"] == "TP"]
    assert len(tp) == 2
    received, _ = read_submissions(raw)
    assert received[tp[0]].date() == received[tp[1]].date()
    deadline = dt.datetime(2021, 6, 15, 9, 0)
    for f in files:
        late = received[f["file"]] - deadline
        if f["unit"] == "KTHT":
            assert dt.timedelta(days=1, hours=12) <= late <= dt.timedelta(days=3)
        else:
            assert late < dt.timedelta(0), f
    for period, when in (("2020-H1", dt.datetime(2020, 6, 15, 9)),
                         ("2020", dt.datetime(2020, 12, 15, 9))):
        received, _ = read_submissions(root / "data" / "raw" / period)
        late_units = {f["unit"] for f in manifest["files"][period]
                      if received[f["file"]] > when}
        expected = {p[1] for p in earlier if p[0] == period}
        assert late_units == expected

    with pytest.raises(zipfile.BadZipFile):
        openpyxl.load_workbook(raw / "hong.xlsx")
    unknown = next(f["file"] for f in files if f["unit"] is None and f["file"] != "hong.xlsx")
    texts = [str(t) for ws in openpyxl.load_workbook(raw / unknown).worksheets
             for t in cell_texts(ws)]
    assert "PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG" in texts

    values = manifest["values"]
    assert "1.1.2" not in values["2021-H1"]["NV"] and "1.1.2" in values["2020"]["NV"]
    assert values["2021-H1"]["TP"]["2.1"] == "khoảng 12"
    vp = values["2021-H1"]["VP"]
    assert vp["3.1.3"] != vp["3.1.3.a"] + vp["3.1.3.b"] + vp["3.1.3.c"]
    assert vp["7.1.8.3"] == 85 and values["2020-H1"]["VP"]["7.1.8.3"] <= 40
    assert values["2021-H1"]["TCKH"]["6.2"] < values["2020"]["TCKH"]["6.2"]
    assert values["2020"]["TCKH"]["6.2"] >= values["2020-H1"]["TCKH"]["6.2"]

    nv = next(f["file"] for f in files if f["unit"] == "NV")
    wb = openpyxl.load_workbook(raw / nv)
    assert dict(wb["_cchc"].iter_rows(values_only=True))["unit"] == "NV"
    ws = wb.worksheets[0]
    assert find_row(ws, 0, "1.1.2.", 1, "Số nhiệm vụ")[3] is None
    assert find_row(ws, 0, "1.1.1.", 1, "Số nhiệm vụ")[3] == values["2021-H1"]["NV"]["1.1.1"]
    tp_ws = openpyxl.load_workbook(raw / tp[1]).worksheets[0]
    assert find_row(tp_ws, 0, "2.1.")[3] == "khoảng 12"


def test_earlier_periods_obey_the_rules(sample):
    _, manifest = sample
    for period in ("2020-H1", "2020"):
        for unit, vals in manifest["values"][period].items():
            check_rules({k: float(v) for k, v in vals.items()})


def test_make_sample_is_deterministic(tmp_path):
    a = samples.make_sample(tmp_path / "a", periods=("2020", "2021-H1"), seed=7)
    b = samples.make_sample(tmp_path / "b", periods=("2020", "2021-H1"), seed=7)
    assert a == b
    for period in ("2020", "2021-H1"):
        assert ((tmp_path / "a/data/raw" / period / "submissions.csv").read_text("utf-8")
                == (tmp_path / "b/data/raw" / period / "submissions.csv").read_text("utf-8"))
    assert ((tmp_path / "a/data/raw/2021-H1/hong.xlsx").read_bytes()
            == (tmp_path / "b/data/raw/2021-H1/hong.xlsx").read_bytes())


# --------------------------------------------------------------------------------------------
# make_bulk and house rules


def test_make_bulk(tmp_path):
    paths = samples.make_bulk(tmp_path / "bulk", 14, seed=1)
    assert len(paths) == 14 and len({p.name for p in paths}) == 14
    received, _ = read_submissions(tmp_path / "bulk")
    assert set(received) == {p.name for p in paths}
    units = ["NV", "TCKH", "TP", "VHTT", "KTHT", "VP"]
    for i, path in enumerate(paths):
        wb = openpyxl.load_workbook(path)
        ws = wb["Phụ lục II"] if "Phụ lục II" in wb.sheetnames else wb.worksheets[0]
        assert ws.max_row >= 140
        assert units[i % 6] in path.name


def test_source_is_nfc():
    source = Path(samples.__file__).read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", source)
