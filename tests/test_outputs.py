"""The outputs without papermill: Vietnamese number formats, the consolidated workbook, the charts
(with and without data) and the narrative. Every frame below is written by hand."""

from __future__ import annotations

import math
import unicodedata
import warnings
from datetime import datetime

import openpyxl
import pandas as pd
import pytest
from matplotlib.figure import Figure

from cchc_analysis.catalogue import load_catalogue, load_units
from cchc_analysis.config import load_settings
from cchc_analysis.outputs import charts, report, workbook
from cchc_analysis.periods import Period
from cchc_analysis.pipeline import PeriodData

PERIOD = "2021-H1"
DEADLINE = datetime(2021, 6, 15, 9, 0)
INJECTION = "=HYPERLINK(\"http://x\")"


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def make_data(tmp_path, *, empty: bool = False, units: pd.DataFrame | None = None) -> PeriodData:
    """A checked period written by hand: three units expected, TP on time, KTHT late, VP silent."""
    catalogue = load_catalogue(2021)
    units = units if units is not None else load_units()
    settings = load_settings()
    consolidated = frame([
        {"period": PERIOD, "indicator": "2.1", "value": 1234.0, "units": "TP"},
        {"period": PERIOD, "indicator": "3.4.2", "value": 87.5, "units": "VP"},
        {"period": PERIOD, "indicator": "3.4.5", "value": 97.5, "units": "KTHT"},
        {"period": PERIOD, "indicator": "1.4.2", "value": 2.0, "units": "NV"},
        {"period": PERIOD, "indicator": "7.1.1", "value": 25.5, "units": "VHTT"},
        {"period": PERIOD, "indicator": "7.1.8.3", "value": 85.0, "units": "VP"},
    ], ["period", "indicator", "value", "units"])
    comparison = frame([
        {"period": PERIOD, "indicator": "2.1", "value": 1234.0, "ref": "previous", "ref_period": "2020-H1",
         "ref_value": 1000.0, "change": 234.0, "change_pct": 23.4},
        {"period": PERIOD, "indicator": "3.4.2", "value": 87.5, "ref": "previous", "ref_period": "2020-H1",
         "ref_value": 90.0, "change": -2.5, "change_pct": -2.777},
        {"period": PERIOD, "indicator": "7.1.8.3", "value": 85.0, "ref": "previous", "ref_period": "2020-H1",
         "ref_value": 40.0, "change": 45.0, "change_pct": 112.5},
        {"period": PERIOD, "indicator": "2.1", "value": 1234.0, "ref": "last_year", "ref_period": "2020-H1",
         "ref_value": 1000.0, "change": 234.0, "change_pct": 23.4},
    ], ["period", "indicator", "value", "ref", "ref_period", "ref_value", "change", "change_pct"])
    completeness = frame([
        {"period": PERIOD, "unit": "TP", "section": "2", "owed": 5, "filled": 5, "valid": 4, "rate": 0.8},
        {"period": PERIOD, "unit": "TP", "section": "all", "owed": 5, "filled": 5, "valid": 4, "rate": 0.8},
        {"period": PERIOD, "unit": "KTHT", "section": "3", "owed": 1, "filled": 1, "valid": 1, "rate": 1.0},
        {"period": PERIOD, "unit": "KTHT", "section": "all", "owed": 1, "filled": 1, "valid": 1, "rate": 1.0},
        {"period": PERIOD, "unit": "VP", "section": "3", "owed": 16, "filled": 0, "valid": 0, "rate": 0.0},
        {"period": PERIOD, "unit": "VP", "section": "7", "owed": 15, "filled": 0, "valid": 0, "rate": 0.0},
        {"period": PERIOD, "unit": "VP", "section": "all", "owed": 31, "filled": 0, "valid": 0, "rate": 0.0},
    ], ["period", "unit", "section", "owed", "filled", "valid", "rate"])
    timeliness = frame([
        {"period": PERIOD, "unit": "TP", "unit_name": "Phòng Tư pháp", "expected": True, "reported": True,
         "source_file": "tu phap.xlsx", "received_at": pd.Timestamp("2021-06-14 16:20"),
         "deadline": pd.Timestamp(DEADLINE), "on_time": True, "late_hours": 0.0},
        {"period": PERIOD, "unit": "KTHT", "unit_name": "Phòng Kinh tế và Hạ tầng", "expected": True,
         "reported": True, "source_file": "ktht.xlsx", "received_at": pd.Timestamp("2021-06-16 11:30"),
         "deadline": pd.Timestamp(DEADLINE), "on_time": False, "late_hours": 26.5},
        {"period": PERIOD, "unit": "VP", "unit_name": "Văn phòng HĐND và UBND huyện", "expected": True,
         "reported": False, "source_file": "", "received_at": pd.NaT, "deadline": pd.Timestamp(DEADLINE),
         "on_time": pd.NA, "late_hours": math.nan},
    ], ["period", "unit", "unit_name", "expected", "reported", "source_file", "received_at", "deadline",
        "on_time", "late_hours"])
    timeliness["on_time"] = timeliness["on_time"].astype("boolean")
    findings = frame([
        {"period": PERIOD, "unit": "TP", "indicator": "2.1", "check": "type-error", "severity": "error",
         "message": "Tệp 'tu phap.xlsx', dòng 9: chỉ tiêu 2.1 ghi '<script>alert(1)</script>' không phải là số.",
         "source_file": "tu phap.xlsx", "sheet": "Phụ lục II", "row": 9},
        {"period": PERIOD, "unit": "TP", "indicator": "2.2", "check": "missing-value", "severity": "error",
         "message": INJECTION, "source_file": INJECTION, "sheet": "Phụ lục II", "row": 10},
        {"period": PERIOD, "unit": "VP", "indicator": "", "check": "missing-report", "severity": "error",
         "message": "Chưa nhận được báo cáo của Văn phòng HĐND và UBND huyện.", "source_file": "", "sheet": "",
         "row": pd.NA},
        {"period": PERIOD, "unit": "KTHT", "indicator": "", "check": "late-report", "severity": "warning",
         "message": "Gửi muộn 1 ngày 2 giờ.", "source_file": "ktht.xlsx", "sheet": "", "row": pd.NA},
    ], ["period", "unit", "indicator", "check", "severity", "message", "source_file", "sheet", "row"])
    files = frame([
        {"source_file": "tu phap.xlsx", "unit": "TP", "status": "ok", "received_at": pd.Timestamp("2021-06-14 16:20"),
         "n_values": 5},
        {"source_file": "ktht.xlsx", "unit": "KTHT", "status": "ok", "received_at": pd.Timestamp("2021-06-16 11:30"),
         "n_values": 1},
    ], ["source_file", "unit", "status", "received_at", "n_values"])
    if empty:
        consolidated, comparison, completeness, findings, files = (
            f.iloc[0:0] for f in (consolidated, comparison, completeness, findings, files))
        timeliness = timeliness.iloc[0:0]
    return PeriodData(
        period=Period.parse(PERIOD), root=tmp_path, catalogue=catalogue, units=units, settings=settings,
        values=pd.DataFrame(), findings=findings, cells=pd.DataFrame(), files=files, completeness=completeness,
        timeliness=timeliness, consolidated=consolidated, comparison=comparison,
    )


