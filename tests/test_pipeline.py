"""A period's files as the pipeline writes them (``ingest_frames`` + ``write_frames``: what
``cchc ingest`` and ``cchc check`` write) and as people and the notebooks read them back."""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime

import pandas as pd
import pyarrow.parquet as pq

from cchc_analysis import findings as F
from cchc_analysis.ingest import CELL_COLUMNS, FILE_COLUMNS, VALUE_COLUMNS, Collected
from cchc_analysis.pipeline import ingest_frames, load_period, write_frames

PERIOD = "2021-H1"
TP = "Phòng Tư pháp"  # NFC, as ingest stores every text


def finding(check: str, severity: str, message: str, source_file: str, row: int | None) -> dict:
    return {"period": PERIOD, "unit": "NV", "indicator": "1.1", "check": check, "severity": severity,
            "message": message, "source_file": source_file, "sheet": "PL", "row": row}


def collected() -> Collected:
    """A hand-made period: a percent read as 87.5, a blank, a superseded value, texts that a
    spreadsheet would run as formulas, a carriage return, quotes and commas."""
    values = {
        "period": [PERIOD] * 3, "unit": ["NV"] * 3, "indicator": ["1.1", "1.2", "1.3"],
        "value": [87.5, math.nan, 3.0], "raw": ["87,5%", "=1+1", "-3"],
        "source_file": [f"{TP}.xlsx"] * 3, "sheet": ["Phụ lục II"] * 3, "row": [7, 8, 9],
        "superseded": [False, False, True],
    }
    cells = {"unit": ["NV", ""], "indicator": ["1.1", "2.1"], "status": ["ok", "empty"],
             "source_file": ["a.xlsx", "=b.xlsx"], "sheet": ["PL", "PL"], "row": [7, 8]}
    files = [
        {"source_file": "a.xlsx", "unit": "NV", "unit_source": "title", "unit_title": TP, "period_found": PERIOD,
         "received_at": datetime(2021, 6, 10, 9, 0, 5), "time_source": "submissions.csv", "status": "ok",
         "sheet": "PL", "n_values": 3},
        {"source_file": "=b.xlsx", "unit": "", "unit_source": "", "unit_title": "=cmd|' /C calc'!A0",
         "period_found": PERIOD, "received_at": datetime(2021, 6, 11, 17, 30), "time_source": "mtime",
         "status": "unknown-unit", "sheet": "PL", "n_values": 0},
    ]
    found = [
        finding("missing-value", "error", '=HYPERLINK("http://x")', "a.xlsx", 7),
        finding("late-report", "warning", "nộp muộn\r=cmd", "", None),
        finding("type-error", "error", 'ô "87,5" sai, xem lại', "=b.xlsx", 12),
    ]
    return Collected(PERIOD, values, cells, files, found)


