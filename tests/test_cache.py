"""Results of earlier runs are reused only when nothing they depend on has changed (cache.py)."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cchc_analysis import ingest as I
from cchc_analysis.config import Workspace
from cchc_analysis.pipeline import run_ingest
from cchc_analysis.samples import make_bulk

PERIOD = "2021-H1"


@pytest.fixture()
def workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("CCHC_CACHE", raising=False)
    make_bulk(tmp_path / "data" / "raw" / PERIOD, 6)
    return tmp_path


def outputs(root: Path) -> dict[str, bytes]:
    folder = Workspace(root).processed_dir(PERIOD)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def results_file(root: Path) -> Path:
    return Workspace(root).cache_dir / f"{PERIOD}.results"


def kept(root: Path) -> dict[str, bytes]:
    """The period's kept entries: key -> the pickled result of one workbook."""
    path = results_file(root)
    return pickle.loads(path.read_bytes()) if path.is_file() else {}


def tamper(root: Path, value: float) -> int:
    """Make every kept result say ``value`` for its first value row; how many were changed."""
    entries = kept(root)
    changed = 0
    for key, entry in entries.items():
        record, found, cells = pickle.loads(entry)
        first = next((i for i, status in enumerate(cells["status"]) if status == "ok"), None)
        if first is None:
            continue
        cells["value"][first] = value
        entries[key] = pickle.dumps((record, found, cells))
        changed += 1
    results_file(root).write_bytes(pickle.dumps(entries))
    return changed


def values(root: Path) -> pd.DataFrame:
    return pd.read_parquet(Workspace(root).processed_dir(PERIOD) / "values.parquet")


def test_a_second_run_reads_nothing_again_and_writes_the_same_files(workspace, monkeypatch):
    run_ingest(PERIOD, workspace)
    first = outputs(workspace)
    assert len(kept(workspace)) == 6  # one per workbook
    monkeypatch.setattr(I, "read_file", lambda *a, **k: pytest.fail("a workbook was read again"))
    monkeypatch.setenv("CCHC_WORKERS", "0")  # any reading would happen here, in this process
    run_ingest(PERIOD, workspace)
    assert outputs(workspace) == first


def test_a_kept_result_is_used_only_in_the_same_context(workspace):
    run_ingest(PERIOD, workspace)
    truth = values(workspace)
    tampered = tamper(workspace, 123456.0)
    assert tampered >= 3
    run_ingest(PERIOD, workspace)
    assert (values(workspace)["value"] == 123456.0).sum() == tampered  # the kept results were used
    # another units registry (one unit more): another context, every workbook is read again
    units = Workspace(workspace).catalogue_dir / "units.csv"
    units.parent.mkdir(parents=True, exist_ok=True)
    text = (Path(I.__file__).parent / "data" / "units.csv").read_text(encoding="utf-8")
    units.write_text(text.rstrip("\n") + "\nZZ,Đơn vị thử,district,\n", encoding="utf-8")
    run_ingest(PERIOD, workspace)
    pd.testing.assert_frame_equal(values(workspace), truth)


def test_only_a_changed_workbook_is_read_again(workspace):
    run_ingest(PERIOD, workspace)
    raw = Workspace(workspace).raw_dir(PERIOD)
    files = sorted(raw.glob("*.xlsx"))
    tampered = tamper(workspace, 123456.0)
    files[0].write_bytes(files[0].read_bytes())  # the same bytes, a new modification time: still kept
    run_ingest(PERIOD, workspace)
    assert (values(workspace)["value"] == 123456.0).sum() == tampered
    make_bulk(workspace / "other", 6, seed=5)
    shutil.copy(sorted((workspace / "other").glob("*.xlsx"))[0], files[0])  # a corrected file arrives
    run_ingest(PERIOD, workspace)
    now = values(workspace)
    mine = now[now["source_file"] == files[0].name]
    assert (mine["value"] == 123456.0).sum() == 0  # read again
    others = now[now["source_file"] != files[0].name]
    assert (others["value"] == 123456.0).sum() >= tampered - 1  # the others were not


