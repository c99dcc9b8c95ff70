"""``show``, ``WidgetView``, the display formatter and ``%%chatkit_widget``, driven through a
fake comm and a real IPython shell."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chatkit.widgets import DynamicWidgetRoot
from IPython.core.interactiveshell import InteractiveShell
from ipywidgets.widgets.widget import _instances

from chatkit_jupyter import WidgetError, WidgetTemplate, WidgetView, show
from chatkit_jupyter.bridge import _protocol as p

from .conftest import FakeComm, ipython

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "widgets"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
CARD = {"type": "Card", "children": [{"type": "Text", "value": "hello"}]}
PAM = {"channel": "#c", "time": "now", "user": {"name": "Pam Beesly", "image": "/pam.png"}}
_ids = itertools.count()


@pytest.fixture
def shell(fake_comm: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """A real IPython shell with the extension loaded; ``shell.published`` collects displays."""
    ip = ipython()
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(
        ip.display_pub, "publish", lambda data, metadata=None, **kw: published.append(data)
    )
    ip.published = published  # type: ignore[attr-defined]
    ip.run_line_magic("load_ext", "chatkit_jupyter")
    yield ip
    ip.run_line_magic("unload_ext", "chatkit_jupyter")
    InteractiveShell.clear_instance()


def synced(comm: FakeComm, name: str) -> list[Any]:
    """Every value of trait ``name`` the kernel sent to the front end, in order."""
    out = []
    for data, _ in comm.sent:
        if not isinstance(data, dict):
            continue
        state = data.get("state") or {}
        if name in state:
            out.append(state[name])
    return out


async def act(view: WidgetView, comm: FakeComm, action: dict[str, Any]) -> dict[str, Any]:
    """Fire an action as the front end does (a bridge ``call``) and return the kernel's answer."""
    rid = f"v1:a{next(_ids)}"
    comm.receive(
        {
            "kind": p.CALL,
            "id": rid,
            "view": "v1",
            "hook": p.HOOK_ACTION,
            "payload": {"action": action},
        }
    )
    await view.wait_idle()
    (result,) = [c for c, _ in comm.custom() if c.get("id") == rid]
    assert result["kind"] == p.RESULT
    return result


# -- show() with each kind of input ----------------------------------------------------------------


def test_show_a_dict_displays_one_view(shell: InteractiveShell, fake_comm: Any) -> None:
    view = show(CARD)
    assert isinstance(view, WidgetView)
    assert view.widget == CARD
    assert view.theme == "auto"
    (bundle,) = shell.published  # type: ignore[attr-defined]
    assert bundle[VIEW_MIME]["model_id"] == view.model_id
    assert view.get_state()["widget"] == CARD  # what the front end opens the view with


def test_show_as_last_expression_displays_once(shell: InteractiveShell) -> None:
    shell.user_ns["CARD"] = CARD
    shell.run_cell("from chatkit_jupyter import show\nshow(CARD)")
    shell.run_cell("v = show(CARD, theme='dark')\nv")
    views = [b[VIEW_MIME]["model_id"] for b in shell.published]  # type: ignore[attr-defined]
    assert len(views) == 2
    assert shell.user_ns["v"].theme == "dark"


def test_show_chatkit_models(shell: InteractiveShell) -> None:
    from chatkit.widgets import Button, Card, DynamicWidgetRoot, ListView, ListViewItem, Text

    card = Card(children=[Text(value="hi", color="secondary"), Button(label="Go")], size="sm")
    assert show(card).widget == {
        "type": "Card",
        "size": "sm",
        "children": [
            {"type": "Text", "value": "hi", "color": "secondary"},
            {"type": "Button", "label": "Go"},
        ],
    }
    lv = ListView(children=[ListViewItem(key="a", children=[Text(value="A")])], limit=3)
    assert show(lv).widget["children"][0]["key"] == "a"
    dyn = DynamicWidgetRoot.model_validate({"type": "Basic", "children": [], "custom": 1})
    assert show(dyn).widget == {"type": "Basic", "children": [], "custom": 1}
    # A part of a widget is shown on its own, in a Basic root.
    assert show(Text(value="alone")).widget == {
        "type": "Basic",
        "children": [{"type": "Text", "value": "alone"}],
    }


