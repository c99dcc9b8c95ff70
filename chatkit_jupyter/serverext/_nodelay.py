"""TCP_NODELAY on kernel websockets: chat replies leave the server when the kernel sends them.

jupyter_server leaves Nagle's algorithm on for the websocket between the browser and a kernel.
A small kernel message written while an earlier one is still unacknowledged then waits for the
browser's delayed ACK, about 40 ms on Linux: every comm reply paid that (a ``threads.list``
round trip took 56 ms over the comm, 25-35 ms with TCP_NODELAY, 8-14 ms over HTTP from the same
kernel; see README "Where the time goes"). Jupyter's messages are whole websocket frames, so sending
each at once costs nothing but a few more packets.

The switch goes through jupyter_server's own extension point, the
``kernel_websocket_connection_class`` setting: the configured class (the default ZMQ one, a
gateway's, another extension's) is subclassed so that ``connect`` first sets TCP_NODELAY.
"""

from __future__ import annotations

import socket
import weakref
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.serverapp import ServerApp
from jupyter_server.utils import url_path_join
from tornado import web

from ._quiet import V1, is_chat_busy, note_incoming_json, note_incoming_v1
from ._settings import NODELAY_URL, ChatKitJupyter

_sockets: weakref.WeakSet[Any] = weakref.WeakSet()
"""The kernel websocket handlers this server switched, while they live."""


def _nodelay_class(base: type[Any], nodelay: bool, quiet: bool = False) -> type[Any]:
    """``base`` (a kernel websocket connection class) that sets TCP_NODELAY on connect, if
    ``nodelay``, and is listed by the ``NODELAY_URL`` endpoint either way; if ``quiet``, it
    does not relay the kernel's ``status: busy`` for the chat's messages (see ``_quiet``)."""

    def connect(self: Any) -> Any:
        handler = self.websocket_handler
        if nodelay:
            handler.set_nodelay(True)
        _sockets.add(handler)
        return base.connect(self)

    members: dict[str, Any] = {"connect": connect, "__module__": __name__}
    if quiet:

        def handle_incoming_message(self: Any, incoming_msg: Any) -> Any:
            if self.subprotocol == V1:
                note_incoming_v1(incoming_msg)
            elif isinstance(incoming_msg, str):
                note_incoming_json(incoming_msg)
            return base.handle_incoming_message(self, incoming_msg)

        def handle_outgoing_message(self: Any, stream: Any, outgoing_msg: list[Any]) -> Any:
            channel = stream if isinstance(stream, str) else getattr(stream, "channel", None)
            if channel == "iopub":
                _, parts = self.session.feed_identities(outgoing_msg)
                if is_chat_busy(parts[1:]):
                    return None
            return base.handle_outgoing_message(self, stream, outgoing_msg)

        members["handle_incoming_message"] = handle_incoming_message
        members["handle_outgoing_message"] = handle_outgoing_message
    return type(f"NoDelay{base.__name__}", (base,), members)


def _socket_nodelay(handler: Any) -> bool | None:
    """What the operating system says of one websocket's TCP_NODELAY (``None``: closed)."""
    ws = getattr(handler, "ws_connection", None)
    stream = getattr(ws, "stream", None)
    sock = getattr(stream, "socket", None)
    if sock is None:
        return None
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


class NoDelayHandler(APIHandler):
    """``GET <base_url>chatkit-jupyter/nodelay``: ``{"enabled", "websockets": [{kernel, nodelay}]}``."""

    @web.authenticated
    def get(self) -> None:
        websockets = [
            {"kernel": getattr(h, "kernel_id", None), "nodelay": _socket_nodelay(h)}
            for h in list(_sockets)
        ]
        self.finish(
            {
                "enabled": bool(self.settings.get("chatkit_jupyter_nodelay")),
                "quiet_chat_status": bool(self.settings.get("chatkit_jupyter_quiet_chat_status")),
                "websockets": [w for w in websockets if w["nodelay"] is not None],
            }
        )


def load(serverapp: ServerApp) -> None:
    """Switch the server's kernel websockets to TCP_NODELAY (unless configured off)."""
    config = ChatKitJupyter(parent=serverapp)
    settings = serverapp.web_app.settings
    settings["chatkit_jupyter_nodelay"] = config.nodelay
    settings["chatkit_jupyter_quiet_chat_status"] = config.quiet_chat_status
    # jupyter_server's ServerWebApplication is untyped; add_handlers is tornado's.
    serverapp.web_app.add_handlers(  # type: ignore[no-untyped-call]
        ".*$", [(url_path_join(settings.get("base_url", "/"), NODELAY_URL), NoDelayHandler)]
    )
    base = (
        settings.get("kernel_websocket_connection_class")
        or serverapp.kernel_websocket_connection_class
    )
    settings["kernel_websocket_connection_class"] = _nodelay_class(
        base, config.nodelay, config.quiet_chat_status
    )
    if config.quiet_chat_status:
        serverapp.log.info(
            "chatkit-jupyter: the chat's comm messages leave the kernel status idle; turn off "
            "with --ChatKitJupyter.quiet_chat_status=False"
        )
    if not config.nodelay:
        serverapp.log.info(
            "chatkit-jupyter: kernel websockets keep Nagle's algorithm (nodelay off)"
        )
        return
    serverapp.log.info(
        "chatkit-jupyter: TCP_NODELAY on kernel websockets (%s); turn off with "
        "--ChatKitJupyter.nodelay=False",
        base.__name__,
    )
