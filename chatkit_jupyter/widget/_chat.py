"""``ChatKitWidget``: the anywidget that shows ChatKit in a cell and hosts the comm bridge."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import time
from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
)
from datetime import datetime
from traceback import format_exception
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import anywidget
import traitlets

from chatkit_jupyter.bridge import Bridge, CommandError, RequestError, RequestRecord
from chatkit_jupyter.bridge import _protocol as p
from chatkit_jupyter.bridge._iopub import iopub_sent
from chatkit_jupyter.notebook._redact import scrub
from chatkit_jupyter.workbench._inspector import InspectedEndpoint, Inspector

from ._ask import DEFAULT_TIMEOUT, Reply
from ._ask import ask as run_ask
from ._bundle import Code, bundle, code_model, code_trait
from ._display import DisplayOnce
from ._drive import PendingCommand, Views, attach, local_files, thread_item
from ._hooks import DISPATCH, HookRegistry
from ._icons import icon_nodes, missing_icons
from ._log import ErrorRecord, Journal, LogEntries, describe
from ._options import DEFAULT_CDN_URL, validate_options
from ._serve import ChatKitEndpoint

if TYPE_CHECKING:
    from chatkit.server import ChatKitServer

logger = logging.getLogger("chatkit_jupyter")

Renderer = Literal["auto", "chatkit", "lite"]

# The same words as the `--to chatkit` page's note (js/src/static/embed.ts).
STATIC_NOTE = (
    '<div class="chatkit-static-chat" style="font:14px system-ui,sans-serif;padding:8px 0">'
    "A ChatKit chat: it runs in the notebook&#x27;s kernel. Open the notebook and run this cell "
    "to chat.</div>"
)
F = TypeVar("F", bound=Callable[..., Any])


class ChatKitWidget(DisplayOnce, anywidget.AnyWidget):
    """A ChatKit chat in a notebook cell, served by a ChatKitServer in this kernel.

    Args:
        server: Any ``chatkit.server.ChatKitServer``; ``None`` makes a default ``NotebookServer``.
        options: ChatKit options (all but ``api``, which the widget owns).
        height: Height of the chat in pixels.
        renderer: ``"auto"`` tries the hosted component and falls back to the lite renderer;
            ``"chatkit"`` only uses the hosted component; ``"lite"`` never loads it.
        cdn_url: Where to load the hosted ``<openai-chatkit>`` script from.
        domain_key: ChatKit's ``api.domainKey``.
        context: Passed to ``server.process`` as the request context (default ``{}``), e.g.
            ``{"user_id": "ada"}`` to keep one user's threads in a ``SQLiteStore``.
        **kwargs: Other traits, e.g. ``load_timeout=8`` or ``inspector=True``.
    """

    _esm = bundle("loader.js")
    _code = code_trait()

    options = traitlets.Dict().tag(sync=True)
    """ChatKit options, validated; change them on a live widget and every view updates."""
    height = traitlets.Int(600).tag(sync=True)
    """Height of the chat in pixels."""
    renderer = traitlets.Enum(("auto", "chatkit", "lite"), default_value="auto").tag(sync=True)
    """Which front end renders the chat."""
    cdn_url = traitlets.Unicode(DEFAULT_CDN_URL).tag(sync=True)
    """URL of the hosted ChatKit script."""
    domain_key = traitlets.Unicode("local-dev").tag(sync=True)
    """ChatKit's ``api.domainKey``."""
    load_timeout = traitlets.Float(4.0).tag(sync=True)
    """Seconds ``renderer="auto"`` waits for the hosted component before falling back (a CDN
    that does not answer at all is given up after 1.5 s); ``renderer="chatkit"`` waits this long
    before it shows the error."""
    api_mode = traitlets.Enum(("custom", "hosted"), default_value="custom").tag(sync=True)
    """``custom``: requests go to ``server`` in this kernel; ``hosted``: an OpenAI-hosted
    Agent Builder workflow, for which the kernel only mints client secrets (see ``for_workflow``)."""
    client_tools = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Names of the client tools with a Python handler (read-only; use ``client_tool``)."""
    handlers = traitlets.List(traitlets.Unicode(), read_only=True).tag(sync=True)
    """The entity and command hooks with a Python handler, by hook name (read-only; use
    ``entity_search``, ``on_entity_click``, ``entity_preview``, ``command_search``,
    ``on_command``). The front end supplies ChatKit's matching callbacks only for these."""
    inspector = traitlets.Bool(False).tag(sync=True)
    """Show the inspector panel under the chat: per turn, the requests, stream events, agent
    steps and handler output, each copyable as JSON (redacted; ``inspector_entries`` in Python)."""
    thread_id = traitlets.Unicode(None, allow_none=True, read_only=True).tag(sync=True)
    """The thread on screen (``None``: a new, empty thread), as the most recently switched
    view reports it (read-only; use ``set_thread``)."""

    def __init__(
        self,
        server: ChatKitServer[Any] | None = None,
        *,
        options: Mapping[str, Any] | None = None,
        height: int = 600,
        renderer: Renderer = "auto",
        cdn_url: str | None = None,
        domain_key: str = "local-dev",
        context: Any = None,
        **kwargs: Any,
    ) -> None:
        hosted = kwargs.get("api_mode") == "hosted"
        if server is None and not hosted:
            from chatkit_jupyter.server import NotebookServer

            server = NotebookServer()
        if server is not None:
            # Imported here: chatkit.server loads the agents SDK, which a widget given its own
            # server has loaded already, and `import chatkit_jupyter` must not.
            from chatkit.server import ChatKitServer

            if not isinstance(server, ChatKitServer):
                raise TypeError(
                    f"server must be a chatkit.server.ChatKitServer, not {type(server).__name__}."
                )
        self.server: ChatKitServer[Any] | None = server
        """The ChatKitServer that answers this widget's requests; may be replaced."""
        self.context: Any = {} if context is None else context
        """Passed to ``server.process`` as the request context (e.g. ``{"user_id": ...}``)."""
        self._hooks = HookRegistry()
        self.events: deque[dict[str, Any]] = deque(maxlen=500)
        """Front-end events reported to the kernel (effects, errors), newest last."""
        super().__init__(
            options=validate_options(options or {}),
            height=height,
            renderer=renderer,
            cdn_url=cdn_url or DEFAULT_CDN_URL,
            domain_key=domain_key,
            **kwargs,
        )
        self._journal = Journal()
        self._asks = 0
        endpoint = ChatKitEndpoint(self._current_server, lambda: self.context, self._journal)
        self._endpoint = endpoint
        self._inspector = Inspector(self._send_inspect, lambda: bool(self.inspector))
        self._journal.listeners.append(self._inspector.add_log)
        self._inspected = InspectedEndpoint(endpoint, self._inspector)
        self._views = Views(
            send=lambda view, name, args: self._bridge.command(view, name, args),
            forget=lambda future: self._bridge.forget_command(future),
            failed=self._command_failed,
        )
        self._bridge = Bridge(
            send=self._send_message,
            endpoint=self._inspected,
            hooks=self._dispatch_hook,
            upload=endpoint.upload,
            explain=endpoint.explain,
            watch=self._views.watch,
            on_error=self._request_failed,
            sent=lambda: iopub_sent(self.comm),
        )
        self.on_msg(self._on_message)

    icons = traitlets.Dict().tag(sync=True)
    """Icon nodes for the ``lucide:`` names in ``options`` that the page's code does not bundle
    (``{"lucide:rocket": [...]}``): drawn on first paint, and saved with the notebook. Other
    ``lucide:`` icons (in widgets of the thread) the page asks the kernel for when it meets them."""

    @traitlets.default("_code")
    def _code_default(self) -> Code:
        return code_model("widget")

    @traitlets.observe("options")
    def _options_changed(self, change: dict[str, Any]) -> None:
        self._apply_attachment_limits()
        icons = missing_icons(change["new"])
        if icons != self.icons:
            self.icons = icons

    def _apply_attachment_limits(self) -> None:
        # The composer's attachment limits are enforced in the kernel too, not only in the page.
        composer = self.options.get("composer") or {}
        limits = composer.get("attachments") if isinstance(composer, Mapping) else None
        apply = getattr(
            getattr(self.server, "attachment_store", None), "apply_composer_options", None
        )
        if apply is not None and isinstance(limits, Mapping):
            apply(limits)

    @traitlets.validate("height")
    def _validate_height(self, proposal: dict[str, Any]) -> int:
        height = int(proposal["value"])
        if height <= 0:
            raise traitlets.TraitError(f"height must be a positive number of pixels, not {height}.")
        return height

    @traitlets.validate("options")
    def _validate_options(self, proposal: dict[str, Any]) -> dict[str, Any]:
        try:
            return validate_options(proposal["value"])
        except (TypeError, ValueError) as e:
            raise traitlets.TraitError(str(e)) from None

    @classmethod
    def for_workflow(
        cls,
        workflow_id: str,
        *,
        user: str = "notebook-user",
        client: Any = None,
        **kwargs: Any,
    ) -> ChatKitWidget:
        """ChatKit for an OpenAI-hosted Agent Builder workflow.

        The front end asks the kernel for a short-lived client secret
        (``client.beta.chatkit.sessions.create``); the API key never leaves the kernel. Only
        the hosted ``<openai-chatkit>`` component can show such a workflow. A secret OpenAI
        refuses or does not give within ``SECRET_TIMEOUT`` seconds (30) is an error in the cell
        that says why, and in ``log``.

        Args:
            workflow_id: The workflow's id (``wf_...``).
            user: Identifies the end user to OpenAI; sessions of one user share threads.
            client: An ``openai.AsyncOpenAI`` (or ``OpenAI``) client; default: a new
                ``AsyncOpenAI()`` configured from the environment.
            **kwargs: Passed to ``ChatKitWidget`` (options, height, cdn_url ...).
        """
        for name, value in (("workflow_id", workflow_id), ("user", user)):
            # Here, not in the chat: OpenAI would only refuse the session later, in the page.
            if not isinstance(value, str) or not value.strip():
                raise ValueError(
                    f"for_workflow() needs {name} as a non-empty str, not {value!r:.60}"
                    + (" (the workflow's id, wf_...)." if name == "workflow_id" else ".")
                )
        if kwargs.setdefault("renderer", "chatkit") == "lite":
            raise ValueError(
                "An OpenAI-hosted workflow can only be shown by the hosted ChatKit component; "
                "use renderer='chatkit' or 'auto'."
            )
        widget = cls(None, api_mode="hosted", **kwargs)
        widget._hooks.set(p.HOOK_CLIENT_SECRET, _secret_minter(workflow_id, user, client))
        return widget

    # -- the bridge -----------------------------------------------------------------------------

    def _current_server(self) -> ChatKitServer[Any]:
        if self.server is None:
            raise RequestError(
                409,
                "This widget shows an OpenAI-hosted workflow; it has no server in this kernel.",
            )
        return self.server

    def _send_message(
        self, content: p.KernelMessage, buffers: list[bytes | bytearray] | None
    ) -> None:
        self.send(dict(content), buffers)

    def _send_inspect(self, entries: list[dict[str, Any]]) -> None:
        self._send_message({"kind": p.INSPECT, "id": "inspector", "entries": entries}, None)

    @property
    def inspector_entries(self) -> list[dict[str, Any]]:
        """What the inspector lists, oldest first: ``{"seq", "turn", "time", "kind", "title",
        "data"}`` with ``kind`` one of ``request``, ``event``, ``step``, ``log``, ``response``
        (redacted JSON, kept whether or not the panel is open)."""
        return self._inspector.snapshot()

    def _on_message(self, _widget: Any, content: Any, buffers: list[Any] | None) -> None:
        if isinstance(content, Mapping) and content.get("kind") in p.FROM_FRONTEND:
            self._bridge.handle(content, buffers)

    @property
    def requests(self) -> list[RequestRecord]:
        """Recent requests and what happened to them, newest last."""
        return list(self._bridge.records)

    @property
    def errors(self) -> list[ErrorRecord]:
        """Errors of recent requests and of the server's replies, newest last.

        Each is a ``str`` (a server exception's traceback, else the message the chat showed)
        with details as attributes: ``.message`` (what the chat showed), ``.traceback``,
        ``.type`` (the exception's class), ``.source`` (``"request"``, ``"respond"``,
        ``"action"`` or ``"ask"``) and ``.time``. An exception in the server's ``respond``,
        before or during the stream, is here, and the chat shows its class and message.
        """
        return list(self._journal.errors)

    @property
    def log(self) -> LogEntries:
        """What handlers and the server printed, and handler exceptions, oldest first.

        Each entry is JSON-able: ``{"time": ISO 8601 str (UTC), "source": str, "kind":
        "stdout" | "stderr" | "error", "text": str}``, plus ``"traceback"`` for errors.
        ``source`` names the handler (``"on_action"``, ``"client_tool get_selection"``,
        ``"entity_search"``, ``"on_command"`` ...) or ``"server"`` (a request's ``respond``,
        including its tools) or ``"respond"``/``"action"``/``"ask"`` for server errors. Texts
        are scrubbed of what looks like a secret. Output printed while a handler runs goes
        here instead of JupyterLab's log console. (ipywidgets' logger methods, such as
        ``w.log.warning``, still work on it.)
        """
        from traitlets.log import get_logger

        return LogEntries(self._journal.log, get_logger())

    def _ask_failed(self, record: RequestRecord, error: Exception) -> None:
        # What the bridge does for a view's request that fails outside the stream.
        record.status, record.error = 500, describe(error)
        record.duration = time.monotonic() - record.started
        self._journal.error(ErrorRecord.of(error, "ask"))

    def _request_failed(
        self, record: RequestRecord, message: str, error: BaseException | None
    ) -> None:
        if error is None:
            self._journal.error(ErrorRecord(message, source="request"))
        else:
            self._journal.error(ErrorRecord.of(error, "request", message))

    @property
    def pending_requests(self) -> int:
        """Requests still running in the kernel."""
        return self._bridge.pending

    async def wait_idle(self) -> None:
        """Wait until every running request has finished."""
        await self._bridge.wait_idle()

    @property
    def max_message_chars(self) -> int | None:
        """Longest user message the kernel accepts, in characters (default 100,000); ``None``
        for no limit. A longer message is refused with an error that names the limit."""
        return self._endpoint.max_message_chars

    @max_message_chars.setter
    def max_message_chars(self, value: int | None) -> None:
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ValueError(
                f"max_message_chars must be a whole number of characters or None, not {value!r}."
            )
        self._endpoint.max_message_chars = value

    def __repr__(self) -> str:
        server = "hosted workflow" if self.server is None else type(self.server).__name__
        return (
            f"ChatKitWidget(server={server}, renderer={self.renderer!r}, "
            f"thread_id={self.thread_id!r})"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The live chat, plus a ``text/html`` note for viewers that cannot run widgets (GitHub,
        ``nbconvert --to html`` without widget state): a chat needs its kernel. Jupyter picks
        the live view when it can draw it."""
        mime = super()._repr_mimebundle_(**kwargs)
        if mime is None:
            return None
        data, metadata = mime if isinstance(mime, tuple) else (mime, {})
        data["text/html"] = STATIC_NOTE
        return data, metadata

    def _displayed(self) -> None:
        # `%chatkit` displays the widget itself and returns it (DisplayOnce skips the second
        # display); a view is on its way: commands sent before it is ready wait for it.
        self._views.expecting = True

    def close(self) -> None:
        """Close the widget and cancel whatever it still runs."""
        bridge = getattr(self, "_bridge", None)  # absent if __init__ failed half-way
        if bridge is not None:
            bridge.cancel_all()
            self._views.cancel()
        super().close()

    # -- hooks ----------------------------------------------------------------------------------

    def client_tool(self, name: str) -> Callable[[F], F]:
        """Register a Python handler for ChatKit client tool ``name``.

        The handler receives the tool's ``params`` dict and returns a JSON-able dict (it may be
        async). Example::

            @w.client_tool("get_selection")
            def get_selection(params):
                return {"rows": [1, 2, 3]}
        """
        if callable(name):  # `@w.client_tool` without the name would register nothing
            guess = getattr(name, "__name__", "get_selection")
            raise TypeError(
                f"client_tool takes the tool's name first: @w.client_tool({guess!r}), not "
                "@w.client_tool."
            )
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"client_tool takes the tool's name as a non-empty str (as the server calls it), "
                f"not {name!r:.60}."
            )

        def register(fn: F) -> F:
            self._hooks.set_named(name, fn)
            self.client_tools = self._hooks.names
            return fn

        return register

    def on_action(self, fn: F) -> F:
        """Register a handler for widget actions with ``handler: "client"``: ``fn(action, item)``.

        ``action`` is ``{"type", "payload"}`` (a ``Form``'s values are in the payload), ``item``
        the widget item ``{"id", "widget"}``. A handler that declares a ``thread_id`` parameter
        also gets the id of the thread the widget is in. Like ChatKit apps do in JavaScript, it
        may forward the action to the server with ``send_custom_action(action, item["id"])`` or
        send a message with ``send_user_message``. Sync or async.
        """
        self._hooks.add(p.HOOK_ACTION, fn)
        return fn

    def on_effect(self, fn: F) -> F:
        """Register ``fn(name, data)`` for the server's ``ClientEffectEvent``s (sync or async)."""
        self._hooks.add(p.HOOK_EFFECT, fn)
        return fn

    def on_ready(self, fn: F) -> F:
        """Register ``fn()``, called each time a view of the chat is ready for commands."""
        self._hooks.add(p.HOOK_READY, fn)
        return fn

    def on_thread_change(self, fn: F) -> F:
        """Register ``fn(thread_id)``, called when the thread on screen (``thread_id``) changes:
        the user opened another thread or a new one (``None``), or a message created one."""
        self._hooks.add(p.HOOK_THREAD_CHANGE, fn)
        return fn

    def on_response_start(self, fn: F) -> F:
        """Register ``fn()``, called when the server starts streaming a response."""
        self._hooks.add(p.HOOK_RESPONSE_START, fn)
        return fn

    def on_response_end(self, fn: F) -> F:
        """Register ``fn()``, called when a response ends (done, stopped or failed); the
        place to refresh what depends on the conversation."""
        self._hooks.add(p.HOOK_RESPONSE_END, fn)
        return fn

    def _set_handler(self, hook: str, fn: F) -> F:
        self._hooks.set(hook, fn)
        self.set_trait("handlers", [h for h in p.HANDLER_HOOKS if self._hooks.has(h)])
        return fn

    def entity_search(self, fn: F) -> F:
        """Register ``fn(query) -> list of entities`` for ``@``-mentions in the composer.

        Each entity is a dict ``{"id", "title", "icon"?, "group"?, "interactive"?, "data"?}``
        (ChatKit's ``Entity``; ``data`` maps strings to strings and reaches the server with the
        tag). The handler may be async. Replaces an earlier one. Example::

            @w.entity_search
            def search(query):
                return [{"id": n, "title": n, "group": "Variables"} for n in names if query in n]
        """
        return self._set_handler(p.HOOK_ENTITY_SEARCH, fn)

    def on_entity_click(self, fn: F) -> F:
        """Register ``fn(entity)``, called when the user clicks an interactive entity."""
        return self._set_handler(p.HOOK_ENTITY_CLICK, fn)

    def entity_preview(self, fn: F) -> F:
        """Register ``fn(entity) -> {"preview": widget or None}`` for entity previews.

        ``widget`` is a ChatKit widget root (``{"type": "Basic", ...}``, a dict or a
        ``chatkit.widgets`` model); returning the widget itself or ``None`` works too.
        """
        return self._set_handler(p.HOOK_ENTITY_PREVIEW, fn)

    def command_search(self, fn: F) -> F:
        """Register ``fn(query) -> list of commands`` for the composer's ``/`` menu.

        Each command is a dict ``{"id", "label", "description"?, "icon"?, "group"?}``. Having
        a handler turns the menu on unless ``options["commands"]["enabled"]`` is ``False``.
        """
        return self._set_handler(p.HOOK_COMMAND_SEARCH, fn)

    def on_command(self, fn: F) -> F:
        """Register ``fn(command)``, run when the user picks a command from the ``/`` menu.

        Return ``None`` when the command only has an effect, ``{"type": "entity", "entity":
        {...}}`` to insert a tag into the composer, or ``{"type": "menu", "commands": [...]}``
        to show a further menu.
        """
        return self._set_handler(p.HOOK_COMMAND_SELECT, fn)

    async def _dispatch_hook(self, hook: str, payload: Mapping[str, Any]) -> Any:
        if hook == p.HOOK_ICONS:
            return icon_nodes(payload.get("names"))
        if hook == p.HOOK_INSPECT:
            return {"entries": self._inspector.snapshot()}
        if hook in (p.HOOK_EFFECT, p.HOOK_LOG):
            self.events.append({"kind": hook, **payload})
            self._inspector.add("log", f"view {hook}", dict(payload))
        elif hook == p.HOOK_READY:
            if self.thread_id is None and payload.get("thread_id"):
                self.set_trait("thread_id", str(payload["thread_id"]))
        elif hook == p.HOOK_THREAD_CHANGE:
            thread = payload.get("thread_id") or None
            if thread == self.thread_id:
                return None  # another view followed to the same thread
            self.set_trait("thread_id", thread)
        source = _hook_source(hook, payload)
        try:
            with self._journal.capturing(source):
                return await self._hooks.dispatch(hook, payload)
        except (Exception, KeyboardInterrupt, SystemExit) as e:
            self._journal.entry(
                source,
                "error",
                describe(e),
                scrubbed=True,
                traceback=scrub("".join(format_exception(e))),
            )
            raise

    # -- driving the chat -----------------------------------------------------------------------

    @property
    def views(self) -> list[dict[str, Any]]:
        """The views of this widget the kernel knows, most recently active first:
        ``{"id", "renderer", "thread_id", "ready"}``."""
        known = sorted(self._views.views.values(), key=lambda v: v.active, reverse=True)
        return [
            {"id": v.id, "renderer": v.renderer, "thread_id": v.thread_id, "ready": v.ready}
            for v in known
        ]

    def _command_failed(self, message: str) -> None:
        self.events.append({"kind": "command_error", "message": message})
        logger.warning("chatkit-jupyter: %s", message)

    def send_user_message(self, text: str, *, new_thread: bool = False) -> PendingCommand:
        """Send ``text`` as the user, in the thread on screen (or a new one), as if typed.

        Runs in one view (the one used last), so the message is sent once however many
        views are open. Returns at once; ``await`` the result to know the message went out.
        ``@w.on_response_end`` tells when the reply is complete.

        Raises:
            CommandError: The chat is not on screen.
        """
        if not isinstance(text, str) or not text.strip():
            raise ValueError("send_user_message() needs the message text, a non-empty str.")
        params: dict[str, Any] = {"text": text}
        if new_thread:
            params["newThread"] = True
        return self._run(p.COMMAND_SEND_USER_MESSAGE, [params], "one", "send a message")

    def send_custom_action(
        self, action: Mapping[str, Any] | Any, item_id: str | None = None
    ) -> PendingCommand:
        """Send a custom action (``{"type": ..., "payload": {...}}``) to the server's
        ``action()``, for the thread on screen, as ChatKit's ``sendCustomAction`` does.

        ``item_id`` is the widget item it belongs to: inside ``@w.on_action``, pass
        ``item["id"]`` to forward a client action to the server. Runs in one view.
        """
        if hasattr(action, "model_dump"):
            action = action.model_dump(mode="json", exclude_none=True)
        if not isinstance(action, Mapping) or not isinstance(action.get("type"), str):
            raise ValueError(
                "send_custom_action() takes an action like {'type': 'refresh', 'payload': {...}}; "
                f"got {action!r:.80}."
            )
        payload = action.get("payload")
        if payload is not None and not isinstance(payload, Mapping):
            raise ValueError(f"The action's payload must be a dict, not {type(payload).__name__}.")
        sent: dict[str, Any] = {"type": action["type"]}
        if payload is not None:
            sent["payload"] = dict(payload)
        args: list[Any] = [sent] if item_id is None else [sent, str(item_id)]
        return self._run(p.COMMAND_SEND_CUSTOM_ACTION, args, "one", "send an action")

    def set_thread(self, thread_id: str | None) -> PendingCommand:
        """Show thread ``thread_id`` in every view; ``None`` starts a new, empty thread."""
        if thread_id is not None and (not isinstance(thread_id, str) or not thread_id):
            raise ValueError(f"set_thread() takes a thread id (str) or None, not {thread_id!r}.")
        return self._run(p.COMMAND_SET_THREAD_ID, [thread_id], "each", "switch threads")

    def set_composer_value(
        self,
        text: str = "",
        *,
        files: Iterable[str | os.PathLike[str]] | str | os.PathLike[str] | None = None,
    ) -> PendingCommand:
        """Put ``text`` (and ``files``, as attachments) in the composer of every view, unsent.

        ``files`` are paths in the kernel's file system. The kernel stores them in the
        server's attachment store itself (they never travel through the browser), checked
        against the composer's attachment options (``enabled``, ``maxSize``, ``accept``).

        Raises:
            FileNotFoundError: A path is not a file.
            AttachmentError: A file is too large or of a type the composer does not accept.
            ValueError: The composer does not take attachments, or the server cannot store them.
            CommandError: The chat is not on screen.
        """
        if not isinstance(text, str):
            raise ValueError(
                f"set_composer_value() takes text as a str, not {type(text).__name__}."
            )
        params: dict[str, Any] = {"text": text}
        if files is None:
            return self._run(p.COMMAND_SET_COMPOSER_VALUE, [params], "each", "fill the composer")
        server = self._current_server_for("attach files")
        checked = local_files(files, self.options.get("composer") or {}, server)
        context = self.context

        async def with_attachments() -> list[Any]:
            params["attachments"] = await attach(checked, server, context)
            return [params]

        return self._views.run_after(
            p.COMMAND_SET_COMPOSER_VALUE, with_attachments(), "each", what="fill the composer"
        )

    def focus_composer(self) -> PendingCommand:
        """Move the keyboard focus to the composer (of the view used last)."""
        return self._run(p.COMMAND_FOCUS_COMPOSER, [], "one", "focus the composer")

    def fetch_updates(self) -> PendingCommand:
        """Make every view show what was added to its thread since it loaded it (e.g. items
        your code saved to ``server.store``), without reopening the thread."""
        return self._run(p.COMMAND_FETCH_UPDATES, [], "each", "fetch updates")

    async def post(self, content: Any, thread_id: str | None = None) -> str:
        """Add an assistant item to a thread and show it in every view at once.

        Args:
            content: Markdown text (``str``), a ChatKit widget root (a dict like ``{"type":
                "Card", "children": [...]}`` or a ``chatkit.widgets`` model), or a
                ``WidgetView`` (its current widget).
            thread_id: The thread to add it to; default: the thread on screen, or a new thread
                (which the views then open) when a new chat is on screen.

        Returns:
            The id of the thread.

        The item is saved through ``server.store``; views showing that thread fetch it. No
        view needs to be open: the item is in the thread when it is next opened. A view that
        cannot fetch it (it did not answer within 30 s, or refused) does not make ``post``
        fail; that is logged and kept in ``events``.
        """
        from chatkit.store import NotFoundError
        from chatkit.types import ThreadMetadata

        server = self._current_server_for("post into a thread")
        store, context = server.store, self.context
        target = thread_id if thread_id is not None else self.thread_id
        if target is None:
            thread = ThreadMetadata(id=store.generate_thread_id(context), created_at=datetime.now())
            item = thread_item(content, thread, server, context)
            await store.save_thread(thread, context)
        else:
            try:
                thread = await store.load_thread(target, context)
            except NotFoundError:
                raise ValueError(
                    f"There is no thread {target!r} in this server's store. Pass the id of an "
                    "existing thread (w.thread_id is the one on screen), or none to post to "
                    "the thread on screen."
                ) from None
            item = thread_item(content, thread, server, context)
        await store.add_thread_item(thread.id, item, context)
        if target is None:
            pending = self._views.run(
                p.COMMAND_SET_THREAD_ID, [thread.id], "each", what="open the thread", required=False
            )
        else:
            pending = self._views.run(
                p.COMMAND_FETCH_UPDATES,
                [],
                "each",
                what="fetch updates",
                where=lambda view: view.thread_id == thread.id,
                required=False,
            )
        if pending is not None and pending.sent:
            # The item is stored: a view that could not refresh (streaming, gone) shows it when
            # it next loads the thread. Raising would make the caller post it twice; the
            # failure is in `events` and the log.
            with contextlib.suppress(CommandError):
                await pending
        return thread.id

    async def ask(
        self,
        text: str,
        *,
        thread_id: str | None = None,
        new_thread: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> Reply:
        """Send ``text`` as the user, as the composer would, and return the ``Reply``.

        The message goes to the thread on screen (``thread_id`` picks another; ``new_thread``
        starts one; with no view open, that is a new thread each time: continue one with
        ``thread_id=reply.thread_id``). The server processes it in the kernel whether or not
        the chat is on screen. Open views show the turn as it streams, as if the message had
        been typed (lite renderer; the hosted component fetches each item as it is done):
        views showing the thread, and every view for a new thread. Their stop button stops
        it (``reply.error`` then says so). A client tool the server calls runs its
        ``@w.client_tool`` handler, as in a view. Errors are in ``reply.error`` (and in
        ``errors``, with the traceback), never raised; ``timeout`` cancels a reply that takes
        too long. Example::

            reply = await w.ask("What is odd in sales?")
            reply.text, reply.tool_calls
        """
        server = self._current_server_for("ask")
        del server  # checked: a hosted workflow has no server here
        target = None if new_thread else (thread_id if thread_id is not None else self.thread_id)
        follow = thread_id is None  # the thread on screen (or a new one): views come along
        self._asks += 1
        turn = f"ask:{self._asks}"
        requests = 0
        stop: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def stopped() -> None:
            if not stop.done():
                stop.set_result("Stopped in the chat before the reply was complete.")

        # Lite views apply the stream itself; the hosted component only streams its own
        # requests, so it is told to open the thread and to fetch each item as it is done.
        pushed = self._bridge.push(
            turn, target, wanted=self._views.streams_shown, on_cancel=stopped
        )
        seen: dict[str, Any] = {"error": False, "tool": None}

        def hosted(view: Any) -> bool:
            return bool(view.renderer != "lite")

        def update_views(event: Any) -> None:
            if event.type == "thread.created":
                pushed.thread_id = event.thread.id
                if follow:
                    # Ready views only (a `where`): a view still loading opens its own thread,
                    # and a headless run has none to wait for.
                    self._views.run(
                        p.COMMAND_SET_THREAD_ID,
                        [event.thread.id],
                        "each",
                        what="open the thread",
                        where=hosted,
                        required=False,
                    )
            elif event.type in ("thread.item.done", "thread.item.removed"):
                current = pushed.thread_id
                self._views.run(
                    p.COMMAND_FETCH_UPDATES,
                    [],
                    "each",
                    what="fetch updates",
                    where=lambda view: hosted(view) and view.thread_id == current,
                    required=False,
                )
                if event.type == "thread.item.done" and event.item.type == "client_tool_call":
                    seen["tool"] = event.item
            elif event.type == "error":
                seen["error"] = True

        async def process(body: bytes) -> Any:
            # Listed in `requests` like a view's request: the turn's id, then `.2`, `.3` for
            # the requests that send a client tool's output.
            nonlocal requests
            requests += 1
            rid = turn if requests == 1 else f"{turn}.{requests}"
            record = RequestRecord(id=rid, type=json.loads(body)["type"])
            self._bridge.records.append(record)
            try:
                result = await self._inspected(body, "ask")
            except Exception as e:
                self._ask_failed(record, e)
                raise
            if isinstance(result, bytes):
                record.status, record.bytes = 200, len(result)
                return result
            return _recorded(result, record, self._ask_failed, pushed.add)

        async def client_tool(name: str, arguments: dict[str, Any]) -> Any:
            # As a view would: the Python handler (its output and errors logged), then the
            # output goes back to the server.
            if name not in self._hooks.names:
                error = LookupError(
                    f"The server called client tool {name!r}, which has no Python handler; "
                    f"register one with @w.client_tool({name!r})."
                )
                tool_done({"error": describe(error)})
                raise error
            try:
                output = await self._dispatch_hook(
                    p.HOOK_CLIENT_TOOL, {"name": name, "params": arguments}
                )
            except Exception as e:
                tool_done({"error": describe(e)})
                raise
            tool_done(output)
            return output

        def tool_done(output: Any) -> None:
            # The server stores the output but sends no event for it; a view that runs a
            # client tool stops its spinner itself, and so do the views shown this turn.
            item = seen["tool"]
            if item is not None:
                done = item.model_copy(update={"status": "completed", "output": output})
                event = {"type": "thread.item.replaced", "item": done.model_dump(mode="json")}
                pushed.add(b"data: " + json.dumps(event).encode() + b"\n\n")

        async def search(query: str) -> list[dict[str, Any]]:
            found = await self._dispatch_hook(p.HOOK_ENTITY_SEARCH, {"query": query})
            return list(found)

        reply: Reply | None = None
        try:
            reply = await run_ask(
                process,
                text,
                target,
                timeout=timeout,
                on_event=update_views,
                client_tool=client_tool,
                search=search if self._hooks.has(p.HOOK_ENTITY_SEARCH) else None,
                stop=stop,
            )
        finally:
            # The views showed an error of the stream already; one outside it (a missing
            # thread, a timeout) they show now, as for a failed request. A stop needs none.
            error = reply.error if reply is not None else None
            outside = error is not None and not seen["error"] and not stop.done()
            pushed.end(error if outside else None)
        return reply

    def _run(
        self, name: str, args: list[Any], scope: Literal["one", "each"], what: str
    ) -> PendingCommand:
        command = self._views.run(name, args, scope, what=what)
        assert command is not None  # required=True raises instead
        return command

    def _current_server_for(self, what: str) -> ChatKitServer[Any]:
        if self.server is None:
            raise ValueError(
                f"Cannot {what}: this widget shows an OpenAI-hosted workflow, whose threads "
                "live at OpenAI, not in a server in this kernel."
            )
        return self.server


SECRET_TIMEOUT = 30.0
"""Seconds ``for_workflow`` waits for OpenAI to mint a client secret (retries included); the
SDK's own default, ten minutes per try, would leave the chat loading for half an hour."""


def _secret_minter(
    workflow_id: str, user: str, client: Any
) -> Callable[[str | None], Awaitable[str]]:
    """The ``client_secret`` hook of ``for_workflow``: a new ChatKit session's secret.

    ``current`` (the secret that expired) is not needed: a new session of the same user and
    workflow sees the same threads.
    """
    made: list[Any] = [client]

    async def client_secret(current: str | None) -> str:
        if made[0] is None:
            # Made on first use, once: the key may be set after the widget is made, and a
            # client per secret would leave a connection pool behind each time.
            from openai import AsyncOpenAI

            made[0] = AsyncOpenAI()
        create = made[0].beta.chatkit.sessions.create
        where = f"a client secret for workflow {workflow_id!r}"
        try:
            if inspect.iscoroutinefunction(create):
                call = create(user=user, workflow={"id": workflow_id})
            else:  # a sync OpenAI client: off the kernel's loop, which serves the chat
                call = asyncio.to_thread(create, user=user, workflow={"id": workflow_id})
            session = await asyncio.wait_for(call, SECRET_TIMEOUT)
        except asyncio.TimeoutError:
            raise RuntimeError(
                f"OpenAI did not give {where} within {SECRET_TIMEOUT:g} s. Check the network "
                "(and the client's base_url), then reload the chat."
            ) from None
        except Exception as e:
            raise RuntimeError(
                f"Could not get {where}: {_secret_failure(e)}. {_secret_advice(e)}"
            ) from e
        secret = getattr(session, "client_secret", None)
        if not isinstance(secret, str) or not secret:
            raise RuntimeError(
                f"OpenAI answered without {where} (its client_secret is "
                f"{type(secret).__name__}); is the client's base_url OpenAI's API?"
            )
        return secret

    return client_secret


def _secret_failure(error: Exception) -> str:
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        # Not the SDK's "AuthenticationError: Error code: 401 - {...}": the page's scrubbing
        # reads "...Error: Error" as a credential and hides the status.
        body = getattr(error, "body", None)
        detail = body.get("message") if isinstance(body, Mapping) else None
        said = f": {str(detail).strip()}" if detail else ""
        return f"OpenAI answered {status} ({type(error).__name__}){said}".rstrip(".")
    return f"{type(error).__name__} from OpenAI: {str(error).strip() or 'no details'}".rstrip(".")


def _secret_advice(error: Exception) -> str:
    status = getattr(error, "status_code", None)
    if status in (401, 403):
        return (
            "Check the API key (OPENAI_API_KEY, or the client passed to for_workflow) and "
            "that its project may use the workflow."
        )
    if status == 404:
        return "Check the workflow id (wf_...) and that it is published."
    if isinstance(status, int) and status < 500:
        return "Check the workflow id and user."
    return "OpenAI may be unavailable (or its answer was garbled); reload the chat to try again."


def _hook_source(hook: str, payload: Mapping[str, Any]) -> str:
    """The handler a hook call runs, as ``log`` names it."""
    if hook == p.HOOK_CLIENT_TOOL:
        return f"client_tool {payload.get('name')}"
    spec = DISPATCH.get(hook)
    return spec.decorator if spec is not None and spec.decorator else hook


async def _recorded(
    stream: AsyncIterable[bytes],
    record: RequestRecord,
    failed: Callable[[RequestRecord, Exception], None],
    tee: Callable[[bytes], None],
) -> AsyncIterator[bytes]:
    record.streaming = True
    try:
        async for data in stream:
            record.chunks += 1
            record.bytes += len(data)
            tee(data)
            yield data
        record.status = 200
    except asyncio.CancelledError:
        record.cancelled = True
        raise
    except Exception as e:
        failed(record, e)
        raise
    finally:
        record.duration = time.monotonic() - record.started
        close = getattr(stream, "aclose", None)  # stopped early: close the server's stream now
        if close is not None:
            await close()
