"""The ``cchc`` command line (also ``python -m cchc_analysis``).

Exit codes: 0 ran (findings or not), 1 ran and found errors in the data (``check`` and ``run`` with
``--strict``), 2 could not run (bad arguments, broken catalogue, a failing notebook, a held lock).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_FAILED = 0, 1, 2


def _root(args) -> Path:
    return Path(args.root).resolve()


def cmd_catalogue(args) -> int:
    from .catalogue import load_catalogue

    frame = load_catalogue(args.year, _root(args))
    columns = ["id", "printed", "parent", "name", "unit", "kind", "choices", "owner", "note", "levels", "cumulative"]
    frame[columns].to_csv(sys.stdout, index=False)
    return EXIT_OK


def _print_summary(title: str, summary: dict) -> None:
    counts = summary["findings"]
    print(title)
    print(f"  Tệp đã đọc:   {summary['files']}")
    print(f"  Đơn vị:       {', '.join(summary['units']) or '(không có)'}")
    print(f"  Số liệu:      {summary['values']}")
    print(f"  Phát hiện:    {counts['error']} lỗi, {counts['warning']} cảnh báo, {counts['info']} thông tin")


def cmd_ingest(args) -> int:
    from contextlib import nullcontext

    from .pipeline import period_lock, run_ingest

    # the lock lives in the workspace: taken when the outputs go to the workspace's own folder
    with period_lock(_root(args), args.period) if args.out is None else nullcontext():
        result, out = run_ingest(args.period, _root(args), raw_dir=args.raw, out_dir=args.out)
    _print_summary(f"Kỳ {args.period}: đã ghi {out}", result.summary())
    return EXIT_OK


def cmd_check(args) -> int:
    from .pipeline import check_period, period_lock, write_feedback_files

    with period_lock(_root(args), args.period):
        outcome = check_period(args.period, _root(args), raw_dir=args.raw)
        feedback = write_feedback_files(outcome, _root(args))
    summary = outcome.summary()
    _print_summary(f"Kỳ {outcome.period}: đã kiểm tra, kết quả ở {outcome.out_dir}", summary)
    if feedback:
        print(f"  Phản hồi cho từng đơn vị: {feedback[0].parent} ({len(feedback)} tệp)")
    reporting, on_time = summary.get("reporting_rate"), summary.get("on_time_rate")
    if reporting is not None:
        print(f"  Tỷ lệ đơn vị đã báo cáo: {_percent(reporting)}")
    print(f"  Tỷ lệ báo cáo đúng hạn:  {_percent(on_time) if on_time is not None else 'chưa cấu hình hạn nộp'}")
    errors = outcome.findings[outcome.findings["severity"] == "error"]
    if len(errors):
        print("  Lỗi cần xử lý (tối đa 10):")
        for message in errors["message"].head(10):
            print(f"   - {message}")
    return EXIT_FINDINGS if (args.strict and len(errors)) else EXIT_OK


def _percent(value: float) -> str:
    return f"{value * 100:.1f}".replace(".", ",") + " %"


def cmd_templates(args) -> int:
    from .catalogue import load_catalogue, load_units
    from .config import Workspace
    from .outputs.templates import write_templates
    from .periods import Period

    period = Period.parse(args.period)
    ws = Workspace(_root(args))
    out = args.out or ws.reports_dir(period.id) / "templates"
    paths = write_templates(period.id, load_catalogue(period.year, ws.root), load_units(ws.root), out)
    print(f"Đã tạo {len(paths)} biểu mẫu trong {out}:")
    for path in paths:
        print(f"  {path.name}")
    return EXIT_OK


def cmd_backfill(args) -> int:
    from .config import Workspace
    from .history import backfill
    from .pipeline import write_files
    from .safety import safe_frame

    ws = Workspace(_root(args))
    consolidated, findings = backfill(args.period, args.workbook, ws.root, ws.settings())
    for message in findings["message"].head(10):
        print(f"  - {message}")
    if consolidated["value"].notna().sum() == 0:
        print(f"Lỗi: không nạp được số liệu nào từ {args.workbook}; lịch sử kỳ {args.period} giữ nguyên.", file=sys.stderr)
        return EXIT_FAILED
    out = ws.processed_dir(args.period)
    write_files(out, {"consolidated.parquet": consolidated, "backfill_findings.csv": safe_frame(findings)})
    print(f"Kỳ {args.period}: đã nạp {consolidated['value'].notna().sum()} số liệu tổng hợp từ {args.workbook} vào {out}")
    return EXIT_OK


def cmd_run(args) -> int:
    from .run import run_period

    outcome = run_period(args.period, _root(args), check=not args.no_check, timeout=args.timeout, kernel=args.kernel)
    print(f"Kỳ {args.period}: đã chạy xong trong {outcome.seconds:.1f} giây.")
    if outcome.workbook:
        print(f"  Bảng tổng hợp:  {outcome.workbook}")
    print(f"  Báo cáo HTML:   {outcome.summary_html}")
    errors = outcome.check.summary()["findings"]["error"] if outcome.check is not None else 0
    return EXIT_FINDINGS if (args.strict and errors) else EXIT_OK


def cmd_demo(args) -> int:
    from .demo import run_demo

    html = run_demo(_root(args))
    print(f"Xong. Báo cáo cho lãnh đạo (kỳ mới nhất): {html}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cchc",
        description="Kiểm tra và tổng hợp báo cáo cải cách hành chính (Phụ lục II) của các phòng, đơn vị.",
    )
    parser.add_argument("--version", action="version", version=f"cchc_analysis {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=".", help="thư mục làm việc chứa data/ và reports/ (mặc định: thư mục hiện tại)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="đọc các tệp Excel của một kỳ thành values.parquet và findings.csv")
    p.add_argument("--period", required=True, help="mã kỳ: 2021-Q1..Q4, 2021-H1, 2021-9M, 2021")
    p.add_argument("--raw", type=Path, default=None, help="thư mục tệp gốc (mặc định data/raw/<kỳ>)")
    p.add_argument("--out", type=Path, default=None, help="thư mục kết quả (mặc định data/processed/<kỳ>)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("check", parents=[common],
                       help="đọc và kiểm tra một kỳ: đầy đủ, đúng hạn, quy tắc, so sánh với các kỳ trước")
    p.add_argument("--period", required=True, help="mã kỳ: 2021-Q1..Q4, 2021-H1, 2021-9M, 2021")
    p.add_argument("--raw", type=Path, default=None, help="thư mục tệp gốc (mặc định data/raw/<kỳ>)")
    p.add_argument("--strict", action="store_true", help="trả mã thoát 1 khi có lỗi trong số liệu (cho lịch chạy tự động)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("run", parents=[common],
                       help="chạy cả kỳ: kiểm tra, các sổ tay (papermill), bảng tổng hợp, biểu đồ, báo cáo HTML")
    p.add_argument("--period", required=True, help="mã kỳ")
    p.add_argument("--no-check", action="store_true", help="dùng kết quả kiểm tra đã có, không đọc lại tệp")
    p.add_argument("--timeout", type=int, default=None, help="giới hạn thời gian mỗi ô sổ tay, giây")
    p.add_argument("--kernel", default=None, help="tên kernel Jupyter (mặc định theo cấu hình: python3)")
    p.add_argument("--strict", action="store_true", help="trả mã thoát 1 khi có lỗi trong số liệu")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", parents=[common],
                       help="tạo dữ liệu mẫu (3 kỳ, đủ các đơn vị, có lỗi cài sẵn) và chạy toàn bộ")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("templates", parents=[common], help="tạo biểu mẫu Phụ lục II để từng đơn vị điền")
    p.add_argument("--period", required=True, help="mã kỳ")
    p.add_argument("--out", type=Path, default=None, help="thư mục ghi biểu mẫu (mặc định reports/<kỳ>/templates)")
    p.set_defaults(func=cmd_templates)

    p = sub.add_parser("backfill", parents=[common],
                       help="nạp số liệu một kỳ trước từ bảng Phụ lục II tổng hợp của huyện (để có lịch sử so sánh)")
    p.add_argument("--period", required=True, help="mã kỳ của bảng tổng hợp")
    p.add_argument("workbook", type=Path, help="tệp Excel Phụ lục II tổng hợp của huyện kỳ đó")
    p.set_defaults(func=cmd_backfill)

    p = sub.add_parser("catalogue", parents=[common], help="in danh mục chỉ tiêu đang áp dụng dạng CSV")
    p.add_argument("--year", type=int, default=2021, help="năm của danh mục (mặc định 2021)")
    p.set_defaults(func=cmd_catalogue)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command (``argv`` None: this process's command line) and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from .catalogue import CatalogueError
    from .periods import PeriodError

    from .pipeline import PeriodLocked
    from .run import RunError  # papermill is imported only when a run starts

    try:
        return args.func(args)
    except (CatalogueError, PeriodError, PeriodLocked, FileNotFoundError, RunError) as error:
        print(f"Lỗi: {error}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # `cchc catalogue | head`
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
