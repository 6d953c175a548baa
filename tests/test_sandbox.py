"""The sandboxed worker processes that read a folder (cchc_analysis.sandbox)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from cchc_analysis.sandbox import can_fork, ordered_map
from cchc_analysis.workbook import _loads

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs fork")


def failed(item, why):
    return ("failed", item, why)


def run(work, items, **kw):
    options = dict(workers=2, memory_mb=512, seconds=5, failed=failed, loads=_loads)
    options.update(kw)
    return list(ordered_map(work, items, **options))


def test_results_come_back_in_the_order_of_the_items():
    def work(item):
        time.sleep(0.02 if item % 3 == 0 else 0)  # finish out of order
        return item * item

    assert run(work, list(range(20))) == [i * i for i in range(20)]


def test_a_worker_that_dies_costs_its_current_item_only():
    def work(item):
        if item == "chet":
            os.kill(os.getpid(), signal.SIGKILL)
        return item.upper()

    items = ["a", "b", "chet", "c", "d", "e"]
    assert run(work, items) == ["A", "B", ("failed", "chet", "crash"), "C", "D", "E"]


def test_a_worker_that_hangs_is_stopped_after_the_time_allowed():
    def work(item):
        if item == "treo":
            time.sleep(60)
        return item

    started = time.monotonic()
    assert run(work, ["a", "treo", "b", "c"], seconds=1) == ["a", ("failed", "treo", "timeout"), "b", "c"]
    assert time.monotonic() - started < 30


def test_memory_beyond_the_cap_fails_that_item_only():
    def work(item):
        if item == "lon":
            block = bytearray(800 * 1024 * 1024)  # beyond the 256 MB allowed
            return len(block)
        return item

    assert run(work, ["a", "lon", "b"], memory_mb=256) == ["a", ("failed", "lon", "crash"), "b"]


def test_a_result_that_is_not_plain_data_is_refused():
    class Sneaky:
        pass

    def work(item):
        return Sneaky() if item == "x" else item

    assert run(work, ["a", "x", "b"]) == ["a", ("failed", "x", "crash"), "b"]


def test_work_started_meanwhile_runs_once_after_the_workers_have_files():
    calls = []

    def work(item):
        return item + 1

    assert run(work, [1, 2, 3], workers=1, on_started=lambda: calls.append("x")) == [2, 3, 4]
    assert calls == ["x"]


def test_an_abandoned_run_leaves_no_worker_behind():
    def work(item):
        return os.getpid()

    results = ordered_map(work, list(range(10)), workers=2, memory_mb=256, seconds=5, failed=failed, loads=_loads)
    pid = next(results)
    results.close()
    with pytest.raises(ChildProcessError):  # reaped: not even a zombie is left
        os.waitpid(pid, os.WNOHANG)


def _pipe_ends(writable: bool) -> list[int]:
    """This process's pipe descriptors open for writing (or for reading)."""
    import fcntl
    import stat

    found = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                continue
            mode = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
        except OSError:
            continue
        if (mode == os.O_WRONLY) == writable:
            found.append(fd)
    return found


def test_a_worker_that_stops_half_way_through_a_result_is_stopped_in_time():
    """A worker taken over by a file could write part of a result and stall: the parent never
    waits on it beyond the time allowed."""
    before = set(_pipe_ends(writable=True))  # not the worker's own: the test runner's, say

    def work(item):
        if item == "nua chung":
            for fd in set(_pipe_ends(writable=True)) - before:
                os.write(fd, b"\x10\x00\x00\x00\x00\x00\x00\x00abc")
            time.sleep(60)
        return item

    started = time.monotonic()
    assert run(work, ["a", "nua chung", "b"], seconds=1) == ["a", ("failed", "nua chung", "timeout"), "b"]
    assert time.monotonic() - started < 30


def test_a_worker_announcing_a_huge_result_is_a_crash():
    before = set(_pipe_ends(writable=True))

    def work(item):
        if item == "khong lo":
            for fd in set(_pipe_ends(writable=True)) - before:
                os.write(fd, (1 << 40).to_bytes(8, "little"))
            time.sleep(60)
        return item

    assert run(work, ["a", "khong lo", "b"], seconds=20) == ["a", ("failed", "khong lo", "crash"), "b"]


