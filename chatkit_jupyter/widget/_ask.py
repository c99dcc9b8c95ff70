"""``ask``: send a user message from Python and get the reply back as a ``Reply``.

The message travels as the ChatKit request the composer would send (``threads.create`` or
``threads.add_user_message``), processed by ``server.process`` in the kernel, on the caller's
loop. It does not go through a view: a view may be closed, still loading, or be the hosted
component, which only streams requests it made itself, and ``ask`` must work (and end) either
way. ``ChatKitWidget.ask`` shows the turn in the open views instead: it tees the stream to the
lite views (``Bridge.push``), which apply it as their own, and makes hosted views open the new
thread and fetch each item as it is done.

Servers may tell more than the stream does (the tool calls of an agent, the model's token
usage): while ``ask`` runs, ``current_turn()`` returns a ``Turn`` a server may fill in
(``NotebookServer`` does).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import re
import time
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from chatkit_jupyter.bridge._bridge import halted

DEFAULT_TIMEOUT: Final = 300.0
"""Seconds ``ask`` waits for a whole reply before it cancels the request."""

Process = Callable[[bytes], Awaitable["bytes | AsyncIterable[bytes]"]]
"""Runs one ChatKit request body: the JSON of a plain answer, or the SSE stream."""

ClientTool = Callable[[str, dict[str, Any]], Awaitable[Any]]
"""Runs a client tool: ``(name, arguments) -> output``."""

Search = Callable[[str], Awaitable[list[dict[str, Any]]]]
"""The entity search behind "@": ``query -> ChatKit entities``."""

MAX_CLIENT_TOOL_ROUNDS: Final = 20
"""Client tool calls one ``ask`` answers before it stops (a server calling them in a loop)."""


@dataclass(frozen=True)
class ToolCall:
    """One tool the agent called during a reply (a handoff too: ``transfer_to_...``)."""

    name: str
    """The tool's name."""
    arguments: Any
    """The arguments, parsed from JSON when they are JSON."""
    output: Any = None
    """What the tool returned (``None`` if it never returned)."""
    error: str | None = None
    """What the tool raised (class and message, redacted), when it failed: ``output`` is then
    the message the model got instead."""


@dataclass(repr=False)
class Reply:
    """What ``ask`` got back: the reply of one user message."""

    text: str = ""
    """The assistant's text (its messages of this turn, joined by blank lines)."""
    items: list[Any] = field(default_factory=list)
    """The ChatKit thread items this turn added after the user's message (assistant
    messages, widgets, workflows, client tool calls ...), as ``chatkit.types`` models."""
    tool_calls: list[ToolCall] = field(default_factory=list)
    """The tools called, in order: the agent's (reported by ``NotebookServer``) and client
    tools (from the stream)."""
    thread_id: str | None = None
    """The thread the message went to (a new one unless a thread was given)."""
    usage: dict[str, int] | None = None
    """Token counts (``requests``, ``input_tokens``, ``output_tokens``, ``total_tokens``)
    where the model reports them; ``None`` otherwise."""
    duration: float = 0.0
    """Seconds from sending to the end of the reply."""
    error: str | None = None
    """What went wrong, as the chat would show it; ``None`` for a complete reply."""
    output: Any = None
    """The agent's final output where the server reports it (``NotebookServer`` does): an
    instance of the agent's ``output_type`` (e.g. a pydantic model), else its text; ``None``
    when the run did not finish (an error, a stop, a tripped guardrail)."""

    def __str__(self) -> str:
        return self.text if self.error is None else f"{self.text}\n[error] {self.error}".strip()

    def __repr__(self) -> str:
        # Short: a cell's last line shows it, and `items` can be long.
        text = self.text if len(self.text) <= 80 else self.text[:79] + "…"
        tools = [call.name for call in self.tool_calls]
        error = f", error={self.error!r}" if self.error is not None else ""
        return (
            f"Reply(text={text!r}, tool_calls={tools}, items={len(self.items)}, "
            f"thread_id={self.thread_id!r}, duration={self.duration:.2f}{error})"
        )


@dataclass
class Turn:
    """What a server reports about the turn ``ask`` is running (see ``current_turn``)."""

    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: dict[str, int] | None = None
    output: Any = None


_turn: contextvars.ContextVar[Turn | None] = contextvars.ContextVar(
    "chatkit_jupyter_turn", default=None
)


def current_turn() -> Turn | None:
    """The ``Turn`` of the ``ask`` running in this context, or ``None`` (a chat request)."""
    return _turn.get()


_MENTION: Final = re.compile(r"@(\w+)")
"""``@name`` in the text of an ``ask``: a tag, if the entity search knows ``name``."""


