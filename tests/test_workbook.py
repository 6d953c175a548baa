"""Reading one workbook (cchc_analysis.workbook): what a file is, whether it is safe to parse,
and the number formats a person sees. Expected values are written by hand."""

from __future__ import annotations

import re
import struct
import zipfile
import zlib

import openpyxl
import pytest

from cchc_analysis import workbook as W
from cchc_analysis.workbook import Limits, Workbook, WorkbookError


# ---- the zip package: sizes, CRCs, the end of the stream ----------------------------------------


def raw_zip(entries: list[tuple]) -> bytes:
    """A zip written by hand. Entries: (name, content, method, declared size or None, CRC or
    None[, the member's raw bytes when not the deflated content])."""
    local, central = b"", b""
    for name, content, method, declared, crc, *raw in entries:
        body = content
        if method == zipfile.ZIP_DEFLATED:
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            body = packer.compress(content) + packer.flush()
        body = raw[0] if raw else body
        size = len(content) if declared is None else declared
        check = zlib.crc32(content) if crc is None else crc
        encoded = name.encode()
        fields = (20, 0, method, 0, 33, check, len(body), size, len(encoded))
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, 0, len(local)) + encoded
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + encoded + body
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(local), 0)
    return local + central + end


BOOK = [("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook><sheets/></workbook>")]


def check(entries, limits: Limits | None = None) -> dict[str, bytes]:
    full = [(n, c, zipfile.ZIP_DEFLATED, None, None) for n, c in BOOK] + entries
    kind, members = W.check_package(raw_zip(full), limits or Limits())
    assert kind == "xlsx"
    return members


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_member_that_lies_about_its_size_or_crc_is_refused(method):
    content = b"<x>" + b"0123456789" * 500 + b"</x>"  # 5007 bytes
    assert check([("xl/a.xml", content, method, None, None)])["xl/a.xml"] == content
    for declared, crc in [(len(content) - 1, None), (len(content) + 1, None), (None, zlib.crc32(content) ^ 1)]:
        with pytest.raises(WorkbookError, match="khác kích thước|cắt cụt"):
            check([("xl/a.xml", content, method, declared, crc)])


