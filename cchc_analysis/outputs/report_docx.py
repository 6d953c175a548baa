"""The district's draft report of a period, ``reports/<period>/bao-cao-<period>.docx``.

The analyst used to open each department's Word report, copy its paragraphs under the right
heading of the district's own report, type the numbers into sentences and paste the Phụ lục II
table at the end. This module writes that draft from the checked period:

- the title block of a Vietnamese administrative document (the district's name, ``Số: .../BC-UBND``,
  the place and ``ngày ... tháng ... năm``), ``BÁO CÁO`` and the subject naming the period;
- the opening sentence naming the request it answers (``[requests."<period>"]`` of the settings:
  the document's number, its date and who sent it; ``...`` where it is not configured);
- the Phụ lục I outline (``catalogue/<year>/narrative.csv``): under each heading first one or two
  sentences made from the consolidated values and the comparison with the same period a year
  earlier (the templates of the outline's ``sentences`` column; a value that is missing is said
  plainly, "chưa có số liệu", never guessed), then each department's own paragraphs for that
  heading, each department marked ``[Phòng ...]``, in the registry's order, and a mark for a
  department that was expected to write the heading and did not;
- parts II and III compiled the same way; text the departments wrote outside the outline at the
  end of part III, marked for the analyst to place or drop;
- the closing sentence, ``Nơi nhận`` and the signature block, with ``...`` where only a person can
  write; then, on a new page, the consolidated Phụ lục II in the letter's layout (STT, Chỉ tiêu
  thống kê, Kết quả thống kê: Đơn vị tính | Số liệu, Ghi chú; its two header rows repeated on
  every page).

Layout of Decree 30/2020/NĐ-CP: A4 portrait, Times New Roman 14 pt (13 pt in tables), margins
top and bottom 20 mm, left 30 mm, right 15 mm, page numbers centred at the top from page 2.

Numbers are formatted from the data, the Vietnamese way (``1.234``, ``87,5 %``):
:func:`heading_sentences` returns each sentence with the facts it quotes, so a test can check
that every number equals the consolidated value it names.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..catalogue import narrative_records, parse_choices, sentence_tokens, token_indicators
from ..periods import Period
from ..text import is_missing
from . import report

if TYPE_CHECKING:  # pragma: no cover
    from ..pipeline import PeriodData

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 13
MISSING = "chưa có số liệu"
PLACEHOLDER = "..."
UNASSIGNED_NOTE = ("[Nội dung các phòng viết ngoài đề cương Phụ lục I: cần xem và xếp vào mục phù hợp, "
                   "hoặc bỏ nếu không cần]")
TABLE_HEADER = ("STT", "Chỉ tiêu thống kê\n(Sử dụng trong kỳ báo cáo hàng quý, 6 tháng, năm)", "Kết quả thống kê",
                "Ghi chú")
TABLE_SUBHEADER = ("Đơn vị tính", "Số liệu")
#: column widths of the Phụ lục II table (mm): STT, Chỉ tiêu, Đơn vị tính, Số liệu, Ghi chú
TABLE_WIDTHS_MM = (18, 70, 24, 22, 31)
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}


# --------------------------------------------------------------------------------------------
# sentences from the numbers


@dataclass
class Fact:
    """One number a sentence quotes: the indicator(s) it comes from (two for a rate ``A/B``),
    its value and the text shown."""

    indicators: tuple[str, ...]
    value: float
    shown: str
    kind: str = "value"  # value, rate, change


@dataclass
class Sentence:
    """A generated sentence and the facts it quotes."""

    text: str
    facts: list[Fact] = field(default_factory=list)
    complete: bool = True  # False when a value was missing and the plain form was written


def _values(data: "PeriodData") -> dict[str, float]:
    c = data.consolidated
    if c is None or not len(c):
        return {}
    out = {}
    for indicator, value in zip(c["indicator"].astype(str), pd.to_numeric(c["value"], errors="coerce")):
        if not is_missing(value) and math.isfinite(float(value)):
            out[indicator] = float(value)
    return out


def _same_period_last_year(data: "PeriodData") -> tuple[dict[str, float], Period]:
    """The consolidated values of the same period a year earlier (from the comparison)."""
    ref = data.period.last_year()
    c = data.comparison
    if c is None or not len(c):
        return {}, ref
    part = c[c["ref"] == "last_year"]
    values = pd.to_numeric(part["ref_value"], errors="coerce")
    return {i: float(v) for i, v in zip(part["indicator"].astype(str), values) if not is_missing(v)}, ref


def _unit_word(unit: str) -> str:
    """The catalogue's unit as a word in a sentence ('Nhiệm vụ' -> 'nhiệm vụ'); '' for '%' and for
    units that are not words (a decision's number)."""
    unit = report.nfc(unit).strip().rsplit(",", 1)[-1].strip()  # 'Cơ quan, đơn vị' -> 'đơn vị'
    if not unit or unit == "%" or any(ch.isdigit() for ch in unit) or len(unit) > 20:
        return ""
    return _lower_first(unit)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def format_number(value: float, kind: str, choices: str = "") -> str:
    """A value in a sentence: counts ``1.234``, percents ``87,5 %``, codes by their label."""
    if kind == "percent":
        return report.percent(value)
    if kind == "code":
        label = parse_choices(choices).get(int(round(value))) if choices else None
        return _lower_first(label) if label else report.number(value)
    if kind == "count" and float(value).is_integer():
        return report.number(value, 0)
    return report.number(value)


def _comparison_words(period: Period, ref: Period) -> str:
    if period.kind == "Y":
        return f"năm {ref.year}"
    return f"cùng kỳ năm {ref.year}"


def render(template: str, data: "PeriodData", catalogue: pd.DataFrame | None = None) -> Sentence:
    """One sentence template of the outline filled from the period's consolidated values.

    Tokens: ``{year}``, ``{period}``, ``{ID}`` (a value), ``{A/B}`` (A as a percentage of B),
    ``{~ID}`` (', tăng 3 nhiệm vụ so với cùng kỳ năm 2020'; nothing when last year's value is
    not known). When a value or a rate cannot be given, the sentence is written plainly instead:
    each indicator it names with its value or 'chưa có số liệu'."""
    catalogue = data.catalogue if catalogue is None else catalogue
    index = catalogue.set_index("id", drop=False) if len(catalogue) else catalogue
    values = _values(data)
    last, ref = _same_period_last_year(data)
    facts: list[Fact] = []
    missing = False

    def spec(indicator: str):
        return index.loc[indicator] if indicator in index.index else None

    def replace(match: re.Match) -> str:
        nonlocal missing
        token = match.group(1)
        if token == "year":
            return str(data.period.year)
        if token == "period":
            return data.period.title
        if token.startswith("~"):
            indicator = token[1:]
            row = spec(indicator)
            if indicator not in values or indicator not in last or row is None:
                return ""
            change = values[indicator] - last[indicator]
            where = _comparison_words(data.period, ref)
            if abs(change) < 1e-9:
                facts.append(Fact((indicator,), 0.0, "", "change"))
                return f", bằng {where}"
            if row["kind"] == "percent":
                shown = f"{report.number(abs(change), 1)} điểm phần trăm"
            else:
                shown = f"{report.number(abs(change))} {_unit_word(row['unit'])}".strip()
            facts.append(Fact((indicator,), change, shown.split(" ")[0], "change"))
            return f", {'tăng' if change > 0 else 'giảm'} {shown} so với {where}"
        if "/" in token:
            part, whole = token.split("/", 1)
            if part not in values or whole not in values or values[whole] == 0:
                missing = True
                return MISSING
            rate = report.ratio(values[part], values[whole])
            shown = report.percent(rate)
            facts.append(Fact((part, whole), rate, shown, "rate"))
            return shown
        row = spec(token)
        if token not in values or row is None:
            missing = True
            return MISSING
        shown = format_number(values[token], row["kind"], row["choices"])
        facts.append(Fact((token,), values[token], shown))
        return shown

    text = re.sub(r"\{([^{}]*)\}", replace, template)
    if not missing:
        return Sentence(_tidy(text), facts)
    return _plain(template, data, index, values)


def _plain(template: str, data: "PeriodData", index: pd.DataFrame, values: dict[str, float]) -> Sentence:
    """A template that names a missing value, written plainly: 'Số nhiệm vụ đề ra trong kế
    hoạch: 31 nhiệm vụ; số nhiệm vụ đã hoàn thành: chưa có số liệu.'"""
    named: list[str] = []
    for token in sentence_tokens(template):
        if token.startswith("~"):
            continue
        for indicator in token_indicators(token):
            if indicator not in named:
                named.append(indicator)
    parts, facts = [], []
    for position, indicator in enumerate(named):
        if indicator not in index.index:
            continue
        row = index.loc[indicator]
        name = report.nfc(row["name"]).rstrip(" .:")
        name = name if position == 0 else _lower_first(name)
        if indicator in values:
            shown = format_number(values[indicator], row["kind"], row["choices"])
            word = _unit_word(row["unit"]) if row["kind"] in ("count", "score") else ""
            facts.append(Fact((indicator,), values[indicator], shown))
            parts.append(f"{name}: {shown}{' ' + word if word else ''}")
        else:
            parts.append(f"{name}: {MISSING}")
    return Sentence(_tidy("; ".join(parts) + "."), facts, complete=False)


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.;:)])", r"\1", text)
    return text[:1].upper() + text[1:]


