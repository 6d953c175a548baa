"""Feedback workbooks per unit, from findings and timeliness frames written by hand."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from cchc_analysis import findings as F
from cchc_analysis.catalogue import load_catalogue, load_units
from cchc_analysis.outputs.feedback import HEADERS, write_feedback

PERIOD = "2021-H1"
DEADLINE = datetime(2021, 6, 15, 9, 0)
SHEET = "Phụ lục II"


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    return load_units()


def timeliness_row(unit: str, name: str, reported: bool, received: datetime | None, on_time, late_hours: float,
                   deadline: datetime | None = DEADLINE, source: str = "") -> dict:
    return {"period": PERIOD, "unit": unit, "unit_name": name, "expected": True, "reported": reported,
            "source_file": source, "received_at": pd.Timestamp(received) if received else pd.NaT,
            "deadline": pd.Timestamp(deadline) if deadline else pd.NaT, "on_time": on_time,
            "late_hours": late_hours}


def hand_timeliness(deadline: datetime | None = DEADLINE) -> pd.DataFrame:
    late, on_time = (False, True) if deadline else (pd.NA, pd.NA)
    rows = [
        timeliness_row("NV", "Phòng Nội vụ", True, datetime(2021, 6, 17, 11, 30), late, 50.5 if deadline else float("nan"),
                       deadline, "nv.xlsx"),
        timeliness_row("TP", "Phòng Tư pháp", True, datetime(2021, 6, 14, 8, 0), on_time, 0.0 if deadline else float("nan"),
                       deadline, "tp.xlsx"),
        timeliness_row("VHTT", "Phòng Văn hóa và Thông tin", False, None, pd.NA, float("nan"), deadline),
    ]
    frame = pd.DataFrame(rows)
    frame["on_time"] = frame["on_time"].astype("boolean")
    return frame


def hand_findings() -> pd.DataFrame:
    return F.frame([
        F.make("late-report", "báo cáo nhận lúc 11:30 ngày 17/06/2021, muộn 2 ngày 2 giờ.", period=PERIOD, unit="NV",
               source_file="nv.xlsx"),
        F.make("missing-value", "ô Số liệu của chỉ tiêu 1.1.2 để trống. Giá trị đúng: một số nguyên không âm.",
               period=PERIOD, unit="NV", indicator="1.1.2", source_file="nv.xlsx", sheet=SHEET, row=12),
        F.make("ignored-column", "cột E có 3 số liệu nhưng không phải cột số liệu của kỳ.", period=PERIOD, unit="NV",
               source_file="nv.xlsx", sheet=SHEET),
        F.make("rule-violation", "1.2.4 = 9 lớn hơn 1.2.3 = 8.", period=PERIOD, unit="NV", indicator="1.2.4",
               source_file="nv.xlsx", sheet=SHEET, row=17),
        F.make("missing-report", "chưa nhận được báo cáo.", period=PERIOD, unit="VHTT"),
        F.make("conflict", "=HYPERLINK(\"http://x\") chỉ tiêu 2.1 khác.", period=PERIOD, unit="KTHT", indicator="2.1",
               source_file="=cmd|'/c calc'!A1.xlsx", sheet="@S", row=5),
        F.make("unknown-unit", "không tìm thấy tên đơn vị.", period=PERIOD, source_file="la.xlsx"),
        F.make("no-deadline", "chưa cấu hình hạn nộp.", period=PERIOD),
    ])


def sheet_rows(path) -> list[tuple]:
    return list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))


def header_index(rows: list[tuple]) -> int:
    return next(i for i, r in enumerate(rows) if list(r) == HEADERS)


def text_of(rows: list[tuple]) -> str:
    return "\n".join(str(v) for r in rows for v in r if v is not None)


def test_one_workbook_per_expected_unit_or_unit_with_findings(tmp_path, units):
    paths = write_feedback(PERIOD, hand_findings(), hand_timeliness(), units, tmp_path, DEADLINE)
    assert [p.name for p in paths] == ["NV.xlsx", "TP.xlsx", "VHTT.xlsx", "KTHT.xlsx"]  # registry order
    assert sorted(p.name for p in tmp_path.iterdir()) == ["KTHT.xlsx", "NV.xlsx", "TP.xlsx", "VHTT.xlsx"]


def test_late_unit_sees_its_problems_errors_first(tmp_path, units):
    catalogue = load_catalogue(2021)
    write_feedback(PERIOD, hand_findings(), hand_timeliness(), units, tmp_path, DEADLINE, catalogue=catalogue)
    rows = sheet_rows(tmp_path / "NV.xlsx")
    head = text_of(rows[: header_index(rows)])
    for text in ("Phòng Nội vụ", "6 tháng đầu năm 2021", "Hạn nộp: 09:00 ngày 15/06/2021", "MUỘN 2 ngày 2 giờ",
                 "11:30 ngày 17/06/2021", "2 lỗi, 1 cảnh báo, 1 thông tin"):
        assert text in head
    table = rows[header_index(rows) + 1:]
    assert [r[0] for r in table] == [1, 2, 3, 4]
    assert [r[6] for r in table] == ["Lỗi", "Lỗi", "Cảnh báo", "Thông tin"]
    first = table[0]
    assert first[1] == "1.1.2 – Số nhiệm vụ đã hoàn thành"
    assert (first[2], first[3], first[4]) == ("nv.xlsx", SHEET, 12)
    # the location is in its own columns, not repeated in front of the problem
    assert first[5].startswith("Ô Số liệu của chỉ tiêu 1.1.2 để trống") and "Giá trị đúng" in first[5]
    assert table[1][1].startswith("1.2.4") and table[1][4] == 17
    assert table[2][1] == "Cả báo cáo" and table[2][5].startswith("Báo cáo nhận lúc")


def test_layout_is_ready_to_print(tmp_path, units):
    write_feedback(PERIOD, hand_findings(), hand_timeliness(), units, tmp_path, DEADLINE)
    book = openpyxl.load_workbook(tmp_path / "NV.xlsx")
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    header = header_index(rows) + 1  # 1-based sheet row
    assert sheet.freeze_panes == f"A{header + 1}"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == f"${header}:${header}"
    assert sheet.cell(row=header + 1, column=6).alignment.wrap_text
    assert sheet.column_dimensions["F"].width >= 60 and sheet.column_dimensions["A"].width <= 8
    assert sheet.cell(row=header, column=1).font.bold


def test_unit_with_no_problem_is_told_so(tmp_path, units):
    write_feedback(PERIOD, hand_findings(), hand_timeliness(), units, tmp_path, DEADLINE)
    rows = sheet_rows(tmp_path / "TP.xlsx")
    text = text_of(rows)
    assert "Phòng Tư pháp" in text and "Đúng hạn" in text and "08:00 ngày 14/06/2021" in text
    assert "Không phát hiện vấn đề nào" in text and "0 lỗi, 0 cảnh báo, 0 thông tin" in text


def test_unit_that_sent_nothing(tmp_path, units):
    write_feedback(PERIOD, hand_findings(), hand_timeliness(), units, tmp_path, DEADLINE)
    rows = sheet_rows(tmp_path / "VHTT.xlsx")
    assert "CHƯA NHẬN ĐƯỢC BÁO CÁO" in text_of(rows[: header_index(rows)])
    table = rows[header_index(rows) + 1:]
    assert len(table) == 1 and table[0][6] == "Lỗi" and table[0][5] == "Chưa nhận được báo cáo."


def test_department_text_cannot_become_a_formula(tmp_path, units):
    write_feedback(PERIOD, hand_findings(), hand_timeliness(), units, tmp_path, DEADLINE)
    book = openpyxl.load_workbook(tmp_path / "KTHT.xlsx")
    sheet = book.active
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    values = [c.value for c in cells]
    assert "'=cmd|'/c calc'!A1.xlsx" in values and "'@S" in values
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK") for v in values)
    text = text_of(list(sheet.iter_rows(values_only=True)))
    assert "không phải báo cáo" in text  # KTHT is not in this timeliness frame


def test_period_without_deadline(tmp_path, units):
    write_feedback(PERIOD, hand_findings(), hand_timeliness(None), units, tmp_path, None)
    head = text_of(sheet_rows(tmp_path / "TP.xlsx")[:8])
    assert "Hạn nộp: chưa quy định" in head and "chưa quy định hạn nộp" in head


def test_findings_read_back_from_csv(tmp_path, units):
    """findings.csv read with pandas' defaults: empty text is NaN, rows are floats."""
    path = tmp_path / "findings.csv"
    hand_findings().to_csv(path, index=False)
    read_back = pd.read_csv(path)
    assert read_back["unit"].isna().any()
    out = tmp_path / "feedback"
    paths = write_feedback(PERIOD, read_back, hand_timeliness(), units, out, DEADLINE)
    assert sorted(p.name for p in paths) == ["KTHT.xlsx", "NV.xlsx", "TP.xlsx", "VHTT.xlsx"]
    rows = sheet_rows(out / "NV.xlsx")
    table = rows[header_index(rows) + 1:]
    assert table[0][4] == 12 and table[2][1] == "Cả báo cáo" and "nan" not in text_of(table)


