"""Sign-off: a period closed once its table is sent, reopened only on purpose, its closed record
checkable at any time.

- :func:`close_period` (``cchc close``) freezes the last check: ``data/processed/<period>/closed/``
  gets a read-only copy of the consolidated table as sent (``consolidated.parquet`` and the
  workbook ``consolidated.xlsx``, stamped "Số liệu đã chốt lúc ... bởi ..."), the period's reports
  are stamped the same way, the record (:mod:`cchc_analysis.audit`) gets a ``close`` row, and
  ``closed.json`` says who, when, and the SHA-256 of every raw file and every output file.
- While ``closed.json`` is there, ``cchc check`` and ``cchc run`` write nothing of the period:
  :func:`pending` says what has arrived since (files, and the values that would change, against
  the closed values); :func:`cchc_analysis.pipeline.check_period` refuses (:class:`PeriodClosed`).
  History (:func:`cchc_analysis.history.load_history`) reads the closed copy.
- :func:`reopen_period` (``cchc reopen``) is the only way back: ``closed.json`` and ``closed/`` move
  into the record (``audit/closed-<time>/``, kept), the record gets a ``reopen`` row with the reason,
  and the reports are stamped provisional again.
- :func:`verify_period` (``cchc verify``) hashes every file again against ``closed.json``.

Each change to ``data/processed/<period>/`` is one folder swap (:mod:`cchc_analysis.atomic`): a
close or reopen killed midway leaves the period as it was. The reports folder is swapped after
it; a kill between the two leaves the reports as they were, which ``cchc verify`` then names.
``verify`` detects files changed by hand; it is not a signature (whoever can edit ``closed.json``
can make it agree).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from typing import TYPE_CHECKING

from .atomic import recover, staging_folder, swap_in
from .config import AUDIT_FOLDER, CLOSED_FOLDER, CLOSED_MANIFEST, Workspace
from .periods import Period
from .text import display_name, is_missing

if TYPE_CHECKING:  # `cchc ingest` asks whether a period is closed without loading pandas
    import pandas as pd

CONSOLIDATED_PARQUET = "consolidated.parquet"
CONSOLIDATED_XLSX = "consolidated.xlsx"
SUMMARY_HTML = "summary.html"
#: not part of a period's closed outputs: forms for the next round (``cchc templates``)
NOT_SIGNED = ("templates",)
#: files an operating system or an open workbook leaves in a folder: not submissions
_JUNK = {"thumbs.db", ".ds_store", "desktop.ini"}
_STATUS_BLOCK = re.compile(r'<p class="cchc-status[^"]*"[^>]*>.*?</p>', re.DOTALL)
_STATUS_CHECK = re.compile(r'<p class="cchc-status[^"]*" data-cchc-check="([0-9a-f]*)"')


class SignOffError(RuntimeError):
    """A close, reopen or verify that cannot be done (the message says why, in Vietnamese)."""


class PeriodClosed(SignOffError):
    """The period is signed off: nothing of it is written until ``cchc reopen``."""


class AuditError(SignOffError):
    """The period's record cannot be read: it is never overwritten then (the message says which file)."""


# --------------------------------------------------------------------------------------------
# the state of a period


def read_manifest(period: str, root: Path | str) -> dict | None:
    """``closed.json`` of the period, or None while it is open."""
    path = Workspace(Path(root)).closed_manifest(Period.parse(period).id)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    return data if isinstance(data, dict) else {"damaged": True}


def is_closed(period: str, root: Path | str, settle: bool = False) -> bool:
    """Whether ``period`` is signed off (``closed.json`` is there). ``settle``: first put back the
    period's folder that a command killed mid-swap left aside (under the period's lock only)."""
    ws = Workspace(Path(root))
    pid = Period.parse(period).id
    if settle:
        recover(ws.processed_dir(pid))
    return ws.closed_manifest(pid).is_file()


def ensure_open(period: str, root: Path | str, settle: bool = False) -> None:
    """Raise :class:`PeriodClosed` when ``period`` is signed off (``settle``: as :func:`is_closed`)."""
    if settle:
        recover(Workspace(Path(root)).processed_dir(Period.parse(period).id))
    manifest = read_manifest(period, root)
    if manifest is not None:
        pid = Period.parse(period).id
        raise PeriodClosed(
            f"Kỳ {pid} {_closed_words(manifest)}: kết quả của kỳ không được ghi lại. "
            f"Muốn sửa, mở lại kỳ: cchc reopen --period {pid} --by \"Tên người mở\" --reason \"Lý do\"."
        )


