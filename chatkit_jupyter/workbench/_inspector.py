"""The inspector's record: per turn, the request, its stream events, the agent's steps and
handler output, as redacted JSON entries the widget's inspector panel lists.

A turn is one ChatKit request. ``InspectedEndpoint`` wraps the widget's endpoint, so requests
and stream events are recorded for any ``ChatKitServer``; a ``NotebookServer`` adds its agent's
steps through ``record_step``, which finds the recording turn in a context variable (set in the
bridge's request task, and copied into the tasks the agent run starts). Entries reach the views
in batches (``FLUSH_S``): jupyter_server drops iopub messages above 1000/s, and one message per
stream event would be that on a fast reply.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import re
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Final

from chatkit_jupyter.notebook._redact import REDACTED, looks_like_secret_name, scrub, scrub_cut

FLUSH_S: Final = 0.25
"""New entries go to the views at most this often, in one message."""
MAX_ENTRIES: Final = 2000
"""Entries kept (the oldest go first)."""
MAX_TEXT: Final = 4000
"""Characters kept of one entry's JSON data."""
MAX_LAZY: Final = 64 * 1024
"""Requests, responses and stream events up to this size are parsed and redacted when someone
reads them, not while the chat waits for them."""
MAX_PENDING: Final = 4 * 1024 * 1024
"""Bytes of unread requests, responses and events kept before they are read all at once."""

_UPDATED: Final = b'data: {"type":"thread.item.updated"'
_ITEM_ID: Final = re.compile(rb'"item_id"\s*:\s*"([^"]+)"')

Entry = dict[str, Any]
"""``{"seq", "turn", "time", "kind", "title", "data"}``; ``kind`` is ``"request"``,
``"event"``, ``"step"``, ``"log"`` or ``"response"``. JSON-serialisable and redacted."""

_turn: ContextVar[tuple[Inspector, int] | None] = ContextVar("chatkit_jupyter_turn", default=None)


def record_step(thread_id: str, step: Mapping[str, Any]) -> None:
    """Add an agent step (see ``StepTrace``) to the turn being recorded, if any."""
    current = _turn.get()
    if current is None:
        return
    inspector, turn = current
    title = " ".join(str(step[k]) for k in ("kind", "name", "model", "to") if step.get(k))
    inspector.add("step", title, dict(step), turn=turn)


