"""The notebook tools' data collection: what is listed, what is hidden, what is redacted."""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import sys
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from agents.tool_context import ToolContext
from chatkit.widgets import StrictWidgetRoot
from pydantic import TypeAdapter

from chatkit_jupyter import notebook_tools
from chatkit_jupyter.notebook import (
    REDACTED,
    VariableNotFound,
    collect_variables,
    describe_variable,
    looks_like_secret_name,
    looks_like_secret_value,
    resolve_namespace,
    scrub,
    variable_widget,
    variables_widget,
)
from chatkit_jupyter.notebook._inspect import DETAIL_REPR_CHARS, HEAD_ROWS, SUMMARY_REPR_CHARS
from chatkit_jupyter.notebook._tools import MAX_VARIABLES, _listing

SECRET = "sk-proj-abcdefghijklmnop0123456789"


@dataclasses.dataclass
class Settings:
    api_key: str
    model: str


def by_name(rows: list[Any]) -> dict[str, Any]:
    return {row["name"]: row for row in rows}


# -- hiding -----------------------------------------------------------------------------------


def test_hides_private_ipython_modules_functions_and_classes() -> None:
    namespace = {
        "_": 1,
        "_private": 2,
        "__builtins__": __builtins__,
        "In": ["x = 1"],
        "Out": {},
        "exit": object(),
        "quit": object(),
        "get_ipython": lambda: None,
        "os": os,
        "json_dumps": json.dumps,  # a builtin function
        "helper": by_name,
        "Settings": Settings,
        "Any": Any,
        "x": 1,
    }
    assert [row["name"] for row in collect_variables(namespace)] == ["x"]


def test_rows_have_type_preview_and_size() -> None:
    rows = by_name(
        collect_variables(
            {"n": 3, "words": ["a", "b"], "text": "hello", "df": pd.DataFrame({"a": [1, 2]})}
        )
    )
    assert rows["n"] == {"name": "n", "type": "int", "repr": "3"}
    assert rows["words"] == {"name": "words", "type": "list", "repr": "['a', 'b']", "length": 2}
    assert rows["text"]["length"] == 5
    assert rows["df"]["type"] == "pandas.DataFrame"
    assert rows["df"]["shape"] == [2, 1]
    assert rows["df"]["repr"] == "columns: a"


def test_rows_are_sorted_case_insensitively() -> None:
    names = [row["name"] for row in collect_variables({"b": 1, "A": 2, "c": 3})]
    assert names == ["A", "b", "c"]


def test_preview_is_one_short_line() -> None:
    (row,) = collect_variables({"big": list(range(10_000)), "z": None})[:1]
    assert len(row["repr"]) <= SUMMARY_REPR_CHARS
    assert "\n" not in row["repr"]


# -- redaction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "OPENAI_API_KEY",
        "apiKey",
        "openaikey",
        "token",
        "hf_token",
        "accessToken",
        "secret",
        "client_secret",
        "password",
        "db_passwd",
        "credentials",
        "creds",
        "auth",
        "auth_header",
        "Authorization",
        "pwd",
    ],
)
def test_secret_names(name: str) -> None:
    assert looks_like_secret_name(name)


@pytest.mark.parametrize("name", ["df", "author", "authors", "tokenizer", "keyword", "x", "sales"])
def test_ordinary_names(name: str) -> None:
    assert not looks_like_secret_name(name)


@pytest.mark.parametrize(
    "value",
    [
        "sk-abc",
        SECRET,
        "  sk-with-spaces  ",
        "ghp_" + "a" * 36,
        "AKIAABCDEFGHIJKLMNOP",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE...",
        "Authorization: Bearer abcdefghijklmnopqrstuvwx",
        b"sk-bytes-key-1234567890",
    ],
)
def test_secret_values(value: object) -> None:
    assert looks_like_secret_value(value)


@pytest.mark.parametrize("value", ["hello", "risk-assessment", "task-12345678", 42, None])
def test_ordinary_values(value: object) -> None:
    assert not looks_like_secret_value(value)


def test_secret_by_name_shows_type_only() -> None:
    rows = by_name(
        collect_variables(
            {
                "api_key": "plain-looking-value",
                "tokens": ["t1", "t2", "t3"],
                "secret_frame": pd.DataFrame({"a": [1, 2, 3]}),
            }
        )
    )
    assert rows["api_key"] == {"name": "api_key", "type": "str", "repr": REDACTED, "redacted": True}
    # Not even the size: a length can reveal something too.
    assert rows["tokens"] == {"name": "tokens", "type": "list", "repr": REDACTED, "redacted": True}
    assert rows["secret_frame"] == {
        "name": "secret_frame",
        "type": "pandas.DataFrame",
        "repr": REDACTED,
        "redacted": True,
    }
    detail = describe_variable({"api_key": "plain-looking-value"}, "api_key")
    assert detail == {
        "name": "api_key",
        "type": "str",
        "repr": REDACTED,
        "redacted": True,
        "reason": "the name looks like a secret",
    }


