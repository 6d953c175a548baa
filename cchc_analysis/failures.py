"""What the environment did to a command, said in one line with what to do.

A command of the product stops for two kinds of reasons. A problem in the data is never one of
them (it is a finding). The environment is: a full disk, a read-only, vanished or forbidden
workspace, memory running out, a kernel killed, a signal from cron, systemd or a person
(``SIGTERM``, ``SIGINT``, ``SIGHUP``). :func:`one_line` turns such an error into one Vietnamese
line (what failed, what to do); ``cchc`` prints it and exits with code 2 (``--debug`` adds the
traceback).

:func:`signals_raise` makes those signals raise :class:`Interrupted` in the main thread, so the
``finally`` blocks run as for Ctrl-C: the staging folder goes, the period's lock is released, the
previous outputs stay. A second signal while that cleanup runs is ignored, and
:func:`signals_held` defers a signal over a few lines that must not be split (the two renames of a
folder swap). A ``kill -9`` cannot be caught: what it leaves is removed by the next run of the
period (:func:`cchc_analysis.pipeline.period_lock`).
"""

from __future__ import annotations

import errno
import os
import re
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

#: the signals a command turns into :class:`Interrupted`
SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))

#: what every line of an environment failure ends with (true by construction: every output is
#: written whole or not at all, :mod:`cchc_analysis.atomic`)
KEPT = "không tệp kết quả nào bị ghi dở (kết quả đã có được giữ nguyên)"


class Interrupted(KeyboardInterrupt):
    """The command was asked to stop by a signal (``signum``)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return str(self.signum)


class _State:
    installed = False  # our handler is in place (this process, main thread)
    fired = False  # Interrupted was raised once: the next signals are ignored while cleaning up
    held = 0  # inside signals_held(): a signal waits in ``pending``
    pending: int | None = None


def _handler(signum, frame) -> None:
    if _State.fired:
        return
    if _State.held:
        _State.pending = _State.pending or signum
        return
    _State.fired = True
    raise Interrupted(signum)


def _default_in_child() -> None:
    """A forked worker (pebble) must die of ``SIGTERM`` as any process does: its parent stops it
    that way, and a handler that only runs between bytecodes would leave it running inside a
    parser."""
    if _State.installed:
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_DFL if signum != signal.SIGINT else signal.default_int_handler)
        _State.installed = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_default_in_child)


@contextmanager
def signals_raise():
    """While the block runs, ``SIGTERM``, ``SIGINT`` and ``SIGHUP`` raise :class:`Interrupted` in
    the main thread (once; later ones are ignored so that cleanup finishes). The previous handlers
    come back afterwards. Outside the main thread, nothing is changed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    _State.installed, _State.fired, _State.held, _State.pending = True, False, 0, None
    for signum in SIGNALS:
        signal.signal(signum, _handler)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        _State.installed = False


@contextmanager
def signals_held():
    """Defer :class:`Interrupted` until the block is done (two renames that must both happen).
    Without :func:`signals_raise` in force, this does nothing."""
    _State.held += 1
    try:
        yield
    finally:
        _State.held -= 1
        if not _State.held and _State.pending is not None and _State.installed and not _State.fired:
            signum, _State.pending = _State.pending, None
            _State.fired = True
            raise Interrupted(signum)


# --------------------------------------------------------------------------------------------
# one line per failure

_GONE = (errno.ENOENT, errno.ENOTDIR)
_DISCONNECTED = tuple(getattr(errno, n) for n in ("ESTALE", "ENODEV", "ENXIO", "ENOTCONN", "EHOSTDOWN", "ENOMEDIUM")
                      if hasattr(errno, n))
_STAGED = re.compile(r"^\.(?P<name>.+)\.(?:staging-[A-Za-z0-9_]+|[A-Za-z0-9_]+\.tmp|old-\d+)$")


def shown(path, root: Path | None = None) -> str:
    """``path`` as a person knows it: relative to the workspace ``root``, a staging folder or a
    temporary file named as the output it was becoming (``reports/.2021-H1.staging-x1/summary.html``
    -> ``reports/2021-H1/summary.html``)."""
    path = Path(os.fsdecode(path))
    if root is not None and path.is_absolute():
        try:
            inside = path.resolve().relative_to(Path(root).resolve())
            path = inside if inside.parts else path  # the workspace itself by its full name
        except (ValueError, OSError):
            pass
    parts = [(_STAGED.match(part).group("name") if _STAGED.match(part) else part) for part in path.parts]
    return Path(*parts).as_posix() if parts else str(path)


