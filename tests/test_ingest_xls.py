"""Excel 97-2003 (.xls) files, still common in district offices: written with xlwt by the test."""

from __future__ import annotations

import xlwt

from cchc_analysis.ingest import ingest

from conftest import ROWS


def write_xls(path, rows, percent_cells=()):
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Phu luc II")
    percent = xlwt.easyxf(num_format_str="0.0%")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if (r, c) in percent_cells:
                sheet.write(r, c, value, percent)
            else:
                sheet.write(r, c, value)
    book.save(str(path))


def test_xls_letter_table_with_percent_fractions(raw):
    rows = [
        ["TÊN CƠ QUAN: Văn phòng HĐND và UBND huyện"],
        ["Phụ lục II - 6 tháng đầu năm 2021"],
        ["STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú"],
        ["3.3.1.", ROWS["3.3.1"]["name"], "Thủ tục", 12, None],
        ["3.3.3.", ROWS["3.3.3"]["name"], "%", 0.875, None],
        ["3.3.4.", ROWS["3.3.4"]["name"], "%", 0.5, None],
        ["1.5.", ROWS["1.5"]["name"], ROWS["1.5"]["unit"], "Có", None],
        ["7.1.6.2", ROWS["7.1.6.2"]["name"], "Văn bản", "1.234", None],
    ]
    write_xls(raw / "VP bao cao.xls", rows, percent_cells={(4, 3), (5, 3)})
    result = ingest("2021-H1", raw)
    live = dict(zip(result.values["indicator"], result.values["value"]))
    # the XF records say the two rates are shown as percents (0.0%): 87,5% and 50,0%, as on screen
    assert live == {"3.3.1": 12, "3.3.3": 87.5, "3.3.4": 50, "1.5": 1, "7.1.6.2": 1234}
    assert set(result.values["unit"]) == {"VP"}
    assert result.findings.empty  # the department wrote its rates right: nothing to tell it


def test_rates_as_fractions_where_formats_cannot_be_read_are_not_guessed(raw, monkeypatch):
    """Where a workbook's number formats cannot be read (.xlsb: no library gives them), 0.875 in a
    rate may be 87,5 % or 0,875 %: the value is not taken, its cell is named."""
    from cchc_analysis.workbook import Workbook

    rows = [
        ["TÊN CƠ QUAN: Văn phòng HĐND và UBND huyện"],
        ["STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú"],
        ["3.3.1.", ROWS["3.3.1"]["name"], "Thủ tục", 12, None],
        ["3.3.3.", ROWS["3.3.3"]["name"], "%", 0.875, None],
        ["3.3.4.", ROWS["3.3.4"]["name"], "%", 0, None],
    ]
    write_xls(raw / "VP.xls", rows)
    monkeypatch.setattr(Workbook, "cell_info", lambda self, sheet: None)
    monkeypatch.setenv("CCHC_WORKERS", "0")  # the patch lives in this process
    result = ingest("2021-H1", raw)
    values = result.values.set_index("indicator")
    assert values.loc["3.3.1", "value"] == 12 and values.loc["3.3.4", "value"] == 0
    assert values["value"].isna()["3.3.3"] and values.loc["3.3.3", "raw"] == "0.875"  # kept, not taken
    ambiguous = result.findings[result.findings["check"] == "ambiguous-percent"]
    assert list(ambiguous["indicator"]) == ["3.3.3"] and list(ambiguous["row"]) == [4]
    assert "D4" in ambiguous.iloc[0]["message"] and "87.5%" in ambiguous.iloc[0]["message"]


def test_xls_with_rates_as_numbers_is_read_as_is(raw):
    rows = [
        ["Đơn vị: Phòng Kinh tế và Hạ tầng"],
        ["STT", "Nội dung", "ĐVT", "Số liệu", "Ghi chú"],
        ["3.4.5", ROWS["3.4.5"]["name"], "%", 96.5, None],
    ]
    write_xls(raw / "ktht.xls", rows)
    result = ingest("2021-H1", raw)
    assert dict(zip(result.values["indicator"], result.values["value"])) == {"3.4.5": 96.5}
    assert result.findings.empty


def test_xlsx_content_named_xls_is_read_by_its_content(raw, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in [["TÊN CƠ QUAN: Phòng Tư pháp"], ["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", "Ghi chú"],
                ["2.1", ROWS["2.1"]["name"], "Văn bản", 3, None]]:
        sheet.append(row)
    book.save(raw / "tp.xls")
    result = ingest("2021-H1", raw)
    assert dict(zip(result.values["indicator"], result.values["value"])) == {"2.1": 3}
