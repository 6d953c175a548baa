"""What was sent: the departments' workbooks -> one tidy frame of values, plus findings.

For every workbook under ``data/raw/<period>/`` this module finds the Phụ lục II table (by its
header, on whichever sheet holds it), recognises the reporting unit and the period the file
claims, maps each row to an indicator id, and parses each value by the indicator's kind. Nothing
in a file is executed; a file that cannot be read becomes a finding and the run goes on. The
departments' Word reports (Phụ lục I) in the same folder are read by :mod:`cchc_analysis.narrative`
(their paragraphs by heading; a Phụ lục II table inside one through :func:`sheet_table` and
:func:`read_table`, like a sheet).

Outputs (see DESIGN.md): ``values`` (``period, unit, indicator, value, raw, source_file, sheet,
row, superseded``), ``findings`` (:data:`cchc_analysis.findings.FINDING_COLUMNS`), and two frames
the checks use: ``cells`` (every table row matched to an indicator, empty ones included:
``unit, indicator, status, source_file, sheet, row``) and ``files`` (one row per file).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import math
import os
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import findings as F
from .catalogue import as_records as _records, catalogue_records, parse_choices, unit_records
from .matching import IndicatorMatcher, UnitMatcher, normalise_code, split_leading_code
from .narrative import DOCUMENT_SUFFIXES, narrative_frame
from .parse import EMPTY, NO_VALUE, NO_VALUE_MARKERS, OK, Parsed, expected_text, parse_value
from .periods import Period, period_in_text
from .text import display_name, fold, nfc
from .workbook import WORKBOOK_SUFFIXES, Limits, SheetData, Workbook, WorkbookError, cell_reference, reader_failure

if TYPE_CHECKING:  # the reading itself needs no pandas: only the frames of IngestResult do
    import pandas as pd

VALUE_COLUMNS = ["period", "unit", "indicator", "value", "raw", "source_file", "sheet", "row", "superseded"]
CELL_COLUMNS = ["unit", "indicator", "status", "source_file", "sheet", "row"]
FILE_COLUMNS = [
    "source_file", "unit", "unit_source", "unit_title", "period_found", "received_at",
    "time_source", "status", "sheet", "n_values",
]
META_SHEET = "_cchc"
SUBMISSIONS = "submissions.csv"
IGNORED_FILES = {SUBMISSIONS, "readme.md", "readme.txt", ".gitkeep", "thumbs.db", ".ds_store"}

_TITLE_LABELS = {
    "ten co quan", "ten co quan don vi", "co quan", "don vi", "don vi bao cao", "ten don vi",
    "co quan bao cao", "co quan don vi", "ten co quan don vi bao cao", "co quan don vi bao cao",
    "don vi gui", "noi gui",
}
_SKIP_TITLE_PREFIXES = ("kinh gui", "noi nhan", "gui ", "dong gui")
_SIGNATURE = re.compile(
    r"^(?:nguoi lap( bieu)?|thu truong|truong phong|pho truong phong|ky ten|\(?ky ten|noi nhan|xac nhan|"
    r"lanh dao|giam doc|chanh van phong|pho chanh van phong|tm |kt |ke toan|can bo lap|nguoi duyet)"
)
_DATE_LINE = re.compile(r"\bngay\b.*\bthang\b.*\bnam\b")
_UNIT_HEADING = re.compile(r"^(?:phong|van phong|ubnd xa|uy ban nhan dan xa|trung tam|ban quan ly|ban) ")
#: a run of rows matching no indicator longer than this ends the table (junk under it)
MAX_UNMATCHED_RUN = 100
#: unknown-indicator findings named one by one per sheet; the rest are summed up in one
MAX_UNKNOWN_SHOWN = 20
_NUMBERING = re.compile(r"^\(?(\d{1,2}|[a-eA-E])\)?$")


# --------------------------------------------------------------------------------------------
# the table inside a sheet


@lru_cache(maxsize=8192)
def _column_role(label: str) -> str | None:
    """The role of a header cell from its folded label: stt, name, unit, value, note, or the weak
    ``value?`` (a results or period heading that may be the value column)."""
    if not label:
        return None
    if "ghi chu" in label:
        return "note"
    if "don vi tinh" in label or re.search(r"\bdvt\b", label):
        return "unit"
    if "so lieu" in label or "gia tri" in label:
        return "value"
    if any(k in label for k in ("chi tieu", "noi dung", "tieu chi", "danh muc", "ten chi")):
        return "name"
    if label in ("stt", "tt", "so tt", "so thu tu", "ma so", "ma", "ma chi tieu", "ma so chi tieu", "so") or label.startswith("stt"):
        return "stt"
    if "ket qua" in label or "thuc hien" in label or period_in_text(label) or re.fullmatch(r"(?:nam )?\d{4}", label):
        return "value?"
    return None


@lru_cache(maxsize=16384)
def _text_role(text: str) -> str | None:
    """:func:`_column_role` of a cell's text."""
    return _column_role(fold(text))


@dataclass
class Table:
    """Where the Phụ lục II table of a sheet is: its header rows and column roles (0-based)."""

    header_row: int
    data_start: int
    columns: dict[str, int]
    extra_value_columns: list[int] = field(default_factory=list)


class _Grid:
    """A sheet's cells with merged ranges resolved to their top-left value."""

    def __init__(self, sheet: SheetData):
        self.rows = sheet.rows
        self._width = max(map(len, self.rows), default=0)
        self._labels: dict[int, list[str]] = {}
        self.merged_anchor: dict[tuple[int, int], tuple[int, int]] = {}
        # row -> the (column, anchor row, anchor column) of each of its merged cells but anchors
        self._merged_cells: dict[int, list[tuple[int, int, int]]] = {}
        anchors, by_row = self.merged_anchor, self._merged_cells
        for r0, c0, r1, c1 in sheet.merged:
            if (r1 - r0 + 1) * (c1 - c0 + 1) > 2000:
                continue
            anchor = (r0, c0)
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    if r != r0 or c != c0:
                        anchors[(r, c)] = anchor
                        by_row.setdefault(r, []).append((c, r0, c0))
        self._merged_rows = self.merged_rows = set(self._merged_cells)

    def value(self, r: int, c: int, resolve_merged: bool = False):
        if resolve_merged and (r, c) in self.merged_anchor:
            r, c = self.merged_anchor[(r, c)]
        if r < len(self.rows) and c < len(self.rows[r]):
            return self.rows[r][c]
        return None

    def width(self) -> int:
        return self._width

    def labels(self, r: int) -> list[str]:
        """The folded text of every column of row ``r``, merged ranges resolved ('' for a cell
        holding no text; computed once per row)."""
        labels = self._labels.get(r)
        if labels is None:
            labels = self._labels[r] = [fold(v) if isinstance(v, str) else "" for v in self.resolved(r)]
        return labels

    def resolved(self, r: int) -> list:
        """:meth:`value` of every column of row ``r``, merged ranges resolved."""
        rows, width = self.rows, self._width
        values = list(rows[r]) if r < len(rows) else []
        values += [None] * (width - len(values))
        for c, r0, c0 in self._merged_cells.get(r, ()):
            if c < width:
                values[c] = rows[r0][c0] if r0 < len(rows) and c0 < len(rows[r0]) else None
        return values

    def row_roles(self, r: int) -> dict[str, int]:
        """:func:`_roles` of the single row ``r`` (merged ranges resolved only in rows that have
        them). Read-only: the dict may be shared (:func:`_roles_of_values`)."""
        if r in self._merged_rows:
            return _roles_of_values(self.resolved(r))
        return _roles_of_values(self.rows[r] if r < len(self.rows) else ())


