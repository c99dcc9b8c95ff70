"""What went wrong and what handlers printed: ``ChatKitWidget.errors`` and ``ChatKitWidget.log``.

Handlers and servers run on the kernel's loop outside any cell, so their ``print()`` output and
exceptions would end up in JupyterLab's log console, where few people look. While a handler or
a request runs, a context variable names the widget's ``Journal``; ``sys.stdout`` and
``sys.stderr`` are routed to it for that context only (other code keeps printing where it did).

A server's exception inside a stream never reaches the bridge: ``ChatKitServer`` turns it into
an error event that says only "An error occurred". ``watch_server`` wraps the server's
``respond`` and ``action`` so the exception is recorded with its traceback and the chat shows
its class and (scrubbed) message instead. It works with any ``ChatKitServer``.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import io
import sys
import traceback as tb
import typing
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timezone
from typing import Any, Final, TextIO

from chatkit_jupyter.bridge._bridge import halted
from chatkit_jupyter.notebook._redact import scrub

MAX_LOG: Final = 1000
"""Entries kept in ``ChatKitWidget.log``."""
MAX_ERRORS: Final = 200
"""Entries kept in ``ChatKitWidget.errors``."""
MAX_TEXT: Final = 20_000
"""Characters kept of one log entry's text."""


class ErrorRecord(str):
    """One entry of ``ChatKitWidget.errors``.

    It is the ``str`` the list held before (the traceback of a server exception, else the
    message), so ``"KeyError" in w.errors[-1]`` and printing keep working; the details are
    attributes.
    """

    message: str
    """What the chat showed (scrubbed)."""
    traceback: str | None
    """The exception's traceback, if there was an exception."""
    type: str
    """The exception's class name (``""`` for a refusal without one, e.g. a 404)."""
    source: str
    """Where it happened: ``"request"`` (before a stream), ``"respond"``, ``"action"`` or
    ``"ask"``."""
    time: datetime
    """When it was recorded (UTC)."""

    def __new__(
        cls,
        message: str,
        *,
        traceback: str | None = None,
        type: str = "",
        source: str = "request",
    ) -> ErrorRecord:
        self = super().__new__(cls, traceback or message)
        self.message = message
        self.traceback = traceback
        self.type = type
        self.source = source
        self.time = datetime.now(timezone.utc)
        return self

    @classmethod
    def of(cls, error: BaseException, source: str, message: str | None = None) -> ErrorRecord:
        """A record of ``error`` (its cause, when a server wrapped one for display)."""
        cause = _shown_cause(error)
        text = "".join(tb.format_exception(cause))
        shown = message if message is not None else describe(cause)
        return cls(shown, traceback=text, type=type(cause).__name__, source=source)


def describe(error: BaseException) -> str:
    """``"KeyError: 'x'"``, scrubbed and one paragraph long: what the chat shows."""
    # The class name stays out of the scrub: "KeyError: x" reads like a secret's field.
    text = scrub(" ".join(str(error).split()))[:500]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _shown_cause(error: BaseException) -> BaseException:
    # NotebookServer re-raises a model's error as a CustomStreamError that says what to fix;
    # the original, with the useful traceback, is its cause.
    from chatkit.errors import CustomStreamError

    if isinstance(error, CustomStreamError) and error.__cause__ is not None:
        return error.__cause__
    return error


class LogEntries(list[dict[str, Any]]):
    """``ChatKitWidget.log``: the entries, and ipywidgets' logger behind them.

    ipywidgets gives every widget a ``log`` logger (``widget.log.warning(...)``, which it uses
    itself); the entries take that name, and logger methods reach the logger still.
    """

    def __init__(self, entries: Any, logger: Any) -> None:
        super().__init__(entries)
        self._logger = logger

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)


class Journal:
    """One widget's errors and log (see the module docstring)."""

    def __init__(self) -> None:
        self.errors: deque[ErrorRecord] = deque(maxlen=MAX_ERRORS)
        self.log: deque[dict[str, Any]] = deque(maxlen=MAX_LOG)
        self.listeners: list[Callable[[dict[str, Any]], object]] = []
        """Called with each new log entry (e.g. to show it in the page)."""

    def entry(
        self, source: str, kind: str, text: str, *, scrubbed: bool = False, **extra: Any
    ) -> None:
        """Add a log entry (the shape is documented on ``ChatKitWidget.log``); ``scrubbed``
        says ``text`` was scrubbed already (scrubbing twice hides "KeyError: ..." whole)."""
        entry = {
            "time": datetime.now(timezone.utc).isoformat(),
            "source": source,
            "kind": kind,
            "text": (text if scrubbed else scrub(text))[:MAX_TEXT],
            **extra,
        }
        self.log.append(entry)
        for listener in list(self.listeners):
            try:
                listener(entry)
            except Exception:  # a broken listener must not break the handler that printed
                pass

    def error(self, record: ErrorRecord) -> None:
        """Add an error (and a log entry for it)."""
        self.errors.append(record)
        extra = {"traceback": scrub(record.traceback)[:MAX_TEXT]} if record.traceback else {}
        self.entry(record.source, "error", record.message, scrubbed=True, **extra)

    @contextlib.contextmanager
    def capturing(self, source: str) -> Iterator[None]:
        """Route this context's ``print()`` output to the log while the block runs."""
        buffers = {"stdout": io.StringIO(), "stderr": io.StringIO()}
        token = _capture.set(buffers)
        _Router.install()
        try:
            yield
        finally:
            _reset(_capture, token)
            _Router.uninstall()
            for kind, buffer in buffers.items():
                if text := buffer.getvalue():
                    self.entry(source, kind, text.rstrip("\n"))


