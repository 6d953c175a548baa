"""Every path and setting of the product. Nothing else spells a path.

A *workspace* is the folder that holds ``data/`` and ``reports/`` (``--root``, default the current
directory). Settings come from the package's ``data/config.toml``, overridden key by key by the
workspace's own ``cchc.toml`` when it has one.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE_DIR / "data"
#: the parameterised notebooks of a period run (the repository's notebooks/ folder; a workspace
#: may point elsewhere with ``[run] notebooks`` in its cchc.toml)
NOTEBOOKS_DIR = PACKAGE_DIR.parent / "notebooks"
CATALOGUE_DIR = PACKAGE_DATA / "catalogue"
DEFAULT_CONFIG = PACKAGE_DATA / "config.toml"
WORKSPACE_CONFIG = "cchc.toml"
#: inside ``data/processed/<period>/``: the period's record (append-only), the sign-off manifest
#: and the read-only copy of what was sent
AUDIT_FOLDER = "audit"
CLOSED_MANIFEST = "closed.json"
CLOSED_FOLDER = "closed"


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class Workspace:
    """Paths of one workspace; every output of a period lives under ``root``."""

    root: Path = field(default_factory=Path.cwd)

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())

    @property
    def raw_root(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def processed_root(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def reports_root(self) -> Path:
        return self.root / "reports"

    def raw_dir(self, period: str) -> Path:
        return self.raw_root / str(period)

    def processed_dir(self, period: str) -> Path:
        return self.processed_root / str(period)

    def reports_dir(self, period: str) -> Path:
        return self.reports_root / str(period)

    def report_docx(self, period: str) -> Path:
        """The district's draft report of the period (the Phụ lục I outline, Word)."""
        return self.reports_dir(period) / report_docx_name(period)

    def audit_dir(self, period: str) -> Path:
        """The period's record: ``data/processed/<period>/audit/`` (append-only)."""
        return self.processed_dir(period) / AUDIT_FOLDER

    def closed_manifest(self, period: str) -> Path:
        """``data/processed/<period>/closed.json``: present while the period is signed off."""
        return self.processed_dir(period) / CLOSED_MANIFEST

    def closed_dir(self, period: str) -> Path:
        """``data/processed/<period>/closed/``: the read-only copy of the table as sent."""
        return self.processed_dir(period) / CLOSED_FOLDER

    @property
    def catalogue_dir(self) -> Path:
        """A workspace may carry its own catalogues (``catalogue/<year>/``) to override the package's."""
        return self.root / "catalogue"

    def settings(self) -> dict[str, Any]:
        return load_settings(self.root)


def report_docx_name(period: str) -> str:
    """``bao-cao-<period>.docx``: the file name of the district's draft report in ``reports/<period>/``."""
    return f"bao-cao-{period}.docx"


def load_settings(root: Path | str | None = None) -> dict[str, Any]:
    """The package defaults merged with ``<root>/cchc.toml``."""
    with open(DEFAULT_CONFIG, "rb") as handle:
        settings = tomllib.load(handle)
    if root is not None:
        override = Path(root) / WORKSPACE_CONFIG
        if override.is_file():
            with open(override, "rb") as handle:
                settings = _merge(settings, tomllib.load(handle))
    return settings


def deadline(settings: dict[str, Any], period: str) -> datetime | None:
    """The configured deadline of ``period`` (naive local time), or None when none is set."""
    text = settings.get("deadlines", {}).get(str(period))
    if not text:
        return None
    return datetime.fromisoformat(str(text))


# --------------------------------------------------------------------------------------------
# which workspace, which period: a notebook opened by hand, a command pointed at a folder

#: the environment variable naming the workspace of an interactive session (``make lab``)
ROOT_ENV = "CCHC_ROOT"
#: the sample workspace ``make demo`` writes beside the repository
DEMO_ROOT = PACKAGE_DIR.parent / "demo"


class WorkspaceError(FileNotFoundError):
    """A folder that is not a workspace, or a period it has no data for (the message says what to
    do, in Vietnamese)."""


def is_workspace(root: Path | str) -> bool:
    """Whether ``root`` holds a workspace: its ``cchc.toml``, or a ``data/raw/`` or
    ``data/processed/`` folder."""
    root = Path(root)
    return (root / WORKSPACE_CONFIG).is_file() or (root / "data" / "raw").is_dir() \
        or (root / "data" / "processed").is_dir()


def workspace_periods(root: Path | str) -> dict[str, str]:
    """The periods a workspace knows, newest first: period id -> ``checked`` (its
    ``data/processed/<period>/`` holds a check or a backfilled history) or ``raw`` (only files
    waiting in ``data/raw/<period>/``). Folders whose names are not period ids are ignored."""
    from .periods import Period, PeriodError

    ws = Workspace(root)
    found: dict[str, str] = {}
    for folder, state in ((ws.raw_root, "raw"), (ws.processed_root, "checked")):
        if not folder.is_dir():
            continue
        for child in folder.iterdir():
            if not child.is_dir() or child.name.startswith("."):
                continue
            try:
                pid = Period.parse(child.name).id
            except PeriodError:
                continue
            if pid != child.name:
                continue
            if state == "checked" and not ((child / "values.parquet").is_file()
                                           or (child / "consolidated.parquet").is_file()):
                continue
            found[pid] = state if found.get(pid) != "checked" else "checked"
    # newest first: the latest end, and of two periods ending together the longer (H1 before Q2)
    order = sorted(found, key=lambda p: (Period.parse(p).end, -Period.parse(p).start.toordinal()), reverse=True)
    return {p: found[p] for p in order}


