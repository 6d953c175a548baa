"""pyproject.toml is the one dependency list; environment.yml only installs from it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

from conftest import ROOT


def test_environment_yml_installs_from_pyproject():
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    section = text.split("dependencies:", 1)[1]
    lines = [l.strip() for l in section.splitlines() if l.strip() and not l.strip().startswith("#")]
    conda_deps = [l[2:].strip() for l in lines if l.startswith("- ") and not l.startswith("- -")]
    pip_deps = [l[2:].strip() for l in lines if l.startswith("- -")]
    # conda brings only python and pip; every library comes from pyproject.toml via `pip install -e .`
    assert sorted(d.split(">")[0].split("=")[0] for d in conda_deps if d != "pip:") == ["pip", "python"]
    assert pip_deps == ["-e .[test]"]
    python = re.search(r"python>=([\d.]+)", text).group(1)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == f">={python}"


def test_declared_dependencies_are_installed():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [re.split(r"[<>=!~ \[]", d)[0] for d in project["dependencies"] + project["optional-dependencies"]["test"]]
    listed = json.loads(subprocess.run([sys.executable, "-m", "pip", "list", "--format", "json"],
                                       capture_output=True, text=True, check=True).stdout)
    installed = {p["name"].lower().replace("_", "-") for p in listed}
    assert [n for n in names if n.lower().replace("_", "-") not in installed] == []


def test_ingest_path_stays_light():
    """The ingest room must not pull in plotting or notebook machinery (fast start, easy tests)."""
    code = ("import sys, cchc_analysis.ingest, cchc_analysis.pipeline, cchc_analysis.checks, cchc_analysis.history; "
            "print(sorted(m for m in ('matplotlib', 'papermill', 'nbconvert', 'nbclient') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_the_package_uses_only_public_interfaces():
    """No ctypes, no forking by hand, no module swapped in ``sys.modules``, no private module of
    another package, no package metadata read from folder names (issue 13)."""
    pattern = re.compile(r"ctypes|os\.fork\(|sys\.modules\[[^]]+\] *=|pyarrow\._|from pyarrow import _|nbclient\.util"
                         r"|\.dist-info|renameat2|prctl")
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in sorted((ROOT / "cchc_analysis").rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if pattern.search(line)]
    assert found == []