def test_show_templates_and_widget_files(shell: InteractiveShell) -> None:
    from chatkit.widgets import WidgetTemplate as ChatKitWidgetTemplate

    path = FIXTURES / "card_with_data.widget"
    preview = json.loads(path.read_text())["outputJsonPreview"]
    assert show(path).widget == preview
    assert show(str(path)).widget == preview
    filled = show(str(path), PAM).widget
    assert filled["children"][2]["children"][1]["children"][0]["value"] == "Pam Beesly"
    assert show(WidgetTemplate.from_file(path), PAM).widget == filled
    theirs = ChatKitWidgetTemplate(json.loads(path.read_text()))
    assert show(theirs, PAM).widget == filled
    with pytest.raises(WidgetError, match=r"field 'user\.name': 3 is not of type 'string'"):
        show(theirs, {**PAM, "user": {"name": 3, "image": "x"}})


@pytest.mark.parametrize(
    ("widget", "data", "message"),
    [
        ("card.json", None, "pass the path of a .widget file"),
        (42, None, "Cannot show a int"),
        ({"children": []}, None, "A widget needs a 'type'"),
        ({"type": "Card", "x": float("nan")}, None, "not JSON"),
        (CARD, {"a": 1}, "data= fills a template"),
        (str(FIXTURES / "card_with_data.widget"), {**PAM, "time": 4}, "field 'time'"),
    ],
)
def test_bad_input_is_refused_clearly(fake_comm: Any, widget: Any, data: Any, message: str) -> None:
    with pytest.raises(WidgetError, match=message):
        WidgetView(widget, data)


# -- update ----------------------------------------------------------------------------------------


def test_update_a_template_view_with_data(fake_comm: Any) -> None:
    view = WidgetView(FIXTURES / "card_with_data.widget", PAM)
    comm = fake_comm()
    view.update({**PAM, "user": {"name": "Jim", "image": "/jim.png"}})
    assert view.data == {**PAM, "user": {"name": "Jim", "image": "/jim.png"}}
    names = [
        w["children"][2]["children"][1]["children"][0]["value"] for w in synced(comm, "widget")
    ]
    assert names == ["Jim"]
    with pytest.raises(WidgetError, match="field 'user'"):
        view.update({**PAM, "user": "Dwight"})
    assert view.widget["children"][2]["children"][1]["children"][0]["value"] == "Jim"
    # A new widget (not data) replaces the template.
    view.update(WidgetTemplate.from_file(FIXTURES / "basic_root.widget"))
    assert view.widget["type"] == "Basic"
    view.update({"name": "Harry", "bio": "Wizard"})
    assert view.widget["children"][0]["children"][0]["value"] == "Harry"


def test_a_root_given_to_a_template_view_says_how_to_draw_it(fake_comm: Any) -> None:
    # Before: only "the data: 'channel' is a required property", as if the root were bad data.
    view = WidgetView(FIXTURES / "card_with_data.widget", PAM)
    with pytest.raises(WidgetError) as info:
        view.update(CARD)
    message = str(info.value)
    assert "'channel' is a required property" in message
    assert "looks like a widget ('Card')" in message
    assert "view.update(DynamicWidgetRoot.model_validate(root))" in message
    view.update(DynamicWidgetRoot.model_validate(CARD))  # what the message says works
    assert view.widget == CARD
    assert view.template is None


def test_update_a_plain_view_with_a_root(fake_comm: Any) -> None:
    from chatkit.widgets import Card, Text

    view = WidgetView(CARD)
    comm = fake_comm()
    for i in range(30):
        view.update({"type": "Card", "children": [{"type": "Text", "value": str(i)}]})
    view.update({"type": "Card", "children": [{"type": "Text", "value": "29"}]})  # no change
    values = [w["children"][0]["value"] for w in synced(comm, "widget")]
    assert values == [str(i) for i in range(30)]
    view.update(Card(children=[Text(value="model")]))
    assert view.widget["children"][0]["value"] == "model"


def _lucide_paths(name: str) -> list[str]:
    """The ``d`` of each path in lucide's own source for icon ``name`` (js/node_modules)."""
    source = ROOT / "js" / "node_modules" / "lucide" / "dist" / "esm" / "icons" / f"{name}.mjs"
    return re.findall(r'd: "([^"]+)"', source.read_text())


