"""The comm bridge, driven through a real ChatKitWidget on a fake comm."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
import time
from typing import Any

import pytest
from chatkit.types import SDKHiddenContextItem

from chatkit_jupyter import ChatKitWidget
from chatkit_jupyter.bridge import Bridge, RequestError
from chatkit_jupyter.bridge import _protocol as p
from chatkit_jupyter.bridge._bridge import BATCH_MAX_BYTES, BATCH_WINDOW_S, _Batcher

from .conftest import Client, ScriptedServer, call, sse_events, user_message


@pytest.fixture
def make(fake_comm: Any, store: Any) -> Any:
    def make(
        deltas: list[str] | None = None, **kwargs: Any
    ) -> tuple[ChatKitWidget, Client, ScriptedServer]:
        server = ScriptedServer(store, deltas)
        widget = ChatKitWidget(server, **kwargs)
        return widget, Client(widget, fake_comm()), server

    return make


async def test_streamed_reply_arrives_whole_and_numbered(make: Any) -> None:
    widget, client, _ = make()
    rid = client.request(user_message("hi"))
    await widget.wait_idle()
    head, data = client.body(rid)
    assert head["status"] == 200
    assert head["content_type"] == "text/event-stream"
    events = sse_events(data)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "thread.created"
    deltas = [e["update"]["delta"] for e in events if e["type"] == "thread.item.updated"]
    assert "".join(deltas) == "Hello, world"
    assert kinds[-1] in ("thread.item.done", "thread.updated")
    record = widget.requests[-1]
    assert (record.type, record.status, record.streaming) == ("threads.create", 200, True)


async def test_non_streaming_request_gets_json(make: Any) -> None:
    widget, client, _ = make()
    client.request(user_message("first"))
    await widget.wait_idle()
    rid = client.request(json.dumps({"type": "threads.list", "params": {"limit": 10}}))
    await widget.wait_idle()
    head, body = client.body(rid)
    assert (head["kind"], head["status"], head["content_type"]) == (
        p.RESPONSE,
        200,
        "application/json",
    )
    page = json.loads(body)
    assert len(page["data"]) == 1


async def test_five_thousand_deltas_are_batched_and_none_lost(make: Any) -> None:
    deltas = [f"<{i}>" for i in range(5000)]
    widget, client, _ = make(deltas)
    rid = client.request(user_message("stream"))
    await widget.wait_idle()
    _, data = client.body(rid)
    got = [e["update"]["delta"] for e in sse_events(data) if e["type"] == "thread.item.updated"]
    assert got == deltas
    chunks = [c for c, _ in client.messages(rid) if c["kind"] == p.CHUNK]
    # Far fewer messages than events: that is what keeps us under Jupyter's iopub rate limit.
    assert len(chunks) < 100
    assert (
        max(len(b[0]) for c, b in client.messages(rid) if c["kind"] == p.CHUNK)
        <= BATCH_MAX_BYTES + 1024
    )


async def test_first_event_goes_out_at_once_then_batching_starts() -> None:
    sent: list[bytes] = []
    batcher = _Batcher(lambda data: sent.append(bytes(data)))
    batcher.add(b"first")
    assert sent == [b"first"], "the first event of a stream must not wait for a window"
    batcher.add(b"a")
    batcher.add(b"b")
    assert sent == [b"first"], "events right after a send are collected"
    await asyncio.sleep(BATCH_WINDOW_S * 3)  # the timer closes the batch
    assert sent == [b"first", b"ab"]
    await asyncio.sleep(BATCH_WINDOW_S * 2)
    batcher.add(b"after a pause")  # a quiet stream (a slow model's tokens) is not held either
    assert sent[-1] == b"after a pause"
    batcher.add(b"x" * BATCH_MAX_BYTES)  # the size cap sends at once, inside a window too
    assert sent[-1] == b"x" * BATCH_MAX_BYTES


async def test_cancel_stops_the_task_and_keeps_the_thread_consistent(make: Any, store: Any) -> None:
    widget, client, server = make(["partial ", "never sent"])
    server.gate = asyncio.Event()  # never set: the reply hangs after its first delta
    rid = client.request(user_message("long answer please"))
    await asyncio.wait_for(server.started.wait(), 5)
    assert widget.pending_requests == 1
    client.cancel(rid)
    await asyncio.wait_for(widget.wait_idle(), 5)
    assert widget.pending_requests == 0
    assert len(server.cancelled) == 1, "handle_stream_cancelled did not run"
    record = widget.requests[-1]
    assert record.cancelled
    threads = await store.load_threads(10, None, "desc", {})
    items = await store.load_thread_items(threads.data[0].id, None, 50, "asc", {})
    kinds = [type(i).__name__ for i in items.data]
    assert kinds[0] == "UserMessageItem"
    assert any(isinstance(i, SDKHiddenContextItem) for i in items.data)
    # The partial assistant text was kept, as ChatKit's default cancellation does.
    assert any(getattr(i, "type", "") == "assistant_message" for i in items.data)


async def test_messages_from_another_thread_are_served_on_the_widgets_loop(make: Any) -> None:
    # JupyterLab 4.6 + ipykernel 7 deliver comm messages on a subshell thread with its own
    # loop; the work must still run on the kernel's main loop, where the widget was made.
    widget, client, server = make()
    box: list[str] = []
    sender = threading.Thread(target=lambda: box.append(client.request(user_message("hi"))))
    sender.start()
    sender.join()
    await asyncio.wait_for(server.started.wait(), 5)
    await widget.wait_idle()
    assert server.loops == [asyncio.get_running_loop()]
    assert client.body(box[0])[0]["status"] == 200


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "'type' field"),
        (json.dumps({"type": "threads.explode", "params": {}}), 400, "threads.add_user_message"),
        (json.dumps({"type": "threads.get_by_id", "params": {}}), 400, "thread_id"),
        (
            json.dumps({"type": "threads.get_by_id", "params": {"thread_id": "thr_missing"}}),
            404,
            "thr_missing",
        ),
    ],
)
async def test_bad_requests_get_clear_errors_and_the_next_one_works(
    make: Any, body: Any, status: int, needle: str
) -> None:
    widget, client, _ = make()
    rid = client.request(body)
    await widget.wait_idle()
    head, _ = client.body(rid)
    assert head["kind"] == p.ERROR
    assert head["status"] == status
    assert needle in head["message"]
    ok = client.request(user_message("still there?"))
    await widget.wait_idle()
    assert client.body(ok)[0]["status"] == 200


async def test_server_exception_becomes_500_and_kernel_keeps_serving(make: Any) -> None:
    widget, client, server = make()

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    server.store.load_threads = broken  # type: ignore[method-assign]
    rid = client.request(json.dumps({"type": "threads.list", "params": {}}))
    await widget.wait_idle()
    head, _ = client.body(rid)
    assert (head["kind"], head["status"]) == (p.ERROR, 500)
    assert "RuntimeError: database on fire" in head["message"]
    assert "database on fire" in widget.errors[-1]
    assert "Traceback" in widget.errors[-1]
    ok = client.request(user_message("next"))
    await widget.wait_idle()
    assert client.body(ok)[0]["status"] == 200


async def test_exception_inside_respond_streams_an_error_event(make: Any) -> None:
    widget, client, server = make()
    server.fail_with = ValueError("model said no")
    rid = client.request(user_message("hi"))
    await widget.wait_idle()
    _, data = client.body(rid)
    assert "error" in [e["type"] for e in sse_events(data)]


async def test_events_sent_before_a_stream_breaks_arrive_before_the_error(
    fake_comm: Any, store: Any
) -> None:
    from chatkit.server import StreamingResult

    class BreaksMidStream(ScriptedServer):
        """ChatKit's own stream, which then fails the way a lost store connection would."""

        async def process(self, request: Any, context: Any) -> Any:
            result = await super().process(request, context)

            async def then_fail() -> Any:
                async for frame in result:
                    yield frame
                raise RuntimeError("store went away")

            return StreamingResult(then_fail())

    widget = ChatKitWidget(BreaksMidStream(store, ["partial answer"]))
    client = Client(widget)
    rid = client.request(user_message("hi"))
    await widget.wait_idle()
    messages = client.messages(rid)
    kinds = [c["kind"] for c, _ in messages]
    assert kinds[0] == p.HEAD
    assert kinds[-1] == p.ERROR
    assert set(kinds[1:-1]) == {p.CHUNK}
    # Everything the server produced before it failed reached the front end, in order.
    events = sse_events(b"".join(b[0] for c, b in messages if c["kind"] in (p.HEAD, p.CHUNK)))
    assert events[0]["type"] == "thread.created"
    deltas = [e["update"]["delta"] for e in events if e["type"] == "thread.item.updated"]
    assert deltas == ["partial answer"]
    error = messages[-1][0]
    assert error["status"] == 500
    assert "RuntimeError: store went away" in error["message"]
    assert widget.requests[-1].chunks == len(kinds) - 1  # the head carries chunk 0


