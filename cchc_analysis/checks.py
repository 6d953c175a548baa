"""What is wrong: completeness, timeliness, validation rules and conflicts of one period.

The checks take what :mod:`cchc_analysis.ingest` read (an :class:`~cchc_analysis.ingest.IngestResult`)
and what the catalogue asks (indicators, units, rules) and return, as frames:

- ``findings`` (:data:`cchc_analysis.findings.FINDING_COLUMNS`): ``missing-report``,
  ``missing-value``, ``late-report`` (or one ``no-deadline`` info), ``rule-violation`` and
  ``conflict``. The findings of the ingest itself are not repeated here: a caller that wants every
  problem of the period concatenates ``ingested.findings`` and ``result.findings``.
- ``completeness``: ``period, unit, section, owed, filled, valid, rate`` — one row per expected
  unit and section ("1".."7", plus "all"); ``filled`` counts owed cells holding anything,
  ``valid`` those holding a usable value, ``rate = valid / owed`` (NaN when nothing is owed).
- ``timeliness``: ``period, unit, unit_name, expected, reported, source_file, received_at,
  deadline, on_time, late_hours`` — one row per registry unit that owes something; the unit's
  latest usable file; ``on_time`` is NA when there is no deadline or no report, ``late_hours`` is
  0 when on time and NaN when it cannot be told.
- ``expectations``: ``unit, indicator, section`` — what each unit owes (:func:`expectations`).

:func:`rates` turns ``timeliness`` into the DHIS2 reporting rate (reports received / expected)
and on-time rate (received by the deadline / expected).

Validation rules are data (``data/catalogue/<year>/rules.csv``, see :func:`load_rules`): columns
``id, left, operator, right, severity, missing, message`` and optionally ``tolerance`` (the
absolute difference allowed, e.g. for rounded percentages) and ``note`` (why the rule holds).
A side is one term or a sum of terms joined by ``+``; a term is the id of an indicator that
carries a value, or a number written without a dot (``100``, ``0,5``): ``5`` is the number five,
never the group row 5.
``missing`` is the DHIS2 missing-value strategy:

- ``skip_if_any_missing``: the rule is checked only when every indicator of it has a value;
- ``skip_if_all_missing``: checked when each side that names indicators has at least one value;
  the missing terms of a side count as 0 (right for a sum of parts that may not exceed a total);
- ``never_skip``: every missing term counts as 0.

Whatever the strategy, a rule none of whose indicators has a value is not checked (the missing
values are already findings of their own). Rules are checked on each unit's own values (for a
unit that gave at least one of the rule's values and owns or gave every indicator of it) and on
the district-level values where the rule's indicators come from different units.
"""

from __future__ import annotations

import collections
import csv
import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from . import catalogue as C
from . import findings as F
from .config import deadline as configured_deadline
from .ingest import IngestResult
from .parse import NO_VALUE_MARKERS, expected_text
from .periods import Period
from .text import duration_text, nfc, when_text

OPERATORS = ("<=", ">=", "=", "<", ">")
MISSING_STRATEGIES = ("skip_if_any_missing", "skip_if_all_missing", "never_skip")
RULE_COLUMNS = ["id", "left", "operator", "right", "severity", "missing", "message"]
RULE_OPTIONAL = {"tolerance": "0", "note": ""}

#: findings of ingest that already describe an unusable cell: no missing-value on top of them
CELL_PROBLEMS = ("type-error", "invalid-code", "out-of-range", "formula-no-value")

COMPLETENESS_COLUMNS = ["period", "unit", "section", "owed", "filled", "valid", "rate"]
TIMELINESS_COLUMNS = [
    "period", "unit", "unit_name", "expected", "reported", "source_file", "received_at", "deadline",
    "on_time", "late_hours",
]
EXPECTATION_COLUMNS = ["unit", "indicator", "section"]

_OP_WORDS = {
    "<=": "không lớn hơn",
    ">=": "không nhỏ hơn",
    "=": "bằng",
    "<": "nhỏ hơn",
    ">": "lớn hơn",
}
_OP_SIGNS = {"<=": "≤", ">=": "≥", "=": "=", "<": "<", ">": ">"}
_EPS = 1e-9
_ID_SHAPE = re.compile(r"^\d+(?:\.[0-9a-z]+)+$", re.IGNORECASE)
_CONSTANT = re.compile(r"^[+-]?\d+(?:,\d+)?$")
_STATUS_WORDS = {
    "unreadable": "không đọc được",
    "no-table": "không có bảng Phụ lục II",
    "unknown-unit": "không xác định được đơn vị",
    "period-mismatch": "ghi kỳ báo cáo khác",
}


# --------------------------------------------------------------------------------------------
# rules as data