def _paths(node: list[Any]) -> list[str]:
    return [attrs["d"] for tag, attrs in node if tag == "path"]


def test_view_sends_only_the_lucide_icons_its_bundle_lacks(fake_comm: Any) -> None:
    view = WidgetView(
        {
            "type": "Card",
            "children": [
                {"type": "Icon", "name": "lucide:rocket"},
                {"type": "Icon", "name": "lucide:star"},  # bundled (ChatKit's "star")
                {"type": "Button", "label": "Go", "iconStart": "check", "iconEnd": "lucide:rocket"},
            ],
        }
    )
    comm = fake_comm()
    assert list(view.icons) == ["lucide:rocket"]
    assert _paths(view.icons["lucide:rocket"]) == _lucide_paths("rocket")

    # Any icon-bearing field counts; an old lucide name resolves; an unknown one is left blank.
    view.update(
        {
            "type": "ListView",
            "children": [
                {
                    "type": "ListViewItem",
                    "children": [
                        {"type": "Button", "label": "A", "iconStart": "lucide:anchor"},
                        {"type": "Icon", "name": "lucide:help-circle"},
                        {"type": "Icon", "name": "lucide:no-such-icon"},
                        {"type": "Icon", "name": "lucide:chevron-down"},  # bundled (Select)
                    ],
                }
            ],
        }
    )
    assert sorted(view.icons) == ["lucide:anchor", "lucide:help-circle"]
    assert _paths(view.icons["lucide:anchor"]) == _lucide_paths("anchor")
    assert _paths(view.icons["lucide:help-circle"]) == _lucide_paths("circle-question-mark")
    # The new root and its icons reach the front end in one message.
    both = [
        d["state"] for d, _ in comm.sent if {"widget", "icons"} <= (d.get("state") or {}).keys()
    ]
    assert both
    assert sorted(both[-1]["icons"]) == ["lucide:anchor", "lucide:help-circle"]

    view.update(CARD)
    assert view.icons == {}
    assert synced(comm, "icons")[-1] == {}


# -- actions ---------------------------------------------------------------------------------------


async def test_sync_handler_gets_type_and_payload_with_form_values(fake_comm: Any) -> None:
    view = WidgetView(CARD)
    comm = fake_comm()
    seen: list[dict[str, Any]] = []
    view.on_action(seen.append)
    action = {
        "type": "todo.add",
        "payload": {"list": "home", "todo": {"title": "milk", "done": False}},
        "handler": "client",
        "loadingBehavior": "container",
    }
    result = await act(view, comm, action)
    assert result["ok"]
    assert result["value"] is None
    assert seen == [{"type": "todo.add", "payload": action["payload"]}]
    assert list(view.actions) == seen


@pytest.mark.parametrize("payload", ["row-3", ["a", 2], 7, None])
async def test_a_payload_that_is_not_a_dict_reaches_the_handler(
    fake_comm: Any, payload: Any
) -> None:
    # Before: dict("row-3") raised in the hook, and the handler never ran.
    view = WidgetView(CARD)
    comm = fake_comm()
    seen: list[dict[str, Any]] = []
    view.on_action(seen.append)
    result = await act(view, comm, {"type": "pick", "payload": payload})
    assert result["ok"], result
    assert seen == [{"type": "pick", "payload": {} if payload is None else payload}]


async def test_async_handler_returning_a_root_redraws(fake_comm: Any) -> None:
    view = WidgetView(CARD)
    comm = fake_comm()
    started = asyncio.Event()
    release = asyncio.Event()

    @view.on_action
    async def handle(action: dict[str, Any]) -> Any:
        started.set()
        await release.wait()
        return {"type": "Card", "children": [{"type": "Text", "value": action["payload"]["v"]}]}

    task = asyncio.ensure_future(act(view, comm, {"type": "set", "payload": {"v": "new"}}))
    await started.wait()
    assert view.pending_actions == 1
    assert view.widget == CARD  # nothing changes until the handler returns
    release.set()
    await task
    assert view.widget["children"][0]["value"] == "new"
    # The redraw reaches the front end before the answer that ends the loading state.
    kinds = [
        ("widget" if "state" in d and "widget" in d["state"] else d.get("content", {}).get("kind"))
        for d, _ in comm.sent
        if isinstance(d, dict)
    ]
    assert kinds.index("widget") < kinds.index(p.RESULT)


