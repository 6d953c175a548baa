"""Departments' real layouts, each written by hand with openpyxl, each with its expected tidy rows
written by hand."""

from __future__ import annotations

import math
import unicodedata

import pandas as pd
import pytest

from cchc_analysis.ingest import ingest

from conftest import ROWS, write_sheet

HEADER = ["STT", "Chỉ tiêu thống kê (Sử dụng trong kỳ báo cáo hàng quý, 6 tháng, năm)", "Kết quả thống kê", None, "Ghi chú"]
HEADER2 = [None, None, "Đơn vị tính", "Số liệu", None]


def row(indicator: str, value=None, *, printed: str | None = None, name: str | None = None) -> list:
    entry = ROWS[indicator]
    return [entry["printed"] if printed is None else printed, entry["name"] if name is None else name,
            entry["unit"], value, entry["note"]]


def live(result) -> dict[tuple[str, str], float]:
    frame = result.values[~result.values["superseded"]]
    return {(u, i): v for u, i, v in zip(frame["unit"], frame["indicator"], frame["value"])}


def checks(result) -> list[tuple[str, str, str]]:
    return sorted(zip(result.findings["check"], result.findings["unit"], result.findings["indicator"]))


def test_letter_layout_two_row_merged_header_and_page_break(raw):
    """Title block, a two-row header with merged cells, the letter's 1.2 rows printed 1.1.x, the
    header repeated at a page break, a text percent, a percent-formatted fraction and 'Có'."""
    rows = [
        ["ỦY BAN NHÂN DÂN HUYỆN CẨM XUYÊN"],
        ["TÊN CƠ QUAN: Phòng Nội vụ"],
        ["Phụ lục II"],
        ["THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH 6 tháng đầu năm 2021"],
        HEADER, HEADER2,                      # rows 5-6
        row("1"), row("1.1"),                 # 7, 8
        row("1.1.1", 12), row("1.1.2", 10), row("1.1.3", 4),   # 9-11
        row("1.2"),                            # 12
        row("1.2.1", 6), row("1.2.2", 9),     # 13-14 printed 1.1.1. / 1.1.2.
        HEADER, HEADER2,                      # 15-16 page break
        row("1.2.3", 3), row("1.2.4", 3),     # 17-18
        row("1.4"), row("1.4.1", "1.234"), row("1.4.2", "Kết hợp"),   # 19-21
        row("4.2.5", "87,5%"), row("4.3.4", 0.125),                    # 22-23
    ]
    write_sheet(raw / "bao cao.xlsx", rows, title="Phụ lục II",
                merges=["A5:A6", "B5:B6", "C5:D5", "E5:E6", "A15:A16", "B15:B16", "C15:D15", "E15:E16"],
                formats={"D23": "0.0%"})
    result = ingest("2021-H1", raw)
    assert live(result) == {
        ("NV", "1.1.1"): 12, ("NV", "1.1.2"): 10, ("NV", "1.1.3"): 4,
        ("NV", "1.2.1"): 6, ("NV", "1.2.2"): 9, ("NV", "1.2.3"): 3, ("NV", "1.2.4"): 3,
        ("NV", "1.4.1"): 1234, ("NV", "1.4.2"): 2, ("NV", "4.2.5"): 87.5, ("NV", "4.3.4"): 12.5,
    }
    values = result.values.set_index("indicator")
    assert values.loc["1.2.1", "row"] == 13 and values.loc["1.2.3", "row"] == 17
    assert values.loc["4.2.5", "raw"] == "87,5%"
    assert values.loc["1.4.2", "sheet"] == "Phụ lục II"
    assert result.findings.empty


