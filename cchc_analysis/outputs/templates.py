"""Fillable templates: one workbook per unit, its Phụ lục II rows headed like the letter.

A department fills only the ``Số liệu`` column. The template carries its unit and period in a
hidden ``_cchc`` sheet (read back by the ingest before any title), input checks on every value cell
(whole numbers for counts, 0..100 for percents, the listed choices for coded rows), and the other
cells locked.

A rate cell keeps the General number format, so that what a person types there cannot end as a
wrong number in Excel or in LibreOffice Calc (tried in Calc through its UNO bridge, in a vi-VN
locale, ``tests/test_templates_calc.py``): ``87,5`` is stored as 87.5; ``87,5%``, ``6,4%`` and
``100%`` are stored as 0.875, 0.064 and 1 *and the cell takes a percent format* (both programs give
a General cell the format of what was typed), which the ingest reads as 87.5, 6.4 and 100; ``87.5``
(a point is not the decimal separator in vi-VN) is text, which the input check refuses with its
Vietnamese message. A cell formatted ``0.0`` would keep that format in Calc, so ``6,4%`` would be
stored as 0.064 shown ``0,1`` and read as 0.064 %; a cell formatted ``0.0%`` makes Calc add the
``%`` as one types, so a typed ``87,5%`` becomes the text ``87,5%%``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation

from ..catalogue import parse_choices
from ..periods import Period
from . import a4_print
from .layout import FONT, finish

THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FILL_INPUT = PatternFill("solid", fgColor="FFF9E1")
FILL_HEAD = PatternFill("solid", fgColor="DDE7F3")
TEMPLATE_VERSION = "cchc-phu-luc-ii-2"  # 2: rate cells in the General format (see above)
#: column widths (Excel units): STT, Chỉ tiêu, Đơn vị tính, Số liệu, Ghi chú; A4 portrait at ~90 %
WIDTHS = (7, 48, 14, 11, 20)
#: what the input check of a rate cell says when it refuses an entry
PERCENT_ERROR = ("Tỷ lệ phần trăm: ghi một số từ 0 đến 100, ví dụ 87,5 hoặc 87,5% "
                 "(dấu thập phân là dấu phẩy).")


def unit_rows(catalogue: pd.DataFrame, unit: str, level: str = "district") -> pd.DataFrame:
    """The catalogue rows a unit fills (owned, expected at ``level``) and the group rows above them,
    in the letter's order."""
    owned = catalogue[(catalogue["owner"] == unit) & catalogue["levels"].str.contains(level)]
    keep = set(owned["id"])
    parents = dict(zip(catalogue["id"], catalogue["parent"]))
    for indicator in list(keep):
        parent = parents.get(indicator, "")
        while parent:
            keep.add(parent)
            parent = parents.get(parent, "")
    return catalogue[catalogue["id"].isin(keep)].sort_values("order")