def _cell_roles(values) -> tuple[dict[str, int], bool]:
    """The role of each text cell of a row (role -> first column naming it), and whether the row
    holds nothing but texts and empty cells. Asked of nearly every row, so kept to a plain loop
    (the role of a text is cached: :func:`_text_role`)."""
    found: dict[str, int] = {}
    texts_only = True
    text_role = _text_role
    for c, v in enumerate(values):
        if v.__class__ is str:
            if v:
                role = text_role(v)
                if role and role not in found:
                    found[role] = c
        elif v is not None:
            texts_only = False
    return found, texts_only


#: entries of each memo of the reading (:func:`_remember`): a letter has some 150 rows, a
#: period's workbooks a few layouts of them
_MEMO_SIZE = 4096
#: the most characters a row (or a label) kept in a memo holds: what a memo keeps alive stays
#: small whatever a workbook holds (a row of the letter holds a few hundred)
_MEMO_TEXT = 1000
_row_roles_memo: dict[tuple, dict[str, int]] = {}


def _roles_of_values(row) -> dict[str, int]:
    """The roles of a row's values (:func:`_cell_roles`), read-only.

    A row holding only texts and empty cells (the letter's headings and row labels, a row left
    blank) recurs in every workbook of a period: its roles are kept, keyed by the row's cells.
    Rows whose cells are equal hold the same texts in the same columns (a text equals nothing but
    the same text; numbers, booleans and dates, whatever they equal among themselves, name no
    role), and roles depend on nothing else (no sheet, no catalogue, no period), so an entry is
    right wherever it is found. A row holding a value is not kept: values differ from file to
    file, such rows would only crowd out the others; nor is a row of long texts (:data:`_MEMO_TEXT`)."""
    key = tuple(row)
    found = _row_roles_memo.get(key)
    if found is None:
        found, texts_only = _cell_roles(row)
        if texts_only and sum(map(len, filter(None, key))) <= _MEMO_TEXT:
            _remember(_row_roles_memo, key, found)
    return found


def _remember(memo: dict, key, value) -> None:
    """Keep ``value`` under ``key`` in one of the reading's memos, bounded: a full memo (at
    :data:`_MEMO_SIZE` entries) is emptied first."""
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = value


def _roles(grid: _Grid, rows: list[int]) -> dict[str, int]:
    """Column roles read from the header row(s) ``rows`` (labels of stacked rows joined)."""
    if len(rows) == 1:
        return grid.row_roles(rows[0])
    found: dict[str, int] = {}
    stacked = [grid.labels(r) for r in rows]
    for c in range(grid.width()):
        parts = []
        for labels in stacked:
            label = labels[c]
            if label and label not in parts:
                parts.append(label)
        role = _column_role(" ".join(parts))
        if role and role not in found:
            found[role] = c
    return found


def _is_header(roles: dict[str, int]) -> bool:
    strong = {"stt", "unit", "value", "value?", "note"} & set(roles)
    return "name" in roles and len(strong) >= 2


def _looks_like_header_part(grid: _Grid, r: int) -> bool:
    """A header's second row, or a repeated header: labels only, no code and no number."""
    row = grid.rows[r] if r < len(grid.rows) else []
    if any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row):
        return False
    if not _roles_of_values(row):  # no text naming a column's role (or no text at all)
        return False
    return not any(normalise_code(v) for v in row if isinstance(v, str))


def _is_numbering_cell(v) -> str | bool | None:
    """A cell of a numbering row: None for an empty cell, its text when it reads as '(1)', '2'
    or 'a', False otherwise."""
    if v is None or v == "":
        return None
    text = f"{v:g}" if isinstance(v, float) else str(v).strip()
    return text if _NUMBERING.match(text) else False


def _may_be_numbering(cell) -> bool:
    """False when ``cell`` alone shows that its row is not a numbering row: it is not empty and
    does not read as '(1)', '2' or 'a' (:func:`_is_numbering` asks the same of every cell)."""
    return _is_numbering_cell(cell) is not False


def _is_numbering(row: list) -> bool:
    """The '(1) (2) (3) (4) (5)' row under a header."""
    texts = []
    for v in row:  # most rows fail on their first non-empty cell: stop there
        text = _is_numbering_cell(v)
        if text is None:
            continue
        if text is False:
            return False
        texts.append(text)
    if len(texts) < 3:
        return False
    digits = [int(re.sub(r"\D", "", t)) for t in texts if re.sub(r"\D", "", t)]
    return len(digits) >= 3 and digits == list(range(digits[0], digits[0] + len(digits)))


def _value_candidates(grid: _Grid, rows: list[int], roles: dict[str, int]) -> list[tuple[int, str, str]]:
    """Every column whose heading says it holds values: (column, role, folded label)."""
    used = {c for role, c in roles.items() if role not in ("value", "value?")}
    found = []
    stacked = [grid.labels(r) for r in rows]
    for c in range(grid.width()):
        if c in used:
            continue
        parts: list[str] = []
        for labels in stacked:
            if labels[c] and labels[c] not in parts:
                parts.append(labels[c])
        label = " ".join(parts)
        role = _column_role(label)
        if role in ("value", "value?"):
            found.append((c, role, label))
    return found


def _choose_value_column(candidates: list[tuple[int, str, str]], period: Period | None) -> tuple[int, list[int]] | None:
    """With several value columns ('Số liệu 6 tháng 2020 | Số liệu 6 tháng 2021'), the one whose
    heading names this period, else one naming no other period, strong headings first; and the
    others, which the reader reports as ignored."""
    if len(candidates) < 2:
        return None

    def rank(item: tuple[int, str, str]) -> tuple:
        column, role, label = item
        named = period_in_text(label)
        place = 0 if (named is not None and period is not None and named == period) else (2 if named is not None else 1)
        return (place, role != "value", column)

    best = min(candidates, key=rank)
    return best[0], [c for c, _, _ in candidates if c != best[0]]


def find_tables(sheet: SheetData, period: Period | None = None) -> tuple[Table | None, set[int]]:
    """The Phụ lục II table of a sheet (or None) and the rows that repeat its header. ``period``
    chooses among several value columns headed by period."""
    grid = _Grid(sheet)
    header_rows: list[int] = []
    table: Table | None = None
    merged_rows = grid.merged_rows
    for r, row in enumerate(grid.rows):  # every row: the table's header, and any repeat of it
        single = grid.row_roles(r) if r in merged_rows else _roles_of_values(row)
        if len(single) < 3:  # a header names 3 roles or more
            continue
        if r in merged_rows and not any(isinstance(v, str) and v.strip() for v in row):
            continue  # a row inside a merged heading, with no text of its own
        if not _is_header(single):
            continue
        header_rows.append(r)
        if table is not None:
            continue
        double = _roles(grid, [r, r + 1]) if r + 1 < len(grid.rows) else single
        use_double = len(set(double) - {"value?"}) > len(set(single) - {"value?"}) and _looks_like_header_part(grid, r + 1)
        roles = double if use_double else single
        start = r + (2 if use_double else 1)
        table = Table(header_row=r, data_start=start, columns=_value_column(grid, roles, start))
        chosen = _choose_value_column(_value_candidates(grid, [r, r + 1] if use_double else [r], roles), period)
        if chosen is not None:
            table.columns["value"], table.extra_value_columns = chosen
    if table is None:
        return None, set()
    skip: set[int] = set()
    for r in header_rows:
        skip.add(r)
        nxt = r + 1
        while nxt < len(grid.rows) and (_looks_like_header_part(grid, nxt) or _is_numbering(grid.rows[nxt])):
            skip.add(nxt)
            nxt += 1
    while table.data_start in skip:
        table.data_start += 1
    return table, skip


_NUMERIC_TEXT = re.compile(r"^\s*[\d.,]+\s*%?\s*$")


