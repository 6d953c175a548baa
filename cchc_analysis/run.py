"""How a period is driven end to end: ``cchc check``, then every notebook through papermill, then
the leadership summary as one self-contained HTML file.

:func:`run_period` holds the period's lock for the whole run and writes into a staging folder
beside ``reports/<period>/`` that replaces it only when every notebook has run: a re-run replaces
the period's reports cleanly, and a failing run leaves the previous reports as they were, plus
the executed copy of the failing notebook (``reports/<period>/notebooks/<name>.failed.ipynb``)
marked at the failing cell.

The run is declared as data: :data:`NOTEBOOKS` (which notebooks, in which order) and the
parameters every notebook receives (``period``, ``root`` as an absolute path, ``out_dir`` the
staging folder) — each notebook gets those of them its ``parameters`` cell declares, plus any
``parameters`` the caller passes. papermill records them in each executed notebook's metadata.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .atomic import staging_folder, swap_in, write_file
from .config import NOTEBOOKS_DIR, Workspace, report_docx_name
from .periods import Period
from .pipeline import PeriodLocked, period_lock

#: the notebooks of a run, in order (file names under :func:`notebooks_dir`)
NOTEBOOKS = (
    "01_kiem_tra.ipynb",
    "02_day_du_dung_han.ipynb",
    "03_so_sanh.ipynb",
    "04_bang_tong_hop.ipynb",
    "05_tom_tat.ipynb",
)
#: the notebook exported as the leadership summary
SUMMARY_NOTEBOOK = "05_tom_tat.ipynb"
SUMMARY_HTML = "summary.html"
CONSOLIDATED_XLSX = "consolidated.xlsx"
FAILED_SUFFIX = ".failed.ipynb"

# The exported page: the lab look without any script fetched from the network (require.js,
# MathJax, Mermaid), so it opens offline and carries no code.
_HTML_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}" alt="{{ ((output | get_metadata('alt', 'image/png')) or 'Biểu đồ') | escape_html }}">
</div>
{% endblock data_png %}
{%- block extra_css -%}
<style type="text/css">
body { max-width: 1100px; margin: 0 auto; }
.jp-Notebook { padding: 12px 24px; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
{{ resources.cchc_print_css }}
</style>
{%- endblock extra_css -%}
"""
#: the printed summary: A4 pages (a browser's default is the US Letter of its locale) with the
#: margins of an administrative document, and no heading left alone at the foot of a page.
#: JupyterLab lays a cell out as flex rows and table cells that hide their overflow, which keeps a
#: heading's break rule from reaching the break between its cell and the next: printed, they are
#: plain blocks. The rules for headings, charts, cards and table rows themselves are in
#: :func:`cchc_analysis.outputs.report.style`.
PRINT_CSS = """@page { size: A4; margin: 15mm 14mm 16mm 20mm; }
@media print {
  html, body { max-width: none !important; margin: 0 !important; }
  .jp-Notebook { padding: 0 !important; }
  .jp-Cell, .jp-Cell-inputWrapper, .jp-Cell-outputWrapper, .jp-InputArea, .jp-MarkdownOutput, .jp-RenderedMarkdown,
  .jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output { display: block !important; overflow: visible !important; }
  .jp-Collapser, .jp-InputPrompt, .jp-OutputPrompt { display: none !important; }
  .jp-MarkdownCell:has(h1, h2, h3, h4, h5, h6) { break-after: avoid; page-break-after: avoid; }
  .jp-RenderedImage { break-inside: avoid; page-break-inside: avoid; }
}"""


class RunError(RuntimeError):
    """A period run that could not complete (the message says why, in Vietnamese)."""


class NotebookFailed(RunError):
    """A notebook stopped at a cell; ``kept`` is the executed copy up to the failure."""

    def __init__(self, message: str, *, notebook: str, cell: int | None = None, exec_count: int | None = None,
                 ename: str = "", evalue: str = "", kept: Path | None = None):
        super().__init__(message)
        self.notebook = notebook
        self.cell = cell
        self.exec_count = exec_count
        self.ename = ename
        self.evalue = evalue
        self.kept = kept


class RunLocked(RunError, PeriodLocked):
    """Another check or run of the same period holds its lock."""


@dataclass
class RunOutcome:
    """What :func:`run_period` produced (paths inside ``reports/<period>/``)."""

    period: str
    reports_dir: Path
    summary_html: Path
    notebooks: list[Path]
    figures: list[Path]
    workbook: Path | None = None
    check: object | None = None  # pipeline.CheckOutcome when the run checked the period
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    draft: Path | None = None  # the district's draft report (bao-cao-<period>.docx)
    pending: object | None = None  # signoff.Pending: the period is signed off, nothing ran or was written


