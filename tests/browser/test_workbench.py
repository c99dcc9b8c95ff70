"""The agent workbench in real JupyterLab: tool calls as they happen, the inspector, run_code
with Run and Cancel, and a closed tab that stops its reply in the kernel."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import Lab, notebook, open_notebook, run_all_cells, send

pytestmark = pytest.mark.browser

AGENT_CELL = """
import asyncio
from agents import Agent, function_tool
from agents.testing import ScriptedModel, assistant_message, function_call
from chatkit_jupyter import ChatKitWidget, NotebookServer, SQLiteStore

@function_tool
async def slow_lookup(city: str) -> str:
    \"\"\"Looks a city up, slowly.\"\"\"
    await asyncio.sleep(1.5)
    return f"{city}: 12 degrees"

model = ScriptedModel([
    [function_call("slow_lookup", {"city": "Oslo"}, call_id="c1")],
    [assistant_message("It is 12 degrees in Oslo.", item_id="m1")],
])
agent = Agent(name="weather", instructions="Be brief.", model=model, tools=[slow_lookup])
w = ChatKitWidget(
    NotebookServer(agent, store=SQLiteStore(":memory:"), namespace={}),
    renderer="lite",
    options={"composer": {"placeholder": "Ask the weather"}},
)
w
"""


def run_cell(page: Any, index: int) -> Any:
    """Select one cell and run it from the Run menu, as a person would; its output area."""
    cell = notebook(page).locator(".jp-CodeCell").nth(index)
    prompt = cell.locator(".jp-InputPrompt")
    before = prompt.inner_text()
    for _ in range(3):
        prompt.click()  # selects the cell
        expect(cell).to_have_class(re.compile("jp-mod-selected"))
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name=re.compile("^Run Selected Cell")).first.click()
        try:
            # Right after a kernel starts, JupyterLab may drop the request: then run it again.
            expect(prompt).not_to_have_text(before, timeout=10_000)
            break
        except AssertionError:
            continue
    return cell.locator(".jp-OutputArea-output")


def test_tool_calls_show_as_they_happen_and_the_inspector_lists_the_turn(
    lab: Lab, page: Any
) -> None:
    name = lab.write_notebook(
        f"workbench_{uuid.uuid4().hex[:8]}.ipynb", [AGENT_CELL, "w.inspector = True"]
    )
    open_notebook(page, lab, name)
    run_cell(page, 0)
    expect(page.get_by_role("textbox", name="Ask the weather")).to_be_visible(timeout=60_000)
    inspector = page.get_by_role("region", name="Inspector")
    expect(inspector).to_be_hidden()

    send(page, "Ask the weather", "weather in Oslo?")
    log = page.get_by_role("log").first
    # While the tool runs: an open workflow with the call and its arguments.
    workflow = log.locator("details[data-item-type=workflow]")
    expect(workflow).to_contain_text("slow_lookup", timeout=30_000)
    expect(workflow).to_contain_text('"city": "Oslo"')
    assert workflow.evaluate("d => d.open") is True
    # When the reply comes, it collapses into a summary; the result is one click away.
    expect(log).to_contain_text("It is 12 degrees in Oslo.", timeout=30_000)
    expect(workflow.locator("summary").first).to_have_text("Used slow_lookup")
    assert workflow.evaluate("d => d.open") is False
    workflow.locator("summary").first.click()
    expect(workflow).to_contain_text("Oslo: 12 degrees")

    run_cell(page, 1)  # w.inspector = True
    expect(inspector).to_be_visible(timeout=30_000)
    turn = inspector.locator(".ckj-turn").first
    expect(turn.locator("summary").first).to_contain_text("Turn 1 · threads.create")
    expect(turn.locator("summary").first).to_contain_text("1 tool call")
    step = turn.locator(".ckj-entry").filter(has_text="tool slow_lookup")
    step.locator("summary").click()
    expect(step.locator("pre")).to_contain_text('"name": "slow_lookup"')
    expect(step.get_by_role("button", name=re.compile("Copy entry \\d+ as JSON"))).to_be_visible()
    assert not page.console_errors


RUN_CODE_CELL = """
from agents import Agent
from agents.testing import ScriptedModel, assistant_message, function_call
from chatkit_jupyter import ChatKitWidget, NotebookServer, SQLiteStore

