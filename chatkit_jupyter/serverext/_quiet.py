"""The chat's comm messages without the kernel's ``status: busy``.

ipykernel publishes ``status: busy`` and ``status: idle`` around every message it handles, comm
messages too, and JupyterLab answers each change of the kernel's status on the page's main
thread (the toolbar's and status bar's indicators, the favicon: 2-3.5 ms of layout per
request). A chat reply arrives right behind that work. The chat's messages only hand a request
to the kernel's event loop, where it runs as a task (the kernel is not busy running the user's
code), so this server does not relay the ``busy`` of a message from the chat: the status stays
``idle``, the ``idle`` that follows changes nothing, and JupyterLab's bookkeeping (a message is
done at its ``idle``) is as before. Measured with ``bench/bench_bridge.py``: a ``threads.list``
round trip from 2.2-2.8x of HTTP SSE from the same kernel to 1.4-1.5x, the first byte of a
stream from 3.1-4.7x to 1.7-1.8x.

A message is the chat's when it is a ``comm_msg`` whose ``data`` is an anywidget custom message
of one of the kinds the chat's front end sends (``FRONTEND_KINDS``); other widgets' messages,
and cells, keep their ``busy``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Final

FRONTEND_KINDS: Final = frozenset(
    {"request", "cancel", "upload_chunk", "call", "view_closed", "command_result", "alive"}
)
"""The ``kind`` of every message the chat's page sends (``chatkit_jupyter.bridge``'s protocol;
a test keeps the two in step)."""

V1: Final = "v1.kernel.websocket.jupyter.org"
"""jupyter_server's binary websocket protocol (JupyterLab 4's)."""

MAX_TRACKED: Final = 4096
"""Chat message ids remembered until their ``busy`` goes by (oldest forgotten first)."""

MAX_CONTENT_BYTES: Final = 256 * 1024
"""A bigger message is not looked into (its ``busy`` is relayed): parsing it would cost more
than the status saves."""

_chat_ids: OrderedDict[str, None] = OrderedDict()
"""Ids of the chat's messages on their way to a kernel (message ids are UUIDs, so one set
serves every kernel and websocket of this server)."""


def note_incoming(header: bytes | memoryview, content: bytes | memoryview) -> None:
    """Remember the message if it is the chat's (``header`` and ``content`` are its JSON)."""
    header = bytes(header)
    if b'"comm_msg"' not in header or len(content) > MAX_CONTENT_BYTES:
        return
    try:
        note_message(json.loads(header), json.loads(bytes(content)))
    except (ValueError, RecursionError):  # raised here, it would close the page's websocket
        return


def note_incoming_json(ws_msg: str) -> None:
    """``note_incoming`` for a websocket message of Jupyter's JSON protocol."""
    if '"comm_msg"' not in ws_msg or len(ws_msg) > MAX_CONTENT_BYTES:
        return
    try:
        msg = json.loads(ws_msg)
    except (ValueError, RecursionError):
        return
    if isinstance(msg, dict):
        note_message(msg.get("header"), msg.get("content"))


def note_message(header: Any, content: Any) -> None:
    """Remember a message (its header and content, parsed) if it is the chat's."""
    if not isinstance(header, dict) or header.get("msg_type") != "comm_msg":
        return
    data = content.get("data") if isinstance(content, dict) else None
    if not isinstance(data, dict) or data.get("method") != "custom":
        return
    inner = data.get("content")
    if not isinstance(inner, dict) or inner.get("kind") not in FRONTEND_KINDS:
        return
    msg_id = header.get("msg_id")
    if not isinstance(msg_id, str):
        return
    _chat_ids[msg_id] = None
    while len(_chat_ids) > MAX_TRACKED:
        _chat_ids.popitem(last=False)


def note_incoming_v1(ws_msg: bytes) -> None:
    """``note_incoming`` for a websocket message of Jupyter's v1 binary protocol (offsets, then
    channel, header, parent header, metadata, content, buffers), without copying its buffers."""
    try:
        count = int.from_bytes(ws_msg[:8], "little")
        if count < 6:
            return
        offsets = [int.from_bytes(ws_msg[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(6)]
        view = memoryview(ws_msg)
        if bytes(view[offsets[0] : offsets[1]]) != b"shell":
            return
        note_incoming(view[offsets[1] : offsets[2]], view[offsets[4] : offsets[5]])
    except (ValueError, IndexError, TypeError):
        return


def is_chat_busy(parts: Sequence[Any]) -> bool:
    """Whether an iopub message (``parts``: header, parent header, metadata, content as JSON
    bytes) is the kernel's ``status: busy`` for a message of the chat."""
    try:
        header = bytes(parts[0])
        if b'"status"' not in header or not _chat_ids:
            return False
        parent = json.loads(bytes(parts[1]))
        msg_id = parent.get("msg_id") if isinstance(parent, dict) else None
        if msg_id not in _chat_ids:
            return False
        if json.loads(header).get("msg_type") != "status":
            return False
        if json.loads(bytes(parts[3])).get("execution_state") != "busy":
            return False
    except (ValueError, IndexError, TypeError, AttributeError):
        return False
    # Kept (until pushed out): every websocket of the kernel relays the same status.
    return True