def test_a_percent_typed_over_100_in_a_percent_cell_is_out_of_range_not_a_small_rate(raw):
    """'150%' and '101%' typed into cells formatted as percents hold 1.5 and 1.01: the department
    wrote 150 % and 101 %, which no rate may be (not 1.5 % and 1.01 %). A plain 2.5 and a
    percent-formatted 0.9 (shown 90%) are rates as written."""
    rows = [["TÊN CƠ QUAN: Phòng Nội vụ"], HEADER, HEADER2,   # rows 1-3
            row("4.2.5", 1.5), row("4.3.4", 1.01), row("7.1.8.3", 2.5), row("7.1.8.4", 0.9)]  # rows 4-7
    write_sheet(raw / "ty le.xlsx", rows, title="Phụ lục II", merges=["A2:A3", "B2:B3", "C2:D2", "E2:E3"],
                formats={"D4": "0%", "D5": "0%", "D7": "0%"})
    result = ingest("2021-H1", raw)
    values = result.values.set_index("indicator")
    assert values.loc["7.1.8.3", "value"] == 2.5 and values.loc["7.1.8.4", "value"] == 90
    assert math.isnan(values.loc["4.2.5", "value"]) and math.isnan(values.loc["4.3.4", "value"])
    assert list(values.loc[["4.2.5", "4.3.4"], "raw"]) == ["1.5", "1.01"]  # what the file holds, kept
    found = result.findings.set_index("indicator")
    assert list(found.loc[["4.2.5", "4.3.4"], "check"]) == ["out-of-range", "out-of-range"]
    assert list(found.loc[["4.2.5", "4.3.4"], "row"]) == [4, 5]
    assert "ô ghi 150" in found.loc["4.2.5", "message"] and "ô ghi 101" in found.loc["4.3.4", "message"]


def test_own_rows_single_header_abbreviated_headings(raw):
    """Only the unit's own rows, codes without the trailing dot, 'Nội dung'/'ĐVT' headings."""
    rows = [
        ["Đơn vị: Phòng Tư pháp huyện Cẩm Xuyên"],
        ["Báo cáo CCHC 6 tháng đầu năm 2021"],
        [],
        ["STT", "Nội dung", "ĐVT", "Số liệu", "Ghi chú"],
        ["2", "Cải cách thể chế", None, None, None],
        ["2.1", "Số VBQPPL đã ban hành/tham mưu ban hành", "Văn bản", 3, None],
        ["2.2", "Số VBQPPL đã kiểm tra theo thẩm quyền", "Văn bản", 2, None],
        ["2.3", "Số VBQPPL đã rà soát", "Văn bản", 15, "rà soát định kỳ"],
        ["2.4", "Số VBQPPL đã kiến nghị xử lý sau kiểm tra, rà soát", "Văn bản", 1, None],
        ["2.5", "Số VBQPPL có kiến nghị xử lý đã được xử lý xong", "Văn bản", 1, None],
        [],
        [None, "Người lập biểu", None, None, "THỦ TRƯỞNG ĐƠN VỊ"],
    ]
    write_sheet(raw / "tp.xlsx", rows)
    result = ingest("2021-H1", raw)
    assert live(result) == {("TP", "2.1"): 3, ("TP", "2.2"): 2, ("TP", "2.3"): 15, ("TP", "2.4"): 1, ("TP", "2.5"): 1}
    assert result.findings.empty


def test_swapped_columns_and_numbering_row(raw):
    """'Số liệu' before 'Đơn vị tính', and a (1)..(5) numbering row under the header."""
    rows = [
        ["TÊN CƠ QUAN: Phòng Tài chính - Kế hoạch"],
        ["STT", "Chỉ tiêu", "Số liệu", "Đơn vị tính", "Ghi chú"],
        ["(1)", "(2)", "(3)", "(4)", "(5)"],
        ["6.", "Cải cách tài chính công", None, None, None],
        ["6.1.", ROWS["6.1"]["name"], 2, "Cơ quan, đơn vị", None],
        ["6.2.", ROWS["6.2"]["name"], 5, "Cơ quan, đơn vị", None],
        ["6.3.", ROWS["6.3"]["name"], 31, "Cơ quan, đơn vị", None],
        ["6.4.", ROWS["6.4"]["name"], 0, "Cơ quan, đơn vị", None],
        ["6.5.", ROWS["6.5"]["name"], "-", "Cơ quan, đơn vị", None],
    ]
    write_sheet(raw / "BC_TCKH.xlsx", rows)
    result = ingest("2021-H1", raw)
    got = live(result)
    assert {k: v for k, v in got.items() if not math.isnan(v)} == {
        ("TCKH", "6.1"): 2, ("TCKH", "6.2"): 5, ("TCKH", "6.3"): 31, ("TCKH", "6.4"): 0,
    }
    # '-' is kept as what the file says, with no value
    dash = result.values.set_index("indicator").loc["6.5"]
    assert dash["raw"] == "-" and math.isnan(dash["value"])
    assert result.findings.empty


