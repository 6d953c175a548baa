"""The consolidated workbook of a period, ``reports/<period>/consolidated.xlsx``.

The first sheet is the official Phụ lục II as the district sends it to the province: the title
block, the letter's two header rows (``STT | Chỉ tiêu thống kê | Kết quả thống kê | Ghi chú``,
``Kết quả thống kê`` over ``Đơn vị tính | Số liệu``), then every catalogue row in the letter's
order with the STT as printed, the district's consolidated value (numbers stored as numbers,
Vietnamese display formats), group rows in bold; under the table the place and date line and the
signature block (``TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH``, ``(ký tên và đóng dấu)``);
A4 portrait in Times New Roman, the header rows repeated on each page. Further sheets: ``So sánh`` (comparison with earlier periods), ``Đầy đủ - đúng hạn``
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
from .layout import finish

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
#: the letter's header: two rows, ``Kết quả thống kê`` merged over ``Đơn vị tính`` and ``Số liệu``,
#: the other three headings merged down over both rows
HEADER_TOP = ("STT", "Chỉ tiêu thống kê\n(Sử dụng trong kỳ báo cáo hàng quý, 6 tháng, năm)", "Kết quả thống kê",
              None, "Ghi chú")
HEADER_BOTTOM = (None, None, "Đơn vị tính", "Số liệu", None)
#: column widths (Excel units): A4 portrait at ~87 % within the margins of an administrative document
WIDTHS = (7, 46, 14, 10, 22)
HEADER_ROW = 6
#: the first row of the table, below the two header rows
FIRST_ROW = HEADER_ROW + 2
#: the signature block under the table, as the letter signs (``[district] signature`` overrides)
SIGNATURE = ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
SIGNATURE_NOTE = "(ký tên và đóng dấu)"
#: the sign-off line above the table (:mod:`cchc_analysis.signoff`)
STATUS_ROW = 5

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


def _table_sheet(ws: Worksheet, columns: list[tuple[str, float]], rows: list[list],
                 formats: dict[int, str] | None = None, caption: str | None = None) -> int:
    """A plain table: an optional bold caption on row 1, then a bold header row (frozen,
    filtered), wrapped text, the given widths; returns the header's row number."""
    formats = formats or {}
    head = 1
    if caption:  # across the table, wrapped: it prints within the page
        cell = ws.cell(row=1, column=1, value=cell_text(report.nfc(caption)))
        cell.font = Font(bold=True, size=12)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(1, len(columns)))
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


def _main_sheet(ws: Worksheet, data: "PeriodData", status: str = "") -> None:
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
    if status:  # closed ("Số liệu đã chốt lúc ... bởi ...") or provisional, and since when
        ws.merge_cells(start_row=STATUS_ROW, start_column=1, end_row=STATUS_ROW, end_column=len(HEADER))
        cell = ws.cell(row=STATUS_ROW, column=1, value=cell_text(report.nfc(status)))
        cell.font = Font(name=FONT, size=11, italic=True, bold=True)
        cell.alignment = _CENTER
        ws.row_dimensions[STATUS_ROW].height = 30

    for c, (top, bottom, width) in enumerate(zip(HEADER_TOP, HEADER_BOTTOM, WIDTHS), start=1):
        for row, label in ((HEADER_ROW, top), (HEADER_ROW + 1, bottom)):
            cell = ws.cell(row=row, column=c, value=label)
            cell.font = bold
            cell.fill = _HEAD_FILL
            cell.alignment = _CENTER
            cell.border = _BORDER
        ws.column_dimensions[get_column_letter(c)].width = width
    for c in (1, 2, 5):
        ws.merge_cells(start_row=HEADER_ROW, start_column=c, end_row=HEADER_ROW + 1, end_column=c)
    ws.merge_cells(start_row=HEADER_ROW, start_column=3, end_row=HEADER_ROW, end_column=4)

    values = {}
    if data.consolidated is not None and len(data.consolidated):
        values = dict(zip(data.consolidated["indicator"].astype(str),
                          pd.to_numeric(data.consolidated["value"], errors="coerce")))
    row = FIRST_ROW - 1
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
    row = _signature(ws, row + 2, data.settings or {})

    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=1)
    ws.print_area = f"A1:{get_column_letter(len(HEADER))}{row}"
    a4_print(ws, HEADER_ROW, HEADER_ROW + 1)  # the letter's margins; rows fitted by layout.finish
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "Trang &P/&N"


def place_name(settings: dict) -> str:
    """The place the district signs in: ``[district] place``, else its name without the
    ``UBND huyện`` before it (``Cẩm Xuyên``)."""
    district = settings.get("district", {}) or {}
    place = str(district.get("place") or "").strip()
    if place:
        return report.nfc(place)
    name = report.nfc(district.get("name") or "UBND huyện Cẩm Xuyên")
    for prefix in ("UBND huyện ", "UBND thị xã ", "UBND thành phố ", "UBND quận ", "Ủy ban nhân dân huyện "):
        if name.lower().startswith(prefix.lower()):
            return name[len(prefix):]
    return name