def heading_sentences(data: "PeriodData", heading: dict) -> list[Sentence]:
    """The sentences written under one heading of the outline (a row of
    :func:`~cchc_analysis.catalogue.narrative_records`), from its templates."""
    return [render(template, data) for template in heading.get("sentences", [])]


# --------------------------------------------------------------------------------------------
# what goes where


def _live_narrative(data: "PeriodData") -> pd.DataFrame:
    n = data.narrative
    if n is None or not len(n):
        return pd.DataFrame(columns=["period", "unit", "heading", "text", "source_file", "paragraph", "superseded"])
    return n[~n["superseded"].astype(bool)]


def department_paragraphs(data: "PeriodData") -> dict[str, list[tuple[str, list[str]]]]:
    """Heading id -> [(unit code, its paragraphs in document order)], units in the registry's
    order (``''`` holds the text written outside the outline)."""
    live = _live_narrative(data)
    order = {code: i for i, code in enumerate(data.units["code"])} if data.units is not None else {}
    out: dict[str, list[tuple[str, list[str]]]] = {}
    if not len(live):
        return out
    live = live.assign(_u=live["unit"].map(lambda u: order.get(u, len(order))))
    for heading, part in live.groupby("heading", sort=False):
        blocks = []
        for unit, rows in part.sort_values(["_u", "unit", "source_file", "paragraph"]).groupby(["_u", "unit"], sort=True):
            blocks.append((unit[1], [report.nfc(t) for t in rows["text"]]))
        out[str(heading)] = blocks
    return out