def test_nfd_names_extra_spaces_text_numbers(raw):
    """Names decomposed (NFD) with doubled spaces, codes without dots, ' 05 ', '1.234', '70,5'."""
    def nfd(text: str) -> str:
        return unicodedata.normalize("NFD", text).replace(" ", "  ") + "  "

    rows = [
        [unicodedata.normalize("NFD", "TÊN CƠ QUAN: Văn phòng HĐND và UBND huyện")],
        ["STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú"],
        ["3.1.1", nfd(ROWS["3.1.1"]["name"]), "Thủ tục", " 05 ", None],
        ["3.1.3", nfd(ROWS["3.1.3"]["name"]), "Thủ tục", "1.234", None],
        ["Trong đó", nfd("Số TTHC cấp tỉnh:"), "Thủ tục", 900, None],
        [None, nfd("Số TTHC cấp huyện:"), "Thủ tục", 250, None],
        [None, nfd("Số TTHC cấp xã:"), "Thủ tục", 84, None],
        ["3.3.3", nfd(ROWS["3.3.3"]["name"]), "%", "70,5", None],
        ["1.5", nfd(ROWS["1.5"]["name"]), "Không = 0 Có = 1", "Có", None],
    ]
    write_sheet(raw / "van phong.xlsx", rows)
    result = ingest("2021-H1", raw)
    assert live(result) == {
        ("VP", "3.1.1"): 5, ("VP", "3.1.3"): 1234, ("VP", "3.1.3.a"): 900, ("VP", "3.1.3.b"): 250,
        ("VP", "3.1.3.c"): 84, ("VP", "3.3.3"): 70.5, ("VP", "1.5"): 1,
    }
    assert result.findings.empty


def test_narrative_sheet_first_table_from_column_b_unlabelled_heading(raw):
    """Phụ lục I on the first sheet, the table on the second from column B, the unit only in an
    unlabelled heading, codes stored as numbers by Excel."""
    narrative = [["BÁO CÁO Cải cách hành chính 6 tháng đầu năm 2021"],
                 ["Thực hiện Văn bản số 1649/UBND-NV, phối hợp với Phòng Nội vụ và Phòng Tư pháp ..."]]
    table = [
        [None, "UBND HUYỆN CẨM XUYÊN"],
        [None, "PHÒNG VĂN HÓA VÀ THÔNG TIN"],
        [None, "STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú"],
        [None, 7, "Xây dựng và phát triển Chính phủ điện tử, Chính phủ số", None, None, None],
        [None, 7.1, "Ứng dụng CNTT trong hoạt động của đơn vị", None, None, None],
        [None, "7.1.1", "Chất lượng Cổng thông tin điện tử", "Theo QĐ 2394/QĐ-UBND của UBND tỉnh", 8.5, None],
        [None, "7.1.2", "Xây dựng và vận hành Hệ thống họp trực tuyến Liên thông 2 cấp: Từ UBND tỉnh đến 100% UBND các huyện.",
         "Chưa có = 0 2 cấp = 1 3 cấp = 2", "2 cấp", None],
        [None, "7.1.3", ROWS["7.1.3"]["name"], ROWS["7.1.3"]["unit"], "Hoàn thành", None],
        [None, "7.1.4", ROWS["7.1.4"]["name"], None, 100, None],
        [None, "7.1.5", ROWS["7.1.5"]["name"], ROWS["7.1.5"]["unit"], "7,25", None],
    ]
    write_sheet(raw / "phu luc.xlsx", table, title="Phụ lục II", extra_sheets={"Phụ lục I": narrative}, first="Phụ lục I")
    result = ingest("2021-H1", raw)
    assert live(result) == {
        ("VHTT", "7.1.1"): 8.5, ("VHTT", "7.1.2"): 1, ("VHTT", "7.1.3"): 2, ("VHTT", "7.1.4"): 100, ("VHTT", "7.1.5"): 7.25,
    }
    assert set(result.values["sheet"]) == {"Phụ lục II"}
    assert set(result.values["row"]) == {6, 7, 8, 9, 10}
    assert result.findings.empty


