"""The jupyter_server extension in real servers: on as `pip install` enables it, and off."""

from __future__ import annotations

import itertools
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from chatkit_jupyter.serverext import NODELAY_URL

from .conftest import Lab, _free_port, notebook, open_notebook, run_all_cells, send

pytestmark = pytest.mark.browser


def test_kernel_websocket_has_nodelay(lab: Lab, page: Any) -> None:
    # The shared Lab reads config as a user's does: its throwaway JUPYTER_CONFIG_DIR comes
    # after sys.prefix/etc/jupyter, where the install put jupyter_server_config.d/chatkit_jupyter.json.
    name = lab.write_notebook(f"nodelay_{uuid.uuid4().hex[:8]}.ipynb", ["print('ws' + 'open')"])
    open_notebook(page, lab, name)
    run_all_cells(page)
    expect(notebook(page).get_by_text("wsopen")).to_be_visible(timeout=30_000)

    with urllib.request.urlopen(lab.url(NODELAY_URL), timeout=10) as r:
        state = json.load(r)
    assert state["enabled"] is True, state
    assert state["quiet_chat_status"] is True, state
    # The page's kernel websocket is open (the cell ran through it); the OS reports its option.
    assert state["websockets"], f"no open kernel websocket was switched: {state}"
    assert all(ws["nodelay"] is True for ws in state["websockets"]), state
    assert "chatkit-jupyter: TCP_NODELAY on kernel websockets" in lab.log.read_text()


def _open_websocket(port: int, path: str) -> socket.socket:
    """A websocket handshake by hand: the server sees an open kernel websocket."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def test_nodelay_off_keeps_nagle(tmp_path: pathlib.Path) -> None:
    # A plain jupyter_server (no browser needed): the setting a user turns the switch off with.
    port, token = _free_port(), uuid.uuid4().hex
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    log = tmp_path / "server.log"
    args = [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root"]
    args += [f"--port={port}"]
    args += ["--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"]
    args += [f"--ServerApp.root_dir={tmp_path}", "--ChatKitJupyter.nodelay=False"]
    args += ["--ChatKitJupyter.quiet_chat_status=False"]
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"token {token}"}

    def api(path: str, method: str = "GET") -> dict:
        data = b"{}" if method == "POST" else None
        req = urllib.request.Request(base + path, data=data, method=method, headers=auth)
        with urllib.request.urlopen(req, timeout=10) as r:
            return dict(json.load(r))

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                api("/api/status")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"jupyter_server did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        kernel = api("/api/kernels", "POST")["id"]
        with _open_websocket(port, f"/api/kernels/{kernel}/channels?token={token}"):
            state = api("/" + NODELAY_URL)
        assert state["enabled"] is False
        assert state["quiet_chat_status"] is False
        assert state["websockets"] == [{"kernel": kernel, "nodelay": False}]
        assert "kernel websockets keep Nagle's algorithm" in log.read_text()
        assert "leave the kernel status idle" not in log.read_text()
    finally:
        proc.terminate()
        proc.wait(15)


def _v1_parts(frame: bytes | str) -> tuple[str, list[bytes]] | None:
    """Channel and parts (header, parent, metadata, content, ...) of a v1 websocket frame."""
    if not isinstance(frame, bytes) or len(frame) < 8:
        return None
    count = int.from_bytes(frame[:8], "little")
    offsets = [int.from_bytes(frame[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(count)]
    parts = [frame[a:b] for a, b in itertools.pairwise(offsets)]
    return parts[0].decode(), parts[1:]


def test_the_chat_leaves_the_kernel_status_idle(lab: Lab, page: Any) -> None:
    # What JupyterLab receives while the chat answers: the kernel's `idle` after each of the
    # chat's messages (a message is done at its idle), never its `busy`; a cell still has both.
    sent: list[bytes | str] = []
    received: list[bytes | str] = []

    def watch(ws: Any) -> None:
        if "/channels" in ws.url:
            ws.on("framesent", lambda frame: sent.append(frame))
            ws.on("framereceived", lambda frame: received.append(frame))

    page.on("websocket", watch)
    cells = [
        "%load_ext chatkit_jupyter",
        "w = %chatkit --renderer lite --db :memory: --placeholder 'Quiet chat'",
    ]
    name = lab.write_notebook(f"quiet_{uuid.uuid4().hex[:8]}.ipynb", cells)
    open_notebook(page, lab, name)
    run_all_cells(page)
    send(page, "Quiet chat", "/vars")
    expect(page.get_by_role("log").first).to_contain_text(
        "variable in your notebook", timeout=30_000
    )

    def statuses() -> tuple[dict[str, list[str]], set[str], set[str]]:
        chat_ids, cell_ids = set(), set()
        for frame in list(sent):
            parsed = _v1_parts(frame)
            if parsed is None or parsed[0] != "shell":
                continue
            header, content = json.loads(parsed[1][0]), json.loads(parsed[1][3])
            if header["msg_type"] == "execute_request":
                cell_ids.add(header["msg_id"])
            data = content.get("data") or {}
            if header["msg_type"] == "comm_msg" and data.get("method") == "custom":
                chat_ids.add(header["msg_id"])
        status: dict[str, list[str]] = {}
        for frame in list(received):
            parsed = _v1_parts(frame)
            if parsed is None or parsed[0] != "iopub":
                continue
            header, parent = json.loads(parsed[1][0]), json.loads(parsed[1][1])
            if header["msg_type"] == "status" and parent:
                state = json.loads(parsed[1][3])["execution_state"]
                status.setdefault(parent["msg_id"], []).append(state)
        return status, chat_ids, cell_ids

    # The chat keeps talking after the answer (beats, `alive`): wait until every message it
    # sent so far has had its `idle`.
    deadline = time.monotonic() + 15
    while True:
        status, chat_ids, cell_ids = statuses()
        if all("idle" in status.get(i, []) for i in chat_ids) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    assert chat_ids, "the chat sent no message"
    assert cell_ids
    assert all(status.get(i) == ["idle"] for i in chat_ids), [status.get(i) for i in chat_ids]
    assert all(status.get(i) == ["busy", "idle"] for i in cell_ids), [
        status.get(i) for i in cell_ids
    ]
    assert not page.console_errors
