"""Reading one workbook as a person sees it on screen, with bounds on what a file can cost.

Workbooks come by e-mail from many offices (.xlsx, .xlsm, .xls, .xlsb, .ods); some are broken,
some are huge, one day one will be malicious. :class:`Workbook` reads a file in three steps:

1. **What is it.** The whole file is read once (its size bounded first) and :func:`sniff` tells a
   zip package or an OLE compound file (.xls) from what only looks like one by its name: HTML,
   CSV, PDF, an empty file, a password-protected workbook are refused with a reason a department
   can act on.
2. **Is it safe to hand to a parser.** A zip package is measured with :mod:`zipfile`: the number
   of members, their declared sizes against ``max_uncompressed_mb`` and ``max_compression_ratio``,
   encrypted or oddly compressed members; then every member is streamed through
   ``ZipFile.open()``, which stops at the declared size and checks the CRC, so a header that lies
   about its size is caught. An XML member that declares a DTD (the door to entity expansion and
   external entities) refuses the file; the XML this module parses itself goes through
   :mod:`defusedxml` all the same.
3. **Values and formats.** python-calamine reads the values (cached formula results; nothing in
   a file is ever run, macros included). What calamine does not give is read with the format's
   own library: the number format of each cell (a cell shown as ``87,5%`` holds 0.875) from
   ``xl/styles.xml`` and the sheet XML of an .xlsx (defusedxml), from the XF records of an .xls
   (xlrd, ``formatting_info=True``), from the value type of an .ods cell (``percentage``, read
   from ``content.xml`` through defusedxml, which also gives the .ods values themselves, so a
   sheet of a million repeated rows is read only as far as the box). .xlsb number formats are not
   available from any library at hand: :meth:`Workbook.cell_info` says so (None) and the caller
   never guesses.

A sheet is read at most ``max_rows`` x ``max_cols``. python-calamine builds a sheet's whole grid
in memory, so a sheet with one far cell (``XFD1048576``) makes it ask for hundreds of gigabytes:
that is why workbooks are read in worker processes with a memory cap
(:mod:`cchc_analysis.sandbox`). When such a worker dies on an .xlsx, the file is read again with
``Workbook(..., streaming=True)``: openpyxl in read-only mode streams the rows and stops at the
box.

Nothing here modifies the original file, and nothing here starts a process.
"""

from __future__ import annotations

import io
import itertools
import operator
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from xml.parsers import expat

import python_calamine as calamine
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
#: Excel's built-in percent number formats (0% and 0.00%)
_PERCENT_BUILTIN = {9, 10}
#: members that are not XML (images and other media may legitimately carry anything)
_MEDIA = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".svg", ".wdp", ".jfif", ".bin")
#: the most characters a cell holds in Excel; longer text is not from a spreadsheet program
_MAX_CELL_TEXT = 32_767
_MAX_MERGED = 10_000
_CHUNK = 1 << 20

_PASSWORD = ("tệp được đặt mật khẩu (mã hóa) nên không đọc được; đề nghị đơn vị gỡ mật khẩu (mở tệp, Tệp > Thông tin > "
             "Bảo vệ sổ làm việc > Mã hóa bằng mật khẩu, xóa mật khẩu), lưu rồi gửi lại")
_BOMB = "nghi là tệp độc hại (zip bomb); không đọc. Đề nghị đơn vị gửi lại tệp Excel bình thường"
_HOSTILE = ("nghi là tệp bị sửa để đánh lừa hoặc làm treo chương trình đọc; không đọc. "
            "Đề nghị đơn vị gửi lại tệp Excel bình thường")
_RESEND = "đề nghị mở tệp bằng Excel, lưu lại dạng .xlsx rồi gửi lại"
_RESEND_SENTENCE = "Đề nghị mở tệp bằng Excel, lưu lại dạng .xlsx rồi gửi lại"


