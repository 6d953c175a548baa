"""Which workspace and which period: the notebooks as committed find theirs (``CCHC_ROOT``, a
``cchc.toml`` above the working folder, the demo), and a command pointed at a folder that is not a
workspace, or at a period it does not have, stops with exit code 2 and creates nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import openpyxl
import pytest
from nbclient import NotebookClient

from cchc_analysis import config
from cchc_analysis import run as R
from cchc_analysis.config import WorkspaceError, find_workspace, newest_period, require_period
from cchc_analysis.pipeline import check_period

ROOT = Path(__file__).resolve().parents[1]


def write_unit(path: Path, unit_name: str, period_words: str, rows: list[tuple]) -> None:
    """A department's own rows of Phụ lục II, headed like the letter."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([f"TÊN CƠ QUAN: {unit_name}"])
    sheet.append([f"THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH {period_words}"])
    sheet.append(["STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú"])
    for row in rows:
        sheet.append([*row, None])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def small_workspace(root: Path) -> Path:
    """Two periods of Phòng Tư pháp and the Văn phòng: 2020-H1 and 2021-H1."""
    for period, words, values, rate in (("2020-H1", "6 tháng đầu năm 2020", (10, 4), 95.0),
                                        ("2021-H1", "6 tháng đầu năm 2021", (12, 5), 96.8)):
        raw = root / "data" / "raw" / period
        write_unit(raw / "tu phap.xlsx", "Phòng Tư pháp", words, [
            ("2.1.", "Số VBQPPL đã ban hành/tham mưu ban hành", "Văn bản", values[0]),
            ("2.2.", "Số VBQPPL đã kiểm tra theo thẩm quyền", "Văn bản", values[1]),
        ])
        write_unit(raw / "van phong.xlsx", "Văn phòng HĐND và UBND huyện", words, [
            ("3.4.2.", "Tỷ lệ hồ sơ TTHC do UBND cấp huyện tiếp nhận được giải quyết đúng hạn, đúng quy trình", "%",
             rate),
        ])
    return root


# --------------------------------------------------------------------------------------------
# finding the workspace and the period


def test_the_environment_variable_names_the_workspace(tmp_path, monkeypatch):
    ws = small_workspace(tmp_path / "ws")
    monkeypatch.setenv("CCHC_ROOT", str(ws))
    monkeypatch.chdir(tmp_path)
    assert find_workspace() == ws.resolve()
    assert find_workspace(tmp_path / "explicit") == (tmp_path / "explicit").resolve()  # a root given wins
    monkeypatch.setenv("CCHC_ROOT", str(tmp_path / "typo"))
    with pytest.raises(WorkspaceError, match="CCHC_ROOT"):
        find_workspace()


def test_a_cchc_toml_above_the_working_folder_marks_the_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("CCHC_ROOT", raising=False)
    ws = tmp_path / "cam-xuyen"
    (ws / "tools" / "notebooks").mkdir(parents=True)
    (ws / "cchc.toml").write_text('[district]\nname = "UBND huyện Cẩm Xuyên"\n', encoding="utf-8")
    assert find_workspace(start=ws / "tools" / "notebooks") == ws.resolve()


def test_a_folder_above_holding_a_period_is_the_workspace_and_an_empty_one_is_not(tmp_path, monkeypatch):
    monkeypatch.delenv("CCHC_ROOT", raising=False)
    monkeypatch.setattr(config, "DEMO_ROOT", tmp_path / "no-demo")
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    (repo / "data" / "raw").mkdir(parents=True)  # the repository's empty workspace folders
    (repo / "data" / "raw" / "README.md").write_text("x", encoding="utf-8")
    (repo / "data" / "raw" / "old files").mkdir()  # not a period id
    with pytest.raises(WorkspaceError, match="CCHC_ROOT"):
        find_workspace(start=repo / "notebooks")
    demo = small_workspace(tmp_path / "demo")
    monkeypatch.setattr(config, "DEMO_ROOT", demo)
    assert find_workspace(start=repo / "notebooks") == demo.resolve()  # make demo's workspace
    (repo / "data" / "raw" / "2021-Q3").mkdir()
    assert find_workspace(start=repo / "notebooks") == repo.resolve()  # the repository used as the workspace


def test_the_newest_checked_period_is_shown(tmp_path):
    ws = small_workspace(tmp_path)
    assert newest_period(ws) == "2021-H1"  # nothing checked yet: the newest with files (the notebook checks it)
    check_period("2020-H1", ws, progress=False)
    assert newest_period(ws) == "2020-H1"  # the newest *checked* period
    check_period("2021-H1", ws, progress=False)
    (ws / "data" / "raw" / "2021-Q3").mkdir()  # started, not checked
    assert newest_period(ws) == "2021-H1"
    (ws / "data" / "processed" / "2021").mkdir()  # an empty folder is not a checked period
    assert newest_period(ws) == "2021-H1"
    with pytest.raises(WorkspaceError, match="chưa có kỳ báo cáo nào"):
        newest_period(tmp_path / "nothing")


