"""Realistic Phụ lục I reports (Word) of the departments for the demo: the other half of what the
letter asks for, beside the workbooks of :mod:`cchc_analysis.samples`.

Each department types its report its own way, as real ones do:

- NV: Word's automatic numbering on every heading (``w:numPr`` on the paragraph: the number
  ``1.``, ``II.`` is drawn by Word and is not in the text);
- VP: the numbering in a paragraph style of its own (``w:numPr`` in the style), and a part the
  outline does not have (``IV. ĐỀ XUẤT, KIẾN NGHỊ``);
- TP: numbers typed in the text, headings in bold; in the newest period it forgets
  ``2. Nguyên nhân``;
- TCKH: Word's Heading 1/2 styles with headings reworded, and the Phụ lục II table (its own rows)
  at the end of the report, merged two-row header as in the letter;
- KTHT: headings shortened ('Cải cách TTHC') with the content on the same line after a colon;
- VHTT: parts in capitals, headings in bold, the title block in a borderless table.

:func:`make_documents` writes them into a sample workspace made by
:func:`cchc_analysis.samples.make_sample` (one per department and period, none from VHTT in the
newest period, which sends nothing), adds their received times to each period's
``submissions.csv`` and returns a manifest of the files and the problems planted. Like
:mod:`cchc_analysis.samples`, it reads only the package's data files.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import pathlib
import random

from .samples import SAMPLE_UNITS, _by_id, _deadline, _unit_names, _vn_number, period_title, plausible_values

__all__ = ["make_documents", "write_report"]

STYLES = {"NV": "numbered", "VP": "style_numbered", "TP": "typed_bold", "TCKH": "heading_styles",
          "KTHT": "run_in", "VHTT": "caps_table_title"}
FILE_NAMES = {"NV": "Bao cao CCHC {tag} - Noi vu.docx", "VP": "VP HĐND-UBND bao cao CCHC {tag}.docx",
              "TP": "BC CCHC Tu phap {tag}.docx", "TCKH": "TCKH - bao cao CCHC {tag} (kem Phu luc II).docx",
              "KTHT": "BC CCHC KT-HT {tag}.docx", "VHTT": "Bao cao CCHC VHTT {tag}.docx"}

PARTS = {"I": "TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ ĐẠT ĐƯỢC", "II": "TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
         "III": "MỘT SỐ NHIỆM VỤ TRỌNG TÂM"}
TITLES = {"I.1": ("1", "Công tác chỉ đạo, điều hành"), "I.2": ("2", "Cải cách thể chế"),
          "I.3": ("3", "Cải cách thủ tục hành chính"), "I.4": ("4", "Cải cách tổ chức bộ máy"),
          "I.5": ("5", "Cải cách công vụ"), "I.6": ("6", "Cải cách tài chính công"),
          "I.7": ("7", "Xây dựng và phát triển chính phủ điện tử"),
          "I.7.1": ("7.1", "Ứng dụng công nghệ thông tin trong hoạt động của đơn vị"),
          "I.7.2": ("7.2", "Áp dụng ISO trong hoạt động của đơn vị"), "I.8": ("8", "Mức độ thu hút đầu tư"),
          "I.9": ("9", "Tỷ lệ Doanh nghiệp thành lập mới trong năm"),
          "I.10": ("10", "Tỷ lệ đóng góp của Doanh nghiệp vào thu ngân sách của địa phương"),
          "I.11": ("11", "Thực hiện thu ngân sách"), "II.1": ("1", "Tồn tại, hạn chế"), "II.2": ("2", "Nguyên nhân")}
# how some departments word a heading instead
REWORDED = {"TCKH": {"I.6": "Về cải cách tài chính công", "I.8": "Công tác thu hút đầu tư",
                     "I.9": "Phát triển doanh nghiệp", "I.11": "Kết quả thu ngân sách"},
            "KTHT": {"I.3": "Cải cách TTHC", "II.1": "Hạn chế"}}

# what each department writes, heading by heading ({v:ID} is the unit's own value of an indicator)
CONTENT: dict[str, list[tuple[str, list[str]]]] = {
    "NV": [
        ("I.1", ["Ngay từ đầu năm, Phòng Nội vụ đã tham mưu UBND huyện ban hành Kế hoạch cải cách hành chính năm "
                 "{year} với {v:1.1.1} nhiệm vụ, phân công cụ thể cho từng cơ quan, đơn vị; ban hành {v:1.1.3} văn "
                 "bản chỉ đạo, đôn đốc thực hiện.",
                 "Tổ chức kiểm tra công tác CCHC tại {v:1.2.1} cơ quan, đơn vị và {v:1.2.2} UBND xã, thị trấn; qua "
                 "kiểm tra phát hiện {v:1.2.3} vấn đề, đến nay đã xử lý xong {v:1.2.4} vấn đề."]),
        ("I.4", ["Tiếp tục rà soát, sắp xếp tổ chức bộ máy theo các Nghị định số 107 và 108/2020/NĐ-CP; tổng số "
                 "biên chế công chức được giao {v:4.2.1} người, có mặt {v:4.2.2} người."]),
        ("I.5", ["Thực hiện nghiêm quy định về tuyển dụng, sử dụng và quản lý công chức, viên chức; trong kỳ tuyển "
                 "dụng {v:5.2.4} viên chức, bổ nhiệm {v:5.3.2} lãnh đạo cấp phòng đúng quy trình."]),
        ("I.7.2", ["Duy trì, cải tiến hệ thống quản lý chất lượng theo tiêu chuẩn TCVN ISO 9001:2015 tại cơ quan "
                   "và {v:7.2.2.1} UBND xã, thị trấn."]),
        ("II.1", ["Một số cơ quan, đơn vị chưa quan tâm đúng mức đến công tác tự kiểm tra CCHC; việc cập nhật quy "
                  "trình ISO ở một số xã còn chậm."]),
        ("II.2", ["Nhận thức của một bộ phận cán bộ, công chức về CCHC chưa đầy đủ; cán bộ làm công tác CCHC phải "
                  "kiêm nhiệm nhiều việc."]),
        ("III", ["Tiếp tục triển khai đồng bộ các nhiệm vụ theo Kế hoạch CCHC năm {year}.",
                 "Tăng cường kiểm tra công vụ, kỷ luật, kỷ cương hành chính."]),
    ],
    "VP": [
        ("I.1", ["Văn phòng theo dõi, đôn đốc thực hiện {v:1.3.1} nhiệm vụ UBND tỉnh, Chủ tịch UBND tỉnh giao; "
                 "đã hoàn thành đúng hạn {v:1.3.2} nhiệm vụ."]),
        ("I.3", ["Công bố mới {v:3.1.1} thủ tục hành chính, bãi bỏ, thay thế {v:3.1.2} thủ tục; tổng số thủ tục "
                 "hành chính đang có hiệu lực là {v:3.1.3} thủ tục.",
                 "Bộ phận tiếp nhận và trả kết quả huyện hoạt động nền nếp; tỷ lệ hồ sơ giải quyết đúng hạn đạt "
                 "{v:3.4.2}%."]),
        ("I.7.1", ["Hệ thống quản lý văn bản và điều hành được sử dụng thống nhất từ huyện đến xã; tỷ lệ văn bản gửi "
                   "hoàn toàn dưới dạng điện tử đạt {v:7.1.6.2.a}%.",
                   "Cung cấp {v:7.1.8.1} dịch vụ công trực tuyến mức độ 3 và {v:7.1.8.2} dịch vụ mức độ 4."]),
        ("II.1", ["Tỷ lệ hồ sơ nộp trực tuyến mức độ 3, 4 còn thấp so với chỉ tiêu tỉnh giao."]),
        ("II.2", ["Người dân chưa quen sử dụng dịch vụ công trực tuyến; hạ tầng mạng ở một số xã chưa ổn định."]),
        ("III", ["Đẩy mạnh tuyên truyền, hướng dẫn người dân sử dụng dịch vụ công trực tuyến.",
                 "Nâng cao chất lượng hoạt động của Bộ phận tiếp nhận và trả kết quả các cấp."]),
        ("IV", ["Đề nghị UBND tỉnh hỗ trợ kinh phí nâng cấp trang thiết bị cho Bộ phận một cửa cấp xã."]),
    ],
    "TP": [
        ("I.1", ["Phòng Tư pháp ban hành kế hoạch thực hiện công tác CCHC của phòng, phân công nhiệm vụ cụ thể cho "
                 "từng công chức."]),
        ("I.2", ["Tham mưu UBND huyện ban hành {v:2.1} văn bản quy phạm pháp luật; tự kiểm tra {v:2.2} văn bản và "
                 "rà soát {v:2.3} văn bản theo thẩm quyền.",
                 "Qua kiểm tra, rà soát đã kiến nghị xử lý {v:2.4} văn bản; đã xử lý xong {v:2.5} văn bản."]),
        ("II.1", ["Chất lượng một số dự thảo văn bản gửi thẩm định chưa cao, thời gian gửi thẩm định còn sát."]),
        ("II.2", ["Đội ngũ công chức làm công tác pháp chế ở các cơ quan còn kiêm nhiệm."]),
        ("III", ["Nâng cao chất lượng thẩm định, kiểm tra, rà soát văn bản quy phạm pháp luật."]),
    ],
    "TCKH": [
        ("I.6", ["Tiếp tục giao quyền tự chủ tài chính cho các đơn vị sự nghiệp công lập: {v:6.2} đơn vị tự chủ "
                 "100% chi thường xuyên, {v:6.3} đơn vị tự chủ một phần chi thường xuyên, {v:6.4} đơn vị do Nhà "
                 "nước bảo đảm chi thường xuyên."]),
        ("I.8", ["Tham mưu cải thiện môi trường đầu tư; trong kỳ tiếp nhận và thẩm định hồ sơ của 4 dự án đầu tư "
                 "mới trên địa bàn."]),
        ("I.9", ["Trên địa bàn có thêm 37 doanh nghiệp thành lập mới, tăng 12% so với cùng kỳ."]),
        ("I.10", ["Khu vực doanh nghiệp đóng góp khoảng 31% tổng thu ngân sách trên địa bàn."]),
        ("I.11", ["Thu ngân sách nhà nước trên địa bàn đạt 56% dự toán tỉnh giao."]),
        ("II.1", ["Tiến độ giải ngân vốn đầu tư công ở một số dự án còn chậm."]),
        ("II.2", ["Công tác giải phóng mặt bằng gặp nhiều vướng mắc."]),
        ("III", ["Đôn đốc thu ngân sách, phấn đấu hoàn thành dự toán năm {year}."]),
    ],
    "KTHT": [
        ("I.3", ["Tiếp nhận và giải quyết hồ sơ lĩnh vực xây dựng đúng quy trình; tỷ lệ hồ sơ giải quyết đúng hạn "
                 "đạt {v:3.4.5}%."]),
        ("II.1", ["Một số hồ sơ cấp phép xây dựng phải bổ sung nhiều lần."]),
        ("II.2", ["Người dân chưa nắm rõ thành phần hồ sơ theo quy định."]),
        ("III", ["Công khai đầy đủ, rõ ràng thủ tục hành chính lĩnh vực xây dựng tại Bộ phận một cửa."]),
    ],
    "VHTT": [
        ("I.7.1", ["Cổng thông tin điện tử huyện được cập nhật thường xuyên, đăng tải trên 300 tin, bài; hệ thống "
                   "họp trực tuyến kết nối đến 100% xã, thị trấn."]),
        ("II.1", ["Nội dung thông tin trên trang điện tử của một số xã chưa được cập nhật thường xuyên."]),
        ("II.2", ["Cán bộ phụ trách công nghệ thông tin ở xã chủ yếu kiêm nhiệm."]),
        ("III", ["Nâng cấp Cổng thông tin điện tử huyện, bảo đảm an toàn thông tin."]),
    ],
}


def _text(template: str, values: dict, year: int) -> str:
    """A paragraph with the unit's own values written in (Vietnamese numbers)."""
    out = template.replace("{year}", str(year))
    while "{v:" in out:
        start = out.index("{v:")
        end = out.index("}", start)
        indicator = out[start + 3:end]
        value = values.get(indicator)
        if value is None or isinstance(value, str):
            shown = value or "…"  # what the clerk typed ('khoảng 12'), or a gap left to fill
        elif float(value) >= 1000 and float(value).is_integer():
            shown = f"{int(value):,}".replace(",", ".")
        else:
            shown = _vn_number(float(value))
        out = out[:start] + shown + out[end + 1:]
    return out