class WorkbookError(Exception):
    """A file that cannot be read as a workbook; ``reason`` is Vietnamese and says what to do.
    ``transient``: the refusal came from the reader's memory or time limit, not the file alone."""

    def __init__(self, reason: str, transient: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class Limits:
    """Bounds on what is read; defaults no real Phụ lục II reaches (see ``config.toml``)."""

    max_file_mb: float = 50
    max_uncompressed_mb: float = 200
    max_compression_ratio: float = 200
    max_rows: int = 5000
    max_cols: int = 60
    max_sheets: int = 50
    #: members of a zip package (a workbook has a few dozen)
    max_parts: int = 2000
    #: memory of a worker process that parses a workbook (beyond it the file is refused)
    max_reader_mb: float = 1024
    #: time for reading one workbook, all its sheets together (beyond it the file is refused)
    max_read_seconds: float = 30

    @classmethod
    def from_settings(cls, settings: dict) -> "Limits":
        """The ``[limits]`` of the settings; unknown keys are ignored, ``5000.0`` is a count."""
        known = {k: v for k, v in settings.get("limits", {}).items() if k in cls.__dataclass_fields__}
        for name, value in known.items():
            if cls.__dataclass_fields__[name].type in (int, "int") and isinstance(value, float) and value.is_integer():
                known[name] = int(value)
        return cls(**known)


def reader_failure(why: str, limits: Limits) -> WorkbookError:
    """The refusal of a file whose worker ran out of memory, died (``why="crash"``) or overran
    ``max_read_seconds`` (``why="timeout"``)."""
    if why == "timeout":
        return WorkbookError(f"đọc tệp quá {limits.max_read_seconds:g} giây (tệp bất thường hoặc hỏng); không đọc. "
                             + _RESEND_SENTENCE, transient=True)
    return WorkbookError(f"tệp làm trình đọc vượt giới hạn bộ nhớ {limits.max_reader_mb:g} MB hoặc bị lỗi (tệp bất thường, "
                         "hỏng hoặc độc hại); không đọc. " + _RESEND_SENTENCE, transient=True)


@dataclass
class CellInfo:
    """What a cell's format says: a percent number format, a formula, a cached value present."""

    percent: bool = False
    formula: bool = False
    cached: bool = True


@dataclass
class SheetData:
    """One sheet's values as a 0-based grid (row i is the sheet's row i+1).

    ``total_rows`` is the number of the last row holding anything (1-based; 0 where the reader
    stopped at the box without knowing), ``truncated`` says that rows beyond ``max_rows`` were not
    read; ``total_cols`` and ``cols_truncated`` the same for columns."""

    name: str
    rows: list[list]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False
    truncated: bool = False
    total_rows: int = 0
    total_cols: int = 0
    cols_truncated: bool = False


def cell_reference(row: int, col: int) -> str:
    """The spreadsheet name of the cell at 0-based ``(row, col)``: (4, 3) -> 'D5'."""
    letters, index = "", col + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


# ------------------------------------------------------------------------------------------------
# step 1: what kind of file is it


def _text_head(head: bytes) -> str | None:
    """The start of a file as text, when it is text (UTF-8/16 with or without BOM, or 8-bit)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[2:].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", "ignore")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if b"\x00" in head:
        return None
    text = head.decode("utf-8", "replace")
    bad = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\r\n\t\f"))
    if text and bad / len(text) > 0.05:
        text = head.decode("cp1258", "replace")
        bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
        if bad / len(text) > 0.05:
            return None
    return text


def read_bytes(path: Path, limits: Limits) -> bytes:
    """The whole file, read once, its size bounded (an empty file and one beyond ``max_file_mb``
    are refused). What is sniffed and measured is what is parsed."""
    limit = int(limits.max_file_mb * 1024 * 1024)
    try:
        with open(path, "rb") as handle:
            # read(n) reserves n bytes up front: ask for what the file holds, then one byte more
            # (a file that grew beyond the limit meanwhile is refused all the same)
            size = min(os.fstat(handle.fileno()).st_size, limit)
            data = handle.read(size) + handle.read(1)
    except OSError as error:
        raise WorkbookError(f"không mở được tệp ({type(error).__name__}); đề nghị gửi lại") from error
    if not data:
        raise WorkbookError("tệp rỗng (0 byte); đề nghị gửi lại tệp Excel có số liệu")
    if len(data) > limit:
        raise WorkbookError(f"tệp quá lớn (giới hạn {limits.max_file_mb:g} MB); Phụ lục II chỉ cần một bảng nhỏ")
    return data


def sniff(data: bytes) -> str:
    """``"zip"`` or ``"ole"`` for a file that may be read, else raise :class:`WorkbookError`.

    Decided from the file's bytes, not from its name (an .xls that is really HTML, an .xlsx that
    is a renamed CSV)."""
    head = data[:8192]
    if head.startswith(_ZIP_MAGICS):
        return "zip"
    if head.startswith(_OLE_MAGIC):
        names = [n.encode("utf-16-le") for n in ("EncryptionInfo", "EncryptedPackage", "\x06DataSpaces")]
        if any(n in data for n in names):
            raise WorkbookError(_PASSWORD)
        return "ole"
    text = _text_head(head)
    if text is not None:
        lowered = text.lstrip().lower()
        if lowered.startswith("mime-version") or "content-type: multipart/related" in lowered[:2000]:
            raise WorkbookError("tệp là trang web một tệp (.mht) đổi đuôi thành Excel; " + _RESEND)
        if "<?mso-application" in lowered[:2000] or re.search(r"<(?:ss:)?workbook\b", lowered[:4000]):
            raise WorkbookError("tệp là bảng tính Excel 2003 dạng XML (SpreadsheetML), không đọc được trực tiếp; " + _RESEND)
        if lowered.startswith(("<html", "<!doctype html", "<table", "<head", "<body", "<meta", "<style", "<div")) or re.search(
            r"<(?:html|table|tr|td)\b", lowered[:8000]
        ):
            raise WorkbookError("tệp là trang HTML đổi đuôi thành Excel (không phải bảng tính thật); " + _RESEND)
        if lowered.startswith("<"):
            raise WorkbookError("tệp là văn bản XML đổi đuôi thành Excel, không phải bảng tính; " + _RESEND)
        lines = [line for line in text.splitlines()[:20] if line.strip()]
        if lines and any(sep in line for line in lines for sep in (",", ";", "\t")):
            raise WorkbookError("tệp là văn bản (CSV/TXT) đổi đuôi thành Excel, không phải bảng tính; " + _RESEND)
        raise WorkbookError("tệp là văn bản thường đổi đuôi thành Excel, không phải bảng tính; " + _RESEND)
    if head.startswith(b"%PDF"):
        raise WorkbookError("tệp là PDF đổi đuôi thành Excel; đề nghị gửi tệp Excel (.xlsx) của Phụ lục II")
    raise WorkbookError("tệp không phải là bảng tính Excel (.xlsx/.xls) hoặc đã bị hỏng; đề nghị gửi lại")


# ------------------------------------------------------------------------------------------------
# step 2: a zip package, measured before any parser sees it


def _package_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    """``xlsx`` (also .xlsm), ``xlsb`` or ``ods``; what else a zip may be is refused by name."""
    if "EncryptionInfo" in names or "EncryptedPackage" in names:
        raise WorkbookError(_PASSWORD)
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "content.xml" in names and "mimetype" in names:
        info = archive.getinfo("mimetype")
        mimetype = archive.read(info).decode("ascii", "replace").strip() if info.file_size < 200 else ""
        if mimetype.startswith("application/vnd.oasis.opendocument.spreadsheet"):
            return "ods"
        raise WorkbookError(f"tệp là tài liệu OpenDocument loại '{mimetype[:60]}', không phải bảng tính; " + _RESEND)
    if "word/document.xml" in names:
        raise WorkbookError("tệp là văn bản Word (.docx) đổi đuôi thành Excel; đề nghị gửi Phụ lục II dạng Excel (.xlsx)")
    if "ppt/presentation.xml" in names:
        raise WorkbookError("tệp là bản trình chiếu PowerPoint đổi đuôi thành Excel; đề nghị gửi Phụ lục II dạng Excel (.xlsx)")
    raise WorkbookError("tệp là tệp nén (.zip) nhưng không phải bảng tính Excel; đề nghị gửi Phụ lục II dạng Excel (.xlsx)")


def check_package(data: bytes, limits: Limits) -> tuple[str, dict[str, bytes]]:
    """Measure the zip package ``data`` (see the module docstring) and return its kind and its
    members' bytes, each inflated once, within the budget; raise :class:`WorkbookError` to refuse."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError) as error:
        raise WorkbookError("tệp Excel bị hỏng hoặc bị cắt cụt (không đọc được mục lục của tệp nén); "
                            "đề nghị gửi lại") from error
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > limits.max_parts:
            raise WorkbookError(f"tệp nén có quá nhiều phần ({len(infos)}, giới hạn {limits.max_parts}); {_BOMB}")
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise WorkbookError("tệp nén có hai phần trùng tên; " + _HOSTILE)
        kind = _package_kind(archive, set(names))
        declared = sum(info.file_size for info in infos)
        compressed = sum(info.compress_size for info in infos) or 1
        if declared > limits.max_uncompressed_mb * 1024 * 1024:
            raise WorkbookError(
                f"tệp giải nén ra {declared / 1048576:.0f} MB (giới hạn {limits.max_uncompressed_mb:g} MB); {_BOMB}")
        if declared > 10 * 1024 * 1024 and declared / compressed > limits.max_compression_ratio:
            raise WorkbookError(f"tỷ lệ nén bất thường ({declared / compressed:.0f} lần); {_BOMB}")
        members: dict[str, bytes] = {}
        for info in infos:
            if info.flag_bits & 0x1:
                raise WorkbookError(_PASSWORD)
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise WorkbookError(f"phần '{info.filename[:60]}' nén bằng phương thức lạ (mã {info.compress_type}), "
                                    "Excel không dùng; " + _RESEND)
            members[info.filename] = _inflate(archive, info)
    return kind, members


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, streamed: ``ZipExtFile`` stops at the declared size and checks the CRC
    at the end, so a member that inflates to more (or other) bytes than its header says is
    refused. An XML member that declares a DTD is refused (:func:`_refuse_dtd`)."""
    chunks = []
    try:
        with archive.open(info) as stream:
            # in bounded chunks: read() at once would inflate all a lying member holds before
            # cutting it to its declared size
            while chunk := stream.read(_CHUNK):
                chunks.append(chunk)
    except zipfile.BadZipFile as error:
        raise WorkbookError(f"phần '{info.filename[:60]}' giải nén ra khác kích thước ({info.file_size} byte) hoặc mã "
                            f"kiểm tra khai báo (tệp bị sửa hoặc hỏng); {_HOSTILE}") from error
    except (EOFError, OSError, ValueError, zlib.error) as error:
        raise WorkbookError(f"tệp Excel bị cắt cụt hoặc hỏng (phần '{info.filename[:60]}'); đề nghị gửi lại") from error
    data = b"".join(chunks)
    if len(data) != info.file_size:  # zipfile checks the CRC, not that the member held all it declared
        raise WorkbookError(f"phần '{info.filename[:60]}' giải nén ra khác kích thước ({info.file_size} byte) khai báo "
                            f"(tệp bị sửa hoặc hỏng); {_HOSTILE}")
    if not info.filename.lower().endswith(_MEDIA):
        _refuse_dtd(info.filename, data)
    return data


def _refuse_dtd(name: str, data: bytes) -> None:
    """Refuse an XML member that declares a DTD or an entity (entity expansion, external
    entities: no spreadsheet program writes one), wherever it stands, or that is UTF-16 (no
    spreadsheet program writes its parts so, and the declaration would hide in it)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<"):
        raise WorkbookError(f"phần '{name[:60]}' của tệp dùng mã hóa ký tự UTF-16 không chuẩn của Excel; " + _RESEND)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise WorkbookError(f"phần '{name[:60]}' chứa khai báo DOCTYPE/ENTITY (kiểu tấn công XML 'billion laughs'); "
                            "nghi là tệp độc hại, không đọc. Đề nghị đơn vị gửi lại tệp Excel bình thường")


