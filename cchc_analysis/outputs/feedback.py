"""Feedback per unit: one short Vietnamese workbook a department can act on without the analyst.

``reports/<period>/feedback/<UNIT>.xlsx`` holds a title (unit, period, deadline and whether the
report came on time, late by how much, or not at all), a count of problems and one table row per
finding of the unit (STT, Chỉ tiêu, Tệp, Trang, Dòng, Vấn đề, Mức độ), errors first. A unit with
no problem gets a workbook that says so. A second sheet, ``Thay đổi giữa các lần gửi``, lists
what changed between the unit's versions (from the period's record, :mod:`cchc_analysis.audit`):
a department sees that its correction was taken. Every text that came from a department (file and sheet
names, messages quoting cells) goes through :func:`cchc_analysis.safety.cell_text`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .. import findings as F
from ..periods import Period
from ..safety import cell_text
from ..text import duration_text, when_text
from . import a4_print
from .layout import finish

SHEET = "Phản hồi"
SHEET_VERSIONS = "Thay đổi giữa các lần gửi"
VERSION_HEADERS = ["STT", "Lần kiểm tra", "Chỉ tiêu", "Số liệu cũ", "Nguồn cũ", "Số liệu mới", "Nguồn mới", "Lý do",
                   "Bảng của huyện"]
VERSION_WIDTHS = [5, 15, 26, 11, 24, 11, 24, 20, 13]  # A4 landscape at ~95 %
HEADERS = ["STT", "Chỉ tiêu", "Tệp", "Trang", "Dòng", "Vấn đề", "Mức độ"]
WIDTHS = [6, 28, 20, 12, 7, 60, 11]  # A4 landscape at ~100 %: text printed at its size
SEVERITY_LABELS = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Thông tin"}
_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
_SEVERITY_COLOURS = {"error": "C00000", "warning": "B45F06", "info": "1F4E79"}
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")






def _natural(text: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in str(text).split(".") if p)


def _status_text(entry: dict | None, deadline: datetime | None) -> str:
    """Deadline status of one unit from its timeliness row (None: the unit owes nothing)."""
    if entry is None:
        return "Đơn vị không phải báo cáo chỉ tiêu nào trong kỳ này."
    if not entry.get("reported"):
        return "CHƯA NHẬN ĐƯỢC BÁO CÁO."
    received = entry.get("received_at")
    got = f"nhận lúc {when_text(received)}" if received is not None and not pd.isna(received) else "đã nhận"
    on_time = entry.get("on_time")
    if deadline is None or on_time is None or pd.isna(on_time):
        return f"Đã nhận báo cáo ({got}); kỳ này chưa quy định hạn nộp."
    if bool(on_time):
        return f"Đúng hạn ({got})."
    hours = entry.get("late_hours")
    how = duration_text(float(hours)) if hours is not None and not math.isnan(float(hours)) else ""
    return f"MUỘN {how} so với hạn nộp ({got})."


def _message_body(row: dict) -> str:
    """The finding's message without the location prefix the table shows in its own columns."""
    message = str(row.get("message") or "")
    prefix = F.where(row.get("source_file") or None, row.get("sheet") or None, _int(row.get("row")))
    if prefix and message.startswith(prefix + ": "):
        message = message[len(prefix) + 2:]
    return message[:1].upper() + message[1:]


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) or value == "" else int(value)


def _indicator_label(indicator: str, names: dict[str, str]) -> str:
    if not indicator:
        return "Cả báo cáo"
    name = names.get(indicator)
    return f"{indicator} – {name}" if name else indicator


def _file_name(code: str) -> str:
    return (re.sub(r"[^A-Za-z0-9_-]+", "_", str(code)).strip("_") or "don_vi") + ".xlsx"


