"""The period's record: which files each check saw, which values changed, who closed and reopened.

``data/processed/<period>/audit/`` is append-only: every ``cchc check`` adds rows, nothing is ever
changed or removed, and a re-run keeps it (the period's other outputs are replaced whole). Three
frames, one row per event, each with ``checked_at`` (local time of the check or action) and
``check_id`` (one id per check or action, shared by all its rows):

- ``files.parquet`` (:data:`FILE_EVENT_COLUMNS`): a file event a check saw in ``data/raw/<period>/``:
  ``added`` (a name not seen before), ``replaced`` (the same name with other content: a corrected
  file, recognised by its SHA-256, not by its time), ``removed``, ``renamed`` (the same content
  under a new name, ``previous_file`` the old one). A file whose content did not change is no
  event, whatever its modification time says. Each row says what the file was: ``sha256, size,
  received_at, time_source, unit, status, n_values``.
- ``changes.parquet`` (:data:`CHANGE_COLUMNS`): a value that changed since the previous check, one
  row per (unit, indicator): the old value (``old_value``, ``old_raw`` the cell as written) and
  where it came from (``old_file, old_sha256, old_sheet, old_row``), the new one likewise (an
  empty ``new_file`` when the value is gone), why (``reason``, :data:`REASONS`) and the district's
  value of that indicator before and after the check (``district_old``, ``district_new``). A
  district value that changed with no unit's value changing (a catalogue rule edited) is a row of
  unit ``HUYEN``. The first check of a period records every value as ``added``, so the record
  alone says which value held at every check (:func:`value_state`, :func:`district_state`).
- ``actions.parquet`` (:data:`ACTION_COLUMNS`): one row per action on the period: ``check``,
  ``close``, ``reopen``, with who (``by``), the note or the reason, and counts.

Written only under the period's lock (:func:`cchc_analysis.pipeline.period_lock`), in the staging
folder of the period's outputs, as the previous rows followed by the new ones; the folder is
swapped in whole (:mod:`cchc_analysis.atomic`), so a check killed at any point leaves either the
previous record and outputs or the new record and outputs, never half of one, and never an entry
twice.

Frames in, frames out: :func:`file_events` and :func:`value_changes` compute; :func:`prepare_check`
gathers what a check needs and :meth:`CheckRecord.write` writes; :func:`timeline` is the text of
``cchc history``. This module never imports matplotlib, papermill or nbconvert.
"""

from __future__ import annotations

import getpass
import hashlib
import math
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .config import AUDIT_FOLDER, CLOSED_FOLDER, CLOSED_MANIFEST, Workspace
from .periods import Period
from .signoff import AuditError
from .text import display_name, is_missing, nfc

FILES = "files.parquet"
CHANGES = "changes.parquet"
ACTIONS = "actions.parquet"

FILE_EVENT_COLUMNS = [
    "checked_at", "period", "check_id", "event", "source_file", "sha256", "size", "received_at", "time_source",
    "unit", "status", "n_values", "previous_file", "previous_sha256",
]
CHANGE_COLUMNS = [
    "checked_at", "period", "check_id", "unit", "indicator", "reason",
    "old_value", "old_raw", "old_file", "old_sha256", "old_sheet", "old_row",
    "new_value", "new_raw", "new_file", "new_sha256", "new_sheet", "new_row",
    "district_old", "district_new",
]
ACTION_COLUMNS = ["checked_at", "period", "check_id", "action", "by", "note", "files", "file_events", "value_changes"]

_TIMES = ("checked_at", "received_at")
_FLOATS = ("old_value", "new_value", "district_old", "district_new")
_INTEGERS = ("size", "n_values", "old_row", "new_row", "files", "file_events", "value_changes")

#: file events, as ``cchc history`` names them
EVENTS = {
    "added": "tệp mới",
    "replaced": "thay bằng bản sửa (cùng tên, nội dung khác)",
    "removed": "bị gỡ khỏi thư mục",
    "renamed": "đổi tên (cùng nội dung)",
}
#: why a value changed
REASONS = {
    "added": "tệp mới",
    "replaced": "tệp được thay bằng bản sửa cùng tên",
    "removed": "tệp bị gỡ khỏi thư mục",
    "superseded": "tệp gửi sau thay thế tệp gửi trước",
    "reread": "đọc lại, không tệp nào thay đổi (danh mục, cấu hình hoặc số liệu nạp từ bảng tổng hợp)",
}
#: what the ingest made of a file (``files.csv`` status)
FILE_STATUS = {
    "ok": "đã đọc", "unreadable": "không đọc được", "no-table": "không thấy bảng Phụ lục II",
    "unknown-unit": "không rõ đơn vị gửi", "period-mismatch": "ghi kỳ báo cáo khác",
}

