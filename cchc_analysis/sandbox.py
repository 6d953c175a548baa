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


def _call(task: Callable, items: list, options: dict) -> list:
    return [task(_CONTEXT, item, **options) for item in items]


#: items handed to a worker at once: a task costs a round trip between the processes (about a
#: millisecond with pebble, as much as reading a small workbook), so files go in small batches
MAX_BATCH = 16


class InWorkers:
    """``task(context, item)`` for each item, in ``workers`` worker processes; iterating gives the
    results in the order of ``items``. The workers start at once (the caller may do other work
    meanwhile, then iterate); use as a context manager, which stops the workers at the end, or when
    the caller stops early (an error, Ctrl-C): no worker is left behind. ``task`` must be a
    module-level function; ``context`` reaches each worker once.

    Items go to the workers in batches (at most :data:`MAX_BATCH`, small enough that every worker
    gets several). A batch whose worker died or overran ``seconds`` is not lost: each of its items
    is tried again alone, so only the item that caused it fails: an item whose worker died yields
    ``retry(item)`` when given (a dict of keyword options for one more try of ``task``, or None),
    else ``failed(item, "crash")`` (also for a ``MemoryError`` the task raised); an item that
    overran ``seconds`` alone yields ``failed(item, "timeout")``."""

    def __init__(self, task: Callable, items: Iterable, *, context, workers: int, memory_mb: float, seconds: float,
                 failed: Callable, retry: Callable | None = None):
        self.task, self.seconds, self.failed, self.retry = task, seconds, failed, retry
        items = list(items)
        size = max(1, min(MAX_BATCH, len(items) // (4 * workers)))
        self.batches = [items[at:at + size] for at in range(0, len(items), size)]
        self.pool = ProcessPool(max_workers=workers, initializer=_start_worker, initargs=(memory_mb, context))
        self.futures = [self.pool.schedule(_call, args=(task, batch, {}), timeout=seconds) for batch in self.batches]

    def __iter__(self) -> Iterator:
        for batch, future in zip(self.batches, self.futures):
            try:
                yield from future.result()
                continue
            except (FutureTimeout, ProcessExpired, MemoryError):
                pass  # one of the batch's items (at least) is to blame: each is tried alone
            for item in batch:
                outcome, result = self._alone(item, {})
                if outcome == "crash" and self.retry is not None and (options := self.retry(item)) is not None:
                    outcome, result = self._alone(item, options)
                yield result if outcome == "ok" else self.failed(item, outcome)

    def _alone(self, item, options: dict) -> tuple[str, object]:
        future = self.pool.schedule(_call, args=(self.task, [item], options), timeout=self.seconds)
        try:
            return "ok", future.result()[0]
        except FutureTimeout:
            return "timeout", None
        except (ProcessExpired, MemoryError):  # died, or Python itself hit the memory cap
            return "crash", None

    def close(self) -> None:
        self.pool.stop()
        self.pool.join()

    def __enter__(self) -> "InWorkers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
