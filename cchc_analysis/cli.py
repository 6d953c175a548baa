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
    from .pipeline import run_ingest

    result, out = run_ingest(args.period, _root(args), raw_dir=args.raw, out_dir=args.out)
    _print_summary(f"Kỳ {args.period}: đã ghi {out}", result.summary())
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

    p = sub.add_parser("catalogue", parents=[common], help="in danh mục chỉ tiêu đang áp dụng dạng CSV")
    p.add_argument("--year", type=int, default=2021, help="năm của danh mục (mặc định 2021)")
    p.set_defaults(func=cmd_catalogue)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .catalogue import CatalogueError
    from .periods import PeriodError

    try:
        return args.func(args)
    except (CatalogueError, PeriodError) as error:
        print(f"Lỗi: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
