"""A second held-out set of Phụ lục I reports, written in styles none of tests/test_narrative.py,
tests/fixtures/unseen_documents.py and tests/test_narrative_styles.py shows: a department that
numbers only its own areas consecutively and adds one the outline does not have; the numbering of
the newer outline (part I 'CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH', part II the reform areas, part III
'ĐÁNH GIÁ CHUNG', part IV the tasks); sub-points 'a) Kết quả:', '* Tồn tại, hạn chế:', '•', '+'
under every heading; a report written in LibreOffice Writer (Heading 1/2 with the outline numbered
by the styles, 'Text body' paragraphs, the unit in the page header) saved as .docx, and the same
report saved as Word 97 .doc and converted; a multilevel list defined through a list style
(``w:styleLink`` / ``w:numStyleLink``), restarted for part II, with the numbers also typed; tables
that are not Phụ lục II inside a heading; a long report with empty paragraphs, page and section
breaks and a header and footer; headings in Title Case or lower case, indented with tabs, with
zero-width and no-break spaces, soft hyphens and tone marks in an unusual order.

Each case builds a department's report with python-docx (tests/docx_builder.py) or LibreOffice and
states BY HAND the unit and every paragraph of content, in order, with the heading it was written
under ('' for text outside the outline, which also gives an ``unknown-section`` finding)."""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from cchc_analysis.catalogue import catalogue_records, narrative_records, unit_records
from cchc_analysis.ingest import make_context
from cchc_analysis.narrative import Outline, convert_documents, read_document

from docx_builder import Doc, add_abstract_num, add_num

CASES: list[dict] = []


def case(name: str, unit: str, expected: list[tuple[str, str]], period: str = "2021-H1",
         headings: set[str] | None = None):
    """Register a report: its builder, the unit, the (heading, text) list expected, the period
    folder it is read in and, optionally, headings it must be found to write."""
    def register(build):
        CASES.append({"name": name, "unit": unit, "expected": expected, "build": build, "period": period,
                      "headings": headings})
        return build
    return register


def _el(tag: str, **attrs):
    element = OxmlElement(tag)
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), str(value))
    return element


def top(d: Doc, unit: str, number: str, subject: str = "Kết quả thực hiện công tác cải cách hành chính 6 tháng "
        "đầu năm 2021", place: str = "Cẩm Xuyên, ngày 11 tháng 6 năm 2021"):
    d.title_block("UBND HUYỆN CẨM XUYÊN", unit, table=True, number=number, place=place)
    d.p("BÁO CÁO", bold=True)
    d.p(subject, bold=True)


def bottom(d: Doc, who: str, signer: str = "TRƯỞNG PHÒNG", name: str = "Trần Thị Lan"):
    d.p(f"Trên đây là báo cáo kết quả công tác cải cách hành chính 6 tháng đầu năm 2021 của {who}./.")
    d.p("Nơi nhận:", bold=True)
    d.p("- UBND huyện (qua Phòng Nội vụ);")
    d.p("- Lưu: VT.")
    d.p(signer, bold=True)
    d.p(name, bold=True)


# ---- the reports ------------------------------------------------------------------------------


@case("own-areas-renumbered", "TP", [
    ("I.1", "Phòng ban hành Kế hoạch số 05/KH-TP ngày 20/01/2021 thực hiện công tác CCHC năm 2021."),
    ("I.2", "Thẩm định 09 dự thảo văn bản quy phạm pháp luật; tự kiểm tra 14 văn bản."),
    ("", "3. Công tác tuyên truyền, phổ biến pháp luật về cải cách hành chính"),
    ("", "Tổ chức 04 hội nghị phổ biến pháp luật cho 320 lượt người."),
    ("I.3", "Chứng thực 2.350 bản sao, 100% đúng hạn; không có hồ sơ trễ hạn."),
    ("I.5", "Phòng có 05 công chức, 100% đạt chuẩn theo vị trí việc làm."),
    ("I.7", "100% văn bản đi của Phòng được ký số và gửi trên phần mềm TD-Office."),
    ("", "7. Công tác kiểm tra, giám sát"),
    ("", "Kiểm tra công tác chứng thực tại 05 xã."),
    ("II", "Khó khăn: số lượng hồ sơ chứng thực tăng, biên chế không tăng."),
    ("II", "Đề xuất: bổ sung 01 biên chế công chức cho Phòng."),
    ("III", "1. Tiếp tục thẩm định 100% dự thảo văn bản quy phạm pháp luật."),
    ("III", "2. Duy trì giải quyết hồ sơ chứng thực đúng hạn."),
], headings={"I", "I.1", "I.2", "I.3", "I.5", "I.7", "II", "III"})
def _own_areas(d: Doc):
    """Only the unit's own areas, numbered 1-7 consecutively in bold: its 3 is an area the outline
    does not have (tuyên truyền), its 4 is the outline's 3, its 5 the outline's 5, its 6 the
    outline's 7, its 7 another area of its own; the words decide, never the number. Part II is
    'KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT', part III names the period."""
    top(d, "PHÒNG TƯ PHÁP", "Số: 27/BC-TP")
    d.p("Thực hiện Văn bản số 1649/UBND-NV ngày 10/6/2021 của UBND huyện về việc báo cáo công tác CCHC 6 tháng đầu "
        "năm 2021, Phòng Tư pháp báo cáo như sau:")
    d.p("I. KẾT QUẢ THỰC HIỆN", bold=True)
    d.p("1. Công tác chỉ đạo, điều hành", bold=True)
    d.p("Phòng ban hành Kế hoạch số 05/KH-TP ngày 20/01/2021 thực hiện công tác CCHC năm 2021.")
    d.p("2. Cải cách thể chế", bold=True)
    d.p("Thẩm định 09 dự thảo văn bản quy phạm pháp luật; tự kiểm tra 14 văn bản.")
    d.p("3. Công tác tuyên truyền, phổ biến pháp luật về cải cách hành chính", bold=True)
    d.p("Tổ chức 04 hội nghị phổ biến pháp luật cho 320 lượt người.")
    d.p("4. Cải cách thủ tục hành chính", bold=True)
    d.p("Chứng thực 2.350 bản sao, 100% đúng hạn; không có hồ sơ trễ hạn.")
    d.p("5. Cải cách chế độ công vụ", bold=True)
    d.p("Phòng có 05 công chức, 100% đạt chuẩn theo vị trí việc làm.")
    d.p("6. Xây dựng chính quyền điện tử, chính quyền số", bold=True)
    d.p("100% văn bản đi của Phòng được ký số và gửi trên phần mềm TD-Office.")
    d.p("7. Công tác kiểm tra, giám sát", bold=True)
    d.p("Kiểm tra công tác chứng thực tại 05 xã.")
    d.p("II. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT", bold=True)
    d.p("Khó khăn: số lượng hồ sơ chứng thực tăng, biên chế không tăng.")
    d.p("Đề xuất: bổ sung 01 biên chế công chức cho Phòng.")
    d.p("III. PHƯƠNG HƯỚNG, NHIỆM VỤ 6 THÁNG CUỐI NĂM 2021", bold=True)
    d.p("1. Tiếp tục thẩm định 100% dự thảo văn bản quy phạm pháp luật.")
    d.p("2. Duy trì giải quyết hồ sơ chứng thực đúng hạn.")
    bottom(d, "Phòng Tư pháp")