# --------------------------------------------------------------------------------------------
# formats


def test_vietnamese_number_formats():
    assert report.number(1234) == "1.234"
    assert report.number(1234567.891, 2) == "1.234.567,89"
    assert report.number(87.5) == "87,5"
    assert report.number(3.0) == "3"
    assert report.number(float("nan")) == "–"
    assert report.number(None) == "–"
    assert report.percent(87.5) == "87,5 %"
    assert report.percent(100) == "100,0 %"
    assert report.percent(2 / 3 * 100) == "66,7 %"
    assert report.signed(-2.5, 1) == "−2,5"
    assert report.signed(234) == "+234"
    assert report.signed(0) == "0"
    assert report.date_time(datetime(2021, 6, 15, 9, 0)) == "09:00 15/06/2021"
    assert report.duration(26.5) == "1 ngày 2 giờ"
    assert report.duration(5.5) == "5 giờ 30 phút"
    assert report.listing(["a", "b", "c"]) == "a, b và c"
    assert report.format_value(2, "code", "0=Trực tuyến|1=Phát phiếu|2=Kết hợp") == "2 (Kết hợp)"


# --------------------------------------------------------------------------------------------
# the consolidated workbook


def _row_of(ws, printed: str, name_start: str) -> tuple:
    for row in ws.iter_rows(min_row=workbook.FIRST_ROW, values_only=True):
        if row[0] == printed and str(row[1]).startswith(name_start):
            return row
    raise AssertionError(f"no row {printed} {name_start}")


