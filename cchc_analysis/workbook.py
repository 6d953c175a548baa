"""Bounded, data-only reading of workbooks (.xlsx, .xlsm, .xls, .xlsb, .ods).

Workbooks come by e-mail from many offices; some are broken, some are huge, and one day one will be
malicious. Reading goes in three steps, each bounded:

1. :func:`sniff` looks at the bytes (never the file name): what is not a workbook (HTML, CSV,
   random bytes, an empty file), a file beyond ``max_file_mb`` and an encrypted (password
   protected) file are refused with a reason the department can act on.
2. A zip package (xlsx, xlsm, xlsb, ods) is measured by :func:`_scan_zip` before any XML parser
   sees it: the central directory, every member's *actual* uncompressed size (each member is
   inflated here, counting, so a header that lies about its size changes nothing), the total
   against ``max_uncompressed_mb``, DOCTYPE/ENTITY declarations (entity expansion), members that
   are encrypted, duplicated or compressed by other methods than Excel's. The package is then
   copied, member by member from the bytes just measured (kept in memory when small, the usual
   case, else through a private temporary file); a sheet whose cells reach beyond ``max_rows`` x
   ``max_cols`` is rewritten without them (so the reader allocates at most that box, and the
   table at the top of a huge sheet is still read). The reader only ever sees that copy, never
   the original: what was measured is what is read. (The file is read once; the costlier checks
   first try a one-pass proof that a plainly written part passes them, and leave the decision
   to the exact check whenever that proof does not hold.)
3. python-calamine reads the values (cached formula results, never running anything, macros
   included) in a memory-limited process: a worker of :mod:`cchc_analysis.sandbox` when a folder
   is read (the worker is itself the sandbox, ``Workbook.in_process``), else the reader process
   (:class:`_Reader`). A file that makes the reader exhaust memory, crash or hang costs that file
   only, never the run. A small XML pass (:meth:`Workbook.cell_info`, only where the styles name
   a percent format or a sheet holds a formula) adds what calamine does not give: percent number
   formats and formulas without a cached value.

Nothing here modifies the original file.
"""

from __future__ import annotations

import atexit
import bisect
import functools
import io
import itertools
import operator
import os
import pickle
import re
import select
import shutil
import struct
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.parsers import expat

import python_calamine as calamine

if TYPE_CHECKING:  # loaded where used: the reader process and the XML facts are not on every path
    import subprocess

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_PERCENT_BUILTIN = {9, 10}
_CELL = re.compile(rb"<(?:[\w.-]+:)?c\b([^>]*?)(/>|>(.*?)</(?:[\w.-]+:)?c>)", re.S)
_ATTR = re.compile(rb'\b(r|s|t)\s*=\s*"([^"]*)"')
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")
_CACHED = re.compile(rb"<(?:[\w.-]+:)?v>[^<]+</|<(?:[\w.-]+:)?is[\s>]")
_ROW_REF = re.compile(r"^\d{1,7}$")

#: what Excel's own cell grid allows; a reference beyond it is not a spreadsheet's
_EXCEL_ROWS, _EXCEL_COLS = 1_048_576, 16_384
#: a sheet part larger than this is always rewritten (bounded) before the reader sees it
_SANITISE_BYTES = 4 * 1024 * 1024
#: one XML tag (with the text after it) longer than this is not from a spreadsheet program
_MAX_TAG = 4 * 1024 * 1024
#: parts that the XML facts pass parses whole; beyond this the facts are skipped
_MAX_FACTS_PART = 16 * 1024 * 1024
_MAX_MERGED = 10_000
_CHUNK = 1 << 20
#: members never parsed as XML (images and other media may legitimately carry a DOCTYPE)
_MEDIA = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".svg", ".wdp", ".jfif")

_PASSWORD = "tệp được đặt mật khẩu (mã hóa) nên không đọc được; đề nghị đơn vị gỡ mật khẩu (mở tệp, Tệp > Thông tin > Bảo vệ sổ làm việc > Mã hóa bằng mật khẩu, xóa mật khẩu), lưu rồi gửi lại"
_BOMB = "nghi là tệp độc hại (zip bomb); không đọc. Đề nghị đơn vị gửi lại tệp Excel bình thường"
_HOSTILE = "nghi là tệp bị sửa để đánh lừa hoặc làm treo chương trình đọc; không đọc. Đề nghị đơn vị gửi lại tệp Excel bình thường"
_RESEND = "đề nghị mở tệp bằng Excel, lưu lại dạng .xlsx rồi gửi lại"
_RESEND_SENTENCE = "Đề nghị mở tệp bằng Excel, lưu lại dạng .xlsx rồi gửi lại"


class WorkbookError(Exception):
    """A file that cannot be read as a workbook; ``reason`` is Vietnamese and says what to do."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


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
    #: distinct texts (shared strings) of one workbook
    max_strings: int = 2_000_000
    #: memory of the process that parses a workbook (beyond it the file is refused)
    max_reader_mb: float = 1024
    #: time for reading one workbook, all its sheets together (beyond it the rest is refused)
    max_read_seconds: float = 30

    @classmethod
    def from_settings(cls, settings: dict) -> "Limits":
        known = {k: v for k, v in settings.get("limits", {}).items() if k in cls.__dataclass_fields__}
        for name, value in known.items():  # '5000.0' or 5000.0 in a settings file: a count stays whole
            if cls.__dataclass_fields__[name].type in (int, "int") and isinstance(value, float) and value.is_integer():
                known[name] = int(value)
        return cls(**known)


@dataclass
class CellInfo:
    """What the XML says of one cell: percent format, formula, cached value present."""

    percent: bool = False
    formula: bool = False
    cached: bool = True


@dataclass
class SheetData:
    """One sheet's values as a 0-based grid (row i is the sheet's row i+1).

    ``total_rows`` is the number of the last row holding anything (1-based), ``truncated`` says
    that rows beyond ``max_rows`` were not read; ``total_cols`` is the last column holding
    anything within the rows read, ``cols_truncated`` says that columns beyond ``max_cols`` were
    not read."""

    name: str
    rows: list[list]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False
    truncated: bool = False
    total_rows: int = 0
    total_cols: int = 0
    cols_truncated: bool = False


def _col_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def _col_letters(index: int) -> str:
    """0-based column index -> 'A', 'B', ..., 'AA'."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_reference(row: int, col: int) -> str:
    """The spreadsheet name of the cell at 0-based ``(row, col)``: (4, 3) -> 'D5'."""
    return f"{_col_letters(col)}{row + 1}"


# ------------------------------------------------------------------------------------------------
# step 1: what kind of file is it


