"""Realistic, messy departmental workbooks ("Phụ lục II") for the demo, the tests and the benchmark.

Real departments do not return the letter's table untouched: some keep only their own rows, some
swap columns, type numbers as text (``87,5%``, ``1.234``, `` 05 ``), save from a Mac in decomposed
Unicode, put the narrative report on the first sheet, or drop every title.  This module writes such
files with openpyxl so that the reader can be exercised on what it will really meet.

Public API:

- :data:`LAYOUTS`, the layouts :func:`write_workbook` knows;
- :func:`write_workbook`, one workbook from hand-written values;
- :data:`PERIOD_TITLES` and :func:`period_title`, the Vietnamese name of a period;
- :func:`plausible_values`, values for one unit that obey the catalogue's rules;
- :func:`make_sample`, a demo workspace with planted problems and a manifest naming them;
- :func:`make_bulk`, many workbooks for a benchmark.

The module reads the indicator catalogue and the units registry straight from the package data
(``data/catalogue/2021/indicators.csv``, ``data/units.csv``) and imports no other project module.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import os
import pathlib
import random
import re
import unicodedata
from importlib.resources import files

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

__all__ = [
    "LAYOUTS",
    "PERIOD_TITLES",
    "make_bulk",
    "make_sample",
    "period_title",
    "plausible_values",
    "write_workbook",
]

LAYOUTS: tuple[str, ...] = (
    "letter",
    "own_rows",
    "swapped",
    "text_values",
    "nfd_nodots",
    "narrative_first",
    "single_header_no_title",
)

DISTRICT_TITLE = "ỦY BAN NHÂN DÂN HUYỆN CẨM XUYÊN"
TABLE_TITLE = "THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH"
INDICATOR_HEADER = "Chỉ tiêu thống kê\n(Sử dụng trong kỳ báo cáo hàng quý, 6 tháng, năm)"

# Where the letter's pages end, and how the row on a page end is cut in two.  Key: the id of the
# last row of a page.  Value: None (the row fits), or (field, first part, second part): the text of
# ``field`` ("name" or "unit") runs over to a continuation row after the repeated header, the value
# staying on the first row.  Taken from the letter as printed (8 pages).
LETTER_PAGE_ENDS: dict[str, tuple[str, str, str] | None] = {
    "1.4.2": ("unit", "Trực tuyến = 0 Phát phiếu = 1", "Kết hợp = 2"),
    "3.3.3": None,
    "4.1.b": None,
    "5.2.5": ("name", "Số viên chức được tuyển dụng theo", "trường hợp đặc biệt."),
    "7.1.1": ("unit", "Theo QĐ", "2394/QĐ-UBND của UBND tỉnh"),
    "7.1.7": None,
    "7.2.3.2": ("name", "Tổng số quy trình nội bộ TTHC được áp", "dụng tại cơ quan"),
}

# The letter prints the three rows under 3.1.3 with a colon.
LETTER_NAMES = {
    "3.1.3.a": "Số TTHC cấp tỉnh:",
    "3.1.3.b": "Số TTHC cấp huyện:",
    "3.1.3.c": "Số TTHC cấp xã:",
}

EXTRA_ROW_NAME = "Chỉ tiêu khác (đơn vị tự bổ sung)"


# --------------------------------------------------------------------------------------------
# Package data


@functools.lru_cache(maxsize=None)
def _catalogue() -> tuple[dict[str, str], ...]:
    """The 2021 indicator catalogue, one dict per row, in the letter's order."""
    text = (files("cchc_analysis") / "data/catalogue/2021/indicators.csv").read_text(encoding="utf-8")
    return tuple(csv.DictReader(io.StringIO(text)))


@functools.lru_cache(maxsize=None)
def _by_id() -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in _catalogue()}


@functools.lru_cache(maxsize=None)
def _unit_names() -> dict[str, str]:
    """Unit code -> official name, from the units registry."""
    text = (files("cchc_analysis") / "data/units.csv").read_text(encoding="utf-8")
    return {row["code"]: row["name"] for row in csv.DictReader(io.StringIO(text))}


def _choices(row: dict[str, str]) -> list[tuple[int, str]]:
    """``"0=Không|1=Có"`` -> ``[(0, "Không"), (1, "Có")]``."""
    out = []
    for part in row["choices"].split("|"):
        if "=" in part:
            key, label = part.split("=", 1)
            out.append((int(key), label.strip()))
    return out


def _ancestors(indicator: str) -> list[str]:
    chain = []
    parent = _by_id()[indicator]["parent"]
    while parent:
        chain.append(parent)
        parent = _by_id()[parent]["parent"]
    return chain


# --------------------------------------------------------------------------------------------
# Periods

_PERIOD_RE = re.compile(r"^(\d{4})(?:-(Q[1-4]|H1|9M))?$")
_ROMAN = {"Q1": "I", "Q2": "II", "Q3": "III", "Q4": "IV"}


def period_title(period_id: str) -> str:
    """The Vietnamese title of a period: ``"2021-H1"`` -> ``"6 tháng đầu năm 2021"``.

    Valid ids: ``YYYY-Q1``..``YYYY-Q4``, ``YYYY-H1``, ``YYYY-9M``, ``YYYY``; anything else raises
    ``ValueError``.
    """
    match = _PERIOD_RE.match(str(period_id))
    if not match:
        raise ValueError(f"not a period id: {period_id!r} (expected YYYY, YYYY-Q1..Q4, YYYY-H1, YYYY-9M)")
    year, part = match.groups()
    if part is None:
        return f"năm {year}"
    if part == "H1":
        return f"6 tháng đầu năm {year}"
    if part == "9M":
        return f"9 tháng đầu năm {year}"
    return f"Quý {_ROMAN[part]} năm {year}"