async def test_handler_returning_template_data(fake_comm: Any) -> None:
    view = WidgetView(FIXTURES / "basic_root.widget", {"name": "A", "bio": "a"})
    comm = fake_comm()
    view.on_action(lambda action: {"name": action["payload"]["name"], "bio": "b"})
    await act(view, comm, {"type": "rename", "payload": {"name": "Z"}})
    assert view.widget["children"][0]["children"][0]["value"] == "Z"


async def test_handler_exception_shows_one_line_and_keeps_the_traceback(fake_comm: Any) -> None:
    view = WidgetView(CARD)
    comm = fake_comm()

    @view.on_action
    def broken(action: dict[str, Any]) -> None:
        raise ValueError("the price must be positive\nsecond line")

    result = await act(view, comm, {"type": "buy"})
    assert result["ok"]
    assert view.error == "ValueError: the price must be positive (full traceback in view.errors)"
    assert synced(comm, "error")[-1] == view.error
    (tb,) = view.errors
    assert tb.startswith("Traceback")
    assert "in broken" in tb
    assert "second line" in tb
    # A handler returning something that cannot be drawn is an error of the same kind.
    view._handlers[:] = [lambda action: {"children": []}]
    await act(view, comm, {"type": "buy"})
    assert view.error.startswith("WidgetError: A widget needs a 'type'")
    view._handlers[:] = [lambda action: None]
    await act(view, comm, {"type": "buy"})
    assert view.error == ""
    assert len(view.errors) == 2


async def test_the_shown_error_hides_secrets(fake_comm: Any) -> None:
    # `error` is on the page and saved in the notebook's widget state: scrubbed, as the chat's.
    view = WidgetView(CARD)
    comm = fake_comm()
    key = "sk-proj-" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF"

    @view.on_action
    def broken(action: dict[str, Any]) -> None:
        raise ConnectionError(f"refused with {key} for postgres://ada:hunter2pass@db/x")

    await act(view, comm, {"type": "buy"})
    assert view.error.startswith("ConnectionError: refused with ")
    assert key not in view.error
    assert "hunter2pass" not in view.error
    assert key not in str(synced(comm, "error"))
    assert key in view.errors[0]  # the traceback stays whole in the kernel, where it is asked for


async def test_unknown_hooks_and_bad_actions_are_answered_with_errors(fake_comm: Any) -> None:
    view = WidgetView(CARD)
    comm = fake_comm()
    comm.receive({"kind": p.CALL, "id": "v1:x", "hook": p.HOOK_CLIENT_TOOL, "payload": {}})
    await view.wait_idle()
    (answer,) = [c for c, _ in comm.custom() if c.get("id") == "v1:x"]
    assert not answer["ok"]
    assert "only answers the 'action' hook" in answer["message"]
    result = await act(view, comm, {"payload": {}})
    assert not result["ok"]
    assert "needs a 'type'" in result["message"]


# -- the formatter and the cell magic ----------------------------------------------------------------


def test_formatter_draws_chatkit_objects_until_unloaded(shell: InteractiveShell) -> None:
    from chatkit.widgets import Card, Text

    data, _ = shell.display_formatter.format(Card(children=[Text(value="auto")]))
    assert VIEW_MIME in data
    view = _instances[data[VIEW_MIME]["model_id"]]
    assert view.widget == {"type": "Card", "children": [{"type": "Text", "value": "auto"}]}
    data, _ = shell.display_formatter.format(
        WidgetTemplate.from_file(FIXTURES / "card_no_data.widget")
    )
    assert VIEW_MIME in data
    # A template that needs data is not drawn; the repr says why.
    needs = WidgetTemplate(
        {"version": "1.0", "name": "t", "template": '{"type": "Card", "children": [{{ x }}]}'}
    )
    data, _ = shell.display_formatter.format(needs)
    assert VIEW_MIME not in data
    assert "not drawn: The template uses 'x'" in data["text/plain"]
    shell.run_line_magic("unload_ext", "chatkit_jupyter")
    data, _ = shell.display_formatter.format(Text(value="plain"))
    assert VIEW_MIME not in data
    assert "chatkit_widget" not in shell.magics_manager.magics["cell"]
    shell.run_line_magic("load_ext", "chatkit_jupyter")
    data, _ = shell.display_formatter.format(Text(value="again"))
    assert VIEW_MIME in data


