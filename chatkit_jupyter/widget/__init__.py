"""The anywidget classes: ``ChatKitWidget`` (the chat, its hooks, and the ChatKit endpoint on the
bridge) and ``WidgetView`` (one ChatKit widget in a cell, from a root, model or template)."""

from ._chat import ChatKitWidget
from ._hooks import DISPATCH, HandlerResultError, Hook, HookRegistry
from ._options import CHATKIT_OPTIONS, DEFAULT_CDN_URL, validate_options
from ._serve import ChatKitEndpoint
from ._template import WidgetError, WidgetTemplate
from ._view import WidgetView, show

__all__ = [
    "CHATKIT_OPTIONS",
    "DEFAULT_CDN_URL",
    "DISPATCH",
    "ChatKitEndpoint",
    "ChatKitWidget",
    "HandlerResultError",
    "Hook",
    "HookRegistry",
    "WidgetError",
    "WidgetTemplate",
    "WidgetView",
    "show",
    "validate_options",
]