# --------------------------------------------------------------------------------------------
# the document


def _district(settings: dict) -> tuple[str, str, str]:
    """(the agency in the title block, e.g. 'ỦY BAN NHÂN DÂN\\nHUYỆN CẨM XUYÊN'; the place,
    'Cẩm Xuyên'; the agency in a sentence, 'Ủy ban nhân dân huyện Cẩm Xuyên')."""
    district = (settings or {}).get("district", {}) or {}
    name = report.nfc(district.get("name", "UBND huyện")).strip()
    full = re.sub(r"^(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+", "Ủy ban nhân dân ", name, flags=re.IGNORECASE)
    rest = full[len("Ủy ban nhân dân "):] if full.startswith("Ủy ban nhân dân ") else full
    place = report.nfc(district.get("place", "")) or re.sub(r"^(?:huyện|thị xã|thành phố|quận|tỉnh)\s+", "", rest,
                                                             flags=re.IGNORECASE)
    agency = f"ỦY BAN NHÂN DÂN\n{rest.upper()}" if full.startswith("Ủy ban nhân dân") else full.upper()
    return agency, place, full


def _request(settings: dict, period: Period) -> dict:
    """The request this period's report answers (``[requests."<period>"]``): ``document`` (e.g.
    'Công văn số 1006/SNV-CCHC&VTVL'), ``date``, ``issuer``; empty when not configured."""
    found = ((settings or {}).get("requests") or {}).get(period.id) or {}
    return {k: found.get(k) for k in ("document", "date", "issuer") if found.get(k)}