# ------------------------------------------------------------------------------------------------
# step 3: number formats, as the format's own data says them


def _is_percent_format(code: str) -> bool:
    """A number format code that shows a percent: a '%' outside quoted text and escapes."""
    code = re.sub(r'"[^"]*"|\\.', "", code or "")
    return "%" in code


def _xml(data: bytes):
    return SafeET.fromstring(data, forbid_dtd=True)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _xlsx_sheet_parts(members: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> its member in the package (``xl/workbook.xml`` and its relationships)."""
    book = _xml(members["xl/workbook.xml"])
    rels = members.get("xl/_rels/workbook.xml.rels")
    targets = {}
    if rels:
        for rel in _xml(rels):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else "xl/" + target
            targets[rel.get("Id")] = re.sub(r"[^/]+/\.\./", "", target)
    parts = {}
    for element in book.iter():
        if _local(element.tag) == "sheet":
            rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
            if rid in targets:
                parts[element.get("name")] = targets[rid]
    return parts


def _xlsx_percent_styles(styles: bytes | None) -> set[int]:
    """Indices of the cell formats (``cellXfs``) whose number format shows a percent."""
    if not styles:
        return set()
    root = _xml(styles)
    percent_formats = set(_PERCENT_BUILTIN)
    found: set[int] = set()
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "numFmt" and _is_percent_format(element.get("formatCode", "")):
            percent_formats.add(int(element.get("numFmtId", -1)))
        elif tag == "cellXfs":
            for index, xf in enumerate(x for x in element if _local(x.tag) == "xf"):
                if int(xf.get("numFmtId", 0) or 0) in percent_formats:
                    found.add(index)
    return found


class _BeyondTheBox(Exception):
    """Raised by the sheet handler to stop parsing past the last row read."""


def _refuse_declaration(*_args) -> None:
    raise WorkbookError("bảng tính chứa khai báo DOCTYPE/ENTITY; nghi là tệp độc hại, không đọc")


#: the element names of a worksheet that the cell pass looks at, in both namespaces of the format
#: (transitional and strict) as expat reports them with namespace processing on, and without one
_SHEET_TAGS = {f"{namespace}}}{local}": local
               for namespace in ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                                 "http://purl.oclc.org/ooxml/spreadsheetml/main")
               for local in ("row", "c", "f", "v", "is")} | {local: local for local in ("row", "c", "f", "v", "is")}


def _xlsx_cell_info(part: bytes, percent_styles: set[int], limits: Limits,
                    formulas: bool = True) -> dict[tuple[int, int], CellInfo]:
    """The cells of a sheet part that carry a percent style or (``formulas``) a formula, within
    the box.

    Parsed with the standard library's expat parser and a handler per element start and end (no
    tree is built; without ``formulas``, element starts only); a DTD or an entity declaration
    stops it (the package check refused them already)."""
    info: dict[tuple[int, int], CellInfo] = {}
    percent = {str(index) for index in percent_styles}
    tags = _SHEET_TAGS
    cell: list | None = None  # [reference, percent, formula, cached] of the cell being read
    in_value = False

    def start(name: str, attrs: dict) -> None:
        nonlocal cell, in_value
        tag = tags.get(name)
        if tag == "c":
            cell = [attrs.get("r", ""), attrs.get("s") in percent, False, False]
        elif tag == "row":
            row = attrs.get("r", "")
            if row.isdigit() and int(row) > limits.max_rows:
                raise _BeyondTheBox  # rows come in order: the rest is beyond the box
        elif cell is not None:
            if tag == "f":
                cell[2] = True
            elif tag == "v":
                in_value = True
            elif tag == "is":
                cell[3] = True

    def text(data: str) -> None:
        if in_value and cell is not None and data.strip():
            cell[3] = True

    def end(name: str) -> None:
        nonlocal cell, in_value
        tag = tags.get(name)
        if tag == "v":
            in_value = False
        elif tag == "c" and cell is not None:
            if cell[1] or cell[2]:
                end_cell(cell)
            cell = None

    def percent_start(name: str, attrs: dict) -> None:
        tag = tags.get(name)
        if tag == "c":
            if attrs.get("s") in percent:
                end_cell([attrs.get("r", ""), True, False, True])
        elif tag == "row":
            row = attrs.get("r", "")
            if row.isdigit() and int(row) > limits.max_rows:
                raise _BeyondTheBox

    def end_cell(found: list) -> None:
        match = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d{1,7})", found[0])
        if match is not None:
            r, c = int(match.group(2)) - 1, _column_index(match.group(1))
            if r < limits.max_rows and c < limits.max_cols:
                info[(r, c)] = CellInfo(percent=found[1], formula=found[2], cached=found[3])

    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_declaration
    parser.EntityDeclHandler = _refuse_declaration
    if formulas:
        parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    else:  # percent styles only: a cell's start tag says it all
        parser.StartElementHandler = percent_start
    try:
        parser.Parse(part, True)
    except _BeyondTheBox:
        pass
    return info


def _xls_cell_info(data: bytes, limits: Limits) -> dict[str, dict[tuple[int, int], CellInfo]]:
    """The number cells of each sheet of an .xls whose XF record's format shows a percent."""
    import xlrd

    book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    try:
        percent_xf = {i for i, xf in enumerate(book.xf_list)
                      if _is_percent_format(getattr(book.format_map.get(xf.format_key), "format_str", ""))}
        found: dict[str, dict[tuple[int, int], CellInfo]] = {}
        for index, name in enumerate(book.sheet_names()):
            cells: dict[tuple[int, int], CellInfo] = {}
            if percent_xf:
                sheet = book.sheet_by_index(index)
                for r in range(min(sheet.nrows, limits.max_rows)):
                    for c, cell in enumerate(sheet.row_slice(r, 0, min(sheet.ncols, limits.max_cols))):
                        if cell.ctype == xlrd.XL_CELL_NUMBER and cell.xf_index in percent_xf:
                            cells[(r, c)] = CellInfo(percent=True)
                book.unload_sheet(index)
            found[name] = cells
        return found
    finally:
        book.release_resources()


