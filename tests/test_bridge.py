"""The comm bridge, driven through a real ChatKitWidget on a fake comm."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest
from chatkit.types import SDKHiddenContextItem

from chatkit_jupyter import ChatKitWidget
from chatkit_jupyter.bridge import _protocol as p
from chatkit_jupyter.bridge._bridge import BATCH_MAX_BYTES

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
