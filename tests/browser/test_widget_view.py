"""``show`` / ``WidgetView`` in real JupyterLab: a widget in a cell, its actions reaching Python,
and live updates that leave what the user is typing alone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .chat_helpers import PageErrors
from .conftest import REPO, Lab, notebook, open_notebook

pytestmark = pytest.mark.browser

SETUP = """
import chatkit_jupyter
print("chatkit_jupyter from", chatkit_jupyter.__file__)
from chatkit_jupyter import show

got = []

def card(status):
    return {"type": "Card", "children": [
        {"type": "Title", "value": status},
        {"type": "Row", "gap": 2, "children": [
            {"type": "Button", "key": "like", "label": "Like",
             "onClickAction": {"type": "like", "payload": {"id": 7}}},
            {"type": "Button", "key": "break", "label": "Break", "style": "secondary",
             "onClickAction": {"type": "break"}},
        ]},
        {"type": "Form", "key": "todo", "onSubmitAction": {"type": "save", "payload": {"list": "home"}},
         "children": [
            {"type": "Input", "name": "todo.title", "placeholder": "Todo title"},
            {"type": "Select", "name": "priority", "placeholder": "Priority",
             "options": [{"label": "Low", "value": "low"}, {"label": "High", "value": "high"}]},
            {"type": "Button", "label": "Save", "submit": True},
        ]},
    ]}

view = show(card("Nothing yet"))

@view.on_action
def handle(action):
    got.append(action)
    if action["type"] == "break":
        raise RuntimeError("the printer is on fire")
    if action["type"] == "save":
        return card(f"Saved {action['payload']['todo']['title']}")
    return card(f"Liked {action['payload']['id']}")
"""

REPORT = (
    "print(got)\nprint(len(view.errors), view.errors[-1].splitlines()[-1] if view.errors else '')"
)


def run_cell(page: Any, index: int) -> Any:
    """Click into a cell and run it with Shift+Enter; returns its output area."""
    cell = notebook(page).locator(".jp-CodeCell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    return cell.locator(".jp-OutputArea-output")


def view_in(page: Any, index: int) -> Any:
    """The WidgetView in a cell's output."""
    return notebook(page).locator(".jp-CodeCell").nth(index).locator(".ckw-view")


def test_button_and_form_reach_python(lab: Lab, page: Any) -> None:
    errors = PageErrors(page)
    name = lab.write_notebook("widget_view.ipynb", [SETUP, REPORT])
    open_notebook(page, lab, name)
    out = run_cell(page, 0)
    # The kernel runs this checkout of the package, not another install.
    expect(out.first).to_contain_text("chatkit_jupyter from")
    assert str(REPO / "chatkit_jupyter") in out.first.inner_text()

    view = view_in(page, 0)
    expect(view.get_by_role("heading", name="Nothing yet")).to_be_visible(timeout=30_000)
    view.get_by_role("button", name="Like").click()
    expect(view.get_by_role("heading", name="Liked 7")).to_be_visible(timeout=15_000)

    view.get_by_role("textbox", name="Todo title").fill("Buy milk")
    view.get_by_role("combobox", name="Priority").select_option(label="High")
    view.get_by_role("button", name="Save").click()
    expect(view.get_by_role("heading", name="Saved Buy milk")).to_be_visible(timeout=15_000)

    view.get_by_role("button", name="Break").click()
    alert = view.get_by_role("alert")
    expect(alert).to_have_text(
        "RuntimeError: the printer is on fire (full traceback in view.errors)", timeout=15_000
    )
    expect(view.get_by_role("heading", name="Saved Buy milk")).to_be_visible()

    report = run_cell(page, 1)
    expect(report.first).to_contain_text("{'type': 'like', 'payload': {'id': 7}}", timeout=15_000)
    text = report.first.inner_text()
    assert (
        "{'type': 'save', 'payload': {'list': 'home', 'todo': {'title': 'Buy milk'}, "
        "'priority': 'high'}}" in text
    ), text
    assert "1 RuntimeError: the printer is on fire" in text
    assert not errors.messages, errors.messages


LIVE = """
import asyncio
from chatkit_jupyter import show

def panel(n):
    return {"type": "Card", "children": [
        {"type": "Title", "value": f"Update {n}"},
        {"type": "Text", "value": "x" * (n % 7)},
        {"type": "Input", "key": "note", "name": "note", "placeholder": "Your note"},
        {"type": "Button", "key": "start", "label": "Start",
         "onClickAction": {"type": "start", "loadingBehavior": "none"}},
    ]}

live = show(panel(0))
tasks = []

async def pump():
    for n in range(1, 101):
        live.update(panel(n))
        await asyncio.sleep(0.04)

@live.on_action
def start(action):
    tasks.append(asyncio.ensure_future(pump()))
"""


def test_input_keeps_focus_and_text_through_100_updates(lab: Lab, page: Any) -> None:
    errors = PageErrors(page)
    name = lab.write_notebook("widget_view_live.ipynb", [LIVE])
    open_notebook(page, lab, name)
    run_cell(page, 0)
    view = view_in(page, 0)
    expect(view.get_by_role("heading", name="Update 0")).to_be_visible(timeout=30_000)
    view.get_by_role("button", name="Start").click()
    note = view.get_by_role("textbox", name="Your note")
    note.click()
    note.press_sequentially("typed while it updates", delay=20)
    # Typing finished while the kernel was still updating: later updates meet a focused, typed field.
    heading = view.get_by_role("heading", name=re.compile(r"^Update \d+$"))
    during = int(heading.inner_text().split()[1])
    assert 0 < during < 100, f"typing should end mid-stream, at update {during}"
    expect(view.get_by_role("heading", name="Update 100")).to_be_visible(timeout=30_000)
    expect(note).to_be_focused()
    expect(note).to_have_value("typed while it updates")
    # The caret stayed where typing left it: more typing goes to the end.
    page.keyboard.type("!")
    expect(note).to_have_value("typed while it updates!")
    assert not errors.messages, errors.messages