def _numeric_share(grid: _Grid, c: int, start: int) -> int:
    count = 0
    rows = grid.rows
    for r in range(start, len(rows)):
        row = rows[r]
        v = row[c] if c < len(row) else None
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            count += 1
        elif isinstance(v, str) and _NUMERIC_TEXT.match(v):
            count += 1
    return count


def _value_column(grid: _Grid, roles: dict[str, int], start: int) -> dict[str, int]:
    """Settle the value column: the 'Số liệu' heading, else a results/period heading, else the
    unlabelled column holding the most numbers."""
    roles = dict(roles)
    weak = roles.pop("value?", None)
    if "value" not in roles:
        if weak is not None:
            roles["value"] = weak
        else:
            used = set(roles.values())
            candidates = [c for c in range(grid.width()) if c not in used]
            scored = sorted(((_numeric_share(grid, c, start), -c) for c in candidates), reverse=True)
            if scored and scored[0][0] > 0:
                roles["value"] = -scored[0][1]
    return roles


def _content_table(sheet: SheetData, matcher: IndicatorMatcher) -> Table | None:
    """A table without a recognisable header: find the code, name and value columns by content."""
    grid = _Grid(sheet)
    width = grid.width()
    if not grid.rows or width == 0:
        return None
    code_hits = [0] * width
    name_hits = [0] * width
    for r in range(min(len(grid.rows), 400)):
        row = grid.rows[r]
        n = len(row)
        for c in range(width):
            v = row[c] if c < n else None
            if isinstance(v, str) and len(v) >= 12 and matcher.match("", v):
                name_hits[c] += 1
            elif normalise_code(v) in matcher.id_set:
                code_hits[c] += 1
    name_col = max(range(width), key=lambda c: name_hits[c])
    if name_hits[name_col] < 5:
        return None
    columns = {"name": name_col}
    code_col = max(range(width), key=lambda c: code_hits[c] if c != name_col else -1)
    if code_hits[code_col] >= 3:
        columns["stt"] = code_col
    first = next(r for r in range(len(grid.rows)) if any(
        isinstance(grid.value(r, name_col), str) and matcher.match("", grid.value(r, name_col)) for _ in [0]))
    candidates = [c for c in range(width) if c not in columns.values()]
    scored = sorted(((_numeric_share(grid, c, first), -c) for c in candidates), reverse=True)
    if scored and scored[0][0] > 0:
        columns["value"] = -scored[0][1]
    return Table(header_row=max(first - 1, 0), data_start=first, columns=columns)


# --------------------------------------------------------------------------------------------
# who sent it, for which period


def _meta(book: Workbook) -> dict[str, str]:
    if META_SHEET not in book.sheet_names:
        return {}
    try:
        rows = book.sheet(META_SHEET).rows
    except WorkbookError:
        return {}
    return {fold(r[0]): nfc(r[1]) for r in rows if len(r) >= 2 and isinstance(r[0], str) and r[1] not in (None, "")}


def _title_texts(sheet: SheetData, before: int) -> list[str]:
    texts = []
    for r in range(min(before, len(sheet.rows), 25)):
        for v in sheet.rows[r]:
            if isinstance(v, str) and v.strip():
                texts.append(nfc(v))
    return texts


def _labelled_unit(text: str) -> str | None:
    """The value of a 'TÊN CƠ QUAN: X' / 'Đơn vị: X' title, or None."""
    if ":" not in text:
        return None
    label, _, value = text.partition(":")
    if fold(label) not in _TITLE_LABELS:
        return None
    value = value.strip(" .…_-")
    return value or None


@dataclass
class UnitFound:
    code: str | None
    source: str  # meta | title | heading | filename | none
    title: str = ""
    ambiguous: tuple[str, ...] = ()


def recognise_unit(meta: dict, titles: list[str], file_name: str, units: UnitMatcher) -> UnitFound:
    """The unit of a file: template metadata, then a labelled title, then an unlabelled heading
    naming a unit in full, then the file name (DESIGN.md). A labelled title that names no
    registered unit gives ``code=None`` even when the file name would match."""
    if meta.get("unit"):
        code = meta["unit"].strip().upper()
        if code in units.names:
            return UnitFound(code, "meta", meta["unit"])
        found = units.candidates(meta["unit"], abbreviations=True)
        if len(found) == 1:
            return UnitFound(found.pop(), "meta", meta["unit"])
        return UnitFound(None, "meta", meta["unit"], tuple(sorted(found)))
    for text in titles:
        value = _labelled_unit(text)
        if value is None:
            continue
        found = units.candidates(value, abbreviations=True)
        if len(found) == 1:
            return UnitFound(found.pop(), "title", value)
        return UnitFound(None, "title", value, tuple(sorted(found)))
    heading: set[str] = set()
    heading_text = ""
    unregistered = ""
    for text in titles:
        folded = fold(text)
        if folded.startswith(_SKIP_TITLE_PREFIXES):
            continue
        found = units.candidates(text, abbreviations=False)
        if found:
            heading |= found
            heading_text = heading_text or text
        elif _UNIT_HEADING.match(folded) and len(folded.split()) <= 12:
            unregistered = unregistered or text
    by_name = units.candidates(Path(file_name).stem.replace("_", " "), abbreviations=True)
    if not heading and unregistered:
        # a heading that names an agency the registry does not know: not a match, whatever the file name says
        return UnitFound(None, "heading", unregistered)
    if len(heading) == 1:
        return UnitFound(next(iter(heading)), "heading", heading_text)
    if len(heading) > 1:
        both = heading & by_name
        if len(both) == 1:
            return UnitFound(both.pop(), "filename", file_name)
        return UnitFound(None, "heading", heading_text, tuple(sorted(heading)))
    if len(by_name) == 1:
        return UnitFound(by_name.pop(), "filename", file_name)
    return UnitFound(None, "none", file_name, tuple(sorted(by_name)))


def recognise_period(meta: dict, titles: list[str]) -> Period | None:
    """The period a file claims: its metadata, else the first title naming a period."""
    if meta.get("period"):
        try:
            return Period.parse(meta["period"])
        except ValueError:
            pass
    for text in titles:
        found = period_in_text(fold(text))
        if found:
            return found
    return None


# --------------------------------------------------------------------------------------------
# submission times


_VN_STAMP = re.compile(
    r"^(?:(\d{1,2})[:h](\d{2})\s*(?:ngày\s*)?)?(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s+(\d{1,2})[:h](\d{2})?)?$"
)


def parse_timestamp(text: str, timezone: str = "Asia/Ho_Chi_Minh") -> datetime | None:
    """A received time as naive local time of the district: ISO 8601 (an offset or 'Z' is converted
    to ``timezone``), or the Vietnamese ways '17/06/2021 10:00', '10h00 17/6/2021', '17-06-2021'."""
    text = nfc(text)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        match = _VN_STAMP.match(text)
        if not match:
            return None
        h1, m1, day, month, year, h2, m2 = match.groups()
        hour, minute = (h1, m1) if h1 else (h2, m2)
        try:
            when = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
        except ValueError:
            return None
    if when.tzinfo is not None:
        try:
            from zoneinfo import ZoneInfo

            zone = ZoneInfo(timezone)
        except Exception:  # no time-zone database: Việt Nam has kept UTC+7 since 1975
            from datetime import timedelta
            from datetime import timezone as fixed

            zone = fixed(timedelta(hours=7))
        when = when.astimezone(zone).replace(tzinfo=None)
    return when


