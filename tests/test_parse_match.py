"""Values typed the Vietnamese way, units named the way people write them, rows matched by code
and name together."""

from __future__ import annotations

import math

import pytest

from cchc_analysis.catalogue import load_catalogue, load_units, parse_choices
from cchc_analysis.ingest import recognise_unit
from cchc_analysis.matching import IndicatorMatcher, UnitMatcher, normalise_code, split_leading_code
from cchc_analysis.parse import parse_value
from cchc_analysis.periods import Period, period_in_text
from cchc_analysis.text import fold

SURVEY = parse_choices("0=Trực tuyến|1=Phát phiếu|2=Kết hợp")
YES_NO = parse_choices("0=Không|1=Có")
MEETING = parse_choices("0=Chưa có|1=2 cấp|2=3 cấp")
REPORTING = parse_choices("0=Chưa|1=Đang làm|2=Hoàn thành")


@pytest.mark.parametrize("raw,kind,kwargs,expected", [
    ("87,5%", "percent", {}, 87.5),
    ("87,5", "percent", {}, 87.5),
    ("87.5", "percent", {}, 87.5),
    (0.875, "percent", {"percent_format": True}, 87.5),
    (87.5, "percent", {"percent_format": False}, 87.5),
    ("100 %", "percent", {}, 100.0),
    ("1.234", "count", {}, 1234.0),
    ("1,234", "count", {}, 1234.0),
    ("12.345.678", "count", {}, 12345678.0),
    (" 05 ", "count", {}, 5.0),
    (12.0, "count", {}, 12.0),
    ("12 văn bản", "count", {"unit": "Văn bản"}, 12.0),
    ("Có", "code", {"choices": YES_NO}, 1.0),
    ("không", "code", {"choices": YES_NO}, 0.0),
    ("Kết hợp", "code", {"choices": SURVEY}, 2.0),
    ("1 - Phát phiếu", "code", {"choices": SURVEY}, 1.0),
    ("Kết hợp = 2", "code", {"choices": SURVEY}, 2.0),
    ("2 cấp", "code", {"choices": MEETING}, 1.0),
    ("3 CẤP", "code", {"choices": MEETING}, 2.0),
    ("Hoàn thành", "code", {"choices": REPORTING}, 2.0),
    (2, "code", {"choices": REPORTING}, 2.0),
    ("8,5", "score", {}, 8.5),
    ("1.234,5", "score", {}, 1234.5),
])
def test_values_read_right(raw, kind, kwargs, expected):
    parsed = parse_value(raw, kind, **kwargs)
    assert parsed.ok and parsed.value == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "-", "x", "X", "–"])
def test_no_value_markers(raw):
    parsed = parse_value(raw, "count")
    assert not parsed.ok and math.isnan(parsed.value) and parsed.reason == ""


@pytest.mark.parametrize("raw,kind,kwargs,status,quoted", [
    ("khoảng 12", "count", {}, "type-error", "khoảng 12"),
    ("1,5", "count", {}, "type-error", "1,5"),
    (-3, "count", {"low": 0.0}, "out-of-range", "-3"),
    ("120%", "percent", {"low": 0.0, "high": 100.0}, "out-of-range", "120"),
    ("85%", "count", {}, "type-error", "85%"),
    (3, "code", {"choices": YES_NO}, "invalid-code", "3"),
    ("Thỉnh thoảng", "code", {"choices": YES_NO}, "invalid-code", "Thỉnh thoảng"),
    ("2 - Phát phiếu", "code", {"choices": SURVEY}, "invalid-code", "mâu thuẫn"),
    (True, "count", {}, "type-error", "True"),
])
def test_bad_values_are_problems_that_quote_the_cell(raw, kind, kwargs, status, quoted):
    parsed = parse_value(raw, kind, **kwargs)
    assert parsed.status == status and quoted in parsed.reason and math.isnan(parsed.value)


@pytest.mark.parametrize("cell,code", [
    ("1.1.1.", "1.1.1"), ("1.1.1", "1.1.1"), (" 2.1 ", "2.1"), (2.1, "2.1"), (3.0, "3"), ("II", "2"),
    ("7.1.9.", "7.1.9"), ("Trong đó", ""), ("-", ""), ("a", ""), (None, ""), ("1,2", "1.2"),
])
def test_codes(cell, code):
    assert normalise_code(cell) == code


