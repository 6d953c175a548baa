"""The order of a period's values and cells: (unit, order the files came in, sheet, row), ties in
place — whether the rows arrive file by file (the fast path) or in any other arrangement."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_analysis.ingest import _ranked

_ROW = st.tuples(st.sampled_from(["NV", "TP", "VP"]), st.sampled_from(["a.xlsx", "b.xlsx", "c.xlsx"]),
                 st.sampled_from(["PL2", "Sheet1"]), st.integers(1, 6))


def _by_rows(unit, source, sheet, row, order):
    return sorted(range(len(unit)), key=lambda i: (unit[i], order[source[i]], sheet[i], row[i]))


def _columns(rows):
    return [list(column) for column in zip(*rows)] if rows else [[], [], [], []]


@settings(derandomize=True, deadline=None, max_examples=300)
@given(st.lists(_ROW, max_size=30), st.permutations(["a.xlsx", "b.xlsx", "c.xlsx"]))
def test_any_arrangement_is_ordered_as_a_row_by_row_sort(rows, received):
    order = {name: rank for rank, name in enumerate(received)}
    unit, source, sheet, row = _columns(rows)
    assert _ranked(unit, source, sheet, row, order) == _by_rows(unit, source, sheet, row, order)


@settings(derandomize=True, deadline=None, max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(["NV", "TP"]), st.lists(st.tuples(st.sampled_from(["A", "B"]),
                                                                            st.integers(1, 9)), max_size=8)),
                max_size=6))
def test_files_in_arrival_order_of_their_rows(files):
    """Rows file by file, each file's rows sorted as a reader yields them (the usual case)."""
    rows, order = [], {}
    for k, (unit, cells) in enumerate(files):
        name = f"f{k}.xlsx"
        order[name] = (k * 7) % (len(files) or 1) + k / 100  # received in another order than read
        rows += [(unit, name, sheet, r) for sheet, r in sorted(cells)]
    unit, source, sheet, row = _columns(rows)
    assert _ranked(unit, source, sheet, row, order) == _by_rows(unit, source, sheet, row, order)


def test_hand_made_period():
    # two NV files received b then a, one TP file; rows of each file in sheet/row order
    unit = ["NV", "NV", "TP", "NV", "NV"]
    source = ["a.xlsx", "a.xlsx", "t.xlsx", "b.xlsx", "b.xlsx"]
    sheet = ["PL", "PL", "PL", "PL", "PL"]
    row = [5, 9, 5, 6, 7]
    order = {"b.xlsx": 0, "a.xlsx": 1, "t.xlsx": 2}
    assert _ranked(unit, source, sheet, row, order) == [3, 4, 0, 1, 2]
