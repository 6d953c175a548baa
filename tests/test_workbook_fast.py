"""The fast paths of the bounded reading (workbook.py) against the exact checks they stand in for.

Each fast path may only ever clear what the exact check clears; where it cannot prove its case it
hands over to the exact check. Expected values here are written by hand (or by arithmetic on the
box), never taken from the code under test.
"""

from __future__ import annotations

import io
import itertools
import re
import struct
import zipfile
import zlib

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_analysis import workbook as W
from cchc_analysis.workbook import Limits, Workbook, WorkbookError


_AZ = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: every column name of up to four letters, in order: 'A'..'Z', 'AA'..'ZZ', 'AAA'..'ZZZZ'
_COLUMNS = ["".join(name) for size in range(1, 5) for name in itertools.product(_AZ, repeat=size)]


def letters(index: int) -> str:
    """0-based column index -> 'A'..'Z', 'AA'... (by enumeration, independent of the module)."""
    return _COLUMNS[index]


def exact(window: bytes, rows: int, cols: int) -> bool:
    refs = W._r_values(window)
    return bool(refs) and W._beyond_box(refs, rows, cols)


def cleared_fast(window: bytes, rows: int, cols: int) -> bool:
    """Whether the one-search proof alone clears ``window``."""
    suspect = W._box_suspect(rows, cols)
    return suspect is not None and suspect.search(window) is None


def sheet(rows_xml: bytes) -> bytes:
    return b'<?xml version="1.0"?><worksheet><sheetData>' + rows_xml + b"</sheetData></worksheet>"


# (rows of a sheet, beyond the default 5000 x 60 box?, cleared by the fast search alone?)
SPELLINGS = [
    (b'<row r="1"><c r="A1" s="0"><v>1</v></c></row>', False, True),
    (b'<row r="5000"><c r="BH5000"><v>1</v></c></row>', False, True),  # the last cell of the box
    (b'<row r="4999"/><row r="5000"/>', False, True),  # rows only
    (b'<row r="5001"><c r="A5001"><v>1</v></c></row>', True, False),
    (b'<row r="9"><c r="BI9"><v>1</v></c></row>', True, False),  # column 61
    (b'<row r="9"><c s="0"r="XFD9"><v>1</v></c></row>', True, False),  # r straight after a quote
    (b'<row r="9"><c s="0"r="B9"><v>1</v></c></row>', False, True),  # same, inside
    (b'<row r="9"><c r="B9"r="XFD9"><v>1</v></c></row>', True, False),
    (b"<row r='9'><c r='B9'><v>1</v></c></row>", False, True),  # single quotes
    (b"<row r='9'><c r='BI9'><v>1</v></c></row>", True, False),
    (b'<row r="9"><c r="A9\'><v>1</v></c></row>', False, True),  # mismatched quotes, still A9
    (b'<row r="9"><c\tr\t=\t"B9"><v>1</v></c></row>', False, False),  # tabs around '=': only the exact check clears it
    (b'<row r="9"><c\r\nr =\n"B9"><v>1</v></c></row>', False, False),  # line ends around '='
    (b'<row r="9"><c\nr="XFD9"><v>1</v></c></row>', True, False),
    (b'<row r="9"><c r = "B9"><v>1</v></c></row>', False, False),
    (b'<row r="9"><c r ="B9"><v>1</v></c></row>', False, True),
    (b'<row r="9"><c\tr="B9"><v>1</v></c></row>', False, True),
    # a form feed is no XML white space: no attribute (the reader does not read one either)
    (b'<row r="9"><c\x0cr="XFD9"><v>1</v></c></row>', False, False),
    (b'<row r="9"><c r= "B9"><v>1</v></c></row>', False, False),
    (b'<row r="9"><c r="$B$9"><v>1</v></c></row>', True, False),  # not a cell's own reference
    (b'<row r="9"><c r="b9"><v>1</v></c></row>', True, False),  # lowercase
    (b'<row r="9"><c r="B09"><v>1</v></c></row>', True, False),  # leading zero
    (b'<row r="09"><c r="B9"><v>1</v></c></row>', True, False),
    (b'<row r="9"><c r=""><v>1</v></c></row>', True, False),
    (b'<row r="9"><c r=" A9"><v>1</v></c></row>', True, False),
    (b'<row r="9"><c r="A9 "><v>1</v></c></row>', True, False),
    (b'<row r="99999999"><c><v>1</v></c></row>', True, False),  # a huge row, rows-only reference
    (b'<row r="9"><c r="A99999999"><v>1</v></c></row>', True, False),
    (b'<row r="9"><c r="AAAA9"><v>1</v></c></row>', True, False),
    # text taken for an attribute, to be safe
    (b'<row r="9"><c r="A9" t="inlineStr"><is><t>a r="XFD9" b</t></is></c></row>', True, False),
    (b'<row r="9"><c r="A9" t="inlineStr"><is><t>bar="XFD9"</t></is></c></row>', False, True),  # 'bar' is no r attribute
    (b'<row r="9"><c r="A9" xr:uid="{1}" ref="XFD9"><f t="array" ref="XFD1:XFD9">1</f></c></row>', False, True),
    (b'<x:row r="9"><x:c r="A9"><x:v>1</x:v></x:c></x:row>', False, True),  # prefixed tags
    (b'<row r="9"><c r="A9"><v>1</v></c></row></sheetData><pageMargins header="0.3" footer="0.3"/><sheetData>',
     False, True),  # 'header=', 'footer=' end in r
]