PERIOD_TITLES: dict[str, str] = {
    f"{year}{suffix}": period_title(f"{year}{suffix}")
    for year in range(2019, 2027)
    for suffix in ("-Q1", "-Q2", "-Q3", "-Q4", "-H1", "-9M", "")
}


def _year_before(period_id: str) -> str:
    """The same period a year earlier: "2021-H1" -> "2020-H1"."""
    year, part = _PERIOD_RE.match(period_id).groups()
    return f"{int(year) - 1}" + (f"-{part}" if part else "")


def _deadline(period_id: str) -> dt.datetime:
    """09:00 on the 15th of the period's last month (the three demo deadlines follow it)."""
    year, part = _PERIOD_RE.match(period_id).groups()
    month = {None: 12, "H1": 6, "9M": 9, "Q1": 3, "Q2": 6, "Q3": 9, "Q4": 12}[part]
    return dt.datetime(int(year), month, 15, 9, 0)


# --------------------------------------------------------------------------------------------
# Plausible values

# Typical first-period range of each indicator at a district (counts: whole numbers; percents and
# scores: one decimal).  Indicators not listed fall back to a default by kind.
_TYPICAL: dict[str, tuple[float, float]] = {
    "1.1.1": (25, 45), "1.1.2": (10, 30), "1.1.3": (4, 15),
    "1.2.1": (6, 14), "1.2.2": (4, 12), "1.2.3": (3, 15), "1.2.4": (2, 12),
    "1.3.1": (12, 35), "1.3.2": (8, 25), "1.3.3": (0, 4),
    "1.4.1": (600, 1800),
    "2.1": (1, 8), "2.2": (2, 10), "2.3": (15, 45), "2.4": (0, 5), "2.5": (0, 4),
    "3.1.1": (5, 40), "3.1.2": (3, 25),
    "3.1.3.a": (0, 0), "3.1.3.b": (250, 300), "3.1.3.c": (100, 125),
    "3.2.1": (300, 400), "3.2.2": (150, 280), "3.2.3": (20, 80),
    "3.3.1": (5, 25), "3.3.2": (20, 60), "3.3.3": (85, 100), "3.3.4": (60, 95),
    "3.4.2": (95, 100), "3.4.3": (96, 100), "3.4.4": (90, 99), "3.4.5": (92, 100),
    "4.1.a": (55, 70), "4.1.b": (8, 15),
    "4.2.1": (72, 80), "4.2.2": (65, 78), "4.2.3": (6, 15), "4.2.4": (0, 3), "4.2.5": (8, 12),
    "4.3.1": (1700, 1900), "4.3.2": (1600, 1850), "4.3.3": (5, 30), "4.3.4": (8, 12),
    "5.1.1": (12, 13), "5.1.2": (55, 70), "5.1.3": (0, 1),
    "5.2.1": (0, 4), "5.2.2": (0, 1), "5.2.3": (0, 3), "5.2.4": (10, 60), "5.2.5": (0, 2),
    "5.3.2": (1, 6),
    "5.4.1": (0, 1), "5.4.2": (0, 2), "5.4.3": (0, 4),
    "6.1": (0, 1), "6.2": (3, 6), "6.3": (8, 15), "6.4": (40, 55), "6.5": (0, 1),
    "7.1.1": (15, 30), "7.1.4": (92, 100), "7.1.5": (1, 3),
    "7.1.6.1.a": (100, 100), "7.1.6.1.b": (95, 100),
    "7.1.6.2": (6000, 14000), "7.1.6.2.a": (55, 70), "7.1.6.2.b": (5, 20),
    "7.1.7.1": (100, 100), "7.1.7.2": (100, 100), "7.1.7.3": (95, 100),
    "7.1.8.1": (120, 250), "7.1.8.2": (30, 100), "7.1.8.3": (15, 25), "7.1.8.4": (2, 10),
    "7.1.9.1": (25, 60), "7.1.9.2": (2, 10), "7.1.9.3": (3, 12),
    "7.2.1": (2, 6), "7.2.2.1": (20, 25), "7.2.2.2": (0, 3),
    "7.2.3.1": (1, 2), "7.2.3.2": (250, 330), "7.2.3.3": (2, 10),
    "7.2.3.4": (8, 20), "7.2.3.5": (0, 5), "7.2.4.1": (6, 14), "7.2.4.2": (85, 100),
    "7.2.5.1": (3000, 9000), "7.2.5.2": (300, 1500), "7.2.5.3": (96, 100),
    "7.2.6.1": (30, 200), "7.2.6.2": (90, 100), "7.2.7.1": (85, 100), "7.2.7.2": (75, 100),
}
_DEFAULT_RANGE = {"count": (0, 20), "percent": (60, 100), "score": (0, 10)}
# Codes a district really reports, most likely first.
_LIKELY_CODES = {"1.4.2": [2, 1], "1.5": [1], "5.3.1": [0, 1], "7.1.2": [2, 1], "7.1.3": [1, 2]}


def _expected_at_district(row: dict[str, str]) -> bool:
    return "district" in row["levels"].split(";") and row["id"] != "3.4.1"