def test_a_cut_deflate_stream_is_refused():
    content = b"<x>" + bytes(range(256)) * 40 + b"</x>"
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = packer.compress(content) + packer.flush()
    with pytest.raises(WorkbookError):
        check([("xl/a.xml", content, zipfile.ZIP_DEFLATED, None, None, body[: len(body) // 2])])


def test_sizes_ratio_and_member_count_come_from_the_limits():
    big = b"<x>" + b" " * 3_000_000 + b"</x>"
    with pytest.raises(WorkbookError, match="giới hạn 1 MB"):
        check([("xl/a.xml", big, zipfile.ZIP_DEFLATED, None, None)], Limits(max_uncompressed_mb=1))
    with pytest.raises(WorkbookError, match="quá nhiều phần"):
        check([(f"xl/{i}.xml", b"<x/>", zipfile.ZIP_DEFLATED, None, None) for i in range(5)], Limits(max_parts=4))
    with pytest.raises(WorkbookError, match="trùng tên"):
        check([("xl/a.xml", b"<x/>", zipfile.ZIP_DEFLATED, None, None)] * 2)


@pytest.mark.parametrize("xml", [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
    b"<x/><!DOCTYPE x>",  # after the root: no parser should see it, nor is it left for one to try
    b'<x><!ENTITY a "b"></x>',
])
def test_a_dtd_anywhere_in_an_xml_member_is_refused(xml):
    with pytest.raises(WorkbookError, match="DOCTYPE/ENTITY"):
        check([("xl/worksheets/sheet1.xml", xml, zipfile.ZIP_DEFLATED, None, None)])
    check([("xl/media/image1.png", xml, zipfile.ZIP_DEFLATED, None, None)])  # media may carry anything


def test_a_utf16_xml_member_is_refused():
    with pytest.raises(WorkbookError, match="UTF-16"):
        check([("xl/styles.xml", "<x/>".encode("utf-16"), zipfile.ZIP_DEFLATED, None, None)])


# ---- reading the file once ------------------------------------------------------------------------

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.mark.parametrize("content,expected", [
    (b"PK\x03\x04" + b"\0" * 100, "zip"),
    (OLE + b"\0" * 20_000, "ole"),
    (OLE + b"\0" * 100_000 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 10, "gỡ mật khẩu"),  # past the head
    (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "HTML"),
    (b"STT;Chi tieu;So lieu\n1;Van ban;7\n", "CSV"),
    (b"%PDF-1.7\n\x00\x01\x02", "PDF"),
    (bytes(range(256)) * 4, "không phải là bảng tính"),
])
def test_sniffing_the_bytes_read(content, expected):
    try:
        outcome = W.sniff(content)
    except WorkbookError as error:
        outcome = error.reason
    assert expected in outcome


def test_an_empty_file_and_one_beyond_the_size_limit_are_refused(tmp_path):
    (tmp_path / "rong.xlsx").write_bytes(b"")
    with pytest.raises(WorkbookError, match="rỗng"):
        Workbook(tmp_path / "rong.xlsx")
    (tmp_path / "lon.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 2_000_000)
    with pytest.raises(WorkbookError, match="quá lớn"):
        Workbook(tmp_path / "lon.xlsx", Limits(max_file_mb=1))


# ---- number formats, as a person sees them ---------------------------------------------------------


@pytest.mark.parametrize("code,percent", [
    ("0%", True), ("0.0%", True), ("#,##0.00%", True), ("0.0%;[Red]-0.0%", True),
    ("0.0", False), ("General", False), ('0.0"%"', False), ("0.0\\%", False), ("", False),
])
def test_percent_number_formats(code, percent):
    assert W._is_percent_format(code) is percent


def _book(tmp_path, cells: dict[str, tuple[object, str | None]], name="a.xlsx"):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Phụ lục II"
    for ref, (value, number_format) in cells.items():
        sheet[ref] = value
        if number_format:
            sheet[ref].number_format = number_format
    book.save(tmp_path / name)
    return tmp_path / name


def test_xlsx_percent_cells_and_formulas_without_values(tmp_path):
    path = _book(tmp_path, {"A1": ("STT", None), "D2": (0.875, "0.0%"), "D3": (87.5, "0.0"), "D4": (1, "0%"),
                            "D5": ("=1+1", None), "D6": (0.5, "0.00%")})
    with Workbook(path) as book:
        info = book.cell_info("Phụ lục II")
        rows = book.sheet("Phụ lục II").rows
    assert {k for k, v in info.items() if v.percent} == {(1, 3), (3, 3), (5, 3)}
    assert info[(4, 3)].formula and not info[(4, 3)].cached  # openpyxl saves no calculated value
    assert rows[1][3] == 0.875 and rows[2][3] == 87.5


def test_a_workbook_without_percent_formats_or_formulas_says_nothing_of_its_cells(tmp_path):
    with Workbook(_book(tmp_path, {"A1": ("STT", None), "D2": (0.875, None)})) as book:
        assert book.cell_info("Phụ lục II") == {}


def test_xlsb_number_formats_are_unknown_not_guessed(tmp_path, monkeypatch):
    """No library at hand reads .xlsb number formats: cell_info is None and the caller decides."""
    with Workbook(_book(tmp_path, {"A1": ("STT", None)})) as book:
        monkeypatch.setattr(book, "kind", "xlsb")
        book._cell_info.clear()
        assert book.cell_info("Phụ lục II") is None


def test_streaming_reads_the_same_values_and_formats(tmp_path):
    path = _book(tmp_path, {"A1": ("STT", None), "B1": ("Chỉ tiêu", None), "D2": (0.875, "0.0%"), "D3": (12, None)})
    with Workbook(path) as fast, Workbook(path, streaming=True) as streamed:
        assert streamed.sheet("Phụ lục II").rows == fast.sheet("Phụ lục II").rows
        assert streamed.cell_info("Phụ lục II") == fast.cell_info("Phụ lục II")


# ---- long texts, limits ------------------------------------------------------------------------------


def test_texts_are_cut_only_beyond_what_excel_holds(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["a" * 32_767, 1.5, True, None])
    book.active.append([None, "b" * 40_000, 0, "c"])
    path = tmp_path / "dai.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as source:
        parts = {i.filename: source.read(i) for i in source.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:  # openpyxl may cut texts itself: put them back
        for name, content in parts.items():
            if name.startswith("xl/worksheets/"):
                content = re.sub(rb"b{32767,}", b"b" * 40_000, content)
            out.writestr(name, content)
    with Workbook(path) as opened:
        rows = opened.sheet(opened.sheet_names[0]).rows
    assert rows[0][0] == "a" * 32_767 and rows[0][1:3] == [1.5, True]
    assert rows[1][1] == "b" * 32_767 + "…" and rows[1][3] == "c"


def test_whole_number_limits_written_as_floats_stay_counts():
    """'max_cols = 60.0' in a settings file is the count 60."""
    limits = Limits.from_settings({"limits": {"max_cols": 60.0, "max_rows": 5000.0, "max_file_mb": 20.5, "other": 1}})
    assert (limits.max_cols, limits.max_rows) == (60, 5000)
    assert type(limits.max_cols) is int and type(limits.max_rows) is int
    assert limits.max_file_mb == 20.5
