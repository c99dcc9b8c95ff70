"""The jupyter_server extension, as `pip install` enables it: kernel websockets with TCP_NODELAY."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from chatkit_jupyter.serverext import NODELAY_URL

from .conftest import Lab, notebook, open_notebook, run_all_cells

pytestmark = pytest.mark.browser


def test_kernel_websocket_has_nodelay(lab: Lab, page: Any) -> None:
    # The shared Lab reads config as a user's does: its throwaway JUPYTER_CONFIG_DIR comes
    # after sys.prefix/etc/jupyter, where the install put jupyter_server_config.d/chatkit_jupyter.json.
    name = lab.write_notebook(f"nodelay_{uuid.uuid4().hex[:8]}.ipynb", ["print('ws' + 'open')"])
    open_notebook(page, lab, name)
    run_all_cells(page)
    expect(notebook(page).get_by_text("wsopen")).to_be_visible(timeout=30_000)

    with urllib.request.urlopen(lab.url(NODELAY_URL), timeout=10) as r:
        state = json.load(r)
    assert state["enabled"] is True, state
    # The page's kernel websocket is open (the cell ran through it); the OS reports its option.
    assert state["websockets"], f"no open kernel websocket was switched: {state}"
    assert all(ws["nodelay"] is True for ws in state["websockets"]), state
    assert "chatkit-jupyter: TCP_NODELAY on kernel websockets" in lab.log.read_text()