def _as_number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _draw(row: dict[str, str], rng: random.Random, prev: float | None) -> float:
    """One value of an indicator: fresh from its typical range, or a modest drift from ``prev``."""
    kind, ind = row["kind"], row["id"]
    high = float(row["max"]) if row["max"] else None
    if kind == "code":
        keys = [key for key, _ in _choices(row)]
        if prev is not None and int(prev) in keys and rng.random() < 0.9:
            return float(int(prev))
        return float(rng.choice(_LIKELY_CODES.get(ind, keys)))
    lo, hi = _TYPICAL.get(ind, _DEFAULT_RANGE[kind])
    if kind == "count":
        if prev is None:
            return float(rng.randint(int(lo), int(hi)))
        if row["cumulative"] == "true":
            return prev + (1.0 if rng.random() < 0.3 else 0.0)
        # bounded so that no unplanned change reaches the large-change flag over two periods
        limit = max(2, int(0.2 * prev))
        delta = max(-limit, min(limit, round(rng.gauss(0, max(0.7, 0.07 * prev)))))
        return float(max(0, round(prev) + delta))
    # percent and score: one decimal
    if prev is None:
        value = rng.uniform(lo, hi)
    else:
        spread = 2.5 if kind == "percent" else 1.0
        value = prev + max(-spread, min(spread, rng.gauss(0, spread / 2)))
    value = max(0.0, value)
    if high is not None:
        value = min(high, value)
    return round(value, 1)


def _enforce_rules(v: dict[str, float]) -> None:
    """Make ``v`` obey the catalogue's consistency rules (in place; rules whose sides are absent
    are skipped)."""
    for small, big in [("1.1.2", "1.1.1"), ("1.2.4", "1.2.3"), ("2.5", "2.4"), ("3.2.2", "3.2.1"),
                       ("4.2.2", "4.2.1"), ("4.3.2", "4.3.1"), ("7.2.7.2", "7.2.7.1")]:
        if small in v and big in v and v[small] > v[big]:
            v[small] = v[big]
    if all(k in v for k in ("1.3.1", "1.3.2", "1.3.3")):
        excess = v["1.3.2"] + v["1.3.3"] - v["1.3.1"]
        if excess > 0:
            cut = min(excess, v["1.3.3"])
            v["1.3.3"] -= cut
            v["1.3.2"] -= excess - cut
    if all(k in v for k in ("3.1.3", "3.1.3.a", "3.1.3.b", "3.1.3.c")):
        v["3.1.3"] = v["3.1.3.a"] + v["3.1.3.b"] + v["3.1.3.c"]


def plausible_values(unit: str, rng: random.Random,
                     base: dict[str, float] | None = None) -> dict[str, float]:
    """Values (floats) for every non-group indicator ``unit`` owns and a district reports.

    Counts are whole, percents lie in 0..100 with one decimal, codes are valid choice keys, and
    the catalogue's rules hold (1.1.2 <= 1.1.1, 1.3.2 + 1.3.3 <= 1.3.1, 3.1.3 = a + b + c, ...).
    With ``base`` (an earlier period's values of the same unit) each value drifts modestly from
    it (a count by at most max(2, 20 %), a percent by at most 2.5 points) and cumulative
    indicators (6.1..6.5) never decrease.  3.4.1 (provincial departments only) is never returned.
    """
    out: dict[str, float] = {}
    for row in _catalogue():
        if row["kind"] == "group" or row["owner"] != unit or not _expected_at_district(row):
            continue
        prev = _as_number(base.get(row["id"])) if base else None
        out[row["id"]] = _draw(row, rng, prev)
    _enforce_rules(out)
    for ind, value in out.items():
        prev = _as_number(base.get(ind)) if base else None
        if prev is not None and _by_id()[ind]["cumulative"] == "true" and value < prev:
            out[ind] = prev
    return out


# --------------------------------------------------------------------------------------------
# Cell values as each layout writes them

def _vn_number(x: float) -> str:
    """87.5 -> "87,5"; 100.0 -> "100" (Vietnamese decimal comma)."""
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:.10g}".replace(".", ",")


def _typed_text(value: float, row: dict[str, str] | None, n: int) -> str:
    """A number the way people type it into a text cell."""
    kind = row["kind"] if row else "count"
    if kind == "percent":
        return _vn_number(value) + ("%" if n % 2 == 0 else "")
    if kind == "code":
        labels = dict(_choices(row))
        if float(value).is_integer() and int(value) in labels:
            return labels[int(value)]
        return _vn_number(value)
    if kind == "count" and float(value).is_integer():
        whole = int(value)
        if whole >= 1000:
            return f"{whole:,}".replace(",", ".")
        return f" {whole:02d} "
    return _vn_number(value)


def _cell_value(value: object, row: dict[str, str] | None, layout: str,
                n: int) -> tuple[object, str | None]:
    """(cell content, number format or None) of one value in ``layout``.  Text is verbatim."""
    if value is None or isinstance(value, str):
        return value, None
    number = _as_number(value)
    if number is None:
        return str(value), None
    if layout == "text_values":
        return _typed_text(number, row, n), None
    if layout == "nfd_nodots" and row is not None and row["kind"] == "percent":
        return round(number / 100, 6), "0.0%"
    return (int(number) if number.is_integer() else number), None


# --------------------------------------------------------------------------------------------
# Table rows

def _display_name(row: dict[str, str], plain: bool) -> str:
    if plain:
        return row["name"]
    name = LETTER_NAMES.get(row["id"], row["name"])
    return f"{name}\n{row['description']}" if row["description"] else name


def _table_items(values: dict[str, object], code: str, plain_names: bool = False,
                 only_given: bool = False) -> list[dict]:
    """The rows of a table: one dict per catalogue row (all, or with ``only_given`` those in
    ``values`` and their parents), then one per id of ``values`` the catalogue does not know.

    ``code``: "printed" (as the letter prints it), "nodot" (trailing dot dropped) or "own"
    (trailing dot dropped, "-" for rows without a code).
    """
    keep = None
    if only_given:
        keep = set()
        for ind in values:
            if ind in _by_id():
                keep.add(ind)
                keep.update(_ancestors(ind))
    items = []
    for row in _catalogue():
        if keep is not None and row["id"] not in keep:
            continue
        printed = row["printed"]
        if code != "printed" and printed not in ("", "Trong đó"):
            printed = printed.rstrip(".")
        if code == "own" and printed in ("", "Trong đó"):
            printed = "-"
        items.append({
            "id": row["id"], "row": row, "stt": printed or None,
            "name": _display_name(row, plain_names), "unit": row["unit"] or None,
            "value": values.get(row["id"]), "note": row["note"] or None,
            "group": row["kind"] == "group", "italic": row["printed"] in ("", "Trong đó"),
        })
    for ind, value in values.items():
        if ind not in _by_id():
            items.append({"id": ind, "row": None, "stt": ind, "name": EXTRA_ROW_NAME,
                          "unit": None, "value": value, "note": None,
                          "group": False, "italic": False})
    return items