# --------------------------------------------------------------------------------------------
# the notebooks as committed, run as an analyst runs them


@pytest.fixture(scope="module")
def checked_workspace(tmp_path_factory) -> Path:
    ws = small_workspace(tmp_path_factory.mktemp("nb") / "ws").resolve()
    check_period("2020-H1", ws, progress=False)
    check_period("2021-H1", ws, progress=False)
    return ws


#: run after the committed cells: the frames an analyst asks their own questions of
PROBE = """\
print(data.root, data.period.id)
print(type(values).__name__, type(findings).__name__, type(consolidated).__name__, type(comparison).__name__)
print(sorted(values.loc[~values["superseded"], "indicator"]))
print(comparison.query("indicator == '2.1' and ref == 'previous'")[["value", "ref_value"]].to_numpy().tolist())
"""


@pytest.mark.parametrize("name", R.NOTEBOOKS)
def test_committed_notebook_runs_unedited_from_the_notebooks_folder(name, checked_workspace, monkeypatch):
    """As in JupyterLab: the kernel's working folder is notebooks/, no parameter is passed, the
    workspace comes from CCHC_ROOT and the period is its newest checked one."""
    monkeypatch.setenv("CCHC_ROOT", str(checked_workspace))
    folder = R.notebooks_dir()
    nb = nbformat.read(folder / name, as_version=4)
    committed = len(nb.cells)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    outputs = [o for cell in nb.cells[:committed] if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = "\n".join(str(o.get("data", {}).get("text/markdown", "")) + str(o.get("data", {}).get("text/html", ""))
                      for o in outputs)
    assert "6 tháng đầu năm 2021" in shown
    probe = "".join(o.get("text", "") for o in nb.cells[-1].outputs).splitlines()
    assert probe == [
        f"{checked_workspace} 2021-H1",
        "DataFrame DataFrame DataFrame DataFrame",
        "['2.1', '2.2', '3.4.2']",
        "[[12.0, 10.0]]",
    ]


# --------------------------------------------------------------------------------------------
# a mistyped --root or period


def cchc(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cchc_analysis", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_check_on_a_folder_that_does_not_exist_exits_2_and_creates_nothing(tmp_path):
    missing = tmp_path / "no" / "such" / "folder"
    done = cchc("check", "--period", "2021-H1", "--root", str(missing), cwd=tmp_path)
    assert done.returncode == 2
    assert "Không có thư mục làm việc" in done.stderr and str(missing) in done.stderr
    assert not (tmp_path / "no").exists()
    assert _tree(tmp_path) == []


@pytest.mark.parametrize("command", ["check", "run"])
def test_a_folder_that_is_not_a_workspace_is_refused(tmp_path, command):
    (tmp_path / "Downloads").mkdir()
    (tmp_path / "Downloads" / "bao cao.xlsx").write_bytes(b"not read")
    done = cchc(command, "--period", "2021-H1", "--root", str(tmp_path / "Downloads"), cwd=tmp_path)
    assert done.returncode == 2
    assert "không phải thư mục làm việc" in done.stderr
    assert _tree(tmp_path) == ["Downloads", "Downloads/bao cao.xlsx"]


@pytest.mark.parametrize("command", ["check", "run"])
def test_a_period_without_a_folder_or_history_is_refused(tmp_path, command):
    ws = small_workspace(tmp_path)
    before = _tree(ws)
    done = cchc(command, "--period", "2021-Q3", "--root", str(ws), cwd=tmp_path)
    assert done.returncode == 2
    assert "Kỳ 2021-Q3 chưa có" in done.stderr and "2021-H1, 2020-H1" in done.stderr
    assert _tree(ws) == before


def test_a_new_period_is_one_explicit_step(tmp_path):
    ws = small_workspace(tmp_path)
    done = cchc("check", "--period", "2021-Q3", "--root", str(ws), "--new", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (ws / "data" / "raw" / "2021-Q3").is_dir()
    assert (ws / "data" / "processed" / "2021-Q3" / "findings.csv").is_file()
    # an empty raw folder made by hand is a started period too
    (ws / "data" / "raw" / "2021-Q4").mkdir()
    assert cchc("check", "--period", "2021-Q4", "--root", str(ws), cwd=tmp_path).returncode == 0


def test_a_backfilled_period_without_files_can_be_checked(tmp_path):
    ws = small_workspace(tmp_path)
    (ws / "data" / "processed" / "2020").mkdir(parents=True)
    assert pytest.raises(WorkspaceError, require_period, ws, "2020")
    (ws / "data" / "processed" / "2020" / "consolidated.parquet").write_bytes(b"")  # as cchc backfill leaves it
    assert require_period(ws, "2020") == ws.resolve()
    assert require_period(ws, "2021-h1") == ws.resolve()  # the period id as typed