def _letter_date(value) -> str:
    """'08/6/2021', as letters write a date."""
    when = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{when.day:02d}/{when.month}/{when.year}"


def opening_sentence(data: "PeriodData") -> str:
    """'Thực hiện Công văn số 1006/SNV-CCHC&VTVL ngày 08/6/2021 của Sở Nội vụ về việc báo cáo cải
    cách hành chính (CCHC) 6 tháng đầu năm 2021, Ủy ban nhân dân huyện Cẩm Xuyên báo cáo ... như
    sau:' (``...`` where the request is not configured)."""
    request = _request(data.settings, data.period)
    _, _, full = _district(data.settings)
    title = data.period.title
    document = report.nfc(request.get("document") or f"Văn bản số {PLACEHOLDER}")
    when = _letter_date(request["date"]) if request.get("date") else f"{PLACEHOLDER}/{PLACEHOLDER}/{data.period.year}"
    issuer = report.nfc(request.get("issuer") or PLACEHOLDER)
    return (f"Thực hiện {document} ngày {when} của {issuer} về việc báo cáo cải cách hành chính (CCHC) {title}, "
            f"{full} báo cáo kết quả công tác CCHC {title} như sau:")


def tasks_ahead(period: Period) -> str:
    """The time part III looks ahead to: '6 tháng cuối năm 2021', 'quý III năm 2021', 'năm 2022'."""
    if period.kind == "H1":
        return f"6 tháng cuối năm {period.year}"
    if period.kind == "9M":
        return f"quý IV năm {period.year}"
    if period.kind == "Q" and period.quarter < 4:
        return f"quý {['I', 'II', 'III', 'IV'][period.quarter]} năm {period.year}"
    return f"năm {period.year + 1}"


def _heading_title(heading: dict, period: Period) -> str:
    if heading["id"] == heading["part"]:
        title = heading["title"]
        if heading["part"] == "III":
            title = f"{title} TRONG {tasks_ahead(period).upper()}"
        return f"{heading['part']}. {title}"
    return f"{heading['number']}. {heading['title']}"