def notebooks_dir(settings: dict | None = None) -> Path:
    """Where the run's notebooks are: ``[run] notebooks`` of the settings when set, else the
    ``notebooks/`` folder of the source checkout, else the copy packaged with the module."""
    configured = ((settings or {}).get("run") or {}).get("notebooks")
    candidates = [Path(configured)] if configured else []
    candidates += [NOTEBOOKS_DIR]
    for folder in candidates:
        if (folder / NOTEBOOKS[0]).is_file():
            return folder
    raise RunError(
        "Không tìm thấy thư mục sổ tay (notebooks/) chứa " + ", ".join(NOTEBOOKS)
        + "; đặt đường dẫn ở mục [run] notebooks của cchc.toml."
    )


def _declared(path: Path) -> set[str]:
    """The parameter names a notebook's ``parameters`` cell declares."""
    import papermill

    return set(papermill.inspect_notebook(str(path)))


def _first_line(source: str) -> str:
    for line in str(source or "").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line if len(line) <= 80 else line[:79] + "…"
    return ""


def _running_cell(path: Path) -> tuple[int | None, int | None, str]:
    """(index, execution count, source) of the cell a broken-off run stopped in: the one papermill
    marked as running, else the last one it started."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - a half-written copy says nothing more
        return None, None, ""
    started = None
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("papermill", {})
        if meta.get("status") == "running":
            return index, cell.get("execution_count"), cell.get("source", "")
        if meta.get("start_time"):
            started = index
    if started is None:
        return None, None, ""
    cell = nb.cells[started]
    return started, cell.get("execution_count"), cell.get("source", "")


def export_html(notebook: Path, target: Path, title: str) -> Path:
    """Export an executed notebook to one self-contained HTML page: no code, no prompts, images
    inlined as base64, no script loaded from the network."""
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        extra_loaders=[DictLoader({"cchc_summary.html.j2": _HTML_TEMPLATE})],
        template_file="cchc_summary.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        embed_images=True,
    )
    exporter.language_code = "vi"
    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["title"] = title
    body, _resources = exporter.from_notebook_node(nb, resources={"metadata": {"name": title},
                                                                  "cchc_print_css": PRINT_CSS})
    target.write_text(body, encoding="utf-8")
    return target


def _keep_failed(executed: Path, target: Path, name: str) -> Path | None:
    """Copy the failed notebook into ``target/notebooks/`` (other reports untouched), whole or not
    at all (:func:`~cchc_analysis.atomic.write_file`): not when the executed copy does not read
    back (its writer was stopped mid-file by a full disk) nor when the copy cannot be written;
    then None, and nothing is left among the reports."""
    import nbformat

    try:
        nbformat.read(executed, as_version=4)
    except Exception:  # noqa: BLE001 - missing, truncated, not JSON: nothing worth keeping
        return None
    folder = target / "notebooks"
    made = [p for p in (target, folder) if not p.exists()]
    kept = folder / (Path(name).stem + FAILED_SUFFIX)
    try:
        for stale in folder.glob(f"*{FAILED_SUFFIX}"):
            stale.unlink()
        write_file(kept, lambda temp: shutil.copyfile(executed, temp))
    except OSError:
        for path in reversed(made):  # folders made for it alone go with it
            try:
                path.rmdir()
            except OSError:
                pass
        return None
    return kept


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class _Job:
    """One notebook to execute."""

    name: str
    source: str
    executed: str
    parameters: dict
    kernel: str
    cwd: str
    timeout: int


def _execute(job: _Job) -> dict:
    """Run one notebook with papermill; never raises an :class:`Exception`: the result says what
    happened (``name, executed, ok, seconds`` and, on failure, ``kind`` — ``cell`` for an error
    raised in a cell, else the exception's class — ``ename, evalue`` and the failing ``cell,
    exec_count, source`` when known)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    t0 = time.monotonic()
    result = {"name": job.name, "executed": job.executed, "ok": True}
    try:
        papermill.execute_notebook(
            job.source, job.executed, parameters=job.parameters, kernel_name=job.kernel, cwd=job.cwd,
            execution_timeout=job.timeout, progress_bar=False,
        )
    except PapermillExecutionError as error:
        result.update(ok=False, kind="cell", cell=error.cell_index, exec_count=error.exec_count,
                      source=str(error.source or ""), ename=str(error.ename), evalue=str(error.evalue))
    except Exception as error:  # noqa: BLE001 - kernel missing, timeout, dead kernel: all reported
        result.update(_broken_off(job, error))
    result["seconds"] = time.monotonic() - t0
    return result