def _closed_words(manifest: dict) -> str:
    if manifest.get("damaged"):
        return "đã chốt (closed.json không đọc được)"
    return f"đã chốt lúc {_hm(manifest.get('closed_at'))} bởi {manifest.get('closed_by', '')}"


def _hm(value) -> str:
    """``10:00 16/06/2021``."""
    when = _time(value)
    return when.strftime("%H:%M %d/%m/%Y") if when is not None else ""


@dataclass
class SignOff:
    """Whether a period's numbers are closed or provisional, and since when."""

    closed: bool
    closed_at: datetime | None = None
    closed_by: str = ""
    note: str = ""
    updated_at: datetime | None = None  # the last check
    check_id: str = ""
    reopened_at: datetime | None = None
    reopened_by: str = ""
    reason: str = ""

    def text(self) -> str:
        """The sentence the consolidated workbook and the summary carry."""
        if self.closed:
            text = f"Số liệu đã chốt lúc {_hm(self.closed_at)} bởi {self.closed_by}."
            if self.note:
                text += f" Ghi chú: {self.note}" + ("" if self.note.endswith((".", "!", "?", "…")) else ".")
            return text
        text = "Số liệu tạm thời" + (f", cập nhật lúc {_hm(self.updated_at)}" if self.updated_at else "") + "."
        if self.reopened_at is not None:
            text += f" Kỳ đã được mở lại lúc {_hm(self.reopened_at)} bởi {self.reopened_by} (lý do: {self.reason})."
        return text


def signoff(period: str, root: Path | str) -> SignOff:
    """The sign-off state of ``period``: closed (who, when) or provisional (updated at the last
    check; reopened by whom and why, if it was)."""
    from . import audit as A

    ws = Workspace(Path(root))
    pid = Period.parse(period).id
    try:
        record = A.read_audit(ws.audit_dir(pid))
    except AuditError:
        record = A.Audit.empty()
    last = record.last("check")
    updated, check_id = (last["checked_at"], last["check_id"]) if last else (None, "")
    if last is None and (ws.processed_dir(pid) / "values.parquet").is_file():
        updated = datetime.fromtimestamp((ws.processed_dir(pid) / "values.parquet").stat().st_mtime)
    manifest = read_manifest(pid, ws.root)
    if manifest is not None:
        return SignOff(True, _time(manifest.get("closed_at")), str(manifest.get("closed_by", "")),
                       str(manifest.get("note", "")), _time(manifest.get("checked_at")) or updated,
                       str(manifest.get("check_id", check_id)))
    state = SignOff(False, updated_at=updated, check_id=check_id)
    reopen = record.last("reopen")  # open again after a close: say so, with the reason
    if reopen is not None:
        state.reopened_at, state.reopened_by, state.reason = reopen["checked_at"], reopen["by"], reopen["note"]
    return state


def _time(value) -> datetime | None:
    """A datetime from what the record or closed.json holds (ISO text, a datetime, a Timestamp)."""
    if value is None or is_missing(value) or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def status_html(state: SignOff) -> str:
    """The summary's status line (HTML): a paragraph that ``cchc close`` and ``cchc reopen``
    replace in ``summary.html``, carrying the id of the check it was made from."""
    from .safety import html_text

    colour, background = ("#2e7d32", "#f1f8e9") if state.closed else ("#b45f06", "#fff8e1")
    kind = "closed" if state.closed else "provisional"
    return (f'<p class="cchc-status {kind}" data-cchc-check="{html_text(state.check_id)}" '
            f'style="padding:6px 10px;border-left:4px solid {colour};background:{background};font-weight:bold">'
            f"{html_text(state.text())}</p>")


def restamp_html(text: str, state: SignOff) -> str:
    """``summary.html`` with its status line replaced (unchanged when it has none)."""
    return _STATUS_BLOCK.sub(lambda _m: status_html(state), text, count=1)