async def test_closing_the_widget_cancels_its_requests_and_closes_the_comm(
    make: Any,
) -> None:
    widget, client, server = make(["a", "b"])
    server.gate = asyncio.Event()  # never set: the reply hangs after its first delta
    rid = client.request(user_message("hi"))
    await asyncio.wait_for(server.started.wait(), 5)
    widget.close()
    assert client.comm.closed
    await asyncio.wait_for(widget.wait_idle(), 5)
    assert [r.cancelled for r in widget.requests if r.id == rid] == [True]
    assert len(server.cancelled) == 1


async def test_closing_a_view_cancels_only_its_requests(make: Any) -> None:
    widget, one, server = make(["a", "b"])
    two = Client(widget, one.comm, view="v2")
    server.gate = asyncio.Event()
    r1 = one.request(user_message("one"))
    await asyncio.wait_for(server.started.wait(), 5)
    r2 = two.request(json.dumps({"type": "threads.list", "params": {}}))
    widget.comm.receive({"kind": p.VIEW_CLOSED, "view": "v1"}, [])
    await asyncio.wait_for(widget.wait_idle(), 5)
    assert [r.cancelled for r in widget.requests if r.id == r1] == [True]
    assert two.body(r2)[0]["status"] == 200


async def test_two_widgets_side_by_side(fake_comm: Any, store: Any) -> None:
    a = ChatKitWidget(ScriptedServer(store, ["from a"]))
    ca = Client(a, fake_comm())
    b = ChatKitWidget(ScriptedServer(store, ["from b"]))
    cb = Client(b, fake_comm(), view="b")
    ra, rb = ca.request(user_message("x")), cb.request(user_message("y"))
    await asyncio.gather(a.wait_idle(), b.wait_idle())
    text = lambda c, r: "".join(  # noqa: E731
        e["update"]["delta"] for e in sse_events(c.body(r)[1]) if e["type"] == "thread.item.updated"
    )
    assert (text(ca, ra), text(cb, rb)) == ("from a", "from b")
    assert not [c for c, _ in ca.comm.custom() if c["id"] == rb]