def errno_advice(code: int | None, *, path: str = "", root: str = "") -> tuple[str, str] | None:
    """(what happened, what to do) for an error number of the environment, or None when the
    number says nothing a person can act on."""
    where = f"ổ đĩa chứa thư mục làm việc {root}" if root else "ổ đĩa chứa thư mục làm việc"
    target = path or (f"một tệp trong {root}" if root else "một tệp")
    if code == errno.ENOSPC:
        return f"{where} đã đầy", "hãy giải phóng chỗ trống trên ổ đĩa rồi chạy lại"
    if code == getattr(errno, "EDQUOT", None):
        return (f"đã dùng hết hạn mức dung lượng (quota) trên {where}",
                "hãy xóa bớt tệp hoặc xin tăng hạn mức rồi chạy lại")
    if code == errno.EFBIG:
        return (f"không ghi được {target}: tệp vượt giới hạn kích thước tệp của hệ thống (ulimit -f)",
                "hãy nới giới hạn này cho người dùng chạy lệnh (hoặc giải phóng chỗ trống) rồi chạy lại")
    if code == errno.EROFS:
        return (f"thư mục làm việc {root} đang ở chế độ chỉ đọc".replace("  ", " "),
                "hãy gắn lại ổ đĩa ở chế độ ghi được rồi chạy lại")
    if code in (errno.EACCES, errno.EPERM):
        return (f"không có quyền ghi hoặc đọc {target}",
                "hãy cấp quyền ghi thư mục làm việc cho người dùng chạy lệnh (chown/chmod) rồi chạy lại")
    if code in _GONE:
        return (f"không tìm thấy {target}: thư mục làm việc đã bị xóa, đổi tên hoặc ổ đĩa bị ngắt kết nối",
                "hãy kiểm tra thư mục làm việc (--root) rồi chạy lại")
    if code in _DISCONNECTED:
        return f"{where} bị ngắt kết nối", "hãy kết nối lại ổ đĩa rồi chạy lại"
    if code == errno.EIO:
        return f"lỗi đọc/ghi của {where}", "hãy kiểm tra ổ đĩa (dmesg, fsck) rồi chạy lại"
    if code == errno.ENOMEM:
        return "máy hết bộ nhớ", "hãy đóng bớt chương trình khác hoặc chạy lúc máy rảnh"
    if code in (errno.EMFILE, errno.ENFILE):
        return "quá nhiều tệp đang mở", "hãy tăng giới hạn số tệp mở (ulimit -n) rồi chạy lại"
    return None


_ERRNO_IN_TEXT = re.compile(r"\[Errno (\d+)\]")
_LIBXML_IO = re.compile(r"\bIO_(E[A-Z]+)\b")


def errno_in(text: str) -> int | None:
    """The error number an exception's text names: ``[Errno 28] No space left on device`` (an
    ``OSError`` raised in a notebook's kernel, as it reaches the run), or libxml2's ``IO_ENOSPC``
    (lxml's ``SerialisationError`` when openpyxl's writer meets a full disk)."""
    found = _ERRNO_IN_TEXT.search(str(text or ""))
    if found:
        return int(found.group(1))
    found = _LIBXML_IO.search(str(text or ""))
    return getattr(errno, found.group(1), None) if found else None


def _flat(text: str) -> str:
    return " ".join(str(text).split())


def one_line(error: BaseException, root: Path | str | None = None, command: str = "") -> str:
    """The line ``cchc`` prints for a failure of the environment (or an unexpected error):
    ``Lỗi: <what failed>; <what to do>; <what was kept>.``"""
    root_text = str(root) if root is not None else ""
    doing = f"cchc {command}".strip()
    if isinstance(error, KeyboardInterrupt):
        name = error.name if isinstance(error, Interrupted) else "SIGINT"
        return (f"Lỗi: lệnh {doing} đã dừng giữa chừng vì nhận tín hiệu {name} (Ctrl-C, cron, systemd hoặc người "
                f"quản trị dừng lệnh); {KEPT}, phần dở dang đã được dọn hoặc sẽ được dọn ở lần chạy sau. "
                "Hãy chạy lại lệnh khi cần.")
    if isinstance(error, MemoryError):
        return (f"Lỗi: lệnh {doing} không chạy tiếp được vì máy hết bộ nhớ; {KEPT}. "
                "Hãy đóng bớt chương trình khác hoặc chạy lúc máy rảnh.")
    if isinstance(error, OSError):
        path = ""
        for name in (error.filename, error.filename2):
            if name:
                path = shown(name, root)
                break
        advice = errno_advice(error.errno, path=path, root=root_text)
        detail = f" ({error.strerror})" if error.strerror else ""
        if advice is None:
            what = f"lỗi hệ thống khi đọc hoặc ghi {path or 'một tệp'} ({_flat(error.strerror or error)})"
            todo, detail = "hãy kiểm tra thư mục làm việc rồi chạy lại (thêm --debug để xem chi tiết)", ""
        else:
            what, todo = advice
        return f"Lỗi: lệnh {doing} không chạy tiếp được: {what}{detail}; {KEPT}. {todo[0].upper()}{todo[1:]}."
    return (f"Lỗi: lệnh {doing} dừng vì một lỗi không lường trước ({type(error).__name__}: {_flat(error)[:300]}); "
            f"{KEPT}. Hãy chạy lại với --debug để xem chi tiết và gửi cho người phát triển.")
