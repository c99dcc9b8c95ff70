"""Every Widget Builder fixture, drawn by the lite renderer in real JupyterLab, light and dark.

A scripted ChatKitServer in a notebook cell answers "gallery" with one WidgetItem per fixture
preview (`outputJsonPreview` of the .widget file) and one per template (its Jinja `template`
rendered by chatkit's WidgetTemplate with data that fits its `jsonSchema`). The test then reads the
screen: each component of each widget is there, visible, inside its widget, readable against its
background, with no console error; buttons and list items send their actions to the kernel.
Screenshots go to tests/artifacts/widgets/ for a person to look at.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from chatkit.widgets import WidgetTemplate
from playwright.sync_api import expect

from .chat_helpers import CONTRAST_JS, PageErrors, png, reveal, widget_fixture_dir
from .conftest import ARTIFACTS, Lab, open_notebook, run_all_cells, send

FIXTURES = widget_fixture_dir()
NAMES = sorted(p.stem for p in FIXTURES.glob("*.widget"))
SHOTS = ARTIFACTS / "widgets"

# Data for each template. chatkit-python's own test (tests/test_widgets.py,
# test_widget_template_from_file) renders the fixtures with these and compares with the .json
# files; basic_root's comes from the defaultState in its encodedWidget. Templates whose schema
# asks for nothing render with no data.
SAMPLE_DATA: dict[str, dict[str, Any] | None] = {
    "basic_root": {"name": "Harry Potter", "bio": "The boy who lived"},
    "card_with_data": {
        "channel": "#proj-chatkit",
        "time": "4:48 PM",
        "user": {"image": "/pam.png", "name": "Pam Beesly"},
    },
    "list_view_with_data": {
        "items": [
            {"id": "blue", "label": "Blue line", "color": "blue-500"},
            {"id": "orange", "label": "Orange line", "color": "orange-500"},
            {"id": "purple", "label": "Purple line", "color": "purple-500"},
        ]
    },
}

COMPOSER = "Ask for the gallery"

SERVER_CELL = """
import json, pathlib
from datetime import datetime

from chatkit.server import ChatKitServer
from chatkit.types import (
    AssistantMessageContent, AssistantMessageItem, ThreadItemDoneEvent, WidgetItem,
)
from chatkit.widgets import DynamicWidgetRoot, WidgetTemplate
from chatkit_jupyter import ChatKitWidget, SQLiteStore

FIXTURES = pathlib.Path({fixtures!r})
NAMES = {names!r}
SAMPLE_DATA = json.loads({data!r})


class GalleryServer(ChatKitServer):
    \"\"\"'gallery': every fixture's preview and rendered template as widget items.
    Widget actions are echoed back as an assistant message.\"\"\"

    def __init__(self):
        super().__init__(SQLiteStore(":memory:"))
        self.actions = []

    def say(self, thread, context, text):
        return ThreadItemDoneEvent(item=AssistantMessageItem(
            id=self.store.generate_item_id("message", thread, context), thread_id=thread.id,
            created_at=datetime.now(), content=[AssistantMessageContent(text=text)],
        ))

    def widget(self, thread, key, root):
        return ThreadItemDoneEvent(item=WidgetItem(
            id=f"gallery-{{key}}", thread_id=thread.id, created_at=datetime.now(), widget=root,
        ))

    async def respond(self, thread, item, context):
        if item.content[0].text == "dark":  # options change on the live widget, from Python
            w.options = {{**w.options, "theme": {{"colorScheme": "dark"}}}}
            yield self.say(thread, context, "Switched to dark")
            return
        for name in NAMES:
            path = FIXTURES / f"{{name}}.widget"
            definition = json.loads(path.read_text())
            preview = DynamicWidgetRoot.model_validate(definition["outputJsonPreview"])
            yield self.widget(thread, f"{{name}}-preview", preview)
            built = WidgetTemplate.from_file(str(path)).build(SAMPLE_DATA.get(name))
            yield self.widget(thread, f"{{name}}-template", built)
        yield self.say(thread, context, f"Gallery done: {{2 * len(NAMES)}} widgets")

    async def action(self, thread, action, sender, context):
        self.actions.append((action.type, action.payload, sender.id if sender else None))
        payload = json.dumps(action.payload, sort_keys=True)
        yield self.say(thread, context, f"Action {{action.type}} {{payload}} from {{sender.id}}")