def _broken_off(job: _Job, error: BaseException) -> dict:
    """The failure of a notebook that stopped for another reason than an error in a cell."""
    index, count, source = _running_cell(Path(job.executed))
    return {"name": job.name, "executed": job.executed, "ok": False, "kind": type(error).__name__, "cell": index,
            "exec_count": count, "source": source, "ename": type(error).__name__, "evalue": str(error)}


def _start_worker() -> None:
    """Runs first in every notebook worker. Ctrl-C is the run's to handle (it stops the workers
    and their kernels at once); and a worker whose run was killed (``kill -9``, the out-of-memory
    killer) stops its kernel and ends, instead of waiting for work forever while its kernel
    writes into a staging folder that the next run removes."""
    import multiprocessing
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        threading.Thread(target=_end_with_parent, args=(parent.sentinel,), name="cchc-parent-watch",
                         daemon=True).start()


def _end_with_parent(sentinel: int) -> None:
    """Wait until the run's process is gone (its end of the pipe closes), then end this worker
    and its kernel."""
    from multiprocessing.connection import wait

    import psutil

    wait([sentinel])
    try:
        kernels = psutil.Process().children(recursive=True)
    except psutil.Error:
        kernels = []
    _kill(kernels)
    os._exit(1)


def _kill(processes: list, wait: float = 3.0) -> None:
    """Kill ``processes`` (``psutil.Process``: a stopped run's kernels, whose outputs go with the
    staging folder, so there is nothing for them to finish) and wait up to ``wait`` seconds for
    them to be gone."""
    import psutil

    for process in processes:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(processes, timeout=wait)


def _stop_workers(pool, grace: float = 3.0) -> None:
    """Stop a run's notebook workers now, each with its kernel (Ctrl-C, SIGTERM): nothing more is
    written into the staging folder once this returns."""
    import multiprocessing

    import psutil

    pool.shutdown(wait=False, cancel_futures=True)
    workers = multiprocessing.active_children()  # the pool's workers: the run's only such children
    kernels = []
    for worker in workers:
        try:
            kernels += psutil.Process(worker.pid).children(recursive=True)
        except psutil.Error:
            pass
    for worker in workers:
        worker.terminate()
    _kill(kernels)
    for worker in workers:
        worker.join(grace)
        if worker.is_alive():
            worker.kill()
            worker.join(grace)