# --------------------------------------------------------------------------------------------
# Styles and small writers

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BOLD = Font(name="Times New Roman", size=12, bold=True)
_ITALIC = Font(name="Times New Roman", size=12, italic=True)
_PLAIN = Font(name="Times New Roman", size=12)
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _identity(text, field=None):
    return text


def _nfd_messy(text, field=None):
    """Decomposed Unicode everywhere, and in names a doubled space and trailing spaces: what a
    Mac and a hurry produce."""
    if not isinstance(text, str):
        return text
    if field == "name":
        text = text.replace(" ", "  ", 1) + "  "
    return unicodedata.normalize("NFD", text)


def _title(ws, row: int, col: int, text: str, span: int = 1, font=_BOLD, center=False) -> None:
    cell = ws.cell(row=row, column=col, value=text)
    cell.font = font
    cell.alignment = _CENTER if center else Alignment(vertical="center")
    if span > 1:
        ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + span - 1)


def _widths(ws, col0: int, order: tuple[str, ...]) -> None:
    width = {"stt": 9, "name": 62, "unit": 17, "value": 12, "note": 30}
    for i, field in enumerate(order):
        ws.column_dimensions[get_column_letter(col0 + i)].width = width[field]
    if col0 > 1:
        ws.column_dimensions["A"].width = 3


def _single_header(ws, r: int, col0: int, labels: tuple[str, ...], text=_identity) -> int:
    for i, label in enumerate(labels):
        cell = ws.cell(row=r, column=col0 + i, value=text(label))
        cell.font, cell.alignment, cell.border = _BOLD, _CENTER, _BORDER
    return r + 1


def _letter_header(ws, r: int, col0: int = 1, text=_identity) -> int:
    """The letter's two-row header with merged cells; returns the next free row."""
    top = {0: "STT", 1: INDICATOR_HEADER, 2: "Kết quả thống kê", 4: "Ghi chú"}
    bottom = {2: "Đơn vị tính", 3: "Số liệu"}
    for i in range(5):
        for rr, labels in ((r, top), (r + 1, bottom)):
            cell = ws.cell(row=rr, column=col0 + i)
            cell.font, cell.alignment, cell.border = _BOLD, _CENTER, _BORDER
    for i, label in top.items():
        ws.cell(row=r, column=col0 + i, value=text(label))
    for i, label in bottom.items():
        ws.cell(row=r + 1, column=col0 + i, value=text(label))
    for i in (0, 1, 4):
        ws.merge_cells(start_row=r, start_column=col0 + i, end_row=r + 1, end_column=col0 + i)
    ws.merge_cells(start_row=r, start_column=col0 + 2, end_row=r, end_column=col0 + 3)
    return r + 2


def _put_row(ws, r: int, col0: int, order: tuple[str, ...], cells: dict, layout: str,
             item: dict | None, n: int, text=_identity) -> None:
    font = _PLAIN
    if item is not None:
        font = _BOLD if item["group"] else _ITALIC if item["italic"] else _PLAIN
    for i, field in enumerate(order):
        content = cells.get(field)
        number_format = None
        if field == "value" and item is not None:
            content, number_format = _cell_value(content, item["row"], layout, n)
        elif field != "value":
            content = text(content, field)
        cell = ws.cell(row=r, column=col0 + i, value=content)
        cell.border = _BORDER
        cell.font = font
        if field in ("name", "unit", "note"):
            cell.alignment = _WRAP
        elif field == "stt":
            cell.alignment = _CENTER
        if number_format:
            cell.number_format = number_format


def _put_items(ws, r: int, col0: int, order: tuple[str, ...], items: list[dict], layout: str,
               text=_identity, page_header=None) -> int:
    """Write the table rows from row ``r``; with ``page_header`` (a function writing a header at
    a row and returning the next row) the letter's page breaks and split rows are reproduced."""
    for n, item in enumerate(items):
        cells = dict(item)
        split = LETTER_PAGE_ENDS.get(item["id"]) if page_header else None
        if split:
            cells[split[0]] = split[1]
        _put_row(ws, r, col0, order, cells, layout, item, n, text)
        r += 1
        if page_header and item["id"] in LETTER_PAGE_ENDS:
            r = page_header(ws, r)
            if split:
                _put_row(ws, r, col0, order, {split[0]: split[2]}, layout, None, n, text)
                ws.cell(row=r, column=col0 + order.index(split[0])).font = (
                    _ITALIC if item["italic"] else _PLAIN)
                r += 1
    return r


def _signature(ws, r: int, col0: int = 1) -> None:
    """The signature block under the table."""
    r += 1
    _title(ws, r, col0 + 1, "NGƯỜI LẬP BIỂU", center=True)
    _title(ws, r, col0 + 3, "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ", span=2, center=True)
    _title(ws, r + 1, col0 + 3, "(Ký tên và đóng dấu)", span=2, font=_ITALIC, center=True)


# --------------------------------------------------------------------------------------------
# Layouts

_LETTER_ORDER = ("stt", "name", "unit", "value", "note")