@dataclass(frozen=True)
class Term:
    """One term of a rule side: an indicator id or a constant."""

    indicator: str | None = None
    constant: float | None = None

    def __str__(self) -> str:
        return self.indicator if self.indicator is not None else _num(self.constant)


def parse_side(text: str, indicators: dict[str, str]) -> list[Term]:
    """The terms of a rule side (``"1.3.2 + 1.3.3"``); ``indicators`` maps id -> kind.

    Raises ValueError with a Vietnamese reason for an empty side, an empty term, an id that the
    catalogue does not have, or a group row (which carries no value)."""
    text = nfc(text)
    if not text:
        raise ValueError("vế trống")
    terms: list[Term] = []
    for part in text.split("+"):
        token = part.strip()
        if not token:
            raise ValueError(f"'{text}' có số hạng trống")
        if token in indicators and indicators[token] != "group":
            terms.append(Term(indicator=token))
            continue
        if _CONSTANT.match(token):
            terms.append(Term(constant=float(token.replace(",", "."))))
            continue
        if token in indicators:
            raise ValueError(f"'{token}' là dòng nhóm chỉ tiêu, không có số liệu")
        if _ID_SHAPE.match(token):
            raise ValueError(f"chỉ tiêu '{token}' không có trong danh mục")
        raise ValueError(f"'{token}' không phải mã chỉ tiêu có trong danh mục, cũng không phải một số")
    return terms


def validate_rules(frame: pd.DataFrame, catalogue: pd.DataFrame, source: str = "rules.csv") -> list[str]:
    """Every problem of a rules frame, one Vietnamese line each (empty when it is sound)."""
    missing = [c for c in RULE_COLUMNS if c not in frame.columns]
    if missing:
        return [f"{source}: thiếu cột {', '.join(missing)}."]
    kinds = dict(zip(catalogue["id"], catalogue["kind"]))
    problems: list[str] = []
    seen: set[str] = set()
    for number, row in enumerate(frame.to_dict("records"), start=2):
        rule_id = nfc(row.get("id", ""))
        where = f"{source} dòng {number}" + (f" (quy tắc '{rule_id}')" if rule_id else "")
        if not rule_id:
            problems.append(f"{where}: thiếu mã quy tắc (id).")
        elif rule_id in seen:
            problems.append(f"{where}: mã quy tắc bị trùng.")
        seen.add(rule_id)
        named = []
        for side, label in (("left", "vế trái"), ("right", "vế phải")):
            try:
                named += [t.indicator for t in parse_side(row.get(side, ""), kinds) if t.indicator]
            except ValueError as error:
                problems.append(f"{where}: {label} (cột {side}): {error}.")
                named.append(None)
        if not named:
            problems.append(f"{where}: quy tắc không nêu chỉ tiêu nào (chỉ có các số).")
        operator = nfc(row.get("operator", ""))
        if operator not in OPERATORS:
            problems.append(f"{where}: phép so sánh '{operator}' không hợp lệ (dùng một trong: {', '.join(OPERATORS)}).")
        severity = nfc(row.get("severity", ""))
        if severity not in F.SEVERITIES:
            problems.append(f"{where}: mức độ '{severity}' không hợp lệ (dùng một trong: {', '.join(F.SEVERITIES)}).")
        strategy = nfc(row.get("missing", ""))
        if strategy not in MISSING_STRATEGIES:
            problems.append(
                f"{where}: cách xử lý khi thiếu số liệu '{strategy}' không hợp lệ "
                f"(dùng một trong: {', '.join(MISSING_STRATEGIES)}).")
        tolerance = nfc(row.get("tolerance", "")) or "0"
        try:
            if float(tolerance.replace(",", ".")) < 0:
                raise ValueError
        except ValueError:
            problems.append(f"{where}: sai số cho phép (tolerance) '{tolerance}' phải là một số không âm.")
        if not nfc(row.get("message", "")):
            problems.append(f"{where}: thiếu lời nhắn (message) tiếng Việt cho đơn vị.")
    return problems


def load_rules(year: int, root: Path | None = None) -> pd.DataFrame:
    """The validation rules in force for ``year`` (``rules.csv`` beside the year's catalogue; a
    workspace's own ``catalogue/<year>/rules.csv`` wins), validated against that catalogue.

    Columns: ``id, left, operator, right, severity, missing, message, tolerance (float), note``.
    Raises :class:`cchc_analysis.catalogue.CatalogueError` listing every problem, one line each.
    """
    path = C.catalogue_file(year, "rules.csv", root)
    if not path.is_file():
        raise C.CatalogueError(f"Không tìm thấy tệp quy tắc kiểm tra {path}.")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = [{k.strip(): nfc(v) for k, v in row.items() if k} for row in csv.DictReader(handle)]
    frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else RULE_COLUMNS).fillna("")
    for column, default in RULE_OPTIONAL.items():
        if column not in frame.columns:
            frame[column] = default
    catalogue = C.load_catalogue(year, root)
    problems = validate_rules(frame, catalogue, source=f"{path.parent.name}/{path.name}")
    if problems:
        raise C.CatalogueError("\n".join(problems))
    frame["tolerance"] = [float((t or "0").replace(",", ".")) for t in frame["tolerance"]]
    return frame[RULE_COLUMNS + list(RULE_OPTIONAL)].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# what is owed


