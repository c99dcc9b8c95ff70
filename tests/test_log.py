"""Errors you can find: a server's exceptions in ``w.errors`` (with tracebacks) and in the chat (class
and scrubbed message), and handlers' ``print()`` output and exceptions in ``w.log``."""

# ruff: noqa: T201 - the handlers print on purpose: the tests read where the output went

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from agents import Agent, Model
from agents.testing import ScriptedModel, assistant_message
from chatkit.errors import CustomStreamError

from chatkit_jupyter import ChatKitWidget, ErrorRecord, NotebookServer
from chatkit_jupyter.bridge import _protocol as p

from .conftest import Client, ScriptedServer, call, user_message
from .conftest import message as message_item

SECRET = "sk-test-0123456789abcdefSECRET"


class Broken(ScriptedServer):
    """Streams one delta, then raises (or raises before any event with ``early``)."""

    def __init__(self, store: Any, error: Exception | None, early: bool = False) -> None:
        super().__init__(store)
        self.error = error
        self.early = early

    async def respond(self, thread: Any, item: Any, context: Any) -> AsyncIterator[Any]:
        if self.early and self.error is not None:
            raise self.error
        async for event in super().respond(thread, item, context):
            yield event
            if event.type == "thread.item.updated" and self.error is not None:
                raise self.error


def error_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "error"]


@pytest.mark.parametrize("early", [False, True])
async def test_an_exception_in_respond_is_in_errors_and_in_the_chat(
    store: Any, fake_comm: Any, early: bool
) -> None:
    server = Broken(store, KeyError(f"no column 'price' (key {SECRET})"), early=early)
    w = ChatKitWidget(server)

    _text, events = await Client(w).text(user_message("hi"))

    (shown,) = error_events(events)
    assert shown["code"] == "custom"
    assert shown["message"] == "KeyError: \"no column 'price' (key <redacted>)\""
    assert SECRET not in json.dumps(events)
    (error,) = w.errors
    assert isinstance(error, ErrorRecord)
    assert isinstance(error, str)
    assert error.type == "KeyError"
    assert error.source == "respond"
    assert error.message == shown["message"]
    assert error.traceback is not None
    assert "in respond" in error.traceback
    assert str(error) == error.traceback  # str() is what the list held before: the traceback
    (entry,) = [e for e in w.log if e["kind"] == "error"]
    assert entry["source"] == "respond"
    assert entry["text"] == shown["message"]
    assert SECRET not in json.dumps(w.log)

    # The next message works.
    server.error = None
    text, events = await Client(w, view="v2").text(user_message("again"))
    assert error_events(events) == []
    assert text == "Hello, world"


async def test_a_server_error_without_a_widget_is_unchanged(store: Any) -> None:
    from .conftest import turn

    server = Broken(store, KeyError("x"), early=True)
    ChatKitWidget(server).close()  # watched now, but no widget's request is running
    events = await turn(server, user_message("hi"))
    (shown,) = error_events(events)
    assert shown["code"] == "stream.error"


