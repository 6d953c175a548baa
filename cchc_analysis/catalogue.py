"""What is asked: the indicator catalogue, the units registry and the validation rules.

All three are analyst-editable CSV files: ``data/catalogue/<year>/indicators.csv`` and
``rules.csv`` (one folder per year, so next year's list can differ) and ``data/units.csv``.
A workspace can override any of them with a file of the same name under ``<root>/catalogue/``.
Loading validates the files and raises :class:`CatalogueError` with one line per problem.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .config import CATALOGUE_DIR, PACKAGE_DATA
from .text import nfc

if TYPE_CHECKING:  # pandas is loaded only by the frame-returning functions (ingest needs none)
    import pandas as pd

KINDS = ("group", "count", "percent", "code", "score")
LEVELS = ("province", "district", "commune")
COMBINES = ("owner", "sum", "mean", "max", "min")

INDICATOR_COLUMNS = [
    "id", "printed", "parent", "name", "description", "unit", "kind", "choices", "owner",
    "note", "levels", "cumulative", "combine", "min", "max",
]
UNIT_COLUMNS = ["code", "name", "level", "aliases"]


class CatalogueError(ValueError):
    """A catalogue, units or rules file that cannot be used; the message lists every problem."""


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return [{k.strip(): nfc(v) for k, v in row.items() if k} for row in csv.DictReader(handle)]


def available_years(root: Path | None = None) -> list[int]:
    years = {int(p.name) for p in CATALOGUE_DIR.iterdir() if p.name.isdigit()}
    if root is not None and (Path(root) / "catalogue").is_dir():
        years |= {int(p.name) for p in (Path(root) / "catalogue").iterdir() if p.name.isdigit()}
    return sorted(years)


def catalogue_file(year: int, name: str, root: Path | None = None) -> Path:
    """The file ``name`` of the catalogue in force for ``year``: the newest catalogue folder not
    after ``year`` (or the oldest one, for years before every catalogue); a workspace's own
    ``catalogue/<year>/`` folder wins over the package's."""
    years = available_years(root)
    if not years:
        raise CatalogueError("Không tìm thấy danh mục chỉ tiêu nào.")
    eligible = [y for y in years if y <= int(year)]
    chosen = eligible[-1] if eligible else years[0]
    if root is not None:
        local = Path(root) / "catalogue" / str(chosen) / name
        if local.is_file():
            return local
    return CATALOGUE_DIR / str(chosen) / name


def parse_choices(text: str) -> dict[int, str]:
    """``"0=Không|1=Có"`` -> ``{0: "Không", 1: "Có"}``."""
    choices: dict[int, str] = {}
    for part in filter(None, (p.strip() for p in str(text or "").split("|"))):
        code, _, label = part.partition("=")
        choices[int(code.strip())] = label.strip()
    return choices


def unit_records(root: Path | None = None) -> list[dict]:
    """The units registry as plain rows ``code, name, level, aliases`` (aliases: list of str).

    The workspace's ``catalogue/units.csv``, when present, replaces the package's; an analyst adds
    a commune or another unit there without touching code.
    """
    path = PACKAGE_DATA / "units.csv"
    if root is not None and (Path(root) / "catalogue" / "units.csv").is_file():
        path = Path(root) / "catalogue" / "units.csv"
    rows = _read_csv(path)
    problems = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        code = row.get("code", "")
        if not code:
            problems.append(f"{path.name} dòng {number}: thiếu mã đơn vị (code).")
        elif code in seen:
            problems.append(f"{path.name} dòng {number}: mã đơn vị '{code}' bị trùng.")
        seen.add(code)
        if not row.get("name"):
            problems.append(f"{path.name} dòng {number}: đơn vị '{code}' thiếu tên (name).")
    if problems:
        raise CatalogueError("\n".join(problems))
    records = []
    for row in rows:
        record = {column: row.get(column) or "" for column in UNIT_COLUMNS}
        record["aliases"] = [a.strip() for a in str(record["aliases"]).split("|") if a.strip()] + [
            record["name"], record["code"]]
        records.append(record)
    return records


def load_units(root: Path | None = None) -> "pd.DataFrame":
    """:func:`unit_records` as a frame with columns ``code, name, level, aliases``."""
    return units_frame(unit_records(root))


def units_frame(records: list[dict]) -> "pd.DataFrame":
    import pandas as pd

    return pd.DataFrame(records, columns=UNIT_COLUMNS)


