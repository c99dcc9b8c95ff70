"""SQLite persistence for ChatKit threads, thread items and attachment metadata.

``SQLiteStore`` implements every method of ``chatkit.store.Store``. Each store owns one SQLite
connection and one worker thread that alone uses it: an SQLite connection must serve one thread
at a time, and the notebook kernel's event loop must never wait on the disk. Every coroutine
hands its work to that thread and awaits the result. Pydantic models are serialized on the
caller's thread (so the store saves exactly what it was given, even if the caller changes the
object afterwards) and parsed on the worker thread (loading a long thread is the expensive
direction).

Rows keep the model's JSON as written by ``model_dump_json()`` next to a few indexed columns:

- ``threads(seq, user_id, id, created_us, data)``
- ``items(seq, user_id, thread_id, id, type, variant, created_us, data)``
- ``attachments(seq, user_id, id, thread_id, created_us, data)``

``seq`` is the rowid; it breaks ties between equal ``created_at`` values, so order is stable and
follows insertion. ``created_us`` is ``created_at`` in microseconds since the epoch (naive
datetimes, which ChatKit's server makes with ``datetime.now()``, are read as local time).
``variant`` is ``"dynamic_widget"`` for a widget item whose root is a ``DynamicWidgetRoot`` (what
``WidgetTemplate.build`` returns): its JSON also fits the strict ``Card``/``ListView`` models,
which pydantic would pick on load, dropping the template's extra fields.

The schema version lives in ``PRAGMA user_version`` and the file is marked as ours with
``PRAGMA application_id``, so a file that belongs to something else is refused, never changed.

Errors say what is true. A row whose JSON no longer parses is one damaged row, not a bad request
and not a lost thread: it is read as a placeholder that says so (a thread with a plain title, an
item as a short assistant note) and listed in ``damaged_rows``. A file SQLite finds damaged is
not written to again by this store. A file or folder the process may not write is reported as
read-only, with what to do.
"""

from __future__ import annotations

import asyncio
import collections
import errno
import functools
import json
import logging
import os
import queue
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar, Final, TypeVar

from chatkit.store import NotFoundError, Store
from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageItem,
    Attachment,
    Page,
    ThreadItem,
    ThreadMetadata,
    WidgetItem,
)
from chatkit.widgets import DynamicWidgetRoot
from pydantic import TypeAdapter, ValidationError

from ._migrations import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "APPLICATION_ID",
    "DEFAULT_USER",
    "SCHEMA_VERSION",
    "SQLiteStore",
    "StoreError",
    "default_store",
    "user_id_of",
]

logger = logging.getLogger("chatkit_jupyter")

T = TypeVar("T")

APPLICATION_ID: Final = 0x436B4A75
"""``PRAGMA application_id`` of our databases ("CkJu"); anything else is not ours to touch."""

DEFAULT_USER: Final = ""
"""The user of a context that names none: a notebook usually has exactly one person at it."""

DEFAULT_TIMEOUT: Final = 10.0
"""Seconds to wait for another connection's write lock before giving up."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_US: Final = timedelta(microseconds=1)

_ITEM: TypeAdapter[Any] = TypeAdapter(ThreadItem)
_ATTACHMENT: TypeAdapter[Any] = TypeAdapter(Attachment)
_THREAD_FIELDS: Final = frozenset(ThreadMetadata.model_fields)


class StoreError(ValueError):
    """The database cannot be used: not ours, damaged, too new, locked too long, or closed.

    The message names the file, says what is wrong and what to do. The file is never changed
    when this is raised while opening it.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        """The database the error is about, as given to ``SQLiteStore``."""


def user_id_of(context: Any) -> str:
    """Return the user a ChatKit request context belongs to.

    Args:
        context: The request context: an object with a ``user_id`` attribute, a mapping with a
            ``"user_id"`` key, or anything else (including ``None``) for the default user.

    Returns:
        The user id as a string; ``DEFAULT_USER`` when the context names no user.
    """
    if isinstance(context, Mapping):
        user = context.get("user_id")
    else:
        user = getattr(context, "user_id", None)
    return DEFAULT_USER if user is None else str(user)


def _epoch_us(moment: datetime) -> int:
    """Microseconds since the epoch, exact (no float rounding), naive datetimes as local time."""
    if moment.tzinfo is None:
        try:
            moment = moment.astimezone()
        except (OverflowError, OSError, ValueError):
            # Far outside what the platform's local-time functions handle; UTC keeps order.
            moment = moment.replace(tzinfo=timezone.utc)
    return (moment - _EPOCH) // _ONE_US


_DYNAMIC_WIDGET: Final = "dynamic_widget"


def _variant(item: ThreadItem) -> str | None:
    if isinstance(item, WidgetItem) and isinstance(item.widget, DynamicWidgetRoot):
        return _DYNAMIC_WIDGET
    return None


