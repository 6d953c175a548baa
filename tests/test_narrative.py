"""The departments' Phụ lục I reports (Word): every heading style a clerk uses splits into exactly
the outline's headings with the paragraphs written under them; tables inside a report that are
Phụ lục II read like a workbook; the period's documents become narrative.parquet and findings.

Fixture documents are written here with python-docx (tests/docx_builder.py); expected headings and
paragraphs are written by hand."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from cchc_analysis.catalogue import catalogue_records, narrative_records, unit_records
from cchc_analysis.ingest import ingest, make_context
from cchc_analysis.narrative import Outline, read_document, typed_prefix
from cchc_analysis.pipeline import check_period

from conftest import write_sheet
from docx_builder import Doc

PERIOD = "2021-H1"

# what every report below says, heading by heading (hand-written)
CONTENT = [
    ("I.1", ["Ngay từ đầu năm, Phòng đã ban hành Kế hoạch cải cách hành chính năm 2021 với 12 nhiệm vụ.",
             "Lãnh đạo phòng thường xuyên kiểm tra, đôn đốc việc thực hiện các nhiệm vụ."]),
    ("I.2", ["Tham mưu UBND huyện ban hành 03 văn bản quy phạm pháp luật; rà soát 15 văn bản."]),
    ("I.3", ["Niêm yết công khai đầy đủ thủ tục hành chính tại Bộ phận tiếp nhận và trả kết quả."]),
    ("I.7.1", ["Sử dụng phần mềm quản lý văn bản và điều hành trong toàn cơ quan, 100% văn bản đi có ký số."]),
    ("I.7.2", ["Duy trì hệ thống quản lý chất lượng theo tiêu chuẩn ISO 9001:2015."]),
    ("II.1", ["Một số nhiệm vụ còn chậm so với kế hoạch đề ra."]),
    ("II.2", ["Biên chế mỏng, khối lượng công việc lớn."]),
    ("III", ["Tiếp tục triển khai các nhiệm vụ theo Kế hoạch cải cách hành chính năm 2021.",
             "Cải cách thủ tục hành chính: nâng cao chất lượng giải quyết hồ sơ trực tuyến."]),
]
EXPECTED = [(h, t) for h, texts in CONTENT for t in texts]


@pytest.fixture(scope="module")
def context():
    return make_context(PERIOD, catalogue_records(2021), unit_records()), Outline(narrative_records(2021))


def read(path: Path, context, name: str | None = None):
    ctx, outline = context
    return read_document(path, name or path.name, ctx, outline)


def texts_of(result) -> list[tuple[str, str]]:
    return [(heading, text) for heading, text, _ in result.paragraphs]


def frame_and_opening(d: Doc, unit: str = "PHÒNG TƯ PHÁP", table: bool = False) -> None:
    d.title_block("UBND HUYỆN CẨM XUYÊN", unit, table=table)
    d.p("BÁO CÁO", bold=True)
    d.p("Kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm 2021", bold=True)
    d.p("Thực hiện Văn bản số 1649/UBND-NV ngày 10/6/2021 của Ủy ban nhân dân huyện về việc báo cáo CCHC 6 tháng "
        "đầu năm 2021, Phòng Tư pháp báo cáo công tác CCHC 6 tháng đầu năm 2021 như sau:")


def closing(d: Doc) -> None:
    d.p("Trên đây là báo cáo kết quả thực hiện CCHC 6 tháng đầu năm 2021 của Phòng Tư pháp./.")
    d.p("Nơi nhận:", bold=True)
    d.p("- UBND huyện (qua phòng Nội vụ);")
    d.p("- Lưu: VT.")
    d.p("TRƯỞNG PHÒNG", bold=True)
    d.p("Nguyễn Văn An", bold=True)


def body(d: Doc, heading) -> None:
    """Write CONTENT with ``heading(id)`` writing each heading (None: no heading line)."""
    for hid in ("I", "I.1", "I.2", "I.3", "I.7", "I.7.1", "I.7.2", "II", "II.1", "II.2", "III"):
        heading(hid)
        for h, texts in CONTENT:
            if h == hid:
                for text in texts:
                    d.p(text)


# ---- the heading styles -----------------------------------------------------------------


TYPED = {"I": "I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", "I.1": "1. Công tác chỉ đạo, điều hành",
         "I.2": "2. Cải cách thể chế", "I.3": "3. Cải cách thủ tục hành chính",
         "I.7": "7. Xây dựng và phát triển chính phủ điện tử:",
         "I.7.1": "7.1. Ứng dụng công nghệ thông tin trong hoạt động của đơn vị",
         "I.7.2": "7.2. Áp dụng ISO trong hoạt động của đơn vị", "II": "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
         "II.1": "1. Tồn tại, hạn chế", "II.2": "2. Nguyên nhân",
         "III": "III. MỘT SỐ NHIỆM VỤ TRỌNG TÂM TRONG 6 THÁNG CUỐI NĂM 2021"}
WORDS = {"I": "TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", "I.1": "Công tác chỉ đạo, điều hành",
         "I.2": "Cải cách thể chế", "I.3": "Cải cách thủ tục hành chính",
         "I.7": "Xây dựng và phát triển chính phủ điện tử",
         "I.7.1": "Ứng dụng công nghệ thông tin trong hoạt động của đơn vị",
         "I.7.2": "Áp dụng ISO trong hoạt động của đơn vị", "II": "TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
         "II.1": "Tồn tại, hạn chế", "II.2": "Nguyên nhân", "III": "MỘT SỐ NHIỆM VỤ TRỌNG TÂM TRONG THỜI GIAN TỚI"}


def typed_bold(d: Doc) -> None:
    """Numbers typed in the text, headings in bold."""
    body(d, lambda hid: d.p(TYPED[hid], bold=True))


def heading_styles(d: Doc) -> None:
    """Word's Heading 1/2/3 styles, parts numbered by hand, headings with no number at all."""
    levels = {"I": 1, "II": 1, "III": 1, "I.7.1": 3, "I.7.2": 3}
    body(d, lambda hid: d.heading(TYPED[hid] if hid in ("I", "II", "III") else WORDS[hid], levels.get(hid, 2)))


