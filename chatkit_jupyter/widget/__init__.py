"""The anywidget classes: ``ChatKitWidget``, its hooks, the commands that drive it from Python,
and the ChatKit endpoint on the bridge."""

from ._chat import ChatKitWidget
from ._drive import PendingCommand
from ._hooks import DISPATCH, HandlerResultError, Hook, HookRegistry
from ._options import CHATKIT_OPTIONS, DEFAULT_CDN_URL, validate_options
from ._serve import ChatKitEndpoint

__all__ = [
    "CHATKIT_OPTIONS",
    "DEFAULT_CDN_URL",
    "DISPATCH",
    "ChatKitEndpoint",
    "ChatKitWidget",
    "HandlerResultError",
    "Hook",
    "HookRegistry",
    "PendingCommand",
    "validate_options",
]
