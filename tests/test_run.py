"""The period run through papermill, end to end, on a small hand-made workspace.

One full run (module fixture, ~10 s) is shared by the acceptance tests; the failure test copies
its workspace and runs two notebooks only. Every expected value is written here by hand.
"""

from __future__ import annotations

import ast
import csv
import re
import shutil
from pathlib import Path

import nbformat
import openpyxl
import papermill
import pytest

from cchc_analysis import run as R
from cchc_analysis.demo import run_demo
from cchc_analysis.history import backfill
from cchc_analysis.outputs.workbook import FIRST_ROW, HEADER_ROW
from cchc_analysis.pipeline import PeriodLocked, check_period, period_lock

PERIOD = "2021-H1"

# (STT as the letter prints it, name, unit, value) — what each department typed
TP_2021 = [
    ("2.1.", "Số VBQPPL đã ban hành/tham mưu ban hành", "Văn bản", 12),
    ("2.2.", "Số VBQPPL đã kiểm tra theo thẩm quyền", "Văn bản", 5),
    ("2.3.", "Số VBQPPL đã rà soát", "Văn bản", 30),
    ("2.4.", "Số VBQPPL đã kiến nghị xử lý sau kiểm tra, rà soát", "Văn bản", 2),
    ("2.5.", "Số VBQPPL có kiến nghị xử lý đã được xử lý xong", "Văn bản", 2),
]
TCKH_2021 = [
    ("6.1.", "Số đơn vị SNCL đã thực hiện tự chủ 100% chi thường xuyên và chi đầu tư (lũy kế đến thời điểm báo cáo)",
     "Cơ quan, đơn vị", 1),
    ("6.2.", "Số đơn vị SNCL đã thực hiện tự chủ 100% chi thường xuyên (lũy kế đến thời điểm báo cáo)",
     "Cơ quan, đơn vị", 3),
    ("6.3.", "Số đơn vị SNCL đã thực hiện tự chủ một phần chi thường xuyên (lũy kế đến thời điểm báo cáo)",
     "Cơ quan, đơn vị", 10),
    ("6.4.", "Số đơn vị SNCL do nhà nước đảm bảo 100% chi thường xuyên (lũy kế đến thời điểm báo cáo)",
     "Cơ quan, đơn vị", 25),
    ("6.5.", "Số lượng đơn vị SNCL đã chuyển đổi thành công ty cổ phần (lũy kế đến thời điểm báo cáo)",
     "Cơ quan, đơn vị", 0),
]
VP_2021 = [
    ("1.5.", "Tổ chức đối thoại của lãnh đạo với người dân, cộng đồng doanh nghiệp", "Không = 0 Có = 1", 1),
    ("3.4.2.", "Tỷ lệ hồ sơ TTHC do UBND cấp huyện tiếp nhận được giải quyết đúng hạn, đúng quy trình", "%", 96.8),
    ("7.1.8.3", "Tỷ lệ hồ sơ xử lý trực tuyến mức độ 3", "%", 45.5),
    ("7.1.8.4", "Tỷ lệ hồ sơ xử lý trực tuyến mức độ 4", "%", 12.5),
]
TP_2020 = [(stt, name, unit, value) for (stt, name, unit, _), value in zip(TP_2021, [10, 4, 25, 1, 1])]
VP_2020 = [
    ("3.4.2.", "Tỷ lệ hồ sơ TTHC do UBND cấp huyện tiếp nhận được giải quyết đúng hạn, đúng quy trình", "%", 95.0),
    ("7.1.8.3", "Tỷ lệ hồ sơ xử lý trực tuyến mức độ 3", "%", 30.0),
]

