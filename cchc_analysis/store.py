"""Writing a period's output files without pandas, each folder in one atomic step.

``cchc ingest`` writes ``values.parquet``, ``cells.parquet`` (pyarrow) and ``findings.csv``,
``files.csv`` (the csv module) from plain columns, so reading a folder never loads pandas. The
files are the ones pandas would write (same columns, types, pandas metadata and CSV text: a test
holds the two writers to that). :func:`write_folder` is the atomic step every writer of
``data/processed/<period>/`` goes through: all files land together or none does.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import sys
import tempfile
from array import array
from functools import lru_cache
from pathlib import Path
from typing import Callable

from .safety import csv_text

def _open_folder(path: Path) -> None:
    """mkdtemp makes folders readable by their owner only; give them the usual permissions."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o777 & ~mask)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where
    the system or the file system cannot."""
    import ctypes
    import errno

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _recover(out_dir: Path) -> None:
    """A run killed between the two renames of the fallback below left the previous outputs in
    ``.<name>.old-<pid>``: put them back."""
    if out_dir.exists():
        return
    olds = sorted(out_dir.parent.glob(f".{out_dir.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds:
        os.replace(olds[-1], out_dir)


def _sweep(out_dir: Path, older_than: float = 3600) -> None:
    """Remove staging folders that a killed run left beside ``out_dir`` (an hour old or more)."""
    import time

    for leftover in out_dir.parent.glob(f".{out_dir.name}.*"):
        if leftover.is_dir() and ".old-" not in leftover.name:
            try:
                if time.time() - leftover.stat().st_mtime > older_than:
                    shutil.rmtree(leftover, ignore_errors=True)
            except OSError:
                pass


def write_folder(out_dir: Path, writers: dict[str, Callable[[Path], None]]) -> None:
    """Run ``name -> writer(path)`` into a staging folder beside ``out_dir``, then put it in
    place of ``out_dir`` atomically: all files land together, replacing what the folder held."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _recover(out_dir)
    _sweep(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    _open_folder(staging)
    try:
        for name, writer in writers.items():
            writer(staging / name)
        if out_dir.exists():
            if not _exchange(staging, out_dir):  # after an exchange, staging holds the old outputs
                old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
                os.replace(out_dir, old)
                os.replace(staging, out_dir)
                shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# the files, from plain columns

#: pandas' names for the column types written here (its metadata makes ``row`` read back as the
#: nullable Int64 and text as str, exactly as a frame written by pandas would)
_PANDAS_TYPES = {"str": ("object", "str"), "float": ("float64", "float64"), "Int64": ("int64", "Int64"),
                 "bool": ("bool", "bool")}


def write_parquet(path: Path, columns: dict[str, list], types: dict[str, str]) -> None:
    """``columns`` (name -> list, in order) as a Parquet file; ``types`` name -> str | float |
    Int64 | bool. None is a null (NaN too, in a float or Int64 column, as pandas writes it).

    The arrays come from ``pyarrow.array`` where that loads no pandas (:func:`_pyarrow_converts`),
    else from their buffers: loading pandas costs more than reading a district's files."""
    import pyarrow as pa

    fields, arrays, described = [], [], []
    converts = _pyarrow_converts()
    for name, values in columns.items():
        kind = types[name]
        array = _array(pa, list(values), kind, converts)
        fields.append(pa.field(name, array.type))
        arrays.append(array)
        pandas_type, numpy_type = _PANDAS_TYPES[kind]
        described.append({"name": name, "field_name": name, "pandas_type": pandas_type, "numpy_type": numpy_type,
                          "metadata": None})
    metadata = {"index_columns": [], "column_indexes": [], "columns": described, "attributes": {},
                "creator": {"library": "pyarrow", "version": pa.__version__}, "pandas_version": _pandas_version()}
    schema = pa.schema(fields, metadata={b"pandas": json.dumps(metadata).encode()})
    _write_table(pa.Table.from_arrays(arrays, schema=schema), path)


def _write_table(table, path: Path) -> None:
    """The file ``pyarrow.parquet.write_table`` writes (its defaults), through the writer class
    that function uses: the module ``pyarrow.parquet`` itself loads the dataset and file-system
    layers (~35 ms) that writing one local file does not need. Where that class is not as
    expected (another pyarrow), the public function."""
    try:
        from pyarrow import _parquet

        writer = _parquet.ParquetWriter(str(path), table.schema, version="2.6", use_dictionary=True,
                                        compression="snappy", write_statistics=True, writer_engine_version="V2")
    except (ImportError, AttributeError, TypeError, ValueError):
        import pyarrow.parquet as pq

        pq.write_table(table, path)
        return
    try:
        writer.write_table(table)
    finally:
        writer.close()


def prepare_parquet() -> None:
    """Load what :func:`write_parquet` needs (pyarrow, the pandas version it records), ahead of
    the writing: the ingest does it while its workers read."""
    try:
        from pyarrow import _parquet  # noqa: F401  (what _write_table uses)
    except ImportError:
        import pyarrow.parquet  # noqa: F401
    _pandas_version()


def _pyarrow_converts() -> bool:
    """Whether ``pyarrow.array`` may convert the columns: it is C code (a few times faster than
    the buffer builders below), but it checks for pandas objects, and that check imports pandas
    where pandas can be imported and is not yet (~0.5 s). So only where pandas is loaded already,
    or cannot be (numpy kept out of the process: ``cchc ingest``, see :mod:`cchc_analysis.cli`)."""
    return "pandas" in sys.modules or sys.modules.get("numpy", False) is None


def _array(pa, values: list, kind: str, converts: bool):
    """One column as an Arrow array of ``kind`` (None, and NaN in a number column, as nulls)."""
    if converts and kind in _CONVERTED:
        name, nan_is_null, plain = _CONVERTED[kind]
        if set(map(type, values)) <= plain:  # pyarrow and the builders read other types differently
            return pa.array(values, type=getattr(pa, name)(), from_pandas=nan_is_null)
    return _ARRAYS[kind](pa, values)


#: the kinds pyarrow's converter turns into what the builders make, where every value is one of
#: the plain types named (booleans: the builders, which make None False, not null, as pandas'
#: bool column does)
_NONE = type(None)
_CONVERTED = {"str": ("large_string", False, {str, _NONE}), "float": ("float64", True, {float, int, _NONE}),
              "Int64": ("int64", True, {int, _NONE})}


def _bitmap(flags: list[bool]) -> bytes:
    """Arrow's bit-packed booleans (bit i of byte i // 8, least significant first)."""
    if not flags:
        return b""
    number = int("".join("1" if f else "0" for f in reversed(flags)), 2)
    return number.to_bytes((len(flags) + 7) // 8, "little")


def _validity(pa, valid: list[bool]):
    return None if all(valid) else pa.py_buffer(_bitmap(valid))


def _strings(pa, values: list):
    from itertools import accumulate

    known: dict = {None: b""}  # a column repeats its texts (unit, file, sheet): encode each once
    encoded = [known[v] if v in known else known.setdefault(v, str(v).encode("utf-8", "replace")) for v in values]
    offsets = array("q", accumulate((len(e) for e in encoded), initial=0))
    valid = [v is not None for v in values]
    return pa.LargeStringArray.from_buffers(len(values), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded)),
                                            _validity(pa, valid), null_count=valid.count(False))


