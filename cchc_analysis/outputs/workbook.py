"""The consolidated workbook of a period, ``reports/<period>/consolidated.xlsx``.

The first sheet is the official Phụ lục II as the district sends it to the province: the title
block, the header ``STT | Chỉ tiêu thống kê | Đơn vị tính | Số liệu | Ghi chú``, then every
catalogue row in the letter's order with the STT as printed, the district's consolidated value
(numbers stored as numbers, Vietnamese display formats), group rows in bold, A4 portrait print
setup. Further sheets: ``So sánh`` (comparison with earlier periods), ``Đầy đủ - đúng hạn``
(completeness and timeliness by unit) and ``Phát hiện`` (every finding).

Every text that may come from a department passes through :func:`cchc_analysis.safety.cell_text`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..findings import CHECKS, SEVERITIES
from ..safety import cell_text
from ..text import is_missing
from . import a4_print, report

if TYPE_CHECKING:  # pragma: no cover
    from ..pipeline import PeriodData

SHEET_MAIN = "Phụ lục II"
SHEET_COMPARISON = "So sánh"
SHEET_UNITS = "Đầy đủ - đúng hạn"
SHEET_FINDINGS = "Phát hiện"
#: the hidden key/value sheet the readers of this project look for (``ingest.META_SHEET``): it says
#: which period the workbook holds and that ``Phụ lục II`` is its table
META_SHEET = "_cchc"
META_TEMPLATE = "cchc-consolidated"

TITLE = "THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH"
HEADER = ("STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú")
WIDTHS = (9, 60, 17, 13, 30)
HEADER_ROW = 6

#: Excel number formats by value kind (Excel shows them with the reader's separators:
#: ``1.234`` and ``87,5`` on a Vietnamese system)
NUMBER_FORMATS = {"count": "#,##0", "percent": "0.0", "code": "0", "score": "#,##0.0#"}
DATETIME_FORMAT = "hh:mm dd/mm/yyyy"

FONT = "Times New Roman"
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
_SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)




def _number(value):
    """A float/int for a numeric cell, None when missing; whole floats as int."""
    if is_missing(value):
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() else value


def _text(value) -> str | None:
    if is_missing(value):
        return None
    text = report.nfc(value)
    return cell_text(text) if text else None


def _lines(text, width: float) -> int:
    """Lines a wrapped cell of ``width`` (Excel units) needs, roughly."""
    if not text:
        return 1
    per_line = max(1.0, width * 1.05)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))


def _table_sheet(ws: Worksheet, columns: list[tuple[str, float]], rows: list[list],
                 formats: dict[int, str] | None = None, caption: str | None = None) -> int:
    """A plain table: an optional bold caption on row 1, then a bold header row (frozen,
    filtered), wrapped text, the given widths; returns the header's row number."""
    formats = formats or {}
    head = 1
    if caption:
        ws.cell(row=1, column=1, value=cell_text(report.nfc(caption))).font = Font(bold=True, size=12)
        head = 2
    for c, (label, width) in enumerate(columns, start=1):
        cell = ws.cell(row=head, column=c, value=label)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = _CENTER
        cell.border = _BORDER
        ws.column_dimensions[get_column_letter(c)].width = width
    for r, values in enumerate(rows, start=head + 1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.alignment = _WRAP_TOP
            cell.border = _BORDER
            if c - 1 in formats and value is not None:
                cell.number_format = formats[c - 1]
    ws.freeze_panes = ws.cell(row=head + 1, column=1)
    if rows:
        ws.auto_filter.ref = f"A{head}:{get_column_letter(len(columns))}{len(rows) + head}"
    a4_print(ws, head, orientation="landscape")
    return head


# --------------------------------------------------------------------------------------------
# Phụ lục II


def _main_sheet(ws: Worksheet, data: "PeriodData") -> None:
    district = (data.settings or {}).get("district", {}).get("name", "UBND huyện Cẩm Xuyên")
    p = data.period
    base = Font(name=FONT, size=12)
    bold = Font(name=FONT, size=12, bold=True)
    ws.sheet_view.showGridLines = False

    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=2)
    ws.cell(row=1, column=1, value=cell_text(report.nfc(district).upper())).font = bold
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="left", vertical="center")
    titles = [
        (2, "Phụ lục II", Font(name=FONT, size=13, bold=True)),
        (3, TITLE, Font(name=FONT, size=13, bold=True)),
        (4, f"Kỳ báo cáo: {p.title} (số liệu tính từ {report.day(p.start)} đến {report.day(p.end)})",
         Font(name=FONT, size=12, italic=True)),
    ]
    for row, text, font in titles:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(HEADER))
        cell = ws.cell(row=row, column=1, value=cell_text(report.nfc(text)))
        cell.font = font
        cell.alignment = _CENTER
    ws.row_dimensions[3].height = 34

    for c, (label, width) in enumerate(zip(HEADER, WIDTHS), start=1):
        cell = ws.cell(row=HEADER_ROW, column=c, value=label)
        cell.font = bold
        cell.fill = _HEAD_FILL
        cell.alignment = _CENTER
        cell.border = _BORDER
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.row_dimensions[HEADER_ROW].height = 22

    values = {}
    if data.consolidated is not None and len(data.consolidated):
        values = dict(zip(data.consolidated["indicator"].astype(str),
                          pd.to_numeric(data.consolidated["value"], errors="coerce")))
    row = HEADER_ROW
    for item in data.catalogue.itertuples(index=False):
        row += 1
        group = item.kind == "group"
        top = group and not str(item.parent or "")
        name = report.nfc(item.name)
        if str(item.description or "").strip():
            name = f"{name}\n{report.nfc(item.description)}"
        cells = [
            _text(item.printed),
            _text(name),
            _text(item.unit),
            None if group else _number(values.get(item.id)),
            _text(item.note),
        ]
        for c, value in enumerate(cells, start=1):
            cell = ws.cell(row=row, column=c, value=value)
            cell.font = bold if group else base
            cell.border = _BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="center",
                                       horizontal="center" if c in (1, 3) else ("right" if c == 4 else "left"))
            if top:
                cell.fill = _SECTION_FILL
        if not group:
            ws.cell(row=row, column=4).number_format = NUMBER_FORMATS.get(item.kind, "General")
        lines = max(_lines(name, WIDTHS[1]), _lines(report.nfc(item.unit), WIDTHS[2]),
                    _lines(report.nfc(item.note), WIDTHS[4]))
        ws.row_dimensions[row].height = max(18.0, 16.5 * lines + 2)

    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    ws.print_area = f"A1:{get_column_letter(len(HEADER))}{row}"
    a4_print(ws, HEADER_ROW)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "Trang &P/&N"


