"""Hand-made Word documents for the tests: a thin layer over python-docx that writes a paragraph
the way a department's clerk would (bold, a Word heading style, capitals, Word's automatic
numbering through ``w:numPr`` on the paragraph or on its style, NFD text), a title block as
paragraphs or as a borderless table, and tables with merged cells.

Nothing here comes from the package under test."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt


def _el(tag: str, **attrs) -> object:
    element = OxmlElement(tag)
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), str(value))
    return element


class Doc:
    """One Word document being written."""

    def __init__(self):
        self.doc = docx.Document()
        self._abstract = None
        self._nums = 0

    # ---- numbering (w:numbering part) -------------------------------------------------------

    def numbering(self, levels=(("upperRoman", "%1."), ("decimal", "%2."), ("decimal", "%2.%3."))) -> int:
        """A new list definition (``w:abstractNum`` with the given levels) and one ``w:num``
        using it; returns the num id. Each call restarts the numbering."""
        part = self.doc.part.numbering_part.element
        abstract_id = 100 + self._nums
        add_abstract_num(part, abstract_id, levels)
        self._nums += 1
        return add_num(part, 200 + self._nums, abstract_id)

    def numbered_style(self, name: str, num_id: int, level: int, bold: bool = True) -> str:
        """A paragraph style whose own ``w:pPr`` carries the numbering (the number is the style's)."""
        style = self.doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = self.doc.styles["Normal"]
        style.font.bold = bold
        ppr = style.element.get_or_add_pPr()
        numpr = _el("w:numPr")
        numpr.append(_el("w:ilvl", val=level))
        numpr.append(_el("w:numId", val=num_id))
        ppr.append(numpr)
        return name

    # ---- paragraphs -------------------------------------------------------------------------

    def p(self, text: str = "", *, bold=False, caps=False, style=None, numbered=None, nfd=False, runs=None):
        """A paragraph. ``numbered=(num_id, level)`` puts ``w:numPr`` on the paragraph; ``runs``
        a list of (text, bold) pieces instead of ``text``; ``caps`` the 'all caps' format."""
        paragraph = self.doc.add_paragraph(style=style)
        pieces = runs if runs is not None else ([(text, bold)] if text else [])
        for piece, piece_bold in pieces:
            run = paragraph.add_run(unicodedata.normalize("NFD", piece) if nfd else piece)
            if piece_bold:
                run.bold = True
            if caps:
                run.font.all_caps = True
        if numbered is not None:
            num_id, level = numbered
            ppr = paragraph.paragraph_format.element.get_or_add_pPr()
            numpr = _el("w:numPr")
            numpr.append(_el("w:ilvl", val=level))
            numpr.append(_el("w:numId", val=num_id))
            ppr.append(numpr)
        return paragraph

    def heading(self, text: str, level: int):
        """A paragraph in Word's built-in ``Heading <level>`` style."""
        return self.doc.add_heading(text, level=level)

    def title_block(self, agency: str, unit: str, *, table: bool = False, number: str = "Số: 15/BC-PTP",
                    place: str = "Cẩm Xuyên, ngày 14 tháng 6 năm 2021"):
        """The title block: as paragraphs, or as a borderless two-column table (as most
        departments' templates have it)."""
        if table:
            grid = self.doc.add_table(rows=1, cols=2)
            left, right = grid.rows[0].cells
            left.paragraphs[0].add_run(agency)
            left.add_paragraph().add_run(unit).bold = True
            left.add_paragraph(number)
            right.paragraphs[0].add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").bold = True
            right.add_paragraph().add_run("Độc lập - Tự do - Hạnh phúc").bold = True
            right.add_paragraph(place)
        else:
            self.p(agency)
            self.p(unit, bold=True)
            self.p(number)
            self.p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
            self.p("Độc lập - Tự do - Hạnh phúc", bold=True)
            self.p(place)

    def table(self, rows: list[list], merges=(), header_rows: int = 0):
        """A bordered table of texts; ``merges`` are (row0, col0, row1, col1) blocks merged
        with python-docx's ``merge`` (horizontal spans and vertical merges); ``header_rows``
        first rows marked to repeat at every page (``w:tblHeader``)."""
        width = max(len(r) for r in rows)
        table = self.doc.add_table(rows=len(rows), cols=width)
        table.style = self.doc.styles["Table Grid"]
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                if value not in (None, ""):
                    table.cell(r, c).text = str(value)
        for r0, c0, r1, c1 in merges:
            table.cell(r0, c0).merge(table.cell(r1, c1))
        rows_xml = self.doc.element.body.findall(qn("w:tbl"))[-1].findall(qn("w:tr"))
        for tr in rows_xml[:header_rows]:
            tr.get_or_add_trPr().append(_el("w:tblHeader"))
        return table

    def page_break(self):
        self.doc.add_page_break()

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        for style in ("Normal",):
            self.doc.styles[style].font.size = Pt(13)
        self.doc.save(path)
        return path


def add_abstract_num(part, abstract_id: int, levels=(), *, style_link: str | None = None,
                     num_style_link: str | None = None) -> None:
    """A list definition (``w:abstractNum``) in the numbering part ``part``: its levels as
    (number format, level text), or a list style it defines (``w:styleLink``) or refers to
    (``w:numStyleLink``). Placed before the ``w:num`` elements, as Word requires."""
    abstract = _el("w:abstractNum", abstractNumId=abstract_id)
    if style_link or num_style_link:
        abstract.append(_el("w:multiLevelType", val="multilevel"))
        abstract.append(_el("w:numStyleLink" if num_style_link else "w:styleLink", val=num_style_link or style_link))
    for level, (fmt, text) in enumerate(levels):
        lvl = _el("w:lvl", ilvl=level)
        lvl.append(_el("w:start", val=1))
        lvl.append(_el("w:numFmt", val=fmt))
        lvl.append(_el("w:lvlText", val=text))
        lvl.append(_el("w:lvlJc", val="left"))
        abstract.append(lvl)
    nums = part.findall(qn("w:num"))
    if nums:
        nums[0].addprevious(abstract)
    else:
        part.append(abstract)


def add_num(part, num_id: int, abstract_id: int, restart: bool = False) -> int:
    """A ``w:num`` using list definition ``abstract_id`` (``restart``: its first level starts at 1
    again); returns ``num_id``."""
    num = _el("w:num", numId=num_id)
    num.append(_el("w:abstractNumId", val=abstract_id))
    if restart:
        override = _el("w:lvlOverride", ilvl=0)
        override.append(_el("w:startOverride", val=1))
        num.append(override)
    part.append(num)
    return num_id