ran = []
model = ScriptedModel([
    [function_call("run_code", {"code": "ran.append('approved')\\nprint('did it')\\n6 * 7"}, call_id="c1")],
    [assistant_message("It printed did it and gave 42.", item_id="m1")],
    [function_call("run_code", {"code": "ran.append('declined')"}, call_id="c2")],
    [assistant_message("OK, I did not run it.", item_id="m2")],
])
w = ChatKitWidget(
    NotebookServer(Agent(name="coder", instructions="x", model=model), store=SQLiteStore(":memory:"),
                   allow_run=True),
    renderer="lite",
    options={"composer": {"placeholder": "Ask the coder"}},
)
w
"""


def test_run_code_runs_on_run_and_not_on_cancel(lab: Lab, page: Any) -> None:
    name = lab.write_notebook(
        f"run_code_{uuid.uuid4().hex[:8]}.ipynb", [RUN_CODE_CELL, "print(f'ran={ran}')"]
    )
    open_notebook(page, lab, name)
    run_cell(page, 0)
    expect(page.get_by_role("textbox", name="Ask the coder")).to_be_visible(timeout=60_000)
    log = page.get_by_role("log").first

    send(page, "Ask the coder", "compute it")
    card = log.locator("[data-item-type=widget]").filter(has_text="Run this code?").last
    expect(card).to_contain_text("ran.append('approved')", timeout=30_000)
    card.get_by_role("button", name="Run").click()
    expect(log).to_contain_text("It printed did it and gave 42.", timeout=30_000)
    expect(log).to_contain_text("did it")

    send(page, "Ask the coder", "and this one?")
    card = log.locator("[data-item-type=widget]").filter(has_text="ran.append('declined')").last
    expect(card.get_by_role("button", name="Cancel")).to_be_visible(timeout=30_000)
    card.get_by_role("button", name="Cancel").click()
    expect(log).to_contain_text("OK, I did not run it.", timeout=30_000)
    expect(card).to_contain_text("Declined: not run")

    # Only the approved code ran.
    out = run_cell(page, 1)
    expect(out).to_contain_text("ran=['approved']", timeout=30_000)
    assert not page.console_errors


SLOW_CELL = """
import asyncio
from datetime import datetime
from chatkit.server import ChatKitServer
from chatkit.types import (
    AssistantMessageContent, AssistantMessageContentPartTextDelta, AssistantMessageItem,
    ThreadItemAddedEvent, ThreadItemUpdatedEvent,
)
from chatkit_jupyter import ChatKitWidget, SQLiteStore

class Slow(ChatKitServer):
    def __init__(self):
        super().__init__(SQLiteStore(":memory:"))
        self.cancelled = 0

    async def respond(self, thread, item, context):
        msg = AssistantMessageItem(id="m1", thread_id=thread.id, created_at=datetime.now(),
                                   content=[AssistantMessageContent(text="")])
        yield ThreadItemAddedEvent(item=msg)
        for i in range(3000):  # a minute of text: a model writing for whoever is reading
            yield ThreadItemUpdatedEvent(item_id=msg.id, update=AssistantMessageContentPartTextDelta(
                content_index=0, delta=f"w{i:04d} "))
            await asyncio.sleep(0.02)

    async def handle_stream_cancelled(self, thread, pending_items, context):
        self.cancelled += 1
        await super().handle_stream_cancelled(thread, pending_items, context)

server = Slow()
w = ChatKitWidget(server, renderer="lite", options={"composer": {"placeholder": "Talk slowly"}})
w
"""


def test_closing_the_tab_mid_reply_cancels_it_in_the_kernel(lab: Lab, page: Any) -> None:
    name = lab.write_notebook(
        f"close_tab_{uuid.uuid4().hex[:8]}.ipynb",
        [SLOW_CELL, "print(f'cancelled={server.cancelled} pending={w.pending_requests}')"],
    )
    open_notebook(page, lab, name)
    run_all_cells(page)
    send(page, "Talk slowly", "tell me everything")
    expect(page.get_by_role("log").first).to_contain_text("w0020", timeout=30_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # Close the notebook's tab (the kernel keeps running), throwing away unsaved changes.
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.get_by_role("menuitem", name=re.compile("^Close Tab")).click()
    dialog = page.get_by_role("dialog")
    try:
        dialog.get_by_role("button", name="Discard").click(timeout=3000)
    except Exception:  # nothing unsaved: no question
        pass
    expect(notebook(page)).to_have_count(0, timeout=10_000)
    assert [e for e in errors if "Cannot send" in e] == []

    # The page stays open (another tab could be in use): reopen the notebook, whose kernel
    # kept running, and ask it. It notices a silent view within a few heartbeats (~8 s).
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.get_by_role("menuitem", name="Open from Path…").click()
    page.get_by_role("dialog").get_by_role("textbox").fill(name)
    page.get_by_role("dialog").get_by_role("button", name="Open").click()
    notebook(page).wait_for(timeout=60_000)
    for _ in range(20):
        out = run_cell(page, 1)
        expect(out).to_contain_text("cancelled=", timeout=30_000)
        if "cancelled=1 pending=0" in out.inner_text():
            break
        page.wait_for_timeout(1000)
    expect(out).to_contain_text("cancelled=1 pending=0")
    assert [e for e in errors if "Cannot send" in e] == []
