"""How a written sheet looks on paper: Times New Roman, rows tall enough for their wrapped text,
the used range as the print area.

Every workbook the product writes (the consolidated workbook, the feedback and the templates)
passes through :func:`finish` before it is saved, after :func:`cchc_analysis.outputs.a4_print`
set its page. Row heights are not left to the program that opens the file: Excel grows a row to
its wrapped text only when the row has never been given a height, LibreOffice prints the stored
height, and neither grows a row for merged cells. So the height of each row is computed here
from the text of its cells, the width of their columns and their font, with the advance widths
of Times New Roman (as Liberation Serif, its metric twin on Linux, has them), breaking lines at
spaces only, as both programs do, and rounding up.
"""

from __future__ import annotations

import math
import unicodedata
from copy import copy
from datetime import date, datetime

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

#: the official table's font (Decree 30/2020/NĐ-CP: Times New Roman); ``family=1`` (roman) lets a
#: machine without it take its own serif font
FONT = "Times New Roman"
FONT_FAMILY = 1
#: advance widths of Times New Roman, characters 32..126, in thousandths of the font size
_REGULAR = (250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500, 500, 500, 500,
            500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667, 722, 611, 556, 722, 722, 333,
            389, 722, 611, 889, 722, 722, 556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469,
            500, 333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500, 500, 500, 333, 389,
            278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541)
_BOLD = (250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500,
         500, 500, 500, 500, 333, 333, 570, 570, 570, 500, 930, 722, 667, 722, 722, 667, 611, 778, 778, 389, 500, 778,
         667, 944, 722, 778, 611, 778, 722, 556, 667, 722, 722, 1000, 722, 722, 667, 333, 278, 333, 581, 500, 333,
         500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556, 278, 833, 556, 500, 556, 556, 444, 389, 333, 556,
         500, 722, 500, 500, 444, 394, 220, 394, 520)
_OTHER = {"đ": (500, 556), "Đ": (722, 722), "ơ": (529, 554), "ư": (542, 600), "Ư": (776, 796), "–": (500, 500), "—": (1000, 1000), "…": (1000, 1000), "“": (444, 500),
          "”": (444, 500), "‘": (333, 333), "’": (333, 333), "→": (1000, 1000)}
#: Excel's column width unit is the widest digit of the workbook's default font (Calibri 11:
#: 7 pixels at 96 dpi), the stored width including 5 pixels of padding
_PIXELS_PER_UNIT = 7.0
_POINTS_PER_PIXEL = 0.75
#: a line of wrapped text, as a multiple of the font size (Times New Roman's line spacing is 1.15
#: of its size), and the room above and below the lines
LEADING = 1.2
PADDING = 4.0
#: LibreOffice lays a cell's text out at screen resolution, each glyph's advance rounded up to
#: whole pixels: lowercase text takes up to 13 % more room than the font's metrics say
LAYOUT_SLACK = 1.15
DEFAULT_SIZE = 11.0
#: the width a filter's drop-down button takes from a header cell's text (LibreOffice wraps the
#: text beside it)
FILTER_BUTTON = 14.0
DEFAULT_WIDTH = 8.43


def char_width(char: str, bold: bool = False) -> float:
    """The advance width of ``char`` in thousandths of the font size (a Vietnamese letter as its
    base letter; an unknown character as wide as a capital)."""
    code = ord(char)
    if 32 <= code <= 126:
        return (_BOLD if bold else _REGULAR)[code - 32]
    if char in _OTHER:
        return _OTHER[char][1 if bold else 0]
    parts = unicodedata.normalize("NFD", char)
    if "\u031b" in parts:  # a horn (ơ, ư and their tones) widens its letter
        horned = {"o": "ơ", "u": "ư", "U": "Ư"}.get(parts[0])
        if horned:
            return _OTHER[horned][1 if bold else 0]
    base = parts[0]
    if base != char and 32 <= ord(base) <= 126:
        return char_width(base, bold)
    if unicodedata.combining(char):
        return 0
    return 722


def text_points(text: str, size: float = DEFAULT_SIZE, bold: bool = False) -> float:
    """The width of ``text`` on one line, in points, as the program that shows it may take it
    (the font's metrics and :data:`LAYOUT_SLACK`)."""
    return sum(char_width(c, bold) for c in str(text)) * size / 1000.0 * LAYOUT_SLACK


def column_points(width: float | None) -> float:
    """The room for text in a column of ``width`` (Excel units), in points, padding taken off."""
    width = DEFAULT_WIDTH if width is None else float(width)
    return max(1.0, (width * _PIXELS_PER_UNIT - 5) * _POINTS_PER_PIXEL - 2.0)


