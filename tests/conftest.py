"""What the tests share, in one place: the fake comm (every widget made in any test gets one), a
scripted ChatKit server, stores and users, and helpers that play the front end's part."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
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

from chatkit_jupyter.bridge import _protocol as p


class FakeComm:
    """Stands in for the kernel's comm, as anywidget's ``MockComm`` does: records every message
    the widget sends, and ``receive`` delivers a front-end message through the callback the
    widget registered with ``on_msg``, wrapped the way the kernel wraps it."""

    kernel = True
    _ids = itertools.count()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.comm_id = f"fake-comm-{next(self._ids)}"
        self.sent: list[tuple[dict[str, Any], list[bytes]]] = []
        self.closed = False
        self._on_msg: Callable[[dict[str, Any]], None] | None = None

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        assert not self.closed, "the widget sent a message on a closed comm"
        self.sent.append((data, [bytes(b) for b in buffers or []]))

    def on_msg(self, callback: Callable[[dict[str, Any]], None] | None) -> None:
        self._on_msg = callback

    def on_close(self, callback: Any) -> None:
        pass

    def close(self, *args: Any, **kwargs: Any) -> None:
        self.closed = True

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def receive(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        """Deliver a custom message from the front end, as the kernel does (buffers arrive as
        memoryviews). An exception in the widget fails the test: ipywidgets only logs it."""
        assert not self.closed, "the kernel delivers nothing on a closed comm"
        assert self._on_msg is not None, "no widget listens on this comm"
        msg = {
            "content": {
                "comm_id": self.comm_id,
                "data": {"method": "custom", "content": content},
            },
            "buffers": [memoryview(b) for b in buffers or []],
        }
        owner = getattr(self._on_msg, "__self__", None)
        log: logging.Logger | None = getattr(owner, "log", None)
        failures: list[logging.LogRecord] = []
        catcher = _Catcher(failures)
        if log is not None:
            log.addHandler(catcher)
        try:
            self._on_msg(msg)
        finally:
            if log is not None:
                log.removeHandler(catcher)
        if failures:
            record = failures[0]
            raise AssertionError(record.getMessage()) from (
                record.exc_info[1] if record.exc_info else None
            )

    def custom(self) -> list[tuple[dict[str, Any], list[bytes]]]:
        """The custom messages (the bridge's), in order."""
        return [
            (d["content"], b)
            for d, b in self.sent
            if isinstance(d, dict) and d.get("method") == "custom"
        ]


class _Catcher(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@pytest.fixture(autouse=True)
def comms(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[FakeComm]]:
    """Every widget made in any test gets a FakeComm; at the end no comm may leak.

    A widget the test left open is closed here, and closing it must close its comm and take it
    out of ipywidgets' registry of live widgets (which would otherwise keep it, its server and
    its store alive for the rest of the process).
    """
    made: list[FakeComm] = []

    def create_comm(*args: Any, **kwargs: Any) -> FakeComm:
        comm = FakeComm()
        made.append(comm)
        return comm

    monkeypatch.setattr(ipywidget_module.comm, "create_comm", create_comm)
    before = set(ipywidget_module._instances)
    yield made
    for comm in made:
        widget = getattr(comm._on_msg, "__self__", None)
        if widget is not None and not comm.closed:
            widget.close()
        assert comm.closed, f"{comm.comm_id} of {type(widget).__name__} stayed open after close()"
    leaked = set(ipywidget_module._instances) - before
    assert not leaked, f"widgets left in ipywidgets' registry: {sorted(leaked)}"


@pytest.fixture
def fake_comm(comms: list[FakeComm]) -> Callable[[], FakeComm]:
    """A getter for the comm of the widget made last."""
    return lambda: comms[-1]


class Client:
    """Plays the front end's part of the protocol against one widget."""

    def __init__(self, widget: Any, comm: FakeComm | None = None, view: str = "v1") -> None:
        self.widget = widget
        self.comm: FakeComm = widget.comm if comm is None else comm
        self.view = view
        self.n = 0

    def request(self, body: bytes | str, url: str | None = None) -> str:
        self.n += 1
        rid = f"{self.view}:{self.n}"
        data = body.encode() if isinstance(body, str) else body
        self.comm.receive(
            {"kind": p.REQUEST, "id": rid, "view": self.view, "url": url or p.API_URL}, [data]
        )
        return rid

    def cancel(self, rid: str) -> None:
        self.comm.receive({"kind": p.CANCEL, "id": rid}, [])

    def messages(self, rid: str) -> list[tuple[dict[str, Any], list[bytes]]]:
        return [(c, b) for c, b in self.comm.custom() if c.get("id") == rid]

    def body(self, rid: str) -> tuple[dict[str, Any], bytes]:
        """Reassemble a response as the JS bridge does, checking numbering."""
        msgs = self.messages(rid)
        assert msgs, f"no answer for {rid}"
        first, buffers = msgs[0]
        if first["kind"] == p.RESPONSE:
            return first, buffers[0]
        if first["kind"] == p.ERROR:
            return first, b""
        assert first["kind"] == p.HEAD
        # The head carries the first batch, if the stream has one: chunk 0.
        data = bytes(buffers[0]) if buffers else b""
        seq = 1 if buffers else 0
        end = None
        for content, bufs in msgs[1:]:
            if content["kind"] == p.CHUNK:
                assert content["seq"] == seq
                seq += 1
                data += bufs[0]
            elif content["kind"] == p.END:
                end = content
        assert end is not None, "stream never ended"
        assert end["total"] == seq
        return first, data

    async def text(self, body: str) -> tuple[str, list[dict[str, Any]]]:
        """Send a ChatKit request, wait for its answer; the assistant's text and the events."""
        rid = self.request(body)
        await self.widget.wait_idle()
        head, data = self.body(rid)
        assert head.get("status") == 200, head
        events = sse_events(data)
        return text_of(events), events


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


@dataclass
class Ctx:
    """A request context with a ``user_id`` attribute, as ChatKit's examples use."""

    user_id: str


ALICE = Ctx("alice")
BOB = Ctx("bob")
T0 = datetime(2025, 1, 1, 12, 0, 0)


@pytest.fixture
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A ``SQLiteStore`` in a file, closed after the test. Parametrized indirectly with
    ``"file"``, ``"memory"`` or ``"shared-uri"`` it opens that kind of database instead."""
    import uuid

    from chatkit_jupyter import SQLiteStore

    target = {
        "file": str(tmp_path / "chatkit.db"),
        "memory": ":memory:",
        "shared-uri": f"file:test-{uuid.uuid4().hex}?mode=memory&cache=shared",
    }[getattr(request, "param", "file")]
    opened = SQLiteStore(target)
    yield opened
    opened.close()


def thread(thread_id: str, at: datetime = T0, **fields: Any) -> ThreadMetadata:
    return ThreadMetadata(id=thread_id, created_at=at, **fields)


def message(
    item_id: str, thread_id: str = "thr_a", at: datetime = T0, text: str = "hi"
) -> AssistantMessageItem:
    return AssistantMessageItem(
        id=item_id,
        thread_id=thread_id,
        created_at=at,
        content=[AssistantMessageContent(text=text)],
    )


_call_ids = itertools.count()


async def call(widget: Any, hook: str, payload: Any) -> dict[str, Any]:
    """Send one ``call`` over the widget's comm as the front end would; the kernel's ``result``."""
    rid = f"v1:call{next(_call_ids)}"
    widget.comm.receive({"kind": p.CALL, "id": rid, "hook": hook, "payload": payload})
    await widget.wait_idle()
    (result,) = [c for c, _ in widget.comm.custom() if c.get("id") == rid]
    assert result["kind"] == p.RESULT
    return dict(result)


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


def text_of(events: list[dict[str, Any]]) -> str:
    """The assistant's text in a list of ChatKit stream events (its text deltas joined)."""
    return "".join(
        e["update"]["delta"]
        for e in events
        if e["type"] == "thread.item.updated"
        and e["update"]["type"] == "assistant_message.content_part.text_delta"
    )


def ipython() -> Any:
    """A real IPython shell for a test. Call ``InteractiveShell.clear_instance()`` when done, as
    with ``InteractiveShell.instance()``.

    Without the SQLite history and IPython's exit hook: every shell ever made runs that hook at
    interpreter exit (a namespace reset and a ``gc.collect()`` each), ~0.4 s apiece, 45 s over
    the suite after its last test.
    """
    import atexit

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    ip = InteractiveShell.instance(config=config)
    atexit.unregister(ip.atexit_operations)
    return ip


MODEL_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "CHATKIT_JUPYTER_MODEL")
"""The environment that picks a model; tests of the offline path run without it."""


@pytest.fixture
def no_model_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """No model from the environment (a module opts in with
    ``pytestmark = pytest.mark.usefixtures("no_model_configured")``)."""
    for name in MODEL_ENV:
        monkeypatch.delenv(name, raising=False)
