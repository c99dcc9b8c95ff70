"""ChatKit on the bridge: the endpoint that hands request bodies to a ``ChatKitServer``.

The bridge carries bytes and knows nothing of ChatKit; this module is where ChatKit's meaning
comes in: ``server.process``, streaming or not, attachment uploads, and which of ChatKit's (and
our store's) errors the user should read as what status.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from chatkit.store import NotFoundError
from pydantic import ValidationError

from chatkit_jupyter.bridge import RequestError
from chatkit_jupyter.store import AttachmentError, StoreError

from ._log import Journal, journal_for, watch_server

if TYPE_CHECKING:
    from chatkit.server import ChatKitServer, StreamingResult


class ChatKitEndpoint:
    """Serves the bridge's requests with a ``ChatKitServer``.

    Args:
        server: Returns the server to use (read per request, so it can be swapped).
        context: Returns the context passed to ``server.process`` and to uploads.
        journal: Where the server's exceptions and ``print()`` output go (``widget.errors``
            and ``widget.log``).
    """

    def __init__(
        self,
        server: Callable[[], ChatKitServer[Any]],
        context: Callable[[], Any],
        journal: Journal | None = None,
    ) -> None:
        self._server = server
        self._context = context
        self.journal = journal if journal is not None else Journal()

    async def __call__(self, body: bytes, origin: str = "chat") -> bytes | AsyncIterable[bytes]:
        """Run one ChatKit request: the JSON of a plain answer, or the SSE stream.

        ``origin`` is ``"chat"`` (a view) or ``"ask"`` (``ChatKitWidget.ask``), for the journal.
        """
        # Whoever made the server imported chatkit.server already; importing it at the top
        # would load the agents SDK with `import chatkit_jupyter`.
        from chatkit.server import StreamingResult

        server = self._server()
        watch_server(server)
        with journal_for(self.journal, origin), self.journal.capturing("server"):
            try:
                result = await server.process(body, self._context())
            except ValidationError as e:
                raise RequestError(400, describe_validation_error(body, e)) from e
        if isinstance(result, StreamingResult):
            return self._captured(result, origin)
        return result.json

    async def _captured(self, stream: StreamingResult, origin: str) -> AsyncIterator[bytes]:
        # The stream runs later, when the bridge reads it: capture there too. aclosing: a
        # stream stopped early closes the server's generator now, not when it is collected.
        with journal_for(self.journal, origin), self.journal.capturing("server"):
            async with contextlib.aclosing(stream.json_events) as events:
                async for data in events:
                    yield data

    async def upload(self, attachment_id: str, chunks: AsyncIterator[bytes]) -> bytes:
        """Store upload bytes with the server's attachment store; the attachment's JSON."""
        store = getattr(self._server(), "attachment_store", None)
        write = getattr(store, "write_upload", None)
        if write is None:
            raise RequestError(
                501,
                "Uploads need an attachment store with `write_upload` (chatkit_jupyter."
                "FileAttachmentStore); this server has none.",
            )
        attachment = await write(attachment_id, chunks, self._context())
        data: bytes = attachment.model_dump_json(
            by_alias=True, exclude_none=True, context={"exclude_metadata": True}
        ).encode()
        return data

    @staticmethod
    def explain(error: Exception) -> RequestError | None:
        """The status and message for ChatKit's and our stores' errors; ``None`` for others."""
        if isinstance(error, NotFoundError):
            return RequestError(404, f"Not found: {error}")
        # Written for the user already: what was wrong and what to do.
        if isinstance(error, AttachmentError):
            return RequestError(400, str(error))
        if isinstance(error, StoreError):
            return RequestError(503, str(error))
        return None


def describe_validation_error(body: bytes, error: ValidationError) -> str:
    """A one-paragraph message for a request ChatKit could not parse."""
    try:
        parsed = json.loads(body)
    except ValueError as e:
        return f"Malformed ChatKit request: the body is not valid JSON ({e})."
    if not isinstance(parsed, dict) or "type" not in parsed:
        return "Malformed ChatKit request: expected a JSON object with a 'type' field."
    known = _known_request_types()
    if parsed["type"] not in known:
        return f"Unknown ChatKit request type {parsed['type']!r}; expected one of: {', '.join(sorted(known))}."
    problems = "; ".join(
        f"{'.'.join(str(x) for x in err['loc'][1:]) or '(body)'}: {err['msg']}"
        for err in error.errors()[:5]
    )
    return f"Invalid {parsed['type']!r} request: {problems}."


def _known_request_types() -> set[str]:
    from typing import get_args

    from chatkit import types

    found: set[str] = set()
    for name in ("StreamingReq", "NonStreamingReq"):
        union = getattr(types, name)
        for member in get_args(get_args(union)[0]) or get_args(union):
            field_ = getattr(member, "model_fields", {}).get("type")
            if field_ is not None and isinstance(field_.default, str):
                found.add(field_.default)
    return found