@pytest.mark.parametrize("rows_xml,beyond,fast", SPELLINGS)
def test_box_check_on_hostile_spellings(rows_xml, beyond, fast):
    window = sheet(rows_xml)
    assert exact(window, 5000, 60) is beyond
    assert cleared_fast(window, 5000, 60) is fast
    assert W._window_beyond_box(window, 5000, 60) is beyond


@pytest.mark.parametrize("rows,cols", [(5000, 60), (1, 1), (10, 26), (999, 27), (100, 702), (1_048_576, 16_384),
                                       (20_000_000, 20_000), (0, 5), (5, 0)])
def test_box_check_agrees_with_arithmetic(rows, cols):
    """Plain references around the edges of several boxes: the answer is the arithmetic one, and
    the fast search clears exactly the references inside the box (none where it is not built)."""
    row_numbers = {1, 2, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, rows - 1, rows, rows + 1, 10 * rows,
                   9_999_999, 10_000_000}
    columns = {0, 1, 25, 26, 27, 51, 52, 59, 60, 61, 701, 702, 703, cols - 2, cols - 1, cols, cols + 1,
               16_383, 16_384, 18_277, 18_278}
    for r in sorted(n for n in row_numbers if n >= 1):
        for c in sorted(n for n in columns if n >= 0):
            name = letters(c)
            # a cell's reference: at most 3 letters and 7 digits (what a spreadsheet writes)
            inside = r <= rows and c < cols and r <= 9_999_999 and len(name) <= 3
            window = sheet(b'<row r="%d"><c r="%s%d"><v>1</v></c></row>' % (r, name.encode(), r))
            assert W._window_beyond_box(window, rows, cols) is (not inside), (rows, cols, r, name)
            assert cleared_fast(window, rows, cols) is inside, (rows, cols, r, name)
        rows_only = sheet(b'<row r="%d"/>' % r)
        inside = r <= rows and r <= 9_999_999
        assert W._window_beyond_box(rows_only, rows, cols) is (not inside), (rows, cols, r)


def test_number_and_letter_patterns_match_exactly_their_range():
    for limit in [1, 2, 9, 10, 11, 19, 20, 99, 100, 101, 109, 110, 999, 1000, 5000, 5001, 10_000, 65_536,
                  1_048_576, 9_999_999]:
        pattern = re.compile(W._numbers_up_to(limit))
        for n in {*range(0, 1200), *range(max(0, limit - 12), limit + 12), 10 * limit, 10 * limit + 1}:
            assert bool(pattern.fullmatch(b"%d" % n)) is (1 <= n <= limit), (limit, n)
            assert not pattern.fullmatch(b"0%d" % n), (limit, n)
    for cols in [1, 2, 25, 26, 27, 52, 53, 60, 676, 702, 703, 16_384, 18_278]:
        pattern = re.compile(W._letters_up_to(letters(cols - 1).encode()))
        for c in {*range(0, min(cols + 800, 18_278)), *range(max(0, cols - 30), cols + 30)}:
            assert bool(pattern.fullmatch(letters(c).encode())) is (c < cols), (cols, letters(c))
        assert pattern.fullmatch(b"")  # a row's reference has no letters
        assert not pattern.fullmatch(b"a") and not pattern.fullmatch(b"1")


