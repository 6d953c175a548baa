"""Every format read as a person sees it, and file names from anywhere (issue 13, acceptance).

A Phụ lục II workbook of the Văn phòng is written with openpyxl, its rates as numbers with percent
formats (0.875 shown as 87,5 %), next to a rate typed as 87.5, a count and a code. LibreOffice
saves it as .ods and as Excel 97 .xls, as a department's Calc does. Each of the three files, alone
in a period folder, must give the numbers shown on screen (87.5, not 0.875) and no finding that the
department wrote rates as decimals, which it did not. Two tests first prove that LibreOffice stored
percent cells (so a wrong value is the reader's fault, not the fixture's).

Then the names a Linux file system gives: bytes that are not UTF-8 (a Windows zip unpacked on
Linux), a newline, a right-to-left mark; and the owner/lock files that Excel and LibreOffice leave
beside an open workbook. ``cchc check`` runs, shows every name readably, and skips the lock files.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cchc_analysis.ingest import ingest

from conftest import ROOT, ROWS

PERIOD = "2021-H1"
HEADER = ["STT", "Chỉ tiêu thống kê", "Đơn vị tính", "Số liệu", "Ghi chú"]
VP = "Văn phòng HĐND và UBND huyện"
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}

#: (indicator, value written, number format): what the Văn phòng typed, and how the cell shows it
MIXED = [
    ("3.3.3", 0.875, "0.0%"),  # shown 87,5%
    ("3.3.4", 1, "0%"),  # shown 100%
    ("3.4.2", 0.005, "0.0%"),  # shown 0,5%
    ("7.1.8.3", 0.064, "0.0%"),  # shown 6,4%
    ("7.1.8.4", 87.5, "0.0"),  # a rate typed as a plain number, shown 87,5
    ("3.1.1", 12, None),  # a count
    ("1.5", "Có", None),  # a code: Không = 0, Có = 1
]
MIXED_SHOWN = {"3.3.3": 87.5, "3.3.4": 100, "3.4.2": 0.5, "7.1.8.3": 6.4, "7.1.8.4": 87.5, "3.1.1": 12, "1.5": 1}

#: a sheet whose every rate is a percent cell (no plain rate beside them to tell the scale)
ALL_PERCENT = [
    ("3.3.3", 0.875, "0.0%"),
    ("3.3.4", 1, "0%"),
    ("3.4.2", 0.005, "0.0%"),
    ("7.1.8.3", 0.064, "0.0%"),
    ("7.1.8.4", 0.9, "0%"),  # shown 90%
]
ALL_PERCENT_SHOWN = {"3.3.3": 87.5, "3.3.4": 100, "3.4.2": 0.5, "7.1.8.3": 6.4, "7.1.8.4": 90}

BOOKS = {"mixed": MIXED, "all-percent": ALL_PERCENT}
FORMATS = ["xlsx", "ods", "xls"]


# ------------------------------------------------------------------------------------------------
# builders


def write_book(path: Path, unit: str, rows: list[tuple]) -> Path:
    """A small Phụ lục II of ``unit``: title (row 1), period line (2), header (3), then one row per
    (indicator, value, number format or None)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Phụ lục II"
    sheet.append([f"TÊN CƠ QUAN: {unit}"])
    sheet.append(["Báo cáo kết quả cải cách hành chính 6 tháng đầu năm 2021"])
    sheet.append(HEADER)
    for indicator, value, number_format in rows:
        spec = ROWS[indicator]
        sheet.append([spec["printed"], spec["name"], spec["unit"], value, None])
        if number_format:
            sheet.cell(row=sheet.max_row, column=4).number_format = number_format
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def convert(soffice: str, sources: list[Path], target: str, outdir: Path) -> list[Path]:
    """Save ``sources`` as ``target`` (``ods`` or ``xls``) with LibreOffice headless, in a fresh
    user profile (two runs sharing one clash on its lock). soffice exits 0 even when it writes
    nothing, so the files themselves are checked."""
    filters = {"ods": "ods:calc8", "xls": "xls:MS Excel 97"}
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        done = subprocess.run(
            [soffice, "--headless", "--norestore", f"-env:UserInstallation={Path(profile).as_uri()}",
             "--convert-to", filters[target], "--outdir", str(outdir), *map(str, sources)],
            capture_output=True, text=True, timeout=120)
    converted = [outdir / f"{source.stem}.{target}" for source in sources]
    for path in converted:
        assert path.is_file() and path.stat().st_size, f"soffice wrote no {path.name}:\n{done.stdout}\n{done.stderr}"
    return converted