def forks_allowed(monkeypatch, allowed: int) -> None:
    """os.fork fails (EAGAIN, as under memory pressure) after ``allowed`` calls."""
    real = os.fork
    calls = []

    def fork():
        calls.append(1)
        if len(calls) > allowed:
            raise OSError(11, "Resource temporarily unavailable")
        return real()

    monkeypatch.setattr(os, "fork", fork)


def test_files_of_a_dead_worker_go_to_the_others_when_no_new_worker_can_start(monkeypatch):
    forks_allowed(monkeypatch, 2)

    def work(item):
        if item == "x0":
            os.kill(os.getpid(), signal.SIGKILL)
        return item.upper()

    assert run(work, ["x0", "x1", "x2", "x3"], seconds=10) == [("failed", "x0", "crash"), "X1", "X2", "X3"]


def test_every_worker_gets_a_file_before_any_gets_a_second():
    assert len(set(run(lambda item: os.getpid(), [1, 2, 3, 4], workers=4))) == 4


def test_a_worker_holds_no_other_workers_pipes():
    def inodes():
        return {os.fstat(fd).st_ino for fd in _pipe_ends(True) + _pipe_ends(False)}

    before = inodes()
    seen = run(lambda item: inodes() - before, [1, 2], workers=2)
    assert len(seen[0]) == len(seen[1]) and not (seen[0] & seen[1]), seen


def test_workers_put_their_copies_in_this_process_s_folder():
    """What a worker killed mid-copy leaves is removed with this process's private folder."""
    from cchc_analysis import workbook

    folder = str(workbook.private_folder())
    assert run(lambda item: str(workbook._private_name().parent), [1, 2]) == [folder, folder]


def test_time_the_consumer_takes_is_not_charged_to_the_workers():
    """Results of 1 MB fill the pipe while the consumer is busy: no file times out for that."""
    def work(item):
        return item * (1 << 20)

    out = []
    for result in ordered_map(work, ["a", "b", "c", "d"], workers=2, memory_mb=512, seconds=1, failed=failed,
                              loads=_loads, on_started=lambda: time.sleep(1.5)):
        out.append(result if isinstance(result, tuple) else result[:1])
        time.sleep(1.5)
    assert out == ["a", "b", "c", "d"]


def test_files_left_when_no_worker_can_start_again_are_read_here(monkeypatch):
    forks_allowed(monkeypatch, 1)
    here = os.getpid()

    def work(item):
        if item == "x0":
            os.kill(os.getpid(), signal.SIGKILL)
        return (item, os.getpid() == here)

    got = list(ordered_map(work, ["x0", "x1", "x2"], workers=1, memory_mb=512, seconds=10, failed=failed,
                           loads=_loads, here=work))
    assert got == [("failed", "x0", "crash"), ("x1", True), ("x2", True)]


def test_workers_keep_reading_while_on_started_runs():
    """on_started (importing pyarrow or pandas) runs beside the reading: the workers do not wait
    for it."""
    held = {}

    def on_started():
        time.sleep(0.5)
        held["until"] = time.monotonic()

    def work(item):
        return item, time.monotonic()

    results = run(work, list(range(40)), on_started=on_started)
    assert [item for item, _ in results] == list(range(40))
    done_meanwhile = sum(1 for _, at in results if at < held["until"])
    assert done_meanwhile > 2 * 2  # more than two files per worker (what each held before)


def test_a_worker_lost_with_many_files_queued_hands_them_on():
    """A worker that dies while it holds a deep queue (handed out before on_started) costs its
    current file only; the files queued behind it are read by the others."""
    def work(item):
        if item == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return item * 10

    results = run(work, list(range(30)), on_started=lambda: time.sleep(0.2))
    assert results[3] == ("failed", 3, "crash")
    assert [r for i, r in enumerate(results) if i != 3] == [i * 10 for i in range(30) if i != 3]


def test_what_on_started_raises_is_raised_once_every_result_is_in():
    def on_started():
        raise RuntimeError("import failed")

    got = []
    with pytest.raises(RuntimeError, match="import failed"):
        for result in ordered_map(lambda item: item + 1, list(range(6)), workers=2, memory_mb=512, seconds=5,
                                  failed=failed, loads=_loads, on_started=on_started):
            got.append(result)
    assert got == [1, 2, 3, 4, 5, 6]
