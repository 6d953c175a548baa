"""Bounded, data-only reading of workbooks (.xlsx, .xlsm, .xls, .xlsb, .ods).

python-calamine reads the cell values (cached formula results, never running anything); for
zip-based files a small XML pass adds what calamine does not give: which cells carry a percent
number format and which hold a formula without a cached value. Before anything is parsed the file
is sniffed and measured, so that what is not a workbook, a decompression bomb, XML with entity
declarations or an encrypted file is refused with a reason a department can act on.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine as calamine
from defusedxml import ElementTree as SafeET

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_PERCENT_BUILTIN = {9, 10}
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR = re.compile(rb'\b(r|s|t)="([^"]*)"')
_REF = re.compile(r"^([A-Z]+)(\d+)$")


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

    @classmethod
    def from_settings(cls, settings: dict) -> "Limits":
        known = {k: v for k, v in settings.get("limits", {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class CellInfo:
    """What the XML says of one cell: percent format, formula, cached value present."""

    percent: bool = False
    formula: bool = False
    cached: bool = True


@dataclass
class SheetData:
    """One sheet's values as a 0-based grid (row i is the sheet's row i+1)."""

    name: str
    rows: list[list]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False
    truncated: bool = False
    total_rows: int = 0


def _col_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def sniff(path: Path, limits: Limits) -> str:
    """``"zip"`` or ``"ole"`` for a file that may be read, else raise :class:`WorkbookError`."""
    size = path.stat().st_size
    if size == 0:
        raise WorkbookError("tệp rỗng (0 byte); đề nghị gửi lại tệp Excel có số liệu")
    if size > limits.max_file_mb * 1024 * 1024:
        raise WorkbookError(
            f"tệp quá lớn ({size / 1048576:.0f} MB, giới hạn {limits.max_file_mb:g} MB); Phụ lục II chỉ cần một bảng nhỏ"
        )
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_OLE_MAGIC):
        with open(path, "rb") as handle:
            blob = handle.read(min(size, 4 * 1024 * 1024))
        if "EncryptionInfo".encode("utf-16-le") in blob or "EncryptedPackage".encode("utf-16-le") in blob:
            raise WorkbookError("tệp được đặt mật khẩu (mã hóa); đề nghị đơn vị gỡ mật khẩu rồi gửi lại")
        return "ole"
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")):
        raise WorkbookError("tệp là trang HTML/XML đổi đuôi thành Excel; đề nghị mở bằng Excel và lưu lại dạng .xlsx")
    raise WorkbookError("tệp không phải là bảng tính Excel (.xlsx/.xls) hoặc đã bị hỏng; đề nghị gửi lại")


def _check_zip(path: Path, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            declared = sum(i.file_size for i in infos)
            compressed = sum(i.compress_size for i in infos) or 1
            if declared > limits.max_uncompressed_mb * 1024 * 1024:
                raise WorkbookError(
                    f"tệp giải nén ra {declared / 1048576:.0f} MB (giới hạn {limits.max_uncompressed_mb:g} MB): "
                    "nghi là tệp độc hại (zip bomb); không đọc"
                )
            if declared > 10 * 1024 * 1024 and declared / compressed > limits.max_compression_ratio:
                raise WorkbookError(
                    f"tỷ lệ nén bất thường ({declared / compressed:.0f} lần): nghi là tệp độc hại (zip bomb); không đọc"
                )
            names = {i.filename for i in infos}
            if "EncryptionInfo" in names or "EncryptedPackage" in names:
                raise WorkbookError("tệp được đặt mật khẩu (mã hóa); đề nghị đơn vị gỡ mật khẩu rồi gửi lại")
            budget = int(limits.max_uncompressed_mb * 1024 * 1024)
            for info in infos:
                if not info.filename.endswith((".xml", ".rels", ".vml")):
                    continue
                read = 0
                with archive.open(info) as member:
                    tail = b""
                    while True:
                        chunk = member.read(1 << 20)
                        if not chunk:
                            break
                        read += len(chunk)
                        budget -= len(chunk)
                        if budget < 0 or read > info.file_size + 1024:
                            raise WorkbookError(
                                "nội dung giải nén vượt giới hạn so với khai báo: nghi là tệp độc hại; không đọc"
                            )
                        window = (tail + chunk).upper()
                        if b"<!ENTITY" in window or b"<!DOCTYPE" in window:
                            raise WorkbookError(
                                f"phần '{info.filename}' chứa khai báo DOCTYPE/ENTITY (có thể là tấn công XML); không đọc"
                            )
                        tail = chunk[-16:]
    except zipfile.BadZipFile as error:
        raise WorkbookError(f"tệp nén Excel bị hỏng ({error}); đề nghị gửi lại") from error
    except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError) as error:
        raise WorkbookError(f"không giải nén được tệp ({type(error).__name__}); đề nghị gửi lại") from error


class Workbook:
    """An opened workbook: its sheets (read lazily) and, for zip files, per-cell format facts."""

    def __init__(self, path: Path, limits: Limits | None = None):
        self.path = Path(path)
        self.limits = limits or Limits()
        self.container = sniff(self.path, self.limits)
        if self.container == "zip":
            _check_zip(self.path, self.limits)
        try:
            self._book = calamine.CalamineWorkbook.from_path(str(self.path))
            self.metadata = list(self._book.sheets_metadata)
        except calamine.PasswordError as error:
            raise WorkbookError("tệp được đặt mật khẩu; đề nghị đơn vị gỡ mật khẩu rồi gửi lại") from error
        except Exception as error:  # calamine raises several types for broken files
            raise WorkbookError(f"không mở được tệp ({type(error).__name__}: {str(error)[:120]}); đề nghị gửi lại") from error
        self._cell_info: dict[str, dict[tuple[int, int], CellInfo]] = {}
        self._sheet_parts: dict[str, str] | None = None
        self._percent_styles: set[int] | None = None

    @property
    def sheet_names(self) -> list[str]:
        return [m.name for m in self.metadata]

    def sheet(self, name: str) -> SheetData:
        """Read one sheet (at most ``max_rows`` rows and ``max_cols`` columns)."""
        meta = next(m for m in self.metadata if m.name == name)
        try:
            sheet = self._book.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False, nrows=self.limits.max_rows)
            total = sheet.total_height if hasattr(sheet, "total_height") else len(rows)
            merged = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
        except Exception as error:
            raise WorkbookError(f"không đọc được trang '{name}' ({type(error).__name__}: {str(error)[:120]})") from error
        if rows and len(rows[0]) > self.limits.max_cols:
            rows = [r[: self.limits.max_cols] for r in rows]
        return SheetData(
            name=name,
            rows=rows,
            merged=merged,
            hidden=str(meta.visible) != "SheetVisibleEnum.Visible",
            truncated=total > self.limits.max_rows,
            total_rows=total,
        )

    # ---- XML facts (zip containers only) ----------------------------------------------------

    def _parts(self) -> dict[str, str]:
        if self._sheet_parts is None:
            self._sheet_parts = {}
            with zipfile.ZipFile(self.path) as archive:
                names = set(archive.namelist())
                if "xl/workbook.xml" not in names:
                    return self._sheet_parts
                book = SafeET.fromstring(archive.read("xl/workbook.xml"))
                rels = {}
                if "xl/_rels/workbook.xml.rels" in names:
                    for rel in SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels")):
                        rels[rel.get("Id")] = rel.get("Target", "")
                for element in book.iter():
                    if element.tag.endswith("}sheet") or element.tag == "sheet":
                        rid = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
                        target = rels.get(rid, "")
                        target = target.lstrip("/")
                        if not target.startswith("xl/"):
                            target = "xl/" + target
                        self._sheet_parts[element.get("name", "")] = target
                self._percent_styles = set()
                if "xl/styles.xml" in names:
                    styles = SafeET.fromstring(archive.read("xl/styles.xml"))
                    percent_formats = set(_PERCENT_BUILTIN)
                    for element in styles.iter():
                        if element.tag.endswith("numFmt") and "%" in element.get("formatCode", "").replace('"%"', ""):
                            percent_formats.add(int(element.get("numFmtId", -1)))
                    for element in styles.iter():
                        if element.tag.endswith("cellXfs"):
                            for index, xf in enumerate(x for x in element if x.tag.endswith("xf")):
                                if int(xf.get("numFmtId", 0)) in percent_formats:
                                    self._percent_styles.add(index)
        return self._sheet_parts

    def cell_info(self, sheet: str) -> dict[tuple[int, int], CellInfo] | None:
        """Per-cell facts of a sheet, keyed by 0-based (row, col); None where the format is unknown
        (not a zip-based workbook, or its XML could not be followed)."""
        if self.container != "zip":
            return None
        if sheet in self._cell_info:
            return self._cell_info[sheet]
        try:
            part = self._parts().get(sheet)
            if not part:
                return None
            with zipfile.ZipFile(self.path) as archive:
                data = archive.read(part)
        except Exception:
            return None
        percent_styles = self._percent_styles or set()
        info: dict[tuple[int, int], CellInfo] = {}
        for match in _CELL.finditer(data):
            attrs = dict(_ATTR.findall(match.group(1)))
            ref = attrs.get(b"r")
            if not ref:
                continue
            parsed = _REF.match(ref.decode("ascii", "replace"))
            if not parsed:
                continue
            body = match.group(3) or b""
            has_formula = b"<f" in body or b":f" in body
            has_value = re.search(rb"<(?:\w+:)?v>[^<]+</", body) is not None or b"<is>" in body
            style = int(attrs.get(b"s", b"0") or 0)
            if style in percent_styles or has_formula:
                info[(int(parsed.group(2)) - 1, _col_index(parsed.group(1)))] = CellInfo(
                    percent=style in percent_styles, formula=has_formula, cached=has_value
                )
        self._cell_info[sheet] = info
        return info

    def close(self) -> None:
        try:
            self._book.close()
        except Exception:
            pass
