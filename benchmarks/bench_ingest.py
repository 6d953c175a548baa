"""Whole-process timing of `cchc ingest` / `cchc check` against the speed of reading the bytes.

For each N of ``--sizes`` this writes N realistic Phụ lục II workbooks once
(:func:`cchc_analysis.samples.make_bulk`, kept under ``--out`` and reused while the generator and
N are unchanged), then runs each tool ``--repeat`` times, every run in a fresh interpreter, the
tools interleaved so that machine noise hits them alike:

- ``floor``   one process that imports pandas and reads every sheet of every file with
  python-calamine's ``to_python()`` (the least any reader of these files into pandas frames pays)
- ``naive``   ``pandas.read_excel(f, sheet_name=None, engine="openpyxl")`` for every file
- ``ingest``  ``python -m cchc_analysis ingest --period P --root W``
- ``check``   ``python -m cchc_analysis check --period P --root W`` (skipped, with the reason,
  when the command does not run)
- ``ingest-serial`` (only when asked for with ``--tools``): ``ingest`` with ``CCHC_WORKERS=1``, all
  files read by one worker process, to see what the second core brings

It prints one table (N, tool, median wall seconds, ratio to the floor of the same N measured in
the same run, peak RSS) and the machine, and writes the raw times to ``--out/results.json`` and the
table to ``--out/results.md``. Peak RSS is ``ru_maxrss`` of the run as returned by ``wait4``: the
largest single process of the run (its worker processes included, one at a time, not summed).

``--raw DIR`` times a folder of workbooks that the script did not write (a held-out period) the
same way, through a workspace whose ``data/raw/<--period>`` links to it (nothing is written into
DIR). Before timing, the package's bytecode is written (``compileall``), as an installed package
has it: a checkout run with ``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile the package's
source in every run.

    .venv/bin/python benchmarks/bench_ingest.py                      # N = 30, 300
    .venv/bin/python benchmarks/bench_ingest.py --sizes 30 300 3000  # adds N = 3000
    .venv/bin/python benchmarks/bench_ingest.py --raw /path/to/2021-H1 --tools floor ingest check
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PERIOD = "2021-H1"

FLOOR = r"""
import sys
from pathlib import Path
import pandas
import python_calamine
for path in sorted(Path(sys.argv[1]).iterdir()):
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"):
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
"""

NAIVE = r"""
import sys
from pathlib import Path
import pandas
for path in sorted(Path(sys.argv[1]).iterdir()):
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        pandas.read_excel(path, sheet_name=None, engine="openpyxl")
"""

TOOLS = ("floor", "naive", "ingest", "check", "ingest-serial")
DEFAULT_TOOLS = ("floor", "naive", "ingest", "check")


# --------------------------------------------------------------------------------------------
# the workbooks


def _generator_stamp(n: int, seed: int) -> str:
    """What the cached workbooks depend on: N, the seed, the period and the generator's code and data."""
    digest = hashlib.sha256(f"{n}|{seed}|{PERIOD}".encode())
    package = REPO / "cchc_analysis"
    for path in [package / "samples.py", *sorted((package / "data").rglob("*.csv"))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _slug(n) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in str(n))


def held_name(raw: Path) -> str:
    """How a held-out folder is named in the table: ``<workspace>/<period>`` for a folder laid out
    as ``<workspace>/data/raw/<period>``, else the folder's own name."""
    raw = raw.resolve()
    if raw.parent.name == "raw" and raw.parent.parent.name == "data":
        return f"{raw.parent.parent.parent.name}/{raw.name}"
    return raw.name


def held_out(out: Path, raw: Path, period: str) -> Path:
    """A workspace under ``out/`` whose ``data/raw/<period>`` is the given folder (a link): a
    period nobody tuned for, timed like the generated ones. Each folder gets a workspace of its
    own (named after its path), so that two folders both called ``2021-H1`` stay apart."""
    raw = raw.resolve()
    if not raw.is_dir():
        raise SystemExit(f"--raw {raw}: no such folder")
    root = out / f"held-{_slug(held_name(raw))}-{hashlib.sha256(os.fsencode(raw)).hexdigest()[:8]}"
    link = root / "data" / "raw" / period
    if link.is_symlink() and link.resolve() == raw:
        return root
    if root.exists():
        shutil.rmtree(root)
    link.parent.mkdir(parents=True)
    link.symlink_to(raw, target_is_directory=True)
    return root


