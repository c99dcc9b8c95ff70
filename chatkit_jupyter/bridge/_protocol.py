"""The messages that travel over the widget's comm, defined once.

Mirrored in ``js/src/transport/protocol.ts``; ``tests/test_protocol.py`` checks that both sides
define the same kinds with the same fields.

Requests and hook calls are started by the front end and carry an ``id`` that is unique across
all views of all widgets (``"<view>:<n>"``). Commands (``command``: do what ChatKit's element
methods do, e.g. send a message) are started by the kernel, addressed to one view, and answered
with a ``command_result``; their ids (``"k<n>"``) come from the kernel. A turn the kernel runs
itself (``ask``) is pushed to every view as ``stream`` batches and a ``stream_end``; a view's
``cancel`` of its id (``"ask:<n>"``) stops it. Binary payloads (ChatKit's SSE bytes, JSON bodies,
uploads) travel as comm buffers, never inside the JSON envelope. Nothing here knows ChatKit:
the bridge carries bytes to an endpoint and back.
"""

# No `from __future__ import annotations` here: TypedDict must see `NotRequired` itself to
# tell optional keys from required ones (tests compare them with the TypeScript side).
from typing import Final, Literal

from typing_extensions import NotRequired, TypedDict

# Front end -> kernel.
REQUEST: Final = "request"
CANCEL: Final = "cancel"
UPLOAD_CHUNK: Final = "upload_chunk"
CALL: Final = "call"
VIEW_CLOSED: Final = "view_closed"
COMMAND_RESULT: Final = "command_result"
ALIVE: Final = "alive"

# Kernel -> front end.
HEAD: Final = "head"
CHUNK: Final = "chunk"
END: Final = "end"
BEAT: Final = "beat"
RESPONSE: Final = "response"
ERROR: Final = "error"
RESULT: Final = "result"
COMMAND: Final = "command"
INSPECT: Final = "inspect"
STREAM: Final = "stream"
STREAM_END: Final = "stream_end"

FROM_FRONTEND: Final = (REQUEST, CANCEL, UPLOAD_CHUNK, CALL, VIEW_CLOSED, COMMAND_RESULT, ALIVE)
FROM_KERNEL: Final = (
    HEAD,
    CHUNK,
    END,
    BEAT,
    RESPONSE,
    ERROR,
    RESULT,
    COMMAND,
    INSPECT,
    STREAM,
    STREAM_END,
)


# -- front end -> kernel ------------------------------------------------------------------------


class Request(TypedDict):
    """An API call (ChatKit's ``fetch``); the body travels as ``buffers[0]``.

    For an upload (``url`` under ``UPLOAD_URL``) with ``chunked``, the body is empty and the
    file follows as ``upload_chunk`` messages of the same ``id``.
    """

    kind: Literal["request"]
    id: str
    view: str
    """The view that sent it; its requests are cancelled when it closes."""
    url: str
    """``API_URL`` for a ChatKit request, ``UPLOAD_URL/<attachment id>`` for upload bytes."""
    chunked: NotRequired[bool]
    """``True``: the body follows as ``upload_chunk`` messages (uploads only)."""
    alive: NotRequired[bool]
    """``True``: the view answers each ``beat`` with ``alive``, so silence means it is gone."""


class Cancel(TypedDict):
    """The fetch was aborted (stop button, lost messages, watchdog): cancel that request."""

    kind: Literal["cancel"]
    id: str


class UploadChunk(TypedDict):
    """One piece of a chunked upload; the bytes travel as ``buffers[0]``."""

    kind: Literal["upload_chunk"]
    id: str
    """The ``request`` this piece belongs to."""
    seq: int
    """Counts from 0; a gap fails the upload instead of storing a corrupt file."""
    last: bool
    """The final piece: the file is complete."""


class Call(TypedDict):
    """A front-end hook that Python answers with a ``result`` (see ``HOOKS``)."""

    kind: Literal["call"]
    id: str
    view: str
    """The view that sent it; its calls are cancelled when it closes."""
    hook: str
    """One of ``HOOKS``."""
    payload: dict[str, object]
    """The hook's arguments; each ``HOOK_*`` constant documents its own."""
    alive: NotRequired[bool]
    """``True``: the view answers each ``beat`` with ``alive`` (see ``Request``)."""


class ViewClosed(TypedDict):
    """A view went away: cancel every request and call it still has running."""

    kind: Literal["view_closed"]
    view: str


class CommandResult(TypedDict):
    """The answer to a ``command``: ``value`` when ``ok``, else ``message``."""

    kind: Literal["command_result"]
    id: str
    """The command's id."""
    view: str
    """The view that ran it."""
    ok: bool
    value: NotRequired[object]
    """What the element method returned (usually nothing)."""
    message: NotRequired[str]
    """Why the view could not run it (when not ``ok``)."""


class Alive(TypedDict):
    """The view still reads this request: its answer to each ``beat``.

    A request sent with ``alive: true`` whose view then misses several beats is cancelled: the
    page went away without a word (a closed notebook tab sends no ``view_closed``)."""

    kind: Literal["alive"]
    id: str