def test_consolidated_workbook_layout(tmp_path):
    data = make_data(tmp_path)
    path = workbook.write_consolidated_workbook(data, tmp_path / "out" / "consolidated.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Phụ lục II", "So sánh", "Đầy đủ - đúng hạn", "Phát hiện", "_cchc"]
    assert book["_cchc"].sheet_state == "hidden"
    ws = book.worksheets[0]
    titles = [ws.cell(row=r, column=1).value for r in range(1, 5)]
    assert titles[0] == "UBND HUYỆN CẨM XUYÊN"
    assert titles[1] == "Phụ lục II"
    assert titles[2] == "THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH"
    assert "6 tháng đầu năm 2021" in titles[3]
    # the letter's two header rows: Kết quả thống kê over Đơn vị tính and Số liệu
    assert [c.value for c in ws[workbook.HEADER_ROW]] == [
        "STT", "Chỉ tiêu thống kê\n(Sử dụng trong kỳ báo cáo hàng quý, 6 tháng, năm)", "Kết quả thống kê", None, "Ghi chú"]
    assert [c.value for c in ws[workbook.HEADER_ROW + 1]] == [None, None, "Đơn vị tính", "Số liệu", None]
    rows = list(ws.iter_rows(min_row=workbook.FIRST_ROW, max_row=workbook.FIRST_ROW + 136, values_only=True))
    assert rows[-1][0] == "7.2.7.2" and ws.cell(workbook.FIRST_ROW + 137, 1).value is None  # 137 rows
    # STT as printed: the four rows under 1.2 carry the letter's misprint
    assert [r[0] for r in rows[6:10]] == ["1.1.1.", "1.1.2.", "1.1.3.", "1.1.4."]
    assert rows[6][1] == "Số phòng, ban, đơn vị trực thuộc đã kiểm tra"
    # values as numbers with Vietnamese display formats
    count = _row_of(ws, "2.1.", "Số VBQPPL đã ban hành")
    assert count[3] == 1234 and count[2] == "Văn bản"
    assert _row_of(ws, "3.4.2.", "Tỷ lệ hồ sơ TTHC do UBND cấp huyện")[3] == 87.5
    assert _row_of(ws, "1.4.2.", "Hình thức khảo sát")[3] == 2
    assert _row_of(ws, "7.1.1", "Chất lượng")[3] == 25.5
    assert _row_of(ws, "1.1.1.", "Số nhiệm vụ đề ra")[3] is None
    formats = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=4).number_format
               for r in range(workbook.FIRST_ROW, workbook.FIRST_ROW + 137)}
    assert formats["2.1."] == "#,##0"
    assert formats["3.4.2."] == "0.0"
    assert formats["1.4.2."] == "0"
    # group rows bold, others not
    first = ws.cell(row=workbook.FIRST_ROW, column=2)
    assert first.value == "Công tác chỉ đạo điều hành CCHC" and first.font.b
    assert not ws.cell(row=workbook.FIRST_ROW + 2, column=2).font.b
    # sheet setup
    assert ws.freeze_panes == f"A{workbook.FIRST_ROW}"
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == f"${workbook.HEADER_ROW}:${workbook.HEADER_ROW + 1}"
    assert ws.cell(row=workbook.FIRST_ROW + 2, column=2).alignment.wrap_text
    # every stored text is NFC
    for row in ws.iter_rows(values_only=True):
        for value in row:
            if isinstance(value, str):
                assert unicodedata.is_normalized("NFC", value)


def test_consolidated_workbook_further_sheets(tmp_path):
    data = make_data(tmp_path)
    book = openpyxl.load_workbook(workbook.write_consolidated_workbook(data, tmp_path / "c.xlsx"))
    comparison = list(book["So sánh"].iter_rows(values_only=True))
    assert "6 tháng đầu năm 2021" in comparison[0][0] and "6 tháng đầu năm 2020" in comparison[0][0]
    assert comparison[1][:4] == ("Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị", "Kỳ này")
    by_id = {r[0]: r for r in comparison[2:]}
    assert by_id["2.1"][3:7] == (1234, 1000, 234, 23.4)
    assert by_id["3.4.2"][3:6] == (87.5, 90, -2.5)
    # previous and last year are the same period for 6 months: one block of columns
    assert len(comparison[1]) == 7
    units = list(book["Đầy đủ - đúng hạn"].iter_rows(values_only=True))
    assert units[0][0].endswith("hạn gửi: 09:00 15/06/2021")  # one deadline for all: in the caption
    units = {r[0]: r for r in units[2:]}
    assert units["KTHT"][5] == "Muộn" and units["KTHT"][6] == 26.5
    assert units["VP"][2] == "Không" and units["VP"][5] == "Chưa gửi"
    assert units["TP"][7:11] == (5, 5, 4, 80)
    findings = list(book["Phát hiện"].iter_rows(min_row=2, values_only=True))
    assert len(findings) == 4
    assert findings[0][0] == "Lỗi"
    injected = [r for r in findings if r[3] == "missing-value"][0]
    assert injected[5] == "'" + INJECTION and injected[6] == "'" + INJECTION


def test_consolidated_workbook_without_data(tmp_path):
    data = make_data(tmp_path, empty=True)
    book = openpyxl.load_workbook(workbook.write_consolidated_workbook(data, tmp_path / "c.xlsx"))
    rows = list(book.worksheets[0].iter_rows(min_row=workbook.FIRST_ROW, max_row=workbook.FIRST_ROW + 136,
                                             values_only=True))
    assert rows[-1][0] == "7.2.7.2" and all(r[3] is None for r in rows)
    assert "Chưa có số liệu" in str(list(book["So sánh"].iter_rows(values_only=True))[0])


