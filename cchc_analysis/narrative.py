"""What was written: the departments' Phụ lục I reports (Word) -> paragraphs under the outline.

The letter asks each department for a narrative report in the outline of Phụ lục I (parts I, II
and III, the headings of ``catalogue/<year>/narrative.csv``) beside the numbers of Phụ lục II.
This module reads those reports, one Word document each, and files every paragraph under the
heading it was written under, whatever way the department typed its headings:

- Word heading styles (``Heading 2``) or an outline level set on the paragraph;
- bold paragraphs, or paragraphs in capitals;
- numbers typed in the text (``1.``, ``1/``, ``I.``, ``7.1.``, ``Phần II``) — the heading's words
  decide, the number only breaks a tie (``1. Tồn tại, hạn chế`` is II.1, not I.1);
- Word's automatic numbering (``w:numPr`` on the paragraph or its style): the number is drawn
  by Word and is not in the text at all, and it may not be the outline's number, so only the
  words count;
- headings shortened or reworded (``Cải cách TTHC``, ``Về công tác chỉ đạo, điều hành``,
  ``2. Cải cách thể chế: Phòng đã ...`` with the content on the same line).

Matching compares folded words (:func:`cchc_analysis.text.fold`) with each heading's title and
aliases, each also written with its usual abbreviations and with them written out (``Xây dựng
CQĐT`` is ``Xây dựng chính quyền điện tử``; ``TTHC``, ``CNTT``, ``CCHC``, ``DN``...); within part III
(a numbered list of tasks) numbered lines are tasks, not headings. Text under a heading the outline
does not have (``IV. ĐỀ XUẤT, KIẾN NGHỊ``, also when numbered as a part of the outline: ``III.
KIẾN NGHỊ, ĐỀ XUẤT`` — the words decide, not the number) is kept with the heading ``''`` and an
``unknown-section`` finding; a sub-heading typed with a number the outline does not have under a
heading whose sub-headings it has (``7.3. Dịch vụ công trực tuyến`` after 7.1, 7.2) is kept, with
its text, under that heading (I.7). A heading a unit is expected to write that is absent or empty
is a ``missing-section`` finding. The title block, the subject under ``BÁO CÁO`` (up to the line
naming the period, even when its words are a part's title: ``Kết quả thực hiện công tác cải cách
hành chính Quý I năm 2021``), the opening sentence, the closing sentence (``Trên đây là báo cáo
...``) and the signature are the document's frame, not content; a ``Trên đây là ...`` followed by
a part heading (typed ``II.`` or in a heading style) before ``Nơi nhận`` or a signature concluded a
part, and is content of the heading it was written under; a sentence written after the
recipients and the signature (:func:`_written_after_the_end`) is kept under ``''`` with an
``unknown-section`` finding.

What is content although it starts with a heading's words: an item of a list (a bullet, Word's
bullets, a line ending with ``;`` unless a heading leads it followed by its text after a colon or
in bold, a plain line right after content ending with ``:`` or ``;`` with no typed number or one
continuing the list's numbering that is not the heading's own, :func:`_list_item`),
and a sentence in bold for emphasis (no typed number, Word numbering or heading style, three words
or more after the heading's title and a full stop at its end: ``Ứng dụng CNTT được đẩy mạnh trong
giải quyết hồ sơ.``). Parts are typed ``I.``, ``I/``, ``PHẦN I``, ``MỤC I``, ``PHẦN THỨ NHẤT``.

A department's numbers are its own; the words decide, the number only breaks a tie:

- a typed number names a heading by itself (:func:`_by_number`) only when the document does not
  write that heading by its words further on (:func:`_worded_headings`): a unit that numbers its
  own areas 1, 2, 3... (``3. Công tác tuyên truyền`` before ``4. Cải cách thủ tục hành chính``)
  has a ``3.`` that is not the outline's 3, and its text is kept under ``''`` with an
  ``unknown-section`` finding; so is a part typed ``III. ĐÁNH GIÁ CHUNG`` when ``IV. NHIỆM VỤ
  TRỌNG TÂM`` names part III later;
- a bold line numbered next in the document's own sequence (``7. Công tác kiểm tra`` after its
  ``6.``) that names no heading is a heading the outline does not have (``''``, with a finding),
  not a paragraph of the heading before it;
- a part line (``I.``, or ``A.``–``E.`` on a line in capitals) whose words name a heading rather
  than a part is that heading, from any part: the newer outline's ``I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU
  HÀNH`` is I.1, ``B. TỒN TẠI, HẠN CHẾ`` is II.1; when the heading's own line follows (``II. TỒN
  TẠI, HẠN CHẾ`` / ``1. Tồn tại, hạn chế``) that line is the heading's, not content;
- 'các' and 'những' are not compared (``KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ CCHC`` is part I).

A bold label ending with ``:`` that names a heading of another part (``Tồn tại, hạn chế:``,
``Khó khăn, vướng mắc:`` inside heading 3) is a sub-point of the current heading, as are
``a) Kết quả:``, ``* ...``, ``+``, ``•``, ``–`` items. A ``Trên đây là ...`` followed by a heading
typed with a number or in a Word heading style or numbering (``7.2. Áp dụng ISO ...``) concluded a
list, not the report. Word lists defined through a list style (``w:numStyleLink``) take their
levels, bullets or numbers, from that style's list. Characters that show nothing (zero-width
space, joiners, byte order mark, soft hyphen) are removed from the text. A table that is not
Phụ lục II keeps every non-empty cell of each row, also one repeating its neighbour's text.

Text is read from runs, hyperlinks, fields' results, smart tags, tracked insertions and content
controls; a content control still showing its placeholder (``w:showingPlcHdr``, the template's
'Nhấp hoặc gõ nhẹ vào đây để nhập văn bản.') is not the unit's text and is not read; the paragraphs
of a text box are read right after the paragraph it is anchored in, once (Word writes a text box
twice, as a shape and as its VML fallback).

A table inside the document that is Phụ lục II is turned into a
:class:`~cchc_analysis.workbook.SheetData` (merged cells resolved, named ``Bảng N`` after its
position among the document's tables) and read by the workbook reader's own table code
(:func:`cchc_analysis.ingest.sheet_table`, :func:`~cchc_analysis.ingest.read_table`): the same
row matching, values and findings as a workbook.

A ``.doc`` (Word 97-2003), ``.odt`` or ``.rtf`` is converted to ``.docx`` by LibreOffice
(``soffice --headless --convert-to docx``) when it is installed; otherwise it is a finding.
Documents are read, as workbooks are, in worker processes with a memory cap and a time limit
(:mod:`cchc_analysis.sandbox`), after the zip package has been measured.

Output (DESIGN.md): ``narrative`` rows ``period, unit, heading, text, source_file, paragraph,
superseded`` — ``paragraph`` the 1-based number of the paragraph in the document, counting every
paragraph in reading order (empty ones and those inside tables, text boxes and unfilled content
controls included; a table row is numbered by its first paragraph); ``superseded`` True for every
paragraph of a unit's earlier document when it sent a later one (received time, as for workbooks).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import findings as F
from .text import display_name, fold, nfc

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .ingest import _Context
    from .workbook import Limits, SheetData

NARRATIVE_COLUMNS = ["period", "unit", "heading", "text", "source_file", "paragraph", "superseded"]
#: documents read as Phụ lục I reports; the last three are converted by LibreOffice first
DOCUMENT_SUFFIXES = (".docx", ".docm", ".doc", ".odt", ".rtf")
CONVERTED_SUFFIXES = (".doc", ".odt", ".rtf")
#: ``files.csv`` status of a document read as a narrative report only (no Phụ lục II table in it)
NARRATIVE_STATUS = "narrative"
#: the heading of text that stands under no heading of the outline
UNASSIGNED = ""
#: seconds LibreOffice may take to convert the period's .doc files
CONVERT_SECONDS = 180

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RESEND = "đề nghị mở văn bản bằng Word, lưu lại dạng .docx rồi gửi lại"


# --------------------------------------------------------------------------------------------
# the outline, as the matcher uses it


#: words that lead into a heading without being part of it ("Về công tác ...", "Kết quả ...")
_FILLERS = sorted((w.split() for w in (
    "ve", "ve viec", "ve cong tac", "cong tac", "ket qua", "ket qua thuc hien", "ket qua cong tac", "tinh hinh",
    "tinh hinh thuc hien", "viec", "thuc hien", "trien khai", "doi voi", "nhung", "mot so", "cac", "linh vuc",
    "trong", "trong cong tac", "cong tac thuc hien", "nhiem vu",
)), key=len, reverse=True)
#: abbreviations clerks write in headings ('Cải cách TTHC', 'Xây dựng CQĐT'), folded, with the
#: folded words they stand for: each title and alias is matched written out and abbreviated
_ABBREVIATIONS = {
    "cchc": "cai cach hanh chinh", "tthc": "thu tuc hanh chinh", "cntt": "cong nghe thong tin",
    "cqdt": "chinh quyen dien tu", "cpdt": "chinh phu dien tu", "cqs": "chinh quyen so", "cps": "chinh phu so",
    "dn": "doanh nghiep", "nsnn": "ngan sach nha nuoc", "vbqppl": "van ban quy pham phap luat",
    "hcnn": "hanh chinh nha nuoc", "cbccvc": "can bo cong chuc vien chuc", "dvsncl": "don vi su nghiep cong lap",
    "htqlcl": "he thong quan ly chat luong",
}
#: determiners clerks add or leave out anywhere in a heading ('Kết quả thực hiện các nhiệm vụ
#: CCHC', 'Những tồn tại, hạn chế'): not compared
_DETERMINERS = frozenset(("cac", "nhung"))
#: sections departments often add that the outline does not have
_EXTRA_SECTIONS = ("de xuat", "kien nghi", "de nghi", "de xuat kien nghi", "kien nghi de xuat")


def _abbreviated(phrase: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The phrase with every abbreviation of :data:`_ABBREVIATIONS` written out, and with every
    run of words an abbreviation stands for abbreviated ('ung dung cntt' <-> 'ung dung cong nghe
    thong tin'); a variant of one word ('tthc' for 'Thủ tục hành chính') is not kept."""
    expanded = tuple(w for word in phrase for w in _ABBREVIATIONS.get(word, word).split())
    short = " " + " ".join(expanded) + " "
    for abbreviation, words in sorted(_ABBREVIATIONS.items(), key=lambda item: -len(item[1])):
        short = short.replace(f" {words} ", f" {abbreviation} ")
    return {v for v in (expanded, tuple(short.split())) if len(v) > 1} - {phrase}


