"""What a printer makes of the outputs: every workbook the product writes converted to PDF by
LibreOffice, its rows measured by LibreOffice itself, and the leadership summary printed by
headless Chromium.

The workspace is the demo's sample (three periods, every unit, planted problems with long
messages); the workbooks are written as ``cchc check`` and the workbook notebook write them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import statistics
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import openpyxl
import pytest
from conftest import calc_office

from cchc_analysis import run as R
from cchc_analysis.catalogue import load_catalogue, load_units
from cchc_analysis.outputs import feedback, report
from cchc_analysis.outputs.layout import FONT
from cchc_analysis.outputs.templates import write_templates
from cchc_analysis.outputs.workbook import FIRST_ROW, HEADER_ROW, write_consolidated_workbook
from cchc_analysis.pipeline import check_period, load_period
from cchc_analysis.samples import make_sample

HERE = Path(__file__).resolve().parent
PERIOD = "2021-H1"
A4 = (595.3, 841.9)  # points
#: poppler's word box for Times New Roman (Liberation Serif) is 1.28 times the font size: 9 pt on
#: paper, the smallest text called readable here, is a box of 11.5 pt
READABLE_BOX = 9 * 1.277


@pytest.fixture(scope="module", autouse=True)
def poppler():
    """pdfinfo and pdftotext read the printed pages back. Missing, the tests are skipped on a
    developer's machine but fail in CI, where ``.ci/run`` installs poppler-utils."""
    if shutil.which("pdftotext") and shutil.which("pdfinfo"):
        return
    reason = "poppler-utils (pdftotext, pdfinfo) is not installed: apt-get install poppler-utils"
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = (tmp_path_factory.mktemp("print") / "ws").resolve()
    make_sample(root)
    for period in ("2020-H1", "2020", PERIOD):
        check_period(period, root, progress=False)
    data = load_period(PERIOD, root)
    out = root / "reports" / PERIOD
    written = [write_consolidated_workbook(data, out / "consolidated.xlsx")]
    written += feedback.write_feedback(PERIOD, data.findings, data.timeliness, data.units, out / "feedback",
                                       data.deadline, data.catalogue)
    written += write_templates(PERIOD, load_catalogue(2021), load_units(), out / "templates")
    return root, data, written


@pytest.fixture(scope="module")
def pdfs(sample, soffice, tmp_path_factory):
    """Each written workbook as LibreOffice prints it (one PDF per workbook, every visible sheet)."""
    _root, _data, written = sample
    folder = tmp_path_factory.mktemp("pdf")
    profile = folder / "profile"
    done = subprocess.run([soffice, "--headless", f"-env:UserInstallation={profile.as_uri()}", "--convert-to", "pdf",
                           "--outdir", str(folder), *map(str, written)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    found = {path: folder / (path.stem + ".pdf") for path in written}
    assert all(p.is_file() for p in found.values()), done.stdout
    return found


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def page_size(pdf: Path, page: int) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", "-f", str(page), "-l", str(page), str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    match = re.search(rf"Page\s+{page} size:\s+([\d.]+) x ([\d.]+)", info) or re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info)
    return float(match.group(1)), float(match.group(2))


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def words(pdf: Path, page: int) -> list[tuple[float, float, float, float, str]]:
    text = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in _WORD.findall(text)]


def overlaps(boxes) -> list[tuple[str, str]]:
    """Pairs of words whose boxes cover each other by more than a quarter of the smaller one:
    text printed over text."""
    found = []
    ordered = sorted(boxes, key=lambda b: b[1])
    for i, (x0, y0, x1, y1, w) in enumerate(ordered):
        for u0, v0, u1, v1, other in ordered[i + 1:]:
            if v0 >= y1:
                break
            dx, dy = min(x1, u1) - max(x0, u0), min(y1, v1) - max(y0, v0)
            if dx > 0 and dy > 0 and dx * dy > 0.25 * min((x1 - x0) * (y1 - y0), (u1 - u0) * (v1 - v0)):
                found.append((w, other))
    return found


# --------------------------------------------------------------------------------------------
# the workbooks, as openpyxl writes them


def test_every_sheet_is_set_up_for_a4_in_times_new_roman(sample):
    _root, _data, written = sample
    assert len(written) == 1 + 6 + 6  # consolidated, a feedback per unit, a template per unit
    for path in written:
        book = openpyxl.load_workbook(path)
        for sheet in book.worksheets:
            if sheet.sheet_state != "visible":
                continue
            where = f"{path.name} / {sheet.title}"
            setup = sheet.page_setup
            assert int(setup.paperSize) == 9 and setup.orientation in ("portrait", "landscape"), where
            assert sheet.sheet_properties.pageSetUpPr.fitToPage, where
            assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), where
            assert sheet.print_title_rows and sheet.print_area, where
            fonts = {c.font.name for row in sheet.iter_rows() for c in row if c.value is not None}
            assert fonts == {FONT}, where
            for row in sheet.iter_rows():
                texts = [c for c in row if isinstance(c.value, str) and c.alignment.wrap_text]
                if texts:  # a row of wrapped text has a height, as Excel does not grow it by itself
                    assert sheet.row_dimensions[row[0].row].height, f"{where}, row {row[0].row}"


