"""Sign-off: ``cchc close``, a closed period that no check or run changes, ``cchc reopen`` (recorded),
``cchc verify`` naming each file altered by hand, and the stamps of the workbook and the summary.

Expected texts, names and values are written by hand from the fixture files the tests write.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from test_audit import ENV, PERIOD, received, sha, unit_book

from cchc_analysis import audit, signoff
from cchc_analysis.history import load_history
from cchc_analysis.pipeline import check_period, load_period, period_lock


def cchc(*args, root: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cchc_analysis", *args, "--root", str(root)],
                          capture_output=True, text=True, env=ENV, timeout=timeout)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every byte of the period's outputs (``data/processed/<period>`` and ``reports/<period>``)."""
    out = {}
    for folder in (root / "data" / "processed" / PERIOD, root / "reports" / PERIOD):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def stamp(text: str) -> str:
    """``HH:MM dd/mm/yyyy`` of an ISO time (as closed.json holds it)."""
    return datetime.fromisoformat(text).strftime("%H:%M %d/%m/%Y")


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("CCHC_WORKERS", "0")  # in-process checks read in this process (subprocesses keep theirs)
    raw = tmp_path / "data" / "raw" / PERIOD
    raw.mkdir(parents=True)
    unit_book(raw / "Tu phap.xlsx", "TP", [("2.1", 3), ("2.2", 5)])
    received(raw, {"Tu phap.xlsx": "2021-06-14T16:30"})
    return tmp_path, raw


# ------------------------------------------------------------------------------------------------
# acceptance 2: closed, nothing changes; reopened, the pending file is taken; all of it recorded