def as_records(table) -> list[dict]:
    """The rows of ``table`` as a list of dicts, one per row, keyed by column: ``table`` is a
    frame (:func:`load_catalogue`, :func:`load_units`) or already such rows
    (:func:`catalogue_records`, :func:`unit_records`), so callers take either."""
    return table.to_dict("records") if hasattr(table, "to_dict") else list(table)


class _Row:
    """A dict's keys as attributes (the checks below read like the CSV's columns)."""

    def __init__(self, row: dict):
        self.__dict__.update(row)


def validate_catalogue(frame, unit_codes: set[str], source: str = "indicators.csv") -> list[str]:
    """Every problem of a catalogue (a frame or a list of rows), one Vietnamese line each (empty
    list when it is sound)."""
    problems: list[str] = []
    columns = list(frame.columns) if hasattr(frame, "columns") else (list(frame[0]) if frame else INDICATOR_COLUMNS)
    missing = [c for c in INDICATOR_COLUMNS if c not in columns]
    if missing:
        return [f"{source}: thiếu cột {', '.join(missing)}."]
    rows = [_Row(r) for r in as_records(frame)]
    ids = {row.id for row in rows}
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        where = f"{source} dòng {number} (chỉ tiêu '{row.id}')"
        if not row.id:
            problems.append(f"{source} dòng {number}: thiếu mã chỉ tiêu (id).")
            continue
        if row.id in seen:
            problems.append(f"{where}: mã chỉ tiêu bị trùng.")
        seen.add(row.id)
        if row.kind not in KINDS:
            problems.append(f"{where}: loại '{row.kind}' không hợp lệ (dùng một trong: {', '.join(KINDS)}).")
        if row.kind == "code":
            try:
                if not parse_choices(row.choices):
                    problems.append(f"{where}: chỉ tiêu dạng mã (code) nhưng không có lựa chọn (choices).")
            except ValueError:
                problems.append(f"{where}: lựa chọn '{row.choices}' sai dạng (đúng: 0=Không|1=Có).")
        elif row.choices:
            problems.append(f"{where}: chỉ tiêu loại '{row.kind}' không dùng cột choices.")
        if row.kind != "group" and row.owner and row.owner not in unit_codes:
            problems.append(f"{where}: đơn vị phụ trách '{row.owner}' không có trong danh sách đơn vị.")
        if row.kind != "group" and not row.owner:
            problems.append(f"{where}: thiếu đơn vị phụ trách (owner).")
        if row.parent and row.parent not in ids:
            problems.append(f"{where}: chỉ tiêu cha '{row.parent}' không có trong danh mục.")
        for level in filter(None, str(row.levels).split(";")):
            if level not in LEVELS:
                problems.append(f"{where}: cấp báo cáo '{level}' không hợp lệ (dùng: {', '.join(LEVELS)}).")
        if row.kind != "group" and row.combine not in COMBINES:
            problems.append(f"{where}: cách tổng hợp '{row.combine}' không hợp lệ (dùng: {', '.join(COMBINES)}).")
        if str(row.cumulative).lower() not in ("true", "false", ""):
            problems.append(f"{where}: cột cumulative phải là true hoặc false.")
        for bound in ("min", "max"):
            value = getattr(row, bound)
            if value not in ("", None):
                try:
                    float(value)
                except ValueError:
                    problems.append(f"{where}: giới hạn {bound} '{value}' không phải là số.")
    return problems


def catalogue_records(year: int = 2021, root: Path | None = None) -> list[dict]:
    """The indicator catalogue in force for ``year``, validated, as plain rows (see
    :func:`load_catalogue` for the columns; ``min``/``max`` are NaN when unbounded)."""
    path = catalogue_file(year, "indicators.csv", root)
    rows = _read_csv(path)
    header = list(rows[0]) if rows else []
    rows = [{column: row.get(column) or "" for column in dict.fromkeys(header + INDICATOR_COLUMNS)} for row in rows]
    units = unit_records(root)
    problems = validate_catalogue(rows, {u["code"] for u in units}, source=f"{path.parent.name}/{path.name}")
    if problems:
        raise CatalogueError("\n".join(problems))
    records = []
    for order, row in enumerate(rows):
        record = {column: row[column] for column in INDICATOR_COLUMNS}
        record["cumulative"] = str(record["cumulative"]).lower() == "true"
        for bound in ("min", "max"):
            try:
                record[bound] = float(record[bound]) if record[bound] != "" else math.nan
            except ValueError:
                record[bound] = math.nan
        record["section"] = record["id"].split(".")[0]
        record["order"] = order
        records.append(record)
    return records