class _Document:
    """A Word document written with python-docx the way the departments write theirs."""

    def __init__(self):
        import docx
        from docx.shared import Pt

        self.doc = docx.Document()
        self.doc.styles["Normal"].font.name = "Times New Roman"
        self.doc.styles["Normal"].font.size = Pt(14)
        self._lists = 0

    def numbering(self, fmt: str = "decimal", text: str = "%1.") -> int:
        """A list definition of the document's numbering part with one level; returns its num id
        (each call restarts the numbers)."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        def element(tag, **attrs):
            made = OxmlElement(tag)
            for key, value in attrs.items():
                made.set(qn(f"w:{key}"), str(value))
            return made

        part = self.doc.part.numbering_part.element
        self._lists += 1
        abstract = element("w:abstractNum", abstractNumId=50 + self._lists)
        level = element("w:lvl", ilvl=0)
        for tag, value in (("w:start", 1), ("w:numFmt", fmt), ("w:lvlText", text), ("w:lvlJc", "left")):
            level.append(element(tag, val=value))
        abstract.append(level)
        existing = part.findall(qn("w:num"))
        if existing:
            existing[0].addprevious(abstract)
        else:
            part.append(abstract)
        num = element("w:num", numId=80 + self._lists)
        num.append(element("w:abstractNumId", val=50 + self._lists))
        part.append(num)
        return 80 + self._lists

    def paragraph(self, text: str = "", *, bold: bool = False, style: str | None = None, numbered: int | None = None,
                  runs: list[tuple[str, bool]] | None = None, align_center: bool = False):
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        paragraph = self.doc.add_paragraph(style=style)
        for piece, piece_bold in (runs if runs is not None else ([(text, bold)] if text else [])):
            run = paragraph.add_run(piece)
            if piece_bold:
                run.bold = True
        if align_center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if numbered is not None:
            ppr = paragraph.paragraph_format.element.get_or_add_pPr()
            numpr = OxmlElement("w:numPr")
            for tag, value in (("w:ilvl", 0), ("w:numId", numbered)):
                made = OxmlElement(tag)
                made.set(qn("w:val"), str(value))
                numpr.append(made)
            ppr.append(numpr)
        return paragraph

    def numbered_style(self, name: str, num_id: int) -> str:
        """A bold paragraph style carrying the numbering itself."""
        from docx.enum.style import WD_STYLE_TYPE
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        style = self.doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = self.doc.styles["Normal"]
        style.font.bold = True
        numpr = OxmlElement("w:numPr")
        for tag, value in (("w:ilvl", 0), ("w:numId", num_id)):
            made = OxmlElement(tag)
            made.set(qn("w:val"), str(value))
            numpr.append(made)
        style.element.get_or_add_pPr().append(numpr)
        return name

    def title_block(self, unit_name: str, number: str, place_date: str, table: bool) -> None:
        lines_left = ["UBND HUYỆN CẨM XUYÊN", unit_name.upper(), number]
        lines_right = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", place_date]
        if table:
            grid = self.doc.add_table(rows=1, cols=2)
            for cell, lines in zip(grid.rows[0].cells, (lines_left, lines_right)):
                for at, line in enumerate(lines):
                    paragraph = cell.paragraphs[0] if at == 0 else cell.add_paragraph()
                    paragraph.add_run(line).bold = at in (1,) or (cell is grid.rows[0].cells[1] and at < 2)
            return
        for line in lines_left:
            self.paragraph(line, bold=line == unit_name.upper())
        for line in lines_right:
            self.paragraph(line, bold=line != place_date)

    def appendix(self, values: dict) -> None:
        """Phụ lục II at the end of the report: the letter's header (two rows, merged cells) and
        the department's own rows of section 6."""
        self.doc.add_page_break()
        self.paragraph("Phụ lục II", bold=True, align_center=True)
        self.paragraph("THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH", bold=True,
                       align_center=True)
        ids = ["6", "6.1", "6.2", "6.3", "6.4", "6.5"]
        table = self.doc.add_table(rows=2 + len(ids), cols=5)
        table.style = self.doc.styles["Table Grid"]
        head = ["STT", "Chỉ tiêu thống kê (Sử dụng trong kỳ báo cáo hàng quý, 6 tháng, năm)", "Kết quả thống kê",
                "", "Ghi chú"]
        for c, text in enumerate(head):
            if text:
                table.cell(0, c).text = text
        table.cell(1, 2).text, table.cell(1, 3).text = "Đơn vị tính", "Số liệu"
        table.cell(0, 0).merge(table.cell(1, 0))
        table.cell(0, 1).merge(table.cell(1, 1))
        table.cell(0, 4).merge(table.cell(1, 4))
        table.cell(0, 2).merge(table.cell(0, 3))
        for r, indicator in enumerate(ids, start=2):
            row = _by_id()[indicator]
            value = values.get(indicator)
            cells = [row["printed"], row["name"], row["unit"],
                     "" if value is None or row["kind"] == "group" else _vn_number(float(value)), row["note"]]
            for c, text in enumerate(cells):
                if text:
                    table.cell(r, c).text = text