def _parse_item(data: str, variant: str | None) -> ThreadItem:
    if variant == _DYNAMIC_WIDGET:
        fields = json.loads(data)
        widget = DynamicWidgetRoot.model_validate(fields.pop("widget"))
        # An instance of an exact union member is kept as it is, not re-chosen by pydantic.
        return WidgetItem.model_validate({**fields, "widget": widget})
    item: ThreadItem = _ITEM.validate_json(data)
    return item


def _created(created_us: Any) -> datetime:
    try:
        return _EPOCH + timedelta(microseconds=int(created_us))
    except (TypeError, ValueError, OverflowError):
        return _EPOCH


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split())
    if isinstance(error, ValidationError):
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        text = f"{where + ': ' if where else ''}{first['msg']}"
    return text if len(text) <= 160 else text[:157] + "..."


def _text(raw: bytes) -> str:
    """SQLite text as ``str``; bytes that are not UTF-8 become U+FFFD instead of failing the
    whole query (and so every other row it would have returned)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        logger.warning("chatkit-jupyter store: text that is not UTF-8 was read with U+FFFD")
        return raw.decode("utf-8", "replace")


# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_READONLY: Final = 8
_SQLITE_FULL: Final = 13
# Python 3.10's sqlite3 errors carry no code; SQLite's own messages for these are fixed.
_MESSAGE_CODES: Final = {
    "attempt to write a readonly database": 8,
    "database or disk is full": 13,
    "unable to open database file": 14,
}


def _error_code(error: sqlite3.Error) -> int:
    """SQLite's primary result code of ``error`` (from its message on Python 3.10)."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    return next((c for m, c in _MESSAGE_CODES.items() if m in str(error).lower()), 0)


_SQLITE_CANTOPEN: Final = 14


def _check_order(order: str) -> str:
    if order not in ("asc", "desc"):
        raise ValueError(f"order must be 'asc' or 'desc', not {order!r}")
    return order


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction, so a cursor lookup and the page query see the same data."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            # Nothing was written; ending with ROLLBACK cannot fail where COMMIT might.
            conn.execute("ROLLBACK")


def _header(conn: sqlite3.Connection) -> tuple[int, int, list[str]]:
    """The file's application_id, user_version and table names."""
    application_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return int(application_id), int(version), tables


def _clamp(limit: int) -> int:
    # SQLite integers are 64-bit; a larger limit means "all" anyway.
    return min(max(limit, 0), 2**62)


def _page(rows: list[Any], limit: int, parse: Callable[..., T]) -> Page[T]:
    """Build a page from up to ``limit + 1`` rows of ``(id, *parse_args)``; one extra means more."""
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        data=[parse(*row[1:]) for row in rows],
        has_more=has_more,
        after=rows[-1][0] if has_more and rows else None,
    )


class _Handle:
    """Holds the connection apart from the store, so a finalizer can reach it without the store."""

    __slots__ = ("conn",)

    def __init__(self) -> None:
        self.conn: sqlite3.Connection | None = None


class _Worker:
    """One thread that runs a store's SQLite work, in order.

    Not a ``ThreadPoolExecutor``: its ``submit`` and ``shutdown`` take a lock shared by every
    executor in the process, and a finalizer may run inside any allocation, including inside
    another executor's ``submit``; a finalizer that called them deadlocked the whole test run.
    Stopping this worker only puts a message on a ``SimpleQueue``, which is safe anywhere.
    """

    def __init__(self, name: str) -> None:
        self._queue: queue.SimpleQueue[
            tuple[Future[Any] | None, Callable[..., Any] | None, tuple[Any, ...]]
        ] = queue.SimpleQueue()
        self._stopped = False
        # Daemon: a store nobody closed must not keep the interpreter from exiting; SQLite
        # rolls back a transaction cut short, and nothing committed is lost.
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        if self._stopped:
            raise RuntimeError("the store's worker has stopped")
        future: Future[T] = Future()
        self._queue.put((future, fn, args))
        return future

    def stop(self, last: Callable[[], Any] | None = None, *, wait: bool = False) -> None:
        """Run ``last`` (if any) after the queued work, then end the thread; takes no lock."""
        self._stopped = True
        self._queue.put((None, last, ()))
        if wait and threading.current_thread() is not self._thread:
            self._thread.join()

    def _serve(self) -> None:
        while self._handle_next(*self._queue.get()):
            pass

    @staticmethod
    def _handle_next(
        future: Future[Any] | None, fn: Callable[..., Any] | None, args: tuple[Any, ...]
    ) -> bool:
        # A method of its own so nothing of the finished item (e.g. a bound method of the
        # store) stays referenced while the thread waits: the store must be collectable.
        if future is None:
            if fn is not None:
                try:
                    fn()
                except Exception:  # closing a connection at the very end: nothing to tell
                    pass
            return False
        assert fn is not None, "submit() queues a function with every future"
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(fn(*args))
            except BaseException as error:
                future.set_exception(error)
        return True