def test_a_closed_period_stays_as_sent_until_reopened(workspace):
    root, raw = workspace
    done = cchc("run", "--period", PERIOD, root=root)
    assert done.returncode == 0, done.stderr
    done = cchc("close", "--period", PERIOD, "--by", "Nguyễn Văn An", "--note", "Đã gửi Sở Nội vụ", root=root)
    assert done.returncode == 0, done.stderr
    processed, reports = root / "data" / "processed" / PERIOD, root / "reports" / PERIOD
    manifest = json.loads((processed / "closed.json").read_text(encoding="utf-8"))
    assert manifest["closed_by"] == "Nguyễn Văn An" and manifest["note"] == "Đã gửi Sở Nội vụ"
    when = stamp(manifest["closed_at"])
    assert f"Đã chốt số liệu kỳ 2021-H1 lúc {when}, người chốt: Nguyễn Văn An." in done.stdout
    assert manifest["raw"] == {
        "data/raw/2021-H1/Tu phap.xlsx": sha((raw / "Tu phap.xlsx").read_bytes()),
        "data/raw/2021-H1/submissions.csv": sha((raw / "submissions.csv").read_bytes()),
    }
    outputs = manifest["outputs"]
    for name in ("data/processed/2021-H1/values.parquet", "data/processed/2021-H1/closed/consolidated.parquet",
                 "data/processed/2021-H1/closed/consolidated.xlsx", "data/processed/2021-H1/audit/actions.parquet",
                 "reports/2021-H1/consolidated.xlsx", "reports/2021-H1/summary.html",
                 "reports/2021-H1/feedback/TP.xlsx", "reports/2021-H1/notebooks/05_tom_tat.ipynb"):
        assert outputs[name] == sha((root / name).read_bytes()), name
    assert "data/processed/2021-H1/closed.json" not in outputs
    # the copy as sent: read-only, the district's values, stamped
    copy = processed / "closed"
    for name in ("consolidated.parquet", "consolidated.xlsx"):
        assert not os.stat(copy / name).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    sent = pd.read_parquet(copy / "consolidated.parquet")
    assert dict(zip(sent["indicator"], sent["value"])) == {"2.1": 3.0, "2.2": 5.0}
    closed_line = f"Số liệu đã chốt lúc {when} bởi Nguyễn Văn An. Ghi chú: Đã gửi Sở Nội vụ."
    for book in (copy / "consolidated.xlsx", reports / "consolidated.xlsx"):
        assert openpyxl.load_workbook(book)["Phụ lục II"]["A5"].value == closed_line
    assert closed_line in (reports / "summary.html").read_text(encoding="utf-8")
    assert "Số liệu tạm thời" not in (reports / "summary.html").read_text(encoding="utf-8")

    before = snapshot(root)
    # a late file and a corrected one arrive after the close
    unit_book(raw / "Kinh te.xlsx", "KTHT", [("3.4.5", 95.5)])
    corrected = unit_book(raw / "Tu phap.xlsx", "TP", [("2.1", 4), ("2.2", 5)])
    received(raw, {"Tu phap.xlsx": "2021-06-16T08:00", "Kinh te.xlsx": "2021-06-16T10:00"})
    for command in (["check"], ["run"]):
        done = cchc(*command, "--period", PERIOD, root=root)
        assert done.returncode == 0, done.stderr
        out = done.stdout
        assert out.startswith(f"Kỳ 2021-H1 đã chốt lúc {when} bởi Nguyễn Văn An: không ghi lại kết quả nào")
        assert "Tệp Kinh te.xlsx: tệp mới — Phòng Kinh tế và Hạ tầng (KTHT), nhận 10:00 ngày 16/06/2021" in out
        assert "Tệp Tu phap.xlsx: thay bằng bản sửa (cùng tên, nội dung khác) — Phòng Tư pháp (TP)" in out
        assert "TP 2.1 Số VBQPPL đã ban hành/tham mưu ban hành: 3 → 4" in out
        assert "lý do: tệp được thay bằng bản sửa cùng tên; bảng của huyện: 3 → 4" in out
        assert "(chưa có) → 95,5%" in out and "bảng của huyện: (chưa có) → 95,5%" in out
        assert "TP 2.2" not in out  # unchanged
        assert cchc(*command, "--period", PERIOD, "--strict", root=root).returncode == 1
        assert snapshot(root) == before  # not one byte of the period's outputs changed

    done = cchc("reopen", "--period", PERIOD, "--by", "Trần Thị Bình", "--reason", "Phòng KTHT gửi muộn", root=root)
    assert done.returncode == 0, done.stderr
    assert not (processed / "closed.json").exists() and not (processed / "closed").exists()
    kept = processed / "audit" / f"closed-{datetime.fromisoformat(manifest['closed_at']):%Y%m%dT%H%M%S}"
    assert json.loads((kept / "closed.json").read_text(encoding="utf-8")) == manifest
    assert (kept / "consolidated.xlsx").read_bytes() == before["data/processed/2021-H1/closed/consolidated.xlsx"]
    assert openpyxl.load_workbook(reports / "consolidated.xlsx")["Phụ lục II"]["A5"].value.startswith(
        "Số liệu tạm thời, cập nhật lúc ")
    assert "Kỳ đã được mở lại lúc" in (reports / "summary.html").read_text(encoding="utf-8")

    done = cchc("check", "--period", PERIOD, root=root)
    assert done.returncode == 0, done.stderr
    rec = audit.load_audit(PERIOD, root)
    assert list(rec.actions["action"]) == ["check", "close", "reopen", "check"]
    assert list(rec.actions["by"].iloc[1:3]) == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert list(rec.actions["note"].iloc[1:3]) == ["Đã gửi Sở Nội vụ", "Phòng KTHT gửi muộn"]
    last = rec.actions["check_id"].iloc[-1]
    taken = rec.files[rec.files["check_id"] == last]
    assert sorted(zip(taken["event"], taken["source_file"], taken["sha256"])) == [
        ("added", "Kinh te.xlsx", sha((raw / "Kinh te.xlsx").read_bytes())),
        ("replaced", "Tu phap.xlsx", sha(corrected)),
    ]
    values = rec.changes[rec.changes["check_id"] == last]
    assert sorted(zip(values["unit"], values["indicator"], values["old_value"].fillna(-1), values["new_value"])) == [
        ("KTHT", "3.4.5", -1, 95.5), ("TP", "2.1", 3.0, 4.0)]
    consolidated = pd.read_parquet(processed / "consolidated.parquet")
    assert dict(zip(consolidated["indicator"], consolidated["value"])) == {"2.1": 4.0, "2.2": 5.0, "3.4.5": 95.5}
    history = cchc("history", "--period", PERIOD, root=root).stdout
    assert f"Chốt số liệu — {when[:5]} ngày {when[6:]}, người chốt: Nguyễn Văn An. Ghi chú: Đã gửi Sở Nội vụ" in history
    assert "người mở: Trần Thị Bình. Lý do: Phòng KTHT gửi muộn" in history


# ------------------------------------------------------------------------------------------------
# acceptance 3: verify


def closed(root: Path) -> dict:
    with period_lock(root, PERIOD):
        check_period(PERIOD, root)
        return signoff.close_period(PERIOD, root, "Lê Văn Cường").manifest


