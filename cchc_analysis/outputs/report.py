"""The narrative of the notebooks: Vietnamese sentences and HTML tables built from a checked period.

Every function takes a :class:`~cchc_analysis.pipeline.PeriodData` (or one of its frames) and
returns text: Markdown for sentences (shown with ``IPython.display.Markdown``), HTML for tables and
the figure cards of the leadership summary (shown with ``IPython.display.HTML``). Numbers are
formatted the Vietnamese way (``1.234``, ``87,5 %``, ``09:00 15/06/2021``) by :func:`number`,
:func:`percent` and :func:`date_time`; every text that may come from a department passes through
:func:`cchc_analysis.safety.html_text`.

Rates are computed here from the frames' counts (reports received / expected, valid values /
owed values) so a sentence, a table and a chart of one run can never disagree.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import pandas as pd

from ..catalogue import parse_choices
from ..config import Workspace
from ..findings import CHECKS, SEVERITIES
from ..periods import Period
from ..safety import html_text
from ..text import is_missing

if TYPE_CHECKING:  # pragma: no cover
    from ..pipeline import PeriodData

DASH = "–"
SEVERITY_LABELS = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Thông tin"}
NO_UNIT = "(chưa xác định đơn vị)"

#: the key rates of the summary and of the comparison chart: on-time dossiers (3.4.x) and online
#: dossiers (7.1.8.3, 7.1.8.4)
KEY_RATES = ("3.4.1", "3.4.2", "3.4.3", "3.4.4", "3.4.5", "7.1.8.3", "7.1.8.4")

#: the figures "results by section" quotes: (section, indicator, of-indicator or None, words)
HIGHLIGHTS: tuple[tuple[str, str, str | None, str], ...] = (
    ("1", "1.1.2", "1.1.1", "nhiệm vụ trong kế hoạch CCHC đã hoàn thành"),
    ("1", "1.3.2", "1.3.1", "nhiệm vụ tỉnh giao hoàn thành đúng hạn"),
    ("2", "2.1", None, "VBQPPL đã ban hành/tham mưu ban hành"),
    ("2", "2.3", None, "VBQPPL đã rà soát"),
    ("3", "3.1.3", None, "TTHC đang có hiệu lực"),
    ("3", "3.4.2", None, "hồ sơ cấp huyện giải quyết đúng hạn"),
    ("3", "3.4.3", None, "hồ sơ cấp xã giải quyết đúng hạn"),
    ("4", "4.2.2", "4.2.1", "biên chế có mặt so với được giao"),
    ("5", "5.2.1", None, "công chức được tuyển dụng"),
    ("5", "5.2.4", None, "viên chức được tuyển dụng"),
    ("6", "6.2", None, "đơn vị SNCL tự chủ 100% chi thường xuyên"),
    ("7", "7.1.8.3", None, "hồ sơ xử lý trực tuyến mức độ 3"),
    ("7", "7.1.8.4", None, "hồ sơ xử lý trực tuyến mức độ 4"),
)

FILE_STATUS = {
    "ok": "Đã đọc",
    "unreadable": "Không đọc được",
    "no-table": "Không thấy bảng Phụ lục II",
    "unknown-unit": "Không rõ đơn vị gửi",
    "period-mismatch": "Ghi kỳ báo cáo khác",
    "superseded": "Đã được thay bằng tệp gửi sau",
    "narrative": "Báo cáo Phụ lục I (văn bản)",
}


# --------------------------------------------------------------------------------------------
# numbers, dates, text




def nfc(text) -> str:
    """``text`` as an NFC string (line breaks kept)."""
    return unicodedata.normalize("NFC", "" if is_missing(text) else str(text))


def number(value, decimals: int | None = None) -> str:
    """A number the Vietnamese way: ``1234 -> '1.234'``, ``87.5 -> '87,5'``, missing -> '–'.

    ``decimals=None`` writes whole numbers without decimals and others with up to two.
    """
    if is_missing(value):
        return DASH
    value = float(value)
    if not math.isfinite(value):
        return DASH
    if decimals is None:
        if abs(value - round(value)) < 1e-9:
            decimals = 0
        else:
            text = f"{value:,.2f}".rstrip("0").rstrip(".")
            return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    text = f"{value:,.{decimals}f}"
    if decimals and float(text.replace(",", "")) == 0:
        text = text.lstrip("-")
    elif not decimals and text == "-0":
        text = "0"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def percent(value, decimals: int = 1) -> str:
    """A percentage given on the 0..100 scale: ``87.5 -> '87,5 %'``; missing -> '–'."""
    if is_missing(value) or not math.isfinite(float(value)):
        return DASH
    return f"{number(value, decimals)} %"


def ratio(part, whole) -> float:
    """``100 * part / whole`` (NaN when ``whole`` is 0 or missing)."""
    if is_missing(part) or is_missing(whole) or float(whole) == 0:
        return math.nan
    return 100.0 * float(part) / float(whole)


def signed(value, decimals: int | None = None) -> str:
    """A change with its sign: ``+3``, ``−2,5`` (true minus sign), ``0``."""
    if is_missing(value) or not math.isfinite(float(value)):
        return DASH
    text = number(abs(float(value)), decimals)
    if text.strip("0,.") == "":
        return text
    return ("+" if float(value) > 0 else "−") + text


def date_time(value) -> str:
    """``'09:00 15/06/2021'``; missing -> '–'."""
    if is_missing(value):
        return DASH
    stamp = pd.Timestamp(value)
    return f"{stamp:%H:%M %d/%m/%Y}"


def day(value) -> str:
    """``'15/06/2021'``; missing -> '–'."""
    if is_missing(value):
        return DASH
    return f"{pd.Timestamp(value):%d/%m/%Y}"


def duration(hours) -> str:
    """A delay in words: ``2 ngày 3 giờ``, ``5 giờ 30 phút``, ``20 phút``."""
    if is_missing(hours):
        return DASH
    minutes = int(round(float(hours) * 60))
    days, rest = divmod(abs(minutes), 1440)
    hh, mm = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} ngày")
    if hh:
        parts.append(f"{hh} giờ")
    if mm and not days:
        parts.append(f"{mm} phút")
    return " ".join(parts) or "0 phút"


def listing(items: Iterable[str]) -> str:
    """``a, b và c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " và " + items[-1]


def _cell(value) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return html_text(date_time(value))
    return html_text(nfc(value))


