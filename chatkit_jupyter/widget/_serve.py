"""ChatKit on the bridge: the endpoint that hands request bodies to a ``ChatKitServer``.

The bridge carries bytes and knows nothing of ChatKit; this module is where ChatKit's meaning
comes in: ``server.process``, streaming or not, attachment uploads, and which of ChatKit's (and
our store's) errors the user should read as what status.

A body is checked before ChatKit sees it: it must be JSON, an object with a known ``type``, no
deeper than ``MAX_DEPTH``, with integers a browser can hold, a page ``limit`` up to
``MAX_LIMIT`` and message text up to ``max_message_chars``. Anything else is answered with a
400 that says what was wrong, never with a 500 (or, for JSON nested 100,000 deep, silence).
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
from collections.abc import AsyncIterable, AsyncIterator, Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from chatkit.store import NotFoundError
from pydantic import ValidationError

from chatkit_jupyter.bridge import RequestError
from chatkit_jupyter.store import AttachmentError, StoreError

from ._log import Journal, journal_for, watch_server

if TYPE_CHECKING:
    from chatkit.server import ChatKitServer, StreamingResult


MAX_DEPTH: Final = 64
"""Deepest nesting a request may have; ChatKit's own requests need about eight levels."""

MAX_SAFE_INTEGER: Final = 2**53 - 1
"""The largest integer JavaScript holds exactly; ChatKit's front end never sends a larger one."""

MAX_LIMIT: Final = 10_000
"""Largest page ``limit`` of ``threads.list`` and ``items.list``."""

MAX_MESSAGE_CHARS: Final = 100_000
"""Default longest user message (its text parts and quoted text together), in characters."""