def submission_times(raw_dir: Path, timezone: str = "Asia/Ho_Chi_Minh",
                     problems: list[dict] | None = None, period: str = "") -> dict[str, datetime]:
    """``received_at`` of each file listed in ``submissions.csv`` (keys: relative path and name).
    A line whose time cannot be read is a finding in ``problems`` (the file's own time is used)."""
    path = raw_dir / SUBMISSIONS
    times: dict[str, datetime] = {}
    if not path.is_file():
        return times
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            name = nfc(row.get("file", ""))
            stamp = (row.get("received_at") or "").strip()
            if not name:
                continue
            when = parse_timestamp(stamp, timezone) if stamp else None
            if when is None:
                if problems is not None:
                    problems.append(F.make(
                        "submission-time", f"dòng {line} của {SUBMISSIONS}: thời điểm nhận '{stamp}' của tệp '{name}' "
                        "không đọc được (đúng dạng: 2021-06-15T08:30 hoặc 15/06/2021 08:30); tạm dùng thời điểm sửa tệp.",
                        period=period, source_file=SUBMISSIONS, row=line))
                continue
            times[name] = when
            times.setdefault(Path(name).name, when)
    return times


# --------------------------------------------------------------------------------------------
# one file


@dataclass
class _Context:
    period: str
    catalogue: object  # the catalogue as given (rows or frame)
    matcher: IndicatorMatcher
    units: UnitMatcher
    limits: Limits
    specs: dict[str, dict]
    #: rows read under this context (:func:`_row_label`)
    row_memo: dict = field(default_factory=dict, repr=False, compare=False)


def _raw_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{int(value)}" if value.is_integer() else repr(value)
    if isinstance(value, (int,)):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value))


@dataclass
class FileResult:
    cells: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    record: dict = field(default_factory=dict)


def _new_record(source_file: str, status: str = "ok") -> dict:
    return {"source_file": source_file, "unit": "", "unit_source": "", "unit_title": "", "period_found": "",
            "status": status, "sheet": "", "n_values": 0}


def read_file(path: Path, source_file: str, ctx: _Context, unit_override: str | None = None,
              streaming: bool = False) -> FileResult:
    """Read one workbook into matched rows and findings. Never raises for a bad file (but a
    hostile file may exhaust the process: read a folder with :func:`collect`, whose worker
    processes bound that).

    ``unit_override`` skips unit recognition and credits every row to that code (used to read the
    district's own consolidated workbook of an earlier period); ``streaming`` reads an .xlsx
    with openpyxl's read-only mode (:class:`~cchc_analysis.workbook.Workbook`)."""
    result = FileResult(record=_new_record(source_file))
    record = result.record

    def finding(check, message, **kw):
        result.findings.append(F.make(check, message, period=ctx.period, source_file=source_file, **kw))

    try:
        book = Workbook(path, ctx.limits, streaming=streaming)
        try:
            _read_book(book, path, source_file, ctx, result, finding, unit_override)
        except MemoryError:
            raise
        except Exception as error:  # a bug must not stop the period: say so and go on
            record["status"] = "unreadable"
            finding("unreadable-file", f"lỗi khi đọc tệp ({type(error).__name__}: {str(error)[:150]}); "
                    "đề nghị báo cho bộ phận kỹ thuật.")
        finally:
            book.close()
    except MemoryError:  # the memory cap of this (worker) process
        return refused(source_file, ctx, reader_failure("crash", ctx.limits))
    except WorkbookError as error:
        return refused(source_file, ctx, error)
    except Exception as error:  # pragma: no cover - last line of defence
        record["status"] = "unreadable"
        finding("unreadable-file", f"không đọc được tệp ({type(error).__name__}); đề nghị gửi lại.")
    return result


def refused(source_file: str, ctx: _Context, error: WorkbookError) -> FileResult:
    """The result of a file that could not be read as a workbook."""
    result = FileResult(record=_new_record(source_file, "unreadable"))
    result.findings.append(F.make("unreadable-file", f"không đọc được tệp: {error.reason}.", period=ctx.period,
                                  source_file=source_file))
    return result


def _read_book(book: Workbook, path: Path, source_file: str, ctx: _Context, result: FileResult, finding,
               unit_override: str | None = None) -> None:
    record = result.record
    meta = _meta(book)
    tables: list[tuple[SheetData, Table, set[int]]] = []
    names = [n for n in book.sheet_names if n != META_SHEET]
    if meta.get("sheet") in names:
        names = [meta["sheet"]]  # the template says which sheet holds the table
    if len(names) > ctx.limits.max_sheets:
        finding("truncated-sheet", f"tệp có {len(names)} trang, chỉ đọc {ctx.limits.max_sheets} trang đầu.")
        names = names[: ctx.limits.max_sheets]
    for name in names:
        try:
            sheet = book.sheet(name)
        except WorkbookError as error:
            finding("unreadable-file", f"{error.reason}.", sheet=name, severity="warning")
            continue
        located = sheet_table(sheet, ctx)
        if located is None:
            continue
        table, skip = located
        if sheet.truncated:
            size = f"{sheet.total_rows} dòng" if sheet.total_rows else f"hơn {ctx.limits.max_rows} dòng"
            finding("truncated-sheet",
                    f"trang có {size}, vượt giới hạn {ctx.limits.max_rows}; chỉ đọc {ctx.limits.max_rows} dòng đầu.",
                    sheet=name)
        if getattr(sheet, "cols_truncated", False):
            finding("truncated-sheet",
                    f"trang có số liệu đến cột {sheet.total_cols}, vượt giới hạn {ctx.limits.max_cols} cột; "
                    f"chỉ đọc {ctx.limits.max_cols} cột đầu.", sheet=name)
        tables.append((sheet, table, skip))
    if not tables:
        record["status"] = "no-table"
        finding("unreadable-file",
                "không tìm thấy bảng Phụ lục II (cần có tiêu đề cột STT, Chỉ tiêu, Đơn vị tính, Số liệu, Ghi chú); "
                "đề nghị dùng đúng mẫu Phụ lục II.")
        return
    visible = [t for t in tables if not t[0].hidden]
    if visible and len(visible) < len(tables):
        for sheet, _, _ in tables:
            if sheet.hidden:
                finding("ignored-sheet", f"trang ẩn '{sheet.name}' cũng có bảng Phụ lục II nhưng không được đọc; "
                        "chỉ đọc các trang đang hiện. Nếu trang ẩn mới là số liệu đúng, đề nghị hiện trang đó và xóa bảng cũ.",
                        sheet=sheet.name)
        tables = visible
    if not meta.get("period") and len(tables) > 1:
        tables = _drop_other_periods(tables, ctx, finding)
    titles: list[str] = []
    for sheet, table, _ in tables:
        titles += _title_texts(sheet, table.header_row)
    if unit_override:
        unit = UnitFound(unit_override, "override", unit_override)
    else:
        unit = recognise_unit(meta, titles, path.name, ctx.units)
    record.update(unit=unit.code or "", unit_source=unit.source, unit_title=unit.title,
                  sheet=";".join(s.name for s, _, _ in tables))
    claimed = recognise_period(meta, titles)
    record["period_found"] = claimed.id if claimed else ""
    rows: list[dict] = []
    for sheet, table, skip in tables:
        rows += _read_table(book, sheet, table, skip, source_file, ctx, result, finding)
    n_values = sum(1 for r in rows if r["status"] != EMPTY)
    if unit.code is None:
        record["status"] = "unknown-unit"
        if unit.ambiguous:
            what = f"'{unit.title}' có thể là nhiều đơn vị ({', '.join(unit.ambiguous)})"
        elif unit.source in ("title", "meta", "heading"):
            what = f"đơn vị '{unit.title}' không có trong danh sách đơn vị báo cáo"
        else:
            what = "không tìm thấy tên đơn vị trong tệp (dòng 'TÊN CƠ QUAN: ...' hoặc 'Đơn vị: ...') hay tên tệp"
        finding("unknown-unit", f"{what}; {n_values} số liệu của tệp chưa được tổng hợp. "
                "Đề nghị ghi rõ tên đơn vị ở đầu biểu (ví dụ 'TÊN CƠ QUAN: Phòng Nội vụ').")
        return
    if claimed is not None and claimed.id != ctx.period:
        record["status"] = "period-mismatch"
        finding("period-mismatch",
                f"tệp ghi kỳ báo cáo '{claimed.title}' ({claimed.id}) nhưng nằm trong thư mục kỳ {ctx.period}; "
                f"{n_values} số liệu của tệp không được tính vào kỳ này. Đề nghị kiểm tra và gửi đúng biểu của kỳ {ctx.period}.",
                unit=unit.code)
        return
    for row in rows:
        row["unit"] = unit.code
    for item in result.findings:
        if not item["unit"]:
            item["unit"] = unit.code
    result.cells = rows
    record["n_values"] = n_values


