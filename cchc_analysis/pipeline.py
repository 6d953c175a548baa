"""How a period is checked: ingest, then every check, then the comparison with history, each
period's outputs written to ``data/processed/<period>/`` in one step.

Every output goes through :mod:`cchc_analysis.atomic`: a folder is filled beside its target and
swapped in when complete, a single file is written under a temporary name and renamed, so a crash
leaves the previous outputs of the period as they were.
"""

from __future__ import annotations

import fcntl
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from . import findings as F
from .atomic import replace_folder, write_file
from .catalogue import catalogue_frame, catalogue_records, unit_records, units_frame
from .config import Workspace, deadline
from .ingest import Collected, IngestResult, collect
from .narrative import narrative_frame
from .periods import Period

if TYPE_CHECKING:  # imported where used: `cchc catalogue`, `--help` and the lock need no pandas
    import pandas as pd


def _write_frame(frame: "pd.DataFrame", path: Path) -> None:
    """``frame`` as Parquet or UTF-8 CSV, by the file name's ending (without the index)."""
    if path.name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding="utf-8")


def write_frames(out_dir: Path, frames: dict[str, "pd.DataFrame"], extra=None) -> None:
    """Write ``name -> frame`` (``.parquet`` or ``.csv`` by the name) as the whole content of
    ``out_dir``: all files land together, replacing what the folder held before, but the period's
    record (``audit/``, ``closed.json``, ``closed/``), which is carried over. ``extra(staging)``
    adds to the staging folder before it is swapped in (a check's rows of the record)."""
    from .audit import carry_record

    def fill(staging: Path) -> None:
        for name, frame in frames.items():
            _write_frame(frame, staging / name)
        carry_record(Path(out_dir), staging)
        if extra is not None:
            extra(staging)

    replace_folder(out_dir, fill)


def write_files(out_dir: Path, frames: dict[str, "pd.DataFrame"]) -> None:
    """Write or replace only the named files of ``out_dir`` (each atomically), keeping the others."""
    for name, frame in frames.items():
        write_file(Path(out_dir) / name, partial(_write_frame, frame))


def ingest_frames(result: IngestResult) -> dict[str, "pd.DataFrame"]:
    """The files of an ingest (``cchc ingest`` writes these; ``cchc check`` writes them too)."""
    from .safety import safe_frame

    return {
        "values.parquet": result.values,
        "findings.csv": safe_frame(result.findings),
        "cells.parquet": result.cells,
        "files.csv": safe_frame(result.files),
        "narrative.parquet": result.narrative if result.narrative is not None else narrative_frame({}),
    }


def run_ingest(period: str, root: Path, raw_dir: Path | None = None, out_dir: Path | None = None,
               progress: bool | None = None) -> tuple[Collected, Path]:
    """``cchc ingest``: read the period's folder and write :func:`ingest_frames` into
    ``out_dir`` (default ``data/processed/<period>/``)."""
    period = Period.parse(period).id
    ws = Workspace(root)
    raw_dir = Path(raw_dir) if raw_dir else ws.raw_dir(period)
    if not out_dir or Path(out_dir).resolve() == ws.processed_dir(period):
        from .signoff import ensure_open

        ensure_open(period, ws.root)  # a signed-off period's outputs are not rewritten
    out_dir = Path(out_dir) if out_dir else ws.processed_dir(period)
    collected = collect(period, raw_dir, catalogue=catalogue_records(Period.parse(period).year, ws.root),
                        units=unit_records(ws.root), settings=ws.settings(), root=ws.root, progress=progress)
    write_frames(out_dir, ingest_frames(collected.frames()))
    return collected, out_dir


@dataclass
class CheckOutcome:
    """What ``cchc check`` produced for one period (frames as written to data/processed)."""

    period: str
    out_dir: Path
    frames: dict[str, pd.DataFrame]
    rates: dict
    record: object | None = None  # audit.CheckRecord: what this check added to the period's record

    @property
    def findings(self) -> pd.DataFrame:
        return self.frames["findings.csv"]

    def summary(self) -> dict:
        values = self.frames["values.parquet"]
        live = values[~values["superseded"]] if len(values) else values
        files = self.frames["files.csv"]
        return {
            "files": len(files),
            "units": sorted(u for u in files["unit"].unique() if u) if len(files) else [],
            "values": int(live["value"].notna().sum()) if len(live) else 0,
            "findings": F.summary(self.findings),
            **self.rates,
        }