def summary_check_id(text: str) -> str | None:
    """The id of the check a ``summary.html`` was made from (None: made by an older version)."""
    found = _STATUS_CHECK.search(text)
    return found.group(1) if found else None


# --------------------------------------------------------------------------------------------
# hashes


def _signed_files(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, Path]:
    """Every file under ``folder`` (relative posix name -> path), but the top-level entries in
    ``skip``."""
    if not folder.is_dir():
        return {}
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] in skip or not path.is_file():
            continue
        out[rel.as_posix()] = path
    return out


def raw_files(raw_dir: Path) -> dict[str, Path]:
    """Every file of the period's raw folder (the lock files of open workbooks and what an
    operating system leaves in a folder excepted), by the name the product shows."""
    out = {}
    if not raw_dir.is_dir():
        return out
    for path in sorted(p for p in raw_dir.rglob("*") if p.is_file()):
        name = path.name.lower()
        if name in _JUNK or name.startswith(("~$", ".~lock.")):
            continue
        out[display_name(path.relative_to(raw_dir).as_posix())] = path
    return out


def _prefix(ws: Workspace, folder: Path) -> str:
    return folder.relative_to(ws.root).as_posix()


def current_hashes(ws: Workspace, pid: str, processed: Path | None = None,
                   reports: Path | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """``(raw, outputs)``: workspace-relative name -> SHA-256 of every raw file of the period
    and of every output file (``data/processed/<period>/`` but ``closed.json``, ``reports/<period>/``
    but ``templates/``). ``processed``/``reports``: read these folders (staging copies) under the
    names of the period's own."""
    from .audit import sha256_file
    raw = {f"{_prefix(ws, ws.raw_dir(pid))}/{name}": sha256_file(path)
           for name, path in raw_files(ws.raw_dir(pid)).items()}
    outputs = {}
    for folder, final, skip in ((processed or ws.processed_dir(pid), ws.processed_dir(pid), (CLOSED_MANIFEST,)),
                                (reports or ws.reports_dir(pid), ws.reports_dir(pid), NOT_SIGNED)):
        for name, path in _signed_files(folder, skip).items():
            outputs[f"{_prefix(ws, final)}/{name}"] = sha256_file(path)
    return raw, outputs


# --------------------------------------------------------------------------------------------
# close and reopen


@dataclass
class Closed:
    """What :func:`close_period` did."""

    period: str
    manifest: dict
    path: Path
    copy: Path
    unchecked: "pd.DataFrame | None" = None  # files changed since the last check: not in the closed numbers


def _link_tree(source: Path, target: Path, skip: tuple[str, ...] = ()) -> None:
    """``target`` (an existing staging folder) filled with hard links to ``source``'s files."""
    from .audit import link_file
    if not source.is_dir():
        return
    for entry in source.iterdir():
        if entry.name in skip:
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name, copy_function=link_file, dirs_exist_ok=True)
        else:
            link_file(entry, target / entry.name)


def _replace(path: Path, write) -> None:
    """Write ``path`` in a staging folder (where it may be a hard link to a live file)."""
    path.unlink(missing_ok=True)
    write(path)


def _read_only(path: Path) -> None:
    os.chmod(path, 0o444)


@contextmanager
def _staged():
    """Staging folders registered in the block (``made(path)`` returns ``path``) are removed at its
    end, unless :func:`~cchc_analysis.atomic.swap_in` has put them in place by then."""
    made: list[Path] = []

    def register(path: Path) -> Path:
        made.append(path)
        return path

    try:
        yield register
    finally:
        for path in made:
            if path.exists():
                shutil.rmtree(path, ignore_errors=True)


def _restamped_reports(reports: Path, state: SignOff, write_xlsx, made) -> Path | None:
    """A staging copy of the period's reports (files linked, not copied) with the consolidated
    workbook written again by ``write_xlsx(path)`` and the summary stamped with ``state``; None
    when the period has no reports yet. ``made``: the :func:`_staged` block's register."""
    if not reports.is_dir():
        return None
    staging = made(staging_folder(reports))
    _link_tree(reports, staging)
    if (staging / CONSOLIDATED_XLSX).exists():
        _replace(staging / CONSOLIDATED_XLSX, write_xlsx)
    summary = reports / SUMMARY_HTML
    if summary.is_file():
        text = restamp_html(summary.read_text(encoding="utf-8"), state)
        _replace(staging / SUMMARY_HTML, lambda p: p.write_text(text, encoding="utf-8"))
    return staging