def _layout_letter(wb, unit_title, period, values, layout="letter", text=_identity):
    """Title block, the two-row merged header repeated at each page break, split rows."""
    ws = wb.active
    ws.title = "PL II"
    r = 1
    _title(ws, r, 1, text(DISTRICT_TITLE), span=2)
    r += 1
    if unit_title:
        _title(ws, r, 1, text(f"TÊN CƠ QUAN: {unit_title}"), span=2)
        r += 1
    r += 1
    _title(ws, r, 1, text("Phụ lục II"), span=5, center=True)
    heading = TABLE_TITLE + (f" {period.upper()}" if period else "")
    _title(ws, r + 1, 1, text(heading), span=5, center=True)
    _title(ws, r + 2, 1, text("(Ban hành kèm theo Công văn của UBND huyện Cẩm Xuyên)"), span=5,
           font=_ITALIC, center=True)
    r += 4
    r = _letter_header(ws, r, text=text)
    repeat = layout == "letter"
    items = _table_items(values, code="nodot" if layout == "nfd_nodots" else "printed")
    r = _put_items(ws, r, 1, _LETTER_ORDER, items, layout, text,
                   page_header=(lambda w, rr: _letter_header(w, rr)) if repeat else None)
    if repeat:
        _signature(ws, r)
        wb.create_sheet("Sheet2")
    _widths(ws, 1, _LETTER_ORDER)


def _layout_own_rows(wb, unit_title, period, values):
    """Only the unit's rows and their parents, one header row, codes without trailing dots."""
    ws = wb.active
    ws.title = "Sheet1"
    order = _LETTER_ORDER
    r = 1
    if unit_title:
        _title(ws, r, 1, f"Đơn vị: {unit_title}", span=2)
        r += 1
    if period:
        _title(ws, r, 1, f"Số liệu cải cách hành chính {period}", span=5, center=True)
        r += 1
    r += 1
    r = _single_header(ws, r, 1, ("STT", "Nội dung", "ĐVT", "Số liệu", "Ghi chú"))
    items = _table_items(values, code="own", plain_names=True, only_given=True)
    _put_items(ws, r, 1, order, items, "own_rows")
    _widths(ws, 1, order)


def _layout_swapped(wb, unit_title, period, values):
    """Agency block, value before unit, a column-numbering row under the header."""
    ws = wb.active
    ws.title = "Biểu số liệu"
    order = ("stt", "name", "value", "unit", "note")
    _title(ws, 1, 1, "UBND HUYỆN CẨM XUYÊN", span=2)
    if unit_title:
        _title(ws, 2, 1, unit_title.upper(), span=2)
    _title(ws, 4, 1, "PHỤ LỤC II", span=5, center=True)
    heading = "SỐ LIỆU THỐNG KÊ CẢI CÁCH HÀNH CHÍNH" + (f" {period.upper()}" if period else "")
    _title(ws, 5, 1, heading, span=5, center=True)
    r = _single_header(ws, 7, 1, ("STT", "Chỉ tiêu", "Số liệu", "Đơn vị tính", "Ghi chú"))
    r = _single_header(ws, r, 1, ("(1)", "(2)", "(3)", "(4)", "(5)"))
    _put_items(ws, r, 1, order, _table_items(values, code="printed"), "swapped")
    _widths(ws, 1, order)


def _layout_text_values(wb, unit_title, period, values):
    """Like the letter (no page breaks), every value typed as text."""
    ws = wb.active
    ws.title = "Phụ lục II"
    _title(ws, 1, 1, "UBND HUYỆN CẨM XUYÊN", span=2)
    r = 2
    if unit_title:
        _title(ws, r, 1, f"Tên cơ quan: {unit_title}", span=2)
        r += 1
    _title(ws, r + 1, 1, "Phụ lục II", span=5, center=True)
    _title(ws, r + 2, 1, TABLE_TITLE, span=5, center=True)
    r += 3
    if period:
        _title(ws, r, 1, f"Kỳ báo cáo: {period}", span=5, font=_ITALIC, center=True)
        r += 1
    r = _letter_header(ws, r + 1)
    _put_items(ws, r, 1, _LETTER_ORDER, _table_items(values, code="printed"), "text_values")
    _widths(ws, 1, _LETTER_ORDER)


def _layout_nfd_nodots(wb, unit_title, period, values):
    """Letter-like, all text decomposed (NFD) with stray spaces, codes without dots, percents
    as fractions in percent-formatted cells."""
    _layout_letter(wb, unit_title, period, values, layout="nfd_nodots", text=_nfd_messy)
    wb.active.title = "Sheet1"


def _narrative(unit_title: str | None, period: str | None) -> list[tuple[str, object]]:
    who = unit_title or "(Tên cơ quan, đơn vị)"
    when = period or "kỳ này"
    year = re.search(r"\d{4}", period or "")
    plan_year = year.group(0) if year else ""
    return [
        ("BÁO CÁO", _BOLD),
        (f"Cải cách hành chính {when}", _BOLD),
        (f"Thực hiện Văn bản của Ủy ban nhân dân huyện về việc báo cáo CCHC {when}, {who} báo cáo "
         f"công tác CCHC {when} như sau:", _PLAIN),
        ("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", _BOLD),
        ("1. Công tác chỉ đạo, điều hành", _BOLD),
        (f"Ngay từ đầu năm, đơn vị đã xây dựng và ban hành Kế hoạch cải cách hành chính năm "
         f"{plan_year}, quán triệt đến toàn thể cán bộ, công chức; phân công cụ thể từng nhiệm vụ "
         "cho lãnh đạo và chuyên viên phụ trách, gắn với kiểm tra, đôn đốc hằng tháng.", _PLAIN),
        ("2. Kết quả thực hiện các nhiệm vụ theo lĩnh vực phụ trách", _BOLD),
        ("Các nhiệm vụ cơ bản được triển khai đúng tiến độ; số liệu chi tiết theo Phụ lục II "
         "kèm theo.", _PLAIN),
        ("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", _BOLD),
        ("Một số nhiệm vụ còn chậm so với kế hoạch; việc cập nhật số liệu trên các hệ thống "
         "thông tin chưa kịp thời. Nguyên nhân chủ yếu do biên chế mỏng, khối lượng công việc "
         "lớn.", _PLAIN),
        ("III. MỘT SỐ NHIỆM VỤ TRỌNG TÂM TRONG THỜI GIAN TỚI", _BOLD),
        ("1. Tiếp tục triển khai đồng bộ các nhiệm vụ theo Kế hoạch CCHC đã đề ra.", _PLAIN),
        ("2. Nâng cao chất lượng giải quyết thủ tục hành chính và dịch vụ công trực tuyến.", _PLAIN),
        (f"Trên đây là báo cáo kết quả thực hiện CCHC {when} của {who}./.", _PLAIN),
    ]