# Số liệu of the consolidated Phụ lục II, by (STT as printed, start of the name)
EXPECTED = {
    ("2.1.", "Số VBQPPL đã ban hành"): 12,
    ("2.2.", "Số VBQPPL đã kiểm tra"): 5,
    ("2.3.", "Số VBQPPL đã rà soát"): 30,
    ("2.4.", "Số VBQPPL đã kiến nghị"): 2,
    ("2.5.", "Số VBQPPL có kiến nghị"): 2,
    ("6.1.", "Số đơn vị SNCL đã thực hiện tự chủ 100% chi thường xuyên và"): 1,
    ("6.2.", "Số đơn vị SNCL đã thực hiện tự chủ 100% chi thường xuyên ("): 3,
    ("6.3.", "Số đơn vị SNCL đã thực hiện tự chủ một phần"): 10,
    ("6.4.", "Số đơn vị SNCL do nhà nước"): 25,
    ("6.5.", "Số lượng đơn vị SNCL"): 0,
    ("1.5.", "Tổ chức đối thoại"): 1,
    ("3.4.2.", "Tỷ lệ hồ sơ TTHC do UBND cấp huyện"): 96.8,
    ("7.1.8.3", "Tỷ lệ hồ sơ xử lý trực tuyến mức độ 3"): 45.5,
    ("7.1.8.4", "Tỷ lệ hồ sơ xử lý trực tuyến mức độ 4"): 12.5,
    # nobody sent these
    ("1.1.1.", "Số nhiệm vụ đề ra"): None,
    ("3.4.5.", "Tỷ lệ hồ sơ TTHC về lĩnh vực xây dựng"): None,
}