def _versions_sheet(sheet, code: str, unit_name: str, period: Period, versions: pd.DataFrame | None,
                    names: dict[str, str], kinds: dict[str, str]) -> None:
    """What changed between the unit's versions, one row per value (oldest first)."""
    from ..audit import REASONS, number_text, time_text

    last_col = get_column_letter(len(VERSION_HEADERS))
    lines = [
        ("CÁC SỐ LIỆU CỦA ĐƠN VỊ ĐÃ THAY ĐỔI GIỮA CÁC LẦN GỬI", Font(bold=True, size=14)),
        (f"Đơn vị: {unit_name} ({code}) — kỳ báo cáo: {period.title} ({period.id})", Font(bold=True)),
        ("Theo nhật ký kiểm tra của kỳ: mỗi dòng là một số liệu khác với lần kiểm tra trước (tệp sửa, tệp gửi bổ sung, "
         "tệp bị gỡ). Số liệu mới của lần kiểm tra cuối là số liệu đang được dùng.", None),
    ]
    for number, (text, font) in enumerate(lines, start=1):
        cell = sheet.cell(row=number, column=1, value=cell_text(text))
        cell.alignment = _WRAP
        if font is not None:
            cell.font = font
        sheet.merge_cells(f"A{number}:{last_col}{number}")
    sheet.row_dimensions[3].height = 30
    header = len(lines) + 2
    fill = PatternFill("solid", fgColor="D9E1F2")
    for col, (title, width) in enumerate(zip(VERSION_HEADERS, VERSION_WIDTHS), start=1):
        cell = sheet.cell(row=header, column=col, value=title)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        sheet.column_dimensions[get_column_letter(col)].width = width
    rows = versions.to_dict("records") if versions is not None and len(versions) else []
    if not rows:
        cell = sheet.cell(row=header + 1, column=3, value="Chưa có thay đổi nào giữa các lần gửi của đơn vị.")
        cell.alignment = _WRAP
    for number, item in enumerate(rows, start=1):
        kind = kinds.get(item["indicator"], "")

        def value(side: str) -> str:
            if _missing(item[f"{side}_value"]) and item[f"{side}_raw"]:
                return f"'{item[f'{side}_raw']}' (không đọc được)"
            return number_text(item[f"{side}_value"], kind) if item[f"{side}_file"] else "(không có)"

        def source(side: str) -> str:
            if not item[f"{side}_file"]:
                return ""
            where = F.where(item[f"{side}_file"], item[f"{side}_sheet"] or None, _int(item[f"{side}_row"]))
            return where + (f" (bản {item[f'{side}_sha256'][:8]})" if item[f"{side}_sha256"] else "")

        district = number_text(item["district_new"], kind)
        if number_text(item["district_old"], kind) != district:
            district = f"{number_text(item['district_old'], kind)} → {district}"
        values = [number, time_text(item["checked_at"]), cell_text(_indicator_label(item["indicator"], names)),
                  value("old"), cell_text(source("old")), value("new"), cell_text(source("new")),
                  REASONS.get(item["reason"], item["reason"]), district]
        r = header + number
        for col, text in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=col, value=cell_text(text) if isinstance(text, str) else text)
            cell.border = _BORDER
            cell.alignment = _WRAP
        sheet.row_dimensions[r].height = 15 * max(2, math.ceil(len(values[2]) / 32))
    sheet.freeze_panes = f"A{header + 1}"
    a4_print(sheet, header, orientation="landscape")
    sheet.page_margins.left = sheet.page_margins.right = 0.4


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value)