def load_catalogue(year: int = 2021, root: Path | None = None) -> "pd.DataFrame":
    """The indicator catalogue in force for ``year``, validated.

    Columns: ``id, printed, parent, name, description, unit, kind, choices, owner, note, levels,
    cumulative (bool), combine, min, max (float, NaN when unbounded), section, order`` — ``section``
    the top-level id ("1".."7"), ``order`` the row's position in the letter.
    """
    return catalogue_frame(catalogue_records(year, root))


def catalogue_frame(records: list[dict]) -> "pd.DataFrame":
    """:func:`catalogue_records` as the frame :func:`load_catalogue` returns."""
    import pandas as pd

    frame = pd.DataFrame(records, columns=INDICATOR_COLUMNS + ["section", "order"])
    return frame.astype({"cumulative": bool, "min": float, "max": float, "order": "int64", "section": object})


def value_rows(catalogue: "pd.DataFrame") -> "pd.DataFrame":
    """The catalogue rows that carry a value (every kind but ``group``)."""
    return catalogue[catalogue["kind"] != "group"]


# --------------------------------------------------------------------------------------------
# the narrative outline (Phụ lục I)

NARRATIVE_COLUMNS = ["id", "part", "number", "title", "aliases", "section", "units", "sentences"]
NARRATIVE_PARTS = ("I", "II", "III")
#: ``units`` of a heading: blank = the owners of its ``section`` (indicators.csv), ``*`` = every
#: registered unit, ``-`` = nobody (a part or a group heading, written through its sub-headings)
ALL_UNITS, NO_UNITS = "*", "-"
_SENTENCE_TOKEN = re.compile(r"\{([^{}]*)\}")


def narrative_file(year: int, root: Path | None = None) -> Path:
    """The ``narrative.csv`` in force for ``year``: the workspace's ``catalogue/<year>/`` copy,
    else the package's, from the newest catalogue folder not after ``year`` that has one (a
    workspace may give a new year its own indicators.csv and keep the outline)."""
    years = available_years(root)
    eligible = [y for y in years if y <= int(year)] or years[:1]
    for chosen in reversed(eligible):
        for folder in ([Path(root) / "catalogue"] if root is not None else []) + [CATALOGUE_DIR]:
            path = folder / str(chosen) / "narrative.csv"
            if path.is_file():
                return path
    raise CatalogueError("Không tìm thấy đề cương báo cáo Phụ lục I (narrative.csv) trong danh mục.")


def sentence_tokens(template: str) -> list[str]:
    """The ``{...}`` tokens of a sentence template, in order (``year``, ``period``, an indicator
    id ``1.1.1``, a rate ``1.1.2/1.1.1``, a comparison ``~1.1.2``)."""
    return _SENTENCE_TOKEN.findall(str(template or ""))


def token_indicators(token: str) -> list[str]:
    """The indicator ids a sentence token names (none for ``year`` and ``period``)."""
    if token in ("year", "period"):
        return []
    return [part for part in token.lstrip("~").split("/")]


