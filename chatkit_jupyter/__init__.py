"""OpenAI ChatKit in a Jupyter notebook, served by the notebook's own kernel.

``%load_ext chatkit_jupyter`` then ``%chatkit``, or ``ChatKitWidget(server)`` in Python.
"""

from __future__ import annotations

from typing import Any

from ._server import NotebookServer
from ._version import __version__
from ._widget import ChatKitWidget
from .widget import WidgetError, WidgetTemplate, WidgetView, show

__all__ = [
    "ChatKitWidget",
    "NotebookServer",
    "WidgetError",
    "WidgetTemplate",
    "WidgetView",
    "__version__",
    "load_ipython_extension",
    "show",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext chatkit_jupyter``: register ``%chatkit``."""
    from ._magic import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext chatkit_jupyter``: remove ``%chatkit``."""
    from ._magic import unload

    unload(ipython)
