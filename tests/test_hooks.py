"""Entity and command hooks (``@w.entity_search`` ...), driven through a fake comm."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chatkit_jupyter import ChatKitWidget
from chatkit_jupyter.bridge import _protocol as p

from .conftest import FakeComm, ScriptedServer, call


@pytest.fixture
def widget(store: Any) -> ChatKitWidget:
    return ChatKitWidget(ScriptedServer(store), renderer="lite")


def synced_handlers(comm: FakeComm) -> list[str] | None:
    """The last ``handlers`` value the kernel sent to the front end."""
    states = [d["state"] for d, _ in comm.sent if d.get("method") == "update"]
    found = [s["handlers"] for s in states if "handlers" in s]
    return found[-1] if found else None


async def test_entity_search_round_trip_and_handlers_trait(widget: Any) -> None:
    w, comm = widget, widget.comm
    assert w.handlers == []
    names = ["sales", "salaries", "temperatures"]

    @w.entity_search
    async def search(query: str) -> list[dict[str, Any]]:
        return [
            {"id": f"var:{n}", "title": n, "group": "Variables", "data": {"kind": "DataFrame"}}
            for n in names
            if n.startswith(query)
        ]

    assert w.handlers == [p.HOOK_ENTITY_SEARCH]
    assert synced_handlers(comm) == [p.HOOK_ENTITY_SEARCH]
    result = await call(w, p.HOOK_ENTITY_SEARCH, {"query": "sa"})
    assert result["ok"]
    assert [e["title"] for e in result["value"]] == ["sales", "salaries"]
    assert result["value"][0] == {
        "id": "var:sales",
        "title": "sales",
        "group": "Variables",
        "data": {"kind": "DataFrame"},
    }
    with pytest.raises(Exception, match="read-only"):
        w.handlers = ["x"]


async def test_all_handlers_are_listed_in_protocol_order(widget: Any) -> None:
    w, comm = widget, widget.comm
    w.on_command(lambda command: None)
    w.entity_preview(lambda entity: None)
    w.command_search(lambda query: [])
    w.on_entity_click(lambda entity: None)
    w.entity_search(lambda query: [])
    assert w.handlers == list(p.HANDLER_HOOKS)
    assert synced_handlers(comm) == list(p.HANDLER_HOOKS)


async def test_entity_click_and_preview(widget: Any) -> None:
    w = widget
    clicked: list[Any] = []
    w.on_entity_click(clicked.append)
    entity = {"id": "var:sales", "title": "sales", "interactive": True}
    result = await call(w, p.HOOK_ENTITY_CLICK, {"entity": entity})
    assert result == {"kind": p.RESULT, "id": result["id"], "ok": True, "value": None}
    assert clicked == [entity]

    card = {"type": "Basic", "children": [{"type": "Text", "value": "sales: 3 rows"}]}

    @w.entity_preview
    def preview(e: dict[str, Any]) -> Any:
        return {"preview": card} if e["id"] == "var:sales" else None

    assert (await call(w, p.HOOK_ENTITY_PREVIEW, {"entity": entity}))["value"] == {"preview": card}
    other = {"id": "var:x", "title": "x"}
    assert (await call(w, p.HOOK_ENTITY_PREVIEW, {"entity": other}))["value"] == {"preview": None}


async def test_preview_accepts_a_bare_widget_and_a_chatkit_model(widget: Any) -> None:
    from chatkit.widgets import Text

    w = widget
    bare = {"type": "Basic", "children": []}
    w.entity_preview(lambda e: bare)
    assert (await call(w, p.HOOK_ENTITY_PREVIEW, {"entity": {}}))["value"] == {"preview": bare}
    w.entity_preview(lambda e: Text(value="hi"))
    value = (await call(w, p.HOOK_ENTITY_PREVIEW, {"entity": {}}))["value"]
    assert value["preview"]["type"] == "Text"
    assert value["preview"]["value"] == "hi"


async def test_command_search_and_every_selection_shape(widget: Any) -> None:
    w = widget
    commands = [
        {"id": "plot", "label": "Plot a variable", "group": "Notebook", "icon": "chart"},
        {"id": "clear", "label": "Clear output", "description": "Clears the cell output"},
    ]
    w.command_search(lambda q: [c for c in commands if q.lower() in c["label"].lower()])
    result = await call(w, p.HOOK_COMMAND_SEARCH, {"query": "plot"})
    assert result["value"] == [commands[0]]

    ran: list[str] = []

    @w.on_command
    async def run(command: dict[str, Any]) -> Any:
        ran.append(command["id"])
        if command["id"] == "plot":
            return {"type": "menu", "commands": [{"id": "plot:sales", "label": "sales"}]}
        if command["id"] == "plot:sales":
            return {"type": "entity", "entity": {"id": "var:sales", "title": "sales"}}
        return None

    menu = await call(w, p.HOOK_COMMAND_SELECT, {"command": commands[0]})
    assert menu["value"] == {"type": "menu", "commands": [{"id": "plot:sales", "label": "sales"}]}
    tag = await call(w, p.HOOK_COMMAND_SELECT, {"command": {"id": "plot:sales"}})
    assert tag["value"] == {"type": "entity", "entity": {"id": "var:sales", "title": "sales"}}
    none = await call(w, p.HOOK_COMMAND_SELECT, {"command": commands[1]})
    assert none["ok"]
    assert none["value"] is None
    assert ran == ["plot", "plot:sales", "clear"]


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ("sales", r"must return a list of dicts like \{'id'.*not str"),
        ({"id": "a", "title": "a"}, "must return a list of dicts like .* not dict"),
        (None, "must return a list of dicts .* not NoneType"),
        ([{"id": "a"}], r"result \[0\] is missing 'title'"),
        (
            [{"id": "a", "name": "a"}],
            r"result \[0\] has unknown key\(s\) 'name'; allowed: id, title",
        ),
        ([{"id": 1, "title": "a"}], r"result \[0\]: 'id' must be a non-empty str, not int 1"),
        ([{"id": "a", "title": ""}], "'title' must be a non-empty str"),
        ([{"id": "a", "title": "a", "interactive": "yes"}], "'interactive' must be bool"),
        ([{"id": "a", "title": "a", "data": {"rows": 3}}], "'data' must map strings to strings"),
        (["sales"], r"result \[0\] must be a dict like .* not str"),
    ],
)
async def test_entity_search_bad_returns_say_what_to_return(
    widget: Any, returned: Any, message: str
) -> None:
    w = widget
    w.entity_search(lambda q: returned)
    result = await call(w, p.HOOK_ENTITY_SEARCH, {"query": ""})
    assert not result["ok"]
    assert "@widget.entity_search handler" in result["message"]
    assert result["message"].startswith("HandlerResultError: ")
    assert re.search(message, result["message"]), result["message"]


async def test_optional_none_values_are_dropped(widget: Any) -> None:
    w = widget
    w.entity_search(lambda q: [{"id": "a", "title": "a", "group": None, "icon": None}])
    assert (await call(w, p.HOOK_ENTITY_SEARCH, {"query": ""}))["value"] == [
        {"id": "a", "title": "a"}
    ]


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ("done", r"returned 'str'; return None \(the command only has an effect\)"),
        ({"type": "tag"}, "returned 'tag'; return None"),
        ({"type": "entity", "entity": {"id": "x"}}, "'entity' is missing 'title'"),
        ({"type": "entity", "title": "x"}, r"returned keys \['title', 'type'\]"),
        ({"type": "menu", "commands": [{"id": "x"}]}, r"'commands' \[0\] is missing 'label'"),
        ({"type": "menu", "commands": "x"}, "'commands' must return a list of dicts"),
    ],
)
async def test_on_command_bad_returns(widget: Any, returned: Any, message: str) -> None:
    w = widget
    w.on_command(lambda c: returned)
    result = await call(w, p.HOOK_COMMAND_SELECT, {"command": {"id": "x", "label": "x"}})
    assert not result["ok"]
    assert "@widget.on_command handler" in result["message"]
    assert re.search(message, result["message"]), result["message"]


async def test_bad_command_search_and_preview_returns(widget: Any) -> None:
    w = widget
    w.command_search(lambda q: [{"id": "x", "title": "X"}])
    bad = await call(w, p.HOOK_COMMAND_SEARCH, {"query": ""})
    assert not bad["ok"]
    assert "has unknown key(s) 'title'; allowed: id, label" in bad["message"]
    w.entity_preview(lambda e: "<b>sales</b>")
    bad = await call(w, p.HOOK_ENTITY_PREVIEW, {"entity": {}})
    assert not bad["ok"]
    assert "return {'preview': widget}" in bad["message"]


async def test_missing_handler_and_handler_exceptions_are_clear_errors(widget: Any) -> None:
    w = widget
    missing = await call(w, p.HOOK_COMMAND_SEARCH, {"query": ""})
    assert not missing["ok"]
    assert "add one with @widget.command_search" in missing["message"]

    def broken(query: str) -> list[Any]:
        raise KeyError("no such frame")

    w.entity_search(broken)
    failed = await call(w, p.HOOK_ENTITY_SEARCH, {"query": ""})
    assert failed == {
        "kind": p.RESULT,
        "id": failed["id"],
        "ok": False,
        "message": "KeyError: 'no such frame'",
    }
    # The widget keeps answering after a failure.
    w.entity_search(lambda q: [])
    assert (await call(w, p.HOOK_ENTITY_SEARCH, {"query": ""}))["value"] == []


def test_callback_options_point_to_the_decorators(store: Any) -> None:
    for key, callback, decorator in [
        ("entities", "onTagSearch", "@widget.entity_search"),
        ("entities", "onClick", "@widget.on_entity_click"),
        ("entities", "onRequestPreview", "@widget.entity_preview"),
        ("commands", "onSearch", "@widget.command_search"),
        ("commands", "onSelect", "@widget.on_command"),
        ("widgets", "onAction", "@widget.on_action"),
    ]:
        with pytest.raises(ValueError, match=f"'{key}.{callback}' option is owned") as info:
            ChatKitWidget(ScriptedServer(store), options={key: {callback: "fn"}})
        assert decorator in str(info.value)
    # The JSON parts of the same options stay the user's.
    w = ChatKitWidget(
        ScriptedServer(store),
        options={"entities": {"showComposerMenu": True}, "commands": {"enabled": False}},
    )
    assert w.options["entities"] == {"showComposerMenu": True}


def test_decorators_return_the_function_and_reject_non_callables(widget: Any) -> None:
    w = widget

    def search(query: str) -> list[Any]:
        return []

    assert w.entity_search(search) is search
    with pytest.raises(TypeError, match="Expected a function"):
        w.on_command("not a function")


def test_client_tool_without_its_name_says_so_instead_of_registering_nothing(
    widget: Any,
) -> None:
    with pytest.raises(TypeError, match=re.escape("@w.client_tool('get_selection'), not")):

        @widget.client_tool
        def get_selection(params: dict[str, Any]) -> dict[str, Any]:
            return {}

    with pytest.raises(ValueError, match="the tool's name as a non-empty str"):
        widget.client_tool("")
    assert widget.client_tools == []


@pytest.mark.parametrize(
    "register",
    [
        lambda w: w.on_action,
        lambda w: w.on_effect,
        lambda w: w.on_response_end,
        lambda w: w.client_tool("get_selection"),
    ],
    ids=["on_action", "on_effect", "on_response_end", "client_tool"],
)
def test_every_decorator_rejects_a_non_callable(widget: Any, register: Any) -> None:
    with pytest.raises(TypeError, match=r"Expected a function .* got int"):
        register(widget)(42)
    assert widget.client_tools == []