def close_period(period: str, root: Path | str, by: str, note: str = "") -> Closed:
    """``cchc close``: sign the period off as its last check left it. Call under the period's
    lock. Raises :class:`SignOffError` when the period is closed already, was never checked, or
    its reports were made from an earlier check than the last (run ``cchc run`` first)."""
    import pandas as pd

    from . import audit as A
    from .outputs.workbook import write_consolidated_workbook
    from .pipeline import load_period

    ws = Workspace(Path(root))
    pid = Period.parse(period).id
    folder, reports = ws.processed_dir(pid), ws.reports_dir(pid)
    by, note = by.strip(), (note or "").strip()
    if not by:
        raise SignOffError("Cần ghi tên người chốt số liệu (--by \"Tên người chốt\").")
    recover(folder)
    recover(reports)
    manifest = read_manifest(pid, ws.root)
    if manifest is not None:
        raise SignOffError(f"Kỳ {pid} {_closed_words(manifest)}; muốn chốt lại, mở lại kỳ trước (cchc reopen).")
    record = A.read_audit(ws.audit_dir(pid))
    last = record.last("check")
    if last is None or not (folder / "values.parquet").is_file():
        raise SignOffError(f"Kỳ {pid} chưa được kiểm tra (chưa có trong nhật ký); hãy chạy: cchc check --period {pid}")
    summary = reports / SUMMARY_HTML
    if summary.is_file() and summary_check_id(summary.read_text(encoding="utf-8")) != last["check_id"]:
        raise SignOffError(
            f"Báo cáo {_prefix(ws, summary)} được lập trước lần kiểm tra cuối ({_hm(last['checked_at'])}); "
            f"chốt số liệu khác với báo cáo đã lập là không được. Hãy chạy: cchc run --period {pid} --no-check "
            "rồi chốt lại."
        )
    settings = ws.settings()
    state = SignOff(True, A.local_now(settings), by, note, last["checked_at"], last["check_id"])
    unchecked = A.file_events(A.file_state(record.files), A.seen_files(A.inventory(ws.raw_dir(pid)), None))
    data = load_period(pid, ws.root)
    with _staged() as made:
        staging = made(staging_folder(folder))
        _link_tree(folder, staging)
        copy = staging / CLOSED_FOLDER
        copy.mkdir()
        shutil.copyfile(folder / CONSOLIDATED_PARQUET, copy / CONSOLIDATED_PARQUET)
        write_consolidated_workbook(data, copy / CONSOLIDATED_XLSX, status=state.text())
        A.append(staging / AUDIT_FOLDER, record, actions=A.action_row(pid, "close", state.closed_at, A.new_id(), by, note))
        report_staging = _restamped_reports(reports, state, lambda p: shutil.copyfile(copy / CONSOLIDATED_XLSX, p), made)
        for path in copy.iterdir():
            _read_only(path)
        raw, outputs = current_hashes(ws, pid, staging, report_staging)
        manifest = {
            "period": pid, "closed_at": state.closed_at.isoformat(), "closed_by": by, "note": note,
            "check_id": last["check_id"], "checked_at": pd.Timestamp(last["checked_at"]).isoformat(),
            "consolidated": f"{_prefix(ws, folder)}/{CLOSED_FOLDER}/{CONSOLIDATED_PARQUET}",
            "raw": raw, "outputs": outputs,
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=False)
        (staging / CLOSED_MANIFEST).write_text(text + "\n", encoding="utf-8")
        swap_in(staging, folder)  # the period is closed from here
        if report_staging is not None:
            swap_in(report_staging, reports)
    return Closed(pid, manifest, ws.closed_manifest(pid), ws.closed_dir(pid) / CONSOLIDATED_XLSX, unchecked)


