"""Faults survived (issue 17): ``cchc check`` and ``cchc run`` killed at every point, a full disk at
every write, a read-only or vanished workspace, ``SIGTERM`` and Ctrl-C.

After each fault: every output of the period (``data/processed/<period>/`` with its record
``audit/``, ``reports/<period>/feedback/`` and its manifest, ``reports/<period>/``) is the old one
or the new one, whole, byte for byte; the command said what failed in one line (exit 2, no
traceback); the next command of the period succeeds, removes what the fault left and says so in
one line, and leaves nothing behind; the period's record lost and duplicated nothing (every file
version recorded once, the record's replay gives the values on disk).

How the faults are made (the product has nothing in it for these tests):

- *kill points*: the command runs under ``tests/faultshim.py``, which stops it (``SIGSTOP``) after
  each file it writes, each staging folder or temporary file it makes, before and after each
  rename and before each folder removal. At each stop the test copies the workspace: what a
  ``kill -9`` of every process of the command at that instant leaves on disk. While the notebooks
  run, the whole process tree (kernels included) is stopped and copied each time a new file
  appears under ``reports/``. Real ``kill -9``s of the command's own process (as the out-of-memory
  killer does) prove the rest: its workers and kernels end, the lock is free, the next run clears.
- *full disk*: in the command's process, a byte budget on every write (``ENOSPC`` at the write that
  crosses it), one point per file ``cchc check`` writes; for ``cchc run``, a real limit on the size
  of every file every process of the run writes (``RLIMIT_FSIZE``, ``EFBIG``), in its check, in a
  notebook's kernel and in the summary's export.
- *read-only, vanished*: the workspace made read-only (as root, without the capability that
  ignores file modes: ``setpriv``) or renamed away halfway through.

The workspace is tiny (four workbooks); ``cchc run`` runs the real workbook notebook
(``04_bang_tong_hop``, which writes the workbook, feedback and figures) and small stand-ins for
the other four (``[run] notebooks`` of the workspace's ``cchc.toml``); the reports a run replaces
are made by hand (a run reads nothing of them).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import psutil
import pytest

from cchc_analysis import audit
from cchc_analysis import run as R
from cchc_analysis.cli import main

import faultshim
from test_run import write_submissions, write_unit  # the departments' workbooks, as the run tests write them

PERIOD = "2021-H1"
SHIM = Path(__file__).with_name("faultshim.py")
#: what killed writes leave: a staging folder, a temporary file, a folder set aside mid-swap
LEFTOVER = re.compile(r"^\..+\.(?:staging-[A-Za-z0-9_]+|[A-Za-z0-9_]+\.tmp|old-\d+)$")
#: what every kernel prints when it starts (documented in the README): not the command's words
KERNEL_NOISE = "[IPKernelApp]"


# --------------------------------------------------------------------------------------------
# the workspace: three departments' workbooks for 2021-H1, one for 2020-H1

TP_2021 = [
    ("2.1.", "Số VBQPPL đã ban hành/tham mưu ban hành", "Văn bản", 12),
    ("2.2.", "Số VBQPPL đã kiểm tra theo thẩm quyền", "Văn bản", 5),
    ("2.3.", "Số VBQPPL đã rà soát", "Văn bản", 30),
]
TP_2021_CORRECTED = [(stt, name, unit, value) for (stt, name, unit, _), value in zip(TP_2021, [14, 5, 31])]
TCKH_2021 = [
    ("6.2.", "Số đơn vị SNCL đã thực hiện tự chủ 100% chi thường xuyên (lũy kế đến thời điểm báo cáo)",
     "Cơ quan, đơn vị", 3),
    ("6.4.", "Số đơn vị SNCL do nhà nước đảm bảo 100% chi thường xuyên (lũy kế đến thời điểm báo cáo)",
     "Cơ quan, đơn vị", 25),
]
VP_2021 = [
    ("3.4.2.", "Tỷ lệ hồ sơ TTHC do UBND cấp huyện tiếp nhận được giải quyết đúng hạn, đúng quy trình", "%", 96.8),
    ("7.1.8.3", "Tỷ lệ hồ sơ xử lý trực tuyến mức độ 3", "%", 45.5),
]
TP_2020 = [(stt, name, unit, value) for (stt, name, unit, _), value in zip(TP_2021, [10, 4, 25])]
TP_FILE = "Phu luc II - Tu phap.xlsx"


def correct_tp(root: Path) -> None:
    """The Justice department sends a corrected workbook under the same name."""
    write_unit(root / "data" / "raw" / PERIOD / TP_FILE, "Phòng Tư pháp", "6 tháng đầu năm 2021", TP_2021_CORRECTED)


def _stand_in(declared: str, shows: str) -> nbformat.NotebookNode:
    """A notebook of the run that costs a kernel and nothing more."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(declared, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(shows)]
    return nb


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A workspace with the 2020-H1 history checked and 2021-H1's workbooks in place."""
    notebooks = tmp_path_factory.mktemp("notebooks")
    declared = "period = None  # kỳ báo cáo\nroot = None  # thư mục làm việc"
    for name in R.NOTEBOOKS:
        if name == "04_bang_tong_hop.ipynb":
            shutil.copyfile(R.notebooks_dir() / name, notebooks / name)
        else:
            shows = ("from IPython.display import HTML\nHTML(f'<h1>Báo cáo tóm tắt CCHC kỳ {period}</h1>')"
                     if name == R.SUMMARY_NOTEBOOK else "period")
            nbformat.write(_stand_in(declared, shows), notebooks / name)
    root = tmp_path_factory.mktemp("base") / "ws"
    earlier = root / "data" / "raw" / "2020-H1"
    write_unit(earlier / "tu phap.xlsx", "Phòng Tư pháp", "6 tháng đầu năm 2020", TP_2020)
    write_submissions(earlier, {"tu phap.xlsx": "2020-06-12T10:00:00"})
    raw = root / "data" / "raw" / PERIOD
    write_unit(raw / TP_FILE, "Phòng Tư pháp", "6 tháng đầu năm 2021", TP_2021)
    write_unit(raw / "TCKH 6 thang.xlsx", "Phòng Tài chính - Kế hoạch", "6 tháng đầu năm 2021", TCKH_2021)
    write_unit(raw / "VP HĐND-UBND.xlsx", "Văn phòng HĐND và UBND huyện", "6 tháng đầu năm 2021", VP_2021)
    write_submissions(raw, {TP_FILE: "2021-06-14T16:20:00", "TCKH 6 thang.xlsx": "2021-06-16T10:00:00",
                            "VP HĐND-UBND.xlsx": "2021-06-15T08:45:00"})
    (root / "cchc.toml").write_text(f"[run]\nnotebooks = {json.dumps(str(notebooks))}\n", encoding="utf-8")
    code, _out, err = cli("check", "--period", "2020-H1", "--root", str(root))
    assert code == 0, err
    return root