def write_unit(path: Path, unit_name: str, period_words: str, rows: list[tuple]) -> None:
    """A department's own rows of Phụ lục II, headed like the letter."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Phụ lục II"
    sheet.append([f"TÊN CƠ QUAN: {unit_name}"])
    sheet.append([f"THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH {period_words}"])
    sheet.append([])
    sheet.append(["STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú"])
    for row in rows:
        sheet.append([*row, None])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def write_submissions(folder: Path, received: dict[str, str]) -> None:
    with open(folder / "submissions.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "received_at"])
        writer.writerows(received.items())


def make_workspace(root: Path) -> Path:
    earlier = root / "data" / "raw" / "2020-H1"
    write_unit(earlier / "tu phap.xlsx", "Phòng Tư pháp", "6 tháng đầu năm 2020", TP_2020)
    write_unit(earlier / "van phong.xlsx", "Văn phòng HĐND và UBND huyện", "6 tháng đầu năm 2020", VP_2020)
    write_submissions(earlier, {"tu phap.xlsx": "2020-06-12T10:00:00", "van phong.xlsx": "2020-06-12T11:00:00"})
    raw = root / "data" / "raw" / PERIOD
    write_unit(raw / "Phu luc II - Tu phap.xlsx", "Phòng Tư pháp", "6 tháng đầu năm 2021", TP_2021)
    write_unit(raw / "TCKH 6 thang.xlsx", "Phòng Tài chính - Kế hoạch", "6 tháng đầu năm 2021", TCKH_2021)
    write_unit(raw / "VP HĐND-UBND.xlsx", "Văn phòng HĐND và UBND huyện", "6 tháng đầu năm 2021", VP_2021)
    write_submissions(raw, {
        "Phu luc II - Tu phap.xlsx": "2021-06-14T16:20:00",
        "TCKH 6 thang.xlsx": "2021-06-16T10:00:00",  # a day late
        "VP HĐND-UBND.xlsx": "2021-06-15T08:45:00",
    })
    return root


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    root = make_workspace(tmp_path_factory.mktemp("ws")).resolve()
    check_period("2020-H1", root, progress=False)
    stale = root / "reports" / PERIOD / "stale.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("from an earlier run", encoding="utf-8")
    messages: list[str] = []
    outcome = R.run_period(PERIOD, root, log=messages.append)
    return root, outcome, messages


# --------------------------------------------------------------------------------------------
# acceptance: one full run


def test_consolidated_values_are_the_fixture_values(ran):
    root, outcome, _ = ran
    assert outcome.workbook == root / "reports" / PERIOD / "consolidated.xlsx"
    sheet = openpyxl.load_workbook(outcome.workbook).worksheets[0]
    assert sheet.title == "Phụ lục II"
    header = [c.value for c in sheet[HEADER_ROW]][:2] + [c.value for c in sheet[HEADER_ROW + 1]][2:4]
    assert [str(v).split("\n")[0] for v in header] == ["STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu"]
    found = {}
    for stt, name, _unit, value, _note in sheet.iter_rows(min_row=FIRST_ROW, max_col=5, values_only=True):
        for (want_stt, start), _expected in EXPECTED.items():
            if stt == want_stt and str(name).startswith(start):
                found[(want_stt, start)] = value
    assert found == EXPECTED
    comparison = {r[0]: r for r in openpyxl.load_workbook(outcome.workbook)["So sánh"].iter_rows(values_only=True)}
    assert comparison["2.1"][3:6] == (12, 10, 2)
    assert comparison["7.1.8.3"][3:6] == (45.5, 30, 15.5)


def test_consolidated_workbook_reads_back_as_history(ran):
    """What the district sent can seed the history of a later workspace (history.backfill)."""
    root, outcome, _ = ran
    frame, _findings = backfill(PERIOD, outcome.workbook, root)
    values = dict(zip(frame["indicator"], frame["value"]))
    assert values == {"2.1": 12, "2.2": 5, "2.3": 30, "2.4": 2, "2.5": 2, "6.1": 1, "6.2": 3, "6.3": 10, "6.4": 25,
                      "6.5": 0, "1.5": 1, "3.4.2": 96.8, "7.1.8.3": 45.5, "7.1.8.4": 12.5}


def test_summary_html_is_self_contained_without_code(ran):
    root, outcome, _ = ran
    assert outcome.summary_html == root / "reports" / PERIOD / "summary.html"
    html = outcome.summary_html.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 3
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) >= 3
    # no code: code cells carry no input area, no highlighted source, no import statement
    cells = re.split(r'<div class="jp-Cell ', html)[1:]
    code_cells = [c for c in cells if c.startswith("jp-CodeCell")]
    assert code_cells and not any("jp-InputArea" in c or "input_area" in c for c in code_cells)
    body = html[html.index("<body"):]
    assert "jp-CodeMirrorEditor" not in body and "highlight hl-ipython3" not in body
    assert not re.search(r"(?<![!\w-])import\s+\w", html)
    assert "cchc_analysis" not in html and "report.summary_title" not in html
    assert not re.search(r"<script[^>]+src=", html)  # nothing fetched from the network
    assert 'class="jp-InputPrompt' not in html and 'class="jp-OutputPrompt' not in html
    # the Vietnamese narrative, formatted from the data
    assert "Báo cáo tóm tắt kết quả thống kê cải cách hành chính — 6 tháng đầu năm 2021" in html
    assert "<strong>3/6</strong> đơn vị đã gửi báo cáo (50,0 %)" in html
    assert "Phòng Tài chính - Kế hoạch (muộn 1 ngày 1 giờ)" in html
    assert 'alt="Thời điểm gửi báo cáo so với hạn — 6 tháng đầu năm 2021' in html


def test_executed_notebooks_record_their_parameters(ran):
    root, outcome, messages = ran
    folder = root / "reports" / PERIOD / "notebooks"
    assert outcome.notebooks == [folder / name for name in R.NOTEBOOKS]
    for path in outcome.notebooks:
        nb = nbformat.read(path, as_version=4)
        params = nb.metadata["papermill"]["parameters"]
        assert params["period"] == PERIOD
        assert params["root"] == str(root)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code")
    book = nbformat.read(folder / "04_bang_tong_hop.ipynb", as_version=4)
    assert "out_dir" in book.metadata["papermill"]["parameters"]
    assert [m for m in messages if m.startswith("[")] and messages[-1].startswith("Xong kỳ 2021-H1")


def test_run_writes_every_output_and_replaces_the_old_ones(ran):
    root, outcome, _ = ran
    reports = root / "reports" / PERIOD
    assert not (reports / "stale.txt").exists()
    assert [p.name for p in outcome.figures] == ["changes.png", "completeness.png", "key_rates.png", "submissions.png"]
    assert sorted(p.name for p in (reports / "feedback").glob("*.xlsx")) == [
        "KTHT.xlsx", "NV.xlsx", "TCKH.xlsx", "TP.xlsx", "VHTT.xlsx", "VP.xlsx"]
    assert (root / "data" / "processed" / PERIOD / "consolidated.parquet").is_file()
    assert not list((root / "reports").glob(".*staging*"))
    assert outcome.check is not None


def _copied(ran, tmp_path: Path) -> tuple[Path, Path, dict]:
    """A copy of the fixture's ran workspace: (root, its reports folder, every report's bytes)."""
    root = tmp_path / "ws"
    shutil.copytree(ran[0], root)
    reports = root / "reports" / PERIOD
    return root, reports, _snapshot(reports)


def _snapshot(reports: Path) -> dict:
    return {p.relative_to(reports): p.read_bytes() for p in reports.rglob("*") if p.is_file()}


def test_failing_notebook_names_notebook_and_cell_and_keeps_old_reports(ran, tmp_path):
    root, reports, before = _copied(ran, tmp_path)
    with pytest.raises(R.RunError) as caught:
        R.run_period(PERIOD, root, check=False, parameters={"ref": "nam_truoc"}, log=lambda m: None,
                     notebooks=("03_so_sanh.ipynb", "05_tom_tat.ipynb"))
    error = caught.value
    message = str(error)
    assert isinstance(error, R.NotebookFailed) and error.notebook == "03_so_sanh.ipynb"
    assert "03_so_sanh.ipynb" in message and re.search(r"ô \[\d+\]", message)
    assert "comparison_text" in message and "ValueError" in message and "Kỳ so sánh không hợp lệ" in message
    kept = reports / "notebooks" / "03_so_sanh.failed.ipynb"
    assert error.kept == kept and "reports/2021-H1/notebooks/03_so_sanh.failed.ipynb" in message
    failed = nbformat.read(kept, as_version=4)
    assert failed.metadata["papermill"]["parameters"]["ref"] == "nam_truoc"
    assert any(o.get("ename") == "ValueError" for c in failed.cells for o in c.get("outputs", []))
    after = _snapshot(reports)
    assert after.pop(Path("notebooks") / "03_so_sanh.failed.ipynb")
    assert after == before  # the previous reports, byte for byte
    assert not list((root / "reports").glob(".*staging*"))


def test_run_needs_a_checked_period_and_its_lock(tmp_path):
    root = tmp_path / "empty"
    (root / "data" / "raw" / PERIOD).mkdir(parents=True)
    with pytest.raises(R.RunError, match="chưa được kiểm tra"):
        R.run_period(PERIOD, root, check=False, log=lambda m: None)
    with period_lock(root, PERIOD):
        with pytest.raises(R.RunLocked) as caught:
            R.run_period(PERIOD, root, log=lambda m: None)
    assert isinstance(caught.value, PeriodLocked)
    assert not (root / "reports" / PERIOD).exists()


def test_missing_kernel_is_named_and_old_reports_kept(ran, tmp_path):
    root, reports, before = _copied(ran, tmp_path)
    with pytest.raises(R.NotebookFailed) as caught:
        R.run_period(PERIOD, root, check=False, kernel="khong_co_kernel", log=lambda m: None,
                     notebooks=("05_tom_tat.ipynb",))
    message = str(caught.value)
    assert caught.value.notebook == "05_tom_tat.ipynb"
    assert "không có kernel Jupyter 'khong_co_kernel'" in message
    assert "python -m ipykernel install --sys-prefix --name khong_co_kernel" in message
    after = _snapshot(reports)
    after.pop(Path("notebooks") / "05_tom_tat.failed.ipynb", None)
    assert after == before


# --------------------------------------------------------------------------------------------
# how the notebooks are executed (tiny notebooks written here, real kernels)


def _job(folder: Path, name: str, *cells: str, cwd: Path | None = None, parameters: dict | None = None) -> R._Job:
    """A notebook of a ``parameters`` cell (``x = 0``) and ``cells``, as a job of the run."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("x = 0", metadata={"tags": ["parameters"]}),
                *(nbformat.v4.new_code_cell(cell) for cell in cells)]
    source = folder / name
    nbformat.write(nb, source)
    return R._Job(name, str(source), str(folder / f"out-{name}"), parameters or {}, "python3", str(cwd or folder), 60)