def wrapped_lines(text: str, room: float, size: float = DEFAULT_SIZE, bold: bool = False) -> int:
    """How many lines ``text`` takes when wrapped at spaces into ``room`` points (a word longer
    than the line is broken where it overflows); each line break of the text starts a line."""
    lines = 0
    space = text_points(" ", size, bold)
    for paragraph in str(text).split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split(" "):
            width = text_points(word, size, bold)
            if used and used + space + width > room:
                lines += 1
                used = 0.0
            elif used:
                used += space
            while width > room:  # a word wider than the column: broken where it overflows
                lines += 1
                width -= room
            used += width
    return max(1, lines)


def line_height(size: float = DEFAULT_SIZE) -> float:
    """The height of one line of text of ``size`` points, in points."""
    return LEADING * size


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE"
    if isinstance(value, (datetime, date)):
        return "00:00 00/00/0000"
    if isinstance(value, (int, float)):
        return f"{value:,.2f}" if isinstance(value, float) and not float(value).is_integer() else f"{value:,}"
    return str(value)


def row_heights(sheet) -> dict[int, float]:
    """The height (points) each row with text needs: the tallest of its cells, a cell's text
    wrapped into the width of its column (of all its columns when merged across), in its own font
    size and weight; a cell merged down over several rows shares their heights (the last row takes
    what the rows above it do not already give). Cells whose text does not wrap take one line."""
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for merged in sheet.merged_cells.ranges:
        spans[(merged.min_row, merged.min_col)] = (merged.max_row, merged.max_col)
        covered.update((r, c) for r in range(merged.min_row, merged.max_row + 1)
                       for c in range(merged.min_col, merged.max_col + 1) if (r, c) != (merged.min_row, merged.min_col))
    filter_row = None
    if sheet.auto_filter.ref:  # the header of a filtered table: each cell carries a drop-down button
        filter_row = int("".join(ch for ch in sheet.auto_filter.ref.split(":")[0] if ch.isdigit()) or 0)
    needs: dict[int, float] = {}
    tall: list[tuple[int, int, float]] = []  # (first row, last row, height) of cells merged down
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None or (cell.row, cell.column) in covered:
                continue
            last_row, last_col = spans.get((cell.row, cell.column), (cell.row, cell.column))
            size = float(cell.font.sz or DEFAULT_SIZE) if cell.font is not None else DEFAULT_SIZE
            bold = bool(cell.font is not None and cell.font.b)
            room = sum(column_points(sheet.column_dimensions[get_column_letter(c)].width)
                       for c in range(cell.column, last_col + 1))
            room += (last_col - cell.column) * 5 * _POINTS_PER_PIXEL  # the padding between merged columns is text room
            if cell.row == filter_row:
                room = max(1.0, room - FILTER_BUTTON)
            text = _shown(cell.value)
            wraps = bool(cell.alignment is not None and cell.alignment.wrap_text)
            lines = wrapped_lines(text, room, size, bold) if wraps else text.count("\n") + 1
            height = math.ceil(lines * line_height(size) + PADDING)
            if last_row == cell.row:
                needs[cell.row] = max(needs.get(cell.row, 0.0), height)
            else:
                tall.append((cell.row, last_row, height))
    for first, last, height in tall:
        above = sum(needs.get(r, line_height()) + 0 for r in range(first, last))
        if above + needs.get(last, 0.0) < height:
            needs[last] = height - above
    return needs


def fit_rows(sheet, keep_taller: bool = False) -> None:
    """Give every row with text the height its text needs (:func:`row_heights`); with
    ``keep_taller`` a row already set taller keeps its height."""
    for number, height in row_heights(sheet).items():
        current = sheet.row_dimensions[number].height
        if keep_taller and current and current > height:
            continue
        sheet.row_dimensions[number].height = height


def use_font(sheet, name: str = FONT) -> None:
    """Set every written cell in ``name`` (Times New Roman), keeping its size, weight, slant and
    colour."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None and not cell.has_style:
                continue
            font = copy(cell.font) if cell.font is not None else Font()
            if font.name == name:
                continue
            font.name = name
            font.family = FONT_FAMILY
            font.scheme = None
            cell.font = font


def finish(book) -> None:
    """The last step before a workbook is saved: every visible sheet in Times New Roman, its rows
    as tall as their text, the used range as its print area when none is set."""
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible":
            continue
        use_font(sheet)
        fit_rows(sheet)
        if not sheet.print_area and sheet.max_row and sheet.max_column:
            sheet.print_area = f"A1:{get_column_letter(sheet.max_column)}{sheet.max_row}"
