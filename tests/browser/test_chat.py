"""The chat in real JupyterLab, used the way a person would: open, run, type, read, stop."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import Lab, notebook, open_notebook, run_all_cells, send, wait_for_kernel

pytestmark = pytest.mark.browser

SERVER_CELL = '''
import asyncio
from datetime import datetime

from chatkit.server import ChatKitServer
from chatkit.types import (
    AssistantMessageContent, AssistantMessageContentPartTextDelta, AssistantMessageItem,
    ThreadItemAddedEvent, ThreadItemDoneEvent, ThreadItemUpdatedEvent, WidgetItem,
)
from chatkit.widgets import DynamicWidgetRoot
from chatkit_jupyter import ChatKitWidget, SQLiteStore


class TestServer(ChatKitServer):
    """Scripted replies: 'stream' = 5,000 deltas at full speed, 'slow' = a slow stream (40 s),
    'paced' = 60 deltas in 3 s,
    'explode' = an exception inside respond, 'kernel-crash' = an exception in process,
    'rocket' = a widget with a lucide icon the page's code does not bundle."""

    def __init__(self):
        super().__init__(SQLiteStore(":memory:"))
        self.cancelled = []

    async def process(self, request, context):
        if b"kernel-crash" in request:
            raise RuntimeError("the server exploded on purpose")
        return await super().process(request, context)

    async def respond(self, thread, item, context):
        text = item.content[0].text if item else ""
        if text == "explode":
            raise RuntimeError("kaboom inside respond")
        if text == "rocket":
            root = DynamicWidgetRoot.model_validate({"type": "Card", "children": [
                {"type": "Title", "value": "Launch"}, {"type": "Icon", "name": "lucide:rocket"},
            ]})
            yield ThreadItemDoneEvent(item=WidgetItem(
                id=self.store.generate_item_id("message", thread, context), thread_id=thread.id,
                created_at=datetime.now(), widget=root,
            ))
            return
        count, delay = {"stream": (5000, 0), "slow": (2000, 0.02), "paced": (60, 0.05)}.get(text, (3, 0))
        msg = AssistantMessageItem(
            id=self.store.generate_item_id("message", thread, context), thread_id=thread.id,
            created_at=datetime.now(), content=[AssistantMessageContent(text="")],
        )
        yield ThreadItemAddedEvent(item=msg)
        parts = []
        for i in range(count):
            delta = f"w{i:04d} "
            parts.append(delta)
            yield ThreadItemUpdatedEvent(
                item_id=msg.id, update=AssistantMessageContentPartTextDelta(content_index=0, delta=delta)
            )
            if delay:
                await asyncio.sleep(delay)
        msg.content = [AssistantMessageContent(text="".join(parts))]
        yield ThreadItemDoneEvent(item=msg)

    async def handle_stream_cancelled(self, thread, pending_items, context):
        self.cancelled.append(len(pending_items))
        await super().handle_stream_cancelled(thread, pending_items, context)