def _release(worker: _Worker, handle: _Handle) -> None:
    """Close a dropped store's connection on its own thread, then let the thread end."""
    conn, handle.conn = handle.conn, None
    worker.stop(conn.close if conn is not None else None)


class SQLiteStore(Store[Any]):
    """A ChatKit ``Store`` kept in one SQLite file, safe to share between processes.

    The file is opened in WAL mode with a busy timeout, so several kernels (or a kernel and a
    script) can use the same file; each write is one transaction that starts with
    ``BEGIN IMMEDIATE``, so writers queue for the lock instead of failing with "database is
    locked". Commits use ``synchronous=NORMAL``: a crash or kill of the process loses nothing
    that was committed; only a power cut can lose the last few transactions.

    Every user sees only their own threads, items and attachments. The user is taken from the
    request context (see ``user_id_of``). Ids are generated by ``chatkit.store.Store`` (``thr_``,
    ``msg_``, ``tc_`` ... prefixes) or by a subclass that overrides ``generate_thread_id`` /
    ``generate_item_id``; the store saves whatever ids it is given.

    Example:
        >>> store = SQLiteStore(".chatkit/chatkit.db")  # doctest: +SKIP
        >>> server = NotebookServer(store=store)  # doctest: +SKIP
    """

    migrations: ClassVar[Sequence[Sequence[str]]] = MIGRATIONS
    """Schema steps; entry ``n`` upgrades version ``n`` to ``n + 1``. Append, never edit."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Open (and if needed create or migrate) the database.

        Args:
            path: A file name (``str`` or ``Path``; missing parent folders are created),
                ``":memory:"`` for a private in-memory database, or an SQLite URI such as
                ``"file:name?mode=memory&cache=shared"`` (several stores in one process share
                that in-memory database while at least one of them is open).
            timeout: Seconds a write waits for another connection's lock before failing.

        Raises:
            StoreError: The file is not an SQLite database, is damaged, belongs to another
                program, was written by a newer chatkit-jupyter, or cannot be opened. The file
                is left exactly as it was.
        """
        self.path: str = os.fspath(path)
        """The database as given: a file name, ``":memory:"`` or a ``file:`` URI."""
        self.timeout = timeout
        """Seconds a write waits for another connection's lock."""
        self._uri = isinstance(path, str) and path.startswith("file:")
        self._handle = _Handle()
        self._closed = False
        self._close_lock = threading.Lock()
        self._listeners: list[Callable[[str, list[str]], None]] = []
        self.damaged_rows: collections.deque[str] = collections.deque(maxlen=100)
        """Rows found damaged since the store was opened (``"item 'msg_1': <reason>"``),
        newest last; each was read as a placeholder that says so."""
        self._refuse_writes: str | None = None
        # One thread per store: the connection is made and used on it alone, and it runs one
        # operation at a time, which is what SQLite wants from a connection anyway.
        self._worker = _Worker("chatkit-sqlite")
        try:
            self._worker.submit(self._open).result()
        except BaseException:
            self._worker.stop()
            self._closed = True
            raise
        # A store dropped without close() (a notebook cell run again) must not leak its thread.
        self._finalizer = weakref.finalize(self, _release, self._worker, self._handle)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"{type(self).__name__}({self.path!r}) [{state}]"

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection and stop the worker thread; later calls raise ``StoreError``.

        Safe to call more than once. Waits for the operation in progress, if any.
        """
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._finalizer.detach()
        try:
            self._worker.submit(self._close_connection).result()
        finally:
            self._worker.stop(wait=True)

    async def aclose(self) -> None:
        """Like ``close``, without blocking the event loop while the last operation finishes."""
        await asyncio.to_thread(self.close)

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> SQLiteStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def on_attachments_deleted(self, callback: Callable[[str, list[str]], None]) -> None:
        """Call ``callback(user_id, attachment_ids)`` after attachment rows are deleted.

        ``FileAttachmentStore`` uses this to remove the files of a deleted thread. The callback
        runs on the store's worker thread after the commit; exceptions are logged, not raised.

        Args:
            callback: Receives the user id and the ids of the attachments that were deleted.
        """
        self._listeners.append(callback)

    async def info(self) -> dict[str, Any]:
        """Describe the open database, for diagnostics.

        Returns:
            ``path``, ``schema_version``, ``journal_mode``, ``busy_timeout_ms``,
            ``synchronous`` and ``sqlite_version``.
        """

        def run(conn: sqlite3.Connection) -> dict[str, Any]:
            return {
                "path": self.path,
                "schema_version": conn.execute("PRAGMA user_version").fetchone()[0],
                "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
                "busy_timeout_ms": conn.execute("PRAGMA busy_timeout").fetchone()[0],
                "synchronous": conn.execute("PRAGMA synchronous").fetchone()[0],
                "sqlite_version": sqlite3.sqlite_version,
            }

        return await self._run(run)

    # -- threads --------------------------------------------------------------------------------

    async def load_thread(self, thread_id: str, context: Any) -> ThreadMetadata:
        """Load a thread's metadata.

        Args:
            thread_id: The thread's id.
            context: The request context; decides the user.

        Returns:
            The thread as it was last saved.

        Raises:
            NotFoundError: The user has no thread with this id.
        """
        user = user_id_of(context)

        def run(conn: sqlite3.Connection) -> ThreadMetadata:
            row = conn.execute(
                "SELECT created_us, data FROM threads WHERE user_id = ? AND id = ?",
                (user, thread_id),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"Thread {thread_id!r} not found")
            return self._thread(thread_id, *row)

        return await self._run(run)

    async def save_thread(self, thread: ThreadMetadata, context: Any) -> None:
        """Insert or update a thread's metadata (title, status, metadata ...).

        Items of a ``Thread`` are not part of its metadata and are not saved here.

        Args:
            thread: The thread to save.
            context: The request context; decides the user.
        """
        user = user_id_of(context)
        data = thread.model_dump_json(include=set(_THREAD_FIELDS))
        created = _epoch_us(thread.created_at)

        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO threads (user_id, id, created_us, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id, id) DO UPDATE "
                "SET created_us = excluded.created_us, data = excluded.data",
                (user, thread.id, created, data),
            )

        await self._run(run, write=True)  # pragma: no mutate (one statement: atomic anyway)

    async def load_threads(
        self, limit: int, after: str | None, order: str, context: Any
    ) -> Page[ThreadMetadata]:
        """Load a page of the user's threads, ordered by ``created_at``.

        Args:
            limit: The most threads to return.
            after: Return threads after this thread id (the previous page's ``after``).
            order: ``"asc"`` (oldest first) or ``"desc"`` (newest first).
            context: The request context; decides the user.

        Returns:
            The page; ``has_more`` says whether more threads follow and ``after`` is the
            cursor for the next page.

        Raises:
            NotFoundError: ``after`` names a thread the user does not have.
            ValueError: ``order`` is neither ``"asc"`` nor ``"desc"``.
        """
        user = user_id_of(context)
        direction = _check_order(order)
        comparison = ">" if direction == "asc" else "<"
        limit = _clamp(limit)

        def run(conn: sqlite3.Connection) -> Page[ThreadMetadata]:
            with _snapshot(conn):
                params: tuple[Any, ...] = (user,)
                where = "user_id = ?"
                if after is not None:
                    cursor = conn.execute(
                        "SELECT created_us, seq FROM threads WHERE user_id = ? AND id = ?",
                        (user, after),
                    ).fetchone()
                    if cursor is None:
                        raise NotFoundError(f"Thread {after!r} (the `after` cursor) not found")
                    where += f" AND (created_us, seq) {comparison} (?, ?)"
                    params += tuple(cursor)
                rows = conn.execute(
                    f"SELECT id, id, created_us, data FROM threads WHERE {where} "
                    f"ORDER BY created_us {direction}, seq {direction} LIMIT ?",
                    (*params, limit + 1),  # pragma: no mutate (more extra rows change nothing)
                ).fetchall()
            return _page(rows, limit, self._thread)

        return await self._run(run)

    async def delete_thread(self, thread_id: str, context: Any) -> None:
        """Delete a thread with all its items and attachments.

        Attachments count as the thread's when their ``thread_id`` is the thread or a user
        message of the thread lists them. Listeners registered with ``on_attachments_deleted``
        are told which attachments went.

        Args:
            thread_id: The thread's id; deleting a missing thread does nothing.
            context: The request context; decides the user.
        """
        user = user_id_of(context)

        def run(conn: sqlite3.Connection) -> list[str]:
            ids = {
                row[0]
                for row in conn.execute(
                    "SELECT id FROM attachments WHERE user_id = ? AND thread_id = ?",
                    (user, thread_id),
                )
            }
            # The server sets thread_id on attachments it saves with a message, but a custom
            # server may not; the message itself always lists them.
            for (data,) in conn.execute(
                "SELECT data FROM items WHERE user_id = ? AND thread_id = ? "
                "AND type = 'user_message'",
                (user, thread_id),
            ):
                try:
                    ids.update(a["id"] for a in json.loads(data).get("attachments") or ())
                except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
                    pass  # a damaged message row: its attachments cannot be named, the rest go
            conn.executemany(
                "DELETE FROM attachments WHERE user_id = ? AND id = ?",
                [(user, a) for a in ids],
            )
            conn.execute("DELETE FROM items WHERE user_id = ? AND thread_id = ?", (user, thread_id))
            conn.execute("DELETE FROM threads WHERE user_id = ? AND id = ?", (user, thread_id))
            return sorted(ids)

        await self._run(run, write=True, after=functools.partial(self._notify, user))

    # -- items ----------------------------------------------------------------------------------

    async def load_thread_items(
        self,
        thread_id: str,
        after: str | None,
        limit: int,
        order: str,
        context: Any,
    ) -> Page[ThreadItem]:
        """Load a page of a thread's items, ordered by ``created_at`` then insertion.

        Args:
            thread_id: The thread's id.
            after: Return items after this item id (the previous page's ``after``).
            limit: The most items to return.
            order: ``"asc"`` (oldest first) or ``"desc"`` (newest first).
            context: The request context; decides the user.

        Returns:
            The page; ``has_more`` says whether more items follow and ``after`` is the cursor
            for the next page.

        Raises:
            NotFoundError: ``after`` names an item that is not in this thread.
            ValueError: ``order`` is neither ``"asc"`` nor ``"desc"``.
        """
        user = user_id_of(context)
        direction = _check_order(order)
        comparison = ">" if direction == "asc" else "<"
        limit = _clamp(limit)

        def run(conn: sqlite3.Connection) -> Page[ThreadItem]:
            with _snapshot(conn):
                params: tuple[Any, ...] = (user, thread_id)
                where = "user_id = ? AND thread_id = ?"
                if after is not None:
                    cursor = conn.execute(
                        "SELECT created_us, seq FROM items "
                        "WHERE user_id = ? AND thread_id = ? AND id = ?",
                        (user, thread_id, after),
                    ).fetchone()
                    if cursor is None:
                        raise NotFoundError(
                            f"Item {after!r} (the `after` cursor) not found in thread {thread_id!r}"
                        )
                    where += f" AND (created_us, seq) {comparison} (?, ?)"
                    params += tuple(cursor)
                rows = conn.execute(
                    f"SELECT id, thread_id, id, created_us, data, variant FROM items WHERE {where} "
                    f"ORDER BY created_us {direction}, seq {direction} LIMIT ?",
                    (*params, limit + 1),  # pragma: no mutate (more extra rows change nothing)
                ).fetchall()
            return _page(rows, limit, self._item)

        return await self._run(run)

    async def add_thread_item(self, thread_id: str, item: ThreadItem, context: Any) -> None:
        """Add an item to a thread; an item that is already there is updated in place.

        ChatKit's server can report the same item done twice (e.g. after a cancelled stream),
        so adding is an upsert rather than an error.

        Args:
            thread_id: The thread's id.
            item: The item.
            context: The request context; decides the user.
        """
        await self._save_item(thread_id, item, context)

    async def save_item(self, thread_id: str, item: ThreadItem, context: Any) -> None:
        """Insert or replace an item by id, keeping its place in the thread.

        Args:
            thread_id: The thread's id.
            item: The item.
            context: The request context; decides the user.
        """
        await self._save_item(thread_id, item, context)

    async def _save_item(self, thread_id: str, item: ThreadItem, context: Any) -> None:
        user = user_id_of(context)
        row = (user, thread_id, item.id, item.type, _variant(item), _epoch_us(item.created_at))
        data = item.model_dump_json()

        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO items (user_id, thread_id, id, type, variant, created_us, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, thread_id, id) DO UPDATE "
                "SET type = excluded.type, variant = excluded.variant, "
                "created_us = excluded.created_us, data = excluded.data",
                (*row, data),
            )

        await self._run(run, write=True)  # pragma: no mutate (one statement: atomic anyway)

    async def load_item(self, thread_id: str, item_id: str, context: Any) -> ThreadItem:
        """Load one item of a thread.

        Args:
            thread_id: The thread's id.
            item_id: The item's id.
            context: The request context; decides the user.

        Returns:
            The item as it was last saved.

        Raises:
            NotFoundError: The thread has no such item (for this user).
        """
        user = user_id_of(context)

        def run(conn: sqlite3.Connection) -> ThreadItem:
            row = conn.execute(
                "SELECT created_us, data, variant FROM items "
                "WHERE user_id = ? AND thread_id = ? AND id = ?",
                (user, thread_id, item_id),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"Item {item_id!r} not found in thread {thread_id!r}")
            return self._item(thread_id, item_id, *row)

        return await self._run(run)

    async def delete_thread_item(self, thread_id: str, item_id: str, context: Any) -> None:
        """Delete one item; the rest of the thread stays. Deleting a missing item does nothing.

        Args:
            thread_id: The thread's id.
            item_id: The item's id.
            context: The request context; decides the user.
        """
        user = user_id_of(context)

        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                "DELETE FROM items WHERE user_id = ? AND thread_id = ? AND id = ?",
                (user, thread_id, item_id),
            )

        await self._run(run, write=True)  # pragma: no mutate (one statement: atomic anyway)

    # -- attachments ----------------------------------------------------------------------------

    async def save_attachment(self, attachment: Attachment, context: Any) -> None:
        """Insert or update an attachment's metadata (``metadata`` included).

        Args:
            attachment: The attachment.
            context: The request context; decides the user.
        """
        user = user_id_of(context)
        # No serialization context: ChatKit's `exclude_metadata` is for responses, and the
        # integration metadata (upload size, checksum) must survive in the store.
        data = attachment.model_dump_json()
        now = _epoch_us(datetime.now(timezone.utc))  # pragma: no mutate (local: same instant)

        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO attachments (user_id, id, thread_id, created_us, data) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, id) DO UPDATE "
                "SET thread_id = excluded.thread_id, data = excluded.data",
                (user, attachment.id, attachment.thread_id, now, data),
            )

        await self._run(run, write=True)  # pragma: no mutate (one statement: atomic anyway)

    async def load_attachment(self, attachment_id: str, context: Any) -> Attachment:
        """Load an attachment's metadata.

        Args:
            attachment_id: The attachment's id.
            context: The request context; decides the user.

        Returns:
            The attachment as it was last saved.

        Raises:
            NotFoundError: The user has no attachment with this id.
        """
        user = user_id_of(context)

        def run(conn: sqlite3.Connection) -> Attachment:
            row = conn.execute(
                "SELECT data FROM attachments WHERE user_id = ? AND id = ?",
                (user, attachment_id),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"Attachment {attachment_id!r} not found")
            try:
                attachment: Attachment = _ATTACHMENT.validate_json(row[0])
            except Exception as error:
                self._damaged("attachment", attachment_id, error)
                raise StoreError(
                    self.path,
                    f"The record of attachment {attachment_id!r} in {self.path} is damaged "
                    f"({_reason(error)}); the rest of the store is fine. Remove the attachment "
                    "and attach the file again.",
                ) from None
            return attachment

        return await self._run(run)

    async def delete_attachment(self, attachment_id: str, context: Any) -> None:
        """Delete an attachment's metadata and tell ``on_attachments_deleted`` listeners.

        Args:
            attachment_id: The attachment's id; deleting a missing one does nothing.
            context: The request context; decides the user.
        """
        user = user_id_of(context)

        def run(conn: sqlite3.Connection) -> list[str]:
            conn.execute(
                "DELETE FROM attachments WHERE user_id = ? AND id = ?", (user, attachment_id)
            )
            return [attachment_id]

        notify = functools.partial(self._notify, user)
        await self._run(run, write=True, after=notify)  # pragma: no mutate (one statement: atomic)

    async def count_unsent_attachments(self, context: Any, newer_than: timedelta) -> int:
        """Count the user's attachments that no thread holds yet, created recently.

        These are the files in the composer, waiting for the message to be sent; the age limit
        keeps uploads abandoned by a closed page from counting forever.

        Args:
            context: The request context; decides the user.
            newer_than: Only count attachments saved within this time.

        Returns:
            The number of such attachments.
        """
        user = user_id_of(context)
        now = datetime.now(timezone.utc)  # pragma: no mutate (local time is the same instant)
        since = _epoch_us(now - newer_than)

        def run(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT count(*) FROM attachments "
                "WHERE user_id = ? AND thread_id IS NULL AND created_us >= ?",
                (user, since),
            ).fetchone()
            return int(row[0])

        return await self._run(run)

    # -- damaged rows ---------------------------------------------------------------------------

    def _thread(self, thread_id: str, created_us: Any, data: Any) -> ThreadMetadata:
        try:
            return ThreadMetadata.model_validate_json(data)
        except Exception as error:
            self._damaged("thread", thread_id, error)
            return ThreadMetadata(
                id=thread_id, created_at=_created(created_us), title="(damaged thread record)"
            )

    def _item(
        self, thread_id: str, item_id: str, created_us: Any, data: Any, variant: str | None
    ) -> ThreadItem:
        try:
            return _parse_item(data, variant)
        except Exception as error:
            self._damaged("item", item_id, error)
            return AssistantMessageItem(
                id=item_id,
                thread_id=thread_id,
                created_at=_created(created_us),
                content=[
                    AssistantMessageContent(
                        text=(
                            f"[This message could not be read: its record in {self.path} is "
                            f"damaged ({_reason(error)}). The rest of the thread is intact.]"
                        )
                    )
                ],
            )

    def _damaged(self, what: str, row_id: str, error: Exception) -> None:
        line = f"{what} {row_id!r}: {_reason(error)}"
        if line not in self.damaged_rows:
            logger.warning("%s: damaged %s, shown as a placeholder", self.path, line)
            self.damaged_rows.append(line)

    # -- the worker thread ----------------------------------------------------------------------

    async def _run(
        self,
        fn: Callable[[sqlite3.Connection], T],
        *,
        write: bool = False,
        after: Callable[[T], None] | None = None,
    ) -> T:
        """Run ``fn(connection)`` on the worker thread.

        Args:
            fn: The work; it gets the connection and must not keep it.
            write: Run ``fn`` in one ``BEGIN IMMEDIATE`` transaction and commit it.
            after: Called with ``fn``'s result on the worker thread after the commit, in the
                same hand-off, so that a cancelled caller cannot skip it.

        Returns:
            What ``fn`` returned.

        Raises:
            StoreError: The store is closed, the file is damaged, or the lock wait timed out.
        """
        if self._closed:
            raise self._closed_error()
        try:
            return await asyncio.wrap_future(self._worker.submit(self._call, fn, write, after))
        except RuntimeError as error:
            # The worker refuses work once close() has stopped it.
            if self._closed:
                raise self._closed_error() from error
            raise

    def _closed_error(self) -> StoreError:
        return StoreError(self.path, f"The store for {self.path} is closed; open a new one.")

    def _call(
        self,
        fn: Callable[[sqlite3.Connection], T],
        write: bool,
        after: Callable[[T], None] | None,
    ) -> T:
        conn = self._handle.conn
        if conn is None:
            raise self._closed_error()
        if write and self._refuse_writes is not None:
            # Said once: a damaged file is not written to, even where a write would succeed.
            raise StoreError(self.path, self._refuse_writes)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                if write:
                    # IMMEDIATE takes the write lock up front (waiting up to busy_timeout), so
                    # a transaction never has to upgrade a read lock, which SQLite cannot wait
                    # for without failing.
                    conn.execute("BEGIN IMMEDIATE")
                result = fn(conn)
                if write:
                    conn.execute("COMMIT")
                break
            except sqlite3.DatabaseError as error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(error, sqlite3.IntegrityError | sqlite3.ProgrammingError):
                    raise
                # Shared-cache in-memory databases report table locks (SQLITE_LOCKED), which
                # the busy handler does not wait for; retry those ourselves.
                message = str(error)
                if (
                    "table is locked" in message or "schema is locked" in message
                ) and time.monotonic() < deadline:
                    time.sleep(0.001)
                    continue
                raise self._translate(error) from error
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        if after is not None:
            after(result)
        return result

    def _translate(self, error: sqlite3.DatabaseError) -> StoreError:
        message = str(error)
        read_only = self._read_only(error)
        if read_only is not None:
            return StoreError(self.path, read_only)
        if isinstance(error, sqlite3.OperationalError):
            if "locked" in message:
                return StoreError(
                    self.path,
                    f"{self.path} stayed locked by another connection for more than "
                    f"{self.timeout:g} s ({message}). Another process is holding a long write; "
                    "let it finish, or pass a larger `timeout` to SQLiteStore.",
                )
            if _error_code(error) == _SQLITE_FULL:
                return StoreError(
                    self.path,
                    f"{self.path} cannot grow: the disk is full (or the database is at its "
                    "size limit). What was saved before is kept; free some disk space, then "
                    "try again.",
                )
            return StoreError(self.path, f"SQLite failed on {self.path}: {message}.")
        self._refuse_writes = (
            f"{self.path} is damaged ({message}). chatkit-jupyter will not write to it; "
            "keep a copy, then move it away (or repair it with the sqlite3 `.recover` command) "
            "and open a new store."
        )
        return StoreError(self.path, self._refuse_writes)

    def _read_only(self, error: sqlite3.Error) -> str | None:
        """What to tell the user when ``error`` comes from a file or folder we may not write;
        ``None`` for any other error."""
        code = _error_code(error)
        if code not in (_SQLITE_READONLY, _SQLITE_CANTOPEN) or self._uri or self.in_memory:
            return None
        path = Path(self.path).absolute()
        folder = path.parent
        if folder.is_dir() and not os.access(folder, os.W_OK):
            return (
                f"{self.path} is in a read-only folder ({folder}): SQLite must create files "
                "next to the database (its write-ahead log) even to read it. Make the folder "
                "writable, or copy the file to a folder you can write to and open that copy."
            )
        if path.exists() and os.access(path, os.R_OK) and not os.access(path, os.W_OK):
            return (
                f"{self.path} is read-only: this process may read it but not save to it. "
                "Make the file writable (e.g. `chmod u+w`), or copy it to a folder you can "
                "write to and open that copy."
            )
        if code == _SQLITE_READONLY:
            return (
                f"{self.path} is read-only ({error}); chatkit-jupyter cannot save to it. Make "
                "it writable, or open a store in a folder you can write to."
            )
        return None

    def _notify(self, user: str, attachment_ids: list[str]) -> None:
        if not attachment_ids:
            return
        for callback in self._listeners:
            try:
                callback(user, attachment_ids)
            except Exception:
                logger.exception("on_attachments_deleted callback %r failed", callback)

    def _close_connection(self) -> None:
        conn, self._handle.conn = self._handle.conn, None
        if conn is not None:
            conn.close()

    # -- opening and migrating ------------------------------------------------------------------

    @property
    def in_memory(self) -> bool:
        """Whether the database lives in memory only (``:memory:`` or a ``mode=memory`` URI)."""
        return self.path == ":memory:" or bool(self._uri and "mode=memory" in self.path)

    def _is_memory(self) -> bool:
        return self.in_memory

    def _open(self) -> None:
        """Connect on the worker thread, check the file is ours, set pragmas and migrate."""
        if not self._uri and self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                denied = isinstance(error, PermissionError) or error.errno == errno.EROFS
                raise StoreError(
                    self.path,
                    f"Cannot create the folder for {self.path}: "
                    f"{'its parent is read-only' if denied else 'the system refused'} "
                    f"({error}); pass a path in a folder you can write to.",
                ) from error
        try:
            # Only the worker thread uses the connection; check_same_thread is off so that a
            # finalizer at interpreter exit, when the worker is gone, can still close it.
            conn = sqlite3.connect(
                self.path,
                timeout=self.timeout,
                isolation_level=None,
                uri=self._uri,
                check_same_thread=False,
            )
        except sqlite3.Error as error:
            raise StoreError(
                self.path,
                self._read_only(error)
                or f"Cannot open {self.path} ({error}); check that the path is a file you can "
                "read and write, in a folder that exists.",
            ) from error
        conn.text_factory = _text
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            # Read-only look first: nothing is written until we know the file is ours or empty.
            self._inspect(conn)
            deadline = time.monotonic() + self.timeout
            while True:
                try:
                    self._configure_and_migrate(conn)
                    break
                except sqlite3.OperationalError as error:
                    # Two processes creating the same new file race for the journal mode
                    # switch, which does not always wait on the busy handler.
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    if "locked" not in str(error) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
        except StoreError:
            conn.close()
            raise
        except sqlite3.DatabaseError as error:
            conn.close()
            read_only = self._read_only(error)
            if read_only is not None:
                raise StoreError(self.path, read_only) from error
            raise StoreError(
                self.path,
                f"{self.path} is not a chatkit-jupyter database: it is not an SQLite file or "
                f"it is damaged (SQLite says: {error}). It was left untouched; move it away or "
                "pass another path to SQLiteStore().",
            ) from error
        except BaseException:
            conn.close()
            raise
        self._handle.conn = conn

    def _inspect(self, conn: sqlite3.Connection) -> int:
        """Return the file's schema version (0 for an empty file) or raise if it is not ours."""
        if conn.in_transaction:
            application_id, version, tables = _header(conn)
        else:
            # One read transaction: another process creating the store commits its tables and
            # its application_id together, and separate reads could see the tables but not the id.
            with _snapshot(conn):
                application_id, version, tables = _header(conn)
        if application_id == 0 and version == 0 and not tables:
            return 0
        if application_id != APPLICATION_ID:
            shown = ", ".join(tables[:8]) + (" ..." if len(tables) > 8 else "")
            raise StoreError(
                self.path,
                f"{self.path} is an SQLite database of another program "
                f"(tables: {shown or 'none'}; application_id {application_id}), not a "
                "chatkit-jupyter store. It was left untouched; pass another path, e.g. "
                "'.chatkit/chatkit.db'.",
            )
        if version > len(self.migrations):
            raise StoreError(
                self.path,
                f"{self.path} was written by a newer chatkit-jupyter (schema version {version}; "
                f"this one knows up to {len(self.migrations)}). It was left untouched; upgrade "
                "chatkit-jupyter, or pass another path.",
            )
        return int(version)

    def _configure_and_migrate(self, conn: sqlite3.Connection) -> None:
        if not self._is_memory():
            # Switching needs the file to ourselves; once the file is in WAL mode (it stays so)
            # there is nothing to switch, so opening never waits for another process's writes.
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    logger.warning("%s: SQLite refused WAL mode (journal_mode=%s)", self.path, mode)
            # In WAL mode NORMAL still survives a crash of the process; FULL only adds
            # safety against power loss at the cost of an fsync per commit.
            conn.execute("PRAGMA synchronous = NORMAL")
        if self._inspect(conn) == len(self.migrations):
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Look again under the write lock: another process may have migrated meanwhile.
            version = self._inspect(conn)
            for step in self.migrations[version:]:
                for statement in step:
                    conn.execute(statement)
            if version < len(self.migrations):
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {len(self.migrations)}")
                if version:
                    logger.info(
                        "%s: migrated schema %d -> %d", self.path, version, len(self.migrations)
                    )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def default_store(directory: str | os.PathLike[str] | None = None) -> SQLiteStore:
    """Open the notebook's store: ``chatkit.db`` in ``.chatkit/`` next to the notebook.

    Args:
        directory: The folder for ``chatkit.db``; created if missing. Defaults to ``.chatkit``
            in the current working directory, which in Jupyter is the notebook's folder.

    Returns:
        The opened store.

    Raises:
        StoreError: The file exists but cannot be used (see ``SQLiteStore``).
    """
    folder = Path(directory) if directory is not None else Path.cwd() / ".chatkit"
    folder.mkdir(parents=True, exist_ok=True)
    return SQLiteStore(folder / "chatkit.db")
