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

A period's entries are one file, ``<period>.results`` (a mapping of key to the entry's bytes),
read once at the start of a run and replaced at its end by the entries of that run's workbooks:
a first run of a province's period writes one file, not hundreds, and what no longer describes a
workbook of the folder (a replaced file, another catalogue) goes with the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """A digest of the package's code and of the workbook parser's version."""
    import sys
    import unicodedata

    from .installed import version

    parser = version("python-calamine", "python_calamine") or ""
    digest = hashlib.sha256(f"{parser}|{sys.version}|{unicodedata.unidata_version}".encode())
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
        self.max_bytes = int(getattr(limits, "max_file_mb", 50) * 1024 * 1024)
        context = json.dumps([code_stamp(), period, repr(limits), catalogue_rows, unit_rows], sort_keys=True,
                             default=str, ensure_ascii=False)
        self.context = hashlib.sha256(context.encode()).hexdigest()
        self.path = self.folder / f"{period}.results"
        self._kept: dict[str, bytes] | None = None  # what the last run kept, read on first use
        self._new: dict[str, bytes] = {}  # what this run keeps

    def key(self, source_file: str, path: Path) -> str | None:
        """The key of a workbook (None when the file cannot be read or is beyond the size
        limit, which reading refuses anyway: then it is not cached)."""
        try:
            with open(path, "rb") as handle:
                if os.fstat(handle.fileno()).st_size > self.max_bytes:
                    return None
                content = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            return None
        return hashlib.sha256(f"{self.context}\0{source_file}\0{content}".encode()).hexdigest()

    def _load(self) -> dict[str, bytes]:
        """The entries the last run of the period kept (none where the file is absent or damaged)."""
        if self._kept is None:
            from .workbook import _loads

            self._kept = {}
            try:
                with open(self.path, "rb") as handle:
                    kept = _loads(handle.read())
            except Exception:  # absent, damaged, or not plain data: every workbook is read again
                return self._kept
            if isinstance(kept, dict):
                self._kept = {k: v for k, v in kept.items() if isinstance(k, str) and isinstance(v, bytes)}
        return self._kept

    def get(self, key: str | None):
        if key is None:
            return None
        from .workbook import _loads

        entry = self._load().get(key)
        if entry is None:
            return None
        try:
            found = _loads(entry)
        except Exception:  # damaged, or not plain data: read the file again
            return None
        if not _well_formed(found):
            return None
        self._new[key] = entry  # still a workbook of the folder: kept for the next run
        return found

    def put(self, key: str | None, result) -> None:
        """Keep ``result`` under ``key`` for the next run (written by :meth:`save`)."""
        if key is None:
            return
        try:
            self._new[key] = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an unpicklable value: the next run reads the file again
            pass

    def save(self) -> None:
        """Replace the period's file by this run's entries (written whole or not at all; a
        failure only costs speed). No entry: no file."""
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            if not self._new:
                self.path.unlink(missing_ok=True)
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as handle:
                pickle.dump(self._new, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, self.path)
        except Exception:  # a full disc, a read-only folder: the next run reads the files again
            try:
                temp.unlink(missing_ok=True)
            except OSError:
                pass


def _well_formed(found) -> bool:
    """A result as :func:`cchc_analysis.ingest._read_one` gives it: (record, findings, columns)."""
    if not (isinstance(found, tuple) and len(found) == 3):
        return False
    record, findings, columns = found
    return (isinstance(record, dict) and isinstance(findings, list) and all(isinstance(f, dict) for f in findings)
            and isinstance(columns, dict) and all(isinstance(v, list) for v in columns.values())
            and len({len(v) for v in columns.values()}) <= 1)
