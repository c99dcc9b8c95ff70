"""Transport and protocol between the front end and the kernel; nothing here knows ChatKit."""

from ._bridge import (
    Bridge,
    Endpoint,
    Explain,
    HookHandler,
    RequestError,
    RequestRecord,
    Send,
    UploadHandler,
    call_handler,
)
from ._protocol import FrontendMessage, KernelMessage

__all__ = [
    "Bridge",
    "Endpoint",
    "Explain",
    "FrontendMessage",
    "HookHandler",
    "KernelMessage",
    "RequestError",
    "RequestRecord",
    "Send",
    "UploadHandler",
    "call_handler",
]
