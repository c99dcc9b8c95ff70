"""The anywidget classes: ``ChatKitWidget``, its hooks, the commands that drive it from Python,
and the ChatKit endpoint on the bridge; ``WidgetView`` (one ChatKit widget in a cell, from a
root, a model or a template) and ``show``."""

from ._ask import Reply, ToolCall
from ._chat import ChatKitWidget
from ._drive import PendingCommand
from ._hooks import DISPATCH, HandlerResultError, Hook, HookRegistry
from ._log import ErrorRecord
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
    "ErrorRecord",
    "HandlerResultError",
    "Hook",
    "HookRegistry",
    "PendingCommand",
    "Reply",
    "ToolCall",
    "WidgetError",
    "WidgetTemplate",
    "WidgetView",
    "show",
    "validate_options",
]