@dataclass(frozen=True)
class Heading:
    """One heading of the outline (a row of narrative.csv)."""

    id: str
    part: str
    number: str
    title: str
    depth: int
    order: int
    phrases: tuple[tuple[str, ...], ...]  # folded words of the title and aliases, longest first
    units: tuple[str, ...] = ()


class Outline:
    """The Phụ lục I outline prepared for matching: headings by id, by (part, number), and the
    folded word sequences of their titles and aliases."""

    def __init__(self, records: list[dict]):
        self.headings: list[Heading] = []
        for record in records:
            phrases = {tuple(w for w in fold(t).split() if w not in _DETERMINERS)
                       for t in [record["title"], *record["aliases"]] if fold(t)}
            phrases |= {variant for phrase in phrases for variant in _abbreviated(phrase)}
            self.headings.append(Heading(record["id"], record["part"], record["number"], nfc(record["title"]),
                                         record["depth"], record["order"],
                                         tuple(sorted(phrases, key=len, reverse=True)), tuple(record["units"])))
        self.by_id = {h.id: h for h in self.headings}
        self.parts = [h.id for h in self.headings if h.depth == 0]
        self.by_number = {(h.part, h.number): h.id for h in self.headings if h.number}
        top = {}
        for h in self.headings:
            if h.depth == 1 and h.number.isdigit():
                top[h.part] = max(top.get(h.part, 0), int(h.number))
        self.max_number = top

    @classmethod
    def load(cls, year: int, root: Path | None = None) -> "Outline":
        from .catalogue import narrative_records

        return cls(narrative_records(year, root))

    def label(self, heading_id: str) -> str:
        """``'I.3 Cải cách thủ tục hành chính'`` (the id and title)."""
        h = self.by_id.get(heading_id)
        return f"{heading_id} {h.title}" if h else heading_id

    def match(self, words: list[str]) -> list[tuple[str, int, int]]:
        """Headings whose title or alias starts ``words`` (after lead-in words such as 'Về',
        'Công tác', 'Kết quả'): ``(id, phrase length, words left over)``, best first (the
        longest phrase; then the fewest words left over). The determiners 'các', 'những' are not
        compared."""
        words = [w for w in words if w not in _DETERMINERS]
        starts = [words]
        rest = words
        for _ in range(3):
            for filler in _FILLERS:
                if rest[: len(filler)] == filler and len(rest) > len(filler):
                    rest = rest[len(filler):]
                    starts.append(rest)
                    break
            else:
                break
        found: dict[str, tuple[int, int]] = {}
        for start in starts:
            for h in self.headings:
                for phrase in h.phrases:
                    if tuple(start[: len(phrase)]) == phrase:
                        extra = len(start) - len(phrase)
                        best = found.get(h.id)
                        if best is None or (len(phrase), -extra) > (best[0], -best[1]):
                            found[h.id] = (len(phrase), extra)
                        break
        return sorted(((hid, n, extra) for hid, (n, extra) in found.items()), key=lambda t: (-t[1], t[2]))


# --------------------------------------------------------------------------------------------
# the document as blocks


@dataclass
class Block:
    """One paragraph of the document body (or, with ``table`` set, one row of a table that is not
    Phụ lục II), with what its formatting says about it being a heading."""

    paragraph: int  # 1-based number in the document (a table row: its first paragraph)
    text: str  # NFC, white space folded
    table: int | None = None  # 1-based number of the table a row belongs to
    bold: bool = False  # every character bold
    bold_prefix: str = ""  # the leading bold text, when the rest of the paragraph is not bold
    caps: bool = False  # shown in capitals (typed so, or the 'all caps' format)
    numbered: bool = False  # Word automatic numbering (numPr on the paragraph or its style)
    bullet: bool = False  # a Word bulleted list item (numPr whose level draws a bullet): content
    styled: bool = False  # a heading style or an outline level
    level: int | None = None  # the outline level (heading style, outlineLvl) or numbering level
    cells: tuple[str, ...] = ()  # a table row's cell texts
    first_line: "Block | None" = None  # a paragraph broken into lines: its first line
    rest: str = ""  # ... and the lines after it


@dataclass
class DocTable:
    """A table of the document: its grid as a sheet, its number among the document's tables and
    the paragraph number of each of its rows."""

    number: int
    sheet: "SheetData"
    paragraphs: list[int]
    width: int


def _on(element, default: bool = True) -> bool:
    """A Word toggle property (``<w:b/>``, ``<w:b w:val="0"/>``)."""
    if element is None:
        return default
    value = element.get(_W + "val")
    return value is None or value.lower() not in ("0", "false", "off", "none")


class _Styles:
    """What the document's styles say about bold, capitals, numbering and outline levels, each
    style's chain of base styles followed (python-docx's ``document.styles``)."""

    def __init__(self, document):
        from docx.enum.style import WD_STYLE_TYPE

        self._by_id = {}
        for style in document.styles:
            try:
                self._by_id[style.style_id] = style
            except Exception:  # noqa: BLE001 - a style without id: unusable, skipped
                continue
        try:
            default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
        except Exception:  # noqa: BLE001
            default = None
        self.default_paragraph = default.style_id if default is not None else None
        self._cache: dict[tuple[str | None, str], object] = {}
        self._formats = _list_formats(document)

    def bullet(self, numbered: tuple[str | None, int] | None) -> bool:
        """Whether Word draws a bullet (or nothing), not a number, for this list and level."""
        if numbered is None:
            return False
        num_id, level = numbered
        return self._formats.get(num_id or "", {}).get(level, "decimal") in ("bullet", "none")

    def _chain(self, style_id: str | None):
        style = self._by_id.get(style_id) if style_id else None
        seen = 0
        while style is not None and seen < 20:
            yield style
            seen += 1
            try:
                style = style.base_style
            except Exception:  # noqa: BLE001
                style = None

    def prop(self, style_id: str | None, what: str):
        """``bold``, ``caps`` (True/False/None), ``numbered`` (ilvl or None), ``level``
        (outline level or None) of a style, inherited along its base styles."""
        key = (style_id, what)
        if key in self._cache:
            return self._cache[key]
        found = None
        for style in self._chain(style_id):
            element = style.element
            if what in ("bold", "caps"):
                rpr = element.find(_W + "rPr")
                tag = _W + ("b" if what == "bold" else "caps")
                if rpr is not None and rpr.find(tag) is not None:
                    found = _on(rpr.find(tag))
                    break
            elif what == "numbered":
                num = element.find(f"{_W}pPr/{_W}numPr")
                if num is not None:
                    found = _list_of(num)
                    break
            elif what == "level":
                name = fold(style.name or "")
                heading = re.fullmatch(r"heading (\d)", name)
                if heading:
                    found = int(heading.group(1)) - 1
                    break
                if name == "title":
                    found = 0
                    break
                outline = element.find(f"{_W}pPr/{_W}outlineLvl")
                if outline is not None:
                    value = _int(outline.get(_W + "val"), 9)
                    found = value if value < 9 else None
                    break
        self._cache[key] = found
        return found


def _int(text, default: int) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _list_of(num) -> tuple[str | None, int] | None:
    """(list id, level) of a ``w:numPr`` element; None when it switches numbering off (id 0)."""
    num_id = num.find(_W + "numId")
    value = num_id.get(_W + "val") if num_id is not None else None
    if value == "0":
        return None
    ilvl = num.find(_W + "ilvl")
    return value, _int(ilvl.get(_W + "val") if ilvl is not None else 0, 0)


def _list_formats(document) -> dict[str, dict[int, str]]:
    """List id -> level -> number format ('decimal', 'upperRoman', 'bullet', ...), from the
    document's numbering part (python-docx's ``numbering_part``)."""
    try:
        numbering = document.part.numbering_part.element
    except Exception:  # noqa: BLE001 - no usable numbering part: every list counts as numbered
        return {}
    abstract: dict[str, dict[int, str]] = {}
    linked: dict[str, str] = {}  # abstractNum id -> the list style it takes its levels from
    for element in numbering.iterchildren(_W + "abstractNum"):
        levels = {}
        for lvl in element.iterchildren(_W + "lvl"):
            fmt = lvl.find(_W + "numFmt")
            levels[_int(lvl.get(_W + "ilvl"), 0)] = fmt.get(_W + "val", "decimal") if fmt is not None else "decimal"
        abstract[element.get(_W + "abstractNumId", "")] = levels
        link = element.find(_W + "numStyleLink")
        if link is not None and link.get(_W + "val"):
            linked[element.get(_W + "abstractNumId", "")] = link.get(_W + "val")
    nums = {}
    for element in numbering.iterchildren(_W + "num"):
        ref = element.find(_W + "abstractNumId")
        nums[element.get(_W + "numId", "")] = ref.get(_W + "val", "") if ref is not None else ""
    if linked:
        # a list defined through a list style (w:numStyleLink): its levels are those of the list
        # the list style's own w:numPr points to
        style_num = {}
        for style in document.styles.element.iterchildren(_W + "style"):
            num = style.find(f"{_W}pPr/{_W}numPr/{_W}numId")
            if style.get(_W + "type") == "numbering" and num is not None:
                style_num[style.get(_W + "styleId", "")] = num.get(_W + "val", "")
        for abstract_id, style_id in linked.items():
            target = nums.get(style_num.get(style_id, ""), "")
            if target != abstract_id and abstract.get(target):
                abstract[abstract_id] = abstract[target]
    return {num_id: abstract.get(abstract_id, {}) for num_id, abstract_id in nums.items()}


#: characters that show nothing and may sit inside a word (zero-width space and joiners, word
#: joiner, byte order mark, soft hyphen): removed from the text read
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))

_SKIPPED = {_W + "del", _W + "moveFrom", _W + "txbxContent", _W + "instrText", _W + "delText", _MC + "AlternateContent",
            _W + "pPr", _W + "rPr", _W + "fldData"}


def _placeholder(sdt) -> bool:
    """A content control showing its placeholder text (``w:showingPlcHdr``: 'Nhấp hoặc gõ nhẹ vào
    đây để nhập văn bản.'): the template's prompt, not something the unit wrote; not read."""
    return _on(sdt.find(f"{_W}sdtPr/{_W}showingPlcHdr"), default=False)


def _runs(p) -> list[tuple[str, object]]:
    """The text runs of a paragraph element in order: (text, run element); deleted text (tracked
    changes), text boxes (read as paragraphs of their own, :func:`_text_boxes`), field codes and
    content controls showing their placeholder are left out; inserted text, hyperlinks, fields'
    results, smart tags and content controls are read."""
    out: list[tuple[str, object]] = []

    def walk(element, run) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIPPED:
                continue
            if tag == _W + "r":
                walk(child, child)
            elif tag == _W + "sdt" and _placeholder(child):
                continue
            elif tag == _W + "t":
                out.append(((child.text or "").translate(_INVISIBLE), run))
            elif tag == _W + "tab":
                out.append(("\t", run))
            elif tag in (_W + "br", _W + "cr"):
                out.append(("\n", run))
            elif tag == _W + "noBreakHyphen":
                out.append(("-", run))
            else:
                walk(child, run)

    walk(p, None)
    return out


