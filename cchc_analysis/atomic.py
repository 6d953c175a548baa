"""Every file and folder the product writes lands whole or not at all (:func:`os.replace`).

- :func:`write_file`: one file, written beside its target under a temporary name, then renamed
  into place.
- :func:`replace_folder`: a folder of outputs, filled in a staging folder beside it, then swapped
  in (:func:`staging_folder` and :func:`swap_in` are its two halves, for a caller that fills the
  folder over a longer stretch of code).

A writer that fails, or a run killed before the rename, leaves the previous file or folder as it
was. Swapping a folder takes two renames (the old folder aside, the new one in): a run killed
between the two leaves the previous folder beside the target as ``.<name>.old-<pid>``, and the
next :func:`staging_folder` for the same target puts it back first (a ``SIGTERM`` or Ctrl-C that
the command handles waits until both renames are done, :func:`cchc_analysis.failures.signals_held`).
What killed runs left beside a target (staging folders, temporary files, set-aside old folders) is
removed by the next call for that target: staging folders and temporary files only when an hour
old, since another run may be writing them (the period lock keeps two runs of one period apart,
not every caller). The holder of a period's lock removes them at once, whatever their age
(:func:`clear_leftovers`).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

#: a staging folder or temporary file untouched this long (seconds) belongs to a killed run
STALE_SECONDS = 3600

_OLD = "old-"
_TEMP_SUFFIX = ".tmp"


#: the workspaces whose period lock this process holds (:func:`workspace_held`): a write below
#: one of them never creates it again, so a workspace deleted, renamed or unmounted mid-run is an
#: error (``ENOENT``), not a new empty workspace where the old one was
_HELD_ROOTS: list[Path] = []


@contextmanager
def workspace_held(root: Path | str):
    """While the block runs, writes below ``root`` need ``root`` to exist (see :data:`_HELD_ROOTS`)."""
    root = Path(root)
    _HELD_ROOTS.append(root)
    try:
        yield root
    finally:
        _HELD_ROOTS.remove(root)


def _make_parent(path: Path) -> None:
    """``path``'s folder, made where missing, but never a held workspace that has vanished."""
    for root in _HELD_ROOTS:
        if root in path.parents and not root.is_dir():
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(root))
    path.parent.mkdir(parents=True, exist_ok=True)


def write_file(path: Path | str, write: Callable[[Path], None]) -> Path:
    """Run ``write(temporary_path)``, then put that file in place of ``path``. When ``write``
    raises, the temporary file is removed and ``path`` is as it was."""
    path = Path(path)
    _make_parent(path)
    _sweep(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TEMP_SUFFIX, dir=path.parent)
    os.close(fd)
    temp = Path(name)
    try:
        write(temp)
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes the file private; outputs are for anyone allowed to read
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


def replace_folder(target: Path | str, fill: Callable[[Path], None]) -> Path:
    """Run ``fill(staging)`` on a new empty folder beside ``target``, then put it in place of
    ``target`` (whose previous content goes). When ``fill`` raises, the staging folder is removed
    and ``target`` is as it was."""
    target = Path(target)
    staging = staging_folder(target)
    try:
        fill(staging)
        swap_in(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def staging_folder(target: Path | str) -> Path:
    """A new empty folder beside ``target``, with the usual permissions, to be given to
    :func:`swap_in` when complete (the caller removes it if it never gets there). First puts back
    the previous ``target`` that a run killed mid-swap left aside, and removes what killed runs
    left beside it."""
    target = Path(target)
    _make_parent(target)
    _recover(target)
    _sweep(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes the folder private
    return staging


def recover(target: Path | str) -> None:
    """Put back the previous ``target`` that a run killed between the two renames of
    :func:`swap_in` left aside (as :func:`staging_folder` does first): for a caller that reads
    ``target`` before it stages a new one (the period's record is read, then extended)."""
    _recover(Path(target))


def swap_in(staging: Path | str, target: Path | str) -> None:
    """Put the complete folder ``staging`` (beside ``target``) in place of ``target``."""
    staging, target = Path(staging), Path(target)
    if not target.exists():
        os.replace(staging, target)
        return
    old = target.with_name(f".{target.name}.{_OLD}{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    from .failures import signals_held

    with signals_held():  # a handled SIGTERM/Ctrl-C lands after both renames, not between them
        os.replace(target, old)
        os.replace(staging, target)  # killed before this line: the next staging_folder() puts ``old`` back
    shutil.rmtree(old, ignore_errors=True)


def clear_leftovers(target: Path | str) -> list[Path]:
    """Remove now, whatever their age, what killed writes of ``target`` left beside it: staging
    folders, temporary files, and a previous ``target`` a killed swap set aside (put back first
    when ``target`` is missing). For a caller that knows no other writer of ``target`` is at
    work: the holder of the period's lock. Returns what was removed (what could not be removed is
    left for the next call)."""
    target = Path(target)
    removed = _recover(target)
    for leftover in _leftovers(target):
        if leftover.name.startswith(f".{target.name}.{_OLD}"):
            continue
        is_dir = leftover.is_dir() and not leftover.is_symlink()
        if not (is_dir or leftover.name.endswith(_TEMP_SUFFIX)):
            continue  # not ours (the period's lock file is ``.<period>.lock``)
        if is_dir:
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            try:
                leftover.unlink()
            except OSError:
                pass
        if not os.path.lexists(leftover):
            removed.append(leftover)
    return removed


def _leftovers(target: Path) -> list[Path]:
    """What writes of ``target`` put beside it: ``.<name>.<anything>``."""
    prefix = f".{target.name}."
    try:
        return [p for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return []


def _recover(target: Path) -> list[Path]:
    """Where ``target`` is missing but a killed swap set it aside, put it back; remove the
    set-aside folders that are no longer needed (returned)."""
    olds = [p for p in _leftovers(target) if p.name.startswith(f".{target.name}.{_OLD}") and p.is_dir()]
    if not olds:
        return []
    if not os.path.lexists(target):
        newest = max(olds, key=_mtime)
        os.replace(newest, target)
        olds.remove(newest)
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)
    return [old for old in olds if not os.path.lexists(old)]


def _sweep(target: Path) -> None:
    """Remove the staging folders and temporary files of killed writes of ``target`` (an hour old
    or more; a fresh one may be another run's, still writing)."""
    now = time.time()
    for leftover in _leftovers(target):
        if leftover.name.startswith(f".{target.name}.{_OLD}"):
            continue  # :func:`_recover`'s
        is_dir = leftover.is_dir() and not leftover.is_symlink()
        if not (is_dir or leftover.name.endswith(_TEMP_SUFFIX)) or now - _mtime(leftover) < STALE_SECONDS:
            continue
        try:
            if is_dir:
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
        except OSError:
            pass


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return time.time()


def _umask() -> int:
    """The process's umask (reading it means setting it: set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
