"""What changed: the district's value of each indicator, its history, the comparison and flags.

One step per function, frames in and frames out:

- :func:`consolidate`: live values of a period (``values.parquet``) -> the district-level value of
  each indicator (``consolidated.parquet``: ``period, indicator, value, units``), combined by the
  catalogue's ``combine`` rule, plus findings where no value can be chosen without a silent pick.
- :func:`load_history`: every earlier ``data/processed/<period>/consolidated.parquet``.
  History is only ever read from ``data/processed``; re-running a period rewrites that period's
  folder alone (the pipeline's job), so the history of other periods never changes behind it.
- :func:`load_crosswalk` / :func:`apply_crosswalk`: old indicator ids -> the ids of the target
  year's catalogue, so a renumbered row is not a "new" indicator.
- :func:`compare`: the ``comparison.parquet`` frame (one row per indicator and reference) and the
  ``cumulative-decrease`` and ``large-change`` findings.
- :func:`backfill`: the district's own consolidated Phụ lục II workbook of an earlier period ->
  that period's consolidated frame, so history starts on day one (the caller writes it).

Decisions that callers rely on:

- ``consolidated`` has one row per indicator that has a district value. An indicator nobody
  reported has no row. The only NaN rows are indicators whose units reported values that cannot be
  combined without a silent pick (``combine = owner``, the owner silent, several other units
  disagreeing); their ``units`` names the units that reported, and an ``unresolved-value`` finding
  says why.
- ``comparison`` has two rows (``previous``, ``last_year``) for every indicator with a current
  value, in catalogue order, even when the two references are the same period (6 months, 9
  months, year) or have no value (``ref_period`` is always filled; ``ref_value``, ``change`` and
  ``change_pct`` are then NaN). ``change_pct`` is NaN, never infinite, where the reference is 0, and
  for coded indicators (a percentage of a choice code means nothing); ``change`` is still given
  for them (0 means unchanged).

This module never imports matplotlib, papermill or nbconvert.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import findings as F
from .catalogue import CatalogueError, load_catalogue, load_units
from .config import CATALOGUE_DIR, CLOSED_FOLDER, CLOSED_MANIFEST, load_settings
from .periods import KIND_LABELS, Period, PeriodError
from .text import nfc

CONSOLIDATED_COLUMNS = ["period", "indicator", "value", "units"]
HISTORY_COLUMNS = CONSOLIDATED_COLUMNS
COMPARISON_COLUMNS = ["period", "indicator", "value", "ref", "ref_period", "ref_value", "change", "change_pct"]
CROSSWALK_COLUMNS = ["from_year", "from_id", "to_year", "to_id", "note"]
CROSSWALK_FILE = "crosswalk.csv"
CONSOLIDATED_FILE = "consolidated.parquet"

#: unit code credited with the values of the district's own consolidated workbook (backfill)
DISTRICT_UNIT = "HUYEN"

#: defaults of the ``[comparison]`` settings (the package's config.toml sets the same values)
COMPARISON_DEFAULTS = {"rel_threshold": 0.5, "abs_floor": 5.0, "robust_min_periods": 4, "robust_z": 3.5}

#: consistency constant of the MAD (0.6745 = Φ⁻¹(0.75)) and of the mean absolute deviation
#: (sqrt(pi/2)) for the modified z-score of Iglewicz & Hoaglin
_MAD_SCALE = 0.6745
_MEANAD_SCALE = 1.253314



# --------------------------------------------------------------------------------------------
# small helpers


def _empty(columns: list[str], floats: tuple[str, ...] = ("value",)) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c in floats else object) for c in columns})


def _typed(frame: pd.DataFrame, columns: list[str], floats: tuple[str, ...]) -> pd.DataFrame:
    frame = frame.reindex(columns=columns)
    for column in columns:
        if column in floats:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        else:
            frame[column] = frame[column].fillna("").astype(str)
    return frame.reset_index(drop=True)


def _num(x: float) -> str:
    """A number the Vietnamese way: ``1.234``, ``6,2``, ``85,5``."""
    x = float(x)
    if x.is_integer():
        text = f"{int(x):,}"
    else:
        text = f"{x:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _shown(x: float, kind: str) -> str:
    return f"{_num(x)}%" if kind == "percent" else _num(x)


def _period_text(period: Period) -> str:
    return period.title


def _specs(catalogue: pd.DataFrame) -> dict[str, dict]:
    out = {}
    for row in catalogue.itertuples(index=False):
        combine = str(getattr(row, "combine", "") or "owner").strip().lower() or "owner"
        out[str(row.id)] = {
            "name": nfc(row.name),
            "kind": str(row.kind),
            "owner": str(row.owner or ""),
            "combine": combine,
            "cumulative": str(getattr(row, "cumulative", "")).strip().lower() == "true",
            "order": int(getattr(row, "order", 0) or 0),
        }
    return out


def _label(indicator: str, spec: dict | None) -> str:
    if not spec:
        return f"chỉ tiêu {indicator}"
    name = spec["name"]
    short = name if len(name) <= 80 else name[:77].rstrip() + "..."
    return f"chỉ tiêu {indicator} '{short}'"


def _comparison_settings(settings: dict | None) -> dict:
    section = dict(COMPARISON_DEFAULTS)
    section.update((settings or {}).get("comparison", {}) or {})
    return {
        "rel_threshold": float(section["rel_threshold"]),
        "abs_floor": float(section["abs_floor"]),
        "robust_min_periods": int(section["robust_min_periods"]),
        "robust_z": float(section["robust_z"]),
    }


def _parse_period(text: object) -> Period | None:
    try:
        return Period.parse(str(text))
    except (PeriodError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# consolidation


def consolidate(period: str, values: pd.DataFrame, catalogue: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """The district-level value of each indicator of ``period``.

    ``values``: the ``values.parquet`` frame (``unit, indicator, value, superseded`` are used);
    only live rows (``superseded`` False) with a number count. ``catalogue``: the catalogue in
    force (``id, kind, owner, combine``). Returns ``(consolidated, findings)``: ``consolidated``
    has columns ``period, indicator, value (float), units (str: contributing unit codes, sorted,
    ';'-joined)``, one row per non-group indicator that has a value, in catalogue order.

    ``combine`` rules: ``owner`` takes the owner's value. Without one, a value that every other
    reporting unit agrees on is used with an ``info`` finding (``non-owner-value``) naming the
    unit(s); if they disagree the row's value is NaN with an ``unresolved-value`` finding — never a
    silent pick. Differences between the owner and other units are the checks' ``conflict``
    findings, not repeated here. ``sum``, ``mean``, ``max``, ``min``: that aggregate over every
    reporting unit.
    """
    period = Period.parse(period).id
    specs = _specs(catalogue)
    found: list[dict] = []
    rows: list[dict] = []
    live = _live_values(values)
    by_indicator = {ind: group for ind, group in live.groupby("indicator", sort=False)} if len(live) else {}
    value_ids = [i for i, s in sorted(specs.items(), key=lambda kv: kv[1]["order"]) if s["kind"] != "group"]
    for indicator in value_ids:
        group = by_indicator.get(indicator)
        if group is None or group.empty:
            continue
        spec = specs[indicator]
        reported = dict(zip(group["unit"], group["value"]))  # one live row per unit (DESIGN.md)
        combine = spec["combine"]
        if combine in ("sum", "mean", "max", "min"):
            numbers = pd.Series(list(reported.values()), dtype=float)
            value = float(getattr(numbers, combine)())
            rows.append(_row(period, indicator, value, reported))
            continue
        owner = spec["owner"]
        if owner in reported:
            rows.append(_row(period, indicator, reported[owner], {owner: reported[owner]}))
            continue
        distinct = sorted(set(reported.values()))
        listing = "; ".join(f"{u}: {_shown(v, spec['kind'])}" for u, v in sorted(reported.items()))
        if len(distinct) == 1:
            users = ", ".join(sorted(reported))
            rows.append(_row(period, indicator, distinct[0], reported))
            found.append(F.make(
                "non-owner-value",
                f"{_label(indicator, spec)} do {owner} phụ trách nhưng {owner} chưa ghi số liệu; số liệu của huyện "
                f"lấy theo {users}: {_shown(distinct[0], spec['kind'])}. Đề nghị {owner} xác nhận hoặc gửi số liệu.",
                period=period, unit=owner, indicator=indicator))
        else:
            rows.append(_row(period, indicator, math.nan, reported))
            found.append(F.make(
                "unresolved-value",
                f"{_label(indicator, spec)} do {owner} phụ trách nhưng {owner} chưa ghi số liệu, còn các đơn vị khác "
                f"ghi khác nhau ({listing}), nên chưa xác định được số liệu của huyện. Đề nghị {owner} gửi số liệu "
                "hoặc các đơn vị thống nhất một số liệu.",
                period=period, unit=owner, indicator=indicator))
    frame = pd.DataFrame(rows, columns=CONSOLIDATED_COLUMNS) if rows else _empty(CONSOLIDATED_COLUMNS)
    return _typed(frame, CONSOLIDATED_COLUMNS, ("value",)), found


def _live_values(values: pd.DataFrame | None) -> pd.DataFrame:
    if values is None or len(values) == 0:
        return pd.DataFrame(columns=["unit", "indicator", "value"])
    frame = values
    if "superseded" in frame.columns:
        frame = frame[~frame["superseded"].fillna(False).astype(bool)]
    frame = frame.assign(
        unit=frame["unit"].fillna("").astype(str),
        indicator=frame["indicator"].fillna("").astype(str),
        value=pd.to_numeric(frame["value"], errors="coerce"),
    )
    frame = frame[frame["value"].notna() & frame["unit"].ne("")]
    # DESIGN.md promises one live row per (unit, indicator); keep the last if a caller breaks it
    return frame.drop_duplicates(["unit", "indicator"], keep="last")[["unit", "indicator", "value"]]


def _row(period: str, indicator: str, value: float, contributors: dict[str, float]) -> dict:
    return {"period": period, "indicator": indicator, "value": float(value),
            "units": ";".join(sorted(contributors))}


# --------------------------------------------------------------------------------------------
# history


def load_history(processed_root: Path, exclude: str | None = None) -> pd.DataFrame:
    """Every ``<processed_root>/<period>/consolidated.parquet``, concatenated.

    Folders whose name is not a period id (``2021-H1``, ``2020``, ...) are ignored, as are
    periods without a consolidated file. A signed-off period (``closed.json``) is read from its
    closed copy (``closed/consolidated.parquet``): later periods compare with what was sent. ``exclude`` (a period id) leaves that period out, so the
    period being re-run is never its own history. Columns ``period`` (the folder's id),
    ``indicator``, ``value`` (float), ``units``; sorted by period end and catalogue id order of the
    files. Empty frame with those columns when there is no history.
    """
    root = Path(processed_root)
    skip = Period.parse(exclude).id if exclude else None
    parts: list[pd.DataFrame] = []
    if root.is_dir():
        folders = []
        for folder in root.iterdir():
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            found = _parse_period(folder.name)
            if found is None or found.id != folder.name or found.id == skip:
                continue
            path = folder / CONSOLIDATED_FILE
            if (folder / CLOSED_MANIFEST).is_file() and (folder / CLOSED_FOLDER / CONSOLIDATED_FILE).is_file():
                path = folder / CLOSED_FOLDER / CONSOLIDATED_FILE  # a signed-off period: the values as sent
            if path.is_file():
                folders.append((found, path))
        for found, path in sorted(folders, key=lambda item: (item[0].end, item[0].start)):
            try:
                part = pd.read_parquet(path)
            except Exception as error:  # our own output: unusable means a broken environment
                raise OSError(f"cannot read history file {path}: {error}") from error
            if "indicator" not in part.columns or "value" not in part.columns:
                raise OSError(f"history file {path} lacks the indicator/value columns")
            part = part.assign(period=found.id)
            if "units" not in part.columns:
                part["units"] = ""
            parts.append(_typed(part, HISTORY_COLUMNS, ("value",)))
    if not parts:
        return _typed(_empty(HISTORY_COLUMNS), HISTORY_COLUMNS, ("value",))
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------------
# crosswalk


def crosswalk_path(root: Path | None = None) -> Path:
    """The crosswalk in force: ``<root>/catalogue/crosswalk.csv`` when the workspace has one,
    else the package's ``data/catalogue/crosswalk.csv``."""
    if root is not None:
        local = Path(root) / "catalogue" / CROSSWALK_FILE
        if local.is_file():
            return local
    return CATALOGUE_DIR / CROSSWALK_FILE


def load_crosswalk(root: Path | None = None) -> pd.DataFrame:
    """The indicator-id crosswalk: columns ``from_year (int), from_id, to_year (int), to_id, note``.

    A row says: the indicator ``from_id`` of the catalogue in force in ``from_year`` is
    ``to_id`` in the catalogue in force from ``to_year`` (renumbered or renamed). An empty
    ``to_id`` says the indicator has no counterpart any more (its history is not compared).
    Raises :class:`CatalogueError` listing every malformed row (as catalogue files do).
    """
    path = crosswalk_path(root)
    if not path.is_file():
        return _empty_crosswalk()
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [nfc(h) for h in (reader.fieldnames or [])]
        rows = [{nfc(k): nfc(v) for k, v in row.items() if k} for row in reader]
    problems = []
    missing = [c for c in CROSSWALK_COLUMNS if c != "note" and c not in header]
    if missing:
        raise CatalogueError(f"{path.name}: thiếu cột {', '.join(missing)}.")
    out = []
    seen: dict[tuple[int, int, str], str] = {}
    targets: dict[tuple[int, int, str], str] = {}
    for number, row in enumerate(rows, start=2):
        if not any(row.values()):
            continue
        where = f"{path.name} dòng {number}"
        try:
            from_year, to_year = int(row.get("from_year", "")), int(row.get("to_year", ""))
        except ValueError:
            problems.append(f"{where}: from_year và to_year phải là năm (ví dụ 2021).")
            continue
        from_id, to_id = row.get("from_id", ""), row.get("to_id", "")
        if not from_id:
            problems.append(f"{where}: thiếu mã chỉ tiêu cũ (from_id).")
            continue
        if to_year <= from_year:
            problems.append(f"{where}: to_year ({to_year}) phải sau from_year ({from_year}).")
            continue
        key = (from_year, to_year, from_id)
        if key in seen and seen[key] != to_id:
            problems.append(f"{where}: mã '{from_id}' ({from_year}->{to_year}) được chuyển sang hai mã khác nhau.")
            continue
        if to_id:
            target = (from_year, to_year, to_id)
            if target in targets and targets[target] != from_id:
                problems.append(f"{where}: hai mã cũ '{targets[target]}' và '{from_id}' cùng chuyển sang '{to_id}' "
                                f"({from_year}->{to_year}); không gộp được số liệu lịch sử.")
                continue
            targets[target] = from_id
        seen[key] = to_id
        out.append({"from_year": from_year, "from_id": from_id, "to_year": to_year, "to_id": to_id,
                    "note": row.get("note", "")})
    if problems:
        raise CatalogueError("\n".join(problems))
    if not out:
        return _empty_crosswalk()
    frame = pd.DataFrame(out, columns=CROSSWALK_COLUMNS).drop_duplicates()
    return frame.astype({"from_year": int, "to_year": int}).reset_index(drop=True)


def _empty_crosswalk() -> pd.DataFrame:
    return pd.DataFrame({
        "from_year": pd.Series(dtype=int), "from_id": pd.Series(dtype=object),
        "to_year": pd.Series(dtype=int), "to_id": pd.Series(dtype=object), "note": pd.Series(dtype=object),
    })


def apply_crosswalk(history: pd.DataFrame, crosswalk: pd.DataFrame, target_year: int) -> pd.DataFrame:
    """``history`` with every indicator id translated to the catalogue in force in ``target_year``.

    A history row's ids are those of its period's year. The crosswalk's steps are applied in the
    order of their ``to_year``: a step applies to a row whose ids are older than the step's
    ``to_year`` when that year is not after ``target_year``; after it, the row's ids are of that
    year, so renumberings chain (2020 -> 2021 -> 2022). All renames of one step apply at once, so
    swapping two ids works. Rows whose indicator has no counterpart (empty ``to_id``) are dropped.
    Rows of years after ``target_year`` are left as they are. Same columns as ``history``.
    """
    if history is None or len(history) == 0 or crosswalk is None or len(crosswalk) == 0:
        return history.copy() if history is not None else _typed(_empty(HISTORY_COLUMNS), HISTORY_COLUMNS, ("value",))
    out = history.copy()
    id_year = out["period"].map(lambda p: getattr(_parse_period(p), "year", math.nan)).astype(float)
    indicator = out["indicator"].astype(str)
    steps = crosswalk[crosswalk["to_year"] <= int(target_year)]
    for to_year in sorted(steps["to_year"].unique()):
        eligible = id_year < to_year
        mapped = pd.Series(False, index=out.index)
        # the latest starting catalogue first; a row is renamed at most once per step year
        for from_year in sorted(steps.loc[steps["to_year"] == to_year, "from_year"].unique(), reverse=True):
            step = steps[(steps["to_year"] == to_year) & (steps["from_year"] == from_year)]
            mapping = dict(zip(step["from_id"], step["to_id"]))
            applies = eligible & ~mapped & indicator.isin(list(mapping))
            indicator = indicator.where(~applies, indicator.map(mapping))
            mapped |= applies
        # every row older than this step now carries the ids of its year
        id_year = id_year.where(~eligible, float(to_year))
    dropped = indicator.eq("")
    out["indicator"] = indicator
    return out[~dropped].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# comparison


def compare(
    period: str,
    consolidated: pd.DataFrame,
    history: pd.DataFrame,
    catalogue: pd.DataFrame,
    settings: dict,
) -> tuple[pd.DataFrame, list[dict]]:
    """The ``comparison`` frame of ``period`` and its flags.

    ``consolidated``: this period's frame (:func:`consolidate`); ``history``: earlier periods'
    (:func:`load_history`, crosswalked to this period's catalogue); rows of ``period`` itself are
    ignored. Returns ``(comparison, findings)``; ``comparison`` has columns ``period, indicator,
    value, ref, ref_period, ref_value, change, change_pct`` (see the module docstring).

    Flags (one finding per indicator and check, ``unit`` the indicator's owner):

    - ``cumulative-decrease``: a catalogue-``cumulative`` (lũy kế) indicator is lower than in the
      latest earlier period whose cut-off ends before this one's, whatever its kind (a stock at
      14/6/2021 is compared with the one at 14/12/2020, the year report).
    - ``large-change`` (not for coded indicators): against the ``previous`` or ``last_year``
      value, a relative change beyond ``rel_threshold`` and an absolute change (percentage points
      for percent indicators) beyond ``abs_floor`` (a reference of 0 counts as an unbounded
      relative change); or, with ``robust_min_periods`` or more earlier values of the same kind, a
      modified z-score ``0.6745 (x - median) / MAD`` beyond ``robust_z`` while the distance from
      the median is beyond ``abs_floor``. Where the MAD is 0 the mean absolute deviation is used
      (``(x - median) / (1.2533 MeanAD)``); where every earlier value is equal, any value beyond
      the floor from it is flagged.
    """
    current = Period.parse(period)
    cfg = _comparison_settings(settings)
    specs = _specs(catalogue)
    hist = _history_points(history, current)
    lookup = {(p, i): v for p, i, v in zip(hist["period"], hist["indicator"], hist["value"])}
    refs = [("previous", current.previous()), ("last_year", current.last_year())]

    cur = consolidated.assign(value=pd.to_numeric(consolidated["value"], errors="coerce"))
    cur = cur[cur["value"].notna()].drop_duplicates("indicator", keep="last")
    cur = cur.assign(_order=cur["indicator"].map(lambda i: specs.get(str(i), {}).get("order", 10**6)))
    cur = cur.sort_values("_order", kind="stable")

    rows: list[dict] = []
    found: list[dict] = []
    by_indicator = {i: g for i, g in hist.groupby("indicator", sort=False)} if len(hist) else {}
    for indicator, value in zip(cur["indicator"].astype(str), cur["value"].astype(float)):
        spec = specs.get(indicator)
        kind = spec["kind"] if spec else ""
        for ref, ref_period in refs:
            ref_value = lookup.get((ref_period.id, indicator), math.nan)
            change = value - ref_value if not math.isnan(ref_value) else math.nan
            pct = math.nan
            if not math.isnan(change) and ref_value != 0 and kind != "code":
                pct = change / abs(ref_value) * 100
            rows.append({"period": current.id, "indicator": indicator, "value": value, "ref": ref,
                         "ref_period": ref_period.id, "ref_value": ref_value, "change": change, "change_pct": pct})
        if spec is None:
            continue
        past = by_indicator.get(indicator)
        if spec["cumulative"]:
            found += _cumulative_flag(current, indicator, value, spec, past)
        if kind != "code":
            found += _large_change_flag(current, indicator, value, spec, refs, lookup, past, cfg)
    frame = pd.DataFrame(rows, columns=COMPARISON_COLUMNS) if rows else _empty(
        COMPARISON_COLUMNS, floats=("value", "ref_value", "change", "change_pct"))
    frame = _typed(frame, COMPARISON_COLUMNS, ("value", "ref_value", "change", "change_pct"))
    frame[["change", "change_pct"]] = frame[["change", "change_pct"]].replace([np.inf, -np.inf], np.nan)
    return frame, found


def _history_points(history: pd.DataFrame | None, current: Period) -> pd.DataFrame:
    """History rows with a value, of valid periods other than ``current``, with their period
    object, cut-off end and kind; one row per (period, indicator)."""
    columns = ["period", "indicator", "value", "_p", "_end", "_kind", "_length"]
    if history is None or len(history) == 0:
        return pd.DataFrame(columns=columns)
    frame = history.assign(
        period=history["period"].astype(str),
        indicator=history["indicator"].astype(str),
        value=pd.to_numeric(history["value"], errors="coerce"),
    )
    frame = frame[frame["value"].notna()]
    parsed = frame["period"].map(_parse_period)
    frame = frame.assign(_p=parsed)[parsed.notna()]
    frame = frame.assign(period=frame["_p"].map(lambda p: p.id))
    frame = frame[frame["period"] != current.id]
    frame = frame.assign(
        _end=frame["_p"].map(lambda p: p.end),
        _kind=frame["_p"].map(lambda p: p.kind),
        _length=frame["_p"].map(lambda p: (p.end - p.start).days),
    )
    return frame.drop_duplicates(["period", "indicator"], keep="last")[columns].reset_index(drop=True)


def _cumulative_flag(current: Period, indicator: str, value: float, spec: dict, past: pd.DataFrame | None) -> list[dict]:
    if past is None or past.empty:
        return []
    earlier = past[past["_end"] < current.end]
    if earlier.empty:
        return []
    # the latest stock before this one; on equal cut-off ends (2020-Q4 and 2020) prefer this
    # period's kind, then the longer window
    key = earlier.assign(_same=earlier["_kind"].eq(current.kind)).sort_values(
        ["_end", "_same", "_length"], kind="stable")
    ref = key.iloc[-1]
    ref_value = float(ref["value"])
    if not value < ref_value:
        return []
    ref_period: Period = ref["_p"]
    kind = spec["kind"]
    owner = spec["owner"]
    return [F.make(
        "cumulative-decrease",
        f"{_label(indicator, spec)} là số lũy kế đến thời điểm báo cáo nhưng giảm từ {_shown(ref_value, kind)} "
        f"({_period_text(ref_period)}, kỳ {ref_period.id}, chốt số liệu {ref_period.end:%d/%m/%Y}) xuống "
        f"{_shown(value, kind)} ({_period_text(current)}, kỳ {current.id}, chốt {current.end:%d/%m/%Y}), "
        f"giảm {_num(ref_value - value)}. Số lũy kế không giảm theo thời gian; đề nghị {owner or 'đơn vị phụ trách'} "
        "kiểm tra lại số liệu, hoặc ghi rõ lý do (giải thể, sáp nhập, chuyển đổi...) trong cột Ghi chú.",
        period=current.id, unit=owner, indicator=indicator)]


def _large_change_flag(
    current: Period, indicator: str, value: float, spec: dict, refs: list[tuple[str, Period]],
    lookup: dict, past: pd.DataFrame | None, cfg: dict,
) -> list[dict]:
    kind = spec["kind"]
    points = kind == "percent"
    floor_text = f"{_num(cfg['abs_floor'])} điểm phần trăm" if points else _num(cfg["abs_floor"])
    reasons: list[str] = []
    seen: set[str] = set()
    for _ref, ref_period in refs:
        if ref_period.id in seen:
            continue
        seen.add(ref_period.id)
        ref_value = lookup.get((ref_period.id, indicator), math.nan)
        if math.isnan(ref_value):
            continue
        change = value - ref_value
        if abs(change) <= cfg["abs_floor"]:
            continue
        relative = math.inf if ref_value == 0 else abs(change) / abs(ref_value)
        if relative <= cfg["rel_threshold"]:
            continue
        direction = "tăng" if change > 0 else "giảm"
        amount = f"{_num(abs(change))} điểm phần trăm" if points else _num(abs(change))
        rel_text = "trước đó bằng 0" if ref_value == 0 else f"{'+' if change > 0 else '-'}{_num(round(relative * 100, 1))}%"
        reasons.append(
            f"so với {_shown(ref_value, kind)} ({_period_text(ref_period)}, kỳ {ref_period.id}): {direction} {amount} "
            f"({rel_text}), vượt cả ngưỡng tương đối {_num(cfg['rel_threshold'] * 100)}% và ngưỡng tuyệt đối {floor_text}")
    robust = _robust_reason(current, value, kind, past, cfg, floor_text)
    if robust:
        reasons.append(robust)
    if not reasons:
        return []
    owner = spec["owner"]
    return [F.make(
        "large-change",
        f"{_label(indicator, spec)} thay đổi lớn: {_shown(value, kind)} ({_period_text(current)}, kỳ {current.id}) "
        + "; ".join(reasons)
        + f". Đề nghị {owner or 'đơn vị phụ trách'} kiểm tra lại số liệu hoặc giải thích lý do trong cột Ghi chú.",
        period=current.id, unit=owner, indicator=indicator)]


def robust_z(value: float, earlier: list[float] | np.ndarray) -> tuple[float, float, float, str]:
    """Modified z-score of ``value`` against ``earlier`` values: ``(z, median, spread, how)``.

    ``how`` is ``mad`` (z = 0.6745 (x - median) / MAD), ``meanad`` (MAD is 0: z = (x - median) /
    (1.2533 * mean absolute deviation)) or ``constant`` (every earlier value equal: z is 0 for the
    same value, else ±inf). Never NaN for a non-empty ``earlier``.
    """
    data = np.asarray(earlier, dtype=float)
    median = float(np.median(data))
    deviation = np.abs(data - median)
    mad = float(np.median(deviation))
    distance = value - median
    if mad > 0:
        return _MAD_SCALE * distance / mad, median, mad, "mad"
    mean_ad = float(np.mean(deviation))
    if mean_ad > 0:
        return distance / (_MEANAD_SCALE * mean_ad), median, mean_ad, "meanad"
    if distance == 0:
        return 0.0, median, 0.0, "constant"
    return math.copysign(math.inf, distance), median, 0.0, "constant"


def _robust_reason(current: Period, value: float, kind: str, past: pd.DataFrame | None, cfg: dict,
                   floor_text: str) -> str | None:
    if past is None or past.empty:
        return None
    same = past[(past["_kind"] == current.kind) & (past["_end"] < current.end)].sort_values("_end")
    if len(same) < max(cfg["robust_min_periods"], 1):
        return None
    earlier = same["value"].astype(float).to_numpy()
    z, median, spread, how = robust_z(value, earlier)
    if abs(value - median) <= cfg["abs_floor"] or abs(z) <= cfg["robust_z"]:
        return None
    first, last = same["_p"].iloc[0].id, same["_p"].iloc[-1].id
    span = f"{len(same)} kỳ {KIND_LABELS.get(current.kind, '')} trước ({first} đến {last})"
    if how == "constant":
        return (f"trong khi {span} đều bằng {_shown(median, kind)}: lệch {_num(abs(value - median))} so với mức ổn định, "
                f"vượt ngưỡng tuyệt đối {floor_text}")
    measure = "độ lệch tuyệt đối trung vị (MAD)" if how == "mad" else "độ lệch tuyệt đối trung bình (MAD bằng 0)"
    return (f"so với {span}: trung vị {_shown(median, kind)}, {measure} {_num(spread)}, điểm bất thường "
            f"(robust z) {_num(round(z, 1))} vượt ngưỡng {_num(cfg['robust_z'])}")


# --------------------------------------------------------------------------------------------
# one period, end to end


@dataclass
class HistoryResult:
    """Everything :func:`run_history` makes for one period (frames as in DESIGN.md)."""

    consolidated: pd.DataFrame
    comparison: pd.DataFrame
    findings: pd.DataFrame


def run_history(
    period: str,
    values: pd.DataFrame,
    catalogue: pd.DataFrame,
    settings: dict,
    processed_root: Path,
    root: Path | None = None,
) -> HistoryResult:
    """Consolidate ``period``'s values, read every other processed period as history (crosswalked
    to ``period``'s catalogue year; ``root`` is the workspace whose ``catalogue/crosswalk.csv``
    overrides the package's) and compare. Writes nothing."""
    period = Period.parse(period).id
    consolidated, found = consolidate(period, values, catalogue)
    history = load_history(processed_root, exclude=period)
    history = apply_crosswalk(history, load_crosswalk(root), Period.parse(period).year)
    comparison, flags = compare(period, consolidated, history, catalogue, settings)
    findings = _located(F.frame(found + flags), values)
    return HistoryResult(consolidated=consolidated, comparison=comparison, findings=findings)


def _located(findings: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """History flags name the cell their value came from (the unit's live value) when they
    carry none: the department sees which row to look at."""
    if findings.empty or values.empty or not {"source_file", "sheet", "row", "superseded"} <= set(values.columns):
        return findings
    live = values[~values["superseded"]].drop_duplicates(["unit", "indicator"], keep="last")
    where = {(u, i): (f, s, r) for u, i, f, s, r in
             zip(live["unit"], live["indicator"], live["source_file"], live["sheet"], live["row"])}
    rows = []
    for item in findings.to_dict("records"):
        place = where.get((item["unit"], item["indicator"]))
        if place and not item["source_file"]:
            source, sheet, row = place
            item["message"] = f"{F.where(source, sheet, row)}: {item['message']}"
            item.update(source_file=source, sheet=sheet, row=row)
        rows.append(item)
    return F.frame(rows)


# --------------------------------------------------------------------------------------------
# backfill


def backfill(period: str, workbook: Path, root: Path, settings: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the district's own consolidated Phụ lục II workbook of an earlier ``period`` (what was
    sent to the province) into that period's consolidated frame.

    Every value is credited to the district (``units`` = ``HUYEN``). Returns ``(consolidated,
    findings)``; cells that cannot be read as their kind are findings (``type-error``, ...) and get
    no row, as do empty cells. A workbook that names another period, has no Phụ lục II table or no
    value at all gives findings and an empty frame. Writes nothing: the caller stores the frame as
    ``data/processed/<period>/consolidated.parquet``.
    """
    from .ingest import make_context, read_file  # ingest is heavy-ish; only backfill needs it

    period = Period.parse(period).id
    root = Path(root)
    workbook = Path(workbook)
    settings = settings if settings is not None else load_settings(root)
    catalogue = load_catalogue(Period.parse(period).year, root)
    ctx = make_context(period, catalogue, load_units(root), settings)
    source = workbook.name
    result = read_file(workbook, source, ctx, unit_override=DISTRICT_UNIT)
    found = list(result.findings)
    specs = _specs(catalogue)
    cells = [c for c in result.cells if c.get("status") not in ("empty",)]
    by_indicator: dict[str, list[dict]] = {}
    for cell in cells:
        by_indicator.setdefault(cell["indicator"], []).append(cell)
    rows = []
    for indicator, group in by_indicator.items():
        numbers = [c for c in group if c["status"] == "ok" and not _isnan(c["value"])]
        if len(group) > 1:
            last = group[-1]
            lines = ", ".join(str(c["row"]) for c in group)
            distinct = {c["value"] for c in numbers}
            check = "conflict" if len(distinct) > 1 else "duplicate-row"
            found.append(F.make(
                check,
                f"chỉ tiêu {indicator} được ghi {len(group)} lần (dòng {lines})"
                + (f" với giá trị khác nhau ({', '.join(c['raw'] for c in group)})" if check == "conflict" else "")
                + f"; dùng giá trị ở dòng {last['row']}.",
                period=period, unit=DISTRICT_UNIT, indicator=indicator, source_file=source, sheet=last["sheet"],
                row=last["row"]))
        chosen = group[-1]
        if chosen["status"] == "ok" and not _isnan(chosen["value"]):
            rows.append({"period": period, "indicator": indicator, "value": float(chosen["value"]),
                         "units": DISTRICT_UNIT, "_order": specs.get(indicator, {}).get("order", 10**6)})
    if result.record.get("status") == "ok" and not rows:
        found.append(F.make(
            "missing-value",
            f"không đọc được số liệu nào của kỳ {period} từ tệp; lịch sử của kỳ này chưa được nạp. "
            "Đề nghị kiểm tra cột Số liệu của bảng Phụ lục II.",
            period=period, unit=DISTRICT_UNIT, source_file=source, severity="warning"))
    if rows:
        frame = pd.DataFrame(rows).sort_values("_order", kind="stable")[CONSOLIDATED_COLUMNS]
    else:
        frame = _empty(CONSOLIDATED_COLUMNS)
    return _typed(frame, CONSOLIDATED_COLUMNS, ("value",)), F.frame(found)


def _isnan(x) -> bool:
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True
