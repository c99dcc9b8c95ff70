"""@-mentions and the "/" command menu in real JupyterLab, with handlers written in the notebook."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import Lab, open_notebook, run_all_cells

pytestmark = pytest.mark.browser

# A notebook's variables as entities, and a scripted server that says which tags it received.
CELL = """
from datetime import datetime

from chatkit.server import ChatKitServer
from chatkit.types import (
    AssistantMessageContent, AssistantMessageItem, ThreadItemDoneEvent,
)
from chatkit_jupyter import ChatKitWidget, SQLiteStore

sales = [120, 95, 143]
salaries = {"ada": 1}
temperatures = [21.5, 19.0]


class EchoTags(ChatKitServer):
    def __init__(self):
        super().__init__(SQLiteStore(":memory:"))

    async def respond(self, thread, item, context):
        tags = [f"{p.text} ({p.id}, {p.data.get('type')})" for p in item.content if p.type == "input_tag"]
        text = "received tags: " + ("; ".join(tags) or "none")
        yield ThreadItemDoneEvent(item=AssistantMessageItem(
            id=self.store.generate_item_id("message", thread, context), thread_id=thread.id,
            created_at=datetime.now(), content=[AssistantMessageContent(text=text)],
        ))


w = ChatKitWidget(EchoTags(), renderer="lite", options={"composer": {"placeholder": "Mention a variable"}})


@w.entity_search
def variables(query):
    ns = get_ipython().user_ns
    return [
        {"id": f"var:{name}", "title": name, "group": "Variables", "data": {"type": type(ns[name]).__name__}}
        for name in get_ipython().run_line_magic("who_ls", "")
        if name.startswith(query) and name != "w"
    ]


@w.command_search
def commands(query):
    found = [{"id": "describe", "label": "Describe a variable", "description": "Pick one to describe"}]
    return [c for c in found if query.lower() in c["label"].lower()]


@w.on_command
def run(command):
    if command["id"] == "describe":
        return {"type": "menu", "commands": [{"id": "describe:temperatures", "label": "temperatures"}]}
    name = command["id"].split(":", 1)[1]
    return {"type": "entity", "entity": {"id": f"var:{name}", "title": name, "data": {"type": "list"}}}


w
"""


@pytest.fixture
def chat(lab: Lab, page: Any) -> Any:
    name = lab.write_notebook(f"mentions_{uuid.uuid4().hex[:8]}.ipynb", [CELL])
    open_notebook(page, lab, name)
    run_all_cells(page)
    composer = page.get_by_role("textbox", name="Mention a variable")
    expect(composer).to_be_visible(timeout=60_000)
    return page, composer


def test_mention_a_notebook_variable_and_the_kernel_gets_the_tag(chat: Any) -> None:
    page, composer = chat
    log = page.get_by_role("log").first

    composer.click()
    composer.press_sequentially("Plot @sa")
    menu = page.get_by_role("listbox")
    expect(menu.get_by_role("option", name="salaries", exact=True)).to_be_visible(timeout=30_000)
    expect(menu.get_by_role("option", name="temperatures")).to_have_count(0)
    menu.get_by_role("option", name="sales", exact=True).click()
    expect(composer).to_have_value("Plot @sales ")
    expect(composer).to_be_focused()
    composer.press_sequentially("by month")
    composer.press("Enter")

    mine = log.get_by_role("article", name="You").last
    expect(mine).to_contain_text("Plot @sales by month", timeout=30_000)
    expect(log).to_contain_text("received tags: sales (var:sales, list)", timeout=30_000)
    assert not page.console_errors


def test_slash_command_menu_walks_a_submenu_and_inserts_a_tag(chat: Any) -> None:
    page, composer = chat
    log = page.get_by_role("log").first

    composer.click()
    composer.press_sequentially("/desc")
    menu = page.get_by_role("listbox")
    expect(menu.get_by_role("option", name="Describe a variable")).to_be_visible(timeout=30_000)
    composer.press("Enter")  # the first command is active: Enter picks it, a submenu follows
    expect(menu.get_by_role("option", name="temperatures")).to_be_visible(timeout=30_000)
    composer.press("Enter")
    expect(page.get_by_role("listbox")).to_have_count(0)
    expect(composer).to_have_value("@temperatures ")
    composer.press_sequentially("please")
    composer.press("Enter")

    expect(log.get_by_role("article", name="You").last).to_contain_text(
        "@temperatures please", timeout=30_000
    )
    expect(log).to_contain_text(
        "received tags: temperatures (var:temperatures, list)", timeout=30_000
    )
    assert not page.console_errors


# `%chatkit` as it comes: the notebook's variables on "@", the offline assistant answering.
DEFAULT_CELLS = [
    "%load_ext chatkit_jupyter",
    "sales = [120, 95, 143]\nsalaries = {'ada': 1}",
    '%chatkit --renderer lite --db :memory: --placeholder "Ask about your data"',
]


def test_chatkit_tags_a_variable_and_the_assistant_shows_it(lab: Lab, page: Any) -> None:
    name = lab.write_notebook(f"tag_default_{uuid.uuid4().hex[:8]}.ipynb", DEFAULT_CELLS)
    open_notebook(page, lab, name)
    run_all_cells(page)
    composer = page.get_by_role("textbox", name="Ask about your data")
    expect(composer).to_be_visible(timeout=60_000)
    log = page.get_by_role("log").first

    composer.click()
    composer.press_sequentially("what is odd in @sal")
    menu = page.get_by_role("listbox")
    expect(menu.get_by_role("option", name="salaries", exact=True)).to_be_visible(timeout=30_000)
    menu.get_by_role("option", name="sales", exact=True).click()
    chips = page.get_by_role("list", name="Mentioned")
    expect(chips.get_by_role("listitem")).to_have_text(["@sales"])
    composer.press("Enter")

    expect(log.get_by_role("article", name="You").last).to_contain_text(
        "what is odd in @sales", timeout=30_000
    )
    expect(log).to_contain_text("That's sales, a list.", timeout=60_000)
    expect(log).to_contain_text("[120, 95, 143]")  # the card shows the tagged variable
    expect(chips).to_have_count(0)
    assert not page.console_errors