def validate_narrative(rows: list[dict], indicators: list[dict], unit_codes: list[str],
                       source: str = "narrative.csv") -> list[str]:
    """Every problem of a narrative outline, one Vietnamese line each (empty when sound)."""
    if rows:
        missing = [c for c in NARRATIVE_COLUMNS if c != "sentences" and c not in rows[0]]
        if missing:
            return [f"{source}: thiếu cột {', '.join(missing)}."]
    problems: list[str] = []
    kinds = {row["id"]: row["kind"] for row in indicators}
    ids = {row.get("id", "") for row in rows}
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        hid, part = row.get("id", ""), row.get("part", "")
        where = f"{source} dòng {number} (mục '{hid}')"
        if not hid:
            problems.append(f"{source} dòng {number}: thiếu mã mục (id).")
            continue
        if hid in seen:
            problems.append(f"{where}: mã mục bị trùng.")
        seen.add(hid)
        if part not in NARRATIVE_PARTS:
            problems.append(f"{where}: phần '{part}' không hợp lệ (dùng một trong: {', '.join(NARRATIVE_PARTS)}).")
        elif hid != part and not hid.startswith(part + "."):
            problems.append(f"{where}: mã mục phải bắt đầu bằng phần '{part}.'.")
        elif hid != part and row.get("number") and hid != f"{part}.{row['number']}":
            problems.append(f"{where}: số thứ tự '{row['number']}' không khớp mã mục (cần '{hid[len(part) + 1:]}').")
        parent = hid.rpartition(".")[0]
        if "." in hid and parent not in ids:
            problems.append(f"{where}: mục cha '{parent}' không có trong đề cương.")
        if not row.get("title"):
            problems.append(f"{where}: thiếu tên mục (title).")
        section = row.get("section", "")
        if section and section not in kinds:
            problems.append(f"{where}: mục '{section}' của Phụ lục II không có trong danh mục chỉ tiêu.")
        units = row.get("units", "")
        if units not in ("", ALL_UNITS, NO_UNITS):
            for code in filter(None, (u.strip() for u in units.split(";"))):
                if code not in unit_codes:
                    problems.append(f"{where}: đơn vị '{code}' không có trong danh sách đơn vị.")
        for clause in _clauses(row.get("sentences", "")):
            if clause.count("{") != clause.count("}"):
                problems.append(f"{where}: câu mẫu '{clause[:60]}' thiếu dấu ngoặc {{ hoặc }}.")
            for token in sentence_tokens(clause):
                for indicator in token_indicators(token):
                    if indicator not in kinds:
                        problems.append(f"{where}: câu mẫu nhắc chỉ tiêu '{indicator}' không có trong danh mục.")
                    elif kinds[indicator] == "group":
                        problems.append(f"{where}: câu mẫu nhắc nhóm chỉ tiêu '{indicator}', nhóm không có số liệu.")
    return problems


def _clauses(text: str) -> list[str]:
    """The sentences of a template cell (separated by ``|``)."""
    return [c.strip() for c in str(text or "").split("|") if c.strip()]


def narrative_records(year: int = 2021, root: Path | None = None) -> list[dict]:
    """The Phụ lục I outline in force for ``year``, validated, in the letter's order.

    Each row: ``id, part, number, title, aliases`` (list), ``section`` (the Phụ lục II section it
    reports on, or ''), ``units`` (the unit codes expected to write it, in registry order:
    resolved from the ``units`` column, blank meaning the owners of ``section``),
    ``sentences`` (list of templates), ``parent`` ('' for a part), ``depth`` (0 for a part, 1
    for a heading, 2 for a sub-heading) and ``order``.
    """
    path = narrative_file(year, root)
    rows = [{column: row.get(column) or "" for column in NARRATIVE_COLUMNS} | {k: v for k, v in row.items()}
            for row in _read_csv(path)]
    indicators = catalogue_records(year, root)
    codes = [u["code"] for u in unit_records(root)]
    problems = validate_narrative(rows, indicators, codes, source=f"{path.parent.name}/{path.name}")
    if problems:
        raise CatalogueError("\n".join(problems))
    records = []
    for order, row in enumerate(rows):
        rule = row["units"].strip()
        if rule == ALL_UNITS:
            units = list(codes)
        elif rule == NO_UNITS:
            units = []
        elif rule:
            wanted = {u.strip() for u in rule.split(";")}
            units = [c for c in codes if c in wanted]
        else:
            section = row["section"]
            owners = {r["owner"] for r in indicators if r["kind"] != "group" and r["owner"]
                      and (r["id"] == section or r["id"].startswith(section + "."))} if section else set()
            units = [c for c in codes if c in owners]
        hid = row["id"]
        records.append({
            "id": hid, "part": row["part"], "number": row["number"], "title": row["title"],
            "aliases": [a.strip() for a in row["aliases"].split("|") if a.strip()],
            "section": row["section"], "units": units, "sentences": _clauses(row["sentences"]),
            "parent": "" if hid == row["part"] else hid.rpartition(".")[0],
            "depth": hid.count("."), "order": order,
        })
    return records


def load_narrative(year: int = 2021, root: Path | None = None) -> "pd.DataFrame":
    """:func:`narrative_records` as a frame: ``id, part, number, title, aliases, section, units,
    parent, depth, order`` (``aliases`` joined with ``|``, ``units`` with ``;``)."""
    import pandas as pd

    records = narrative_records(year, root)
    frame = pd.DataFrame(records, columns=["id", "part", "number", "title", "aliases", "section", "units", "parent",
                                           "depth", "order"])
    frame["aliases"] = frame["aliases"].map("|".join)
    frame["units"] = frame["units"].map(";".join)
    return frame