# --------------------------------------------------------------------------------------------
# further sheets


def _comparison_sheet(ws: Worksheet, data: "PeriodData") -> None:
    """This period against the previous period and the same period a year earlier (one block of
    columns per distinct reference period). The headers name no period and no 'Số liệu' column,
    so a reader of Phụ lục II tables does not take this sheet for one; the caption names them."""
    cat = data.catalogue
    kinds = dict(zip(cat["id"], cat["kind"]))
    refs = []
    for ref in ("previous", "last_year"):
        part = report.comparison(data, ref)
        refp = report.reference_period(data, ref)
        if len(part) and not any(refp == r[1] for r in refs):
            refs.append((ref, refp, part.set_index("indicator")))
    labels = {"previous": "Kỳ trước", "last_year": "Cùng kỳ năm trước"}
    columns = [("Mã chỉ tiêu", 11), ("Tên chỉ tiêu", 50), ("Đơn vị", 14), ("Kỳ này", 13)]
    for ref, _refp, _part in refs:
        columns += [(labels[ref], 13), (f"Thay đổi so với {labels[ref].lower()}", 13),
                    (f"Thay đổi so với {labels[ref].lower()} (%)", 13)]
    current = {}
    if data.consolidated is not None and len(data.consolidated):
        current = dict(zip(data.consolidated["indicator"].astype(str),
                           pd.to_numeric(data.consolidated["value"], errors="coerce")))
    rows = []
    for item in cat.itertuples(index=False):
        if item.kind == "group" or not any(item.id in part.index for _r, _p, part in refs):
            continue
        line = [item.id, _text(item.name), _text(item.unit), _number(current.get(item.id))]
        for _ref, _refp, part in refs:
            if item.id in part.index:
                r = part.loc[item.id]
                pct = None if is_missing(r["change_pct"]) else _number(round(r["change_pct"], 1))
                line += [_number(r["ref_value"]), _number(r["change"]), pct]
            else:
                line += [None, None, None]
        rows.append(line)
    if refs:
        compared = "; ".join(f"{labels[ref].lower()}: {refp.title}" for ref, refp, _p in refs)
        caption = f"So sánh số liệu cấp huyện kỳ này ({data.period.title}) với {compared}"
    else:
        caption = f"Chưa có số liệu {report.reference_period(data).title} để so sánh."
    head = _table_sheet(ws, columns, rows, caption=caption)
    for r, line in enumerate(rows, start=head + 1):
        fmt = NUMBER_FORMATS.get(kinds.get(line[0], ""), "General")
        for c in range(4, len(columns) + 1):
            position = (c - 5) % 3 if c > 4 else 0  # 0: a value, 1: a change, 2: a change in percent
            ws.cell(row=r, column=c).number_format = (fmt, "+#,##0.0#;-#,##0.0#;0", "0.0")[position]