def _text_head(head: bytes) -> str | None:
    """The start of a file as text, when it is text (UTF-8/16 with or without BOM, or 8-bit)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head[2:].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", "ignore")
        except Exception:
            return None
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


def _check_size(size: int, limits: Limits) -> None:
    """Refuse an empty file and a file beyond ``max_file_mb`` (``size`` from the file system)."""
    if size == 0:
        raise WorkbookError("tệp rỗng (0 byte); đề nghị gửi lại tệp Excel có số liệu")
    if size > limits.max_file_mb * 1024 * 1024:
        raise WorkbookError(
            f"tệp quá lớn ({size / 1048576:.0f} MB, giới hạn {limits.max_file_mb:g} MB); Phụ lục II chỉ cần một bảng nhỏ"
        )


def sniff(data: bytes) -> str:
    """``"zip"`` or ``"ole"`` for a file that may be read, else raise :class:`WorkbookError`.

    Decided from the file's bytes ``data`` (read once, its size bounded, by
    :meth:`Workbook._read_bytes`), not from its name (an .xls that is really HTML, an .xlsx that
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
        if lowered.startswith("<?xml") or lowered.startswith("<"):
            raise WorkbookError("tệp là văn bản XML đổi đuôi thành Excel, không phải bảng tính; " + _RESEND)
        lines = [line for line in text.splitlines()[:20] if line.strip()]
        if lines and any(sep in line for line in lines for sep in (",", ";", "\t")):
            raise WorkbookError("tệp là văn bản (CSV/TXT) đổi đuôi thành Excel, không phải bảng tính; " + _RESEND)
        raise WorkbookError("tệp là văn bản thường đổi đuôi thành Excel, không phải bảng tính; " + _RESEND)
    if head.startswith(b"%PDF"):
        raise WorkbookError("tệp là PDF đổi đuôi thành Excel; đề nghị gửi tệp Excel (.xlsx) của Phụ lục II")
    raise WorkbookError("tệp không phải là bảng tính Excel (.xlsx/.xls) hoặc đã bị hỏng; đề nghị gửi lại")


# ------------------------------------------------------------------------------------------------
# step 2: measure a zip package, then copy it (bounded) for the reader


def _zip_directory(data: bytes, limits: Limits) -> None:
    """Refuse a package whose central directory is beyond ``max_parts`` before listing it (the
    listing itself costs memory per entry)."""
    size = len(data)
    span = min(size, 65535 + 22 + 20)
    tail = data[size - span :]
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        raise WorkbookError("tệp Excel bị hỏng hoặc bị cắt cụt (thiếu phần cuối của tệp nén); đề nghị gửi lại")
    _sig, _disk, _cd_disk, _n_disk, entries, cd_size, _cd_offset, _comment = struct.unpack("<IHHHHIIH", tail[at : at + 22])
    if (entries == 0xFFFF or cd_size == 0xFFFFFFFF) and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
        (offset,) = struct.unpack("<Q", tail[at - 12 : at - 4])
        if offset < size:
            record = data[offset : offset + 56]
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                entries, cd_size = struct.unpack("<QQ", record[32:48])
    if entries > limits.max_parts or cd_size > limits.max_parts * 1024:
        raise WorkbookError(f"tệp nén có quá nhiều phần ({entries}, giới hạn {limits.max_parts}); {_BOMB}")


def _member_chunks(handle, info: zipfile.ZipInfo, budget: list[int], limits: Limits):
    """The actual uncompressed bytes of one member, in chunks, read from its raw data (not trusting
    the declared size); counts against ``budget[0]`` and checks size and CRC at the end."""
    handle.seek(info.header_offset)
    local = handle.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise WorkbookError(f"tệp nén bị hỏng (phần '{info.filename[:60]}' không đúng cấu trúc); đề nghị gửi lại")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    handle.seek(info.header_offset + 30 + name_len + extra_len)
    remaining = info.compress_size
    produced = 0
    crc = 0
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None

    def account(data: bytes) -> bytes:
        nonlocal produced, crc
        produced += len(data)
        budget[0] -= len(data)
        if budget[0] < 0:
            raise WorkbookError(
                f"nội dung giải nén vượt {limits.max_uncompressed_mb:g} MB; {_BOMB}"
            )
        if produced > info.file_size:
            raise WorkbookError(
                f"phần '{info.filename[:60]}' giải nén ra nhiều hơn kích thước khai báo ({info.file_size} byte); {_BOMB}"
            )
        crc = zlib.crc32(data, crc)
        return data

    try:
        while remaining > 0:
            raw = handle.read(min(_CHUNK, remaining))
            if not raw:
                raise WorkbookError("tệp Excel bị cắt cụt (thiếu dữ liệu); đề nghị gửi lại")
            remaining -= len(raw)
            if inflater is None:
                yield account(raw)
                continue
            data = inflater.decompress(raw, _CHUNK)
            while True:
                if data:
                    yield account(data)
                if not inflater.unconsumed_tail:
                    break
                data = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
        if inflater is not None and not inflater.eof:  # (at the end of the stream nothing is pending)
            while True:
                data = inflater.decompress(b"", _CHUNK)
                if not data:
                    break
                yield account(data)
            data = inflater.flush()
            if data:
                yield account(data)
        if inflater is not None and not inflater.eof:
            raise WorkbookError(f"tệp nén bị hỏng (phần '{info.filename[:60]}' không trọn vẹn); đề nghị gửi lại")
    except zlib.error as error:
        raise WorkbookError(f"tệp nén bị hỏng (phần '{info.filename[:60]}': {error}); đề nghị gửi lại") from error
    if produced != info.file_size or (crc & 0xFFFFFFFF) != info.CRC:
        raise WorkbookError(f"tệp nén bị hỏng (phần '{info.filename[:60]}' sai kích thước hoặc mã kiểm tra); đề nghị gửi lại")


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)
_DTD_WIDE = [s.encode(enc) for s in ("<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity") for enc in ("utf-16-le", "utf-16-be")]
_SHEETDATA = re.compile(rb"<(?:[^\s<>/:!?]+:)?sheetData\b")
_ODS_TABLE = re.compile(rb"<(?:[\w.-]+:)?table\b")
#: the ``r`` attribute of any element: in a sheet, only rows ('12') and cells ('AB12') have one
_R_VALUE = re.compile(rb"\sr\s*=\s*[\"']([^\"']*)[\"']")
_REPEAT = re.compile(rb"number-(rows|columns)-repeated\s*=\s*[\"']([^\"']*)[\"']")
_SI = re.compile(rb"<(?:[\w.-]+:)?si[\s>/]")
_SHEET_ENTRY = re.compile(rb"<(?:[\w.-]+:)?sheet\s")


@dataclass
class _Part:
    """What the scan learnt of one member."""

    name: str
    size: int = 0
    sheet: bool = False  # an xlsx worksheet (has sheetData)
    ods_content: bool = False
    oversized: bool = False  # cells beyond the box, or too big to hand over as it is
    strings: int = 0


class _PartScanner:
    """Looks at one member's bytes as they are inflated: entity declarations, and whether a sheet
    reaches beyond the box. Works on windows cut at a tag start, so no tag straddles two windows."""

    def __init__(self, info: zipfile.ZipInfo, limits: Limits, count_strings: bool = True):
        self.part = _Part(info.filename)
        self.limits = limits
        #: False when the package cannot hold ``max_strings`` texts at all (see :func:`_scan_zip`)
        self.count_strings = count_strings
        self.media = info.filename.lower().endswith(_MEDIA)
        self.carry = b""
        self.first = True
        self.is_ods_content = info.filename == "content.xml"

    def feed(self, chunk: bytes) -> None:
        self.part.size += len(chunk)
        if self.first:
            self.first = False
            start = chunk[:4]
            if not self.media and (start[:2] in (b"\xff\xfe", b"\xfe\xff") or start in (b"<\x00?\x00", b"\x00<\x00?")):
                raise WorkbookError(
                    f"phần '{self.part.name[:60]}' của tệp dùng mã hóa ký tự UTF-16 không chuẩn của Excel; " + _RESEND
                )
        buffer = self.carry + chunk
        cut = buffer.rfind(b"<")
        if cut <= 0 or len(buffer) - cut > _MAX_TAG:
            if len(buffer) > _MAX_TAG:
                self.part.oversized = True  # a giant tag or text run: never hand it over as it is
                self._window(buffer[:-32])
                self.carry = buffer[-32:]
            else:
                self.carry = buffer
            return
        self._window(buffer[:cut])
        self.carry = buffer[cut:]

    def finish(self) -> _Part:
        if self.carry:
            self._window(self.carry)
            self.carry = b""
        if (self.part.sheet or self.part.ods_content) and self.part.size > _SANITISE_BYTES:
            self.part.oversized = True
        return self.part

    def _window(self, window: bytes) -> None:
        if self.media:
            if not (self.part.sheet or _opens_sheet_data(window)):
                return  # an image (which may carry a DOCTYPE) and not a worksheet under its name
            self.media = False
        # (a declaration starts '<!': without a '!' there is none, and the one-byte test is fast)
        if (b"!" in window and _DTD.search(window)) or (b"\x00" in window and any(w in window for w in _DTD_WIDE)):
            raise WorkbookError(
                f"phần '{self.part.name[:60]}' chứa khai báo DOCTYPE/ENTITY (kiểu tấn công XML 'billion laughs'); "
                "nghi là tệp độc hại, không đọc. Đề nghị đơn vị gửi lại tệp Excel bình thường"
            )
        # shared strings: '<si' counts every plain one (and, harmlessly, any other tag so named)
        if self.count_strings:
            self.part.strings += window.count(b"<si") + (len(_SI.findall(window)) if b":si" in window else 0)
        if not self.part.sheet and _opens_sheet_data(window):
            self.part.sheet = True
        if self.is_ods_content and not self.part.ods_content and _ODS_TABLE.search(window):
            self.part.ods_content = True
        if self.part.oversized:
            return
        if self.is_ods_content:
            for _kind, value in _REPEAT.findall(window):
                if not value.isdigit() or int(value) > max(self.limits.max_rows, self.limits.max_cols):
                    self.part.oversized = True
                    return
            return
        if not self.part.sheet:
            return  # only a worksheet's rows and cells are placed by their r attributes
        if _window_beyond_box(window, self.limits.max_rows, self.limits.max_cols):
            self.part.oversized = True


def _opens_sheet_data(window: bytes) -> bool:
    """Whether ``window`` holds a ``sheetData`` start tag (the literal test first: it is fast)."""
    return b"sheetData" in window and _SHEETDATA.search(window) is not None


#: XML white space made plain spaces, so that one pattern with a literal start (fast) finds every
#: spelling of an ``r`` attribute: `` r="12"``, ``\tr = '12'``...
_WHITE_TO_SPACE = bytes.maketrans(b"\t\n\r", b"   ")
_R_ANY = re.compile(rb" r *= *[\"']([^\"']*)[\"']")
_CANON_REFS = re.compile(rb"(?:[A-Z]{0,3}[1-9]\d{0,6}\n)+")
_DIGIT_BYTES = b"0123456789"
_LETTER_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"


#: an ``r`` attribute straight after the quote of the one before (``s="0"r="XFD9"``): not XML,
#: yet the reader accepts it
_R_AFTER_QUOTE = re.compile(rb"(?<=[ \"'])r *= *[\"']([^\"']*)[\"']")


