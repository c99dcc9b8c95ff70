"""The messages that travel over the widget's comm, defined once.

Mirrored in ``js/src/protocol.ts``; ``tests/test_protocol.py`` checks the two agree.

Every exchange is started by the front end and carries an ``id`` that is unique across all
views of all widgets. Binary payloads (ChatKit's SSE bytes, JSON bodies, uploads) travel as
comm buffers, never inside the JSON envelope.
"""

from __future__ import annotations

from typing import Final

# Front end -> kernel.
REQUEST: Final = "request"
"""A ChatKit API call: ``{kind, id, url, method, content_type}`` + the body as ``buffers[0]``."""
CANCEL: Final = "cancel"
"""The fetch was aborted (stop button, view closed): ``{kind, id}``."""
UPLOAD_CHUNK: Final = "upload_chunk"
"""One piece of a file upload: ``{kind, id, seq, last}`` + the bytes as ``buffers[0]``."""
CALL: Final = "call"
"""A front-end hook that Python answers: ``{kind, id, hook, payload}``."""
VIEW_CLOSED: Final = "view_closed"
"""A view went away; cancel what it still has running: ``{kind, view}``."""

# Kernel -> front end.
HEAD: Final = "head"
"""Start of a streamed response: ``{kind, id, status, content_type}``."""
CHUNK: Final = "chunk"
"""A batch of SSE bytes: ``{kind, id, seq}`` + ``buffers[0]``; ``seq`` counts from 0."""
END: Final = "end"
"""End of a streamed response: ``{kind, id, total}``; ``total`` is the number of chunks sent."""
BEAT: Final = "beat"
"""Heartbeat while a stream is open: ``{kind, id, sent}``; lets the front end detect a lost tail."""
RESPONSE: Final = "response"
"""A complete, non-streamed response: ``{kind, id, status, content_type}`` + ``buffers[0]``."""
ERROR: Final = "error"
"""The request failed: ``{kind, id, status, message}``; ends any stream of that id."""
RESULT: Final = "result"
"""Answer to a ``call``: ``{kind, id, ok, value}`` or ``{kind, id, ok: false, message}``."""

FROM_FRONTEND: Final = (REQUEST, CANCEL, UPLOAD_CHUNK, CALL, VIEW_CLOSED)
FROM_KERNEL: Final = (HEAD, CHUNK, END, BEAT, RESPONSE, ERROR, RESULT)

# Hooks the front end may ``call``.
HOOK_CLIENT_TOOL: Final = "client_tool"
"""ChatKit's ``onClientTool``: payload ``{name, params}``; value is the tool's output dict."""
HOOK_ACTION: Final = "action"
"""ChatKit's ``widgets.onAction``: payload ``{action, item}``."""
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

API_URL: Final = "https://chatkit-jupyter.invalid/chatkit"
"""Placeholder ``api.url`` given to ChatKit; every request goes through our ``fetch`` instead."""
UPLOAD_URL: Final = API_URL + "/upload"
"""Where ChatKit uploads attachment bytes (two-phase upload); handled by the bridge too."""