CELL = """{"type": "Card", "children": [
  {"type": "Title", "value": {{ title | tojson }}},
  {"type": "Text", "value": {{ body | tojson }}}
]}"""


def test_cell_magic_shows_binds_and_saves(shell: InteractiveShell, tmp_path: Path) -> None:
    from chatkit.widgets import WidgetTemplate as ChatKitWidgetTemplate

    shell.user_ns["note"] = {"title": "Hi", "body": "there"}
    target = tmp_path / "note.widget"
    view = shell.run_cell_magic("chatkit_widget", f"note_card --data note --save {target}", CELL)
    assert isinstance(view, WidgetView)
    expected = {
        "type": "Card",
        "children": [{"type": "Title", "value": "Hi"}, {"type": "Text", "value": "there"}],
    }
    assert view.widget == expected
    (bundle,) = shell.published  # type: ignore[attr-defined]
    assert bundle[VIEW_MIME]["model_id"] == view.model_id
    template = shell.user_ns["note_card"]
    assert isinstance(template, ChatKitWidgetTemplate)
    assert template.name == "note_card"
    assert template.render({"title": "A", "body": "B"})["children"][0]["value"] == "A"
    view.update({"title": "Updated", "body": "x"})
    assert view.widget["children"][0]["value"] == "Updated"
    saved = json.loads(target.read_text())
    assert saved["outputJsonPreview"] == expected
    assert saved["template"] == CELL
    assert set(saved["jsonSchema"]["properties"]) == {"title", "body"}
    loaded = ChatKitWidgetTemplate.from_file(str(target))
    assert loaded.build({"title": "T", "body": "B"}).model_dump()["children"][1]["value"] == "B"


def test_cell_magic_without_data_or_name(shell: InteractiveShell) -> None:
    view = shell.run_cell_magic("chatkit_widget", "", '{"type": "Basic", "children": []}')
    assert view.widget == {"type": "Basic", "children": []}


@pytest.mark.parametrize(
    ("line", "cell", "message"),
    [
        (
            "",
            '{"type": "Card",\n "children": [{{ title | }}]}',
            "Template syntax error on line 2: expected token 'name', got 'end of print "
            'statement\'\n  2 |  "children": [{{ title | }}]}',
        ),
        (
            "--data note",
            '{"type": "Card",\n "children": [\n  {"type": "Text" "value": {{ title | tojson }}}]}',
            'Expecting \',\' delimiter at line 3, column 19:\n  3 |   {"type": "Text" '
            '"value": "Hi"}]}',
        ),
        (
            "",
            '{"type": "Card", "children": [{"type": "Text", "value": {{ title | tojson }}}]}',
            "The template uses 'title', which the data does not have",
        ),
        ("--data nothing", "{}", "no variable named 'nothing' for --data"),
        ("--data text", "{}", "--data text is a str; it must be a dict"),
        ("class", "{}", "'class' is not a valid variable name"),
        ("", "  \n", "the cell is empty"),
    ],
)
def test_cell_magic_errors_point_at_the_line(
    shell: InteractiveShell, capsys: Any, line: str, cell: str, message: str
) -> None:
    shell.user_ns.update(note={"title": "Hi"}, text="x")
    assert shell.run_cell_magic("chatkit_widget", line, cell) is None
    out = capsys.readouterr().out
    assert out.startswith("%%chatkit_widget: ")
    assert message in out
    assert not shell.published  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("widget", "message"),
    [
        (
            {
                "type": "Card",
                "children": [{"type": "Chart", "data": [{"v": 1}, {"v": float("nan")}]}],
            },
            "children[0].data[1].v is nan",
        ),
        (
            {"type": "Card", "children": [{"type": "Text", "value": b"x"}]},
            "children[0].value is a bytes (b'x')",
        ),
        (
            {"type": "Card", "children": [], "status": {1j: "x"}},
            "status is a dict with a complex key",
        ),
    ],
)
def test_a_value_json_cannot_hold_is_named_by_where_it_is(
    fake_comm: Any, widget: Any, message: str
) -> None:
    # Before: "The widget is not JSON (Out of range float values are not JSON compliant)", no where.
    with pytest.raises(WidgetError) as info:
        WidgetView(widget)
    assert message in str(info.value)
    assert "None or a string for NaN" in str(info.value)