def _paragraph(p, number: int, styles: _Styles) -> Block:
    """A :class:`Block` from a paragraph element."""
    ppr = p.find(_W + "pPr")
    style_id = None
    numbered, level = False, None
    if ppr is not None:
        pstyle = ppr.find(_W + "pStyle")
        style_id = pstyle.get(_W + "val") if pstyle is not None else None
    style_id = style_id or styles.default_paragraph
    num = ppr.find(_W + "numPr") if ppr is not None else None
    from_style = styles.prop(style_id, "numbered")
    if num is not None:
        listed = _list_of(num)
        if listed is not None and listed[0] is None:  # a level without a list: the style's list
            listed = (from_style[0] if from_style else None, listed[1])
    else:
        listed = from_style
    bullet = styles.bullet(listed)
    numbered = listed is not None and not bullet
    level_of_list = listed[1] if numbered else None
    outline = ppr.find(_W + "outlineLvl") if ppr is not None else None
    if outline is not None and _int(outline.get(_W + "val"), 9) < 9:
        styled_level = _int(outline.get(_W + "val"), 9)
    else:
        styled_level = styles.prop(style_id, "level")
    styled = styled_level is not None
    level = styled_level if styled else (level_of_list if numbered else None)
    style_bold = bool(styles.prop(style_id, "bold"))
    style_caps = bool(styles.prop(style_id, "caps"))
    runs = _runs(p)
    pieces: list[tuple[str, bool, bool]] = []
    run_props: dict[int, tuple[bool, bool]] = {}
    for text, run in runs:
        if run is None:
            pieces.append((text, style_bold, style_caps))
            continue
        key = id(run)
        if key not in run_props:
            rpr = run.find(_W + "rPr")
            bold, caps = style_bold, style_caps
            if rpr is not None:
                rstyle = rpr.find(_W + "rStyle")
                if rstyle is not None:
                    rs = rstyle.get(_W + "val")
                    bold = styles.prop(rs, "bold") if styles.prop(rs, "bold") is not None else bold
                    caps = styles.prop(rs, "caps") if styles.prop(rs, "caps") is not None else caps
                if rpr.find(_W + "b") is not None:
                    bold = _on(rpr.find(_W + "b"))
                if rpr.find(_W + "caps") is not None:
                    caps = _on(rpr.find(_W + "caps"))
            run_props[key] = (bold, caps)
        pieces.append((text, *run_props[key]))
    block = Block(number, "", numbered=numbered, styled=styled, level=level, bullet=bullet)
    _shape(block, pieces)
    if "\n" in "".join(t for t, _, _ in pieces).strip():
        # lines broken inside the paragraph (Shift+Enter): the first line may be a heading
        head: list[tuple[str, bool, bool]] = []
        for at, (t, b, c) in enumerate(pieces):
            if "\n" in t and "".join(x for x, _, _ in head + [(t.split("\n")[0], b, c)]).strip():
                first, _, rest = t.partition("\n")
                head.append((first, b, c))
                line = Block(number, "", numbered=numbered, styled=styled, level=level, bullet=bullet)
                _shape(line, head)
                block.first_line = line
                block.rest = nfc(rest + "".join(x for x, _, _ in pieces[at + 1:]))
                break
            head.append((t, b, c))
    return block


def _shape(block: Block, pieces: list[tuple[str, bool, bool]]) -> None:
    """Set a block's text (NFC, white space folded), and whether it is bold, in capitals or led
    by bold words, from its (text, bold, caps) pieces."""
    block.text = nfc("".join(t for t, _, _ in pieces))
    visible = [(t, b, c) for t, b, c in pieces if t.strip()]
    block.bold = bool(visible) and all(b for _, b, _ in visible)
    letters = [ch for t, _, c in visible for ch in (t.upper() if c else t) if ch.isalpha()]
    block.caps = len(letters) >= 4 and all(not ch.islower() for ch in letters)
    block.bold_prefix = ""
    if visible and not block.bold and visible[0][1]:
        lead = []
        for t, b, _ in pieces:
            if t.strip() and not b:
                break
            lead.append(t)
        block.bold_prefix = nfc("".join(lead))


def _table(tbl, number: int, counter: list[int], limits: "Limits") -> DocTable:
    """A table element as a sheet: one row per ``w:tr``, a cell's text in the grid column where
    it starts, merged cells (``gridSpan``, ``vMerge``) listed as a workbook lists them, with the
    text in the top-left cell only."""
    from .workbook import SheetData

    rows: list[list] = []
    merged: list[tuple[int, int, int, int]] = []
    paragraphs: list[int] = []
    open_down: dict[int, list[int]] = {}  # grid column -> [top row, left column, right column, last row]
    width = 0
    for r, tr in enumerate(tbl.iterchildren(_W + "tr")):
        if r >= limits.max_rows:
            break
        row: list = []
        first_paragraph = None
        column = 0
        trpr = tr.find(_W + "trPr")
        if trpr is not None and trpr.find(_W + "gridBefore") is not None:
            try:
                column = int(trpr.find(_W + "gridBefore").get(_W + "val", "0"))
            except ValueError:
                column = 0
        row.extend([""] * column)
        for tc in tr.iterchildren(_W + "tc"):
            tcpr = tc.find(_W + "tcPr")
            span, merge = 1, None
            if tcpr is not None:
                gs = tcpr.find(_W + "gridSpan")
                if gs is not None:
                    try:
                        span = max(1, int(gs.get(_W + "val", "1")))
                    except ValueError:
                        span = 1
                vm = tcpr.find(_W + "vMerge")
                if vm is not None:
                    merge = vm.get(_W + "val") or "continue"
            texts = []
            for p in tc.iter(_W + "p"):
                if any(a.tag == _MC + "Fallback" for a in p.iterancestors()):
                    continue  # a text box's second copy (see _text_boxes)
                counter[0] += 1
                if first_paragraph is None:
                    first_paragraph = counter[0]
                if any(a.tag == _W + "sdt" and _placeholder(a) for a in p.iterancestors()):
                    continue  # a content control's placeholder text: not the unit's
                texts.append(nfc("".join(t for t, _ in _runs(p))))
            text = "\n".join(t for t in texts if t)
            if merge == "continue" and column in open_down:
                open_down[column][3] = r
                row.extend([""] * span)
            else:
                if column in open_down:  # a vertical merge ended above this cell
                    top, left, right, last = open_down.pop(column)
                    if last > top or right > left:
                        merged.append((top, left, last, right))
                if merge == "restart":
                    open_down[column] = [r, column, column + span - 1, r]
                elif span > 1:
                    merged.append((r, column, r, column + span - 1))
                row.append(text)
                row.extend([""] * (span - 1))
            column += span
        for c in [c for c, entry in open_down.items() if entry[3] < r]:
            top, left, right, last = open_down.pop(c)
            if last > top or right > left:
                merged.append((top, left, last, right))
        width = max(width, len(row))
        rows.append(row)
        paragraphs.append(first_paragraph or counter[0])
    for top, left, right, last in open_down.values():
        if last > top or right > left:
            merged.append((top, left, last, right))
    width = min(width, limits.max_cols)
    rows = [(row + [""] * (width - len(row)))[:width] for row in rows]
    sheet = SheetData(f"Bảng {number}", rows, merged, total_rows=len(rows), total_cols=width)
    return DocTable(number, sheet, paragraphs, width)


def _layout_table(tbl) -> bool:
    """A table of one column used to frame the text (each row a single cell): not a table of
    data."""
    rows = list(tbl.iterchildren(_W + "tr"))
    return bool(rows) and all(len(list(row.iterchildren(_W + "tc"))) <= 1 for row in rows)


def _text_boxes(p) -> list:
    """The text boxes (``w:txbxContent``) anchored in a paragraph, each once: Word 2010+ writes a
    text box twice, as a shape (``mc:Choice``) and as its VML picture (``mc:Fallback``), and only
    the first is read; a text box inside another is read with the one holding it."""
    boxes = []
    for box in p.iter(_W + "txbxContent"):
        ancestor = box.getparent()
        inner = False
        while ancestor is not None and ancestor is not p:
            if ancestor.tag in (_MC + "Fallback", _W + "txbxContent"):
                inner = True
                break
            ancestor = ancestor.getparent()
        if not inner:
            boxes.append(box)
    return boxes


def document_items(document, limits: "Limits") -> list[Block | DocTable]:
    """The body of a python-docx ``Document`` in reading order: a :class:`Block` per paragraph
    (empty ones included, so that numbering is the document's) and a :class:`DocTable` per table.
    Content controls (``w:sdt``) are opened; the paragraphs of a text box come right after the
    paragraph it is anchored in (:func:`_text_boxes`); paragraphs are numbered 1, 2, ... counting
    those inside tables and text boxes."""
    styles = _Styles(document)
    counter = [0]
    items: list[Block | DocTable] = []
    tables = 0

    def walk(container) -> None:
        nonlocal tables
        for child in container:
            tag = child.tag
            if tag == _W + "p":
                counter[0] += 1
                items.append(_paragraph(child, counter[0], styles))
                for box in _text_boxes(child):
                    walk(box)
            elif tag == _W + "tbl" and _layout_table(child):
                for row in child.iterchildren(_W + "tr"):  # a one-column frame around the text: its text
                    for cell in row.iterchildren(_W + "tc"):
                        walk(cell)
            elif tag == _W + "tbl":
                tables += 1
                items.append(_table(child, tables, counter, limits))
            elif tag == _W + "sdt" and _placeholder(child):
                for _ in child.iter(_W + "p"):  # numbered, not read (see _placeholder)
                    counter[0] += 1
                    items.append(Block(counter[0], ""))
            elif tag == _W + "sdt":
                content = child.find(_W + "sdtContent")
                if content is not None:
                    walk(content)
            elif tag in (_W + "customXml", _W + "ins", _W + "moveTo"):
                walk(child)

    walk(document.element.body)
    return items


# --------------------------------------------------------------------------------------------
# headings


_BULLET = re.compile(r"^\s*(?:[-+•*–—▪●○◦►➢✓→]|o\s)")
_ROMAN_PREFIX = re.compile(
    r"^\s*(?P<word>(?:PHẦN|Phần|phần|PHAN|Phan|MỤC|Mục|mục)\s+)?(?P<roman>VIII|VII|VI|IV|IX|III|II|I|V|X)\b\s*"
    r"(?P<mark>[.:/)\-–])?\s*(?P<rest>.*)$")