def test_no_title_codes_inside_names_period_heading_unit_from_file_name(raw):
    """No title (the file name tells the unit), no STT column: codes written inside the names, and
    the value column headed by the period rather than 'Số liệu'."""
    rows = [
        ["Nội dung", "Đơn vị tính", "Kết quả 6 tháng đầu năm 2021", "Ghi chú"],
        ["3.4.5. " + ROWS["3.4.5"]["name"], "%", 96.3, None],
    ]
    write_sheet(raw / "KT-HT bao cao CCHC.xlsx", rows)
    result = ingest("2021-H1", raw)
    assert live(result) == {("KTHT", "3.4.5"): 96.3}
    assert result.files.set_index("unit").loc["KTHT", "unit_source"] == "filename"
    assert result.findings.empty


def test_misnumbered_row_split_row_and_unknown_row(raw):
    """A row whose code the department got wrong (the name decides), a row the page break split
    with its value on the second line, and a row that matches nothing (reported with its value)."""
    rows = [
        ["TÊN CƠ QUAN: Phòng Nội vụ"],
        ["STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú"],
        ["5.2.1", ROWS["5.2.1"]["name"], "Người", 4, None],
        ["5.2.3", ROWS["5.2.2"]["name"], "Người", 0, None],        # code says 5.2.3, name is 5.2.2
        ["5.2.5", "Số viên chức được tuyển dụng theo", "Người", None, None],
        [None, "trường hợp đặc biệt.", None, 2, None],
        ["5.9", "Số cán bộ đi học nước ngoài", "Người", 7, None],
    ]
    write_sheet(raw / "noivu.xlsx", rows)
    result = ingest("2021-H1", raw)
    assert live(result) == {("NV", "5.2.1"): 4, ("NV", "5.2.2"): 0, ("NV", "5.2.5"): 2}
    assert result.values.set_index("indicator").loc["5.2.5", "row"] == 6
    unknown = result.findings[result.findings["check"] == "unknown-indicator"]
    assert len(unknown) == 1
    message = unknown.iloc[0]["message"]
    assert "5.9" in message and "Số cán bộ đi học nước ngoài" in message and "'7'" in message
    assert unknown.iloc[0]["row"] == 7 and unknown.iloc[0]["source_file"] == "noivu.xlsx"


def test_bad_values_become_findings_that_quote_the_cell(raw):
    rows = [
        ["TÊN CƠ QUAN: Phòng Nội vụ"],
        ["STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú"],
        ["4.2.1.", ROWS["4.2.1"]["name"], "Người", "khoảng 40", None],
        ["4.2.2.", ROWS["4.2.2"]["name"], "Người", -3, None],
        ["4.2.5.", ROWS["4.2.5"]["name"], "%", "120%", None],
        ["1.4.2.", ROWS["1.4.2"]["name"], ROWS["1.4.2"]["unit"], 5, None],
        ["4.2.3.", ROWS["4.2.3"]["name"], "Người", 2.5, None],
    ]
    write_sheet(raw / "Noi vu.xlsx", rows)
    result = ingest("2021-H1", raw)
    found = result.findings.set_index("indicator")
    assert checks(result) == [
        ("invalid-code", "NV", "1.4.2"), ("out-of-range", "NV", "4.2.2"), ("out-of-range", "NV", "4.2.5"),
        ("type-error", "NV", "4.2.1"), ("type-error", "NV", "4.2.3"),
    ]
    assert "'khoảng 40'" in found.loc["4.2.1", "message"] and "dòng 3" in found.loc["4.2.1", "message"]
    assert "Tệp 'Noi vu.xlsx'" in found.loc["4.2.2", "message"]
    assert "0 = Trực tuyến" in found.loc["1.4.2", "message"]
    # every value the file holds is kept with what it said, NaN where it could not be read
    values = result.values.set_index("indicator")
    assert values.loc["4.2.1", "raw"] == "khoảng 40" and math.isnan(values.loc["4.2.1", "value"])
    assert len(result.values) == 5


