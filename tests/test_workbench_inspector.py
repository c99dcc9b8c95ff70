"""The inspector's record (``ChatKitWidget.inspector``), and a closed view that stops its work.

A real ``ChatKitWidget`` on a fake comm (the front end is played by ``Client``), a real
``NotebookServer`` with a scripted model, and for the cancel tests a real OpenAI-compatible
HTTP server on 127.0.0.1 (``tests/openai_stub.py``) that notices when its client hangs up."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from agents import Agent, Usage, function_tool
from agents.testing import ScriptedModel, assistant_message, function_call

import chatkit_jupyter.bridge._bridge as bridge_module
from chatkit_jupyter import ChatKitWidget, NotebookServer
from chatkit_jupyter.bridge import _protocol as p
from chatkit_jupyter.workbench import InspectedEndpoint, Inspector
from chatkit_jupyter.workbench._inspector import MAX_LAZY

from .conftest import Client, call, user_message
from .openai_stub import OpenAIStub, text_reply

SECRET = "sk-test-0123456789abcdefSECRET"


pytestmark = pytest.mark.usefixtures("no_model_configured")


def scripted_widget(store: Any, **kwargs: Any) -> ChatKitWidget:
    @function_tool
    def lookup(city: str) -> str:
        """Looks a city up."""
        return f"{city}: 12 degrees; token {SECRET}"

    model = ScriptedModel(
        [
            [function_call("lookup", {"city": "Oslo"}, call_id="c1")],
            [assistant_message("It is 12 degrees.", item_id="m1")],
        ]
    )
    agent = Agent(name="weather", instructions="x", model=model, tools=[lookup])
    return ChatKitWidget(NotebookServer(agent, store=store, namespace={}), **kwargs)


def inspect_messages(comm: Any) -> list[dict[str, Any]]:
    return [c for c, _ in comm.custom() if c["kind"] == p.INSPECT]


async def test_a_turn_is_recorded_and_sent_in_batches(fake_comm: Any, store: Any) -> None:
    widget = scripted_widget(store, inspector=True)
    client = Client(widget, fake_comm())

    text, _events = await client.text(user_message("weather in Oslo?"))
    assert text == "It is 12 degrees."
    while (
        not inspect_messages(client.comm)
        or inspect_messages(client.comm)[-1]["entries"][-1]["kind"] != "response"
    ):
        await asyncio.sleep(0.05)

    entries = widget.inspector_entries
    assert {e["turn"] for e in entries} == {1}
    kinds = [e["kind"] for e in entries]
    assert kinds[0] == "request"
    assert kinds[-1] == "response"
    assert entries[0]["data"]["type"] == "threads.create"
    assert entries[0]["data"]["params"]["input"]["content"][0]["text"] == "weather in Oslo?"
    steps = [e for e in entries if e["kind"] == "step"]
    assert [s["data"]["kind"] for s in steps] == ["model", "tool", "model"]
    assert steps[1]["data"]["name"] == "lookup"
    assert "Oslo" in steps[1]["data"]["arguments"]
    assert steps[0]["data"]["seconds"] >= 0
    stream = [e["title"] for e in entries if e["kind"] == "event"]
    assert any(t.startswith("thread.item.added workflow") for t in stream)
    assert any(t.startswith("text deltas") for t in stream)  # deltas folded into one entry
    assert entries[-1]["data"]["outcome"] == "done"
    # Redacted, JSON, and sent in a few batches rather than one message per event.
    assert SECRET not in json.dumps(entries)
    sent = [e for m in inspect_messages(client.comm) for e in m["entries"]]
    assert [e["seq"] for e in sent] == [e["seq"] for e in entries]
    assert len(inspect_messages(client.comm)) < len(entries) / 2


async def test_a_view_that_opens_the_panel_gets_everything_so_far(
    fake_comm: Any, store: Any
) -> None:
    widget = scripted_widget(store)  # panel closed: nothing is sent, all is kept
    client = Client(widget, fake_comm())
    await client.text(user_message("weather?"))
    assert inspect_messages(client.comm) == []
    widget._inspector.add_log({"time": "now", "source": "on_action", "kind": "print", "text": "hi"})

    result = await call(widget, p.HOOK_INSPECT, {})

    entries = result["value"]["entries"]
    assert entries == widget.inspector_entries
    assert entries[-1]["kind"] == "log"
    assert entries[-1]["data"]["text"] == "hi"
    assert entries[-1]["turn"] == 1  # handler output between turns joins the last one


async def test_front_end_errors_are_handler_output(fake_comm: Any, store: Any) -> None:
    widget = scripted_widget(store)
    fake_comm()
    await call(widget, p.HOOK_LOG, {"name": "error", "data": {"message": f"bad {SECRET}"}})
    (entry,) = [e for e in widget.inspector_entries if e["kind"] == "log"]
    assert "bad" in json.dumps(entry)
    assert SECRET not in json.dumps(entry)


# -- a closed view stops its work ---------------------------------------------------------------


async def slow_turn(
    fake_comm: Any,
    store: Any,
    monkeypatch: pytest.MonkeyPatch,
    stub: OpenAIStub,
    *,
    alive: bool = True,
) -> tuple[ChatKitWidget, Client, str]:
    monkeypatch.setattr(bridge_module, "HEARTBEAT_S", 0.05)
    monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
    monkeypatch.setenv("OPENAI_MODEL", "stub-model")
    widget = ChatKitWidget(NotebookServer(store=store, namespace={}))
    client = Client(widget, fake_comm())
    rid = "v1:story"
    # As the page sends it: it answers beats (`alive`), so its silence can be noticed.
    request = {"kind": p.REQUEST, "id": rid, "view": client.view, "url": p.API_URL}
    if alive:
        request["alive"] = True
    client.comm.receive(request, [user_message("tell me a long story").encode()])
    # Mid-reply: the model is streaming and its text reaches the page.
    while not any(b"text_delta" in b[0] for c, b in client.comm.custom() if c["kind"] == p.CHUNK):
        await asyncio.sleep(0.02)
    assert len(stub.requests) == 1
    return widget, client, rid


def long_story() -> list[list[dict[str, Any]]]:
    return [text_reply("once upon a time " * 100, pieces=200)]


async def test_closing_the_output_cancels_the_model_request(
    fake_comm: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIStub(long_story(), chunk_delay=0.02) as stub:
        widget, client, rid = await slow_turn(fake_comm, store, monkeypatch, stub)
        client.comm.receive({"kind": p.VIEW_CLOSED, "view": client.view}, [])
        await asyncio.wait_for(widget.wait_idle(), 5)
        for _ in range(100):  # the stub notices on its next write
            if stub.requests[0].get("aborted"):
                break
            await asyncio.sleep(0.05)
    assert [r.cancelled for r in widget.requests if r.id == rid] == [True]
    assert stub.requests[0].get("aborted") is True
    assert "turn.cancelled" in [e["type"] for e in widget.server.events]  # type: ignore[union-attr]


async def test_a_view_that_stops_answering_beats_is_cancelled(
    fake_comm: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A closed notebook tab sends nothing at all; the page answered the beats until then.
    with OpenAIStub(long_story(), chunk_delay=0.02) as stub:
        widget, client, rid = await slow_turn(fake_comm, store, monkeypatch, stub)
        while not any(c["kind"] == p.BEAT and c["id"] == rid for c, _ in client.comm.custom()):
            await asyncio.sleep(0.02)
        client.comm.receive({"kind": p.ALIVE, "id": rid}, [])
        # ... then the tab closes: silence.
        await asyncio.wait_for(widget.wait_idle(), 5)
        for _ in range(100):
            if stub.requests[0].get("aborted"):
                break
            await asyncio.sleep(0.05)
    assert [r.cancelled for r in widget.requests if r.id == rid] == [True]
    assert stub.requests[0].get("aborted") is True


async def test_a_view_that_never_said_it_answers_beats_is_not_cancelled(
    fake_comm: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIStub([text_reply("short and sweet", pieces=20)], chunk_delay=0.02) as stub:
        widget, _client, rid = await slow_turn(fake_comm, store, monkeypatch, stub, alive=False)
        await asyncio.wait_for(widget.wait_idle(), 10)
    assert [r.cancelled for r in widget.requests if r.id == rid] == [False]
    assert "aborted" not in stub.requests[0]


async def test_a_view_that_answers_beats_keeps_its_stream(
    fake_comm: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIStub([text_reply("short and sweet", pieces=20)], chunk_delay=0.02) as stub:
        widget, client, rid = await slow_turn(fake_comm, store, monkeypatch, stub)
        seen: set[int] = set()
        while widget.pending_requests:
            beats = [i for i, (c, _) in enumerate(client.comm.custom()) if c["kind"] == p.BEAT]
            for i in beats:
                if i not in seen:
                    seen.add(i)
                    client.comm.receive({"kind": p.ALIVE, "id": rid}, [])
            await asyncio.sleep(0.01)
    assert len(seen) > bridge_module.MISSED_BEATS  # long enough to have been cancelled
    assert [r.cancelled for r in widget.requests if r.id == rid] == [False]
    assert "aborted" not in stub.requests[0]


async def test_stream_events_are_recorded_when_read_in_order_and_redacted() -> None:
    # The record of a stream is made when someone reads it, not while the reply streams;
    # what it shows is the same: order, titles, counted deltas, redaction, big events cut.
    sent: list[list[dict[str, Any]]] = []
    inspector = Inspector(sent.append, lambda: False)

    def frame(event: dict[str, Any]) -> bytes:  # compact, as ChatKit (pydantic) writes it
        return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"

    delta = {
        "type": "thread.item.updated",
        "item_id": "m1",
        "update": {"type": "assistant_message.content_part.text_delta", "delta": "x"},
    }
    other = dict(delta, item_id="m2")
    done = {"type": "thread.item.done", "item": {"type": "assistant_message", "id": "m1",
            "content": [{"text": f"key {SECRET}"}]}}  # fmt: skip
    big = {"type": "thread.item.done", "item": {"type": "assistant_message", "id": "m3",
           "content": [{"text": "y" * (MAX_LAZY + 10)}]}}  # fmt: skip
    frames = [frame(delta)] * 3 + [frame(other), frame(done), b"data: {not json\n\n", frame(big)]

    async def endpoint(body: bytes, origin: str) -> AsyncIterator[bytes]:
        async def stream() -> AsyncIterator[bytes]:
            for f in frames[:-2]:
                yield f
            yield frames[-2][:5]  # a frame split across chunks is joined first
            yield frames[-2][5:] + frames[-1]

        return stream()

    body = json.dumps({"type": "threads.create", "params": {"note": SECRET}}).encode()
    stream = await InspectedEndpoint(endpoint, inspector)(body)
    assert not isinstance(stream, bytes)
    assert b"".join([chunk async for chunk in stream]) == b"".join(frames)

    entries = inspector.snapshot()
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    assert [e["title"] for e in entries] == [
        "threads.create",
        "text deltas x3 m1",
        "text deltas x1 m2",
        "thread.item.done assistant_message m1",
        "event (not JSON)",
        "thread.item.done assistant_message m3",
        "stream done, 7 events",
    ]
    assert all(isinstance(e["time"], str) and "T" in e["time"] for e in entries)
    assert SECRET not in json.dumps(entries)
    assert entries[3]["data"]["item"]["id"] == "m1"
    assert "truncated" in entries[5]["data"]
    assert sent == []  # the panel is closed: nothing went to the views


async def test_an_open_panel_gets_entries_made_when_they_are_sent() -> None:
    sent: list[list[dict[str, Any]]] = []
    inspector = Inspector(sent.append, lambda: True)

    async def endpoint(body: bytes, origin: str) -> bytes:
        return json.dumps({"data": [{"id": "t1", "title": f"uses {SECRET}"}]}).encode()

    body = json.dumps({"type": "threads.list", "params": {}}).encode()
    await InspectedEndpoint(endpoint, inspector)(body)
    inspector.flush()
    (batch,) = sent
    assert [e["kind"] for e in batch] == ["request", "response"]
    assert batch[1]["data"]["body"]["data"][0]["id"] == "t1"
    assert SECRET not in json.dumps(batch)
    assert batch == inspector.snapshot()


async def test_a_model_steps_token_counts_are_shown(fake_comm: Any, store: Any) -> None:
    # They read "<redacted>": "input_tokens" is a secret-like name to the redaction rule.
    model = ScriptedModel(
        [[assistant_message("Hi.", item_id="m1")]],
        default_usage=Usage(requests=1, input_tokens=812, output_tokens=9, total_tokens=821),
    )
    server = NotebookServer(Agent(name="a", model=model), store=store, namespace={})
    widget = ChatKitWidget(server, inspector=True)

    reply = await widget.ask("hi")

    assert reply.text == "Hi."
    (step,) = [e["data"] for e in widget.inspector_entries if e["kind"] == "step"]
    assert (step["input_tokens"], step["output_tokens"], step["total_tokens"]) == (812, 9, 821)
    # A string under such a name is still hidden, and so is any other secret-like name.
    widget._inspector.add(
        "log", "x", {"refresh_tokens": SECRET, "api_key": 12, "max_tokens": True}, turn=1
    )
    assert widget.inspector_entries[-1]["data"] == {
        "refresh_tokens": "<redacted>",
        "api_key": "<redacted>",
        "max_tokens": "<redacted>",
    }