_TEXT_REQUESTS: Final = frozenset({"threads.create", "threads.add_user_message"})


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
        self.max_message_chars: int | None = MAX_MESSAGE_CHARS
        """Longest user message in characters; ``None`` for no limit."""
        self.journal = journal if journal is not None else Journal()

    async def __call__(self, body: bytes, origin: str = "chat") -> bytes | AsyncIterable[bytes]:
        """Run one ChatKit request: the JSON of a plain answer, or the SSE stream.

        ``origin`` is ``"chat"`` (a view) or ``"ask"`` (``ChatKitWidget.ask``), for the journal.
        """
        # Whoever made the server imported chatkit.server already; importing it at the top
        # would load the agents SDK with `import chatkit_jupyter`.
        from chatkit.server import StreamingResult

        self.check(body)
        server = self._server()
        watch_server(server)
        with journal_for(self.journal, origin), self.journal.capturing("server"):
            try:
                result = await server.process(body, self._context())
            except ValidationError as e:
                # Only a request ChatKit cannot parse is the client's fault; a model that fails
                # to validate later (in the store, in the server's own code) is the server's.
                problem = _request_problem(body)
                if problem is None:
                    raise
                raise RequestError(400, describe_validation_error(body, problem)) from e
        if isinstance(result, StreamingResult):
            return self._captured(result, origin)
        return result.json

    def check(self, body: bytes) -> dict[str, Any]:
        """Refuse a body ChatKit must not see; returns the parsed request.

        Raises:
            RequestError: 400 with what was wrong and what to do.
        """
        try:
            parsed = json.loads(body, parse_constant=_no_constant)
        except RecursionError:
            raise RequestError(400, _too_deep()) from None
        except ValueError as e:
            raise RequestError(
                400,
                f"Malformed ChatKit request: the body is not valid JSON in UTF-8 ({_short(e)}). "
                "Reload the page; if it happens again, the client sending it is broken.",
            ) from None
        if not isinstance(parsed, dict) or "type" not in parsed:
            raise RequestError(
                400, "Malformed ChatKit request: expected a JSON object with a 'type' field."
            )
        kind = parsed["type"]
        if not isinstance(kind, str) or kind not in _known_request_types():
            raise RequestError(400, _unknown_type(kind))
        _check_values(parsed)
        params = parsed.get("params")
        if isinstance(params, dict):
            limit = params.get("limit")
            if limit is not None and (
                not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= MAX_LIMIT
            ):
                raise RequestError(
                    400,
                    f"Invalid {kind!r} request: params.limit is {_shown(limit)}; it must be a "
                    f"whole number from 0 to {MAX_LIMIT:,}. Ask for a smaller page and use "
                    "`after` for the next one.",
                )
            if kind in _TEXT_REQUESTS and self.max_message_chars is not None:
                self._check_text(params.get("input"))
            audio = params.get("audio_base64")
            if kind == "input.transcribe" and isinstance(audio, str):
                try:
                    base64.b64decode(audio, validate=True)
                except ValueError:
                    raise RequestError(
                        400,
                        "Invalid 'input.transcribe' request: params.audio_base64 is not valid "
                        "base64. Record the audio again.",
                    ) from None
        return parsed

    def _check_text(self, message: Any) -> None:
        if not isinstance(message, dict):
            return  # ChatKit's own validation says what is missing
        parts = message.get("content")
        chars = sum(
            len(part["text"])
            for part in (parts if isinstance(parts, list) else ())
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
        quoted = message.get("quoted_text")
        chars += len(quoted) if isinstance(quoted, str) else 0
        limit = self.max_message_chars
        if limit is not None and chars > limit:
            raise RequestError(
                400,
                f"This message has {chars:,} characters; the chat takes at most {limit:,} "
                f"characters per message. Send a shorter message or attach the text as a file, "
                "or raise the limit in the kernel: `widget.max_message_chars = 500_000` on the "
                "ChatKitWidget (`widget = %chatkit`), or `None` for no limit.",
            )

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
            # Cut: the id in it is the client's and may be megabytes long.
            return RequestError(404, f"Not found: {_short(error, 300)}")
        if isinstance(error, NotImplementedError):
            return RequestError(
                501,
                f"This server does not support that request ({_short(error, 300)}). Turn the "
                "feature off in the ChatKit options (e.g. composer.dictation), or implement it "
                "in your ChatKitServer.",
            )
        # Written for the user already: what was wrong and what to do.
        if isinstance(error, AttachmentError):
            return RequestError(400, str(error))
        if isinstance(error, StoreError):
            return RequestError(503, str(error))
        return None


def describe_validation_error(body: bytes, error: ValidationError) -> str:
    """A one-paragraph message for a request ChatKit could not parse."""
    try:
        parsed = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        return _too_deep()
    except ValueError as e:
        return f"Malformed ChatKit request: the body is not valid JSON ({_short(e)})."
    if not isinstance(parsed, dict) or "type" not in parsed:
        return "Malformed ChatKit request: expected a JSON object with a 'type' field."
    kind = parsed["type"]
    if not isinstance(kind, str) or kind not in _known_request_types():
        return _unknown_type(kind)
    problems = "; ".join(
        _short(f"{'.'.join(str(x) for x in err['loc'][1:]) or '(body)'}: {err['msg']}")
        for err in error.errors(include_url=False, include_input=False)[:5]
    )
    return f"Invalid {kind!r} request: {problems}."


def _request_problem(body: bytes) -> ValidationError | None:
    """Why ChatKit cannot parse this request; ``None`` when it can."""
    from chatkit.types import ChatKitReq
    from pydantic import TypeAdapter

    try:
        TypeAdapter(ChatKitReq).validate_json(body)
    except ValidationError as e:
        return e
    return None


def _check_values(parsed: Any) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH``, integers past ``MAX_SAFE_INTEGER`` and
    non-finite numbers; iterative, so no input can exhaust the stack."""
    stack: list[tuple[Any, int, str]] = [(parsed, 0, "")]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise RequestError(400, _too_deep())
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, child in items:
                if isinstance(child, dict | list | int | float) and not isinstance(child, bool):
                    stack.append((child, depth + 1, f"{where}.{key}" if where else str(key)))
        elif isinstance(value, int):
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                raise RequestError(
                    400,
                    f"Invalid ChatKit request: {_short(where) or 'a number'} is {_shown(value)}, "
                    f"outside what a browser can send exactly (up to {MAX_SAFE_INTEGER:,}). "
                    "Send a smaller number.",
                )
        elif isinstance(value, float) and not math.isfinite(value):
            raise RequestError(
                400, f"Invalid ChatKit request: {_short(where)} is not a finite number."
            )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _too_deep() -> str:
    return (
        f"Malformed ChatKit request: it is nested deeper than {MAX_DEPTH} levels, which no "
        "ChatKit client sends. Reload the page; if it happens again, the client is broken."
    )


def _unknown_type(kind: object) -> str:
    known = ", ".join(sorted(_known_request_types()))
    return f"Unknown ChatKit request type {_shown(kind)}; expected one of: {known}."


def _shown(value: object) -> str:
    """A value for a message: a huge integer as its size, anything else cut to 60 characters."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a {len(str(abs(value)))}-digit number"
    if isinstance(value, dict | list):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'}"
    return _short(repr(value), 60)


def _short(text: object, size: int = 200) -> str:
    text = str(text)
    return text if len(text) <= size else text[: size - 3] + "..."


@cache
def _known_request_types() -> frozenset[str]:
    from typing import get_args

    from chatkit import types

    found: set[str] = set()
    for name in ("StreamingReq", "NonStreamingReq"):
        union = getattr(types, name)
        for member in get_args(get_args(union)[0]) or get_args(union):
            field_ = getattr(member, "model_fields", {}).get("type")
            if field_ is not None and isinstance(field_.default, str):
                found.add(field_.default)
    return frozenset(found)