def _units_sheet(ws: Worksheet, data: "PeriodData") -> None:
    status = report.reporting_status(data)
    matrix = report.completeness_matrix(data.completeness)
    comp = report.by_section(data.completeness)
    sums = comp.groupby("unit")[["owed", "filled", "valid"]].sum() if len(comp) else pd.DataFrame()
    sections = list(matrix.columns) if len(matrix) else []
    names = report.unit_names(data)
    units = list(status["unit"]) + [u for u in (list(sums.index) if len(sums) else []) if u not in set(status["unit"])]
    columns = [("Mã đơn vị", 10), ("Đơn vị", 32), ("Đã gửi", 9), ("Tệp đã nhận", 34), ("Thời điểm nhận", 17),
               ("Hạn gửi", 17), ("Tình trạng", 14), ("Muộn (giờ)", 10), ("Số liệu phải báo cáo", 12),
               ("Đã ghi", 9), ("Hợp lệ", 9), ("Tỷ lệ hợp lệ (%)", 11)]
    columns += [(f"Mục {s} (%)", 9) for s in sections]
    status_words = {"ok": "Đúng hạn", "late": "Muộn", "missing": "Chưa gửi"}
    deadline = pd.Timestamp(data.deadline).to_pydatetime() if data.deadline is not None else None
    rows = []
    for unit in units:
        s = status[status["unit"] == unit]
        s = s.iloc[0] if len(s) else None
        owed = filled = valid = None
        if len(sums) and unit in sums.index:
            owed, filled, valid = (int(sums.at[unit, k]) for k in ("owed", "filled", "valid"))
        received = s["received_at"] if s is not None else None
        line = [
            unit, _text(names.get(unit, unit)),
            ("Có" if s["reported"] else "Không") if s is not None else None,
            _text(s["source_file"]) if s is not None else None,
            None if is_missing(received) else pd.Timestamp(received).to_pydatetime(),
            deadline,
            status_words.get(s["status"]) if s is not None else None,
            _number(round(s["late_hours"], 1)) if s is not None and s["status"] == "late" else None,
            owed, filled, valid,
            _number(round(report.ratio(valid, owed), 1)) if owed else None,
        ]
        line += [_number(round(matrix.at[unit, sec], 1)) if len(matrix) and unit in matrix.index
                 and not is_missing(matrix.at[unit, sec]) else None for sec in sections]
        rows.append(line)
    _table_sheet(ws, columns, rows, formats={4: DATETIME_FORMAT, 5: DATETIME_FORMAT})
    for r in range(2, len(rows) + 2):
        for c in (5, 6):
            ws.cell(row=r, column=c).number_format = DATETIME_FORMAT
        ws.cell(row=r, column=8).number_format = "0.0"
        for c in range(12, len(columns) + 1):
            ws.cell(row=r, column=c).number_format = "0.0"


def _findings_sheet(ws: Worksheet, data: "PeriodData") -> None:
    f = data.findings if data.findings is not None else pd.DataFrame()
    names = report.unit_names(data)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    columns = [("Mức độ", 11), ("Đơn vị", 28), ("Chỉ tiêu", 10), ("Mã kiểm tra", 20), ("Loại", 28),
               ("Nội dung", 80), ("Tệp", 30), ("Trang tính", 14), ("Dòng", 7)]
    rows = []
    if len(f):
        f = f.assign(_rank=f["severity"].map(rank).fillna(9)).sort_values(["_rank", "unit", "indicator", "check"])
        for item in f.itertuples(index=False):
            rows.append([
                report.SEVERITY_LABELS.get(item.severity, item.severity),
                _text(report._unit_name(names, item.unit)),
                _text(item.indicator),
                item.check,
                CHECKS.get(item.check, ("", item.check))[1],
                _text(item.message),
                _text(item.source_file),
                _text(item.sheet),
                _number(item.row),
            ])
    else:
        rows = [[None, None, None, None, None, "Không có phát hiện nào.", None, None, None]]
    _table_sheet(ws, columns, rows)


def write_consolidated_workbook(data: "PeriodData", path: Path | str) -> Path:
    """Write the period's consolidated workbook to ``path`` (parent folders created) and return
    the path. Sheets: ``Phụ lục II`` (first), ``So sánh``, ``Đầy đủ - đúng hạn``, ``Phát hiện``,
    and the hidden ``_cchc`` (template, period, table sheet)."""
    path = Path(path)
    book = Workbook()
    main = book.active
    main.title = SHEET_MAIN
    _main_sheet(main, data)
    _comparison_sheet(book.create_sheet(SHEET_COMPARISON), data)
    _units_sheet(book.create_sheet(SHEET_UNITS), data)
    _findings_sheet(book.create_sheet(SHEET_FINDINGS), data)
    meta = book.create_sheet(META_SHEET)
    for key, value in (("template", META_TEMPLATE), ("period", data.period.id), ("sheet", SHEET_MAIN)):
        meta.append([key, value])
    meta.sheet_state = "hidden"
    book.properties.title = f"Phụ lục II — {data.period.title}"
    book.properties.creator = "cchc_analysis"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
