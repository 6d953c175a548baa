"""Safe output of text that came from a department.

A cell text starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return, or their
full-width forms) is run as a formula by spreadsheet programs when it lands in a CSV or a workbook
("CSV injection": ``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``, ``@SUM(...)``). Every writer of
findings, consolidated and feedback workbooks passes department text through :func:`cell_text`;
numbers stay numbers (a plain ``-3`` or ``+2,5`` is data, not a formula). HTML output escapes text
with :func:`html_text`.

The neutralising is reversible (but for carriage returns in CSV fields, see :func:`csv_text`): :func:`cell_text` puts an apostrophe before a text that a
spreadsheet would run *and* before a text that already starts with an apostrophe, so
:func:`restore_text` (and :func:`restore_frame` for a CSV read back) gives the department's text
back exactly — joins between ``findings.csv`` and ``values.parquet`` keep working.
"""

from __future__ import annotations

import math
import re
import sys

#: first characters that make a spreadsheet read a cell as a formula (or that hide one)
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_QUOTE = "'"
#: a plain number as a spreadsheet reads it (ASCII digits only: '-١٢' or '-inf' is not one)
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?%?")


def _needs_quote(value: str) -> bool:
    if value.startswith((_QUOTE,) + _TRIGGERS):
        return not _PLAIN_NUMBER.fullmatch(value)
    stripped = value.lstrip()
    return stripped != value and stripped.startswith(_TRIGGERS)


def cell_text(value):
    """``value`` made safe for a spreadsheet cell: text that a spreadsheet would read as a formula
    gets a leading apostrophe (as does text already starting with one, so that
    :func:`restore_text` is exact); numbers, booleans, dates, None and NaN pass unchanged."""
    if not isinstance(value, str) or not value:
        return value
    return _QUOTE + value if _needs_quote(value) else value


def restore_text(value):
    """The inverse of :func:`cell_text` (for outputs read back by the product itself)."""
    if isinstance(value, str) and value.startswith(_QUOTE):
        return value[1:]
    return value


def _text_columns(frame) -> list:
    import pandas as pd

    return [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]


def csv_text(value):
    """:func:`cell_text` for a CSV field, whose line breaks are also made ``\\n``: a bare carriage
    return is not quoted by pandas' writer yet ends the row for Excel and for pandas' reader, so
    the text after it (``x\\r=HYPERLINK(...)``) would start a new row with a formula."""
    value = cell_text(value)
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def safe_frame(frame):
    """A copy of ``frame`` for a CSV or a workbook: its text columns passed through
    :func:`csv_text` (a leading formula character neutralised, carriage returns made ``\\n``)."""
    out = frame.copy()
    for column in _text_columns(out):
        out[column] = out[column].map(csv_text)
    return out


def restore_frame(frame):
    """A copy of ``frame`` (read back from a CSV written with :func:`safe_frame`) with the
    department's texts as they were."""
    out = frame.copy()
    for column in _text_columns(out):
        out[column] = out[column].map(restore_text)
    return out


def html_text(value) -> str:
    """Escaped HTML text of any value (None, NaN, NA and NaT -> '')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    pd = sys.modules.get("pandas")  # not loaded: the value cannot be one of its missing markers
    if pd is not None and (value is pd.NA or value is pd.NaT):
        return ""
    import html  # only the reports need it (not the ingest)

    return html.escape(str(value), quote=True)