def _write_one(path: Path, code: str, unit_name: str, period: Period, deadline: datetime | None,
               entry: dict | None, rows: pd.DataFrame, names: dict[str, str],
               versions: pd.DataFrame | None = None, kinds: dict[str, str] | None = None) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    book.properties.title = f"Phản hồi kiểm tra số liệu CCHC {period.id} - {code}"
    book.properties.creator = "cchc_analysis"
    last_col = get_column_letter(len(HEADERS))
    counts = {s: int((rows["severity"] == s).sum()) for s in F.SEVERITIES}
    if len(rows) == 0:
        verdict = "Không phát hiện vấn đề nào trong báo cáo của đơn vị. Cảm ơn đơn vị đã báo cáo đầy đủ, đúng mẫu."
    elif counts["error"]:
        verdict = ("Đề nghị đơn vị sửa các lỗi dưới đây (cột Vấn đề nói rõ ô nào sai và giá trị đúng phải như thế nào) "
                   "rồi gửi lại tệp Phụ lục II; các cảnh báo cần được xem lại và giải thích nếu số liệu vẫn đúng.")
    else:
        verdict = "Không có lỗi; đề nghị đơn vị xem lại các cảnh báo, thông tin dưới đây và giải thích nếu số liệu vẫn đúng."
    lines = [
        ("PHẢN HỒI KẾT QUẢ KIỂM TRA SỐ LIỆU CẢI CÁCH HÀNH CHÍNH (PHỤ LỤC II)", Font(bold=True, size=14)),
        (f"Đơn vị: {unit_name} ({code})", Font(bold=True, size=12)),
        (f"Kỳ báo cáo: {period.title} ({period.id})", None),
        (f"Hạn nộp: {when_text(deadline) if deadline is not None else 'chưa quy định'}", None),
        (f"Tình trạng nộp: {_status_text(entry, deadline)}", Font(bold=True)),
    ]
    if entry is not None and entry.get("source_file"):
        lines.append((f"Tệp được dùng: {entry['source_file']}", None))
    lines.append((f"Kết quả kiểm tra: {counts['error']} lỗi, {counts['warning']} cảnh báo, "
                  f"{counts['info']} thông tin. {verdict}", None))
    for number, (text, font) in enumerate(lines, start=1):
        cell = sheet.cell(row=number, column=1, value=cell_text(text))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if font is not None:
            cell.font = font
        sheet.merge_cells(f"A{number}:{last_col}{number}")
        if len(text) > 120:
            sheet.row_dimensions[number].height = 15 * math.ceil(len(text) / 150 + 0.5)
    header = len(lines) + 2
    fill = PatternFill("solid", fgColor="D9E1F2")
    for col, title in enumerate(HEADERS, start=1):
        cell = sheet.cell(row=header, column=col, value=title)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for col, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    if len(rows) == 0:
        r = header + 1
        sheet.cell(row=r, column=1, value=1)
        sheet.cell(row=r, column=6, value="Không phát hiện vấn đề nào.")
        sheet.cell(row=r, column=7, value="")
        for col in range(1, len(HEADERS) + 1):
            sheet.cell(row=r, column=col).border = _BORDER
            sheet.cell(row=r, column=col).alignment = _WRAP
    for number, item in enumerate(rows.to_dict("records"), start=1):
        r = header + number
        body = _message_body(item)
        values = [
            number,
            cell_text(_indicator_label(item.get("indicator") or "", names)),
            cell_text(item.get("source_file") or ""),
            cell_text(item.get("sheet") or ""),
            _int(item.get("row")),
            cell_text(body),
            SEVERITY_LABELS.get(item.get("severity"), item.get("severity")),
        ]
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=col, value=value)
            cell.border = _BORDER
            cell.alignment = _WRAP
        severity_cell = sheet.cell(row=r, column=len(HEADERS))
        severity_cell.font = Font(bold=True, color=_SEVERITY_COLOURS.get(item.get("severity"), "000000"))
        sheet.row_dimensions[r].height = 15 * max(1, math.ceil(len(body) / 95), math.ceil(len(values[1]) / 32))
    sheet.freeze_panes = f"A{header + 1}"
    a4_print(sheet, header, orientation="landscape")
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "Trang &P / &N"
    _versions_sheet(book.create_sheet(SHEET_VERSIONS), code, unit_name, period, versions, names, kinds or {})
    finish(book)  # Times New Roman, rows as tall as their text, print areas
    book.save(path)


