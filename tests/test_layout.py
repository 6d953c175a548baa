"""How a written sheet is laid out for paper: text widths, wrapped lines, row heights, the font,
the official sheet's place, date and signature. Expected values are worked out by hand from Times
New Roman's advance widths (thousandths of the font size: M 889, o 500, space 250, Đ 722)."""

from __future__ import annotations

import openpyxl
import pytest
from openpyxl.styles import Alignment, Font

from cchc_analysis.outputs import layout
from cchc_analysis.outputs.layout import char_width, finish, row_heights, text_points, wrapped_lines
from cchc_analysis.outputs.workbook import place_name

SLACK = layout.LAYOUT_SLACK


def test_vietnamese_letters_are_as_wide_as_their_base_letter_but_the_horned_ones():
    assert char_width("ố") == char_width("o") == 500
    assert char_width("Đ") == 722 and char_width("đ") == 500
    assert char_width("ư") == char_width("ự") == 542 and char_width("ờ") == 529  # the horn widens them
    assert char_width("M", bold=True) == 944


def test_text_width_in_points():
    assert text_points("MM", 10) == pytest.approx(2 * 8.89 * SLACK)
    assert text_points("Đo", 12) == pytest.approx((7.22 + 5.0) * 1.2 * SLACK)


def test_wrapping_at_spaces():
    word = 4 * 8.89 * SLACK  # "MMMM" at 10 pt
    space = 2.5 * SLACK
    assert wrapped_lines("MMMM MMMM", 2 * word + space + 0.1, 10) == 1
    assert wrapped_lines("MMMM MMMM", 2 * word + space - 0.1, 10) == 2
    assert wrapped_lines("MMMM MMMM MMMM", word + 0.1, 10) == 3
    assert wrapped_lines("MMMMMMMM", word + 0.1, 10) == 2  # a word wider than the column is broken
    assert wrapped_lines("M\nM", 100, 10) == 2  # a line break starts a line
    assert wrapped_lines("", 100, 10) == 1


def test_row_heights_follow_the_text_of_each_row_and_merged_cells_use_all_their_columns():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.column_dimensions["A"].width = 10
    sheet.column_dimensions["B"].width = 10
    wrap = Alignment(wrap_text=True)
    room = layout.column_points(10)
    text = " ".join(["MM"] * 12)  # 12 words of 2 M at 11 pt
    words_per_line = int((room + 2.75 * SLACK) // ((2 * 9.779 + 2.75) * SLACK))
    sheet["A1"] = text
    sheet["A1"].alignment = wrap
    sheet["A2"] = text  # across A:B: about twice the room
    sheet["A2"].alignment = wrap
    sheet.merge_cells("A2:B2")
    sheet["A3"] = text  # not wrapped: one line
    sheet["A4"] = "ngắn"
    sheet["A4"].alignment = wrap
    sheet["A4"].font = Font(size=20)
    heights = row_heights(sheet)
    lines = -(-12 // words_per_line)
    assert heights[1] == pytest.approx(lines * 11 * layout.LEADING + layout.PADDING, abs=1)
    assert heights[2] < heights[1]
    assert heights[3] == pytest.approx(11 * layout.LEADING + layout.PADDING, abs=1)
    assert heights[4] == pytest.approx(20 * layout.LEADING + layout.PADDING, abs=1)


def test_finish_sets_times_new_roman_heights_and_the_print_area(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "Tiêu đề"
    sheet["A1"].font = Font(bold=True, size=14, color="C00000")
    sheet["C5"] = 3
    hidden = book.create_sheet("_cchc")
    hidden["A1"] = "period"
    hidden.sheet_state = "hidden"
    finish(book)
    assert sheet["A1"].font.name == "Times New Roman"
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 14 and sheet["A1"].font.color.rgb.endswith("C00000")
    assert sheet["C5"].font.name == "Times New Roman"
    assert sheet.print_area == "'Sheet'!$A$1:$C$5"
    assert sheet.row_dimensions[1].height >= 14 * 1.15
    assert hidden["A1"].font.name != "Times New Roman"  # the hidden key/value sheet is not for print
    book.save(tmp_path / "x.xlsx")


@pytest.mark.parametrize(("district", "place"), [
    ({"name": "UBND huyện Cẩm Xuyên"}, "Cẩm Xuyên"),
    ({"name": "UBND thị xã Kỳ Anh"}, "Kỳ Anh"),
    ({"name": "UBND huyện Kỳ Anh", "place": "Kỳ Đồng"}, "Kỳ Đồng"),
])
def test_the_place_of_the_date_line(district, place):
    assert place_name({"district": district}) == place
