"""Driving the chat from notebook cells, in real JupyterLab: messages, posts, thread switches and
events, read off the screen (lite renderer), and the element methods of the hosted component
(a stand-in element that lists the calls it gets)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import REPO, Lab, notebook, open_notebook
from .test_hosted import StandIn, stand_in  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

SETUP = """
import chatkit_jupyter
from chatkit_jupyter import ChatKitWidget, NotebookServer, SQLiteStore

print(chatkit_jupyter.__file__)
server = NotebookServer(store=SQLiteStore(":memory:"), namespace={})
w = ChatKitWidget(server, renderer="lite", height=700,
                  options={"composer": {"placeholder": "Drive me"}})
ends, changes = [], []
w.on_response_end(lambda: ends.append(w.thread_id))
w.on_thread_change(changes.append)

@w.on_action
def ask(action, item, thread_id):
    # A client action does what a ChatKit web app does in JavaScript: send a message.
    w.send_user_message(f"{action['payload']['question']} (from {thread_id == w.thread_id})")

w
"""

CELLS = [
    SETUP,
    'w.send_user_message("Hello from a cell")',
    """
first = w.thread_id
await w.post({"type": "Card", "children": [
    {"type": "Text", "value": "Posted card"},
    {"type": "Button", "label": "Ask about sales",
     "onClickAction": {"type": "ask", "handler": "client", "payload": {"question": "What about sales?"}}},
]})
await w.post("Posted **markdown** text")
""",
    "w.set_thread(None)",
    "w.set_thread(first)",
    'print(f"thread={w.thread_id == first} none={w.thread_id is None} ends={len(ends)} changes={len(changes)}")',
]


def run_cell(page: Any, index: int) -> Any:
    """Select cell `index` and run it with Shift+Enter, as a person would; its output."""
    cell = notebook(page).locator(".jp-CodeCell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    return cell.locator(".jp-OutputArea-output")


def test_cells_drive_the_open_chat(lab: Lab, page: Any) -> None:
    name = lab.write_notebook(f"drive_{uuid.uuid4().hex[:8]}.ipynb", CELLS)
    open_notebook(page, lab, name)
    out = run_cell(page, 0)
    # The kernel runs this checkout's package (and so its front-end bundle).
    expect(out.first).to_contain_text(str(REPO / "chatkit_jupyter"), timeout=60_000)
    chat = page.get_by_role("region", name=re.compile(".")).filter(
        has=page.get_by_role("textbox", name="Drive me")
    )
    expect(page.get_by_role("textbox", name="Drive me")).to_be_visible(timeout=60_000)
    log = page.get_by_role("log").first

    # send_user_message: the message and the offline assistant's reply appear in the open chat.
    run_cell(page, 1)
    expect(log).to_contain_text("Hello from a cell", timeout=30_000)
    expect(log).to_contain_text("OPENAI_API_KEY", timeout=30_000)

    # post: a widget and markdown show at once, in the same thread, without reopening it
    # (the messages already on screen keep their DOM nodes).
    log.get_by_role("article").first.evaluate("e => { e.dataset.kept = 'yes'; }")
    run_cell(page, 2)
    expect(log.get_by_text("Posted card")).to_be_visible(timeout=15_000)
    expect(log.locator("strong", has_text="markdown")).to_be_visible(timeout=15_000)
    expect(log.locator("[data-kept='yes']")).to_have_count(1)
    expect(log).to_contain_text("Hello from a cell")

    # A client action in the posted card reaches Python, which sends a message.
    log.get_by_role("button", name="Ask about sales").click()
    expect(log).to_contain_text("What about sales? (from True)", timeout=30_000)
    expect(log.get_by_text(re.compile("To chat with a model"))).to_have_count(2, timeout=30_000)

    # set_thread switches what every view shows: a new thread, then back.
    run_cell(page, 3)
    expect(page.get_by_role("heading", name="What can I help with today?")).to_be_visible(
        timeout=15_000
    )
    expect(log).not_to_contain_text("Posted card")
    run_cell(page, 4)
    expect(log.get_by_text("Posted card")).to_be_visible(timeout=15_000)

    # thread_id and on_thread_change follow a switch made in the chat itself.
    chat.get_by_role("button", name="New chat").click()
    expect(log).not_to_contain_text("Posted card")
    status = run_cell(page, 5)
    # Two replies ended; changes: created, set_thread(None), set_thread(first), New chat.
    expect(status).to_have_text("thread=False none=True ends=2 changes=4", timeout=20_000)
    chat.get_by_role("button", name="History").click()
    chat.get_by_role("region", name="History").get_by_text("Hello from a cell").click()
    expect(log.get_by_text("Posted card")).to_be_visible(timeout=15_000)
    status = run_cell(page, 5)
    expect(status).to_have_text("thread=True none=False ends=2 changes=5", timeout=20_000)
    assert not page.console_errors


HOSTED_SETUP = """
from chatkit_jupyter import ChatKitWidget, NotebookServer, SQLiteStore

w = ChatKitWidget(NotebookServer(store=SQLiteStore(":memory:"), namespace={}),
                  renderer="chatkit", cdn_url={cdn!r}, height=300)
ends = []
w.on_response_end(lambda: ends.append(w.thread_id))
w
"""

HOSTED_DRIVE = """
await w.send_user_message("hi from python", new_thread=True)
await w.send_custom_action({"type": "refresh", "payload": {"n": 1}}, "itm_1")
await w.set_composer_value("draft")
await w.focus_composer()
await w.fetch_updates()
await w.set_thread("thr_2")
print(f"thread={w.thread_id} ends={ends}")
"""


def test_commands_call_the_hosted_elements_methods(
    lab: Lab,
    page: Any,
    stand_in: StandIn,  # noqa: F811
) -> None:
    cdn = f"{stand_in.url}/fake-chatkit.js"
    name = lab.write_notebook(
        f"drive_hosted_{uuid.uuid4().hex[:8]}.ipynb",
        [HOSTED_SETUP.replace("{cdn!r}", repr(cdn)), HOSTED_DRIVE],
    )
    open_notebook(page, lab, name)
    run_cell(page, 0)
    calls = page.get_by_role("list", name="Stand-in calls")
    expect(calls).to_be_attached(timeout=60_000)
    out = run_cell(page, 1)
    expect(out).to_have_text("thread=thr_2 ends=['thr_stand_in', 'thr_stand_in']", timeout=30_000)
    expect(calls.get_by_role("listitem")).to_have_text(
        [
            'sendUserMessage({"text":"hi from python","newThread":true})',
            'sendCustomAction({"type":"refresh","payload":{"n":1}}, "itm_1")',
            'setComposerValue({"text":"draft"})',
            "focusComposer()",
            "fetchUpdates()",
            'setThreadId("thr_2")',
        ]
    )