async def find_tags(text: str, search: Search | None) -> list[dict[str, Any]]:
    """The entities that ``@name``s in ``text`` name exactly (the composer's "@" menu, typed)."""
    if search is None:
        return []
    found: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(_MENTION.findall(text)):
        try:
            entities = await search(name)
        except Exception:  # a broken handler (in the widget's log): the text stays text
            continue
        for entity in entities:
            if entity.get("title") == name:
                found[name] = entity
                break
    return list(found.values())


def content_parts(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``text`` as the composer sends it: ``@Title`` of each entity an ``input_tag`` part."""
    if not entities:
        return [{"type": "input_text", "text": text}]
    by_label = {f"@{e['title']}": e for e in entities}
    pattern = re.compile(
        "|".join(re.escape(label) for label in sorted(by_label, key=len, reverse=True)) + r"(?!\w)"
    )
    parts: list[dict[str, Any]] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() > last:
            parts.append({"type": "input_text", "text": text[last : match.start()]})
        entity = by_label[match.group()]
        parts.append(
            {
                "type": "input_tag",
                "id": entity["id"],
                "text": entity["title"],
                "data": dict(entity.get("data") or {}),
                "group": entity.get("group"),
                "interactive": bool(entity.get("interactive", False)),
            }
        )
        last = match.end()
    if last < len(text):
        parts.append({"type": "input_text", "text": text[last:]})
    return parts


def request_body(
    text: str, thread_id: str | None, entities: list[dict[str, Any]] | None = None
) -> bytes:
    """The ChatKit request the composer sends for ``text`` (with ``entities`` tagged)."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("ask() needs the message text, a non-empty str.")
    if thread_id is not None and (not isinstance(thread_id, str) or not thread_id):
        raise ValueError(f"thread_id must be a thread id (str) or None, not {thread_id!r}.")
    user_input = {
        "content": content_parts(text, entities or []),
        "attachments": [],
        "inference_options": {},
    }
    if thread_id is None:
        body: dict[str, Any] = {"type": "threads.create", "params": {"input": user_input}}
    else:
        body = {
            "type": "threads.add_user_message",
            "params": {"thread_id": thread_id, "input": user_input},
        }
    return json.dumps(body).encode()


async def ask(
    process: Process,
    text: str,
    thread_id: str | None = None,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    on_event: Callable[[Any], None] | None = None,
    client_tool: ClientTool | None = None,
    search: Search | None = None,
    stop: asyncio.Future[str] | None = None,
) -> Reply:
    """Send ``text`` through ``process`` and collect the reply (see the module docstring).

    Args:
        process: Runs the request (``server.process`` with a context, or a widget's endpoint).
        text: The user's message.
        thread_id: Continue this thread; ``None`` starts a new one.
        timeout: Seconds before the request is cancelled and the reply says so; ``None``
            waits as long as it takes.
        on_event: Called with each ``ThreadStreamEvent`` as it arrives.
        client_tool: Runs a client tool the server calls (``(name, arguments) -> output``),
            whose output is sent back (``threads.add_client_tool_output``) and the reply goes
            on, as a view does; ``None`` leaves the call pending.
        search: The entity search: an ``@name`` in ``text`` that it finds by that exact title
            is sent as a tag, as if picked from the composer's "@" menu.
        stop: Cancels the request once it has a result: the reason, which becomes
            ``Reply.error`` (a view's stop button).

    A server error does not raise: it is in ``Reply.error``, so a loop over prompts goes on.
    """
    from chatkit.types import ThreadStreamEvent
    from pydantic import TypeAdapter

    request_body(text, thread_id)  # bad arguments fail before any search runs
    # `not > 0`: NaN too, which asyncio takes as "no time at all".
    if timeout is not None and (
        not isinstance(timeout, int | float) or isinstance(timeout, bool) or not timeout > 0
    ):
        raise ValueError(
            f"timeout must be a positive number of seconds or None, not {timeout!r:.40}."
        )
    body = request_body(text, thread_id, await find_tags(text, search))
    events: TypeAdapter[Any] = TypeAdapter(ThreadStreamEvent)
    reply = Reply(thread_id=thread_id)
    # Assistant messages still streaming: the reply keeps what came if it is cut short.
    streaming: dict[str, Any] = {}
    turn = Turn()
    token = _turn.set(turn)
    started = time.monotonic()

    async def stream(request: bytes) -> None:
        result = await process(request)
        if isinstance(result, bytes):
            raise RuntimeError(f"The server answered {request[:40]!r} without a stream.")
        async for event in _events(result, events):
            _collect(reply, event)
            _stream(streaming, event)
            if on_event is not None:
                on_event(event)

    async def run() -> None:
        try:
            await turns()
        except (KeyboardInterrupt, SystemExit) as e:
            # Out of this task, exit() or an interrupt would stop the kernel's loop.
            reply.error = halted(e, "The server (or a client tool's handler)", None)

    async def turns() -> None:
        await stream(body)
        for _ in range(MAX_CLIENT_TOOL_ROUNDS):
            pending = _pending_client_tool(reply)
            if pending is None or reply.error is not None or client_tool is None:
                return
            try:
                output = await client_tool(pending.name, dict(pending.arguments))
            except Exception as e:
                from ._log import describe

                output = {"error": describe(e)}
            reply.tool_calls[-1] = ToolCall(pending.name, pending.arguments, output)
            await stream(_tool_output_body(reply.thread_id, output))

    # The task copies this context, so the server sees the Turn.
    task = asyncio.ensure_future(run())
    try:
        waiting: set[asyncio.Future[Any]] = {task} if stop is None else {task, stop}
        try:
            await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()  # the cell was interrupted: the request goes too
            raise
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
            if not task.cancelled():
                task.exception()  # retrieved: the reason below is what counts
            # As the chat does on stop (ChatKit stores the unfinished message).
            reply.items += [m for m in streaming.values() if any(p.text for p in m.content)]
            if stop is not None and stop.done():
                reply.error = stop.result()
            else:
                reply.error = (
                    f"No complete reply within {timeout:g} s; the request was cancelled. "
                    "Pass a larger timeout= (or None) to wait longer."
                )
        else:
            task.result()
    except Exception as e:
        # E.g. a store error before the stream; the widget's errors have the traceback.
        from ._log import describe

        reply.error = describe(e)
    finally:
        _turn.reset(token)
        reply.duration = time.monotonic() - started
    reply.tool_calls = [*turn.tool_calls, *reply.tool_calls]
    reply.usage = turn.usage
    reply.output = turn.output if reply.error is None else None
    reply.text = "\n\n".join(
        "".join(part.text for part in item.content)
        for item in reply.items
        if item.type == "assistant_message"
    )
    return reply


async def _events(stream: AsyncIterable[bytes], adapter: Any) -> Any:
    buffer = b""
    # A StreamingResult's generator, so that stopping early closes the server's stream (and
    # its run) now, not when it is garbage-collected.
    source = getattr(stream, "json_events", stream)
    try:
        async for data in source:
            buffer += data
            *frames, buffer = buffer.split(b"\n\n")
            for frame in frames:
                if frame.startswith(b"data: "):
                    yield adapter.validate_json(frame[len(b"data: ") :])
    finally:
        close = getattr(source, "aclose", None)
        if close is not None:
            await close()


def _pending_client_tool(reply: Reply) -> Any:
    last = reply.items[-1] if reply.items else None
    if last is not None and last.type == "client_tool_call" and last.status == "pending":
        return last
    return None


def _tool_output_body(thread_id: str | None, output: Any) -> bytes:
    params = {"thread_id": thread_id, "result": output}
    return json.dumps({"type": "threads.add_client_tool_output", "params": params}).encode()


def _stream(streaming: dict[str, Any], event: Any) -> None:
    kind = event.type
    if kind == "thread.item.added" and event.item.type == "assistant_message":
        streaming[event.item.id] = event.item.model_copy(deep=True)
    elif kind == "thread.item.updated" and event.item_id in streaming:
        update = event.update
        content = streaming[event.item_id].content
        if update.type == "assistant_message.content_part.added":
            content[update.content_index : update.content_index + 1] = [
                update.content.model_copy(deep=True)
            ]
        elif update.type == "assistant_message.content_part.text_delta" and (
            update.content_index < len(content)
        ):
            # The part's reference dropped first: CPython then grows the string in place
            # (a 10 MB reply in small deltas is otherwise quadratic; see NotebookServer).
            part = content[update.content_index]
            text = part.text
            part.text = ""
            text += update.delta
            part.text = text
    elif kind in ("thread.item.done", "thread.item.replaced"):
        streaming.pop(event.item.id, None)
    elif kind == "thread.item.removed":
        streaming.pop(event.item_id, None)


def _collect(reply: Reply, event: Any) -> None:
    kind = event.type
    if kind == "thread.created":
        reply.thread_id = event.thread.id
    elif kind == "thread.item.done" and event.item.type != "user_message":
        reply.items.append(event.item)
        if event.item.type == "client_tool_call":
            item = event.item
            reply.tool_calls.append(ToolCall(item.name, item.arguments, item.output))
    elif kind == "thread.item.removed":
        reply.items = [i for i in reply.items if i.id != event.item_id]
    elif kind == "error":
        reply.error = event.message or f"The server failed ({event.code})."
