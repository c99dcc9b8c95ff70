"""Driving the chat from Python: the widget's open views, the commands sent to them, and what
``post`` and ``set_composer_value(files=...)`` write to the server's stores first.

A command is one of ChatKit's ``<openai-chatkit>`` element methods (the bridge protocol's
``COMMANDS``), run by a view: the hosted element itself, or our lite renderer, which has the same
methods. The kernel learns the views from their messages: each one says ``ready`` when it can
run commands, reports the thread it shows, and says ``view_closed`` when it goes. A command that
changes what the server stores (sending a message, a custom action) runs in one view, the one
the person used last (or the newest), so it happens once however many views are open; commands that only change
what a view shows go to every view.

Messages from the page reach the kernel only between cells or while an async cell awaits (see
README "Which thread"). So commands are sent at once and return a ``PendingCommand``: a
synchronous cell may ignore it, an async one may ``await`` it for the outcome.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import os
import time
import warnings
from collections.abc import Callable, Coroutine, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from chatkit_jupyter.bridge import CommandError

if TYPE_CHECKING:
    from chatkit.server import ChatKitServer
    from chatkit.types import ThreadItem, ThreadMetadata

logger = logging.getLogger("chatkit_jupyter")

COMMAND_TIMEOUT_S: Final = 30.0
"""A view that has not answered a command after this long is taken for gone (a reloaded page
never says ``view_closed``). Views answer once a command has *started*: a message being sent,
not its whole reply."""

VIEW_WAIT_S: Final = 20.0
"""How long a command waits for a view that is being displayed. Without a front end (nbclient,
``nbconvert --execute``, a closed tab) no view ever comes; the command fails then instead of
hanging the cell that awaits it."""

NO_VIEW_CAME: Final = (
    "No view of the chat became ready within {seconds:.0f} s, so it could not {what}. Is the "
    "notebook open in JupyterLab, Notebook 7 or VS Code? A headless run (nbclient, nbconvert "
    "--execute) has no screen to drive; post() still stores items without one."
)

Scope = Literal["one", "each"]

NO_VIEW: Final = (
    "The chat is not on screen, so it cannot {what}. Display the widget first (put `w` on "
    "the last line of a cell, or call display(w)), then run this again."
)


@dataclass
class View:
    """One view of the widget in a page, as the kernel knows it."""

    id: str
    """The view's bridge id (the ``view`` field of its messages)."""
    renderer: str = ""
    """``"chatkit"`` (the hosted element) or ``"lite"``; empty until it is ready."""
    thread_id: str | None = None
    """The thread it shows; ``None`` for a new, empty thread."""
    ready: bool = False
    """It said ``ready``: it can run commands."""
    active: float = field(default_factory=time.monotonic)
    """When it became ready or the person last clicked or typed in it."""
    silent: bool = False
    """It did not answer a command in time; skipped until it speaks again."""


class PendingCommand:
    """A command sent to the chat's views. ``await`` it for the outcome, or ignore it.

    It raises ``CommandError`` when a view refused or did not answer. Failures nobody awaits
    are logged and kept in the widget's ``events``.
    """

    def __init__(self, name: str, future: asyncio.Future[Any], *, sent: bool = True) -> None:
        self.name = name
        """The ChatKit element method (``sendUserMessage``, ``setThreadId`` ...)."""
        self.sent = sent
        """Whether it went to a ready view; ``False`` while it waits for a view to be ready."""
        self._future = future

    def __await__(self) -> Generator[Any, None, Any]:
        return self._future.__await__()

    def done(self) -> bool:
        """Whether the views answered (or the command failed)."""
        return self._future.done()

    def result(self) -> Any:
        """What the view answered; raises ``CommandError`` if it failed, or
        ``asyncio.InvalidStateError`` while no answer has arrived."""
        return self._future.result()

    def __repr__(self) -> str:
        if not self._future.done():
            state = "pending"
        elif self._future.cancelled():
            state = "cancelled"
        elif self._future.exception() is not None:
            state = f"failed: {self._future.exception()}"
        else:
            state = "done"
        return f"<PendingCommand {self.name} {state}>"

    def _ipython_display_(self) -> None:
        # `w.focus_composer()` on a cell's last line shows nothing, like a method returning None.
        pass


Send = Callable[[str, str, list[Any]], "asyncio.Future[Any]"]
"""``bridge.command(view, name, args)``."""