def _floats(pa, values: list):
    numbers = [math.nan if v is None else float(v) for v in values]
    valid = [v == v for v in numbers]
    return pa.Array.from_buffers(pa.float64(), len(numbers), [_validity(pa, valid), pa.py_buffer(array("d", numbers))],
                                 null_count=valid.count(False))


def _integers(pa, values: list):
    valid = [v is not None and v == v for v in values]
    numbers = array("q", (int(v) if ok else 0 for v, ok in zip(values, valid)))
    return pa.Array.from_buffers(pa.int64(), len(values), [_validity(pa, valid), pa.py_buffer(numbers)],
                                 null_count=valid.count(False))


def _booleans(pa, values: list):
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(_bitmap([bool(v) for v in values]))],
                                 null_count=0)


_ARRAYS = {"str": _strings, "float": _floats, "Int64": _integers, "bool": _booleans}


@lru_cache(maxsize=1)
def _pandas_version() -> str:
    """The pandas version a file written by pandas would record (pandas itself is not loaded)."""
    from .installed import version

    return version("pandas", "pandas") or "2.2.0"


def write_csv(path: Path, header: list[str], rows) -> None:
    """Rows (sequences in ``header``'s order) as UTF-8 CSV the way pandas writes a frame passed
    through :func:`cchc_analysis.safety.safe_frame`: text made safe for spreadsheets, None as an
    empty field, datetimes as ``YYYY-MM-DD HH:MM:SS``."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([_csv_field(value) for value in row] for row in rows)


def datetime_texts(values: list) -> list[str]:
    """Datetimes of one column as pandas writes them to CSV: a date alone when every value is at
    midnight, else seconds, with milliseconds or microseconds when some value needs them; None as
    an empty field."""
    present = [v for v in values if v is not None]
    if present and all(v.hour == v.minute == v.second == v.microsecond == 0 for v in present):
        return ["" if v is None else f"{v.year:04d}-{v.month:02d}-{v.day:02d}" for v in values]
    digits = 0
    if any(v.microsecond for v in present):
        digits = 3 if all(v.microsecond % 1000 == 0 for v in present) else 6
    texts = []
    for v in values:
        if v is None:
            texts.append("")
            continue
        text = f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        texts.append(text + f".{v.microsecond:06d}"[: digits + 1] if digits else text)
    return texts


def _csv_field(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, float) and value != value:
        return ""
    return value