def _r_values(window: bytes) -> list[bytes]:
    """Every ``r`` attribute value of ``window``, however spelled."""
    plain = window.translate(_WHITE_TO_SPACE)
    if b'"r' in plain or b"'r" in plain:
        return _R_AFTER_QUOTE.findall(plain)
    return _R_ANY.findall(plain)


def _window_beyond_box(window: bytes, max_rows: int, max_cols: int) -> bool:
    """Whether any ``r`` attribute of a worksheet's ``window`` is beyond the box or not a plain
    reference (:func:`_r_values`, :func:`_beyond_box`). One search of :func:`_box_suspect` first:
    when it finds nothing, every ``r`` attribute is a plain reference inside the box, and the
    answer is no; else the exact test decides."""
    suspect = _box_suspect(max_rows, max_cols)
    if suspect is not None and suspect.search(window) is None:
        return False
    refs = _r_values(window)
    return bool(refs) and _beyond_box(refs, max_rows, max_cols)


def _numbers_up_to(limit: int) -> bytes:
    """A pattern matching exactly the decimal numbers 1..``limit`` (``limit`` >= 1) written
    without leading zeros."""
    digits = str(limit)
    choices = [rb"[1-9]\d{0,%d}" % (len(digits) - 2)] if len(digits) > 1 else []
    for i, digit in enumerate(digits):  # same length: equal up to position i, then smaller
        low = 1 if i == 0 else 0
        if int(digit) > low:
            choices.append(rb"%s[%d-%d]\d{%d}" % (digits[:i].encode(), low, int(digit) - 1, len(digits) - i - 1))
    choices.append(digits.encode())
    return b"(?:" + b"|".join(choices) + b")"


def _letters_up_to(limit: bytes) -> bytes:
    """A pattern matching exactly the column letters 'A'..``limit`` and the empty string (a
    row's reference has no letters)."""
    choices = [b"[A-Z]{0,%d}" % (len(limit) - 1)]
    for i, letter in enumerate(limit):  # same length: equal up to position i, then before
        if letter > ord("A"):
            choices.append(b"%s[A-%c][A-Z]{%d}" % (limit[:i], letter - 1, len(limit) - i - 1))
    choices.append(limit)
    return b"(?:" + b"|".join(choices) + b")"


@functools.lru_cache(maxsize=8, typed=True)
def _box_suspect(max_rows: int, max_cols: int) -> re.Pattern | None:
    """A pattern finding every ``r`` attribute that is not provably inside the box: any ``r``
    after white space or a quote and before ``=`` (so every spelling :func:`_r_values` reads, and
    a few more), unless the ``=`` is followed by a quoted reference (``"A1"``, ``'12'``) that is
    the canonical one of a row (1..max_rows) or a cell (columns A..max_cols, at most three letters
    and seven digits, as :func:`_beyond_box` demands): that is the value :func:`_r_values` reads
    there. None for a box this proof is not built for."""
    if not (type(max_rows) is int and type(max_cols) is int and max_rows >= 1 and max_cols >= 1):
        return None
    rows = _numbers_up_to(min(max_rows, 9_999_999))  # seven digits at most, as _CANON_REFS
    limit = _col_letters(max_cols - 1).encode()
    columns = _letters_up_to(limit) if len(limit) <= 3 else rb"[A-Z]{0,3}"
    return re.compile(rb"""r(?<=[\s"']r)\s*=(?!["']%s%s["'])""" % (columns, rows))


def _beyond_box(refs: list[bytes], max_rows: int, max_cols: int) -> bool:
    """Whether any of the ``r`` attributes of a sheet's rows and cells ('12', 'AB12') is beyond
    the box, or is not a plain reference (then the sheet is rewritten, to be safe)."""
    joined = b"\n".join(refs) + b"\n"
    if not _CANON_REFS.fullmatch(joined):
        return True
    rows = set(joined.translate(None, _LETTER_BYTES).split())
    if max(map(int, rows)) > max_rows:
        return True
    limit = _col_letters(max_cols - 1).encode()
    columns = set(joined.translate(None, _DIGIT_BYTES).split())
    return any(len(c) > len(limit) or (len(c) == len(limit) and c > limit) for c in columns)


@dataclass
class _ZipScan:
    kind: str  # xlsx | xlsb | ods
    infos: list[zipfile.ZipInfo]
    parts: dict[str, _Part]
    #: every member's measured bytes, kept while the package is small and no sheet needs
    #: rewriting (then the bounded copy is made from them, in memory); else None
    members: dict[str, bytes] | None = None


#: a package whose members inflate to more than this (with their headers) is copied through a
#: temporary file
_KEEP_BYTES = 64 * 1024 * 1024


def _package_kind(names: set[str], archive: zipfile.ZipFile) -> str:
    if "EncryptionInfo" in names or "EncryptedPackage" in names:
        raise WorkbookError(_PASSWORD)
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "content.xml" in names and "mimetype" in names:
        info = archive.getinfo("mimetype")
        if info.file_size < 200 and info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
            if mimetype.startswith("application/vnd.oasis.opendocument.spreadsheet"):
                return "ods"
            raise WorkbookError(f"tệp là tài liệu OpenDocument loại '{mimetype[:60]}', không phải bảng tính; " + _RESEND)
    if "word/document.xml" in names:
        raise WorkbookError("tệp là văn bản Word (.docx) đổi đuôi thành Excel; đề nghị gửi Phụ lục II dạng Excel (.xlsx)")
    if "ppt/presentation.xml" in names:
        raise WorkbookError("tệp là bản trình chiếu PowerPoint đổi đuôi thành Excel; đề nghị gửi Phụ lục II dạng Excel (.xlsx)")
    raise WorkbookError("tệp là tệp nén (.zip) nhưng không phải bảng tính Excel; đề nghị gửi Phụ lục II dạng Excel (.xlsx)")


def _scan_zip(data: bytes, limits: Limits) -> _ZipScan:
    """Measure a zip package held in ``data`` (see the module docstring); raise
    :class:`WorkbookError` to refuse."""
    _zip_directory(data, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = [i.filename for i in infos]
            if len(set(names)) != len(names):
                raise WorkbookError("tệp nén có hai phần trùng tên; " + _HOSTILE)
            kind = _package_kind(set(names), archive)
            declared = sum(i.file_size for i in infos)
            compressed = sum(i.compress_size for i in infos) or 1
            if declared > limits.max_uncompressed_mb * 1024 * 1024:
                raise WorkbookError(
                    f"tệp giải nén ra {declared / 1048576:.0f} MB (giới hạn {limits.max_uncompressed_mb:g} MB); {_BOMB}"
                )
            if declared > 10 * 1024 * 1024 and declared / compressed > limits.max_compression_ratio:
                raise WorkbookError(f"tỷ lệ nén bất thường ({declared / compressed:.0f} lần); {_BOMB}")
            for info in infos:
                if info.flag_bits & 0x1:
                    raise WorkbookError(_PASSWORD)
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise WorkbookError(
                        f"phần '{info.filename[:60]}' nén bằng phương thức lạ (mã {info.compress_type}), Excel không dùng; " + _RESEND
                    )
    except zipfile.BadZipFile as error:
        raise WorkbookError(f"tệp Excel bị hỏng hoặc bị cắt cụt ({error}); đề nghị gửi lại") from error
    except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError, ValueError, struct.error) as error:
        raise WorkbookError(f"không giải nén được tệp ({type(error).__name__}); đề nghị gửi lại") from error
    parts: dict[str, _Part] = {}
    budget = [int(limits.max_uncompressed_mb * 1024 * 1024)]
    strings = 0
    # a member holds fewer texts than bytes, and inflates to at most its declared size (else it
    # is refused): a package declaring no more bytes than max_strings cannot reach the limit
    count_strings = declared > limits.max_strings
    members: dict[str, bytes] | None = {}
    kept = 0
    handle = io.BytesIO(data)
    for info in infos:
        if info.is_dir():
            continue
        scanner = _PartScanner(info, limits, count_strings)
        kept += 76 + 2 * len(info.filename.encode("utf-8"))  # its headers in the copy
        chunks: list[bytes] | None = [] if members is not None else None
        for chunk in _member_chunks(handle, info, budget, limits):
            scanner.feed(chunk)
            if chunks is not None:
                kept += len(chunk)
                if kept > _KEEP_BYTES:
                    chunks = members = None
                else:
                    chunks.append(chunk)
        part = scanner.finish()
        parts[info.filename] = part
        if members is not None and chunks is not None:
            members[info.filename] = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if part.oversized and (part.sheet or part.ods_content):
            members = None  # the sheet is rewritten, through a temporary file
        strings += part.strings
        if strings > limits.max_strings:
            raise WorkbookError(f"tệp có hơn {limits.max_strings} đoạn văn bản khác nhau; {_BOMB}")
    workbook_part = parts.get("xl/workbook.xml")
    if workbook_part is not None and workbook_part.size > 8 * 1024 * 1024:
        raise WorkbookError(f"phần mục lục của tệp (xl/workbook.xml) lớn bất thường; {_BOMB}")
    return _ZipScan(kind, infos, parts, members)


