"""The jupyter_server extension: shipped config, and the switch to turn TCP_NODELAY off.

The default (on, as installed) is tested in real JupyterLab: tests/browser/test_serverext.py.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from chatkit_jupyter.serverext import NODELAY_URL

REPO = pathlib.Path(__file__).parents[1]
CONFIG = "jupyter-config/jupyter_server_config.d/chatkit_jupyter.json"


def test_install_enables_the_extension() -> None:
    enabled = json.loads((REPO / CONFIG).read_text())["ServerApp"]["jpserver_extensions"]
    assert enabled == {"chatkit_jupyter.serverext": True}
    # The wheel puts it where jupyter_server looks: {sys.prefix}/etc/jupyter/...
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'"{CONFIG}" = "etc/jupyter/jupyter_server_config.d/chatkit_jupyter.json"' in pyproject


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
        assert state["websockets"] == [{"kernel": kernel, "nodelay": False}]
        assert "kernel websockets keep Nagle's algorithm" in log.read_text()
    finally:
        proc.terminate()
        proc.wait(15)