@pytest.mark.parametrize(
    ("widget", "message"),
    [
        (
            {"type": "Card", "children": [{"type": "Row", "children": [{"type": "Buton"}]}]},
            "children[0].children[0]: 'Buton' is not a ChatKit widget component; "
            "did you mean 'Button'?",
        ),
        ({"type": "card", "children": []}, "'card' is not a ChatKit widget component; did you"),
        (
            {"type": "Card", "children": [{"tpye": "Text", "value": "x"}]},
            "children[0] has no 'type' (its keys: ['tpye', 'value'])",
        ),
        ({"type": "Card", "children": ["hello"]}, "children[0] is a str, not a component"),
        (
            {"type": "ListView", "children": {"type": "Text", "value": "x"}, "x": 1},
            "",  # one child as a dict is allowed (a dynamic node's children may be one)
        ),
        ({"type": "Card", "children": "hello"}, "children of a Card must be a list"),
    ],
)
def test_a_tree_the_renderer_cannot_draw_is_refused_naming_the_place(
    fake_comm: Any, widget: Any, message: str
) -> None:
    # Before: shown, with "Unsupported widget component: Buton" (or nothing) in the cell.
    if not message:
        assert WidgetView(widget).widget == widget
        return
    with pytest.raises(WidgetError) as info:
        WidgetView(widget)
    assert message in str(info.value)
    view = WidgetView({"type": "Card", "children": []})
    with pytest.raises(WidgetError):
        view.update(widget)
    assert view.widget == {"type": "Card", "children": []}


def test_every_chatkit_component_and_the_fixtures_pass_the_check(fake_comm: Any) -> None:
    from chatkit_jupyter.widget._template import component_types

    assert {"Card", "ListView", "Basic", "Chart", "Transition", "Table.Cell"} <= component_types()
    nested = {"type": "Transition", "children": {"type": "Text", "value": "x"}}
    assert WidgetView({"type": "Card", "children": [nested, None]}).widget["children"][0] == nested


def test_the_check_knows_the_components_the_renderer_draws() -> None:
    # show() refuses what the page would draw as a placeholder: the two lists must agree. The
    # renderer's are the keys of RENDERERS in js/src/widgets/components.ts; a Table draws its
    # own rows and cells.
    from chatkit_jupyter.widget._template import component_types

    source = (Path(__file__).parents[1] / "js/src/widgets/components.ts").read_text()
    block = source[source.index("const RENDERERS") :]
    drawn = set(re.findall(r"^\s+([\w.]+):", block[: block.index("};")], re.MULTILINE))
    assert len(drawn) > 20
    assert component_types() == drawn | {"Table.Row", "Table.Cell"}


def test_dates_in_a_dict_are_sent_as_chatkit_sends_them(fake_comm: Any) -> None:
    # Before: "The widget is not JSON" for a DatePicker given a datetime, which chatkit's own
    # DatePicker model takes (and dumps as ISO text).
    from datetime import date, datetime, timezone

    picker = {
        "type": "DatePicker",
        "name": "due",
        "defaultValue": datetime(2025, 1, 31, 10, 0, tzinfo=timezone.utc),
        "min": date(2025, 1, 1),
    }
    view = WidgetView({"type": "Card", "children": [picker]})
    shown = view.widget["children"][0]
    assert shown["defaultValue"] == "2025-01-31T10:00:00+00:00"
    assert shown["min"] == "2025-01-01"
    assert picker["min"] == date(2025, 1, 1)  # the caller's dict is left as it was


def test_a_failed_update_leaves_a_template_view_as_it_was(fake_comm: Any) -> None:
    # Before: a bad widget passed to update() dropped the template, so the next update(data)
    # was taken for a widget ("A widget needs a 'type'").
    view = WidgetView(FIXTURES / "card_with_data.widget", PAM)
    before = view.widget
    bad = DynamicWidgetRoot.model_validate({"type": "Card", "children": [{"type": "Buton"}]})
    with pytest.raises(WidgetError, match="'Buton' is not a ChatKit widget component"):
        view.update(bad)
    assert view.widget == before
    assert view.template is not None
    view.update({**PAM, "time": "later"})
    assert view.data == {**PAM, "time": "later"}
