"""Phụ lục I reports written the way clerks write them, in styles neither tests/test_narrative.py
nor tests/fixtures/unseen_documents.py show: 'PHẦN I:' parts with 'I.1.' headings, 'II/' parts
with underlined '1)' headings, bold that comes from a paragraph or character style, a heading
split over runs of mixed formatting, hyperlinks, content controls, smart tags and fields in the
text, a note in a text box, content that itself starts with a number or is a bold sentence,
headings typed without diacritics or with abbreviations (CQĐT, TTHC), one merged 'Tồn tại, hạn chế
và nguyên nhân' heading, a quarterly and an annual report, headings out of order and skipped,
numbers followed by a no-break space or a dash.

Each case builds a department's report with python-docx (tests/docx_builder.py plus the XML helpers
below) and states BY HAND the unit and every paragraph of content, in order, with the heading it
was written under ('' for text outside the outline): nothing lost, nothing of the frame (title
block, opening, closing, 'Nơi nhận', signature) read as content, no paragraph under a wrong
heading."""

from __future__ import annotations

import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn

from cchc_analysis.catalogue import catalogue_records, narrative_records, unit_records
from cchc_analysis.ingest import make_context
from cchc_analysis.narrative import Outline, read_document

from docx_builder import Doc

CASES: list[dict] = []


def case(name: str, unit: str, expected: list[tuple[str, str]], period: str = "2021-H1",
         headings: set[str] | None = None):
    """Register a report: its builder, the unit, the (heading, text) list expected, the period
    folder it is read in and, optionally, the outline headings it must be found to write."""
    def register(build):
        CASES.append({"name": name, "unit": unit, "expected": expected, "build": build, "period": period,
                      "headings": headings})
        return build
    return register


# ---- pieces of a report ---------------------------------------------------------------------


def title(d: Doc, unit: str, subject: str, number: str = "Số: 45/BC-NV",
          place: str = "Cẩm Xuyên, ngày 12 tháng 6 năm 2021"):
    d.p("UBND HUYỆN CẨM XUYÊN")
    d.p(unit, bold=True)
    d.p(number)
    d.p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
    d.p("Độc lập - Tự do - Hạnh phúc", bold=True)
    d.p(place)
    d.p("BÁO CÁO", bold=True)
    d.p(subject, bold=True)


def ending(d: Doc, who: str, signer: tuple[str, ...] = ("TRƯỞNG PHÒNG",), name: str = "Nguyễn Văn Hùng"):
    d.p(f"Trên đây là báo cáo kết quả thực hiện công tác cải cách hành chính của {who}, kính báo cáo UBND "
        "huyện để tổng hợp./.")
    d.p("Nơi nhận:", bold=True)
    d.p("- UBND huyện (qua phòng Nội vụ);")
    d.p("- Lãnh đạo phòng;")
    d.p("- Lưu: VT.")
    for line in signer:
        d.p(line, bold=True)
    d.p(name, bold=True)


def _w(tag: str, **attrs):
    element = OxmlElement(tag)
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), str(value))
    return element


