"""``ask``: a user message from Python, the reply back as a ``Reply`` (from a widget, with or
without a view, and from a ``NotebookServer`` alone), errors in it, and a timeout that ends it."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from agents import Agent, GuardrailFunctionOutput, Model, Usage, output_guardrail
from agents.testing import ModelStep, ScriptedModel, assistant_message, function_call
from chatkit.server import ChatKitServer
from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageItem,
    ClientToolCallItem,
    ThreadItemDoneEvent,
)
from pydantic import BaseModel

from chatkit_jupyter import ChatKitWidget, NotebookServer, Reply, SQLiteStore, ToolCall
from chatkit_jupyter.bridge import _protocol as p

from .conftest import ScriptedServer, call, sse_events, text_of
from .test_drive import answer, commands, ready, until
from .test_log import Broken

pytestmark = pytest.mark.usefixtures("no_model_configured")


NOTEBOOK = {"sales": [120, 95, 143], "threshold": 0.75}


def kinds(items: Any) -> list[str]:
    """Item types, without the workflow items in which a server may show its tool calls."""
    return [i.type for i in items if i.type != "workflow"]


def scripted(*steps: Any, usage: Usage | None = None) -> tuple[Agent[Any], ScriptedModel]:
    model = ScriptedModel(list(steps), default_usage=usage)
    return Agent(name="analyst", instructions="Be brief.", model=model), model


async def test_notebook_server_ask_returns_the_reply(store: Any) -> None:
    agent, model = scripted(
        [function_call("inspect_variable", {"name": "sales"}, call_id="c1")],
        [assistant_message("Sales dipped to 95.", item_id="m1")],
        [assistant_message("Yes, once.", item_id="m2")],
        usage=Usage(requests=1, input_tokens=12, output_tokens=5, total_tokens=17),
    )
    server = NotebookServer(agent, store=store, namespace=NOTEBOOK)

    reply = await server.ask("What is odd in sales?")

    assert isinstance(reply, Reply)
    assert reply.error is None
    assert reply.text == "Sales dipped to 95."
    (call,) = reply.tool_calls
    assert isinstance(call, ToolCall)
    assert (call.name, call.arguments) == ("inspect_variable", {"name": "sales"})
    assert json.loads(call.output)["repr"] == "[120, 95, 143]"
    assert kinds(reply.items) == ["assistant_message"]
    assert reply.thread_id is not None
    assert reply.usage == {
        "requests": 2,
        "input_tokens": 24,
        "output_tokens": 10,
        "total_tokens": 34,
    }
    assert reply.duration > 0
    stored = (await store.load_thread_items(reply.thread_id, None, 10, "asc", {})).data
    assert kinds(stored) == ["user_message", "assistant_message"]

    # The same thread goes on; the model gets the history.
    again = await server.ask("Only once?", thread_id=reply.thread_id)
    assert again.text == "Yes, once."
    assert again.thread_id == reply.thread_id
    assert again.tool_calls == []
    texts = [m.get("content") for m in model.calls[-1].input if m.get("role") == "user"]
    assert texts[0][0]["text"] == "What is odd in sales?"
    # A new thread each time otherwise.
    model.enqueue([assistant_message("Hi.", item_id="m3")])
    assert (await server.ask("hello")).thread_id != reply.thread_id


async def test_two_agents_side_by_side(store: Any) -> None:
    terse = NotebookServer(
        Agent(name="t", model=ScriptedModel([[assistant_message(f"t{i}")] for i in range(3)])),
        store=store,
        namespace=NOTEBOOK,
    )
    chatty = NotebookServer(
        Agent(name="c", model=ScriptedModel([[assistant_message(f"c{i}")] for i in range(3)])),
        store=SQLiteStore(":memory:"),
        namespace=NOTEBOOK,
    )
    table = [
        (prompt, (await terse.ask(prompt)).text, (await chatty.ask(prompt)).text)
        for prompt in ("a", "b", "c")
    ]
    assert table == [("a", "t0", "c0"), ("b", "t1", "c1"), ("c", "t2", "c2")]


class Forecast(BaseModel):
    city: str
    degrees: int


async def test_a_structured_output_is_in_the_reply(store: Any) -> None:
    # Before, an output_type agent's reply was only its JSON text.
    model = ScriptedModel([[assistant_message('{"city": "Oslo", "degrees": 12}', item_id="m1")]])
    agent = Agent(name="f", output_type=Forecast, model=model)
    server = NotebookServer(agent, store=store, namespace=NOTEBOOK)

    reply = await server.ask("weather?")

    assert reply.output == Forecast(city="Oslo", degrees=12)
    assert json.loads(reply.text) == {"city": "Oslo", "degrees": 12}
    plain = NotebookServer(
        Agent(name="p", model=ScriptedModel([[assistant_message("Hi.", item_id="m3")]])),
        store=store,
        namespace=NOTEBOOK,
    )
    assert (await plain.ask("hi")).output == "Hi."


async def test_an_output_a_guardrail_stopped_is_not_in_the_reply(store: Any) -> None:
    @output_guardrail
    def no_numbers(ctx: Any, agent: Any, output: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info=None, tripwire_triggered=True)

    model = ScriptedModel([[assistant_message('{"city": "Oslo", "degrees": 12}', item_id="m1")]])
    agent = Agent(name="f", output_type=Forecast, model=model, output_guardrails=[no_numbers])

    reply = await NotebookServer(agent, store=store, namespace=NOTEBOOK).ask("weather?")

    assert reply.error is None  # a guardrail trip is not an error (a task says which)
    assert reply.output is None
    assert reply.text == ""


async def test_a_handoff_is_in_the_tool_calls(store: Any) -> None:
    # Before, tool_calls was empty and the expert's answer looked like the triage agent's.
    expert = Agent(name="Expert", model=ScriptedModel([[assistant_message("Expert here.")]]))
    triage_model = ScriptedModel([[function_call("transfer_to_expert", {}, call_id="h1")]])
    triage = Agent(name="Triage", model=triage_model, handoffs=[expert])

    reply = await NotebookServer(triage, store=store, namespace=NOTEBOOK).ask("help")

    assert reply.text == "Expert here."
    (call,) = reply.tool_calls
    assert (call.name, call.arguments) == ("transfer_to_expert", {})
    assert json.loads(call.output) == {"assistant": "Expert"}


async def test_a_model_error_is_in_the_reply(store: Any) -> None:
    agent, _ = scripted(ModelStep.raise_error(ZeroDivisionError("bad math")))
    server = NotebookServer(agent, store=store, namespace=NOTEBOOK)
    reply = await server.ask("hi")
    assert reply.error == "ZeroDivisionError: bad math"
    assert reply.text == ""


class Hanging(Model):
    """A model that never answers (until cancelled)."""

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()

    async def get_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        yield  # an async generator


async def test_a_reply_that_takes_too_long_is_cancelled(store: Any) -> None:
    model = Hanging()
    server = NotebookServer(Agent(name="slow", model=model), store=store, namespace=NOTEBOOK)

    reply = await server.ask("hi", timeout=0.2)

    assert reply.error is not None
    assert reply.error.startswith("No complete reply within 0.2 s; the request was cancelled.")
    assert reply.duration < 5
    await asyncio.wait_for(model.cancelled.wait(), 5)  # the run stopped too
    assert any(e["type"] == "turn.cancelled" for e in server.events)


async def test_bad_arguments_are_clear_errors(store: Any) -> None:
    server = NotebookServer(store=store, namespace=NOTEBOOK)
    with pytest.raises(ValueError, match="needs the message text"):
        await server.ask("  ")
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        await server.ask("hi", timeout=0)


@pytest.mark.parametrize("timeout", [float("nan"), "5", True, -1.5])
async def test_a_timeout_that_is_no_time_is_a_clear_error(store: Any, timeout: Any) -> None:
    # Before, NaN ended every reply at once ("No complete reply within nan s"), and "5" raised
    # a TypeError about '<='.
    server = NotebookServer(store=store, namespace=NOTEBOOK)
    expected = f"timeout must be a positive number of seconds or None, not {timeout!r}."
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        await server.ask("hi", timeout=timeout)


async def test_an_unknown_thread_is_in_the_reply(
    store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = NotebookServer(store=store, namespace=NOTEBOOK)
    reply = await server.ask("hi", thread_id="thr_missing")
    assert reply.error == (
        "There is no thread 'thr_missing' in this server's store: continue one with "
        "thread_id=reply.thread_id of an earlier reply, or leave it out for a new thread."
    )
    assert reply.thread_id == "thr_missing"
    # Before, ChatKit also logged its traceback, which a notebook shows in the cell.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_ask_works_from_asyncio_run_outside_a_notebook() -> None:
    server = NotebookServer(store=SQLiteStore(":memory:"), namespace=NOTEBOOK)
    reply = asyncio.run(server.ask("/vars"))
    assert reply.error is None
    assert [c.name for c in reply.tool_calls] == ["show_variables"]
    assert kinds(reply.items) == ["widget", "assistant_message"]
    assert reply.text.startswith("Those are the 2 variables in your notebook.")


# -- from the widget --------------------------------------------------------------------------


async def test_widget_ask_works_with_any_server_and_no_view(store: Any, fake_comm: Any) -> None:
    w = ChatKitWidget(ScriptedServer(store))
    reply = await w.ask("hi")
    assert reply.text == "Hello, world"
    assert reply.error is None
    assert reply.usage is None  # this server reports none
    assert commands(fake_comm()) == []  # no view, nothing to tell

    again = await w.ask("more", thread_id=reply.thread_id)
    assert again.thread_id == reply.thread_id
    items = (await store.load_thread_items(reply.thread_id, None, 10, "asc", {})).data
    assert [i.type for i in items] == ["user_message", "assistant_message"] * 2
    # Listed with the chat's own requests.
    assert [(r.id, r.type, r.status, r.streaming) for r in w.requests] == [
        ("ask:1", "threads.create", 200, True),
        ("ask:2", "threads.add_user_message", 200, True),
    ]
    assert all(r.chunks > 0 and r.duration is not None for r in w.requests)


async def test_widget_ask_errors_land_in_errors(store: Any, fake_comm: Any) -> None:
    w = ChatKitWidget(Broken(store, KeyError("price"), early=True))
    reply = await w.ask("hi")
    assert reply.error == "KeyError: 'price'"
    (error,) = w.errors
    assert error.source == "ask"
    assert error.type == "KeyError"
    assert "in respond" in (error.traceback or "")


async def test_hosted_views_follow_an_ask(store: Any, fake_comm: Any) -> None:
    w = ChatKitWidget(ScriptedServer(store))
    await ready(w, "v1", renderer="chatkit")
    comm = fake_comm()

    task = asyncio.ensure_future(w.ask("hi"))
    await until(lambda: commands(comm), "a command")
    (opened,) = commands(comm)
    assert opened["name"] == p.COMMAND_SET_THREAD_ID
    reply = await task
    assert opened["args"] == [reply.thread_id]
    answer(w, opened)
    # The view reports the thread it switched to, as the front end does.
    w.comm.receive(
        {
            "kind": p.CALL,
            "id": "v1:tc",
            "view": "v1",
            "hook": p.HOOK_THREAD_CHANGE,
            "payload": {"thread_id": reply.thread_id},
        },
        [],
    )
    await w.wait_idle()
    assert w.thread_id == reply.thread_id

    # The next ask continues the thread on screen, and the view fetches each item.
    before = len(commands(comm))
    again = await w.ask("more")
    assert again.thread_id == reply.thread_id
    sent = commands(comm)[before:]
    assert {c["name"] for c in sent} == {p.COMMAND_FETCH_UPDATES}
    assert len(sent) == 2  # the user's message and the reply
    assert pushed(comm) == []  # the hosted component cannot take a pushed stream


def pushed(comm: Any) -> list[tuple[dict[str, Any], list[bytes]]]:
    return [(c, b) for c, b in comm.custom() if c["kind"] in (p.STREAM, p.STREAM_END)]


def pushed_events(comm: Any, rid: str) -> list[dict[str, Any]]:
    """The events of stream ``rid``, checked to be numbered without a gap and ended."""
    messages = [(c, b) for c, b in pushed(comm) if c["id"] == rid]
    *batches, (end, _) = messages
    assert [c["seq"] for c, _ in batches] == list(range(len(batches)))
    assert end["kind"] == p.STREAM_END
    assert end["total"] == len(batches)
    return sse_events(b"".join(b[0] for _, b in batches))


async def test_lite_views_get_the_ask_as_it_streams(store: Any, fake_comm: Any) -> None:
    w = ChatKitWidget(ScriptedServer(store), renderer="lite")
    comm = fake_comm()
    reply = await w.ask("hi")
    assert pushed(comm) == []  # no view open: nothing is sent

    await ready(w, "v1")
    again = await w.ask("more", new_thread=True)

    events = pushed_events(comm, "ask:2")
    assert [e["type"] for e in events[:2]] == ["thread.created", "thread.item.done"]
    assert events[0]["thread"]["id"] == again.thread_id != reply.thread_id
    assert events[1]["item"]["content"][0]["text"] == "more"
    assert text_of(events) == "Hello, world"
    assert events[-1]["type"] == "thread.item.done"
    first, *rest = [c for c, _ in pushed(comm)]
    # The first batch leaves before the thread is known; the view opens a new thread.
    assert first["thread_id"] is None
    assert {c["thread_id"] for c in rest} == {again.thread_id}
    assert "error" not in rest[-1]
    assert commands(comm) == []  # the lite view needs no command to follow


async def test_lite_views_get_an_agents_tool_calls_as_they_happen(
    store: Any, fake_comm: Any
) -> None:
    agent, _ = scripted(
        [function_call("inspect_variable", {"name": "sales"}, call_id="c1")],
        [assistant_message("Sales dipped.", item_id="m1")],
    )
    w = ChatKitWidget(NotebookServer(agent, store=store, namespace=NOTEBOOK), renderer="lite")
    comm = fake_comm()
    await ready(w, "v1")
    await w.ask("What is odd in sales?")
    # The tool call's task streams in (a workflow item) before the answer starts, as in a
    # typed turn.
    added = [e["item"] for e in pushed_events(comm, "ask:1") if e["type"] == "thread.item.added"]
    assert [i["type"] for i in added] == ["workflow", "assistant_message"]
    assert "inspect_variable" in json.dumps(added[0]["workflow"]["tasks"])


async def test_a_lite_views_stop_button_stops_the_ask(
    store: Any, fake_comm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chatkit_jupyter.bridge._bridge as bridge_module

    monkeypatch.setattr(bridge_module, "HEARTBEAT_S", 0.01)
    server = ScriptedServer(store)
    server.gate = asyncio.Event()
    w = ChatKitWidget(server, renderer="lite")
    comm = fake_comm()
    await ready(w, "v1")

    task = asyncio.ensure_future(w.ask("hi"))
    await asyncio.wait_for(server.started.wait(), 5)
    await until(lambda: pushed(comm), "the stream")
    # While it waits, beats say how many batches there were (a lost tail shows). On a loaded
    # machine a beat may come before the first batch: wait for one after it.
    await until(
        lambda: any(
            c["kind"] == p.BEAT and c["id"] == "ask:1" and c["sent"] > 0 for c, _ in comm.custom()
        ),
        "a beat after the first batch",
    )
    sent = [c for c, _ in comm.custom() if c["id"] == "ask:1"]
    for i, c in enumerate(sent):
        if c["kind"] == p.BEAT:  # every batch sent before it
            assert c["sent"] == sum(m["kind"] == p.STREAM for m in sent[:i])
    w.comm.receive({"kind": p.CANCEL, "id": "ask:1"}, [])
    reply = await asyncio.wait_for(task, 5)

    assert reply.error == "Stopped in the chat before the reply was complete."
    assert server.cancelled  # the server's run was cancelled, not left running
    (end, _) = pushed(comm)[-1]
    assert end["kind"] == p.STREAM_END
    assert "error" not in end  # the view that stopped it knows; an error would be noise
    assert w.requests[-1].cancelled


async def test_a_failure_outside_the_stream_ends_it_with_the_error(
    store: Any, fake_comm: Any
) -> None:
    w = ChatKitWidget(ScriptedServer(store), renderer="lite")
    comm = fake_comm()
    await ready(w, "v1")
    reply = await w.ask("hi", thread_id="thr_missing")
    ((end, _),) = pushed(comm)
    assert end == {
        "kind": p.STREAM_END,
        "id": "ask:1",
        "total": 0,
        "thread_id": "thr_missing",
        "error": reply.error,
    }


async def test_a_displayed_widget_without_a_view_does_not_wait_for_one(
    store: Any, fake_comm: Any
) -> None:
    w = ChatKitWidget(ScriptedServer(store))
    w._displayed()  # as after `%chatkit` in a headless run: a view is expected, none comes
    reply = await w.ask("hi")
    assert reply.text == "Hello, world"
    assert commands(fake_comm()) == []
    assert not [e for e in w.events if e.get("kind") == "command_error"]
    await asyncio.sleep(0)
    assert w._views._queue == []  # nothing left waiting (it would fail 20 s later)


class AsksTheClient(ChatKitServer[Any]):
    """Calls client tool ``get_selection``, then answers with what it returned."""

    def __init__(self, store: Any) -> None:
        super().__init__(store)

    async def respond(self, thread: Any, item: Any, context: Any) -> AsyncIterator[Any]:
        now = datetime.now()
        if item is not None:
            yield ThreadItemDoneEvent(
                item=ClientToolCallItem(
                    id=self.store.generate_item_id("tool_call", thread, context),
                    thread_id=thread.id,
                    created_at=now,
                    call_id="call_1",
                    name="get_selection",
                    arguments={"table": "sales"},
                )
            )
            return
        page = await self.store.load_thread_items(thread.id, None, 20, "desc", context)
        call = next(i for i in page.data if i.type == "client_tool_call")
        text = f"You selected {call.output}."
        yield ThreadItemDoneEvent(
            item=AssistantMessageItem(
                id=self.store.generate_item_id("message", thread, context),
                thread_id=thread.id,
                created_at=now,
                content=[AssistantMessageContent(text=text)],
            )
        )


async def test_widget_ask_answers_client_tools_with_the_python_handler(
    store: Any, fake_comm: Any
) -> None:
    w = ChatKitWidget(AsksTheClient(store))

    @w.client_tool("get_selection")
    def selection(params: dict[str, Any]) -> dict[str, Any]:
        return {"rows": [1, 2], "table": params["table"]}

    reply = await w.ask("use my selection")

    assert reply.error is None
    assert reply.text == "You selected {'rows': [1, 2], 'table': 'sales'}."
    assert reply.tool_calls == [
        ToolCall("get_selection", {"table": "sales"}, {"rows": [1, 2], "table": "sales"})
    ]
    assert [i.type for i in reply.items] == ["client_tool_call", "assistant_message"]


async def test_lite_views_see_a_client_tool_of_an_ask_complete(store: Any, fake_comm: Any) -> None:
    w = ChatKitWidget(AsksTheClient(store), renderer="lite")
    comm = fake_comm()
    await ready(w, "v1")
    w.client_tool("get_selection")(lambda params: {"rows": [3]})

    reply = await w.ask("use my selection")

    assert [r.id for r in w.requests] == ["ask:1", "ask:1.2"]
    events = pushed_events(comm, "ask:1")  # one stream for the whole turn
    (replaced,) = [e for e in events if e["type"] == "thread.item.replaced"]
    assert replaced["item"]["status"] == "completed"
    assert replaced["item"]["output"] == {"rows": [3]}
    assert events[-1]["item"]["content"][0]["text"] == reply.text


async def test_a_client_tool_without_a_handler_is_explained(store: Any, fake_comm: Any) -> None:
    w = ChatKitWidget(AsksTheClient(store))
    reply = await w.ask("use my selection")
    assert reply.error is None
    (call,) = reply.tool_calls
    assert call.output == {
        "error": "LookupError: The server called client tool 'get_selection', which has no "
        "Python handler; register one with @w.client_tool('get_selection')."
    }
    assert reply.text.startswith("You selected {'error': ")


@pytest.mark.parametrize(
    ("returned", "why"),
    [
        ({"when": datetime(2025, 1, 1)}, "Object of type datetime is not JSON serializable"),
        ({"x": float("nan")}, "Out of range float values are not JSON compliant"),
    ],
)
async def test_a_client_tool_output_that_is_not_json_is_its_error_in_ask_and_in_a_view(
    store: Any, returned: dict[str, Any], why: str
) -> None:
    # Before, ask() ended the reply with a bare TypeError (or a "Malformed ChatKit request" for
    # NaN), leaving the tool call pending; a view got a message without the tool's name.
    w = ChatKitWidget(AsksTheClient(store))
    w.client_tool("get_selection")(lambda params: returned)
    message = (
        f"TypeError: Client tool 'get_selection' returned a dict that is not JSON ({why}); use "
        "strings, numbers, booleans, None, lists and dicts (e.g. str() a date, .tolist() an "
        "array)."
    )

    reply = await w.ask("use my selection")

    assert reply.error is None
    assert reply.tool_calls[0].output == {"error": message}
    assert reply.text == f"You selected {{'error': {message!r}}}."
    viewed = await call(w, p.HOOK_CLIENT_TOOL, {"name": "get_selection", "params": {}})
    assert viewed["message"] == message
    assert [(e["source"], e["text"]) for e in w.log] == [("client_tool get_selection", message)] * 2


async def test_a_client_tool_may_return_a_pydantic_model(store: Any) -> None:
    class Selection(BaseModel):
        rows: list[int]
        note: str | None = None

    w = ChatKitWidget(AsksTheClient(store))
    w.client_tool("get_selection")(lambda params: Selection(rows=[1]))
    reply = await w.ask("use my selection")
    assert reply.tool_calls[0].output == {"rows": [1]}


async def test_at_names_in_ask_are_tags(store: Any) -> None:
    model = ScriptedModel([[assistant_message("ok", item_id="m1")]])
    server = NotebookServer(Agent(name="a", model=model), store=store, namespace=NOTEBOOK)

    reply = await server.ask("what is odd in @sales? (not @nobody, nor a@b)")

    stored = (await store.load_thread_items(reply.thread_id, None, 10, "asc", {})).data
    assert [c.model_dump(include={"type", "text"}) for c in stored[0].content] == [
        {"type": "input_text", "text": "what is odd in "},
        {"type": "input_tag", "text": "sales"},
        {"type": "input_text", "text": "? (not @nobody, nor a@b)"},
    ]
    seen = json.dumps(model.calls[0].input)
    assert "The user tagged the notebook variable `sales`." in seen
    assert (await store.load_thread(reply.thread_id, {})).title == (
        "what is odd in @sales? (not @nobody, nor a@b)"
    )


async def test_offline_ask_with_a_tag_shows_the_variable(store: Any, fake_comm: Any) -> None:
    server = NotebookServer(store=store, namespace=NOTEBOOK)
    w = ChatKitWidget(server)
    w.entity_search(server.search_variables)
    reply = await w.ask("look at @threshold")
    assert [c.name for c in reply.tool_calls] == ["show_variable"]
    assert reply.text == "That's `threshold`, a `float`."


async def test_a_broken_entity_search_leaves_the_text_as_it_is(store: Any, fake_comm: Any) -> None:
    w = ChatKitWidget(ScriptedServer(store))

    @w.entity_search
    def broken(query: str) -> list[Any]:
        raise RuntimeError("index offline")

    reply = await w.ask("hi @sales")
    assert reply.text == "Hello, world"
    assert [e["text"] for e in w.log] == ["RuntimeError: index offline"]


async def test_widget_ask_to_an_unknown_thread_is_in_errors(store: Any, fake_comm: Any) -> None:
    w = ChatKitWidget(ScriptedServer(store))
    reply = await w.ask("hi", thread_id="thr_missing")
    assert reply.error is not None
    assert "thr_missing" in reply.error
    (error,) = w.errors
    assert (error.source, error.type) == ("ask", "NotFoundError")
    assert error.traceback is not None
    (record,) = w.requests
    assert (record.status, record.error) == (500, reply.error)


def test_a_reply_shows_briefly() -> None:
    reply = Reply(text="x" * 100, tool_calls=[ToolCall("t", {})], thread_id="thr_1", duration=1.5)
    assert repr(reply) == (
        f"Reply(text='{'x' * 79}…', tool_calls=['t'], items=0, thread_id='thr_1', duration=1.50)"
    )
    assert str(Reply(text="hi", error="boom")) == "hi\n[error] boom"