_PART_WORD = re.compile(r"^\s*(?:PHẦN|Phần|phần)\s+(?:THỨ|thứ)\s+(?P<word>\w+)\b\s*[.:\-–]?\s*(?P<rest>.*)$")
_ROMAN_DOTTED = re.compile(r"^\s*(?P<roman>III|II|I)\.(?P<number>\d{1,2}(?:\.\d{1,2})?)\.?\s*(?P<rest>[^\d.\s].*)$")
_ARABIC_PREFIX = re.compile(
    r"^\s*(?:(?:Mục|mục|MỤC)\s+)?(?:(?P<deep>\d{1,2}(?:\.\d{1,2}){1,2})\.?\s*(?=[^\d.\s])|"
    r"(?P<deep2>\d{1,2}(?:\.\d{1,2}){1,2})\.?\s+|(?P<number>\d{1,2})\s*[./):\-–](?!\d)\s*)(?P<rest>.*)$")
_LETTER_PREFIX = re.compile(r"^\s*(?P<letter>[a-eđA-E])\s*[).]\s+(?P<rest>.*)$")
_ROMAN_VALUES = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
_PART_WORDS = {"nhat": 1, "hai": 2, "ba": 3, "tu": 4, "nam": 5}
_ROMANS = {1: "I", 2: "II", 3: "III"}
_CLOSING = re.compile(r"^(?:tren day la|noi nhan)")
_SIGNATURE = re.compile(
    r"^(?:nguoi lap( bieu)?|thu truong( co quan)?( don vi)?|truong phong|pho truong phong|ky ten|"
    r"giam doc|chanh van phong|pho chanh van phong|tm |kt |q truong phong|ke toan|nguoi ky)")
_OPENING = re.compile(r"^(?:thuc hien|can cu|theo|kinh gui|ve viec|v v|de co|nham)")


@dataclass
class Prefix:
    """The number typed before a heading: ``kind`` roman, arabic, letter or None; ``number`` as
    digits ('2' for 'II', '7.1'); ``part`` the roman part of 'I.1.'; ``rest`` the text after it."""

    kind: str | None
    number: str
    rest: str
    part: str = ""


def typed_prefix(text: str) -> Prefix:
    """The number typed before a heading: ``II.``, ``Phần II``, ``PHẦN THỨ HAI`` (roman, as '2'),
    ``7.1.``, ``1/``, ``3)``, ``I.1.`` (arabic, with the part), ``a)`` (letter); and the text
    after it. A numeral must be followed by a mark ('I.', '1/', '7.1 ' excepted): '6 tháng đầu
    năm' is not a heading numbered 6, nor is '15/6/2021'."""
    match = _PART_WORD.match(text)
    if match and fold(match.group("word")) in _PART_WORDS:
        return Prefix("roman", str(_PART_WORDS[fold(match.group("word"))]), match.group("rest"))
    match = _ROMAN_DOTTED.match(text)
    if match:
        return Prefix("arabic", match.group("number"), match.group("rest"), match.group("roman"))
    match = _ROMAN_PREFIX.match(text)
    if match and (match.group("word") or match.group("mark")):
        return Prefix("roman", str(_ROMAN_VALUES[match.group("roman")]), match.group("rest"))
    match = _ARABIC_PREFIX.match(text)
    if match:
        found = match.group("deep") or match.group("deep2") or match.group("number")
        return Prefix("arabic", found.replace(" ", ""), match.group("rest"))
    match = _LETTER_PREFIX.match(text)
    if match:
        return Prefix("letter", match.group("letter").lower(), match.group("rest"))
    return Prefix(None, "", text)


def _words(text: str) -> list[str]:
    return fold(text).split()


@dataclass
class Split:
    """A document split by the outline: ``rows`` (heading, text, paragraph) of the content in
    reading order, the headings found (id -> paragraph of the heading), ``unknown`` sections
    (the heading's text, its paragraph, the paragraphs under it), the frame's texts before the
    content (title block, subject, opening sentence: for the unit and the period)."""

    rows: list[tuple[str, str, int]] = field(default_factory=list)
    headings: dict[str, int] = field(default_factory=dict)
    unknown: list[dict] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    opening: str = ""


class _State:
    """Where the reading is: the part (I, II, III, '?' for a part the outline does not have),
    the heading (an id, '' for text under no heading of the outline, None before any), the
    stage (preamble, body, closing), the outline levels of the Word headings matched so far, the
    number typed before the document's last heading of a part (its own numbering, which may not be
    the outline's) and the paragraphs where the document writes each heading by its words
    (:func:`_worded_headings`)."""

    def __init__(self):
        self.part: str | None = None
        self.heading: str | None = None
        self.stage = "preamble"
        self.levels: dict[str, set[int]] = {"part": set(), "heading": set()}
        self.last_number: int | None = None
        self.worded: dict[str, list[int]] = {}
        self.on_part_line = False  # the current heading was named by a part's line (see _accept)


def _accept(outline: Outline, state: _State, hid: str, prefix: Prefix, block: Block, length: int, extra: int) -> bool:
    """Whether a paragraph whose words start with heading ``hid``'s title or alias (``length``
    words, ``extra`` words after them) is that heading here:

    - a part needs a roman number, capitals, a Word heading style or numbering; or bold and a
      title of three words or more; or a title of four words or more alone on its line;
    - in part III (a list of tasks) no other heading is taken;
    - a heading of another part than the current one (whose part heading is missing) needs its
      own typed number, Word's numbering or heading style, or its full title alone on a bold line
      not ending with ':' (a label 'Tồn tại, hạn chế:' inside a heading of part I is a sub-point of
      it); one of an earlier part (back from II to I) its own typed number, or Word's numbering or
      heading style at a level the document's headings use;
    - a line marked as a part (a roman number 'II.', or a capital letter 'B.' on a line in
      capitals) naming a heading by its words ('I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH', 'B. TỒN TẠI, HẠN
      CHẾ') is that heading, from whichever part it comes;
    - going back to an earlier heading needs its own typed number or Word's heading level;
    - otherwise any mark of a heading (number, numbering, style, bold, capitals, 'a)') on a
      short line, or nothing but the title on the line.
    """
    h = outline.by_id[hid]
    typed = prefix.kind in ("roman", "arabic")
    strong = typed or block.numbered or block.styled
    formatted = block.bold or block.caps
    part_line = prefix.kind == "roman" or (prefix.kind == "letter" and block.caps and block.text.lstrip()[:1].isupper())
    if h.depth == 0:
        if hid == state.part and prefix.kind != "roman":
            # the part's title on a second line ('PHẦN THỨ NHẤT' / 'KẾT QUẢ ...'), else content
            return state.heading == hid
        if prefix.kind == "roman" or block.caps or block.styled or block.numbered:
            return extra <= 12
        if block.bold or prefix.kind:
            return extra <= 4 and length >= 3
        return extra <= 1 and length >= 4
    if state.part == "III" or state.stage == "closing":
        return False
    if prefix.part and prefix.part != h.part:
        return False  # 'II.1. ...' is a heading of part II only
    if hid == state.heading and not state.on_part_line:
        # the current heading named again (a sub-heading inside it): content; but after a part line
        # naming it ('II. TỒN TẠI, HẠN CHẾ' / '1. Tồn tại, hạn chế') the heading's own line
        return False
    if state.part is not None and state.part != h.part and not prefix.part:
        # a heading of another part without that part's own heading line: its own number, Word's
        # numbering or style, or its full title (three words or more) alone on a bold line
        own_number = (prefix.kind == "arabic" and prefix.number == h.number) or part_line
        if state.part in outline.parts and outline.parts.index(h.part) < outline.parts.index(state.part):
            # back to an earlier part ('Cải cách công vụ' as a label among part II's limitations):
            # its own number, or Word's numbering or heading style at a level of its headings
            at_level = (block.numbered or block.styled) and block.level in state.levels["heading"]
            return extra <= 4 and (own_number or at_level)
        alone = ((block.bold or block.caps) and extra == 0 and length >= 3 and prefix.kind != "letter"
                 and not block.text.rstrip().endswith(":"))
        return extra <= 4 and (own_number or block.numbered or block.styled or alone)
    current = outline.by_id.get(state.heading or "")
    if current is not None and current.depth >= 1 and h.order < current.order and current.part == h.part:
        own_number = (prefix.kind == "arabic" and prefix.number == h.number) or part_line
        at_level = (block.numbered or block.styled) and block.level in state.levels["heading"]
        if not (own_number or at_level):
            return False
    if strong:
        return extra <= 14
    if formatted or prefix.kind == "letter":
        return extra <= 8
    return extra <= 1


def _by_number(outline: Outline, state: _State, prefix: Prefix, block: Block, words: list[str]) -> str | None:
    """A heading named by its typed number alone, its words beyond the aliases: a part 'I.'..
    'III.' on a short line; a heading of the current part on a short bold, capital or styled line,
    going forward only ('6. Đổi mới cơ chế tài chính ...' after heading 4 or 5, not after 7)."""
    if prefix.kind == "roman":
        number = int(prefix.number)
        if number in _ROMANS and len(words) <= 16 and _ROMANS[number] in outline.parts:
            return _ROMANS[number]
        return None
    part = prefix.part or state.part
    if prefix.kind != "arabic" or part in (None, "III", "?") or len(words) > 14:
        return None
    if not (block.bold or block.caps or block.styled):
        return None
    hid = outline.by_number.get((part, prefix.number))
    if hid is None:
        return None
    if prefix.part:
        return hid
    current = outline.by_id.get(state.heading or "")
    if current is None or current.depth == 0:
        return hid
    return hid if current.part == part and outline.by_id[hid].order > current.order else None


def _parent_by_number(outline: Outline, state: _State, prefix: Prefix, block: Block) -> str | None:
    """A sub-heading the outline does not have, typed under a heading whose sub-headings it has
    ('7.3. Dịch vụ công trực tuyến' after 7.1 and 7.2), on a bold, capital or styled line: the
    heading above it (I.7), under which the line and its text are filed, not under the
    sub-heading before it (7.2)."""
    if prefix.kind != "arabic" or "." not in prefix.number or not (block.bold or block.caps or block.styled):
        return None
    part = prefix.part or state.part
    parent = outline.by_number.get((part, prefix.number.rpartition(".")[0]))
    if parent is None or not (state.heading or "").startswith(parent + "."):
        return None
    return parent


def _extra_section(words: list[str]) -> bool:
    """Words naming a section departments add that the outline does not have ('Đề xuất, kiến
    nghị')."""
    joined = " ".join(words)
    return any(joined == e or joined.startswith(e + " ") for e in _EXTRA_SECTIONS)