def _drop_other_periods(tables: list, ctx: _Context, finding) -> list:
    """In a workbook holding several tables (a sheet per period, say), the tables whose own title
    or sheet name names another period are left out, each with a ``period-mismatch`` finding —
    unless every table does, when the file as a whole is judged."""
    claims = []
    for sheet, table, skip in tables:
        claimed = recognise_period({}, [sheet.name] + _title_texts(sheet, table.header_row))
        claims.append(claimed)
    other = [c is not None and c.id != ctx.period for c in claims]
    if all(other) or not any(other):
        return tables
    kept = []
    for (sheet, table, skip), claimed, is_other in zip(tables, claims, other):
        if is_other:
            finding("period-mismatch", f"trang '{sheet.name}' ghi kỳ '{claimed.title}' ({claimed.id}), không phải kỳ {ctx.period}; "
                    "số liệu của trang này không được tính vào kỳ này.", sheet=sheet.name, severity="info")
        else:
            kept.append((sheet, table, skip))
    return kept


def sheet_table(sheet: SheetData, ctx: _Context) -> tuple[Table, set[int]] | None:
    """The Phụ lục II table of a sheet (its header, else its content) and the rows that repeat
    its header; None when the sheet holds none. Shared by workbooks and the tables of Word
    documents (:mod:`cchc_analysis.narrative`)."""
    table, skip = find_tables(sheet, Period.parse(ctx.period))
    if table is None:
        table, skip = _content_table(sheet, ctx.matcher), set()
    return None if table is None else (table, skip)


def read_table(book, sheet: SheetData, table: Table, skip: set[int], source_file: str, ctx: _Context,
               finding) -> list[dict]:
    """The matched rows of ``table`` on ``sheet`` (values parsed, findings through ``finding``),
    as a workbook's are read; ``book`` says what the file knows of its cells' formats
    (``cell_info``, ``may_hold_formulas``, ``formats_known``, as :class:`Workbook`)."""
    return _read_table(book, sheet, table, skip, source_file, ctx, None, finding)


def _read_table(book, sheet, table, skip, source_file, ctx, result, finding) -> list[dict]:
    rows = sheet.rows
    cols = table.columns
    out: list[dict] = []
    group = ""
    last: dict | None = None
    percent_rows: list[tuple[dict, float]] = []
    c_stt, c_name, c_value = cols.get("stt"), cols.get("name"), cols.get("value")
    unmatched_run = 0  # rows in a row that match no indicator
    unknown_shown = 0
    unknown_more: list[int] = []  # rows of unknown-indicator findings beyond the first few
    extra_seen: dict[int, int] = {c: 0 for c in table.extra_value_columns}
    anchor = ""  # the last indicator matched above the current row
    # percent formats and formulas: parsed from the sheet only when a cell needs them
    facts = functools.cache(lambda: book.cell_info(sheet.name))
    specs, sheet_name = ctx.specs, sheet.name
    known_label = ctx.row_memo.get  # (STT cell, name cell, group, anchor) -> what _row_label said
    blank = {"unit": "", "indicator": "", "status": EMPTY, "value": math.nan, "raw": "", "source_file": source_file,
             "sheet": sheet_name, "row": 0, "_r": 0, "_c": c_value}  # a matched row before its value is read
    for r in range(table.data_start, len(rows)):
        if r in skip:
            continue
        raw_row = rows[r]
        n = len(raw_row)
        code_cell = raw_row[c_stt] if c_stt is not None and c_stt < n else None
        name_cell = raw_row[c_name] if c_name is not None and c_name < n else None
        if (code_cell is None or code_cell == "") and (name_cell is None or name_cell == "") and (
                raw_row.count(None) + raw_row.count("") == n):
            continue  # an empty row
        value_cell = raw_row[c_value] if c_value is not None and c_value < n else None
        code, name, match, may_be_numbering = (known_label((code_cell, name_cell, group, anchor))
                                               or _row_label(ctx, code_cell, name_cell, group, anchor))
        if may_be_numbering and _is_numbering(raw_row):
            continue
        for c in extra_seen:
            if c < n and raw_row[c] not in (None, "") and not (isinstance(raw_row[c], str) and not raw_row[c].strip()):
                extra_seen[c] += 1
        value_present = value_cell not in (None, "") and not (isinstance(value_cell, str) and not value_cell.strip())
        if match is None and not code and _is_signature(raw_row):
            break  # the signature block under the table: the table has ended
        unmatched_run = unmatched_run + 1 if match is None else 0
        if unmatched_run > MAX_UNMATCHED_RUN:
            finding("truncated-sheet",
                    f"từ dòng {r + 2 - unmatched_run} có hơn {MAX_UNMATCHED_RUN} dòng liên tiếp không khớp chỉ tiêu nào của "
                    f"Phụ lục II; ngừng đọc trang này từ dòng {r + 1}. Đề nghị xóa các dòng thừa dưới bảng.",
                    sheet=sheet.name, row=r + 1)
            break
        if match is None:
            if not value_present:
                last = None if code else last
                continue
            if not code and last is not None and last["status"] == EMPTY and last["_r"] == r - 1:
                # the second half of a row the page break split: its value belongs to the row above
                _fill(last, value_cell, r, book, facts, sheet, ctx, finding, percent_rows)
                last = None
                continue
            if unknown_shown >= MAX_UNKNOWN_SHOWN:
                unknown_more.append(r + 1)
                continue
            unknown_shown += 1
            shown = " ".join(filter(None, [f"STT '{_raw_text(code_cell)}'" if code_cell not in (None, "") else "",
                                           f"'{name[:80]}'" if name else ""])) or "dòng không có STT và tên"
            finding("unknown-indicator",
                    f"dòng {shown} với số liệu '{_raw_text(value_cell)[:40]}' không khớp chỉ tiêu nào của Phụ lục II; "
                    "đề nghị ghi đúng STT và tên chỉ tiêu theo mẫu.", sheet=sheet.name, row=r + 1)
            continue
        indicator = match[0]
        anchor = indicator
        spec = specs[indicator]
        if spec["kind"] == "group":
            group = indicator
            last = None
            if value_present and _raw_text(value_cell).strip() not in NO_VALUE_MARKERS:
                finding("unexpected-value",
                        f"dòng nhóm chỉ tiêu {indicator} '{spec['name'][:60]}' không cần số liệu nhưng ghi "
                        f"'{_raw_text(value_cell)[:40]}'; đề nghị ghi số liệu vào các chỉ tiêu con.",
                        indicator=indicator, sheet=sheet.name, row=r + 1)
            continue
        parent = spec["parent"]
        if parent and specs.get(parent, {}).get("kind") == "group":
            group = parent
        cell = blank.copy()  # quicker to make than the same dict written out
        cell["indicator"], cell["row"], cell["_r"] = indicator, r + 1, r
        out.append(cell)
        last = cell
        if value_present:
            _fill(cell, value_cell, r, book, facts, sheet, ctx, finding, percent_rows)
        elif c_value is not None and book.may_hold_formulas and facts():
            fact = facts().get((r, c_value))
            if fact is not None and fact.formula and not fact.cached:
                finding("formula-no-value",
                        f"ô {cell_reference(r, c_value)} (cột Số liệu) của chỉ tiêu {indicator} là công thức chưa được "
                        "tính (không có giá trị lưu sẵn); "
                        "đề nghị mở tệp bằng Excel, tính lại (F9), lưu rồi gửi lại, hoặc ghi số trực tiếp.",
                        indicator=indicator, sheet=sheet.name, row=r + 1)
    for c, count in extra_seen.items():
        if count:
            finding("ignored-column",
                    f"cột {cell_reference(table.header_row, c).rstrip('0123456789')} ('{nfc(_Grid(sheet).value(table.header_row, c, True))[:50]}') "
                    f"có {count} số liệu nhưng không phải cột số liệu của kỳ {ctx.period}; chỉ dùng cột "
                    f"{cell_reference(table.header_row, cols['value']).rstrip('0123456789')}.", sheet=sheet.name)
    if unknown_more:
        finding("unknown-indicator",
                f"còn {len(unknown_more)} dòng khác có số liệu nhưng không khớp chỉ tiêu nào (dòng {unknown_more[0]} đến "
                f"{unknown_more[-1]}); đề nghị ghi đúng STT và tên chỉ tiêu theo mẫu.", sheet=sheet.name, row=unknown_more[0])
    _settle_fractions(percent_rows, sheet, finding)
    return out