def expectations(catalogue: pd.DataFrame, units: pd.DataFrame, level: str = "district") -> pd.DataFrame:
    """Which unit owes which indicator: every non-group indicator whose ``levels`` include
    ``level``, owed by its ``owner`` when the owner is in the units registry.

    Columns ``unit, indicator, section``, in registry then catalogue order. A registry unit that
    owns nothing expects nothing (it has no row).
    """
    rows = C.value_rows(catalogue)
    levels = rows["levels"].astype(str).str.split(";")
    rows = rows[levels.map(lambda items: level in [i.strip() for i in items])]
    order = {code: i for i, code in enumerate(units["code"])}
    rows = rows[rows["owner"].isin(order)]
    section = rows["section"] if "section" in rows.columns else rows["id"].str.split(".").str[0]
    out = pd.DataFrame({"unit": rows["owner"].astype(str), "indicator": rows["id"].astype(str),
                        "section": section.astype(str), "_u": rows["owner"].map(order)})
    out["_o"] = range(len(out))
    return out.sort_values(["_u", "_o"], kind="stable")[EXPECTATION_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# results


@dataclass
class ChecksResult:
    """The checks of one period (frames described in the module docstring)."""

    findings: pd.DataFrame
    completeness: pd.DataFrame
    timeliness: pd.DataFrame
    expectations: pd.DataFrame


def rates(timeliness: pd.DataFrame) -> dict:
    """DHIS2 rates of a period from its ``timeliness`` frame.

    ``{"expected", "reported", "on_time", "late", "reporting_rate", "on_time_rate"}``: rates in
    0..1; ``reporting_rate`` None when no unit is expected, ``on_time_rate`` None when no deadline
    is configured (or no unit is expected).
    """
    frame = timeliness[timeliness["expected"].astype(bool)] if len(timeliness) else timeliness
    expected = int(len(frame))
    reported = int(frame["reported"].astype(bool).sum()) if expected else 0
    has_deadline = expected > 0 and bool(frame["deadline"].notna().any())
    on_time = int(frame["on_time"].fillna(False).astype(bool).sum()) if expected else 0
    late = int((frame["on_time"] == False).fillna(False).astype(bool).sum()) if expected else 0  # noqa: E712
    return {
        "expected": expected,
        "reported": reported,
        "on_time": on_time if has_deadline else None,
        "late": late if has_deadline else None,
        "reporting_rate": reported / expected if expected else None,
        "on_time_rate": on_time / expected if has_deadline else None,
    }


# --------------------------------------------------------------------------------------------
# formatting


def _num(value) -> str:
    """A number the Vietnamese way: 1.234 for a whole number, 87,5 for a fraction."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "(trống)"
    value = float(value)
    if value.is_integer():
        return f"{int(value):,}".replace(",", ".")
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")






def _short(text: str, limit: int = 70) -> str:
    text = nfc(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _row(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _expected_value(spec: dict) -> str:
    text = expected_text(spec["kind"], spec["unit"], C.parse_choices(spec["choices"]) if spec["kind"] == "code" else None)
    return text + ("; nếu không phát sinh thì ghi 0" if spec["kind"] == "count" else "")


# --------------------------------------------------------------------------------------------
# the checks


@dataclass
class _Ctx:
    period: str
    title: str
    specs: dict[str, dict]
    unit_names: dict[str, str]
    expected: pd.DataFrame
    live: pd.DataFrame
    ok_files: pd.DataFrame
    files: pd.DataFrame
    cells: pd.DataFrame
    ingest_findings: pd.DataFrame
    deadline: datetime | None

    def name(self, unit: str) -> str:
        return self.unit_names.get(unit, unit)


def _ok_files(files: pd.DataFrame) -> pd.DataFrame:
    """Usable files (status ``ok``) with ``received_at`` as timestamps, oldest first."""
    columns = ["source_file", "unit", "received_at", "status"]
    if files is None or files.empty:
        return pd.DataFrame(columns=columns).astype({"received_at": "datetime64[ns]"})
    ok = files[(files["status"] == "ok") & files["unit"].astype(str).ne("")].copy()
    ok["received_at"] = pd.to_datetime(ok["received_at"], errors="coerce")
    return ok.sort_values(["received_at", "source_file"], kind="stable").reset_index(drop=True)


def _live(values: pd.DataFrame) -> pd.DataFrame:
    if values is None or values.empty:
        return pd.DataFrame(columns=["unit", "indicator", "value", "raw", "source_file", "sheet", "row"])
    live = values[~values["superseded"].astype(bool)].copy()
    live["value"] = pd.to_numeric(live["value"], errors="coerce").astype(float)
    return live.reset_index(drop=True)


def _timeliness(ctx: _Ctx, units: pd.DataFrame) -> pd.DataFrame:
    expected_units = set(ctx.expected["unit"])
    due = pd.Timestamp(ctx.deadline) if ctx.deadline is not None else pd.NaT
    rows = []
    for code, name in zip(units["code"], units["name"]):
        if code not in expected_units:
            continue
        mine = ctx.ok_files[ctx.ok_files["unit"] == code]
        latest = mine.iloc[-1] if len(mine) else None
        received = latest["received_at"] if latest is not None else pd.NaT
        on_time, late_hours = pd.NA, math.nan
        if latest is not None and not pd.isna(due) and not pd.isna(received):
            on_time = bool(received <= due)
            late_hours = max(0.0, (received - due).total_seconds() / 3600)
        rows.append({
            "period": ctx.period, "unit": code, "unit_name": name, "expected": True,
            "reported": latest is not None, "source_file": latest["source_file"] if latest is not None else "",
            "received_at": received, "deadline": due, "on_time": on_time, "late_hours": late_hours,
        })
    frame = pd.DataFrame(rows, columns=TIMELINESS_COLUMNS)
    return frame.astype({
        "period": str, "unit": str, "unit_name": str, "expected": bool, "reported": bool, "source_file": str,
        "received_at": "datetime64[ns]", "deadline": "datetime64[ns]", "on_time": "boolean", "late_hours": float,
    })


def _report_findings(ctx: _Ctx, timeliness: pd.DataFrame) -> list[dict]:
    out: list[dict] = []
    due_text = f" (hạn nộp {when_text(ctx.deadline)})" if ctx.deadline is not None else ""
    if ctx.deadline is None:
        out.append(F.make(
            "no-deadline",
            f"chưa cấu hình hạn nộp báo cáo cho kỳ {ctx.period} nên chưa kiểm tra được báo cáo nộp muộn; "
            f"thêm dòng \"{ctx.period}\" = \"YYYY-MM-DDTHH:MM\" vào mục [deadlines] của tệp cchc.toml.",
            period=ctx.period))
    for row in timeliness.itertuples(index=False):
        if not row.reported:
            owed = ctx.expected[ctx.expected["unit"] == row.unit]
            sections = ", ".join(sorted(owed["section"].unique(), key=_natural))
            unusable = ctx.files[(ctx.files["unit"] == row.unit) & ~ctx.files["status"].isin(["ok", "narrative"])] \
                if len(ctx.files) else ctx.files  # (a Word report without a table is not a Phụ lục II)
            extra = ""
            if len(unusable):
                listed = "; ".join(f"'{f.source_file}' ({_STATUS_WORDS.get(f.status, f.status)})"
                                   for f in unusable.itertuples(index=False))
                extra = f" Tệp đã nhận nhưng không dùng được: {listed}."
            out.append(F.make(
                "missing-report",
                f"chưa nhận được báo cáo Phụ lục II {ctx.title} của {row.unit_name}{due_text}. Đơn vị phụ trách "
                f"{len(owed)} chỉ tiêu (mục {sections}) nên số liệu tổng hợp của huyện đang thiếu các chỉ tiêu này.{extra} "
                f"Đề nghị gửi tệp Excel theo mẫu Phụ lục II, ghi rõ 'TÊN CƠ QUAN: {row.unit_name}' ở đầu biểu.",
                period=ctx.period, unit=row.unit))
            continue
        if ctx.deadline is None or pd.isna(row.on_time) or row.on_time:
            continue
        late = duration_text(row.late_hours)
        earlier = ctx.ok_files[(ctx.ok_files["unit"] == row.unit) & (ctx.ok_files["received_at"] <= pd.Timestamp(ctx.deadline))]
        note = ""
        if len(earlier):
            first = earlier.iloc[0]
            note = (f" Tệp '{first['source_file']}' nhận lúc {when_text(first['received_at'])} (đúng hạn) đã được "
                    "thay bằng tệp gửi sau hạn này.")
        used = ctx.ok_files[ctx.ok_files["source_file"] == row.source_file]
        if len(used) and "time_source" in used.columns and used.iloc[-1]["time_source"] == "mtime":
            note += (" Thời điểm nhận được lấy theo ngày sửa tệp vì submissions.csv không ghi tệp này; nếu tệp "
                     "thực tế đến sớm hơn, đề nghị bổ sung thời điểm nhận vào submissions.csv.")
        out.append(F.make(
            "late-report",
            f"báo cáo của {row.unit_name} nhận lúc {when_text(row.received_at)}, muộn {late} "
            f"({_num(round(row.late_hours, 1))} giờ) so với hạn nộp {when_text(ctx.deadline)}.{note} "
            "Đề nghị các kỳ sau gửi báo cáo đúng hạn; báo cáo gửi muộn có thể không kịp tổng hợp.",
            period=ctx.period, unit=row.unit, source_file=row.source_file))
    return out


def _records(frame: pd.DataFrame):
    """The rows of ``frame`` as ``frame.itertuples(index=False)`` names them, each column turned
    into Python objects at once (``Series.tolist``) rather than cell by cell, which for a text
    column kept in pyarrow costs about a microsecond a cell. (A nullable integer comes out as a
    Python int here, a NumPy one from ``itertuples``.)"""
    row = collections.namedtuple("Row", frame.columns, rename=True)
    return map(row._make, zip(*(frame[c].tolist() for c in frame.columns)))


def _missing_values(ctx: _Ctx, timeliness: pd.DataFrame) -> list[dict]:
    out: list[dict] = []
    reported = set(timeliness.loc[timeliness["reported"], "unit"])
    live = {(r.unit, r.indicator): r for r in _records(ctx.live)}
    problems = ctx.ingest_findings
    flagged = set()
    if problems is not None and len(problems):
        hit = problems[problems["check"].isin(CELL_PROBLEMS)]
        flagged = set(zip(hit["unit"], hit["indicator"]))
    files_of: dict[str, list[str]] = {}
    for f in _records(ctx.ok_files):
        files_of.setdefault(f.unit, []).append(f.source_file)
    cells_of: dict[tuple[str, str], list] = {}
    if ctx.cells is not None and len(ctx.cells):
        for c in _records(ctx.cells):
            cells_of.setdefault((c.unit, c.indicator), []).append(c)
    for item in _records(ctx.expected):
        unit, indicator = item.unit, item.indicator
        if unit not in reported:
            continue
        row = live.get((unit, indicator))
        if row is not None and not math.isnan(row.value):
            continue
        if (unit, indicator) in flagged:
            continue  # the cell's problem is already a finding of its own
        spec = ctx.specs[indicator]
        label = f"chỉ tiêu {indicator} '{_short(spec['name'])}'"
        expected = f" Giá trị đúng: {_expected_value(spec)}."
        where = {"period": ctx.period, "unit": unit, "indicator": indicator}
        if row is not None:
            raw = nfc(row.raw)
            what = "không có số liệu" if raw in NO_VALUE_MARKERS else "không đọc được thành số liệu"
            out.append(F.make("missing-value", f"{label} ghi '{_short(raw, 40)}' ({what}).{expected}", **where,
                              source_file=row.source_file, sheet=row.sheet, row=_row(row.row)))
            continue
        order = {f: i for i, f in enumerate(files_of.get(unit, []))}
        candidates = sorted(cells_of.get((unit, indicator), []),
                            key=lambda c: (order.get(c.source_file, -1), _row(c.row) or 0))
        if candidates:
            cell = candidates[-1]
            out.append(F.make("missing-value", f"ô Số liệu của {label} để trống.{expected}", **where,
                              source_file=cell.source_file, sheet=cell.sheet, row=_row(cell.row)))
        else:
            printed = spec["printed"] or "không có STT"
            latest = files_of[unit][-1] if files_of.get(unit) else ""
            out.append(F.make(
                "missing-value",
                f"tệp không có dòng của {label} (STT in trong Phụ lục II: {printed}); đề nghị bổ sung dòng "
                f"này với số liệu.{expected}", **where, source_file=latest))
    return out


# ---- rules


@dataclass
class _Rule:
    id: str
    left: list[Term]
    operator: str
    right: list[Term]
    severity: str
    missing: str
    tolerance: float
    message: str

    @property
    def indicators(self) -> list[str]:
        return [t.indicator for t in self.left + self.right if t.indicator is not None]

    @property
    def text(self) -> str:
        return f"{_side_text(self.left)} {_OP_SIGNS[self.operator]} {_side_text(self.right)}"


def _side_text(terms: list[Term]) -> str:
    return " + ".join(str(t) for t in terms)


def _parse_rules(rules: pd.DataFrame, catalogue: pd.DataFrame) -> list[_Rule]:
    kinds = dict(zip(catalogue["id"], catalogue["kind"]))
    if rules is None or len(rules) == 0:
        return []
    text = rules.fillna("").astype({c: str for c in RULE_COLUMNS if c in rules.columns})
    problems = validate_rules(text, catalogue)
    if problems:
        raise C.CatalogueError("\n".join(problems))
    parsed = []
    for row in rules.to_dict("records"):
        tolerance = row.get("tolerance", 0)
        tolerance = float(str(tolerance).replace(",", ".")) if str(tolerance).strip() not in ("", "nan") else 0.0
        parsed.append(_Rule(nfc(row["id"]), parse_side(row["left"], kinds), nfc(row["operator"]),
                            parse_side(row["right"], kinds), nfc(row["severity"]), nfc(row["missing"]),
                            tolerance, nfc(row["message"])))
    return parsed


def _holds(left: float, operator: str, right: float, tolerance: float) -> bool:
    diff = left - right
    if operator == "<=":
        return diff <= tolerance + _EPS
    if operator == ">=":
        return diff >= -(tolerance + _EPS)
    if operator == "=":
        return abs(diff) <= tolerance + _EPS
    if operator == "<":
        return diff < tolerance - _EPS
    return diff > _EPS - tolerance  # ">"


def _evaluate(rule: _Rule, values: dict[str, float]) -> tuple[float, float] | None:
    """``(left, right)`` when the rule is broken, None when it holds or is skipped."""
    ids = rule.indicators
    present = {i for i in ids if i in values and not math.isnan(values[i])}
    if not present:
        return None
    if rule.missing == "skip_if_any_missing" and present != set(ids):
        return None
    if rule.missing == "skip_if_all_missing":
        for side in (rule.left, rule.right):
            side_ids = {t.indicator for t in side if t.indicator is not None}
            if side_ids and not side_ids & present:
                return None

    def total(side: list[Term]) -> float:
        return sum(t.constant if t.indicator is None else (values[t.indicator] if t.indicator in present else 0.0)
                   for t in side)

    left, right = total(rule.left), total(rule.right)
    return None if _holds(left, rule.operator, right, rule.tolerance) else (left, right)


def _where_short(source_file, sheet, row, unit_name: str | None = None) -> str:
    """'Phòng Nội vụ, tệp 'a.xlsx', trang 'S', dòng 12' from the parts given."""
    parts = [unit_name] if unit_name else []
    if source_file:
        parts.append(f"tệp '{source_file}'")
    if sheet:
        parts.append(f"trang '{sheet}'")
    if row is not None and not pd.isna(row):
        parts.append(f"dòng {int(row)}")
    return ", ".join(parts)


def _violation_text(rule: _Rule, sides: tuple[float, float], values: dict[str, float],
                    located: dict[str, tuple], with_units: bool, ctx: _Ctx) -> str:
    def describe(terms: list[Term], total: float) -> str:
        pieces = []
        for t in terms:
            if t.indicator is None:
                pieces.append(_num(t.constant))
                continue
            value = values.get(t.indicator, math.nan)
            shown = "trống, tính là 0" if math.isnan(value) else _num(value)
            loc = located.get(t.indicator)
            where = ""
            if loc is not None:
                unit, source_file, sheet, row = loc
                where = (_where_short(source_file, sheet, row, ctx.name(unit)) if with_units
                         else _where_short(None, None, row))
            pieces.append(f"{t.indicator} = {shown}" + (f" ({where})" if where else ""))
        text = "; ".join(pieces) if len(terms) == 1 else " + ".join(pieces)
        return text + (f", tổng = {_num(total)}" if len(terms) > 1 else "")

    left, right = sides
    gap = left - right
    tolerance = f" (cho phép sai lệch {_num(rule.tolerance)})" if rule.tolerance else ""
    return (f"{rule.message} Quy tắc {rule.id}: {rule.text} không thỏa mãn{tolerance}. "
            f"Vế trái: {describe(rule.left, left)}. Vế phải: {describe(rule.right, right)}. "
            f"Chênh lệch: {_num(gap)}. Số liệu đúng phải có {_side_text(rule.left)} {_OP_WORDS[rule.operator]} "
            f"{_side_text(rule.right)}; đề nghị kiểm tra lại các ô trên và sửa cho khớp.")


def _first_located(rule: _Rule, values: dict[str, float], located: dict[str, tuple]) -> tuple[str, tuple]:
    """The first indicator with a value and a known cell, left side first, and that cell
    ``(unit, source_file, sheet, row)``; the rule's first indicator and no cell when none has one."""
    for terms in (rule.left, rule.right):
        for t in terms:
            if t.indicator is not None and t.indicator in located and not math.isnan(values.get(t.indicator, math.nan)):
                return t.indicator, located[t.indicator]
    return (rule.indicators[0] if rule.indicators else ""), ("", "", "", None)


def _rule_findings(ctx: _Ctx, rules: list[_Rule]) -> list[dict]:
    out: list[dict] = []
    valid = ctx.live[ctx.live["value"].notna()]
    owners = {i: s["owner"] for i, s in ctx.specs.items()}
    for unit, group in valid.groupby("unit", sort=False):
        values = dict(zip(group["indicator"], group["value"]))
        located = {r.indicator: (unit, r.source_file, r.sheet, r.row) for r in group.itertuples(index=False)}
        for rule in rules:
            if not all(i in values or owners.get(i) == unit for i in rule.indicators):
                continue
            broken = _evaluate(rule, values)
            if broken is None:
                continue
            indicator, cell = _first_located(rule, values, located)
            out.append(F.make(
                "rule-violation", _violation_text(rule, broken, values, located, False, ctx),
                period=ctx.period, unit=unit, indicator=indicator, source_file=cell[1], sheet=cell[2],
                row=_row(cell[3]), severity=rule.severity))
    # the district's values, where a rule's indicators come from different units
    district, sources = _district_values(ctx, valid)
    for rule in rules:
        involved = set().union(*(sources.get(i, set()) for i in rule.indicators)) if rule.indicators else set()
        if len(involved) < 2:
            continue
        values = {i: district[i][0] for i in rule.indicators if i in district}
        located = {i: district[i][1] for i in rule.indicators if i in district and district[i][1] is not None}
        broken = _evaluate(rule, values)
        if broken is None:
            continue
        indicator, cell = _first_located(rule, values, located)
        names = ", ".join(ctx.name(u) for u in sorted(involved))
        out.append(F.make(
            "rule-violation",
            f"theo số liệu tổng hợp toàn huyện (từ các đơn vị: {names}): "
            + _violation_text(rule, broken, values, located, True, ctx),
            period=ctx.period, unit=cell[0], indicator=indicator, source_file=cell[1], sheet=cell[2],
            row=_row(cell[3]), severity=rule.severity))
    return out


def _district_values(ctx: _Ctx, valid: pd.DataFrame) -> tuple[dict[str, tuple], dict[str, set]]:
    """District value of each indicator as ``id -> (value, location or None)`` and the units each
    comes from: the owner's value for ``combine = owner``, else the units' values combined."""
    by_indicator: dict[str, list] = {}
    for r in valid.itertuples(index=False):
        by_indicator.setdefault(r.indicator, []).append(r)
    district: dict[str, tuple] = {}
    sources: dict[str, set] = {}
    for indicator, spec in ctx.specs.items():
        if spec["kind"] == "group":
            continue
        rows = by_indicator.get(indicator, [])
        combine = spec.get("combine") or "owner"
        if combine == "owner":
            sources[indicator] = {spec["owner"]} if spec["owner"] else set()
            mine = [r for r in rows if r.unit == spec["owner"]]
            if mine:
                r = mine[-1]
                district[indicator] = (float(r.value), (r.unit, r.source_file, r.sheet, r.row))
            continue
        sources[indicator] = {r.unit for r in rows}
        if rows:
            numbers = [float(r.value) for r in rows]
            value = {"sum": sum(numbers), "mean": sum(numbers) / len(numbers), "max": max(numbers),
                     "min": min(numbers)}[combine]
            location = (rows[0].unit, rows[0].source_file, rows[0].sheet, rows[0].row) if len(rows) == 1 else None
            district[indicator] = (value, location)
    return district, sources


# ---- conflicts


def _conflicts(ctx: _Ctx) -> list[dict]:
    out: list[dict] = []
    valid = ctx.live[ctx.live["value"].notna()]
    if valid.empty:
        return out
    for indicator, group in valid.groupby("indicator", sort=False):
        if group["unit"].nunique() < 2:
            continue
        spec = ctx.specs.get(indicator)
        if spec is None or (spec.get("combine") or "owner") != "owner":
            continue  # values meant to be combined across units are not conflicts
        label = f"chỉ tiêu {indicator} '{_short(spec['name'])}'"
        owner = spec["owner"]
        by_unit = {r.unit: r for r in group.itertuples(index=False)}
        mine = by_unit.get(owner)
        if mine is not None:
            for unit, row in by_unit.items():
                if unit == owner or abs(row.value - mine.value) <= _EPS:
                    continue
                out.append(F.make(
                    "conflict",
                    f"{label}: {ctx.name(unit)} ghi {_num(row.value)} nhưng đơn vị phụ trách {ctx.name(owner)} ghi "
                    f"{_num(mine.value)} ({_where_short(mine.source_file, mine.sheet, mine.row)}). "
                    f"Số liệu của đơn vị phụ trách được dùng để tổng hợp. Đề nghị {ctx.name(unit)} ghi đúng "
                    f"{_num(mine.value)} như đơn vị phụ trách (sau khi hai đơn vị thống nhất) hoặc để trống chỉ tiêu "
                    "không thuộc lĩnh vực mình phụ trách.",
                    period=ctx.period, unit=unit, indicator=indicator, source_file=row.source_file,
                    sheet=row.sheet, row=_row(row.row)))
            continue
        if group["value"].round(9).nunique() < 2:
            continue
        for unit, row in by_unit.items():
            others = "; ".join(
                f"{ctx.name(u)} ghi {_num(r.value)} ({_where_short(r.source_file, r.sheet, r.row)})"
                for u, r in by_unit.items() if u != unit)
            out.append(F.make(
                "conflict",
                f"{label}: {ctx.name(unit)} ghi {_num(row.value)} nhưng {others}; đơn vị phụ trách "
                f"{ctx.name(owner) if owner else '(chưa quy định)'} chưa báo cáo chỉ tiêu này nên chưa có số liệu "
                "để tổng hợp. Đề nghị các đơn vị thống nhất một số liệu đúng và đơn vị phụ trách báo cáo.",
                period=ctx.period, unit=unit, indicator=indicator, source_file=row.source_file,
                sheet=row.sheet, row=_row(row.row)))
    return out


# ---- completeness


def _completeness(ctx: _Ctx) -> pd.DataFrame:
    sections = sorted({s for s in (spec["section"] for spec in ctx.specs.values()) if s}, key=_natural)
    owed = ctx.expected.merge(ctx.live[["unit", "indicator", "value"]], on=["unit", "indicator"], how="left",
                              indicator="_m")
    owed["filled"] = owed["_m"].eq("both").astype(int)
    owed["valid"] = owed["value"].notna().astype(int)
    per_section = owed.groupby(["unit", "section"])[["filled", "valid"]].agg(["size", "sum"])
    per_unit = owed.groupby("unit")[["filled", "valid"]].agg(["size", "sum"])
    counts: dict[tuple[str, str], tuple[int, int, int]] = {}
    for (unit, section), r in per_section.iterrows():
        counts[(unit, section)] = (int(r[("filled", "size")]), int(r[("filled", "sum")]), int(r[("valid", "sum")]))
    for unit, r in per_unit.iterrows():
        counts[(unit, "all")] = (int(r[("filled", "size")]), int(r[("filled", "sum")]), int(r[("valid", "sum")]))
    rows = []
    for unit in dict.fromkeys(ctx.expected["unit"]):
        for section in sections + ["all"]:
            n, filled, valid = counts.get((unit, section), (0, 0, 0))
            rows.append({"period": ctx.period, "unit": unit, "section": section, "owed": n, "filled": filled,
                         "valid": valid, "rate": valid / n if n else math.nan})
    frame = pd.DataFrame(rows, columns=COMPLETENESS_COLUMNS)
    return frame.astype({"period": str, "unit": str, "section": str, "owed": int, "filled": int, "valid": int,
                         "rate": float})


def _natural(text: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in str(text).split("."))


# ---- the entry point


def run_checks(
    period: str,
    ingested: IngestResult,
    catalogue: pd.DataFrame,
    units: pd.DataFrame,
    settings: dict,
    rules: pd.DataFrame | None = None,
) -> ChecksResult:
    """Every check of one period over what was ingested (see the module docstring).

    ``rules`` None loads the package's rules for the period's year (a workspace run should pass
    :func:`load_rules` with its root). Only live values (``superseded == False``) count.
    """
    parsed_period = Period.parse(period)
    period = parsed_period.id
    if rules is None:
        rules = load_rules(parsed_period.year)
    level = (settings or {}).get("district", {}).get("level", "district")
    expected = expectations(catalogue, units, level)
    specs = {}
    for row in catalogue.to_dict("records"):
        row = dict(row)
        row.setdefault("section", str(row["id"]).split(".")[0])
        specs[row["id"]] = row
    files = ingested.files if ingested.files is not None else pd.DataFrame(columns=["source_file", "unit", "status"])
    ctx = _Ctx(
        period=period, title=parsed_period.title, specs=specs,
        unit_names=dict(zip(units["code"], units["name"])), expected=expected, live=_live(ingested.values),
        ok_files=_ok_files(files), files=files, cells=ingested.cells, ingest_findings=ingested.findings,
        deadline=configured_deadline(settings or {}, period),
    )
    timeliness = _timeliness(ctx, units)
    found = _report_findings(ctx, timeliness)
    found += _missing_values(ctx, timeliness)
    found += _rule_findings(ctx, _parse_rules(rules, catalogue))
    found += _conflicts(ctx)
    return ChecksResult(findings=F.frame(found), completeness=_completeness(ctx), timeliness=timeliness,
                        expectations=expected)
