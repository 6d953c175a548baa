"""Reporting periods: ids, cut-off windows (Decree 09/2019/NĐ-CP) and neighbours.

Ids: ``YYYY-Q1``..``YYYY-Q4``, ``YYYY-H1`` (6 months), ``YYYY-9M`` (9 months), ``YYYY`` (year).
A period runs from the 15th of the last month of the previous period to the 14th of its own last
month; the 6-month, 9-month and year periods all start on 15/12 of the previous year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|H1|9M))?$")

KIND_LABELS = {
    "Q": "quý",
    "H1": "6 tháng",
    "9M": "9 tháng",
    "Y": "năm",
}


class PeriodError(ValueError):
    """A period id that does not follow DESIGN.md."""


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period. ``kind`` is ``Q``, ``H1``, ``9M`` or ``Y``; ``quarter`` 1..4 or 0."""

    year: int
    kind: str
    quarter: int = 0

    @classmethod
    def parse(cls, text: str) -> "Period":
        match = _PERIOD.match(str(text).strip().upper())
        if not match:
            raise PeriodError(
                f"Mã kỳ báo cáo không hợp lệ: {text!r} (đúng dạng: 2021-Q1..Q4, 2021-H1, 2021-9M, 2021)"
            )
        year, part = int(match.group(1)), match.group(2)
        if part is None:
            return cls(year, "Y")
        if part.startswith("Q"):
            return cls(year, "Q", int(part[1]))
        return cls(year, part)

    @property
    def id(self) -> str:
        if self.kind == "Y":
            return str(self.year)
        if self.kind == "Q":
            return f"{self.year}-Q{self.quarter}"
        return f"{self.year}-{self.kind}"

    def __str__(self) -> str:
        return self.id

    @property
    def last_month(self) -> int:
        return {"Y": 12, "H1": 6, "9M": 9}.get(self.kind, 3 * self.quarter)

    @property
    def start(self) -> date:
        """First day of the cut-off window."""
        if self.kind == "Q" and self.quarter > 1:
            return date(self.year, self.last_month - 3, 15)
        return date(self.year - 1, 12, 15)

    @property
    def end(self) -> date:
        """Last day of the cut-off window."""
        return date(self.year, self.last_month, 14)

    def previous(self) -> "Period":
        """The preceding period of the same kind (2021-Q2 -> 2021-Q1, 2021-H1 -> 2020-H1)."""
        if self.kind == "Q":
            if self.quarter == 1:
                return Period(self.year - 1, "Q", 4)
            return Period(self.year, "Q", self.quarter - 1)
        return Period(self.year - 1, self.kind, self.quarter)

    def last_year(self) -> "Period":
        """The same period a year earlier."""
        return Period(self.year - 1, self.kind, self.quarter)

    @property
    def title(self) -> str:
        """Vietnamese title as letters write it: '6 tháng đầu năm 2021', 'Quý II năm 2021'."""
        if self.kind == "Y":
            return f"năm {self.year}"
        if self.kind == "Q":
            return f"Quý {['I', 'II', 'III', 'IV'][self.quarter - 1]} năm {self.year}"
        if self.kind == "H1":
            return f"6 tháng đầu năm {self.year}"
        return f"9 tháng đầu năm {self.year}"


def parse_period(text: str) -> Period:
    """Parse a period id (see :class:`Period`)."""
    return Period.parse(text)


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_TITLE_PATTERNS = [
    # '6 tháng đầu năm 2021', '6 tháng năm 2021', '6 tháng 2021', '6 tháng/2021'
    (re.compile(r"\b6 thang (?:dau )?(?:nam )?(\d{4})\b"), lambda m: Period(int(m.group(1)), "H1")),
    (re.compile(r"\bsau thang (?:dau )?(?:nam )?(\d{4})\b"), lambda m: Period(int(m.group(1)), "H1")),
    (re.compile(r"\b9 thang (?:dau )?(?:nam )?(\d{4})\b"), lambda m: Period(int(m.group(1)), "9M")),
    (re.compile(r"\bchin thang (?:dau )?(?:nam )?(\d{4})\b"), lambda m: Period(int(m.group(1)), "9M")),
    (
        re.compile(r"\bquy (i{1,3}|iv|[1-4]) (?:nam )?(\d{4})\b"),
        lambda m: Period(int(m.group(2)), "Q", _ROMAN[m.group(1)]),
    ),
    (
        re.compile(r"\b(?:cchc|cai cach hanh chinh|bao cao|ky bao cao|ket qua) (?:ca )?nam (\d{4})\b"),
        lambda m: Period(int(m.group(1)), "Y"),
    ),
    (re.compile(r"^nam (\d{4})$"), lambda m: Period(int(m.group(1)), "Y")),
]


def period_in_text(folded: str) -> Period | None:
    """The period a title names, from its folded text (see :func:`cchc_analysis.text.fold`).

    Only phrases that name a reporting period count ('6 tháng đầu năm 2021', 'Quý I năm 2021',
    'báo cáo CCHC năm 2020'); a bare year elsewhere in a sentence does not.
    """
    folded = re.sub(r"\b(?:6|sau) thang cuoi nam \d{4}\b", " ", folded)
    for pattern, build in _TITLE_PATTERNS:
        match = pattern.search(folded)
        if match:
            return build(match)
    return None
