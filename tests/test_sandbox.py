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
    import multiprocessing

    def work(item):
        return item

    results = ordered_map(work, list(range(10)), workers=2, memory_mb=256, seconds=5, failed=failed, loads=_loads)
    assert next(results) == 0
    results.close()
    assert [p for p in multiprocessing.active_children() if p.is_alive()] == []
