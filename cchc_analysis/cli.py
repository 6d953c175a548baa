"""The ``cchc`` command line (also ``python -m cchc_analysis``).

Exit codes: 0 ran (findings or not), 1 ran and found errors in the data (``check`` and ``run`` with
``--strict``), 2 could not run (bad arguments, broken catalogue, a failing notebook, a held lock, and
every failure of the environment: a full disk, a read-only or vanished workspace, a signal, said in
one line by :mod:`cchc_analysis.failures`; ``--debug`` adds the traceback).
"""

from __future__ import annotations

import argparse
import sys
import traceback
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
    with period_lock(_root(args), args.period, on_leftovers=print) if args.out is None else nullcontext():
        result, out = run_ingest(args.period, _root(args), raw_dir=args.raw, out_dir=args.out)
    _print_summary(f"Kỳ {args.period}: đã ghi {out}", result.summary())
    return EXIT_OK


def _print_pending(report, root: Path, strict: bool) -> int:
    """A closed period's check or run: what has arrived since the close; exit 1 with ``--strict``
    when something has."""
    from .catalogue import load_catalogue, load_units
    from .periods import Period

    for line in report.lines(load_catalogue(Period.parse(report.period).year, root), load_units(root)):
        print(line)
    return EXIT_FINDINGS if (strict and report.any) else EXIT_OK


def _require_period(args, new: bool = False) -> None:
    """Stop (exit 2, nothing created) when ``--root`` is not a workspace or the period has no
    folder there (:func:`cchc_analysis.config.require_period`)."""
    from .config import require_period

    require_period(_root(args), args.period, new=new, raw=getattr(args, "raw", None))


def cmd_check(args) -> int:
    from .pipeline import check_period, period_lock, write_feedback_files
    from .signoff import is_closed, pending

    _require_period(args, new=args.new)  # a mistyped --root or period: exit 2, nothing created
    with period_lock(_root(args), args.period, on_leftovers=print):
        if is_closed(args.period, _root(args), settle=True):  # signed off: nothing is written, what is pending is said
            return _print_pending(pending(args.period, _root(args), raw_dir=args.raw), _root(args), args.strict)
        outcome = check_period(args.period, _root(args), raw_dir=args.raw)
        feedback = write_feedback_files(outcome, _root(args))
    summary = outcome.summary()
    _print_summary(f"Kỳ {outcome.period}: đã kiểm tra, kết quả ở {outcome.out_dir}", summary)
    if outcome.record is not None:
        record = outcome.record
        print(f"  Nhật ký:      {len(record.files)} sự kiện tệp, {len(record.changes)} số liệu thay đổi "
              f"(cchc history --period {outcome.period})")
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
    from .signoff import ensure_open

    ws = Workspace(_root(args))
    ensure_open(args.period, ws.root)  # a signed-off period's table is not replaced
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

    _require_period(args)  # a mistyped --root or period: exit 2, nothing created
    outcome = run_period(args.period, _root(args), check=not args.no_check, timeout=args.timeout, kernel=args.kernel)
    if outcome.pending is not None:  # signed off: no notebook ran, nothing was written
        return _print_pending(outcome.pending, _root(args), args.strict)
    print(f"Kỳ {args.period}: đã chạy xong trong {outcome.seconds:.1f} giây.")
    if outcome.workbook:
        print(f"  Bảng tổng hợp:  {outcome.workbook}")
    print(f"  Báo cáo HTML:   {outcome.summary_html}")
    errors = outcome.check.summary()["findings"]["error"] if outcome.check is not None else 0
    return EXIT_FINDINGS if (args.strict and errors) else EXIT_OK


def cmd_history(args) -> int:
    from .audit import load_audit, timeline
    from .catalogue import load_catalogue, load_units
    from .periods import Period

    period = Period.parse(args.period)
    root = _root(args)
    for line in timeline(load_audit(period.id, root), period.id, unit=args.unit, indicator=args.indicator,
                         catalogue=load_catalogue(period.year, root), units=load_units(root)):
        print(line)
    return EXIT_OK