@pytest.mark.parametrize("last, this", [
    ("Số liệu 6 tháng đầu năm 2020", "Số liệu 6 tháng đầu năm 2021"),
    ("Số liệu 6 tháng 2020", "Số liệu 6 tháng 2021"),  # without 'đầu năm', as many offices write it
    ("6 tháng/2020", "6 tháng/2021"),
])
def test_two_period_columns_take_this_periods_and_report_the_other(raw, last, this):
    """'Số liệu 6 tháng 2020 | Số liệu 6 tháng 2021': this period's column counts; the other's
    values are not dropped silently."""
    rows = [
        ["TÊN CƠ QUAN: Phòng Tư pháp"],
        ["STT", "Chỉ tiêu", "Đơn vị tính", last, this, "Ghi chú"],
        ["2.1", ROWS["2.1"]["name"], "Văn bản", 2, 3, None],
        ["2.2", ROWS["2.2"]["name"], "Văn bản", 1, 4, None],
    ]
    write_sheet(raw / "tp.xlsx", rows)
    result = ingest("2021-H1", raw)
    assert live(result) == {("TP", "2.1"): 3, ("TP", "2.2"): 4}
    assert list(result.findings["check"]) == ["ignored-column"]
    assert "cột D" in result.findings.iloc[0]["message"] and "2 số liệu" in result.findings.iloc[0]["message"]


def test_hidden_old_copy_is_not_read(raw):
    """A hidden sheet holding last period's copy of the table: only the visible table counts."""
    import openpyxl

    book = openpyxl.Workbook()
    current = book.active
    current.title = "Phụ lục II"
    old = book.create_sheet("Phụ lục II (cũ)")
    for sheet, value in ((current, 3), (old, 99)):
        sheet.append(["TÊN CƠ QUAN: Phòng Tư pháp"])
        sheet.append(["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", "Ghi chú"])
        sheet.append(["2.1", ROWS["2.1"]["name"], "Văn bản", value, None])
    old.sheet_state = "hidden"
    book.save(raw / "tp.xlsx")
    result = ingest("2021-H1", raw)
    assert live(result) == {("TP", "2.1"): 3}
    assert list(result.findings["check"]) == ["ignored-sheet"]


def test_one_sheet_per_period_keeps_this_periods_sheet(raw):
    def table(period_title: str, value: int) -> list[list]:
        return [["TÊN CƠ QUAN: Phòng Tư pháp"], [f"Báo cáo CCHC {period_title}"],
                ["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", "Ghi chú"],
                ["2.1", ROWS["2.1"]["name"], "Văn bản", value, None]]

    write_sheet(raw / "tp.xlsx", table("6 tháng đầu năm 2021", 5), title="2021",
                extra_sheets={"2020": table("năm 2020", 8)})
    result = ingest("2021-H1", raw)
    assert live(result) == {("TP", "2.1"): 5}
    assert list(zip(result.findings["check"], result.findings["severity"])) == [("period-mismatch", "info")]


def test_code_repeated_inside_the_name_and_x_in_a_group_row(raw):
    rows = [
        ["TÊN CƠ QUAN: Phòng Tư pháp"],
        ["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", "Ghi chú"],
        ["2", "2. Cải cách thể chế", None, "x", None],
        ["2.1", "2.1. " + ROWS["2.1"]["name"], "Văn bản", 3, None],
        ["2.2", "2.2 " + ROWS["2.2"]["name"], "Văn bản", "Không phát sinh", None],
        ["2.3", "2.3 " + ROWS["2.3"]["name"], "Văn bản", "chưa rõ", None],
    ]
    write_sheet(raw / "tp.xlsx", rows)
    result = ingest("2021-H1", raw)
    # 'Không phát sinh' in a count is 0; 'x' in the group row is fine; 'chưa rõ' is no number
    assert {k: v for k, v in live(result).items() if v == v} == {("TP", "2.1"): 3, ("TP", "2.2"): 0}
    assert list(zip(result.findings["check"], result.findings["indicator"])) == [("type-error", "2.3")]


def test_sub_rows_with_lead_ins(raw):
    rows = [
        ["TÊN CƠ QUAN: Văn phòng HĐND và UBND huyện"],
        ["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", "Ghi chú"],
        ["3.1.3", ROWS["3.1.3"]["name"], "Thủ tục", 305, None],
        [None, "Trong đó: - Cấp tỉnh", "Thủ tục", 0, None],
        [None, "- Cấp huyện", "Thủ tục", 220, None],
        [None, "- Cấp xã", "Thủ tục", 85, None],
    ]
    write_sheet(raw / "vp.xlsx", rows)
    result = ingest("2021-H1", raw)
    assert live(result) == {("VP", "3.1.3"): 305, ("VP", "3.1.3.a"): 0, ("VP", "3.1.3.b"): 220, ("VP", "3.1.3.c"): 85}
    assert result.findings.empty
