"""The comm bridge: requests from the front end, served by an endpoint in this kernel.

A request travels as one ``request`` message (its body in ``buffers[0]``). The bridge runs the
endpoint (for ChatKit, ``widget.ChatKitEndpoint`` calls ``server.process(body, context)``) as an
asyncio task on the kernel's own loop and answers with either one ``response`` message (plain
JSON) or a stream: ``head`` (carrying the first batch of bytes), numbered ``chunk`` messages
and an ``end`` marker that carries the number of batches sent. The bridge knows nothing of ChatKit: it carries bytes, and ``explain``
turns the endpoint's exceptions into statuses and messages.

Why batch: jupyter_server drops iopub messages (comm messages included) above 1000 msgs/s, with
no error anywhere (see ``shared/notes/bridge-facts.md``). Sending one message per SSE event loses
thousands of events on a fast stream, so events are collected for a few milliseconds (or until a
size cap) and sent together. Numbering lets the front end detect a loss and fail loudly instead
of hanging; heartbeats let it detect a lost tail.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import time
import traceback
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from chatkit_jupyter.notebook._redact import scrub

from . import _protocol as p

logger = logging.getLogger("chatkit_jupyter")

Send = Callable[[p.KernelMessage, "list[bytes | bytearray] | None"], None]
"""How the bridge talks to the front end: ``widget.send(content, buffers)``."""

Endpoint = Callable[[bytes], Awaitable["bytes | AsyncIterable[bytes]"]]
"""Answers a request body: the JSON of a complete response, or the bytes of an SSE stream."""

Explain = Callable[[Exception], "RequestError | None"]
"""Turns an exception of the endpoint (or its stream, or an upload) into the error the user
sees; ``None`` for an unexpected one, answered with a 500 and its traceback kept."""

HookHandler = Callable[[str, Mapping[str, Any]], Awaitable[Any]]
"""Answers a front-end ``call``: ``(hook, payload) -> value``."""

UploadHandler = Callable[[str, AsyncIterator[bytes]], Awaitable[bytes]]
"""Stores an upload: ``(attachment_id, chunks) -> JSON of the attachment``."""

Watch = Callable[[Mapping[str, Any]], object]
"""Sees every message from the front end first, on the bridge's loop (e.g. to track views)."""

BATCH_WINDOW_S = 0.005
"""How long SSE bytes are collected before they are sent (measured: 5 ms loses nothing)."""
BATCH_MAX_BYTES = 1024 * 1024
"""Send at once when this many bytes are waiting, so one message never grows without bound.
Each message costs every hop the same (the kernel's iopub thread, jupyter_server, the page):
a 10 MB reply took 17 % less CPU (kernel, server and page together) and 13 % less time in
1 MB messages than in 256 KB ones; 4 MB saved no more (the window sends a fast stream's ~2 MB
first)."""
HEARTBEAT_S = 2.0
"""While a stream is open, tell the front end how many chunks were sent this often."""
MISSED_BEATS = 3
"""A request whose view answers beats (sent with ``alive: true``) and leaves this many
unanswered is cancelled: the page went away without a word (a closed tab sends no
``view_closed``)."""


def halted(error: BaseException, who: str, where: str | None = "widget.errors") -> str:
    """What the user reads when ``who`` (e.g. ``"The server"``) raised ``KeyboardInterrupt`` or
    ``SystemExit`` (``exit()``, ``sys.exit()``, an interrupt).

    Neither is an ``Exception``: out of an asyncio task, they stop the kernel's event loop and
    the kernel dies with every variable in it, so the bridge (and ``ask``) stop the request
    with this message instead. ``where`` names the list that keeps the traceback, if any."""
    if isinstance(error, KeyboardInterrupt):
        return (
            f"{who} was interrupted (KeyboardInterrupt), so this request was stopped. The "
            "kernel is still running; send the message again."
        )
    code = scrub(str(error))
    found = f" (`{where}` has the traceback)" if where else ""
    return (
        f"{who} called exit() or sys.exit() (SystemExit{': ' + code if code else ''}), so this "
        f"request was stopped. The kernel is still running; raise an exception instead of "
        f"exiting{found}."
    )


