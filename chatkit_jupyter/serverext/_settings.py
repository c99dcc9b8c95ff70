"""The extension's settings and URL, importable without jupyter_server (the kernel needs none)."""

from __future__ import annotations

from traitlets import Bool
from traitlets.config import Configurable

NODELAY_URL = "chatkit-jupyter/nodelay"
"""Under the server's base URL: whether the switch is on, whether the chat's busy status is
held back (``quiet_chat_status``), and each open kernel websocket's TCP_NODELAY as the
operating system reports it (``{"enabled", "quiet_chat_status", "websockets": [{kernel,
nodelay}]}``)."""


class ChatKitJupyter(Configurable):
    """Settings of chatkit-jupyter's jupyter_server extension."""

    nodelay = Bool(
        True,
        help="Set TCP_NODELAY on kernel websockets, so that small kernel messages (every chat "
        "reply) are sent at once instead of waiting up to ~40 ms for an ACK (Nagle's "
        "algorithm). Turn off with `--ChatKitJupyter.nodelay=False`.",
    ).tag(config=True)

    quiet_chat_status = Bool(
        True,
        help="Do not relay the kernel's `status: busy` for the chat's own comm messages: "
        "JupyterLab redraws its kernel indicators at every status change, and each chat "
        "reply waited behind that (a round trip took twice as long). Other widgets and cells "
        "keep their busy status. Turn off with `--ChatKitJupyter.quiet_chat_status=False`.",
    ).tag(config=True)