def copy_of(workspace: Path, folder: Path) -> Path:
    shutil.copytree(workspace, folder, symlinks=True)
    return folder


# --------------------------------------------------------------------------------------------
# running commands


def cli(*args: str) -> tuple[int, str, str]:
    """``cchc`` in this process (exit code, stdout, stderr); the workbooks read in this process
    too (``CCHC_WORKERS=0``): the next command after a fault, timed many times."""
    out, err = io.StringIO(), io.StringIO()
    before = os.environ.get("CCHC_WORKERS")
    os.environ["CCHC_WORKERS"] = "0"
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        if before is None:
            os.environ.pop("CCHC_WORKERS", None)
        else:
            os.environ["CCHC_WORKERS"] = before
    return code, out.getvalue(), err.getvalue()


def cchc(*args: str, preexec_fn=None, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """``cchc`` as cron runs it: a process of its own."""
    return subprocess.run([*prefix, sys.executable, "-m", "cchc_analysis", *args], capture_output=True, text=True,
                          preexec_fn=preexec_fn)


def error_lines(stderr: str) -> list[str]:
    """What the command itself said on stderr (the kernels' start-up warning left out)."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith(KERNEL_NOISE)]


def assert_one_line(stderr: str, *words: str) -> str:
    lines = error_lines(stderr)
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr, stderr
    assert lines[0].startswith("Lỗi: "), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def _files_under(folder: Path | None) -> set[str]:
    """The files under ``folder`` now (folders that vanish while being listed are skipped)."""
    if folder is None:
        return set()
    found = set()
    for parent, _dirs, files in os.walk(folder):
        found.update((Path(parent) / name).relative_to(folder).as_posix() for name in files)
    return found


@dataclass
class Driven:
    """A command run under the shim: its exit code and words, and the workspace at each stop."""

    code: int
    stdout: str
    stderr: str
    copies: list[tuple[str, Path]] = field(default_factory=list)
    fired: str = ""
    tree: list[int] = field(default_factory=list)  # the command's processes when ``then`` ran


def _freeze(proc: subprocess.Popen) -> list[psutil.Process]:
    """Stop the command and every process under it (its process group, and the kernels, which
    run in sessions of their own)."""
    os.killpg(proc.pid, signal.SIGSTOP)
    try:
        others = [c for c in psutil.Process(proc.pid).children(recursive=True) if os.getpgid(c.pid) != proc.pid]
    except (psutil.Error, ProcessLookupError):
        others = []
    for child in others:
        with contextlib.suppress(psutil.Error):
            child.suspend()
    return others


def _thaw(proc: subprocess.Popen, others: list[psutil.Process]) -> None:
    for child in others:
        with contextlib.suppress(psutil.Error):
            child.resume()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGCONT)


def _tree(pid: int) -> list[int]:
    try:
        return [pid, *(c.pid for c in psutil.Process(pid).children(recursive=True))]
    except psutil.Error:
        return [pid]


def drive(args: list[str], ws: Path, work: Path, *, snapshots: bool = False, watch: Path | None = None,
          when: str | None = None, then=None, prefix: tuple[str, ...] = ()) -> Driven:
    """Run ``cchc <args> --root ws`` under ``tests/faultshim.py`` (stopped at each write, rename
    and removal, see the module's text). ``snapshots``: copy the workspace at each stop, and with
    ``watch`` each time a new file appears under that folder (the whole tree stopped). ``when`` (a
    pattern of the stop's label): at the first stop it matches, ``then(proc)`` runs while the
    command is stopped (it may kill it, signal it, change the workspace)."""
    work.mkdir(parents=True, exist_ok=True)
    events = work / "events.txt"
    events.write_text("", encoding="utf-8")
    env = {**os.environ, "CCHC_FAULT_ROOT": str(ws), "CCHC_FAULT_EVENTS": str(events)}
    with open(work / "stdout.txt", "wb") as out, open(work / "stderr.txt", "wb") as err:
        proc = subprocess.Popen([*prefix, sys.executable, str(SHIM), *args, "--root", str(ws)], env=env,
                                stdout=out, stderr=err, start_new_session=True)
    driven = Driven(0, "", "")
    noted = 0
    known = _files_under(watch)

    def stopped_at(label: str) -> bool:
        """Copy, and fire ``then`` when ``label`` is the awaited one; True when the command was killed."""
        if snapshots:
            copy = work / f"s{len(driven.copies):03d}"
            shutil.copytree(ws, copy, symlinks=True)
            driven.copies.append((label, copy))
        if when is not None and not driven.fired and re.search(when, label):
            driven.fired, driven.tree = label, _tree(proc.pid)
            then(proc)
        return proc.poll() is not None

    try:
        while proc.poll() is None:
            if _state(proc.pid) == "T":
                lines = events.read_text(encoding="utf-8").splitlines()
                if len(lines) > noted:
                    noted = len(lines)
                    if stopped_at(lines[-1]):
                        break
                    known = _files_under(watch)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGCONT)
                continue
            if watch is not None and (snapshots or (when and not driven.fired)):
                # files the notebooks' processes write into the run's staging folder (the command's
                # own writes and renames are stops of their own)
                new = {name for name in _files_under(watch) - known if re.match(rf"\.{PERIOD}\.staging-", name)}
                if new:
                    frozen = _freeze(proc)
                    try:
                        lines = events.read_text(encoding="utf-8").splitlines()
                        label = "appeared " + ", ".join(sorted(new))
                        if len(lines) > noted:  # the command stopped at a write of its own meanwhile
                            noted, label = len(lines), f"{lines[-1]}; {label}"
                        if stopped_at(label):
                            break
                        known = _files_under(watch)  # as copied: what appears from now on is new
                    finally:
                        _thaw(proc, frozen)
            time.sleep(0.004)
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:  # the test failed midway: end what it started
            for pid in reversed(_tree(proc.pid)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.wait()
    driven.code = proc.returncode
    driven.stdout = (work / "stdout.txt").read_text(encoding="utf-8")
    driven.stderr = (work / "stderr.txt").read_text(encoding="utf-8")
    return driven


def wait_gone(pids: list[int], seconds: float = 60) -> list[int]:
    """The processes of ``pids`` still running after ``seconds`` (zombies count as gone)."""
    deadline = time.monotonic() + seconds
    while True:
        alive = []
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def lock_is_free(root: Path) -> bool:
    """Nobody holds the period's lock (asked without taking it the product's way, which would
    also clear the leftovers under test)."""
    path = root / "data" / "processed" / f".{PERIOD}.lock"
    if not path.exists():
        return True
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


# --------------------------------------------------------------------------------------------
# what is on disk


def leftovers(ws: Path) -> list[str]:
    return sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*") if LEFTOVER.match(p.name))


def _content(folder: Path) -> dict[str, bytes] | None:
    if not folder.is_dir():
        return None
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(LEFTOVER.match(part) for part in p.relative_to(folder).parts)}


def published(target: Path) -> dict[str, bytes] | None:
    """An output folder as the next command finds it: the folder, or, where a kill between the two
    renames of a swap left it aside, the previous one beside it (which that command puts back)."""
    if target.is_dir():
        return _content(target)
    aside = sorted(target.parent.glob(f".{target.name}.old-*"))
    return _content(aside[0]) if aside else None


def outputs(ws: Path, command: str) -> dict[str, object]:
    """The period's outputs, by what is written in one piece: ``data/processed/<period>/`` (the
    record included); for ``run`` all of ``reports/<period>/``; for ``check`` the feedback folder,
    its manifest and the rest of ``reports/<period>/`` (which a check does not touch)."""
    reports = ws / "reports" / PERIOD
    found: dict[str, object] = {"processed": published(ws / "data" / "processed" / PERIOD)}
    if command == "run":
        found["reports"] = published(reports)
    else:
        manifest = reports / ".feedback.json"
        found["feedback"] = published(reports / "feedback")
        found["manifest"] = manifest.read_bytes() if manifest.is_file() else None
        found["reports"] = _run_outputs(published(reports))
    return found


def _run_outputs(reports: dict[str, bytes] | None) -> dict[str, bytes]:
    """``reports/<period>/`` but what a check writes there."""
    return {k: v for k, v in (reports or {}).items() if not k.startswith("feedback/") and k != ".feedback.json"}


def old_or_new(found: dict, old: dict, new: dict, label: str) -> dict[str, str]:
    which = {}
    for key, value in found.items():
        if value == old[key]:
            which[key] = "old"
        elif value == new[key]:
            which[key] = "new"
        else:
            mine = value if isinstance(value, dict) else {}
            differ = sorted(k for k in set(mine) | set(old[key] or {}) if mine.get(k) != (old[key] or {}).get(k))
            pytest.fail(f"after a fault at '{label}', {key} is neither the old nor the new output: {differ[:5]}")
    return which


def reads_back(name: str, data: bytes) -> bool:
    """A file that is whole: its reader takes it."""
    try:
        if name.endswith(".parquet"):
            pd.read_parquet(io.BytesIO(data))
        elif name.endswith(".csv"):
            pd.read_csv(io.BytesIO(data), dtype=str)
        elif name.endswith((".xlsx", ".docx")):
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                return package.testzip() is None
        elif name.endswith((".json", ".ipynb")):
            json.loads(data)
        elif name.endswith(".png"):
            return data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")
        elif name.endswith(".html"):
            return data.rstrip().endswith(b"</html>")
    except Exception:  # noqa: BLE001 - whatever the reader says, it did not take it
        return False
    return True


def old_or_whole_new(found: dict, old: dict, new: dict, label: str) -> dict[str, str]:
    """For a fault in a command other than the one that made ``new``: each output is the old one,
    byte for byte, or a new one that is whole (the same files as a complete new output, each
    read back by its reader)."""
    which = {}
    for key, value in found.items():
        if value == old[key]:
            which[key] = "old"
            continue
        which[key] = "new"
        assert value is not None, (label, key)
        if isinstance(value, dict):
            assert set(value) == set(new[key]), (label, key, sorted(set(value) ^ set(new[key])))
            broken = [name for name, data in value.items() if not reads_back(name, data)]
            assert not broken, (label, key, broken)
        else:
            assert reads_back(".json", value), (label, key)
    return which


def digest(ws: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(ws.rglob("*")):
        h.update(path.relative_to(ws).as_posix().encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def _actions(processed: dict[str, bytes] | None) -> int:
    data = (processed or {}).get("audit/actions.parquet")
    return len(pd.read_parquet(io.BytesIO(data))) if data else 0


def record_is_sound(ws: Path) -> None:
    """The period's record lost and duplicated nothing: one row per check, every version of every
    file recorded once and the files now in the folder among them, no value change twice, and the
    record's replay gives exactly the values the last check wrote."""
    record = audit.load_audit(PERIOD, ws)
    ids = record.actions["check_id"]
    assert ids.is_unique
    assert set(record.files["check_id"]) <= set(ids) and set(record.changes["check_id"]) <= set(ids)
    versions = record.files[record.files["event"].isin(["added", "replaced", "renamed"])]
    assert not versions.duplicated(["source_file", "sha256"]).any()
    assert not record.changes.duplicated(["check_id", "unit", "indicator"]).any()
    raw = audit.inventory(ws / "data" / "raw" / PERIOD)
    state = audit.file_state(record.files)
    assert sorted(zip(state["source_file"], state["sha256"])) == sorted(zip(raw["source_file"], raw["sha256"]))
    values = pd.read_parquet(ws / "data" / "processed" / PERIOD / "values.parquet")
    live = audit.live_values(values, dict(zip(raw["source_file"], raw["sha256"])))
    replay = audit.value_state(record.changes)
    key = ["unit", "indicator"]
    pd.testing.assert_series_equal(live.set_index(key)["value"].sort_index(), replay.set_index(key)["value"].sort_index(),
                                   check_names=False)


def next_check_clears_up(ws: Path, found: dict, command: str, label: str) -> None:
    """The next ``cchc check`` after a fault: succeeds, says in one line what it removed (when
    the fault left something), leaves nothing behind, adds one check to the record, and leaves the
    run's outputs as the fault left them."""
    left = leftovers(ws)
    checks_before = _actions(found["processed"])
    code, out, err = cli("check", "--period", PERIOD, "--root", str(ws))
    assert code == 0, (label, err)
    said = [line for line in out.splitlines() if line.startswith("Đã dọn")]
    assert len(said) == (1 if left else 0), (label, left, out)
    if left:
        assert re.fullmatch(r"Đã dọn \d+ phần dở dang do lần chạy trước bị ngắt để lại: .+\. "
                            r"Các kết quả đã có không bị ảnh hưởng\.", said[0]), said[0]
    assert leftovers(ws) == [], (label, leftovers(ws))
    assert _actions(published(ws / "data" / "processed" / PERIOD)) == checks_before + 1, label
    assert _run_outputs(published(ws / "reports" / PERIOD)) == _run_outputs(found["reports"]), label
    record_is_sound(ws)


def kind_of_state(which: dict[str, str], ws: Path) -> tuple:
    """What the next command's work depends on: which outputs are old and which new, and which
    kinds of leftovers lie where (a staging folder's content is removed with it, whatever it is)."""
    kinds = set()
    for path in leftovers(ws):
        if any(LEFTOVER.match(part) for part in Path(path).parts[:-1]):
            continue  # inside another leftover
        kinds.add(re.sub(r"staging-\w+$|\.\w+\.tmp$|old-\d+$", "*", path))
    return tuple(sorted(which.items())), tuple(sorted(kinds))


def after_every_stop(driven: Driven, old: dict, new: dict, command: str) -> tuple[int, int, set]:
    """Every state the command left at a stop: the outputs are old or new, whole. The next check
    clears up: run once for each kind of state (:func:`kind_of_state`). Returns (distinct states,
    kinds of state, events seen at the stops). A stop at which the command had written a file of
    its own while a notebook's file appeared is labelled ``"<write>; appeared <files>"`` by
    :func:`drive`: both events count, each on its own."""
    states: set[str] = set()
    kinds: set[tuple] = set()
    for label, ws in driven.copies:
        found = outputs(ws, command)
        which = old_or_new(found, old, new, label)
        states.add(digest(ws))
        kind = kind_of_state(which, ws)
        if kind not in kinds:
            kinds.add(kind)
            next_check_clears_up(ws, found, command, label)
        shutil.rmtree(ws)
    return len(states), len(kinds), {event for label, _ in driven.copies for event in label.split("; ")}


# --------------------------------------------------------------------------------------------
# cchc check


@pytest.fixture(scope="module")
def checked(base, tmp_path_factory):
    """A checked 2021-H1 (the old outputs), then a corrected workbook and a ``cchc check`` stopped
    at each of its writes and renames (the new outputs)."""
    work = tmp_path_factory.mktemp("check")
    ws = copy_of(base, work / "ws")
    code, _out, err = cli("check", "--period", PERIOD, "--root", str(ws))
    assert code == 0, err
    correct_tp(ws)
    before = copy_of(ws, work / "before")
    old = outputs(ws, "check")
    driven = drive(["check", "--period", PERIOD], ws, work / "observed", snapshots=True)
    assert driven.code == 0, driven.stderr
    return ws, before, old, outputs(ws, "check"), driven


def test_check_killed_at_every_point_leaves_old_or_new_outputs_and_the_next_check_clears_up(checked):
    _ws, _before, old, new, driven = checked
    assert old["processed"] != new["processed"] and old["feedback"] != new["feedback"]
    states, kinds, labels = after_every_stop(driven, old, new, "check")
    # every output written, every staging folder made, both renames of each swap; the kinds: all
    # old with a staging folder, the old folder aside, the new one in beside the old, the feedback's
    # staging folder, the feedback's swap, the manifest's temporary file
    assert states >= 20 and len(labels) >= 20 and kinds >= 6, (states, kinds, sorted(labels))
    for wanted in (r"^made data/processed/\.2021-H1\.staging-", r"^written data/processed/\.2021-H1\.staging-\w+/values\.parquet$",
                   r"^written data/processed/\.2021-H1\.staging-\w+/audit/changes\.parquet$",
                   r"^renamed data/processed/2021-H1 -> data/processed/\.2021-H1\.old-\d+$",
                   r"^renamed data/processed/\.2021-H1\.staging-\w+ -> data/processed/2021-H1$",
                   r"^written reports/2021-H1/\.feedback\.staging-\w+/TP\.xlsx$",
                   r"^renamed reports/2021-H1/\.feedback\.staging-\w+ -> reports/2021-H1/feedback$",
                   r"^renamed reports/2021-H1/\.\.feedback\.json\.\w+\.tmp -> reports/2021-H1/\.feedback\.json$"):
        assert any(re.search(wanted, label) for label in labels), wanted


def _budget_points(base: Path, work: Path) -> list[tuple[str, int]]:
    """(file, budget) for each file ``cchc check`` writes: a disk that fills up halfway through
    writing it (measured on a check of the same state with an unlimited disk)."""
    ws = copy_of(base, work / "measure")
    with faultshim.installed(ws) as faults:
        code, _out, err = cli("check", "--period", PERIOD, "--root", str(ws))
    assert code == 0, err
    points = [(name, faults.started[name] + max(1, size // 2)) for name, size in faults.written if size]
    shutil.rmtree(ws)
    return points


# openpyxl leaves the zip file of a save that failed to the garbage collector, whose own close
# writes again and fails again on the same full disk: reported by pytest, not by the product
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_check_on_a_full_disk_at_every_write(checked, tmp_path):
    _ws, before, old, new, _driven = checked
    points = _budget_points(before, tmp_path)
    assert len(points) >= 15
    failed_in, kinds = set(), set()
    for number, (name, budget) in enumerate(points):
        ws = copy_of(before, tmp_path / f"full{number}")
        with faultshim.installed(ws, budget=budget) as faults:
            code, _out, err = cli("check", "--period", PERIOD, "--root", str(ws))
        assert code == 2, (name, err)
        line = assert_one_line(err, "đã đầy", "giải phóng chỗ trống", str(ws))
        assert faults.full is not None, name
        failed_in.add(re.sub(r"\.staging-\w+|\.\w+\.tmp$", "", faults.full))
        assert lock_is_free(ws), name
        found = outputs(ws, "check")
        which = old_or_whole_new(found, old, new, name)
        assert leftovers(ws) == [], (name, leftovers(ws))  # the check's finally blocks removed its staging
        if (kind := kind_of_state(which, ws)) not in kinds:
            kinds.add(kind)
            next_check_clears_up(ws, found, "check", f"disk full in {name} ({line})")
        shutil.rmtree(ws)
    # the disk filled in each file the check writes (processed files, record, feedback, manifest, lock)
    assert len(failed_in) >= 15, sorted(failed_in)


def test_check_killed_for_real_then_the_next_check_clears_up(checked, tmp_path):
    _ws, before, old, new, _driven = checked

    def kill(proc):
        os.kill(proc.pid, signal.SIGKILL)

    for number, when in enumerate((r"^renamed data/processed/2021-H1 -> data/processed/\.2021-H1\.old-",
                                   r"^written reports/2021-H1/\.feedback\.staging-\w+/VP\.xlsx$")):
        ws = copy_of(before, tmp_path / f"kill{number}")
        driven = drive(["check", "--period", PERIOD], ws, tmp_path / f"kill{number}-run", when=when, then=kill)
        assert driven.fired and driven.code == -signal.SIGKILL, (when, driven.stderr)
        assert wait_gone(driven.tree) == [], when
        assert lock_is_free(ws), when
        found = outputs(ws, "check")
        old_or_whole_new(found, old, new, when)
        assert leftovers(ws), when  # what the kill left: the next check removes it
        next_check_clears_up(ws, found, "check", when)


def test_check_stopped_by_sigterm_or_ctrl_c_says_so_and_leaves_nothing(checked, tmp_path):
    _ws, before, old, new, _driven = checked
    for number, (when, signum) in enumerate(((r"^written data/processed/\.2021-H1\.staging-\w+/findings\.csv$",
                                              signal.SIGTERM),
                                             (r"^written reports/2021-H1/\.feedback\.staging-\w+/TP\.xlsx$",
                                              signal.SIGINT))):
        ws = copy_of(before, tmp_path / f"signal{number}")
        driven = drive(["check", "--period", PERIOD], ws, tmp_path / f"signal{number}-run", when=when,
                       then=lambda proc, s=signum: os.kill(proc.pid, s))
        assert driven.fired and driven.code == 2, (when, driven.stderr)
        assert_one_line(driven.stderr, f"nhận tín hiệu {signal.Signals(signum).name}", "chạy lại")
        assert leftovers(ws) == [], leftovers(ws)  # the staging folder went with the interrupted command
        assert lock_is_free(ws)
        found = outputs(ws, "check")
        which = old_or_whole_new(found, old, new, when)
        assert which["processed"] == ("old" if signum == signal.SIGTERM else "new")
        assert which["feedback"] == "old"
        next_check_clears_up(ws, found, "check", when)


def _without_file_modes() -> tuple[str, ...]:
    """As root, file modes bind only without the capability that overrides them."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("root without setpriv (util-linux): cannot make the workspace read-only for the command")
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search")


def _chmod_tree(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(mode | 0o200 if writable else mode & ~0o222)


def test_read_only_or_vanished_workspace_halfway_through_a_check(checked, tmp_path):
    _ws, before, old, new, _driven = checked
    swapped = r"^renamed data/processed/\.2021-H1\.staging-\w+ -> data/processed/2021-H1$"
    # read-only once the processed outputs are in: the feedback cannot be written
    ws = copy_of(before, tmp_path / "ro")
    driven = drive(["check", "--period", PERIOD], ws, tmp_path / "ro-run", when=swapped,
                   then=lambda proc: _chmod_tree(ws, writable=False), prefix=_without_file_modes())
    _chmod_tree(ws, writable=True)
    assert driven.fired and driven.code == 2, driven.stderr
    assert_one_line(driven.stderr, "không có quyền", "cấp quyền ghi", "reports/2021-H1")
    found = outputs(ws, "check")
    assert old_or_whole_new(found, old, new, "read-only")["processed"] == "new"
    assert found["feedback"] == old["feedback"]
    next_check_clears_up(ws, found, "check", "read-only")
    # renamed away (a disk unmounted): not made again as an empty workspace
    ws = copy_of(before, tmp_path / "gone")
    away = tmp_path / "gone-away"
    driven = drive(["check", "--period", PERIOD], ws, tmp_path / "gone-run", when=swapped,
                   then=lambda proc: ws.rename(away))
    assert driven.fired and driven.code == 2, driven.stderr
    assert_one_line(driven.stderr, "không tìm thấy", "--root")
    assert not ws.exists()
    away.rename(ws)
    found = outputs(ws, "check")
    assert old_or_whole_new(found, old, new, "vanished")["processed"] == "new"
    next_check_clears_up(ws, found, "check", "vanished")


# --------------------------------------------------------------------------------------------
# cchc run


def previous_reports(root: Path) -> None:
    """The reports an earlier run of 2021-H1 left (a run reads nothing of them: it replaces the
    folder whole), made here rather than by one more run of the notebooks."""
    folder = root / "reports" / PERIOD
    (folder / "notebooks").mkdir(parents=True)
    (folder / "summary.html").write_text('<!DOCTYPE html>\n<html lang="vi"><body><p>Báo cáo tóm tắt lần trước</p>'
                                         "</body></html>\n", encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.append(["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", "Ghi chú"])
    book.save(folder / "consolidated.xlsx")
    nbformat.write(nbformat.v4.new_notebook(), folder / "notebooks" / R.SUMMARY_NOTEBOOK)


@pytest.fixture(scope="module")
def ran(base, tmp_path_factory):
    """2021-H1 checked, with the reports of an earlier run; a corrected workbook; a run killed
    (``kill -9``, its own process only) while its notebooks run; then the next run, stopped at each
    of its writes and renames and each time a file appears under ``reports/`` (the new outputs)."""
    work = tmp_path_factory.mktemp("run")
    ws = copy_of(base, work / "ws")
    code, _out, err = cli("check", "--period", PERIOD, "--root", str(ws))
    assert code == 0, err
    previous_reports(ws)
    first_reports = published(ws / "reports" / PERIOD)
    correct_tp(ws)

    def kill(proc):
        os.kill(proc.pid, signal.SIGKILL)

    killed = drive(["run", "--period", PERIOD], ws, work / "killed", watch=ws / "reports",
                   when=r"appeared .*notebooks/03_so_sanh\.ipynb", then=kill)
    gone = wait_gone(killed.tree)
    after_kill = {"leftovers": leftovers(ws), "lock_free": lock_is_free(ws), "gone": gone,
                  "reports": published(ws / "reports" / PERIOD)}
    old = outputs(ws, "run")
    observed = drive(["run", "--period", PERIOD], ws, work / "observed", snapshots=True, watch=ws / "reports")
    return ws, first_reports, killed, after_kill, old, observed, outputs(ws, "run")


def test_kill_9_during_a_run_leaves_a_staging_folder_that_the_next_run_removes(ran):
    """Issue 17, second repro."""
    ws, first_reports, killed, after_kill, _old, observed, _new = ran
    assert killed.fired and killed.code == -signal.SIGKILL, killed.stderr
    assert len(killed.tree) >= 3  # the run, its notebook workers, a kernel
    assert after_kill["gone"] == []  # its workers and their kernels ended by themselves
    assert after_kill["lock_free"]
    assert after_kill["reports"] == first_reports  # the previous reports, byte for byte
    staging = [p for p in after_kill["leftovers"] if re.fullmatch(r"reports/\.2021-H1\.staging-\w+", p)]
    assert staging, after_kill["leftovers"]
    # the next run: says what it removed in one line, succeeds, leaves nothing
    assert observed.code == 0, observed.stderr
    said = [line for line in observed.stdout.splitlines() if line.startswith("Đã dọn")]
    assert len(said) == 1 and staging[0] in said[0], observed.stdout
    assert leftovers(ws) == []
    assert lock_is_free(ws)
    record_is_sound(ws)


def test_run_killed_at_every_point_leaves_old_or_new_outputs_and_the_next_check_clears_up(ran):
    _ws, _first, _killed, _after, old, observed, new = ran
    assert old["reports"] != new["reports"]
    states, kinds, labels = after_every_stop(observed, old, new, "run")
    assert states >= 20 and len(labels) >= 20 and kinds >= 6, (states, kinds, sorted(labels))
    for wanted in (r"^made reports/\.2021-H1\.staging-",  # the run's staging folder
                   r"^renamed data/processed/\.2021-H1\.staging-\w+ -> data/processed/2021-H1$",  # its check
                   r"appeared .*notebooks/04_bang_tong_hop\.ipynb",  # during the workbook notebook
                   r"appeared .*consolidated\.xlsx",
                   r"^written reports/\.2021-H1\.staging-\w+/summary\.html$",  # the export
                   r"^renamed reports/2021-H1 -> reports/\.2021-H1\.old-\d+$",  # between the two renames
                   r"^renamed reports/\.2021-H1\.staging-\w+ -> reports/2021-H1$",
                   r"^removing reports/\.2021-H1\.old-\d+$"):
        assert any(re.search(wanted, label) for label in labels), wanted
    notebooks = {name for label in labels for name in re.findall(r"notebooks/(0\d_\w+\.ipynb)", label)}
    assert notebooks == set(R.NOTEBOOKS), notebooks  # a stop during each notebook


def test_run_stopped_by_sigterm_ends_its_kernels_and_leaves_nothing(ran, tmp_path):
    ws = copy_of(ran[0], tmp_path / "ws")
    old = outputs(ws, "run")
    driven = drive(["run", "--period", PERIOD], ws, tmp_path / "sigterm", watch=ws / "reports",
                   when=r"appeared .*notebooks/02_day_du_dung_han\.ipynb",
                   then=lambda proc: os.kill(proc.pid, signal.SIGTERM))
    assert driven.fired and driven.code == 2, driven.stderr
    assert_one_line(driven.stderr, "nhận tín hiệu SIGTERM")
    assert wait_gone(driven.tree) == []  # its workers and their kernels were stopped with it
    assert leftovers(ws) == [] and lock_is_free(ws)
    found = outputs(ws, "run")
    assert old_or_whole_new(found, old, old, "SIGTERM")["reports"] == "old"  # its check may have ended first
    next_check_clears_up(ws, found, "run", "SIGTERM")


def _file_size_limit(limit: int):
    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limited


def _failed_copies_read_back(ws: Path) -> list[str]:
    kept = sorted((ws / "reports" / PERIOD / "notebooks").glob(f"*{R.FAILED_SUFFIX}"))
    for path in kept:
        nbformat.read(path, as_version=4)  # whole: it reads back
    return [p.name for p in kept]


@pytest.mark.parametrize("limit, options, where", [
    (8_000, (), "the run's check (findings.csv)"),
    (30_000, ("--no-check",), "the workbook notebook's workbook or figures, in its kernel"),
])
def test_full_disk_during_a_run_exits_2_with_one_line_and_keeps_the_reports(ran, tmp_path, limit, options, where):
    """Issue 17, first repro: a file-size limit on every process of the run (kernels included)."""
    ws = copy_of(ran[0], tmp_path / "ws")
    old = outputs(ws, "run")
    done = cchc("run", "--period", PERIOD, "--root", str(ws), *options, preexec_fn=_file_size_limit(limit))
    assert done.returncode == 2, (where, done.stderr)
    line = assert_one_line(done.stderr, "ulimit -f", "chạy lại")
    kept = _failed_copies_read_back(ws)  # a failed notebook's copy is kept only whole
    found = outputs(ws, "run")
    assert _without(found["reports"], kept) == old["reports"], where
    assert old_or_whole_new({"processed": found["processed"]}, old, old, where)["processed"] == "old"
    assert leftovers(ws) == [] and lock_is_free(ws)
    next_check_clears_up(ws, found, "run", line)


def _without(reports: dict | None, kept: list[str]) -> dict:
    return {k: v for k, v in (reports or {}).items() if k not in {f"notebooks/{name}" for name in kept}}


# --------------------------------------------------------------------------------------------
# the pieces, one by one


def test_a_failed_notebook_copy_that_does_not_fit_leaves_nothing(tmp_path):
    executed = tmp_path / "staging" / "04_bang_tong_hop.ipynb"
    executed.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(), executed)
    reports = tmp_path / "ws" / "reports" / PERIOD
    with faultshim.installed(tmp_path / "ws", budget=10):
        assert R._keep_failed(executed, reports, "04_bang_tong_hop.ipynb") is None
    assert not (tmp_path / "ws" / "reports").exists() or not list((tmp_path / "ws").rglob("*.ipynb"))
    assert leftovers(tmp_path / "ws") == []
    executed.write_text('{"cells": [', encoding="utf-8")  # what a writer stopped by a full disk leaves
    assert R._keep_failed(executed, reports, "04_bang_tong_hop.ipynb") is None
    assert not list((tmp_path / "ws").rglob("*.ipynb"))


@pytest.mark.parametrize("ename, evalue, words", [
    ("OSError", "[Errno 28] No space left on device", ("đã đầy", "giải phóng chỗ trống")),
    ("PermissionError", "[Errno 13] Permission denied: '/srv/cchc/reports/x.png'", ("không có quyền", "cấp quyền")),
    ("SerialisationError", "IO_ENOSPC", ("đã đầy", "giải phóng chỗ trống")),  # lxml, under openpyxl's writer
])
def test_a_notebook_stopped_by_the_environment_says_what_to_do(tmp_path, ename, evalue, words):
    result = {"name": "04_bang_tong_hop.ipynb", "executed": str(tmp_path / "missing.ipynb"), "ok": False,
              "kind": "cell", "cell": 3, "exec_count": 3, "source": "book = workbook.write(...)", "ename": ename,
              "evalue": evalue}
    message = str(R._failure(result, tmp_path / "reports", tmp_path, PERIOD, "python3", 600))
    assert "\n" not in message and "04_bang_tong_hop.ipynb" in message and "ô [3]" in message
    for word in words:
        assert word in message
    assert "các báo cáo cũ của kỳ 2021-H1 được giữ nguyên" in message


@pytest.mark.parametrize("kind, ename, evalue, words", [
    ("CellTimeoutError", "CellTimeoutError", "A cell timed out while it was being executed, after 600 seconds.",
     ("quá 600 giây", "--timeout", "chạy lại")),
    ("DeadKernelError", "DeadKernelError", "Kernel died", ("dừng đột ngột", "hết bộ nhớ", "chạy lại")),
])
def test_a_notebook_timed_out_or_killed_says_what_to_do(tmp_path, kind, ename, evalue, words):
    result = {"name": "04_bang_tong_hop.ipynb", "executed": str(tmp_path / "missing.ipynb"), "ok": False,
              "kind": kind, "cell": 3, "exec_count": None, "source": "figures = charts.save_figures(data, out)",
              "ename": ename, "evalue": evalue}
    message = str(R._failure(result, tmp_path / "reports", tmp_path, PERIOD, "python3", 600))
    assert "\n" not in message and "04_bang_tong_hop.ipynb" in message and "ô thứ 4" in message
    for word in words:
        assert word in message


def test_debug_shows_the_traceback(tmp_path):
    (tmp_path / "data" / "raw" / PERIOD).mkdir(parents=True)
    (tmp_path / "data" / "processed").mkdir(parents=True)
    (tmp_path / "data" / "processed" / f".{PERIOD}.lock").mkdir()  # the lock cannot be opened: EISDIR
    quiet = cchc("check", "--period", PERIOD, "--root", str(tmp_path))
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr and len(error_lines(quiet.stderr)) == 1
    loud = cchc("check", "--period", PERIOD, "--root", str(tmp_path), "--debug")
    assert loud.returncode == 2 and "Traceback" in loud.stderr
    assert error_lines(loud.stderr)[-1] == error_lines(quiet.stderr)[0]
