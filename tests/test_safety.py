"""Safe outputs (issue 6, point 4): department text never becomes a formula in a spreadsheet and
is escaped in HTML; numbers stay numbers; the neutralising is undone exactly when the product
reads its own CSV back."""

from __future__ import annotations

import html
import io
import math
from datetime import date, datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_analysis.safety import cell_text, html_text, restore_frame, restore_text, safe_frame

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
FUZZ = settings(max_examples=200, deadline=None)
#: texts as a department's cells can hold them (no NUL, which XML cannot carry)
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)
PAYLOADS = st.sampled_from(["=", "+", "-", "@", "\t", "\r", " =", "\u00a0+", "＝", "'", "''"]).flatmap(
    lambda head: TEXT.map(lambda tail: head + tail))


def runs_as_formula(text: str) -> bool:
    """What a spreadsheet would do with the text of a CSV field or a cell (conservatively)."""
    stripped = text.lstrip()
    if not text.startswith(TRIGGERS) and not stripped.startswith(TRIGGERS):
        return False
    try:  # a plain number written with ASCII digits is read as that number
        float(text.replace(",", ".").removesuffix("%"))  # '-12%' is the number -0.12
        return not text.isascii() or any(w in text.lower() for w in ("inf", "nan", "_"))
    except ValueError:
        return True


@pytest.mark.parametrize("raw,safe", [
    ("=HYPERLINK(\"http://evil.example\",\"bấm\")", "'=HYPERLINK(\"http://evil.example\",\"bấm\")"),
    ("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("+1+1", "'+1+1"), ("-2+3", "'-2+3"),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), (" =1", "' =1"),
    ("＝1+1", "'＝1+1"), ("-inf", "'-inf"), ("+nan", "'+nan"), ("-1_000", "'-1_000"), ("-١٢", "'-١٢"),
    ("-", "'-"), ("'abc", "''abc"), ("-1.234.567", "'-1.234.567"),
    ("-3", "-3"), ("+2,5", "+2,5"), ("-1.5e3", "-1.5e3"), ("-12%", "-12%"), ("Phòng Tư pháp", "Phòng Tư pháp"),
    ("", ""), ("a=1", "a=1"),
])
def test_cell_text_examples(raw, safe):
    assert cell_text(raw) == safe
    assert restore_text(cell_text(raw)) == raw


@pytest.mark.parametrize("value", [None, 3, -3, 2.5, -0.0, math.inf, True, date(2021, 6, 14), datetime(2021, 6, 14, 9)])
def test_non_text_passes_unchanged(value):
    assert cell_text(value) is value


def test_cell_text_nan_unchanged():
    assert math.isnan(cell_text(math.nan))


@FUZZ
@given(text=TEXT | PAYLOADS)
def test_cell_text_never_runs_and_is_undone_exactly(text):
    safe = cell_text(text)
    assert not runs_as_formula(safe)
    assert restore_text(safe) == text


@FUZZ
@given(texts=st.lists(TEXT | PAYLOADS, min_size=1, max_size=8),
       numbers=st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=8, max_size=8))
def test_safe_frame_through_csv_and_back(texts, numbers):
    frame = pd.DataFrame({"message": texts, "value": numbers[: len(texts)], "row": list(range(len(texts)))})
    safe = safe_frame(frame)
    assert safe["value"].tolist() == frame["value"].tolist() and safe["row"].tolist() == frame["row"].tolist()
    buffer = io.StringIO()
    safe.to_csv(buffer, index=False)
    buffer.seek(0)
    import csv

    fields = [f for row in csv.reader(io.StringIO(buffer.getvalue())) for f in row]
    assert not any(runs_as_formula(f) for f in fields if not _is_number(f))
    back = restore_frame(pd.read_csv(io.StringIO(buffer.getvalue()), dtype={"message": str}, keep_default_na=False))
    assert back["message"].tolist() == [t.replace("\r\n", "\n").replace("\r", "\n") for t in texts]
    assert len(back) == len(texts)  # no text broke its row


def _is_number(field: str) -> bool:
    try:
        float(field)
        return field.isascii() and not any(w in field.lower() for w in ("inf", "nan", "_"))
    except ValueError:
        return False


def test_safe_frame_keeps_missing_and_numbers():
    frame = pd.DataFrame({"a": ["=1", None, "x"], "b": [1.5, -2.0, float("nan")], "c": pd.array([1, None, 3], dtype="Int64")})
    safe = safe_frame(frame)
    assert safe["a"].tolist()[0] == "'=1" and pd.isna(safe["a"].tolist()[1])
    assert safe["b"].equals(frame["b"]) and safe["c"].equals(frame["c"])
    assert frame["a"].tolist()[0] == "=1"  # a copy: the frame itself is not changed


@FUZZ
@given(value=TEXT | PAYLOADS | st.integers() | st.floats())
def test_html_text_escapes_everything(value):
    out = html_text(value)
    assert not any(ch in out for ch in "<>\"'")
    if isinstance(value, float) and math.isnan(value):
        assert out == ""
    else:
        assert html.unescape(out) == str(value)


def test_html_text_examples():
    assert html_text("<script>alert('x')</script>") == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert html_text('" onmouseover="alert(1)') == "&quot; onmouseover=&quot;alert(1)"
    assert html_text(None) == "" and html_text(float("nan")) == "" and html_text(pd.NA) == "" and html_text(pd.NaT) == ""
    assert html_text(12.5) == "12.5"