def reopen_period(period: str, root: Path | str, by: str, reason: str) -> dict:
    """``cchc reopen``: the period is open again; ``closed.json`` and the closed copy are kept in
    the record (``audit/closed-<closed time>/``), the record gets a ``reopen`` row with ``by`` and
    ``reason``, the reports are stamped provisional. Call under the period's lock. Returns the
    manifest that was in force."""
    from . import audit as A
    from .outputs.workbook import write_consolidated_workbook
    from .pipeline import load_period

    ws = Workspace(Path(root))
    pid = Period.parse(period).id
    by, reason = by.strip(), reason.strip()
    if not by or not reason:
        raise SignOffError("Cần ghi người mở lại (--by) và lý do (--reason).")
    folder, reports = ws.processed_dir(pid), ws.reports_dir(pid)
    recover(folder)
    recover(reports)
    manifest = read_manifest(pid, ws.root)
    if manifest is None:
        raise SignOffError(f"Kỳ {pid} chưa chốt (không có {_prefix(ws, ws.closed_manifest(pid))}); không cần mở lại.")
    record = A.read_audit(ws.audit_dir(pid))
    at = A.local_now(ws.settings())
    closed_at = _time(manifest.get("closed_at")) or at
    keep = f"closed-{closed_at:%Y%m%dT%H%M%S}"
    with _staged() as made:
        staging = made(staging_folder(folder))
        _link_tree(folder, staging, skip=(CLOSED_MANIFEST, CLOSED_FOLDER))
        kept = staging / AUDIT_FOLDER / keep
        kept.mkdir(parents=True, exist_ok=True)
        _link_tree(ws.closed_dir(pid), kept)
        A.link_file(ws.closed_manifest(pid), kept / CLOSED_MANIFEST)
        A.append(staging / AUDIT_FOLDER, record, actions=A.action_row(pid, "reopen", at, A.new_id(), by, reason))
        last = record.last("check")
        state = SignOff(False, updated_at=last["checked_at"] if last else None, check_id=last["check_id"] if last else "",
                        reopened_at=at, reopened_by=by, reason=reason)
        report_staging = _restamped_reports(
            reports, state, lambda p: write_consolidated_workbook(load_period(pid, ws.root), p, status=state.text()), made)
        swap_in(staging, folder)  # the period is open from here
        if report_staging is not None:
            swap_in(report_staging, reports)
    return manifest


# --------------------------------------------------------------------------------------------
# verify


@dataclass
class Verification:
    """``cchc verify``: the files that differ from the closed record."""

    period: str
    manifest: dict
    altered: list[str]
    missing: list[str]
    extra: list[str]
    raw: int
    outputs: int

    @property
    def intact(self) -> bool:
        return not (self.altered or self.missing or self.extra)

    def lines(self) -> list[str]:
        head = f"Kỳ {self.period} {_closed_words(self.manifest)}."
        if self.manifest.get("damaged"):
            return [head, "Hồ sơ chốt KHÔNG dùng được: closed.json không đọc được (đã bị sửa hoặc hỏng)."]
        if self.intact:
            return [head, f"Hồ sơ chốt còn nguyên vẹn: {self.raw} tệp gốc và {self.outputs} tệp kết quả "
                          "khớp SHA-256 ghi lúc chốt."]
        n = len(self.altered) + len(self.missing) + len(self.extra)
        lines = [head, f"Hồ sơ chốt KHÔNG còn nguyên vẹn: {n} tệp khác với lúc chốt:"]
        lines += [f"  - {name}: nội dung đã bị sửa (SHA-256 khác với lúc chốt)" for name in self.altered]
        lines += [f"  - {name}: đã bị xóa hoặc đổi tên" for name in self.missing]
        lines += [f"  - {name}: tệp mới, không có trong hồ sơ chốt" for name in self.extra]
        return lines


