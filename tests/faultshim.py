"""Faults injected into a ``cchc`` command's own process, for ``tests/test_faults.py``.

Every file a command writes in its own process goes through Python's ``open`` (CSV, openpyxl's
``zipfile``, JSON through ``pathlib``, copies through ``shutil``) or pandas' ``to_parquet`` (whose
local path pyarrow opens in C++: here it gets a Python file instead), every staging folder or
temporary file is made by ``tempfile`` and every swap is ``os.replace``. This module wraps those,
for paths inside one workspace only:

- *stop*: after each file written, each staging folder or temporary file made, before and after
  each rename and before each folder removal, the process notes the event in a file and stops
  itself (``SIGSTOP``). The test copies the workspace — what a ``kill -9`` at that instant leaves
  on disk — and lets it go on (``SIGCONT``).
- *budget*: the disk has ``budget`` bytes left. The write that crosses it writes what fits and
  fails with ``ENOSPC``, as does every write after it: a disk that fills up at that write.

Nothing here is in the product: the product runs unchanged, its library calls wrapped from outside.
Run as a program (``python tests/faultshim.py check --period ...``), it installs itself from
``CCHC_FAULT_ROOT``, ``CCHC_FAULT_EVENTS`` (stop) and ``CCHC_FAULT_BUDGET`` (bytes), then runs
``cchc`` with the arguments; in a test, :func:`installed` does the same for a block.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import shutil
import signal
import sys
import tempfile
from contextlib import contextmanager

_REAL = {
    "open": builtins.open, "io.open": io.open, "replace": os.replace, "rename": os.rename,
    "rmtree": shutil.rmtree, "mkdtemp": tempfile.mkdtemp, "mkstemp": tempfile.mkstemp, "sendfile": os.sendfile,
}


class _Faults:
    root: str | None = None
    events: str | None = None  # stop mode: the file the events are noted in
    budget: int | None = None  # budget mode: bytes the disk still takes
    pid = 0  # only this process (forked readers write nothing, and are left alone)
    written: list[tuple[str, int]] = []  # (file, bytes) in the order files were closed
    started: dict[str, int] = {}  # file -> bytes written (all files) before its first byte
    spent = 0  # bytes written so far
    full: str | None = None  # the file whose write found the disk full
    files: dict[int, "_File"] = {}


F = _Faults()


def _ours() -> bool:
    return F.root is not None and os.getpid() == F.pid


def _inside(path) -> bool:
    if isinstance(path, int) or not _ours():
        return False
    try:
        full = os.path.abspath(os.fsdecode(path))
    except TypeError:
        return False
    return full == F.root or full.startswith(F.root + os.sep)


def _rel(path) -> str:
    return os.path.relpath(os.path.abspath(os.fsdecode(path)), F.root)


def _event(label: str) -> None:
    if F.events is None or not _ours():
        return
    with _REAL["open"](F.events, "a", encoding="utf-8") as handle:
        handle.write(label + "\n")
    os.kill(os.getpid(), signal.SIGSTOP)


def _take(n: int, name: str) -> int:
    """How many of ``n`` bytes the disk takes (all, or what fits; the budget is then spent)."""
    F.started.setdefault(name, F.spent)
    if F.budget is None or n <= F.budget:
        if F.budget is not None:
            F.budget -= n
        return n
    fits, F.budget = F.budget, 0
    F.full = F.full or name
    return fits


def _no_space() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _File(io.FileIO):
    """A file of the workspace being written: counts its bytes, spends the budget, stops when
    closed."""

    def __init__(self, file, mode, closefd=True, opener=None):
        super().__init__(file, mode, closefd=closefd, opener=opener)
        self._where = _rel(file)
        self._bytes = 0
        F.files[self.fileno()] = self

    def write(self, data):
        data = bytes(data)
        fits = _take(len(data), self._where)
        if fits < len(data):
            if fits:
                self._bytes += super().write(data[:fits]) or 0
                F.spent += fits
            raise _no_space()
        written = super().write(data) or 0
        self._bytes += written
        F.spent += written
        return written

    def close(self):
        if self.closed:
            return
        F.files.pop(self.fileno(), None)
        super().close()
        if _ours():
            F.written.append((self._where, self._bytes))
            _event(f"written {self._where}")


def _open(file, mode="r", buffering=-1, encoding=None, errors=None, newline=None, closefd=True, opener=None):
    if not any(c in mode for c in "wax+") or not _inside(file):
        return _REAL["open"](file, mode, buffering, encoding, errors, newline, closefd, opener)
    raw = _File(file, mode.replace("b", "").replace("t", ""), closefd=closefd, opener=opener)
    if buffering == 0:
        return raw
    size = buffering if buffering > 1 else io.DEFAULT_BUFFER_SIZE
    buffer = io.BufferedRandom(raw, size) if "+" in mode else io.BufferedWriter(raw, size)
    if "b" in mode:
        return buffer
    text = io.TextIOWrapper(buffer, encoding, errors, newline, line_buffering=buffering == 1)
    text.mode = mode
    return text


def _sendfile(out_fd, in_fd, offset, count, *args, **kwargs):
    """A copy (``shutil.copyfile``) into the workspace: ``count`` is only an upper bound, the
    bytes actually sent are what the disk takes."""
    target = F.files.get(out_fd)
    if target is None:
        return _REAL["sendfile"](out_fd, in_fd, offset, count, *args, **kwargs)
    F.started.setdefault(target._where, F.spent)
    if F.budget is not None:
        if F.budget == 0:
            if offset is not None and offset >= os.fstat(in_fd).st_size:
                return 0  # the end of the file: nothing more to write
            F.full = F.full or target._where
            raise _no_space()
        count = min(count, F.budget)
    sent = _REAL["sendfile"](out_fd, in_fd, offset, count, *args, **kwargs)
    if F.budget is not None:
        F.budget -= sent
    target._bytes += sent
    F.spent += sent
    return sent


def _renamer(real):
    def rename(src, dst, **kwargs):
        watched = _inside(dst)
        if watched:
            _event(f"renaming {_rel(src)} -> {_rel(dst)}")
        real(src, dst, **kwargs)
        if watched:
            _event(f"renamed {_rel(src)} -> {_rel(dst)}")
    return rename


def _rmtree(path, *args, **kwargs):
    if _inside(path) and os.path.isdir(path):
        _event(f"removing {_rel(path)}")
    return _REAL["rmtree"](path, *args, **kwargs)


_rmtree.avoids_symlink_attacks = getattr(shutil.rmtree, "avoids_symlink_attacks", False)


def _mkdtemp(suffix=None, prefix=None, dir=None):
    path = _REAL["mkdtemp"](suffix, prefix, dir)
    if _inside(path):
        _event(f"made {_rel(path)}")
    return path


def _mkstemp(suffix=None, prefix=None, dir=None, text=False):
    fd, path = _REAL["mkstemp"](suffix, prefix, dir, text)
    if _inside(path):
        _event(f"made {_rel(path)}")
    return fd, path


def _to_parquet(frame, path=None, *args, **kwargs):
    """pandas hands a local path to pyarrow's C++ writer, out of Python's sight: a path inside the
    workspace goes as a Python file instead (pandas writes to any binary file object)."""
    if isinstance(path, (str, os.PathLike)) and _inside(path):
        with _open(path, "wb") as handle:
            return _REAL["to_parquet"](frame, handle, *args, **kwargs)
    return _REAL["to_parquet"](frame, path, *args, **kwargs)


def install(root, *, events: str | None = None, budget: int | None = None) -> None:
    """Wrap the process's writes inside ``root`` (see the module's text)."""
    import pandas

    _REAL.setdefault("to_parquet", pandas.DataFrame.to_parquet)
    F.root, F.events, F.budget, F.pid = os.path.abspath(os.fsdecode(root)), events, budget, os.getpid()
    F.written, F.full, F.files, F.started, F.spent = [], None, {}, {}, 0
    builtins.open = io.open = _open
    pandas.DataFrame.to_parquet = _to_parquet
    os.replace, os.rename = _renamer(_REAL["replace"]), _renamer(_REAL["rename"])
    os.sendfile = _sendfile
    shutil.rmtree = _rmtree
    tempfile.mkdtemp, tempfile.mkstemp = _mkdtemp, _mkstemp


def uninstall() -> None:
    import pandas

    pandas.DataFrame.to_parquet = _REAL["to_parquet"]
    builtins.open, io.open = _REAL["open"], _REAL["io.open"]
    os.replace, os.rename, os.sendfile = _REAL["replace"], _REAL["rename"], _REAL["sendfile"]
    shutil.rmtree = _REAL["rmtree"]
    tempfile.mkdtemp, tempfile.mkstemp = _REAL["mkdtemp"], _REAL["mkstemp"]
    F.root = None


@contextmanager
def installed(root, *, events: str | None = None, budget: int | None = None):
    install(root, events=events, budget=budget)
    try:
        yield F
    finally:
        uninstall()


if __name__ == "__main__":
    budget = os.environ.get("CCHC_FAULT_BUDGET")
    install(os.environ["CCHC_FAULT_ROOT"], events=os.environ.get("CCHC_FAULT_EVENTS"),
            budget=int(budget) if budget else None)
    from cchc_analysis.cli import main

    sys.exit(main(sys.argv[1:]))
