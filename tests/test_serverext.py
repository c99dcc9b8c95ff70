"""The jupyter_server extension's install: the config file the wheel ships, and where it goes.

The extension itself runs in a real server: tests/browser/test_serverext.py.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).parents[1]
CONFIG = "jupyter-config/jupyter_server_config.d/chatkit_jupyter.json"


def test_install_enables_the_extension() -> None:
    enabled = json.loads((REPO / CONFIG).read_text())["ServerApp"]["jpserver_extensions"]
    assert enabled == {"chatkit_jupyter.serverext": True}
    # The wheel puts it where jupyter_server looks: {sys.prefix}/etc/jupyter/...
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'"{CONFIG}" = "etc/jupyter/jupyter_server_config.d/chatkit_jupyter.json"' in pyproject


def test_importing_it_needs_no_jupyter_server() -> None:
    # The kernel (and the unit tests on Python 3.10) may have no jupyter_server installed.
    code = "import sys, chatkit_jupyter.serverext; print('jupyter_server' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- the chat's busy status (serverext/_quiet.py) ----------------------------------------------


def _v1(channel: str, header: dict, content: dict | bytes, *buffers: bytes) -> bytes:
    """A websocket message of Jupyter's v1 protocol, as JupyterLab sends it: the number of
    offsets, the offsets, then channel, header, parent header, metadata, content (JSON, or
    its bytes as given), buffers."""
    parts = [channel.encode(), json.dumps(header).encode(), b"{}", b"{}"]
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    parts += [raw, *buffers]
    count = len(parts) + 1
    offsets, at = [], 8 * (count + 1)
    for part in parts:
        offsets.append(at)
        at += len(part)
    offsets.append(at)
    head = count.to_bytes(8, "little") + b"".join(o.to_bytes(8, "little") for o in offsets)
    return head + b"".join(parts)


def _comm_msg(msg_id: str, kind: str | None, method: str = "custom") -> tuple[dict, dict]:
    inner = {"kind": kind, "id": "r1"} if kind is not None else {"value": 3}
    content = {"comm_id": "c1", "data": {"method": method, "content": inner}}
    return {"msg_id": msg_id, "msg_type": "comm_msg"}, content


def _status(parent_id: str, state: str, msg_type: str = "status") -> list[bytes]:
    """An iopub message's parts after the signature: header, parent, metadata, content."""
    return [
        json.dumps({"msg_id": "s-" + parent_id, "msg_type": msg_type}).encode(),
        json.dumps({"msg_id": parent_id, "msg_type": "comm_msg"}).encode(),
        b"{}",
        json.dumps({"execution_state": state}).encode(),
    ]


def test_the_chats_busy_status_is_held_back_and_nothing_else() -> None:
    from chatkit_jupyter.serverext import _quiet

    chat, other, cell = "chat-1", "slider-1", "cell-1"
    _quiet.note_incoming_v1(_v1("shell", *_comm_msg(chat, "request"), b"\x00" * 10))
    _quiet.note_incoming_v1(_v1("shell", *_comm_msg(other, None)))  # another widget's message
    _quiet.note_incoming_v1(_v1("shell", {"msg_id": cell, "msg_type": "execute_request"}, {}))
    assert _quiet.is_chat_busy(_status(chat, "busy"))
    assert not _quiet.is_chat_busy(_status(chat, "idle"))  # JupyterLab ends the message at idle
    assert not _quiet.is_chat_busy(_status(other, "busy"))
    assert not _quiet.is_chat_busy(_status(cell, "busy"))
    assert not _quiet.is_chat_busy(_status(chat, "busy", msg_type="stream"))
    # Every websocket of the kernel relays the same status: it is held back on each.
    assert _quiet.is_chat_busy(_status(chat, "busy"))


def test_what_is_not_a_chat_message_is_left_alone() -> None:
    from chatkit_jupyter.serverext import _quiet

    header, content = _comm_msg("m-huge", "request")
    huge = _v1("shell", header, {**content, "pad": " " * _quiet.MAX_CONTENT_BYTES})
    cases = {
        "m-control": _v1("control", *_comm_msg("m-control", "request")),
        "m-update": _v1("shell", *_comm_msg("m-update", "request", method="update")),
        "m-kind": _v1("shell", *_comm_msg("m-kind", "hello")),
        "m-huge": huge,  # not parsed: its busy costs less than parsing it
        "m-broken": b"\x06" + b"\x00" * 7 + b"\xff" * 48,
        "m-short": b"\x01\x00",
    }
    for msg_id, message in cases.items():
        _quiet.note_incoming_v1(message)
        assert not _quiet.is_chat_busy(_status(msg_id, "busy")), msg_id
    assert not _quiet.is_chat_busy([b"{"])  # a malformed status is relayed, not an error


def test_a_message_nested_too_deep_to_parse_is_relayed_not_an_error() -> None:
    # Before, json.loads' RecursionError escaped the websocket handler, and tornado closed the
    # page's connection to the kernel (the message was lost with it).
    from chatkit_jupyter.serverext import _quiet

    header, content = _comm_msg("m-deep", "call")
    deep = json.dumps(content)[:-2] + ', "payload": ' + "[" * 50_000 + "]" * 50_000 + "}}"
    _quiet.note_incoming_v1(_v1("shell", header, deep.encode()))
    _quiet.note_incoming_json(json.dumps({"header": header})[:-1] + ', "content": ' + deep + "}")
    assert not _quiet.is_chat_busy(_status("m-deep", "busy"))


def test_the_json_protocol_is_followed_too() -> None:
    from chatkit_jupyter.serverext import _quiet

    header, content = _comm_msg("json-1", "call")
    _quiet.note_incoming_json(
        json.dumps({"channel": "shell", "header": header, "content": content})
    )
    assert _quiet.is_chat_busy(_status("json-1", "busy"))


def test_ids_are_forgotten_oldest_first() -> None:
    from chatkit_jupyter.serverext import _quiet

    first = "old-0"
    for i in range(_quiet.MAX_TRACKED + 1):
        _quiet.note_incoming_v1(_v1("shell", *_comm_msg(f"old-{i}", "alive")))
    assert not _quiet.is_chat_busy(_status(first, "busy"))
    assert _quiet.is_chat_busy(_status(f"old-{_quiet.MAX_TRACKED}", "busy"))


def test_the_kinds_are_the_bridges() -> None:
    from chatkit_jupyter.bridge import _protocol as p
    from chatkit_jupyter.serverext import _quiet

    assert set(p.FROM_FRONTEND) == _quiet.FRONTEND_KINDS
