"""The worker processes that read a folder (cchc_analysis.sandbox): order, and a worker's death,
hang or memory exhaustion costing its own item only."""

from __future__ import annotations

import os
import time

from cchc_analysis.sandbox import InWorkers


def failed(item, why):
    return ("failed", item, why)


def run(task, items, **options):
    settings = dict(context={"factor": 10}, workers=2, memory_mb=256, seconds=5, failed=failed)
    settings.update(options)
    with InWorkers(task, items, **settings) as results:
        return list(results)


def square(context, item):
    time.sleep(0.02 if item % 3 == 0 else 0)  # finish out of order
    return item * item * context["factor"]


def dies_on_three(context, item, gentle: bool = False):
    if item == 3 and not gentle:
        os._exit(9)  # as a parser that aborts the process
    return item


def hangs_on_two(context, item):
    if item == 2:
        time.sleep(60)
    return item


def eats_memory_on_one(context, item):
    if item == 1:
        hoard = bytearray(1024 * 1024 * 1024)  # 1 GB, beyond the 256 MB cap
        return len(hoard)
    return item


def test_results_come_back_in_the_order_of_the_items_with_the_context():
    assert run(square, range(10)) == [i * i * 10 for i in range(10)]


def test_a_worker_that_dies_costs_its_item_only():
    assert run(dies_on_three, [1, 2, 3, 4, 5]) == [1, 2, ("failed", 3, "crash"), 4, 5]


def test_an_item_whose_worker_died_is_tried_again_with_the_retry_options():
    retried = run(dies_on_three, [2, 3, 4], retry=lambda item: {"gentle": True})
    assert retried == [2, 3, 4]
    assert run(dies_on_three, [3], retry=lambda item: None) == [("failed", 3, "crash")]


def test_a_worker_that_hangs_is_stopped_after_the_time_allowed():
    started = time.monotonic()
    assert run(hangs_on_two, [1, 2, 3], seconds=1) == [1, ("failed", 2, "timeout"), 3]
    assert time.monotonic() - started < 20


def test_memory_beyond_the_cap_fails_that_item_only():
    assert run(eats_memory_on_one, [0, 1, 2]) == [0, ("failed", 1, "crash"), 2]