def test_box_check_window_by_window_as_the_scan_feeds_it():
    """The scan hands the check windows cut at a tag: a far cell in the second window, or a
    malformed reference in the carried last tag, is seen."""
    for tail, oversized in [(b'<row r="7"><c r="B7"><v>1</v></c></row>', False),
                            (b'<row r="7"><c r="BI7"><v>1</v></c></row>', True),
                            (b'<row r="7"><c s="1"r="B7"/></row>', False),
                            (b'<row r="7"><c s="1"r="B7777"/></row>', True)]:
        xml = sheet(b'<row r="1"><c r="A1"><v>1</v></c></row>' + tail)
        for cut in range(1, len(xml)):
            scanner = W._PartScanner(zipfile.ZipInfo("xl/worksheets/sheet1.xml"), Limits())
            scanner.feed(xml[:cut])
            scanner.feed(xml[cut:])
            assert scanner.finish().oversized is oversized, (tail, cut)


# ---- inflating: sizes, CRCs and the end of the stream ------------------------------------------


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


def scan(entries, limits: Limits | None = None) -> W._ZipScan:
    full = [(n, c, zipfile.ZIP_DEFLATED, None, None) for n, c in BOOK] + entries
    return W._scan_zip(raw_zip(full), limits or Limits())


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_member_that_lies_about_its_size_or_crc_is_refused(method):
    content = b"<x>" + b"0123456789" * 500 + b"</x>"  # 5007 bytes
    assert scan([("xl/a.xml", content, method, None, None)]).members["xl/a.xml"] == content
    with pytest.raises(WorkbookError, match="nhiều hơn kích thước khai báo \\(5006 byte\\)"):
        scan([("xl/a.xml", content, method, len(content) - 1, None)])
    with pytest.raises(WorkbookError, match="sai kích thước hoặc mã kiểm tra"):
        scan([("xl/a.xml", content, method, len(content) + 1, None)])
    with pytest.raises(WorkbookError, match="sai kích thước hoặc mã kiểm tra"):
        scan([("xl/a.xml", content, method, None, zlib.crc32(content) ^ 1)])


