"""chatkit-jupyter's jupyter_server extension: kernel websockets with TCP_NODELAY, and no
``status: busy`` relayed for the chat's own comm messages.

``pip install chatkit-jupyter`` enables it: the wheel installs a config file into
``{sys.prefix}/etc/jupyter/jupyter_server_config.d/``. ``c.ChatKitJupyter.nodelay = False`` (or
``--ChatKitJupyter.nodelay=False``) keeps Nagle's algorithm on;
``c.ChatKitJupyter.quiet_chat_status = False`` relays every status; ``jupyter server extension
disable chatkit_jupyter.serverext`` turns the extension off. See ``_nodelay.py`` and ``_quiet.py``
for why.
"""

from __future__ import annotations

from typing import Any

from ._settings import NODELAY_URL, ChatKitJupyter

__all__ = ["NODELAY_URL", "ChatKitJupyter"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "chatkit_jupyter.serverext"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from ._nodelay import load

    load(serverapp)