def check_period(period: str, root: Path, raw_dir: Path | None = None, progress: bool | None = None) -> CheckOutcome:
    """``cchc check``: ingest plus every check of the period and the comparison with history;
    writes every file of ``data/processed/<period>/`` together, with the rows this check adds to
    the period's record (:mod:`cchc_analysis.audit`). A signed-off period is not checked:
    :class:`~cchc_analysis.signoff.PeriodClosed` (``cchc check`` reports what is pending instead)."""
    period = Period.parse(period).id
    ws = Workspace(root)
    from .signoff import ensure_open

    ensure_open(period, ws.root, settle=True)  # (called under the period's lock)
    settings = ws.settings()
    year = Period.parse(period).year
    catalogue_rows, unit_rows = catalogue_records(year, ws.root), unit_records(ws.root)
    raw_dir = Path(raw_dir) if raw_dir else ws.raw_dir(period)
    collected = collect(period, raw_dir, catalogue=catalogue_rows, units=unit_rows, settings=settings, root=ws.root,
                        progress=progress)
    import pandas as pd

    from .checks import load_rules, rates, run_checks
    from .history import run_history
    from .safety import safe_frame

    catalogue, units = catalogue_frame(catalogue_rows), units_frame(unit_rows)
    rules = load_rules(year, ws.root)
    ingested = collected.frames()
    checked = run_checks(period, ingested, catalogue, units, settings, rules)
    history = run_history(period, ingested.values, catalogue, settings, ws.processed_root, ws.root)
    backfilled = ws.processed_dir(period) / "consolidated.parquet"
    if ingested.files.empty and backfilled.is_file():
        # a period known only from its backfilled consolidated workbook: keep that history
        history.consolidated = pd.read_parquet(backfilled)
    from .narrative import Outline, missing_reports

    unsent = missing_reports(period, ingested.narrative, ingested.files, Outline.load(year, ws.root), units, settings)
    findings = pd.concat([ingested.findings, checked.findings, history.findings, F.frame(unsent)], ignore_index=True)
    findings = F.frame(findings.to_dict("records"))
    frames = {
        **ingest_frames(ingested),
        "findings.csv": safe_frame(findings),
        "completeness.parquet": checked.completeness,
        "timeliness.parquet": checked.timeliness,
        "consolidated.parquet": history.consolidated,
        "comparison.parquet": history.comparison,
    }
    out_dir = ws.processed_dir(period)
    from .audit import prepare_check

    record = prepare_check(period, ws.root, raw_dir, ingested.files, ingested.values, history.consolidated, settings)
    write_frames(out_dir, frames, extra=record.write)
    frames["findings.csv"] = findings
    return CheckOutcome(period, out_dir, frames, rates(checked.timeliness), record)


def write_feedback_files(outcome: CheckOutcome, root: Path) -> list[Path]:
    """The per-unit feedback workbooks of a checked period, in ``reports/<period>/feedback/``
    (replacing the folder's previous workbooks)."""
    from .audit import load_audit
    from .catalogue import load_catalogue, load_units
    from .outputs.feedback import write_feedback

    ws = Workspace(root)
    period = Period.parse(outcome.period)
    changes = load_audit(period.id, ws.root).changes
    out = ws.reports_dir(period.id) / "feedback"
    manifest = out.parent / FEEDBACK_MANIFEST
    kept: dict[str, dict] = {}

    def fill(staging: Path) -> None:
        made: dict[str, str] = {}
        write_feedback(period.id, outcome.findings, outcome.frames["timeliness.parquet"], load_units(ws.root), staging,
                       deadline(ws.settings(), period.id), load_catalogue(period.year, ws.root),
                       previous=_unchanged_feedback(out, manifest), made=made, changes=changes)
        kept.update({name: {"digest": digest, "sha256": _sha256(staging / name)} for name, digest in made.items()})

    replace_folder(out, fill)
    _write_json(manifest, kept)
    return sorted(out.glob("*.xlsx"))


#: beside ``reports/<period>/feedback/``: what each workbook was made from and its bytes' digest
FEEDBACK_MANIFEST = ".feedback.json"


def _sha256(path: Path) -> str:
    import hashlib

    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _unchanged_feedback(folder: Path, manifest: Path) -> dict[str, tuple[Path, str]]:
    """The workbooks of ``folder`` still as the last check wrote them (a workbook edited or
    damaged since is left out, and so made again): file name -> (path, digest)."""
    import json

    try:
        known = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found = {}
    for name, entry in (known.items() if isinstance(known, dict) else ()):
        path = folder / str(name)
        try:
            if isinstance(entry, dict) and path.is_file() and _sha256(path) == entry.get("sha256"):
                found[path.name] = (path, str(entry.get("digest")))
        except OSError:
            continue
    return found


def _write_json(path: Path, data) -> None:
    import json

    text = json.dumps(data, sort_keys=True, indent=0)
    write_file(path, lambda temp: temp.write_text(text, encoding="utf-8"))


@dataclass
class PeriodData:
    """A checked period as the notebooks read it back from ``data/processed/<period>/``."""

    period: Period
    root: Path
    catalogue: pd.DataFrame
    units: pd.DataFrame
    settings: dict
    values: pd.DataFrame
    findings: pd.DataFrame
    cells: pd.DataFrame
    files: pd.DataFrame
    completeness: pd.DataFrame
    timeliness: pd.DataFrame
    consolidated: pd.DataFrame
    comparison: pd.DataFrame
    narrative: pd.DataFrame | None = None  # the departments' Phụ lục I paragraphs (narrative.parquet)

    @property
    def deadline(self):
        return deadline(self.settings, self.period.id)

    @property
    def rates(self) -> dict:
        from .checks import rates

        return rates(self.timeliness)