def compile_package(python: str) -> None:
    """Write the package's bytecode, as any installed copy has it. Without it (a checkout run with
    PYTHONDONTWRITEBYTECODE=1, as CI does) every run compiles the package's source again, ~70 ms
    that an installed package never pays."""
    subprocess.run([python, "-m", "compileall", "-q", str(REPO / "cchc_analysis")], check=True,
                   stdout=subprocess.DEVNULL)


def workspace(out: Path, n: int, seed: int, python: str) -> Path:
    """``out/ws-N`` holding ``data/raw/<period>/`` with N workbooks (made once, then reused)."""
    root = out / f"ws-{n}"
    raw = root / "data" / "raw" / PERIOD
    stamp_file = root / ".bench-stamp"
    stamp = _generator_stamp(n, seed)
    if stamp_file.is_file() and stamp_file.read_text() == stamp and raw.is_dir():
        return root
    if root.exists():
        shutil.rmtree(root)
    raw.mkdir(parents=True)
    started = time.perf_counter()
    print(f"writing {n} workbooks into {raw} ...", flush=True)
    subprocess.run(
        [python, "-c", "import sys; from cchc_analysis.samples import make_bulk; "
         "make_bulk(sys.argv[1], int(sys.argv[2]), seed=int(sys.argv[3]), period=sys.argv[4])",
         str(raw), str(n), str(seed), PERIOD],
        check=True, cwd=REPO,
    )
    stamp_file.write_text(stamp)
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return root


# --------------------------------------------------------------------------------------------
# one measured run


def command(tool: str, python: str, root: Path, period: str = PERIOD) -> tuple[list[str], dict[str, str]]:
    """The command line of one run of ``tool`` and its environment."""
    raw = root / "data" / "raw" / period
    env = dict(os.environ)
    if tool == "floor":
        return [python, "-c", FLOOR, str(raw)], env
    if tool == "naive":
        return [python, "-W", "ignore", "-c", NAIVE, str(raw)], env
    if tool == "ingest-serial":
        tool, env["CCHC_WORKERS"] = "ingest", "1"
    return [python, "-m", "cchc_analysis", tool, "--period", period, "--root", str(root)], env


