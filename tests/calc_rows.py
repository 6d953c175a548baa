"""Ask LibreOffice Calc how tall each row of a workbook must be for its text.

Run by the system Python that has LibreOffice's UNO bridge (Debian's ``python3-uno``)::

    /usr/bin/python3 tests/calc_rows.py PORT FILE [FILE ...]

``soffice --headless --accept="socket,host=localhost,port=PORT;urp;"`` must be starting or
running. For every visible sheet of every file, each row of the used area is measured twice: the
height the file gives it, then the height Calc computes for its content (``OptimalHeight``: Calc
lays the wrapped text out in its columns with the cell's font, as it prints it). Prints one JSON
object: ``{file: {sheet: [[row (1-based), stored, needed], ...]}}``, heights in 1/100 mm. Nothing
is saved. (Calc leaves merged cells out of the optimal height.)
"""

from __future__ import annotations

import json
import sys
import time

import uno
from calc_uno import connect, prop


def measure(desktop, path: str) -> dict:
    doc = None
    for _ in range(40):
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(path), "_blank", 0, (prop("Hidden", True),))
        if doc is not None:
            break
        time.sleep(0.25)
    if doc is None:
        raise RuntimeError(f"LibreOffice did not open {path}")
    found = {}
    try:
        for index in range(doc.Sheets.Count):
            sheet = doc.Sheets.getByIndex(index)
            if not sheet.IsVisible:
                continue
            cursor = sheet.createCursor()
            cursor.gotoEndOfUsedArea(False)
            last = cursor.RangeAddress.EndRow
            rows = []
            for number in range(last + 1):
                row = sheet.Rows.getByIndex(number)
                stored = row.Height
                row.OptimalHeight = True
                rows.append([number + 1, stored, row.Height])
            found[sheet.Name] = rows
    finally:
        doc.close(True)
    return found


def main(port: str, paths: list[str]) -> dict:
    ctx = connect(port)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    return {path: measure(desktop, path) for path in paths}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2:]), ensure_ascii=False))
