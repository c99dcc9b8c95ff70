"""One version, read from one place: ``chatkit_jupyter/_version.py``.

Hatch reads the wheel's version from that file, and the front end's ``js/package.json`` (with
its lock file) must say the same, so the bundle and the kernel side always ship as one release.
"""

from __future__ import annotations

import importlib.metadata
import json
import pathlib
import re

import chatkit_jupyter

ROOT = pathlib.Path(__file__).parent.parent
BUMP = "change chatkit_jupyter/_version.py and js/package.json together (npm version <v> in js/)"


def test_hatch_reads_the_version_from_version_py() -> None:
    # tomllib is 3.11+; the table is two lines, so a pattern reads it on 3.10 as well.
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^dynamic = \["version"\]$', pyproject, re.M), "version must be dynamic"
    table = re.search(r'^\[tool\.hatch\.version\]\npath = "([^"]+)"$', pyproject, re.M)
    assert table is not None, "pyproject.toml has no [tool.hatch.version] path"
    assert table.group(1) == "chatkit_jupyter/_version.py"
    source = (ROOT / table.group(1)).read_text()
    assert re.fullmatch(r'__version__ = "[^"]+"\n', source), (
        "_version.py holds the version and nothing else, so hatch and humans read it the same way"
    )
    assert f'"{chatkit_jupyter.__version__}"' in source


def test_js_package_has_the_python_version() -> None:
    package = json.loads((ROOT / "js" / "package.json").read_text())
    assert package["version"] == chatkit_jupyter.__version__, BUMP
    lock = json.loads((ROOT / "js" / "package-lock.json").read_text())
    assert lock["version"] == chatkit_jupyter.__version__, f"{BUMP}; then npm install in js/"
    assert lock["packages"][""]["version"] == chatkit_jupyter.__version__, BUMP


def test_installed_metadata_has_the_same_version() -> None:
    # The editable install's metadata comes from _version.py at install time; a mismatch means
    # the install is stale (bash scripts/setup.sh reinstalls) or hatch reads another source.
    assert importlib.metadata.version("chatkit-jupyter") == chatkit_jupyter.__version__