# --------------------------------------------------------------------------------------------
# charts

CHARTS = [charts.completeness_heatmap, charts.submission_times, charts.key_rates, charts.largest_changes]


@pytest.mark.parametrize("empty", [False, True])
@pytest.mark.parametrize("chart", CHARTS, ids=lambda f: f.__name__)
def test_charts_draw_without_missing_glyphs(tmp_path, chart, empty):
    data = make_data(tmp_path, empty=empty)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "Glyph ... missing" warning fails the test
        fig = chart(data)
        png = charts.png_bytes(fig)
    assert isinstance(fig, Figure)
    assert png.startswith(b"\x89PNG")
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert all(unicodedata.is_normalized("NFC", t) for t in texts)


def test_charts_say_when_there_is_nothing(tmp_path):
    data = make_data(tmp_path, empty=True)

    def texts(fig):
        return " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))

    assert "Chưa có số liệu" in texts(charts.completeness_heatmap(data))
    assert "Chưa có danh sách đơn vị" in texts(charts.submission_times(data))
    assert "Chưa có số liệu 6 tháng đầu năm 2020 để so sánh" in texts(charts.largest_changes(data))
    assert "Chưa có số liệu" in texts(charts.key_rates(data))


def test_nobody_reported_is_drawn(tmp_path):
    data = make_data(tmp_path)
    data.timeliness = data.timeliness.assign(reported=False, received_at=pd.NaT, on_time=pd.NA)
    fig = charts.submission_times(data)
    text = " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
    assert text.count("Chưa gửi") == 3 and "0/3 đơn vị đã gửi" in text


def test_every_vietnamese_letter_is_drawn(tmp_path):
    letters = "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ"
    units = load_units()
    units.loc[units["code"] == "TP", "name"] = letters + letters.upper()
    data = make_data(tmp_path, units=units)
    data.timeliness.loc[data.timeliness["unit"] == "TP", "unit_name"] = letters + letters.upper()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        charts.png_bytes(charts.submission_times(data))
        charts.png_bytes(charts.completeness_heatmap(data))


def test_save_figures(tmp_path):
    paths = charts.save_figures(make_data(tmp_path), tmp_path / "figures")
    assert [p.name for p in paths] == ["completeness.png", "submissions.png", "key_rates.png", "changes.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)


# --------------------------------------------------------------------------------------------
# narrative


def test_reporting_narrative(tmp_path):
    data = make_data(tmp_path)
    text = report.reporting_text(data)
    assert "**2/3** đơn vị đã gửi báo cáo (66,7 %)" in text
    assert "**1** đơn vị gửi đúng hạn (33,3 %)" in text
    assert "Chưa gửi: Văn phòng HĐND và UBND huyện" in text
    assert "Phòng Kinh tế và Hạ tầng (muộn 1 ngày 2 giờ)" in text
    assert report.completeness_totals(data.completeness) == {"owed": 37, "filled": 6, "valid": 5,
                                                             "rate": pytest.approx(500 / 37)}


def test_comparison_narrative(tmp_path):
    data = make_data(tmp_path)
    text = report.comparison_text(data)
    assert "3** chỉ tiêu" not in text  # counts are formatted, not pasted
    assert "**2** tăng, **1** giảm" in text
    assert "7.1.8.3" in text and "40,0 % → 85,0 %" in text and "+45,0 điểm %" in text
    with pytest.raises(ValueError, match="Kỳ so sánh không hợp lệ"):
        report.comparison_text(data, "nam_truoc")


def test_department_text_is_escaped_in_html(tmp_path):
    data = make_data(tmp_path)
    for html in (report.findings_table(data), report.todo(data), report.flagged_changes_table(data)):
        assert "<script>" not in html
    assert "&lt;script&gt;" in report.findings_table(data)
    assert "&lt;script&gt;" in report.todo(data)


def test_summary_pieces(tmp_path):
    data = make_data(tmp_path)
    cards = report.key_figures(data)
    assert "2/3" in cards and "87,5 %" in cards and "90,0 %" in cards
    points = report.summary_points(data)
    assert points.startswith("- **Báo cáo:**")
    assert "So với 6 tháng đầu năm 2020" in points
    sections = report.section_results(data).set_index("section")
    assert sections.loc["2", "owed"] == 5 and sections.loc["2", "valid"] == 4
    assert sections.loc["2", "errors"] == 2
    assert "1.234 VBQPPL đã ban hành/tham mưu ban hành" in sections.loc["2", "highlights"]
    empty = make_data(tmp_path, empty=True)
    assert "Không còn việc gì cần xử lý" in report.todo(empty)
    assert "chưa có số liệu kỳ đó" in report.summary_points(empty)