def _unknown_heading(outline: Outline, state: _State, prefix: Prefix, block: Block, words: list[str]) -> bool:
    """A heading the outline does not have: 'IV. ĐỀ XUẤT, KIẾN NGHỊ', 'Kiến nghị' on its own,
    '12. Công tác tuyên truyền' (bold, beyond the part's last number), a Word heading at a level
    the outline's headings use in this document."""
    if not words or len(words) > 16:
        return False
    marked = bool(prefix.kind) or block.bold or block.caps or block.styled or block.numbered
    if _extra_section(words) and (marked or len(words) <= 4):
        return True
    if prefix.kind == "roman":
        return int(prefix.number) > 3 and (block.bold or block.caps or block.styled or len(words) <= 10)
    if state.part in ("III", None):
        return False
    formatted = block.bold or block.caps or block.styled
    if (prefix.kind == "arabic" and "." not in prefix.number and formatted and state.last_number is not None
            and int(prefix.number) == state.last_number + 1):
        return True  # the document's next heading ('7. Công tác kiểm tra' after its '6.'), not the outline's
    if prefix.kind == "arabic" and "." not in prefix.number and state.part in outline.max_number:
        return int(prefix.number) > outline.max_number[state.part] and formatted
    if block.styled and block.level is not None and not prefix.kind:
        return block.level in state.levels["part"] or block.level in state.levels["heading"]
    return False


def _worded_headings(items: list[Block], outline: Outline) -> dict[str, list[int]]:
    """Where the document writes a heading of the outline by its words on a line marked as a
    heading: a part on a line typed with a roman number, in capitals, a Word heading style or
    numbering; another heading on a line typed with a number, in a Word heading style or
    numbering, or bold and not ending with ':' (a label); the title or an alias with at most two
    words more and nothing after a colon. Up to the line naming part III (whose numbered tasks
    are not headings). Heading id -> paragraph numbers; a typed number does not name a heading
    the document writes by its words further on (see :func:`_classify`)."""
    out: dict[str, list[int]] = {}
    for block in items:
        text = block.text
        if block.table is not None or not text or block.bullet or _BULLET.match(text):
            continue
        prefix = typed_prefix(text)
        rest = prefix.rest.rstrip(" .")
        words = _words(rest)
        if not words or len(words) > 16 or ":" in rest.rstrip(":"):
            continue
        typed = prefix.kind in ("roman", "arabic") or block.numbered or block.styled
        found = [c for c in outline.match(words) if c[2] <= 2]
        if prefix.kind == "roman":
            found = [c for c in found if outline.by_id[c[0]].depth == 0] or found
        if not found:
            continue
        hid = found[0][0]
        if outline.by_id[hid].depth == 0:
            marked = prefix.kind == "roman" or block.caps or block.styled or block.numbered
        else:
            marked = typed or (block.bold and not rest.endswith(":"))
        if marked:
            out.setdefault(hid, []).append(block.paragraph)
            if hid == "III":
                break
    return out


def _is_closing(block: Block) -> bool:
    """'Trên đây là báo cáo ...', 'Nơi nhận:', or a signature line ('TRƯỞNG PHÒNG')."""
    words = _words(block.text)
    folded = " ".join(words)
    if _CLOSING.match(folded):
        return True
    return len(words) <= 6 and bool(_SIGNATURE.match(folded)) and (block.caps or block.bold)


def _list_item(typed: Prefix, before: str, heading: Heading) -> bool:
    """Whether a plain line (no bold, capitals, Word numbering or heading style) that would be
    ``heading``, right after content ending with ':' or ';', is rather an item of that list
    ('Kế hoạch gồm các nội dung:' / 'Cải cách thể chế;' / 'Xây dựng và phát triển chính quyền
    điện tử.'): it is, when it has no typed number, or a typed number continuing the list's own
    ('3.' after '2. ...;') that is not the heading's own number in the outline."""
    if typed.kind is None:
        return True
    if typed.kind != "arabic" or not before.isdigit() or typed.number != str(int(before) + 1):
        return False
    return typed.number != heading.number


def _final_ending(block: Block) -> bool:
    """The report's own ending: 'Nơi nhận', a signature line, a table (the signature block); not
    'Trên đây là ...', which may conclude a part with the next part still to come."""
    return block.table is not None or (_is_closing(block) and not fold(block.text).startswith("tren day la"))


def _resumes(block: Block, outline: Outline, state: _State) -> bool:
    """After 'Trên đây là ...' (and before 'Nơi nhận' or a signature): a part heading typed with
    its roman number or in a Word heading style ('II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN'), or a
    heading of the outline typed with a number, in a Word heading style or Word's numbering
    ('7.2. Áp dụng ISO ...' after 'Trên đây là kết quả giải quyết hồ sơ tại cấp xã.' closing a
    list inside heading 3), means the report goes on."""
    kind = typed_prefix(block.text).kind
    if block.table is not None or not (kind in ("roman", "arabic") or block.styled or block.numbered):
        return False
    stage, state.stage = state.stage, "body"  # classified as if the text went on
    try:
        found = _classify(block, outline, state)
    finally:
        state.stage = stage
    if found is None:
        return False
    kind, hid, _ = found
    return hid == "part" if kind == "unknown" else True


def _run_in(rest: str, bold_head: str) -> tuple[str, str]:
    """A heading with its content on the same line ('Cải cách thể chế: Phòng đã ...'): the text
    split at the end of its leading bold words, or at the first colon."""
    if bold_head and rest.startswith(bold_head) and len(bold_head) < len(rest):
        head = bold_head.rstrip(" :.-–")
        body = rest[len(bold_head):].lstrip(" :.-–").strip()
        if head and body:
            return head, body
    head, colon, body = rest.partition(":")
    if colon and body.strip() and 1 <= len(_words(head)) <= 16:
        return head.strip(), body.strip()
    return rest, ""


def _classify(block: Block, outline: Outline, state: _State) -> tuple[str, str, str] | None:
    """``("heading", id, content after it on the line)``, ``("unknown", "part"|"heading", "")``
    or None (content)."""
    text = block.text
    if block.bullet or _BULLET.match(text):
        return None
    prefix = typed_prefix(text)
    bold_head = typed_prefix(block.bold_prefix).rest if block.bold_prefix else ""
    head, body = _run_in(prefix.rest, bold_head)
    if text.endswith(";") and not body and not block.styled:
        return None  # an item of a list ('Cải cách thể chế;'), not a heading with its text after it
    words, all_words = _words(head), _words(prefix.rest)
    if not all_words:
        if prefix.kind == "roman":  # 'PHẦN THỨ HAI' alone on its line
            hid = _by_number(outline, state, prefix, block, [])
            return ("heading", hid, "") if hid else None
        return None
    marked = bool(prefix.kind) or block.numbered or block.styled or block.bold or bool(block.bold_prefix)
    if body:
        # the words before the colon or the bold words: a heading with its content on the line
        candidates = [c for c in outline.match(words) if outline.by_id[c[0]].depth > 0 and c[2] <= 3]
        if candidates and marked:
            hid, length, extra = candidates[0]
            if _accept(outline, state, hid, prefix, block, length, extra):
                return "heading", hid, body
            return None
    candidates = outline.match(all_words)
    if prefix.kind == "roman":
        # 'II. ...' is a part: its words name a part, else a heading ('I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU
        # HÀNH' in the newer outline's numbering is heading I.1), else its number names a part
        parts = [c for c in candidates if outline.by_id[c[0]].depth == 0]
        if not parts and _extra_section(all_words):
            return "unknown", "part", ""  # 'III. KIẾN NGHỊ, ĐỀ XUẤT': the words decide, not the number
        candidates = parts or [c for c in candidates if c[2] <= 2]
    if candidates:
        hid, length, extra = candidates[0]
        if _sentence(block, prefix, extra):
            return None
        if len(all_words) <= 24 and _accept(outline, state, hid, prefix, block, length, extra):
            return "heading", hid, ""
        return None
    if len(all_words) <= 16:
        hid = _by_number(outline, state, prefix, block, all_words)
        if hid and any(at > block.paragraph for at in state.worded.get(hid, ())):
            # the number names a heading the document writes by its words further on ('3. Công tác
            # tuyên truyền' before '4. Cải cách thủ tục hành chính'): the document numbers its
            # own headings, and this one is not in the outline
            return "unknown", "part" if prefix.kind == "roman" else "heading", ""
        if hid:
            return "heading", hid, ""
        hid = _parent_by_number(outline, state, prefix, block)
        if hid:
            return "heading", hid, text
        if _unknown_heading(outline, state, prefix, block, all_words):
            return "unknown", "part" if prefix.kind == "roman" else "heading", ""
    return None


def _sentence(block: Block, prefix: Prefix, extra: int) -> bool:
    """A line that starts with a heading's words but reads as a sentence written in bold for
    emphasis ('Ứng dụng CNTT được đẩy mạnh trong giải quyết hồ sơ.'): no typed number, Word
    numbering or heading style, three words or more after the heading's title, and a full stop at
    its end. It is content, whatever its formatting."""
    text = block.text.rstrip()
    marked = prefix.kind in ("roman", "arabic") or block.numbered or block.styled
    return not marked and extra >= 3 and text.endswith(".") and not text.endswith("..")


def _subject_lines(items: list[Block]) -> set[int]:
    """The subject of the report (its 'trích yếu'), the line or lines under 'BÁO CÁO' up to the
    one naming the reporting period ('Kết quả thực hiện công tác cải cách hành chính' / 'Quý I
    năm 2021'; at most three lines): part of the frame even when its words start with a part's
    title. None of them may carry a typed number, Word numbering or a heading style, nor be longer
    than 25 words (a report going straight from 'BÁO CÁO' to 'I. TÌNH HÌNH ...' or to its text has
    no subject). ``id()`` of the blocks."""
    from .periods import period_in_text

    texts = [b for b in items if b.text and b.table is None]
    for at, block in enumerate(texts[:40]):
        if fold(block.text) != "bao cao":
            continue
        lines = []
        for line in texts[at + 1: at + 4]:
            if line.styled or line.numbered or typed_prefix(line.text).kind in ("roman", "arabic") or len(
                    _words(line.text)) > 25:
                return set()
            lines.append(id(line))
            if period_in_text(fold(line.text)) is not None:
                return set(lines)
        return set()
    return set()


def _frame_text(block: Block) -> bool:
    """A paragraph of the frame before the content: the title block, 'BÁO CÁO', the subject, the
    date line, 'Kính gửi', the opening sentence ('Thực hiện Văn bản số ... báo cáo ... như sau:')."""
    words = _words(block.text)
    if len(words) <= 25:
        return True
    folded = " ".join(words)
    return bool(_OPENING.match(folded)) or ("bao cao" in folded and block.text.rstrip().endswith(":"))