_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
_END_RECORD = struct.Struct("<IHHHHIIH")
_ZIP64_END_RECORD = struct.Struct("<IQHHIIQQQQ")
_ZIP64_LOCATOR = struct.Struct("<IIQI")
#: 1980-01-01 00:00, the first date a zip entry can carry
_DOS_DATE, _DOS_TIME = (1 << 5) | 1, 0


def _stored_package(scan: _ZipScan) -> bytes:
    """The bounded copy of a package whose members were kept: the same members, uncompressed,
    in a plain zip written here (the CRCs are the ones the scan checked the inflated bytes
    against). Kept members and their headers total little more than ``_KEEP_BYTES``, so every
    offset fits 32 bits; only the number of entries may need the zip64 end record."""
    pieces: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for info in scan.infos:
        if info.is_dir():
            continue
        body = scan.members[info.filename]
        try:
            name, flags = info.filename.encode("ascii"), 0
        except UnicodeEncodeError:
            name, flags = info.filename.encode("utf-8"), 0x800  # the UTF-8 name flag
        header = _LOCAL_HEADER.pack(
            0x04034B50, 20, flags, zipfile.ZIP_STORED, _DOS_TIME, _DOS_DATE, info.CRC, len(body), len(body), len(name), 0
        )
        directory.append(_CENTRAL_HEADER.pack(
            0x02014B50, 20, 20, flags, zipfile.ZIP_STORED, _DOS_TIME, _DOS_DATE, info.CRC, len(body), len(body),
            len(name), 0, 0, 0, 0, 0, offset,
        ) + name)
        pieces += (header, name, body)
        offset += len(header) + len(name) + len(body)
    count, size = len(directory), sum(map(len, directory))
    pieces += directory
    if count > 0xFFFF:
        pieces.append(_ZIP64_END_RECORD.pack(0x06064B50, 44, 45, 45, 0, 0, count, count, size, offset))
        pieces.append(_ZIP64_LOCATOR.pack(0x07064B50, 0, offset + size, 1))
    pieces.append(_END_RECORD.pack(0x06054B50, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF), size, offset, 0))
    return b"".join(pieces)


# ---- the bounded copy of a sheet part --------------------------------------------------------


class _TooMuch(Exception):
    pass


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _escape_attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        .replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")
    )


def _attr(attrs: list, local: str) -> str | None:
    for i in range(0, len(attrs), 2):
        if attrs[i].rpartition(":")[2] == local:
            return attrs[i + 1]
    return None


def _set_attr(attrs: list, local: str, value: str | None) -> list:
    """``attrs`` (expat's ordered list) with attribute ``local`` set (None removes it)."""
    out = []
    done = False
    for i in range(0, len(attrs), 2):
        if attrs[i].rpartition(":")[2] == local:
            if value is not None and not done:
                out += [attrs[i], value]
                done = True
            continue
        out += [attrs[i], attrs[i + 1]]
    if value is not None and not done:
        out += [local, value]
    return out


class _SkipRows(Exception):
    pass


#: input kept behind the parser, to find again the start of the tag where skipping begins
_HISTORY = 1 << 16
_END_SHEETDATA = re.compile(rb"</(?:[\w.-]+:)?sheetData\s*>")
_ROW_SPLIT = re.compile(rb"<(?:[\w.-]+:)?row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb"(?<![\w:.-])r\s*=\s*[\"'](\d{1,9})[\"']")
_VALUE_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:v|is|f)[\s>/]")