def period_folder(root: Path) -> Path:
    folder = root / "data" / "raw" / PERIOD
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shown(values: pd.DataFrame) -> dict[str, float]:
    """indicator -> value of the values that count (not superseded by a later file)."""
    live = values[~values["superseded"].astype(bool)]
    return dict(zip(live["indicator"], live["value"]))


def cchc_check(root: Path) -> subprocess.CompletedProcess:
    """``cchc check`` as a user runs it, in its own process."""
    return subprocess.run([sys.executable, "-m", "cchc_analysis", "check", "--period", PERIOD, "--root", str(root)],
                          capture_output=True, text=True, encoding="utf-8", errors="replace", env=ENV, timeout=300)


def outputs(root: Path) -> tuple[list[dict], list[dict], pd.DataFrame]:
    """files.csv and findings.csv (which must be UTF-8) as rows, and values.parquet."""
    folder = root / "data" / "processed" / PERIOD

    def rows(name: str) -> list[dict]:
        text = (folder / name).read_bytes().decode("utf-8")  # raises if not UTF-8
        return list(csv.DictReader(io.StringIO(text, newline="")))
    return rows("files.csv"), rows("findings.csv"), pd.read_parquet(folder / "values.parquet")


def encodable(text: str) -> bool:
    """Text that any UTF-8 output can hold: no lone surrogates left from undecodable bytes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# ------------------------------------------------------------------------------------------------
# the workbooks, written once and converted once per format


@pytest.fixture(scope="module")
def xlsx_books(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("xlsx")
    return {name: write_book(folder / f"VP {name}.xlsx", VP, rows) for name, rows in BOOKS.items()}


@pytest.fixture(scope="module")
def ods_books(xlsx_books, soffice, tmp_path_factory) -> dict[str, Path]:
    return dict(zip(xlsx_books, convert(soffice, list(xlsx_books.values()), "ods", tmp_path_factory.mktemp("ods"))))


@pytest.fixture(scope="module")
def xls_books(xlsx_books, soffice, tmp_path_factory) -> dict[str, Path]:
    return dict(zip(xlsx_books, convert(soffice, list(xlsx_books.values()), "xls", tmp_path_factory.mktemp("xls"))))


@pytest.fixture(params=FORMATS)
def books(request) -> dict[str, Path]:
    """The two workbooks in one format (xlsx as written, ods and xls as LibreOffice saved them)."""
    return request.getfixturevalue(f"{request.param}_books")


# ------------------------------------------------------------------------------------------------
# what LibreOffice stored (the fixture is what it claims to be)

ODS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
}


def _q(prefix: str, name: str) -> str:
    return f"{{{ODS[prefix]}}}{name}"


def test_libreoffice_stored_percent_cells_in_ods(ods_books):
    """In .ods a rate is a cell of value type ``percentage`` holding the fraction, its data style a
    percentage style; the rate typed as 87.5 stays a ``float``."""
    with zipfile.ZipFile(ods_books["mixed"]) as package:
        content, styles = (ET.fromstring(package.read(part)) for part in ("content.xml", "styles.xml"))
    data_styles = {el.get(_q("style", "name")): el.tag.rpartition("}")[2]
                   for root in (content, styles) for el in root.iter()
                   if el.tag.startswith(f"{{{ODS['number']}}}") and el.tag.endswith("-style")}
    cell_styles = {el.get(_q("style", "name")): el.get(_q("style", "data-style-name"))
                   for el in content.iter(_q("style", "style"))}
    numbers = [(cell.get(_q("office", "value")), cell.get(_q("office", "value-type")),
                data_styles.get(cell_styles.get(cell.get(_q("table", "style-name")))))
               for cell in content.iter(_q("table", "table-cell"))
               if cell.get(_q("office", "value-type")) in ("percentage", "float")]
    assert numbers == [
        ("0.875", "percentage", "percentage-style"),
        ("1", "percentage", "percentage-style"),
        ("0.005", "percentage", "percentage-style"),
        ("0.064", "percentage", "percentage-style"),
        ("87.5", "float", "number-style"),
        ("12", "float", None),
    ]


def test_libreoffice_stored_percent_formats_in_xls(xls_books):
    """In .xls a rate is a NUMBER whose XF record's format is a percent format."""
    import xlrd

    book = xlrd.open_workbook(str(xls_books["mixed"]), formatting_info=True)
    sheet = book.sheet_by_index(0)
    formats = [(cell.value, book.format_map[book.xf_list[cell.xf_index].format_key].format_str)
               for cell in sheet.col(3) if cell.ctype == xlrd.XL_CELL_NUMBER]
    assert formats == [(0.875, "0.0%"), (1.0, "0%"), (0.005, "0.0%"), (0.064, "0.0%"), (87.5, "0.0"), (12.0, "General")]


