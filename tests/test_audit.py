"""The period's record (``data/processed/<period>/audit/``): what each check saw and what changed.

Every expectation is written by hand from the fixture files the tests write (the values typed
into them, the rows they were typed on, the SHA-256 of their bytes); none is read back from the
code under test.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cchc_analysis import audit
from cchc_analysis.atomic import recover
from cchc_analysis.pipeline import check_period, period_lock

PERIOD = "2021-H1"
ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}

NAMES = {
    "2.1": "Số VBQPPL đã ban hành/tham mưu ban hành",
    "2.2": "Số VBQPPL đã kiểm tra theo thẩm quyền",
    "2.3": "Số VBQPPL đã rà soát",
    "3.4.5": "Tỷ lệ hồ sơ TTHC về lĩnh vực xây dựng được giải quyết đúng hạn, đúng quy trình (ở cả 3 cấp).",
    "1.1.1": "Số nhiệm vụ đề ra trong kế hoạch",
}
UNITS = {"TP": "Phòng Tư pháp", "KTHT": "Phòng Kinh tế và Hạ tầng", "NV": "Phòng Nội vụ"}
FIRST_ROW = 5  # title, period, blank, header: the first indicator is on sheet row 5


def unit_book(path: Path, unit: str, values: list[tuple[str, object]],
              title: str = "Báo cáo 6 tháng đầu năm 2021") -> bytes:
    """A department's Phụ lục II: its title, the header, one row per (indicator, value) in the
    order given (the first on row 5). Returns the file's bytes."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "PL2"
    sheet.append([f"TÊN CƠ QUAN: {UNITS[unit]}"])
    sheet.append([title])
    sheet.append([])
    sheet.append(["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", "Ghi chú"])
    for indicator, value in values:
        sheet.append([f"{indicator}.", NAMES[indicator], "%" if indicator == "3.4.5" else "Văn bản", value])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path.read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def received(raw: Path, times: dict[str, str]) -> None:
    with open(raw / "submissions.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "received_at"])
        writer.writerows(times.items())


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("CCHC_WORKERS", "0")
    raw = tmp_path / "data" / "raw" / PERIOD
    raw.mkdir(parents=True)
    return tmp_path, raw


def check(root: Path) -> None:
    with period_lock(root, PERIOD):
        check_period(PERIOD, root)


def record(root: Path) -> audit.Audit:
    return audit.load_audit(PERIOD, root)


def events(frame: pd.DataFrame) -> list[tuple]:
    return [(r["event"], r["source_file"], r["unit"], r["status"], r["sha256"], int(r["size"]),
             str(r["received_at"]), r["previous_file"], r["previous_sha256"]) for r in frame.to_dict("records")]


def nan_is_none(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA else value


def changes(frame: pd.DataFrame) -> list[tuple]:
    rows = []
    for r in frame.to_dict("records"):
        rows.append((r["unit"], r["indicator"], r["reason"],
                     nan_is_none(r["old_value"]), r["old_file"], r["old_sha256"], r["old_sheet"], nan_is_none(r["old_row"]),
                     nan_is_none(r["new_value"]), r["new_file"], r["new_sha256"], r["new_sheet"], nan_is_none(r["new_row"]),
                     nan_is_none(r["district_old"]), nan_is_none(r["district_new"])))
    return rows


def by_check(frame: pd.DataFrame, actions: pd.DataFrame, number: int) -> pd.DataFrame:
    """The rows of the ``number``-th check (1-based)."""
    check_id = actions[actions["action"] == "check"]["check_id"].iloc[number - 1]
    return frame[frame["check_id"] == check_id]


# ------------------------------------------------------------------------------------------------
# acceptance 1: added, replaced under the same name, a second department's late file


def test_three_checks_record_exactly_the_events_and_the_changed_values(workspace):
    root, raw = workspace
    tp = raw / "Tu phap.xlsx"
    first = unit_book(tp, "TP", [("2.1", 3), ("2.2", 5), ("2.3", 10)])
    received(raw, {"Tu phap.xlsx": "2021-06-14T16:30"})
    check(root)

    # the corrected file, same name: 2.1 and 2.3 corrected, 2.2 the same value on another row
    second = unit_book(tp, "TP", [("2.3", 12), ("2.1", 4), ("2.2", 5)])
    received(raw, {"Tu phap.xlsx": "2021-06-15T08:00"})
    check(root)

    late = unit_book(raw / "Kinh te.xlsx", "KTHT", [("3.4.5", "95,5")])
    received(raw, {"Tu phap.xlsx": "2021-06-15T08:00", "Kinh te.xlsx": "2021-06-16T10:00"})
    check(root)

    rec = record(root)
    assert list(rec.actions["action"]) == ["check", "check", "check"]
    assert rec.actions["check_id"].is_unique
    assert [tuple(r) for r in rec.actions[["files", "file_events", "value_changes"]].itertuples(index=False)] == [
        (1, 1, 3), (1, 1, 2), (2, 1, 1)]

    assert events(by_check(rec.files, rec.actions, 1)) == [
        ("added", "Tu phap.xlsx", "TP", "ok", sha(first), len(first), "2021-06-14 16:30:00", "", "")]
    assert events(by_check(rec.files, rec.actions, 2)) == [
        ("replaced", "Tu phap.xlsx", "TP", "ok", sha(second), len(second), "2021-06-15 08:00:00", "", sha(first))]
    assert events(by_check(rec.files, rec.actions, 3)) == [
        ("added", "Kinh te.xlsx", "KTHT", "ok", sha(late), len(late), "2021-06-16 10:00:00", "", "")]
    assert len(rec.files) == 3

    s1, s2, s3 = sha(first), sha(second), sha(late)
    assert changes(by_check(rec.changes, rec.actions, 1)) == [
        ("TP", "2.1", "added", None, "", "", "", None, 3.0, "Tu phap.xlsx", s1, "PL2", 5, None, 3.0),
        ("TP", "2.2", "added", None, "", "", "", None, 5.0, "Tu phap.xlsx", s1, "PL2", 6, None, 5.0),
        ("TP", "2.3", "added", None, "", "", "", None, 10.0, "Tu phap.xlsx", s1, "PL2", 7, None, 10.0),
    ]
    assert changes(by_check(rec.changes, rec.actions, 2)) == [
        ("TP", "2.1", "replaced", 3.0, "Tu phap.xlsx", s1, "PL2", 5, 4.0, "Tu phap.xlsx", s2, "PL2", 6, 3.0, 4.0),
        ("TP", "2.3", "replaced", 10.0, "Tu phap.xlsx", s1, "PL2", 7, 12.0, "Tu phap.xlsx", s2, "PL2", 5, 10.0, 12.0),
    ]
    assert changes(by_check(rec.changes, rec.actions, 3)) == [
        ("KTHT", "3.4.5", "added", None, "", "", "", None, 95.5, "Kinh te.xlsx", s3, "PL2", 5, None, 95.5),
    ]
    assert len(rec.changes) == 6
    # every row of a check carries that check's time
    for frame in (rec.files, rec.changes):
        stamped = frame.merge(rec.actions[["check_id", "checked_at"]], on="check_id", suffixes=("", "_action"))
        assert len(stamped) == len(frame) and (stamped["checked_at"] == stamped["checked_at_action"]).all()


def test_a_check_with_nothing_new_adds_no_event_and_survives_reruns(workspace):
    root, raw = workspace
    unit_book(raw / "Tu phap.xlsx", "TP", [("2.1", 3)])
    check(root)
    before = (root / "data" / "processed" / PERIOD / "audit" / "files.parquet").read_bytes()
    os.utime(raw / "Tu phap.xlsx", (time.time() + 3600, time.time() + 3600))  # touched, not changed
    check(root)
    rec = record(root)
    assert list(rec.actions["action"]) == ["check", "check"]
    assert len(rec.files) == 1 and len(rec.changes) == 1  # the second check saw no event, no change
    assert list(rec.actions["file_events"]) == [1, 0] and list(rec.actions["value_changes"]) == [1, 0]
    assert pd.read_parquet(root / "data" / "processed" / PERIOD / "audit" / "files.parquet").equals(
        pd.read_parquet(io.BytesIO(before)))


def test_a_later_submission_supersedes_then_a_removal_falls_back(workspace):
    root, raw = workspace
    first = unit_book(raw / "Tu phap.xlsx", "TP", [("2.1", 3), ("2.2", 5)])
    received(raw, {"Tu phap.xlsx": "2021-06-14T16:30"})
    check(root)
    extra = unit_book(raw / "Tu phap bo sung.xlsx", "TP", [("2.1", 6), ("2.2", 5)])
    received(raw, {"Tu phap.xlsx": "2021-06-14T16:30", "Tu phap bo sung.xlsx": "2021-06-15T07:45"})
    check(root)
    (raw / "Tu phap bo sung.xlsx").rename(raw / "TP ban cuoi.xlsx")  # same content, new name
    received(raw, {"Tu phap.xlsx": "2021-06-14T16:30", "TP ban cuoi.xlsx": "2021-06-15T07:45"})
    check(root)
    (raw / "TP ban cuoi.xlsx").unlink()
    check(root)

    rec = record(root)
    s1, s2 = sha(first), sha(extra)
    assert [(e[0], e[1], e[4], e[7]) for e in events(rec.files)] == [
        ("added", "Tu phap.xlsx", s1, ""),
        ("added", "Tu phap bo sung.xlsx", s2, ""),
        ("renamed", "TP ban cuoi.xlsx", s2, "Tu phap bo sung.xlsx"),
        ("removed", "TP ban cuoi.xlsx", s2, ""),
    ]
    assert changes(by_check(rec.changes, rec.actions, 2)) == [  # 2.2: same value from the later file, no row
        ("TP", "2.1", "superseded", 3.0, "Tu phap.xlsx", s1, "PL2", 5, 6.0, "Tu phap bo sung.xlsx", s2, "PL2", 5, 3.0, 6.0),
    ]
    assert by_check(rec.changes, rec.actions, 3).empty  # a rename changes no value
    assert changes(by_check(rec.changes, rec.actions, 4)) == [
        ("TP", "2.1", "removed", 6.0, "TP ban cuoi.xlsx", s2, "PL2", 5, 3.0, "Tu phap.xlsx", s1, "PL2", 5, 6.0, 3.0),
    ]
    state = audit.value_state(rec.changes, rec.files).set_index("indicator")
    assert state.loc["2.1", "value"] == 3.0 and state.loc["2.1", "source_file"] == "Tu phap.xlsx"


def test_a_value_that_disappears_and_a_text_that_is_no_number(workspace):
    root, raw = workspace
    unit_book(raw / "Tu phap.xlsx", "TP", [("2.1", 3), ("2.2", 5)])
    check(root)
    unit_book(raw / "Tu phap.xlsx", "TP", [("2.1", "ba"), ("2.2", None)])  # 2.1 unreadable, 2.2 emptied
    check(root)
    second = by_check(record(root).changes, record(root).actions, 2)
    rows = {r["indicator"]: r for r in second.to_dict("records")}
    assert set(rows) == {"2.1", "2.2"}
    assert rows["2.1"]["reason"] == "replaced" and math.isnan(rows["2.1"]["new_value"]) and rows["2.1"]["new_raw"] == "ba"
    assert rows["2.2"]["reason"] == "replaced" and rows["2.2"]["new_file"] == "" and rows["2.2"]["old_value"] == 5.0
    assert math.isnan(rows["2.2"]["district_new"]) and rows["2.2"]["district_old"] == 5.0


# ------------------------------------------------------------------------------------------------
# cchc history, and the feedback sheet


def cchc(*args, root: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cchc_analysis", *args, "--root", str(root)],
                          capture_output=True, text=True, env=ENV, timeout=timeout)


def test_history_prints_the_timeline_in_vietnamese(workspace):
    root, raw = workspace
    tp = raw / "Tu phap.xlsx"
    first = unit_book(tp, "TP", [("2.1", 3), ("2.2", 5)])
    received(raw, {"Tu phap.xlsx": "2021-06-14T16:30"})
    check(root)
    second = unit_book(tp, "TP", [("2.1", 4), ("2.2", 5)])
    received(raw, {"Tu phap.xlsx": "2021-06-15T08:00"})
    check(root)
    unit_book(raw / "Kinh te.xlsx", "KTHT", [("3.4.5", 95.5)])
    received(raw, {"Tu phap.xlsx": "2021-06-15T08:00", "Kinh te.xlsx": "2021-06-16T10:00"})
    check(root)

    done = cchc("history", "--period", PERIOD, root=root)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Nhật ký kỳ 2021-H1 (6 tháng đầu năm 2021)\n")
    assert ("Tệp Tu phap.xlsx: tệp mới — Phòng Tư pháp (TP), nhận 16:30 ngày 14/06/2021, "
            f"{_kb(first)}, SHA-256 {sha(first)[:12]}.") in out
    assert "  2 số liệu mới từ Tu phap.xlsx (TP)." in out
    assert (f"Tệp Tu phap.xlsx: thay bằng bản sửa (cùng tên, nội dung khác) — Phòng Tư pháp (TP), nhận 08:00 ngày "
            f"15/06/2021, {_kb(second)}, SHA-256 {sha(second)[:12]} (bản trước {sha(first)[:12]}).") in out
    assert "    TP 2.1 Số VBQPPL đã ban hành/tham mưu ban hành: 3 → 4\n" in out
    assert (f"      cũ: Tu phap.xlsx (bản {sha(first)[:8]}), trang 'PL2', dòng 5; "
            f"mới: Tu phap.xlsx (bản {sha(second)[:8]}), trang 'PL2', dòng 5\n") in out
    assert "      lý do: tệp được thay bằng bản sửa cùng tên; bảng của huyện: 3 → 4\n" in out
    assert "Tệp Kinh te.xlsx: tệp mới — Phòng Kinh tế và Hạ tầng (KTHT), nhận 10:00 ngày 16/06/2021" in out
    assert [line.split(" — ")[0] for line in out.splitlines() if line.startswith("Lần kiểm tra")] == [
        "Lần kiểm tra 1", "Lần kiểm tra 2", "Lần kiểm tra 3"]

    by_indicator = cchc("history", "--period", PERIOD, "--indicator", "2.1", root=root).stdout
    assert by_indicator.count("Bảng của huyện sau lần kiểm tra này, chỉ tiêu 2.1: ") == 3
    assert [line.rsplit(": ", 1)[1] for line in by_indicator.splitlines()
            if line.startswith("  Bảng của huyện sau")] == ["3", "4", "4"]
    assert "Kinh te.xlsx" not in by_indicator

    by_unit = cchc("history", "--period", PERIOD, "--unit", "KTHT", root=root).stdout
    assert "Tu phap.xlsx" not in by_unit and "KTHT 3.4.5" in by_unit and "(chưa có) → 95,5%" in by_unit
    assert cchc("history", "--help", root=root).returncode == 0


def _kb(data: bytes) -> str:
    return f"{round(len(data) / 1024, 1):.1f}".replace(".", ",").replace(",0", "") + " KB"


def test_history_of_a_period_never_checked(tmp_path):
    done = cchc("history", "--period", PERIOD, root=tmp_path)
    assert done.returncode == 0
    assert "Chưa có lần kiểm tra nào được ghi nhật ký; hãy chạy: cchc check --period 2021-H1" in done.stdout


def test_feedback_lists_what_changed_between_a_units_versions(workspace):
    root, raw = workspace
    tp = raw / "Tu phap.xlsx"
    first = unit_book(tp, "TP", [("2.1", 3), ("2.2", 5)])
    received(raw, {"Tu phap.xlsx": "2021-06-14T16:30"})
    done = cchc("check", "--period", PERIOD, root=root)
    assert done.returncode == 0, done.stderr
    second = unit_book(tp, "TP", [("2.1", 4), ("2.2", 5)])
    done = cchc("check", "--period", PERIOD, root=root)
    assert "Nhật ký:      1 sự kiện tệp, 1 số liệu thay đổi (cchc history --period 2021-H1)" in done.stdout
    book = openpyxl.load_workbook(root / "reports" / PERIOD / "feedback" / "TP.xlsx")
    assert book.sheetnames == ["Phản hồi", "Thay đổi giữa các lần gửi"]
    sheet = book["Thay đổi giữa các lần gửi"]
    header = [c.value for c in sheet[5]]
    assert header == ["STT", "Lần kiểm tra", "Chỉ tiêu", "Số liệu cũ", "Nguồn cũ", "Số liệu mới", "Nguồn mới", "Lý do",
                      "Bảng của huyện"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=6) if any(c.value for c in row)]
    assert len(rows) == 1  # the first version's values are not changes between versions
    row = rows[0]
    assert row[2] == "2.1 – Số VBQPPL đã ban hành/tham mưu ban hành"
    assert row[3:] == ["3", f"Tệp 'Tu phap.xlsx', trang 'PL2', dòng 5 (bản {sha(first)[:8]})", "4",
                       f"Tệp 'Tu phap.xlsx', trang 'PL2', dòng 5 (bản {sha(second)[:8]})",
                       "tệp được thay bằng bản sửa cùng tên", "3 → 4"]
    other = openpyxl.load_workbook(root / "reports" / PERIOD / "feedback" / "KTHT.xlsx")["Thay đổi giữa các lần gửi"]
    assert other["C6"].value == "Chưa có thay đổi nào giữa các lần gửi của đơn vị."


# ------------------------------------------------------------------------------------------------
# never lost, never twice: killed checks, two checks at once


def invariants(root: Path) -> audit.Audit:
    """The record is whole and agrees with the outputs it was swapped in with: every row belongs
    to a recorded check, each check has exactly the rows it counted, no file event twice, and
    replaying the changes gives the live values of ``values.parquet``."""
    rec = record(root)
    checks = rec.actions[rec.actions["action"] == "check"]
    assert rec.actions["check_id"].is_unique
    for frame, column in ((rec.files, "file_events"), (rec.changes, "value_changes")):
        assert set(frame["check_id"]) <= set(checks["check_id"])
        counted = frame.groupby("check_id").size().reindex(checks["check_id"], fill_value=0)
        assert list(counted) == list(checks[column].astype(int))
    assert not rec.files.duplicated(["check_id", "source_file"]).any()
    assert not rec.changes.duplicated(["check_id", "unit", "indicator"]).any()
    values = pd.read_parquet(root / "data" / "processed" / PERIOD / "values.parquet")
    live = values[~values["superseded"]]
    expected = sorted(zip(live["unit"], live["indicator"], live["value"], live["source_file"], live["row"].astype(int)))
    state = audit.value_state(rec.changes, rec.files)
    assert sorted(zip(state["unit"], state["indicator"], state["value"], state["source_file"],
                      state["row"].astype(int))) == expected
    return rec


def test_kill_9_at_many_points_never_loses_or_duplicates_an_entry(workspace):
    root, raw = workspace
    unit_book(raw / "Tu phap.xlsx", "TP", [("2.1", 3), ("2.2", 5)])
    assert cchc("check", "--period", PERIOD, root=root).returncode == 0
    processed = root / "data" / "processed"
    versions = {}
    delays = [0.3, 0.6, 0.9, 1.2, 1.5, 1.8, "staging", "swap"]
    for number, delay in enumerate(delays, start=1):
        versions[number] = sha(unit_book(raw / "Kinh te.xlsx", "KTHT", [("3.4.5", 90 + number)]))
        proc = subprocess.Popen([sys.executable, "-m", "cchc_analysis", "check", "--period", PERIOD,
                                 "--root", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        if isinstance(delay, float):
            time.sleep(delay)
        else:  # the moment a staging folder appears beside the period's (writing), or the old one set aside
            mark = f".{PERIOD}.staging-" if delay == "staging" else f".{PERIOD}.old-"
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                if any(p.name.startswith(mark) for p in processed.iterdir()):
                    break
                time.sleep(0.0002)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        recover(processed / PERIOD)  # what the next command does first
        invariants(root)
    done = cchc("check", "--period", PERIOD, root=root)
    assert done.returncode == 0, done.stderr
    rec = invariants(root)
    # the folder as it is now is what the record says
    state = audit.file_state(rec.files)
    assert dict(zip(state["source_file"], state["sha256"])) == {
        "Tu phap.xlsx": sha((raw / "Tu phap.xlsx").read_bytes()), "Kinh te.xlsx": versions[len(delays)]}
    # each version of the late file that a check saw is recorded once, in the order written
    seen = rec.files[rec.files["source_file"] == "Kinh te.xlsx"]["sha256"].tolist()
    order = [versions[n] for n in sorted(versions)]
    assert seen == [s for s in order if s in seen] and len(seen) == len(set(seen))
    assert seen[-1] == versions[len(delays)]


def test_crash_between_the_two_renames_keeps_the_record(workspace, monkeypatch):
    root, raw = workspace
    unit_book(raw / "Tu phap.xlsx", "TP", [("2.1", 3)])
    check(root)
    unit_book(raw / "Kinh te.xlsx", "KTHT", [("3.4.5", 95)])
    import cchc_analysis.atomic as atomic

    real = os.replace

    def dying(src, dst):  # the old folder is set aside, then the process dies before the new one is in
        if Path(dst).name == PERIOD and Path(src).name.startswith(f".{PERIOD}.staging-"):
            raise KeyboardInterrupt("killed")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", dying)
    with pytest.raises(KeyboardInterrupt):
        check(root)
    monkeypatch.undo()
    assert not (root / "data" / "processed" / PERIOD).exists()  # set aside, not lost
    check(root)  # puts the previous folder back first, then checks
    rec = invariants(root)
    assert [(e[0], e[1]) for e in events(rec.files)] == [("added", "Tu phap.xlsx"), ("added", "Kinh te.xlsx")]
    assert list(rec.actions["action"]) == ["check", "check"]


def test_two_checks_at_once_neither_lose_nor_duplicate(workspace):
    root, raw = workspace
    unit_book(raw / "Tu phap.xlsx", "TP", [("2.1", 3)])
    assert cchc("check", "--period", PERIOD, root=root).returncode == 0
    unit_book(raw / "Kinh te.xlsx", "KTHT", [("3.4.5", 95)])
    command = [sys.executable, "-m", "cchc_analysis", "check", "--period", PERIOD, "--root", str(root)]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
             for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2]), results
    if codes == [0, 2]:
        assert any("đang được xử lý bởi một lần chạy khác" in err for code, err in results if code == 2)
    rec = invariants(root)
    assert [(e[0], e[1]) for e in events(rec.files)] == [("added", "Tu phap.xlsx"), ("added", "Kinh te.xlsx")]
    assert len(rec.changes[rec.changes["unit"] == "KTHT"]) == 1


def test_a_check_while_another_holds_the_lock_is_refused_and_changes_nothing(workspace):
    root, raw = workspace
    unit_book(raw / "Tu phap.xlsx", "TP", [("2.1", 3)])
    check(root)
    folder = root / "data" / "processed" / PERIOD
    before = {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    unit_book(raw / "Kinh te.xlsx", "KTHT", [("3.4.5", 95)])
    with period_lock(root, PERIOD):
        done = cchc("check", "--period", PERIOD, root=root)
    assert done.returncode == 2
    assert "Kỳ 2021-H1 đang được xử lý bởi một lần chạy khác" in done.stderr
    assert {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} == before


def test_a_damaged_record_is_never_overwritten(workspace):
    root, raw = workspace
    unit_book(raw / "Tu phap.xlsx", "TP", [("2.1", 3)])
    check(root)
    damaged = root / "data" / "processed" / PERIOD / "audit" / "changes.parquet"
    damaged.write_bytes(b"not parquet")
    done = cchc("check", "--period", PERIOD, root=root)
    assert done.returncode == 2
    assert "Không đọc được nhật ký" in done.stderr and "changes.parquet" in done.stderr
    assert damaged.read_bytes() == b"not parquet"


def test_ingest_keeps_the_record(workspace):
    root, raw = workspace
    unit_book(raw / "Tu phap.xlsx", "TP", [("2.1", 3)])
    check(root)
    audit_dir = root / "data" / "processed" / PERIOD / "audit"
    before = {p.name: p.read_bytes() for p in audit_dir.iterdir()}
    assert cchc("ingest", "--period", PERIOD, root=root).returncode == 0
    assert {p.name: p.read_bytes() for p in audit_dir.iterdir()} == before