def test_damaged_entries_are_read_as_absent(workspace):
    run_ingest(PERIOD, workspace)
    first = outputs(workspace)
    results_file(workspace).write_bytes(pickle.dumps({key: b"\x80\x05garbage" for key in kept(workspace)}))
    run_ingest(PERIOD, workspace)
    assert outputs(workspace) == first
    assert len(kept(workspace)) == 6  # read again, and kept again
    results_file(workspace).write_bytes(b"\x80\x05garbage")  # the whole file
    run_ingest(PERIOD, workspace)
    assert outputs(workspace) == first


def test_entries_hold_plain_data_only(workspace):
    """An entry that would build another object when unpickled is ignored, never run."""
    run_ingest(PERIOD, workspace)
    first = outputs(workspace)

    class Boom:
        def __reduce__(self):
            return (pytest.fail, ("an entry ran code",))

    results_file(workspace).write_bytes(pickle.dumps({key: pickle.dumps(Boom()) for key in kept(workspace)}))
    run_ingest(PERIOD, workspace)
    assert outputs(workspace) == first
    results_file(workspace).write_bytes(pickle.dumps(Boom()))  # the whole file
    run_ingest(PERIOD, workspace)
    assert outputs(workspace) == first


def test_a_crash_or_timeout_is_not_kept(workspace, monkeypatch):
    from cchc_analysis.workbook import Limits

    ctx = I.make_context(PERIOD, I.catalogue_records(2021), I.unit_records())
    raw = Workspace(workspace).raw_dir(PERIOD)
    items = [(p, p.name) for p in sorted(raw.glob("*.xlsx"))]
    monkeypatch.setattr(I, "_read_files", lambda todo, ctx, on_started=None: iter(
        [I._refused_item(ctx, item, "timeout") for item in todo]))
    folder = workspace / "cache"
    results = list(I._cached_or_read(items, ctx, None, folder, I.catalogue_records(2021), I.unit_records()))
    assert all(r[0]["status"] == "unreadable" for r in results) and len(results) == 6
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))
    assert Limits().max_read_seconds > 0


def test_cache_can_be_turned_off(workspace, monkeypatch):
    monkeypatch.setenv("CCHC_CACHE", "0")
    run_ingest(PERIOD, workspace)
    assert kept(workspace) == {} and not results_file(workspace).exists()


def test_running_out_of_memory_is_a_refusal_that_is_not_kept(workspace, monkeypatch):
    """The worker's memory cap reached in Python code: the file is refused with the memory
    message, and the refusal is marked so that the cache does not keep it."""
    ctx = I.make_context(PERIOD, I.catalogue_records(2021), I.unit_records())
    path = sorted(Workspace(workspace).raw_dir(PERIOD).glob("*.xlsx"))[0]

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(I, "_read_book", exhausted)
    result = I.read_file(path, path.name, ctx)
    assert result.record["status"] == "unreadable" and result.record["_transient"]
    assert "bộ nhớ" in result.findings[0]["message"]


def test_a_sheet_the_reader_gave_up_on_is_not_kept(workspace):
    from cchc_analysis.workbook import Workbook, _reader_failure

    path = sorted(Workspace(workspace).raw_dir(PERIOD).glob("*.xlsx"))[0]
    book = Workbook(path)
    try:
        book._request = lambda request: (_ for _ in ()).throw(_reader_failure("timeout", book.limits))
        with pytest.raises(Exception) as caught:
            book.sheet(book.sheet_names[0])
    finally:
        book._request = lambda request: ("ok",)
        book.close()
    assert getattr(caught.value, "transient", False) and "giây" in caught.value.reason


def test_entries_of_workbooks_gone_from_the_folder_are_dropped(workspace):
    """The period's file holds the entries of the last run's workbooks only."""
    run_ingest(PERIOD, workspace)
    before = set(kept(workspace))
    gone = sorted(Workspace(workspace).raw_dir(PERIOD).glob("*.xlsx"))[0]
    gone.unlink()
    run_ingest(PERIOD, workspace)
    after = set(kept(workspace))
    assert len(after) == 5 and after < before