def split_blocks(items: list[Block], outline: Outline) -> Split:
    """File the paragraphs of a document under the outline's headings (see the module docstring).

    ``items``: :class:`Block` (paragraphs, and rows of tables that are not Phụ lục II, with
    ``table`` set) in reading order. A paragraph is a heading when its words start with a
    heading's title or alias (after lead-in words, :meth:`Outline.match`) and something marks it
    as a heading (:func:`_accept`); a typed number alone names a part, or the next heading
    (:func:`_by_number`); a heading the outline does not have starts text filed under ``''``
    (:func:`_unknown_heading`). The frame (title block and opening before the first heading,
    closing and signature from 'Trên đây là báo cáo' or 'Nơi nhận') is not content: the texts
    before the content are kept in ``titles``, for the unit and the period. A document with no
    heading at all keeps what follows its title and opening as text under no heading."""
    out = Split()
    state = _State()
    state.worded = _worded_headings(items, outline)
    current_unknown: dict | None = None
    held: list[Block] = []  # the frame's paragraphs, while no content has been seen
    subject = _subject_lines(items)
    # the ending being read: the heading it was written under, its paragraphs, and whether it is
    # the report's own ('Nơi nhận', a signature) or may still be a conclusion of a part
    ending: dict | None = None
    late: list[Block] = []  # text written after the report's own ending (_written_after_the_end)
    # the paragraph before was content ending with ':' or ';': the number typed before it when it
    # is a numbered item ending with ';', else ''; None otherwise
    after_list: str | None = None
    for block in items:
        text = block.text
        if not text:
            continue
        if state.stage == "closing":
            if ending["final"] and _written_after_the_end(block):
                late.append(block)
                continue
            if ending["final"] or not _resumes(block, outline, state):
                if _final_ending(block):
                    ending["final"] = True
                ending["blocks"].append(block)
                continue
            # 'Trên đây là ...' concluded a part, not the report: its paragraphs are content
            state.stage = "body"
            for earlier in ending["blocks"]:
                if ending["heading"] == UNASSIGNED and current_unknown is not None:
                    current_unknown["paragraphs"].append(earlier.paragraph)
                out.rows.append((ending["heading"], earlier.text, earlier.paragraph))
            ending = None
        if state.stage == "preamble" and id(block) in subject:
            out.titles.append(text)
            held.append(block)
            continue
        plain = not (block.bold or block.caps or block.styled or block.numbered or block.bold_prefix)
        typed = typed_prefix(text)
        found = None if block.table is not None else _classify(block, outline, state)
        if after_list is not None and plain and found is not None and found[0] == "heading":
            # an item of a list introduced by ':' or continued by ';' (see _list_item)
            if _list_item(typed, after_list, outline.by_id[found[1]]):
                found = None
        after_list = None
        if state.stage == "body" and found is None and block.table is None and text.endswith((":", ";")):
            after_list = typed.number if typed.kind == "arabic" and text.endswith(";") else ""
        if found is None and block.first_line is not None and block.rest:
            first = _classify(block.first_line, outline, state)
            if first is not None and not first[2]:
                found = (first[0], first[1], block.rest)
        if found is None and state.stage == "body" and (
                _is_closing(block) if block.table is None else bool(_CLOSING.match(" ".join(_words(block.text))))):
            state.stage = "closing"
            ending = {"heading": state.heading if state.heading is not None else UNASSIGNED, "blocks": [block],
                      "final": _final_ending(block)}
            continue
        if found is not None:
            kind, hid, rest = found
            state.stage = "body"
            if kind == "heading":
                h = outline.by_id[hid]
                state.on_part_line = h.depth > 0 and typed.kind == "roman" and state.heading != hid
                state.heading, state.part = hid, h.part
                if h.depth == 0 or typed.kind == "roman":
                    state.last_number = None  # a part: the document's numbering starts again
                elif typed.kind == "arabic" and typed.number.isdigit():
                    state.last_number = int(typed.number)
                out.headings.setdefault(hid, block.paragraph)
                if (block.styled or block.numbered) and block.level is not None:
                    state.levels["part" if h.depth == 0 else "heading"].add(block.level)
                current_unknown = None
                if rest:
                    out.rows.append((hid, rest, block.paragraph))
            else:
                state.heading = UNASSIGNED
                if hid == "part":
                    state.part = "?"
                    state.last_number = None
                elif typed.kind == "arabic" and typed.number.isdigit():
                    state.last_number = int(typed.number)
                current_unknown = {"text": text, "paragraph": block.paragraph, "paragraphs": []}
                out.unknown.append(current_unknown)
                out.rows.append((UNASSIGNED, text, block.paragraph))
            continue
        if state.stage == "preamble":
            if block.table is not None or _frame_text(block):
                out.titles.extend(block.cells or (text,))
                if block.table is None:
                    held.append(block)
                if not out.opening and block.table is None and len(_words(text)) > 8 and _OPENING.match(
                        " ".join(_words(text))):
                    out.opening = text
                continue
            # content before any heading of the outline: under no heading, from here on
            state.stage, state.heading = "body", UNASSIGNED
            current_unknown = {"text": "", "paragraph": block.paragraph, "paragraphs": []}
            out.unknown.append(current_unknown)
        heading = state.heading if state.heading is not None else UNASSIGNED
        if heading == UNASSIGNED and current_unknown is not None:
            current_unknown["paragraphs"].append(block.paragraph)
        out.rows.append((heading, text, block.paragraph))
    if state.stage == "preamble" and held:
        # no heading and no content at all: what follows the title, subject and opening is content
        # written under no heading (kept, with a finding), not the document's frame
        texts = [b.text for b in held]
        start = texts.index(out.opening) + 1 if out.opening in texts else next(
            (i + 2 for i, t in enumerate(texts) if fold(t) == "bao cao"), 0)
        rest = held[start:]
        if rest:
            out.unknown.append({"text": "", "paragraph": rest[0].paragraph, "paragraphs": [b.paragraph for b in rest]})
            out.rows += [(UNASSIGNED, b.text, b.paragraph) for b in rest]
    if late:
        out.unknown.append({"text": "", "paragraph": late[0].paragraph, "paragraphs": [b.paragraph for b in late],
                            "after_end": True})
        out.rows += [(UNASSIGNED, b.text, b.paragraph) for b in late]
    return out


def _written_after_the_end(block: Block) -> bool:
    """A paragraph after 'Nơi nhận' or the signature that is no part of them: a sentence of twelve
    words or more ending with a full stop, not in capitals (an appendix's title), not an item of
    the list of recipients ('- UBND huyện (qua phòng Nội vụ);'), not a caption in brackets ('(Kèm
    theo Báo cáo số ...)'). Kept under no heading, with a finding, rather than dropped with the
    frame."""
    text = block.text.strip()
    if block.table is not None or block.caps or _BULLET.match(text) or text.startswith("("):
        return False
    return text.endswith(".") and len(_words(text)) >= 12 and not _is_closing(block)


# --------------------------------------------------------------------------------------------
# one document


class _TextCells:
    """What a table in a Word document says of its cells' formats for
    :func:`cchc_analysis.ingest.read_table`: nothing (every cell is text as the page shows it,
    never a formula nor a percent-formatted fraction)."""

    may_hold_formulas = False
    formats_known = True

    @staticmethod
    def cell_info(_sheet: str) -> dict:
        return {}


def check_package(data: bytes, limits: "Limits") -> None:
    """Measure a .docx zip package before python-docx opens it (as workbooks are measured): the
    number of members, their declared sizes and compression ratio against the limits, encrypted
    members, every XML member inflated through ``ZipFile.open`` (which stops at the declared size
    and checks the CRC) and refused when it declares a DTD or an entity."""
    from .workbook import WorkbookError

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError) as error:
        raise WorkbookError("văn bản Word bị hỏng hoặc bị cắt cụt; " + _RESEND) from error
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > limits.max_parts:
            raise WorkbookError(f"tệp nén có quá nhiều phần ({len(infos)}); nghi là tệp độc hại, không đọc")
        names = {info.filename for info in infos}
        if "word/document.xml" not in names:
            if "xl/workbook.xml" in names:
                raise WorkbookError("tệp là bảng tính Excel đổi đuôi thành Word; đề nghị gửi lại với đúng đuôi .xlsx")
            raise WorkbookError("tệp không phải văn bản Word (.docx); " + _RESEND)
        declared = sum(info.file_size for info in infos)
        compressed = sum(info.compress_size for info in infos) or 1
        if declared > limits.max_uncompressed_mb * 1024 * 1024 or (
                declared > 10 * 1024 * 1024 and declared / compressed > limits.max_compression_ratio):
            raise WorkbookError("văn bản giải nén ra quá lớn; nghi là tệp độc hại (zip bomb), không đọc")
        for info in infos:
            if info.flag_bits & 0x1:
                raise WorkbookError("văn bản được đặt mật khẩu nên không đọc được; đề nghị gỡ mật khẩu rồi gửi lại")
            if not info.filename.lower().endswith((".xml", ".rels")):
                continue
            try:
                with archive.open(info) as stream:
                    part = stream.read(info.file_size + 1)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
                raise WorkbookError(f"phần '{info.filename[:60]}' của văn bản bị hỏng; " + _RESEND) from error
            if len(part) != info.file_size:
                raise WorkbookError(f"phần '{info.filename[:60]}' giải nén ra khác kích thước khai báo; nghi là tệp "
                                    "bị sửa, không đọc")
            if b"<!DOCTYPE" in part or b"<!ENTITY" in part:
                raise WorkbookError("văn bản chứa khai báo DOCTYPE/ENTITY; nghi là tệp độc hại, không đọc")


@dataclass
class DocumentResult:
    """What one document gave: its ``files.csv`` record, findings, the Phụ lục II rows of its
    tables (as :func:`cchc_analysis.ingest.read_file` gives a workbook's) and its paragraphs."""

    record: dict
    findings: list[dict] = field(default_factory=list)
    cells: dict[str, list] = field(default_factory=dict)
    paragraphs: list[tuple[str, str, int]] = field(default_factory=list)
    headings: dict[str, int] = field(default_factory=dict)


def _appendix(item: DocTable, source_file: str, ctx: "_Context", finding) -> tuple[list[dict], list[dict]] | None:
    """The matched rows of a table that is Phụ lục II (three indicator rows or more), with the
    findings the workbook reader gives for them; None for any other table."""
    from .ingest import read_table, sheet_table

    located = sheet_table(item.sheet, ctx)
    if located is None:
        return None
    table, skip = located
    found: list[dict] = []

    def collect(check, message, **kw):
        found.append(F.make(check, message, period=ctx.period, source_file=source_file, **kw))

    rows = read_table(_TextCells, item.sheet, table, skip, source_file, ctx, collect)
    if len(rows) < 3:
        return None
    return rows, found