_capture: contextvars.ContextVar[dict[str, io.StringIO] | None] = contextvars.ContextVar(
    "chatkit_jupyter_capture", default=None
)
_journal: contextvars.ContextVar[tuple[Journal, str] | None] = contextvars.ContextVar(
    "chatkit_jupyter_journal", default=None
)


class _Router:
    """Stands in for ``sys.stdout``/``sys.stderr`` while anything captures: writes from a
    capturing context go to its buffer, all others to the stream it replaced (which also
    answers every other attribute: ``encoding``, ``fileno``, ``isatty`` ...)."""

    _active = 0
    _saved: tuple[TextIO, TextIO] | None = None

    def __init__(self, kind: str, fallback: TextIO) -> None:
        self.kind = kind
        self.fallback = fallback

    def write(self, s: str) -> int:
        buffers = _capture.get()
        if buffers is None:
            return self.fallback.write(s)
        return buffers[self.kind].write(s)

    def flush(self) -> None:
        self.fallback.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fallback, name)

    @classmethod
    def install(cls) -> None:
        if cls._active == 0:
            cls._saved = (sys.stdout, sys.stderr)
            sys.stdout = cls("stdout", sys.stdout)
            sys.stderr = cls("stderr", sys.stderr)
        cls._active += 1

    @classmethod
    def uninstall(cls) -> None:
        cls._active -= 1
        if cls._active == 0 and cls._saved is not None:
            # Only put back what we replaced: code that swapped the streams since keeps its own.
            if isinstance(sys.stdout, cls):
                sys.stdout = cls._saved[0]
            if isinstance(sys.stderr, cls):
                sys.stderr = cls._saved[1]
            cls._saved = None


@contextlib.contextmanager
def journal_for(journal: Journal, source: str) -> Iterator[None]:
    """Server errors raised in this context go to ``journal``, marked with ``source``."""
    token = _journal.set((journal, source))
    try:
        yield
    finally:
        _reset(_journal, token)


def _reset(var: contextvars.ContextVar[Any], token: contextvars.Token[Any]) -> None:
    try:
        var.reset(token)
    except ValueError:
        # A stream closed by the garbage collector finishes in another context.
        var.set(None)


def watch_server(server: Any) -> None:
    """Wrap ``server.respond`` and ``server.action`` once (see the module docstring).

    Outside a widget's request (no journal in the context) the wrappers change nothing.
    """
    if getattr(server, "_chatkit_jupyter_watched", False):
        return
    try:
        server._chatkit_jupyter_watched = True
    except AttributeError:  # __slots__: serve it unwatched rather than not at all
        return
    for name in ("respond", "action"):
        original = getattr(server, name, None)
        if original is None:
            continue

        def wrapped(
            *args: Any, _original: Any = original, _name: str = name, **kwargs: Any
        ) -> AsyncIterator[Any]:
            # Called inside the watcher: a plain `def respond` that raises is the server's
            # exception too, not ChatKit's "An error occurred".
            return _watched(functools.partial(_original, *args, **kwargs), _name)

        with contextlib.suppress(AttributeError):  # a read-only method stays as it is
            setattr(server, name, wrapped)


async def _watched(start: Callable[[], Any], name: str) -> AsyncIterator[Any]:
    from chatkit.errors import CustomStreamError, StreamError

    close = None
    try:
        stream = start()
        # Closed here: a stopped stream closes the server's generator at once (NotebookServer
        # then cancels its run), not whenever it is garbage-collected.
        close = getattr(stream, "aclose", None)
        # Else ChatKit fails later, on an attribute of what came instead, or the chat shows
        # only "An error occurred" (a respond() that returns a list has no aclose either).
        if not hasattr(stream, "__aiter__"):
            if inspect.iscoroutine(stream):
                stream.close()  # never to run: no "was never awaited" warning
            raise TypeError(
                f"{name}() returned a {type(stream).__name__}, not a stream of events: write "
                f"it as `async def {name}(...)` that yields chatkit.types events."
            )
        async for event in stream:
            if not isinstance(event, _event_types()):
                raise TypeError(
                    f"{name}() yielded a {type(event).__name__} value "
                    f"({scrub(repr(event))[:60]}), not a ChatKit event: yield chatkit.types "
                    "events such as ThreadItemDoneEvent(item=...)."
                )
            yield event
    except (CustomStreamError, StreamError) as e:
        current = _journal.get()
        if current is not None:
            message = e.message if isinstance(e, CustomStreamError) else None
            current[0].error(ErrorRecord.of(e, _source(current[1], name), message))
        raise
    except (Exception, KeyboardInterrupt, SystemExit) as e:
        current = _journal.get()
        if current is None:
            raise
        shown = describe(e) if isinstance(e, Exception) else halted(e, "The server")
        current[0].error(ErrorRecord.of(e, _source(current[1], name), shown))
        raise CustomStreamError(shown, allow_retry=True) from e
    finally:
        if close is not None:
            await close()


@functools.cache
def _event_types() -> tuple[type, ...]:
    """The classes of ``chatkit.types.ThreadStreamEvent`` (an annotated union)."""
    from chatkit.types import ThreadStreamEvent

    return typing.get_args(typing.get_args(ThreadStreamEvent)[0])


def _source(origin: str, method: str) -> str:
    return "ask" if origin == "ask" else method