def _run(text: str, bold: bool = False):
    run = _w("w:r")
    if bold:
        rpr = _w("w:rPr")
        rpr.append(_w("w:b"))
        run.append(rpr)
    t = _w("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = text
    run.append(t)
    return run


def hyperlink(d: Doc, paragraph, text: str, url: str):
    """A w:hyperlink (external, through a relationship) holding one run, appended to a paragraph."""
    rid = d.doc.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = _w("w:hyperlink")
    link.set(qn("r:id"), rid)
    link.append(_run(text))
    paragraph._p.append(link)


def inline_control(paragraph, text: str, tag: str = "so_lieu"):
    """An inline content control (w:sdt with w:sdtPr and w:sdtContent) holding one run."""
    sdt = _w("w:sdt")
    pr = _w("w:sdtPr")
    pr.append(_w("w:alias", val="Số liệu"))
    pr.append(_w("w:tag", val=tag))
    sdt.append(pr)
    content = _w("w:sdtContent")
    content.append(_run(text))
    sdt.append(content)
    paragraph._p.append(sdt)


def smart_tag(paragraph, text: str):
    """A w:smartTag (Word 2003's recognised places and dates) holding one run."""
    tag = _w("w:smartTag", element="place")
    tag.set(qn("w:uri"), "urn:schemas-microsoft-com:office:smarttags")
    tag.append(_run(text))
    paragraph._p.append(tag)


def simple_field(paragraph, instruction: str, shown: str):
    """A w:fldSimple whose result (the text Word shows) is ``shown``."""
    field = _w("w:fldSimple", instr=instruction)
    field.append(_run(shown))
    paragraph._p.append(field)


def complex_field(paragraph, instruction: str, shown: str):
    """A field in Word's begin / instrText / separate / result / end runs."""
    begin = _w("w:r")
    begin.append(_w("w:fldChar", fldCharType="begin"))
    code = _w("w:r")
    instr = _w("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    code.append(instr)
    separate = _w("w:r")
    separate.append(_w("w:fldChar", fldCharType="separate"))
    end = _w("w:r")
    end.append(_w("w:fldChar", fldCharType="end"))
    for element in (begin, code, separate, _run(shown), end):
        paragraph._p.append(element)


_TEXT_BOX = (
    '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    ' xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
    ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    ' xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
    ' xmlns:v="urn:schemas-microsoft-com:vml">'
    '<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
    '<wp:anchor distT="0" distB="0" distL="114300" distR="114300" simplePos="0" relativeHeight="1" behindDoc="0"'
    ' locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
    '<wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>'
    '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
    '<wp:extent cx="5400000" cy="600000"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapTopAndBottom/>'
    '<wp:docPr id="{id}" name="Text Box {id}"/><wp:cNvGraphicFramePr/>'
    '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
    '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="5400000" cy="600000"/>'
    '</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr>'
    '<wps:txbx><w:txbxContent>{paragraphs}</w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp>'
    '</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>'
    '<mc:Fallback><w:pict><v:shape id="tb{id}" style="width:425pt;height:47pt" type="#_x0000_t202">'
    '<v:textbox><w:txbxContent>{paragraphs}</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>'
    '</mc:AlternateContent></w:r>')


def text_box(paragraph, lines: list[str], box_id: int = 1):
    """A text box as Word 2010+ writes it: the shape (wps) and its VML fallback, each holding the
    same paragraphs, anchored to ``paragraph``."""
    from xml.sax.saxutils import escape

    paragraphs = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{escape(line)}</w:t></w:r></w:p>" for line in lines)
    paragraph._p.append(parse_xml(_TEXT_BOX.replace("{paragraphs}", paragraphs).replace("{id}", str(box_id))))


def underlined(d: Doc, text: str, italic: bool = False):
    paragraph = d.p("")
    run = paragraph.add_run(text)
    run.underline = True
    run.italic = italic
    return paragraph


# ---- the reports ------------------------------------------------------------------------------


@case("phan-la-ma-I-cham-1", "NV", [
    ("I.1", "Phòng đã tham mưu UBND huyện ban hành Kế hoạch CCHC năm 2021 (Kế hoạch số 12/KH-UBND ngày 15/01/2021) "
            "với 31 nhiệm vụ."),
    ("I.1", "Kết quả đạt được:"),
    ("I.1", "- Đã hoàn thành 24/31 nhiệm vụ, đạt 77,4%."),
    ("I.4", "1. Tổng số biên chế công chức được giao: 112 người; có mặt 108 người."),
    ("I.4", "2. Số đơn vị sự nghiệp công lập: 86 đơn vị."),
    ("I.5", "Đặc biệt, công tác tuyển dụng viên chức được thực hiện công khai, minh bạch, đúng quy định."),
    ("I.5", "Tổ chức thi tuyển viên chức giáo dục với 25 chỉ tiêu."),
    ("I.7.2", "27/27 xã, thị trấn duy trì hệ thống quản lý chất lượng theo TCVN ISO 9001:2015."),
    ("II.1", "Một số nhiệm vụ trong kế hoạch còn chậm tiến độ."),
    ("II.2", "Đội ngũ làm công tác CCHC chủ yếu kiêm nhiệm."),
    ("III", "1. Tiếp tục triển khai Kế hoạch CCHC năm 2021."),
    ("III", "2. Hoàn thành tuyển dụng viên chức giáo dục."),
])
def _phan_la_ma(d: Doc):
    """'PHẦN I:' parts with their title on the same line, headings numbered 'I.1.', 'I.7.2.';
    content starting with '1.', a short bold line 'Kết quả đạt được:', a bold sentence; a
    'Kính gửi' line; a signature 'KT. TRƯỞNG PHÒNG / PHÓ TRƯỞNG PHÒNG'."""
    title(d, "PHÒNG NỘI VỤ", "Kết quả công tác cải cách hành chính 6 tháng đầu năm 2021")
    d.p("Kính gửi: Ủy ban nhân dân huyện Cẩm Xuyên.")
    d.p("Thực hiện Văn bản số 1649/UBND-NV ngày 10/6/2021 của UBND huyện về việc báo cáo cải cách hành chính 6 "
        "tháng đầu năm 2021, Phòng Nội vụ báo cáo như sau:")
    d.p("PHẦN I: KẾT QUẢ THỰC HIỆN NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH", bold=True)
    d.p("I.1. Công tác chỉ đạo, điều hành", bold=True)
    d.p("Phòng đã tham mưu UBND huyện ban hành Kế hoạch CCHC năm 2021 (Kế hoạch số 12/KH-UBND ngày 15/01/2021) "
        "với 31 nhiệm vụ.")
    d.p("Kết quả đạt được:", bold=True)
    d.p("- Đã hoàn thành 24/31 nhiệm vụ, đạt 77,4%.")
    d.p("I.4. Cải cách tổ chức bộ máy", bold=True)
    d.p("1. Tổng số biên chế công chức được giao: 112 người; có mặt 108 người.")
    d.p("2. Số đơn vị sự nghiệp công lập: 86 đơn vị.")
    d.p("I.5. Cải cách chế độ công vụ, công chức", bold=True)
    d.p("Đặc biệt, công tác tuyển dụng viên chức được thực hiện công khai, minh bạch, đúng quy định.", bold=True)
    d.p("Tổ chức thi tuyển viên chức giáo dục với 25 chỉ tiêu.")
    d.p("I.7.2. Áp dụng hệ thống quản lý chất lượng", bold=True)
    d.p("27/27 xã, thị trấn duy trì hệ thống quản lý chất lượng theo TCVN ISO 9001:2015.")
    d.p("PHẦN II: HẠN CHẾ, KHÓ KHĂN VÀ NGUYÊN NHÂN", bold=True)
    d.p("II.1. Hạn chế, khó khăn", bold=True)
    d.p("Một số nhiệm vụ trong kế hoạch còn chậm tiến độ.")
    d.p("II.2. Nguyên nhân", bold=True)
    d.p("Đội ngũ làm công tác CCHC chủ yếu kiêm nhiệm.")
    d.p("PHẦN III: NHIỆM VỤ TRỌNG TÂM 6 THÁNG CUỐI NĂM 2021", bold=True)
    d.p("1. Tiếp tục triển khai Kế hoạch CCHC năm 2021.")
    d.p("2. Hoàn thành tuyển dụng viên chức giáo dục.")
    ending(d, "Phòng Nội vụ", ("KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"))


@case("gach-cheo-gach-chan", "TP", [
    ("I.1", "Phòng ban hành Kế hoạch số 03/KH-TP về thực hiện nhiệm vụ CCHC năm 2021."),
    ("I.2", "+ Thẩm định 07 dự thảo văn bản quy phạm pháp luật của HĐND, UBND huyện."),
    ("I.2", "+ Tự kiểm tra 12 văn bản, phát hiện 01 văn bản sai sót về thể thức."),
    ("I.3", "Giải quyết 1.120 hồ sơ chứng thực, 100% đúng hạn."),
    ("II.1", "Chất lượng một số dự thảo văn bản gửi thẩm định chưa cao."),
    ("II.2", "Thời gian gửi thẩm định sát ngày ban hành."),
    ("III", "- Nâng cao chất lượng thẩm định văn bản quy phạm pháp luật."),
])
def _gach_cheo(d: Doc):
    """Parts 'I/', 'II/', 'III/' in bold capitals; headings underlined, neither bold nor
    capitals, numbered '1)' or lettered 'a)', some led by 'Về' and ended by a colon."""
    title(d, "PHÒNG TƯ PHÁP", "Kết quả thực hiện cải cách hành chính 6 tháng đầu năm 2021", "Số: 21/BC-TP")
    d.p("Thực hiện Văn bản số 1649/UBND-NV ngày 10/6/2021 của UBND huyện, Phòng Tư pháp báo cáo kết quả thực hiện "
        "như sau:")
    d.p("I/ TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    underlined(d, "1) Về công tác chỉ đạo, điều hành:")
    d.p("Phòng ban hành Kế hoạch số 03/KH-TP về thực hiện nhiệm vụ CCHC năm 2021.")
    underlined(d, "2) Về cải cách thể chế:")
    d.p("+ Thẩm định 07 dự thảo văn bản quy phạm pháp luật của HĐND, UBND huyện.")
    d.p("+ Tự kiểm tra 12 văn bản, phát hiện 01 văn bản sai sót về thể thức.")
    underlined(d, "3) Về cải cách thủ tục hành chính:")
    d.p("Giải quyết 1.120 hồ sơ chứng thực, 100% đúng hạn.")
    d.p("II/ TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    underlined(d, "a) Tồn tại, hạn chế", italic=True)
    d.p("Chất lượng một số dự thảo văn bản gửi thẩm định chưa cao.")
    underlined(d, "b) Nguyên nhân", italic=True)
    d.p("Thời gian gửi thẩm định sát ngày ban hành.")
    d.p("III/ MỘT SỐ NHIỆM VỤ TRỌNG TÂM TRONG 6 THÁNG CUỐI NĂM 2021", bold=True)
    d.p("- Nâng cao chất lượng thẩm định văn bản quy phạm pháp luật.")
    ending(d, "Phòng Tư pháp")


@case("bold-from-styles-links-fields", "VHTT", [
    ("I.7.1", "Cổng thông tin điện tử huyện (https://camxuyen.hatinh.gov.vn) đăng tải 320 tin, bài."),
    ("I.7.1", "Tỷ lệ văn bản đi được ký số đạt 98,6% (1.479/1.500 văn bản)."),
    ("I.7.1", "Hệ thống họp trực tuyến kết nối từ huyện đến 27 xã, thị trấn, tổ chức 14 cuộc họp."),
    ("I.7.2", "Phòng duy trì ISO 9001:2015 theo Quyết định số 215/QĐ-UBND ngày 20/01/2021."),
    ("II.1", "Hạ tầng CNTT tại một số xã đã xuống cấp."),
    ("II.2", "Kinh phí đầu tư cho ứng dụng CNTT còn hạn hẹp."),
    ("III", "Nâng cấp Cổng thông tin điện tử huyện trong Quý III năm 2021."),
])
def _styles_links(d: Doc):
    """Headings bold through their paragraph style ('Muc bao cao', w:b in the style, no direct
    formatting) or through the 'Strong' character style, one split over runs of mixed formatting
    ('7.1' bold, '. Ứng dụng ' bold italic, 'CNTT' bold underlined); content with a hyperlink,
    an inline content control, a smart tag, a simple field and a complex field."""
    style = d.doc.styles.add_style("Muc bao cao", WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = d.doc.styles["Normal"]
    style.font.bold = True
    title(d, "PHÒNG VĂN HÓA VÀ THÔNG TIN", "Công tác cải cách hành chính 6 tháng đầu năm 2021", "Số: 33/BC-VHTT")
    d.p("Căn cứ Văn bản số 1649/UBND-NV ngày 10/6/2021 của UBND huyện, Phòng Văn hóa và Thông tin báo cáo công tác "
        "cải cách hành chính 6 tháng đầu năm 2021 như sau:")
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", style="Muc bao cao")
    d.p("Xây dựng và phát triển chính phủ điện tử", style="Muc bao cao")
    heading = d.p("")
    heading.add_run("7.1").bold = True
    run = heading.add_run(". Ứng dụng ")
    run.bold, run.italic = True, True
    run = heading.add_run("CNTT")
    run.bold, run.underline = True, True
    run = heading.add_run(" trong hoạt động của đơn vị")
    run.bold = True
    paragraph = d.p("Cổng thông tin điện tử huyện (")
    hyperlink(d, paragraph, "https://camxuyen.hatinh.gov.vn", "https://camxuyen.hatinh.gov.vn")
    paragraph.add_run(") đăng tải 320 tin, bài.")
    paragraph = d.p("Tỷ lệ văn bản đi được ký số đạt ")
    inline_control(paragraph, "98,6%")
    paragraph.add_run(" (1.479/1.500 văn bản).")
    paragraph = d.p("Hệ thống họp trực tuyến kết nối từ huyện đến 27 xã, thị trấn, tổ chức ")
    simple_field(paragraph, "DOCPROPERTY SoCuocHop", "14")
    paragraph.add_run(" cuộc họp.")
    heading = d.p("")
    heading.add_run("7.2. Áp dụng ISO trong hoạt động của đơn vị", style="Strong")
    paragraph = d.p("Phòng duy trì ISO 9001:2015 theo Quyết định số 215/QĐ-UBND ngày ")
    complex_field(paragraph, 'DATE \\@ "dd/MM/yyyy"', "20/01/2021")
    paragraph.add_run(".")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", style="Muc bao cao")
    d.p("Tồn tại, hạn chế", style="Muc bao cao")
    paragraph = d.p("Hạ tầng CNTT tại một số ")
    smart_tag(paragraph, "xã")
    paragraph.add_run(" đã xuống cấp.")
    d.p("Nguyên nhân", style="Muc bao cao")
    d.p("Kinh phí đầu tư cho ứng dụng CNTT còn hạn hẹp.")
    d.p("III. MỘT SỐ NHIỆM VỤ TRỌNG TÂM", style="Muc bao cao")
    d.p("Nâng cấp Cổng thông tin điện tử huyện trong Quý III năm 2021.")
    ending(d, "Phòng Văn hóa và Thông tin")


@case("content-that-looks-like-headings", "KTHT", [
    ("I.3", "Kết quả giải quyết hồ sơ:"),
    ("I.3", "1. Tổng số hồ sơ tiếp nhận: 1.234 hồ sơ (trực tuyến 456 hồ sơ)."),
    ("I.3", "2. Cải cách thủ tục hành chính trên lĩnh vực xây dựng được đẩy mạnh, 100% hồ sơ giải quyết đúng hạn."),
    ("I.3", "Cải cách thể chế trong lĩnh vực quy hoạch được chú trọng, tham mưu ban hành 02 quyết định."),
    ("I.3", "Ứng dụng CNTT được đẩy mạnh trong giải quyết hồ sơ."),
    ("I.3", "- Kết quả: 100% hồ sơ cấp phép xây dựng được trả qua dịch vụ bưu chính công ích."),
    ("I.3", "Lĩnh vực đất đai:"),
    ("I.3", "Tiếp nhận 312 hồ sơ, trễ hạn 4 hồ sơ."),
    ("II.1", "4 hồ sơ đất đai trễ hạn."),
    ("II.2", "Hồ sơ phải xác minh nguồn gốc đất."),
    ("III", "1. Cải cách thủ tục hành chính: rút ngắn thời gian giải quyết hồ sơ đất đai."),
    ("III", "2. Ứng dụng CNTT: 100% hồ sơ được số hóa."),
])
def _looks_like_headings(d: Doc):
    """Inside heading 3: a bold 'Kết quả giải quyết hồ sơ:', paragraphs numbered '1.', '2.'
    (one starting with heading 3's own words), bold sentences starting with the words of
    headings 2 and 7.1, a '- Kết quả:' bullet, a bold 'Lĩnh vực đất đai:'; in part III numbered
    tasks starting with headings' words."""
    title(d, "PHÒNG KINH TẾ VÀ HẠ TẦNG", "Kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm 2021",
          "Số: 88/BC-KTHT")
    d.p("Thực hiện Văn bản số 1649/UBND-NV ngày 10/6/2021 của UBND huyện về việc báo cáo CCHC 6 tháng đầu năm 2021, "
        "Phòng Kinh tế và Hạ tầng báo cáo như sau:")
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("3. Cải cách thủ tục hành chính", bold=True)
    d.p("Kết quả giải quyết hồ sơ:", bold=True)
    d.p("1. Tổng số hồ sơ tiếp nhận: 1.234 hồ sơ (trực tuyến 456 hồ sơ).")
    d.p("2. Cải cách thủ tục hành chính trên lĩnh vực xây dựng được đẩy mạnh, 100% hồ sơ giải quyết đúng hạn.")
    d.p("Cải cách thể chế trong lĩnh vực quy hoạch được chú trọng, tham mưu ban hành 02 quyết định.", bold=True)
    d.p("Ứng dụng CNTT được đẩy mạnh trong giải quyết hồ sơ.", bold=True)
    d.p("- Kết quả: 100% hồ sơ cấp phép xây dựng được trả qua dịch vụ bưu chính công ích.")
    d.p("Lĩnh vực đất đai:", bold=True)
    d.p("Tiếp nhận 312 hồ sơ, trễ hạn 4 hồ sơ.")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("1. Tồn tại, hạn chế", bold=True)
    d.p("4 hồ sơ đất đai trễ hạn.")
    d.p("2. Nguyên nhân", bold=True)
    d.p("Hồ sơ phải xác minh nguồn gốc đất.")
    d.p("III. MỘT SỐ NHIỆM VỤ TRỌNG TÂM", bold=True)
    d.p("1. Cải cách thủ tục hành chính: rút ngắn thời gian giải quyết hồ sơ đất đai.")
    d.p("2. Ứng dụng CNTT: 100% hồ sơ được số hóa.")
    ending(d, "Phòng Kinh tế và Hạ tầng")


@case("no-diacritics-abbreviations-merged", "VP", [
    ("I.1", "Van phong tham muu ban hanh 15 van ban chi dao, dieu hanh CCHC."),
    ("I.3", "Bộ phận Một cửa huyện tiếp nhận 5.432 hồ sơ, giải quyết đúng hạn 99,2%."),
    ("I.7", "Triển khai hệ thống thông tin giải quyết TTHC của tỉnh tại 100% xã."),
    ("I.7.1", "100% văn bản đi của UBND huyện được ký số."),
    ("II", "Tỷ lệ hồ sơ trực tuyến còn thấp do người dân chưa quen sử dụng dịch vụ công trực tuyến."),
    ("III", "Đẩy mạnh tuyên truyền dịch vụ công trực tuyến mức độ 3, 4."),
], headings={"I.1", "I.3", "I.7", "I.7.1", "II", "III"})
def _no_diacritics(d: Doc):
    """Headings typed without diacritics ('Cong tac chi dao, dieu hanh'), with abbreviations
    ('Cải cách TTHC', 'Xây dựng CQĐT', 'Ứng dụng CNTT'), no numbers, bold; part II written as one
    merged heading 'Tồn tại, hạn chế và nguyên nhân' under it."""
    title(d, "VĂN PHÒNG HĐND VÀ UBND HUYỆN", "Kết quả thực hiện công tác CCHC 6 tháng đầu năm 2021",
          "Số: 102/BC-VP")
    d.p("Thực hiện Văn bản số 1649/UBND-NV ngày 10/6/2021 của UBND huyện, Văn phòng HĐND và UBND huyện báo cáo "
        "kết quả thực hiện công tác CCHC 6 tháng đầu năm 2021 như sau:")
    d.p("I. KET QUA THUC HIEN", bold=True)
    d.p("Cong tac chi dao, dieu hanh", bold=True)
    d.p("Van phong tham muu ban hanh 15 van ban chi dao, dieu hanh CCHC.")
    d.p("Cải cách TTHC", bold=True)
    d.p("Bộ phận Một cửa huyện tiếp nhận 5.432 hồ sơ, giải quyết đúng hạn 99,2%.")
    d.p("Xây dựng CQĐT", bold=True)
    d.p("Triển khai hệ thống thông tin giải quyết TTHC của tỉnh tại 100% xã.")
    d.p("Ứng dụng CNTT", bold=True)
    d.p("100% văn bản đi của UBND huyện được ký số.")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("Tồn tại, hạn chế và nguyên nhân", bold=True)
    d.p("Tỷ lệ hồ sơ trực tuyến còn thấp do người dân chưa quen sử dụng dịch vụ công trực tuyến.")
    d.p("III. NHIỆM VỤ THỜI GIAN TỚI", bold=True)
    d.p("Đẩy mạnh tuyên truyền dịch vụ công trực tuyến mức độ 3, 4.")
    ending(d, "Văn phòng HĐND và UBND huyện", ("KT. CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG"))


@case("quy-I", "TP", [
    ("I.2", "Trong Quý I, Phòng thẩm định 03 dự thảo văn bản quy phạm pháp luật."),
    ("I.2", "Quý I/2021: rà soát 15 văn bản, không phát hiện văn bản trái pháp luật."),
    ("II.1", "Không."),
    ("III", "1. Thẩm định các dự thảo văn bản quy phạm pháp luật trong Quý II năm 2021."),
], period="2021-Q1")
def _quy_i(d: Doc):
    """A quarterly report ('Quý I năm 2021') read in the 2021-Q1 folder: 'Quý I', 'Quý II' in the
    subject, the part III heading and the content."""
    title(d, "PHÒNG TƯ PHÁP", "Kết quả thực hiện công tác cải cách hành chính Quý I năm 2021", "Số: 09/BC-TP",
          "Cẩm Xuyên, ngày 12 tháng 3 năm 2021")
    d.p("Thực hiện Văn bản số 412/UBND-NV ngày 05/3/2021 của UBND huyện về việc báo cáo CCHC Quý I năm 2021, "
        "Phòng Tư pháp báo cáo như sau:")
    d.p("I. KẾT QUẢ ĐẠT ĐƯỢC TRONG QUÝ I NĂM 2021", bold=True)
    d.p("2. Cải cách thể chế", bold=True)
    d.p("Trong Quý I, Phòng thẩm định 03 dự thảo văn bản quy phạm pháp luật.")
    d.p("Quý I/2021: rà soát 15 văn bản, không phát hiện văn bản trái pháp luật.")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("1. Tồn tại, hạn chế", bold=True)
    d.p("Không.")
    d.p("III. NHIỆM VỤ TRỌNG TÂM QUÝ II NĂM 2021", bold=True)
    d.p("1. Thẩm định các dự thảo văn bản quy phạm pháp luật trong Quý II năm 2021.")
    ending(d, "Phòng Tư pháp")


@case("annual-order-and-skips", "TCKH", [
    ("I.6", "Giao quyền tự chủ cho 58 đơn vị sự nghiệp công lập."),
    ("I.11", "Thu ngân sách nhà nước năm 2021 đạt 412,5 tỷ đồng, bằng 118% dự toán."),
    ("I.8", "Thu hút 05 dự án đầu tư với tổng vốn đăng ký 1.250 tỷ đồng."),
    ("I.9", "Thành lập mới 48 doanh nghiệp, tăng 12,9% so với năm 2020."),
    ("I.10", "Doanh nghiệp đóng góp 38% tổng thu ngân sách trên địa bàn."),
    ("II.2", "Nguồn thu từ đất chiếm tỷ trọng lớn."),
    ("II.1", "Thu ngân sách chưa bền vững."),
    ("III", "1. Triển khai dự toán ngân sách năm 2022."),
], period="2021")
def _annual(d: Doc):
    """An annual report ('năm 2021', tasks 'năm 2022') read in the 2021 folder; headings out of
    order (11 before 8, II.2 before II.1), heading 7 and 9's own wording skipped or reworded,
    numbers followed by a no-break space, a tab or ' - '."""
    title(d, "PHÒNG TÀI CHÍNH - KẾ HOẠCH", "Kết quả thực hiện công tác cải cách hành chính năm 2021",
          "Số: 310/BC-TCKH", "Cẩm Xuyên, ngày 10 tháng 12 năm 2021")
    d.p("Thực hiện Văn bản số 2890/UBND-NV ngày 01/12/2021 của UBND huyện về việc báo cáo CCHC năm 2021, Phòng Tài "
        "chính - Kế hoạch báo cáo như sau:")
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("6.\u00a0Cải cách tài chính công", bold=True)
    d.p("Giao quyền tự chủ cho 58 đơn vị sự nghiệp công lập.")
    d.p("11.\tThực hiện thu ngân sách", bold=True)
    d.p("Thu ngân sách nhà nước năm 2021 đạt 412,5 tỷ đồng, bằng 118% dự toán.")
    d.p("8 - Thu hút đầu tư", bold=True)
    d.p("Thu hút 05 dự án đầu tư với tổng vốn đăng ký 1.250 tỷ đồng.")
    d.p("9 - Doanh nghiệp thành lập mới", bold=True)
    d.p("Thành lập mới 48 doanh nghiệp, tăng 12,9% so với năm 2020.")
    d.p("10 - Đóng góp của doanh nghiệp vào thu ngân sách", bold=True)
    d.p("Doanh nghiệp đóng góp 38% tổng thu ngân sách trên địa bàn.")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("2. Nguyên nhân", bold=True)
    d.p("Nguồn thu từ đất chiếm tỷ trọng lớn.")
    d.p("1. Tồn tại, hạn chế", bold=True)
    d.p("Thu ngân sách chưa bền vững.")
    d.p("III. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2022", bold=True)
    d.p("1. Triển khai dự toán ngân sách năm 2022.")
    ending(d, "Phòng Tài chính - Kế hoạch")


@case("text-box-and-block-controls", "VP", [
    ("I.1", "Ban hành 12 văn bản chỉ đạo, điều hành CCHC."),
    ("I.3", "Bộ phận Một cửa tiếp nhận 5.120 hồ sơ."),
    ("I.3", "Ghi chú: số liệu tính từ ngày 15/12/2020 đến ngày 14/6/2021."),
    ("I.3", "Trả kết quả qua dịch vụ bưu chính công ích 410 hồ sơ."),
    ("II.1", "Một số thủ tục chưa được cập nhật kịp thời."),
    ("III", "Rà soát, công bố lại danh mục thủ tục hành chính."),
])
def _text_box(d: Doc):
    """A 'DỰ THẢO' stamp in a text box above the title, a note in a text box anchored in the text
    of heading 3 (written by Word 2010+: the shape and its VML fallback, the same text twice in
    the file); part II inside a block-level content control (w:sdt) of the district's template."""
    d.doc.add_paragraph()
    text_box(d.doc.paragraphs[0], ["DỰ THẢO"], 1)
    title(d, "VĂN PHÒNG HĐND VÀ UBND HUYỆN", "Kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm 2021",
          "Số: 99/BC-VP")
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("1. Công tác chỉ đạo, điều hành", bold=True)
    d.p("Ban hành 12 văn bản chỉ đạo, điều hành CCHC.")
    d.p("3. Cải cách thủ tục hành chính", bold=True)
    anchor = d.p("Bộ phận Một cửa tiếp nhận 5.120 hồ sơ.")
    text_box(anchor, ["Ghi chú: số liệu tính từ ngày 15/12/2020 đến ngày 14/6/2021."], 2)
    d.p("Trả kết quả qua dịch vụ bưu chính công ích 410 hồ sơ.")
    part = [d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True), d.p("1. Tồn tại, hạn chế", bold=True),
            d.p("Một số thủ tục chưa được cập nhật kịp thời.")]
    sdt = _w("w:sdt")
    pr = _w("w:sdtPr")
    pr.append(_w("w:alias", val="Phần II"))
    sdt.append(pr)
    content = _w("w:sdtContent")
    sdt.append(content)
    part[0]._p.addprevious(sdt)
    for paragraph in part:
        content.append(paragraph._p)
    d.p("III. NHIỆM VỤ TRỌNG TÂM", bold=True)
    d.p("Rà soát, công bố lại danh mục thủ tục hành chính.")
    ending(d, "Văn phòng HĐND và UBND huyện", ("CHÁNH VĂN PHÒNG",))


@case("dash-numbers-and-roman-sub", "NV", [
    ("I.7", "Tiếp tục triển khai phần mềm quản lý văn bản TD-Office."),
    ("I.7.1", "100% cán bộ, công chức sử dụng thư điện tử công vụ."),
    ("I.7.2", "Công bố hệ thống quản lý chất lượng tại 27 xã."),
    ("II.1", "Một số xã chưa cập nhật quy trình ISO theo TCVN ISO 9001:2015."),
    ("II.2", "Công chức phụ trách ISO thay đổi thường xuyên."),
    ("III", "a) Hướng dẫn các xã chuyển đổi quy trình ISO."),
    ("III", "b) Kiểm tra việc áp dụng ISO tại 10 xã."),
])
def _dash_numbers(d: Doc):
    """Headings numbered '7-', '7.1-', '7.2-' in bold, part II's headings 'II.1-' / 'II.2-'
    with the part named once; part III's tasks lettered 'a)', 'b)'."""
    title(d, "PHÒNG NỘI VỤ", "Báo cáo công tác cải cách hành chính 6 tháng đầu năm 2021")
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("7- Xây dựng và phát triển chính quyền điện tử", bold=True)
    d.p("Tiếp tục triển khai phần mềm quản lý văn bản TD-Office.")
    d.p("7.1- Ứng dụng công nghệ thông tin", bold=True)
    d.p("100% cán bộ, công chức sử dụng thư điện tử công vụ.")
    d.p("7.2- Áp dụng ISO", bold=True)
    d.p("Công bố hệ thống quản lý chất lượng tại 27 xã.")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("II.1- Tồn tại, hạn chế", bold=True)
    d.p("Một số xã chưa cập nhật quy trình ISO theo TCVN ISO 9001:2015.")
    d.p("II.2- Nguyên nhân", bold=True)
    d.p("Công chức phụ trách ISO thay đổi thường xuyên.")
    d.p("III. MỘT SỐ NHIỆM VỤ TRỌNG TÂM", bold=True)
    d.p("a) Hướng dẫn các xã chuyển đổi quy trình ISO.")
    d.p("b) Kiểm tra việc áp dụng ISO tại 10 xã.")
    ending(d, "Phòng Nội vụ")


@case("heading-styles-with-typed-numbers-and-word-list-content", "KTHT", [
    ("I.3", "Tiếp nhận 980 hồ sơ lĩnh vực xây dựng, đất đai."),
    ("I.3", "Cấp 45 giấy phép xây dựng."),
    ("I.3", "Thẩm định 12 hồ sơ thiết kế."),
    ("I.4", "Phòng có 9 công chức, 2 hợp đồng lao động."),
    ("II.1", "Hồ sơ đất đai còn trễ hạn."),
    ("II.2", "Thiếu công chức địa chính."),
    ("III", "Giải quyết dứt điểm hồ sơ tồn đọng."),
    ("III", "Rà soát quy trình nội bộ."),
])
def _styles_numbers(d: Doc):
    """Word's Heading 1/2 styles with the numbers typed as well ('I.', '3.'); content as Word's
    automatic decimal list (numbers drawn by Word, not bold), a bulleted list in part III."""
    title(d, "PHÒNG KINH TẾ VÀ HẠ TẦNG", "Kết quả thực hiện cải cách hành chính 6 tháng đầu năm 2021",
          "Số: 90/BC-KTHT")
    d.heading("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", 1)
    d.heading("3. Cải cách thủ tục hành chính", 2)
    listed = d.numbering((("decimal", "%1)"),))
    d.p("Tiếp nhận 980 hồ sơ lĩnh vực xây dựng, đất đai.", numbered=(listed, 0))
    d.p("Cấp 45 giấy phép xây dựng.", numbered=(listed, 0))
    d.p("Thẩm định 12 hồ sơ thiết kế.", numbered=(listed, 0))
    d.heading("4. Cải cách tổ chức bộ máy", 2)
    d.p("Phòng có 9 công chức, 2 hợp đồng lao động.")
    d.heading("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", 1)
    d.heading("1. Tồn tại, hạn chế", 2)
    d.p("Hồ sơ đất đai còn trễ hạn.")
    d.heading("2. Nguyên nhân", 2)
    d.p("Thiếu công chức địa chính.")
    d.heading("III. MỘT SỐ NHIỆM VỤ TRỌNG TÂM", 1)
    bullets = d.numbering((("bullet", "-"),))
    d.p("Giải quyết dứt điểm hồ sơ tồn đọng.", numbered=(bullets, 0))
    d.p("Rà soát quy trình nội bộ.", numbered=(bullets, 0))
    ending(d, "Phòng Kinh tế và Hạ tầng")


@case("muc-parts-and-recommendations", "VHTT", [
    ("I.1", "Phòng ban hành Kế hoạch CCHC năm 2021 với 8 nhiệm vụ."),
    ("I.7.1", "Số hóa 1.200 hồ sơ lưu trữ."),
    ("II.1", "Hạ tầng mạng tại một số xã chưa bảo đảm."),
    ("", "III. KIẾN NGHỊ, ĐỀ XUẤT"),
    ("", "Đề nghị UBND huyện bố trí kinh phí nâng cấp đường truyền cho các xã."),
    ("III", "1. Hoàn thành số hóa hồ sơ lưu trữ năm 2020."),
])
def _muc_parts(d: Doc):
    """Parts typed 'MỤC I.', 'MỤC II.'; the recommendations put in as part III ('III. KIẾN NGHỊ,
    ĐỀ XUẤT') and the tasks moved to IV: the words of a part decide over its number."""
    title(d, "PHÒNG VĂN HÓA VÀ THÔNG TIN", "Kết quả công tác cải cách hành chính 6 tháng đầu năm 2021",
          "Số: 35/BC-VHTT")
    d.p("MỤC I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("1. Công tác chỉ đạo, điều hành", bold=True)
    d.p("Phòng ban hành Kế hoạch CCHC năm 2021 với 8 nhiệm vụ.")
    d.p("7.1. Ứng dụng công nghệ thông tin trong hoạt động của cơ quan", bold=True)
    d.p("Số hóa 1.200 hồ sơ lưu trữ.")
    d.p("MỤC II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("1. Tồn tại, hạn chế", bold=True)
    d.p("Hạ tầng mạng tại một số xã chưa bảo đảm.")
    d.p("III. KIẾN NGHỊ, ĐỀ XUẤT", bold=True)
    d.p("Đề nghị UBND huyện bố trí kinh phí nâng cấp đường truyền cho các xã.")
    d.p("IV. NHIỆM VỤ TRỌNG TÂM 6 THÁNG CUỐI NĂM", bold=True)
    d.p("1. Hoàn thành số hóa hồ sơ lưu trữ năm 2020.")
    ending(d, "Phòng Văn hóa và Thông tin")


@case("lists-and-an-early-conclusion", "VP", [
    ("I.1", "Kế hoạch CCHC năm 2021 của UBND huyện gồm các nội dung:"),
    ("I.1", "Cải cách thể chế;"),
    ("I.1", "Cải cách thủ tục hành chính;"),
    ("I.1", "Xây dựng và phát triển chính quyền điện tử."),
    ("I.1", "Trong đó các nhiệm vụ trọng tâm là:"),
    ("I.1", "1. Cải cách thể chế;"),
    ("I.1", "2. Cải cách thủ tục hành chính: rà soát 45 thủ tục;"),
    ("I.1", "3. Ứng dụng CNTT."),
    ("I.1", "Đến nay hoàn thành 20/24 nhiệm vụ."),
    ("I.7.1", "Hệ thống quản lý văn bản TD-Office vận hành thông suốt."),
    ("I.7", "7.3. Dịch vụ công trực tuyến"),
    ("I.7", "Cung cấp 215 dịch vụ công trực tuyến mức độ 3, 4."),
    ("I.7", "Trên đây là một số kết quả nổi bật trong công tác CCHC 6 tháng đầu năm 2021."),
    ("II.1", "Tỷ lệ hồ sơ trực tuyến mới đạt 12%."),
    ("III", "Đẩy mạnh dịch vụ công trực tuyến."),
])
def _lists(d: Doc):
    """Inside heading 1 the plan's contents listed one per plain line, each ending with ';' or
    '.', then a typed numbered list ('1. Cải cách thể chế;', '2. Cải cách thủ tục hành chính:
    ...;', '3. Ứng dụng CNTT.'); a sub-heading '7.3.' the outline does not have (its text stays under 7, not under 7.2);
    'Trên đây là ...' closing part I before part II starts (the report's frame only ends at the
    last one)."""
    title(d, "VĂN PHÒNG HĐND VÀ UBND HUYỆN", "Kết quả thực hiện công tác CCHC 6 tháng đầu năm 2021",
          "Số: 104/BC-VP")
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("1. Công tác chỉ đạo, điều hành", bold=True)
    d.p("Kế hoạch CCHC năm 2021 của UBND huyện gồm các nội dung:")
    d.p("Cải cách thể chế;")
    d.p("Cải cách thủ tục hành chính;")
    d.p("Xây dựng và phát triển chính quyền điện tử.")
    d.p("Trong đó các nhiệm vụ trọng tâm là:")
    d.p("1. Cải cách thể chế;")
    d.p("2. Cải cách thủ tục hành chính: rà soát 45 thủ tục;")
    d.p("3. Ứng dụng CNTT.")
    d.p("Đến nay hoàn thành 20/24 nhiệm vụ.")
    d.p("7. Xây dựng và phát triển chính quyền điện tử", bold=True)
    d.p("7.1. Ứng dụng CNTT", bold=True)
    d.p("Hệ thống quản lý văn bản TD-Office vận hành thông suốt.")
    d.p("7.3. Dịch vụ công trực tuyến", bold=True)
    d.p("Cung cấp 215 dịch vụ công trực tuyến mức độ 3, 4.")
    d.p("Trên đây là một số kết quả nổi bật trong công tác CCHC 6 tháng đầu năm 2021.")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("1. Tồn tại, hạn chế", bold=True)
    d.p("Tỷ lệ hồ sơ trực tuyến mới đạt 12%.")
    d.p("III. NHIỆM VỤ TRỌNG TÂM", bold=True)
    d.p("Đẩy mạnh dịch vụ công trực tuyến.")
    ending(d, "Văn phòng HĐND và UBND huyện", ("CHÁNH VĂN PHÒNG",))


def placeholder_control(d: Doc, prompt: str):
    """A block-level content control of the district's template left unfilled: Word shows its
    placeholder text (w:showingPlcHdr), which the unit did not write."""
    paragraph = d.p(prompt)
    sdt = _w("w:sdt")
    pr = _w("w:sdtPr")
    pr.append(_w("w:alias", val="Nội dung"))
    pr.append(_w("w:showingPlcHdr"))
    sdt.append(pr)
    content = _w("w:sdtContent")
    sdt.append(content)
    paragraph._p.addprevious(sdt)
    content.append(paragraph._p)


@case("two-line-subject-and-template-controls", "KTHT", [
    ("I.3", "Tiếp nhận 640 hồ sơ, giải quyết đúng hạn 632 hồ sơ."),
    ("II.2", "Hồ sơ đất đai phức tạp, phải xác minh nhiều lần."),
    ("III", "Tiếp tục rút ngắn thời gian giải quyết hồ sơ."),
], period="2021-Q2", headings={"I", "I.1", "I.3", "II", "II.1", "II.2", "III"})
def _two_line_subject(d: Doc):
    """The subject on two lines under 'BÁO CÁO' ('Kết quả thực hiện công tác cải cách hành
    chính' / 'Quý II năm 2021'), the first being word for word an alias of part I; the district's
    template with content controls, two of them left with their placeholder text."""
    d.p("UBND HUYỆN CẨM XUYÊN")
    d.p("PHÒNG KINH TẾ VÀ HẠ TẦNG", bold=True)
    d.p("Số: 140/BC-KTHT")
    d.p("BÁO CÁO", bold=True)
    d.p("Kết quả thực hiện công tác cải cách hành chính", bold=True)
    d.p("Quý II năm 2021", bold=True)
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("1. Công tác chỉ đạo, điều hành", bold=True)
    placeholder_control(d, "Nhấp hoặc gõ nhẹ vào đây để nhập văn bản.")
    d.p("3. Cải cách thủ tục hành chính", bold=True)
    d.p("Tiếp nhận 640 hồ sơ, giải quyết đúng hạn 632 hồ sơ.")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("1. Tồn tại, hạn chế", bold=True)
    placeholder_control(d, "Click or tap here to enter text.")
    d.p("2. Nguyên nhân", bold=True)
    d.p("Hồ sơ đất đai phức tạp, phải xác minh nhiều lần.")
    d.p("III. NHIỆM VỤ TRỌNG TÂM QUÝ III NĂM 2021", bold=True)
    d.p("Tiếp tục rút ngắn thời gian giải quyết hồ sơ.")
    ending(d, "Phòng Kinh tế và Hạ tầng")


@case("limitations-by-area", "NV", [
    ("I.4", "Hoàn thành sắp xếp 3 đơn vị sự nghiệp công lập."),
    ("I.5", "Tuyển dụng 25 viên chức."),
    ("II.1", "Cải cách tổ chức bộ máy:"),
    ("II.1", "Việc sắp xếp đơn vị sự nghiệp còn chậm."),
    ("II.1", "Cải cách công vụ"),
    ("II.1", "Chưa tuyển đủ chỉ tiêu viên chức giáo dục."),
    ("II.2", "2.1. Nguyên nhân khách quan"),
    ("II.2", "Nguồn tuyển khan hiếm."),
    ("II.2", "2.2. Nguyên nhân chủ quan"),
    ("II.2", "Công tác dự báo nhu cầu chưa sát."),
    ("III", "Cải cách tổ chức bộ máy: hoàn thành sắp xếp đơn vị sự nghiệp."),
])
def _limitations_by_area(d: Doc):
    """Part II's limitations listed by reform area under bold labels that are headings of part I
    word for word ('Cải cách tổ chức bộ máy:', 'Cải cách công vụ'), and causes split into '2.1.',
    '2.2.': going back to part I takes a typed number, a part heading or a Word heading, not a bold
    line."""
    title(d, "PHÒNG NỘI VỤ", "Kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm 2021")
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)
    d.p("4. Cải cách tổ chức bộ máy", bold=True)
    d.p("Hoàn thành sắp xếp 3 đơn vị sự nghiệp công lập.")
    d.p("5. Cải cách công vụ", bold=True)
    d.p("Tuyển dụng 25 viên chức.")
    d.p("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", bold=True)
    d.p("1. Tồn tại, hạn chế", bold=True)
    d.p("Cải cách tổ chức bộ máy:", bold=True)
    d.p("Việc sắp xếp đơn vị sự nghiệp còn chậm.")
    d.p("Cải cách công vụ", bold=True)
    d.p("Chưa tuyển đủ chỉ tiêu viên chức giáo dục.")
    d.p("2. Nguyên nhân", bold=True)
    d.p("2.1. Nguyên nhân khách quan", bold=True)
    d.p("Nguồn tuyển khan hiếm.")
    d.p("2.2. Nguyên nhân chủ quan", bold=True)
    d.p("Công tác dự báo nhu cầu chưa sát.")
    d.p("III. NHIỆM VỤ TRỌNG TÂM", bold=True)
    d.p("Cải cách tổ chức bộ máy: hoàn thành sắp xếp đơn vị sự nghiệp.")
    ending(d, "Phòng Nội vụ")


# ---- the test ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outline():
    return Outline(narrative_records(2021))


@pytest.mark.parametrize("report", CASES, ids=[c["name"] for c in CASES])
def test_report_style_is_read_heading_by_heading(report, outline, tmp_path):
    d = Doc()
    report["build"](d)
    path = d.save(tmp_path / f"{report['name']}.docx")
    ctx = make_context(report["period"], catalogue_records(2021), unit_records())
    result = read_document(path, path.name, ctx, outline)
    assert result.record["unit"] == report["unit"]
    assert result.record["status"] == "narrative"
    assert result.record["period_found"] in (report["period"], "")
    assert [(h, t) for h, t, _ in result.paragraphs] == report["expected"]
    unknown = [f for f in result.findings if f["check"] == "unknown-section"]
    assert bool(unknown) == any(h == "" for h, _ in report["expected"])
    if report["headings"] is not None:
        assert set(result.headings) >= report["headings"]


def test_text_boxes_and_unfilled_controls_keep_the_documents_paragraph_numbers(outline, tmp_path):
    """A text box's paragraphs are numbered right after the paragraph they are anchored in, once
    (not again for the VML copy); an unfilled content control's paragraph counts but is not read."""
    d = Doc()
    d.p("PHÒNG NỘI VỤ", bold=True)  # 1
    d.p("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", bold=True)  # 2
    d.p("4. Cải cách tổ chức bộ máy", bold=True)  # 3
    anchor = d.p("Rà soát vị trí việc làm tại 12 đơn vị.")  # 4
    text_box(anchor, ["Bảng tổng hợp vị trí việc làm gửi kèm.", "Số liệu đến ngày 14/6/2021."], 7)  # 5, 6
    placeholder_control(d, "Nhấp hoặc gõ nhẹ vào đây để nhập văn bản.")  # 7
    d.p("Tinh giản 3 biên chế.")  # 8
    result = read_document(d.save(tmp_path / "nv.docx"), "nv.docx",
                           make_context("2021-H1", catalogue_records(2021), unit_records()), outline)
    assert result.paragraphs == [("I.4", "Rà soát vị trí việc làm tại 12 đơn vị.", 4),
                                 ("I.4", "Bảng tổng hợp vị trí việc làm gửi kèm.", 5),
                                 ("I.4", "Số liệu đến ngày 14/6/2021.", 6),
                                 ("I.4", "Tinh giản 3 biên chế.", 8)]
