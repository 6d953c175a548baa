"""Shared test helpers: the catalogue rows and a tiny workbook builder.

Fixture workbooks are written with openpyxl inside the tests; expected values are written by hand
in each test, never taken from the code under test.
"""

from __future__ import annotations

import csv
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]
# the letter (specification); a copy is kept in tests/fixtures for checkouts without ../shared
SEED = ROOT.parent / "shared" / "seed" / "000_eabd2119ffc295c2.txt"
if not SEED.is_file():
    SEED = ROOT / "tests" / "fixtures" / "letter_1649_UBND-NV.txt"
CATALOGUE_CSV = ROOT / "cchc_analysis" / "data" / "catalogue" / "2021" / "indicators.csv"


def catalogue_rows() -> list[dict]:
    with open(CATALOGUE_CSV, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


ROWS = {row["id"]: row for row in catalogue_rows()}


def write_sheet(path: Path, rows: list[list], *, title: str = "Sheet1", merges=(), formats=None,
                extra_sheets: dict[str, list[list]] | None = None, first: str | None = None) -> Path:
    """Write ``rows`` (lists of cell values; None = empty) to ``path``. ``formats`` maps an
    'A1'-style cell to a number format; ``extra_sheets`` adds sheets; ``first`` puts a sheet
    of that name (from extra_sheets) first."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    for ref, fmt in (formats or {}).items():
        sheet[ref].number_format = fmt
    for name, extra in (extra_sheets or {}).items():
        other = book.create_sheet(name, 0 if name == first else None)
        for row in extra:
            other.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


@pytest.fixture
def raw(tmp_path) -> Path:
    folder = tmp_path / "data" / "raw" / "2021-H1"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="session")
def soffice() -> str:
    """The LibreOffice program (``soffice``), to save test workbooks as a department's Calc does.
    Missing, the test is skipped on a developer's machine but fails in CI (``CI`` set), where
    ``.ci/run`` installs LibreOffice from Debian's packages."""
    found = shutil.which("soffice")
    if found:
        return found
    reason = "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc libreoffice-writer python3-uno"
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(reason)
    pytest.skip(reason)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


#: the system Python that carries LibreOffice's UNO bridge (Debian's python3-uno)
UNO_PYTHON = "/usr/bin/python3"
#: a LibreOffice profile whose locale is vi-VN (decimal comma, group point), as on a Vietnamese
#: office machine
VI_VN_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>vi-VN</value></prop></item>
</oor:items>
"""


@pytest.fixture(scope="session")
def uno_python(soffice) -> str:
    """The Python that drives LibreOffice through its UNO bridge (``tests/calc_*.py`` run with
    it). Missing, the test is skipped on a developer's machine but fails in CI, where
    ``.ci/run`` installs ``python3-uno``."""
    import subprocess

    if Path(UNO_PYTHON).is_file() and subprocess.run([UNO_PYTHON, "-c", "import uno"],
                                                     capture_output=True).returncode == 0:
        return UNO_PYTHON
    reason = "LibreOffice's Python bridge is not installed: apt-get install python3-uno"
    if _in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def calc_office(soffice: str, locale: str | None = "vi-VN"):
    """A headless LibreOffice listening on a free local port (yielded), with a fresh profile
    (in ``locale`` when given); ended when the block ends."""
    import socket
    import subprocess
    import tempfile

    profile = Path(tempfile.mkdtemp(prefix="cchc-lo-"))
    (profile / "user").mkdir()
    if locale:
        (profile / "user" / "registrymodifications.xcu").write_text(
            VI_VN_PROFILE.replace("vi-VN", locale), encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        port = probe.getsockname()[1]
    office = subprocess.Popen(
        [soffice, "--headless", "--invisible", "--norestore", "--nologo", f"-env:UserInstallation={profile.as_uri()}",
         f"--accept=socket,host=localhost,port={port};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield port
    finally:
        office.terminate()
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()
            office.wait()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium, to print HTML as a reader's browser does. Missing, the test is skipped
    on a developer's machine but fails in CI, where ``.ci/run`` installs it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    reason = "Chromium is not installed: apt-get install chromium"
    if _in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


# Property tests: the same examples on every run (CI must not turn red by chance) and no
# per-example deadline (a loaded 2-core machine is slow, not wrong).
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("cchc", derandomize=True, deadline=None, database=None)
_hypothesis_settings.load_profile("cchc")
