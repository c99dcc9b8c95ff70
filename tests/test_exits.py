"""``exit()``, ``sys.exit()`` or an interrupt in a server, a handler or an ``ask``: the request
stops with an error that says so, and the kernel keeps running.

Neither is an ``Exception``: raised out of an asyncio task, they stop the kernel's event loop,
and the kernel died with every variable in it. The first test drives a real ipykernel over its
comm, as the page does; the others play the page's part in this process.
"""

from __future__ import annotations

import json
import queue
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from chatkit_jupyter import ChatKitWidget, SQLiteStore
from chatkit_jupyter.bridge import _protocol as p

from .conftest import Client, ScriptedServer, call, sse_events, user_message
from .real_kernel import real_kernel, run
from .test_ask import AsksTheClient

SETUP = """
from chatkit_jupyter import ChatKitWidget, SQLiteStore
from tests.conftest import ScriptedServer
server = ScriptedServer(SQLiteStore("chat.db"))
w = ChatKitWidget(server)
kept = 42
print(w.comm.comm_id)
"""


def send(client: Any, comm_id: str, content: dict[str, Any], body: bytes) -> None:
    """One message from the page, as JupyterLab sends it: a ``comm_msg`` on the shell channel."""
    data = {"method": "custom", "content": content}
    msg = client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    client.session.send(client.shell_channel.socket, msg, buffers=[body])


def answer(client: Any, rid: str, timeout: float = 15) -> list[tuple[dict[str, Any], bytes]]:
    """The kernel's messages for ``rid`` up to the last one (``end``, ``error``, ``result``)."""
    got: list[tuple[dict[str, Any], bytes]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = client.get_iopub_msg(timeout=0.2)
        except queue.Empty:
            continue
        content = msg["content"].get("data", {}).get("content", {})
        if msg["msg_type"] == "comm_msg" and content.get("id") == rid:
            buffers = msg.get("buffers") or []
            got.append((content, bytes(buffers[0]) if buffers else b""))
            if content["kind"] in (p.END, p.ERROR, p.RESULT):
                return got
    pytest.fail(f"no complete answer to {rid}: {[c for c, _ in got]}")


def test_exit_in_a_real_kernels_server_or_handler_leaves_it_running(tmp_path: Path) -> None:
    with real_kernel(tmp_path) as (manager, client):
        comm_id = run(client, SETUP).strip()
        run(client, "server.fail_with = SystemExit(3)")
        request = {"kind": p.REQUEST, "id": "v1:1", "view": "v1", "url": p.API_URL}
        send(client, comm_id, request, user_message("hi").encode())
        got = answer(client, "v1:1")
        events = sse_events(b"".join(data for _, data in got))
        assert events[-1]["type"] == "error"
        assert "called exit() or sys.exit() (SystemExit: 3)" in events[-1]["message"]
        assert "The kernel is still running" in events[-1]["message"]

        run(client, "import sys; w.on_action(lambda action, item: sys.exit())")
        payload = {"action": {"type": "x"}, "item": {"id": "i"}, "thread_id": None}
        call = {"kind": p.CALL, "id": "v1:2", "view": "v1", "hook": p.HOOK_ACTION}
        send(client, comm_id, {**call, "payload": payload}, b"")
        ((result, _),) = answer(client, "v1:2")
        assert result["ok"] is False
        assert result["message"].startswith("The action handler called exit()")

        assert manager.is_alive()
        run(client, "server.fail_with = None")
        send(client, comm_id, {**request, "id": "v1:3"}, user_message("again").encode())
        events = sse_events(b"".join(data for _, data in answer(client, "v1:3")))
        assert events[-1]["type"] == "thread.item.done"
        assert run(client, "print(kept, len(w.errors))") == "42 1\n"


@pytest.fixture
def chat(fake_comm: Any, tmp_path: Path) -> Any:
    store = SQLiteStore(tmp_path / "chatkit.db")
    server = ScriptedServer(store)
    widget = ChatKitWidget(server)
    yield widget, Client(widget, fake_comm()), server
    widget.close()
    store.close()


@pytest.mark.parametrize("halt", [SystemExit(3), KeyboardInterrupt()], ids=["exit", "interrupt"])
async def test_a_halt_before_the_stream_is_a_500_that_says_so(chat: Any, halt: Any) -> None:
    widget, client, server = chat

    async def load_thread(*args: Any, **kwargs: Any) -> Any:
        raise halt

    server.store.load_thread = load_thread  # outside respond: the bridge contains it
    rid = client.request(json.dumps({"type": "threads.get_by_id", "params": {"thread_id": "t"}}))
    await widget.wait_idle()
    head, _ = client.body(rid)
    assert head["kind"] == p.ERROR
    assert head["status"] == 500
    word = "called exit()" if isinstance(halt, SystemExit) else "was interrupted"
    assert head["message"].startswith(f"The server {word}"), head
    assert "The kernel is still running" in head["message"]
    assert type(halt).__name__ in widget.errors[-1].traceback
    del server.store.load_thread
    text, _ = await client.text(user_message("still there?"))
    assert text == "Hello, world"


async def test_a_handler_that_exits_is_a_failed_call_in_the_log(chat: Any) -> None:
    widget, _, _ = chat
    widget.on_effect(lambda name, data: sys.exit("bye"))
    result = await call(widget, p.HOOK_EFFECT, {"name": "confetti", "data": {}})
    assert result["ok"] is False
    assert result["message"] == (
        "The effect handler called exit() or sys.exit() (SystemExit: bye), so this request was "
        "stopped. The kernel is still running; raise an exception instead of exiting "
        "(`widget.log` has the traceback)."
    )
    assert widget.log[-1]["kind"] == "error"
    assert widget.log[-1]["text"] == "SystemExit: bye"


async def test_an_ask_whose_server_or_client_tool_exits_says_so_in_the_reply(chat: Any) -> None:
    widget, _, server = chat
    server.fail_with = KeyboardInterrupt()
    reply = await widget.ask("hi", timeout=5)
    assert reply.error is not None
    assert reply.error.startswith("The server was interrupted (KeyboardInterrupt)")
    assert widget.errors[-1].type == "KeyboardInterrupt"


async def test_an_ask_whose_client_tool_handler_exits_says_so(store: Any, fake_comm: Any) -> None:
    widget = ChatKitWidget(AsksTheClient(store))
    widget.client_tool("get_selection")(lambda params: sys.exit())
    reply = await widget.ask("use my selection", timeout=5)
    assert reply.error is not None
    assert reply.error == (
        "The server (or a client tool's handler) called exit() or sys.exit() (SystemExit), so "
        "this request was stopped. The kernel is still running; raise an exception instead of "
        "exiting."
    )
    assert widget.log[-1]["source"] == "client_tool get_selection"
    assert widget.log[-1]["text"] == "SystemExit"
    widget.close()
