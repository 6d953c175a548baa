"""How a period is checked: ingest, then every check, then the comparison with history, each
period's outputs written to ``data/processed/<period>/`` in one step.

Outputs are first written to a temporary folder beside the target and moved into place only when
complete, so a crash leaves the previous outputs of the period as they were.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import findings as F
from .catalogue import load_catalogue, load_units
from .config import Workspace, deadline
from .ingest import IngestResult, ingest
from .periods import Period
from .safety import restore_frame, safe_frame


def _open_folder(path: Path) -> None:
    """mkdtemp makes folders readable by their owner only; give them the usual permissions."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o777 & ~mask)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where
    the system or the file system cannot."""
    import ctypes
    import errno

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _recover(out_dir: Path) -> None:
    """A run killed between the two renames of the fallback below left the previous outputs in
    ``.<name>.old-<pid>``: put them back."""
    if out_dir.exists():
        return
    olds = sorted(out_dir.parent.glob(f".{out_dir.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds:
        os.replace(olds[-1], out_dir)


def _sweep(out_dir: Path, older_than: float = 3600) -> None:
    """Remove staging folders that a killed run left beside ``out_dir`` (an hour old or more)."""
    import time

    for leftover in out_dir.parent.glob(f".{out_dir.name}.*"):
        if leftover.is_dir() and ".old-" not in leftover.name:
            try:
                if time.time() - leftover.stat().st_mtime > older_than:
                    shutil.rmtree(leftover, ignore_errors=True)
            except OSError:
                pass


def write_frames(out_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    """Write ``name -> frame`` (``.parquet`` or ``.csv`` by the name) into ``out_dir`` atomically:
    all files land together, replacing what the folder held before."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _recover(out_dir)
    _sweep(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    _open_folder(staging)
    try:
        for name, frame in frames.items():
            target = staging / name
            if name.endswith(".parquet"):
                frame.to_parquet(target, index=False)
            else:
                frame.to_csv(target, index=False, encoding="utf-8")
        if out_dir.exists():
            if not _exchange(staging, out_dir):  # after an exchange, staging holds the old outputs
                old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
                os.replace(out_dir, old)
                os.replace(staging, out_dir)
                shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def write_files(out_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    """Write or replace only the named files of ``out_dir`` (each atomically), keeping the others."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        fd, temp = tempfile.mkstemp(prefix=f".{name}.", dir=out_dir)
        os.close(fd)
        try:
            if name.endswith(".parquet"):
                frame.to_parquet(temp, index=False)
            else:
                frame.to_csv(temp, index=False, encoding="utf-8")
            os.replace(temp, out_dir / name)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)


def ingest_frames(result: IngestResult) -> dict[str, pd.DataFrame]:
    return {
        "values.parquet": result.values,
        "findings.csv": safe_frame(result.findings),
        "cells.parquet": result.cells,
        "files.csv": safe_frame(result.files),
    }


def run_ingest(period: str, root: Path, raw_dir: Path | None = None, out_dir: Path | None = None,
               progress: bool | None = None) -> tuple[IngestResult, Path]:
    """``cchc ingest``: read the period's folder and write values and findings."""
    period = Period.parse(period).id
    ws = Workspace(root)
    raw_dir = Path(raw_dir) if raw_dir else ws.raw_dir(period)
    out_dir = Path(out_dir) if out_dir else ws.processed_dir(period)
    result = ingest(period, raw_dir, catalogue=load_catalogue(Period.parse(period).year, ws.root),
                    units=load_units(ws.root), settings=ws.settings(), root=ws.root, progress=progress)
    write_frames(out_dir, ingest_frames(result))
    return result, out_dir


@dataclass
class CheckOutcome:
    """What ``cchc check`` produced for one period (frames as written to data/processed)."""

    period: str
    out_dir: Path
    frames: dict[str, pd.DataFrame]
    rates: dict

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
    writes every file of ``data/processed/<period>/`` together."""
    from .checks import load_rules, rates, run_checks
    from .history import run_history

    period = Period.parse(period).id
    ws = Workspace(root)
    settings = ws.settings()
    year = Period.parse(period).year
    catalogue = load_catalogue(year, ws.root)
    units = load_units(ws.root)
    rules = load_rules(year, ws.root)
    raw_dir = Path(raw_dir) if raw_dir else ws.raw_dir(period)
    ingested = ingest(period, raw_dir, catalogue=catalogue, units=units, settings=settings, root=ws.root,
                      progress=progress)
    checked = run_checks(period, ingested, catalogue, units, settings, rules)
    history = run_history(period, ingested.values, catalogue, settings, ws.processed_root, ws.root)
    backfilled = ws.processed_dir(period) / "consolidated.parquet"
    if ingested.files.empty and backfilled.is_file():
        # a period known only from its backfilled consolidated workbook: keep that history
        history.consolidated = pd.read_parquet(backfilled)
    findings = pd.concat([ingested.findings, checked.findings, history.findings], ignore_index=True)
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
    write_frames(out_dir, frames)
    frames["findings.csv"] = findings
    return CheckOutcome(period, out_dir, frames, rates(checked.timeliness))


def write_feedback_files(outcome: CheckOutcome, root: Path) -> list[Path]:
    """The per-unit feedback workbooks of a checked period, in ``reports/<period>/feedback/``
    (replacing the folder's previous workbooks)."""
    from .outputs.feedback import write_feedback

    ws = Workspace(root)
    period = Period.parse(outcome.period)
    out = ws.reports_dir(period.id) / "feedback"
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".feedback.", dir=out.parent))
    _open_folder(staging)
    try:
        write_feedback(period.id, outcome.findings, outcome.frames["timeliness.parquet"], load_units(ws.root), staging,
                       deadline(ws.settings(), period.id), load_catalogue(period.year, ws.root))
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return sorted(out.glob("*.xlsx"))


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
    )


class PeriodLocked(RuntimeError):
    """Another run of the same period holds its lock."""


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
def period_lock(root: Path | str, period: str):
    """Hold the period's lock for the duration of a check or run: two runs of one period at once
    cannot interleave their outputs; the second stops at once with a clear message."""
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
        yield path
    finally:
        _HELD_LOCKS.discard(handle.fileno())
        try:
            fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            handle.close()