server = GalleryServer()
w = ChatKitWidget(
    server, renderer="lite", height=900,
    options={{"theme": {{"colorScheme": {scheme!r}}}, "composer": {{"placeholder": {composer!r}}}}},
)
w
"""

# JupyterLab's notification toasts may float over a widget being photographed.
HIDE_TOASTS = ".jp-toast-container, .Toastify { display: none !important; }"

# Text a person reads in each component type; checked against the theme's background.
READABLE = {"Title", "Text", "Caption", "Label", "Markdown"}
# Components that must take up space on screen.
VISIBLE = READABLE | {"Button", "Image", "Icon", "Divider", "ListViewItem", "Card", "ListView"}


def sample_data(name: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    if name in SAMPLE_DATA:
        return SAMPLE_DATA[name]
    if schema.get("required"):
        raise AssertionError(f"{name}.widget needs data: add it to SAMPLE_DATA")
    return None


def walk(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(data-ckw-path, node) for every component, with the paths the renderer gives them."""
    if not isinstance(node, dict):
        return
    yield path, node
    kids = node.get("children")
    kids = kids if isinstance(kids, list) else [kids] if isinstance(kids, dict) else []
    for i, child in enumerate(kids):
        key = child.get("key") if isinstance(child, dict) else None
        yield from walk(child, f"{path}/{'k' + str(key) if isinstance(key, str | int) else i}")


def expected_widgets() -> list[tuple[str, dict[str, Any]]]:
    """(item key, the tree the renderer should draw) for every widget the server sends."""
    out = []
    for name in NAMES:
        definition = json.loads((FIXTURES / f"{name}.widget").read_text())
        out.append((f"{name}-preview", definition["outputJsonPreview"]))
        out.append((f"{name}-template", json.loads((FIXTURES / f"{name}.json").read_text())))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_sample_data_fits_schema_and_renders_to_the_fixture_json(name: str) -> None:
    definition = json.loads((FIXTURES / f"{name}.widget").read_text())
    data = sample_data(name, definition["jsonSchema"])
    jsonschema.validate(data or {}, definition["jsonSchema"])
    built = WidgetTemplate(definition).build(data).model_dump(exclude_none=True)
    assert built == json.loads((FIXTURES / f"{name}.json").read_text())