def _join_tables(first: DocTable, more: DocTable) -> DocTable:
    """A table continued after a page break: a second table of the same width right after it
    (nothing but empty paragraphs between), read as one ('Bảng 3-4')."""
    from .workbook import SheetData

    offset = len(first.sheet.rows)
    merged = first.sheet.merged + [(a + offset, b, c + offset, d) for a, b, c, d in more.sheet.merged]
    name = f"{first.sheet.name.split('-')[0]}-{more.number}"
    sheet = SheetData(name, first.sheet.rows + more.sheet.rows, merged, total_rows=offset + len(more.sheet.rows),
                      total_cols=first.width)
    return DocTable(first.number, sheet, first.paragraphs + more.paragraphs, first.width)


def _joined(items: list) -> list:
    """The document's items with each table joined to the tables of the same width that follow
    it with only empty paragraphs between (the empty paragraphs are kept after the table)."""
    out: list = []
    blanks: list[Block] = []
    for item in items:
        if isinstance(item, Block) and not item.text and out and isinstance(out[-1], DocTable):
            blanks.append(item)
            continue
        if isinstance(item, DocTable) and out and isinstance(out[-1], DocTable) and out[-1].width == item.width:
            out[-1] = _join_tables(out[-1], item)
            continue
        out += blanks
        blanks = []
        out.append(item)
    return out + blanks


def _table_blocks(item: DocTable) -> list[Block]:
    """A table that is not Phụ lục II as content: one block per row, the texts of its non-empty
    cells joined with ' | ' (every cell, also one repeating its neighbour's text: 'Tôn giáo | 3 |
    3 | 0'; a merged cell holds its text once, in its first cell)."""
    blocks = []
    for row, paragraph in zip(item.sheet.rows, item.paragraphs):
        texts = tuple(nfc(v) for v in row if nfc(v))
        if texts:
            blocks.append(Block(paragraph, " | ".join(texts), table=item.number, cells=texts))
    return blocks


def read_document(path: Path, source_file: str, ctx: "_Context", outline: Outline) -> DocumentResult:
    """Read one Word document (.docx) into its record, findings, Phụ lục II rows and paragraphs
    (see the module docstring). Never raises for a bad file: it becomes a finding."""
    from .ingest import _new_record
    from .workbook import WorkbookError, read_bytes

    result = DocumentResult(record=_new_record(source_file, NARRATIVE_STATUS))

    def finding(check, message, **kw):
        result.findings.append(F.make(check, message, period=ctx.period, source_file=source_file, **kw))

    try:
        data = read_bytes(path, ctx.limits)
        if data.startswith(_OLE_MAGIC):
            raise WorkbookError("văn bản Word 97-2003 (.doc) hoặc đã đặt mật khẩu, không đọc trực tiếp được; " + _RESEND)
        if not data.startswith(b"PK"):
            raise WorkbookError("tệp không phải văn bản Word (.docx); " + _RESEND)
        check_package(data, ctx.limits)
        import docx

        document = docx.Document(io.BytesIO(data))
        _read_document(document, path, source_file, ctx, outline, result, finding)
    except MemoryError:
        raise
    except WorkbookError as error:
        result.record["status"] = "unreadable"
        result.findings = [F.make("unreadable-file", f"không đọc được văn bản: {error.reason}.", period=ctx.period,
                                  source_file=source_file)]
        result.paragraphs, result.cells = [], {}
    except Exception as error:  # noqa: BLE001 - a broken document must not stop the period
        result.record["status"] = "unreadable"
        result.findings = [F.make("unreadable-file", f"không đọc được văn bản ({type(error).__name__}: "
                                  f"{str(error)[:150]}); {_RESEND}.", period=ctx.period, source_file=source_file)]
        result.paragraphs, result.cells = [], {}
    return result


def _read_document(document, path: Path, source_file: str, ctx: "_Context", outline: Outline,
                   result: DocumentResult, finding) -> None:
    from .ingest import _SETTLE_COLUMNS, EMPTY, UnitFound, recognise_period, recognise_unit

    record = result.record
    blocks: list[Block] = []
    appendix_rows: list[dict] = []
    appendix_findings: list[dict] = []
    used_tables: list[str] = []
    for item in _joined(document_items(document, ctx.limits)):
        if isinstance(item, Block):
            blocks.append(item)
            continue
        read = _appendix(item, source_file, ctx, finding)
        if read is None:
            blocks.extend(_table_blocks(item))
            continue
        appendix_rows += read[0]
        appendix_findings += read[1]
        used_tables.append(item.sheet.name)
    if not any(b.text for b in blocks) and not appendix_rows:
        record["status"] = "unreadable"
        finding("unreadable-file", "văn bản không có nội dung (không có đoạn văn nào); đề nghị kiểm tra và gửi lại.")
        return
    split = split_blocks(blocks, outline)
    titles = _unit_titles(split)
    unit = recognise_unit({}, titles, path.name, ctx.units)
    if unit.code is None and split.opening:
        writer = _writer_of(split.opening)
        if writer:
            again = recognise_unit({}, [writer], path.name, ctx.units)
            if again.code is not None:
                unit = UnitFound(again.code, "heading", writer)
    record.update(unit=unit.code or "", unit_source=unit.source, unit_title=unit.title, sheet=";".join(used_tables))
    claimed = recognise_period({}, [t for t in split.titles[:15] if t != split.opening and len(t.split()) <= 25])
    record["period_found"] = claimed.id if claimed else ""
    n_values = sum(1 for r in appendix_rows if r["status"] != EMPTY)
    n_text = sum(1 for _ in split.rows)
    if unit.code is None:
        record["status"] = "unknown-unit"
        if unit.ambiguous:
            what = f"'{unit.title}' có thể là nhiều đơn vị ({', '.join(unit.ambiguous)})"
        elif unit.source in ("title", "heading"):
            what = f"đơn vị '{unit.title}' không có trong danh sách đơn vị báo cáo"
        else:
            what = "không tìm thấy tên đơn vị ở đầu văn bản (góc trái, trên số văn bản) hay trong tên tệp"
        finding("unknown-unit", f"{what}; {n_text} đoạn văn" + (f" và {n_values} số liệu" if appendix_rows else "")
                + " của văn bản chưa được tổng hợp. Đề nghị ghi rõ tên cơ quan ở đầu văn bản (ví dụ 'PHÒNG NỘI VỤ').")
        return
    if claimed is not None and claimed.id != ctx.period:
        record["status"] = "period-mismatch"
        finding("period-mismatch", f"văn bản ghi kỳ báo cáo '{claimed.title}' ({claimed.id}) nhưng nằm trong thư mục kỳ "
                f"{ctx.period}; nội dung không được tính vào kỳ này. Đề nghị gửi đúng báo cáo kỳ {ctx.period}.",
                unit=unit.code)
        return
    result.findings += appendix_findings
    for item in result.findings:
        if not item["unit"]:
            item["unit"] = unit.code
    for row in appendix_rows:
        row["unit"] = unit.code
    result.cells = {name: [row[name] for row in appendix_rows] for name in _SETTLE_COLUMNS}
    if appendix_rows:
        record["status"] = "ok"
        record["n_values"] = n_values
    result.paragraphs = split.rows
    result.headings = split.headings
    for section in split.unknown:
        paragraphs = section["paragraphs"]
        span = (f"đoạn {paragraphs[0]}" if len(paragraphs) == 1 else f"đoạn {paragraphs[0]}–{paragraphs[-1]}") \
            if paragraphs else ""
        if section.get("after_end"):
            what = (f"{len(paragraphs)} đoạn văn ({span}) viết sau phần nơi nhận, chữ ký của báo cáo, không thuộc "
                    "mục nào, chưa được xếp vào báo cáo tổng hợp")
        elif section["text"]:
            what = (f"mục '{section['text'][:80]}' (đoạn {section['paragraph']}) không có trong đề cương Phụ lục I"
                    + (f"; {len(paragraphs)} đoạn dưới mục này ({span})" if paragraphs else "")
                    + " chưa được xếp vào mục nào của báo cáo tổng hợp")
        else:
            what = (f"{len(paragraphs)} đoạn văn ({span}) đứng trước mục I của đề cương, không thuộc mục nào, "
                    "chưa được xếp vào báo cáo tổng hợp")
        finding("unknown-section", f"{what}. Đề nghị đưa nội dung vào đúng mục của đề cương Phụ lục I "
                "(I. Tình hình triển khai và kết quả đạt được, mục 1–11; II. Tồn tại, hạn chế và nguyên nhân; "
                "III. Một số nhiệm vụ trọng tâm).", unit=unit.code)


def _unit_titles(split: Split) -> list[str]:
    """The frame's texts that may name the unit: the title block, up to the 'BÁO CÁO' line."""
    titles = []
    for text in split.titles[:15]:
        if fold(text) == "bao cao":
            break
        if split.opening and text == split.opening:
            break
        titles.append(text)
    return titles


def _writer_of(opening: str) -> str:
    """Who reports, from the opening sentence ('..., Phòng Tư pháp báo cáo ... như sau:')."""
    head = re.split(r"\s+báo cáo\s", opening, maxsplit=1)[0]
    return head.rsplit(",", 1)[-1].strip()


# --------------------------------------------------------------------------------------------
# a period's documents