def cmd_close(args) -> int:
    from .pipeline import period_lock
    from .signoff import close_period

    with period_lock(_root(args), args.period):
        closed = close_period(args.period, _root(args), args.by, args.note or "")
    root = _root(args)
    manifest = closed.manifest
    print(f"Đã chốt số liệu kỳ {closed.period} lúc {_clock(manifest['closed_at'])}, người chốt: {manifest['closed_by']}.")
    print(f"  Hồ sơ chốt:    {_shown(closed.path, root)} (SHA-256 của {len(manifest['raw'])} tệp gốc và "
          f"{len(manifest['outputs'])} tệp kết quả)")
    print(f"  Bảng đã gửi:   {_shown(closed.copy, root)} (bản chỉ đọc)")
    if len(closed.unchecked):
        print(f"  Lưu ý: {len(closed.unchecked)} tệp thay đổi sau lần kiểm tra cuối nên không có trong số liệu đã chốt:")
        for name, event in zip(closed.unchecked["source_file"], closed.unchecked["event"]):
            print(f"   - {name} ({_EVENT_WORDS.get(event, event)})")
    print(f"  Từ nay cchc check và cchc run không thay đổi kỳ này. Kiểm tra hồ sơ: cchc verify --period {closed.period}; "
          f"mở lại: cchc reopen --period {closed.period} --by \"...\" --reason \"...\"")
    return EXIT_OK


_EVENT_WORDS = {"added": "tệp mới", "replaced": "tệp đã sửa", "removed": "tệp bị gỡ", "renamed": "tệp đổi tên"}


def _clock(text: str) -> str:
    from datetime import datetime

    return datetime.fromisoformat(str(text)).strftime("%H:%M %d/%m/%Y")