def test_verify_names_each_file_changed_by_hand(workspace):
    root, raw = workspace
    closed(root)
    done = cchc("verify", "--period", PERIOD, root=root)
    assert done.returncode == 0, done.stderr
    assert "Hồ sơ chốt còn nguyên vẹn: 2 tệp gốc và" in done.stdout

    copy = root / "data" / "processed" / PERIOD / "closed" / "consolidated.xlsx"
    os.chmod(copy, 0o644)
    book = openpyxl.load_workbook(copy)
    book["Phụ lục II"]["D8"] = 99  # someone "fixes" a number in the table as sent
    book.save(copy)
    tp = raw / "Tu phap.xlsx"
    tp.write_bytes(tp.read_bytes() + b"\0")
    (root / "data" / "processed" / PERIOD / "findings.csv").unlink()
    (raw / "ghi chu.txt").write_text("thêm", encoding="utf-8")
    done = cchc("verify", "--period", PERIOD, root=root)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[1] == "Hồ sơ chốt KHÔNG còn nguyên vẹn: 4 tệp khác với lúc chốt:"
    assert lines[2:] == [
        "  - data/processed/2021-H1/closed/consolidated.xlsx: nội dung đã bị sửa (SHA-256 khác với lúc chốt)",
        "  - data/raw/2021-H1/Tu phap.xlsx: nội dung đã bị sửa (SHA-256 khác với lúc chốt)",
        "  - data/processed/2021-H1/findings.csv: đã bị xóa hoặc đổi tên",
        "  - data/raw/2021-H1/ghi chu.txt: tệp mới, không có trong hồ sơ chốt",
    ]


def test_verify_names_an_edited_report_and_record(workspace):
    root, raw = workspace
    closed(root)
    actions = root / "data" / "processed" / PERIOD / "audit" / "actions.parquet"
    frame = pd.read_parquet(actions)
    frame.loc[frame["action"] == "close", "by"] = "Người khác"
    frame.to_parquet(actions, index=False)
    done = cchc("verify", "--period", PERIOD, root=root)
    assert done.returncode == 1
    assert "  - data/processed/2021-H1/audit/actions.parquet: nội dung đã bị sửa (SHA-256 khác với lúc chốt)" in done.stdout


def test_verify_and_reopen_of_an_open_period_say_so(workspace):
    root, _raw = workspace
    done = cchc("verify", "--period", PERIOD, root=root)
    assert done.returncode == 2
    assert "Kỳ 2021-H1 chưa chốt (không có data/processed/2021-H1/closed.json)" in done.stderr
    done = cchc("reopen", "--period", PERIOD, "--by", "A", "--reason", "B", root=root)
    assert done.returncode == 2 and "chưa chốt" in done.stderr
    done = cchc("close", "--period", PERIOD, "--by", "A", root=root)
    assert done.returncode == 2
    assert "Kỳ 2021-H1 chưa được kiểm tra" in done.stderr and "cchc check --period 2021-H1" in done.stderr


def test_close_twice_and_commands_that_would_rewrite_a_closed_period_are_refused(workspace, tmp_path):
    root, raw = workspace
    manifest = closed(root)
    before = snapshot(root)
    done = cchc("close", "--period", PERIOD, "--by", "Ai đó", root=root)
    assert done.returncode == 2
    assert f"Kỳ 2021-H1 đã chốt lúc {stamp(manifest['closed_at'])} bởi Lê Văn Cường" in done.stderr
    done = cchc("ingest", "--period", PERIOD, root=root)
    assert done.returncode == 2 and "cchc reopen --period 2021-H1" in done.stderr
    done = cchc("backfill", "--period", PERIOD, str(raw / "Tu phap.xlsx"), root=root)
    assert done.returncode == 2 and "đã chốt" in done.stderr
    assert snapshot(root) == before
    with pytest.raises(signoff.PeriodClosed):
        check_period(PERIOD, root)
    # an --out elsewhere is not the period's outputs: allowed
    assert cchc("ingest", "--period", PERIOD, "--out", str(tmp_path / "elsewhere"), root=root).returncode == 0


def test_close_refuses_reports_made_before_the_last_check(workspace):
    root, _raw = workspace
    with period_lock(root, PERIOD):
        check_period(PERIOD, root)
    summary = root / "reports" / PERIOD / "summary.html"
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary.write_text('<p class="cchc-status provisional" data-cchc-check="0123abcd">Số liệu tạm thời</p>',
                       encoding="utf-8")
    done = cchc("close", "--period", PERIOD, "--by", "A", root=root)
    assert done.returncode == 2
    assert "được lập trước lần kiểm tra cuối" in done.stderr and "cchc run --period 2021-H1 --no-check" in done.stderr
    assert not (root / "data" / "processed" / PERIOD / "closed.json").exists()


