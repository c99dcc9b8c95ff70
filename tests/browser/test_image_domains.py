"""A widget built from model output loads no remote image outside the thread's
``allowed_image_domains``: real JupyterLab, the lite renderer, and the page's own requests."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from .chat_helpers import reveal
from .conftest import Lab, open_notebook, run_all_cells, send

pytestmark = pytest.mark.browser

COMPOSER = "Ask for a picture"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

SERVER_CELL = f"""
from datetime import datetime

from chatkit.server import ChatKitServer
from chatkit.types import ThreadItemDoneEvent, ThreadUpdatedEvent, WidgetItem
from chatkit.widgets import DynamicWidgetRoot
from chatkit_jupyter import ChatKitWidget, SQLiteStore


class PictureServer(ChatKitServer):
    async def respond(self, thread, item, context):
        thread.allowed_image_domains = ["allowed.test"]
        await self.store.save_thread(thread, context)
        yield ThreadUpdatedEvent(thread=self._to_thread_response(thread))
        tree = {{
            "type": "Card",
            "status": {{"text": "Found pictures", "favicon": "https://blocked.test/favicon.ico"}},
            "children": [
                {{"type": "Image", "src": "https://blocked.test/track.png", "alt": "tracker"}},
                {{"type": "Image", "src": "//blocked.test/relative.png", "alt": "relative"}},
                {{"type": "Image", "src": "https://cdn.allowed.test/ok.png", "alt": "allowed"}},
            ],
        }}
        yield ThreadItemDoneEvent(item=WidgetItem(
            id="pictures", thread_id=thread.id, created_at=datetime.now(),
            widget=DynamicWidgetRoot.model_validate(tree),
        ))


w = ChatKitWidget(PictureServer(SQLiteStore(":memory:")), renderer="lite",
                  options={{"composer": {{"placeholder": {COMPOSER!r}}}}})
w
"""


def test_widget_images_outside_the_allowed_domains_are_never_requested(lab: Lab, page: Any) -> None:
    requested: list[str] = []

    def serve(route: Any) -> None:
        requested.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    page.context.route(re.compile(r"^https?://([a-z]+\.)*(allowed|blocked)\.test/"), serve)
    # On a busy machine Jupyter may ask for the kernel after open_notebook stopped looking.
    dialog = page.get_by_role("dialog").filter(has_text="Select Kernel")
    page.add_locator_handler(
        dialog, lambda d: d.get_by_role("button", name="Select Kernel").click()
    )
    name = lab.write_notebook(f"images_{uuid.uuid4().hex[:8]}.ipynb", [SERVER_CELL])
    open_notebook(page, lab, name)
    run_all_cells(page)
    expect(page.get_by_role("textbox", name=COMPOSER)).to_be_visible(timeout=60_000)

    send(page, COMPOSER, "show me")
    card = page.get_by_role("log").first.locator('[data-item-id="pictures"]')
    expect(card).to_contain_text("Found pictures", timeout=60_000)
    reveal(page, card)
    allowed = card.get_by_role("img", name="allowed")
    expect(allowed).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=allowed.element_handle()
    )
    # The blocked ones keep their place as labelled placeholders.
    expect(card.get_by_text("tracker")).to_be_visible()
    expect(card.get_by_text("relative")).to_be_visible()
    assert requested == ["https://cdn.allowed.test/ok.png"]