#: the unit code of a district value that changed with no unit's value changing (as in backfill)
DISTRICT_UNIT = "HUYEN"
#: a workbook the non-workbook files of a folder are listed with (a PDF sent instead of Excel)
NOT_A_WORKBOOK = "unreadable"




# --------------------------------------------------------------------------------------------
# frames


def _typed(frame: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame:
    """``frame`` with exactly ``columns``, in one fixed set of dtypes (text never NaN), so the
    record's files keep one schema however many times they are extended."""
    frame = (frame if frame is not None else pd.DataFrame()).reindex(columns=columns)
    out = {}
    for column in columns:
        series = frame[column]
        if column in _TIMES:
            if not pd.api.types.is_datetime64_dtype(series):
                series = pd.to_datetime(series, errors="coerce")
            out[column] = series.astype("datetime64[ns]")
        elif column in _FLOATS:
            out[column] = pd.to_numeric(series, errors="coerce").astype(float)
        elif column in _INTEGERS:
            out[column] = pd.to_numeric(series, errors="coerce").round().astype("Int64")
        else:  # text is NFC where it comes from (the ingest, action_row); here only made text, never NaN
            out[column] = series.astype("str").fillna("")
    return pd.DataFrame(out, columns=columns).reset_index(drop=True)


@dataclass
class Audit:
    """A period's record as read back (each frame in append order)."""

    files: pd.DataFrame
    changes: pd.DataFrame
    actions: pd.DataFrame

    @classmethod
    def empty(cls) -> "Audit":
        return cls(_typed(None, FILE_EVENT_COLUMNS), _typed(None, CHANGE_COLUMNS), _typed(None, ACTION_COLUMNS))

    def last(self, action: str | None = None) -> dict | None:
        """The last action row (of kind ``action``), or None."""
        rows = self.actions if action is None else self.actions[self.actions["action"] == action]
        return rows.iloc[-1].to_dict() if len(rows) else None

    def checks(self) -> pd.DataFrame:
        return self.actions[self.actions["action"] == "check"]


def read_audit(folder: Path | str) -> Audit:
    """The record in ``folder`` (``data/processed/<period>/audit``); empty frames where it has none
    yet. Raises :class:`AuditError` when a file of it cannot be read."""
    folder = Path(folder)
    frames = {}
    for name, columns in ((FILES, FILE_EVENT_COLUMNS), (CHANGES, CHANGE_COLUMNS), (ACTIONS, ACTION_COLUMNS)):
        path = folder / name
        if not path.is_file():
            frames[name] = _typed(None, columns)
            continue
        try:
            frames[name] = _typed(pd.read_parquet(path), columns)
        except Exception as error:  # noqa: BLE001 - any reader error: the record is damaged
            raise AuditError(
                f"Không đọc được nhật ký {path} ({type(error).__name__}: {error}); nhật ký không được ghi đè. "
                "Hãy khôi phục tệp này từ bản sao lưu rồi chạy lại."
            ) from error
    return Audit(frames[FILES], frames[CHANGES], frames[ACTIONS])


def load_audit(period: str, root: Path | str = ".") -> Audit:
    """The record of ``period`` in the workspace ``root``."""
    return read_audit(Workspace(Path(root)).audit_dir(Period.parse(period).id))


# --------------------------------------------------------------------------------------------
# what the record says held after its last check


def file_state(files: pd.DataFrame) -> pd.DataFrame:
    """The files present after the record's last check (one row each, the row of its last event),
    by replaying the file events in order."""
    state: dict[str, dict] = {}
    for row in files.to_dict("records"):
        if row["event"] == "removed":
            state.pop(row["source_file"], None)
            continue
        if row["event"] == "renamed":
            state.pop(row["previous_file"], None)
        state[row["source_file"]] = row
    return _typed(pd.DataFrame(list(state.values())), FILE_EVENT_COLUMNS)


_STATE_COLUMNS = ["unit", "indicator", "value", "raw", "source_file", "sha256", "sheet", "row"]


def value_state(changes: pd.DataFrame, files: pd.DataFrame | None = None) -> pd.DataFrame:
    """The live value of each (unit, indicator) after the record's last check: the new side of
    its last change, where that change did not remove it. Columns :data:`_STATE_COLUMNS`.

    ``files`` (the record's file events): a value whose file was renamed since (same content,
    a new name: no value changed, so no change row says so) is named by the file's present name."""
    units = changes[changes["unit"] != DISTRICT_UNIT]
    last = units.drop_duplicates(["unit", "indicator"], keep="last")
    last = last[last["new_file"] != ""]
    state = pd.DataFrame({
        "unit": last["unit"], "indicator": last["indicator"], "value": last["new_value"], "raw": last["new_raw"],
        "source_file": last["new_file"], "sha256": last["new_sha256"], "sheet": last["new_sheet"],
        "row": last["new_row"],
    }, columns=_STATE_COLUMNS).reset_index(drop=True)
    if files is not None and len(files) and len(state):
        present = file_state(files)
        here = set(zip(present["source_file"], present["sha256"]))
        name_of = dict(zip(present["sha256"], present["source_file"]))
        moved = [(f, h) not in here and h in name_of for f, h in zip(state["source_file"], state["sha256"])]
        state.loc[moved, "source_file"] = state.loc[moved, "sha256"].map(name_of)
    return state


def district_state(changes: pd.DataFrame) -> dict[str, float]:
    """The district's value of each indicator after the record's last check (indicators with a
    value only)."""
    last = changes.drop_duplicates("indicator", keep="last")
    return {i: float(v) for i, v in zip(last["indicator"], last["district_new"]) if not is_missing(v)}


def live_values(values: pd.DataFrame, shas: dict[str, str]) -> pd.DataFrame:
    """The live rows of a ``values.parquet`` frame (not superseded: one per unit and indicator) as
    :data:`_STATE_COLUMNS`, each with the SHA-256 of its file (``shas``: source_file -> digest)."""
    if values is None or len(values) == 0:
        return pd.DataFrame(columns=_STATE_COLUMNS)
    live = values[~values["superseded"].fillna(False).astype(bool)]
    live = live[live["unit"].fillna("").astype(str) != ""]
    live = live.drop_duplicates(["unit", "indicator"], keep="last")
    return pd.DataFrame({
        "unit": live["unit"].astype(str), "indicator": live["indicator"].astype(str),
        "value": pd.to_numeric(live["value"], errors="coerce").astype(float),
        "raw": live["raw"].fillna("").astype(str), "source_file": live["source_file"].astype(str),
        "sha256": live["source_file"].astype(str).map(shas).fillna(""), "sheet": live["sheet"].fillna("").astype(str),
        "row": pd.to_numeric(live["row"], errors="coerce").astype("Int64"),
    }, columns=_STATE_COLUMNS).reset_index(drop=True)


def consolidated_values(consolidated: pd.DataFrame | None) -> dict[str, float]:
    """indicator -> the district's value, from a ``consolidated.parquet`` frame (NaN left out)."""
    if consolidated is None or len(consolidated) == 0:
        return {}
    values = pd.to_numeric(consolidated["value"], errors="coerce")
    return {str(i): float(v) for i, v in zip(consolidated["indicator"], values) if not is_missing(v)}


# --------------------------------------------------------------------------------------------
# the files of a folder


def sha256_file(path: Path | str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


_INVENTORY_COLUMNS = ["source_file", "sha256", "size", "mtime"]


def inventory(raw_dir: Path | str) -> pd.DataFrame:
    """The submissions in ``raw_dir`` as the ingest lists them (workbooks and the other files a
    department sent; ``submissions.csv`` and the lock files of open workbooks are not
    submissions), each named as the ingest names it: ``source_file, sha256, size, mtime``."""
    from .ingest import list_files

    raw_dir = Path(raw_dir)
    workbooks, others = list_files(raw_dir)
    rows = []
    for path in workbooks + others:
        stat = path.stat()
        rows.append({"source_file": display_name(path.relative_to(raw_dir).as_posix()), "sha256": sha256_file(path),
                     "size": stat.st_size, "mtime": datetime.fromtimestamp(stat.st_mtime).replace(microsecond=0)})
    return pd.DataFrame(rows, columns=_INVENTORY_COLUMNS)


def seen_files(found: pd.DataFrame, files: pd.DataFrame | None) -> pd.DataFrame:
    """The folder's files (:func:`inventory`) with what the ingest said of each (``files.csv``:
    unit, status, received time); a file the ingest did not read as a workbook is ``unreadable``,
    received at its modification time."""
    records = {}
    if files is not None and len(files):
        records = {str(r["source_file"]): r for r in files.to_dict("records")}
    rows = []
    for item in found.to_dict("records"):
        record = records.get(item["source_file"])
        if record is None:
            record = {"unit": "", "status": NOT_A_WORKBOOK, "received_at": item["mtime"], "time_source": "mtime",
                      "n_values": 0}
        rows.append({"source_file": item["source_file"], "sha256": item["sha256"], "size": item["size"],
                     "received_at": record.get("received_at"), "time_source": record.get("time_source"),
                     "unit": record.get("unit"), "status": record.get("status"), "n_values": record.get("n_values")})
    return _typed(pd.DataFrame(rows), FILE_EVENT_COLUMNS)


# --------------------------------------------------------------------------------------------
# what changed


def file_events(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """The file events between two states (:func:`file_state` of the record, :func:`seen_files`
    of the folder now): ``added``, ``replaced`` (same name, other SHA-256), ``renamed`` (a name
    gone and a new name with its content), ``removed``; unchanged files give no row. Rows in the
    order the files were received, removals last; ``checked_at``/``check_id`` left empty."""
    old = {r["source_file"]: r for r in before.to_dict("records")}
    new = {r["source_file"]: r for r in now.to_dict("records")}
    gone_by_sha: dict[str, list[str]] = {}
    for name, row in sorted(old.items()):
        if name not in new:
            gone_by_sha.setdefault(row["sha256"], []).append(name)
    renamed_from: set[str] = set()
    rows = []
    ordered = sorted(new.values(), key=lambda r: (pd.Timestamp(r["received_at"]) if not is_missing(r["received_at"])
                                                  else pd.Timestamp.max, r["source_file"]))
    for row in ordered:
        name = row["source_file"]
        if name in old:
            if old[name]["sha256"] == row["sha256"]:
                continue
            rows.append({**row, "event": "replaced", "previous_sha256": old[name]["sha256"]})
            continue
        candidates = [n for n in gone_by_sha.get(row["sha256"], []) if n not in renamed_from]
        if candidates:
            renamed_from.add(candidates[0])
            rows.append({**row, "event": "renamed", "previous_file": candidates[0]})
        else:
            rows.append({**row, "event": "added"})
    for name in sorted(old):
        if name not in new and name not in renamed_from:
            rows.append({**old[name], "event": "removed", "previous_file": "", "previous_sha256": ""})
    frame = pd.DataFrame(rows)
    if len(frame):
        frame = frame.assign(checked_at=pd.NaT, check_id="", period="")
    return _typed(frame, FILE_EVENT_COLUMNS)


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element-wise float equality where NaN equals NaN."""
    return (a == b) | (a.isna() & b.isna())


def _natural(indicator: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in str(indicator).split("."))


def value_changes(before: pd.DataFrame, now: pd.DataFrame, events: pd.DataFrame,
                  district_before: dict[str, float], district_now: dict[str, float]) -> pd.DataFrame:
    """The values that changed between two states (:data:`_STATE_COLUMNS` frames: :func:`value_state`
    of the record, :func:`live_values` of this check), one row per (unit, indicator), with why:

    - ``added``: a value that was not there, from a file new to the folder (or renamed);
    - ``replaced``: the file the value came from, or comes from now, was replaced by a corrected
      file of the same name;
    - ``removed``: the file the old value came from is gone (the value is gone, or now comes from
      another file of the unit);
    - ``superseded``: a later file of the same unit, new or corrected, now gives the value;
    - ``reread``: no file behind it changed (the catalogue, the settings or the reader did).

    A value is unchanged when its number is the same (for a cell that could not be read, NaN,
    when its text is the same): a corrected file that moves a row gives no row for it.
    ``district_old``/``district_new``: the indicator's district value before and after. A
    district value that changed while no unit's value of that indicator did is a row of unit
    :data:`DISTRICT_UNIT`, reason ``reread``. Sorted by unit and indicator; ``checked_at``/``check_id``
    left empty."""
    key = ["unit", "indicator"]
    merged = before.merge(now, on=key, how="outer", suffixes=("_old", "_new"), indicator=True)
    has_old, has_new = merged["_merge"] != "right_only", merged["_merge"] != "left_only"
    value_old = pd.to_numeric(merged["value_old"], errors="coerce").astype(float)
    value_new = pd.to_numeric(merged["value_new"], errors="coerce").astype(float)
    same_raw = merged["raw_old"].fillna("").astype(str) == merged["raw_new"].fillna("").astype(str)
    unchanged = has_old & has_new & _same(value_old, value_new) & (value_old.notna() | same_raw)
    rows = merged[~unchanged].copy()
    event_of = dict(zip(events["source_file"], events["event"]))
    for gone in events.loc[events["event"] == "renamed", "previous_file"]:
        event_of.setdefault(gone, "renamed-away")
    old_file = rows["source_file_old"].fillna("").astype(str).where(rows["_merge"] != "right_only", "")
    new_file = rows["source_file_new"].fillna("").astype(str).where(rows["_merge"] != "left_only", "")
    ev_old, ev_new = old_file.map(event_of).fillna(""), new_file.map(event_of).fillna("")
    no_old, no_new = old_file == "", new_file == ""
    fresh = ev_new.isin(["added", "renamed", "replaced"])
    reason = np.select(
        [
            no_old & ev_new.isin(["added", "renamed"]), no_old & (ev_new == "replaced"), no_old,
            no_new & (ev_old == "removed"), no_new & (ev_old == "replaced"), no_new,
            (old_file == new_file) & (ev_new == "replaced"), old_file == new_file,
            ev_old == "removed", fresh, ev_old == "replaced",
        ],
        ["added", "replaced", "reread", "removed", "replaced", "reread", "replaced", "reread", "removed",
         "superseded", "replaced"],
        default="reread",
    )
    out = pd.DataFrame({
        "unit": rows["unit"], "indicator": rows["indicator"], "reason": reason,
        "old_value": rows["value_old"], "old_raw": rows["raw_old"], "old_file": old_file,
        "old_sha256": rows["sha256_old"], "old_sheet": rows["sheet_old"], "old_row": rows["row_old"],
        "new_value": rows["value_new"], "new_raw": rows["raw_new"], "new_file": new_file,
        "new_sha256": rows["sha256_new"], "new_sheet": rows["sheet_new"], "new_row": rows["row_new"],
    })
    explained = set(out["indicator"])
    extra = []
    for indicator in sorted(set(district_before) | set(district_now), key=_natural):
        old, new = district_before.get(indicator, math.nan), district_now.get(indicator, math.nan)
        if indicator in explained or (math.isnan(old) and math.isnan(new)) or old == new:
            continue
        extra.append({"unit": DISTRICT_UNIT, "indicator": indicator, "reason": "reread", "old_value": old,
                      "new_value": new, "old_file": "", "new_file": ""})
    if extra:
        out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
    if len(out):
        out = out.assign(
            district_old=out["indicator"].map(district_before),
            district_new=out["indicator"].map(district_now),
            _k=[(u, _natural(i)) for u, i in zip(out["unit"], out["indicator"])],
        ).sort_values("_k", kind="stable").drop(columns="_k")
    return _typed(out, CHANGE_COLUMNS)


# --------------------------------------------------------------------------------------------
# one check


def local_now(settings: dict | None = None) -> datetime:
    """Now, local time of this machine, naive, to the second: the clock the ingest reads the
    files' modification times with, so a check and the files it saw are in one order.
    (``settings`` is accepted for callers that have them; the time zone of ``[district]``
    converts received times written with an offset, not this clock.)"""
    return datetime.now().replace(microsecond=0)


def current_user() -> str:
    """Who runs this command (the login name), for the record of a check."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class CheckRecord:
    """The rows one check adds to the record (:func:`prepare_check`), and the record before it."""

    period: str
    previous: Audit
    files: pd.DataFrame
    changes: pd.DataFrame
    actions: pd.DataFrame
    seen: pd.DataFrame = field(default_factory=pd.DataFrame)

    def write(self, folder: Path) -> None:
        """Write the record, previous rows then this check's, into ``folder/audit/`` (the staging
        folder of the period's outputs: swapped in with them)."""
        append(Path(folder) / AUDIT_FOLDER, self.previous,
               files=self.files, changes=self.changes, actions=self.actions)


def append(audit_dir: Path, previous: Audit, files: pd.DataFrame | None = None,
           changes: pd.DataFrame | None = None, actions: pd.DataFrame | None = None) -> None:
    """Write ``previous`` with the new rows after it into ``audit_dir`` (a folder of a staging
    copy: a file there may be a hard link to the live record's, so it is unlinked, never written
    through)."""
    audit_dir.mkdir(parents=True, exist_ok=True)
    for name, columns, old, new in ((FILES, FILE_EVENT_COLUMNS, previous.files, files),
                                    (CHANGES, CHANGE_COLUMNS, previous.changes, changes),
                                    (ACTIONS, ACTION_COLUMNS, previous.actions, actions)):
        parts = [f for f in (old, new) if f is not None and len(f)]
        frame = _typed(pd.concat(parts, ignore_index=True) if parts else None, columns)
        path = audit_dir / name
        path.unlink(missing_ok=True)
        frame.to_parquet(path, index=False)


def action_row(period: str, action: str, at: datetime, check_id: str, by: str = "", note: str = "",
               files: int | None = None, file_events: int | None = None, value_changes: int | None = None) -> pd.DataFrame:
    return _typed(pd.DataFrame([{
        "checked_at": at, "period": period, "check_id": check_id, "action": action, "by": nfc(by), "note": nfc(note),
        "files": files, "file_events": file_events, "value_changes": value_changes,
    }]), ACTION_COLUMNS)


def _stamp(frame: pd.DataFrame, columns: list[str], period: str, at: datetime, check_id: str) -> pd.DataFrame:
    return _typed(frame.assign(checked_at=at, period=period, check_id=check_id) if len(frame) else frame, columns)


def compare(period: str, previous: Audit, raw_dir: Path, files: pd.DataFrame | None, values: pd.DataFrame | None,
            consolidated: pd.DataFrame | None, district_before: dict[str, float] | None = None
            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(seen, events, changes)``: the folder's files now, their events and the changed values
    against the state after ``previous``'s last check (``district_before`` replaces that state's
    district values: the closed values, for a closed period)."""
    seen = seen_files(inventory(raw_dir), files)
    events = file_events(file_state(previous.files), seen)
    shas = dict(zip(seen["source_file"], seen["sha256"]))
    if district_before is None:
        district_before = district_state(previous.changes)
    changes = value_changes(value_state(previous.changes, previous.files), live_values(values, shas), events,
                            district_before, consolidated_values(consolidated))
    return seen, events, changes


def prepare_check(period: str, root: Path | str, raw_dir: Path | str, files: pd.DataFrame | None,
                  values: pd.DataFrame | None, consolidated: pd.DataFrame | None, settings: dict | None = None,
                  by: str | None = None) -> CheckRecord:
    """The rows a check of ``period`` adds: the file events and value changes since the record's
    last check, and the check itself. ``files``, ``values``, ``consolidated``: this check's frames
    (``files.csv``, ``values.parquet``, ``consolidated.parquet``). Call under the period's lock:
    the record is read here and written by :meth:`CheckRecord.write`."""
    from .atomic import recover

    ws = Workspace(Path(root))
    pid = Period.parse(period).id
    recover(ws.processed_dir(pid))  # a check killed mid-swap: its outputs, and record, back first
    previous = read_audit(ws.audit_dir(pid))
    seen, events, changes = compare(pid, previous, Path(raw_dir), files, values, consolidated)
    at, check_id = local_now(settings), new_id()
    action = action_row(pid, "check", at, check_id, current_user() if by is None else by,
                        files=len(seen), file_events=len(events), value_changes=len(changes))
    return CheckRecord(pid, previous, _stamp(events, FILE_EVENT_COLUMNS, pid, at, check_id),
                       _stamp(changes, CHANGE_COLUMNS, pid, at, check_id), action, seen)


#: what a period's folder keeps across re-runs (its other files are the last check's outputs)
RECORD_ENTRIES = (AUDIT_FOLDER, CLOSED_MANIFEST, CLOSED_FOLDER)


def carry_record(folder: Path, staging: Path, entries: tuple[str, ...] = RECORD_ENTRIES) -> None:
    """Put the period's record (``audit/``, and while closed ``closed.json`` and ``closed/``) of
    ``folder`` into ``staging``, the folder that will replace it: hard links (copies where the file
    system has none). A linked file must be replaced, never written in place."""
    for name in entries:
        source = Path(folder) / name
        if source.is_dir():
            shutil.copytree(source, staging / name, copy_function=link_file, dirs_exist_ok=True)
        elif source.is_file():
            link_file(source, staging / name)


def link_file(source, target) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


# --------------------------------------------------------------------------------------------
# cchc history


def number_text(value, kind: str = "") -> str:
    """A number the Vietnamese way (``1.234``, ``87,5``), ``%`` after a percent."""
    if is_missing(value):
        return "(chưa có)"
    x = float(value)
    text = f"{int(x):,}" if x.is_integer() else f"{x:,.2f}".rstrip("0").rstrip(".")
    text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return f"{text}%" if kind == "percent" else text


def _value(value, raw, kind: str) -> str:
    if is_missing(value) and raw:
        return f"'{raw}' (không đọc được thành số)"
    return number_text(value, kind)


def time_text(value) -> str:
    """``10:02 ngày 14/06/2021``; '' when missing."""
    return "" if is_missing(value) else pd.Timestamp(value).strftime("%H:%M ngày %d/%m/%Y")


def _size(n) -> str:
    if is_missing(n):
        return ""
    n = int(n)
    return f"{n} byte" if n < 1024 else f"{number_text(round(n / 1024, 1))} KB"


def _source(file: str, sha: str, sheet: str, row) -> str:
    if not file:
        return "(không có)"
    text = f"{file}"
    if sha:
        text += f" (bản {sha[:8]})"
    if sheet:
        text += f", trang '{sheet}'"
    if not is_missing(row):
        text += f", dòng {int(row)}"
    return text


def versions(changes: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The changes of ``unit``'s values between its versions: every change of the unit but the
    values of its first submission (``added`` at the first check that gave the unit a value)."""
    mine = changes[changes["unit"] == unit]
    if mine.empty:
        return mine
    first = mine["check_id"].iloc[0]
    debut = (mine["check_id"] == first) & (mine["old_file"] == "")
    return mine[~debut]


def timeline(audit: Audit, period: str, *, unit: str | None = None, indicator: str | None = None,
             catalogue: pd.DataFrame | None = None, units: pd.DataFrame | None = None, limit: int = 30) -> list[str]:
    """The lines ``cchc history`` prints: every check, close and reopen in order, with the files
    that arrived (or were replaced, renamed, removed) and the values each version changed, old and
    new with where they came from, and the district's value. ``unit``/``indicator`` keep only
    that unit's files and values / that indicator's values (and print, at every check, the value
    the district's table held). Without them, the values of a unit's first submission are
    counted, not listed, and at most ``limit`` changed values are listed per check."""
    p = Period.parse(period)
    names = dict(zip(catalogue["id"], catalogue["name"])) if catalogue is not None else {}
    kinds = dict(zip(catalogue["id"], catalogue["kind"])) if catalogue is not None else {}
    unit_names = dict(zip(units["code"], units["name"])) if units is not None else {}
    lines = [f"Nhật ký kỳ {p.id} ({p.title})"]
    filters = []
    if unit:
        filters.append(f"đơn vị {unit}" + (f" ({unit_names[unit]})" if unit in unit_names else ""))
    if indicator:
        filters.append(f"chỉ tiêu {indicator}" + (f" ({nfc(names[indicator])})" if indicator in names else ""))
    if filters:
        lines.append("Chỉ xem: " + "; ".join(filters) + ".")
    if audit.actions.empty:
        lines.append(f"Chưa có lần kiểm tra nào được ghi nhật ký; hãy chạy: cchc check --period {p.id}")
        return lines
    files, changes = audit.files, audit.changes
    if unit:
        files = files[files["unit"] == unit]
        changes = changes[changes["unit"] == unit]
    if indicator:
        changes = changes[changes["indicator"] == indicator]
        files = files.iloc[0:0] if not unit else files
    district = {}
    number = 0
    for action in audit.actions.to_dict("records"):
        lines.append("")
        at = time_text(action["checked_at"])
        by = action["by"]
        if action["action"] == "close":
            lines.append(f"Chốt số liệu — {at}, người chốt: {by}." + (f" Ghi chú: {action['note']}" if action["note"] else ""))
            if indicator:
                lines.append(f"  Số liệu đã chốt của huyện, chỉ tiêu {indicator}: "
                             f"{number_text(district.get(indicator), kinds.get(indicator, ''))}")
            continue
        if action["action"] == "reopen":
            lines.append(f"Mở lại kỳ — {at}, người mở: {by}. Lý do: {action['note']}")
            continue
        number += 1
        head = f"Lần kiểm tra {number} — {at}" + (f" (người chạy: {by})" if by else "")
        lines.append(head)
        mine_files = files[files["check_id"] == action["check_id"]]
        mine = changes[changes["check_id"] == action["check_id"]]
        every = audit.changes[audit.changes["check_id"] == action["check_id"]]
        district.update({i: v for i, v in zip(every["indicator"], every["district_new"])})
        if not indicator:
            if mine_files.empty:
                lines.append("  Không có tệp mới, tệp sửa hay tệp bị gỡ.")
            for f in mine_files.to_dict("records"):
                lines.append("  " + file_line(f, unit_names))
        if mine.empty:
            lines.append("  Không có số liệu nào thay đổi." if not (unit or indicator)
                         else "  Không có số liệu nào (trong phạm vi đang xem) thay đổi.")
        else:
            debut = (mine["reason"] == "added") & (mine["old_file"] == "")
            shown = mine if (unit or indicator) else mine[~debut]
            if not (unit or indicator) and debut.any():
                counts = mine[debut].groupby(["new_file", "unit"], sort=False).size()
                for (source, code), n in counts.items():
                    lines.append(f"  {n} số liệu mới từ {source} ({code}).")
            if len(shown):
                lines.append(f"  Số liệu thay đổi ({len(shown)}):")
            for item in shown.head(limit if not (unit or indicator) else len(shown)).to_dict("records"):
                lines += change_lines(item, names, kinds)
            if not (unit or indicator) and len(shown) > limit:
                lines.append(f"    … và {len(shown) - limit} thay đổi khác (xem từng đơn vị: "
                             f"cchc history --period {p.id} --unit <mã đơn vị>).")
        if indicator:
            lines.append(f"  Bảng của huyện sau lần kiểm tra này, chỉ tiêu {indicator}: "
                         f"{number_text(district.get(indicator), kinds.get(indicator, ''))}")
    return lines


def file_line(f: dict, unit_names: dict) -> str:
    who = f["unit"] and (f"{unit_names.get(f['unit'], f['unit'])} ({f['unit']})") or "chưa rõ đơn vị"
    event = EVENTS.get(f["event"], f["event"])
    text = f"Tệp {f['source_file']}: {event}"
    if f["event"] == "renamed":
        text += f", trước đây là {f['previous_file']}"
    if f["event"] == "removed":
        return text + f" (bản {f['sha256'][:8]}, {who})."
    received = time_text(f["received_at"])
    text += f" — {who}, nhận {received}" if received else f" — {who}"
    if f["time_source"] == "mtime":
        text += " (theo giờ sửa tệp)"
    text += f", {_size(f['size'])}, SHA-256 {f['sha256'][:12]}"
    if f["event"] == "replaced":
        text += f" (bản trước {f['previous_sha256'][:12]})"
    if f["status"] and f["status"] != "ok":
        text += f"; tình trạng: {FILE_STATUS.get(f['status'], f['status'])}"
    return text + "."


def change_lines(item: dict, names: dict, kinds: dict) -> list[str]:
    indicator, kind = item["indicator"], kinds.get(item["indicator"], "")
    name = names.get(indicator)
    label = f"{item['unit']} {indicator}" + (f" {nfc(name)}" if name else "")
    if len(label) > 100:
        label = label[:99] + "…"
    head = (f"    {label}: {_value(item['old_value'], item['old_raw'], kind)} → "
            f"{_value(item['new_value'], item['new_raw'], kind)}")
    lines = [head]
    if item["unit"] != DISTRICT_UNIT:
        lines.append(f"      cũ: {_source(item['old_file'], item['old_sha256'], item['old_sheet'], item['old_row'])}; "
                     f"mới: {_source(item['new_file'], item['new_sha256'], item['new_sheet'], item['new_row'])}")
    district = (f"bảng của huyện: {number_text(item['district_old'], kind)} → {number_text(item['district_new'], kind)}"
                if not _same_number(item["district_old"], item["district_new"])
                else f"bảng của huyện giữ {number_text(item['district_new'], kind)}")
    lines.append(f"      lý do: {REASONS.get(item['reason'], item['reason'])}; {district}")
    return lines


def _same_number(a, b) -> bool:
    if is_missing(a) and is_missing(b):
        return True
    return not is_missing(a) and not is_missing(b) and float(a) == float(b)
