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