def run_once(cmd: tuple[list[str], dict[str, str]], log: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of one fresh-process run."""
    argv, env = cmd
    with open(log, "wb") as handle:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=REPO,
                                env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return wall, usage.ru_maxrss * scale / 1e6, proc.returncode


# --------------------------------------------------------------------------------------------
# the machine


_VERSIONS = r"""
import json, platform
from importlib import metadata
out = {"python": platform.python_version()}
for name in ("pandas", "python-calamine", "openpyxl", "pyarrow", "numpy"):
    try:
        out[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        out[name] = None
print(json.dumps(out))
"""


def machine(python: str) -> dict:
    """The CPU, cores, memory and load of this machine; Python and library versions of ``python``."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "load_average_at_start": _load(),
    }
    info.update(json.loads(subprocess.run([python, "-c", _VERSIONS], capture_output=True, text=True,
                                          check=True).stdout))
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


def _load() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help="numbers of workbooks to generate and time (default: 30 300; none with --raw)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per tool and size (default: 3)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out",
                        help="where the workspaces, logs and results go (default: benchmarks/out)")
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(DEFAULT_TOOLS),
                        help="tools to time (default: floor naive ingest check)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated workbooks (default: 0)")
    parser.add_argument("--python", default=sys.executable, help="interpreter to time (default: this one)")
    parser.add_argument("--raw", type=Path, action="append", default=[],
                        help="time this folder of workbooks too (a held-out period; repeatable)")
    parser.add_argument("--period", default=PERIOD, help=f"period of the --raw folders (default: {PERIOD})")
    args = parser.parse_args(argv)
    sizes = args.sizes if args.sizes is not None else ([] if args.raw else [30, 300])

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    info = machine(args.python)
    compile_package(args.python)
    results: list[dict] = []
    notes: list[str] = []
    started = time.perf_counter()
    cases = [(n, workspace(out, n, args.seed, args.python), PERIOD) for n in sizes]
    for raw in args.raw:
        root = held_out(out, raw, args.period)
        count = sum(1 for p in raw.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"))
        cases.append((f"{count} ({held_name(raw)})", root, args.period))
    for n, root, period in cases:
        logs = out / "logs"
        logs.mkdir(exist_ok=True)
        tools = [t for t in TOOLS if t in args.tools]
        # one untimed run of each tool warms the page cache; a tool that does not run (e.g. `check`
        # while checks.py is unfinished) is skipped with its reason
        for tool in list(tools):
            log = logs / f"{tool}-{_slug(n)}.log"
            _, _, code = run_once(command(tool, args.python, root, period), log)
            if code != 0:
                tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
                notes.append(f"N={n}: {tool} skipped: exit code {code}: {tail[0][:200]} (log: {log})")
                tools.remove(tool)
        times: dict[str, list[float]] = {t: [] for t in tools}
        peaks: dict[str, list[float]] = {t: [] for t in tools}
        for i in range(args.repeat):
            for tool in tools:
                log = logs / f"{tool}-{_slug(n)}.log"
                wall, peak, code = run_once(command(tool, args.python, root, period), log)
                if code != 0:
                    raise SystemExit(f"{tool} failed on N={n} (exit {code}); see {log}")
                times[tool].append(wall)
                peaks[tool].append(peak)
            print(f"N={n}: run {i + 1}/{args.repeat} " + "  ".join(f"{t} {times[t][-1]:.2f}s" for t in tools), flush=True)
        floor = statistics.median(times["floor"]) if times.get("floor") else None
        for tool in tools:
            median = statistics.median(times[tool])
            results.append({
                "n": n, "tool": tool, "median_s": median, "min_s": min(times[tool]), "max_s": max(times[tool]),
                "ratio_to_floor": median / floor if floor else None, "peak_mb": max(peaks[tool]),
                "times_s": times[tool], "peaks_mb": peaks[tool],
            })

    lines = [
        "| N | tool | median s | ratio to floor | peak MB |",
        "|---:|---|---:|---:|---:|",
    ]
    for r in results:
        ratio = f"{r['ratio_to_floor']:.2f}x" if r["ratio_to_floor"] is not None else "-"
        lines.append(f"| {r['n']} | {r['tool']} | {r['median_s']:.3f} | {ratio} | {r['peak_mb']:.0f} |")
    machine_line = (
        f"Machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
        f"{info.get('memory_gb', '?')} GB; {info['os']}; Python {info['python']}; pandas {info['pandas']}, "
        f"python-calamine {info['python-calamine']}, openpyxl {info['openpyxl']}, pyarrow {info['pyarrow']}; "
        f"load average at start {info['load_average_at_start']}; median of {args.repeat} runs, each a fresh process"
        + (f"; CCHC_WORKERS={os.environ['CCHC_WORKERS']}" if os.environ.get("CCHC_WORKERS") else "") + "."
    )
    info["load_average_at_end"] = _load()
    machine_line += f" Load average at end {info['load_average_at_end']}."
    load = info["load_average_at_start"]
    if load and load[0] > 0.5:
        notes.append("Other processes were using the CPU when the benchmark started: the times are noisy; "
                     "run it again on an idle machine for figures to publish.")
    text = "\n".join([*lines, "", machine_line, *notes])
    print()
    print(text)
    (out / "results.md").write_text(text + "\n", encoding="utf-8")
    (out / "results.json").write_text(json.dumps({"machine": info, "repeat": args.repeat, "period": PERIOD,
                                                  "results": results, "notes": notes}, indent=2), encoding="utf-8")
    print(f"\n(total {time.perf_counter() - started:.0f} s; raw times in {out / 'results.json'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