@lru_cache(maxsize=1)
def _code_stamp() -> str:
    import openpyxl

    digest = hashlib.sha256(openpyxl.__version__.encode())
    for path in sorted(Path(__file__).resolve().parents[1].rglob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _digest(*parts) -> str:
    text = json.dumps([_code_stamp(), *parts], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def write_feedback(
    period: str,
    findings: pd.DataFrame,
    timeliness: pd.DataFrame,
    units: pd.DataFrame,
    out_dir: Path,
    deadline: datetime | None,
    catalogue: pd.DataFrame | None = None,
    previous: dict[str, tuple[Path, str]] | None = None,
    made: dict[str, str] | None = None,
    changes: pd.DataFrame | None = None,
) -> list[Path]:
    """Write ``out_dir/<UNIT>.xlsx`` for every unit that is expected (``timeliness.expected``) or
    has findings; return the paths written, in registry order.

    ``previous``: file name -> (a workbook an earlier run wrote, the digest of what it was made
    from). A unit whose workbook would be made from the same things (its findings, its
    timeliness, the unit and indicator names, the period, the deadline, the code) is copied from
    there instead of written again: re-checking a province's period when one corrected file
    arrives rewrites that unit's workbook only. ``made`` receives file name -> digest.

    ``changes``: the period's record of changed values (``audit/changes.parquet``,
    :func:`cchc_analysis.audit.load_audit`); each unit's workbook lists its own between its
    versions (:func:`cchc_analysis.audit.versions`) on a second sheet.

    ``findings``: the period's findings (ingest and checks together, ``FINDING_COLUMNS``); rows
    without a unit (a file nobody could be credited with, the missing deadline) are not sent to
    any unit. ``catalogue`` (optional) adds each indicator's name to the Chỉ tiêu column.
    """
    parsed = Period.parse(period)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    unit_names = dict(zip(units["code"], units["name"]))
    names = dict(zip(catalogue["id"], catalogue["name"])) if catalogue is not None else {}
    kinds = dict(zip(catalogue["id"], catalogue["kind"])) if catalogue is not None else {}
    entries: dict[str, dict] = {}
    if timeliness is not None and len(timeliness):
        for entry in timeliness.to_dict("records"):
            if bool(entry.get("expected", True)):
                entries[str(entry["unit"])] = entry
    findings = (findings if findings is not None else pd.DataFrame(columns=F.FINDING_COLUMNS)).copy()
    for column in F.FINDING_COLUMNS:  # frames read back from CSV carry NaN for empty text
        if column not in findings.columns:
            findings[column] = ""
        if column != "row":
            findings[column] = findings[column].fillna("").astype(str)
    with_findings = [u for u in dict.fromkeys(findings["unit"].astype(str)) if u]
    order = list(units["code"])
    wanted = [u for u in order if u in entries or u in with_findings]
    wanted += sorted(u for u in set(entries) | set(with_findings) if u not in order)
    written: list[Path] = []
    for code in wanted:
        mine = findings[findings["unit"].astype(str) == code].copy()
        mine["_s"] = mine["severity"].map(_SEVERITY_RANK).fillna(3)
        mine["_i"] = mine["indicator"].fillna("").map(_natural)
        mine["_r"] = pd.to_numeric(mine["row"], errors="coerce").fillna(0)
        mine = mine.sort_values(["_s", "_i", "source_file", "_r"], kind="stable")
        path = out_dir / _file_name(code)
        entry = entries.get(code)
        from ..audit import versions as unit_versions

        changed = unit_versions(changes, code) if changes is not None else None
        changed_rows = changed.to_dict("records") if changed is not None else []
        digest = _digest(code, unit_names.get(code, code), parsed.id, deadline, entry,
                         mine[F.FINDING_COLUMNS].to_dict("records"),
                         {i: names.get(i) for i in list(mine["indicator"]) + [r["indicator"] for r in changed_rows] if i},
                         changed_rows)
        earlier, earlier_digest = (previous or {}).get(path.name, (None, None))
        if earlier is not None and earlier_digest == digest and Path(earlier).is_file():
            shutil.copy2(earlier, path)
        else:
            _write_one(path, code, unit_names.get(code, code), parsed, deadline, entry, mine, names, changed, kinds)
        if made is not None:
            made[path.name] = digest
        written.append(path)
    return written
