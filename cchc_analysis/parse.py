"""Cell values -> numbers, by the indicator's kind.

Departments type numbers the Vietnamese way (``1.234`` is one thousand two hundred and
thirty-four, ``87,5`` is eighty-seven and a half), as text or as numbers, with units or percent
signs, or write a coded choice by its label (``Có``, ``Kết hợp``). :func:`parse_value` turns one
cell into a :class:`Parsed` result: a value, "no value", or a problem with a Vietnamese reason.
It never raises.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .text import contains_phrase, fold, nfc

#: Cell contents that mean "no value" (the department deliberately left it).
NO_VALUE_MARKERS = frozenset({"-", "--", "---", "–", "—", "x", "X", "/", "...", "…", "_"})

#: Words that say "nothing happened": 0 for a count, no value for a rate or a score.
NOTHING_WORDS = frozenset({"khong phat sinh", "kps", "khong co", "khong", "chua phat sinh", "khong co phat sinh"})

OK = "ok"
EMPTY = "empty"
NO_VALUE = "no-value"
TYPE_ERROR = "type-error"
INVALID_CODE = "invalid-code"
OUT_OF_RANGE = "out-of-range"


@dataclass(frozen=True)
class Parsed:
    """Result of parsing one cell: ``status`` is one of the constants above."""

    value: float
    status: str
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK


_NUMBER = re.compile(r"^[+-]?\d[\d., ]*$")
_LEADING_NUMBER = re.compile(r"^([+-]?\d[\d.,]*)\s*(%?)\s*(.*)$")
_CODE_PREFIX = re.compile(r"^(\d+)\s*(?:[-:=.)(]|\s)\s*(.*?)\)?$")
_GROUPED_DOT = re.compile(r"^\d{1,3}(\.\d{3})+$")
_GROUPED_COMMA = re.compile(r"^\d{1,3}(,\d{3})+$")

#: Words that may follow a number without changing it ("12 văn bản", "85 %").
_UNIT_WORDS = frozenset(
    fold(w)
    for w in (
        "nhiệm vụ", "văn bản", "cơ quan", "đơn vị", "vấn đề", "phiếu", "thủ tục", "TTHC", "người",
        "quyết định", "lần", "quy trình", "chỉ tiêu", "hồ sơ", "cặp", "cặp file", "điểm", "cuộc",
        "hệ thống", "cơ quan, đơn vị", "số lượng", "phần trăm",
    )
)


def _to_number(text: str, kind: str) -> float | None:
    """A number written the Vietnamese (or English) way, or None when ``text`` is not one."""
    compact = text.replace(" ", "").replace("\u202f", "")
    if not compact or not _NUMBER.match(compact):
        return None
    sign = -1.0 if compact.startswith("-") else 1.0
    digits = compact.lstrip("+-")
    if "." in digits and "," in digits:
        decimal = "." if digits.rfind(".") > digits.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        digits = digits.replace(thousands, "").replace(decimal, ".")
    elif "," in digits:
        if digits.count(",") > 1 or (kind == "count" and _GROUPED_COMMA.match(digits)):
            digits = digits.replace(",", "")
        else:
            digits = digits.replace(",", ".")
    elif "." in digits:
        if digits.count(".") > 1 or (kind == "count" and _GROUPED_DOT.match(digits)):
            digits = digits.replace(".", "")
    try:
        number = float(digits)
    except ValueError:
        return None
    return sign * number


def _vn(number: float) -> str:
    """A number written the Vietnamese way in a message: 2,5 and 1.234."""
    text = f"{number:,.10g}" if abs(number) < 1e15 else f"{number:g}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _quote(raw: object) -> str:
    text = nfc(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_range(value: float, kind: str, low: float | None, high: float | None) -> Parsed:
    if kind == "count":
        if abs(value - round(value)) > 1e-6:
            return Parsed(math.nan, TYPE_ERROR, f"chỉ tiêu đếm phải là số nguyên, ô ghi {_vn(value)}")
        value = float(round(value))
    if low is not None and not math.isnan(low) and value < low:
        return Parsed(math.nan, OUT_OF_RANGE, f"giá trị {_vn(value)} nhỏ hơn mức tối thiểu {_vn(low)}")
    if high is not None and not math.isnan(high) and value > high:
        what = "tỷ lệ phần trăm phải từ 0 đến 100" if kind == "percent" else f"giá trị vượt mức tối đa {_vn(high)}"
        return Parsed(math.nan, OUT_OF_RANGE, f"{what}, ô ghi {_vn(value)}")
    return Parsed(value, OK)


def parse_code(raw: object, choices: dict[int, str]) -> Parsed:
    """A coded choice, by its number (``1``, ``01``, ``1 - Phát phiếu``) or its label (``Có``)."""
    allowed = ", ".join(f"{code} = {label}" for code, label in sorted(choices.items()))
    if isinstance(raw, bool):
        raw = int(raw)
    if isinstance(raw, (int, float)):
        if float(raw).is_integer() and int(raw) in choices:
            return Parsed(float(int(raw)), OK)
        return Parsed(math.nan, INVALID_CODE, f"mã {raw:g} không thuộc các lựa chọn ({allowed})")
    text = nfc(raw)
    folded = fold(text)
    labels = {fold(label): code for code, label in choices.items()}
    if folded in labels:
        return Parsed(float(labels[folded]), OK)
    number = _to_number(text, "code")
    if number is not None:
        if number.is_integer() and int(number) in choices:
            return Parsed(float(int(number)), OK)
        return Parsed(math.nan, INVALID_CODE, f"mã '{_quote(raw)}' không thuộc các lựa chọn ({allowed})")
    # a label inside a longer text: "Đã hoàn thành", "Có (2 cuộc)", "Liên thông 2 cấp", "1 - Phát phiếu"
    words = folded.split()
    contained = [(len(label), label) for label in labels if label and contains_phrase(words, label.split())]
    if contained:
        longest = max(contained)[0]
        best = {labels[label] for length, label in contained if length == longest}
        if len(best) == 1:
            code = best.pop()
            label = max(contained)[1]
            lead = re.match(r"^(\d+)\b", folded)
            if lead and int(lead.group(1)) != code and lead.group(1) not in label.split():
                return Parsed(math.nan, INVALID_CODE,
                              f"'{_quote(raw)}' mâu thuẫn: mã {lead.group(1)} nhưng nội dung là '{choices[code]}' ({allowed})")
            return Parsed(float(code), OK)
    # "Kết hợp = 2", "2 - Kết hợp", "1 (Phát phiếu)"
    label_eq = re.match(r"^(.*?)\s*=\s*(\d+)$", text)
    prefix = _CODE_PREFIX.match(text)
    for code_text, label in ((label_eq.group(2), label_eq.group(1)) if label_eq else (None, None),
                             (prefix.group(1), prefix.group(2)) if prefix else (None, None)):
        if code_text is None:
            continue
        code = int(code_text)
        label_code = labels.get(fold(label)) if label else None
        if code in choices and (label_code is None or label_code == code):
            return Parsed(float(code), OK)
        if label_code is not None and label_code != code:
            return Parsed(math.nan, INVALID_CODE,
                          f"'{_quote(raw)}' mâu thuẫn: mã {code} nhưng nội dung là '{choices[label_code]}' ({allowed})")
    # binary yes/no sets: "Đã tổ chức", "Chưa", "Không tổ chức"
    if len(choices) == 2 and set(choices) == {0, 1}:
        no_words = {fold(choices[0]).split()[0], "khong", "chua"}
        yes_words = {fold(choices[1]).split()[0], "co", "da"}
        first = folded.split()[0] if folded else ""
        if first in no_words and first not in yes_words:
            return Parsed(0.0, OK)
        if first in yes_words and first not in no_words:
            return Parsed(1.0, OK)
    return Parsed(math.nan, INVALID_CODE, f"'{_quote(raw)}' không thuộc các lựa chọn ({allowed})")


def parse_value(
    raw: object,
    kind: str,
    *,
    choices: dict[int, str] | None = None,
    low: float | None = None,
    high: float | None = None,
    unit: str = "",
    percent_format: bool | None = None,
) -> Parsed:
    """Parse one cell for an indicator of ``kind`` (``count/percent/code/score``).

    ``percent_format`` says whether the cell carries a percent number format (Excel stores
    ``87,5%`` as 0.875): True multiplies a number by 100, None means unknown (the caller decides).
    ``low``/``high`` are the catalogue's bounds. Never raises.
    """
    try:
        return _parse(raw, kind, choices or {}, low, high, unit, percent_format)
    except Exception as error:  # a parser must never stop a run; say what happened instead
        return Parsed(math.nan, TYPE_ERROR, f"không đọc được giá trị '{_quote(raw)}' ({type(error).__name__})")


def _parse(raw, kind, choices, low, high, unit, percent_format) -> Parsed:
    if (raw.__class__ is float or raw.__class__ is int) and kind != "code" and raw == raw:
        return _parse_number(raw, kind, low, high, percent_format)  # the usual cell, taken first
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return Parsed(math.nan, EMPTY)
    if isinstance(raw, str):
        text = nfc(raw)
        if not text:
            return Parsed(math.nan, EMPTY)
        if text in NO_VALUE_MARKERS:
            return Parsed(math.nan, NO_VALUE)
    if isinstance(raw, (datetime, date, time, timedelta)):
        return Parsed(math.nan, TYPE_ERROR, f"ô chứa ngày/giờ '{raw}', không phải số liệu")
    if kind == "code":
        return parse_code(raw, choices)
    if isinstance(raw, str):
        folded = fold(raw)
        nothing = folded[2:] if folded.startswith("0 ") else folded
        if nothing in NOTHING_WORDS:
            return Parsed(0.0, OK) if kind == "count" else Parsed(math.nan, NO_VALUE)
    if isinstance(raw, bool):
        return Parsed(math.nan, TYPE_ERROR, f"ô chứa giá trị logic {raw}, cần một số")
    if isinstance(raw, (int, float)):
        return _parse_number(raw, kind, low, high, percent_format)
    text = nfc(raw)
    number = _to_number(text, kind)
    if number is None:
        match = _LEADING_NUMBER.match(text)
        if match:
            rest = fold(match.group(3))
            has_percent = bool(match.group(2)) or rest in ("%", "phan tram")
            unit_words = _UNIT_WORDS | ({fold(unit)} if unit else set())
            if rest in unit_words or rest == "" or (has_percent and rest in ("", "%", "phan tram")):
                number = _to_number(match.group(1), kind)
                if number is not None and has_percent and kind != "percent":
                    return Parsed(math.nan, TYPE_ERROR, f"ô ghi tỷ lệ '{_quote(raw)}' nhưng chỉ tiêu cần một số đếm")
    if number is None:
        expected = {
            "count": "một số nguyên không âm, ví dụ 12",
            "percent": "một tỷ lệ từ 0 đến 100, ví dụ 87,5",
            "score": "một số điểm, ví dụ 8,5",
        }.get(kind, "một số")
        return Parsed(math.nan, TYPE_ERROR, f"'{_quote(raw)}' không phải là số; cần {expected}")
    return _check_range(number, kind, low, high)


def _parse_number(raw: int | float, kind: str, low, high, percent_format) -> Parsed:
    """A number cell (not NaN, not a boolean) for an indicator that is not a coded choice."""
    value = float(raw)
    if math.isinf(value):
        return Parsed(math.nan, TYPE_ERROR, "ô chứa giá trị vô hạn")
    if kind == "percent" and percent_format:
        value = round(value * 100, 10)
    return _check_range(value, kind, low, high)


def expected_text(kind: str, unit: str = "", choices: dict[int, str] | None = None) -> str:
    """What a correct value of an indicator of ``kind`` looks like, in Vietnamese."""
    if kind == "count":
        return f"một số nguyên không âm ({unit or 'số lượng'})"
    if kind == "percent":
        return "một tỷ lệ % từ 0 đến 100, ví dụ 87,5"
    if kind == "code":
        return "một trong các mã " + ", ".join(f"{k} = {v}" for k, v in sorted((choices or {}).items()))
    return f"một số điểm ({unit})" if unit else "một số"