def html_table(frame: pd.DataFrame, right: Iterable[str] = (), bold_rows: Iterable[int] = (),
               empty: str = "Không có dòng nào.", html: Iterable[str] = ()) -> str:
    """``frame`` as an HTML table (class ``cchc``): text escaped, numbers Vietnamese; the
    columns named in ``html`` hold markup built here from escaped parts and are inserted as is;
    ``right`` the right-aligned columns, ``bold_rows`` the positions of rows set in bold."""
    if frame is None or len(frame) == 0:
        return f'<p class="cchc-empty">{html_text(empty)}</p>'
    right, raw, bold = set(right), set(html), set(bold_rows)
    head = "".join(
        f'<th class="{"num" if c in right else ""}">{html_text(nfc(c))}</th>' for c in frame.columns
    )
    rows = []
    for position, record in enumerate(frame.itertuples(index=False)):
        cells = "".join(
            f'<td class="{"num" if c in right else ""}">'
            f'{("" if is_missing(v) else str(v)) if c in raw else _cell(v)}</td>'
            for c, v in zip(frame.columns, record)
        )
        rows.append(f'<tr class="{"group" if position in bold else ""}">{cells}</tr>')
    return f'<table class="cchc"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def style() -> str:
    """The stylesheet of every table and card (one ``<style>`` block). Printed, a page never breaks
    right after a heading, inside a chart, a card, a paragraph or a table row, and a table's header
    repeats on each page (the page itself, A4, is set by the summary's HTML template,
    :data:`cchc_analysis.run.PRINT_CSS`)."""
    return """<style>
.cchc-report { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; }
table.cchc { border-collapse: collapse; margin: 0.4em 0 1em 0; font-size: 13px; }
table.cchc th, .jp-RenderedHTMLCommon table.cchc th { background: #1f5fa8; color: #fff; padding: 4px 8px;
  text-align: left; font-weight: 600; vertical-align: bottom; }
table.cchc td, .jp-RenderedHTMLCommon table.cchc td { border-bottom: 1px solid #dde3ea; padding: 3px 8px;
  vertical-align: top; text-align: left; }
table.cchc th.num, table.cchc td.num, .jp-RenderedHTMLCommon table.cchc th.num,
.jp-RenderedHTMLCommon table.cchc td.num { text-align: right; white-space: nowrap; }
table.cchc tr.group td { font-weight: 700; background: #f2f5f9; }
.cchc-cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 0.6em 0 1em 0; }
.cchc-card { border: 1px solid #d0d9e4; border-left: 5px solid #1f5fa8; border-radius: 4px;
  padding: 8px 12px; min-width: 170px; max-width: 240px; background: #fbfcfe; }
.cchc-card .label { font-size: 12px; color: #445; }
.cchc-card .value { font-size: 26px; font-weight: 700; color: #1f2d3d; line-height: 1.2; }
.cchc-card .note { font-size: 12px; color: #667; }
.cchc-card.good { border-left-color: #2e8b57; }
.cchc-card.warn { border-left-color: #d9822b; }
.cchc-card.bad { border-left-color: #c0392b; }
.tag { padding: 1px 6px; border-radius: 3px; font-size: 12px; white-space: nowrap; }
.tag.ok { background: #e3f4ea; color: #1e6b3f; }
.tag.late { background: #fdf0e1; color: #9a5314; }
.tag.missing { background: #fbe5e3; color: #922b21; }
.cchc-todo h4 { margin: 0.8em 0 0.2em 0; }
.cchc-todo ul { margin: 0.2em 0 0.6em 1.2em; padding: 0; }
.cchc-empty { color: #667; font-style: italic; }
@media print {
  h1, h2, h3, h4, h5, h6 { break-after: avoid; page-break-after: avoid; break-inside: avoid; }
  img, figure, .cchc-card, .cchc-cards, p { break-inside: avoid; page-break-inside: avoid; }
  table.cchc { font-size: 11px; }
  table.cchc thead { display: table-header-group; }
  table.cchc tr { break-inside: avoid; page-break-inside: avoid; }
  .cchc-todo h4 + ul { break-before: avoid; }
}
</style>"""


# --------------------------------------------------------------------------------------------
# the period and its place


def open_period(period: str | None = None, root: Path | str | None = None, check: bool = False) -> "PeriodData":
    """The checked period, read back from ``data/processed/<period>/``.

    ``root`` None: the workspace found by :func:`cchc_analysis.config.find_workspace` (the
    environment variable ``CCHC_ROOT``, a ``cchc.toml`` at or above the working folder, the demo
    beside the repository); ``period`` None: that workspace's newest checked period
    (:func:`cchc_analysis.config.newest_period`). So a notebook opened in JupyterLab runs as
    committed; papermill passes both explicitly.

    ``check=True``, or a period that has raw files but was never checked, runs ``cchc check``
    first (under the period's lock), so a notebook opened in JupyterLab works on a fresh workspace.
    """
    from ..config import find_workspace, newest_period
    from ..pipeline import check_period, load_period, period_lock
    from ..signoff import is_closed

    ws = Workspace(find_workspace(root))
    pid = Period.parse(period).id if period not in (None, "") else newest_period(ws.root)
    checked = (ws.processed_dir(pid) / "values.parquet").is_file()
    if (check or not checked) and ws.raw_dir(pid).is_dir() and not is_closed(pid, ws.root):  # closed: as signed off
        with period_lock(ws.root, pid):
            check_period(pid, ws.root, progress=False)
    return load_period(pid, ws.root)