def _layout_narrative_first(wb, unit_title, period, values):
    """Sheet "Phụ lục I" with the narrative report, then "Phụ lục II" with the table from
    column B (column A left empty)."""
    ws = wb.active
    ws.title = "Phụ lục I"
    ws.column_dimensions["A"].width = 100
    _title(ws, 1, 1, (unit_title or "TÊN CƠ QUAN, ĐƠN VỊ").upper())
    _title(ws, 2, 1, "Số:      /BC-....", font=_PLAIN)
    for i, (paragraph, font) in enumerate(_narrative(unit_title, period), start=4):
        cell = ws.cell(row=i, column=1, value=paragraph)
        cell.font, cell.alignment = font, _WRAP
    ws2 = wb.create_sheet("Phụ lục II")
    order = _LETTER_ORDER
    r = 1
    if unit_title:
        _title(ws2, r, 2, f"Đơn vị: {unit_title}", span=2)
        r += 1
    _title(ws2, r, 2, "Phụ lục II", span=5, center=True)
    heading = TABLE_TITLE + (f" {period}" if period else "")
    _title(ws2, r + 1, 2, heading, span=5, center=True)
    r = _single_header(ws2, r + 3, 2, ("STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu",
                                       "Ghi chú"))
    _put_items(ws2, r, 2, order, _table_items(values, code="printed"), "narrative_first")
    _widths(ws2, 2, order)


def _layout_single_header_no_title(wb, unit_title, period, values):
    """Header on row 1, no title at all: ``unit_title`` and ``period`` are not written."""
    ws = wb.active
    ws.title = "Sheet1"
    r = _single_header(ws, 1, 1, ("STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú"))
    _put_items(ws, r, 1, _LETTER_ORDER, _table_items(values, code="printed"),
               "single_header_no_title")
    _widths(ws, 1, _LETTER_ORDER)


_WRITERS = {
    "letter": _layout_letter,
    "own_rows": _layout_own_rows,
    "swapped": _layout_swapped,
    "text_values": _layout_text_values,
    "nfd_nodots": _layout_nfd_nodots,
    "narrative_first": _layout_narrative_first,
    "single_header_no_title": _layout_single_header_no_title,
}


def write_workbook(path, unit_title: str | None, period_title: str | None,
                   values: dict[str, object], layout: str = "letter",
                   meta: dict | None = None) -> pathlib.Path:
    """Write one department's Phụ lục II workbook and return its path (parent dirs created).

    ``unit_title``: what the file says of itself ("Phòng Tư pháp"); None writes no unit title.
    ``period_title``: e.g. "6 tháng đầu năm 2021"; None writes no period.  (Layout
    "single_header_no_title" writes neither.)
    ``values``: catalogue id -> cell content.  Numbers are written as numbers (whole floats as
    ints), except that "text_values" types them as text (``87,5%``/``87,5``, ``1.234``,
    `` 05 ``, code labels such as ``Có``) and "nfd_nodots" writes percents as fractions in
    ``0.0%`` cells.  Strings are written verbatim (openpyxl makes a string starting with "=" a
    formula).  Rows whose id is absent stay empty; ids the catalogue does not know are added
    after the last row as extra rows (STT = the id).
    ``layout``: one of :data:`LAYOUTS`.
    ``meta``: written as key/value rows (A, B) of a hidden sheet ``_cchc``.
    """
    if layout not in _WRITERS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    path = pathlib.Path(path)
    wb = Workbook()
    _WRITERS[layout](wb, unit_title, period_title, values)
    if meta:
        ws = wb.create_sheet("_cchc")
        for key, value in meta.items():
            ws.append([key, value])
        ws.sheet_state = "hidden"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# --------------------------------------------------------------------------------------------
# Demo workspace

SAMPLE_UNITS = ("NV", "TCKH", "TP", "VHTT", "KTHT", "VP")
_SAMPLE_LAYOUTS = {"NV": "letter", "TCKH": "own_rows", "TP": "text_values", "VHTT": "swapped",
                   "KTHT": "single_header_no_title", "VP": "narrative_first"}
UNKNOWN_UNIT_TITLE = "Phòng Tài nguyên và Môi trường"


def _period_words(period_id: str) -> tuple[str, str, str]:
    """(ascii words, tag, Vietnamese words) used in file names."""
    year, part = _PERIOD_RE.match(period_id).groups()
    if part is None:
        return f"nam {year}", year, f"năm {year}"
    if part == "H1":
        return "6 thang", "H1", "6 tháng"
    if part == "9M":
        return "9 thang", "9T", "9 tháng"
    return f"quy {part[1]}", part, f"quý {part[1]}"