async def test_client_tool_hook_round_trip(make: Any) -> None:
    widget, _client, _ = make()

    @widget.client_tool("get_selection")
    async def get_selection(params: dict[str, Any]) -> dict[str, Any]:
        return {"rows": params["n"] * [1]}

    assert widget.client_tools == ["get_selection"]
    ok = await call(widget, p.HOOK_CLIENT_TOOL, {"name": "get_selection", "params": {"n": 2}})
    assert ok == {"kind": p.RESULT, "id": ok["id"], "ok": True, "value": {"rows": [1, 1]}}
    bad = await call(widget, p.HOOK_CLIENT_TOOL, {"name": "nope", "params": {}})
    assert not bad["ok"]
    assert "@widget.client_tool('nope')" in bad["message"]


async def test_widget_action_and_effect_hooks(make: Any) -> None:
    widget, _client, _ = make()
    seen: list[Any] = []
    widget.on_action(lambda action, item: seen.append(("action", action["type"], item["id"])))
    widget.on_effect(lambda name, data: seen.append(("effect", name, data)))
    await call(widget, p.HOOK_ACTION, {"action": {"type": "pick"}, "item": {"id": "wi_1"}})
    await call(widget, p.HOOK_EFFECT, {"name": "flash", "data": {"n": 1}})
    assert seen == [("action", "pick", "wi_1"), ("effect", "flash", {"n": 1})]
    assert widget.events[-1]["name"] == "flash"


def test_unknown_option_names_the_key_and_lists_valid_ones(fake_comm: Any, store: Any) -> None:
    with pytest.raises(ValueError, match=r"Unknown ChatKit option 'colour'.*startScreen"):
        ChatKitWidget(ScriptedServer(store), options={"colour": "red"})
    with pytest.raises(ValueError, match="owned by ChatKitWidget"):
        ChatKitWidget(ScriptedServer(store), options={"api": {}})
    widget = ChatKitWidget(ScriptedServer(store), options={"theme": "dark"})
    widget.options = {"startScreen": {"greeting": "Hi"}, "locale": "de"}
    assert widget.options["locale"] == "de"
    with pytest.raises(Exception, match="Unknown ChatKit option 'bogus'"):
        widget.options = {"bogus": 1}
    assert widget.options["locale"] == "de"