def _xls_encrypted(data: bytes) -> bool:
    """Whether xlrd finds an .xls protected by a password (a FILEPASS record), which calamine
    reports only as a file it cannot read."""
    import xlrd

    try:
        xlrd.open_workbook(file_contents=data, on_demand=True).release_resources()
    except Exception as error:
        return "encrypted" in str(error).lower()
    return False


_ODS = {
    "table": "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}",
    "office": "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}",
    "text": "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}",
    "style": "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}",
}


def _ods_sheets(content: bytes, limits: Limits) -> list[tuple[SheetData, dict[tuple[int, int], CellInfo]]]:
    """Every sheet of an .ods ``content.xml``: the value of each cell within the box, merged
    ranges, and the cells typed ``percentage``. Repeated rows and columns (LibreOffice writes a
    formatted empty tail of a million rows that way) are counted, and expanded only within the box."""
    T, O, X, S = _ODS["table"], _ODS["office"], _ODS["text"], _ODS["style"]
    sheets = []
    hidden_styles: set[str] = set()
    for event, element in SafeET.iterparse(io.BytesIO(content), events=("start", "end"), forbid_dtd=True):
        tag = element.tag
        if event == "start":
            if tag == T + "table":
                name, hidden = element.get(T + "name", ""), element.get(T + "style-name") in hidden_styles
                rows, info, merged, r, last_row, last_col = [], {}, [], 0, 0, 0
            elif tag == T + "table-row":
                row, row_percent, c = [], [], 0
                repeat_rows = int(element.get(T + "number-rows-repeated", 1) or 1)
            continue
        if tag == S + "style":
            if any(props.get(T + "display") == "false" for props in element):
                hidden_styles.add(element.get(S + "name"))
        elif tag in (T + "table-cell", T + "covered-table-cell"):
            repeat = int(element.get(T + "number-columns-repeated", 1) or 1)
            value = _ods_value(element, O, X) if tag == T + "table-cell" else None
            if value is not None and value != "":
                last_row, last_col = max(last_row, r + repeat_rows), max(last_col, c + repeat)
                percent = element.get(O + "value-type") == "percentage"
                for col in range(c, min(c + repeat, limits.max_cols)):
                    row.extend([None] * (col + 1 - len(row)))
                    row[col] = value
                    if percent:
                        row_percent.append(col)
            span_r = int(element.get(T + "number-rows-spanned", 1) or 1)
            span_c = int(element.get(T + "number-columns-spanned", 1) or 1)
            if (span_r > 1 or span_c > 1) and len(merged) < _MAX_MERGED and r < limits.max_rows:
                merged.append((r, c, r + span_r - 1, c + span_c - 1))
            c += repeat
            element.clear()
        elif tag == T + "table-row":
            if row and r < limits.max_rows:
                rows.extend([[] for _ in range(r - len(rows))])
                for k in range(min(repeat_rows, limits.max_rows - r)):
                    rows.append(list(row))
                    info.update({(r + k, col): CellInfo(percent=True) for col in row_percent})
            r += repeat_rows
            element.clear()
        elif tag == T + "table":
            width = min(max(map(len, rows), default=0), limits.max_cols)
            grid = [row + [None] * (width - len(row)) for row in rows]
            sheets.append((SheetData(name, grid, merged, hidden, last_row > limits.max_rows, last_row, last_col,
                                     last_col > limits.max_cols), info))
            element.clear()
    return sheets