def _printed(job: R._Job) -> str:
    executed = nbformat.read(job.executed, as_version=4)
    return "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))


def test_notebooks_run_in_the_run_folder_with_their_parameters_logged_in_order(tmp_path):
    work = tmp_path / "staging"
    work.mkdir()
    jobs = [_job(tmp_path, "a.ipynb", "import os, time\ntime.sleep(2)\nprint(os.getcwd(), x)", cwd=work,
                 parameters={"x": 7}),
            _job(tmp_path, "b.ipynb", "import os\nprint(os.getcwd(), x)", cwd=work, parameters={"x": "bảy"})]
    messages: list[str] = []
    results = R._execute_all(jobs, messages.append)
    assert [r["ok"] for r in results] == [True, True]
    # b ends first on two cores, yet a is reported first: the log follows the run's order
    assert len(messages) == 2
    assert re.fullmatch(r"\[1/2\] a\.ipynb: xong \(\d+,\d giây\)", messages[0])
    assert re.fullmatch(r"\[2/2\] b\.ipynb: xong \(\d+,\d giây\)", messages[1])
    assert _printed(jobs[0]) == f"{work} 7\n" and _printed(jobs[1]) == f"{work} bảy\n"
    recorded = nbformat.read(jobs[0].executed, as_version=4).metadata["papermill"]["parameters"]
    assert recorded == {"x": 7}