def check_component(widget: Any, path: str, node: dict[str, Any], scheme: str) -> None:
    """What a person should see of one component."""
    kind = node["type"]
    target = widget.locator(f'[data-ckw-path="{path}"]')
    expect(target, f"{kind} at {path!r}").to_have_count(1)
    expect(target).to_have_attribute("data-ckw-type", kind)
    if kind in VISIBLE:
        expect(target, f"{kind} at {path!r}").to_be_visible()
        box, outer = target.bounding_box(), widget.bounding_box()
        assert box, f"{kind} at {path!r} has no box"
        assert outer, "the widget has no box"
        assert box["width"] > 0, (kind, path, box)
        assert box["height"] > 0, (kind, path, box)
        # Nothing spills out of its widget sideways.
        assert box["x"] >= outer["x"] - 1, (kind, path, box, outer)
        assert box["x"] + box["width"] <= outer["x"] + outer["width"] + 1, (kind, path, box, outer)
    value = node.get("value")
    if kind == "Title":
        expect(widget.get_by_role("heading", name=value, exact=True)).to_be_visible()
    elif kind in {"Text", "Caption", "Label"}:
        expect(target).to_have_text(value)
    elif kind == "Markdown":
        for bold in re.findall(r"\*\*(.+?)\*\*", value):
            expect(target.locator("strong", has_text=bold)).to_be_visible()
        items = re.findall(r"^\d+\. ", value, flags=re.M)
        expect(target.locator("ol > li")).to_have_count(len(items))
        assert "**" not in target.inner_text()
    elif kind == "Button":
        button = widget.get_by_role("button", name=node["label"], exact=True)
        expect(button).to_be_visible()
        expect(button).to_be_enabled()
        ratio = button.evaluate(CONTRAST_JS)["ratio"]
        assert ratio >= 4.5, f"button {node['label']!r} contrast {ratio:.2f} in {scheme}"
        # JupyterLab styles bare <button>s; the widget's own shape must win.
        radius = button.evaluate(
            "b => [getComputedStyle(b).borderTopLeftRadius,"
            " getComputedStyle(b).getPropertyValue('--ckw-radius-lg').trim()]"
        )
        assert radius[0] == radius[1], f"button radius {radius[0]}, widget says {radius[1]}"
    elif kind == "ListViewItem" and node.get("onClickAction"):
        label = next(n["value"] for _, n in walk(node) if n["type"] == "Text")
        expect(target.get_by_role("button", name=label)).to_be_visible()
    elif kind == "Image":
        expect(target).to_have_attribute("src", node["src"])
        reveal(target.page, target)  # the renderer loads images lazily
        expect(target).to_have_js_property("complete", True)
        assert target.evaluate("img => img.naturalWidth") > 0, "image did not load"
        if isinstance(node.get("size"), int):
            assert abs(target.bounding_box()["width"] - node["size"]) <= 1
    elif kind == "Icon":
        assert target.evaluate("e => e.tagName.toLowerCase()") == "svg"
    elif kind == "Box" and node.get("background"):
        painted = target.evaluate("e => getComputedStyle(e).backgroundColor")
        assert painted not in ("rgba(0, 0, 0, 0)", "transparent"), (path, painted)
        if isinstance(node.get("size"), int):
            box = target.bounding_box()
            assert abs(box["width"] - node["size"]) <= 1, (path, box)
            assert abs(box["height"] - node["size"]) <= 1, (path, box)
    if kind in READABLE:
        contrast = target.evaluate(CONTRAST_JS)
        minimum = 3.0 if node.get("color") == "tertiary" else 4.5
        assert contrast["ratio"] >= minimum, (
            f"{kind} {value!r:.40} at {path!r}: contrast {contrast['ratio']:.2f} < {minimum} "
            f"in {scheme} (fg {contrast['fg']}, bg {contrast['bg']})"
        )
        # The theme's scheme is what the text sits on.
        if scheme == "dark":
            assert contrast["bgLum"] < 0.2, (kind, path, contrast)
        else:
            assert contrast["bgLum"] > 0.6, (kind, path, contrast)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_widget_fixture_renders(lab: Lab, page: Any, scheme: str) -> None:
    errors = PageErrors(page)
    # The fixtures show images from the host's own server; serve them as a host would.
    avatar = png(88, 88, (70, 110, 170))
    page.route(
        re.compile(r"/(pam|zj)\.png$"),
        lambda route: route.fulfill(body=avatar, content_type="image/png"),
    )
    data = json.dumps({n: SAMPLE_DATA.get(n) for n in NAMES})
    cell = SERVER_CELL.format(
        fixtures=str(FIXTURES), names=NAMES, data=data, scheme=scheme, composer=COMPOSER
    )
    name = lab.write_notebook(f"gallery_{scheme}_{uuid.uuid4().hex[:8]}.ipynb", [cell])
    open_notebook(page, lab, name)
    run_all_cells(page)
    expect(page.get_by_role("textbox", name=COMPOSER)).to_be_visible(timeout=60_000)

    send(page, COMPOSER, "gallery")
    log = page.get_by_role("log").first
    expect(log).to_contain_text(f"Gallery done: {2 * len(NAMES)} widgets", timeout=60_000)

    SHOTS.mkdir(parents=True, exist_ok=True)
    widgets = expected_widgets()
    for key, tree in widgets:
        item = log.locator(f'[data-item-id="gallery-{key}"]')
        expect(item, key).to_be_visible()
        reveal(page, item)
        widget = item.locator(".ckw-root")
        expect(widget).to_have_attribute("data-color-scheme", scheme)
        expect(widget.locator(".ckw-unknown")).to_have_count(0)
        for path, node in walk(tree):
            check_component(widget, path, node, scheme)
        suffix = "" if scheme == "light" else f".{scheme}"
        widget.locator(".ckw-card, .ckw-list, .ckw-basic").first.screenshot(
            path=str(SHOTS / f"{key}{suffix}.png"), animations="disabled", style=HIDE_TOASTS
        )

    # Actions reach the kernel's server and its answer comes back.
    card = log.locator('[data-item-id="gallery-card_no_data-template"]')
    card.get_by_role("button", name="Yes", exact=True).click()
    expect(log).to_contain_text(
        'Action notification.settings {"enable": true} from gallery-card_no_data-template',
        timeout=30_000,
    )
    items = log.locator('[data-item-id="gallery-list_view_with_data-template"]')
    items.get_by_role("button", name="Purple line").click()
    expect(log).to_contain_text(
        'Action line.select {"id": "purple"} from gallery-list_view_with_data-template',
        timeout=30_000,
    )
    if scheme == "light":
        # Switching the theme on the live widget repaints every widget in the new scheme.
        send(page, COMPOSER, "dark")
        expect(log).to_contain_text("Switched to dark", timeout=30_000)
        expect(page.locator(".ckl-root").first).to_have_attribute("data-color-scheme", "dark")
        for key, tree in widgets:
            widget = log.locator(f'[data-item-id="gallery-{key}"] .ckw-root')
            expect(widget).to_have_attribute("data-color-scheme", "dark")
            reveal(page, widget)
            for path, node in walk(tree):
                if node["type"] in READABLE or node["type"] == "Button":
                    check_component(widget, path, node, "dark")
    assert errors.messages == []