def find_workspace(root: Path | str | None = None, start: Path | str | None = None) -> Path:
    """The workspace a notebook works in when its ``root`` parameter is None: the folder named by
    the environment variable ``CCHC_ROOT``; else the nearest folder at or above ``start`` (default:
    the working folder, a notebook's own folder) that holds a ``cchc.toml``, or failing that one
    that holds a period (``data/raw/<period>/`` or a checked ``data/processed/<period>/``); else
    the demo workspace beside the repository (``make demo``) when it exists. A ``root`` given is
    used as it is (resolved). :class:`WorkspaceError` when none is found."""
    import os

    if root is not None and str(root) != "":
        return Path(root).expanduser().resolve()
    named = os.environ.get(ROOT_ENV, "").strip()
    if named:
        path = Path(named).expanduser().resolve()
        if not path.is_dir():
            raise WorkspaceError(f"Biến môi trường {ROOT_ENV} chỉ tới {path}, nhưng thư mục này không tồn tại.")
        return path
    here = Path(start or Path.cwd()).resolve()
    chain = [here, *here.parents]
    for folder in chain:
        if (folder / WORKSPACE_CONFIG).is_file():
            return folder
    for folder in chain:
        if workspace_periods(folder):
            return folder
    if workspace_periods(DEMO_ROOT):
        return DEMO_ROOT.resolve()
    raise WorkspaceError(
        f"Không tìm thấy thư mục làm việc (thư mục chứa data/raw/<kỳ>/) từ {here}: đặt biến môi trường "
        f"{ROOT_ENV}=<thư mục làm việc> trước khi mở JupyterLab, đặt tệp {WORKSPACE_CONFIG} vào thư mục làm việc, "
        "ghi root = \"<thư mục làm việc>\" ở ô tham số, hoặc chạy make demo để có bộ số liệu mẫu."
    )


def newest_period(root: Path | str) -> str:
    """The period a notebook shows when its ``period`` parameter is None: the workspace's newest
    checked period, else its newest period with files waiting (the notebook checks it first).
    :class:`WorkspaceError` when the workspace has none."""
    periods = workspace_periods(root)
    for wanted in ("checked", "raw"):
        for pid, state in periods.items():
            if state == wanted:
                return pid
    raise WorkspaceError(
        f"Thư mục làm việc {Path(root).resolve()} chưa có kỳ báo cáo nào (data/raw/<kỳ>/ hoặc "
        "data/processed/<kỳ>/): hãy chép các tệp của kỳ vào data/raw/<kỳ>/ rồi chạy cchc check --period <kỳ>."
    )


def require_period(root: Path | str, period: str, *, new: bool = False, raw: Path | str | None = None) -> Path:
    """Check, before anything is written, that ``root`` is a workspace and ``period`` one of its
    periods (``data/raw/<period>/`` exists, even empty, or ``data/processed/<period>/`` holds a
    backfilled history; with ``raw``, that folder instead of ``data/raw/<period>/``); return the
    resolved root. ``new=True`` is the one explicit step that starts a period: it creates
    ``data/raw/<period>/`` (and the workspace folder). A mistyped ``--root`` or period raises
    :class:`WorkspaceError` and creates nothing."""
    from .periods import Period

    period = Period.parse(period).id
    ws = Workspace(root)
    if raw is not None and not Path(raw).is_dir():
        raise WorkspaceError(f"Không có thư mục tệp gốc {Path(raw).resolve()} (--raw): kiểm tra lại đường dẫn.")
    if new:
        ws.raw_dir(period).mkdir(parents=True, exist_ok=True)
        return ws.root
    if not ws.root.is_dir():
        raise WorkspaceError(
            f"Không có thư mục làm việc {ws.root}: kiểm tra lại --root. Để bắt đầu một thư mục làm việc mới "
            f"với kỳ {period}: thêm --new (tạo {ws.raw_dir(period)}), hoặc tạo thư mục đó rồi chép các tệp vào."
        )
    if not is_workspace(ws.root):
        raise WorkspaceError(
            f"{ws.root} không phải thư mục làm việc (không có data/raw/, data/processed/ hay {WORKSPACE_CONFIG}): "
            f"kiểm tra lại --root. Để bắt đầu kỳ {period} tại đây: thêm --new, hoặc tạo thư mục "
            f"{ws.raw_dir(period)} rồi chép các tệp vào."
        )
    backfilled = (ws.processed_dir(period) / "consolidated.parquet").is_file()
    if raw is None and not ws.raw_dir(period).is_dir() and not backfilled:
        known = ", ".join(workspace_periods(ws.root)) or "chưa có kỳ nào"
        raise WorkspaceError(
            f"Kỳ {period} chưa có trong {ws.root}: không có thư mục tệp gốc {ws.raw_dir(period)} và chưa nạp "
            f"lịch sử (cchc backfill). Các kỳ đã có: {known}. Để bắt đầu kỳ mới: thêm --new, hoặc tạo thư mục "
            "đó (có thể để trống) rồi chép các tệp vào."
        )
    return ws.root
