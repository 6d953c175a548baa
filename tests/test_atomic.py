"""One helper for every atomic write (cchc_analysis.atomic): a writer that fails, or a run killed
before the rename, leaves the previous file or folder as it was, and nothing of it behind."""

from __future__ import annotations

import os
import stat
import time

import pytest

from cchc_analysis import atomic


class Failed(Exception):
    pass


def listing(folder) -> dict[str, bytes]:
    """Every entry of ``folder`` (hidden ones too), files with their bytes, folders as None."""
    out = {}
    for path in sorted(folder.rglob("*")):
        out[path.relative_to(folder).as_posix()] = path.read_bytes() if path.is_file() else None
    return out


def test_write_file_replaces_the_file_whole(tmp_path):
    target = tmp_path / "out" / "findings.csv"
    atomic.write_file(target, lambda p: p.write_text("a\n1\n", encoding="utf-8"))
    atomic.write_file(target, lambda p: p.write_text("a\n2\n", encoding="utf-8"))
    assert listing(tmp_path / "out") == {"findings.csv": b"a\n2\n"}


def test_a_failing_file_writer_leaves_the_previous_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "findings.csv"
    target.write_bytes(b"old\n")

    def half_then_fail(path):
        path.write_bytes(b"new, half")
        raise Failed

    with pytest.raises(Failed):
        atomic.write_file(target, half_then_fail)
    assert listing(tmp_path) == {"findings.csv": b"old\n"}
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C inside the writer: the same
        atomic.write_file(target, lambda p: (_ for _ in ()).throw(KeyboardInterrupt()))
    assert listing(tmp_path) == {"findings.csv": b"old\n"}


def test_written_files_and_folders_have_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic.write_file(tmp_path / "x.json", lambda p: p.write_text("{}"))
        atomic.replace_folder(tmp_path / "period", lambda folder: (folder / "a.csv").write_text("a\n"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "period").stat().st_mode) == 0o755


def test_replace_folder_replaces_the_whole_content(tmp_path):
    target = tmp_path / "2021-H1"
    atomic.replace_folder(target, lambda f: [(f / n).write_text(n) for n in ("a.csv", "b.parquet")])
    atomic.replace_folder(target, lambda f: (f / "c.csv").write_text("c"))
    assert listing(tmp_path) == {"2021-H1": None, "2021-H1/c.csv": b"c"}


def test_a_failing_folder_filler_leaves_the_previous_folder_and_no_staging_folder(tmp_path):
    target = tmp_path / "2021-H1"
    atomic.replace_folder(target, lambda f: (f / "a.csv").write_text("old"))
    before = listing(tmp_path)

    def half_then_fail(folder):
        (folder / "a.csv").write_text("new")
        raise Failed

    with pytest.raises(Failed):
        atomic.replace_folder(target, half_then_fail)
    assert listing(tmp_path) == before == {"2021-H1": None, "2021-H1/a.csv": b"old"}


def test_a_run_killed_between_the_two_renames_gets_its_folder_back(tmp_path, monkeypatch):
    """The previous folder set aside, the new one not yet in place: the next write of the same
    folder puts the previous one back first, even when that write fails too."""
    target = tmp_path / "2021-H1"
    atomic.replace_folder(target, lambda f: (f / "a.csv").write_text("old"))
    real = os.replace
    calls = []

    def dying(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies here
        return real(src, dst)

    monkeypatch.setattr(os, "replace", dying)
    with pytest.raises(KeyboardInterrupt):
        atomic.swap_in(atomic.staging_folder(target), target)
    monkeypatch.undo()
    assert not target.exists()
    aside = [p.name for p in tmp_path.iterdir() if p.name.startswith(".2021-H1.old-")]
    assert len(aside) == 1 and (tmp_path / aside[0] / "a.csv").read_text() == "old"
    with pytest.raises(Failed):
        atomic.replace_folder(target, lambda f: (_ for _ in ()).throw(Failed()))
    assert (target / "a.csv").read_text() == "old"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".2021-H1.old-")]


def test_leftovers_of_killed_runs_are_swept_when_an_hour_old(tmp_path):
    target = tmp_path / "2021-H1"
    target.mkdir()
    hour_ago = time.time() - atomic.STALE_SECONDS - 60
    stale_dir, fresh_dir = tmp_path / ".2021-H1.staging-dead", tmp_path / ".2021-H1.staging-live"
    stale_tmp, fresh_tmp = tmp_path / ".x.csv.dead.tmp", tmp_path / ".x.csv.live.tmp"
    lock, other = tmp_path / ".2021-H1.lock", tmp_path / ".2021.staging-dead"  # not leftovers of these targets
    for folder in (stale_dir, fresh_dir, other):
        folder.mkdir()
    for path in (stale_tmp, fresh_tmp, lock):
        path.write_text("x")
    for path in (stale_dir, stale_tmp, lock, other):
        os.utime(path, (hour_ago, hour_ago))
    (target / "old.csv").write_text("old")
    old_aside = tmp_path / ".2021-H1.old-99999"  # a killed run set it aside after the new folder was in
    old_aside.mkdir()
    atomic.replace_folder(target, lambda f: (f / "a.csv").write_text("a"))
    atomic.write_file(tmp_path / "x.csv", lambda p: p.write_text("x"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["2021-H1", "x.csv", fresh_dir.name, fresh_tmp.name, lock.name, other.name])
    assert listing(target) == {"a.csv": b"a"}