def test_secret_by_value_whatever_the_name() -> None:
    namespace = {"note": SECRET, "blob": b"sk-bytes-key-1234567890"}
    rows = by_name(collect_variables(namespace))
    assert rows["note"]["redacted"] is True
    assert rows["blob"]["redacted"] is True
    detail = describe_variable(namespace, "note")
    assert detail["reason"] == "the value looks like a secret"
    assert SECRET not in json.dumps([rows, detail])


def test_secrets_inside_containers_are_masked() -> None:
    namespace = {
        "config": {"model": "gpt", "api_key": "hunter2", "nested": {"password": "pw"}},
        "ordered": collections.OrderedDict(token="abc", size=3),
        "keys_list": [{"url": "https://x", "value": SECRET}],
        "settings": Settings(api_key="hunter2", model="gpt"),
    }
    text = json.dumps(collect_variables(namespace)) + json.dumps(
        [describe_variable(namespace, name) for name in namespace]
    )
    for leaked in ("hunter2", "'pw'", "'abc'", SECRET):
        assert leaked not in text
    config = describe_variable(namespace, "config")
    assert config["repr"] == (
        "{'model': 'gpt', 'api_key': <redacted>, 'nested': {'password': <redacted>}}"
    )
    assert describe_variable(namespace, "settings")["repr"] == (
        "Settings(api_key=<redacted>, model='gpt')"
    )


def test_environ_is_redacted_and_never_read(monkeypatch: pytest.MonkeyPatch) -> None:
    class Untouchable(collections.abc.MutableMapping[str, str]):
        """Fails the test if anything reads it."""

        def __getitem__(self, key: str) -> str:
            raise AssertionError("os.environ was read")

        def __setitem__(self, key: str, value: str) -> None:
            raise AssertionError("os.environ was written")

        def __delitem__(self, key: str) -> None:
            raise AssertionError("os.environ was written")

        def __iter__(self) -> Any:
            raise AssertionError("os.environ was read")

        def __len__(self) -> int:
            raise AssertionError("os.environ was read")

    environ = os._Environ(Untouchable(), str, str, str, str)
    monkeypatch.setenv("CHATKIT_JUPYTER_TEST_SECRET", "visible-only-in-env")
    namespace = {"env": environ, "real_env": os.environ}
    rows = by_name(collect_variables(namespace))
    assert rows["env"] == {"name": "env", "type": "os._Environ", "repr": REDACTED, "redacted": True}
    assert rows["real_env"]["redacted"] is True
    detail = describe_variable(namespace, "env")
    assert detail["reason"] == "environment variables are never shown"
    assert "visible-only-in-env" not in json.dumps([rows, describe_variable(namespace, "real_env")])


def test_scrub_masks_keys_and_secret_fields() -> None:
    assert scrub(f"key is {SECRET}.") == "key is <redacted>."
    assert scrub("Client(token='abc', timeout=3)") == "Client(token=<redacted>, timeout=3)"
    assert scrub('{"password": "x y z", "user": "me"}') == '{"password": <redacted>, "user": "me"}'


# -- pandas and numpy -------------------------------------------------------------------------


def test_dataframe_details() -> None:
    df = pd.DataFrame(
        {"city": [f"c{i}" for i in range(10)], "temp": np.arange(10) * 1.5, "n": range(10)}
    )
    detail = describe_variable({"df": df}, "df")
    assert detail["type"] == "pandas.DataFrame"
    assert detail["shape"] == [10, 3]
    assert detail["dtypes"]["temp"] == "float64"
    assert detail["dtypes"]["n"] == "int64"
    head_lines = detail["head"].splitlines()
    assert head_lines[0].split() == ["city", "temp", "n"]
    assert len(head_lines) == 1 + HEAD_ROWS
    assert "c4" in detail["head"]
    assert "c5" not in detail["head"]
    assert "repr" not in detail


def test_dataframe_secret_columns_are_masked() -> None:
    df = pd.DataFrame({"user": ["ann", "bob"], "api_token": ["t-1", "t-2"], "note": [SECRET, "ok"]})
    detail = describe_variable({"users": df}, "users")
    assert "t-1" not in detail["head"]
    assert SECRET not in detail["head"]
    assert "ann" in detail["head"]
    assert detail["head"].count(REDACTED) == 3


