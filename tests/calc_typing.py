"""Type into a workbook's cells with LibreOffice Calc as a person does, then save it.

Run by the system Python that has LibreOffice's UNO bridge (Debian's ``python3-uno``), not by the
project's virtual environment::

    /usr/bin/python3 tests/calc_typing.py PORT SOURCE OUT_STEM '{"D30": "87,5", ...}'

``soffice --headless --accept="socket,host=localhost,port=PORT;urp;"`` must be starting or
running (the caller starts it, with a profile whose locale is vi-VN). The script opens SOURCE,
types each text into its cell through Calc's UI test interface (key events on the grid window:
the same input handler as a keyboard, with its input checks and its automatic formats), presses
Enter, saves the document as ``OUT_STEM.xlsx`` (Excel 2007-365) and ``OUT_STEM.ods``, and prints
one JSON object: for each cell what was typed, what the cell holds afterwards (``type`` VALUE,
TEXT or EMPTY; ``value``; ``shown``, the text Calc displays; ``format``), and the cell's input
check (``error_title``, ``error_message``); plus ``locale`` (the office's locale) and
``dialogs`` (the title of any window that was left open after a cell and closed).
"""

from __future__ import annotations

import json
import sys
import time

import uno
from calc_uno import connect, prop


def document_window(uitest, seconds: float = 10.0):
    """The document's top window once no dialog covers it; a dialog found on the way is closed
    (as a person presses its button) and its title returned."""
    seen = []
    deadline = time.monotonic() + seconds
    while True:
        top = uitest.getTopFocusWindow()
        children = top.getChildren()
        if "grid_window" in children:
            return top, seen
        state = {p.Name: p.Value for p in top.getState()}
        seen.append(state.get("Text", ""))
        for button in ("ok", "cancel", "close", "no"):
            if button in children:
                top.getChild(button).executeAction("CLICK", ())
                break
        if time.monotonic() > deadline:
            raise RuntimeError(f"a window stays open: {seen}")
        time.sleep(0.2)


def main(port: str, source: str, out_stem: str, typed: dict[str, str]) -> dict:
    ctx = connect(port)
    smgr = ctx.ServiceManager
    desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    config = smgr.createInstanceWithContext("com.sun.star.configuration.ConfigurationProvider", ctx)
    l10n = config.createInstanceWithArguments("com.sun.star.configuration.ConfigurationAccess",
                                              (prop("nodepath", "/org.openoffice.Setup/L10N"),))
    doc = None
    for _ in range(40):  # the office may still be starting
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, ())
        if doc is not None:
            break
        time.sleep(0.25)
    if doc is None:
        raise RuntimeError(f"LibreOffice did not open {source}")
    uitest = smgr.createInstanceWithContext("org.libreoffice.uitest.UITest", ctx)
    sheet = doc.Sheets.getByIndex(0)
    controller = doc.getCurrentController()
    cells, dialogs = {}, []
    for ref, text in typed.items():
        cell = sheet.getCellRangeByName(ref)
        controller.select(cell)
        window, seen = document_window(uitest)
        dialogs += seen
        grid = window.getChild("grid_window")
        grid.executeAction("TYPE", (prop("TEXT", text),))
        grid.executeAction("TYPE", (prop("KEYCODE", "RETURN"),))
        _, seen = document_window(uitest)
        dialogs += seen
        number_format = doc.NumberFormats.getByKey(cell.NumberFormat)
        validation = cell.Validation
        cells[ref] = {
            "typed": text,
            "type": cell.Type.value,
            "value": cell.Value,
            "shown": cell.String,
            "format": number_format.FormatString,
            "error_title": validation.ErrorTitle,
            "error_message": validation.ErrorMessage,
            "show_error": bool(validation.ShowErrorMessage),
        }
    for ending, filter_name in ((".xlsx", "Calc MS Excel 2007 XML"), (".ods", "calc8")):
        doc.storeToURL(uno.systemPathToFileUrl(out_stem + ending), (prop("FilterName", filter_name),))
    doc.close(True)
    return {"locale": l10n.getByName("ooSetupSystemLocale"), "cells": cells, "dialogs": dialogs}


if __name__ == "__main__":
    result = main(sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
    print(json.dumps(result, ensure_ascii=False))
