"""Findings: one row per problem, with a Vietnamese message a department can act on.

Every check code of DESIGN.md (plus the few this product adds) is listed in :data:`CHECKS` with its
default severity and a Vietnamese title; :func:`make` builds one finding row and :func:`frame`
turns a list of them into the ``findings.csv`` frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .text import is_missing

if TYPE_CHECKING:
    import pandas as pd

FINDING_COLUMNS = ["period", "unit", "indicator", "check", "severity", "message", "source_file", "sheet", "row"]
SEVERITIES = ("error", "warning", "info")

#: code -> (default severity, Vietnamese title)
CHECKS: dict[str, tuple[str, str]] = {
    "unreadable-file": ("error", "Tệp không đọc được"),
    "unknown-unit": ("error", "Không xác định được đơn vị gửi"),
    "duplicate-submission": ("warning", "Đơn vị gửi nhiều tệp"),
    "period-mismatch": ("error", "Tệp ghi kỳ báo cáo khác"),
    "missing-report": ("error", "Đơn vị chưa gửi báo cáo"),
    "late-report": ("warning", "Gửi báo cáo muộn"),
    "unknown-indicator": ("warning", "Dòng không khớp chỉ tiêu nào"),
    "missing-value": ("error", "Thiếu số liệu"),
    "type-error": ("error", "Số liệu sai kiểu"),
    "invalid-code": ("error", "Mã lựa chọn không hợp lệ"),
    "out-of-range": ("error", "Số liệu ngoài khoảng cho phép"),
    "rule-violation": ("error", "Số liệu mâu thuẫn nhau"),
    "conflict": ("warning", "Hai nguồn ghi khác nhau"),
    "large-change": ("warning", "Thay đổi lớn so với kỳ trước"),
    "cumulative-decrease": ("error", "Số lũy kế giảm"),
    # added by this product
    "formula-no-value": ("error", "Công thức chưa có giá trị"),
    "unexpected-value": ("warning", "Số liệu ở dòng không cần số liệu"),
    "duplicate-row": ("info", "Chỉ tiêu ghi hai lần"),
    "truncated-sheet": ("warning", "Trang tính quá lớn, chỉ đọc phần đầu"),
    "no-deadline": ("info", "Chưa cấu hình hạn nộp"),
    "ignored-column": ("info", "Cột số liệu phụ không được dùng"),
    "ignored-sheet": ("info", "Trang ẩn không được đọc"),
    "ambiguous-percent": ("error", "Tỷ lệ không rõ là phần trăm hay thập phân"),
    "non-owner-value": ("info", "Số liệu lấy từ đơn vị không phụ trách"),
    "unresolved-value": ("warning", "Không xác định được số liệu tổng hợp"),
    "submission-time": ("warning", "Thời điểm nhận tệp không đọc được"),
    "file-name": ("info", "Tên tệp có ký tự không đọc được"),
    # the narrative (Phụ lục I): the heading id in the ``indicator`` column
    "missing-section": ("warning", "Báo cáo thiếu mục theo đề cương Phụ lục I"),
    "unknown-section": ("warning", "Nội dung ngoài đề cương Phụ lục I"),
}


def where(source_file: str | None, sheet: str | None = None, row: int | None = None) -> str:
    """'Tệp 'a.xlsx', trang 'Phụ lục II', dòng 12' — as much as is known."""
    parts = []
    if source_file:
        parts.append(f"Tệp '{source_file}'")
    if sheet:
        parts.append(f"trang '{sheet}'")
    if not is_missing(row) and row:
        parts.append(f"dòng {int(row)}")
    return ", ".join(parts)


def make(
    check: str,
    message: str,
    *,
    period: str = "",
    unit: str = "",
    indicator: str = "",
    source_file: str = "",
    sheet: str = "",
    row: int | None = None,
    severity: str | None = None,
) -> dict:
    """One finding row. ``message`` is the Vietnamese text; location words are prefixed here."""
    if check not in CHECKS:
        raise KeyError(f"unknown check code {check!r}")
    prefix = where(source_file, sheet, row)
    text = f"{prefix}: {message}" if prefix else message
    return {
        "period": period,
        "unit": unit or "",
        "indicator": indicator or "",
        "check": check,
        "severity": severity or CHECKS[check][0],
        "message": text,
        "source_file": source_file or "",
        "sheet": sheet or "",
        "row": int(row) if not is_missing(row) and row else None,
    }


def frame(findings: list[dict]) -> "pd.DataFrame":
    """The findings list as a frame with the DESIGN.md columns (``row`` nullable integer)."""
    import pandas as pd

    out = pd.DataFrame(findings, columns=FINDING_COLUMNS)
    for column in FINDING_COLUMNS:
        if column != "row":
            out[column] = out[column].fillna("").astype(str)
    out["row"] = pd.array(out["row"], dtype="Int64")
    return out


def summary(findings: "pd.DataFrame") -> dict[str, int]:
    """Number of findings per severity (every severity present, zero included)."""
    import pandas as pd

    counts = findings["severity"].value_counts() if len(findings) else pd.Series(dtype=int)
    return {s: int(counts.get(s, 0)) for s in SEVERITIES}