@case("newer-outline-numbering", "NV", [
    ("I.1", "Phòng tham mưu UBND huyện ban hành Kế hoạch CCHC năm 2021 và Kế hoạch tuyên truyền CCHC."),
    ("I.1", "Tổ chức 02 đợt kiểm tra CCHC tại 08 cơ quan, đơn vị."),
    ("I.2", "Tham mưu ban hành Quy chế làm việc của UBND huyện nhiệm kỳ 2021-2026."),
    ("I.4", "Hoàn thành sắp xếp 03 đơn vị sự nghiệp công lập ngành giáo dục."),
    ("I.5", "Tuyển dụng 25 viên chức giáo dục; bổ nhiệm 04 lãnh đạo cấp phòng."),
    ("I.7", "Triển khai phần mềm quản lý hồ sơ cán bộ, công chức."),
    ("", "III. ĐÁNH GIÁ CHUNG"),
    ("", "1. Ưu điểm"),
    ("", "Các nhiệm vụ CCHC được triển khai đúng kế hoạch."),
    ("II.1", "Việc sắp xếp đơn vị sự nghiệp còn chậm."),
    ("II.2", "Một số đơn vị chưa quyết liệt."),
    ("III", "1. Hoàn thành tuyển dụng viên chức giáo dục năm 2021."),
    ("III", "2. Triển khai đánh giá công chức theo vị trí việc làm."),
])
def _newer_outline(d: Doc):
    """The numbering of the newer outline (2022 onwards): 'I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH' is a
    part of its own, 'II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ CCHC' holds the reform areas numbered from
    1 ('1. Cải cách thể chế' is the outline's I.2), 'III. ĐÁNH GIÁ CHUNG' holds strengths,
    limitations and causes, 'IV. NHIỆM VỤ TRỌNG TÂM' the tasks."""
    top(d, "PHÒNG NỘI VỤ", "Số: 112/BC-NV")
    d.p("Thực hiện Văn bản số 1649/UBND-NV ngày 10/6/2021 của UBND huyện, Phòng Nội vụ báo cáo kết quả công tác CCHC "
        "6 tháng đầu năm 2021 như sau:")
    d.p("I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CCHC", bold=True)
    d.p("Phòng tham mưu UBND huyện ban hành Kế hoạch CCHC năm 2021 và Kế hoạch tuyên truyền CCHC.")
    d.p("Tổ chức 02 đợt kiểm tra CCHC tại 08 cơ quan, đơn vị.")
    d.p("II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ CCHC", bold=True)
    d.p("1. Cải cách thể chế", bold=True)
    d.p("Tham mưu ban hành Quy chế làm việc của UBND huyện nhiệm kỳ 2021-2026.")
    d.p("2. Cải cách tổ chức bộ máy hành chính nhà nước", bold=True)
    d.p("Hoàn thành sắp xếp 03 đơn vị sự nghiệp công lập ngành giáo dục.")
    d.p("3. Cải cách chế độ công vụ", bold=True)
    d.p("Tuyển dụng 25 viên chức giáo dục; bổ nhiệm 04 lãnh đạo cấp phòng.")
    d.p("4. Xây dựng và phát triển Chính quyền điện tử, Chính quyền số", bold=True)
    d.p("Triển khai phần mềm quản lý hồ sơ cán bộ, công chức.")
    d.p("III. ĐÁNH GIÁ CHUNG", bold=True)
    d.p("1. Ưu điểm", bold=True)
    d.p("Các nhiệm vụ CCHC được triển khai đúng kế hoạch.")
    d.p("2. Tồn tại, hạn chế", bold=True)
    d.p("Việc sắp xếp đơn vị sự nghiệp còn chậm.")
    d.p("3. Nguyên nhân", bold=True)
    d.p("Một số đơn vị chưa quyết liệt.")
    d.p("IV. NHIỆM VỤ TRỌNG TÂM 6 THÁNG CUỐI NĂM 2021", bold=True)
    d.p("1. Hoàn thành tuyển dụng viên chức giáo dục năm 2021.")
    d.p("2. Triển khai đánh giá công chức theo vị trí việc làm.")
    bottom(d, "Phòng Nội vụ")