server = TestServer()
w = ChatKitWidget(server, renderer="lite", options={"composer": {"placeholder": "Talk to the test server"}})
w
'''

STATUS_CELL = 'print(f"cancelled={len(server.cancelled)} pending={w.pending_requests}")'


def expected(count: int) -> str:
    return " ".join(f"w{i:04d}" for i in range(count))


@pytest.fixture
def test_chat(lab: Lab, page: Any) -> Any:
    name = lab.write_notebook(f"bridge_{uuid.uuid4().hex[:8]}.ipynb", [SERVER_CELL, STATUS_CELL])
    open_notebook(page, lab, name)
    run_all_cells(page)
    composer = page.get_by_role("textbox", name="Talk to the test server")
    expect(composer).to_be_visible(timeout=60_000)
    return page


def test_quickstart_chat_offline(lab: Lab, page: Any) -> None:
    open_notebook(page, lab, "quickstart.ipynb")
    run_all_cells(page)
    composer = page.get_by_role("textbox", name="Ask about your data")
    expect(composer).to_be_visible(timeout=60_000)
    # The hosted component cannot load here; the cell says why and the lite renderer takes over.
    expect(page.get_by_text(re.compile("Hosted ChatKit could not load")).first).to_be_visible()
    log = page.get_by_role("log").first

    send(page, "Ask about your data", "Hello there")
    expect(log).to_contain_text("Hello there")
    expect(log).to_contain_text("OPENAI_API_KEY", timeout=30_000)  # the honest offline reply

    send(page, "Ask about your data", "/vars")
    expect(log).to_contain_text("sales", timeout=30_000)
    expect(log).to_contain_text("temperatures")
    expect(log).to_contain_text("openai_api_key")
    expect(log).not_to_contain_text("sk-demo-this-is-not-a-real-key")
    assert not page.console_errors


def test_five_thousand_deltas_arrive_in_order(test_chat: Any) -> None:
    page = test_chat
    send(page, "Talk to the test server", "stream")
    log = page.get_by_role("log").first
    expect(log).to_contain_text("w4999", timeout=60_000)
    text = log.inner_text()
    words = re.findall(r"w\d{4}", text)
    assert words == [f"w{i:04d}" for i in range(5000)]
    expect(page.get_by_role("alert").filter(has_text=re.compile("Lost"))).to_have_count(0)


def test_a_lucide_icon_the_page_lacks_comes_from_the_kernel(test_chat: Any) -> None:
    page = test_chat
    send(page, "Talk to the test server", "rocket")
    log = page.get_by_role("log").first
    expect(log.get_by_role("heading", name="Launch")).to_be_visible(timeout=30_000)
    # Not in widget.js: the page asked the kernel over the comm and drew it in place.
    rocket = log.locator('svg[data-icon="lucide:rocket"]')
    expect(rocket.locator("path").first).to_have_attribute(
        "d", "M12 15v5s3.03-.55 4-2c1.08-1.62 0-5 0-5", timeout=10_000
    )
    expect(rocket).not_to_have_class(re.compile("ckw-icon--missing"))


def test_stop_cancels_the_kernel_task(test_chat: Any) -> None:
    page = test_chat
    send(page, "Talk to the test server", "slow")
    log = page.get_by_role("log").first
    expect(log).to_contain_text("w0020", timeout=30_000)
    page.get_by_role("button", name=re.compile("^Stop", re.I)).click()
    # The composer is usable again and the stream stopped well before its end.
    expect(page.get_by_role("button", name=re.compile("^Send", re.I))).to_be_visible(timeout=10_000)
    status_cell = notebook(page).locator(".jp-CodeCell").nth(1)
    for _ in range(20):
        status_cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        out = status_cell.locator(".jp-OutputArea-output")
        expect(out).to_contain_text("cancelled=", timeout=20_000)
        if "cancelled=1 pending=0" in out.inner_text():
            break
        page.wait_for_timeout(250)
    expect(status_cell.locator(".jp-OutputArea-output")).to_contain_text("cancelled=1 pending=0")
    assert "w1999" not in log.inner_text()


def test_server_exceptions_are_shown_and_the_chat_keeps_working(test_chat: Any) -> None:
    page = test_chat
    log = page.get_by_role("log").first
    send(page, "Talk to the test server", "kernel-crash")
    expect(page.get_by_text(re.compile("the server exploded on purpose")).first).to_be_visible(
        timeout=30_000
    )
    send(page, "Talk to the test server", "explode")
    expect(page.get_by_role("alert").filter(has_text=re.compile(r"\S")).first).to_be_visible(
        timeout=30_000
    )
    send(page, "Talk to the test server", "hello again")
    expect(log).to_contain_text("w0002", timeout=30_000)


def test_two_views_of_one_widget_and_closing_one_cancels_its_requests(lab: Lab, page: Any) -> None:
    shown_again = "w  # a second view of the same widget"
    name = lab.write_notebook(
        f"views_{uuid.uuid4().hex[:8]}.ipynb", [SERVER_CELL, shown_again, STATUS_CELL]
    )
    open_notebook(page, lab, name)
    run_all_cells(page)
    composers = page.get_by_role("textbox", name="Talk to the test server")
    expect(composers).to_have_count(2, timeout=60_000)
    logs = page.get_by_role("log")

    composers.nth(0).fill("hello")
    composers.nth(0).press("Enter")
    expect(logs.nth(0)).to_contain_text("w0002", timeout=30_000)

    # A slow reply in the second view, then its output is cleared: the view goes away.
    composers.nth(1).fill("slow")
    composers.nth(1).press("Enter")
    expect(logs.nth(1)).to_contain_text("w0010", timeout=30_000)
    second = notebook(page).locator(".jp-CodeCell").nth(1)
    second.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Escape")
    page.get_by_role("menuitem", name="Edit", exact=True).click()
    page.get_by_role("menuitem", name="Clear Cell Output").click()
    expect(composers).to_have_count(1, timeout=10_000)

    status_cell = notebook(page).locator(".jp-CodeCell").nth(2)
    out = status_cell.locator(".jp-OutputArea-output")
    for _ in range(20):
        status_cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        expect(out).to_contain_text("cancelled=", timeout=20_000)
        if "cancelled=1 pending=0" in out.inner_text():
            break
        page.wait_for_timeout(250)
    expect(out).to_contain_text("cancelled=1 pending=0")

    # The first view still works.
    composers.nth(0).fill("again")
    composers.nth(0).press("Enter")
    expect(logs.nth(0).get_by_text(re.compile("w0002")).nth(1)).to_be_visible(timeout=30_000)


def test_options_change_on_a_live_widget(lab: Lab, page: Any) -> None:
    change = 'w.options = {"composer": {"placeholder": "Frag mich"}, "locale": "de"}'
    name = lab.write_notebook(f"options_{uuid.uuid4().hex[:8]}.ipynb", [SERVER_CELL, change])
    open_notebook(page, lab, name)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run Selected Cell", exact=False).first.click()
    expect(page.get_by_role("textbox", name="Talk to the test server")).to_be_visible(
        timeout=60_000
    )

    second = notebook(page).locator(".jp-CodeCell").nth(1)
    second.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    # The same chat, now German and with the new placeholder; it still talks to the kernel.
    expect(page.get_by_role("textbox", name="Frag mich")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("textbox", name="Talk to the test server")).to_have_count(0)
    page.get_by_role("textbox", name="Frag mich").fill("hallo")
    expect(page.get_by_role("button", name="Nachricht senden")).to_be_enabled()
    page.get_by_role("button", name="Nachricht senden").click()
    expect(page.get_by_role("log").first).to_contain_text("w0002", timeout=30_000)


def test_quickstart_in_notebook_7(lab: Lab, page: Any) -> None:
    # Notebook 7 is served by the same Jupyter server, at /notebooks/.
    page.goto(lab.url("notebooks/quickstart.ipynb"))
    notebook(page).wait_for(timeout=60_000)
    wait_for_kernel(page)
    run_all_cells(page)
    expect(page.get_by_role("textbox", name="Ask about your data")).to_be_visible(timeout=60_000)
    send(page, "Ask about your data", "/inspect sales")
    log = page.get_by_role("log").first
    expect(log).to_contain_text("region", timeout=30_000)
    expect(log).to_contain_text("revenue")


def test_custom_server_notebook_widget_actions_call_back_into_python(lab: Lab, page: Any) -> None:
    open_notebook(page, lab, "custom_server.ipynb")
    run_all_cells(page)
    send(page, "Say something", "hi there")
    log = page.get_by_role("log").first
    expect(log).to_contain_text("You said: hi there", timeout=30_000)
    expect(log.get_by_role("heading", name="Count: 0")).to_be_visible()
    log.get_by_role("button", name="Add one").last.click()
    expect(log.get_by_role("heading", name="Count: 1")).to_be_visible(timeout=30_000)
    log.get_by_role("button", name="Add one").last.click()
    expect(log.get_by_role("heading", name="Count: 2")).to_be_visible(timeout=30_000)