class _Writer:
    """python-docx calls, in the house style."""

    def __init__(self):
        import docx
        from docx.enum.section import WD_ORIENT
        from docx.shared import Mm, Pt

        self.doc = docx.Document()
        self.Pt, self.Mm = Pt, Mm
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
        section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
        section.header_distance = section.footer_distance = Mm(10)
        self._fonts()
        self._page_numbers(section)

    def _fonts(self) -> None:
        """Times New Roman everywhere: the document defaults (which name the theme's fonts in a
        new python-docx document) and the Normal style."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        styles = self.doc.styles
        normal = styles["Normal"]
        normal.font.name = FONT
        normal.font.size = self.Pt(BODY_PT)
        defaults = styles.element.find(qn("w:docDefaults"))
        for holder in ([defaults] if defaults is not None else []) + [normal.element]:
            for rpr in holder.iter(qn("w:rPr")):
                fonts = rpr.find(qn("w:rFonts"))
                if fonts is None:
                    fonts = OxmlElement("w:rFonts")
                    rpr.insert(0, fonts)
                for attribute in list(fonts.attrib):
                    if attribute.endswith("Theme"):
                        del fonts.attrib[attribute]
                for which in ("ascii", "hAnsi", "eastAsia", "cs"):
                    fonts.set(qn(f"w:{which}"), FONT)
        fmt = normal.paragraph_format
        fmt.space_before, fmt.space_after, fmt.line_spacing = self.Pt(0), self.Pt(6), 1.1

    def _page_numbers(self, section) -> None:
        """The page number centred at the top, from the second page (Decree 30): a PAGE field
        (begin, instruction, end) in three runs of the header's paragraph."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        section.different_first_page_header_footer = True
        paragraph = section.header.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for kind in ("begin", "instr", "end"):
            run = paragraph.add_run()
            run.font.name, run.font.size = FONT, self.Pt(BODY_PT)
            if kind == "instr":
                instruction = OxmlElement("w:instrText")
                instruction.set(qn("xml:space"), "preserve")
                instruction.text = " PAGE "
                run.element.append(instruction)
            else:
                mark = OxmlElement("w:fldChar")
                mark.set(qn("w:fldCharType"), kind)
                run.element.append(mark)

    def paragraph(self, text: str = "", *, bold=False, italic=False, size=None, align=None, indent=True,
                  before=None, after=None, color=None, keep=False):
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import RGBColor

        paragraph = self.doc.add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                         "left": WD_ALIGN_PARAGRAPH.LEFT, None: WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
        if indent and align is None:
            fmt.first_line_indent = self.Mm(10)
        if before is not None:
            fmt.space_before = self.Pt(before)
        if after is not None:
            fmt.space_after = self.Pt(after)
        if keep:
            fmt.keep_with_next = True
        if text:
            run = paragraph.add_run(_safe(text))
            run.bold, run.italic = bold or None, italic or None
            run.font.name = FONT
            run.font.size = self.Pt(size or BODY_PT)
            if color:
                run.font.color.rgb = RGBColor.from_string(color)
        return paragraph

    def lines(self, cell, lines: list[tuple[str, dict]], align="center") -> None:
        """Paragraphs in a table cell (the title block, the signature)."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        first = True
        for text, style in lines:
            paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
            first = False
            paragraph.paragraph_format.alignment = (WD_ALIGN_PARAGRAPH.CENTER if align == "center"
                                                    else WD_ALIGN_PARAGRAPH.LEFT)
            paragraph.paragraph_format.space_after = self.Pt(0)
            paragraph.paragraph_format.first_line_indent = None
            if text:
                run = paragraph.add_run(_safe(text))
                run.bold, run.italic = style.get("bold") or None, style.get("italic") or None
                run.underline = style.get("underline") or None
                run.font.name, run.font.size = FONT, self.Pt(style.get("size", 13))

    def table(self, rows: int, cols: int, widths_mm: tuple[int, ...], grid: bool):
        table = self.doc.add_table(rows=rows, cols=cols)
        if grid:
            table.style = self.doc.styles["Table Grid"]
        table.autofit = False
        for column, width in zip(table.columns, widths_mm):
            column.width = self.Mm(width)
        for row in table.rows:
            for cell, width in zip(row.cells, widths_mm):
                cell.width = self.Mm(width)
        return table

    def last_table_element(self):
        from docx.oxml.ns import qn

        return self.doc.element.body.findall(qn("w:tbl"))[-1]


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _safe(text: str) -> str:
    """Text a Word document can hold (no control characters)."""
    return _XML_UNSAFE.sub("", report.nfc(text))


def _title_block(w: _Writer, data: "PeriodData") -> None:
    agency, place, _ = _district(data.settings)
    table = w.table(1, 2, (58, 110), grid=False)
    left, right = table.rows[0].cells
    agency_lines = agency.split("\n")
    w.lines(left, [(agency_lines[0], {"bold": False, "size": 13})]
            + [(line, {"bold": True, "size": 13}) for line in agency_lines[1:]]
            + [("", {}), (f"Số: {PLACEHOLDER}/BC-UBND", {"size": 13})])
    w.lines(right, [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", {"bold": True, "size": 13}),
                    ("Độc lập - Tự do - Hạnh phúc", {"bold": True, "size": 14}),
                    ("", {}),
                    (f"{place}, ngày {PLACEHOLDER} tháng {PLACEHOLDER} năm {data.period.year}",
                     {"italic": True, "size": 14})])
    w.paragraph("BÁO CÁO", bold=True, align="center", before=18, after=0)
    w.paragraph(f"Kết quả thực hiện công tác cải cách hành chính {data.period.title}", bold=True, align="center",
                after=12)


def _unit_label(w: _Writer, name: str, note: str = "") -> None:
    w.paragraph(f"[{name}{': ' + note if note else ''}]", bold=True, italic=True, indent=False, align="left",
                color="1F3864", keep=True, before=3, after=3)


def _body(w: _Writer, data: "PeriodData", outline: list[dict]) -> None:
    names = report.unit_names(data)
    by_heading = department_paragraphs(data)
    sent = set(_live_narrative(data)["unit"])
    owe = [code for code in data.units["code"] if code not in sent and any(code in h["units"] for h in outline)]
    if owe:
        w.paragraph("[Chưa nhận được báo cáo Phụ lục I (văn bản) của: "
                    + ", ".join(names.get(code, code) for code in owe) + "]", bold=True, italic=True, indent=False,
                    align="left", color="7F2704")
    for heading in outline:
        part = heading["id"] == heading["part"]
        w.paragraph(_heading_title(heading, data.period), bold=True, italic=heading["depth"] == 2,
                    indent=not part, keep=True, before=6)
        sentences = heading_sentences(data, heading)
        for sentence in sentences:
            w.paragraph(sentence.text)
        written = by_heading.get(heading["id"], [])
        for unit, paragraphs in written:
            _unit_label(w, names.get(unit, unit))
            for text in paragraphs:
                w.paragraph(text)
        wrote = {unit for unit, _ in written}
        for unit in heading["units"]:
            if unit in sent and unit not in wrote:
                _unit_label(w, names.get(unit, unit), "chưa có nội dung mục này")
        if not sentences and not written and heading["units"]:
            w.paragraph(PLACEHOLDER)
        if heading["id"] == "III" and by_heading.get(""):
            w.paragraph(UNASSIGNED_NOTE, italic=True, indent=False, align="left", color="7F2704", before=12)
            for unit, paragraphs in by_heading[""]:
                _unit_label(w, names.get(unit, unit))
                for text in paragraphs:
                    w.paragraph(text)


def _closing(w: _Writer, data: "PeriodData") -> None:
    request = _request(data.settings, data.period)
    _, _, full = _district(data.settings)
    issuer = report.nfc(request.get("issuer") or PLACEHOLDER)
    w.paragraph(f"Trên đây là báo cáo kết quả thực hiện công tác CCHC {data.period.title} và một số nhiệm vụ trọng tâm "
                f"{tasks_ahead(data.period)} của {full}, kính báo cáo {issuer} tổng hợp./.", before=6, keep=True)
    table = w.table(1, 2, (80, 85), grid=False)
    _rows_whole(w.last_table_element())
    left, right = table.rows[0].cells
    w.lines(left, [("Nơi nhận:", {"bold": True, "italic": True, "size": 13}),
                   (f"- {issuer};", {"size": 13}),
                   ("- Chủ tịch, các PCT UBND huyện;", {"size": 13}),
                   ("- Lưu: VT, NV.", {"size": 13})], align="left")
    w.lines(right, [("TM. ỦY BAN NHÂN DÂN", {"bold": True, "size": 14}),
                    ("KT. CHỦ TỊCH", {"bold": True, "size": 14}),
                    ("PHÓ CHỦ TỊCH", {"bold": True, "size": 14}),
                    ("", {}), ("", {}),
                    (PLACEHOLDER, {"bold": True, "size": 14})])


def _rows_whole(element, header: int = 0) -> None:
    """Rows of a table element kept whole on a page (``cantSplit``); the first ``header`` rows
    repeated at the top of every page (``tblHeader``)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for number, tr in enumerate(element.findall(qn("w:tr"))):
        trpr = tr.find(qn("w:trPr"))
        if trpr is None:
            trpr = OxmlElement("w:trPr")
            tr.insert(0, trpr)
        trpr.append(OxmlElement("w:cantSplit"))
        if number < header:
            trpr.append(OxmlElement("w:tblHeader"))