class _SheetRewriter:
    """Copy a sheet part (xlsx worksheet, or an ODS content.xml) keeping only cells inside the
    ``max_rows`` x ``max_cols`` box, and count the rows beyond it that hold something.

    Streams through expat (no entity or DTD processing: the scan refused those); positions are
    computed the way a spreadsheet program does (explicit references, else counting), and every
    kept xlsx row and cell is written with an explicit reference so the reader places it the same.
    Past the last row kept, an xlsx sheet's rows are only counted, at the byte level (rows are in
    ascending order in a worksheet; rows out of order after that point are not read), and parsing
    resumes at the end of ``sheetData`` (merged cells and the rest of the part)."""

    def __init__(self, write, limits: Limits, ods: bool):
        self.write = write
        self.ods = ods
        self.max_rows, self.max_cols = limits.max_rows, limits.max_cols
        self.kept_budget = 4 * limits.max_rows * limits.max_cols + 1_000_000
        self.total_budget = 30_000_000
        self.kept = 0
        self.seen = 0
        self.out: list[str] = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n']
        self.size = 0
        self.stack: list[tuple[str, bool, str]] = []  # (qname, kept, local)
        self.row = 0  # xlsx: 1-based row number of the current row; ods: 0-based start of the next row
        self.col = 0
        self.cell_row = self.cell_col = 0
        self.cell_end = 0
        self.row_start = 0
        self.row_repeat = 1
        self.row_has_value = False
        self.merged = 0
        self.last_value_row = 0  # 1-based
        self.last_value_col = 0  # 1-based
        self.tables: dict[str, tuple[int, int]] = {}  # ods: table name -> (last row, last col) with values
        self.table_name = ""
        self.table_value_row = 0
        self.table_value_col = 0
        self.replaying = False
        self.skipping = False
        self.skip_at = -1
        self.skip_carry = b""
        self.fed = 0
        self.previous = b""
        self.parser = self._new_parser()

    def _new_parser(self):
        parser = expat.ParserCreate()
        parser.ordered_attributes = True
        parser.buffer_text = True
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.StartDoctypeDeclHandler = self._refuse
        parser.EntityDeclHandler = self._refuse
        self.fed = 0
        self.previous = b""
        return parser

    def _refuse(self, *args):
        raise WorkbookError("bảng tính chứa khai báo DOCTYPE/ENTITY; nghi là tệp độc hại, không đọc")

    def feed(self, data: bytes) -> None:
        while data:
            if self.skipping:
                data = self._skip(data)
                continue
            try:
                self.parser.Parse(data, False)
            except _SkipRows:
                data = self._rest_from(self.skip_at, data)
                self.skipping = True
                continue
            self.fed += len(data)
            self.previous = (self.previous + data)[-_HISTORY:] if len(data) < _HISTORY else data[-_HISTORY:]
            data = b""
        self._flush()

    def close(self) -> None:
        if self.skipping:  # the part ended inside sheetData: close what is open
            self.skipping = False
            self._count_rows(self.skip_carry)
            for qname, keep, _local in reversed(self.stack):
                if keep:
                    self._emit(f"</{qname}>")
            self.stack = []
        else:
            self.parser.Parse(b"", True)
        self._flush(force=True)

    def _rest_from(self, index: int, data: bytes) -> bytes:
        """The input from byte ``index`` of the current parser's input on (the tag it points at
        starts in ``data`` or in the last ``_HISTORY`` bytes fed before it)."""
        if index >= self.fed:
            return data[index - self.fed :]
        held = self.fed - len(self.previous)
        if index < held:
            raise WorkbookError("trang tính có một thẻ XML dài bất thường; nghi là tệp độc hại, không đọc")
        return self.previous[index - held :] + data

    def _skip(self, data: bytes) -> bytes:
        """Count the rows of ``data`` until the end of sheetData; then resume parsing there."""
        buffer = self.skip_carry + data
        end = _END_SHEETDATA.search(buffer)
        if end is None:
            cut = buffer.rfind(b"<")
            cut = len(buffer) if cut < 0 else cut
            self._count_rows(buffer[:cut])
            self.skip_carry = buffer[cut:]
            if len(self.skip_carry) > _MAX_TAG:
                raise WorkbookError("trang tính có một thẻ XML dài bất thường; nghi là tệp độc hại, không đọc")
            return b""
        self._count_rows(buffer[: end.start()])
        self.skip_carry = b""
        self.skipping = False
        self.parser = self._new_parser()
        replay = "".join(f"<{qname}>" for qname, _keep, _local in self.stack).encode("utf-8")
        self.replaying = True
        try:
            self.parser.Parse(replay, False)
        finally:
            self.replaying = False
        self.fed = len(replay)
        return buffer[end.start() :]

    def _count_rows(self, segment: bytes) -> None:
        pieces = _ROW_SPLIT.split(segment)
        if self.row and _VALUE_TAG.search(pieces[0]):
            self.last_value_row = max(self.last_value_row, self.row)
        for i in range(1, len(pieces), 2):
            self.seen += 1
            number = _ROW_NUMBER.search(pieces[i])
            self.row = int(number.group(1)) if number else self.row + 1
            if _VALUE_TAG.search(pieces[i + 1]):
                self.last_value_row = max(self.last_value_row, self.row)
        if self.seen > self.total_budget:
            raise _TooMuch

    def _flush(self, force: bool = False) -> None:
        if self.size > _CHUNK or (force and self.out):
            self.write("".join(self.out).encode("utf-8"))
            self.out = []
            self.size = 0

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.size += len(text)

    # -- expat handlers

    def _start(self, name: str, attrs: list) -> None:
        if self.replaying:
            return
        self.seen += 1
        if self.seen > self.total_budget:
            raise _TooMuch
        local = name.rpartition(":")[2]
        if self.stack and not self.stack[-1][1]:  # inside something not kept: only count
            self.stack.append((name, False, local))
            if self.ods:
                self._start_ods(local, attrs, False)
            elif local in ("v", "is", "f") and self.stack[-2][2] == "c":
                self.last_value_row = max(self.last_value_row, self.cell_row)
                self.last_value_col = max(self.last_value_col, self.cell_col)
            elif local == "c":
                self._start_xlsx(local, attrs, False)
            return
        if self.ods:
            keep, attrs = self._start_ods(local, attrs, True)
        else:
            keep, attrs = self._start_xlsx(local, attrs, True)
        self.stack.append((name, keep, local))
        if keep:
            self.kept += 1
            if self.kept > self.kept_budget:
                raise _TooMuch
            parts = [f"<{name}"]
            for i in range(0, len(attrs), 2):
                parts.append(f' {attrs[i]}="{_escape_attr(attrs[i + 1])}"')
            parts.append(">")
            self._emit("".join(parts))

    def _start_xlsx(self, local: str, attrs: list, keep: bool) -> tuple[bool, list]:
        if local == "dimension":
            return False, attrs
        if local == "row":
            ref = _attr(attrs, "r")
            row = int(ref) if ref is not None and _ROW_REF.match(ref.strip()) else self.row + 1
            if row > self.max_rows and self.stack and self.stack[-1][2] == "sheetData":
                self.skip_at = self.parser.CurrentByteIndex
                raise _SkipRows
            self.row = row
            self.col = 0
            keep = keep and 1 <= self.row <= self.max_rows
            return keep, _set_attr(_set_attr(attrs, "r", str(self.row)), "spans", None)
        if local == "c":
            ref = _attr(attrs, "r")
            match = _REF.match(ref.strip()) if ref is not None else None
            if match:
                col, row = _col_index(match.group(1)) + 1, int(match.group(2))
            else:
                col, row = self.col + 1, self.row
            self.col = col
            self.cell_row, self.cell_col = row, col
            keep = keep and 1 <= row <= self.max_rows and 1 <= col <= self.max_cols
            if not keep:
                return False, attrs
            return True, _set_attr(attrs, "r", f"{_col_letters(col - 1)}{row}")
        if local in ("v", "is", "f") and self.stack and self.stack[-1][2] == "c":
            self.last_value_row = max(self.last_value_row, self.cell_row)
            self.last_value_col = max(self.last_value_col, self.cell_col)
            return keep, attrs
        if local == "mergeCell":
            ref = (_attr(attrs, "ref") or "").split(":")[0].strip()
            match = _REF.match(ref)
            inside = bool(match) and int(match.group(2)) <= self.max_rows and _col_index(match.group(1)) < self.max_cols
            keep = keep and inside and self.merged < _MAX_MERGED
            if keep:
                self.merged += 1
            return keep, attrs
        return keep, attrs

    def _start_ods(self, local: str, attrs: list, keep: bool) -> tuple[bool, list]:
        if local == "table" and _attr(attrs, "name") is not None and not any(s[2] == "table" for s in self.stack[:-1]):
            self.table_name = _attr(attrs, "name") or ""
            self.row = 0
            self.table_value_row = self.table_value_col = 0
            return keep, attrs
        if local == "table-row":
            repeat = _repeat(_attr(attrs, "number-rows-repeated"))
            self.row_start, self.row_repeat = self.row, repeat
            self.row += repeat
            self.col = 0
            self.row_has_value = False
            keep = keep and self.row_start < self.max_rows
            if not keep:
                return False, attrs
            shown = min(repeat, self.max_rows - self.row_start)
            return True, _set_attr(attrs, "number-rows-repeated", str(shown) if shown > 1 else None)
        if local in ("table-cell", "covered-table-cell"):
            repeat = _repeat(_attr(attrs, "number-columns-repeated"))
            start = self.col
            self.col += repeat
            self.cell_end = start + repeat
            if _attr(attrs, "value-type") is not None:
                self._ods_value(start + repeat)
            keep = keep and start < self.max_cols
            if not keep:
                return False, attrs
            shown = min(repeat, self.max_cols - start)
            return True, _set_attr(attrs, "number-columns-repeated", str(shown) if shown > 1 else None)
        return keep, attrs

    def _ods_value(self, last_col: int) -> None:
        self.row_has_value = True
        self.table_value_col = max(self.table_value_col, last_col)

    def _end(self, name: str) -> None:
        if self.replaying:
            return
        qname, keep, local = self.stack.pop()
        if self.ods:
            if local == "table-row" and self.row_has_value:
                self.table_value_row = max(self.table_value_row, self.row_start + self.row_repeat)
            elif local == "table" and self.table_name and not any(s[2] == "table" for s in self.stack):
                self.tables[self.table_name] = (self.table_value_row, self.table_value_col)
        if keep:
            self._emit(f"</{qname}>")

    def _text(self, data: str) -> None:
        if self.replaying or not self.stack:
            return
        if self.ods and not self.row_has_value and self.stack[-1][2] == "p" and data.strip():
            self._ods_value(self.cell_end)
        if self.stack[-1][1]:
            self._emit(_escape_text(data))


def _repeat(value: str | None) -> int:
    if value is None:
        return 1
    value = value.strip()
    if not value.isdigit():
        return 1
    return max(1, min(int(value[:9]), _EXCEL_ROWS))


@dataclass
class _SheetStats:
    """Rows and columns holding something in a rewritten sheet (1-based numbers of the last)."""

    rows: int
    cols: int


def _repack(data: bytes, scan: _ZipScan, limits: Limits, dest: Path) -> dict[str, _SheetStats]:
    """Copy the package ``data`` to ``dest`` from the measured bytes, rewriting oversized sheets;
    return the statistics of each rewritten sheet (xlsx: by part name; ods: by table name)."""
    stats: dict[str, _SheetStats] = {}
    budget = [int(limits.max_uncompressed_mb * 1024 * 1024)]
    handle = io.BytesIO(data)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED, allowZip64=True) as out:
        for info in scan.infos:
            if info.is_dir():
                continue
            part = scan.parts[info.filename]
            target = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            target.compress_type = zipfile.ZIP_STORED
            with out.open(target, "w", force_zip64=info.file_size > (1 << 30)) as sink:
                rewrite = part.oversized and (part.sheet or (scan.kind == "ods" and part.ods_content))
                if not rewrite:
                    for chunk in _member_chunks(handle, info, budget, limits):
                        sink.write(chunk)
                    continue
                rewriter = _SheetRewriter(sink.write, limits, ods=scan.kind == "ods")
                try:
                    for chunk in _member_chunks(handle, info, budget, limits):
                        rewriter.feed(chunk)
                    rewriter.close()
                except _TooMuch as error:
                    raise WorkbookError(
                        f"trang tính '{info.filename[:60]}' có quá nhiều ô (hàng triệu ô ngoài phạm vi bảng); {_HOSTILE}"
                    ) from error
                except expat.ExpatError as error:
                    raise WorkbookError(
                        f"phần '{info.filename[:60]}' của tệp không phải XML hợp lệ ({error}); đề nghị gửi lại"
                    ) from error
                if scan.kind == "ods":
                    for name, (rows, cols) in rewriter.tables.items():
                        stats[name] = _SheetStats(rows, cols)
                else:
                    stats[info.filename] = _SheetStats(rewriter.last_value_row, rewriter.last_value_col)
    return stats


# ------------------------------------------------------------------------------------------------
# step 3: the reader process