def write_report(path, unit: str, period: str, values: dict, *, style: str | None = None,
                 drop: tuple[str, ...] = (), appendix: bool = False) -> pathlib.Path:
    """Write department ``unit``'s Phụ lục I report of ``period`` to ``path`` in its style
    (:data:`STYLES`), leaving out the headings in ``drop``; ``values`` fill the numbers of its
    paragraphs; ``appendix`` adds its Phụ lục II table at the end. Returns the path."""
    style = style or STYLES[unit]
    name = _unit_names()[unit]
    title = period_title(period)
    year = int(period[:4])
    d = _Document()
    d.title_block(name, f"Số: {random.Random(unit + period).randint(10, 99)}/BC-{unit}",
                  f"Cẩm Xuyên, ngày {_deadline(period).day - 1} tháng {_deadline(period).month} năm {year}",
                  table=style in ("caps_table_title", "heading_styles"))
    d.paragraph("BÁO CÁO", bold=True, align_center=True)
    d.paragraph(f"Kết quả thực hiện công tác cải cách hành chính {title}", bold=True, align_center=True)
    d.paragraph(f"Thực hiện Văn bản của Ủy ban nhân dân huyện về việc báo cáo CCHC {title}, {name} báo cáo kết quả "
                f"công tác CCHC {title} như sau:")
    content = [(h, [_text(t, values, year) for t in texts]) for h, texts in CONTENT[unit] if h not in drop]
    parts_list = d.numbering("upperRoman", "%1.") if style == "numbered" else None
    headings_list = style_name = None
    part, seven = None, False
    for heading, texts in content:
        own_part = heading.split(".")[0]
        if own_part != part and own_part in PARTS:
            part = own_part
            _part(d, style, part, period, parts_list)
            if style == "numbered":  # the headings of each part numbered from 1 again
                headings_list = d.numbering()
            elif style == "style_numbered":
                style_name = d.numbered_style(f"Muc bao cao {part}", d.numbering())
        if heading == "IV":  # a part the outline does not have
            d.paragraph("IV. ĐỀ XUẤT, KIẾN NGHỊ", bold=True)
            for text in texts:
                d.paragraph(text)
            continue
        if heading == "III":
            tasks = d.numbering() if style == "numbered" else None
            for number, text in enumerate(texts, start=1):
                d.paragraph(text, numbered=tasks) if tasks else d.paragraph(f"{number}. {text}")
            continue
        if heading.startswith("I.7.") and not seven:
            seven = True
            _heading(d, style, "7", TITLES["I.7"][1], headings_list, style_name)
        number, words = TITLES[heading]
        words = REWORDED.get(unit, {}).get(heading, words)
        if style == "run_in":
            d.paragraph(f"{number}. {words}: {texts[0]}")
            texts = texts[1:]
        else:
            _heading(d, style, number, words, headings_list, style_name)
        for text in texts:
            d.paragraph(text)
    d.paragraph(f"Trên đây là báo cáo kết quả thực hiện công tác CCHC {title} của {name}./.")
    d.paragraph("Nơi nhận:", bold=True)
    d.paragraph("- UBND huyện (qua phòng Nội vụ);")
    d.paragraph("- Lưu: VT.")
    d.paragraph("TRƯỞNG PHÒNG" if unit != "VP" else "CHÁNH VĂN PHÒNG", bold=True)
    if appendix:
        d.appendix(values)
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    d.doc.core_properties.author = name
    d.doc.save(path)
    return path