def test_a_close_killed_before_its_swap_leaves_the_period_open(workspace, monkeypatch):
    root, _raw = workspace
    with period_lock(root, PERIOD):
        check_period(PERIOD, root)
    before = snapshot(root)
    import cchc_analysis.atomic as atomic

    real = os.replace

    def dying(src, dst):
        if Path(dst).name == PERIOD and Path(src).name.startswith(f".{PERIOD}.staging-"):
            raise KeyboardInterrupt("killed")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", dying)
    with pytest.raises(KeyboardInterrupt):
        signoff.close_period(PERIOD, root, "A")
    monkeypatch.undo()
    assert not signoff.is_closed(PERIOD, root)  # the folder is aside: not closed
    atomic.recover(root / "data" / "processed" / PERIOD)
    assert snapshot(root) == before
    manifest = signoff.close_period(PERIOD, root, "A").manifest
    assert list(audit.load_audit(PERIOD, root).actions["action"]) == ["check", "close"]
    assert signoff.verify_period(PERIOD, root).intact and manifest["closed_by"] == "A"


# ------------------------------------------------------------------------------------------------
# what later periods and the outputs read


def test_later_periods_read_the_closed_copy(tmp_path):
    folder = tmp_path / "2020-H1"
    (folder / "closed").mkdir(parents=True)
    pd.DataFrame({"period": ["2020-H1"], "indicator": ["2.1"], "value": [20.0], "units": ["TP"]}).to_parquet(
        folder / "consolidated.parquet")
    pd.DataFrame({"period": ["2020-H1"], "indicator": ["2.1"], "value": [7.0], "units": ["TP"]}).to_parquet(
        folder / "closed" / "consolidated.parquet")
    assert list(load_history(tmp_path)["value"]) == [20.0]  # not closed: the live table
    (folder / "closed.json").write_text("{}", encoding="utf-8")
    assert list(load_history(tmp_path)["value"]) == [7.0]  # closed: the values as sent


def test_a_later_period_compares_with_the_closed_values(tmp_path):
    old = tmp_path / "data" / "raw" / "2020-H1"
    unit_book(old / "Tu phap.xlsx", "TP", [("2.1", 10)], title="Báo cáo 6 tháng đầu năm 2020")
    with period_lock(tmp_path, "2020-H1"):
        check_period("2020-H1", tmp_path)
        signoff.close_period("2020-H1", tmp_path, "A")
    unit_book(old / "Tu phap.xlsx", "TP", [("2.1", 20)], title="Báo cáo 6 tháng đầu năm 2020")  # a correction after the close: not taken
    new = tmp_path / "data" / "raw" / PERIOD
    unit_book(new / "Tu phap.xlsx", "TP", [("2.1", 12)])
    with period_lock(tmp_path, PERIOD):
        outcome = check_period(PERIOD, tmp_path)
    comparison = outcome.frames["comparison.parquet"]
    row = comparison[(comparison["indicator"] == "2.1") & (comparison["ref"] == "last_year")].iloc[0]
    assert (row["ref_period"], row["ref_value"], row["change"]) == ("2020-H1", 10.0, 2.0)


def test_status_of_an_open_period_is_provisional_since_the_last_check(workspace, tmp_path):
    root, _raw = workspace
    with period_lock(root, PERIOD):
        check_period(PERIOD, root)
    last = audit.load_audit(PERIOD, root).actions["checked_at"].iloc[-1]
    expected = f"Số liệu tạm thời, cập nhật lúc {last:%H:%M %d/%m/%Y}."
    from cchc_analysis.outputs import report
    from cchc_analysis.outputs.workbook import write_consolidated_workbook

    data = load_period(PERIOD, root)
    path = write_consolidated_workbook(data, tmp_path / "out" / "consolidated.xlsx")
    assert openpyxl.load_workbook(path)["Phụ lục II"]["A5"].value == expected
    assert expected in report.status_note(data) and 'class="cchc-status provisional"' in report.status_note(data)


def test_the_names_typed_by_people_are_kept_safe(workspace, tmp_path):
    root, _raw = workspace
    with period_lock(root, PERIOD):
        check_period(PERIOD, root)
        signoff.close_period(PERIOD, root, "=HYPERLINK(\"x\") <b>", note="<script>")
    from cchc_analysis.outputs import report

    note = report.status_note(load_period(PERIOD, root))
    assert "<script>" not in note and "&lt;script&gt;" in note and "&lt;b&gt;" in note
    cell = openpyxl.load_workbook(root / "data" / "processed" / PERIOD / "closed" / "consolidated.xlsx")["Phụ lục II"]["A5"]
    assert cell.data_type == "s" and cell.value.startswith("Số liệu đã chốt lúc ")


@pytest.mark.parametrize("command", ["history", "close", "reopen", "verify"])
def test_every_new_command_has_help(tmp_path, command):
    done = cchc(command, "--help", root=tmp_path)
    assert done.returncode == 0 and "--period" in done.stdout and "--root" in done.stdout


def test_a_hash_is_of_the_bytes(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    assert audit.sha256_file(path) == hashlib.sha256(b"abc").hexdigest() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