# ------------------------------------------------------------------------------------------------
# the numbers a person sees, in every format


def test_rates_are_read_as_shown(books, tmp_path):
    """87,5 % on screen is 87.5 in the values, whether the file is .xlsx, .ods or .xls."""
    raw = period_folder(tmp_path)
    shutil.copy(books["mixed"], raw)
    result = ingest(PERIOD, raw)
    assert shown(result.values) == pytest.approx(MIXED_SHOWN)
    assert set(result.values["unit"]) == {"VP"}
    assert set(result.values["period"]) == {PERIOD}
    checks = set(result.findings["check"])
    assert "interpreted-value" not in checks
    assert "unreadable-file" not in checks


def test_percent_cells_alone_are_not_taken_for_decimals(books, tmp_path):
    """A sheet whose rates are all percent cells is read as shown, and the department is not told
    that it wrote rates as decimals: it wrote percentages."""
    raw = period_folder(tmp_path)
    shutil.copy(books["all-percent"], raw)
    result = ingest(PERIOD, raw)
    assert shown(result.values) == pytest.approx(ALL_PERCENT_SHOWN)
    assert "interpreted-value" not in set(result.findings["check"])


def test_cchc_check_keeps_the_ods_rates(ods_books, tmp_path):
    """``cchc check`` on the .ods, as a user runs it: exit 0, the rates in values.parquet as shown."""
    shutil.copy(ods_books["mixed"], period_folder(tmp_path))
    done = cchc_check(tmp_path)
    assert done.returncode == 0, done.stderr
    files, findings, values = outputs(tmp_path)
    assert shown(values) == pytest.approx(MIXED_SHOWN)
    assert [f["source_file"] for f in files] == ["VP mixed.ods"]
    assert not [f for f in findings if f["check"] == "interpreted-value"]


# ------------------------------------------------------------------------------------------------
# names from anywhere


#: 'Phòng Tài chính.xlsx' as a zip made on a Vietnamese Windows stores it (cp1258: tone marks as
#: combining characters), and the same name in latin-1 bytes (a zip made elsewhere)
WINDOWS_NAME = unicodedata.normalize("NFD", "Phòng Tài chính.xlsx").encode("cp1258")
LATIN1_NAME = b"Ph\xf2ng T\xe0i ch\xednh.xlsx"