def _signature(ws: Worksheet, first: int, settings: dict) -> int:
    """The place and date line and the signature block under the table, on the right as the
    letter has them (``Cẩm Xuyên, ngày ... tháng ... năm ...``, ``TM. ỦY BAN NHÂN DÂN / KT. CHỦ
    TỊCH / PHÓ CHỦ TỊCH``, ``(ký tên và đóng dấu)``, room to sign, the signer's name when
    ``[district] signer`` names one); returns the last row written."""
    district = settings.get("district", {}) or {}
    titles = district.get("signature") or SIGNATURE
    if isinstance(titles, str):
        titles = [part.strip() for part in titles.split("/") if part.strip()]
    signer = report.nfc(district.get("signer") or "")
    lines = [(f"{place_name(settings)}, ngày ..... tháng ..... năm ..........", Font(name=FONT, size=12, italic=True))]
    lines += [(report.nfc(t), Font(name=FONT, size=12, bold=True)) for t in titles]
    lines.append((SIGNATURE_NOTE, Font(name=FONT, size=12, italic=True)))
    lines += [(None, None)] * 3  # room for the signature and the seal
    lines.append((signer or None, Font(name=FONT, size=12, bold=True)))
    row = first - 1
    for text, font in lines:
        row += 1
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=len(HEADER))
        if text:
            cell = ws.cell(row=row, column=3, value=cell_text(text))
            cell.font = font
            cell.alignment = _CENTER
        else:
            ws.row_dimensions[row].height = 18
    return row


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
    columns = [("Mã chỉ tiêu", 10), ("Tên chỉ tiêu", 40), ("Đơn vị", 12), ("Kỳ này", 11)]
    for ref, _refp, _part in refs:
        columns += [(labels[ref], 11), (f"Thay đổi so với {labels[ref].lower()}", 11),
                    (f"Thay đổi so với {labels[ref].lower()} (%)", 11)]
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
    # one deadline for every unit: said in the caption, so that the table prints at a readable size
    columns = [("Mã đơn vị", 7), ("Đơn vị", 20), ("Đã gửi", 6.5), ("Tệp đã nhận", 18), ("Thời điểm nhận", 17),
               ("Tình trạng", 9), ("Muộn (giờ)", 7), ("Số liệu phải báo cáo", 8),
               ("Đã ghi", 6.5), ("Hợp lệ", 6.5), ("Tỷ lệ hợp lệ (%)", 7.5)]
    columns += [(f"Mục {s} (%)", 6.5) for s in sections]
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
            status_words.get(s["status"]) if s is not None else None,
            _number(round(s["late_hours"], 1)) if s is not None and s["status"] == "late" else None,
            owed, filled, valid,
            _number(round(report.ratio(valid, owed), 1)) if owed else None,
        ]
        line += [_number(round(matrix.at[unit, sec], 1)) if len(matrix) and unit in matrix.index
                 and not is_missing(matrix.at[unit, sec]) else None for sec in sections]
        rows.append(line)
    caption = (f"Gửi báo cáo và mức độ đầy đủ của số liệu, {data.period.title}; hạn gửi: "
               + (report.date_time(deadline) if deadline is not None else "chưa quy định"))
    head = _table_sheet(ws, columns, rows, formats={4: DATETIME_FORMAT}, caption=caption)
    for r in range(head + 1, len(rows) + head + 1):
        ws.cell(row=r, column=5).number_format = DATETIME_FORMAT
        ws.cell(row=r, column=7).number_format = "0.0"
        for c in range(11, len(columns) + 1):
            ws.cell(row=r, column=c).number_format = "0.0"


def _findings_sheet(ws: Worksheet, data: "PeriodData") -> None:
    f = data.findings if data.findings is not None else pd.DataFrame()
    names = report.unit_names(data)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    columns = [("Mức độ", 9), ("Đơn vị", 18), ("Chỉ tiêu", 8), ("Mã kiểm tra", 15), ("Loại", 18),
               ("Nội dung", 50), ("Tệp", 16), ("Trang tính", 10), ("Dòng", 6)]
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


def write_consolidated_workbook(data: "PeriodData", path: Path | str, status: str | None = None) -> Path:
    """Write the period's consolidated workbook to ``path`` (parent folders created) and return
    the path. Sheets: ``Phụ lục II`` (first), ``So sánh``, ``Đầy đủ - đúng hạn``, ``Phát hiện``,
    and the hidden ``_cchc`` (template, period, table sheet). Above the table, ``status``: whether
    the numbers are closed or provisional (default: the period's sign-off state,
    :func:`cchc_analysis.signoff.signoff`)."""
    path = Path(path)
    if status is None:
        from ..signoff import signoff

        status = signoff(data.period.id, data.root).text()
    book = Workbook()
    main = book.active
    main.title = SHEET_MAIN
    _main_sheet(main, data, status)
    _comparison_sheet(book.create_sheet(SHEET_COMPARISON), data)
    _units_sheet(book.create_sheet(SHEET_UNITS), data)
    _findings_sheet(book.create_sheet(SHEET_FINDINGS), data)
    meta = book.create_sheet(META_SHEET)
    for key, value in (("template", META_TEMPLATE), ("period", data.period.id), ("sheet", SHEET_MAIN)):
        meta.append([key, value])
    meta.sheet_state = "hidden"
    book.properties.title = f"Phụ lục II — {data.period.title}"
    book.properties.creator = "cchc_analysis"
    finish(book)  # Times New Roman, rows as tall as their text, print areas
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