def test_the_official_sheet_is_the_letters_form(sample):
    _root, data, written = sample
    sheet = openpyxl.load_workbook(written[0]).worksheets[0]
    top = [sheet.cell(HEADER_ROW, c).value for c in range(1, 6)]
    bottom = [sheet.cell(HEADER_ROW + 1, c).value for c in range(1, 6)]
    assert top[0] == "STT" and top[1].startswith("Chỉ tiêu thống kê") and top[4] == "Ghi chú"
    assert top[2] == "Kết quả thống kê" and bottom[2:4] == ["Đơn vị tính", "Số liệu"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {f"A{HEADER_ROW}:A{HEADER_ROW + 1}", f"B{HEADER_ROW}:B{HEADER_ROW + 1}", f"C{HEADER_ROW}:D{HEADER_ROW}",
            f"E{HEADER_ROW}:E{HEADER_ROW + 1}"} <= merged
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW + 1}"
    assert sheet.freeze_panes == f"A{FIRST_ROW}"
    assert sheet.cell(FIRST_ROW, 1).value == "1." and sheet.cell(FIRST_ROW, 2).value == "Công tác chỉ đạo điều hành CCHC"
    below = [sheet.cell(r, 3).value for r in range(FIRST_ROW + len(data.catalogue), sheet.max_row + 1)]
    below = [v for v in below if v]
    assert below[0] == "Cẩm Xuyên, ngày ..... tháng ..... năm .........."
    assert below[1:5] == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "(ký tên và đóng dấu)"]
    assert sheet.print_area.endswith(f"$E${sheet.max_row}")  # the signature block is printed


def test_a_workspace_names_its_place_and_signer(sample, tmp_path):
    _root, data, _written = sample
    settings = {**data.settings, "district": {"name": "UBND huyện Kỳ Anh", "signer": "Nguyễn Văn A",
                                              "signature": ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]}}
    path = write_consolidated_workbook(dataclasses.replace(data, settings=settings), tmp_path / "c.xlsx", status="")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    below = [sheet.cell(r, 3).value for r in range(FIRST_ROW + len(data.catalogue), sheet.max_row + 1)]
    assert [v for v in below if v] == ["Kỳ Anh, ngày ..... tháng ..... năm ..........", "TM. ỦY BAN NHÂN DÂN",
                                       "CHỦ TỊCH", "(ký tên và đóng dấu)", "Nguyễn Văn A"]


# --------------------------------------------------------------------------------------------
# the workbooks, as LibreOffice prints them


def test_each_workbook_prints_on_a4_at_a_readable_size_without_text_over_text(sample, pdfs):
    for path, pdf in pdfs.items():
        for page in range(1, pages(pdf) + 1):
            where = f"{path.name}, page {page}"
            width, height = page_size(pdf, page)
            assert sorted((round(width), round(height))) == [round(A4[0]), round(A4[1])], where
            boxes = words(pdf, page)
            assert boxes, where
            assert all(0 <= b[0] and b[2] <= width and 0 <= b[1] and b[3] <= height for b in boxes), where
            assert statistics.median(b[3] - b[1] for b in boxes) >= READABLE_BOX, where
            assert overlaps(boxes) == [], where


