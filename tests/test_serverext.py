"""The jupyter_server extension's install: the config file the wheel ships, and where it goes.

The extension itself runs in a real server: tests/browser/test_serverext.py.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).parents[1]
CONFIG = "jupyter-config/jupyter_server_config.d/chatkit_jupyter.json"


def test_install_enables_the_extension() -> None:
    enabled = json.loads((REPO / CONFIG).read_text())["ServerApp"]["jpserver_extensions"]
    assert enabled == {"chatkit_jupyter.serverext": True}
    # The wheel puts it where jupyter_server looks: {sys.prefix}/etc/jupyter/...
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'"{CONFIG}" = "etc/jupyter/jupyter_server_config.d/chatkit_jupyter.json"' in pyproject


def test_importing_it_needs_no_jupyter_server() -> None:
    # The kernel (and the unit tests on Python 3.10) may have no jupyter_server installed.
    code = "import sys, chatkit_jupyter.serverext; print('jupyter_server' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