@pytest.mark.skipif((R.os.cpu_count() or 1) < 2, reason="one core: the notebooks run one after the other")
def test_independent_notebooks_run_side_by_side(tmp_path):
    jobs = [_job(tmp_path, f"{name}.ipynb", "import time\ntime.sleep(3)") for name in "ab"]
    assert [r["ok"] for r in R._execute_all(jobs, lambda m: None)] == [True, True]
    (a_start, a_end), (b_start, b_end) = [
        (cell.metadata["papermill"]["start_time"], cell.metadata["papermill"]["end_time"])
        for cell in (nbformat.read(job.executed, as_version=4).cells[-1] for job in jobs)]
    assert a_start < b_end and b_start < a_end  # the two sleeps overlapped


def test_the_run_stops_at_the_first_failing_notebook(tmp_path):
    jobs = [_job(tmp_path, "a.ipynb", "import time\ntime.sleep(2)"),
            _job(tmp_path, "b.ipynb", "raise ValueError('Kỳ không hợp lệ')"),
            _job(tmp_path, "c.ipynb", "print('c')")]
    messages: list[str] = []
    results = R._execute_all(jobs, messages.append)
    assert [m.split(" (")[0] for m in messages] == ["[1/3] a.ipynb: xong", "[2/3] b.ipynb: LỖI"]
    assert [r["name"] for r in results] == ["a.ipynb", "b.ipynb"]
    failed = results[1]
    assert (failed["ok"], failed["kind"], failed["cell"]) == (False, "cell", 1)
    assert (failed["ename"], failed["evalue"]) == ("ValueError", "Kỳ không hợp lệ")
    assert "raise ValueError" in failed["source"]


def test_a_notebook_whose_process_dies_is_a_failure_not_a_crash(tmp_path):
    """The kernel kills the worker process running its notebook (as the out-of-memory killer
    would): that notebook fails, with a reason, and the run goes on to report it."""
    jobs = [_job(tmp_path, "a.ipynb", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")]
    [result] = R._execute_all(jobs, lambda m: None)
    assert (result["ok"], result["kind"]) == (False, "BrokenProcessPool")
    assert result["evalue"]


# --------------------------------------------------------------------------------------------
# the notebooks as committed


@pytest.mark.parametrize("name", R.NOTEBOOKS)
def test_notebooks_are_committed_clean(name):
    path = R.notebooks_dir() / name
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code[0]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert "papermill" not in nb.metadata
    declared = papermill.inspect_notebook(str(path))
    assert {"period", "root"} <= set(declared)
    assert all(p["help"] for p in declared.values()), "every parameter has a comment"
    assert len(declared) == len([ln for ln in tagged[0].source.splitlines() if "=" in ln and not ln.startswith("#")])
    for cell in code:
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.For,
                                         ast.While, ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp)), \
                f"{name}: logic belongs in the package ({ast.dump(node)[:60]})"


def test_demo_runs_periods_oldest_first(tmp_path, monkeypatch):
    ran_periods = []

    def fake_sample(root):
        return {"periods": ["2021-H1", "2020", "2020-H1"]}

    def fake_run(period, root, log=print):
        ran_periods.append(period)
        return R.RunOutcome(period, root, root / "reports" / period / "summary.html", [], [])

    monkeypatch.setattr("cchc_analysis.samples.make_sample", fake_sample)
    monkeypatch.setattr("cchc_analysis.run.run_period", fake_run)
    summary = run_demo(tmp_path, log=lambda m: None)
    assert ran_periods == ["2020-H1", "2020", "2021-H1"]
    assert summary == tmp_path.resolve() / "reports" / "2021-H1" / "summary.html"