def test_the_official_sheet_fits_the_page_width_with_its_header_on_every_page(pdfs):
    pdf = next(p for path, p in pdfs.items() if path.name == "consolidated.xlsx")
    first_table = []
    for page in range(1, pages(pdf) + 1):
        text = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        if "Kết quả thống kê" not in text:
            break  # the further sheets
        first_table.append(text)
        assert "STT" in text and "Ghi chú" in text and "Đơn vị tính" in text and "Số liệu" in text
    assert len(first_table) >= 3
    assert "TM. ỦY BAN NHÂN DÂN" in first_table[-1] and "(ký tên và đóng dấu)" in first_table[-1]


def test_rows_are_as_tall_as_libreoffice_needs(sample, soffice, uno_python):
    """Calc's own layout of each row's text, in its columns and fonts (merged cells aside), is
    never taller than the height the workbook gives the row (0.4 mm of rounding allowed)."""
    _root, _data, written = sample
    with calc_office(soffice, locale=None) as port:
        done = subprocess.run([uno_python, str(HERE / "calc_rows.py"), str(port), *map(str, written)],
                              capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(measured) == len(written)
    short = [(Path(path).name, sheet, row, stored, needed)
             for path, sheets in measured.items() for sheet, rows in sheets.items()
             for row, stored, needed in rows if needed > stored + 40]
    assert short == [], short


# --------------------------------------------------------------------------------------------
# the summary, as a browser prints it


class _Headings(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._in, self._text = tag, ""

    def handle_endtag(self, tag):
        if tag == self._in:
            self.found.append(" ".join(self._text.split()))
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._text += data


def print_html(chromium: str, html: Path, pdf: Path) -> None:
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={pdf}",
                           "--no-pdf-header-footer", html.as_uri()], capture_output=True, text=True, timeout=300)
    assert pdf.is_file(), done.stderr[-2000:]


def headings_at_a_page_foot(html: Path, pdf: Path) -> list[tuple[int, str]]:
    parser = _Headings()
    parser.feed(html.read_text(encoding="utf-8"))
    headings = {h for h in parser.found if h}
    found = []
    for page in range(1, pages(pdf) + 1):
        text = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        if page < pages(pdf) and lines and lines[-1] in headings:
            found.append((page, lines[-1]))
    return found


def test_summary_prints_on_a4_without_a_heading_at_a_page_foot(sample, chromium, tmp_path):
    root, _data, _written = sample
    outcome = R.run_period(PERIOD, root, check=False, notebooks=(R.SUMMARY_NOTEBOOK,), log=lambda m: None)
    pdf = tmp_path / "summary.pdf"
    print_html(chromium, outcome.summary_html, pdf)
    assert pages(pdf) >= 3
    for page in range(1, pages(pdf) + 1):
        assert [round(v) for v in page_size(pdf, page)] == [round(A4[0]), round(A4[1])]
    assert headings_at_a_page_foot(outcome.summary_html, pdf) == []


def test_a_heading_always_goes_to_the_page_of_its_text(chromium, tmp_path):
    """Sections of every length one after the other, so that page ends fall everywhere: without
    the break rules some heading would end a page (the printed page of issue 14 did)."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": report.style()})]))
    for number in range(1, 31):
        nb.cells.append(nbformat.v4.new_markdown_cell(f"## Mục {number} của báo cáo"))
        table = "".join(f"<tr><td>Dòng {r}</td><td>{r * 7}</td></tr>" for r in range(1, 2 + number % 9))
        nb.cells.append(nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
            "display_data", data={"text/html": f'<table class="cchc"><tbody>{table}</tbody></table>'})]))
    source = tmp_path / "sections.ipynb"
    nbformat.write(nb, source)
    html = R.export_html(source, tmp_path / "sections.html", "Các mục")
    pdf = tmp_path / "sections.pdf"
    print_html(chromium, html, pdf)
    assert pages(pdf) >= 4
    assert headings_at_a_page_foot(html, pdf) == []
