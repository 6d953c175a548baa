"""The benchmark script's held-out workspaces (benchmarks/bench_ingest.py; its timings are not
tested: no test asserts a time)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_ingest.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_ingest", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_two_held_out_folders_of_the_same_period_get_a_workspace_each(bench, tmp_path):
    letter = tmp_path / "letter" / "data" / "raw" / "2021-H1"
    mixed = tmp_path / "mixed" / "data" / "raw" / "2021-H1"
    loose = tmp_path / "thu muc rieng"
    for folder in (letter, mixed, loose):
        folder.mkdir(parents=True)
        (folder / "a.xlsx").write_bytes(b"")
    out = tmp_path / "out"
    roots = [bench.held_out(out, folder, "2021-H1") for folder in (letter, mixed, loose)]
    assert len(set(roots)) == 3
    for root, folder in zip(roots, (letter, mixed, loose)):
        link = root / "data" / "raw" / "2021-H1"
        assert link.is_symlink() and link.resolve() == folder.resolve()
    assert [bench.held_name(f) for f in (letter, mixed, loose)] == ["letter/2021-H1", "mixed/2021-H1", "thu muc rieng"]
    # asked again, the same workspace (nothing rebuilt); the folders were not written into
    assert bench.held_out(out, letter, "2021-H1") == roots[0]
    assert sorted(p.name for p in letter.iterdir()) == ["a.xlsx"]
