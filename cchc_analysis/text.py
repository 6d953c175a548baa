"""Text normalisation shared by every room: NFC, diacritic folding, tokens.

Vietnamese text arrives composed (NFC) or decomposed (NFD), with doubled spaces, non-breaking
spaces and line breaks inside cells. Everything a user reads is stored NFC; everything that is
*matched* (unit names, indicator names, header labels) is compared in its folded form.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

_SPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^0-9a-z%]+")


def nfc(value: object) -> str:
    """Return ``value`` as an NFC string with runs of white space folded to one space."""
    if value is None:
        return ""
    if type(value) is str:
        return _nfc_text(value)
    return _nfc(str(value))


def _nfc(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return _SPACE.sub(" ", text.replace("\u00a0", " ")).strip()


#: the same texts (indicator names, units, headings) recur in every workbook of a period
_nfc_text = lru_cache(maxsize=65536)(_nfc)


@lru_cache(maxsize=65536)
def fold(value: str) -> str:
    """Lower-case, strip diacritics (đ -> d) and punctuation; words separated by one space.

    >>> fold("  Phòng Tài chính-Kế hoạch ")
    'phong tai chinh ke hoach'
    """
    text = unicodedata.normalize("NFD", str(value).replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    return _NON_WORD.sub(" ", text).strip()


def tokens(value: str) -> list[str]:
    """Folded words of ``value``."""
    folded = fold(value)
    return folded.split() if folded else []


def contains_phrase(haystack: list[str], needle: list[str]) -> bool:
    """True when the word list ``needle`` occurs contiguously in ``haystack``."""
    n = len(needle)
    if n == 0 or n > len(haystack):
        return False
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def contains_compact(haystack: list[str], abbreviation: str) -> bool:
    """True when some contiguous run of words in ``haystack`` spells ``abbreviation``.

    ``KT-HT``, ``KT HT`` and ``KTHT`` all spell ``ktht``.
    """
    for i in range(len(haystack)):
        joined = ""
        for word in haystack[i:]:
            joined += word
            if joined == abbreviation:
                return True
            if len(joined) >= len(abbreviation) or not abbreviation.startswith(joined):
                break
    return False


def is_missing(value) -> bool:
    """True for None, NaN, pd.NA and NaT (and nothing else, whatever its type)."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    pd = sys.modules.get("pandas")
    if pd is None:  # not loaded: the value cannot be one of its missing markers (nor a numpy NaN)
        return False
    try:
        return value is pd.NA or value is pd.NaT or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def when_text(value) -> str:
    """A time as Vietnamese letters write it: '09:00 ngày 15/06/2021'."""
    import pandas as pd

    return pd.Timestamp(value).strftime("%H:%M ngày %d/%m/%Y")


def duration_text(hours: float) -> str:
    """'2 ngày 3 giờ', '5 giờ 15 phút' for a positive number of hours."""
    minutes = int(round(hours * 60))
    days, rest = divmod(minutes, 24 * 60)
    whole_hours, mins = divmod(rest, 60)
    parts = [f"{days} ngày"] if days else []
    if whole_hours:
        parts.append(f"{whole_hours} giờ")
    if mins and not days:
        parts.append(f"{mins} phút")
    return " ".join(parts) or "dưới 1 phút"


#: characters that hide or reorder what a name says: controls (a newline in a file name) and the
#: marks that change the direction of text (U+200E, U+200F, U+202A..U+202E, U+2066..U+2069)
_HIDDEN_CHARACTERS = re.compile("[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def display_name(name: str) -> str:
    """A file name as a person can read it in a finding, a table or a terminal.

    A name whose bytes are not UTF-8 (a zip made on Windows and unpacked on Linux: Python keeps
    such bytes as lone surrogates, which no UTF-8 file can hold) is decoded as Windows' Vietnamese
    code page (cp1258), else with the undecodable bytes replaced; the result is NFC; controls and
    direction marks are shown as ``<U+200F>``."""
    if any("\udc80" <= ch <= "\udcff" for ch in name):
        raw = name.encode("utf-8", "surrogateescape")
        try:
            name = raw.decode("cp1258")
        except UnicodeDecodeError:
            name = raw.decode("utf-8", "replace")
    name = unicodedata.normalize("NFC", name)
    return _HIDDEN_CHARACTERS.sub(lambda m: f"<U+{ord(m.group()):04X}>", name)