def _appendix(w: _Writer, data: "PeriodData") -> None:
    """The consolidated Phụ lục II in the letter's layout."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    _, _, full = _district(data.settings)
    w.doc.add_page_break()
    w.paragraph("Phụ lục II", bold=True, align="center", after=0)
    w.paragraph("THỐNG KÊ SỐ LIỆU VỀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH", bold=True, align="center",
                after=0)
    w.paragraph(f"{full.upper()} — {data.period.title.upper()}", bold=True, align="center", after=0)
    w.paragraph(f"(Kèm theo Báo cáo số {PLACEHOLDER}/BC-UBND ngày {PLACEHOLDER} của {full}; số liệu tính từ "
                f"{report.day(data.period.start)} đến {report.day(data.period.end)})", italic=True, align="center",
                after=6)
    catalogue = data.catalogue
    values = _values(data)
    table = w.table(2 + len(catalogue), 5, TABLE_WIDTHS_MM, grid=True)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head, sub = table.rows[0].cells, table.rows[1].cells

    def put(cell, text, *, bold=False, italic=False, align="left"):
        paragraph = cell.paragraphs[0]
        paragraph.paragraph_format.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                                                "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]
        paragraph.paragraph_format.space_after = w.Pt(0)
        paragraph.paragraph_format.first_line_indent = None
        paragraph.paragraph_format.line_spacing = 1.0
        lines = str(text or "").split("\n")
        for number, line in enumerate(lines):
            run = paragraph.add_run(_safe(line))
            run.bold, run.italic = bold or None, (italic or (number > 0 and bold)) or None
            run.font.name, run.font.size = FONT, w.Pt(TABLE_PT)
            if number < len(lines) - 1:
                run.add_break()

    put(head[0], TABLE_HEADER[0], bold=True, align="center")
    put(head[1], TABLE_HEADER[1], bold=True, align="center")
    put(head[2], TABLE_HEADER[2], bold=True, align="center")
    put(head[4], TABLE_HEADER[3], bold=True, align="center")
    put(sub[2], TABLE_SUBHEADER[0], bold=True, align="center")
    put(sub[3], TABLE_SUBHEADER[1], bold=True, align="center")
    head[0].merge(sub[0])
    head[1].merge(sub[1])
    head[4].merge(sub[4])
    head[2].merge(head[3])
    for r, item in enumerate(catalogue.itertuples(index=False), start=2):
        cells = table.rows[r].cells
        group = item.kind == "group"
        name = report.nfc(item.name)
        if str(item.description or "").strip():
            name = f"{name}\n{report.nfc(item.description)}"
        value = None if group else values.get(item.id)
        put(cells[0], report.nfc(item.printed), bold=group, align="center")
        put(cells[1], name, bold=group)
        put(cells[2], report.nfc(item.unit), align="center")
        put(cells[3], "" if value is None else report.format_value(value, item.kind, item.choices), align="right")
        put(cells[4], report.nfc(item.note))
    _rows_whole(w.last_table_element(), header=2)  # no row split by a page break; the header on every page


def write_report_docx(data: "PeriodData", path: Path | str, outline: list[dict] | None = None) -> Path:
    """Write the district's draft report of ``data`` to ``path`` (see the module docstring);
    ``outline``: the Phụ lục I outline (default: the catalogue's for the period's year)."""
    path = Path(path)
    outline = outline if outline is not None else narrative_records(data.period.year, data.root)
    w = _Writer()
    _title_block(w, data)
    w.paragraph(opening_sentence(data))
    _body(w, data, outline)
    _closing(w, data)
    _appendix(w, data)
    props = w.doc.core_properties
    props.title = f"Báo cáo cải cách hành chính {data.period.title}"
    props.author = "cchc_analysis"
    props.language = "vi-VN"
    path.parent.mkdir(parents=True, exist_ok=True)
    w.doc.save(path)
    return path
