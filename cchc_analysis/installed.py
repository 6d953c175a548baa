"""What is installed, found without ``importlib.metadata`` (importing it costs ~40 ms, a sixth of
reading a 300-workbook folder)."""

from __future__ import annotations

import os
import re
from importlib.util import find_spec


def version(distribution: str, module: str) -> str | None:
    """The version of the installed ``distribution`` whose top-level ``module`` this process would
    import (None where it is not installed): read from the name of the ``<name>-<version>.dist-info``
    folder beside the module, which is where ``importlib.metadata.version`` reads it too. Falls
    back to ``importlib.metadata`` where no such folder is there (an egg, a zip)."""
    wanted = _normal(distribution)
    try:
        spec = find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return None
    if spec.origin:  # a package's folder, or a module file: the dist-info folder is beside it
        folder = os.path.dirname(spec.origin)
        if spec.submodule_search_locations:
            folder = os.path.dirname(folder)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            names = []
        for name in names:
            if name.endswith(".dist-info"):
                project, _, found = name[: -len(".dist-info")].rpartition("-")
                if project and _normal(project) == wanted:
                    return found
    try:  # a namespace package, an egg, a zip: ask importlib.metadata after all
        from importlib.metadata import version as metadata_version

        return metadata_version(distribution)
    except Exception:
        return None


def _normal(name: str) -> str:
    """A distribution name as wheel folder names spell it (PEP 503 normalisation, '_' for runs)."""
    return re.sub(r"[-_.]+", "_", name).lower()
