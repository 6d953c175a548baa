"""`cchc check` end to end on a workspace: one unit missing, one late, one blank owed value, one
broken sum rule — each reported with the right unit and indicator, nothing else as an error."""

from __future__ import annotations

import csv
import subprocess
import sys

import openpyxl
import pandas as pd

from cchc_analysis.catalogue import load_catalogue, load_units

from test_checks import consistent_values, write_unit_workbook


def make_workspace(root):
    raw = root / "data" / "raw" / "2021-H1"
    raw.mkdir(parents=True)
    cat, units = load_catalogue(2021), load_units()
    names = dict(zip(units["code"], units["name"]))
    received = {}
    for unit in ["NV", "TCKH", "TP", "KTHT", "VP"]:  # VHTT sends nothing
        values = consistent_values(cat, unit)
        if unit == "NV":
            del values["1.1.2"]
        if unit == "VP":
            values["3.1.3"] = 380  # the parts add up to 372
        write_unit_workbook(raw / f"{unit}.xlsx", cat, names[unit], values)
        received[f"{unit}.xlsx"] = "2021-06-16T10:00:00" if unit == "KTHT" else "2021-06-14T16:20:00"
    with open(raw / "submissions.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "received_at"])
        writer.writerows(received.items())
    return raw


def cchc(*args):
    return subprocess.run([sys.executable, "-m", "cchc_analysis", *args], capture_output=True, text=True)


def test_check_reports_exactly_the_planted_problems(tmp_path):
    make_workspace(tmp_path)
    done = cchc("check", "--period", "2021-H1", "--root", str(tmp_path))
    assert done.returncode == 0, done.stderr
    out = tmp_path / "data" / "processed" / "2021-H1"
    for name in ["values.parquet", "findings.csv", "completeness.parquet", "timeliness.parquet",
                 "consolidated.parquet", "comparison.parquet"]:
        assert (out / name).is_file(), name
    findings = pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)
    serious = findings[findings["severity"].isin(["error", "warning"])]
    assert sorted(zip(serious["unit"], serious["indicator"], serious["check"])) == [
        ("KTHT", "", "late-report"), ("NV", "1.1.2", "missing-value"),
        ("VHTT", "", "missing-report"), ("VP", "3.1.3", "rule-violation"),
    ]
    assert "Tỷ lệ đơn vị đã báo cáo: 83,3 %" in done.stdout
    feedback = sorted(p.name for p in (tmp_path / "reports" / "2021-H1" / "feedback").glob("*.xlsx"))
    assert feedback == ["KTHT.xlsx", "NV.xlsx", "TCKH.xlsx", "TP.xlsx", "VHTT.xlsx", "VP.xlsx"]
    consolidated = pd.read_parquet(out / "consolidated.parquet").set_index("indicator")
    assert consolidated.loc["3.1.3", "value"] == 380 and consolidated.loc["3.1.3", "units"] == "VP"
    assert "7.1.1" not in consolidated.index  # VHTT sent nothing


def test_strict_exit_code_and_bad_period(tmp_path):
    make_workspace(tmp_path)
    assert cchc("check", "--period", "2021-H1", "--root", str(tmp_path), "--strict").returncode == 1
    bad = cchc("check", "--period", "2021-H3", "--root", str(tmp_path))
    assert bad.returncode == 2 and "Mã kỳ báo cáo không hợp lệ" in bad.stderr


def test_catalogue_command_prints_the_catalogue():
    done = cchc("catalogue", "--year", "2021")
    assert done.returncode == 0
    rows = list(csv.DictReader(done.stdout.splitlines()))
    assert len(rows) == 137
    assert {"id", "printed", "name", "unit", "kind", "choices", "owner"} <= set(rows[0])
    assert next(r for r in rows if r["id"] == "1.2.1")["printed"] == "1.1.1."


def test_history_flags_name_the_cell(tmp_path):
    """A large change found against the previous period points at the row of the owner's file."""
    cat, units = load_catalogue(2021), load_units()
    names = dict(zip(units["code"], units["name"]))
    for period, rate in (("2020-H1", 20.0), ("2021-H1", 85.0)):
        raw = tmp_path / "data" / "raw" / period
        raw.mkdir(parents=True)
        values = consistent_values(cat, "VP")
        values["7.1.8.3"] = rate
        write_unit_workbook(raw / "VP.xlsx", cat, names["VP"], values)
        if period == "2020-H1":  # the fixture's title names 2021
            book = openpyxl.load_workbook(raw / "VP.xlsx")
            book.active["A2"] = "THỐNG KÊ SỐ LIỆU CẢI CÁCH HÀNH CHÍNH 6 tháng đầu năm 2020"
            book.save(raw / "VP.xlsx")
        assert cchc("check", "--period", period, "--root", str(tmp_path)).returncode == 0
    findings = pd.read_csv(tmp_path / "data" / "processed" / "2021-H1" / "findings.csv", dtype=str, keep_default_na=False)
    flag = findings[(findings["check"] == "large-change") & (findings["indicator"] == "7.1.8.3")].iloc[0]
    assert flag["source_file"] == "VP.xlsx" and flag["row"] == str(5 + list(cat["id"]).index("7.1.8.3"))
    assert flag["message"].startswith("Tệp 'VP.xlsx'")


