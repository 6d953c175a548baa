"""What the LibreOffice UNO drivers of the tests share (run by the system python3, which has the
``uno`` module of python3-uno): property values and connecting to a listening office."""

import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def connect(port: str, seconds: float = 60.0):
    """The office's component context, once it answers on ``port`` (it may still be starting)."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + seconds
    while True:
        try:
            return resolver.resolve(f"uno:socket,host=localhost,port={port};urp;StarOffice.ComponentContext")
        except Exception:  # noqa: BLE001 - the office is still starting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)