def italic(d: Doc, text: str, bold: bool = False):
    paragraph = d.p("")
    run = paragraph.add_run(text)
    run.italic, run.bold = True, bold
    return paragraph


@case("sub-points-under-every-heading", "KTHT", [
    ("I.1", "a) Kết quả:"),
    ("I.1", "- Ban hành Kế hoạch CCHC của Phòng năm 2021 với 10 nhiệm vụ."),
    ("I.1", "b) Hạn chế:"),
    ("I.1", "- 02 nhiệm vụ còn chậm tiến độ."),
    ("I.3", "* Kết quả đạt được:"),
    ("I.3", "+ Tiếp nhận 1.045 hồ sơ xây dựng, đất đai, giải quyết đúng hạn 1.020 hồ sơ."),
    ("I.3", "+ Công khai 100% thủ tục hành chính tại Bộ phận Một cửa."),
    ("I.3", "Tồn tại, hạn chế:"),
    ("I.3", "• 25 hồ sơ đất đai trễ hạn do phải xác minh nguồn gốc."),
    ("I.7.1", "Kết quả đạt được:"),
    ("I.7.1", "– 100% hồ sơ cấp phép xây dựng được tiếp nhận trực tuyến."),
    ("I.7.1", "Khó khăn, vướng mắc:"),
    ("I.7.1", "– Đường truyền tại một số xã chưa ổn định."),
    ("II.1", "Hồ sơ đất đai còn trễ hạn."),
    ("II.2", "Nguồn gốc đất phức tạp."),
    ("III", "Kế hoạch 6 tháng cuối năm: giải quyết dứt điểm hồ sơ tồn đọng."),
])
def _sub_points(d: Doc):
    """Under each heading the unit's own sub-points: 'a) Kết quả:' / 'b) Hạn chế:' in italics,
    '* Kết quả đạt được:', bold labels 'Tồn tại, hạn chế:' and 'Khó khăn, vướng mắc:' (the words
    of part II's headings, ending with a colon) followed by items '+', '•', '–'; part III headed
    'III. NHIỆM VỤ, GIẢI PHÁP', its text starting 'Kế hoạch 6 tháng cuối năm:'."""
    top(d, "PHÒNG KINH TẾ VÀ HẠ TẦNG", "Số: 95/BC-KTHT")
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("1. Công tác chỉ đạo, điều hành", bold=True)
    italic(d, "a) Kết quả:")
    d.p("- Ban hành Kế hoạch CCHC của Phòng năm 2021 với 10 nhiệm vụ.")
    italic(d, "b) Hạn chế:")
    d.p("- 02 nhiệm vụ còn chậm tiến độ.")
    d.p("3. Cải cách thủ tục hành chính", bold=True)
    italic(d, "* Kết quả đạt được:", bold=True)
    d.p("+ Tiếp nhận 1.045 hồ sơ xây dựng, đất đai, giải quyết đúng hạn 1.020 hồ sơ.")
    d.p("+ Công khai 100% thủ tục hành chính tại Bộ phận Một cửa.")
    d.p("Tồn tại, hạn chế:", bold=True)
    d.p("• 25 hồ sơ đất đai trễ hạn do phải xác minh nguồn gốc.")
    d.p("7.1. Ứng dụng công nghệ thông tin", bold=True)
    italic(d, "Kết quả đạt được:", bold=True)
    d.p("– 100% hồ sơ cấp phép xây dựng được tiếp nhận trực tuyến.")
    italic(d, "Khó khăn, vướng mắc:", bold=True)
    d.p("– Đường truyền tại một số xã chưa ổn định.")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("1. Tồn tại, hạn chế", bold=True)
    d.p("Hồ sơ đất đai còn trễ hạn.")
    d.p("2. Nguyên nhân", bold=True)
    d.p("Nguồn gốc đất phức tạp.")
    d.p("III. NHIỆM VỤ, GIẢI PHÁP", bold=True)
    d.p("Kế hoạch 6 tháng cuối năm: giải quyết dứt điểm hồ sơ tồn đọng.")
    bottom(d, "Phòng Kinh tế và Hạ tầng")


