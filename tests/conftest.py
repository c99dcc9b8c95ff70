"""Shared fixtures: a fake comm that records what the widget sends, and scripted servers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import ipywidgets.widgets.widget as ipywidget_module
import pytest
from chatkit.server import ChatKitServer
from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadMetadata,
    ThreadStreamEvent,
    UserMessageItem,
)


class FakeComm:
    """Stands in for the kernel comm: records every message the widget sends (as anywidget's
    own tests do with MockComm)."""

    kernel = True
    comm_id = "fake-comm"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sent: list[tuple[dict[str, Any], list[bytes]]] = []

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        self.sent.append((data, [bytes(b) for b in buffers or []]))

    def on_msg(self, callback: Any) -> None:
        pass

    def on_close(self, callback: Any) -> None:
        pass

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def custom(self) -> list[tuple[dict[str, Any], list[bytes]]]:
        """The custom messages (the bridge's), in order."""
        return [
            (d["content"], b)
            for d, b in self.sent
            if isinstance(d, dict) and d.get("method") == "custom"
        ]


@pytest.fixture
def fake_comm(monkeypatch: pytest.MonkeyPatch) -> Callable[[], FakeComm]:
    """Every widget made in the test gets a FakeComm; returns a getter for the latest."""
    made: list[FakeComm] = []

    def create_comm(*args: Any, **kwargs: Any) -> FakeComm:
        comm = FakeComm()
        made.append(comm)
        return comm

    monkeypatch.setattr(ipywidget_module.comm, "create_comm", create_comm)
    return lambda: made[-1]


class ScriptedServer(ChatKitServer[Any]):
    """A ChatKitServer whose reply is a scripted list of text deltas.

    ``gate`` (if set) is awaited after the first delta, so a test can cancel mid-stream.
    """

    def __init__(self, store: Any, deltas: list[str] | None = None) -> None:
        super().__init__(store)
        self.deltas = deltas if deltas is not None else ["Hello", ", ", "world"]
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()
        self.cancelled: list[list[Any]] = []
        self.fail_with: Exception | None = None
        self.loops: list[asyncio.AbstractEventLoop] = []

    async def respond(
        self, thread: ThreadMetadata, input_user_message: UserMessageItem | None, context: Any
    ) -> AsyncIterator[ThreadStreamEvent]:
        self.loops.append(asyncio.get_running_loop())
        if self.fail_with is not None:
            raise self.fail_with
        item = AssistantMessageItem(
            id=self.store.generate_item_id("message", thread, context),
            thread_id=thread.id,
            created_at=datetime.now(),
            content=[AssistantMessageContent(text="")],
        )
        yield ThreadItemAddedEvent(item=item)
        text = ""
        for i, delta in enumerate(self.deltas):
            text += delta
            yield ThreadItemUpdatedEvent(
                item_id=item.id,
                update=AssistantMessageContentPartTextDelta(content_index=0, delta=delta),
            )
            if i == 0:
                self.started.set()
                if self.gate is not None:
                    await self.gate.wait()
        item.content = [AssistantMessageContent(text=text)]
        yield ThreadItemDoneEvent(item=item)

    async def handle_stream_cancelled(
        self, thread: Any, pending_items: list[Any], context: Any
    ) -> None:
        self.cancelled.append(pending_items)
        await super().handle_stream_cancelled(thread, pending_items, context)


@pytest.fixture
def store() -> Any:
    from chatkit_jupyter import SQLiteStore

    return SQLiteStore(":memory:")


def user_message(
    text: str,
    thread_id: str | None = None,
    *,
    attachments: list[str] | None = None,
    model: str | None = None,
) -> str:
    """The JSON body ChatKit sends for a new message (a new thread when no id)."""
    content = {
        "content": [{"type": "input_text", "text": text}],
        "attachments": attachments or [],
        "inference_options": {"model": model} if model else {},
    }
    if thread_id is None:
        return json.dumps({"type": "threads.create", "params": {"input": content}})
    return json.dumps(
        {"type": "threads.add_user_message", "params": {"thread_id": thread_id, "input": content}}
    )


async def turn(server: ChatKitServer[Any], body: str, context: Any = None) -> list[dict[str, Any]]:
    """Run one streamed request through ``server.process`` and parse the SSE frames."""
    from chatkit.server import StreamingResult

    result = await server.process(body, {} if context is None else context)
    assert isinstance(result, StreamingResult)
    events = []
    async for frame in result:
        assert frame.startswith(b"data: ")
        assert frame.endswith(b"\n\n")
        events.append(json.loads(frame[len(b"data: ") :]))
    return events


def sse_events(data: bytes) -> list[dict[str, Any]]:
    """Parse SSE bytes (``data: <json>\\n\\n`` frames) into events."""
    events = []
    for frame in data.decode().split("\n\n"):
        if frame.startswith("data: "):
            events.append(json.loads(frame[len("data: ") :]))
    return events
