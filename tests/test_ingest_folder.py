"""A period folder as it really arrives: a broken file, an unknown unit, a re-submission, a
wrong period, other files; the run goes on and says what it saw."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd

from cchc_analysis.ingest import ingest

from conftest import ROWS, write_sheet

HEADER = ["STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú"]


def tp_rows(title: str, v21: int, period: str = "6 tháng đầu năm 2021") -> list[list]:
    return [[f"TÊN CƠ QUAN: {title}"], [f"Báo cáo CCHC {period}"], HEADER,
            ["2.1.", ROWS["2.1"]["name"], "Văn bản", v21, None],
            ["2.2.", ROWS["2.2"]["name"], "Văn bản", 4, None]]


def make_folder(raw):
    write_sheet(raw / "Tu phap.xlsx", tp_rows("Phòng Tư pháp", 3))
    write_sheet(raw / "Tu phap - bo sung.xlsx", tp_rows("Phòng Tư pháp", 5))
    # the title names an unregistered unit: unknown, even though the file name looks like NV's
    write_sheet(raw / "Noi vu.xlsx", tp_rows("Phòng Tài nguyên và Môi trường", 8))
    write_sheet(raw / "Phong Tu phap 2020.xlsx", tp_rows("Phòng Tư pháp", 9, period="năm 2020"))
    (raw / "hong.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    (raw / "Bao cao thuyet minh.docx").write_bytes(b"narrative")
    (raw / "~$Tu phap.xlsx").write_bytes(b"lock")
    (raw / "submissions.csv").write_text(
        "file,received_at\nTu phap.xlsx,2021-06-14T08:00\nTu phap - bo sung.xlsx,2021-06-14T16:30\n", encoding="utf-8")


def test_folder_with_broken_unknown_resubmitted_and_wrong_period_files(raw):
    make_folder(raw)
    result = ingest("2021-H1", raw)
    by_check = result.findings.groupby("check")["source_file"].apply(sorted).to_dict()
    assert by_check == {
        "duplicate-submission": ["Tu phap.xlsx"],
        "period-mismatch": ["Phong Tu phap 2020.xlsx"],
        "unknown-unit": ["Noi vu.xlsx"],
        "unreadable-file": ["Bao cao thuyet minh.docx", "hong.xlsx"],
    }
    # the later submission counts; the earlier stays with its provenance
    values = result.values.sort_values(["indicator", "superseded"])
    assert list(zip(values["indicator"], values["value"], values["source_file"], values["superseded"])) == [
        ("2.1", 5.0, "Tu phap - bo sung.xlsx", False), ("2.1", 3.0, "Tu phap.xlsx", True),
        ("2.2", 4.0, "Tu phap - bo sung.xlsx", False), ("2.2", 4.0, "Tu phap.xlsx", True),
    ]
    dup = result.findings[result.findings["check"] == "duplicate-submission"].iloc[0]["message"]
    assert "'Tu phap.xlsx'" in dup and "'Tu phap - bo sung.xlsx'" in dup and "08:00 14/06/2021" in dup
    mismatch = result.findings[result.findings["check"] == "period-mismatch"].iloc[0]
    assert "năm 2020" in mismatch["message"] and "2 số liệu" in mismatch["message"]
    unknown = result.findings[result.findings["check"] == "unknown-unit"].iloc[0]["message"]
    assert "Phòng Tài nguyên và Môi trường" in unknown
    files = result.files.set_index("source_file")
    assert files.loc["Tu phap - bo sung.xlsx", "time_source"] == "submissions.csv"
    assert files.loc["hong.xlsx", "status"] == "unreadable"
    assert "~$Tu phap.xlsx" not in files.index  # Excel's lock file is not a submission
    live = result.values[~result.values["superseded"]]
    assert not live.duplicated(["unit", "indicator"]).any()


def test_cli_ingest_exits_0_and_writes_design_files(tmp_path):
    raw = tmp_path / "data" / "raw" / "2021-H1"
    raw.mkdir(parents=True)
    make_folder(raw)
    done = subprocess.run([sys.executable, "-m", "cchc_analysis", "ingest", "--period", "2021-H1", "--root", str(tmp_path)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0, done.stderr
    assert "Tệp đã đọc:   6" in done.stdout  # five workbooks and a Word report (not a real one: a finding)
    out = tmp_path / "data" / "processed" / "2021-H1"
    values = pd.read_parquet(out / "values.parquet")
    assert list(values.columns) == ["period", "unit", "indicator", "value", "raw", "source_file", "sheet", "row", "superseded"]
    assert values["value"].dtype == float and values["superseded"].dtype == bool
    findings = pd.read_csv(out / "findings.csv", encoding="utf-8")
    assert list(findings.columns) == ["period", "unit", "indicator", "check", "severity", "message", "source_file", "sheet", "row"]
    assert set(findings["severity"]) <= {"error", "warning", "info"}
    assert len(findings) == 5


def test_custom_raw_and_out_folders(tmp_path):
    raw = tmp_path / "elsewhere"
    write_sheet(raw / "tp.xlsx", tp_rows("Phòng Tư pháp", 3))
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "cchc_analysis", "ingest", "--period", "2021-H1", "--raw", str(raw),
                           "--out", str(out), "--root", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (out / "values.parquet").is_file() and not (tmp_path / "data").exists()


def test_a_later_file_without_a_row_keeps_the_earlier_value(raw):
    """Superseding is per value: a correction file that only repeats 2.1 leaves 2.2 as first sent."""
    write_sheet(raw / "tp1.xlsx", tp_rows("Phòng Tư pháp", 3))
    write_sheet(raw / "tp2.xlsx", [["TÊN CƠ QUAN: Phòng Tư pháp"], HEADER, ["2.1.", ROWS["2.1"]["name"], "Văn bản", 7, None]])
    (raw / "submissions.csv").write_text("file,received_at\ntp1.xlsx,2021-06-14T08:00\ntp2.xlsx,2021-06-14T09:00\n")
    result = ingest("2021-H1", raw)
    live = result.values[~result.values["superseded"]].set_index("indicator")
    assert live.loc["2.1", "value"] == 7 and live.loc["2.1", "source_file"] == "tp2.xlsx"
    assert live.loc["2.2", "value"] == 4 and live.loc["2.2", "source_file"] == "tp1.xlsx"


def test_same_indicator_twice_in_one_file(raw):
    write_sheet(raw / "tp.xlsx", [["TÊN CƠ QUAN: Phòng Tư pháp"], HEADER,
                                  ["2.1.", ROWS["2.1"]["name"], "Văn bản", 3, None],
                                  ["2.1.", ROWS["2.1"]["name"], "Văn bản", 4, None]])
    result = ingest("2021-H1", raw)
    conflict = result.findings[result.findings["check"] == "conflict"]
    assert len(conflict) == 1 and "dòng 3, 4" in conflict.iloc[0]["message"]
    assert result.values["superseded"].tolist() == [True, False]


def test_signature_block_ends_the_table(raw):
    write_sheet(raw / "tp.xlsx", [["TÊN CƠ QUAN: Phòng Tư pháp"], HEADER,
                                  ["2.1.", ROWS["2.1"]["name"], "Văn bản", 3, None],
                                  [None, "Cẩm Xuyên, ngày 14 tháng 6 năm 2021", None, None, None],
                                  [None, "NGƯỜI LẬP BIỂU", None, "THỦ TRƯỞNG ĐƠN VỊ", None],
                                  [None, "Nguyễn Văn A", None, "Trần Thị B", None]])
    result = ingest("2021-H1", raw)
    assert result.findings.empty and len(result.values) == 1


def test_empty_folder_and_missing_folder(tmp_path):
    result = ingest("2021-H1", tmp_path / "nothing")
    assert result.values.empty and result.findings.empty and result.files.empty


def test_received_times_with_offsets_and_vietnamese_dates(raw):
    """Times with an offset are the district's local time (UTC+7); '17/06/2021 10:00' is read; a
    time that cannot be read is a finding, never silently ignored."""
    for name in ("a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx"):
        write_sheet(raw / name, tp_rows("Phòng Tư pháp", 3))
    (raw / "submissions.csv").write_text(
        "file,received_at\n"
        "a.xlsx,2021-06-15T10:00:00+07:00\n"
        "b.xlsx,2021-06-15T02:30:00Z\n"
        "c.xlsx,17/06/2021 10:00\n"
        "d.xlsx,hôm qua\n", encoding="utf-8")
    result = ingest("2021-H1", raw)
    times = dict(zip(result.files["source_file"], result.files["received_at"].astype(str)))
    assert times["a.xlsx"] == "2021-06-15 10:00:00"
    assert times["b.xlsx"] == "2021-06-15 09:30:00"
    assert times["c.xlsx"] == "2021-06-17 10:00:00"
    bad = result.findings[result.findings["check"] == "submission-time"]
    assert len(bad) == 1 and "'hôm qua'" in bad.iloc[0]["message"] and bad.iloc[0]["row"] == 5