def test_a_recheck_rewrites_only_the_feedback_that_changed_or_was_edited(tmp_path, monkeypatch):
    """After one corrected file, the re-check writes that unit's feedback again and keeps the
    others byte for byte, except one edited by hand since (it is made again, not trusted)."""
    import openpyxl

    from cchc_analysis.outputs import feedback as FB
    from cchc_analysis.pipeline import check_period, write_feedback_files

    raw = make_workspace(tmp_path)
    folder = tmp_path / "reports" / "2021-H1" / "feedback"
    write_feedback_files(check_period("2021-H1", tmp_path), tmp_path)
    before = {p.name: p.read_bytes() for p in folder.glob("*.xlsx")}
    edited = openpyxl.load_workbook(folder / "TP.xlsx")
    edited.active["A1"] = "SỬA TAY"
    edited.save(folder / "TP.xlsx")
    cat, units = load_catalogue(2021), load_units()
    values = consistent_values(cat, "VP")  # the corrected file: 3.1.3 now adds up
    write_unit_workbook(raw / "VP.xlsx", cat, dict(zip(units["code"], units["name"]))["VP"], values)
    written = []
    real = FB._write_one
    monkeypatch.setattr(FB, "_write_one", lambda path, *a: (written.append(path.name), real(path, *a)))
    write_feedback_files(check_period("2021-H1", tmp_path), tmp_path)
    assert sorted(written) == ["TP.xlsx", "VP.xlsx"]
    after = {p.name: p.read_bytes() for p in folder.glob("*.xlsx")}
    assert all(after[n] == before[n] for n in ["KTHT.xlsx", "NV.xlsx", "TCKH.xlsx", "VHTT.xlsx"])  # copied
    assert openpyxl.load_workbook(folder / "TP.xlsx").active["A1"].value != "SỬA TAY"  # made again


def test_ingest_writes_what_check_writes_of_the_ingest(tmp_path):
    """`cchc ingest` and `cchc check` write the same values, cells and files; the ingest's
    findings are among the check's (which adds its own: the missing report, the late one)."""
    make_workspace(tmp_path)
    elsewhere = tmp_path / "ingest-only"
    done = cchc("ingest", "--period", "2021-H1", "--root", str(tmp_path), "--out", str(elsewhere))
    assert done.returncode == 0, done.stderr
    assert "Tệp đã đọc:   5" in done.stdout and "Đơn vị:       KTHT, NV, TCKH, TP, VP" in done.stdout
    assert sorted(p.name for p in elsewhere.iterdir()) == ["cells.parquet", "files.csv", "findings.csv",
                                                           "narrative.parquet", "values.parquet"]
    assert not (tmp_path / "data" / "processed" / "2021-H1").exists()  # --out: nothing written in the workspace
    assert cchc("check", "--period", "2021-H1", "--root", str(tmp_path)).returncode == 0
    checked = tmp_path / "data" / "processed" / "2021-H1"
    for name in ("values.parquet", "cells.parquet", "narrative.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(elsewhere / name), pd.read_parquet(checked / name))
    assert (elsewhere / "files.csv").read_bytes() == (checked / "files.csv").read_bytes()
    ingested = pd.read_csv(elsewhere / "findings.csv", dtype=str, keep_default_na=False)
    found = pd.read_csv(checked / "findings.csv", dtype=str, keep_default_na=False)
    assert set(map(tuple, ingested.values)) <= set(map(tuple, found.values))
    assert {("VHTT", "missing-report"), ("KTHT", "late-report")} <= set(zip(found["unit"], found["check"]))
    values = pd.read_parquet(checked / "values.parquet")
    assert sorted(set(values["unit"])) == ["KTHT", "NV", "TCKH", "TP", "VP"]
    assert values.loc[(values["unit"] == "VP") & (values["indicator"] == "3.1.3"), "value"].tolist() == [380.0]