@pytest.mark.parametrize("height", [0, -400])
def test_a_height_that_is_not_positive_says_so(fake_comm: Any, store: Any, height: int) -> None:
    import traitlets

    with pytest.raises(traitlets.TraitError, match=rf"height must be .* pixels, not {height}\."):
        ChatKitWidget(ScriptedServer(store), height=height)
    widget = ChatKitWidget(ScriptedServer(store), height=300)
    with pytest.raises(traitlets.TraitError, match="height must be"):
        widget.height = height
    assert widget.height == 300


def test_options_change_reaches_the_front_end(fake_comm: Any, store: Any) -> None:
    widget = ChatKitWidget(ScriptedServer(store))
    widget.options = {"composer": {"placeholder": "Ask the notebook"}}
    updates = [d for d, _ in fake_comm().sent if d.get("method") == "update"]
    assert any(
        u["state"].get("options") == {"composer": {"placeholder": "Ask the notebook"}}
        for u in updates
    )


def test_composer_attachment_limits_are_enforced_in_the_kernel(fake_comm: Any) -> None:
    from chatkit_jupyter import NotebookServer, SQLiteStore

    server = NotebookServer(store=SQLiteStore(":memory:"), namespace={})
    limits = {"enabled": True, "maxSize": 1000, "maxCount": 2, "accept": {"image/png": [".png"]}}
    widget = ChatKitWidget(server, options={"composer": {"attachments": limits}})
    files = server.attachment_store
    assert (files.max_size, files.max_count) == (1000, 2)  # type: ignore[union-attr]
    widget.options = {"composer": {"attachments": {**limits, "maxSize": 5}}}
    assert files.max_size == 5  # type: ignore[union-attr]


async def test_a_hook_value_that_is_not_json_gets_a_clear_error(make: Any) -> None:
    widget, _client, _ = make()

    @widget.client_tool("when")
    def when(params: dict[str, Any]) -> dict[str, Any]:
        return {"at": object()}

    answer = await call(widget, p.HOOK_CLIENT_TOOL, {"name": "when", "params": {}})
    assert answer["ok"] is False
    assert "not JSON" in answer["message"]


