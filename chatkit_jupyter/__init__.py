"""OpenAI ChatKit in a Jupyter notebook, served by the notebook's own kernel.

``%load_ext chatkit_jupyter`` then ``%chatkit``, or ``ChatKitWidget(server)`` in Python.

The package is split by concern: ``widget`` (the anywidget and its hooks), ``bridge`` (the comm
transport and its protocol), ``server`` (the agent behind the chat), ``store`` (SQLite threads,
attachment files), ``notebook`` (redaction, variables, the agent's tools), ``workbench`` (what
the agent did, code it may run) and ``export`` (``nbconvert --to chatkit``). What users touch
is re-exported here. ``NotebookServer`` and ``notebook_tools`` need openai-agents (most of the
import time), so they load on first use: a notebook that only shows widgets never imports it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ._version import __version__
from .bridge import CommandError, RequestError, RequestRecord
from .notebook._redact import ScrubFilter
from .store import AttachmentError, FileAttachmentStore, SQLiteStore, StoreError
from .widget import (
    ChatKitWidget,
    ErrorRecord,
    HandlerResultError,
    Reply,
    ToolCall,
    WidgetError,
    WidgetTemplate,
    WidgetView,
    show,
)

# Every module logs to this one logger; what it logs reaches the notebook (stderr), scrubbed.
logging.getLogger("chatkit_jupyter").addFilter(ScrubFilter())

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from .notebook import notebook_tools
    from .server import NotebookServer

__all__ = [
    "AttachmentError",
    "ChatKitWidget",
    "CommandError",
    "ErrorRecord",
    "FileAttachmentStore",
    "HandlerResultError",
    "NotebookServer",
    "Reply",
    "RequestError",
    "RequestRecord",
    "SQLiteStore",
    "StoreError",
    "ToolCall",
    "WidgetError",
    "WidgetTemplate",
    "WidgetView",
    "__version__",
    "load_ipython_extension",
    "notebook_tools",
    "show",
    "unload_ipython_extension",
]


def __getattr__(name: str) -> object:
    # Loaded on first use: both import the agents SDK.
    if name == "NotebookServer":
        from .server import NotebookServer

        globals()[name] = NotebookServer
        return NotebookServer
    if name == "notebook_tools":
        from .notebook import notebook_tools

        globals()[name] = notebook_tools
        return notebook_tools
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """``%load_ext chatkit_jupyter``: register ``%chatkit``, ``%%chatkit_widget`` and the
    display of ``chatkit.widgets`` objects as widget views."""
    from ._magic import load

    load(ipython)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """``%unload_ext chatkit_jupyter``: remove what ``load_ipython_extension`` added."""
    from ._magic import unload

    unload(ipython)