def test_leading_code_in_name():
    assert split_leading_code("1.1.1. Số nhiệm vụ đề ra") == ("1.1.1", "Số nhiệm vụ đề ra")
    assert split_leading_code("Số TTHC cấp tỉnh:") == ("", "Số TTHC cấp tỉnh:")


@pytest.fixture(scope="module")
def indicators():
    return IndicatorMatcher(load_catalogue(2021))


def test_rows_by_code_and_name(indicators):
    # the letter prints the 1.2 rows as 1.1.x: the name decides
    assert indicators.match("1.1.1", "Số phòng, ban, đơn vị trực thuộc đã kiểm tra")[0] == "1.2.1"
    assert indicators.match("1.1.1", "Số nhiệm vụ đề ra trong kế hoạch")[0] == "1.1.1"
    # code alone, inside the 1.2 group, is 1.2.x
    assert indicators.match("1.1.3", "", context="1.2")[0] == "1.2.3"
    assert indicators.match("1.1.3", "", context="1.1")[0] == "1.1.3"
    # uncoded sub-rows by name
    assert indicators.match("", "Số TTHC cấp huyện:")[0] == "3.1.3.b"
    assert indicators.match("", "Tỷ lệ UBND cấp xã đã kết nối, liên thông với UBND huyện.")[0] == "7.1.6.1.b"
    # names that differ by one number stay apart
    assert indicators.match("7.1.8.2", "Tổng số TTHC cung cấp trực tuyến mức độ 4")[0] == "7.1.8.2"
    assert indicators.match("", "Tổng số TTHC cung cấp trực tuyến mức độ 3")[0] == "7.1.8.1"
    # a typo in the name, the code agreeing
    assert indicators.match("2.3", "Số VBQPL đã rà xoát")[0] == "2.3"
    # a shortened name with its code
    assert indicators.match("1.1.1", "Số nhiệm vụ")[0] == "1.1.1"
    # the letter's typo 'Công thông tin' and the correct 'Cổng'
    assert indicators.match("7.1.1", "Chất lượng Cổng thông tin điện tử")[0] == "7.1.1"
    # nothing like any indicator
    assert indicators.match("9.9", "Số cán bộ đi học nước ngoài") is None
    assert indicators.match("", "Người lập biểu") is None


@pytest.fixture(scope="module")
def units():
    return UnitMatcher(load_units())


@pytest.mark.parametrize("text,code", [
    ("Noi vu", "NV"), ("Phòng NV", "NV"), ("PHÒNG NỘI VỤ", "NV"), ("TCKH", "TCKH"), ("Tài chính-Kế hoạch", "TCKH"),
    ("Tu phap", "TP"), ("VHTT", "VHTT"), ("Phòng Văn hóa - Thông tin", "VHTT"), ("KT-HT", "KTHT"),
    ("Kinh tế và Hạ tầng", "KTHT"), ("VP HĐND-UBND", "VP"), ("Văn phòng UBND", "VP"),
    ("Văn phòng HĐND và UBND huyện Cẩm Xuyên", "VP"),
])
def test_unit_aliases(units, text, code):
    assert units.candidates(text, abbreviations=True) == {code}


@pytest.mark.parametrize("text", ["Phòng Tài nguyên và Môi trường", "Phòng Văn hóa - Thể thao", "Phòng Kinh tế",
                                  "UBND huyện Cẩm Xuyên", "Phòng Lao động - Thương binh và Xã hội"])
def test_similar_sounding_units_do_not_match(units, text):
    assert units.candidates(text, abbreviations=True) == set()


def test_unit_sources_rank(units):
    # metadata first, then a labelled title, then an unlabelled heading, then the file name
    assert recognise_unit({"unit": "TP"}, ["TÊN CƠ QUAN: Phòng Nội vụ"], "VHTT.xlsx", units).code == "TP"
    assert recognise_unit({}, ["TÊN CƠ QUAN: Phòng Nội vụ"], "VHTT.xlsx", units).code == "NV"
    assert recognise_unit({}, ["Đơn vị: Phòng Tư pháp"], "NV.xlsx", units).source == "title"
    assert recognise_unit({}, ["UBND HUYỆN CẨM XUYÊN", "PHÒNG TƯ PHÁP"], "x.xlsx", units).code == "TP"
    assert recognise_unit({}, [], "BC CCHC 6 thang Noi vu.xlsx", units).code == "NV"
    # a labelled title naming no registered unit is unknown, whatever the file name says
    found = recognise_unit({}, ["TÊN CƠ QUAN: Phòng Y tế"], "Noi vu.xlsx", units)
    assert found.code is None and found.title == "Phòng Y tế"
    # the letter's own subtitle mentions UBND-NV: no unit from that
    assert recognise_unit({}, ["(Ban hành kèm theo Công văn số 1649 /UBND-NV ngày 10/6/2021 của UBND huyện)"],
                          "bao cao.xlsx", units).code is None
    # 'Kính gửi: Phòng Nội vụ' is the addressee, not the sender
    assert recognise_unit({}, ["Kính gửi: Phòng Nội vụ", "PHÒNG TƯ PHÁP"], "x.xlsx", units).code == "TP"