class RequestError(Exception):
    """A request the bridge refuses, with the HTTP status the front end should see."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class CommandError(RuntimeError):
    """A view could not run a command the kernel sent it (or went away first)."""


@dataclass
class RequestRecord:
    """What happened to one request; ``ChatKitWidget.requests`` lists the recent ones."""

    id: str
    """The request id (unique across views)."""
    type: str
    """The body's JSON ``type`` (ChatKit's request type, e.g. ``threads.add_user_message``);
    ``upload`` for attachment bytes."""
    started: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when the request arrived."""
    status: int | None = None
    """HTTP-like status sent to the front end; ``None`` while running."""
    streaming: bool = False
    """Whether the answer was an SSE stream."""
    chunks: int = 0
    """Batches sent for a stream (the head's is chunk 0)."""
    bytes: int = 0
    """Body bytes sent."""
    duration: float | None = None
    """Seconds from arrival to the last message."""
    error: str | None = None
    """The error message shown to the user, if any."""
    cancelled: bool = False
    """The front end aborted the request."""


class _Batcher:
    """Sends SSE bytes as numbered chunks: at once when the stream has been quiet for a window,
    else collected until the window since the last send is over (or the size cap is reached).

    So the first event of a stream, and each token of a model that streams slower than one per
    window, leaves at once; a fast stream goes out as at most one message per window (plus one
    per ``BATCH_MAX_BYTES``), which keeps it under Jupyter's iopub rate limit.
    """

    def __init__(self, send_chunk: Callable[[bytearray], None]) -> None:
        self._send_chunk = send_chunk
        self._buf = bytearray()
        self._timer: asyncio.TimerHandle | None = None
        self._loop = asyncio.get_running_loop()
        self._sent = -BATCH_WINDOW_S  # loop time of the last send: none yet

    def add(self, data: bytes) -> None:
        self._buf += data
        # Checked on every add, not only by the timer: the timer fires only when the loop gets
        # a turn, and a producer that never awaits would otherwise hold bytes until the cap.
        if len(self._buf) >= BATCH_MAX_BYTES or self._loop.time() - self._sent >= BATCH_WINDOW_S:
            self.flush()
        elif self._timer is None:
            self._timer = self._loop.call_at(self._sent + BATCH_WINDOW_S, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._buf:
            # Hand the buffer itself over (no copy); the next bytes go to a new one.
            data, self._buf = self._buf, bytearray()
            self._sent = self._loop.time()
            self._send_chunk(data)

    def discard(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._buf = bytearray()


class PushedStream:
    """The SSE stream of a request the kernel runs itself (``ask``), teed to the views as
    ``stream`` messages, batched like a view's own stream (see ``Bridge.push``)."""

    def __init__(
        self,
        bridge: Bridge,
        rid: str,
        thread_id: str | None,
        wanted: Callable[[], bool],
        on_cancel: Callable[[], None],
    ) -> None:
        self.id = rid
        self.thread_id = thread_id
        """The turn's thread, sent with each batch; set it once a new thread is known."""
        self.batches = 0
        """Batches so far, sent or not."""
        self._bridge = bridge
        self._wanted = wanted
        self._on_cancel = on_cancel
        self._sent = False
        self._ended = False
        self._batcher = _Batcher(self._send_batch)

    def add(self, data: bytes) -> None:
        """Tee some SSE bytes (whole events or not) to the views."""
        if not self._ended:
            self._batcher.add(data)

    def _send_batch(self, data: bytearray) -> None:
        seq = self.batches
        self.batches += 1
        # While no view can show it, nothing goes out (no iopub traffic for nobody), but the
        # batch is counted: a view that opens later sees that it came in late.
        if self._wanted():
            self._sent = True
            message: p.Stream = {
                "kind": p.STREAM,
                "id": self.id,
                "seq": seq,
                "thread_id": self.thread_id,
            }
            self._bridge._send(message, [data])

    def end(self, error: str | None = None) -> None:
        """The turn is over; ``error``: why it failed outside its stream (for the user)."""
        if self._ended:
            return
        self._batcher.flush()
        self._ended = True
        self._bridge._pushed.pop(self.id, None)
        if not self._sent and (error is None or not self._wanted()):
            return  # no view saw it begin, and there is nothing to tell
        message: p.StreamEnd = {
            "kind": p.STREAM_END,
            "id": self.id,
            "total": self.batches,
            "thread_id": self.thread_id,
        }
        if error is not None:
            message["error"] = error
        self._bridge._send(message, None)

    def mute(self) -> None:
        """Send nothing more (the widget closed); the turn itself goes on."""
        self._wanted = lambda: False
        self._sent = False

    def cancel(self) -> None:
        """A view stopped the turn."""
        if not self._ended:
            self._on_cancel()

    def beat(self) -> None:
        if self._sent or self._wanted():
            self._bridge._send({"kind": p.BEAT, "id": self.id, "sent": self.batches}, None)


class Bridge:
    """Serves the requests of one widget (all of its views).

    Args:
        send: Sends a message and its buffers to the front end.
        endpoint: Answers a request body (for ChatKit: ``widget.ChatKitEndpoint``).
        hooks: Answers front-end ``call`` messages (client tools, actions, effects, secrets).
        upload: Stores attachment bytes; ``None`` refuses uploads with a clear error.
        explain: Turns the endpoint's known exceptions into statuses and messages.
        watch: Sees every front-end message first, on the bridge's loop.
        history: How many finished requests ``records`` keeps.
        on_error: Told of each failed request: ``(record, message, exception or None)``.
        sent: Waits until the messages given to ``send`` so far are on their way (for a
            kernel: handed to ZMQ by its iopub thread; at most a short timeout). A
            stream waits for it after its first batch and after each batch of a producer that
            makes its bytes back to back, so the thread that sends them (the kernel's iopub
            thread) gets the GIL at once, not after the producer's switch interval.
    """

    def __init__(
        self,
        send: Send,
        endpoint: Endpoint,
        hooks: HookHandler,
        upload: UploadHandler | None = None,
        explain: Explain | None = None,
        watch: Watch | None = None,
        history: int = 200,
        on_error: Callable[[RequestRecord, str, BaseException | None], None] | None = None,
        sent: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._send = send
        self._sent = sent
        self._on_error = on_error
        self._watch = watch
        self._endpoint = endpoint
        self._hooks = hooks
        self._upload = upload
        self._explain = explain
        # The loop of the thread that made the widget: the kernel's main loop in a notebook.
        # JupyterLab 4.6 + ipykernel 7 deliver comm messages on a *subshell* thread with a loop
        # of its own (and the first ones on the main thread). All bridge work is moved to the
        # main loop so that one loop owns every task, cancel is safe, and the notebook tools
        # read variables between cells, never while a cell runs on another thread.
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._views: dict[str, str] = {}
        self._uploads: dict[str, asyncio.Queue[bytes | Exception | None]] = {}
        self._upload_seq: dict[str, int] = {}
        self._live: dict[str, RequestRecord] = {}
        # Beats sent since the view last answered, for requests whose view answers beats.
        self._unanswered: dict[str, int] = {}
        self._beat: asyncio.Task[None] | None = None
        self._commands: dict[str, tuple[str, str, asyncio.Future[Any]]] = {}
        self._command_ids = 0
        self._pushed: dict[str, PushedStream] = {}
        self.records: deque[RequestRecord] = deque(maxlen=history)
        """Recent requests, newest last."""

    # -- dispatch -------------------------------------------------------------------------------

    def handle(self, content: Mapping[str, Any], buffers: list[Any] | None) -> None:
        """Handle one message from the front end (the widget's ``on_msg`` callback).

        Safe to call from any thread: the work runs on the loop the bridge belongs to.
        """
        loop = self._loop
        if loop is not None and not loop.is_closed() and _running_loop() is not loop:
            # Copy the buffers: the caller may reuse them once we return.
            copied = [bytes(b) for b in buffers or []]
            loop.call_soon_threadsafe(self._handle, content, copied)
            return
        self._handle(content, buffers)

    def _handle(self, content: Mapping[str, Any], buffers: list[Any] | None) -> None:
        kind = content.get("kind")
        rid = content.get("id")
        try:
            if self._watch is not None:
                self._watch(content)
            if kind == p.CANCEL:
                self.cancel(str(rid))
            elif kind == p.ALIVE:
                if rid in self._tasks:
                    self._unanswered[str(rid)] = 0
            elif kind == p.VIEW_CLOSED:
                self.cancel_view(str(content.get("view")))
            elif kind == p.COMMAND_RESULT:
                self._on_command_result(content)
            elif kind == p.UPLOAD_CHUNK:
                self._on_upload_chunk(content, buffers)
            elif not isinstance(rid, str) or not rid:
                logger.warning("chatkit-jupyter: ignoring a %r message without an id", kind)
            elif kind == p.REQUEST:
                body = _first_buffer(buffers)
                self._start(rid, content, self._serve(rid, content, body))
            elif kind == p.CALL:
                self._start(rid, content, self._call(rid, content))
            else:
                self._send_error(
                    rid,
                    400,
                    f"Unknown message kind {kind!r:.60}; expected one of "
                    f"{', '.join(p.FROM_FRONTEND)}.",
                )
        except Exception:  # never let a bad message break the kernel's comm handling
            logger.exception("chatkit-jupyter: failed to handle a %r message", kind)

    def _start(self, rid: str, content: Mapping[str, Any], coro: Coroutine[Any, Any, None]) -> None:
        if rid in self._tasks:
            coro.close()  # never to run; unclosed, Python warns that it was never awaited
            self._send_error(rid, 409, f"Request id {rid!r} is already in use.")
            return
        loop = self._loop if self._loop is not None else asyncio.get_running_loop()
        # The coroutine itself, not a wrapper: cancelled before its first step, it is closed
        # cleanly instead of being reported as never awaited.
        task: asyncio.Task[None] = loop.create_task(coro)
        self._tasks[rid] = task
        self._views[rid] = str(content.get("view", ""))
        if content.get("alive") is True:
            self._unanswered[rid] = 0
        task.add_done_callback(functools.partial(self._forget, rid))
        if self._beat is None or self._beat.done():
            self._beat = loop.create_task(self._heartbeat())

    def _forget(self, rid: str, _task: object = None) -> None:
        self._tasks.pop(rid, None)
        self._live.pop(rid, None)
        self._unanswered.pop(rid, None)
        self._views.pop(rid, None)
        self._uploads.pop(rid, None)
        self._upload_seq.pop(rid, None)

    @property
    def pending(self) -> int:
        """Number of requests still running."""
        return len(self._tasks)

    def cancel(self, rid: str) -> bool:
        """Cancel one running request (or pushed stream); returns whether there was one."""
        task = self._tasks.get(rid)
        if task is None:
            pushed = self._pushed.get(rid)
            if pushed is not None:
                pushed.cancel()
            return pushed is not None
        task.cancel()
        return True

    def cancel_view(self, view: str) -> int:
        """Cancel every request a closed view still has running, and fail the commands it
        never answered; returns how many requests."""
        rids = [rid for rid, v in self._views.items() if v == view]
        for rid in rids:
            self.cancel(rid)
        for cid, (target, name, future) in list(self._commands.items()):
            if target == view:
                del self._commands[cid]
                if not future.done():
                    future.set_exception(
                        CommandError(f"The chat view closed before it ran {name}.")
                    )
        return len(rids)

    def cancel_all(self) -> None:
        """Cancel everything (the widget is closing)."""
        for task in list(self._tasks.values()):
            task.cancel()
        for _view, _name, future in self._commands.values():
            future.cancel()
        self._commands.clear()
        for pushed in self._pushed.values():
            pushed.mute()

    # -- streams the kernel starts ----------------------------------------------------------------

    def push(
        self,
        rid: str,
        thread_id: str | None,
        *,
        wanted: Callable[[], bool],
        on_cancel: Callable[[], None],
    ) -> PushedStream:
        """Start teeing a stream the kernel runs itself to the views (``stream`` messages,
        ``beat``s while it runs, a ``stream_end`` from ``PushedStream.end``).

        Call it on the bridge's loop. ``wanted()`` says whether a view that could show it is
        open (nothing is sent otherwise); ``on_cancel`` runs when a view stops the stream.
        """
        loop = self._loop if self._loop is not None else asyncio.get_running_loop()
        self._loop = loop
        if rid in self._pushed or rid in self._tasks:
            raise ValueError(f"Stream id {rid!r} is already in use.")
        pushed = PushedStream(self, rid, thread_id, wanted, on_cancel)
        self._pushed[rid] = pushed
        if self._beat is None or self._beat.done():
            self._beat = loop.create_task(self._heartbeat())
        return pushed

    # -- commands -------------------------------------------------------------------------------

    def command(self, view: str, name: str, args: list[Any]) -> asyncio.Future[Any]:
        """Ask one view to run a command; the future gets what it answered.

        Call it on the bridge's loop (a notebook cell runs there). The future fails with
        ``CommandError`` when the view refuses or closes first.
        """
        loop = self._loop if self._loop is not None else asyncio.get_running_loop()
        self._loop = loop
        self._command_ids += 1
        cid = f"k{self._command_ids}"
        future: asyncio.Future[Any] = loop.create_future()
        self._commands[cid] = (view, name, future)
        self._send({"kind": p.COMMAND, "id": cid, "view": view, "name": name, "args": args}, None)
        return future

    def forget_command(self, future: asyncio.Future[Any]) -> None:
        """Stop waiting for a command's answer (its view did not answer in time)."""
        for cid, (_view, _name, waiting) in list(self._commands.items()):
            if waiting is future:
                del self._commands[cid]

    def _on_command_result(self, content: Mapping[str, Any]) -> None:
        entry = self._commands.pop(str(content.get("id")), None)
        if entry is None:
            return  # answered after we gave up on it
        _view, name, future = entry
        if future.done():
            return
        if content.get("ok"):
            future.set_result(content.get("value"))
        else:
            message = str(content.get("message") or "no reason given")
            future.set_exception(CommandError(f"The chat view could not run {name}: {message}"))

    async def wait_idle(self) -> None:
        """Wait until no request is running (for tests and orderly shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    # -- requests -------------------------------------------------------------------------------

    async def _serve(self, rid: str, content: Mapping[str, Any], body: bytes) -> None:
        url = str(content.get("url", p.API_URL))
        record = RequestRecord(
            id=rid, type=_request_type(body) if not content.get("chunked") else "upload"
        )
        self.records.append(record)
        self._live[rid] = record
        try:
            if url.startswith(p.UPLOAD_URL):
                payload = await self._receive_upload(rid, url, content, body)
                self._respond(record, 200, "application/json", payload)
                return
            result = await self._endpoint(body)
            if isinstance(result, bytes):
                self._respond(record, 200, "application/json", result)
            else:
                await self._stream(record, result)
        except asyncio.CancelledError:
            record.cancelled = True
            record.duration = time.monotonic() - record.started
            raise
        except RequestError as e:
            self._fail(record, e.status, e.message)
        except (KeyboardInterrupt, SystemExit) as e:
            logger.exception("chatkit-jupyter: the server stopped on %s", record.type)
            message = halted(e, "The server")
            self._fail(record, 500, message, detail=traceback.format_exc(), error=e)
        except Exception as e:
            known = self._explain(e) if self._explain is not None else None
            if known is not None:
                self._fail(record, known.status, known.message)
                return
            logger.exception("chatkit-jupyter: the server failed on %s", record.type)
            self._fail(
                record,
                500,
                f"The server raised {type(e).__name__}: {scrub(str(e))}. The kernel is still running; "
                "see `widget.errors` for the traceback.",
                detail=traceback.format_exc(),
                error=e,
            )

    async def _stream(self, record: RequestRecord, result: AsyncIterable[bytes]) -> None:
        rid = record.id
        record.streaming = True

        def send_head(data: bytearray | None) -> None:
            head: p.Head = {
                "kind": p.HEAD,
                "id": rid,
                "status": 200,
                "content_type": "text/event-stream",
            }
            self._send(head, None if data is None else [data])

        def send_chunk(data: bytearray) -> None:
            # The first batch rides on the head (chunk 0): one message less before the first byte.
            if record.chunks:
                self._send({"kind": p.CHUNK, "id": rid, "seq": record.chunks}, [data])
            else:
                send_head(data)
            record.chunks += 1
            record.bytes += len(data)

        batcher = _Batcher(send_chunk)
        loop = asyncio.get_running_loop()
        made = -BATCH_WINDOW_S  # loop time the last bytes came: none yet
        try:
            async for data in result:
                # Bytes that come within a window of the last ones: the producer is busy on this
                # thread (it holds the GIL), so the iopub thread gets a turn after each batch.
                # A producer that waits in between (a model's tokens) leaves the GIL free.
                hot = loop.time() - made < BATCH_WINDOW_S
                sent = record.chunks
                batcher.add(data)
                if record.chunks != sent and (hot or sent == 0) and self._sent is not None:
                    await self._sent()
                made = loop.time()  # after the wait: time spent waiting is not the producer's
        except asyncio.CancelledError:
            batcher.discard()  # nobody is reading any more
            raise
        finally:
            # Events the server produced before an exception still go out, before the error.
            batcher.flush()
        if not record.chunks:
            send_head(None)  # an empty stream
        record.status = 200
        record.duration = time.monotonic() - record.started
        self._send({"kind": p.END, "id": rid, "total": record.chunks}, None)

    async def _heartbeat(self) -> None:
        # One beat per running request every few seconds (streams, plain requests, uploads and
        # hook calls alike): the front end gives up on a request only after a long silence.
        while self._tasks or self._pushed:
            await asyncio.sleep(HEARTBEAT_S)
            for pushed in list(self._pushed.values()):
                pushed.beat()
            for rid in list(self._tasks):
                missed = self._unanswered.get(rid)
                if missed is not None and missed >= MISSED_BEATS:
                    logger.info("chatkit-jupyter: %s: its view is gone; cancelling it", rid)
                    self.cancel(rid)
                    continue
                if missed is not None:
                    self._unanswered[rid] = missed + 1
                record = self._live.get(rid)
                self._send(
                    {"kind": p.BEAT, "id": rid, "sent": record.chunks if record else 0}, None
                )

    def _respond(self, record: RequestRecord, status: int, content_type: str, body: bytes) -> None:
        record.status = status
        record.bytes = len(body)
        record.duration = time.monotonic() - record.started
        self._send(
            {"kind": p.RESPONSE, "id": record.id, "status": status, "content_type": content_type},
            [body],
        )

    def _fail(
        self,
        record: RequestRecord,
        status: int,
        message: str,
        detail: str | None = None,
        error: BaseException | None = None,
    ) -> None:
        record.status = status
        record.error = detail or message
        record.duration = time.monotonic() - record.started
        self._send_error(record.id, status, message)
        if self._on_error is not None:
            self._on_error(record, message, error)

    def _send_error(self, rid: str, status: int, message: str) -> None:
        self._send({"kind": p.ERROR, "id": rid, "status": status, "message": message}, None)

    # -- uploads --------------------------------------------------------------------------------

    async def _receive_upload(
        self, rid: str, url: str, content: Mapping[str, Any], body: bytes
    ) -> bytes:
        if self._upload is None:
            raise RequestError(
                501,
                "This server has no attachment store, so uploads are off. Pass "
                "`attachment_store=` to the server or disable composer attachments.",
            )
        attachment_id = url[len(p.UPLOAD_URL) :].strip("/")
        if not attachment_id:
            raise RequestError(400, f"Upload URL {url!r:.120} names no attachment.")
        if content.get("chunked"):
            queue = self._uploads.setdefault(rid, asyncio.Queue())
            chunks: AsyncIterator[bytes] = _drain(queue)
        else:
            chunks = _once(body)
        return await self._upload(attachment_id, chunks)

    def _on_upload_chunk(self, content: Mapping[str, Any], buffers: list[Any] | None) -> None:
        rid = str(content.get("id"))
        if rid not in self._tasks:
            return  # cancelled or failed already; the rest of the file is dropped
        # Unbounded: the chunks are in the kernel's memory already (queued on the loop), and
        # the attachment store stops the upload at its size limit.
        queue = self._uploads.setdefault(rid, asyncio.Queue())
        expected = self._upload_seq.get(rid, 0)
        if expected < 0:
            return  # a piece went missing already; the upload is failing
        seq = content.get("seq")
        # Exactly the next integer: not True for 1, not 1.0, not a string.
        if type(seq) is not int or seq != expected:
            # The comm keeps order, so a gap means a lost piece: store nothing rather than a
            # file with a hole in it.
            self._upload_seq[rid] = -1
            queue.put_nowait(
                RequestError(
                    400,
                    f"Upload piece {seq!r:.40} arrived where piece {expected} was "
                    "expected, so the file would be incomplete. Attach it again.",
                )
            )
            return
        self._upload_seq[rid] = expected + 1
        data = _first_buffer(buffers)
        if data:
            queue.put_nowait(data)
        if content.get("last"):
            queue.put_nowait(None)

    # -- hooks ----------------------------------------------------------------------------------

    async def _call(self, rid: str, content: Mapping[str, Any]) -> None:
        hook = str(content.get("hook"))
        payload = content.get("payload") or {}
        if not isinstance(payload, Mapping):
            # Not the handler's fault, so no "AttributeError" from deep inside it.
            message = (
                f"The {hook:.40} call's payload is a JSON {_json_kind(payload)}, not an object; "
                "the page that sent it is out of date: reload it."
            )
            self._send({"kind": p.RESULT, "id": rid, "ok": False, "message": message}, None)
            return
        try:
            value = await self._hooks(hook, payload)
        except asyncio.CancelledError:
            raise
        except (Exception, KeyboardInterrupt, SystemExit) as e:
            logger.exception("chatkit-jupyter: the %s hook failed", hook)
            message = (
                f"{type(e).__name__}: {scrub(str(e))}"  # the page shows it: no secrets
                if isinstance(e, Exception)
                else halted(e, f"The {hook} handler", "widget.log")
            )
            self._send({"kind": p.RESULT, "id": rid, "ok": False, "message": message}, None)
            return
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as e:
            message = (
                f"The {hook} handler returned a value that is not JSON ({e}); return dicts, "
                "lists, strings, numbers, booleans or None."
            )
            self._send({"kind": p.RESULT, "id": rid, "ok": False, "message": message}, None)
            return
        self._send({"kind": p.RESULT, "id": rid, "ok": True, "value": value}, None)


# -- helpers ------------------------------------------------------------------------------------


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def _drain(queue: asyncio.Queue[bytes | Exception | None]) -> AsyncIterator[bytes]:
    while (data := await queue.get()) is not None:
        if isinstance(data, Exception):
            raise data
        yield data


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "boolean" if isinstance(value, bool) else "number"


def _first_buffer(buffers: list[Any] | None) -> bytes:
    if not buffers:
        return b""
    return bytes(buffers[0])  # a memoryview (from the comm), bytes or bytearray


def _request_type(body: bytes) -> str:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # JSON nested 100,000 deep must not kill the request
        return "(malformed)"
    return str(parsed.get("type")) if isinstance(parsed, dict) else "(malformed)"


async def call_handler(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a user's handler, sync or async."""
    value = fn(*args, **kwargs)
    if inspect.isawaitable(value):
        value = await value
    return value