def test_series_and_ndarray_details() -> None:
    namespace = {
        "s": pd.Series(range(100), name="count"),
        "a": np.arange(60, dtype=np.float32).reshape(20, 3),
        "scalar": np.float64(2.5),
    }
    series = describe_variable(namespace, "s")
    assert series["shape"] == [100]
    assert series["dtype"] == "int64"
    assert len(series["head"].splitlines()) == HEAD_ROWS
    array = describe_variable(namespace, "a")
    assert array["shape"] == [20, 3]
    assert array["dtype"] == "float32"
    assert array["head"].count("[") == 1 + HEAD_ROWS
    row = by_name(collect_variables(namespace))["a"]
    assert row == {"name": "a", "type": "numpy.ndarray", "repr": "dtype=float32", "shape": [20, 3]}


def test_pandas_is_not_imported_for_plain_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "pandas")
    monkeypatch.delitem(sys.modules, "numpy")
    rows = collect_variables({"x": [1, 2], "s": "text"})
    assert [r["name"] for r in rows] == ["s", "x"]
    describe_variable({"x": [1, 2]}, "x")
    assert "pandas" not in sys.modules
    assert "numpy" not in sys.modules


# -- caps and messages ------------------------------------------------------------------------


def test_repr_is_capped() -> None:
    detail = describe_variable({"text": "x" * 100_000, "items": list(range(100_000))}, "text")
    assert len(detail["repr"]) <= DETAIL_REPR_CHARS + 50
    items = describe_variable({"items": list(range(100_000))}, "items")
    assert len(items["repr"]) <= DETAIL_REPR_CHARS + 50
    assert items["length"] == 100_000


def test_list_is_capped() -> None:
    namespace = {f"v{i:04}": i for i in range(MAX_VARIABLES + 7)}
    listing = _listing(namespace)
    assert listing["count"] == MAX_VARIABLES + 7
    assert len(listing["variables"]) == MAX_VARIABLES
    assert listing["not_listed"] == 7


def test_broken_repr_does_not_break_the_listing() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("nope")

    (row,) = collect_variables({"thing": Broken()})
    assert row["type"] == "tests.Broken"
    assert row["repr"].startswith("<Broken instance at 0x")
    detail = describe_variable({"thing": Broken()}, "thing")
    assert detail["repr"].startswith("<Broken instance at 0x")


def test_missing_variable_lists_close_matches() -> None:
    namespace = {"sales_2024": 1, "sales_2023": 2, "costs": 3}
    with pytest.raises(VariableNotFound) as e:
        describe_variable(namespace, "sales_2025")
    assert str(e.value) == (
        "No variable named 'sales_2025' in the notebook. Close matches: sales_2024, sales_2023."
    )
    with pytest.raises(VariableNotFound, match="Variables: costs, sales_2023, sales_2024"):
        describe_variable(namespace, "zzz")
    with pytest.raises(VariableNotFound, match="no variables yet"):
        describe_variable({}, "x")


def test_hidden_names_are_not_inspectable() -> None:
    namespace = {"np": np, "_secret": 1, "f": by_name}
    with pytest.raises(VariableNotFound, match="'np' is a module"):
        describe_variable(namespace, "np")
    with pytest.raises(VariableNotFound, match="'f' is a function"):
        describe_variable(namespace, "f")
    with pytest.raises(VariableNotFound, match="No variable named '_secret'"):
        describe_variable(namespace, "_secret")


# -- the tools --------------------------------------------------------------------------------


def tool_context(tool_name: str, arguments: str) -> ToolContext[Any]:
    return ToolContext(
        context=None, tool_name=tool_name, tool_call_id="call_1", tool_arguments=arguments
    )


async def run_tool(tool: Any, arguments: dict[str, Any]) -> Any:
    raw = json.dumps(arguments)
    return json.loads(await tool.on_invoke_tool(tool_context(tool.name, raw), raw))


async def test_tools_read_the_namespace_at_every_call() -> None:
    namespace: dict[str, Any] = {"a": 1}
    tools = {tool.name: tool for tool in notebook_tools(namespace)}
    assert set(tools) == {"list_variables", "inspect_variable", "show_variables", "show_variable"}
    assert (await run_tool(tools["list_variables"], {}))["count"] == 1
    namespace["b"] = [1, 2, 3]
    listing = await run_tool(tools["list_variables"], {})
    assert [v["name"] for v in listing["variables"]] == ["a", "b"]
    assert await run_tool(tools["inspect_variable"], {"name": "b"}) == {
        "name": "b",
        "type": "list",
        "length": 3,
        "repr": "[1, 2, 3]",
    }
    missing = await run_tool(tools["inspect_variable"], {"name": "c"})
    assert missing == {"error": "No variable named 'c' in the notebook. Variables: a, b."}


