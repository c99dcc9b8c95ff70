"""``await w.ask(...)`` in a cell, watched in the open chat (lite renderer): the turn streams in as
if it had been typed, and the chat's Stop button stops it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import Lab, open_notebook
from .test_chat import SERVER_CELL
from .test_drive import run_cell

pytestmark = pytest.mark.browser

ASK = """
reply = await w.ask("paced")
print(f"last={reply.text.split()[-1]} error={reply.error}")
"""

STOPPED = """
stopped = await w.ask("slow")
print(f"error={stopped.error}")
"""


def test_an_ask_streams_into_the_open_chat_and_stop_stops_it(lab: Lab, page: Any) -> None:
    name = lab.write_notebook(f"ask_{uuid.uuid4().hex[:8]}.ipynb", [SERVER_CELL, ASK, STOPPED])
    open_notebook(page, lab, name)
    run_cell(page, 0)
    expect(page.get_by_role("textbox", name="Talk to the test server")).to_be_visible(
        timeout=60_000
    )
    log = page.get_by_role("log").first
    stop = page.get_by_role("button", name="Stop generating")

    # The cell's message and the first words show while the reply is still being written
    # (it takes 3 s), with the composer busy as for a typed message.
    out = run_cell(page, 1)
    expect(log.get_by_role("article", name="You")).to_contain_text("paced", timeout=30_000)
    expect(log.get_by_role("article", name="Assistant")).to_contain_text("w0003", timeout=10_000)
    assert "w0059" not in log.inner_text()
    expect(stop).to_be_visible()
    expect(out).to_have_count(0)  # the cell still awaits the reply
    # Then the whole reply, and the cell gets it too.
    expect(log.get_by_role("article", name="Assistant")).to_contain_text("w0059", timeout=15_000)
    expect(out).to_have_text("last=w0059 error=None", timeout=15_000)
    expect(page.get_by_role("button", name="Send message")).to_be_visible()

    # The chat's Stop button stops an ask (a 40 s reply) and the cell hears why.
    out = run_cell(page, 2)
    expect(log).to_contain_text("w0010", timeout=30_000)
    stop.click()
    expect(out).to_have_text(
        "error=Stopped in the chat before the reply was complete.", timeout=15_000
    )
    assert "w1999" not in log.inner_text()
    expect(page.get_by_role("alert").filter(has_text=re.compile("Lost"))).to_have_count(0)
    assert not page.console_errors
