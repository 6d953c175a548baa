"""What the reader keeps from one workbook to the next (the reading of a row's STT and name
cells, the roles of a heading row) must never carry over to a context, a period or a cell that
reads differently. Expected values written by hand."""

from __future__ import annotations

from cchc_analysis.catalogue import catalogue_records, unit_records
from cchc_analysis.ingest import make_context, read_file

from conftest import ROWS, write_sheet

HEADER = ["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", "Ghi chú"]
NAME_21, NAME_22 = ROWS["2.1"]["name"], ROWS["2.2"]["name"]


def values(result) -> dict[str, float]:
    return {c["indicator"]: c["value"] for c in result.cells if c["status"] == "ok"}


def checks(result) -> list[tuple[str, str]]:
    return sorted((f["check"], f["indicator"]) for f in result.findings)


def test_two_catalogues_in_one_process_each_match_their_own_rows(tmp_path):
    """The same rows read under the letter's catalogue and under one where 2.1 and 2.2 swap
    names: each context matches by its own names, before and after the other one has read them."""
    path = write_sheet(tmp_path / "tp.xlsx", [
        HEADER,
        ["2.", "Cải cách thể chế", None, None, None],
        ["2.1.", NAME_21, "Văn bản", 3, None],
        ["2.2.", NAME_22, "Văn bản", 2, None],
    ])
    letter = catalogue_records(2021)
    swapped = [dict(row, name={"2.1": NAME_22, "2.2": NAME_21}.get(row["id"], row["name"])) for row in letter]
    units = unit_records()
    ctx_letter, ctx_swapped = make_context("2021-H1", letter, units), make_context("2021-H1", swapped, units)

    assert values(read_file(path, "tp.xlsx", ctx_letter, unit_override="TP")) == {"2.1": 3.0, "2.2": 2.0}
    assert values(read_file(path, "tp.xlsx", ctx_swapped, unit_override="TP")) == {"2.1": 2.0, "2.2": 3.0}
    assert values(read_file(path, "tp.xlsx", ctx_letter, unit_override="TP")) == {"2.1": 3.0, "2.2": 2.0}


def test_two_periods_in_one_process_each_read_their_own_column(tmp_path):
    """A table with a value column per period, read for 2021-H1, then 2020-H1, then 2021-H1
    again: the heading row is the same text every time, the column chosen is the period's."""
    path = write_sheet(tmp_path / "tp.xlsx", [
        ["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu 6 tháng đầu năm 2020", "Số liệu 6 tháng đầu năm 2021", "Ghi chú"],
        ["2.", "Cải cách thể chế", None, None, None, None],
        ["2.1.", NAME_21, "Văn bản", 5, 3, None],
    ])
    catalogue, units = catalogue_records(2021), unit_records()
    ctx_2021, ctx_2020 = make_context("2021-H1", catalogue, units), make_context("2020-H1", catalogue, units)

    assert values(read_file(path, "tp.xlsx", ctx_2021, unit_override="TP")) == {"2.1": 3.0}
    assert values(read_file(path, "tp.xlsx", ctx_2020, unit_override="TP")) == {"2.1": 5.0}
    assert values(read_file(path, "tp.xlsx", ctx_2021, unit_override="TP")) == {"2.1": 3.0}


def test_a_number_or_a_boolean_in_the_stt_column_is_read_as_itself_after_texts(tmp_path):
    """Rows without a name, known by their STT alone: the text '2.1', then the number 1 (the
    group 1, which takes no value), then the boolean TRUE (no code at all), then the text '2.1'
    again, each file read in the same context after the one before."""
    ctx = make_context("2021-H1", catalogue_records(2021), unit_records())

    def read(stt, name: str):
        path = write_sheet(tmp_path / name, [HEADER, ["2.", "Cải cách thể chế", None, None, None], [stt, None, None, 7, None]])
        return read_file(path, name, ctx, unit_override="TP")

    first = read("2.1", "a.xlsx")
    assert values(first) == {"2.1": 7.0} and checks(first) == []
    number = read(1, "b.xlsx")
    assert values(number) == {} and checks(number) == [("unexpected-value", "1")]
    boolean = read(True, "c.xlsx")
    assert values(boolean) == {} and checks(boolean) == [("unknown-indicator", "")]
    again = read("2.1", "d.xlsx")
    assert values(again) == {"2.1": 7.0} and checks(again) == []