def auto_numbered(d: Doc) -> None:
    """Word's automatic numbering through w:numPr on each paragraph: no number in the text. Part
    III's tasks are an automatically numbered list too."""
    parts = d.numbering((("upperRoman", "%1."),))
    first = d.numbering((("decimal", "%1."), ("decimal", "%1.%2.")))
    second = d.numbering((("decimal", "%1."),))
    numbering = {"I": (parts, 0), "II": (parts, 0), "III": (parts, 0), "I.7.1": (first, 1), "I.7.2": (first, 1),
                 "II.1": (second, 0), "II.2": (second, 0)}
    tasks = d.numbering((("decimal", "%1."),))
    for hid in ("I", "I.1", "I.2", "I.3", "I.7", "I.7.1", "I.7.2", "II", "II.1", "II.2", "III"):
        d.p(WORDS[hid], bold=True, numbered=numbering.get(hid, (first, 0)))
        for h, texts in CONTENT:
            if h == hid:
                for text in texts:
                    d.p(text, numbered=(tasks, 0) if hid == "III" else None)


def style_numbered(d: Doc) -> None:
    """The numbering in the paragraph style (w:numPr in the style's w:pPr), parts typed in
    capitals without bold."""
    number = d.numbering((("decimal", "%1."), ("decimal", "%1.%2.")))
    top = d.numbered_style("Muc CCHC", number, 0)
    sub = d.numbered_style("Tieu muc CCHC", number, 1)
    for hid in ("I", "I.1", "I.2", "I.3", "I.7", "I.7.1", "I.7.2", "II", "II.1", "II.2", "III"):
        if hid in ("I", "II", "III"):
            d.p(TYPED[hid])
        else:
            d.p(WORDS[hid], style=sub if hid in ("I.7.1", "I.7.2") else top)
        for h, texts in CONTENT:
            if h == hid:
                for text in texts:
                    d.p(text)


SHORT = {"I": "KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH", "I.1": "Về công tác chỉ đạo, điều hành",
         "I.2": "Về cải cách thể chế", "I.3": "Cải cách TTHC", "I.7": "Xây dựng chính quyền điện tử",
         "I.7.1": "Ứng dụng CNTT", "I.7.2": "Áp dụng ISO", "II": "HẠN CHẾ VÀ NGUYÊN NHÂN", "II.1": "Hạn chế",
         "II.2": "Nguyên nhân", "III": "PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI"}


def short_caps_nfd(d: Doc) -> None:
    """Parts in capitals with no number and no bold, headings shortened or reworded in bold, the
    whole text decomposed (NFD, as a Mac writes it)."""
    body(d, lambda hid: d.p(SHORT[hid], bold=hid not in ("I", "II", "III"), nfd=True))


def run_in(d: Doc) -> None:
    """Headings with their content on the same line: after a colon, or in bold before plain text."""
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("1. Công tác chỉ đạo, điều hành: " + CONTENT[0][1][0])
    d.p(CONTENT[0][1][1])
    d.p(runs=[("2. Cải cách thể chế. ", True), (CONTENT[1][1][0], False)])
    d.p(runs=[("3. Cải cách thủ tục hành chính: ", True), (CONTENT[2][1][0], False)])
    d.p("7. Xây dựng và phát triển chính phủ điện tử", bold=True)
    d.p("7.1. Ứng dụng CNTT: " + CONTENT[3][1][0])
    d.p("7.2. Áp dụng ISO: " + CONTENT[4][1][0])
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("1. Tồn tại, hạn chế: " + CONTENT[5][1][0])
    d.p("2. Nguyên nhân: " + CONTENT[6][1][0])
    d.p("III. MỘT SỐ NHIỆM VỤ TRỌNG TÂM", bold=True)
    d.p("1. " + CONTENT[7][1][0])
    d.p("2. " + CONTENT[7][1][1])