def test_a_cut_deflate_stream_is_refused():
    content = b"<x>" + bytes(range(256)) * 40 + b"</x>"
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = packer.compress(content) + packer.flush()
    with pytest.raises(WorkbookError, match="không trọn vẹn"):
        scan([("xl/a.xml", content, zipfile.ZIP_DEFLATED, None, None, body[: len(body) // 2])])
    with pytest.raises(WorkbookError, match="không trọn vẹn"):
        scan([("xl/a.xml", b"", zipfile.ZIP_DEFLATED, None, None, b"")])  # no stream at all
    # bytes after the end of the stream are not read (as before): the member is what it inflates to
    assert scan([("xl/a.xml", content, zipfile.ZIP_DEFLATED, None, None, body + b"tail")]).members["xl/a.xml"] == content


@pytest.mark.parametrize("size", [W._CHUNK - 1, W._CHUNK, W._CHUNK + 1, 2 * W._CHUNK, 2 * W._CHUNK + 7])
def test_members_inflating_to_chunk_boundaries_are_measured_whole(size):
    """Output that fills the inflater's limit exactly (the stream's end comes in a later call)."""
    compressible = (b"<row>" * (size // 5 + 1))[:size]
    noise = bytes((i * 7919 + (i >> 3)) & 0xFF for i in range(size))  # deflate stores it as it is
    got = scan([("xl/a.xml", compressible, zipfile.ZIP_DEFLATED, None, None),
                ("xl/media/b.bin", noise, zipfile.ZIP_DEFLATED, None, None)])
    assert got.members["xl/a.xml"] == compressible and got.members["xl/media/b.bin"] == noise
    assert got.parts["xl/a.xml"].size == size


def test_the_shared_strings_limit_still_refuses():
    strings = b"<sst>" + b"<si><t>x</t></si>" * 11 + b"</sst>"
    entries = [("xl/sharedStrings.xml", strings, zipfile.ZIP_DEFLATED, None, None)]
    with pytest.raises(WorkbookError, match="hơn 10 đoạn văn bản"):
        scan(entries, Limits(max_strings=10))
    scan(entries, Limits(max_strings=11))  # the whole package declares more bytes than that: counted
    scan(entries, Limits(max_strings=100_000))  # cannot be reached: not counted, not refused


# ---- the bounded copy -----------------------------------------------------------------------


def test_the_stored_copy_is_a_zip_that_both_readers_read(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Phụ lục II"
    book.active.append(["STT", "Chỉ tiêu", 7, 0.5])
    path = tmp_path / "a.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as source:
        original = {i.filename: source.read(i) for i in source.infolist()}
    original["xl/media/ảnh số 1.png"] = b"\x89PNG not really"  # a name that needs the UTF-8 flag
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in original.items():
            out.writestr(name, content)
    scanned = W._scan_zip(data.getvalue(), Limits())
    copy = W._stored_package(scanned)
    with zipfile.ZipFile(io.BytesIO(copy)) as archive:
        assert archive.testzip() is None
        assert [i.filename for i in archive.infolist()] == list(original)
        assert {i.filename: archive.read(i) for i in archive.infolist()} == original
        assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())
    import python_calamine

    reader = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(copy))
    assert reader.sheet_names == ["Phụ lục II"]
    assert reader.get_sheet_by_name("Phụ lục II").to_python() == [["STT", "Chỉ tiêu", 7, 0.5]]


def test_the_stored_copy_of_more_than_65535_members_has_the_zip64_end():
    infos, members = [], {}
    for i in range(70_000):
        info = zipfile.ZipInfo(f"m/{i}.xml")
        content = b"<m>%d</m>" % i
        info.CRC, info.file_size = zlib.crc32(content), len(content)
        infos.append(info)
        members[info.filename] = content
    copy = W._stored_package(W._ZipScan("xlsx", infos, {}, members))
    with zipfile.ZipFile(io.BytesIO(copy)) as archive:
        listed = archive.infolist()
        assert len(listed) == 70_000
        assert archive.read("m/0.xml") == b"<m>0</m>" and archive.read("m/69999.xml") == b"<m>69999</m>"


# ---- reading the file once --------------------------------------------------------------------

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


# ---- the XML facts pass -------------------------------------------------------------------------


@pytest.mark.parametrize("data,may", [
    (b"", False), (b"<v>1</v>", False), (b"<F>1</F>", False), (b"of fx", False), (b"<x:F>", False),
    (b"<f>1</f>", True), (b"<x:f>1</x:f>", True), (b"<<f", True), (b"a:f", True), (b"f<f", True),
])
def test_formula_marks(data, may):
    assert W._may_hold_formula(data) is may


def test_a_percent_style_is_found_after_any_non_word_character():
    xml = (b'<sheetData><row r="1"><c r="A1" xs="3"><v>1</v></c><c r="B1" x-s="3"><v>1</v></c>'
           b'<c r="C1" s="3"><v>1</v></c><c r="D1"s="3"><v>1</v></c><c r="E1" s="4"><v>1</v></c>'
           b'<c r="F1"\ts = "03"><v>1</v></c></row></sheetData>')
    found = [m.group(0).split(b">")[0] for m in W._cells_of_interest(xml, {3})]
    assert found == [b'<c r="B1" x-s="3"', b'<c r="C1" s="3"', b'<c r="D1"s="3"', b'<c r="F1"\ts = "03"']


# ---- long texts -----------------------------------------------------------------------------------


def test_texts_are_cut_only_beyond_what_excel_holds(tmp_path, monkeypatch):
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
    monkeypatch.setattr(Workbook, "in_process", True)  # the check runs here, not in the reader process
    with Workbook(path) as opened:
        rows = opened.sheet(opened.sheet_names[0]).rows
    assert rows[0][0] == "a" * 32_767 and rows[0][1:3] == [1.5, True]
    assert rows[1][1] == "b" * 32_767 + "…" and rows[1][3] == "c"


FRAGMENTS = [b"<row", b"<c", b"<x:c", b" ", b"\t", b"\n", b"\r", b"\x0c", b"r", b"=", b'"', b"'", b"s", b"0", b"9",
             b"A", b"B", b"H", b"I", b"Z", b"a", b"$", b">", b"</c>", b"<v>1</v>", b"5000", b"5001", b"60", b"BH", b"BI",
             b"XFD", b"1048576", b"99999999", b' r="', b'"r="', b" r='", b"r = ", b":r=", b"header=", b"<!--", b"&#57;"]


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(st.sampled_from(FRAGMENTS), max_size=40),
       box=st.sampled_from([(5000, 60), (1, 1), (9, 26), (5001, 61), (100, 702), (20_000_000, 20_000)]))
def test_the_fast_proof_never_clears_what_the_exact_check_flags(pieces, box):
    window = b"".join(pieces)
    rows, cols = box
    beyond = exact(window, rows, cols)
    assert not (cleared_fast(window, rows, cols) and beyond), window
    assert W._window_beyond_box(window, rows, cols) is beyond


def test_whole_number_limits_written_as_floats_stay_counts():
    """'max_cols = 60.0' in a settings file is the count 60 (a float would break the box check)."""
    from cchc_analysis.workbook import Limits

    limits = Limits.from_settings({"limits": {"max_cols": 60.0, "max_rows": 5000.0, "max_file_mb": 20.5}})
    assert (limits.max_cols, limits.max_rows) == (60, 5000)
    assert type(limits.max_cols) is int and type(limits.max_rows) is int
    assert limits.max_file_mb == 20.5
