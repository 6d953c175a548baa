"""How a period is checked: ingest, then every check, then the comparison with history, each
period's outputs written to ``data/processed/<period>/`` in one step.

Outputs are first written to a temporary folder beside the target and moved into place only when
complete, so a crash leaves the previous outputs of the period as they were.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from .catalogue import load_catalogue, load_units
from .config import Workspace
from .ingest import IngestResult, ingest
from .periods import Period


def write_frames(out_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    """Write ``name -> frame`` (``.parquet`` or ``.csv`` by the name) into ``out_dir`` atomically:
    all files land together, replacing what the folder held before."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name, frame in frames.items():
            target = staging / name
            if name.endswith(".parquet"):
                frame.to_parquet(target, index=False)
            else:
                frame.to_csv(target, index=False, encoding="utf-8")
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            os.replace(out_dir, old)
            os.replace(staging, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def ingest_frames(result: IngestResult) -> dict[str, pd.DataFrame]:
    return {
        "values.parquet": result.values,
        "findings.csv": result.findings,
        "cells.parquet": result.cells,
        "files.csv": result.files,
    }


def run_ingest(period: str, root: Path, raw_dir: Path | None = None, out_dir: Path | None = None,
               progress: bool | None = None) -> tuple[IngestResult, Path]:
    """``cchc ingest``: read the period's folder and write values and findings."""
    period = Period.parse(period).id
    ws = Workspace(root)
    raw_dir = Path(raw_dir) if raw_dir else ws.raw_dir(period)
    out_dir = Path(out_dir) if out_dir else ws.processed_dir(period)
    result = ingest(period, raw_dir, catalogue=load_catalogue(Period.parse(period).year, ws.root),
                    units=load_units(ws.root), settings=ws.settings(), root=ws.root, progress=progress)
    write_frames(out_dir, ingest_frames(result))
    return result, out_dir