FrontendMessage = Request | Cancel | UploadChunk | Call | ViewClosed | CommandResult | Alive
"""Every message the front end sends."""


# -- kernel -> front end ------------------------------------------------------------------------


class Head(TypedDict):
    """Start of a streamed response; ``chunk`` messages and an ``end`` follow.

    The first batch of bytes, if the stream has any, travels as ``buffers[0]`` and counts as
    chunk 0 (the next ``chunk`` is ``seq`` 1)."""

    kind: Literal["head"]
    id: str
    status: int
    content_type: str
    """The response's ``content-type`` (``text/event-stream``)."""


class Chunk(TypedDict):
    """A batch of streamed bytes; the bytes travel as ``buffers[0]``."""

    kind: Literal["chunk"]
    id: str
    seq: int
    """Counts from 0, the head's batch being chunk 0 (so a ``chunk`` message starts at 1); a
    gap tells the front end that messages were lost."""


class End(TypedDict):
    """End of a streamed response."""

    kind: Literal["end"]
    id: str
    total: int
    """How many batches were sent (the head's, if it carried one, and each ``chunk``), so a
    lost tail is noticed."""


class Beat(TypedDict):
    """Heartbeat for every running request and call, every ``HEARTBEAT_S`` seconds."""

    kind: Literal["beat"]
    id: str
    sent: int
    """Chunks sent so far (0 for plain requests and calls); more than received means a loss."""


class Response(TypedDict):
    """A complete, non-streamed response; the body travels as ``buffers[0]``."""

    kind: Literal["response"]
    id: str
    status: int
    content_type: str


class Error(TypedDict):
    """The request failed; ends any stream of that id."""

    kind: Literal["error"]
    id: str
    status: int
    """HTTP-like: 400 bad request, 404 not found, 409 id in use, 500 server failure ..."""
    message: str
    """Written for the user: what was wrong and what to do."""


class Result(TypedDict):
    """The answer to a ``call``: ``value`` when ``ok``, else ``message``."""

    kind: Literal["result"]
    id: str
    ok: bool
    value: NotRequired[object]
    """The handler's JSON value (when ``ok``)."""
    message: NotRequired[str]
    """Why the handler failed (when not ``ok``)."""


class Command(TypedDict):
    """Run one of ChatKit's element methods (``COMMANDS``) in one view; a ``command_result``
    answers. Every view receives every message; only the one named in ``view`` runs it."""

    kind: Literal["command"]
    id: str
    """``"k<n>"``, unique in this kernel."""
    view: str
    """The view that runs it (the bridge id it sends its own messages with)."""
    name: str
    """One of ``COMMANDS``: the name of the ``<openai-chatkit>`` element method."""
    args: list[object]
    """The method's positional arguments, as JSON."""


class Inspect(TypedDict):
    """New inspector entries (``workbench.Inspector``), batched; sent while ``inspector`` is on."""

    kind: Literal["inspect"]
    id: str
    """Always ``"inspector"``."""
    entries: list[dict[str, object]]


class Stream(TypedDict):
    """A batch of the SSE bytes of a turn the kernel runs itself (``ChatKitWidget.ask``), to
    every view; the bytes travel as ``buffers[0]``. Lite views apply them as if the turn were
    their own stream; a ``stream_end`` follows. Batched and numbered like ``chunk``s, and
    ``beat``s of the same id tell how many batches there were."""

    kind: Literal["stream"]
    id: str
    """``"ask:<n>"``: one turn, over all of its requests. A view's ``cancel`` of this id stops it."""
    seq: int
    """Counts every batch from 0, also those not sent while no view could show them: a view
    that sees a first ``seq`` above 0 came in late, one that sees a gap lost messages."""
    thread_id: str | None
    """The turn's thread; ``None`` while a turn that creates its thread has not said which."""


class StreamEnd(TypedDict):
    """End of a ``stream``: the turn is over (complete, failed or stopped)."""

    kind: Literal["stream_end"]
    id: str
    total: int
    """How many batches there were, so a lost tail is noticed."""
    thread_id: str | None
    error: NotRequired[str]
    """Why the turn failed outside its stream (no such thread, a server exception before the
    stream, a timeout), written for the user; errors inside the stream are in the stream."""


KernelMessage = (
    Head | Chunk | End | Beat | Response | Error | Result | Command | Inspect | Stream | StreamEnd
)
"""Every message the kernel sends."""


# Hooks the front end may ``call``.
HOOK_CLIENT_TOOL: Final = "client_tool"
"""ChatKit's ``onClientTool``: payload ``{name, params}``; value is the tool's output dict."""
HOOK_ACTION: Final = "action"
"""ChatKit's ``widgets.onAction``: payload ``{action, item, thread_id}`` (from a ``WidgetView``:
``{action}``; value is ``null`` or ``{error}``, the one line the view shows)."""
HOOK_EFFECT: Final = "effect"
"""A ``client_effect`` event: payload ``{name, data}``."""
HOOK_CLIENT_SECRET: Final = "client_secret"
"""``getClientSecret`` for hosted workflows: payload ``{current}``; value is the secret."""
HOOK_LOG: Final = "log"
"""A front-end event worth keeping in the kernel's event log: payload ``{name, data}``."""