def rows_of(path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8")  # strict: the file is UTF-8
    return list(csv.reader(io.StringIO(text, newline="")))


def written(tmp_path, period: Collected | None = None):
    folder = tmp_path / "data" / "processed" / PERIOD
    write_frames(folder, ingest_frames((period or collected()).frames()))
    return folder


def test_csv_files_are_utf8_and_never_start_a_formula(tmp_path):
    folder = written(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["cells.parquet", "files.csv", "findings.csv",
                                                        "narrative.parquet", "values.parquet"]
    assert rows_of(folder / "findings.csv") == [
        F.FINDING_COLUMNS,
        [PERIOD, "NV", "1.1", "missing-value", "error", "'=HYPERLINK(\"http://x\")", "a.xlsx", "PL", "7"],
        [PERIOD, "NV", "1.1", "late-report", "warning", "nộp muộn\n=cmd", "", "PL", ""],
        [PERIOD, "NV", "1.1", "type-error", "error", 'ô "87,5" sai, xem lại', "'=b.xlsx", "PL", "12"],
    ]
    assert rows_of(folder / "files.csv") == [
        FILE_COLUMNS,
        ["a.xlsx", "NV", "title", TP, PERIOD, "2021-06-10 09:00:05", "submissions.csv", "ok", "PL", "3"],
        ["'=b.xlsx", "", "", "'=cmd|' /C calc'!A0", PERIOD, "2021-06-11 17:30:00", "mtime", "unknown-unit", "PL", "0"],
    ]


def test_parquet_files_keep_the_department_text_and_the_types(tmp_path):
    folder = written(tmp_path)
    values = pd.read_parquet(folder / "values.parquet")
    assert list(values.columns) == VALUE_COLUMNS
    assert values["raw"].tolist() == ["87,5%", "=1+1", "-3"]  # Parquet is not opened by a spreadsheet
    assert values["value"].tolist()[0] == 87.5 and math.isnan(values["value"].tolist()[1])
    assert pq.read_table(folder / "values.parquet").column("value").null_count == 1  # a blank is a null
    assert str(values["row"].dtype) == "Int64" and values["row"].tolist() == [7, 8, 9]
    assert values["superseded"].tolist() == [False, False, True]
    assert values["source_file"].tolist() == [f"{TP}.xlsx"] * 3
    cells = pd.read_parquet(folder / "cells.parquet")
    assert list(cells.columns) == CELL_COLUMNS
    assert cells["source_file"].tolist() == ["a.xlsx", "=b.xlsx"] and str(cells["row"].dtype) == "Int64"


def test_load_period_reads_back_the_department_text_exactly(tmp_path):
    written(tmp_path)
    data = load_period(PERIOD, tmp_path)
    assert data.findings["message"].tolist() == ['=HYPERLINK("http://x")', "nộp muộn\n=cmd", 'ô "87,5" sai, xem lại']
    assert data.findings["source_file"].tolist() == ["a.xlsx", "", "=b.xlsx"]
    assert data.findings["row"].tolist()[0] == 7 and data.findings["row"].isna().tolist() == [False, True, False]
    assert data.files["source_file"].tolist() == ["a.xlsx", "=b.xlsx"]
    assert data.files["unit_title"].tolist() == [TP, "=cmd|' /C calc'!A0"]
    assert data.files["received_at"].tolist() == [pd.Timestamp(2021, 6, 10, 9, 0, 5), pd.Timestamp(2021, 6, 11, 17, 30)]
    assert data.files["n_values"].tolist() == [3, 0]
    # the joins the notebooks make between the files still hold
    assert set(data.values["source_file"]) <= {f"{TP}.xlsx"} and set(data.files["source_file"]) == set(data.cells["source_file"])


def test_dates_alone_are_written_as_dates(tmp_path):
    period = collected()
    for item, day in zip(period.files, (10, 11)):
        item["received_at"] = datetime(2021, 6, day)
    folder = written(tmp_path, period)
    assert [row[FILE_COLUMNS.index("received_at")] for row in rows_of(folder / "files.csv")[1:]] == [
        "2021-06-10", "2021-06-11"]
    assert load_period(PERIOD, tmp_path).files["received_at"].tolist() == [pd.Timestamp(2021, 6, 10),
                                                                           pd.Timestamp(2021, 6, 11)]


def test_a_period_with_nothing_read_still_has_every_file(tmp_path):
    empty = Collected(PERIOD, {c: [] for c in VALUE_COLUMNS}, {c: [] for c in CELL_COLUMNS}, [], [])
    folder = written(tmp_path, empty)
    assert rows_of(folder / "findings.csv") == [F.FINDING_COLUMNS]
    assert rows_of(folder / "files.csv") == [FILE_COLUMNS]
    data = load_period(PERIOD, tmp_path)
    assert list(data.values.columns) == VALUE_COLUMNS and len(data.values) == 0
    assert list(data.cells.columns) == CELL_COLUMNS and len(data.cells) == 0


def test_a_reader_out_of_memory_costs_its_file_only(tmp_path, monkeypatch):
    """Memory running out while a workbook is read (the worker's cap reached in Python code):
    that file is refused with the memory message, and reading goes on."""
    from cchc_analysis import ingest as I
    from cchc_analysis.catalogue import catalogue_records, unit_records
    from cchc_analysis.samples import make_bulk

    make_bulk(tmp_path, 1)
    path = sorted(tmp_path.glob("*.xlsx"))[0]
    ctx = I.make_context(PERIOD, catalogue_records(2021), unit_records())

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(I, "_read_book", exhausted)
    result = I.read_file(path, path.name, ctx)
    assert result.record["status"] == "unreadable"
    assert [f["check"] for f in result.findings] == ["unreadable-file"] and "bộ nhớ" in result.findings[0]["message"]