def _shown(path: Path, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return str(path)


def cmd_reopen(args) -> int:
    from .pipeline import period_lock
    from .signoff import reopen_period

    with period_lock(_root(args), args.period):
        manifest = reopen_period(args.period, _root(args), args.by, args.reason)
    print(f"Đã mở lại kỳ {args.period} (đã chốt lúc {_clock(manifest['closed_at'])} bởi {manifest.get('closed_by', '')}); "
          f"người mở: {args.by.strip()}, lý do: {args.reason.strip()}.")
    print(f"  Hồ sơ chốt cũ được giữ trong nhật ký (data/processed/{args.period}/audit/). Số liệu lại là tạm thời; "
          f"chạy cchc check --period {args.period} để đưa các tệp mới vào.")
    return EXIT_OK


def cmd_verify(args) -> int:
    from .signoff import verify_period

    result = verify_period(args.period, _root(args))
    for line in result.lines():
        print(line)
    return EXIT_OK if result.intact and not result.manifest.get("damaged") else EXIT_FINDINGS


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
    common.add_argument("--debug", action="store_true",
                        help="khi lệnh lỗi, in cả traceback của Python (để gửi cho người phát triển)")
    # the commands of one period: --root, --debug and --period
    one_period = argparse.ArgumentParser(add_help=False, parents=[common])
    one_period.add_argument("--period", required=True, help="mã kỳ: 2021-Q1..Q4, 2021-H1, 2021-9M, 2021")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[one_period], help="đọc các tệp Excel của một kỳ thành values.parquet và findings.csv")
    p.add_argument("--raw", type=Path, default=None, help="thư mục tệp gốc (mặc định data/raw/<kỳ>)")
    p.add_argument("--out", type=Path, default=None, help="thư mục kết quả (mặc định data/processed/<kỳ>)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("check", parents=[one_period],
                       help="đọc và kiểm tra một kỳ: đầy đủ, đúng hạn, quy tắc, so sánh với các kỳ trước")
    p.add_argument("--raw", type=Path, default=None, help="thư mục tệp gốc (mặc định data/raw/<kỳ>)")
    p.add_argument("--strict", action="store_true", help="trả mã thoát 1 khi có lỗi trong số liệu (cho lịch chạy tự động)")
    p.add_argument("--new", action="store_true",
                   help="bắt đầu một kỳ mới: tạo thư mục data/raw/<kỳ>/ (không có --new, kỳ chưa có thư mục thì báo lỗi)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("run", parents=[one_period],
                       help="chạy cả kỳ: kiểm tra, các sổ tay (papermill), bảng tổng hợp, biểu đồ, báo cáo HTML")
    p.add_argument("--no-check", action="store_true", help="dùng kết quả kiểm tra đã có, không đọc lại tệp")
    p.add_argument("--timeout", type=int, default=None, help="giới hạn thời gian mỗi ô sổ tay, giây")
    p.add_argument("--kernel", default=None, help="tên kernel Jupyter (mặc định theo cấu hình: python3)")
    p.add_argument("--strict", action="store_true", help="trả mã thoát 1 khi có lỗi trong số liệu")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", parents=[common],
                       help="tạo dữ liệu mẫu (3 kỳ, đủ các đơn vị, có lỗi cài sẵn) và chạy toàn bộ")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("templates", parents=[one_period], help="tạo biểu mẫu Phụ lục II để từng đơn vị điền")
    p.add_argument("--out", type=Path, default=None, help="thư mục ghi biểu mẫu (mặc định reports/<kỳ>/templates)")
    p.set_defaults(func=cmd_templates)

    p = sub.add_parser("backfill", parents=[common],
                       help="nạp số liệu một kỳ trước từ bảng Phụ lục II tổng hợp của huyện (để có lịch sử so sánh)")
    p.add_argument("--period", required=True, help="mã kỳ của bảng tổng hợp")
    p.add_argument("workbook", type=Path, help="tệp Excel Phụ lục II tổng hợp của huyện kỳ đó")
    p.set_defaults(func=cmd_backfill)

    p = sub.add_parser("history", parents=[one_period],
                       help="nhật ký của kỳ: tệp nhận lúc nào, mỗi bản sửa thay đổi số liệu nào, bảng của huyện qua từng lần kiểm tra")
    p.add_argument("--unit", default=None, help="chỉ xem một đơn vị (mã, ví dụ TP)")
    p.add_argument("--indicator", default=None, help="chỉ xem một chỉ tiêu (mã, ví dụ 3.4.5)")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("close", parents=[one_period],
                       help="chốt số liệu của kỳ (sau khi gửi tỉnh): lưu bản đã gửi, ghi closed.json với SHA-256 của mọi tệp")
    p.add_argument("--by", required=True, help="tên người chốt số liệu")
    p.add_argument("--note", default="", help="ghi chú (ví dụ: số công văn gửi tỉnh)")
    p.set_defaults(func=cmd_close)

    p = sub.add_parser("reopen", parents=[one_period], help="mở lại một kỳ đã chốt (được ghi vào nhật ký)")
    p.add_argument("--by", required=True, help="tên người mở lại")
    p.add_argument("--reason", required=True, help="lý do mở lại")
    p.set_defaults(func=cmd_reopen)

    p = sub.add_parser("verify", parents=[one_period],
                       help="đối chiếu SHA-256 các tệp của kỳ đã chốt với closed.json (mã thoát 1 khi có tệp bị sửa)")
    p.set_defaults(func=cmd_verify)

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
    from .signoff import SignOffError  # a closed period, a damaged record, a close or reopen refused

    from .failures import signals_raise

    try:
        with signals_raise():  # SIGTERM/SIGINT/SIGHUP raise: staging folders go, the lock is released
            return args.func(args)
    except BrokenPipeError:  # `cchc catalogue | head`
        return EXIT_OK
    except (CatalogueError, PeriodError, PeriodLocked, FileNotFoundError, RunError, SignOffError) as error:
        if isinstance(error, OSError) and error.errno is not None:  # the system's words, not the product's
            return _environment_failure(error, args)
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"Lỗi: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (KeyboardInterrupt, Exception) as error:  # a full disk, a signal, ... (or a bug): one line, exit 2
        return _environment_failure(error, args)


def _environment_failure(error: BaseException, args) -> int:
    """What the environment did (a full disk, a read-only or vanished workspace, a signal): one
    Vietnamese line on stderr saying what failed and what to do, exit code 2; the traceback only
    with ``--debug``."""
    from .failures import one_line

    if getattr(args, "debug", False):
        traceback.print_exception(error)
    command = args.command + (f" --period {args.period}" if getattr(args, "period", None) else "")
    print(one_line(error, _root(args), command), file=sys.stderr)
    return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