@case("plan-heading-and-lettered-parts", "VHTT", [
    ("I.7.1", "Cổng thông tin điện tử huyện đăng tải 410 tin, bài."),
    ("I.7.2", "Phòng áp dụng ISO 9001:2015 cho 06 quy trình nội bộ."),
    ("II.1", "Cập nhật tin, bài còn chậm."),
    ("III", "Nâng cấp Cổng thông tin điện tử huyện."),
    ("III", "Số hóa tài liệu lưu trữ của Phòng."),
])
def _plan_heading(d: Doc):
    """Parts lettered 'A.', 'B.', with part III written 'Kế hoạch 6 tháng cuối năm' in bold
    without a letter; e-government's sub-headings in bold italics without a number."""
    top(d, "PHÒNG VĂN HÓA VÀ THÔNG TIN", "Số: 41/BC-VHTT")
    d.p("A. KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    italic(d, "Ứng dụng công nghệ thông tin", bold=True)
    d.p("Cổng thông tin điện tử huyện đăng tải 410 tin, bài.")
    italic(d, "Áp dụng ISO", bold=True)
    d.p("Phòng áp dụng ISO 9001:2015 cho 06 quy trình nội bộ.")
    d.p("B. TỒN TẠI, HẠN CHẾ", bold=True)
    d.p("Cập nhật tin, bài còn chậm.")
    d.p("Kế hoạch 6 tháng cuối năm", bold=True)
    d.p("Nâng cấp Cổng thông tin điện tử huyện.")
    d.p("Số hóa tài liệu lưu trữ của Phòng.")
    bottom(d, "Phòng Văn hóa và Thông tin")


def _list_style_numbering(d: Doc) -> tuple[int, int, int]:
    """A Word multilevel list defined through a list style ('Danh muc CCHC'): one abstractNum
    carries the levels and ``w:styleLink``, another refers to it by ``w:numStyleLink``; a num uses
    the second, a later num restarts it (``w:lvlOverride/w:startOverride``). A bulleted list is
    defined the same way through its own list style. Returns (headings, restarted, bullets)."""
    part = d.doc.part.numbering_part.element
    styles = d.doc.styles.element

    def list_style(style_id: str, num_id: int):
        style = _el("w:style", type="numbering", styleId=style_id)
        name = _el("w:name", val=style_id)
        style.append(name)
        ppr = _el("w:pPr")
        numpr = _el("w:numPr")
        numpr.append(_el("w:numId", val=num_id))
        ppr.append(numpr)
        style.append(ppr)
        styles.append(style)

    add_abstract_num(part, 301, (("decimal", "%1."), ("decimal", "%1.%2")), style_link="DanhMucCCHC")
    add_abstract_num(part, 302, num_style_link="DanhMucCCHC")
    add_abstract_num(part, 303, (("bullet", "–"), ("bullet", "+")), style_link="GachDauDong")
    add_abstract_num(part, 304, num_style_link="GachDauDong")
    add_num(part, 401, 301)  # the list style's own num
    add_num(part, 402, 302)
    add_num(part, 403, 302, restart=True)
    add_num(part, 404, 303)
    add_num(part, 405, 304)
    list_style("DanhMucCCHC", 401)
    list_style("GachDauDong", 404)
    return 402, 403, 405


@case("multilevel-list-style", "VP", [
    ("I.1", "Văn phòng tham mưu ban hành 18 văn bản chỉ đạo, điều hành CCHC."),
    ("I.1", "Cải cách thể chế: tham mưu ban hành Quy chế làm việc của UBND huyện."),
    ("I.1", "Cải cách tổ chức bộ máy: kiện toàn Ban chỉ đạo CCHC huyện."),
    ("I.3", "Cải cách thủ tục hành chính: Bộ phận Một cửa tiếp nhận 6.012 hồ sơ."),
    ("I.3", "Thủ tục hành chính được công khai 100% trên Cổng dịch vụ công."),
    ("I.7.1", "100% văn bản đi được ký số."),
    ("I.7.2", "Duy trì ISO 9001:2015 tại cơ quan."),
    ("II.1", "Hồ sơ trực tuyến còn ít."),
    ("II.2", "Người dân chưa quen nộp hồ sơ trực tuyến."),
    ("III", "Cải cách thủ tục hành chính theo hướng số hóa hồ sơ."),
])
def _multilevel(d: Doc):
    """Headings numbered by a multilevel list defined through a list style ('%1.', '%1.%2'), the
    clerk typing the number as well ('1. Công tác ...' shows '1. 1. Công tác ...'); the list
    restarted for part II; content in a bulleted list defined through a list style, its items
    starting with headings' words (under heading 1, 'Cải cách thể chế: ...' is an item, not
    heading 2 with its text)."""
    headings, restarted, bullets = _list_style_numbering(d)
    top(d, "VĂN PHÒNG HĐND VÀ UBND HUYỆN", "Số: 120/BC-VP")
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("1. Công tác chỉ đạo, điều hành", bold=True, numbered=(headings, 0))
    d.p("Văn phòng tham mưu ban hành 18 văn bản chỉ đạo, điều hành CCHC.")
    d.p("Cải cách thể chế: tham mưu ban hành Quy chế làm việc của UBND huyện.", numbered=(bullets, 0))
    d.p("Cải cách tổ chức bộ máy: kiện toàn Ban chỉ đạo CCHC huyện.", numbered=(bullets, 1))
    d.p("3. Cải cách thủ tục hành chính", bold=True, numbered=(headings, 0))
    d.p("Cải cách thủ tục hành chính: Bộ phận Một cửa tiếp nhận 6.012 hồ sơ.", numbered=(bullets, 0))
    d.p("Thủ tục hành chính được công khai 100% trên Cổng dịch vụ công.", numbered=(bullets, 0))
    d.p("Xây dựng và phát triển chính quyền điện tử", bold=True, numbered=(headings, 0))
    d.p("Ứng dụng CNTT", bold=True, numbered=(headings, 1))
    d.p("100% văn bản đi được ký số.")
    d.p("Áp dụng ISO", bold=True, numbered=(headings, 1))
    d.p("Duy trì ISO 9001:2015 tại cơ quan.")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("Tồn tại, hạn chế", bold=True, numbered=(restarted, 0))
    d.p("Hồ sơ trực tuyến còn ít.")
    d.p("Nguyên nhân", bold=True, numbered=(restarted, 0))
    d.p("Người dân chưa quen nộp hồ sơ trực tuyến.")
    d.p("III. MỘT SỐ NHIỆM VỤ TRỌNG TÂM", bold=True)
    d.p("Cải cách thủ tục hành chính theo hướng số hóa hồ sơ.", numbered=(bullets, 0))
    bottom(d, "Văn phòng HĐND và UBND huyện", "CHÁNH VĂN PHÒNG")


@case("tables-inside-headings", "NV", [
    ("I.1", "Kết quả thực hiện Kế hoạch CCHC năm 2021 theo từng lĩnh vực:"),
    ("I.1", "TT | Lĩnh vực | Kết quả"),
    ("I.1", "1 | Cải cách thể chế | Hoàn thành 3/4 nhiệm vụ"),
    ("I.1", "2 | Cải cách thủ tục hành chính | Hoàn thành 5/5 nhiệm vụ"),
    ("I.1", "3 | Cải cách tổ chức bộ máy | Hoàn thành 2/3 nhiệm vụ"),
    ("I.1", "4 | Cải cách chế độ công vụ | Hoàn thành 4/4 nhiệm vụ"),
    ("I.1", "Tổng cộng hoàn thành 14/16 nhiệm vụ."),
    ("I.3", "Thủ tục hành chính thuộc thẩm quyền giải quyết của Phòng:"),
    ("I.3", "Lĩnh vực | Số TTHC | Mức độ 3 | Mức độ 4"),
    ("I.3", "Thi đua, khen thưởng | 6 | 4 | 2"),
    ("I.3", "Tôn giáo | 3 | 3 | 0"),
    ("I.3", "Văn thư, lưu trữ | 2 | 1 | 1"),
    ("I.4", "Rà soát vị trí việc làm tại 12 cơ quan chuyên môn."),
    ("II.1", "Một số nhiệm vụ cải cách thể chế chưa hoàn thành."),
    ("III", "TT | Nhiệm vụ | Thời gian hoàn thành"),
    ("III", "1 | Cải cách tổ chức bộ máy: hoàn thành sắp xếp đơn vị sự nghiệp | Quý III/2021"),
    ("III", "2 | Tuyển dụng viên chức giáo dục | Quý IV/2021"),
])
def _tables(d: Doc):
    """Tables that are not Phụ lục II inside headings: the plan's results one row per reform area
    (each row naming a heading of the outline) under heading 1, the procedures per field under
    heading 3, the tasks of part III as a table."""
    top(d, "PHÒNG NỘI VỤ", "Số: 118/BC-NV")
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("1. Công tác chỉ đạo, điều hành", bold=True)
    d.p("Kết quả thực hiện Kế hoạch CCHC năm 2021 theo từng lĩnh vực:")
    d.table([["TT", "Lĩnh vực", "Kết quả"], ["1", "Cải cách thể chế", "Hoàn thành 3/4 nhiệm vụ"],
             ["2", "Cải cách thủ tục hành chính", "Hoàn thành 5/5 nhiệm vụ"],
             ["3", "Cải cách tổ chức bộ máy", "Hoàn thành 2/3 nhiệm vụ"],
             ["4", "Cải cách chế độ công vụ", "Hoàn thành 4/4 nhiệm vụ"]])
    d.p("Tổng cộng hoàn thành 14/16 nhiệm vụ.")
    d.p("3. Cải cách thủ tục hành chính", bold=True)
    d.p("Thủ tục hành chính thuộc thẩm quyền giải quyết của Phòng:")
    d.table([["Lĩnh vực", "Số TTHC", "Mức độ 3", "Mức độ 4"], ["Thi đua, khen thưởng", "6", "4", "2"],
             ["Tôn giáo", "3", "3", "0"], ["Văn thư, lưu trữ", "2", "1", "1"]])
    d.p("4. Cải cách tổ chức bộ máy", bold=True)
    d.p("Rà soát vị trí việc làm tại 12 cơ quan chuyên môn.")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("1. Tồn tại, hạn chế", bold=True)
    d.p("Một số nhiệm vụ cải cách thể chế chưa hoàn thành.")
    d.p("III. MỘT SỐ NHIỆM VỤ TRỌNG TÂM", bold=True)
    d.table([["TT", "Nhiệm vụ", "Thời gian hoàn thành"],
             ["1", "Cải cách tổ chức bộ máy: hoàn thành sắp xếp đơn vị sự nghiệp", "Quý III/2021"],
             ["2", "Tuyển dụng viên chức giáo dục", "Quý IV/2021"]])
    bottom(d, "Phòng Nội vụ")


_COMMUNES = ["Cẩm Bình", "Cẩm Duệ", "Cẩm Dương", "Cẩm Hà", "Cẩm Hòa", "Cẩm Hưng", "Cẩm Lạc", "Cẩm Lĩnh",
             "Cẩm Lộc", "Cẩm Minh", "Cẩm Mỹ", "Cẩm Nhượng", "Cẩm Quan", "Cẩm Sơn", "Cẩm Thạch", "Cẩm Thành",
             "Cẩm Thịnh", "Cẩm Trung", "Cẩm Vịnh", "Cẩm Yên", "Nam Phúc Thăng", "Thiên Cầm", "Cẩm Xuyên"]


def _long_lines() -> dict[str, list[str]]:
    """What the long report says: per commune one line under heading 3 and one under heading 7.2,
    and 40 numbered tasks."""
    return {
        "I.3": [f"- Xã {c}: tiếp nhận {100 + 7 * i} hồ sơ đất đai, xây dựng; giải quyết đúng hạn {98 + 7 * i} hồ sơ."
                for i, c in enumerate(_COMMUNES)] * 2,
        "I.7.2": [f"- Xã {c} duy trì hệ thống quản lý chất lượng với {20 + i} quy trình." for i, c in
                  enumerate(_COMMUNES)] * 2,
        "III": [f"{n}. Hướng dẫn, kiểm tra việc giải quyết hồ sơ tại xã {c}." for n, c in
                enumerate(_COMMUNES + _COMMUNES[:17], 1)],
    }


def _page_break_paragraph(d: Doc):
    d.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


@case("long-report-breaks-header-footer", "KTHT", [
    *[("I.3", t) for t in _long_lines()["I.3"][:23]],
    ("I.3", "Trên đây là kết quả giải quyết hồ sơ tại cấp xã trong 6 tháng đầu năm."),
    *[("I.3", t) for t in _long_lines()["I.3"][23:]],
    *[("I.7.2", t) for t in _long_lines()["I.7.2"]],
    ("II.1", "Một số xã chưa cập nhật quy trình ISO theo TCVN ISO 9001:2015."),
    ("II.2", "Công chức phụ trách thay đổi thường xuyên."),
    *[("III", t) for t in _long_lines()["III"]],
])
def _long(d: Doc):
    """A report of 400 paragraphs and more: an empty paragraph between every two, a page break in
    a paragraph of its own and one at the start of a heading's paragraph, a section break
    (landscape section for a list) and the unit's name in the page header and the page number in
    the footer, which are not content."""
    section = d.doc.sections[0]
    section.header.paragraphs[0].text = "PHÒNG KINH TẾ VÀ HẠ TẦNG - BÁO CÁO CCHC 6 THÁNG ĐẦU NĂM 2021"
    section.footer.paragraphs[0].text = "Trang 1"
    top(d, "PHÒNG KINH TẾ VÀ HẠ TẦNG", "Số: 97/BC-KTHT")
    d.p("")
    d.p("Thực hiện Văn bản số 1649/UBND-NV ngày 10/6/2021 của UBND huyện, Phòng Kinh tế và Hạ tầng báo cáo như "
        "sau:")
    d.p("")
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("")
    d.p("3. Cải cách thủ tục hành chính", bold=True)
    lines = _long_lines()
    for text in lines["I.3"][:23]:
        d.p("")
        d.p(text)
    d.p("Trên đây là kết quả giải quyết hồ sơ tại cấp xã trong 6 tháng đầu năm.")
    for text in lines["I.3"][23:]:
        d.p(text)
        d.p("")
    _page_break_paragraph(d)
    d.doc.add_section(WD_SECTION.NEW_PAGE)
    heading = d.doc.add_paragraph()
    heading.add_run().add_break(WD_BREAK.PAGE)
    heading.add_run("7.2. Áp dụng ISO trong hoạt động của đơn vị").bold = True
    for text in lines["I.7.2"]:
        d.p(text)
        d.p("")
        d.p("")
    d.doc.add_section(WD_SECTION.NEW_PAGE)
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("")
    d.p("1. Tồn tại, hạn chế", bold=True)
    d.p("Một số xã chưa cập nhật quy trình ISO theo TCVN ISO 9001:2015.")
    d.p("")
    d.p("2. Nguyên nhân", bold=True)
    d.p("Công chức phụ trách thay đổi thường xuyên.")
    _page_break_paragraph(d)
    d.p("III. MỘT SỐ NHIỆM VỤ TRỌNG TÂM", bold=True)
    for text in lines["III"]:
        d.p(text)
        d.p("")
    bottom(d, "Phòng Kinh tế và Hạ tầng")


_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng


def _odd_marks(text: str) -> str:
    """Tone marks as a Windows-1258 keyboard writes them: the letter with its shape mark composed
    ('ê', 'ơ', 'ă'), the tone mark combining after it ('ê' + U+0323 for 'ệ', where NFD would put
    the dot below before the circumflex)."""
    clusters: list[list[str]] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and clusters:
            clusters[-1].append(ch)
        else:
            clusters.append([ch])
    return "".join(unicodedata.normalize("NFC", "".join(c for c in cluster if c not in _TONES))
                   + "".join(c for c in cluster if c in _TONES) for cluster in clusters)


def test_odd_marks_fixture_is_not_nfc():
    """The fixture's text is what a Windows-1258 keyboard types, not NFC nor NFD."""
    text = _odd_marks("Tỷ lệ")
    assert text == "Ty\u0309 l\u00ea\u0323"  # y + hỏi; ê + nặng
    assert text != unicodedata.normalize("NFC", text) and text != unicodedata.normalize("NFD", text)
    assert unicodedata.normalize("NFC", text) == "Tỷ lệ"


@case("case-spacing-and-unicode", "TCKH", [
    ("I.6", "Giao tự chủ tài chính cho 58 đơn vị sự nghiệp công lập."),
    ("I.8", "Thu hút 04 dự án với tổng vốn đăng ký 860 tỷ đồng."),
    ("I.9", "Thành lập mới 31 doanh nghiệp."),
    ("I.10", "Doanh nghiệp đóng góp 35% tổng thu ngân sách."),
    ("I.11", "Thu ngân sách 6 tháng đạt 61,5% dự toán."),
    ("I.11", "Trong đó thu ngoài quốc doanh đạt 70,2% dự toán."),
    ("II.1", "Một số khoản thu đạt thấp."),
    ("II.2", "Ảnh hưởng của dịch Covid-19."),
    ("III", "Phấn đấu thu ngân sách vượt dự toán."),
])
def _case_spacing(d: Doc):
    """Headings in Title Case, in lower case, with a trailing ':' or '.', indented with spaces or
    a tab; a zero-width space, a soft hyphen and a no-break space inside words; tone marks
    combining after the letter (Windows-1258) and a dot below typed after the circumflex."""
    top(d, "PHÒNG TÀI CHÍNH - KẾ HOẠCH", "Số: 150/BC-TCKH")
    d.p("I. Tình Hình Triển Khai Và Kết Quả Đạt Được", bold=True)
    d.p("   6. Cải Cách Tài Chính Công:")
    d.p("Giao tự chủ tài chính cho 58 đơn vị sự nghiệp công lập.")
    d.p("\t8. mức độ thu hút đầu tư.")
    d.p("Thu hút 04 dự án với tổng vốn đăng ký 860 tỷ đồng.")
    d.p(_odd_marks("9. Tỷ lệ doanh nghiệp thành lập mới trong năm"), bold=True)
    d.p(_odd_marks("Thành lập mới 31 doanh nghiệp."))
    d.p("10. Tỷ lệ đóng góp của Doanh\u200b nghiệp vào thu ngân\u00adsách của địa\u00a0phương", bold=True)
    d.p("Doanh nghiệp đóng góp 35% tổng thu ngân sách.")
    d.p("Thực hiện thu ngân sá\u200bch", bold=True)
    d.p("Thu ngân sách 6 tháng đạt 61,5% dự toán.")
    d.p("Trong đó thu ngoài quốc\u200b doanh đạt 70,2%\ufeff dự toán.")
    d.p("II. tồn tại, hạn chế và nguyên nhân", bold=True)
    d.p("\t1. Tồn Tại, Hạn Chế.")
    d.p("Một số khoản thu đạt thấp.")
    d.p("\t2. nguyên nhân:")
    d.p("Ảnh hưởng của dịch Covid-19.")
    d.p(_odd_marks("III. Một số nhiệm vụ trọng tâm"), bold=True)
    d.p("Phấn đấu thu ngân sách vượt dự toán.")
    bottom(d, "Phòng Tài chính - Kế hoạch")


# ---- the test ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outline():
    return Outline(narrative_records(2021))


def _read(path: Path, period: str, outline: Outline):
    ctx = make_context(period, catalogue_records(2021), unit_records())
    return read_document(path, path.name, ctx, outline)


def _check(result, unit: str, expected: list[tuple[str, str]], headings: set[str] | None = None):
    assert result.record["unit"] == unit
    assert result.record["status"] == "narrative"
    assert [(h, t) for h, t, _ in result.paragraphs] == expected
    unknown = [f for f in result.findings if f["check"] == "unknown-section"]
    assert bool(unknown) == any(h == "" for h, _ in expected)
    if headings is not None:
        assert set(result.headings) >= headings


@pytest.mark.parametrize("report", CASES, ids=[c["name"] for c in CASES])
def test_report_style_is_read_heading_by_heading(report, outline, tmp_path):
    d = Doc()
    report["build"](d)
    path = d.save(tmp_path / f"{report['name']}.docx")
    _check(_read(path, report["period"], outline), report["unit"], report["expected"], report["headings"])


def test_long_report_keeps_the_documents_paragraph_numbers(outline, tmp_path):
    """In the long report the last task is paragraph 460-something: counted by hand from the
    builder (every empty paragraph, page-break paragraph and heading counts)."""
    d = Doc()
    _long(d)
    result = _read(d.save(tmp_path / "long.docx"), "2021-H1", outline)
    numbers = [p for _, _, p in result.paragraphs]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    # title block table: 6 paragraphs; BÁO CÁO, subject, '', opening, '', part I, '', heading 3 -> 14
    # heading 3's first content: '' then the line -> 16
    assert result.paragraphs[0][2] == 16
    assert len(result.paragraphs) == 46 + 1 + 46 + 2 + 40


# ---- written in LibreOffice Writer --------------------------------------------------------------


_FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:styles>
  <style:default-style style:family="paragraph"><style:text-properties style:font-name="Times New Roman"
   fo:font-size="13pt"/></style:default-style>
  <style:style style:name="Standard" style:family="paragraph" style:class="text"/>
  <style:style style:name="Heading" style:family="paragraph" style:parent-style-name="Standard"
   style:next-style-name="Text_20_body" style:class="text"/>
  <style:style style:name="Text_20_body" style:display-name="Text body" style:family="paragraph"
   style:parent-style-name="Standard" style:class="text"/>
  <style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph"
   style:parent-style-name="Heading" style:next-style-name="Text_20_body" style:default-outline-level="1"
   style:class="text"><style:text-properties fo:font-size="13pt" fo:font-weight="bold"/></style:style>
  <style:style style:name="Heading_20_2" style:display-name="Heading 2" style:family="paragraph"
   style:parent-style-name="Heading" style:next-style-name="Text_20_body" style:default-outline-level="2"
   style:class="text"><style:text-properties fo:font-size="13pt" fo:font-weight="bold"/></style:style>
  <style:style style:name="Heading_20_3" style:display-name="Heading 3" style:family="paragraph"
   style:parent-style-name="Heading" style:next-style-name="Text_20_body" style:default-outline-level="3"
   style:class="text"><style:text-properties fo:font-size="13pt" fo:font-style="italic"
   fo:font-weight="bold"/></style:style>
  <text:outline-style style:name="Outline">
   <text:outline-level-style text:level="1" style:num-format="I" style:num-suffix="."/>
   <text:outline-level-style text:level="2" style:num-format="1" style:num-suffix="."/>
   <text:outline-level-style text:level="3" style:num-format="1" style:num-suffix="." text:display-levels="2"/>
  </text:outline-style>
 </office:styles>
 <office:automatic-styles>
  <style:style style:name="P1" style:family="paragraph" style:parent-style-name="Standard">
   <style:text-properties fo:font-weight="bold"/></style:style>
  <style:page-layout style:name="pm1"><style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm"
   fo:margin-left="3cm" fo:margin-right="2cm"/></style:page-layout>
 </office:automatic-styles>
 <office:master-styles>
  <style:master-page style:name="Standard" style:page-layout-name="pm1">
   <style:header><text:p text:style-name="Standard">PHÒNG NỘI VỤ HUYỆN CẨM XUYÊN</text:p></style:header>
   <style:footer><text:p text:style-name="Standard">Báo cáo công tác cải cách hành chính 6 tháng đầu năm
    2021</text:p></style:footer>
  </style:master-page>
 </office:master-styles>
 <office:body><office:text>
{body}
 </office:text></office:body>
</office:document>
"""


def _writer_body() -> str:
    lines = [
        ("P1", "UBND HUYỆN CẨM XUYÊN"), ("P1", "PHÒNG NỘI VỤ"), ("Standard", "Số: 116/BC-NV"),
        ("P1", "BÁO CÁO"), ("P1", "Kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm 2021"),
        ("Text_20_body", "Thực hiện Văn bản số 1649/UBND-NV ngày 10/6/2021 của UBND huyện, Phòng Nội vụ báo cáo "
                         "như sau:"),
        (1, "Tình hình triển khai và kết quả đạt được"),
        (2, "Công tác chỉ đạo, điều hành"),
        ("Text_20_body", "Phòng tham mưu ban hành Kế hoạch CCHC năm 2021 của UBND huyện."),
        (2, "Cải cách tổ chức bộ máy"),
        ("Text_20_body", "Hoàn thành sắp xếp 03 đơn vị sự nghiệp công lập."),
        (2, "Cải cách công vụ"),
        ("Text_20_body", "Tuyển dụng 25 viên chức giáo dục."),
        ("Text_20_body", "Cải cách công vụ gắn với đánh giá công chức theo vị trí việc làm."),
        (2, "Xây dựng và phát triển chính quyền điện tử"),
        (3, "Áp dụng ISO trong hoạt động của đơn vị"),
        ("Text_20_body", "Duy trì ISO 9001:2015 tại 27 xã, thị trấn."),
        (1, "Tồn tại, hạn chế và nguyên nhân"),
        (2, "Tồn tại, hạn chế"),
        ("Text_20_body", "Việc sắp xếp đơn vị sự nghiệp còn chậm."),
        (2, "Nguyên nhân"),
        ("Text_20_body", "Nguồn tuyển viên chức khan hiếm."),
        (1, "Một số nhiệm vụ trọng tâm"),
        ("Text_20_body", "Hoàn thành tuyển dụng viên chức giáo dục năm 2021."),
        ("Text_20_body", "Trên đây là báo cáo kết quả công tác CCHC 6 tháng đầu năm 2021 của Phòng Nội vụ./."),
        ("P1", "Nơi nhận:"), ("Standard", "- UBND huyện;"), ("Standard", "- Lưu: VT."),
        ("P1", "TRƯỞNG PHÒNG"), ("P1", "Phan Văn Đức"),
    ]
    out = []
    for style, text in lines:
        if isinstance(style, int):
            out.append(f'<text:h text:style-name="Heading_20_{style}" text:outline-level="{style}">{escape(text)}'
                       "</text:h>")
        else:
            out.append(f'<text:p text:style-name="{style}">{escape(text)}</text:p>')
    return "\n".join(out)


WRITER_EXPECTED = [
    ("I.1", "Phòng tham mưu ban hành Kế hoạch CCHC năm 2021 của UBND huyện."),
    ("I.4", "Hoàn thành sắp xếp 03 đơn vị sự nghiệp công lập."),
    ("I.5", "Tuyển dụng 25 viên chức giáo dục."),
    ("I.5", "Cải cách công vụ gắn với đánh giá công chức theo vị trí việc làm."),
    ("I.7.2", "Duy trì ISO 9001:2015 tại 27 xã, thị trấn."),
    ("II.1", "Việc sắp xếp đơn vị sự nghiệp còn chậm."),
    ("II.2", "Nguồn tuyển viên chức khan hiếm."),
    ("III", "Hoàn thành tuyển dụng viên chức giáo dục năm 2021."),
]


def _convert(soffice: str, source: Path, target: str, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={(out_dir / 'lo').as_uri()}",
                    "--convert-to", target, "--outdir", str(out_dir), str(source)],
                   check=True, capture_output=True, timeout=180)
    produced = out_dir / f"{source.stem}.{target.split(':')[0]}"
    assert produced.is_file()
    return produced


@pytest.fixture(scope="module")
def writer_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("writer")
    source = folder / "bc-nv-writer.fodt"
    source.write_text(_FODT.replace("{body}", _writer_body()), encoding="utf-8")
    return source


def test_report_saved_by_libreoffice_writer(soffice, writer_report, outline, tmp_path):
    """Writer's Heading 1/2/3 numbered by the outline numbering of the styles (the numbers are
    Word numbering in the saved .docx, not text), 'Text body' paragraphs, the unit's name in the
    page header."""
    path = _convert(soffice, writer_report, "docx:MS Word 2007 XML", tmp_path / "docx")
    _check(_read(path, "2021-H1", outline), "NV", WRITER_EXPECTED)


def test_report_saved_as_word_97_by_libreoffice(soffice, writer_report, outline, tmp_path):
    """The same report saved by Writer as Word 97 (.doc), converted back by the reader's own
    conversion (convert_documents) as `cchc check` does."""
    doc = _convert(soffice, writer_report, "doc:MS Word 97", tmp_path / "doc")
    converted, why = convert_documents([doc], tmp_path / "converted")
    assert why is None and doc in converted
    _check(_read(converted[doc], "2021-H1", outline), "NV", WRITER_EXPECTED)