def reports_dir(data: "PeriodData", out_dir: str | Path = "") -> Path:
    """Where a notebook writes the period's outputs: ``out_dir`` when given (the run's staging
    folder), else ``<root>/reports/<period>``; created."""
    if not str(out_dir or ""):
        from ..signoff import ensure_open

        ensure_open(data.period.id, data.root)  # a signed-off period's reports are not rewritten
    folder = Path(out_dir) if str(out_dir or "") else Workspace(data.root).reports_dir(data.period.id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def unit_names(data: "PeriodData") -> dict[str, str]:
    """Unit code -> registered name."""
    if data.units is None or not len(data.units):
        return {}
    return dict(zip(data.units["code"], data.units["name"]))


def _unit_name(names: dict[str, str], code) -> str:
    code = "" if is_missing(code) else str(code)
    return names.get(code, code) if code else NO_UNIT


def _catalogue_index(catalogue: pd.DataFrame) -> pd.DataFrame:
    return catalogue.set_index("id", drop=False) if len(catalogue) else catalogue


def indicator_label(catalogue: pd.DataFrame, indicator: str, width: int | None = None) -> str:
    """``'3.4.2 Tỷ lệ hồ sơ TTHC ...'`` (cut to ``width`` characters with '…')."""
    index = _catalogue_index(catalogue)
    name = index.at[indicator, "name"] if indicator in index.index else ""
    text = nfc(f"{indicator} {name}".strip())
    if width and len(text) > width:
        text = text[: width - 1].rstrip() + "…"
    return text


def section_names(catalogue: pd.DataFrame) -> dict[str, str]:
    """Top-level section id -> its name (``'3' -> 'Cải cách thủ tục hành chính'``)."""
    top = catalogue[catalogue["parent"].fillna("") == ""]
    return {str(i): nfc(n) for i, n in zip(top["id"], top["name"])}


def format_value(value, kind: str, choices: str = "") -> str:
    """A consolidated value as the table shows it: counts ``1.234``, percents ``87,5``, codes
    ``2 (Kết hợp)``, scores up to two decimals."""
    if is_missing(value):
        return ""
    if kind == "percent":
        return number(value, 1)
    if kind == "count":
        return number(value, 0) if float(value).is_integer() else number(value)
    if kind == "code":
        try:
            label = parse_choices(choices).get(int(float(value)))
        except ValueError:
            label = None
        return f"{number(value)} ({label})" if label else number(value)
    return number(value)


def title(data: "PeriodData", heading: str) -> str:
    """``# heading — <period title>`` plus the cut-off window and the deadline (Markdown)."""
    p = data.period
    line = f"Kỳ báo cáo: {p.title} (số liệu từ {day(p.start)} đến {day(p.end)})"
    if data.deadline is not None:
        line += f"; hạn gửi báo cáo: {date_time(data.deadline)}"
    return f"# {html_text(heading)} — {html_text(p.title)}\n\n{line}."


# --------------------------------------------------------------------------------------------
# who reported, and when


def reporting_status(data: "PeriodData") -> pd.DataFrame:
    """One row per expected unit: ``unit, unit_name, reported, on_time, received_at, late_hours,
    source_file, status`` (status ``ok``, ``late`` or ``missing``)."""
    columns = ["unit", "unit_name", "reported", "on_time", "received_at", "late_hours", "source_file", "status"]
    t = data.timeliness
    if t is None or not len(t):
        return pd.DataFrame(columns=columns)
    names = unit_names(data)
    t = t[t["expected"].fillna(False).astype(bool)] if "expected" in t.columns else t
    out = pd.DataFrame({
        "unit": t["unit"].astype(str),
        "unit_name": [nfc(n) if not is_missing(n) and str(n) else _unit_name(names, u)
                      for n, u in zip(t.get("unit_name", t["unit"]), t["unit"])],
        "reported": t["reported"].fillna(False).astype(bool),
        "on_time": t["on_time"].astype("boolean").fillna(False).astype(bool) if "on_time" in t else False,
        "received_at": pd.to_datetime(t.get("received_at"), errors="coerce"),
        "late_hours": pd.to_numeric(t.get("late_hours"), errors="coerce"),
        "source_file": t.get("source_file", pd.Series("", index=t.index)).fillna("").astype(str),
    })
    out["on_time"] = out["on_time"] & out["reported"]
    out["status"] = ["ok" if o else ("late" if r else "missing") for r, o in zip(out["reported"], out["on_time"])]
    if data.deadline is None:
        out.loc[out["reported"], "status"] = "ok"
    return out.reset_index(drop=True)


def reporting_counts(data: "PeriodData") -> dict:
    """``expected, reported, on_time, reporting_rate, on_time_rate`` (rates 0..100), and the
    names of the units ``missing`` and ``late`` (``late``: list of (name, hours))."""
    s = reporting_status(data)
    expected, reported, on_time = len(s), int(s["reported"].sum()), int(s["on_time"].sum())
    return {
        "expected": expected,
        "reported": reported,
        "on_time": on_time,
        "reporting_rate": ratio(reported, expected),
        "on_time_rate": ratio(on_time, expected),
        "missing": list(s.loc[~s["reported"], "unit_name"]),
        "late": list(zip(s.loc[s["status"] == "late", "unit_name"], s.loc[s["status"] == "late", "late_hours"])),
    }


def reporting_text(data: "PeriodData") -> str:
    """One paragraph: how many units reported, how many on time, who is missing or late."""
    c = reporting_counts(data)
    if not c["expected"]:
        return "Chưa có danh sách đơn vị phải báo cáo trong kỳ này."
    parts = [f"**{c['reported']}/{c['expected']}** đơn vị đã gửi báo cáo ({percent(c['reporting_rate'])})"]
    if data.deadline is not None:
        parts.append(f"**{c['on_time']}** đơn vị gửi đúng hạn ({percent(c['on_time_rate'])})")
    text = "; ".join(parts) + "."
    if c["missing"]:
        text += f" Chưa gửi: {html_text(listing(c['missing']))}."
    if c["late"]:
        late = [f"{name} (muộn {duration(h)})" for name, h in c["late"]]
        text += f" Gửi muộn: {html_text(listing(late))}."
    if data.deadline is None:
        text += " Kỳ này chưa cấu hình hạn gửi nên không đánh giá việc gửi đúng hạn."
    if c["reported"] == 0:
        text += " Chưa đơn vị nào gửi báo cáo."
    return text


def _status_tag(status: str, hours) -> str:
    if status == "ok":
        return '<span class="tag ok">Đúng hạn</span>'
    if status == "late":
        return f'<span class="tag late">Muộn {html_text(duration(hours))}</span>'
    return '<span class="tag missing">Chưa gửi</span>'


def reporting_table(data: "PeriodData") -> str:
    """Who reported and when (HTML)."""
    s = reporting_status(data)
    table = pd.DataFrame({
        "Đơn vị": s["unit_name"],
        "Tệp đã nhận": s["source_file"],
        "Thời điểm nhận": [date_time(t) if r else DASH for t, r in zip(s["received_at"], s["reported"])],
        "Tình trạng": [_status_tag(st, h) for st, h in zip(s["status"], s["late_hours"])],
    })
    return html_table(table, empty="Chưa có danh sách đơn vị phải báo cáo.", html=("Tình trạng",))


def files_table(data: "PeriodData") -> str:
    """Every file received (HTML): name, unit, time, status, values read."""
    f = data.files
    if f is None or not len(f):
        return html_table(pd.DataFrame(), empty="Chưa nhận được tệp nào.")
    names = unit_names(data)
    table = pd.DataFrame({
        "Tệp": f["source_file"],
        "Đơn vị": [_unit_name(names, u) for u in f["unit"]],
        "Thời điểm nhận": [date_time(t) for t in f["received_at"]],
        "Tình trạng": [FILE_STATUS.get(str(s), str(s)) for s in f["status"]],
        "Số liệu đọc được": pd.to_numeric(f.get("n_values"), errors="coerce"),
    }).sort_values("Thời điểm nhận", key=lambda s: pd.to_datetime(f["received_at"], errors="coerce"))
    return html_table(table, right=("Số liệu đọc được",))


# --------------------------------------------------------------------------------------------
# findings


def findings_counts(data: "PeriodData") -> dict[str, int]:
    f = data.findings
    counts = f["severity"].value_counts() if f is not None and len(f) else pd.Series(dtype=int)
    return {s: int(counts.get(s, 0)) for s in SEVERITIES}


def findings_text(data: "PeriodData") -> str:
    """One paragraph on the findings: totals by severity, most frequent checks, units concerned."""
    c = findings_counts(data)
    total = sum(c.values())
    if not total:
        return "Không có phát hiện nào: mọi tệp đọc được và số liệu hợp lệ."
    f = data.findings
    text = (f"Có **{number(total)}** phát hiện: **{number(c['error'])}** lỗi cần sửa, "
            f"{number(c['warning'])} cảnh báo cần xem lại và {number(c['info'])} thông tin.")
    errors = f[f["severity"] == "error"]
    if len(errors):
        top = errors["check"].value_counts().head(3)
        kinds = [f"{CHECKS.get(k, ('', k))[1].lower()} ({number(n)})" for k, n in top.items()]
        units = sorted({u for u in errors["unit"] if u})
        names = unit_names(data)
        text += f" Các loại lỗi{' nhiều nhất' if errors['check'].nunique() > 3 else ''}: {html_text(listing(kinds))}."
        if units:
            text += f" Lỗi thuộc {number(len(units))} đơn vị: {html_text(listing(_unit_name(names, u) for u in units))}."
    return text


def findings_by_check(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts per check and severity: ``Loại kiểm tra, Mã, Lỗi, Cảnh báo, Thông tin, Tổng``."""
    columns = ["Loại kiểm tra", "Mã", *SEVERITY_LABELS.values(), "Tổng"]
    if findings is None or not len(findings):
        return pd.DataFrame(columns=columns)
    pivot = (findings.groupby(["check", "severity"]).size().unstack(fill_value=0)
             .reindex(columns=list(SEVERITIES), fill_value=0))
    pivot["total"] = pivot.sum(axis=1)
    pivot = pivot.sort_values(["error", "total"], ascending=False)
    return pd.DataFrame({
        "Loại kiểm tra": [CHECKS.get(k, ("", k))[1] for k in pivot.index],
        "Mã": list(pivot.index),
        **{SEVERITY_LABELS[s]: pivot[s].to_numpy() for s in SEVERITIES},
        "Tổng": pivot["total"].to_numpy(),
    })


def findings_by_check_table(data: "PeriodData") -> str:
    table = findings_by_check(data.findings)
    return html_table(table, right=(*SEVERITY_LABELS.values(), "Tổng"), empty="Không có phát hiện nào.")


def findings_by_unit(data: "PeriodData") -> pd.DataFrame:
    """Counts per unit and severity (registered units first, in registry order)."""
    f = data.findings
    columns = ["Đơn vị", *SEVERITY_LABELS.values(), "Tổng"]
    if f is None or not len(f):
        return pd.DataFrame(columns=columns)
    names = unit_names(data)
    pivot = (f.assign(unit=f["unit"].fillna("")).groupby(["unit", "severity"]).size().unstack(fill_value=0)
             .reindex(columns=list(SEVERITIES), fill_value=0))
    order = {code: i for i, code in enumerate(names)}
    pivot = pivot.loc[sorted(pivot.index, key=lambda u: (order.get(u, len(order)), u))]
    return pd.DataFrame({
        "Đơn vị": [_unit_name(names, u) for u in pivot.index],
        **{SEVERITY_LABELS[s]: pivot[s].to_numpy() for s in SEVERITIES},
        "Tổng": pivot.sum(axis=1).to_numpy(),
    })


def findings_by_unit_table(data: "PeriodData") -> str:
    return html_table(findings_by_unit(data), right=(*SEVERITY_LABELS.values(), "Tổng"),
                      empty="Không có phát hiện nào.")


def findings_table(data: "PeriodData", severities: Iterable[str] = ("error",), limit: int | None = 200) -> str:
    """The findings of the given severities, errors first, by unit (HTML; at most ``limit``)."""
    f = data.findings
    if f is None or not len(f):
        return html_table(pd.DataFrame(), empty="Không có phát hiện nào.")
    severities = list(severities)
    names = unit_names(data)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    chosen = f[f["severity"].isin(severities)].copy()
    chosen = chosen.assign(_rank=chosen["severity"].map(rank)).sort_values(["_rank", "unit", "indicator"])
    shown = chosen.head(limit) if limit else chosen
    table = pd.DataFrame({
        "Mức độ": [SEVERITY_LABELS.get(s, s) for s in shown["severity"]],
        "Đơn vị": [_unit_name(names, u) for u in shown["unit"]],
        "Chỉ tiêu": shown["indicator"].fillna(""),
        "Loại": [CHECKS.get(k, ("", k))[1] for k in shown["check"]],
        "Nội dung": shown["message"],
    })
    html = html_table(table, empty="Không có phát hiện nào ở mức này.")
    if limit and len(chosen) > limit:
        html += f'<p class="cchc-empty">… và {number(len(chosen) - limit)} phát hiện khác (xem trang "Phát hiện" của bảng tổng hợp).</p>'
    return html


# --------------------------------------------------------------------------------------------
# completeness and results by section


def by_section(completeness: pd.DataFrame | None) -> pd.DataFrame:
    """The completeness rows of real sections (the checks' ``all`` rows dropped), ``section`` str."""
    if completeness is None or not len(completeness):
        return pd.DataFrame(columns=["period", "unit", "section", "owed", "filled", "valid", "rate"])
    c = completeness.assign(section=completeness["section"].astype(str))
    return c[c["section"] != "all"]


def completeness_matrix(completeness: pd.DataFrame) -> pd.DataFrame:
    """Percent of owed values that are valid, units (rows) x sections (columns); NaN where a
    unit owes nothing in a section."""
    c = by_section(completeness)
    if not len(c):
        return pd.DataFrame()
    good = "valid" if "valid" in c.columns else "filled"
    sums = c.groupby(["unit", "section"])[["owed", good]].sum()
    sums = sums[sums["owed"] > 0]
    rate = (100.0 * sums[good] / sums["owed"]).unstack("section")
    return rate.reindex(columns=sorted(rate.columns, key=_section_key))


def _section_key(section) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in str(section).split("."))


def completeness_totals(completeness: pd.DataFrame) -> dict:
    """``owed, filled, valid, rate`` (rate: valid / owed, 0..100) over every unit and section."""
    completeness = by_section(completeness)
    if not len(completeness):
        return {"owed": 0, "filled": 0, "valid": 0, "rate": math.nan}
    owed = int(completeness["owed"].sum())
    filled = int(completeness["filled"].sum()) if "filled" in completeness else 0
    valid = int(completeness["valid"].sum()) if "valid" in completeness else filled
    return {"owed": owed, "filled": filled, "valid": valid, "rate": ratio(valid, owed)}


def completeness_text(data: "PeriodData") -> str:
    t = completeness_totals(data.completeness)
    if not t["owed"]:
        return "Chưa có số liệu về mức độ đầy đủ của báo cáo kỳ này."
    m = completeness_matrix(data.completeness)
    names = unit_names(data)
    text = (f"Các đơn vị đã ghi **{number(t['valid'])}/{number(t['owed'])}** số liệu hợp lệ phải báo cáo "
            f"(**{percent(t['rate'])}**); {number(t['filled'] - t['valid'])} ô có ghi nhưng chưa hợp lệ, "
            f"{number(t['owed'] - t['filled'])} ô còn để trống.")
    if len(m):
        per_unit = completeness_by_unit(data.completeness)
        full = [_unit_name(names, u) for u, r in per_unit.items() if r >= 100 - 1e-9]
        if full:
            text += f" Đầy đủ và hợp lệ 100 %: {html_text(listing(full))}."
    return text


def completeness_by_unit(completeness: pd.DataFrame) -> pd.Series:
    """Percent valid of owed per unit (0..100)."""
    completeness = by_section(completeness)
    if not len(completeness):
        return pd.Series(dtype=float)
    good = "valid" if "valid" in completeness.columns else "filled"
    sums = completeness.groupby("unit")[["owed", good]].sum()
    sums = sums[sums["owed"] > 0]
    return 100.0 * sums[good] / sums["owed"]


def completeness_table(data: "PeriodData") -> str:
    """Units x sections, percent valid (HTML), with each unit's total."""
    m = completeness_matrix(data.completeness)
    if not len(m):
        return html_table(pd.DataFrame(), empty="Chưa có số liệu về mức độ đầy đủ.")
    names = unit_names(data)
    order = {code: i for i, code in enumerate(names)}
    m = m.loc[sorted(m.index, key=lambda u: (order.get(u, len(order)), u))]
    totals = completeness_by_unit(data.completeness)
    table = pd.DataFrame({"Đơn vị": [_unit_name(names, u) for u in m.index]})
    for section in m.columns:
        table[f"Mục {section}"] = [percent(v, 0) if not is_missing(v) else "" for v in m[section]]
    table["Cả kỳ"] = [percent(totals.get(u), 1) for u in m.index]
    return html_table(table, right=[c for c in table.columns if c != "Đơn vị"])


def _values(data: "PeriodData") -> dict[str, float]:
    c = data.consolidated
    if c is None or not len(c):
        return {}
    return {str(i): v for i, v in zip(c["indicator"], pd.to_numeric(c["value"], errors="coerce")) if not is_missing(v)}


def highlight(data: "PeriodData", indicator: str, of: str | None, words: str) -> str | None:
    """One quoted figure (``'24/30 nhiệm vụ ... (80,0 %)'``), None when the value is missing."""
    values = _values(data)
    index = _catalogue_index(data.catalogue)
    if indicator not in values or indicator not in index.index:
        return None
    value, kind = values[indicator], index.at[indicator, "kind"]
    if kind == "percent":
        return f"{percent(value)} {words}"
    if of and of in values:
        return f"{number(value)}/{number(values[of])} {words} ({percent(ratio(value, values[of]))})"
    return f"{number(value)} {words}"


def section_results(data: "PeriodData") -> pd.DataFrame:
    """One row per section: ``section, name, owed, valid, rate, errors, warnings, highlights``."""
    names = section_names(data.catalogue)
    comp = by_section(data.completeness)
    f = data.findings if data.findings is not None else pd.DataFrame(columns=["indicator", "severity"])
    f_section = f["indicator"].fillna("").astype(str).str.split(".").str[0]
    rows = []
    for section, name in names.items():
        part = comp[comp["section"].astype(str) == section] if len(comp) else comp
        owed = int(part["owed"].sum()) if len(part) else 0
        good = "valid" if len(part) and "valid" in part else "filled"
        valid = int(part[good].sum()) if len(part) else 0
        quoted = [highlight(data, i, of, w) for s, i, of, w in HIGHLIGHTS if s == section]
        rows.append({
            "section": section, "name": name, "owed": owed, "valid": valid, "rate": ratio(valid, owed),
            "errors": int(((f_section == section) & (f["severity"] == "error")).sum()),
            "warnings": int(((f_section == section) & (f["severity"] == "warning")).sum()),
            "highlights": [q for q in quoted if q],
        })
    return pd.DataFrame(rows, columns=["section", "name", "owed", "valid", "rate", "errors", "warnings", "highlights"])


def section_table(data: "PeriodData") -> str:
    """Results by section (HTML): completeness, errors and the section's main figures."""
    r = section_results(data)
    table = pd.DataFrame({
        "Mục": r["section"],
        "Nội dung": r["name"],
        "Số liệu hợp lệ": [f"{number(v)}/{number(o)}" if o else DASH for v, o in zip(r["valid"], r["owed"])],
        "Đầy đủ": [percent(x) for x in r["rate"]],
        "Lỗi": r["errors"],
        "Kết quả chính": ["<br>".join(html_text(h) for h in hs) if hs else DASH for hs in r["highlights"]],
    })
    return html_table(table, right=("Số liệu hợp lệ", "Đầy đủ", "Lỗi"), html=("Kết quả chính",))


def consolidated_table(data: "PeriodData") -> str:
    """The consolidated Phụ lục II as HTML: STT as printed, indicator, unit, value, source units."""
    cat = data.catalogue
    values = _values(data)
    sources = {}
    if data.consolidated is not None and len(data.consolidated) and "units" in data.consolidated:
        sources = dict(zip(data.consolidated["indicator"].astype(str), data.consolidated["units"].fillna("")))
    names = unit_names(data)
    table = pd.DataFrame({
        "STT": cat["printed"],
        "Chỉ tiêu thống kê": cat["name"],
        "Đơn vị tính": cat["unit"],
        "Số liệu": [format_value(values.get(i), k, ch) for i, k, ch in zip(cat["id"], cat["kind"], cat["choices"])],
        "Nguồn": [", ".join(names.get(u, u) for u in str(sources.get(i, "")).split(";") if u) for i in cat["id"]],
    })
    bold = [i for i, k in enumerate(cat["kind"]) if k == "group"]
    return html_table(table, right=("Số liệu",), bold_rows=bold)


# --------------------------------------------------------------------------------------------
# comparison with earlier periods

REF_LABELS = {"previous": "kỳ trước", "last_year": "cùng kỳ năm trước"}


def reference_period(data: "PeriodData", ref: str = "previous") -> Period:
    """The period a reference names: ``previous`` (the preceding period of the same kind) or
    ``last_year`` (the same period a year earlier)."""
    if ref not in REF_LABELS:
        raise ValueError(f"Kỳ so sánh không hợp lệ: {ref!r} (dùng 'previous' = kỳ trước hoặc "
                         f"'last_year' = cùng kỳ năm trước).")
    return data.period.previous() if ref == "previous" else data.period.last_year()


def comparison(data: "PeriodData", ref: str = "previous") -> pd.DataFrame:
    """The comparison with one reference, rows with both values only: ``indicator, kind, value,
    ref_period, ref_value, change, change_pct`` (change_pct in percent of the reference value, NaN
    when it is 0), recomputed from the two values."""
    columns = ["indicator", "kind", "value", "ref_period", "ref_value", "change", "change_pct"]
    reference_period(data, ref)
    c = data.comparison
    if c is None or not len(c):
        return pd.DataFrame(columns=columns)
    c = c[c["ref"] == ref].copy()
    c["value"] = pd.to_numeric(c["value"], errors="coerce")
    c["ref_value"] = pd.to_numeric(c["ref_value"], errors="coerce")
    c = c.dropna(subset=["value", "ref_value"])
    kinds = dict(zip(data.catalogue["id"], data.catalogue["kind"]))
    c = c[c["indicator"].map(kinds).isin(["count", "percent", "score"])]
    c["kind"] = c["indicator"].map(kinds)
    c["change"] = c["value"] - c["ref_value"]
    c["change_pct"] = [ratio(ch, abs(r)) if r else math.nan for ch, r in zip(c["change"], c["ref_value"])]
    return c[columns].reset_index(drop=True)


def largest_changes(data: "PeriodData", n: int = 10, ref: str = "previous") -> pd.DataFrame:
    """The ``n`` indicators that changed most, with ``shown`` (the change a chart draws: points
    for percentages, percent of the reference for the others, NaN from a reference of 0) and
    ``score`` (the ranking: ``|shown|``, 100 from a reference of 0, scaled down for counts that
    moved by fewer than the ``[comparison] abs_floor`` of the settings, so 1 -> 2 is no headline)."""
    c = comparison(data, ref)
    if not len(c):
        return c.assign(shown=pd.Series(dtype=float), score=pd.Series(dtype=float))
    floor = float(((data.settings or {}).get("comparison", {}) or {}).get("abs_floor", 5) or 0)
    shown, score = [], []
    for kind, change, pct in zip(c["kind"], c["change"], c["change_pct"]):
        if kind == "percent":
            shown.append(change)
            score.append(abs(change))
            continue
        shown.append(pct)
        base = abs(pct) if not is_missing(pct) else (100.0 if change else 0.0)
        weight = min(1.0, abs(change) / floor) if floor > 0 else 1.0
        score.append(base * weight)
    c = c.assign(shown=shown, score=score)
    c = c[c["change"] != 0]
    return c.sort_values(["score", "indicator"], ascending=[False, True]).head(n).reset_index(drop=True)


def _change_words(kind: str, change, change_pct) -> str:
    if kind == "percent":
        return f"{signed(change, 1)} điểm %"
    words = signed(change)
    if not is_missing(change_pct):
        words += f"; {signed(change_pct, 1)} %"
    return words


def comparison_text(data: "PeriodData", ref: str = "previous") -> str:
    """What changed since the reference period (Markdown)."""
    refp = reference_period(data, ref)
    c = comparison(data, ref)
    if not len(c):
        return (f"Chưa có số liệu {REF_LABELS.get(ref, ref)} ({html_text(refp.title)}) để so sánh; "
                "phần so sánh sẽ có khi kỳ đó đã được kiểm tra (cchc check).")
    up, down = int((c["change"] > 0).sum()), int((c["change"] < 0).sum())
    same = len(c) - up - down
    text = (f"So với {REF_LABELS.get(ref, ref)} ({html_text(refp.title)}), trong {number(len(c))} chỉ tiêu có số liệu ở cả hai kỳ: "
            f"**{number(up)}** tăng, **{number(down)}** giảm, {number(same)} không đổi.")
    top = largest_changes(data, 3, ref)
    if len(top):
        items = [f"{html_text(indicator_label(data.catalogue, r.indicator, 70))}: {_value_words(r.ref_value, r.kind)} → "
                 f"{_value_words(r.value, r.kind)} ({_change_words(r.kind, r.change, r.change_pct)})"
                 for r in top.itertuples()]
        text += " Thay đổi lớn nhất:\n\n" + "\n".join(f"- {i}" for i in items)
    flagged = data.findings[data.findings["check"].isin(["large-change", "cumulative-decrease"])] \
        if data.findings is not None and len(data.findings) else pd.DataFrame()
    if len(flagged):
        text += (f"\n\nCó {number(len(flagged))} thay đổi bất thường cần đơn vị giải trình "
                 "(thay đổi lớn hoặc số lũy kế giảm).")
    return text


def _value_words(value, kind: str) -> str:
    return percent(value) if kind == "percent" else number(value)


def changes_table(data: "PeriodData", n: int = 10, ref: str = "previous") -> str:
    """The largest changes (HTML)."""
    c = largest_changes(data, n, ref)
    refp = reference_period(data, ref)
    table = pd.DataFrame({
        "Chỉ tiêu": [indicator_label(data.catalogue, i, 90) for i in c["indicator"]],
        refp.title: [_value_words(v, k) for v, k in zip(c["ref_value"], c["kind"])],
        data.period.title: [_value_words(v, k) for v, k in zip(c["value"], c["kind"])],
        "Thay đổi": [_change_words(k, ch, p) for k, ch, p in zip(c["kind"], c["change"], c["change_pct"])],
    })
    return html_table(table, right=(refp.title, data.period.title, "Thay đổi"),
                      empty=f"Chưa có số liệu {refp.title} để so sánh.")


def key_rates(data: "PeriodData", ref: str = "previous") -> pd.DataFrame:
    """The key rates (:data:`KEY_RATES`) that have a value now or in the reference period:
    ``indicator, label, value, ref_value``."""
    values = _values(data)
    previous = {}
    c = data.comparison
    if c is not None and len(c):
        part = c[c["ref"] == ref]
        previous = {str(i): v for i, v in zip(part["indicator"], pd.to_numeric(part["ref_value"], errors="coerce"))
                    if not is_missing(v)}
    rows = [{"indicator": i, "label": indicator_label(data.catalogue, i), "value": values.get(i, math.nan),
             "ref_value": previous.get(i, math.nan)}
            for i in KEY_RATES if i in values or i in previous]
    return pd.DataFrame(rows, columns=["indicator", "label", "value", "ref_value"])


def key_rates_table(data: "PeriodData", ref: str = "previous") -> str:
    k = key_rates(data, ref)
    refp = reference_period(data, ref)
    table = pd.DataFrame({
        "Chỉ tiêu": k["label"],
        refp.title: [percent(v) for v in k["ref_value"]],
        data.period.title: [percent(v) for v in k["value"]],
        "Thay đổi": [f"{signed(v - r, 1)} điểm %" if not (is_missing(v) or is_missing(r)) else DASH
                     for v, r in zip(k["value"], k["ref_value"])],
    })
    return html_table(table, right=(refp.title, data.period.title, "Thay đổi"),
                      empty="Chưa có số liệu về các tỷ lệ chính.")


def flagged_changes_table(data: "PeriodData") -> str:
    """Findings ``large-change`` and ``cumulative-decrease`` (HTML)."""
    f = data.findings
    if f is None or not len(f):
        return html_table(pd.DataFrame(), empty="Không có thay đổi bất thường.")
    flagged = f[f["check"].isin(["large-change", "cumulative-decrease"])]
    names = unit_names(data)
    table = pd.DataFrame({
        "Đơn vị": [_unit_name(names, u) for u in flagged["unit"]],
        "Chỉ tiêu": flagged["indicator"],
        "Loại": [CHECKS.get(k, ("", k))[1] for k in flagged["check"]],
        "Nội dung": flagged["message"],
    })
    return html_table(table, empty="Không có thay đổi bất thường.")


# --------------------------------------------------------------------------------------------
# the leadership summary


def summary_title(data: "PeriodData") -> str:
    """The summary's heading block (Markdown)."""
    district = nfc(data.settings.get("district", {}).get("name", "")) if data.settings else ""
    p = data.period
    lines = [f"# Báo cáo tóm tắt kết quả thống kê cải cách hành chính — {html_text(p.title)}", ""]
    meta = [html_text(district)] if district else []
    meta.append(f"Số liệu từ {day(p.start)} đến {day(p.end)}")
    if data.deadline is not None:
        meta.append(f"hạn gửi {date_time(data.deadline)}")
    lines.append(" · ".join(meta) + ".")
    return "\n".join(lines)


def status_note(data: "PeriodData") -> str:
    """Whether the numbers are signed off ("Số liệu đã chốt lúc ... bởi ...") or provisional and
    since when (HTML; ``cchc close`` and ``cchc reopen`` restamp it in ``summary.html``)."""
    from ..signoff import signoff, status_html

    return status_html(signoff(data.period.id, data.root))


def _card(label: str, value: str, note: str = "", tone: str = "") -> str:
    return (f'<div class="cchc-card {tone}"><div class="label">{html_text(label)}</div>'
            f'<div class="value">{html_text(value)}</div><div class="note">{html_text(note)}</div></div>')


def _tone(rate, good: float = 95, fair: float = 80) -> str:
    if is_missing(rate):
        return ""
    return "good" if rate >= good else ("warn" if rate >= fair else "bad")


def key_figures(data: "PeriodData") -> str:
    """The headline cards (HTML): reported, on time, completeness, errors, key rates."""
    c = reporting_counts(data)
    t = completeness_totals(data.completeness)
    counts = findings_counts(data)
    err_units = {u for u in data.findings.loc[data.findings["severity"] == "error", "unit"] if u} \
        if data.findings is not None and len(data.findings) else set()
    cards = [
        _card("Đơn vị đã gửi báo cáo", f"{c['reported']}/{c['expected']}",
              f"{percent(c['reporting_rate'])} số đơn vị", _tone(c["reporting_rate"], 100, 80)),
    ]
    if data.deadline is not None:
        cards.append(_card("Gửi đúng hạn", f"{c['on_time']}/{c['expected']}",
                           f"{percent(c['on_time_rate'])}; hạn {date_time(data.deadline)}",
                           _tone(c["on_time_rate"], 100, 80)))
    cards.append(_card("Số liệu đầy đủ, hợp lệ", percent(t["rate"]),
                       f"{number(t['valid'])}/{number(t['owed'])} số liệu phải báo cáo", _tone(t["rate"])))
    cards.append(_card("Lỗi cần sửa", number(counts["error"]),
                       f"ở {number(len(err_units))} đơn vị; {number(counts['warning'])} cảnh báo",
                       "good" if counts["error"] == 0 else "bad"))
    k = key_rates(data)
    for row in k.itertuples():
        if row.indicator in ("3.4.2", "7.1.8.4") and not is_missing(row.value):
            note = f"{reference_period(data).title}: {percent(row.ref_value)}" \
                if not is_missing(row.ref_value) else "chưa có số liệu kỳ trước"
            label = {"3.4.2": "Hồ sơ cấp huyện giải quyết đúng hạn (3.4.2)",
                     "7.1.8.4": "Hồ sơ xử lý trực tuyến mức độ 4 (7.1.8.4)"}[row.indicator]
            cards.append(_card(label, percent(row.value), note))
    return f'<div class="cchc-cards">{"".join(cards)}</div>'


def summary_points(data: "PeriodData") -> str:
    """The few sentences leadership reads first (Markdown bullets)."""
    points = [f"**Báo cáo:** {reporting_text(data)}", f"**Số liệu:** {completeness_text(data)}"]
    counts = findings_counts(data)
    if counts["error"] or counts["warning"]:
        points.append(f"**Kiểm tra:** {number(counts['error'])} lỗi cần các đơn vị sửa và "
                      f"{number(counts['warning'])} cảnh báo cần xem lại (chi tiết ở mục Việc cần làm).")
    else:
        points.append("**Kiểm tra:** không có lỗi hay cảnh báo nào.")
    refp = reference_period(data)
    c = comparison(data)
    if len(c):
        up, down = int((c["change"] > 0).sum()), int((c["change"] < 0).sum())
        top = largest_changes(data, 1)
        text = (f"**So với {html_text(refp.title)}:** {number(up)} chỉ tiêu tăng, {number(down)} chỉ tiêu giảm")
        if len(top):
            r = top.iloc[0]
            text += (f"; thay đổi lớn nhất ở {html_text(indicator_label(data.catalogue, r['indicator'], 70))} "
                     f"({_value_words(r['ref_value'], r['kind'])} → {_value_words(r['value'], r['kind'])})")
        points.append(text + ".")
    else:
        points.append(f"**So với {html_text(refp.title)}:** chưa có số liệu kỳ đó để so sánh.")
    points.append(f"**Phụ lục I:** {narrative_text(data)}")
    return "\n".join(f"- {p}" for p in points)


def todo(data: "PeriodData", max_items: int = 5) -> str:
    """What still needs fixing, unit by unit (HTML): missing reports, then each unit's errors
    (at most ``max_items`` per unit, then a count)."""
    names = unit_names(data)
    status = reporting_status(data)
    f = data.findings if data.findings is not None else pd.DataFrame(columns=["unit", "severity", "message", "check"])
    errors = f[f["severity"] == "error"]
    warnings = f[f["severity"] == "warning"]
    order = {code: i for i, code in enumerate(names)}
    units = sorted(set(errors["unit"].fillna("")) | set(status.loc[status["status"] != "ok", "unit"]),
                   key=lambda u: (u == "", order.get(u, len(order)), u))
    if not units:
        return '<p class="cchc-empty">Không còn việc gì cần xử lý: các đơn vị đã gửi đủ, đúng hạn và không có lỗi.</p>'
    blocks = []
    for unit in units:
        items = []
        row = status[status["unit"] == unit]
        if len(row) and row.iloc[0]["status"] == "late":
            items.append(f"Gửi muộn {duration(row.iloc[0]['late_hours'])} so với hạn {date_time(data.deadline)}.")
        own = errors[errors["unit"].fillna("") == unit]
        if len(row) and row.iloc[0]["status"] == "missing" and not (own["check"] == "missing-report").any():
            items.append("Chưa gửi báo cáo.")
        messages = list(own["message"])
        items += messages[:max_items]
        more = len(messages) - max_items
        lines = "".join(f"<li>{html_text(nfc(i))}</li>" for i in items)
        if more > 0:
            lines += f"<li>… và {number(more)} lỗi khác (xem phản hồi gửi đơn vị).</li>"
        n_warn = int((warnings["unit"].fillna("") == unit).sum())
        if n_warn:
            lines += f"<li>{number(n_warn)} cảnh báo cần xem lại.</li>"
        blocks.append(f"<h4>{html_text(_unit_name(names, unit))}</h4><ul>{lines}</ul>")
    return f'<div class="cchc-todo">{"".join(blocks)}</div>'


def outputs_text(data: "PeriodData", paths: Iterable[Path], out_dir: Path | str) -> str:
    """A bullet list of the files written, named as they will sit in ``reports/<period>/``
    (the run writes into a staging folder that replaces the period's reports at the end)."""
    out_dir = Path(out_dir).resolve()
    lines = []
    for path in paths:
        path = Path(path).resolve()
        try:
            shown = f"reports/{data.period.id}/{path.relative_to(out_dir).as_posix()}"
        except ValueError:
            shown = path.as_posix()
        lines.append(f"- {html_text(shown)}")
    return "Đã ghi các tệp:\n\n" + ("\n".join(lines) if lines else "- (không có tệp nào)")


# --------------------------------------------------------------------------------------------
# the narrative (Phụ lục I): who sent it, which headings are missing


def _outline(data: "PeriodData") -> list[dict]:
    from ..catalogue import narrative_records

    return narrative_records(data.period.year, data.root)


def narrative_status(data: "PeriodData") -> pd.DataFrame:
    """One row per unit that owes a heading of the Phụ lục I outline or sent a Word report, in
    the registry's order: ``unit, unit_name, sent`` (a readable report of the unit is in use),
    ``source_file``, ``written`` (headings with text), ``missing`` (the labels of the headings
    its ``missing-section`` findings name), ``outside`` (paragraphs outside the outline)."""
    columns = ["unit", "unit_name", "sent", "source_file", "written", "missing", "outside"]
    outline = _outline(data)
    titles = {row["id"]: f"{row['id']} {nfc(row['title'])}" for row in outline}  # 'II.1 Tồn tại, hạn chế
    owing = {unit for row in outline for unit in row["units"]}
    n = data.narrative if data.narrative is not None else pd.DataFrame(columns=["unit", "heading", "superseded"])
    live = n[~n["superseded"].astype(bool)] if len(n) else n
    f = data.findings if data.findings is not None else pd.DataFrame(columns=["unit", "check", "indicator"])
    missing = f[f["check"] == "missing-section"] if len(f) else f
    names = unit_names(data)
    rows = []
    for code in names:
        mine = live[live["unit"] == code] if len(live) else live
        if code not in owing and not len(mine):
            continue
        gaps = list(missing.loc[missing["unit"] == code, "indicator"]) if len(missing) else []
        rows.append({
            "unit": code, "unit_name": names[code], "sent": bool(len(mine)),
            "source_file": ", ".join(dict.fromkeys(mine["source_file"])) if len(mine) else "",
            "written": int(mine.loc[mine["heading"] != "", "heading"].nunique()) if len(mine) else 0,
            "missing": [titles.get(g, g) for g in gaps],
            "outside": int((mine["heading"] == "").sum()) if len(mine) else 0,
        })
    return pd.DataFrame(rows, columns=columns)


def narrative_text(data: "PeriodData") -> str:
    """One paragraph (Markdown): how many units sent their Phụ lục I report, who has not, how many
    headings are still missing."""
    s = narrative_status(data)
    if not len(s):
        return "Đề cương Phụ lục I không giao mục nào cho các đơn vị."
    sent = int(s["sent"].sum())
    if sent == 0:
        return (f"Chưa nhận được báo cáo Phụ lục I (văn bản Word) của đơn vị nào ({number(len(s))} đơn vị phải báo "
                "cáo).")
    text = f"**{sent}/{len(s)}** đơn vị đã gửi báo cáo Phụ lục I (văn bản Word)"
    unsent = list(s.loc[~s["sent"], "unit_name"])
    text += f"; chưa gửi: {html_text(listing(unsent))}." if unsent else "."
    gaps = s[s["missing"].map(len) > 0]
    if len(gaps):
        text += (f" Còn thiếu {number(int(gaps['missing'].map(len).sum()))} mục ở "
                 f"{html_text(listing(list(gaps['unit_name'])))}.")
    else:
        text += " Các báo cáo đã gửi có đủ các mục được giao."
    outside = int(s["outside"].sum())
    if outside:
        text += f" {number(outside)} đoạn văn được viết ngoài đề cương (cần xem khi hoàn thiện báo cáo)."
    return text


def narrative_table(data: "PeriodData") -> str:
    """Who sent the Phụ lục I report and which headings are still missing (HTML)."""
    s = narrative_status(data)
    table = pd.DataFrame({
        "Đơn vị": s["unit_name"],
        "Văn bản Phụ lục I": [f if sent else DASH for f, sent in zip(s["source_file"], s["sent"])],
        "Tình trạng": ['<span class="tag ok">Đã gửi</span>' if sent else '<span class="tag missing">Chưa gửi</span>'
                       for sent in s["sent"]],
        "Số mục đã viết": s["written"],
        "Mục còn thiếu": [html_text("; ".join(m)) if m else DASH for m in s["missing"]],
    })
    return html_table(table, right=("Số mục đã viết",), html=("Tình trạng", "Mục còn thiếu"),
                      empty="Đề cương Phụ lục I không giao mục nào cho các đơn vị.")