def _row_label(ctx: _Context, code_cell, name_cell, group: str,
               anchor: str) -> tuple[str, str, tuple[str, str] | None, bool]:
    """What a row's STT and name cells say: its code (normalised), its name (NFC, a leading code
    split off), the indicator it matches under ``group`` and ``anchor``
    (:meth:`IndicatorMatcher.match`, None for no match) and whether the two cells may belong to a
    numbering row ('(1) (2) (3)', see :func:`_is_numbering`).

    Kept in ``ctx.row_memo`` under ``(code_cell, name_cell, group, anchor)``, where the reader
    looks first: the rows of the letter's template recur in every workbook of a period. Only
    cells that are texts or empty (None) are kept: two such keys are equal exactly when the texts
    are, a number, a boolean or a date never equals a text or None (so looking a key holding one
    up finds nothing), and everything said depends on nothing but the texts and the context's
    catalogue, whose own memo this is (another context never sees it). Numbers are not kept
    because 1, 1.0 and True are equal keys but read differently; long texts are not kept
    (:data:`_MEMO_TEXT`)."""
    name = nfc(name_cell) if isinstance(name_cell, str) else ("" if name_cell is None else nfc(_raw_text(name_cell)))
    code = normalise_code(code_cell)
    if name:
        leading, rest = split_leading_code(name)
        if leading:
            code, name = code or normalise_code(leading), rest
    match = ctx.matcher.match(code, name, group, anchor) if (code or name) else None
    found = (code, name, match, _may_be_numbering(code_cell) and _may_be_numbering(name_cell))
    if _memo_text(code_cell) and _memo_text(name_cell):
        _remember(ctx.row_memo, (code_cell, name_cell, group, anchor), found)
    return found


def _memo_text(cell) -> bool:
    """Whether a cell may be part of a memo's key: empty (None), or a text that is not long."""
    return cell is None or (cell.__class__ is str and len(cell) <= _MEMO_TEXT)


def _is_signature(row: list) -> bool:
    """A row of the signature block ('NGƯỜI LẬP BIỂU', 'THỦ TRƯỞNG ĐƠN VỊ', '(Ký tên và đóng dấu)',
    'Cẩm Xuyên, ngày ... tháng ... năm ...')."""
    texts = [fold(v) for v in row if isinstance(v, str) and v.strip()]
    return bool(texts) and any(_SIGNATURE.match(t.lstrip("( ")) or _DATE_LINE.search(t) for t in texts) and not any(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)


def _fill(cell: dict, value_cell, r: int, book: Workbook, facts, sheet: SheetData, ctx: _Context, finding,
          percent_rows) -> None:
    """Parse the value of ``cell``. ``facts()``: the sheet's :meth:`Workbook.cell_info` (None
    where formats are unknown), asked only for a rate that a percent format may show: a fraction
    (0.875 shown 87,5 %) or a number up to 10 (1.5 shown 150 %, typed by mistake: read as 150 and
    found out of range, not as 1.5 %)."""
    spec = ctx.specs[cell["indicator"]]
    percent_format = None
    c = cell["_c"]
    numeric = isinstance(value_cell, (int, float)) and not isinstance(value_cell, bool)
    if spec["kind"] == "percent" and numeric:
        if float(value_cell) > 10.0:  # a percent format would show it as over 1000 %: taken as written
            percent_format = False if book.formats_known else None
        elif (info := facts()) is not None:
            fact = info.get((r, c))
            percent_format = bool(fact and fact.percent)
    parsed: Parsed = parse_value(value_cell, spec["kind"], choices=spec["choices"], low=spec["min"],
                                 high=spec["max"], unit=spec["unit"], percent_format=percent_format)
    cell["row"] = r + 1
    cell["raw"] = _raw_text(value_cell)
    cell["value"] = parsed.value
    cell["status"] = parsed.status
    if spec["kind"] == "percent" and numeric and percent_format is None and parsed.ok:
        percent_rows.append((cell, float(value_cell)))
    if parsed.status in (OK, EMPTY, NO_VALUE):
        return
    expected = _expected_text(spec)
    finding(parsed.status,
            f"chỉ tiêu {cell['indicator']} '{spec['name'][:70]}': {parsed.reason}. Giá trị đúng: {expected}.",
            indicator=cell["indicator"], sheet=sheet.name, row=r + 1)


def _expected_text(spec: dict) -> str:
    return expected_text(spec["kind"], spec["unit"], spec["choices"])


def _settle_fractions(percent_rows: list[tuple[dict, float]], sheet: SheetData, finding) -> None:
    """Rates in a file whose number formats cannot be read (.xlsb): when every one is a fraction
    (<= 1) and at least one is not 0 or 1, the cells were most likely shown as percents (0.875
    shown as 87,5 %) but may also mean 0.875 %. That is never guessed: each such value is left
    out of the table (kept in ``raw``) with an ``ambiguous-percent`` finding naming its cell."""
    if not percent_rows:
        return
    numbers = [v for _, v in percent_rows]
    if not (all(0 <= v <= 1 for v in numbers) and any(0 < v < 1 for v in numbers)):
        return
    for cell, v in percent_rows:
        if v == 0:
            continue
        cell["value"], cell["status"] = math.nan, "ambiguous-percent"
        where = cell_reference(cell["_r"], cell["_c"])
        finding("ambiguous-percent",
                f"ô {where} của chỉ tiêu {cell['indicator']} ghi {v:g}; tệp dạng này không cho biết ô hiển thị "
                f"{v * 100:g}% hay {v:g}%, nên chưa lấy số liệu. Đề nghị ghi tỷ lệ dạng số phần trăm "
                f"(ví dụ {v * 100:g}) hoặc lưu tệp dạng .xlsx rồi gửi lại.",
                indicator=cell["indicator"], sheet=sheet.name, row=cell["row"])


# --------------------------------------------------------------------------------------------
# a period folder


@dataclass
class IngestResult:
    """Everything read from one period's folder (frames described in the module docstring)."""

    values: "pd.DataFrame"
    findings: "pd.DataFrame"
    cells: "pd.DataFrame"
    files: "pd.DataFrame"
    narrative: "pd.DataFrame | None" = None  # the Word reports' paragraphs (narrative.NARRATIVE_COLUMNS)

    def summary(self) -> dict:
        live = self.values[~self.values["superseded"]] if len(self.values) else self.values
        return {
            "files": len(self.files),
            "units": sorted(u for u in self.files["unit"].unique() if u) if "unit" in self.files else [],
            "values": int(live["value"].notna().sum()) if len(live) else 0,
            "findings": F.summary(self.findings),
        }