def convert_documents(paths: list[Path], out_dir: Path) -> tuple[dict[Path, Path], str | None]:
    """Convert .doc/.odt/.rtf files to .docx with LibreOffice (one run for all, its own profile
    in a temporary folder): ``{original: converted}`` and, when LibreOffice is missing or failed,
    the reason (Vietnamese)."""
    if not paths:
        return {}, None
    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        return {}, "máy chưa cài LibreOffice (soffice) để chuyển văn bản sang .docx"
    converted: dict[Path, Path] = {}
    profile = out_dir / "profile"
    # one output folder per input: two inputs of the same name in sub-folders must not collide
    for number, path in enumerate(paths):
        target = out_dir / str(number)
        target.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run([program, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                            "--convert-to", "docx", "--outdir", str(target), str(path)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=CONVERT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        produced = target / (path.stem + ".docx")
        if produced.is_file():
            converted[path] = produced
    return converted, None


@dataclass
class Documents:
    """The documents of a period: records and findings as :func:`cchc_analysis.ingest.collect`
    keeps them, the Phụ lục II rows of their tables (``_SETTLE_COLUMNS``) and the narrative rows
    (:data:`NARRATIVE_COLUMNS`, superseded marked)."""

    records: list[dict]
    findings: list[dict]
    cells: dict[str, list]
    narrative: dict[str, list]


def _read_item(context, item: tuple[Path, str], **_options):
    """The worker task: :func:`read_document` as plain data."""
    ctx, outline = context
    result = read_document(item[0], item[1], ctx, outline)
    return result.record, result.findings, result.cells, result.paragraphs, result.headings


def _refused_item(context, item: tuple[Path, str], why: str):
    from .workbook import reader_failure

    ctx, _ = context
    record = {"source_file": item[1], "unit": "", "unit_source": "", "unit_title": "", "period_found": "",
              "status": "unreadable", "sheet": "", "n_values": 0}
    found = [F.make("unreadable-file", f"không đọc được văn bản: {reader_failure(why, ctx.limits).reason}.",
                    period=ctx.period, source_file=item[1])]
    return record, found, {}, [], {}


def read_documents(period: str, raw_dir: Path, paths: list[Path], ctx: "_Context", times: dict[str, datetime],
                   outline: Outline) -> Documents:
    """Read the period's Word documents (``paths``, under ``raw_dir``): convert the old formats,
    read each one in a worker process (as workbooks are), set received times (``times`` from
    ``submissions.csv``, else the file's modification time), mark the paragraphs of a unit's
    earlier documents superseded and check each unit's latest document against the outline
    (``missing-section``)."""
    from .ingest import _SETTLE_COLUMNS, pool_workers

    records: list[dict] = []
    findings: list[dict] = []
    cells: dict[str, list] = {name: [] for name in _SETTLE_COLUMNS}
    texts: list[tuple[str, str, str, int, str]] = []  # unit, heading, text, paragraph, source
    headings_of: dict[str, dict[str, int]] = {}
    if not paths:
        return Documents(records, findings, cells, {c: [] for c in NARRATIVE_COLUMNS})
    names = {path: display_name(path.relative_to(raw_dir).as_posix()) for path in paths}
    with tempfile.TemporaryDirectory(prefix="cchc-doc-") as scratch:
        old = [p for p in paths if p.suffix.lower() in CONVERTED_SUFFIXES]
        converted, missing = convert_documents(old, Path(scratch))
        items = []
        for path in paths:
            if path in old and path not in converted:
                why = missing or "LibreOffice không chuyển được văn bản sang .docx (tệp hỏng hoặc có mật khẩu)"
                records.append({"source_file": names[path], "unit": "", "unit_source": "", "unit_title": "",
                                "period_found": "", "status": "unreadable", "sheet": "", "n_values": 0,
                                "_path": path})
                findings.append(F.make("unreadable-file", f"văn bản dạng {path.suffix.lower()} chưa đọc được: {why}. "
                                       f"Đề nghị đơn vị lưu lại dạng Word .docx rồi gửi lại.", period=period,
                                       source_file=names[path]))
                continue
            items.append((converted.get(path, path), names[path], path))
        workers = pool_workers(len(items))
        if workers == 0 or not items:
            results = [_read_item((ctx, outline), (p, n)) for p, n, _ in items]
        else:
            from functools import partial

            from .sandbox import InWorkers

            with InWorkers(_read_item, [(p, n) for p, n, _ in items], context=(ctx, outline), workers=workers,
                           memory_mb=ctx.limits.max_reader_mb, seconds=ctx.limits.max_read_seconds,
                           failed=partial(_refused_item, (ctx, outline))) as running:
                results = list(running)
        for (_, name, original), (record, found, table, paragraphs, headings) in zip(items, results, strict=True):
            record["_path"] = original
            records.append(record)
            findings += found
            for column in _SETTLE_COLUMNS:
                cells[column] += table.get(column, [])
            if record["status"] in ("ok", NARRATIVE_STATUS) and record["unit"]:
                headings_of[name] = headings
                texts += [(record["unit"], heading, text, paragraph, name) for heading, text, paragraph in paragraphs]
    for record in records:
        path = record.pop("_path")
        when = times.get(record["source_file"]) or times.get(display_name(path.name))
        record["time_source"] = "submissions.csv" if when else "mtime"
        record["received_at"] = when or datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)
    latest = _latest_documents(records, {name for _, _, _, _, name in texts})
    findings += _duplicates(period, records, latest, {name for _, _, _, _, name in texts})
    findings += missing_sections(period, records, latest, texts, headings_of, outline)
    narrative = {
        "period": [period] * len(texts),
        "unit": [t[0] for t in texts],
        "heading": [t[1] for t in texts],
        "text": [t[2] for t in texts],
        "source_file": [t[4] for t in texts],
        "paragraph": [t[3] for t in texts],
        "superseded": [latest.get(t[0]) != t[4] for t in texts],
    }
    return Documents(records, findings, cells, narrative)


def _latest_documents(records: list[dict], with_text: set[str]) -> dict[str, str]:
    """Unit -> the source file of its latest document holding narrative text (received time,
    then name)."""
    latest: dict[str, tuple] = {}
    for record in records:
        if record["source_file"] not in with_text:
            continue
        key = (record["received_at"], record["source_file"])
        if record["unit"] not in latest or key > latest[record["unit"]]:
            latest[record["unit"]] = key
    return {unit: key[1] for unit, key in latest.items()}


def _stamp(value) -> str:
    return value.strftime("%H:%M %d/%m/%Y") if hasattr(value, "strftime") else str(value)


def _duplicates(period: str, records: list[dict], latest: dict[str, str], with_text: set[str]) -> list[dict]:
    """A unit that sent several narrative documents: the later one is used (an info finding)."""
    out = []
    by_name = {r["source_file"]: r for r in records}
    for record in sorted(records, key=lambda r: (r["received_at"], r["source_file"])):
        name, unit = record["source_file"], record["unit"]
        if name not in with_text or latest.get(unit) in (None, name):
            continue
        used = by_name[latest[unit]]
        out.append(F.make("duplicate-submission",
                          f"đơn vị {unit} gửi nhiều văn bản báo cáo (Phụ lục I): '{name}' (nhận {_stamp(record['received_at'])})"
                          f" và '{used['source_file']}' (nhận {_stamp(used['received_at'])}); nội dung văn bản gửi sau "
                          "được dùng cho báo cáo tổng hợp.", period=period, unit=unit, source_file=name,
                          severity="info"))
    return out


def missing_sections(period: str, records: list[dict], latest: dict[str, str],
                     texts: list[tuple[str, str, str, int, str]], headings_of: dict[str, dict[str, int]],
                     outline: Outline) -> list[dict]:
    """``missing-section``: each heading a unit is expected to write (``units`` of the outline)
    that its latest document lacks, or holds without any text under it. A unit whose part or
    group heading holds text written without the sub-headings (II without 'Tồn tại, hạn chế'
    and 'Nguyên nhân') gets the finding as information only."""
    out = []
    written: dict[tuple[str, str], int] = {}
    for unit, heading, _text, _paragraph, name in texts:
        if latest.get(unit) == name:
            written[(unit, heading)] = written.get((unit, heading), 0) + 1
    for unit, name in latest.items():
        found = headings_of.get(name, {})
        for h in outline.headings:
            if unit not in h.units or written.get((unit, h.id)):
                continue
            parent = h.id.rpartition(".")[0] if h.depth else ""
            together = parent and written.get((unit, parent))
            label = outline.label(h.id)
            if h.id in found:
                what = f"có đề mục '{label}' (đoạn {found[h.id]}) nhưng chưa có nội dung"
            elif together:
                what = (f"chưa tách riêng mục '{label}': nội dung mục {parent} được viết chung, đã đưa vào báo cáo "
                        f"tổng hợp ở mục {parent}")
            else:
                what = f"chưa có mục '{label}'"
            out.append(F.make("missing-section",
                              f"báo cáo Phụ lục I {what}. Đơn vị cần báo cáo nội dung này theo đề cương; đề nghị bổ "
                              "sung và gửi lại văn bản.", period=period, unit=unit, indicator=h.id, source_file=name,
                              severity="info" if together else None))
    return out


def narrative_frame(columns: dict[str, list]) -> "pd.DataFrame":
    """The narrative rows as the ``narrative.parquet`` frame (``paragraph`` int64, ``superseded``
    bool)."""
    import pandas as pd

    frame = pd.DataFrame({c: columns.get(c, []) for c in NARRATIVE_COLUMNS}, columns=NARRATIVE_COLUMNS)
    return frame.astype({"period": str, "unit": str, "heading": str, "text": str, "source_file": str,
                         "paragraph": "int64", "superseded": bool})


# --------------------------------------------------------------------------------------------
# the period check


def narrative_expected(settings: dict | None, files: "pd.DataFrame | None") -> bool:
    """Whether the period's units owe a narrative report: ``[narrative] expected`` of the
    settings (true/false), or ``"auto"`` (the default): when the period's folder holds at least
    one Word document (the district collects the reports that way this period)."""
    wanted = ((settings or {}).get("narrative") or {}).get("expected", "auto")
    if isinstance(wanted, bool):
        return wanted
    if files is None or not len(files):
        return False
    return bool(files["source_file"].astype(str).str.lower().str.endswith(DOCUMENT_SUFFIXES).any())


def missing_reports(period: str, narrative: "pd.DataFrame | None", files: "pd.DataFrame | None",
                    outline: Outline, units: "pd.DataFrame", settings: dict | None = None) -> list[dict]:
    """``missing-report`` for the narrative: each unit expected to write some heading of the
    outline that sent no readable Phụ lục I document (only when narratives are expected, see
    :func:`narrative_expected`)."""
    from .periods import Period

    if not narrative_expected(settings, files):
        return []
    live = narrative[~narrative["superseded"].astype(bool)] if narrative is not None and len(narrative) else None
    sent = set(live["unit"]) if live is not None else set()
    title = Period.parse(period).title
    out = []
    for code, name in zip(units["code"], units["name"]):
        owed = [h for h in outline.headings if code in h.units]
        if not owed or code in sent:
            continue
        extra = ""
        if files is not None and len(files):
            mine = files[(files["unit"] == code) & files["source_file"].astype(str).str.lower().str.endswith(
                DOCUMENT_SUFFIXES)]
            if len(mine):
                extra = " Văn bản đã nhận nhưng không dùng được: " + "; ".join(
                    f"'{f}' ({s})" for f, s in zip(mine["source_file"], mine["status"])) + "."
        listed = "; ".join(outline.label(h.id) for h in owed)
        out.append(F.make("missing-report",
                          f"chưa nhận được báo cáo Phụ lục I (phần thuyết minh, văn bản Word) {title} của {name}. "
                          f"Đơn vị cần viết các mục: {listed}.{extra} Đề nghị gửi văn bản Word (.docx) theo đề cương "
                          "Phụ lục I, ghi rõ tên cơ quan ở đầu văn bản.", period=period, unit=code))
    return out