async def test_a_failing_request_keeps_its_old_str(store: Any, fake_comm: Any) -> None:
    server = ScriptedServer(store)

    async def broken_load(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    store.load_threads = broken_load
    w = ChatKitWidget(server)
    client = Client(w)
    rid = client.request(json.dumps({"type": "threads.list", "params": {}}))
    await w.wait_idle()
    head, _ = client.body(rid)
    assert head["status"] == 500
    (error,) = w.errors
    assert error.startswith("Traceback")
    assert "database on fire" in error
    assert error.type == "RuntimeError"
    assert error.source == "request"
    assert error.message.startswith("The server raised RuntimeError: database on fire.")


class Exploding(Model):
    """A model class with a bug."""

    async def get_response(self, *args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("division by zero in my model")

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise ZeroDivisionError("division by zero in my model")
        yield  # an async generator


async def test_notebook_server_errors_show_their_class(store: Any, fake_comm: Any) -> None:
    server = NotebookServer(Agent(name="a", model=Exploding()), store=store, namespace={})
    w = ChatKitWidget(server)

    _text, events = await Client(w).text(user_message("hi"))

    (shown,) = error_events(events)
    assert shown["message"] == "ZeroDivisionError: division by zero in my model"
    (error,) = w.errors
    assert error.type == "ZeroDivisionError"  # the cause, not the message wrapper
    assert "stream_response" in (error.traceback or "")


async def test_a_custom_stream_error_is_shown_as_it_is(store: Any, fake_comm: Any) -> None:
    server = Broken(store, CustomStreamError("Pick a dataset first.", allow_retry=True))
    w = ChatKitWidget(server)
    _text, events = await Client(w).text(user_message("hi"))
    (shown,) = error_events(events)
    assert shown["message"] == "Pick a dataset first."
    assert [e.message for e in w.errors] == ["Pick a dataset first."]


# -- handlers ---------------------------------------------------------------------------------


class Yields(ScriptedServer):
    """A respond() written wrong: ``returns`` instead of yielding, or yields what is no event."""

    returns: Any = None
    yields: Any = None

    def respond(self, thread: Any, item: Any, context: Any) -> Any:
        if isinstance(self.returns, Exception):
            raise self.returns
        if self.returns == "a coroutine":
            return self._junk_coroutine()  # an `async def` without `yield`
        if self.returns is not None:
            return self.returns
        return self._junk()

    async def _junk_coroutine(self) -> None:
        pass

    async def _junk(self) -> AsyncIterator[Any]:
        yield self.yields


JUNK = {
    "a str": ("yields", "hello", "respond() yielded a str value ('hello'), not a ChatKit event"),
    "a dict": ("yields", {"type": "x"}, "respond() yielded a dict value ({'type': 'x'}), not"),
    "an item": ("yields", message_item("m1"), "respond() yielded a AssistantMessageItem value (A"),
    "a list": ("returns", ["x"], "respond() returned a list, not a stream of events: write"),
    "a coroutine": ("returns", "a coroutine", "respond() returned a coroutine, not a stream"),
}


@pytest.mark.parametrize(("how", "value", "expected"), JUNK.values(), ids=JUNK.keys())
async def test_a_respond_that_yields_no_events_says_so_in_the_chat(
    store: Any, fake_comm: Any, how: str, value: Any, expected: str
) -> None:
    # Before: "AttributeError: 'str' object has no attribute 'model_dump_json'" after the
    # stream, an item sent as if it were an event, or only "An error occurred" (a list, a
    # coroutine).
    server = Yields(store)
    setattr(server, how, value)
    w = ChatKitWidget(server)
    client = Client(w)
    _text, events = await client.text(user_message("hi"))
    (shown,) = error_events(events)
    assert shown["message"].startswith(f"TypeError: {expected}")
    assert w.errors[-1].message == shown["message"]
    setattr(server, how, None)
    server.respond = ScriptedServer.respond.__get__(server)  # type: ignore[method-assign]
    text, _ = await client.text(user_message("and now?"))
    assert text == "Hello, world"
    w.close()


async def test_a_plain_def_respond_that_raises_is_the_servers_error(
    store: Any, fake_comm: Any
) -> None:
    # Before, it raised before the watcher ran: the chat said only "An error occurred", and
    # w.errors was empty.
    server = Yields(store)
    server.returns = KeyError("price")
    w = ChatKitWidget(server)
    _text, events = await Client(w).text(user_message("hi"))
    (shown,) = error_events(events)
    assert shown["message"] == "KeyError: 'price'"
    assert w.errors[-1].type == "KeyError"
    w.close()


async def test_handler_output_and_exceptions_go_to_the_log(store: Any, fake_comm: Any) -> None:
    w = ChatKitWidget(ScriptedServer(store))

    @w.on_action
    def act(action: Any, item: Any) -> None:
        print("got", action["type"])
        print("careful", file=sys.stderr)
        raise ValueError(f"bad payload {SECRET}")

    @w.entity_search
    def search(query: str) -> list[Any]:
        print(f"searching {query!r}")
        return []

    @w.client_tool("get_selection")
    def tool(params: Any) -> dict[str, Any]:
        print("selection asked")
        return {"rows": [1]}

    failed = await call(w, p.HOOK_ACTION, {"action": {"type": "refresh"}, "item": {}})
    assert failed["ok"] is False
    assert failed["message"] == "ValueError: bad payload <redacted>"  # the page shows it
    await call(w, p.HOOK_ENTITY_SEARCH, {"query": "sa"})
    await call(w, p.HOOK_CLIENT_TOOL, {"name": "get_selection", "params": {}})

    log = w.log
    json.dumps(log)  # JSON-able, for the events panel
    shown = [(e["source"], e["kind"], e["text"]) for e in log]
    assert shown == [
        ("on_action", "stdout", "got refresh"),
        ("on_action", "stderr", "careful"),
        ("on_action", "error", "ValueError: bad payload <redacted>"),
        ("entity_search", "stdout", "searching 'sa'"),
        ("client_tool get_selection", "stdout", "selection asked"),
    ]
    assert "raise ValueError" in log[2]["traceback"]
    assert SECRET not in json.dumps(log)
    assert all(e["time"].endswith("+00:00") for e in log)
    assert w.errors == []  # handler failures are the handler's, in the log


async def test_print_outside_handlers_is_not_captured(
    store: Any, fake_comm: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    w = ChatKitWidget(ScriptedServer(store))
    w.on_action(lambda action, item: print("inside"))
    await call(w, p.HOOK_ACTION, {"action": {"type": "x"}, "item": {}})
    print("outside")
    assert capsys.readouterr().out == "outside\n"
    assert [e["text"] for e in w.log] == ["inside"]
    assert type(sys.stdout).__name__ != "_Router"  # put back once nothing captures


async def test_a_tool_that_prints_logs_as_the_server(store: Any, fake_comm: Any) -> None:
    from agents import function_tool
    from agents.testing import function_call

    @function_tool
    async def shout() -> str:
        """Shout."""
        print("tool ran")
        return "ok"

    model = ScriptedModel(
        [[function_call("shout", {}, call_id="c1")], [assistant_message("done", item_id="m1")]]
    )
    server = NotebookServer(Agent(name="a", model=model, tools=[shout]), store=store, namespace={})
    w = ChatKitWidget(server)
    text, _ = await Client(w).text(user_message("go"))
    assert text == "done"
    assert [(e["source"], e["text"]) for e in w.log] == [("server", "tool ran")]


async def test_the_stand_in_streams_look_like_the_real_ones(store: Any, fake_comm: Any) -> None:
    w = ChatKitWidget(ScriptedServer(store))
    seen: list[Any] = []
    real = sys.stdout
    w.on_action(lambda action, item: seen.append((sys.stdout.encoding, sys.stdout.isatty())))
    await call(w, p.HOOK_ACTION, {"action": {"type": "x"}, "item": {}})
    assert seen == [(real.encoding, real.isatty())]
