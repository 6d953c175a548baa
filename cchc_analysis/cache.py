"""What reading a workbook gave, kept for the next run of the same period.

A period is re-checked each time a corrected file arrives: of 300 workbooks, 299 are the ones read
last time. Each workbook's result (its rows, its findings, what the file is) is kept under
``data/processed/.cache/ingest/`` keyed by everything the result depends on:

- the file's bytes (SHA-256) and its name in the period's folder (the name can say the unit);
- the period, the reading limits, the indicator catalogue and the units registry in force;
- the code that reads (every module of the package) and the python-calamine version.

Any change to one of them is another key, so an entry is either exactly what reading the file now
would give, or not used. Results of a worker that crashed or ran out of time are never kept (the
next run tries again). Entries are read back with the same plain-data-only unpickler as worker
results, and a damaged entry is read as absent. ``CCHC_CACHE=0`` turns the cache off; deleting the
folder is always safe (it is rebuilt).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """A digest of the package's code and of the workbook parser's version."""
    import python_calamine

    digest = hashlib.sha256(str(getattr(python_calamine, "__version__", "")).encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def enabled() -> bool:
    return os.environ.get("CCHC_CACHE", "1").strip().lower() not in ("0", "no", "false", "off")


class ResultCache:
    """Results of reading workbooks in one context (period, limits, catalogue, units, code)."""

    def __init__(self, folder: Path, period: str, limits, catalogue_rows: list[dict], unit_rows: list[dict]):
        self.folder = Path(folder)
        context = json.dumps([code_stamp(), period, repr(limits), catalogue_rows, unit_rows], sort_keys=True,
                             default=str, ensure_ascii=False)
        self.context = hashlib.sha256(context.encode()).hexdigest()

    def key(self, source_file: str, path: Path) -> str | None:
        """The key of a workbook (None when the file cannot be read: then it is not cached)."""
        try:
            content = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            return None
        return hashlib.sha256(f"{self.context}\0{source_file}\0{content}".encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def get(self, key: str | None):
        if key is None:
            return None
        from .workbook import _loads

        try:
            return _loads(self._path(key).read_bytes())
        except Exception:  # absent, damaged, or not plain data: read the file again
            return None

    def put(self, key: str | None, result) -> None:
        """Keep ``result`` under ``key`` (written whole or not at all; a failure only costs speed)."""
        if key is None:
            return
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temp, target)
            finally:
                if os.path.exists(temp):
                    os.unlink(temp)
        except OSError:
            pass