@pytest.mark.parametrize("name", [WINDOWS_NAME, LATIN1_NAME], ids=["cp1258", "latin-1"])
def test_a_name_that_is_not_utf8_is_shown_readably(tmp_path, name):
    """A name whose bytes are not UTF-8 (a Windows zip unpacked on Linux): the check runs to the
    end, the file is read, and it appears in the UTF-8 outputs under a readable name, with an
    info finding that says the name was decoded."""
    source = write_book(tmp_path / "book.xlsx", "Phòng Tài chính - Kế hoạch",
                        [("6.1", 3, None), ("6.2", 2, None)])
    target = os.path.join(os.fsencode(period_folder(tmp_path)), name)
    handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(handle, "wb") as out:
        out.write(source.read_bytes())

    done = cchc_check(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    files, findings, values = outputs(tmp_path)
    assert len(files) == 1
    shown_as = files[0]["source_file"]
    assert encodable(shown_as) and shown_as.isprintable(), repr(shown_as)
    if name == WINDOWS_NAME:
        assert shown_as == "Phòng Tài chính.xlsx"  # NFC, as the department named it
    # however the bytes are decoded, the letters around the accents stay
    letters = unicodedata.normalize("NFD", shown_as)
    assert letters.startswith("Ph") and "ng T" in letters and letters.endswith("nh.xlsx"), repr(shown_as)
    read = values[values["source_file"] == shown_as]
    assert dict(zip(read["indicator"], read["value"])) == {"6.1": 3, "6.2": 2}
    named = [f for f in findings if f["source_file"] == shown_as and f["check"] == "file-name"]
    assert len(named) == 1 and named[0]["severity"] == "info" and shown_as in named[0]["message"]
    assert all(encodable(f["source_file"]) and encodable(f["message"]) for f in findings)


def test_names_with_a_newline_or_a_right_to_left_mark_are_read_and_shown(tmp_path):
    """A newline and a right-to-left mark (U+200F) are legal in a Linux file name: both files are
    read, each under its own name in files.csv."""
    raw = period_folder(tmp_path)
    write_book(raw / "TP\nbao cao.xlsx", "Phòng Tư pháp", [("2.1", 7, None), ("2.2", 4, None)])
    write_book(raw / "Noi vu \u200fbao cao.xlsx", "Phòng Nội vụ", [("1.1.3", 5, None)])

    done = cchc_check(tmp_path)
    assert done.returncode == 0, done.stderr
    files, findings, values = outputs(tmp_path)
    by_unit = {f["unit"]: f for f in files}
    assert sorted(by_unit) == ["NV", "TP"]
    assert by_unit["TP"]["n_values"] == "2" and by_unit["NV"]["n_values"] == "1"
    assert "TP" in by_unit["TP"]["source_file"] and "Noi vu" in by_unit["NV"]["source_file"]
    assert all(encodable(f["source_file"]) and "bao cao" in f["source_file"] for f in files)
    live = values[~values["superseded"].astype(bool)]
    assert sorted(zip(live["unit"], live["indicator"], live["value"])) == [
        ("NV", "1.1.3", 5), ("TP", "2.1", 7), ("TP", "2.2", 4)]


def test_owner_and_lock_files_are_skipped(tmp_path):
    """Excel's owner file (``~$…``, 165 bytes starting with the user's name) and LibreOffice's lock
    file (``.~lock.…#``) beside an open workbook are not submissions: no error or warning for
    them, at most an info finding; the workbook itself is read."""
    raw = period_folder(tmp_path)
    write_book(raw / "Noi vu.xlsx", "Phòng Nội vụ", [("1.1.3", 5, None)])
    user = b"nguyenvana"
    (raw / "~$Noi vu.xlsx").write_bytes((bytes([len(user)]) + user + b" " * 43 + b"\x00" * 200)[:165])
    (raw / ".~lock.Noi vu.xlsx#").write_text(
        "nguyenvana,MAY-NV,MAY-NV,06.12.2021 09:15,file:///home/nguyenvana/.config/libreoffice/4;\n", encoding="utf-8")

    done = cchc_check(tmp_path)
    assert done.returncode == 0, done.stderr
    files, findings, values = outputs(tmp_path)

    def about_lock(text: str) -> bool:
        return "~$" in text or ".~lock" in text
    assert {f["severity"] for f in findings if about_lock(f["source_file"]) or about_lock(f["message"])} <= {"info"}
    assert not [f for f in findings if f["check"] == "unreadable-file" and f["severity"] != "info"]
    locks = [f for f in files if about_lock(f["source_file"])]
    assert all(f["status"] != "unreadable" and f["n_values"] in ("", "0") for f in locks)
    assert shown(values) == {"1.1.3": 5}