def _ods_value(element, O: str, X: str):
    """A cell's value: a number for float/percentage/currency, a bool, the ISO text of a date,
    else the text of its paragraphs."""
    kind = element.get(O + "value-type")
    if kind in ("float", "percentage", "currency"):
        try:
            return float(element.get(O + "value"))
        except (TypeError, ValueError):
            return None
    if kind == "boolean":
        return element.get(O + "boolean-value") == "true"
    if kind == "date":
        return element.get(O + "date-value")
    if kind == "time":
        return element.get(O + "time-value")
    paragraphs = ["".join(p.itertext()) for p in element if p.tag == X + "p"]
    return "\n".join(paragraphs) if paragraphs else None


# ------------------------------------------------------------------------------------------------
# the workbook


class Workbook:
    """One workbook, read through the three steps of the module docstring; use as a context
    manager. ``streaming``: read an .xlsx with openpyxl's read-only mode instead of calamine
    (bounded by the box whatever the sheet holds; slower)."""

    def __init__(self, path: Path, limits: Limits | None = None, *, streaming: bool = False):
        self.path = Path(path)
        self.limits = limits or Limits()
        self._data = read_bytes(self.path, self.limits)
        self.container = sniff(self._data)
        self._members: dict[str, bytes] = {}
        self._cell_info: dict[str, dict[tuple[int, int], CellInfo] | None] = {}
        self._ods: dict[str, tuple[SheetData, dict]] | None = None
        self._book = None
        self._openpyxl = None
        if self.container == "zip":
            self.kind, self._members = check_package(self._data, self.limits)
        else:
            self.kind = "xls"
        if self.kind == "ods":
            self._ods = {sheet.name: (sheet, info) for sheet, info in self._ods_sheets()}
            self._names = list(self._ods)
            self._hidden = {name for name, (sheet, _) in self._ods.items() if sheet.hidden}
        elif streaming and self.kind == "xlsx":
            self._open_streaming()
        else:
            self._open_calamine()

    def _ods_sheets(self):
        try:
            return _ods_sheets(self._members["content.xml"], self.limits)
        except (SafeET.ParseError, DefusedXmlException, ValueError) as error:
            raise WorkbookError(f"không đọc được nội dung tệp .ods ({type(error).__name__}); " + _RESEND) from error

    def _open_calamine(self) -> None:
        try:
            self._book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(self._data))
            self._names = list(self._book.sheet_names)
            self._hidden = {m.name for m in self._book.sheets_metadata if str(m.visible) != "SheetVisibleEnum.Visible"}
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except BaseException as error:  # python-calamine's Rust panics derive from BaseException
            if self.kind == "xls" and _xls_encrypted(self._data):
                raise WorkbookError(_PASSWORD) from None
            raise self._failure(error) from None

    def _open_streaming(self) -> None:
        import openpyxl

        try:
            self._openpyxl = openpyxl.load_workbook(io.BytesIO(self._data), read_only=True, data_only=True)
        except Exception as error:
            raise WorkbookError(f"không mở được tệp ({type(error).__name__}: {str(error)[:120]}); đề nghị gửi lại") from error
        self._names = list(self._openpyxl.sheetnames)
        self._hidden = {ws.title for ws in self._openpyxl.worksheets if ws.sheet_state != "visible"}

    @staticmethod
    def _failure(error: BaseException) -> WorkbookError:
        if isinstance(error, calamine.PasswordError):
            return WorkbookError(_PASSWORD)
        return WorkbookError(f"không mở được tệp ({type(error).__name__}: {str(error)[:160]}); đề nghị gửi lại")

    @property
    def sheet_names(self) -> list[str]:
        return list(self._names)

    def sheet(self, name: str) -> SheetData:
        """One sheet's values, at most ``max_rows`` rows and ``max_cols`` columns."""
        if self._ods is not None:
            return self._ods[name][0]
        try:
            if self._openpyxl is not None:
                return self._streamed_sheet(name)
            return self._calamine_sheet(name)
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except BaseException as error:
            raise WorkbookError(f"không đọc được trang '{name}': {self._failure(error).reason}") from None

    def _calamine_sheet(self, name: str) -> SheetData:
        limits = self.limits
        sheet = self._book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False, nrows=limits.max_rows)
        if rows and len(rows[0]) > limits.max_cols:
            rows = [row[: limits.max_cols] for row in rows]
        _cut_long_texts(rows)
        end = sheet.end
        total_rows, total_cols = ((end[0] + 1), (end[1] + 1)) if end else (0, 0)
        merged = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])[:_MAX_MERGED]]
        return SheetData(name, rows, merged, name in self._hidden, total_rows > limits.max_rows, total_rows,
                         total_cols, total_cols > limits.max_cols)

    def _streamed_sheet(self, name: str) -> SheetData:
        limits = self.limits
        sheet = self._openpyxl[name]
        rows = [["" if v is None else v for v in row]
                for row in sheet.iter_rows(max_row=limits.max_rows + 1, max_col=limits.max_cols, values_only=True)]
        truncated = len(rows) > limits.max_rows
        rows = rows[: limits.max_rows]
        while rows and not any(v != "" for v in rows[-1]):
            rows.pop()
        # as calamine gives them: empty cells as "", as wide as the last column holding anything
        width = max((max((c + 1 for c, v in enumerate(row) if v != ""), default=0) for row in rows), default=0)
        rows = [row[:width] for row in rows]
        _cut_long_texts(rows)
        merged = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1)
                  for m in getattr(sheet, "merged_cells", ())][:_MAX_MERGED]
        return SheetData(name, rows, merged, name in self._hidden, truncated, 0 if truncated else len(rows),
                         max(map(len, rows), default=0))

    @cached_property
    def may_hold_formulas(self) -> bool:
        """False when no sheet of the package holds a formula (the usual case; an .xlsx only:
        the other formats give every formula's value)."""
        return self.kind == "xlsx" and any(b"<f" in data or b":f" in data for name, data in self._members.items()
                                           if name.startswith("xl/worksheets/"))

    @property
    def formats_known(self) -> bool:
        """Whether number formats can be read for this workbook's kind (not for .xlsb)."""
        return self.kind != "xlsb"

    def cell_info(self, sheet: str) -> dict[tuple[int, int], CellInfo] | None:
        """What the format says of a sheet's cells (percent number formats, formulas), keyed by
        0-based (row, col); cells it says nothing of are left out. None where the format cannot
        be read (.xlsb)."""
        if sheet not in self._cell_info:
            self._cell_info[sheet] = self._read_cell_info(sheet)
        return self._cell_info[sheet]

    def _read_cell_info(self, sheet: str) -> dict[tuple[int, int], CellInfo] | None:
        if self._ods is not None:
            return self._ods[sheet][1]
        if self.kind == "xlsb":
            return None
        try:
            if self.kind == "xls":
                return self._xls_cell_info.get(sheet, {})
            if not self._percent_styles and not self.may_hold_formulas:
                return {}  # no percent format and no formula anywhere: nothing to say
            part = self._sheet_parts.get(sheet)
            data = self._members.get(part, b"") if part else b""
            return _xlsx_cell_info(data, self._percent_styles, self.limits, formulas=self.may_hold_formulas)
        except Exception:  # a format part that cannot be followed: formats unknown for this sheet
            return None

    @cached_property
    def _xls_cell_info(self) -> dict[str, dict[tuple[int, int], CellInfo]]:
        return _xls_cell_info(self._data, self.limits)

    @cached_property
    def _sheet_parts(self) -> dict[str, str]:
        return _xlsx_sheet_parts(self._members)

    @cached_property
    def _percent_styles(self) -> set[int]:
        styles = self._members.get("xl/styles.xml", b"")
        # most workbooks name no percent format at all: then the style sheet is not parsed
        if not any(mark in styles for mark in (b"%", b"&#", b'numFmtId="9"', b'numFmtId="10"')):
            return set()
        return _xlsx_percent_styles(styles)

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None
        if self._openpyxl is not None:
            self._openpyxl.close()
            self._openpyxl = None
        self._data = b""
        self._members = {}

    def __enter__(self) -> "Workbook":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _cut_long_texts(rows: list[list]) -> None:
    """Cut texts longer than a spreadsheet cell holds (they come from no spreadsheet program)."""
    # the longest value first, at C speed (``length_hint`` is a text's length, 0 for a number)
    if max(map(operator.length_hint, itertools.chain.from_iterable(rows)), default=0) <= _MAX_CELL_TEXT:
        return
    for row in rows:
        for i, value in enumerate(row):
            if value.__class__ is str and len(value) > _MAX_CELL_TEXT:
                row[i] = value[:_MAX_CELL_TEXT] + "…"