class Views:
    """The open views of one widget and the commands addressed to them.

    Args:
        send: Sends one command to one view (``Bridge.command``).
        forget: Stops waiting for a command (``Bridge.forget_command``).
        failed: Called with the message of a command that failed, whether awaited or not.
    """

    def __init__(
        self,
        send: Send,
        forget: Callable[[asyncio.Future[Any]], None],
        failed: Callable[[str], None],
    ) -> None:
        self._send = send
        self._forget = forget
        self._failed = failed
        self.views: dict[str, View] = {}
        """Every view heard from and not closed, by id."""
        self.expecting = False
        """The widget was displayed and no view is ready yet: commands wait for it."""
        self._queue: list[tuple[str, list[Any], Scope, asyncio.Future[Any]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._open: dict[asyncio.Future[Any], str] = {}

    # -- what the views say ---------------------------------------------------------------------

    def watch(self, content: Mapping[str, Any]) -> View | None:
        """Learn from one message of the front end; returns the view that sent it, if any.

        ``ready`` and ``thread_change`` calls update the view's state; ``view_closed`` drops it.
        """
        from chatkit_jupyter.bridge import _protocol as p

        kind = content.get("kind")
        view_id = content.get("view")
        if not isinstance(view_id, str) or not view_id:
            return None
        if kind == p.VIEW_CLOSED:
            self.views.pop(view_id, None)
            return None
        view = self.views.get(view_id)
        if view is None:
            view = self.views[view_id] = View(view_id)
        view.silent = False  # it speaks: it is there
        if kind == p.CALL:
            hook = content.get("hook")
            payload = content.get("payload")
            payload = payload if isinstance(payload, Mapping) else {}
            # Only the person's use of a view counts, not the traffic commands cause in every
            # view (a broadcast set_thread makes each view load the thread).
            if hook in (p.HOOK_READY, p.HOOK_ACTIVE):
                view.active = time.monotonic()
            if hook == p.HOOK_READY:
                view.renderer = str(payload.get("renderer") or "")
                view.thread_id = _thread(payload.get("thread_id"))
                if not view.ready:
                    view.ready = True
                    self.expecting = False
                    self._flush(view)
            elif hook == p.HOOK_THREAD_CHANGE:
                view.thread_id = _thread(payload.get("thread_id"))
        return view

    @property
    def ready(self) -> list[View]:
        """Views that can run commands now, most recently active first."""
        found = [v for v in self.views.values() if v.ready and not v.silent]
        return sorted(found, key=lambda v: v.active, reverse=True)

    def streams_shown(self) -> bool:
        """Whether a view that shows a turn as it streams may be open: a lite one, or one not
        ready yet (its renderer unknown). The hosted component only streams its own requests."""
        return any(v.renderer in ("lite", "") and not v.silent for v in self.views.values())

    def waiting(self) -> bool:
        """Whether a command would wait for a view rather than fail: the widget was just
        displayed, or a view spoke but is not ready yet."""
        return self.expecting or any(not v.ready for v in self.views.values())

    # -- commands -------------------------------------------------------------------------------

    def run(
        self,
        name: str,
        args: list[Any],
        scope: Scope,
        *,
        what: str,
        where: Callable[[View], bool] | None = None,
        required: bool = True,
    ) -> PendingCommand | None:
        """Send a command to the most recently active ready view (``one``) or to every ready
        view that ``where`` accepts (``each``).

        With no ready view it waits for the first one when a view is on its way; otherwise it
        raises ``CommandError`` (``required``) or returns ``None``.
        """
        future = self._future(name)
        ready = self.ready
        targets = [v for v in ready if where is None or where(v)]
        if scope == "one":
            targets = targets[:1]
        if not targets:
            if ready:  # views are open but none matches: nothing to do
                future.set_result(None)
                return PendingCommand(name, future)
            if self.waiting() and where is None:
                entry = (name, args, scope, future)
                self._queue.append(entry)
                expire = future.get_loop().call_later(VIEW_WAIT_S, self._expire, entry, what)
                future.add_done_callback(lambda _f: expire.cancel())
                return PendingCommand(name, future, sent=False)
            future.cancel()
            if required:
                raise CommandError(NO_VIEW.format(what=what))
            return None
        self._start(name, args, targets, future, scope)
        return PendingCommand(name, future)

    def run_after(
        self, name: str, prepare: Coroutine[Any, Any, list[Any]], scope: Scope, *, what: str
    ) -> PendingCommand:
        """``run`` once ``prepare`` has made the arguments (e.g. stored attachments).

        Fails at once, before ``prepare`` runs, if no view is there to run it.
        """
        if not self.ready and not self.waiting():
            prepare.close()
            raise CommandError(NO_VIEW.format(what=what))
        future = self._future(name)

        async def then() -> None:
            try:
                args = await prepare
                command = self.run(name, args, scope, what=what)
                assert command is not None
                value = await command
            except asyncio.CancelledError:
                future.cancel()
                raise
            except Exception as e:
                if not future.done():
                    future.set_exception(e)
                return
            if not future.done():
                future.set_result(value)

        task = asyncio.get_running_loop().create_task(then())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return PendingCommand(name, future)

    def _future(self, name: str) -> asyncio.Future[Any]:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "Driving the chat needs the notebook's event loop: call this from a notebook "
                "cell, a widget handler, or async code."
            ) from None
        future: asyncio.Future[Any] = loop.create_future()
        future.add_done_callback(self._report)
        self._open[future] = name
        future.add_done_callback(lambda f: self._open.pop(f, None))
        return future

    def _expire(self, entry: tuple[str, list[Any], Scope, asyncio.Future[Any]], what: str) -> None:
        if entry in self._queue:
            self._queue.remove(entry)
        future = entry[3]
        if not future.done():
            future.set_exception(CommandError(NO_VIEW_CAME.format(seconds=VIEW_WAIT_S, what=what)))

    def _flush(self, view: View) -> None:
        queue, self._queue = self._queue, []
        for name, args, scope, future in queue:
            if not future.done():
                self._start(name, args, [view], future, scope)

    def _start(
        self,
        name: str,
        args: list[Any],
        targets: list[View],
        future: asyncio.Future[Any],
        scope: Scope,
    ) -> None:
        sent = {v.id: self._send(v.id, name, args) for v in targets}
        task = asyncio.get_running_loop().create_task(self._collect(name, sent, future, scope))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _collect(
        self,
        name: str,
        sent: dict[str, asyncio.Future[Any]],
        future: asyncio.Future[Any],
        scope: Scope,
    ) -> None:
        try:
            _done, late = await asyncio.wait(sent.values(), timeout=COMMAND_TIMEOUT_S)
        except asyncio.CancelledError:
            for waiting in sent.values():
                waiting.cancel()
            _closed(future, name)
            raise
        errors: list[str] = []
        answered = 0
        value: Any = None
        for view_id, waiting in sent.items():
            if waiting in late:
                self._forget(waiting)
                waiting.cancel()
                view = self.views.get(view_id)
                if view is not None:
                    view.silent = True
                errors.append(
                    f"the chat view {view_id} did not answer {name} within "
                    f"{COMMAND_TIMEOUT_S:.0f} s (was its page closed or reloaded?)"
                )
            elif waiting.cancelled():
                errors.append(f"{name} was cancelled (the widget closed)")
            elif (error := waiting.exception()) is not None:
                errors.append(str(error))
            else:
                answered += 1
                value = waiting.result()
        if future.done():
            return
        # A view-only command that reached a live view did its job; a silent one is just gone.
        if errors and (scope == "one" or answered == 0 or len(errors) > len(late)):
            future.set_exception(CommandError("; ".join(errors)))
        else:
            future.set_result(value)

    def _report(self, future: asyncio.Future[Any]) -> None:
        # Retrieve the exception so asyncio never prints "exception was never retrieved"; the
        # widget logs it instead, where a notebook user sees it.
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            self._failed(str(error))

    def cancel(self) -> None:
        """Give up on everything (the widget is closing)."""
        self._queue.clear()
        for task in list(self._tasks):
            task.cancel()
        # Fail them here: a task cancelled before it started never runs its own clean-up.
        for future, name in list(self._open.items()):
            _closed(future, name)


def _closed(future: asyncio.Future[Any], name: str) -> None:
    # A cell awaiting the command learns why; a bare CancelledError reads as an interrupt.
    if not future.done():
        future.set_exception(CommandError(f"The chat widget was closed before it ran {name}."))


def _thread(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# -- what post() writes ---------------------------------------------------------------------------


def thread_item(
    content: Any, thread: ThreadMetadata, server: ChatKitServer[Any], context: Any
) -> ThreadItem:
    """The assistant item ``post`` adds: markdown text, or a widget.

    ``content`` is a ``str`` (markdown), a widget root as a dict or a ``chatkit.widgets`` model,
    or an object with a ``widget`` attribute holding one (a ``WidgetView``).
    """
    from chatkit.types import AssistantMessageContent, AssistantMessageItem, WidgetItem
    from pydantic import BaseModel, ValidationError

    store = server.store
    now = datetime.now()
    if isinstance(content, str):
        return AssistantMessageItem(
            id=store.generate_item_id("message", thread, context),
            thread_id=thread.id,
            created_at=now,
            content=[AssistantMessageContent(text=content)],
        )
    root = content
    if not isinstance(root, (Mapping, BaseModel)) and hasattr(root, "widget"):
        root = root.widget  # a WidgetView: its current root
    if isinstance(root, BaseModel):
        root = root.model_dump(mode="json", by_alias=True, exclude_none=True)
    if not isinstance(root, Mapping) or not isinstance(root.get("type"), str):
        raise TypeError(
            f"post() takes markdown text (str), a ChatKit widget root (a dict like "
            f"{{'type': 'Card', 'children': [...]}} or a chatkit.widgets model) or a WidgetView, "
            f"not {type(content).__name__}."
        )
    try:
        with warnings.catch_warnings():
            # ChatKit validates the dict into its named classes (Card ...), which 1.6 deprecates
            # for direct use; the user built none of them, so the warning is not theirs.
            warnings.filterwarnings("ignore", "Direct usage of named widget", DeprecationWarning)
            return WidgetItem(
                id=store.generate_item_id("message", thread, context),
                thread_id=thread.id,
                created_at=now,
                widget=dict(root),  # type: ignore[arg-type]  # validated into a WidgetRoot here
            )
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"][1:]) or "(root)"
        raise ValueError(
            f"post() got a widget ChatKit cannot show: {where}: {first['msg']}. A widget root is "
            "a Card, ListView or Basic (or a chatkit.widgets model of one)."
        ) from None


# -- what set_composer_value(files=...) uploads ---------------------------------------------------


@dataclass
class LocalFile:
    """A file to attach, checked before anything is stored."""

    path: Path
    name: str
    size: int
    mime_type: str


def local_files(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    composer: Any,
    server: ChatKitServer[Any],
) -> list[LocalFile]:
    """Check the files to attach before anything is stored: they exist, the composer takes
    attachments, and the attachment store accepts their size and type (its limits follow the
    composer's attachment options)."""
    from chatkit.types import AttachmentCreateParams

    store = getattr(server, "attachment_store", None)
    if store is None or not hasattr(store, "write_upload"):
        raise ValueError(
            "This server has no attachment store that can take files, so nothing can be "
            "attached. Give it one: NotebookServer(attachment_store=FileAttachmentStore(...))."
        )
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    attachments = composer.get("attachments") if isinstance(composer, Mapping) else None
    if not isinstance(attachments, Mapping) or not attachments.get("enabled"):
        raise ValueError(
            "The composer does not take attachments: set options={'composer': {'attachments': "
            "{'enabled': True, ...}}} on the widget (with maxSize / accept as you like), then "
            "attach the files."
        )
    found = []
    for entry in paths:
        path = Path(entry).expanduser()
        if not path.is_file():
            where = "is a folder" if path.is_dir() else "does not exist"
            raise FileNotFoundError(
                f"Cannot attach {str(entry)!r}: it {where} (looked in {path.absolute()}). "
                "Pass the path of a file."
            )
        mime, _ = mimetypes.guess_type(path.name)
        file = LocalFile(path, path.name, path.stat().st_size, mime or "application/octet-stream")
        check = getattr(store, "check", None)
        if check is not None:
            check(AttachmentCreateParams(name=file.name, size=file.size, mime_type=file.mime_type))
        found.append(file)
    return found


async def attach(
    files: list[LocalFile], server: ChatKitServer[Any], context: Any
) -> list[dict[str, Any]]:
    """Create the attachments in the server's stores, as ChatKit's two-phase upload would, and
    return them as ChatKit ``Attachment`` JSON for ``setComposerValue``.

    Raises:
        AttachmentError: A file is too large, of a type the composer does not accept, or one too
            many (the attachment store's limits, which follow the composer options).
        ValueError: The server has no attachment store that can take file bytes.
    """
    from chatkit.types import AttachmentCreateParams

    store: Any = server.attachment_store  # checked by local_files
    out = []
    for file in files:
        params = AttachmentCreateParams(name=file.name, size=file.size, mime_type=file.mime_type)
        created = await store.create_attachment(params, context)
        await server.store.save_attachment(created, context)
        done = await store.write_upload(created.id, _read_chunks(file.path), context)
        out.append(
            done.model_dump(
                mode="json", by_alias=True, exclude_none=True, context={"exclude_metadata": True}
            )
        )
    return out


async def _read_chunks(path: Path, size: int = 1024 * 1024) -> Any:
    with path.open("rb") as f:
        while chunk := await asyncio.to_thread(f.read, size):
            yield chunk