def test_periods():
    assert Period.parse("2021-H1").start.isoformat() == "2020-12-15"
    assert Period.parse("2021-H1").end.isoformat() == "2021-06-14"
    assert Period.parse("2021").end.isoformat() == "2021-12-14"
    assert Period.parse("2021-Q2").start.isoformat() == "2021-03-15"
    assert Period.parse("2021-Q1").start.isoformat() == "2020-12-15"
    assert Period.parse("2021-9M").end.isoformat() == "2021-09-14"
    assert str(Period.parse("2021-Q1").previous()) == "2020-Q4"
    assert str(Period.parse("2021-Q3").previous()) == "2021-Q2"
    assert str(Period.parse("2021-H1").previous()) == "2020-H1"
    assert str(Period.parse("2021-Q3").last_year()) == "2020-Q3"
    assert str(Period.parse("2021").previous()) == "2020"
    with pytest.raises(ValueError):
        Period.parse("2021-H2")


@pytest.mark.parametrize("title,period", [
    ("Báo cáo CCHC 6 tháng đầu năm 2021", "2021-H1"), ("QUÝ II NĂM 2021", "2021-Q2"), ("quý 3 năm 2020", "2020-Q3"),
    ("9 tháng năm 2021", "2021-9M"), ("Báo cáo CCHC năm 2020", "2020"),
    ("kết quả 6 tháng đầu năm 2021 và nhiệm vụ 6 tháng cuối năm 2021", "2021-H1"),
])
def test_period_in_titles(title, period):
    assert str(period_in_text(fold(title))) == period


def test_no_period_in_ordinary_sentences():
    assert period_in_text(fold("Kế hoạch CCHC 2021")) is None
    assert period_in_text(fold("Tỷ lệ ĐVSNCL đã cắt giảm so với năm 2015")) is None


def test_shortened_sub_rows_match_under_their_parent(indicators):
    """Uncoded sub-rows written short or with lead-ins, right under the row they belong to."""
    assert indicators.match("", "Trong đó: Số TTHC cấp tỉnh", "3.1")[0] == "3.1.3.a"
    assert indicators.match("", "- Cấp tỉnh", "3.1", "3.1.3")[0] == "3.1.3.a"
    assert indicators.match("", "- Cấp xã", "3.1", "3.1.3.b")[0] == "3.1.3.c"
    assert indicators.match("", "- UBND cấp huyện kết nối với UBND tỉnh", "7.1.6.1", "7.1.6.1")[0] == "7.1.6.1.a"
    assert indicators.match("", "- Số ĐVSNCL", "4.1", "4.1")[0] == "4.1.a"
    # a short name away from its parent is not guessed, and a signature line is never a sub-row
    assert indicators.match("", "- Cấp tỉnh", "2", "2.5") is None
    assert indicators.match("", "Người lập biểu", "4.1", "4.1.b") is None


@pytest.mark.parametrize("heading, period", [
    ("Số liệu 6 tháng đầu năm 2021", "2021-H1"),
    ("Số liệu 6 tháng 2021", "2021-H1"),
    ("6 tháng/2021", "2021-H1"),
    ("Sáu tháng năm 2021", "2021-H1"),
    ("Kết quả 9 tháng 2021", "2021-9M"),
    ("Chín tháng đầu năm 2020", "2020-9M"),
    ("Quý II/2021", "2021-Q2"),
    ("Số liệu 6 tháng cuối năm 2020", None),  # the second half is no reporting period here
    ("Năm 2021 có 12 tháng", None),
])
def test_period_phrases_in_headings(heading, period):
    from cchc_analysis.periods import period_in_text
    from cchc_analysis.text import fold

    found = period_in_text(fold(heading))
    assert (found.id if found else None) == period