def _sample_file_name(unit: str, period_id: str) -> str:
    ascii_words, tag, vn_words = _period_words(period_id)
    return {
        "NV": f"BC CCHC {ascii_words} Noi vu.xlsx",
        "TCKH": f"TCKH_bao_cao_{tag}.xlsx",
        "TP": "Phu luc II - Tu phap.xlsx",
        "VHTT": f"Phụ lục II - VHTT {vn_words}.xlsx",
        "KTHT": f"Bieu so lieu KT-HT {tag}.xlsx",
        "VP": f"VP HĐND-UBND - bao cao CCHC {ascii_words}.xlsx",
        "TNMT": f"BC CCHC TNMT {ascii_words}.xlsx",
    }[unit]


def _on_time(rng: random.Random, deadline: dt.datetime) -> dt.datetime:
    """A submission time in office hours during the last days before the deadline."""
    days_before = rng.randint(0, 3)
    if days_before == 0:
        hour, minute = rng.choice([7, 8]), rng.randint(0, 50)
    else:
        hour, minute = rng.randint(7, 16), rng.randint(0, 59)
    day = deadline.date() - dt.timedelta(days=days_before)
    return dt.datetime.combine(day, dt.time(hour, minute, rng.randint(0, 59)))


def _write_submissions(directory: pathlib.Path, received: list[tuple[str, dt.datetime]]) -> None:
    """``submissions.csv`` (file, received_at) in time order; each file's mtime set to match."""
    rows = sorted(received, key=lambda fr: fr[1])
    with open(directory / "submissions.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "received_at"])
        for name, when in rows:
            writer.writerow([name, when.isoformat(timespec="seconds")])
    for name, when in rows:
        target = directory / name
        if target.exists():
            stamp = when.timestamp()
            os.utime(target, (stamp, stamp))


def _json_value(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def make_sample(root, periods=("2020-H1", "2020", "2021-H1"), seed: int = 0) -> dict:
    """Write a realistic sample workspace under ``root/data/raw/<period>/`` and return a manifest.

    One workbook per unit and period (layouts varied across units, file names like real ones)
    and a ``submissions.csv`` per period.  Problems are planted mostly in the newest period (the
    last of ``periods``): VHTT sends nothing, KTHT is two days late, NV leaves 1.1.2 blank, VP
    breaks 3.1.3 = a + b + c and lets 7.1.8.3 jump, TP types "khoảng 12" in 2.1 and resubmits a
    corrected file the same day, TCKH reports 6.2 lower than the period before, a file comes from
    an unregistered department and ``hong.xlsx`` is random bytes.  In an earlier period VHTT is
    one day late; earlier periods are otherwise clean.

    The manifest: ``{"periods": [...], "planted": [{"period", "unit", "indicator", "check",
    "detail", "file"}, ...], "files": {period: [{"file", "unit", "layout", "received_at"}]},
    "values": {period: {unit: {indicator: value written}}}}``; ``values`` holds what each unit's
    latest file says (a blank is absent, "khoảng 12" is kept as text).  Deterministic for a seed.
    """
    periods = list(periods)
    for period in periods:
        period_title(period)  # validates
    rng = random.Random(seed)
    raw = pathlib.Path(root) / "data" / "raw"
    names = _unit_names()
    newest = periods[-1]
    planted: list[dict] = []
    manifest_files: dict[str, list[dict]] = {}
    manifest_values: dict[str, dict[str, dict]] = {}

    def plant(period, unit, indicator, check, detail, file=None):
        planted.append({"period": period, "unit": unit, "indicator": indicator, "check": check,
                        "detail": detail, "file": file})

    # values of every unit in every period, drifting from the period before
    values: dict[str, dict[str, dict[str, object]]] = {}
    previous: dict[str, dict[str, float]] = {}
    for period in periods:
        values[period] = {}
        for unit in SAMPLE_UNITS:
            current = plausible_values(unit, rng, previous.get(unit))
            previous[unit] = current
            values[period][unit] = dict(current)

    late_earlier = periods[-2] if len(periods) >= 2 else None
    for index, period in enumerate(periods):
        directory = raw / period
        title = period_title(period)
        deadline = _deadline(period)
        received: list[tuple[str, dt.datetime]] = []
        listed: list[dict] = []

        def put(name, unit, layout, when, vals, unit_title, meta=None):
            write_workbook(directory / name, unit_title, title, vals, layout, meta)
            received.append((name, when))
            listed.append({"file": name, "unit": unit, "layout": layout,
                           "received_at": when.isoformat(timespec="seconds")})

        is_newest = period == newest
        before = periods[index - 1] if index > 0 else None
        period_values = values[period]
        for unit in SAMPLE_UNITS:
            vals: dict[str, object] = dict(period_values[unit])
            layout = _SAMPLE_LAYOUTS[unit]
            if unit == "NV" and index % 2 == 1:
                layout = "nfd_nodots"  # another clerk, on a Mac
            name = _sample_file_name(unit, period)
            when = _on_time(rng, deadline)
            meta = None
            if is_newest:
                if unit == "VHTT":
                    plant(period, unit, None, "missing-report",
                          f"{names[unit]} không gửi báo cáo {title}.")
                    continue
                if unit == "KTHT":
                    when = deadline + dt.timedelta(days=2, hours=rng.randint(0, 6),
                                                   minutes=rng.randint(0, 59))
                    plant(period, unit, None, "late-report",
                          f"{names[unit]} gửi lúc {when:%H:%M %d/%m/%Y}, sau hạn "
                          f"{deadline:%H:%M %d/%m/%Y} khoảng 2 ngày.", name)
                if unit == "NV":
                    vals.pop("1.1.2", None)
                    meta = {"unit": "NV", "period": period, "template": "cchc-2021"}
                    plant(period, unit, "1.1.2", "missing-value",
                          "Để trống 1.1.2 (Số nhiệm vụ đã hoàn thành).", name)
                if unit == "VP":
                    parts = vals["3.1.3.a"] + vals["3.1.3.b"] + vals["3.1.3.c"]
                    vals["3.1.3"] = parts + 7
                    plant(period, unit, "3.1.3", "rule-violation",
                          f"3.1.3 = {_vn_number(parts + 7)} nhưng cấp tỉnh + cấp huyện + cấp xã "
                          f"= {_vn_number(parts)}.", name)
                    if before:
                        ref = _year_before(period)
                        ref = ref if ref in values else before
                        old = values[ref]["VP"]["7.1.8.3"]
                        vals["7.1.8.3"] = 85.0
                        plant(period, unit, "7.1.8.3", "large-change",
                              f"7.1.8.3 tăng từ {_vn_number(old)}% ({period_title(ref)}) "
                              f"lên 85%.", name)
                if unit == "TCKH" and before:
                    old = values[before]["TCKH"]["6.2"]
                    vals["6.2"] = max(0.0, old - 2)
                    plant(period, unit, "6.2", "cumulative-decrease",
                          f"6.2 (lũy kế) giảm từ {_vn_number(old)} ({period_title(before)}) "
                          f"xuống {_vn_number(vals['6.2'])}.", name)
                if unit == "TP":
                    vals["2.1"] = "khoảng 12"
                    # the first file, replaced the same afternoon (only 2.3 differs)
                    first = dict(vals)
                    first["2.3"] = float(vals["2.3"]) + 3
                    morning = dt.datetime.combine(deadline.date() - dt.timedelta(days=1),
                                                  dt.time(9, rng.randint(0, 59), rng.randint(0, 59)))
                    put(name, unit, layout, morning, first, names[unit])
                    when = morning.replace(hour=15, minute=rng.randint(0, 59))
                    second = "Phu luc II - Tu phap (sua lai).xlsx"
                    plant(period, unit, None, "duplicate-submission",
                          f"Gửi \"{name}\" lúc {morning:%H:%M} rồi gửi lại bản sửa "
                          f"\"{second}\" lúc {when:%H:%M} cùng ngày {when:%d/%m/%Y}.", second)
                    plant(period, unit, "2.1", "type-error",
                          "2.1 ghi \"khoảng 12\" thay vì một số (ở cả hai tệp).", second)
                    name = second
            elif period == late_earlier and unit == "VHTT":
                when = deadline + dt.timedelta(days=1, hours=rng.randint(0, 5),
                                               minutes=rng.randint(0, 59))
                plant(period, unit, None, "late-report",
                      f"{names[unit]} gửi lúc {when:%H:%M %d/%m/%Y}, sau hạn "
                      f"{deadline:%H:%M %d/%m/%Y} khoảng 1 ngày.", name)
            put(name, unit, layout, when, vals, names[unit], meta)
            manifest_values.setdefault(period, {})[unit] = {
                k: _json_value(v) for k, v in vals.items()}

        if is_newest:
            name = _sample_file_name("TNMT", period)
            tnmt = {"1.1.1": 12.0, "1.1.2": 5.0, "1.1.3": 3.0, "3.4.4": 93.5}
            put(name, None, "swapped", _on_time(rng, deadline), tnmt, UNKNOWN_UNIT_TITLE)
            plant(period, None, None, "unknown-unit",
                  f"Tệp của \"{UNKNOWN_UNIT_TITLE}\", đơn vị không có trong danh sách.", name)
            directory.mkdir(parents=True, exist_ok=True)
            (directory / "hong.xlsx").write_bytes(b"PK\x03\x04" + rng.randbytes(4096))
            when = _on_time(rng, deadline)
            received.append(("hong.xlsx", when))
            listed.append({"file": "hong.xlsx", "unit": None, "layout": None,
                           "received_at": when.isoformat(timespec="seconds")})
            plant(period, None, None, "unreadable-file",
                  "Tệp hong.xlsx bị hỏng (không phải bảng tính Excel hợp lệ).", "hong.xlsx")

        directory.mkdir(parents=True, exist_ok=True)
        _write_submissions(directory, received)
        manifest_files[period] = sorted(listed, key=lambda f: f["received_at"])
        manifest_values.setdefault(period, {})

    return {"periods": periods, "planted": planted, "files": manifest_files,
            "values": manifest_values}


# --------------------------------------------------------------------------------------------
# Benchmark

_BULK_LAYOUTS = ("letter", "swapped", "text_values", "nfd_nodots", "narrative_first")


def make_bulk(directory, n_files: int, seed: int = 0,
              period: str = "2021-H1") -> list[pathlib.Path]:
    """Write ``n_files`` full-table workbooks (~140 rows each) into ``directory`` for a benchmark.

    Units cycle through the six departments and, independently, layouts through those with a
    title naming the unit ("letter", "swapped", "text_values", "nfd_nodots", "narrative_first");
    file names are unique and carry the unit code too.  Also writes ``submissions.csv`` (all on
    time).  Returns the workbook paths in order.
    """
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    names = _unit_names()
    title = period_title(period)
    start = _deadline(period) - dt.timedelta(days=5)
    paths, received = [], []
    for i in range(n_files):
        unit = SAMPLE_UNITS[i % len(SAMPLE_UNITS)]
        layout = _BULK_LAYOUTS[(i // len(SAMPLE_UNITS)) % len(_BULK_LAYOUTS)]
        name = f"{i + 1:05d} - {unit} - {layout}.xlsx"
        paths.append(write_workbook(directory / name, names[unit], title,
                                    plausible_values(unit, rng), layout))
        received.append((name, start + dt.timedelta(seconds=i * 7 % (4 * 86400))))
    _write_submissions(directory, received)
    return paths
