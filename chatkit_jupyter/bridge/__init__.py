"""Transport and protocol between the front end and the kernel; nothing here knows ChatKit."""

from ._bridge import (
    Bridge,
    CommandError,
    Endpoint,
    Explain,
    HookHandler,
    PushedStream,
    RequestError,
    RequestRecord,
    Send,
    UploadHandler,
    Watch,
    call_handler,
)
from ._protocol import FrontendMessage, KernelMessage

__all__ = [
    "Bridge",
    "CommandError",
    "Endpoint",
    "Explain",
    "FrontendMessage",
    "HookHandler",
    "KernelMessage",
    "PushedStream",
    "RequestError",
    "RequestRecord",
    "Send",
    "UploadHandler",
    "Watch",
    "call_handler",
]
