"""Reading many workbooks at once, each in a bounded worker process.

A period's folder is read by forked worker processes, one per usable core (one for a small
folder). Each worker is the sandbox of the files it reads: its address space is capped at
``max_reader_mb`` above what it started with, it cannot dump core, and what it prints goes
nowhere. The parent hands out files one or two at a time and keeps, per worker, the file it is on
and since when:

- a worker that dies on a file (memory cap, a crash in the parser) costs that file only: the
  parent records it as refused (``why = "crash"``), starts a fresh worker and hands the files
  that worker still held to the others;
- a worker that spends more than ``max_read_seconds`` on one file is killed the same way
  (``why = "timeout"``);
- results come back as plain data through a pipe, unpickled with only plain types allowed (a
  worker that a hostile file took over cannot make the parent run anything), and are yielded
  in the order of the items, so the outputs are those of reading the files one after the other.

This replaces, for folders, the per-request reader process of :mod:`cchc_analysis.workbook`:
the workbook is parsed inside the sandbox itself, so no sheet crosses a pipe, only the rows that
matched. Where processes cannot be forked the caller reads in its own process instead.
"""

from __future__ import annotations

import os
import pickle
import time
from collections import deque
from typing import Callable, Iterator

#: files handed to one worker ahead of the one it is reading (so it never waits for the parent)
_AHEAD = 2
_STOP = b"stop"


def can_fork() -> bool:
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    return not multiprocessing.current_process().daemon  # a daemonic process may not start processes


def _confine(memory_mb: float) -> None:
    """Cap this process's address space at ``memory_mb`` above its current size; no core files;
    standard output and error to /dev/null (a parser's panic message is not the user's business)."""
    try:
        import resource

        with open("/proc/self/status") as status:
            vm = next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:")), 0)
        limit = vm + int(memory_mb * 1024 * 1024)
        if vm:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except Exception:
        pass
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies (a killed run leaves no reader behind)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _worker(conn, work: Callable, items: list, memory_mb: float, parent: int) -> None:  # pragma: no cover - child
    from . import workbook

    _die_with_parent(parent)
    _confine(memory_mb)
    os.environ["RUST_BACKTRACE"] = "0"
    workbook.Workbook.in_process = True  # this process is the sandbox: no reader process of its own
    workbook._Reader._instances = {}  # never the parent's reader (its pipe is the parent's)
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            break
        if message == _STOP:
            break
        index = int(message)
        try:
            result = work(items[index])
            data = pickle.dumps((index, True, result), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:  # the cap was reached in Python code: the process itself is sound
            data = pickle.dumps((index, False, "crash"))
        try:
            conn.send_bytes(data)
        except (OSError, ValueError):
            break
    os._exit(0)


class _Slot:
    """One worker process and the indexes it holds (the first is the one it is reading)."""

    def __init__(self, process, conn):
        self.process = process
        self.conn = conn
        self.held: deque[int] = deque()
        self.since = time.monotonic()

    def stop(self, kill: bool = False) -> None:
        try:
            if kill:
                self.process.kill()
            else:
                self.conn.send_bytes(_STOP)
        except (OSError, ValueError, AttributeError):
            pass
        self.process.join(timeout=None if kill else 5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def ordered_map(
    work: Callable,
    items: list,
    *,
    workers: int,
    memory_mb: float,
    seconds: float,
    failed: Callable[[object, str], object],
    loads: Callable[[bytes], object] = pickle.loads,
    on_started: Callable[[], None] | None = None,
) -> Iterator:
    """``work(item)`` for every item, computed in ``workers`` sandboxed processes, yielded in the
    order of ``items``. ``failed(item, why)`` stands for the result of an item whose worker died
    (``why = "crash"``) or took more than ``seconds`` (``"timeout"``). ``on_started`` runs in this
    process once the workers have their first files (work this process can do meanwhile).

    Raises ``OSError`` only when no worker can be started at all (the caller then reads in its
    own process)."""
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("fork")
    pending = deque(range(len(items)))
    results: dict[int, object] = {}
    slots: list[_Slot] = []

    def start() -> _Slot:
        parent, child = context.Pipe(duplex=True)
        process = context.Process(target=_worker, args=(child, work, items, memory_mb, os.getpid()), daemon=True)
        process.start()
        child.close()
        slot = _Slot(process, parent)
        slots.append(slot)
        return slot

    def feed(slot: _Slot) -> None:
        while pending and len(slot.held) < _AHEAD:
            index = pending.popleft()
            if not slot.held:
                slot.since = time.monotonic()
            slot.held.append(index)
            try:
                slot.conn.send_bytes(b"%d" % index)
            except (OSError, ValueError):
                return  # the worker is gone: noticed below through its sentinel

    def lost(slot: _Slot, why: str) -> None:
        """The worker died or was killed: its current file failed, the others go back."""
        slots.remove(slot)
        slot.stop(kill=True)
        if slot.held:
            index = slot.held.popleft()
            results[index] = failed(items[index], why)
            pending.extendleft(reversed(slot.held))
            slot.held.clear()
        if pending:
            try:
                feed(start())
            except OSError:
                pass  # no new worker: the others take the files

    try:
        for _ in range(max(1, min(workers, len(items)))):
            try:
                start()
            except OSError:
                if not slots:
                    raise
                break
        for slot in slots:
            feed(slot)
        if on_started is not None:
            on_started()
        following = 0
        while following < len(items):
            while following in results:
                yield results.pop(following)
                following += 1
            if following >= len(items):
                break
            if not slots:  # every worker failed to start again: nothing can read the rest
                for index in list(pending):
                    results[index] = failed(items[index], "crash")
                pending.clear()
                continue
            now = time.monotonic()
            deadline = min((s.since + seconds for s in slots if s.held), default=now + seconds)
            waitables = {}
            for slot in slots:
                waitables[slot.conn] = slot
                waitables[slot.process.sentinel] = slot
            ready = wait(list(waitables), timeout=max(0.0, deadline - now))
            for slot in {waitables[r] for r in ready}:
                if slot not in slots:
                    continue
                while slot.held:
                    try:
                        if not slot.conn.poll():
                            break
                        index, ok, result = loads(slot.conn.recv_bytes())
                    except Exception:
                        lost(slot, "crash")
                        break
                    if index != slot.held[0]:
                        lost(slot, "crash")
                        break
                    slot.held.popleft()
                    slot.since = time.monotonic()
                    results[index] = result if ok else failed(items[index], "crash")
                if slot in slots:
                    if not slot.process.is_alive():
                        lost(slot, "crash")
                    else:
                        feed(slot)
            now = time.monotonic()
            for slot in list(slots):
                if slot.held and now - slot.since > seconds:
                    lost(slot, "timeout")
    finally:
        for slot in list(slots):
            slot.stop(kill=bool(slot.held))