async def test_running_requests_and_calls_send_heartbeats(
    make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chatkit_jupyter.bridge._bridge as bridge_module

    monkeypatch.setattr(bridge_module, "HEARTBEAT_S", 0.01)
    widget, client, _ = make()
    gate = asyncio.Event()

    @widget.client_tool("slow")
    async def slow(params: dict[str, Any]) -> dict[str, Any]:
        await gate.wait()
        return {"done": True}

    widget.comm.receive(
        {
            "kind": p.CALL,
            "id": "v1:s",
            "hook": p.HOOK_CLIENT_TOOL,
            "payload": {"name": "slow", "params": {}},
        },
        [],
    )
    while not [c for c, _ in client.messages("v1:s") if c["kind"] == p.BEAT]:
        await asyncio.sleep(0.01)
    gate.set()
    await widget.wait_idle()
    assert client.messages("v1:s")[-1][0]["ok"] is True


async def test_a_large_upload_from_another_thread_is_not_refused(
    fake_comm: Any, tmp_path: Any
) -> None:
    # Comm messages may arrive on a subshell thread faster than the main loop drains them.
    import hashlib

    from chatkit_jupyter import FileAttachmentStore, NotebookServer, SQLiteStore

    store = SQLiteStore(":memory:")
    server = NotebookServer(
        store=store, namespace={}, attachment_store=FileAttachmentStore(tmp_path, store=store)
    )
    widget = ChatKitWidget(server)
    client = Client(widget, fake_comm())
    piece = bytes(range(256)) * 64  # 16 KB
    chunks = 100
    create = client.request(
        json.dumps(
            {
                "type": "attachments.create",
                "params": {
                    "name": "data.bin",
                    "size": len(piece) * chunks,
                    "mime_type": "application/octet-stream",
                },
            }
        )
    )
    await widget.wait_idle()
    attachment_id = json.loads(client.body(create)[1])["id"]
    rid = "v1:upload"

    def send_all() -> None:
        widget.comm.receive(
            {
                "kind": p.REQUEST,
                "id": rid,
                "view": "v1",
                "url": f"{p.UPLOAD_URL}/{attachment_id}",
                "chunked": True,
            },
            [b""],
        )
        for seq in range(chunks):
            widget.comm.receive(
                {"kind": p.UPLOAD_CHUNK, "id": rid, "seq": seq, "last": seq == chunks - 1}, [piece]
            )

    sender = threading.Thread(target=send_all)
    sender.start()
    sender.join()
    while not client.messages(rid):
        await asyncio.sleep(0.01)
    await widget.wait_idle()
    head, _ = client.body(rid)
    assert (head["kind"], head["status"]) == (p.RESPONSE, 200)
    stored = await server.attachment_store.read_bytes(attachment_id, {})  # type: ignore[union-attr]
    assert hashlib.sha256(stored).digest() == hashlib.sha256(piece * chunks).digest()


# -- the bridge on its own: what the widget never sends, and the request records ----------------


class Endpoint:
    """An endpoint that answers every body with its reverse (or a stream, or a failure)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, body: bytes) -> Any:
        await self.gate.wait()
        if body == b"stream":

            async def frames() -> Any:
                yield b"data: 1\n\n"
                yield b"data: 22\n\n"

            return frames()
        if body == b"fail":
            raise RequestError(418, "no coffee")
        return body[::-1]


def bridge(**kwargs: Any) -> tuple[Bridge, list[tuple[dict[str, Any], list[bytes]]]]:
    sent: list[tuple[dict[str, Any], list[bytes]]] = []

    async def hooks(hook: str, payload: Any) -> Any:
        return None

    made = Bridge(
        send=lambda content, buffers: sent.append((dict(content), list(buffers or []))),
        endpoint=kwargs.pop("endpoint", Endpoint()),
        hooks=hooks,
        **kwargs,
    )
    return made, sent


def request(rid: str, **fields: Any) -> dict[str, Any]:
    return {"kind": p.REQUEST, "id": rid, "view": "v1", "url": p.API_URL, **fields}


@pytest.mark.filterwarnings("error")
async def test_an_unknown_kind_or_a_reused_id_gets_a_clear_error() -> None:
    b, sent = bridge()
    b.handle({"kind": "bogus", "id": "v1:x"}, [])
    assert sent == [
        (
            {
                "kind": p.ERROR,
                "id": "v1:x",
                "status": 400,
                "message": "Unknown message kind 'bogus'; expected one of "
                + ", ".join(p.FROM_FRONTEND)
                + ".",
            },
            [],
        )
    ]
    sent.clear()
    endpoint = Endpoint()
    b, sent = bridge(endpoint=endpoint)
    endpoint.gate.clear()
    b.handle(request("v1:1"), [b"abc"])
    b.handle(request("v1:1"), [b"xyz"])
    assert sent == [
        (
            {
                "kind": p.ERROR,
                "id": "v1:1",
                "status": 409,
                "message": "Request id 'v1:1' is already in use.",
            },
            [],
        )
    ]
    endpoint.gate.set()
    await b.wait_idle()
    gc.collect()  # the refused request's coroutine was closed, not left "never awaited"
    assert sent[-1] == (
        {"kind": p.RESPONSE, "id": "v1:1", "status": 200, "content_type": "application/json"},
        [b"cba"],
    )


async def test_a_message_without_an_id_is_ignored_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    b, sent = bridge()
    for rid in (None, "", 7):
        b.handle({"kind": p.REQUEST, "id": rid}, [b"x"])
    assert sent == []
    assert b.pending == 0
    assert caplog.messages == ["chatkit-jupyter: ignoring a 'request' message without an id"] * 3


@pytest.mark.filterwarnings("error")
async def test_cancel_says_whether_something_was_running() -> None:
    endpoint = Endpoint()
    endpoint.gate.clear()
    b, _ = bridge(endpoint=endpoint)
    b.handle(request("v1:1"), [b"x"])
    b.handle(request("v1:2"), [b"x"])
    await asyncio.sleep(0)  # v1:1 starts and waits at the gate
    assert b.cancel("v1:nope") is False
    assert b.cancel("v1:1") is True
    b.handle(request("v1:3"), [b"x"])
    assert b.cancel("v1:3") is True  # before it ever ran: closed, not left "never awaited"
    for _ in range(3):
        await asyncio.sleep(0)
    assert b.pending == 1  # v1:2, still at the gate
    endpoint.gate.set()
    await b.wait_idle()
    assert [(r.id, r.cancelled, r.status) for r in b.records] == [
        ("v1:1", True, None),
        ("v1:2", False, 200),
    ]
    gc.collect()  # a coroutine never awaited would warn when collected


async def test_records_say_what_happened() -> None:
    b, _ = bridge()
    started = time.monotonic()
    for rid, body in (("v1:plain", b"hello"), ("v1:stream", b"stream"), ("v1:fail", b"fail")):
        b.handle(request(rid), [body])
        await b.wait_idle()
    elapsed = time.monotonic() - started
    plain, stream, fail = b.records
    assert (plain.status, plain.bytes, plain.streaming, plain.chunks) == (200, 5, False, 0)
    assert (stream.status, stream.bytes, stream.streaming) == (200, 19, True)
    assert stream.chunks >= 1
    assert (fail.status, fail.error, fail.bytes) == (418, "no coffee", 0)
    for record in (plain, stream, fail):
        assert record.duration is not None
        assert 0 <= record.duration <= elapsed
        assert record.type == "(malformed)"  # not ChatKit JSON


async def test_uploads_whole_chunked_or_refused() -> None:
    stored: list[tuple[str, bytes]] = []

    async def upload(attachment_id: str, chunks: Any) -> bytes:
        stored.append((attachment_id, b"".join([c async for c in chunks])))
        return b'{"ok": true}'

    b, sent = bridge(upload=upload)
    b.handle(request("v1:whole", url=f"{p.UPLOAD_URL}/atc_1"), [b"all at once"])
    b.handle(request("v1:parts", url=f"{p.UPLOAD_URL}/atc_2/", chunked=True), [b""])
    for seq, piece in enumerate((b"ab", b"", b"cd")):
        b.handle({"kind": p.UPLOAD_CHUNK, "id": "v1:parts", "seq": seq, "last": seq == 2}, [piece])
    b.handle(request("v1:none", url=p.UPLOAD_URL + "/"), [b"x"])
    await b.wait_idle()
    assert stored == [("atc_1", b"all at once"), ("atc_2", b"abcd")]
    assert [r.type for r in b.records] == ["(malformed)", "upload", "(malformed)"]
    errors = [c for c, _ in sent if c["kind"] == p.ERROR]
    assert errors == [
        {
            "kind": p.ERROR,
            "id": "v1:none",
            "status": 400,
            "message": f"Upload URL '{p.UPLOAD_URL}/' names no attachment.",
        }
    ]

    no_store, sent = bridge()
    no_store.handle(request("v1:u", url=f"{p.UPLOAD_URL}/atc_1"), [b"x"])
    await no_store.wait_idle()
    ((error, _),) = sent
    assert (error["status"], error["message"]) == (
        501,
        "This server has no attachment store, so uploads are off. Pass `attachment_store=` "
        "to the server or disable composer attachments.",
    )


async def test_pieces_after_a_gap_are_dropped_with_one_error() -> None:
    async def upload(attachment_id: str, chunks: Any) -> bytes:
        return b"".join([c async for c in chunks])

    b, sent = bridge(upload=upload)
    b.handle(request("v1:u", url=f"{p.UPLOAD_URL}/atc_1", chunked=True), [b""])
    for seq in (0, 2, 1, 3):
        b.handle({"kind": p.UPLOAD_CHUNK, "id": "v1:u", "seq": seq, "last": seq == 3}, [b"x"])
    await b.wait_idle()
    ((error, _),) = sent
    assert error["message"] == (
        "Upload piece 2 arrived where piece 1 was expected, so the file would be incomplete. "
        "Attach it again."
    )


async def test_a_stream_that_pauses_still_sends_what_it_has(make: Any) -> None:
    # The batch window closes on a timer too: a reply that stops to think is not held back.
    widget, client, server = make(["first words", " and the rest"])
    server.gate = asyncio.Event()
    rid = client.request(user_message("hi"))
    await asyncio.wait_for(server.started.wait(), 5)

    async def first_words_arrive() -> None:
        while b"first words" not in b"".join(
            b[0] for c, b in client.messages(rid) if c["kind"] == p.CHUNK
        ):
            await asyncio.sleep(0.005)

    await asyncio.wait_for(first_words_arrive(), 5)
    assert widget.pending_requests == 1
    server.gate.set()
    await widget.wait_idle()
    assert client.body(rid)[0]["status"] == 200