HOOK_ENTITY_SEARCH: Final = "entity_search"
"""ChatKit's ``entities.onTagSearch``: payload ``{query}``; value is a list of entities."""
HOOK_ENTITY_CLICK: Final = "entity_click"
"""ChatKit's ``entities.onClick``: payload ``{entity}``."""
HOOK_ENTITY_PREVIEW: Final = "entity_preview"
"""ChatKit's ``entities.onRequestPreview``: payload ``{entity}``; value is ``{preview}``."""
HOOK_COMMAND_SEARCH: Final = "command_search"
"""ChatKit's ``commands.onSearch``: payload ``{query}``; value is a list of commands."""
HOOK_COMMAND_SELECT: Final = "command_select"
"""ChatKit's ``commands.onSelect``: payload ``{command}``; value is ``null`` or a selection."""

HOOK_READY: Final = "ready"
"""ChatKit's ``chatkit.ready``: the view can run commands. Payload ``{renderer, thread_id}``
(``renderer``: ``"chatkit"`` or ``"lite"``; ``thread_id``: the thread it shows, or ``null``)."""
HOOK_THREAD_CHANGE: Final = "thread_change"
"""ChatKit's ``chatkit.thread.change``: payload ``{thread_id}`` (``null``: a new thread)."""
HOOK_RESPONSE_START: Final = "response_start"
"""ChatKit's ``chatkit.response.start``: payload ``{thread_id}``."""
HOOK_RESPONSE_END: Final = "response_end"
"""ChatKit's ``chatkit.response.end``: payload ``{thread_id}``."""
HOOK_INSPECT: Final = "inspect"
"""The inspector panel opened: answers ``{"entries": [...]}``, every entry kept so far."""
HOOK_ACTIVE: Final = "active"
"""The person clicked or typed in this view (at most once a second): commands meant for one
view go to the view used last. Payload ``{}``."""

HOOK_ICONS: Final = "icons"
"""The page met ``lucide:`` icons its code lacks: payload ``{names}``; the kernel answers
``{name: icon node}`` for those it knows."""

HOOKS: Final = (
    HOOK_CLIENT_TOOL,
    HOOK_ACTION,
    HOOK_EFFECT,
    HOOK_CLIENT_SECRET,
    HOOK_LOG,
    HOOK_ENTITY_SEARCH,
    HOOK_ENTITY_CLICK,
    HOOK_ENTITY_PREVIEW,
    HOOK_COMMAND_SEARCH,
    HOOK_COMMAND_SELECT,
    HOOK_READY,
    HOOK_THREAD_CHANGE,
    HOOK_RESPONSE_START,
    HOOK_RESPONSE_END,
    HOOK_ACTIVE,
    HOOK_ICONS,
    HOOK_INSPECT,
)
"""Every hook the front end may call."""

HANDLER_HOOKS: Final = (
    HOOK_ENTITY_SEARCH,
    HOOK_ENTITY_CLICK,
    HOOK_ENTITY_PREVIEW,
    HOOK_COMMAND_SEARCH,
    HOOK_COMMAND_SELECT,
)
"""Hooks the front end wires only when Python has a handler (the widget's ``handlers`` trait)."""

# Commands the kernel may send: the ``<openai-chatkit>`` element methods, by their own names.
COMMAND_SEND_USER_MESSAGE: Final = "sendUserMessage"
"""``sendUserMessage({text, newThread, ...})``."""
COMMAND_SEND_CUSTOM_ACTION: Final = "sendCustomAction"
"""``sendCustomAction(action, itemId?)``."""
COMMAND_SET_THREAD_ID: Final = "setThreadId"
"""``setThreadId(threadId | null)``."""
COMMAND_SET_COMPOSER_VALUE: Final = "setComposerValue"
"""``setComposerValue({text, attachments, ...})``; attachments are uploaded by the kernel."""
COMMAND_FOCUS_COMPOSER: Final = "focusComposer"
"""``focusComposer()``."""
COMMAND_FETCH_UPDATES: Final = "fetchUpdates"
"""``fetchUpdates()``: show what was added to the thread's store since it was loaded."""

COMMANDS: Final = (
    COMMAND_SEND_USER_MESSAGE,
    COMMAND_SEND_CUSTOM_ACTION,
    COMMAND_SET_THREAD_ID,
    COMMAND_SET_COMPOSER_VALUE,
    COMMAND_FOCUS_COMPOSER,
    COMMAND_FETCH_UPDATES,
)
"""Every command a view runs; anything else is refused."""

API_URL: Final = "https://chatkit-jupyter.invalid/chatkit"
"""Placeholder ``api.url`` given to ChatKit; every request goes through our ``fetch`` instead."""
UPLOAD_URL: Final = API_URL + "/upload"
"""Where ChatKit uploads attachment bytes (two-phase upload); handled by the bridge too."""