def _part(d: _Document, style: str, part: str, period: str, parts_list: int | None) -> None:
    words = PARTS[part]
    if part == "III":
        ahead = {"H1": f"6 THÁNG CUỐI NĂM {period[:4]}"}.get(period[5:], f"NĂM {int(period[:4]) + 1}")
        words = f"{words} TRONG {ahead}"
    if style == "numbered":
        d.paragraph(words, bold=True, numbered=parts_list)
    elif style == "style_numbered":
        d.paragraph(f"{part}. {words}", bold=True)
    elif style == "heading_styles":
        d.doc.add_heading(f"{part}. {words}", level=1)
    elif style == "caps_table_title":
        d.paragraph(words)  # capitals, no number, no bold
    else:
        d.paragraph(f"{part}. {words}", bold=True)


def _heading(d: _Document, style: str, number: str, words: str, headings_list: int | None,
             style_name: str | None) -> None:
    if style == "numbered":
        d.paragraph(words, bold=True, numbered=headings_list)
    elif style == "style_numbered":
        d.paragraph(words, style=style_name)
    elif style == "heading_styles":
        d.doc.add_heading(words, level=3 if "." in number else 2)
    else:
        d.paragraph(f"{number}. {words}", bold=True)


def make_documents(root, manifest: dict, seed: int = 0) -> dict:
    """Write each department's Phụ lục I report for every period of a sample workspace (see the
    module docstring; ``manifest`` as :func:`cchc_analysis.samples.make_sample` returns it, at
    least its ``periods``) and add them to each period's ``submissions.csv``: a report arrives
    half an hour before its department's workbook. Returns ``{"documents": {period: [{"file",
    "unit", "style", "received_at"}]}, "planted": [...]}`` (the problems planted, as
    :func:`~cchc_analysis.samples.make_sample` lists them). Deterministic for a seed."""
    rng = random.Random(seed)
    raw = pathlib.Path(root) / "data" / "raw"
    periods = list(manifest["periods"])
    newest = max(periods, key=lambda p: (_deadline(p), p))
    documents: dict[str, list[dict]] = {}
    planted: list[dict] = []
    for period in periods:
        directory = raw / period
        deadline = _deadline(period)
        tag = {"H1": "6 thang"}.get(period[5:], f"nam {period[:4]}")
        workbooks = {f["unit"]: f["received_at"] for f in manifest.get("files", {}).get(period, []) if f.get("unit")}
        listed = []
        for unit in SAMPLE_UNITS:
            if period == newest and unit == "VHTT":
                continue  # sends nothing this period (its workbook is missing too)
            values = (manifest.get("values", {}).get(period, {}).get(unit)
                      or plausible_values(unit, random.Random(f"{seed}-{unit}-{period}")))
            drop = ("II.2",) if period == newest and unit == "TP" else ()
            if not (unit == "VP" and period == newest):
                drop += ("IV",)
            name = FILE_NAMES[unit].format(tag=tag)
            table = unit == "TCKH" and period == newest
            write_report(directory / name, unit, period, values, drop=drop, appendix=table)
            if unit in workbooks:
                when = dt.datetime.fromisoformat(workbooks[unit]) - dt.timedelta(minutes=30)
            else:
                when = deadline - dt.timedelta(days=1, hours=rng.randint(1, 6))
            listed.append({"file": name, "unit": unit, "style": STYLES[unit],
                           "received_at": when.isoformat(timespec="seconds")})
            if "II.2" in drop:
                planted.append({"period": period, "unit": unit, "indicator": "II.2", "check": "missing-section",
                                "detail": "Báo cáo Phụ lục I của Phòng Tư pháp thiếu mục 'II.2 Nguyên nhân'.",
                                "file": name})
            if "IV" not in drop:
                planted.append({"period": period, "unit": unit, "indicator": "", "check": "unknown-section",
                                "detail": "Báo cáo Phụ lục I của Văn phòng thêm mục 'IV. ĐỀ XUẤT, KIẾN NGHỊ' ngoài "
                                          "đề cương.", "file": name})
            if table:
                planted.append({"period": period, "unit": unit, "indicator": "", "check": "duplicate-submission",
                                "detail": "Phòng Tài chính - Kế hoạch gửi văn bản Word có bảng Phụ lục II rồi gửi tệp "
                                          "Excel cùng số liệu: số liệu của tệp gửi sau được dùng.", "file": name})
        if period == newest:
            planted.append({"period": period, "unit": "VHTT", "indicator": "", "check": "missing-report",
                            "detail": f"{_unit_names()['VHTT']} không gửi báo cáo Phụ lục I.", "file": None})
        _add_submissions(directory, listed)
        documents[period] = listed
    return {"documents": documents, "planted": planted}


def _add_submissions(directory: pathlib.Path, listed: list[dict]) -> None:
    """Add the documents' received times to ``submissions.csv`` (kept in time order) and set each
    file's modification time to match."""
    path = directory / "submissions.csv"
    rows = []
    if path.is_file():
        with open(path, encoding="utf-8", newline="") as handle:
            rows = [(r["file"], r["received_at"]) for r in csv.DictReader(handle)]
    known = {name for name, _ in rows}
    rows += [(item["file"], item["received_at"]) for item in listed if item["file"] not in known]
    rows.sort(key=lambda r: (r[1], r[0]))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "received_at"])
        writer.writerows(rows)
    for item in listed:
        stamp = dt.datetime.fromisoformat(item["received_at"]).timestamp()
        os.utime(directory / item["file"], (stamp, stamp))