STYLES = {"typed_bold": typed_bold, "heading_styles": heading_styles, "auto_numbered": auto_numbered,
          "style_numbered": style_numbered, "short_caps_nfd": short_caps_nfd, "run_in": run_in}


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("table_title", [False, True], ids=["title-paragraphs", "title-table"])
def test_every_heading_style_splits_into_the_outline(style, table_title, context, tmp_path):
    d = Doc()
    frame_and_opening(d, table=table_title)
    STYLES[style](d)
    closing(d)
    result = read(d.save(tmp_path / "bc.docx"), context)
    assert result.record["unit"] == "TP" and result.record["period_found"] == PERIOD
    got = texts_of(result)
    expected = list(EXPECTED)
    if style == "run_in":  # the tasks keep the numbers typed before them
        expected[-2:] = [("III", "1. " + CONTENT[7][1][0]), ("III", "2. " + CONTENT[7][1][1])]
    if style == "short_caps_nfd":
        expected = [(h, unicodedata.normalize("NFC", t)) for h, t in expected]
    assert got == expected
    assert [f for f in result.findings if f["check"] == "unknown-section"] == []
    found = set(result.headings)
    assert {"I.1", "I.2", "I.3", "I.7.1", "I.7.2", "II.1", "II.2", "III"} <= found


def test_paragraph_numbers_are_the_documents(context, tmp_path):
    d = Doc()
    d.p("PHÒNG NỘI VỤ", bold=True)  # 1
    d.p("BÁO CÁO", bold=True)  # 2
    d.p("")  # 3: an empty paragraph counts
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)  # 4
    d.p("1. Công tác chỉ đạo, điều hành", bold=True)  # 5
    d.p("Đoạn thứ nhất.")  # 6
    d.table([["Nội dung", "Kết quả"], ["Kiểm tra", "5 đơn vị"]])  # 7-8 (row 1), 9-10 (row 2)
    d.p("Đoạn sau bảng.")  # 11
    d.p("1. Công tác chỉ đạo, điều hành: phần viết tiếp.", bold=False)  # 12 (the current heading again)
    result = read(d.save(tmp_path / "nv.docx"), context)
    assert result.paragraphs == [
        ("I.1", "Đoạn thứ nhất.", 6),
        ("I.1", "Nội dung | Kết quả", 7),
        ("I.1", "Kiểm tra | 5 đơn vị", 9),
        ("I.1", "Đoạn sau bảng.", 11),
        ("I.1", "1. Công tác chỉ đạo, điều hành: phần viết tiếp.", 12),
    ]
    assert result.record["unit"] == "NV"