def test_an_unchanged_unit_keeps_its_workbook_and_a_changed_one_is_written_again(tmp_path, units, monkeypatch):
    """Re-checking after one corrected file: only the units whose feedback changed are written."""
    from cchc_analysis.outputs import feedback as FB

    first, made = tmp_path / "first", {}
    paths = write_feedback(PERIOD, hand_findings(), hand_timeliness(), units, first, DEADLINE, made=made)
    previous = {name: (first / name, digest) for name, digest in made.items()}
    written = []
    real = FB._write_one
    monkeypatch.setattr(FB, "_write_one", lambda path, *a: (written.append(path.name), real(path, *a)))
    second = tmp_path / "second"
    again = write_feedback(PERIOD, hand_findings(), hand_timeliness(), units, second, DEADLINE, previous=previous)
    assert written == [] and [p.name for p in again] == [p.name for p in paths]
    assert all((second / p.name).read_bytes() == p.read_bytes() for p in paths)
    changed = hand_findings()
    target = changed["unit"].iloc[0]
    changed.loc[0, "message"] = changed.loc[0, "message"] + " (đã sửa)"
    write_feedback(PERIOD, changed, hand_timeliness(), units, tmp_path / "third", DEADLINE, previous=previous)
    assert written == [f"{target}.xlsx"]
    write_feedback(PERIOD, hand_findings(), hand_timeliness(), units, tmp_path / "fourth", None,
                   previous=previous)  # another deadline: every workbook says it, all written again
    assert len(written) == 1 + len(paths)