def verify_period(period: str, root: Path | str) -> Verification:
    """Hash every raw and output file of the closed ``period`` again and compare with
    ``closed.json``. Raises :class:`SignOffError` when the period is not closed."""
    ws = Workspace(Path(root))
    pid = Period.parse(period).id
    recover(ws.processed_dir(pid))
    manifest = read_manifest(pid, ws.root)
    if manifest is None:
        raise SignOffError(f"Kỳ {pid} chưa chốt (không có {_prefix(ws, ws.closed_manifest(pid))}); không có gì để đối chiếu.")
    if manifest.get("damaged"):
        return Verification(pid, manifest, [_prefix(ws, ws.closed_manifest(pid))], [], [], 0, 0)
    raw, outputs = current_hashes(ws, pid)
    expected = {**dict(manifest.get("raw") or {}), **dict(manifest.get("outputs") or {})}
    found = {**raw, **outputs}
    altered = sorted(n for n in expected if n in found and found[n] != expected[n])
    missing = sorted(n for n in expected if n not in found)
    extra = sorted(n for n in found if n not in expected)
    return Verification(pid, manifest, altered, missing, extra, len(manifest.get("raw") or {}),
                        len(manifest.get("outputs") or {}))


# --------------------------------------------------------------------------------------------
# what has arrived since the close


@dataclass
class Pending:
    """What a check of a closed period would take: file events since the last check before the
    close, and the values that would change (district values against the closed ones)."""

    period: str
    manifest: dict
    events: pd.DataFrame
    changes: pd.DataFrame

    @property
    def any(self) -> bool:
        return bool(len(self.events) or len(self.changes))

    def lines(self, catalogue: pd.DataFrame | None = None, units: pd.DataFrame | None = None,
              limit: int = 30) -> list[str]:
        from . import audit as A

        names = dict(zip(catalogue["id"], catalogue["name"])) if catalogue is not None else {}
        kinds = dict(zip(catalogue["id"], catalogue["kind"])) if catalogue is not None else {}
        unit_names = dict(zip(units["code"], units["name"])) if units is not None else {}
        lines = [f"Kỳ {self.period} {_closed_words(self.manifest)}: không ghi lại kết quả nào "
                 f"(data/processed/{self.period} và reports/{self.period} giữ nguyên)."]
        if not self.any:
            return lines + ["  Không có tệp mới hay thay đổi nào so với số liệu đã chốt."]
        if len(self.events):
            lines.append(f"  Tệp nhận sau lần kiểm tra được chốt ({len(self.events)}):")
            lines += ["    " + A.file_line(f, unit_names) for f in self.events.to_dict("records")]
        if len(self.changes):
            lines.append(f"  Số liệu sẽ thay đổi nếu mở lại kỳ ({len(self.changes)}; bảng của huyện so với số liệu đã chốt):")
            for item in self.changes.head(limit).to_dict("records"):
                lines += ["  " + line for line in A.change_lines(item, names, kinds)]
            if len(self.changes) > limit:
                lines.append(f"      … và {len(self.changes) - limit} thay đổi khác.")
        lines.append(f"  Muốn đưa vào: cchc reopen --period {self.period} --by \"Tên người mở\" --reason \"Lý do\", "
                     f"rồi cchc check --period {self.period}.")
        return lines


def pending(period: str, root: Path | str, raw_dir: Path | str | None = None) -> Pending:
    """Read the closed ``period``'s folder again and compare it with the record (files) and the
    closed values (the district's table); writes nothing."""
    import pandas as pd

    from . import audit as A
    from .catalogue import catalogue_frame, catalogue_records, unit_records
    from .history import consolidate
    from .ingest import collect

    ws = Workspace(Path(root))
    p = Period.parse(period)
    manifest = read_manifest(p.id, ws.root) or {}
    raw_dir = Path(raw_dir) if raw_dir else ws.raw_dir(p.id)
    record = A.read_audit(ws.audit_dir(p.id))
    rows = catalogue_records(p.year, ws.root)
    collected = collect(p.id, raw_dir, catalogue=rows, units=unit_records(ws.root), settings=ws.settings(),
                        root=ws.root, progress=False)
    ingested = collected.frames()
    closed_copy = ws.closed_dir(p.id) / CONSOLIDATED_PARQUET
    closed_values = pd.read_parquet(closed_copy) if closed_copy.is_file() else None
    consolidated, _found = consolidate(p.id, ingested.values, catalogue_frame(rows))
    if ingested.files.empty and closed_values is not None:
        consolidated = closed_values  # a period known from its backfilled table only
    _seen, events, changes = A.compare(p.id, record, raw_dir, ingested.files, ingested.values, consolidated,
                                       district_before=A.consolidated_values(closed_values)
                                       if closed_values is not None else None)
    return Pending(p.id, manifest, events, changes)