def write_template(path: Path, period: str, unit: str, unit_name: str, catalogue: pd.DataFrame,
                   district: str = "UBND HUYỆN CẨM XUYÊN") -> Path:
    """Write the fillable workbook of ``unit`` for ``period`` to ``path``."""
    period_obj = Period.parse(period)
    book = Workbook()
    sheet = book.active
    sheet.title = "Phụ lục II"
    sheet["A1"] = district
    sheet["A2"] = f"TÊN CƠ QUAN: {unit_name}"
    sheet["A3"] = "Phụ lục II"
    sheet["A4"] = f"THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH {period_obj.title.upper()}"
    sheet["A5"] = (f"Thời gian chốt số liệu: từ {period_obj.start:%d/%m/%Y} đến {period_obj.end:%d/%m/%Y}. "
                   "Chỉ ghi vào cột Số liệu (ô màu vàng).")
    for ref in ("A1", "A2", "A3", "A4"):
        sheet[ref].font = Font(name=FONT, bold=True, size=12 if ref != "A1" else 11)
    for row in range(1, 6):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        sheet.cell(row, 1).alignment = Alignment(horizontal="center", wrap_text=True)
    head = 7
    sheet.cell(head, 1, "STT")
    sheet.cell(head, 2, "Chỉ tiêu thống kê (Sử dụng trong kỳ báo cáo hàng quý, 6 tháng, năm)")
    sheet.cell(head, 3, "Kết quả thống kê")
    sheet.cell(head, 5, "Ghi chú")
    sheet.cell(head + 1, 3, "Đơn vị tính")
    sheet.cell(head + 1, 4, "Số liệu")
    for ref in ("A7:A8", "B7:B8", "C7:D7", "E7:E8"):
        sheet.merge_cells(ref)
    for row in (head, head + 1):
        for col in range(1, 6):
            cell = sheet.cell(row, col)
            cell.font = Font(bold=True)
            cell.fill = FILL_HEAD
            cell.border = BOX
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    counts = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                            showErrorMessage=True, errorTitle="Số liệu không hợp lệ",
                            error="Chỉ tiêu này là số đếm: ghi một số nguyên không âm.")
    percents = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True,
                              showErrorMessage=True, errorTitle="Số liệu không hợp lệ", error=PERCENT_ERROR,
                              showInputMessage=True, promptTitle="Tỷ lệ %", prompt="Ví dụ 87,5 hoặc 87,5%")
    scores = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                            showErrorMessage=True, errorTitle="Số liệu không hợp lệ", error="Ghi số điểm (số không âm).")
    for validation in (counts, percents, scores):
        sheet.add_data_validation(validation)
    row = head + 2
    for entry in unit_rows(catalogue, unit).itertuples(index=False):
        name = f"{entry.name} ({entry.description})" if entry.description else entry.name
        cells = [entry.printed, name, entry.unit, None, entry.note]
        for col, value in enumerate(cells, start=1):
            cell = sheet.cell(row, col, value if value != "" else None)
            cell.border = BOX
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            cell.protection = Protection(locked=True)
        value_cell = sheet.cell(row, 4)
        if entry.kind == "group":
            for col in (1, 2):
                sheet.cell(row, col).font = Font(bold=True)
        else:
            value_cell.fill = FILL_INPUT
            value_cell.protection = Protection(locked=False)
            if entry.kind == "count":
                counts.add(value_cell)
                value_cell.number_format = "#,##0"
            elif entry.kind == "percent":
                percents.add(value_cell)  # General: a typed 87,5% gives the cell a percent format
            elif entry.kind == "score":
                scores.add(value_cell)
            elif entry.kind == "code":
                choices = parse_choices(entry.choices)
                listed = DataValidation(type="list", formula1='"' + ",".join(str(c) for c in sorted(choices)) + '"',
                                        allow_blank=True, showErrorMessage=True, errorTitle="Mã không hợp lệ",
                                        error="Chọn một mã: " + "; ".join(f"{k} = {v}" for k, v in sorted(choices.items())))
                sheet.add_data_validation(listed)
                listed.add(value_cell)
        row += 1
    for col, width in zip("ABCDE", WIDTHS):
        sheet.column_dimensions[col].width = width
    sheet.freeze_panes = sheet.cell(head + 2, 1)
    a4_print(sheet, head, head + 1)
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    meta = book.create_sheet("_cchc")
    for key, value in (("unit", unit), ("period", period_obj.id), ("template", TEMPLATE_VERSION)):
        meta.append([key, value])
    meta.sheet_state = "hidden"
    finish(book)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_templates(period: str, catalogue: pd.DataFrame, units: pd.DataFrame, out_dir: Path) -> list[Path]:
    """One template per registered unit that owns at least one row; returns the paths written."""
    written = []
    for code, name in zip(units["code"], units["name"]):
        if unit_rows(catalogue, code).query("kind != 'group'").empty:
            continue
        written.append(write_template(Path(out_dir) / f"Phu luc II - {code} - {period}.xlsx", period, code, name, catalogue))
    return written
