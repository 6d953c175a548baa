"""The pandas-free writers of ``cchc ingest`` (cchc_analysis.store) write the files pandas writes."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cchc_analysis import findings as F
from cchc_analysis.ingest import Collected
from cchc_analysis.pipeline import ingest_frames, ingest_writers, write_frames
from cchc_analysis.store import datetime_texts, write_csv, write_folder

NFD = "Pho\u0300ng Ti\u0300nh"  # 'Phòng Tình' decomposed

UGLY = ["=HYPERLINK(\"http://x\")", "+1+1", "-", "-3", "@SUM(A1)", "'quoted", "a,b", 'say "hi"', "two\nlines",
        "cr\r=cmd", "  =lead", NFD, "", "87,5%", "1.234"]


def collected(received: list) -> Collected:
    """A hand-made period: two files, values with NaN, ugly texts everywhere."""
    n = len(UGLY)
    values = {
        "period": ["2021-H1"] * n,
        "unit": ["NV"] * n,
        "indicator": [f"1.{i}" for i in range(n)],
        "value": [math.nan if i % 4 == 0 else i * 1.5 for i in range(n)],
        "raw": UGLY,
        "source_file": [NFD + ".xlsx"] * n,
        "sheet": ["Phụ lục II"] * n,
        "row": list(range(5, 5 + n)),
        "superseded": [i % 3 == 0 for i in range(n)],
    }
    cells = {"unit": ["NV", ""], "indicator": ["1.1", "2.1"], "status": ["ok", "empty"],
             "source_file": ["a.xlsx", "=b.xlsx"], "sheet": ["PL", "PL"], "row": [7, 8]}
    files = [
        {"source_file": name, "unit": unit, "unit_source": "title", "unit_title": title, "period_found": "2021-H1",
         "received_at": when, "time_source": "submissions.csv", "status": "ok", "sheet": "PL", "n_values": n_values}
        for name, unit, title, when, n_values in [("a.xlsx", "NV", NFD, received[0], 3),
                                                   ("=b.xlsx", "", "=cmd|' /C calc'!A0", received[1], 0)]
    ]
    found = [F.make(check, text, period="2021-H1", unit="NV", source_file=source, sheet="PL", row=row)
             for check, text, source, row in [("missing-value", UGLY[0], "a.xlsx", 7), ("late-report", "cr\r=x", "", None),
                                               ("type-error", 'a "b", c', "=b.xlsx", 12)]]
    return Collected("2021-H1", values, cells, files, found)


@pytest.mark.parametrize("received", [
    [datetime(2021, 6, 10, 9, 0, 5), datetime(2021, 6, 11, 17, 30)],
    [datetime(2021, 6, 10), datetime(2021, 6, 11)],  # dates only: pandas writes the date alone
    [datetime(2021, 6, 10, 9, 0, 0, 250000), datetime(2021, 6, 11, 17, 30)],  # microseconds
])
@pytest.mark.parametrize("converts", [True, False], ids=["pyarrow-converter", "buffer-builders"])
def test_plain_writers_write_what_pandas_writes(tmp_path, monkeypatch, received, converts):
    from cchc_analysis import store

    monkeypatch.setattr(store, "_pyarrow_converts", lambda: converts)
    period = collected(received)
    write_folder(tmp_path / "plain", ingest_writers(period))
    write_frames(tmp_path / "pandas", ingest_frames(period.frames()))
    for name in ("findings.csv", "files.csv"):
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "pandas" / name).read_bytes(), name
    for name in ("values.parquet", "cells.parquet"):
        plain, by_pandas = tmp_path / "plain" / name, tmp_path / "pandas" / name
        pd.testing.assert_frame_equal(pd.read_parquet(plain), pd.read_parquet(by_pandas))
        if int(pd.__version__.split(".")[0]) >= 3:  # pandas 2 wrote its text as 'string', not 'large_string'
            assert pq.read_table(plain).equals(pq.read_table(by_pandas), check_metadata=False)
            assert pq.read_schema(plain).remove_metadata() == pq.read_schema(by_pandas).remove_metadata()


def test_nan_values_are_nulls_as_pandas_writes_them(tmp_path):
    write_folder(tmp_path / "out", ingest_writers(collected([datetime(2021, 6, 10), datetime(2021, 6, 11)])))
    table = pq.read_table(tmp_path / "out" / "values.parquet")
    assert table.column("value").null_count == 4  # rows 0, 4, 8, 12 of the fifteen
    assert pd.read_parquet(tmp_path / "out" / "values.parquet")["row"].dtype == "Int64"


@given(st.lists(st.lists(st.one_of(st.none(), st.text()), min_size=3, max_size=3), max_size=6),
       st.lists(st.integers(-10**6, 10**6), min_size=6, max_size=6))
def test_csv_text_is_pandas_csv_text(rows, numbers):
    """Any text (line breaks, quotes, formula starts, any Unicode) and None; whole numbers."""
    import io
    import tempfile

    from cchc_analysis.safety import safe_frame

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.csv"
        write_csv(path, ["a", "b", "c", "n"], [row + [n] for row, n in zip(rows, numbers)])
        ours = path.read_text(encoding="utf-8")
    frame = pd.DataFrame(rows, columns=["a", "b", "c"], dtype=object).assign(n=numbers[: len(rows)])
    buffer = io.StringIO()
    safe_frame(frame).to_csv(buffer, index=False)
    assert ours == buffer.getvalue()


def test_datetime_texts():
    assert datetime_texts([datetime(2021, 6, 10), None]) == ["2021-06-10", ""]
    assert datetime_texts([datetime(2021, 6, 10, 9, 5)]) == ["2021-06-10 09:05:00"]
    assert datetime_texts([datetime(2021, 6, 10, 9, 5, 1, 5), datetime(2021, 6, 10)]) == [
        "2021-06-10 09:05:01.000005", "2021-06-10 00:00:00.000000"]
    assert datetime_texts([datetime(2021, 6, 10, 9, 5, 1, 250000)]) == ["2021-06-10 09:05:01.250"]
    assert datetime_texts([datetime(221, 6, 15, 8, 30)]) == ["0221-06-15 08:30:00"]  # a mistyped year
    assert datetime_texts([datetime(221, 6, 15)]) == ["0221-06-15"]


def test_ingest_does_not_load_pandas(tmp_path):
    """Reading a folder and writing its files needs neither pandas nor the notebook stack, nor
    numpy (which pyarrow would load if it could)."""
    from cchc_analysis.samples import make_bulk

    make_bulk(tmp_path / "data" / "raw" / "2021-H1", 10)
    code = ("import sys; sys.argv = ['cchc', 'ingest', '--period', '2021-H1', '--root', %r]; "
            "from cchc_analysis.cli import main; rc = main(); "
            "print(sorted(m for m in ('numpy', 'pandas', 'matplotlib', 'papermill', 'openpyxl', 'nbconvert') "
            "if sys.modules.get(m) is not None))"
            % str(tmp_path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    values = pd.read_parquet(tmp_path / "data" / "processed" / "2021-H1" / "values.parquet")
    assert len(values) > 0 and values["row"].dtype == "Int64"


def test_parquet_file_is_byte_for_byte_what_pyarrow_write_table_writes(tmp_path):
    """store writes through pyarrow's writer class without loading pyarrow.parquet: same bytes."""
    import pyarrow as pa

    from cchc_analysis.store import _write_table

    table = pa.table({"text": pa.array([NFD, None, "87,5%"] * 500, type=pa.large_string()),
                      "value": [1.5, None, float("nan")] * 500, "row": pa.array([7, None, 9] * 500, type=pa.int64())})
    table = table.replace_schema_metadata({b"pandas": b"{}"})
    pq.write_table(table, tmp_path / "public.parquet")
    _write_table(table, tmp_path / "ours.parquet")
    assert (tmp_path / "ours.parquet").read_bytes() == (tmp_path / "public.parquet").read_bytes()


def test_ingest_called_from_python_leaves_the_process_whole(tmp_path):
    """main(argv) from a notebook or a script: numpy stays loadable (pandas works afterwards)."""
    from cchc_analysis.samples import make_bulk

    make_bulk(tmp_path / "data" / "raw" / "2021-H1", 2)
    code = ("import sys; from cchc_analysis.cli import main; main(['ingest', '--period', '2021-H1', '--root', %r]); "
            "import pandas; print(len(pandas.read_parquet(%r)))"
            % (str(tmp_path), str(tmp_path / "data" / "processed" / "2021-H1" / "values.parquet")))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip().splitlines()[-1]) > 0
