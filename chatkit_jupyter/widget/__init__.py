"""The anywidget classes: ``ChatKitWidget``, its hooks, and the ChatKit endpoint on the bridge."""

from ._chat import ChatKitWidget
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
    "validate_options",
]
