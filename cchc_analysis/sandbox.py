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
import struct
import time
from collections import deque
from typing import Callable, Iterator

#: files handed to one worker ahead of the one it is reading (so it never waits for the parent)
_AHEAD = 2
#: files handed to each worker while ``on_started`` runs (importing pyarrow or pandas, 40–500 ms
#: of a thread that holds the interpreter most of the time): the workers never wait for it
_AHEAD_WHILE_AWAY = 32


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


#: the largest result a worker may send (far beyond any workbook's rows); more is a crash
MAX_RESULT_BYTES = 256 * 1024 * 1024
_HEADER = struct.Struct("<Q")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, n: int) -> bytes | None:
    data = bytearray()
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _worker(inbox: int, outbox: int, inherited: list[int], work: Callable, items: list, memory_mb: float,
            parent: int) -> None:  # pragma: no cover - runs in the child
    from . import workbook

    for fd in inherited:  # the parent's ends of every pipe, this worker's and the others'
        try:
            os.close(fd)
        except OSError:
            pass
    _die_with_parent(parent)
    _confine(memory_mb)
    os.environ["RUST_BACKTRACE"] = "0"
    workbook.Workbook.in_process = True  # this process is the sandbox: no reader process of its own
    workbook._Reader._instances = {}  # never the parent's reader (its pipe is the parent's)
    while True:
        try:
            header = _read_exact(inbox, 8)
        except OSError:
            break
        if header is None:
            break
        (index,) = _HEADER.unpack(header)
        if index == _STOP_INDEX:
            break
        try:
            result = work(items[index])
            data = pickle.dumps((index, True, result), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:  # the cap was reached in Python code: the process itself is sound
            data = pickle.dumps((index, False, "crash"))
        try:
            _write_all(outbox, _HEADER.pack(len(data)) + data)
        except OSError:
            break
    os._exit(0)


_STOP_INDEX = (1 << 64) - 1


class _Slot:
    """One worker process, its two pipes, the indexes it holds (the first is the one it is
    reading) and what has arrived of its next result. The worker's end of the result pipe is
    held by the worker alone: the pipe ends (reads as closed) exactly when the worker does."""

    def __init__(self, pid: int, to_worker: int, from_worker: int):
        self.pid = pid
        self.to_worker = to_worker
        self.from_worker = from_worker
        self.held: deque[int] = deque()
        self.since = time.monotonic()
        self.buffer = bytearray()
        self.exited = False

    def alive(self) -> bool:
        if self.exited:
            return False
        try:
            pid, _status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            pid = self.pid
        self.exited = pid == self.pid
        return not self.exited

    def send(self, index: int) -> bool:
        try:
            _write_all(self.to_worker, _HEADER.pack(index))
            return True
        except OSError:
            return False

    def receive(self) -> tuple[list[bytes], bool]:
        """The results complete so far, reading all there is without blocking, and whether the
        pipe is finished with: the worker closed it (it died) or announced a result beyond
        :data:`MAX_RESULT_BYTES`."""
        closed = False
        while True:
            try:
                chunk = os.read(self.from_worker, 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            self.buffer += chunk
            if len(self.buffer) >= 8 and _HEADER.unpack_from(self.buffer)[0] > MAX_RESULT_BYTES:
                return [], True
            if len(self.buffer) > MAX_RESULT_BYTES + 8:
                break  # a whole result at most is taken in before it is looked at
        done = []
        while len(self.buffer) >= 8:
            (length,) = _HEADER.unpack_from(self.buffer)
            if length > MAX_RESULT_BYTES:
                return done, True
            if len(self.buffer) < 8 + length:
                break
            done.append(bytes(self.buffer[8 : 8 + length]))
            del self.buffer[: 8 + length]
        return done, closed

    def stop(self, kill: bool = False) -> None:
        if not kill:
            self.send(_STOP_INDEX)
            deadline = time.monotonic() + 5
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.005)
        if self.alive():
            try:
                os.kill(self.pid, 9)
            except OSError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.exited = True
        for fd in (self.to_worker, self.from_worker):
            try:
                os.close(fd)
            except OSError:
                pass


class NoWorker(OSError):
    """Not one worker process could be started (the caller reads in its own process)."""


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
    here: Callable[[object], object] | None = None,
) -> Iterator:
    """``work(item)`` for every item, computed in ``workers`` sandboxed processes, yielded in the
    order of ``items``. ``failed(item, why)`` stands for the result of an item whose worker died
    (``why = "crash"``) or took more than ``seconds`` (``"timeout"``): time counts only while this
    process is waiting for the workers, not while the consumer holds it. ``on_started`` runs in
    a thread of this process once the workers have their first files (work this process can do
    meanwhile, such as imports), while results come in and files are handed out; it is waited
    for before a new worker is forked (no fork while another thread may hold a lock) and at the
    end, where what it raised is raised. ``here(item)``, when given, computes in this process the
    items left when no worker can be started any more (else they fail as ``"crash"``).

    Raises :class:`NoWorker` only when no worker can be started at all, before yielding."""
    import selectors

    from .workbook import private_folder

    parent = os.getpid()
    pending = deque(range(len(items)))
    results: dict[int, object] = {}
    slots: list[_Slot] = []
    private_folder()  # made here, so the copies a killed worker leaves go with this process
    meanwhile = _Meanwhile(on_started)

    def start() -> _Slot:
        meanwhile.wait()  # fork only with this thread alone
        to_read, to_write = os.pipe()  # this process -> worker
        back_read, back_write = os.pipe()  # worker -> this process
        ours = [to_write, back_read] + [fd for slot in slots for fd in (slot.to_worker, slot.from_worker)]
        try:
            pid = os.fork()
        except BaseException:
            for fd in (to_read, to_write, back_read, back_write):
                os.close(fd)
            raise
        if pid == 0:  # pragma: no cover - the worker
            try:
                _worker(to_read, back_write, ours, work, items, memory_mb, parent)
            finally:
                os._exit(1)
        os.close(to_read)
        os.close(back_write)
        os.set_blocking(back_read, False)
        slot = _Slot(pid, to_write, back_read)
        slots.append(slot)
        return slot

    def feed(slot: _Slot, limit: int = _AHEAD) -> None:
        while pending and len(slot.held) < limit:
            index = pending.popleft()
            if not slot.send(index):
                pending.appendleft(index)  # the worker is gone: noticed when its pipe ends
                return
            if not slot.held:
                slot.since = time.monotonic()
            slot.held.append(index)

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

    def take(slot: _Slot) -> None:
        """What the worker has sent; a worker that ended or misbehaved is lost."""
        messages, finished = slot.receive()
        for message in messages:
            try:
                index, ok, result = loads(message)
            except Exception:  # not plain data: the worker is not to be trusted any more
                finished = True
                break
            if not slot.held or index != slot.held[0]:
                finished = True
                break
            slot.held.popleft()
            slot.since = time.monotonic()
            results[index] = result if ok else failed(items[index], "crash")
        if finished:
            lost(slot, "crash")

    def paused(started: float) -> None:
        """This process was away (the consumer, ``on_started``): the workers' clocks wait too."""
        away = time.monotonic() - started
        for slot in slots:
            slot.since += away

    try:
        for _ in range(max(1, min(workers, len(items)))):
            try:
                start()
            except OSError as error:
                if not slots:
                    raise NoWorker(*error.args) from error
                break
        ahead = _AHEAD_WHILE_AWAY if on_started is not None else _AHEAD
        for depth in range(1, ahead + 1):  # one file each first, then the next ones (round robin)
            for slot in slots:
                feed(slot, depth)
        meanwhile.start()
        following = 0
        while following < len(items):
            while following in results:
                started = time.monotonic()
                yield results.pop(following)
                paused(started)
                following += 1
            if following >= len(items):
                break
            if not slots:  # no worker can be started any more: the rest is read here, or fails
                for index in list(pending):
                    results[index] = here(items[index]) if here is not None else failed(items[index], "crash")
                pending.clear()
                continue
            now = time.monotonic()
            deadline = min((s.since + seconds for s in slots if s.held), default=now + seconds)
            with selectors.DefaultSelector() as selector:
                for slot in slots:
                    selector.register(slot.from_worker, selectors.EVENT_READ, slot)
                ready = [key.data for key, _ in selector.select(timeout=max(0.0, deadline - now))]
            for slot in ready:
                if slot in slots:
                    take(slot)
            now = time.monotonic()
            for slot in list(slots):
                if slot.held and now - slot.since > seconds:
                    take(slot)  # a result that came in just now still counts
                    if slot in slots and slot.held and time.monotonic() - slot.since > seconds:
                        lost(slot, "timeout")
            for slot in slots:  # files handed back by a lost worker go to the idle ones too
                feed(slot)
        meanwhile.wait(reraise=True)
    finally:
        meanwhile.wait()
        for slot in list(slots):
            slot.stop(kill=bool(slot.held))


class _Meanwhile:
    """``on_started`` of :func:`ordered_map`, in a thread of its own."""

    def __init__(self, work: Callable[[], None] | None):
        self.work = work
        self.thread = None
        self.error: BaseException | None = None

    def start(self) -> None:
        if self.work is None:
            return
        import threading

        self.thread = threading.Thread(target=self._run, name="cchc-meanwhile", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.work()
        except BaseException as error:  # raised where the caller waits for it
            self.error = error

    def wait(self, reraise: bool = False) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if reraise and self.error is not None:
            error, self.error = self.error, None
            raise error