def _execute_all(jobs: list[_Job], log: Callable[[str], None]) -> list[dict]:
    """Execute the jobs, each through papermill in a fresh kernel; log each result in job order and
    stop at the first failure in that order. Results in job order, up to the first failure.

    The notebooks are independent of one another (each reads the checked period; the workbook
    notebook writes into the staging folder only), so as many run at once as there are cores, each
    in a worker process of its own (papermill changes its process's working directory while a
    notebook runs). Workers are spawned, not forked: a fresh interpreter on every platform. A job
    is handed to a worker only when one is free: after a failing notebook, only the notebooks
    already running finish (the caller discards their outputs with the staging folder); Ctrl-C or
    SIGTERM (:class:`~cchc_analysis.failures.Interrupted`) stops them at once, kernels included,
    and a worker whose run was killed ends by itself (:func:`_start_worker`)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool  # (every command imports this module)

    results: list[dict] = []
    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker) as pool:
        try:
            waiting = list(jobs)
            running = [pool.submit(_execute, waiting.pop(0)) for _ in range(workers)]
            for number, job in enumerate(jobs, start=1):
                try:
                    result = running.pop(0).result()
                except BrokenProcessPool as error:  # its worker died (killed, out of memory)
                    result = {**_broken_off(job, error), "seconds": 0.0}
                results.append(result)
                seconds = f"{result['seconds']:.1f}".replace(".", ",")
                log(f"[{number}/{len(jobs)}] {job.name}: {'xong' if result['ok'] else 'LỖI'} ({seconds} giây)")
                if not result["ok"]:
                    break
                if waiting:  # the next notebook takes the place of this one
                    running.append(pool.submit(_execute, waiting.pop(0)))
        except BaseException:  # interrupted (or the log failed): the running notebooks are not awaited
            _stop_workers(pool)
            raise
    return results


def _failure(result: dict, target: Path, root: Path, pid: str, kernel: str, timeout: int) -> "NotebookFailed":
    """The :class:`NotebookFailed` of a failed job; its executed copy is kept in the period's
    reports (``notebooks/<name>.failed.ipynb``) and named in the message."""
    name = result["name"]
    kept = _keep_failed(Path(result["executed"]), target, name)
    kind, count, index = result.get("kind"), result.get("exec_count"), result.get("cell")
    if count:
        where = f"ô [{count}]"
    elif index is not None:
        where = f"ô thứ {index + 1}"
    else:
        where = ""
    line = _first_line(result.get("source", ""))
    if where and line:
        where += f" ({line})"
    error_text = " ".join(f"{result.get('ename', '')}: {result.get('evalue', '')}".split())  # one line
    from .failures import errno_advice, errno_in

    # a full disk, a read-only folder...: said the way cchc says it for its own process (a file a
    # cell did not find is the notebook's own business: said as it is)
    code = errno_in(error_text)
    environment = errno_advice(code, root=str(root)) if code not in (None, errno.ENOENT, errno.ENOTDIR) else None
    if environment is not None:
        what, todo = environment
        message = (f"Sổ tay {name} không chạy tiếp được{' ở ' + where if where else ''}: {what} ({error_text}); "
                   f"{todo}.")
    elif kind == "cell":
        message = f"Sổ tay {name} lỗi ở {where}: {error_text}."
    else:
        if kind == "NoSuchKernel":
            reason = (f"không có kernel Jupyter '{kernel}' (cài bằng: python -m ipykernel install "
                      f"--sys-prefix --name {kernel})")
        elif "Timeout" in str(kind):
            reason = (f"một ô chạy quá {timeout} giây (mục [run] cell_timeout); nếu sổ tay cần lâu hơn, hãy tăng "
                      "giới hạn (--timeout hoặc [run] cell_timeout) rồi chạy lại")
        elif kind in ("DeadKernelError", "BrokenProcessPool"):
            reason = (f"kernel hoặc tiến trình chạy sổ tay bị dừng đột ngột, thường do máy hết bộ nhớ hoặc bị hệ "
                      f"thống dừng ({error_text}); hãy kiểm tra bộ nhớ còn trống rồi chạy lại")
        else:
            reason = error_text
        message = f"Sổ tay {name} không chạy được{' ở ' + where if where else ''}: {reason}."
    if kept:
        message += f" Bản đã chạy đến chỗ lỗi được giữ tại {_relative(kept, root)};"
    elif Path(result["executed"]).exists():
        message += " Bản đã chạy đến chỗ lỗi không giữ được (chưa ghi xong hoặc không ghi được);"
    message += f" các báo cáo cũ của kỳ {pid} được giữ nguyên."
    return NotebookFailed(message, notebook=name, cell=index, exec_count=count, ename=str(result.get("ename", "")),
                          evalue=str(result.get("evalue", "")), kept=kept)


def run_period(
    period: str,
    root: Path,
    *,
    check: bool = True,
    timeout: int | None = None,
    kernel: str | None = None,
    log: Callable[[str], None] = print,
    parameters: dict | None = None,
    notebooks: tuple[str, ...] | None = None,
) -> RunOutcome:
    """``cchc run``: check the period (unless ``check=False``), run every notebook through
    papermill into ``reports/<period>/notebooks/``, export the summary to
    ``reports/<period>/summary.html``.

    ``timeout``: seconds allowed per cell (default ``[run] cell_timeout``); ``kernel``: the
    Jupyter kernel (default ``[run] kernel``, ``python3``); ``parameters``: extra notebook
    parameters, passed to every notebook as given (they override ``period``/``root``/``out_dir``);
    ``notebooks``: run only these (names from :data:`NOTEBOOKS`; the summary must be among them).

    A signed-off period (``cchc close``) is not run: the outcome's ``pending`` says what has
    arrived since the close, and nothing is written.

    Raises :class:`RunError` (:class:`NotebookFailed` naming the notebook and the cell,
    :class:`RunLocked` when another run holds the period); the previous reports are then kept.
    The check's own errors (``CatalogueError``, ``PeriodError``) pass through unchanged. A period
    whose data has problems is not an error: they are findings in the reports.
    """
    started = time.monotonic()
    pid = Period.parse(period).id
    ws = Workspace(Path(root))
    settings = ws.settings()
    run_settings = settings.get("run", {}) or {}
    kernel = kernel or run_settings.get("kernel") or "python3"
    timeout = int(timeout or run_settings.get("cell_timeout") or 600)
    source_dir = notebooks_dir(settings)
    chosen = tuple(notebooks) if notebooks else NOTEBOOKS
    unknown = [n for n in chosen if not (source_dir / n).is_file()]
    if unknown:
        raise RunError(f"Không có sổ tay {', '.join(unknown)} trong {source_dir}.")
    if SUMMARY_NOTEBOOK not in chosen:
        raise RunError(f"Sổ tay tóm tắt {SUMMARY_NOTEBOOK} phải nằm trong danh sách chạy.")
    try:
        with period_lock(ws.root, pid, on_leftovers=log):
            from .signoff import is_closed, pending

            if is_closed(pid, ws.root, settle=True):  # signed off: its reports stay as sent; say what has arrived since
                target = ws.reports_dir(pid)
                return RunOutcome(pid, target, target / SUMMARY_HTML, [], sorted((target / "figures").glob("*.png")),
                                  (target / CONSOLIDATED_XLSX) if (target / CONSOLIDATED_XLSX).is_file() else None,
                                  pending=pending(pid, ws.root), seconds=time.monotonic() - started)
            outcome = _run_locked(pid, ws, source_dir, chosen, check=check, timeout=timeout, kernel=kernel,
                                  log=log, parameters=parameters or {})
    except RunLocked:
        raise
    except PeriodLocked as error:
        raise RunLocked(str(error)) from error
    outcome.seconds = time.monotonic() - started
    seconds = f"{outcome.seconds:.1f}".replace(".", ",")
    log(f"Xong kỳ {pid} sau {seconds} giây: {_relative(outcome.summary_html, ws.root)}")
    return outcome


def _run_locked(pid: str, ws: Workspace, source_dir: Path, chosen: tuple[str, ...], *, check: bool, timeout: int,
                kernel: str, log: Callable[[str], None], parameters: dict) -> RunOutcome:
    """The body of :func:`run_period`, under the period's lock."""
    target = ws.reports_dir(pid)
    timings: dict[str, float] = {}
    staging: Path | None = None
    if not check and not (ws.processed_dir(pid) / "values.parquet").is_file():
        raise RunError(
            f"Kỳ {pid} chưa được kiểm tra ({_relative(ws.processed_dir(pid), ws.root)} chưa có); "
            f"hãy chạy: cchc check --period {pid}"
        )
    try:
        staging = staging_folder(target)  # beside reports/<period>/, swapped in when every report is there
        (staging / "notebooks").mkdir()
        base = {"period": pid, "root": str(ws.root), "out_dir": str(staging)}
        jobs = []
        for name in chosen:
            source = source_dir / name
            declared = _declared(source)
            params = {k: v for k, v in base.items() if k in declared}
            params.update(parameters)
            jobs.append(_Job(name, str(source), str(staging / "notebooks" / name), params, kernel, str(staging),
                             timeout))
        outcome_check = None
        if check:
            t0 = time.monotonic()
            from .pipeline import check_period

            log(f"Kiểm tra kỳ {pid} (cchc check)…")
            outcome_check = check_period(pid, ws.root, progress=False)
            timings["check"] = time.monotonic() - t0
        results = _execute_all(jobs, log)
        failed = [r for r in results if not r["ok"]]
        if failed:
            raise _failure(failed[0], target, ws.root, pid, kernel, timeout)
        timings.update({r["name"]: r["seconds"] for r in results})

        summary_source = staging / "notebooks" / SUMMARY_NOTEBOOK
        t0 = time.monotonic()
        title = f"Báo cáo tóm tắt CCHC — {Period.parse(pid).title}"
        export_html(summary_source, staging / SUMMARY_HTML, title)
        timings["html"] = time.monotonic() - t0
        t0 = time.monotonic()
        from .outputs.report_docx import write_report_docx
        from .pipeline import load_period

        write_report_docx(load_period(pid, ws.root), staging / report_docx_name(pid))  # the district's draft report
        timings["docx"] = time.monotonic() - t0

        swap_in(staging, target)
        staging = None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)

    return RunOutcome(
        period=pid,
        reports_dir=target,
        summary_html=target / SUMMARY_HTML,
        notebooks=[target / "notebooks" / n for n in chosen],
        figures=sorted((target / "figures").glob("*.png")),
        workbook=(target / CONSOLIDATED_XLSX) if (target / CONSOLIDATED_XLSX).is_file() else None,
        check=outcome_check,
        timings=timings,
        draft=target / report_docx_name(pid),
    )
