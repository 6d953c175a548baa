"""Safe output of text that came from a department.

A cell text starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is run as a
formula by spreadsheet programs when it lands in a CSV or a workbook. Every writer of findings,
consolidated and feedback workbooks passes department text through :func:`cell_text`; numbers stay
numbers. HTML output escapes text with :func:`html_text`.
"""

from __future__ import annotations

import html
import math

import pandas as pd

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell_text(value):
    """``value`` made safe for a spreadsheet cell: text that a spreadsheet would read as a formula
    gets a leading apostrophe; numbers, booleans, dates and None pass unchanged."""
    if not isinstance(value, str) or not value:
        return value
    stripped = value.lstrip()
    if stripped.startswith(_TRIGGERS) or value.startswith(_TRIGGERS):
        # a plain negative number written as text ("-3") is data, not a formula
        try:
            float(stripped.replace(",", "."))
            if stripped[0] in "+-":
                return value
        except ValueError:
            pass
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns are passed through :func:`cell_text`."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(cell_text)
    return out


def html_text(value) -> str:
    """Escaped HTML text of any value (None and NaN -> '')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)