class _SafeUnpickler(pickle.Unpickler):
    """Only plain data (and the datetime types) come back from the reader process."""

    def find_class(self, module, name):
        if module == "datetime" and name in ("datetime", "date", "time", "timedelta", "timezone"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed")


def _loads(data: bytes):
    return _SafeUnpickler(io.BytesIO(data)).load()


def _open_book(source):
    """A calamine workbook from a path, or from the bytes of a workbook (format told by content)."""
    if isinstance(source, (bytes, bytearray)):
        return calamine.CalamineWorkbook.from_filelike(io.BytesIO(source))
    return calamine.CalamineWorkbook.from_path(str(source))


def _describe_error(error: BaseException) -> tuple[str, str]:
    if isinstance(error, calamine.PasswordError):
        return "password", ""
    return "broken", f"{type(error).__name__}: {str(error)[:160]}"


#: the most characters a cell holds in Excel; longer text is not from a spreadsheet program
_MAX_CELL_TEXT = 32_767


def _read_sheet(book, name: str, nrows: int, ncols: int) -> dict:
    sheet = book.get_sheet_by_name(name)
    rows = sheet.to_python(skip_empty_area=False, nrows=nrows)
    if rows and len(rows[0]) > ncols:
        rows = [r[:ncols] for r in rows]
    # the longest text first, at C speed (empty cells, most of a sheet, skipped; length_hint is a
    # text's length, 0 for numbers, dates and booleans); cut the texts only when one is too long
    longest = max(map(operator.length_hint, filter(None, itertools.chain.from_iterable(rows))), default=0)
    if longest > _MAX_CELL_TEXT:
        for row in rows:
            for i, value in enumerate(row):
                if type(value) is str and len(value) > _MAX_CELL_TEXT:
                    row[i] = value[:_MAX_CELL_TEXT] + "…"
    end = sheet.end
    merged = []
    for a, b in (sheet.merged_cell_ranges or [])[:_MAX_MERGED]:
        merged.append((a[0], a[1], b[0], b[1]))
    return {
        "rows": rows,
        "merged": merged,
        "total_rows": (end[0] + 1) if end else 0,
        "total_cols": (end[1] + 1) if end else 0,
    }


def _reader_main() -> None:  # pragma: no cover - runs in the reader process
    """The reader process: opens workbooks with python-calamine on request (see :class:`_Reader`)."""
    channel_in = os.fdopen(os.dup(0), "rb", buffering=0)
    channel_out = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # nothing the parser prints can reach the channel
    try:
        import resource

        limit = int(float(os.environ.get("CCHC_READER_MB", "1024")) * 1024 * 1024)
        with open("/proc/self/status") as status:
            vm = next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:")), 0)
        resource.setrlimit(resource.RLIMIT_AS, (vm + limit, vm + limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except Exception:
        pass
    books: dict[int, object] = {}
    counter = 0

    def read_exact(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = channel_in.read(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    while True:
        try:
            (length,) = struct.unpack("<I", read_exact(4))
            request = pickle.loads(read_exact(length))
        except EOFError:
            return
        op = request[0]
        try:
            if op == "open":
                book = _open_book(request[1])
                counter += 1
                books[counter] = book
                meta = [(m.name, str(m.visible), str(m.typ)) for m in book.sheets_metadata]
                reply = ("ok", counter, meta)
            elif op == "sheet":
                reply = ("ok", _read_sheet(books[request[1]], request[2], request[3], request[4]))
            elif op == "close":
                book = books.pop(request[1], None)
                if book is not None:
                    book.close()
                reply = ("ok",)
            else:
                reply = ("error", "broken", f"unknown request {op!r}")
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # pyo3 panics are BaseException
            reply = ("error", *_describe_error(error))
        try:
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:
            data = pickle.dumps(("error", "broken", f"unpicklable: {error}"))
        channel_out.write(struct.pack("<I", len(data)) + data)


class _ReaderGone(Exception):
    """The reader process died (memory exhausted, crash) or took too long."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


class _Reader:
    """One long-lived reader process per memory limit: requests go over a pipe, one at a time.
    When it dies or hangs on a file it is killed and a fresh one serves the next request."""

    _instances: dict[tuple[int, float], "_Reader"] = {}
    _lock = threading.Lock()

    def __init__(self, memory_mb: float):
        self.memory_mb = memory_mb
        self.pid = os.getpid()
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()

    @classmethod
    def get(cls, memory_mb: float) -> "_Reader":
        """The reader of this process (a forked process never uses its parent's: it would write
        into the parent's pipe)."""
        key = (os.getpid(), memory_mb)
        with cls._lock:
            reader = cls._instances.get(key)
            if reader is None:
                reader = cls._instances[key] = cls(memory_mb)
            return reader

    def _start(self) -> subprocess.Popen:
        package_parent = str(Path(__file__).resolve().parents[1])
        code = (
            "import sys; sys.path.insert(0, %r); "
            "from cchc_analysis.workbook import _reader_main; _reader_main()" % package_parent
        )
        import subprocess

        env = {**os.environ, "CCHC_READER_MB": str(self.memory_mb), "RUST_BACKTRACE": "0"}
        return subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env, close_fds=True,
        )

    def call(self, request: tuple, timeout: float):
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self._reap()
                self.proc = self._start()
            proc = self.proc
            data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
            try:
                proc.stdin.write(struct.pack("<I", len(data)) + data)
                proc.stdin.flush()
                deadline = time.monotonic() + timeout
                (length,) = struct.unpack("<I", self._read(proc, 4, deadline))
                return _loads(self._read(proc, length, deadline))
            except _ReaderGone:
                self._kill()
                raise
            except (OSError, ValueError, struct.error, pickle.UnpicklingError, EOFError) as error:
                self._kill()
                raise _ReaderGone("crash") from error

    def _read(self, proc: subprocess.Popen, n: int, deadline: float) -> bytes:
        fd = proc.stdout.fileno()
        data = bytearray()
        while len(data) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _ReaderGone("timeout")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, n - len(data))
            if not chunk:
                raise _ReaderGone("crash")
            data += chunk
        return bytes(data)

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            proc.kill()
        except OSError:
            pass
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except Exception:
                pass
        try:
            proc.wait(timeout=10)
        except Exception:
            pass

    def _reap(self) -> None:
        if self.proc is not None:
            self._kill()

    def shutdown(self) -> None:
        with self.lock:
            proc, self.proc = self.proc, None
            if proc is None:
                return
            try:
                proc.stdin.close()  # the reader ends on end of input
                proc.wait(timeout=5)
            except Exception:
                try:
                    proc.kill()
                    proc.wait(timeout=5)
                except Exception:
                    pass
            try:
                proc.stdout.close()
            except Exception:
                pass


@atexit.register
def _shutdown_readers() -> None:
    for reader in list(_Reader._instances.values()):
        if reader.pid == os.getpid():
            reader.shutdown()


def _reader_failure(why: str, limits: Limits) -> WorkbookError:
    """The refusal of a file that made the reader crash, exhaust memory or overrun its time
    (``transient``: a busy machine may have played a part, so it is not remembered)."""
    if why == "timeout":
        error = WorkbookError(
            f"đọc tệp quá {limits.max_read_seconds:g} giây (tệp bất thường hoặc hỏng); không đọc. " + _RESEND_SENTENCE
        )
    else:
        error = WorkbookError(
            f"tệp làm trình đọc vượt giới hạn bộ nhớ {limits.max_reader_mb:g} MB hoặc bị lỗi (tệp bất thường, hỏng hoặc độc hại); "
            "không đọc. " + _RESEND_SENTENCE
        )
    error.transient = True
    return error


# ------------------------------------------------------------------------------------------------
# the workbook

_PRIVATE: dict[str, object] = {"dir": None, "count": 0, "pid": None}
_PRIVATE_LOCK = threading.Lock()


_PRIVATE_PREFIX = "cchc-read-"


def private_folder() -> Path:
    """This process's private temporary folder (made now if need be). A process that forks
    workers makes it first: the workers then put their copies there, and whatever a killed
    worker leaves is removed with the folder when this process ends."""
    with _PRIVATE_LOCK:
        folder = _PRIVATE["dir"]
        if folder is not None and os.path.isdir(folder):
            return Path(folder)
    name = _private_name()
    return name.parent


def _private_name() -> Path:
    """A fresh path (without suffix) in a private temporary folder (mode 0700, removed when the
    process that made it ends), for the bounded copies the reader reads. Names carry the process
    id: forked workers share the folder of their parent, never a name."""
    with _PRIVATE_LOCK:
        folder = _PRIVATE["dir"]
        if folder is None or not os.path.isdir(folder):
            _sweep_private()
            folder = _PRIVATE["dir"] = tempfile.mkdtemp(prefix=f"{_PRIVATE_PREFIX}{os.getpid()}-")
            _PRIVATE["pid"] = os.getpid()
            try:  # a worker process of multiprocessing ends without atexit; its finalizers run
                from multiprocessing import util

                util.Finalize(None, _remove_private, exitpriority=1)
            except Exception:
                pass
        _PRIVATE["count"] += 1
        return Path(folder) / f"book-{os.getpid()}-{_PRIVATE['count']}"


def _sweep_private() -> None:
    """Remove the folders that processes killed before their clean-up left behind."""
    base = Path(tempfile.gettempdir())
    try:
        candidates = list(base.glob(f"{_PRIVATE_PREFIX}*-*"))
    except OSError:
        return
    for folder in candidates:
        pid = folder.name[len(_PRIVATE_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (PermissionError, OverflowError, OSError):
            continue


@atexit.register
def _remove_private() -> None:
    folder = _PRIVATE.get("dir")
    if folder and _PRIVATE.get("pid") == os.getpid():
        shutil.rmtree(folder, ignore_errors=True)
        _PRIVATE["dir"] = None


def _xml(data: bytes):
    """Parse a small part with the C parser. Safe because every member was refused at the scan
    if it declared a DOCTYPE or an ENTITY (so there is nothing to expand); checked again here."""
    from xml.etree import ElementTree as ET

    if _DTD.search(data):
        raise WorkbookError(_HOSTILE)
    return ET.fromstring(data)


#: parts up to this size have what is learnt from them remembered (workbooks made from one
#: template share their workbook.xml and styles.xml): at most ``_MEMO_SIZE`` of them
_MEMO_BYTES = 256 * 1024
_MEMO_SIZE = 32


def _memo_small_parts(function):
    """``function`` of a few parts' bytes, remembered while the parts are small (the bytes are the
    key: a part is never taken for another)."""
    remembered = functools.lru_cache(maxsize=_MEMO_SIZE)(function)

    @functools.wraps(function)
    def call(*parts: bytes | None):
        if sum(len(part) for part in parts if part) <= _MEMO_BYTES:
            return remembered(*parts)
        return function(*parts)

    return call


@_memo_small_parts
def _sheet_targets(book: bytes, rels: bytes | None) -> tuple[tuple[str, str], ...]:
    """(sheet name, part) of each sheet listed in workbook.xml (``book``), the parts from its
    relationships (``rels``; None when there are none to read)."""
    tree = _xml(book)
    relations = {}
    for rel in _xml(rels) if rels is not None else ():
        relations[rel.get("Id")] = rel.get("Target", "")
    targets = []
    for element in tree.iter():
        if element.tag.endswith("}sheet") or element.tag == "sheet":
            rid = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
            target = relations.get(rid, "")
            if target.startswith("/"):
                target = target.lstrip("/")
            elif not target.startswith("xl/"):
                target = "xl/" + target
            targets.append((element.get("name", ""), target))
    return tuple(targets)


@_memo_small_parts
def _percent_style_ids(styles: bytes) -> frozenset[int]:
    """The cell styles (indices into ``cellXfs``) of styles.xml whose number format is a percent."""
    tree = _xml(styles)
    percent_formats = set(_PERCENT_BUILTIN)
    for element in tree.iter():
        if element.tag.endswith("numFmt") and "%" in element.get("formatCode", "").replace('"%"', ""):
            try:
                percent_formats.add(int(element.get("numFmtId", -1)))
            except ValueError:
                pass
    found = set()
    for element in tree.iter():
        if element.tag.endswith("cellXfs"):
            for index, xf in enumerate(x for x in element if x.tag.endswith("xf")):
                try:
                    if int(xf.get("numFmtId", 0)) in percent_formats:
                        found.add(index)
                except ValueError:
                    pass
    return frozenset(found)


#: the built-in percent formats (numbers 9 and 10) named by a style
_BUILTIN_PERCENT = re.compile(rb"numFmtId\s*=\s*[\"']0*(?:9|10)[\"']")
_CELL_START = re.compile(rb"<(?:[\w.-]+:)?c[\s>/]")
_CELL_END = re.compile(rb"</(?:[\w.-]+:)?c\s*>|<(?:[\w.-]+:)?row[\s>/]")
_FORMULA_START = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")
#: an 'f' straight after '<' or ':', where every formula tag (prefixed or not) has one; the
#: literal 'f' is rare in a sheet, so this search is much faster than two for '<f' and ':f'
_FORMULA_MARK = re.compile(rb"f(?<=[<:]f)")


def _may_hold_formula(data: bytes) -> bool:
    """False when ``data`` holds no '<f' and no ':f', so no formula tag at all."""
    return _FORMULA_MARK.search(data) is not None


def _cells_of_interest(data: bytes, percent_styles: set[int]):
    """The cells (``_CELL`` matches) of a sheet's XML that have a formula or one of
    ``percent_styles``, found from those marks (a formula tag; an ``s`` attribute naming one of
    the styles) and widened to their cell: the thousands of plain cells are never parsed."""
    starts: set[int] = set()
    formulas = [m.start() for m in _FORMULA_START.finditer(data)] if _may_hold_formula(data) else []
    if formulas:  # the cell holding each: the last cell start before it, with no cell end between
        cell_starts = [m.start() for m in _CELL_START.finditer(data)]
        barriers = [m.start() for m in _CELL_END.finditer(data)]
        for mark in formulas:
            i = bisect.bisect_left(cell_starts, mark) - 1
            if i < 0:
                continue
            j = bisect.bisect_left(barriers, mark) - 1
            if j < 0 or barriers[j] < cell_starts[i]:
                starts.add(cell_starts[i])
    if percent_styles:
        styles = b"|".join(b"%d" % i for i in sorted(percent_styles))
        # an 's' that starts a word (what '\b' before it would say), the literal first: a faster search
        for mark in re.finditer(rb"s(?<!\ws)\s*=\s*[\"']\s*0*(?:" + styles + rb")\s*[\"']", data):
            at = data.rfind(b"<", 0, mark.start())  # the tag the attribute belongs to
            if at >= 0 and _CELL_START.match(data, at):
                starts.add(at)
    for at in sorted(starts):
        match = _CELL.match(data, at)
        if match is not None:
            yield match


class _Members:
    """The kept members of a package with the few :class:`zipfile.ZipFile` methods the XML facts
    pass uses."""

    def __init__(self, members: dict[str, bytes]):
        self.members = members

    def __enter__(self) -> "_Members":
        return self

    def __exit__(self, *exc) -> None:
        pass

    def infolist(self) -> list[zipfile.ZipInfo]:
        return [self.getinfo(name) for name in self.members]

    def getinfo(self, name: str) -> zipfile.ZipInfo:
        if name not in self.members:
            raise KeyError(name)
        info = zipfile.ZipInfo(name)
        info.file_size = len(self.members[name])
        return info

    def read(self, name: str) -> bytes:
        return self.members[name]

    def open(self, name: str):
        return io.BytesIO(self.members[name])


@dataclass
class _Meta:
    name: str
    visible: str
    typ: str


class Workbook:
    """An opened workbook: its sheets (read on request, bounded) and, for zip files, per-cell
    format facts. Always :meth:`close` it (it may hold a private temporary copy)."""

    #: read in this process instead of the reader process: set in the sandboxed worker processes
    #: of :mod:`cchc_analysis.sandbox` (which are themselves memory- and time-bounded), in tests, or
    #: where no process can be started
    in_process = False

    def __init__(self, path: Path, limits: Limits | None = None):
        self.path = Path(path)
        self.limits = limits or Limits()
        self._tmp: Path | None = None
        self._handle: int | None = None
        self._book = None
        self._stats: dict[str, _SheetStats] = {}
        self._members: dict[str, bytes] | None = None
        self._sheet_members: list[str] | None = None
        self._cell_info: dict[str, dict[tuple[int, int], CellInfo] | None] = {}
        self._sheet_parts: dict[str, str] | None = None
        self._percent_styles: set[int] | None = None
        self._facts_possible: bool | None = None
        self.kind = ""
        self._deadline = time.monotonic() + self.limits.max_read_seconds
        data = self._read_bytes()  # read once: what is sniffed and measured is what is read
        self.container = sniff(data)
        try:
            if self.container == "zip":
                scan = _scan_zip(data, self.limits)
                self.kind = scan.kind
                if scan.members is not None:
                    # the usual case: the bounded copy is made in memory from the measured bytes
                    self._members = scan.members
                    self._sheet_members = [name for name, part in scan.parts.items() if part.sheet]
                    package = _stored_package(scan)
                    del data, scan
                    self._source = package if self.in_process else self._private_copy(package)
                else:
                    self._source = self._tmp = _private_name().with_suffix(f".{scan.kind}")
                    try:
                        self._stats = _repack(data, scan, self.limits, self._source)
                    except OSError as error:
                        raise WorkbookError(f"không tạo được bản đọc tạm của tệp ({type(error).__name__})") from error
            else:
                self.kind = "xls"
                if self.in_process:
                    self._source = data  # what was sniffed is what is read
                else:
                    del data  # the reader process reads the file itself
                    self._source = self.path
                    if self.path.suffix != ".xls":  # the reader picks the format by the name
                        self._source = self._tmp = _private_name().with_suffix(".xls")
                        try:
                            os.symlink(self.path.resolve(), self._source)
                        except OSError:
                            shutil.copyfile(self.path, self._source)
            self.metadata = self._open()
        except BaseException:
            self.close()
            raise

    def _read_bytes(self) -> bytes:
        """The whole file, once, its size bounded first (:func:`_check_size`); a file that grew
        beyond the limit meanwhile is refused. A file that cannot be opened raises the
        :class:`OSError` itself."""
        _check_size(self.path.stat().st_size, self.limits)
        limit = int(self.limits.max_file_mb * 1024 * 1024)
        with open(self.path, "rb") as handle:
            try:
                size = os.fstat(handle.fileno()).st_size  # read(n) would reserve n bytes up front
                data = handle.read(min(size, limit)) + handle.read(1)
            except OSError as error:
                raise WorkbookError(f"không mở được tệp ({type(error).__name__}); đề nghị gửi lại") from error
        if len(data) > limit:
            raise WorkbookError(f"tệp quá lớn (giới hạn {self.limits.max_file_mb:g} MB); Phụ lục II chỉ cần một bảng nhỏ")
        return data

    def _private_copy(self, package: bytes) -> Path:
        """Write the bounded copy where the reader process can open it."""
        self._tmp = _private_name().with_suffix(f".{self.kind}")
        try:
            fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(package)
        except OSError as error:
            raise WorkbookError(f"không tạo được bản đọc tạm của tệp ({type(error).__name__})") from error
        return self._tmp

    # ---- reading through the reader process (or in process)

    def _request(self, request: tuple):
        if self.in_process:
            return self._request_here(request)
        left = self._deadline - time.monotonic()
        if left <= 0 and request[0] != "close":
            raise _reader_failure("timeout", self.limits)
        try:
            reply = _Reader.get(self.limits.max_reader_mb).call(request, max(left, 5.0) if request[0] == "close" else left)
        except _ReaderGone as gone:
            raise _reader_failure(gone.why, self.limits) from None
        except OSError:
            # no process could be started here: read in this process (still bounded by the copy)
            self.in_process = True
            return self._request_here(request)
        if reply[0] == "error":
            raise self._failure(reply[1], reply[2])
        return reply

    def _request_here(self, request: tuple):
        try:
            if request[0] == "open":
                self._book = _open_book(self._source)
                meta = [(m.name, str(m.visible), str(m.typ)) for m in self._book.sheets_metadata]
                return ("ok", 0, meta)
            if request[0] == "sheet":
                return ("ok", _read_sheet(self._book, request[2], request[3], request[4]))
            if request[0] == "close" and self._book is not None:
                self._book.close()
            return ("ok",)
        except (KeyboardInterrupt, SystemExit):
            raise
        except MemoryError:  # this process's memory cap: say so (and do not remember it)
            raise _reader_failure("crash", self.limits) from None
        except BaseException as error:  # pyo3 panics are BaseException
            raise self._failure(*_describe_error(error)) from None

    @staticmethod
    def _failure(kind: str, detail: str) -> WorkbookError:
        if kind == "password":
            return WorkbookError(_PASSWORD)
        return WorkbookError(f"không mở được tệp ({detail}); đề nghị gửi lại")

    def _open(self) -> list[_Meta]:
        reply = self._request(("open", self._source if self.in_process else str(self._source)))
        self._handle = reply[1]
        return [_Meta(*m) for m in reply[2]]

    @property
    def sheet_names(self) -> list[str]:
        return [m.name for m in self.metadata]

    def sheet(self, name: str) -> SheetData:
        """Read one sheet (at most ``max_rows`` rows and ``max_cols`` columns)."""
        meta = next(m for m in self.metadata if m.name == name)
        limits = self.limits
        try:
            reply = self._request(("sheet", self._handle, name, limits.max_rows, limits.max_cols))
        except WorkbookError as error:
            failure = WorkbookError(f"không đọc được trang '{name}': {error.reason}")
            failure.transient = getattr(error, "transient", False)
            raise failure from None
        data = reply[1]
        total_rows, total_cols = data["total_rows"], data["total_cols"]
        stats = self._stats.get(name) if self.kind == "ods" else None
        if self.kind in ("xlsx",) and self._stats:
            part = self._parts().get(name)
            stats = self._stats.get(part) if part else None
        if stats is not None:
            total_rows, total_cols = max(total_rows, stats.rows), max(total_cols, stats.cols)
        return SheetData(
            name=name,
            rows=data["rows"],
            merged=data["merged"],
            hidden=meta.visible != "SheetVisibleEnum.Visible",
            truncated=total_rows > limits.max_rows,
            total_rows=total_rows,
            total_cols=total_cols,
            cols_truncated=total_cols > limits.max_cols,
        )

    # ---- XML facts (xlsx/xlsm only), read from the bounded copy -----------------------------

    def _parts(self) -> dict[str, str]:
        if self._sheet_parts is None:
            self._sheet_parts = {}
            self._percent_styles = set()
            if self.kind != "xlsx":
                return self._sheet_parts
            try:
                self._read_parts()
            except Exception:
                self._sheet_parts = {}
        return self._sheet_parts

    def _archive(self):
        """The bounded copy's members: the kept bytes (a mapping with ``read``/``open``/sizes) or
        the temporary zip file."""
        if self._members is not None:
            return _Members(self._members)
        return zipfile.ZipFile(self._source)

    def _read_parts(self) -> None:
        with self._archive() as archive:
            sizes = {i.filename: i.file_size for i in archive.infolist()}
            if "xl/workbook.xml" not in sizes or sizes["xl/workbook.xml"] > _MAX_FACTS_PART:
                return
            book = archive.read("xl/workbook.xml")
            rels = None
            if 0 < sizes.get("xl/_rels/workbook.xml.rels", _MAX_FACTS_PART + 1) <= _MAX_FACTS_PART:
                rels = archive.read("xl/_rels/workbook.xml.rels")
            self._sheet_parts.update(_sheet_targets(book, rels))
            if 0 < sizes.get("xl/styles.xml", 0) <= _SANITISE_BYTES:
                self._percent_styles.update(_percent_style_ids(archive.read("xl/styles.xml")))
            elif "xl/styles.xml" in sizes:  # a bloated style sheet: stream it
                percent_formats = set(_PERCENT_BUILTIN)
                index = -1
                in_xfs = False
                from xml.etree import ElementTree as ET

                with archive.open("xl/styles.xml") as styles:
                    for event, element in ET.iterparse(styles, events=("start", "end")):
                        tag = element.tag.rpartition("}")[2]
                        if event == "start":
                            if tag == "cellXfs":
                                in_xfs, index = True, -1
                            continue
                        if tag == "numFmt" and "%" in element.get("formatCode", "").replace('"%"', ""):
                            try:
                                percent_formats.add(int(element.get("numFmtId", -1)))
                            except ValueError:
                                pass
                        elif tag == "xf" and in_xfs:
                            index += 1
                            try:
                                if int(element.get("numFmtId", 0)) in percent_formats:
                                    self._percent_styles.add(index)
                            except ValueError:
                                pass
                        elif tag == "cellXfs":
                            in_xfs = False
                        element.clear()

    def _may_have_facts(self) -> bool:
        """False when the kept members show no percent number format and no formula at all (the
        usual case): then no XML needs parsing. True when unsure. Decided once per workbook."""
        if self._facts_possible is None:
            self._facts_possible = self._members is None or self._sheet_members is None
            if not self._facts_possible:
                styles = self._members.get("xl/styles.xml", b"")
                # '%' may be written '&#37;'
                self._facts_possible = b"%" in styles or b"&#" in styles or _BUILTIN_PERCENT.search(styles) is not None
            if not self._facts_possible:
                self._facts_possible = any(_may_hold_formula(self._members[name]) for name in self._sheet_members)
        return self._facts_possible

    def cell_info(self, sheet: str) -> dict[tuple[int, int], CellInfo] | None:
        """Per-cell facts of a sheet, keyed by 0-based (row, col); None where the format is unknown
        (not an xlsx/xlsm workbook, or its XML could not be followed)."""
        if self.kind != "xlsx":
            return None
        if sheet in self._cell_info:
            return self._cell_info[sheet]
        if not self._may_have_facts():
            self._cell_info[sheet] = {}  # no percent format and no formula anywhere: nothing to say
            return self._cell_info[sheet]
        self._cell_info[sheet] = None
        try:
            part = self._parts().get(sheet)
            if not part:
                return None
            with self._archive() as archive:
                if archive.getinfo(part).file_size > _MAX_FACTS_PART:
                    return None
                data = archive.read(part)
        except Exception:
            return None
        percent_styles = self._percent_styles or set()
        info: dict[tuple[int, int], CellInfo] = {}
        if not percent_styles and not _may_hold_formula(data):
            self._cell_info[sheet] = info  # no percent format and no formula: nothing to say
            return info
        for match in _cells_of_interest(data, percent_styles):
            attrs = dict(_ATTR.findall(match.group(1)))
            ref = attrs.get(b"r")
            if not ref:
                continue
            parsed = _REF.match(ref.decode("ascii", "replace"))
            if not parsed:
                continue
            body = match.group(3) or b""
            has_formula = _FORMULA.search(body) is not None
            has_value = _CACHED.search(body) is not None
            try:
                style = int(attrs.get(b"s", b"0") or 0)
            except ValueError:
                style = 0
            if style in percent_styles or has_formula:
                info[(int(parsed.group(2)) - 1, _col_index(parsed.group(1)))] = CellInfo(
                    percent=style in percent_styles, formula=has_formula, cached=has_value
                )
        self._cell_info[sheet] = info
        return info

    def close(self) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            try:
                self._request(("close", handle))
            except Exception:
                pass
        elif self._book is not None:
            try:
                self._book.close()
            except Exception:
                pass
        self._book = None
        self._members = None
        self._facts_possible = None  # it was decided from the members just let go
        if self._tmp is not None:
            try:
                self._tmp.unlink()
            except OSError:
                pass
            self._tmp = None

    def __enter__(self) -> "Workbook":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