def _redacted(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if depth > 20:
        return "..."
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if _secret_entry(str(k), v) else _redacted(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redacted(v, depth + 1) for v in value]
    return scrub(str(value))


def _secret_entry(key: str, value: Any) -> bool:
    # "input_tokens": 812 is a count of the model's tokens, which the panel is there to show
    # (it read "<redacted>"); a string under such a name is hidden as before.
    if isinstance(value, int) and not isinstance(value, bool) and key.lower().endswith("tokens"):
        return False
    return looks_like_secret_name(key)


def _clean(data: Any) -> Any:
    """``data`` as redacted JSON-able values, cut to ``MAX_TEXT`` characters."""
    try:
        data = _redacted(data)
        text = json.dumps(data, ensure_ascii=False)
    except RecursionError:  # a body nested too deep to walk (the endpoint refuses it with a 400)
        return {"truncated": "(nested too deeply to show)"}
    if len(text) <= MAX_TEXT:
        return data
    return {"truncated": text[:MAX_TEXT] + " ..."}


class Inspector:
    """Keeps the entries of recent turns and sends new ones to the views in batches.

    Args:
        send: Sends ``{"kind": "inspect", "id": "inspector", "entries": [...]}`` to the views.
        enabled: Whether anyone is looking (``ChatKitWidget.inspector``); nothing is sent
            otherwise, but entries are still kept, so opening the panel later shows them.
    """

    def __init__(self, send: Callable[[list[Entry]], None], enabled: Callable[[], bool]) -> None:
        self._send = send
        self._enabled = enabled
        self._entries: deque[Entry] = deque(maxlen=MAX_ENTRIES)
        # Entries recorded during a stream whose title and data are made (parsed, redacted)
        # only when read: a fast reply should not wait for its own record. Bounded like
        # `_entries`, so what falls off one has fallen off both.
        self._unsettled: deque[tuple[Entry, Callable[[], tuple[str, Any]]]] = deque(
            maxlen=MAX_ENTRIES
        )
        self._pending = 0
        self._seq = itertools.count(1)
        self._turns = itertools.count(1)
        self._last_turn = 0
        self._outbox: list[Entry] = []
        self._timer: asyncio.TimerHandle | None = None

    def add(self, kind: str, title: str, data: Any, *, turn: int | None = None) -> Entry:
        """Record one entry (``turn`` defaults to the turn running here, or the last one)."""
        if turn is None:
            current = _turn.get()
            turn = current[1] if current is not None and current[0] is self else self._last_turn
        entry: Entry = {
            "seq": next(self._seq),
            "turn": turn,
            "time": datetime.now().astimezone().isoformat(timespec="milliseconds"),
            "kind": kind,
            "title": scrub_cut(title, 200),
            "data": _clean(data),
        }
        self._keep(entry)
        return entry

    def add_later(
        self,
        kind: str,
        make: Callable[[], tuple[str, Any]],
        *,
        turn: int | None = None,
        size: int = 0,
    ) -> None:
        """Record one entry whose ``(title, data)`` ``make()`` returns when it is first read
        (``entries``, ``snapshot``, or the next batch to the views); same order as ``add``.
        ``size``: bytes ``make`` holds on to until then."""
        if turn is None:
            current = _turn.get()
            turn = current[1] if current is not None and current[0] is self else self._last_turn
        entry: Entry = {"seq": next(self._seq), "turn": turn, "time": time.time(), "kind": kind}
        self._unsettled.append((entry, make))
        self._keep(entry)
        self._pending += size
        if self._pending > MAX_PENDING:
            self._settle()

    def _keep(self, entry: Entry) -> None:
        self._entries.append(entry)
        if self._enabled():
            self._outbox.append(entry)
            self._schedule()

    def _settle(self) -> None:
        self._pending = 0
        while self._unsettled:
            entry, make = self._unsettled.popleft()
            try:
                title, data = make()
            except Exception as e:  # a record must never break the chat it records
                title, data = "event", {"error": f"not recorded: {type(e).__name__}"}
            stamp = datetime.fromtimestamp(entry["time"]).astimezone()
            entry["time"] = stamp.isoformat(timespec="milliseconds")
            entry["title"] = scrub_cut(title, 200)
            entry["data"] = _clean(data)

    @property
    def entries(self) -> deque[Entry]:
        """Every entry kept, oldest first."""
        self._settle()
        return self._entries

    def add_log(self, entry: Mapping[str, Any]) -> Entry:
        """Record handler output: one ``ChatKitWidget.log`` entry ``{time, source, kind, text}``."""
        title = f"{entry.get('source', 'handler')} {entry.get('kind', '')}".strip()
        return self.add("log", title, dict(entry))

    def snapshot(self) -> list[Entry]:
        """Every entry kept, for a view that opens the panel."""
        return list(self.entries)

    def _schedule(self) -> None:
        if self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()  # no loop (a plain call from a cell): nothing to batch with
            return
        self._timer = loop.call_later(FLUSH_S, self.flush)

    def flush(self) -> None:
        """Send what is waiting now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._outbox:
            self._settle()
            batch, self._outbox = self._outbox, []
            self._send(batch)

    # -- turns ------------------------------------------------------------------------------------

    def start_turn(self, body: bytes) -> int:
        """Begin recording a request's turn in this task; returns its number."""
        turn = next(self._turns)
        self._last_turn = turn
        _turn.set((self, turn))
        if len(body) <= MAX_LAZY:
            self.add_later("request", functools.partial(_request, body), turn=turn, size=len(body))
        else:
            self.add("request", *_request(body), turn=turn)
        return turn


class InspectedEndpoint:
    """The widget's endpoint, with each request and its stream recorded by ``inspector``."""

    def __init__(
        self,
        endpoint: Callable[[bytes, str], Awaitable[bytes | AsyncIterable[bytes]]],
        inspector: Inspector,
    ) -> None:
        self._endpoint = endpoint
        self.inspector = inspector

    async def __call__(self, body: bytes, origin: str = "chat") -> bytes | AsyncIterable[bytes]:
        inspector = self.inspector
        turn = inspector.start_turn(body)
        started = time.monotonic()
        try:
            result = await self._endpoint(body, origin)
        except Exception as e:
            inspector.add(
                "response",
                f"failed: {type(e).__name__}",
                {
                    "error": f"{type(e).__name__}: {e}",
                    "seconds": round(time.monotonic() - started, 3),
                },
                turn=turn,
            )
            raise
        if isinstance(result, bytes):
            make = functools.partial(_response, result, round(time.monotonic() - started, 3))
            if len(result) <= MAX_LAZY:
                inspector.add_later("response", make, turn=turn, size=len(result))
            else:
                inspector.add("response", *make(), turn=turn)
            return result
        return self._events(result, turn, started)

    async def _events(
        self, stream: AsyncIterable[bytes], turn: int, started: float
    ) -> AsyncIterator[bytes]:
        inspector = self.inspector
        buffer = b""
        count = 0
        deltas: dict[str, Any] | None = None  # consecutive text deltas, recorded as one entry
        deltas_head = b"\0"  # how the last delta's frame starts, up to its item id

        def close_deltas() -> None:
            nonlocal deltas
            if deltas is not None:
                title = f"text deltas x{deltas['count']} {deltas['item_id']}"
                inspector.add_later("event", functools.partial(_given, title, deltas), turn=turn)
                deltas = None

        outcome = "done"
        try:
            async for chunk in stream:
                yield chunk
                if not buffer and chunk.find(b"\n") == len(chunk) - 2 and chunk.endswith(b"\n"):
                    # One whole event, as ChatKit yields them (its JSON has no raw newline):
                    # read in place. Joining and splitting every event cost a 10 MB reply more
                    # than the server took to make it (searching b"\n\n" is 80x slower than
                    # b"\n", which is memchr).
                    frames: list[bytes] = [chunk]
                else:
                    buffer += chunk
                    *frames, buffer = buffer.split(b"\n\n")
                for frame in frames:
                    if not frame.startswith(b"data: "):
                        continue
                    count += 1
                    if frame.startswith(_UPDATED) and frame.find(b'_delta"', 0, 160) >= 0:
                        # Text deltas come by the thousand: counted here without parsing (the
                        # done event that follows carries the whole text). One that starts
                        # like the last, up to its item id, is of the same item.
                        if deltas is not None and frame.startswith(deltas_head):
                            deltas["count"] += 1
                            continue
                        found = _ITEM_ID.search(frame)
                        item_id = found.group(1).decode() if found else None
                        deltas_head = frame[: found.end()] if found else b"\0"
                        if deltas is None or deltas["item_id"] != item_id:
                            close_deltas()
                            deltas = {"item_id": item_id, "count": 0}
                        deltas["count"] += 1
                        continue
                    close_deltas()
                    if len(frame) <= MAX_LAZY:
                        make = functools.partial(_event, frame)
                        inspector.add_later("event", make, turn=turn, size=len(frame))
                        continue
                    # A big one (the done event of a long reply) is recorded now, cut to
                    # MAX_TEXT, rather than kept whole until someone looks.
                    title, event = _event(frame)
                    inspector.add("event", title, event, turn=turn)
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except Exception as e:
            outcome = f"failed: {type(e).__name__}"
            raise
        finally:
            close_deltas()
            inspector.add(
                "response",
                f"stream {outcome}, {count} events",
                {
                    "seconds": round(time.monotonic() - started, 3),
                    "events": count,
                    "outcome": outcome,
                },
                turn=turn,
            )


def _request(body: bytes) -> tuple[str, Any]:
    """Title and data of a request body."""
    try:
        request: Any = json.loads(body)
    except (ValueError, RecursionError):
        # The endpoint refuses it with a 400; the panel shows its start.
        request = {"body": body[:200].decode(errors="replace")}
    kind = request.get("type", "request") if isinstance(request, dict) else "request"
    params = request.get("params") if isinstance(request, dict) else None
    thread = params.get("thread_id") if isinstance(params, dict) else None
    return (f"{kind} {thread}" if thread else str(kind)), request


def _response(body: bytes, seconds: float) -> tuple[str, Any]:
    """Title and data of a plain (not streamed) response."""
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):
        data = {"bytes": len(body)}
    return f"{len(body)} bytes", {"seconds": seconds, "body": data}


def _given(title: str, data: Any) -> tuple[str, Any]:
    return title, data


def _event(frame: bytes) -> tuple[str, Any]:
    """Title and data of one ``data: {...}`` frame."""
    try:
        event = json.loads(frame[6:])
    except (ValueError, RecursionError):
        return "event (not JSON)", {"bytes": len(frame)}
    return _event_title(event), event


def _event_title(event: Any) -> str:
    if not isinstance(event, dict):
        return "event"
    kind = str(event.get("type", "event"))
    item = event.get("item")
    if isinstance(item, dict):
        return f"{kind} {item.get('type', '')} {item.get('id', '')}".strip()
    update = event.get("update")
    if isinstance(update, dict):
        return f"{kind} {update.get('type', '')}"
    return kind
