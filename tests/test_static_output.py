"""Static output of a WidgetView: the saved widget state, the script-free ``text/html`` copy, and
the ``chatkit`` nbconvert exporter (the browser half is tests/browser/test_static_output.py)."""

from __future__ import annotations

import importlib
import json
import pathlib
import re
from html.parser import HTMLParser
from typing import Any

import nbformat
import pytest

from chatkit_jupyter import WidgetView
from chatkit_jupyter.export import HTMLExporter
from chatkit_jupyter.widget import _static

from .static_notebook import FIRST_TITLE, LAST_TITLE, XSS, executed_notebook

ROOT = pathlib.Path(__file__).parent.parent
STATE = "application/vnd.jupyter.widget-state+json"
VIEW = "application/vnd.jupyter.widget-view+json"
# From lucide's rocket.mjs.
ROCKET_FIRST_PATH = "M12 15v5s3.03-.55 4-2c1.08-1.62 0-5 0-5"


class _Parsed(HTMLParser):
    """The tags, attributes and text of an HTML fragment."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(html: str) -> _Parsed:
    """No script, no event handler, nothing fetched: only tags and styles from our tables."""
    parsed = _Parsed(html)
    for tag, attrs in parsed.tags:
        assert tag not in {"script", "img", "iframe", "object", "embed", "link", "a", "style"}, tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert not ({"src", "href", "srcset", "action", "formaction"} & attrs.keys()), (tag, attrs)
    return parsed


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return executed_notebook(tmp_path_factory.mktemp("static"))


def _view_output(nb: Any) -> dict[str, Any]:
    return next(out for out in nb.cells[0].outputs if VIEW in out.get("data", {}))


def test_saved_widget_state_holds_the_last_root_and_the_view_code(notebook: pathlib.Path) -> None:
    nb = nbformat.read(notebook, as_version=4)
    model_id = _view_output(nb)["data"][VIEW]["model_id"]
    saved = nb.metadata.widgets[STATE]["state"][model_id]["state"]
    assert saved["_anywidget_id"].endswith(".WidgetView")
    assert saved["widget"]["children"][0] == {"type": "Title", "value": LAST_TITLE}
    static = ROOT / "chatkit_jupyter" / "static"
    # The view's own ESM is the small loader; its code is saved once, in the Code model it names.
    assert saved["_esm"] == (static / "loader.js").read_text()
    code_id = saved["_code"].removeprefix("IPY_MODEL_")
    code = nb.metadata.widgets[STATE]["state"][code_id]["state"]
    assert code["name"] == "view"
    assert code["code"] == (static / "view.js").read_text()
    assert code["css"] == (static / "view.css").read_text()
    # The one lucide icon view.js lacks travels with the state, for the exported page to draw.
    assert list(saved["icons"]) == ["lucide:rocket"]
    assert saved["icons"]["lucide:rocket"][0] == ["path", {"d": ROCKET_FIRST_PATH}]


def test_the_output_keeps_an_inert_copy_of_the_widget_at_display_time(
    notebook: pathlib.Path,
) -> None:
    data = _view_output(nbformat.read(notebook, as_version=4))["data"]
    assert data["text/plain"] == f"WidgetView(Card: {FIRST_TITLE!r})"
    parsed = assert_inert(data["text/html"])
    text = "".join(parsed.text)
    # The XSS payload is there, as text: escaped, so the parser saw no img or script in it.
    assert FIRST_TITLE in text
    assert XSS in text
    assert ("button", {"type": "button", "disabled": None, "style": "font:inherit"}) in parsed.tags


def test_the_chatkit_exporter_inlines_the_embed_script(notebook: pathlib.Path) -> None:
    exporter = HTMLExporter()
    body, _ = exporter.from_filename(str(notebook))
    embed = (ROOT / "chatkit_jupyter" / "static" / "embed.js").read_text()
    assert exporter.template_name == "chatkit"
    assert f'<script type="module">\n{embed}' in body
    # html-manager's loader is still there for other widgets, after ours.
    assert body.index(embed) < body.index("addWidgetsRenderer")
    assert f'<script type="{STATE}">' in body


def test_without_widget_state_the_exporter_adds_nothing_and_the_copy_shows(
    notebook: pathlib.Path,
) -> None:
    nb = nbformat.read(notebook, as_version=4)
    del nb.metadata["widgets"]
    body, _ = HTMLExporter().from_notebook_node(nb)
    embed = (ROOT / "chatkit_jupyter" / "static" / "embed.js").read_text()
    assert embed not in body
    assert 'class="chatkit-widget-static"' in body


def test_the_exporter_entry_point_is_well_formed() -> None:
    # Read as text: tomllib is 3.11+, and the tests also run on 3.10.
    section = re.search(
        r'^\[project\.entry-points\."nbconvert\.exporters"\]\n((?:[^\[\n].*\n)*)',
        (ROOT / "pyproject.toml").read_text(),
        re.M,
    )
    assert section, "pyproject.toml has no nbconvert.exporters entry points"
    entries = dict(re.findall(r'^(\w+) = "([^"]+)"$', section.group(1), re.M))
    target = entries["chatkit"]
    module, _, name = target.partition(":")
    assert getattr(importlib.import_module(module), name) is HTMLExporter


# -- the walk itself ----------------------------------------------------------------------------

EVERY_COMPONENT: dict[str, Any] = {
    "type": "Card",
    "status": {"text": "Status <b>", "icon": "check"},
    "confirm": {"label": "Save", "action": {"type": "save"}},
    "cancel": {"label": "Back", "action": {"type": "back"}},
    "children": [
        {
            "type": "Row",
            "children": [{"type": "Icon", "name": "star"}, {"type": "Badge", "label": "New"}],
        },
        {"type": "Caption", "value": "caption"},
        {"type": "Markdown", "value": "**bold** <script>x()</script>"},
        {"type": "Image", "src": "https://example.com/a.png", "alt": 'alt "quoted"'},
        {"type": "Image", "src": "javascript:alert(1)"},
        {"type": "Divider"},
        {"type": "Spacer"},
        {
            "type": "Form",
            "onSubmitAction": {"type": "submit"},
            "children": [
                {"type": "Label", "value": "Name", "fieldName": "name"},
                {
                    "type": "Input",
                    "name": "name",
                    "defaultValue": '" onfocus="x()',
                    "placeholder": "Your name",
                },
                {"type": "Textarea", "name": "notes", "defaultValue": "line 1\nline 2"},
                {
                    "type": "Text",
                    "value": "editable",
                    "editable": {"name": "t", "placeholder": "edit"},
                },
                {
                    "type": "Select",
                    "name": "size",
                    "defaultValue": "m",
                    "options": [
                        {"value": "s", "label": "Small"},
                        {"value": "m", "label": "Medium"},
                    ],
                },
                {"type": "DatePicker", "name": "when", "defaultValue": "2025-01-31"},
                {"type": "Checkbox", "name": "ok", "label": "Agree", "defaultChecked": True},
                {
                    "type": "RadioGroup",
                    "name": "pick",
                    "defaultValue": "b",
                    "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
                },
                {"type": "Button", "label": "Send", "submit": True},
            ],
        },
        {
            "type": "Table",
            "children": [
                {
                    "type": "Table.Row",
                    "header": True,
                    "children": [
                        {"type": "Table.Cell", "children": [{"type": "Text", "value": "Col"}]}
                    ],
                },
                {
                    "type": "Table.Row",
                    "children": [
                        {"type": "Table.Cell", "children": [{"type": "Text", "value": "cell"}]}
                    ],
                },
            ],
        },
        {
            "type": "Chart",
            "xAxis": "month",
            "series": [{"type": "bar", "dataKey": "sales", "label": "Sales"}],
            "data": [{"month": "Jan", "sales": 3}, {"month": "Feb", "sales": 5}],
        },
        {
            "type": "ListView",
            "children": [{"type": "ListViewItem", "children": [{"type": "Text", "value": "item"}]}],
        },
        {"type": "NotAComponent", "children": [{"type": "Text", "value": "inside unknown"}]},
    ],
}


def test_every_component_becomes_inert_readable_html() -> None:
    html = _static.static_html(EVERY_COMPONENT)
    parsed = assert_inert(html)
    text = " ".join(t.strip() for t in parsed.text if t.strip())
    for shown in [
        "Status <b>",
        "New",
        "caption",
        "**bold** <script>x()</script>",
        '[alt "quoted"]',
        "Name",
        "line 1",
        "Agree",
        "A",
        "B",
        "Send",
        "Col",
        "cell",
        "Month",
        "Sales",
        "Jan",
        "item",
        "inside unknown",
        "Save",
        "Back",
    ]:
        assert shown.lower() in text.lower(), shown
    values = {attrs.get("value") for tag, attrs in parsed.tags if tag == "input"}
    assert {'" onfocus="x()', "Medium", "2025-01-31", "editable"} <= values
    assert "example.com" not in html
    assert "javascript:" not in html
    assert all(
        "disabled" in attrs for tag, attrs in parsed.tags if tag in {"button", "input", "textarea"}
    )
    assert (
        "table",
        {"aria-label": "Chart data", "style": "border-collapse:collapse"},
    ) in parsed.tags


@pytest.mark.parametrize(
    "path", sorted((ROOT / "tests" / "fixtures" / "widgets").glob("*.json")), ids=lambda p: p.stem
)
def test_chatkit_fixture_widgets_become_inert_html(path: pathlib.Path) -> None:
    root = json.loads(path.read_text())
    parsed = assert_inert(_static.static_html(root))
    assert "".join(parsed.text).strip()


def test_deep_or_huge_trees_stay_bounded() -> None:
    deep: dict[str, Any] = {"type": "Text", "value": "bottom"}
    for _ in range(500):
        deep = {"type": "Col", "children": [deep]}
    assert "bottom" not in _static.static_html(deep)
    wide = {"type": "ListView", "children": [{"type": "Text", "value": "x"}] * 20_000}
    assert len(_static.static_html(wide)) < 1_000_000


def test_text_plain_names_the_root_and_its_first_text() -> None:
    view = WidgetView(
        {
            "type": "ListView",
            "children": [
                {
                    "type": "ListViewItem",
                    "children": [
                        {
                            "type": "Title",
                            "value": "A rather long title that goes on and on and on",
                        },
                        {"type": "Text", "value": "second"},
                    ],
                }
            ],
        }
    )
    data, _ = view._repr_mimebundle_()
    assert data["text/plain"] == "WidgetView(ListView: 'A rather long title that goes on and on…')"
    assert WidgetView({"type": "Card", "children": []})._repr_mimebundle_()[0]["text/plain"] == (
        "WidgetView(Card)"
    )


def test_the_copy_is_the_state_at_display_time() -> None:
    view = WidgetView({"type": "Card", "children": [{"type": "Text", "value": "before"}]})
    first = view._repr_mimebundle_()[0]["text/html"]
    view.update({"type": "Card", "children": [{"type": "Text", "value": "after"}]})
    assert "before" in first
    assert "after" in view._repr_mimebundle_()[0]["text/html"]


def test_a_chat_says_what_it_is_where_widgets_do_not_run(fake_comm: Any, store: Any) -> None:
    # GitHub, `--to html` without state, a viewer without widgets: the chat's output needs its
    # kernel, and says so instead of a Python repr.
    from chatkit_jupyter import ChatKitWidget

    from .conftest import ScriptedServer

    w = ChatKitWidget(ScriptedServer(store), renderer="lite")
    fake_comm()
    data, _ = w._repr_mimebundle_()
    assert VIEW in data
    parsed = assert_inert(data["text/html"])
    assert "".join(parsed.text) == (
        "A ChatKit chat: it runs in the notebook's kernel. Open the notebook and run this cell "
        "to chat."
    )
