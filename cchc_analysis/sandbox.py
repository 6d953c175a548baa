"""Reading many workbooks at once, each in a worker process with a memory cap and a time limit.

A period's folder is read by a :class:`pebble.ProcessPool` of worker processes, one per usable
core (one for a small folder). A worker's address space is capped at ``memory_mb`` above what it
started with (``resource.setrlimit``), it writes no core file, and what a parser prints goes
nowhere. So:

- a file that makes its worker exhaust memory or crash (python-calamine aborts the process when
  a sheet asks for more memory than the cap) costs that file only: pebble reports the worker's
  end (``ProcessExpired``), starts a fresh one, and the caller is told ``why="crash"``;
- a file that takes longer than ``seconds`` is stopped the same way (``why="timeout"``);
- results come back as plain data (dicts, lists, strings, numbers), in the order of the items,
  so the outputs are those of reading the files one after the other.

The workers bound memory and time; they are not an operating-system sandbox (same user, same
file system).
"""

from __future__ import annotations

import faulthandler
import os
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Callable, Iterable, Iterator

from pebble import ProcessExpired, ProcessPool

#: what the worker's task reads besides its item (set once per worker by :func:`_start_worker`)
_CONTEXT = None


def _start_worker(memory_mb: float, context) -> None:
    """Runs first in every worker: the memory cap, no core files, output to /dev/null."""
    global _CONTEXT
    _CONTEXT = context
    faulthandler.disable()  # a parser that aborts on a hostile file is expected: no dump of it
    try:
        import resource

        with open("/proc/self/status") as status:
            size = next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:")), 0)
        if size:
            limit = size + int(memory_mb * 1024 * 1024)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: no cap, the time limit still holds
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass


def _call(task: Callable, item, options: dict):
    return task(_CONTEXT, item, **options)


def map_in_workers(task: Callable, items: Iterable, *, context, workers: int, memory_mb: float, seconds: float,
                   failed: Callable, retry: Callable | None = None) -> Iterator:
    """``task(context, item)`` for each item, in ``workers`` worker processes, yielded in the
    order of ``items``. ``task`` must be a module-level function; ``context`` reaches each worker
    once. An item whose worker died yields ``retry(item)`` when given (a dict of keyword options
    for a second try of ``task`` in a fresh worker, or None for no second try), else
    ``failed(item, "crash")`` (also for a ``MemoryError`` the task raised); an item that overran ``seconds`` yields ``failed(item, "timeout")``."""
    items = list(items)
    pool = ProcessPool(max_workers=workers, initializer=_start_worker, initargs=(memory_mb, context))
    try:
        futures = [pool.schedule(_call, args=(task, item, {}), timeout=seconds) for item in items]
        for item, future in zip(items, futures):
            try:
                yield future.result()
                continue
            except FutureTimeout:
                yield failed(item, "timeout")
                continue
            except (ProcessExpired, MemoryError):  # died, or Python itself hit the memory cap
                options = retry(item) if retry is not None else None
            if options is None:
                yield failed(item, "crash")
                continue
            second = pool.schedule(_call, args=(task, item, options), timeout=seconds)
            try:
                yield second.result()
            except FutureTimeout:
                yield failed(item, "timeout")
            except (ProcessExpired, MemoryError):
                yield failed(item, "crash")
        pool.close()
    finally:
        pool.stop()  # a consumer that stopped early, or Ctrl-C: no worker is left behind
        pool.join()