async def test_namespace_can_be_a_function() -> None:
    current = {"first": {"x": 1}}
    (list_variables, *_) = notebook_tools(lambda: current["first"])
    assert (await run_tool(list_variables, {}))["variables"][0]["name"] == "x"
    current["first"] = {"y": 2}
    assert (await run_tool(list_variables, {}))["variables"][0]["name"] == "y"


async def test_show_tools_stream_widgets() -> None:
    shown: list[tuple[Any, str | None]] = []

    class Context:
        async def stream_widget(self, widget: Any, copy_text: str | None = None) -> None:
            shown.append((widget, copy_text))

    namespace = {"df": pd.DataFrame({"a": [1, 2]}), "api_key": SECRET}
    tools = {tool.name: tool for tool in notebook_tools(namespace)}
    ctx = ToolContext(
        context=Context(), tool_name="show_variables", tool_call_id="c", tool_arguments="{}"
    )
    result = json.loads(await tools["show_variables"].on_invoke_tool(ctx, "{}"))
    assert result["shown_to_user"] is True
    assert result["count"] == 2
    ((widget, _),) = shown
    dumped = widget.model_dump()
    assert dumped["type"] == "ListView"
    assert [item["key"] for item in dumped["children"]] == ["api_key", "df"]
    assert SECRET not in json.dumps(dumped)

    shown.clear()
    ctx = ToolContext(
        context=Context(), tool_name="show_variable", tool_call_id="c", tool_arguments=""
    )
    await tools["show_variable"].on_invoke_tool(ctx, json.dumps({"name": "df"}))
    ((card, copy),) = shown
    assert card.model_dump()["type"] == "Card"
    assert copy is not None
    assert "a" in copy

    shown.clear()
    missing = json.loads(
        await tools["show_variable"].on_invoke_tool(ctx, json.dumps({"name": "dff"}))
    )
    assert missing["shown_to_user"] is False
    assert "Close matches: df" in missing["error"]
    assert shown == []


async def test_show_tools_work_outside_chatkit() -> None:
    """In a plain ``Runner.run`` there is no AgentContext to stream to; the JSON still comes."""
    (_, _, show_variables, _) = notebook_tools({"x": 1})
    result = await show_variables.on_invoke_tool(tool_context("show_variables", "{}"), "{}")
    assert json.loads(result)["variables"][0]["name"] == "x"


def test_without_ipython_the_error_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("IPython.core.getipython.get_ipython", lambda: None)
    with pytest.raises(RuntimeError, match="pass namespace="):
        resolve_namespace(None)


def test_default_namespace_is_ipythons(monkeypatch: pytest.MonkeyPatch) -> None:
    class Shell:
        user_ns: ClassVar[dict[str, Any]] = {"from_ipython": 1}

    monkeypatch.setattr("IPython.core.getipython.get_ipython", Shell)
    assert [row["name"] for row in collect_variables(resolve_namespace(None))] == ["from_ipython"]


@pytest.mark.parametrize(
    "widget",
    [
        variables_widget(collect_variables({"df": pd.DataFrame({"a": [1]}), "token": "x"})),
        variables_widget([]),
        variables_widget(collect_variables({f"v{i}": i for i in range(60)})),
        variable_widget(describe_variable({"df": pd.DataFrame({"a": [1]})}, "df")),
        variable_widget(describe_variable({"token": "x"}, "token")),
    ],
)
def test_widgets_follow_chatkits_schema(widget: Any) -> None:
    """The component trees are plain dicts; the strict widget types check every prop."""
    sent = json.loads(widget.model_dump_json(exclude_none=True))
    strict = TypeAdapter(StrictWidgetRoot).validate_python(sent)
    assert json.loads(strict.model_dump_json(exclude_none=True)) == sent


# -- secrets behind long fields, in URLs and in Basic auth (found in review) ---------------------

_LONG_KEY = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOp"


@dataclasses.dataclass
class _Settings:
    base_url: str
    api_key: str


class _Conn:
    def __repr__(self) -> str:
        return f"Conn(host='db.example.com', port=5432, user='admin', token='{_LONG_KEY[3:]}')"


def test_a_secret_after_a_long_field_is_not_shown_in_the_short_preview() -> None:
    ns = {
        "settings": _Settings("https://api.example.com/v1/some/long/path", _LONG_KEY),
        "conn": _Conn(),
        "db_url": "postgresql://admin:hunter2-Sup3rSecret@db.example.com:5432/prod",
        "headers": [("Authorization", "Basic YWRtaW46aHVudGVyMg==")],
    }
    shown = json.dumps(collect_variables(ns)) + json.dumps(
        [describe_variable(ns, name) for name in ns]
    )
    for secret in ("0123456789AbCdEfGh", "hunter2", "YWRtaW46aHVudGVyMg", "sk-proj"):
        assert secret not in shown
    assert "db.example.com" in shown  # the harmless parts are still there