@dataclass
class Collected:
    """The same as :class:`IngestResult` as plain columns and rows, before any frame is made
    (what ``cchc ingest`` writes without loading pandas)."""

    period: str
    values: dict[str, list]  # VALUE_COLUMNS
    cells: dict[str, list]  # CELL_COLUMNS
    files: list[dict]  # FILE_COLUMNS
    findings: list[dict]  # FINDING_COLUMNS
    narrative: dict[str, list] = field(default_factory=dict)  # narrative.NARRATIVE_COLUMNS

    def summary(self) -> dict:
        live = [v for v, old in zip(self.values["value"], self.values["superseded"]) if not old]
        counts = Counter(item["severity"] for item in self.findings)
        return {
            "files": len(self.files),
            "units": sorted({f["unit"] for f in self.files if f["unit"]}),
            "values": sum(1 for v in live if v == v),
            "findings": {severity: counts.get(severity, 0) for severity in F.SEVERITIES},
        }

    def frames(self) -> IngestResult:
        import pandas as pd

        files = pd.DataFrame(self.files, columns=FILE_COLUMNS)
        if self.values["unit"]:
            values = pd.DataFrame(self.values, columns=VALUE_COLUMNS)
            values = values.astype({"value": float, "raw": str, "row": "Int64", "superseded": bool})
        else:
            values = pd.DataFrame(columns=VALUE_COLUMNS).astype({"value": float, "row": "Int64", "superseded": bool})
        if self.cells["unit"]:
            cells = pd.DataFrame(self.cells, columns=CELL_COLUMNS).astype({"row": "Int64"})
        else:
            cells = pd.DataFrame(columns=CELL_COLUMNS)
        return IngestResult(values=values, findings=F.frame(self.findings), cells=cells, files=files,
                            narrative=narrative_frame(self.narrative))


def _specs(catalogue) -> dict[str, dict]:
    specs = {}
    for row in _records(catalogue):
        low, high = row["min"], row["max"]
        specs[row["id"]] = {
            "kind": row["kind"], "name": row["name"], "unit": row["unit"], "parent": row["parent"],
            "choices": parse_choices(row["choices"]) if row["kind"] == "code" else {},
            "min": None if low is None or low != low else float(low),
            "max": None if high is None or high != high else float(high),
        }
    return specs


def make_context(period: str, catalogue, units, settings: dict | None = None) -> _Context:
    """Everything :func:`read_file` needs to read files of ``period`` (``catalogue`` and ``units``
    as rows, :func:`~cchc_analysis.catalogue.catalogue_records`, or as frames)."""
    return _Context(Period.parse(period).id, catalogue, IndicatorMatcher(catalogue), UnitMatcher(units),
                    Limits.from_settings(settings or {}), _specs(catalogue))


def list_files(raw_dir: Path) -> tuple[list[Path], list[Path]]:
    """Workbooks under ``raw_dir`` (recursively, sorted) and other files that are not ours.
    Lock files that Excel (``~$Báo cáo.xlsx``) and LibreOffice (``.~lock.Báo cáo.xlsx#``) leave
    beside an open workbook are not submissions: they are skipped."""
    workbooks, others = [], []
    if not raw_dir.is_dir():
        return workbooks, others
    for path in sorted(p for p in raw_dir.rglob("*") if p.is_file()):
        name = path.name.lower()
        if name in IGNORED_FILES or name.startswith(("~$", ".~lock.")):
            continue
        (workbooks if name.endswith(WORKBOOK_SUFFIXES) else others).append(path)
    return workbooks, others


def ingest(period: str, raw_dir: Path, **options) -> IngestResult:
    """Read every workbook of a period's folder into frames (the options of :func:`collect`;
    ``progress`` None shows a bar for many files)."""
    return collect(period, raw_dir, **options).frames()


def collect(
    period: str,
    raw_dir: Path,
    *,
    catalogue=None,
    units=None,
    settings: dict | None = None,
    root: Path | None = None,
    progress: bool | None = None,
) -> Collected:
    """Read every workbook of a period's folder (in worker processes: :func:`read_files`) into
    the values, cells, files and findings, as plain columns and rows (:meth:`Collected.frames`
    makes them frames). File names are shown as people read them (:func:`~cchc_analysis.text.display_name`)."""
    period = Period.parse(period).id
    raw_dir = Path(raw_dir)
    catalogue = catalogue if catalogue is not None else catalogue_records(Period.parse(period).year, root)
    units = units if units is not None else unit_records(root)
    ctx = make_context(period, catalogue, units, settings)
    workbooks, others = list_files(raw_dir)
    documents = [path for path in others if path.suffix.lower() in DOCUMENT_SUFFIXES]  # Phụ lục I reports
    others = [path for path in others if path.suffix.lower() not in DOCUMENT_SUFFIXES]
    all_findings: list[dict] = []
    timezone = ((settings or {}).get("district") or {}).get("timezone", "Asia/Ho_Chi_Minh")
    times = submission_times(raw_dir, timezone, all_findings, period)
    for path in others:
        all_findings.append(F.make("unreadable-file",
                                   "tệp không phải bảng tính Excel (.xlsx/.xls) nên không được đọc; nếu là Phụ lục II "
                                   "đề nghị gửi lại dạng Excel.", period=period,
                                   source_file=display_name(path.relative_to(raw_dir).as_posix()), severity="info"))
    records: list[dict] = []
    columns: dict[str, list] = {name: [] for name in _SETTLE_COLUMNS}
    items = [(path, display_name(path.relative_to(raw_dir).as_posix())) for path in workbooks]
    for path, shown in items + [(p, display_name(p.relative_to(raw_dir).as_posix())) for p in documents]:
        if shown != path.relative_to(raw_dir).as_posix():
            all_findings.append(F.make(
                "file-name", f"tên tệp có byte không phải UTF-8 (tệp nén trên Windows rồi giải nén) hoặc ký tự ẩn; "
                f"được hiển thị là '{shown}'. Nên đổi tên tệp cho dễ tra cứu.", period=period, source_file=shown))
    with read_files(items, ctx) as results:  # the workers start reading here
        import pandas  # noqa: F401  (what the frames are made with: loaded while the workers read)

        if (progress or (progress is None and len(workbooks) > 20)) and _may_be_terminal(sys.stderr):
            from tqdm import tqdm

            results = tqdm(results, total=len(items), desc=f"Đọc {period}", unit="tệp", disable=None)
        for (path, rel), (record, found, cells) in zip(items, results, strict=True):
            when = times.get(rel) or times.get(display_name(path.name))
            record["time_source"] = "submissions.csv" if when else "mtime"
            record["received_at"] = when or datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)
            records.append(record)
            all_findings += found
            for name, column in cells.items():
                columns[name] += column
    narrative: dict[str, list] = {}
    if documents:  # the Word reports: paragraphs by heading, and the Phụ lục II tables inside them
        from .narrative import Outline, read_documents

        docs = read_documents(period, raw_dir, documents, ctx, times, Outline.load(Period.parse(period).year, root))
        records += docs.records
        all_findings += docs.findings
        for name, column in docs.cells.items():
            columns[name] += column
        narrative = docs.narrative
    values, cells, more, replaced_at = _settle(period, columns, records)
    del columns
    for item in all_findings:
        if (item["source_file"], item["sheet"], item["row"]) in replaced_at and item["severity"] != "info":
            item["severity"] = "info"
            item["message"] += " (Tệp này đã được thay bằng tệp gửi sau; chỉ để tham khảo.)"
    all_findings += more
    return Collected(period, values, cells, [{c: r.get(c) for c in FILE_COLUMNS} for r in records], all_findings,
                     narrative)