def load_period(period: str, root: Path | str = ".") -> PeriodData:
    """Read back every processed frame of a period (run ``cchc check`` first)."""
    period_obj = Period.parse(period)
    ws = Workspace(Path(root))
    folder = ws.processed_dir(period_obj.id)
    if not (folder / "values.parquet").is_file():
        raise FileNotFoundError(
            f"Chưa có kết quả kiểm tra của kỳ {period_obj.id} trong {folder}; hãy chạy: cchc check --period {period_obj.id}"
        )
    import pandas as pd

    from .catalogue import load_catalogue, load_units
    from .safety import restore_frame

    def parquet(name: str) -> pd.DataFrame:
        return pd.read_parquet(folder / name) if (folder / name).is_file() else pd.DataFrame()

    def table(name: str) -> pd.DataFrame:
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False, encoding="utf-8")
        return frame

    findings = restore_frame(table("findings.csv"))
    findings["row"] = pd.to_numeric(findings["row"], errors="coerce").astype("Int64")
    files = restore_frame(table("files.csv"))
    if len(files):
        files["received_at"] = pd.to_datetime(files["received_at"], errors="coerce")
        files["n_values"] = pd.to_numeric(files["n_values"], errors="coerce").astype("Int64")
    return PeriodData(
        period=period_obj, root=ws.root, catalogue=load_catalogue(period_obj.year, ws.root),
        units=load_units(ws.root), settings=ws.settings(), values=parquet("values.parquet"),
        findings=findings, cells=parquet("cells.parquet"), files=files,
        completeness=parquet("completeness.parquet"), timeliness=parquet("timeliness.parquet"),
        consolidated=parquet("consolidated.parquet"), comparison=parquet("comparison.parquet"),
        narrative=pd.read_parquet(folder / "narrative.parquet") if (folder / "narrative.parquet").is_file()
        else narrative_frame({}),
    )


class PeriodLocked(RuntimeError):
    """Another run of the same period holds its lock."""


_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]+\.tmp$")


def clear_period_leftovers(root: Path | str, period: str) -> list[Path]:
    """Remove, whatever their age, what killed checks and runs of ``period`` left in the
    workspace: staging folders and temporary files beside ``data/processed/<period>/``,
    ``reports/<period>/`` and what a check writes inside it (``feedback/``, its manifest, a kept
    ``.failed.ipynb``), and a folder a killed swap set aside (put back where its target is
    missing). Only for the holder of the period's lock (no other check or run of the period is
    writing them). Returns what was removed."""
    from .atomic import clear_leftovers

    ws = Workspace(Path(root))
    pid = Period.parse(period).id
    reports = ws.reports_dir(pid)
    targets = [ws.processed_dir(pid), reports, reports / "feedback", reports / FEEDBACK_MANIFEST]
    try:
        targets += [reports / "notebooks" / found.group("name") for entry in (reports / "notebooks").iterdir()
                    if (found := _TEMPORARY.match(entry.name))]
    except OSError:
        pass  # no notebooks folder
    removed: list[Path] = []
    for target in targets:
        removed += clear_leftovers(target)
    return removed


def leftovers_line(removed: list[Path], root: Path) -> str:
    """The one line that says what a killed run left and the lock holder removed."""
    names = []
    for path in removed[:3]:
        try:
            names.append(path.relative_to(root).as_posix())
        except ValueError:
            names.append(str(path))
    more = f" và {len(removed) - 3} phần khác" if len(removed) > 3 else ""
    return (f"Đã dọn {len(removed)} phần dở dang do lần chạy trước bị ngắt để lại: {', '.join(names)}{more}. "
            "Các kết quả đã có không bị ảnh hưởng.")


#: descriptors of the period locks this process holds: a forked child (a worker reading files)
#: closes its copies at once, so the lock ends with this process, never with a lingering child
_HELD_LOCKS: set[int] = set()


def _drop_inherited_locks() -> None:
    for fd in list(_HELD_LOCKS):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_inherited_locks)


@contextmanager
def period_lock(root: Path | str, period: str, on_leftovers=None):
    """Hold the period's lock for the duration of a check or run: two runs of one period at once
    cannot interleave their outputs; the second stops at once with a clear message.

    Whoever holds the lock owns what killed checks and runs of the period left behind: it is
    removed as soon as the lock is taken (:func:`clear_period_leftovers`), and ``on_leftovers``
    (``print``, a run's log) gets one line naming it."""
    ws = Workspace(Path(root))
    ws.processed_root.mkdir(parents=True, exist_ok=True)
    path = ws.processed_root / f".{Period.parse(period).id}.lock"
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            raise PeriodLocked(
                f"Kỳ {period} đang được xử lý bởi một lần chạy khác (khóa {path}); hãy chờ lần chạy đó kết thúc."
            ) from error
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        _HELD_LOCKS.add(handle.fileno())
        removed = clear_period_leftovers(ws.root, period)
        if removed and on_leftovers is not None:
            on_leftovers(leftovers_line(removed, ws.root))
        from .atomic import workspace_held

        with workspace_held(ws.root):  # a workspace that vanishes mid-run is not made again
            yield path
    finally:
        _HELD_LOCKS.discard(handle.fileno())
        try:
            fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            handle.close()