def test_part_context_decides_between_i1_and_ii1(context, tmp_path):
    """'1.' is heading 1 of part I or of part II: the words decide, the part when they cannot."""
    d = Doc()
    d.p("PHÒNG TƯ PHÁP", bold=True)
    d.p("I. KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("1. Công tác chỉ đạo, điều hành", bold=True)
    d.p("A.")
    d.p("2. Về công tác xây dựng thể chế", bold=True)  # reworded beyond the aliases: the next number
    d.p("B.")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("1. Những tồn tại, hạn chế", bold=True)
    d.p("C.")
    d.p("2. Nguyên nhân của những tồn tại, hạn chế", bold=True)
    d.p("D.")
    d.p("III. NHIỆM VỤ TRỌNG TÂM", bold=True)
    d.p("1. Công tác chỉ đạo, điều hành: tiếp tục quán triệt.", bold=False)  # a task, not heading I.1
    result = read(d.save(tmp_path / "tp.docx"), context)
    assert texts_of(result) == [("I.1", "A."), ("I.2", "B."), ("II.1", "C."), ("II.2", "D."),
                                ("III", "1. Công tác chỉ đạo, điều hành: tiếp tục quán triệt.")]


def test_sub_headings_and_lists_inside_a_heading_are_content(context, tmp_path):
    d = Doc()
    d.p("PHÒNG KINH TẾ VÀ HẠ TẦNG", bold=True)
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("3. Cải cách thủ tục hành chính", bold=True)
    d.p("3.1. Kết quả giải quyết TTHC lĩnh vực xây dựng", bold=True)
    d.p("- Tiếp nhận 120 hồ sơ, giải quyết đúng hạn 118 hồ sơ.")
    d.p("a) Thủ tục hành chính lĩnh vực xây dựng", bold=True)
    d.p("+ Cấp giấy phép xây dựng: 45 hồ sơ.")
    d.p("Hạn chế:", bold=True)  # a word of part II inside part I, without a number: content
    d.p("Một số hồ sơ còn phải bổ sung nhiều lần.")
    result = read(d.save(tmp_path / "ktht.docx"), context)
    assert texts_of(result) == [
        ("I.3", "3.1. Kết quả giải quyết TTHC lĩnh vực xây dựng"),
        ("I.3", "- Tiếp nhận 120 hồ sơ, giải quyết đúng hạn 118 hồ sơ."),
        ("I.3", "a) Thủ tục hành chính lĩnh vực xây dựng"),
        ("I.3", "+ Cấp giấy phép xây dựng: 45 hồ sơ."),
        ("I.3", "Hạn chế:"),
        ("I.3", "Một số hồ sơ còn phải bổ sung nhiều lần."),
    ]
    assert result.record["unit"] == "KTHT"


def test_a_section_the_outline_does_not_have(context, tmp_path):
    d = Doc()
    d.p("TÊN CƠ QUAN: Văn phòng HĐND và UBND huyện")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("1. Tồn tại, hạn chế", bold=True)
    d.p("Hạn chế A.")
    d.p("III. MỘT SỐ NHIỆM VỤ TRỌNG TÂM", bold=True)
    d.p("1. Nhiệm vụ B.")
    d.p("IV. ĐỀ XUẤT, KIẾN NGHỊ", bold=True)
    d.p("Đề nghị UBND huyện bố trí thêm kinh phí.")
    d.p("Trên đây là báo cáo của Văn phòng./.")
    result = read(d.save(tmp_path / "vp.docx"), context)
    assert result.record["unit"] == "VP" and result.record["unit_source"] == "title"
    assert result.paragraphs == [("II.1", "Hạn chế A.", 4), ("III", "1. Nhiệm vụ B.", 6),
                                 ("", "IV. ĐỀ XUẤT, KIẾN NGHỊ", 7), ("", "Đề nghị UBND huyện bố trí thêm kinh phí.", 8)]
    unknown = [f for f in result.findings if f["check"] == "unknown-section"]
    assert len(unknown) == 1 and unknown[0]["unit"] == "VP"
    assert "IV. ĐỀ XUẤT, KIẾN NGHỊ" in unknown[0]["message"] and "đoạn 8" in unknown[0]["message"]


def test_text_written_after_the_signature_is_kept_with_a_finding(context, tmp_path):
    """A department added a request after its signature: kept under no heading with a finding
    naming the paragraph; the recipients, the signer and an appendix's title stay frame."""
    import docx

    d = Doc()
    frame_and_opening(d)
    typed_bold(d)
    closing(d)
    d.p("PHỤ LỤC KÈM THEO BÁO CÁO KẾT QUẢ CẢI CÁCH HÀNH CHÍNH 6 THÁNG ĐẦU NĂM 2021 CỦA PHÒNG", bold=True)
    late = "Phòng đề nghị UBND huyện bố trí kinh phí nâng cấp phần mềm một cửa điện tử trong quý III năm 2021."
    d.p(late)
    path = d.save(tmp_path / "TP.docx")
    number = len(docx.Document(path).paragraphs)  # the last paragraph of a document without tables
    result = read(path, context)
    assert texts_of(result) == EXPECTED + [("", late)]
    assert result.paragraphs[-1][2] == number
    unknown = [f for f in result.findings if f["check"] == "unknown-section"]
    assert len(unknown) == 1 and f"đoạn {number})" in unknown[0]["message"], unknown
    assert "sau phần nơi nhận, chữ ký" in unknown[0]["message"]


def test_unit_from_the_file_name_and_text_before_any_heading(context, tmp_path):
    d = Doc()
    d.p("BÁO CÁO", bold=True)
    d.p("Trong 6 tháng đầu năm 2021, đơn vị đã tập trung triển khai nhiều nhiệm vụ cải cách hành chính trọng tâm, "
        "bám sát kế hoạch của UBND huyện và đạt được một số kết quả đáng ghi nhận như sau đây trong từng lĩnh vực.")
    d.p("1. Cải cách thể chế", bold=True)
    d.p("Nội dung.")
    result = read(d.save(tmp_path / "BC CCHC Tu phap.docx"), context)
    assert result.record["unit"] == "TP" and result.record["unit_source"] == "filename"
    assert [h for h, _ in texts_of(result)] == ["", "I.2"]
    assert any(f["check"] == "unknown-section" for f in result.findings)


def test_typed_numbers():
    assert (typed_prefix("II. TỒN TẠI").kind, typed_prefix("II. TỒN TẠI").number) == ("roman", "2")
    assert (typed_prefix("7.1. Ứng dụng").kind, typed_prefix("7.1. Ứng dụng").number) == ("arabic", "7.1")
    assert (typed_prefix("1/ Công tác").number, typed_prefix("1/ Công tác").rest) == ("1", "Công tác")
    assert typed_prefix("6 tháng đầu năm 2021").kind is None
    assert typed_prefix("15/6/2021 nhận").kind is None
    assert typed_prefix("Văn bản").kind is None
    assert (typed_prefix("PHẦN THỨ HAI").kind, typed_prefix("PHẦN THỨ HAI").number) == ("roman", "2")
    found = typed_prefix("II.1. Tồn tại")
    assert (found.kind, found.part, found.number, found.rest) == ("arabic", "II", "1", "Tồn tại")


# ---- Phụ lục II inside a Word report ------------------------------------------------------

HEAD_1 = ["STT", "Chỉ tiêu thống kê (Sử dụng trong kỳ báo cáo hàng quý, 6 tháng, năm)", "Kết quả thống kê", "",
          "Ghi chú"]
HEAD_2 = ["", "", "Đơn vị tính", "Số liệu", ""]
ROWS_1 = [
    ["2.", "Cải cách thể chế", "", "", ""],
    ["2.1.", "Số VBQPPL đã ban hành/tham mưu ban hành", "Văn bản", "3", ""],
    ["2.2.", "Số VBQPPL đã kiểm tra theo thẩm quyền", "Văn bản", "4", ""],
]
ROWS_2 = [
    ["2.3.", "Số VBQPPL đã rà soát", "Văn bản", "15", ""],
    ["2.4.", "Số VBQPPL đã kiến nghị xử lý sau kiểm tra, rà soát", "Văn bản", "2", ""],
    ["2.5.", "Số VBQPPL có kiến nghị xử lý đã được xử lý xong", "Văn bản", "Không phát sinh", ""],
]
# the values of the table, by hand: 'Không phát sinh' in a count is 0
TABLE_VALUES = {"2.1": 3.0, "2.2": 4.0, "2.3": 15.0, "2.4": 2.0, "2.5": 0.0}
MERGES = [(0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 0, 3), (0, 4, 1, 4)]


def _report_with_table(d: Doc, *, split: bool) -> None:
    d.p("PHÒNG TƯ PHÁP", bold=True)
    d.p("BÁO CÁO", bold=True)
    d.p("Cải cách hành chính 6 tháng đầu năm 2021", bold=True)
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("2. Cải cách thể chế", bold=True)
    d.p("Số liệu chi tiết tại Phụ lục II kèm theo.")
    d.p("Trên đây là báo cáo của Phòng Tư pháp./.")
    d.p("Phụ lục II", bold=True)
    d.p("THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH", bold=True)
    if split:  # the table broken by a page break into two tables, the header typed again on top of the second
        d.table([HEAD_1, HEAD_2] + ROWS_1, merges=MERGES)
        d.page_break()
        d.table([HEAD_1, HEAD_2] + ROWS_2, merges=MERGES)
    else:  # one table: its header marked to repeat on every page, and typed again after a page break
        d.table([HEAD_1, HEAD_2] + ROWS_1 + [HEAD_1, HEAD_2] + ROWS_2,
                merges=MERGES + [(5, 0, 6, 0), (5, 1, 6, 1), (5, 2, 5, 3), (5, 4, 6, 4)], header_rows=2)


@pytest.mark.parametrize("split", [False, True], ids=["one-table", "split-table"])
def test_appendix_table_in_a_report_reads_like_the_workbook(split, tmp_path):
    folder = tmp_path / "docx"
    d = Doc()
    _report_with_table(d, split=split)
    d.save(folder / "Bao cao TP.docx")
    # the same table in a workbook: two header rows with merged cells, the header repeated after a page break
    book = tmp_path / "xlsx"
    rows = [["PHÒNG TƯ PHÁP"], HEAD_1, HEAD_2] + ROWS_1 + [HEAD_1, HEAD_2] + ROWS_2
    rows = [[None if v == "" else v for v in r] for r in rows]
    write_sheet(book / "Phu luc II TP.xlsx", rows,
                merges=["A2:A3", "B2:B3", "C2:D2", "E2:E3", "A7:A8", "B7:B8", "C7:D7", "E7:E8"])
    from_doc = ingest(PERIOD, folder)
    from_book = ingest(PERIOD, book)
    doc_values = {(u, i): v for u, i, v in zip(from_doc.values["unit"], from_doc.values["indicator"],
                                                from_doc.values["value"])}
    book_values = {(u, i): v for u, i, v in zip(from_book.values["unit"], from_book.values["indicator"],
                                                 from_book.values["value"])}
    assert doc_values == book_values == {("TP", k): v for k, v in TABLE_VALUES.items()}
    assert list(from_doc.values["raw"]) == list(from_book.values["raw"])
    # no finding on the table in either; the report lacks the headings TP must write besides 2
    assert from_book.findings.empty
    assert set(from_doc.findings["check"]) == {"missing-section"}
    assert sorted(from_doc.findings["indicator"]) == ["II.1", "II.2", "III"]
    record = from_doc.files.iloc[0]
    assert record["status"] == "ok" and record["unit"] == "TP" and record["n_values"] == 5
    assert record["sheet"] == ("Bảng 1-2" if split else "Bảng 1")
    # the report's own text is still read, and the table is not text of any heading
    narrative = from_doc.narrative
    assert list(zip(narrative["heading"], narrative["text"])) == [("I.2", "Số liệu chi tiết tại Phụ lục II kèm theo.")]


def test_appendix_table_problems_are_findings_like_a_workbook(tmp_path):
    d = Doc()
    d.p("PHÒNG TƯ PHÁP", bold=True)
    d.table([HEAD_1, HEAD_2] + [
        ["2.1.", "Số VBQPPL đã ban hành/tham mưu ban hành", "Văn bản", "khoảng 3", ""],
        ["2.2.", "Số VBQPPL đã kiểm tra theo thẩm quyền", "Văn bản", "4", ""],
        ["2.3.", "Số VBQPPL đã rà soát", "Văn bản", "15", ""],
    ], merges=MERGES)
    d.save(tmp_path / "tp.docx")
    result = ingest(PERIOD, tmp_path)
    errors = result.findings[result.findings["check"] == "type-error"]
    assert list(errors["indicator"]) == ["2.1"] and list(errors["sheet"]) == ["Bảng 1"]
    assert list(errors["row"]) == [3]
    assert "khoảng 3" in errors.iloc[0]["message"]


# ---- a period's documents -----------------------------------------------------------------


def _simple_report(path: Path, unit: str, texts: dict[str, list[str]]) -> Path:
    d = Doc()
    d.p(unit, bold=True)
    d.p("BÁO CÁO", bold=True)
    d.p("Cải cách hành chính 6 tháng đầu năm 2021", bold=True)
    for hid in ("I.1", "I.2", "I.3", "I.4", "I.5", "I.6", "I.7.1", "I.7.2", "I.8", "I.9", "I.10", "I.11",
                "II.1", "II.2", "III"):
        if hid in texts:
            title = {"I.1": "1. Công tác chỉ đạo, điều hành", "I.2": "2. Cải cách thể chế",
                     "I.3": "3. Cải cách thủ tục hành chính", "I.4": "4. Cải cách tổ chức bộ máy",
                     "I.5": "5. Cải cách công vụ", "I.6": "6. Cải cách tài chính công",
                     "I.7.1": "7.1. Ứng dụng công nghệ thông tin", "I.7.2": "7.2. Áp dụng ISO",
                     "I.8": "8. Mức độ thu hút đầu tư", "I.9": "9. Tỷ lệ doanh nghiệp thành lập mới trong năm",
                     "I.10": "10. Tỷ lệ đóng góp của doanh nghiệp vào thu ngân sách của địa phương",
                     "I.11": "11. Thực hiện thu ngân sách", "II.1": "II. TỒN TẠI, HẠN CHẾ\n1. Tồn tại, hạn chế",
                     "II.2": "2. Nguyên nhân", "III": "III. NHIỆM VỤ TRỌNG TÂM"}[hid]
            for line in title.split("\n"):
                d.p(line, bold=True)
            for text in texts[hid]:
                d.p(text)
    return d.save(path)


def test_period_documents_make_narrative_parquet_and_findings(tmp_path):
    raw = tmp_path / "data" / "raw" / PERIOD
    _simple_report(raw / "TP lan 1.docx", "PHÒNG TƯ PHÁP", {"I.2": ["Bản đầu."], "II.1": ["H1."], "II.2": ["N1."],
                                                              "III": ["1. Nhiệm vụ."]})
    _simple_report(raw / "TP lan 2.docx", "PHÒNG TƯ PHÁP", {"I.2": ["Bản sửa."], "II.1": ["H2."], "III": ["1. N."]})
    _simple_report(raw / "KTHT.docx", "PHÒNG KINH TẾ VÀ HẠ TẦNG", {"I.3": [], "II.1": ["H."], "II.2": ["N."],
                                                                     "III": ["1. N."]})
    (raw / "submissions.csv").write_text("file,received_at\nTP lan 1.docx,2021-06-14T08:00\n"
                                         "TP lan 2.docx,2021-06-14T15:00\nKTHT.docx,2021-06-14T09:00\n",
                                         encoding="utf-8")
    outcome = check_period(PERIOD, tmp_path)
    folder = tmp_path / "data" / "processed" / PERIOD
    narrative = pd.read_parquet(folder / "narrative.parquet")
    assert list(narrative.columns) == ["period", "unit", "heading", "text", "source_file", "paragraph", "superseded"]
    live = narrative[~narrative["superseded"]]
    assert sorted(zip(live["unit"], live["heading"], live["text"])) == sorted([
        ("TP", "I.2", "Bản sửa."), ("TP", "II.1", "H2."), ("TP", "III", "1. N."),
        ("KTHT", "II.1", "H."), ("KTHT", "II.2", "N."), ("KTHT", "III", "1. N.")])
    old = narrative[narrative["superseded"]]
    assert set(old["source_file"]) == {"TP lan 1.docx"} and len(old) == 4
    findings = pd.read_csv(folder / "findings.csv", dtype=str, keep_default_na=False)
    missing = findings[findings["check"] == "missing-section"]
    # TP's later report has no 'Nguyên nhân'; KTHT wrote heading 3 with nothing under it
    assert sorted(zip(missing["unit"], missing["indicator"])) == [("KTHT", "I.3"), ("TP", "II.2")]
    ktht = missing[missing["unit"] == "KTHT"].iloc[0]
    assert "chưa có nội dung" in ktht["message"] and ktht["source_file"] == "KTHT.docx"
    assert missing[missing["unit"] == "TP"].iloc[0]["source_file"] == "TP lan 2.docx"
    # units expected to write that sent nothing: a missing-report naming the Phụ lục I
    unsent = findings[(findings["check"] == "missing-report") & findings["message"].str.contains("Phụ lục I ")]
    assert sorted(unsent["unit"]) == ["NV", "TCKH", "VHTT", "VP"]
    duplicate = findings[(findings["check"] == "duplicate-submission") & (findings["unit"] == "TP")]
    assert len(duplicate) == 1 and duplicate.iloc[0]["severity"] == "info"
    files = pd.read_csv(folder / "files.csv", dtype=str, keep_default_na=False)
    assert set(files["status"]) == {"narrative"}
    # a Word report is not a Phụ lục II: the units still owe their workbook
    assert outcome.frames["timeliness.parquet"]["reported"].sum() == 0
    assert not findings["message"].str.contains("không dùng được: 'TP").any()


def test_no_word_document_no_narrative_expected(tmp_path):
    raw = tmp_path / "data" / "raw" / PERIOD
    write_sheet(raw / "tp.xlsx", [["PHÒNG TƯ PHÁP"], ["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", "Ghi chú"],
                                  ["2.1.", "Số VBQPPL đã ban hành/tham mưu ban hành", "Văn bản", 3, None]])
    check_period(PERIOD, tmp_path)
    folder = tmp_path / "data" / "processed" / PERIOD
    assert len(pd.read_parquet(folder / "narrative.parquet")) == 0
    findings = pd.read_csv(folder / "findings.csv", dtype=str, keep_default_na=False)
    assert not findings["message"].str.contains("Phụ lục I ").any()
    assert not findings["check"].isin(["missing-section", "unknown-section"]).any()


def test_bad_documents_are_findings(tmp_path, context):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "hong.docx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    (raw / "trong.docx").write_bytes(b"")
    (raw / "ghi chu.docx").write_text("chỉ là văn bản", encoding="utf-8")
    good = Doc()
    good.p("PHÒNG NỘI VỤ", bold=True)
    good.p("1. Cải cách tổ chức bộ máy", bold=True)
    good.save(raw / "dtd.docx")
    with zipfile.ZipFile(raw / "dtd.docx") as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(
        b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', 1)
    with zipfile.ZipFile(raw / "dtd.docx", "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    result = ingest(PERIOD, raw)
    unreadable = result.findings[result.findings["check"] == "unreadable-file"]
    assert set(unreadable["source_file"]) == {"hong.docx", "trong.docx", "ghi chu.docx", "dtd.docx"}
    assert unreadable.set_index("source_file").loc["dtd.docx", "message"].count("DOCTYPE") == 1
    assert set(result.files["status"]) == {"unreadable"} and len(result.narrative) == 0


def test_word_97_document_is_converted_with_libreoffice(soffice, tmp_path):
    d = Doc()
    d.p("PHÒNG VĂN HÓA VÀ THÔNG TIN", bold=True)
    d.p("BÁO CÁO", bold=True)
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("7.1. Ứng dụng công nghệ thông tin trong hoạt động của đơn vị", bold=True)
    d.p("Cổng thông tin điện tử huyện vận hành ổn định.")
    source = d.save(tmp_path / "src" / "VHTT.docx")
    out = tmp_path / "raw"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--convert-to",
                    "doc", "--outdir", str(out), str(source)], check=True, capture_output=True, timeout=180)
    assert (out / "VHTT.doc").is_file()
    result = ingest(PERIOD, out)
    assert list(result.files["source_file"]) == ["VHTT.doc"] and list(result.files["unit"]) == ["VHTT"]
    assert list(zip(result.narrative["heading"], result.narrative["text"])) == [
        ("I.7.1", "Cổng thông tin điện tử huyện vận hành ổn định.")]


def test_word_97_document_without_libreoffice_is_a_finding(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "cu.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = ingest(PERIOD, raw)
    found = result.findings[result.findings["source_file"] == "cu.doc"]
    assert list(found["check"]) == ["unreadable-file"] and "LibreOffice" in found.iloc[0]["message"]


def test_outline_catalogue():
    rows = narrative_records(2021)
    ids = [r["id"] for r in rows]
    assert ids == ["I", "I.1", "I.2", "I.3", "I.4", "I.5", "I.6", "I.7", "I.7.1", "I.7.2", "I.8", "I.9", "I.10",
                   "I.11", "II", "II.1", "II.2", "III"]
    units = {r["id"]: r["units"] for r in rows}
    # the owners of each section (DESIGN.md), the budget and enterprise headings to TCKH, parts II and III to all
    assert units["I.1"] == ["NV", "VP"] and units["I.2"] == ["TP"] and units["I.3"] == ["KTHT", "VP"]
    assert units["I.6"] == ["TCKH"] and units["I.7.1"] == ["VHTT", "VP"] and units["I.7.2"] == ["NV"]
    assert all(units[h] == ["TCKH"] for h in ("I.8", "I.9", "I.10", "I.11"))
    assert units["II.1"] == units["III"] == ["NV", "TCKH", "TP", "VHTT", "KTHT", "VP"]
    assert units["I"] == units["I.7"] == []


def test_demo_reports_are_read_with_their_planted_problems(tmp_path):
    from cchc_analysis import samples
    from cchc_analysis.sample_reports import make_documents

    manifest = samples.make_sample(tmp_path, periods=("2020", "2021-H1"), seed=2)
    made = make_documents(tmp_path, manifest)
    assert {d["unit"] for d in made["documents"]["2021-H1"]} == {"NV", "TCKH", "TP", "KTHT", "VP"}
    assert {d["unit"] for d in made["documents"]["2020"]} == {"NV", "TCKH", "TP", "VHTT", "KTHT", "VP"}
    outcome = check_period(PERIOD, tmp_path)
    findings = outcome.findings
    planted = {(p["unit"], p["indicator"], p["check"]) for p in made["planted"] if p["period"] == PERIOD}
    assert planted == {("TP", "II.2", "missing-section"), ("VP", "", "unknown-section"),
                       ("TCKH", "", "duplicate-submission"), ("VHTT", "", "missing-report")}
    narrative_checks = findings[findings["check"].isin(["missing-section", "unknown-section"])]
    assert sorted(zip(narrative_checks["unit"], narrative_checks["indicator"], narrative_checks["check"])) == [
        ("TP", "II.2", "missing-section"), ("VP", "", "unknown-section")]
    assert ((findings["unit"] == "VHTT") & (findings["check"] == "missing-report")
            & findings["message"].str.contains("Phụ lục I ")).sum() == 1
    narrative = outcome.frames["narrative.parquet"]
    written = {(u, h) for u, h in zip(narrative["unit"], narrative["heading"])}
    # NV's headings are numbered by Word (no number in the text), VP's through its paragraph style
    assert {("NV", h) for h in ("I.1", "I.4", "I.5", "I.7.2", "II.1", "II.2", "III")} <= written
    assert {("VP", h) for h in ("I.1", "I.3", "I.7.1", "II.1", "II.2", "III", "")} <= written
    assert {("TCKH", h) for h in ("I.6", "I.8", "I.9", "I.10", "I.11")} <= written
    assert ("KTHT", "I.3") in written and ("TP", "II.2") not in written
    files = outcome.frames["files.csv"].set_index("source_file")
    table = files.loc["TCKH - bao cao CCHC 6 thang (kem Phu luc II).docx"]
    assert table["status"] == "ok" and int(table["n_values"]) == 5
    values = outcome.frames["values.parquet"]
    from_doc = values[values["source_file"] == "TCKH - bao cao CCHC 6 thang (kem Phu luc II).docx"]
    assert set(from_doc["indicator"]) == {"6.1", "6.2", "6.3", "6.4", "6.5"} and from_doc["superseded"].all()
    excel = manifest["values"][PERIOD]["TCKH"]
    assert dict(zip(from_doc["indicator"], from_doc["value"])) == {k: float(excel[k]) for k in from_doc["indicator"]}


def test_word_bullets_are_content_and_word_numbers_are_headings(context, tmp_path):
    """Word's automatic bullets (w:numPr whose level draws a bullet) mark list items, even when an
    item starts with a heading's words; Word's automatic numbers on a bold line mark headings."""
    d = Doc()
    d.p("PHÒNG NỘI VỤ", bold=True)
    bullets = d.numbering((("bullet", "•"),))
    numbers = d.numbering((("decimal", "%1."),))
    d.p("TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True, numbered=(d.numbering((("upperRoman", "%1."),)), 0))
    d.p("Cải cách tổ chức bộ máy", bold=True, numbered=(numbers, 0))
    d.p("Cải cách công vụ, công chức tiếp tục được quan tâm.", bold=True, numbered=(bullets, 0))
    d.p("Rà soát vị trí việc làm.", numbered=(bullets, 0))
    d.p("Cải cách công vụ", bold=True, numbered=(numbers, 0))
    d.p("Tuyển dụng 12 viên chức.")
    result = read(d.save(tmp_path / "nv.docx"), context)
    assert texts_of(result) == [("I.4", "Cải cách công vụ, công chức tiếp tục được quan tâm."),
                                ("I.4", "Rà soát vị trí việc làm."), ("I.5", "Tuyển dụng 12 viên chức.")]


def test_a_report_without_any_heading_loses_nothing(context, tmp_path):
    d = Doc()
    d.p("PHÒNG TƯ PHÁP", bold=True)
    d.p("BÁO CÁO", bold=True)
    d.p("Kết quả cải cách hành chính 6 tháng đầu năm 2021", bold=True)
    d.p("Phòng ban hành kế hoạch CCHC.")
    d.p("Thẩm định 5 văn bản.")
    result = read(d.save(tmp_path / "tp.docx"), context)
    assert result.paragraphs == [("", "Phòng ban hành kế hoạch CCHC.", 4), ("", "Thẩm định 5 văn bản.", 5)]
    assert [f["check"] for f in result.findings] == ["unknown-section"]
