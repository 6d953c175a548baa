"""``cchc demo``: a realistic sample workspace, run period by period, so a newcomer sees the whole
product with one command."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .periods import Period


def run_demo(root: Path, log: Callable[[str], None] = print) -> Path:
    """Write the sample workbooks (:func:`cchc_analysis.samples.make_sample`) and the
    departments' Word reports (:func:`cchc_analysis.sample_reports.make_documents`) under
    ``root/data/raw/`` and run every sample period, oldest first, so each one is compared with
    the periods before it; return the newest period's ``summary.html``."""
    from .run import run_period
    from .samples import make_sample

    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    log(f"Tạo bộ số liệu mẫu trong {root / 'data' / 'raw'}…")
    manifest = make_sample(root)
    from .sample_reports import make_documents

    make_documents(root, manifest)  # and each department's Phụ lục I report (Word)
    periods = sorted(manifest["periods"], key=lambda p: (Period.parse(p).end, Period.parse(p).start))
    summary = None
    for period in periods:
        log(f"— Kỳ {period} ({Period.parse(period).title}) —")
        summary = run_period(period, root, log=log).summary_html
    if summary is None:
        raise ValueError("Bộ số liệu mẫu không có kỳ nào.")
    log(f"Báo cáo tóm tắt kỳ mới nhất: {summary}")
    return summary