def _may_be_terminal(stream) -> bool:
    """False where tqdm (``disable=None``) would hide its bar anyway: then it is not imported."""
    try:
        return not (stream is not None and hasattr(stream, "isatty") and not stream.isatty())
    except Exception:
        return True


#: a folder with at least this many workbooks is read by more than one worker process (one per
#: core); a smaller one by a single worker
POOL_MIN_FILES = 8
_POOL_MAX_WORKERS = 8


def pool_workers(n_files: int) -> int:
    """How many worker processes read a folder of ``n_files`` workbooks: one for a small folder,
    one per usable core (at most 8) for a larger one. The environment variable ``CCHC_WORKERS``
    sets the number; ``0`` reads in this process, without the workers' memory and time limits
    (for debugging only: a hostile file can then exhaust the process)."""
    wanted = os.environ.get("CCHC_WORKERS", "").strip()
    if wanted:
        try:
            return max(0, min(int(wanted), n_files))
        except ValueError:
            pass
    if n_files < POOL_MIN_FILES:
        return min(1, n_files)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, _POOL_MAX_WORKERS, n_files))


#: the columns of a file's matched rows that the period's frames keep
_SETTLE_COLUMNS = ("unit", "indicator", "status", "value", "raw", "source_file", "sheet", "row")


def _read_item(ctx: _Context, item: tuple[Path, str], streaming: bool = False) -> tuple[dict, list[dict], dict[str, list]]:
    """:func:`read_file` of one ``(path, source_file)``, its rows kept as columns (a few lists per
    file rather than a dict per row: smaller to send back from a worker and to hold)."""
    result = read_file(item[0], item[1], ctx, streaming=streaming)
    cells = {name: [cell[name] for cell in result.cells] for name in _SETTLE_COLUMNS}
    return result.record, result.findings, cells


def _refused_item(ctx: _Context, item: tuple[Path, str], why: str) -> tuple[dict, list[dict], dict[str, list]]:
    """The result of a file whose worker ran out of memory, crashed or took too long on it."""
    result = refused(item[1], ctx, reader_failure(why, ctx.limits))
    return result.record, result.findings, {name: [] for name in _SETTLE_COLUMNS}


def _second_try(item: tuple[Path, str]) -> dict | None:
    """After a worker died on a file: an .xlsx/.xlsm is read once more, streamed (a sheet with a
    far cell makes python-calamine ask for its whole grid at once; openpyxl's read-only mode stops
    at the box). Other formats are not tried again."""
    return {"streaming": True} if item[0].suffix.lower() in (".xlsx", ".xlsm") else None


def read_files(items: list[tuple[Path, str]], ctx: _Context):
    """:func:`_read_item` of each ``(path, source_file)``, read by worker processes
    (:class:`~cchc_analysis.sandbox.InWorkers`, which start reading at once): a context manager
    whose iteration gives the results in the order of ``items``. Files are independent, so the
    results are the same as reading them one after the other, and a file that exhausts or crashes
    its worker, or overruns the time limit, costs that file only."""
    workers = pool_workers(len(items))
    if workers == 0:
        return contextlib.nullcontext(_read_item(ctx, item) for item in items)
    from .sandbox import InWorkers

    return InWorkers(_read_item, items, context=ctx, workers=workers, memory_mb=ctx.limits.max_reader_mb,
                     seconds=ctx.limits.max_read_seconds, failed=functools.partial(_refused_item, ctx),
                     retry=_second_try)


def _settle(period: str, columns: dict[str, list], files: list[dict]) -> tuple[dict, dict, list[dict], set]:
    """Order submissions, mark superseded values and report repeated files and rows.
    ``columns``: the matched rows of every file (:data:`_SETTLE_COLUMNS`); returns the values
    and cells columns, the findings, and where the superseded values were."""
    out: list[dict] = []
    # files in the order they were received (ties: by name)
    received = sorted((record["received_at"], record["source_file"]) for record in files)
    order = {source: rank for rank, (_, source) in enumerate(received)}
    unit, indicator, status = columns["unit"], columns["indicator"], columns["status"]
    value, raw, source, sheet, row = (columns[c] for c in ("value", "raw", "source_file", "sheet", "row"))
    # by unit, then in the order the files came, then where in the file
    ranked = sorted(range(len(unit)), key=lambda i: (unit[i], order[source[i]], sheet[i], row[i]))
    written = [i for i in ranked if status[i] != EMPTY]
    # a later value of the same unit and indicator supersedes an earlier one
    superseded: dict[int, bool] = {}
    seen: set[tuple[str, str]] = set()
    for i in reversed(written):
        key = (unit[i], indicator[i])
        superseded[i] = key in seen
        seen.add(key)
    replaced_in = Counter(source[i] for i in written if superseded[i])
    # repeated files of one unit
    by_unit: dict[str, list[dict]] = {}
    for record in sorted((r for r in files if r["status"] == "ok"), key=lambda r: order[r["source_file"]]):
        by_unit.setdefault(record["unit"], []).append(record)
    for code in sorted(by_unit):
        group = by_unit[code]
        if len(group) < 2:
            continue
        latest = group[-1]
        for earlier in group[:-1]:
            replaced = replaced_in.get(earlier["source_file"], 0)
            out.append(F.make(
                "duplicate-submission",
                f"đơn vị {code} gửi nhiều tệp: '{earlier['source_file']}' (nhận {_stamp(earlier['received_at'])}) và "
                f"'{latest['source_file']}' (nhận {_stamp(latest['received_at'])}); số liệu của tệp gửi sau được dùng, "
                f"{replaced} số liệu của tệp trước bị thay thế.",
                period=period, unit=code, source_file=earlier["source_file"]))
    # the same indicator twice in one file
    same_file: dict[tuple[str, str, str], list[int]] = {}
    for i in written:
        same_file.setdefault((unit[i], indicator[i], source[i]), []).append(i)
    for (code, ind, src), group in sorted(same_file.items(), key=lambda item: item[0]):
        if len(group) < 2:
            continue
        rows = ", ".join(str(row[i]) for i in group)
        distinct = list(dict.fromkeys(value[i] for i in group if value[i] == value[i]))
        last = group[-1]
        if len(distinct) > 1 or len({raw[i] for i in group}) > 1 and len(distinct) != 1:
            out.append(F.make("conflict",
                              f"chỉ tiêu {ind} được ghi {len(group)} lần (dòng {rows}) với giá trị khác nhau "
                              f"({', '.join(raw[i] for i in group)}); dùng giá trị ở dòng {row[last]}. Đề nghị chỉ giữ một dòng đúng.",
                              period=period, unit=code, indicator=ind, source_file=src, sheet=sheet[last],
                              row=int(row[last])))
        else:
            out.append(F.make("duplicate-row",
                              f"chỉ tiêu {ind} được ghi {len(group)} lần (dòng {rows}) cùng giá trị.",
                              period=period, unit=code, indicator=ind, source_file=src, sheet=sheet[last],
                              row=int(row[last])))
    replaced_at = {(source[i], sheet[i], row[i]) for i in written if superseded[i]}
    values = {
        "period": [period] * len(written),
        "unit": [unit[i] for i in written],
        "indicator": [indicator[i] for i in written],
        "value": [float(value[i]) for i in written],
        "raw": [str(raw[i]) for i in written],
        "source_file": [source[i] for i in written],
        "sheet": [sheet[i] for i in written],
        "row": [row[i] for i in written],
        "superseded": [superseded[i] for i in written],
    }
    cells = {name: [columns[name][i] for i in ranked] for name in CELL_COLUMNS}
    return values, cells, out, replaced_at


def _stamp(value) -> str:
    return value.strftime("%H:%M %d/%m/%Y") if hasattr(value, "strftime") else str(value)
