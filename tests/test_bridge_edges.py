"""Bridge edges the mutation run found loose: the batch size cap, the record history, streams
cancelled before their first bytes, heartbeats, uploads whose pieces come late, what is logged,
the exact words of the errors a user reads, and the streams the kernel pushes to the views
(``ask``)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from chatkit_jupyter.bridge import Bridge, RequestError, call_handler
from chatkit_jupyter.bridge import _protocol as p
from chatkit_jupyter.bridge._bridge import BATCH_MAX_BYTES, BATCH_WINDOW_S

Sent = list[tuple[dict[str, Any], list[bytes | bytearray]]]


def bridge(endpoint: Any = None, **kwargs: Any) -> tuple[Bridge, Sent]:
    sent: Sent = []

    async def reverse(body: bytes) -> Any:
        return body[::-1]

    async def hooks(hook: str, payload: Any) -> Any:
        return {"hook": hook}

    kwargs.setdefault("hooks", hooks)
    made = Bridge(
        send=lambda content, buffers: sent.append((dict(content), list(buffers or []))),
        endpoint=endpoint or reverse,
        **kwargs,
    )
    return made, sent


def request(rid: str, **fields: Any) -> dict[str, Any]:
    return {"kind": p.REQUEST, "id": rid, "view": "v1", "url": p.API_URL, **fields}


def kinds(sent: Sent, rid: str) -> list[str]:
    return [c["kind"] for c, _ in sent if c.get("id") == rid]


def batches(sent: Sent) -> list[bytes]:
    """A stream's bytes as sent: the head's batch (chunk 0), then each chunk's."""
    return [bytes(b[0]) for c, b in sent if c["kind"] in (p.HEAD, p.CHUNK) and b]


async def stream(frames: Callable[[], AsyncIterator[bytes]], **kwargs: Any) -> Sent:
    """Serve request ``v1:s``, streamed as ``frames()`` makes it, to its end; what was sent."""

    async def endpoint(body: bytes) -> Any:
        return frames()

    b, sent = bridge(endpoint, **kwargs)
    b.handle(request("v1:s"), [b"{}"])
    await b.wait_idle()
    return sent


class Waits:
    """A bridge's ``sent`` that counts the times a stream waited on it."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> None:
        self.count += 1


async def until(condition: Any) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.001)

    await asyncio.wait_for(poll(), 5)


def test_request_error_carries_status_and_message() -> None:
    error = RequestError(418, "no coffee")
    assert (str(error), error.status, error.message) == ("no coffee", 418, "no coffee")


async def test_call_handler_passes_keywords_and_awaits_coroutines() -> None:
    def plain(a: int, *, b: int) -> int:
        return a + b

    async def later(a: int, *, b: int) -> int:
        return a * b

    assert await call_handler(plain, 2, b=3) == 5
    assert await call_handler(later, 2, b=3) == 6


# -- batching -----------------------------------------------------------------------------------


async def test_a_producer_that_never_waits_is_cut_at_the_size_cap() -> None:
    half = BATCH_MAX_BYTES // 2

    async def endpoint(body: bytes) -> Any:
        async def frames() -> AsyncIterator[bytes]:
            for _ in range(3):
                yield b"x" * half  # no await in between: only the size cap can close a batch

        return frames()

    b, sent = bridge(endpoint)
    b.handle(request("v1:s"), [b"{}"])
    await b.wait_idle()
    sizes = [len(data) for data in batches(sent)]
    # The first frame goes at once, on the head (a reply's first byte never waits); the next
    # two reach the cap exactly and go together at once.
    assert sizes == [half, 2 * half]
    record = b.records[-1]
    assert (record.chunks, record.bytes, record.status) == (2, 3 * half, 200)
    assert sent[-1][0] == {"kind": p.END, "id": "v1:s", "total": 2}


async def test_cancelling_a_stream_before_its_first_bytes_ends_it_quietly() -> None:
    never, started_stream = asyncio.Event(), asyncio.Event()

    async def endpoint(body: bytes) -> Any:
        async def frames() -> AsyncIterator[bytes]:
            started_stream.set()
            await never.wait()
            yield b"never"

        return frames()

    b, sent = bridge(endpoint)
    started = time.monotonic()
    b.handle(request("v1:s"), [b"{}"])
    await asyncio.wait_for(started_stream.wait(), 5)
    assert b.cancel("v1:s") is True
    await b.wait_idle()
    # The head goes with the first bytes: a stream cancelled before them sent nothing at all.
    assert kinds(sent, "v1:s") == []
    record = b.records[-1]
    assert record.cancelled
    assert record.duration is not None
    assert 0 <= record.duration <= time.monotonic() - started


# -- records, views, state that ends with a request ---------------------------------------------


async def test_records_keep_the_newest_200_by_default_or_as_many_as_asked() -> None:
    for history, count in ((None, 201), (2, 3)):
        b, _ = bridge() if history is None else bridge(history=history)
        for n in range(count):
            b.handle(request(f"v1:{n}"), [b"{}"])
        await b.wait_idle()
        kept = count - 1
        assert [r.id for r in b.records] == [f"v1:{n}" for n in range(1, count)]
        assert len(b.records) == kept


async def test_finished_requests_leave_nothing_behind(caplog: pytest.LogCaptureFixture) -> None:
    async def upload(attachment_id: str, chunks: Any) -> bytes:
        return b"".join([c async for c in chunks])

    b, _ = bridge(upload=upload)
    b.handle(request("v1:plain"), [b"{}"])
    b.handle({"kind": p.CALL, "id": "v1:call", "view": "v1", "hook": "h", "payload": {}}, [])
    b.handle(request("v1:up", url=f"{p.UPLOAD_URL}/atc_1", chunked=True), [b""])
    b.handle({"kind": p.UPLOAD_CHUNK, "id": "v1:up", "seq": 0, "last": True}, [b"ab"])
    await b.wait_idle()
    await asyncio.sleep(0)  # done callbacks run one step after the tasks end
    # Closing the view finds nothing left to cancel, and no clean-up step failed.
    assert b.cancel_view("v1") == 0
    assert b.pending == 0
    assert [r.levelname for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_plain_request_type_and_an_empty_body() -> None:
    seen: list[bytes] = []

    async def endpoint(body: bytes) -> bytes:
        seen.append(body)
        return b"{}"

    b, _ = bridge(endpoint)
    b.handle(request("v1:none"), [])
    b.handle(request("v1:list"), [b"[1, 2]"])
    b.handle(request("v1:typed"), [memoryview(b'{"type": "threads.list"}')])
    await b.wait_idle()
    assert seen == [b"", b"[1, 2]", b'{"type": "threads.list"}']
    assert [r.type for r in b.records] == ["(malformed)", "(malformed)", "threads.list"]


# -- errors and what is logged ------------------------------------------------------------------


async def test_an_unexpected_server_error_is_a_500_with_what_to_do_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def endpoint(body: bytes) -> bytes:
        raise ValueError("boom")

    b, sent = bridge(endpoint)  # no `explain`: every exception is unexpected
    b.handle(request("v1:x"), [b'{"type": "threads.list"}'])
    await b.wait_idle()
    assert sent == [
        (
            {
                "kind": p.ERROR,
                "id": "v1:x",
                "status": 500,
                "message": "The server raised ValueError: boom. The kernel is still running; "
                "see `widget.errors` for the traceback.",
            },
            [],
        )
    ]
    record = b.records[-1]
    assert record.status == 500
    assert record.error is not None
    assert "Traceback" in record.error
    assert caplog.messages == ["chatkit-jupyter: the server failed on threads.list"]


async def test_a_failing_hook_or_watcher_is_logged_with_what_failed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def hooks(hook: str, payload: Any) -> Any:
        raise KeyError("nope")

    b, sent = bridge(hooks=hooks)
    b.handle({"kind": p.CALL, "id": "v1:c", "view": "v1", "hook": "tool", "payload": {}}, [])
    await b.wait_idle()
    assert sent == [
        ({"kind": p.RESULT, "id": "v1:c", "ok": False, "message": "KeyError: 'nope'"}, [])
    ]
    assert caplog.messages == ["chatkit-jupyter: the tool hook failed"]

    caplog.clear()

    def watch(content: Any) -> None:
        raise RuntimeError("watcher broke")

    b, sent = bridge(watch=watch)
    b.handle(request("v1:r"), [b"{}"])
    assert (sent, b.pending) == ([], 0)
    assert caplog.messages == ["chatkit-jupyter: failed to handle a 'request' message"]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {1, 2}])
async def test_a_hook_value_that_is_not_strict_json_is_refused_in_words(value: Any) -> None:
    async def hooks(hook: str, payload: Any) -> Any:
        return {"x": value}

    b, sent = bridge(hooks=hooks)
    b.handle({"kind": p.CALL, "id": "v1:c", "view": "v1", "hook": "tool", "payload": {}}, [])
    await b.wait_idle()
    ((result, _),) = sent
    assert result["ok"] is False
    message = result["message"]
    assert message.startswith("The tool handler returned a value that is not JSON (")
    assert message.endswith("); return dicts, lists, strings, numbers, booleans or None.")


@pytest.mark.parametrize(
    ("payload", "kind"), [([1], "array"), ("x", "string"), (5, "number"), (True, "boolean")]
)
async def test_a_call_whose_payload_is_no_object_is_refused_before_its_handler(
    payload: Any, kind: str
) -> None:
    # Before, handlers met it and answered e.g. "AttributeError: 'list' object has no
    # attribute 'get'".
    handled: list[Any] = []

    async def hooks(hook: str, payload: Any) -> Any:
        handled.append(payload)

    b, sent = bridge(hooks=hooks)
    b.handle({"kind": p.CALL, "id": "v1:c", "view": "v1", "hook": "ready", "payload": payload}, [])
    await b.wait_idle()
    assert sent == [
        (
            {
                "kind": p.RESULT,
                "id": "v1:c",
                "ok": False,
                "message": f"The ready call's payload is a JSON {kind}, not an object; the page "
                "that sent it is out of date: reload it.",
            },
            [],
        )
    ]
    assert handled == []


async def test_a_huge_kind_or_upload_url_is_not_echoed_back_whole() -> None:
    b, sent = bridge(upload=lambda attachment_id, chunks: None)
    b.handle({"kind": "k" * 100_000, "id": "v1:k"}, [])
    b.handle(request("v1:u", url=p.UPLOAD_URL + "/" * 100_000), [b""])
    await b.wait_idle()
    kind, url = (c for c, _ in sent)
    assert kind["message"].startswith("Unknown message kind 'kkkk")
    assert url["message"].startswith(f"Upload URL '{p.UPLOAD_URL}////")
    assert (kind["kind"], url["kind"]) == (p.ERROR, p.ERROR)
    assert len(kind["message"]) < 200
    assert len(url["message"]) < 200


# -- heartbeats ---------------------------------------------------------------------------------


async def test_a_heartbeat_says_how_many_chunks_a_stream_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import chatkit_jupyter.bridge._bridge as bridge_module

    monkeypatch.setattr(bridge_module, "HEARTBEAT_S", 0.01)
    gate = asyncio.Event()

    async def endpoint(body: bytes) -> Any:
        if body == b"plain":
            await gate.wait()
            return b"{}"

        async def frames() -> AsyncIterator[bytes]:
            yield b"data: 1\n\n"
            await gate.wait()

        return frames()

    async def hooks(hook: str, payload: Any) -> Any:
        await gate.wait()
        return None

    b, sent = bridge(endpoint, hooks=hooks)
    b.handle(request("v1:s"), [b"stream"])
    b.handle(request("v1:p"), [b"plain"])
    b.handle({"kind": p.CALL, "id": "v1:c", "view": "v1", "hook": "tool", "payload": {}}, [])

    def beats(rid: str) -> list[int]:
        return [c["sent"] for c, _ in sent if c["kind"] == p.BEAT and c["id"] == rid]

    await until(lambda: p.HEAD in kinds(sent, "v1:s") and beats("v1:s")[-1:] == [1])
    await until(lambda: beats("v1:p") and beats("v1:c"))
    gate.set()
    await b.wait_idle()
    # A plain request or a hook call has sent no chunks.
    assert set(beats("v1:p")) == set(beats("v1:c")) == {0}
    assert beats("v1:s")[-1] == 1


# -- uploads ------------------------------------------------------------------------------------


async def test_pieces_that_come_after_the_upload_started_are_received() -> None:
    stored: list[tuple[str, bytes]] = []

    async def upload(attachment_id: str, chunks: Any) -> bytes:
        stored.append((attachment_id, b"".join([c async for c in chunks])))
        return b'{"id": "ok"}'

    b, sent = bridge(upload=upload)
    # An id may begin or end with any character the URL keeps; only the slashes go.
    b.handle(request("v1:u", url=f"{p.UPLOAD_URL}/Xa_1X/", chunked=True), [b""])
    for _ in range(5):
        await asyncio.sleep(0)  # the upload is now waiting for its first piece
    b.handle({"kind": p.UPLOAD_CHUNK, "id": "v1:u", "seq": 0, "last": False}, [b"ab"])
    b.handle({"kind": p.UPLOAD_CHUNK, "id": "v1:u", "seq": 1, "last": True}, [b"cd"])
    await b.wait_idle()
    assert stored == [("Xa_1X", b"abcd")]
    assert sent == [
        (
            {"kind": p.RESPONSE, "id": "v1:u", "status": 200, "content_type": "application/json"},
            [b'{"id": "ok"}'],
        )
    ]


async def test_pieces_after_a_gap_are_dropped_without_errors_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def upload(attachment_id: str, chunks: Any) -> bytes:
        return b"".join([c async for c in chunks])

    b, sent = bridge(upload=upload)
    b.handle(request("v1:u", url=f"{p.UPLOAD_URL}/atc_1", chunked=True), [b""])
    for seq in (0, 2, 1, 3, 4):
        b.handle({"kind": p.UPLOAD_CHUNK, "id": "v1:u", "seq": seq, "last": seq == 4}, [b"x"])
    await b.wait_idle()
    assert [c["status"] for c, _ in sent] == [400]
    assert caplog.messages == []


# -- commands -----------------------------------------------------------------------------------


async def test_a_bridge_made_outside_a_loop_adopts_the_loop_of_its_first_command() -> None:
    seen: list[int] = []
    made: list[tuple[Bridge, Sent]] = []
    maker = threading.Thread(
        target=lambda: made.append(bridge(watch=lambda content: seen.append(threading.get_ident())))
    )
    maker.start()
    maker.join()
    ((b, sent),) = made
    future = b.command("v1", "send_user_message", ["hi"])
    ((command, _),) = sent
    answer = {"kind": p.COMMAND_RESULT, "id": command["id"], "ok": True, "value": 7}
    # The answer arrives on another thread (a subshell); it is handled on this loop's thread.
    answering = threading.Thread(target=lambda: b.handle(answer, []))
    answering.start()
    answering.join()
    assert await asyncio.wait_for(future, 5) == 7
    assert seen == [threading.get_ident()]


async def test_each_waiting_command_gets_its_own_answer() -> None:
    b, sent = bridge()
    first = b.command("v1", "a", [])
    second = b.command("v1", "b", [])
    ids = [c["id"] for c, _ in sent]
    assert len(set(ids)) == 2
    b.handle({"kind": p.COMMAND_RESULT, "id": ids[1], "ok": True, "value": "b"}, [])
    b.handle({"kind": p.COMMAND_RESULT, "id": ids[0], "ok": True, "value": "a"}, [])
    assert (await first, await second) == ("a", "b")


async def test_forgetting_one_command_keeps_the_others_and_ignores_its_late_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    b, sent = bridge()
    gave_up = b.command("v1", "a", [])
    waiting = b.command("v1", "b", [])
    late, current = (c["id"] for c, _ in sent)
    b.forget_command(gave_up)
    b.handle({"kind": p.COMMAND_RESULT, "id": late, "ok": True, "value": "too late"}, [])
    b.handle({"kind": p.COMMAND_RESULT, "id": current, "ok": True, "value": "b"}, [])
    assert await asyncio.wait_for(waiting, 5) == "b"
    assert not gave_up.done()
    assert caplog.messages == []


async def test_a_refusal_without_a_reason_says_so() -> None:
    from chatkit_jupyter.bridge import CommandError

    b, sent = bridge()
    future = b.command("v1", "set_thread", [])
    ((command, _),) = sent
    b.handle({"kind": p.COMMAND_RESULT, "id": command["id"], "ok": False}, [])
    with pytest.raises(CommandError) as caught:
        await future
    assert str(caught.value) == "The chat view could not run set_thread: no reason given"


# -- views that stop answering beats ----------------------------------------------------------


async def test_a_request_whose_view_stops_answering_beats_is_cancelled(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import chatkit_jupyter.bridge._bridge as bridge_module

    monkeypatch.setattr(bridge_module, "HEARTBEAT_S", 0.01)
    caplog.set_level(logging.INFO, logger="chatkit_jupyter")
    gate = asyncio.Event()

    async def endpoint(body: bytes) -> bytes:
        await gate.wait()
        return b"{}"

    b, sent = bridge(endpoint)
    # Two gone views, one that answers every beat, and one that never said it would.
    for rid in ("v1:gone", "v2:gone", "v3:answers"):
        b.handle(request(rid, alive=True), [b"{}"])
    b.handle(request("v4:old", alive="yes"), [b"{}"])

    def beats(rid: str) -> int:
        return sum(c["kind"] == p.BEAT and c["id"] == rid for c, _ in sent)

    answered = 0

    def answering(condition: Callable[[], bool]) -> Callable[[], bool]:
        # The view of v3 answers each beat it got, as the front end does.
        def check() -> bool:
            nonlocal answered
            for _ in range(beats("v3:answers") - answered):
                b.handle({"kind": p.ALIVE, "id": "v3:answers"}, None)
            answered = beats("v3:answers")
            return condition()

        return check

    await until(answering(lambda: b.records[0].cancelled))
    # Both gone views are dropped on the same beat, not one per beat.
    for _ in range(3):
        await asyncio.sleep(0)
    assert [r.cancelled for r in b.records] == [True, True, False, False]
    # Each missed exactly MISSED_BEATS beats; the others keep beating.
    missed = bridge_module.MISSED_BEATS
    assert beats("v1:gone") == beats("v2:gone") == missed
    await until(answering(lambda: min(beats("v3:answers"), beats("v4:old")) >= 2 * missed))
    assert b.pending == 2
    gate.set()
    await b.wait_idle()
    assert [r.status for r in b.records] == [None, None, 200, 200]
    assert caplog.messages == [
        "chatkit-jupyter: v1:gone: its view is gone; cancelling it",
        "chatkit-jupyter: v2:gone: its view is gone; cancelling it",
    ]


async def test_a_view_closed_message_without_a_view_cancels_nothing() -> None:
    gate = asyncio.Event()

    async def endpoint(body: bytes) -> bytes:
        await gate.wait()
        return b"{}"

    b, _ = bridge(endpoint)
    b.handle({"kind": p.REQUEST, "id": "x:1", "url": p.API_URL}, [b"{}"])  # no view either
    b.handle({"kind": p.VIEW_CLOSED}, None)
    await asyncio.sleep(0)
    assert b.pending == 1
    gate.set()
    await b.wait_idle()
    assert b.records[-1].status == 200


async def test_a_finished_request_keeps_no_state_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def upload(attachment_id: str, chunks: Any) -> bytes:
        return b"".join([c async for c in chunks])

    b, _ = bridge(upload=upload)
    b.handle(request("v1:plain", alive=True), [b"{}"])
    b.handle(request("v1:up", url=f"{p.UPLOAD_URL}/atc_1", chunked=True, alive=True), [b""])
    b.handle({"kind": p.UPLOAD_CHUNK, "id": "v1:up", "seq": 0, "last": True}, [b"ab"])
    await b.wait_idle()
    await asyncio.sleep(0)  # done callbacks run one step after the tasks end
    # A long-lived widget serves thousands of requests: nothing of each may stay behind.
    state = (b._tasks, b._live, b._unanswered, b._views, b._uploads, b._upload_seq)
    assert [len(s) for s in state] == [0] * len(state)


async def test_on_error_is_told_the_record_message_and_exception() -> None:
    told: list[tuple[Any, str, BaseException | None]] = []

    async def endpoint(body: bytes) -> bytes:
        if body == b"refuse":
            raise RequestError(413, "too big")
        raise ValueError("boom")

    b, _ = bridge(endpoint, on_error=lambda *args: told.append(args))
    b.handle(request("v1:a"), [b"refuse"])
    b.handle(request("v1:b"), [b"crash"])
    await b.wait_idle()
    (record_a, message_a, error_a), (record_b, message_b, error_b) = told
    assert (record_a, message_a, error_a) == (b.records[0], "too big", None)
    assert record_b is b.records[1]
    assert message_b.startswith("The server raised ValueError: boom.")
    assert isinstance(error_b, ValueError)


async def test_a_fast_stream_goes_out_in_few_messages() -> None:
    # Events a loop turn apart (a model streaming fast): collected for the batch window rather
    # than sent one by one (Jupyter drops iopub messages above 1000 a second).
    async def endpoint(body: bytes) -> Any:
        async def frames() -> AsyncIterator[bytes]:
            for n in range(200):
                yield b"data: %d\n\n" % n
                await asyncio.sleep(0)

        return frames()

    b, sent = bridge(endpoint)
    b.handle(request("v1:s"), [b"{}"])
    await b.wait_idle()
    chunks = batches(sent)
    assert b"".join(chunks) == b"".join(b"data: %d\n\n" % n for n in range(200))
    assert chunks[0] == b"data: 0\n\n"  # the first event at once, on the head
    assert sent[0][0]["kind"] == p.HEAD
    assert len(chunks) < 50


async def test_a_view_that_answered_and_then_went_quiet_misses_beats_from_its_last_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import chatkit_jupyter.bridge._bridge as bridge_module

    monkeypatch.setattr(bridge_module, "HEARTBEAT_S", 0.01)
    gate = asyncio.Event()

    async def endpoint(body: bytes) -> bytes:
        await gate.wait()
        return b"{}"

    b, sent = bridge(endpoint)
    b.handle(request("v1:r", alive=True), [b"{}"])

    def beats() -> int:
        return sum(c["kind"] == p.BEAT for c, _ in sent)

    await until(lambda: beats() >= 2)
    b.handle({"kind": p.ALIVE, "id": "v1:r"}, None)
    answered_at = beats()
    await until(lambda: b.records[0].cancelled)
    assert beats() - answered_at == bridge_module.MISSED_BEATS
    gate.set()
    await b.wait_idle()


# -- streams the kernel pushes (ask) ---------------------------------------------------------------


def stream_messages(sent: Sent, rid: str) -> list[tuple[dict[str, Any], list[bytes]]]:
    return [(c, [bytes(b) for b in bs]) for c, bs in sent if c.get("id") == rid]


async def test_a_pushed_stream_counts_the_batches_nobody_saw_and_ends_once() -> None:
    b, sent = bridge()
    shown = False
    pushed = b.push("ask:1", None, wanted=lambda: shown, on_cancel=lambda: None)
    pushed.add(b"data: 1\n\n")  # the first batch leaves at once: to nobody, but counted
    assert (sent, pushed.batches) == ([], 1)
    shown = True
    pushed.thread_id = "thr_1"
    pushed.add(b"data: 2\n\n")
    pushed.end()
    assert stream_messages(sent, "ask:1") == [
        ({"kind": p.STREAM, "id": "ask:1", "seq": 1, "thread_id": "thr_1"}, [b"data: 2\n\n"]),
        ({"kind": p.STREAM_END, "id": "ask:1", "total": 2, "thread_id": "thr_1"}, []),
    ]
    # Over: late bytes, a second end and a stop from a view change nothing.
    pushed.add(b"data: 3\n\n")
    pushed.end("too late")
    assert len(sent) == 2
    assert b.cancel("ask:1") is False
    assert b.push("ask:1", None, wanted=lambda: True, on_cancel=lambda: None).batches == 0


async def test_a_pushed_stream_no_view_saw_begin_ends_quietly_unless_it_has_an_error_to_show() -> (
    None
):
    b, sent = bridge()
    # Sent nothing, no error: nothing to tell, whether a view is open or not.
    b.push("ask:1", None, wanted=lambda: True, on_cancel=lambda: None).end()
    hidden = b.push("ask:2", None, wanted=lambda: False, on_cancel=lambda: None)
    hidden.add(b"data: 1\n\n")
    hidden.end()
    # An error, but no view to show it.
    b.push("ask:3", "thr_3", wanted=lambda: False, on_cancel=lambda: None).end("no such thread")
    assert sent == []
    # An error before any batch, and a view open: it is told.
    b.push("ask:4", "thr_4", wanted=lambda: True, on_cancel=lambda: None).end("no such thread")
    # A view saw it begin and has closed since: its end still goes out.
    shown = True
    seen = b.push("ask:5", None, wanted=lambda: shown, on_cancel=lambda: None)
    seen.add(b"data: 1\n\n")
    shown = False
    seen.end()
    assert [c for c, _ in sent] == [
        {
            "kind": p.STREAM_END,
            "id": "ask:4",
            "total": 0,
            "thread_id": "thr_4",
            "error": "no such thread",
        },
        {"kind": p.STREAM, "id": "ask:5", "seq": 0, "thread_id": None},
        {"kind": p.STREAM_END, "id": "ask:5", "total": 1, "thread_id": None},
    ]


async def test_a_view_stops_a_pushed_stream_while_it_runs() -> None:
    b, _ = bridge()
    stops: list[str] = []
    pushed = b.push("ask:1", None, wanted=lambda: True, on_cancel=lambda: stops.append("ask:1"))
    b.handle({"kind": p.CANCEL, "id": "ask:1"}, None)
    assert stops == ["ask:1"]
    assert b.cancel("ask:1") is True
    assert b.cancel("ask:2") is False
    pushed.end()
    pushed.cancel()  # a stop that crossed the end on the way
    assert stops == ["ask:1", "ask:1"]


async def test_a_pushed_stream_id_in_use_is_refused() -> None:
    gate = asyncio.Event()

    async def endpoint(body: bytes) -> bytes:
        await gate.wait()
        return b"{}"

    b, _ = bridge(endpoint)
    b.push("ask:1", None, wanted=lambda: True, on_cancel=lambda: None)
    with pytest.raises(ValueError, match=r"^Stream id 'ask:1' is already in use\.$"):
        b.push("ask:1", None, wanted=lambda: True, on_cancel=lambda: None)
    b.handle(request("v1:r"), [b"{}"])
    with pytest.raises(ValueError, match="'v1:r' is already in use"):
        b.push("v1:r", None, wanted=lambda: True, on_cancel=lambda: None)
    gate.set()
    await b.wait_idle()


async def test_a_closing_widget_mutes_its_pushed_streams_and_lets_the_turn_go_on() -> None:
    b, sent = bridge()
    stops: list[str] = []
    pushed = b.push("ask:1", None, wanted=lambda: True, on_cancel=lambda: stops.append("stop"))
    pushed.add(b"data: 1\n\n")
    assert len(sent) == 1
    b.cancel_all()
    pushed.add(b"data: 2\n\n")
    pushed.beat()
    pushed.end()
    assert len(sent) == 1  # no batch, beat or end to a widget that is gone
    assert stops == []


async def test_pushed_streams_beat_while_they_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import chatkit_jupyter.bridge._bridge as bridge_module

    monkeypatch.setattr(bridge_module, "HEARTBEAT_S", 0.01)
    b, sent = bridge()

    def beats(rid: str) -> list[int]:
        return [c["sent"] for c, _ in sent if c["kind"] == p.BEAT and c["id"] == rid]

    shown = True
    waiting = b.push("ask:1", None, wanted=lambda: True, on_cancel=lambda: None)
    hidden = b.push("ask:2", None, wanted=lambda: False, on_cancel=lambda: None)
    seen = b.push("ask:3", None, wanted=lambda: shown, on_cancel=lambda: None)
    seen.add(b"data: 1\n\n")
    shown = False  # the view that saw it begin still hears how many batches there were
    await until(lambda: len(beats("ask:1")) >= 2 and len(beats("ask:3")) >= 2)
    assert set(beats("ask:1")) == {0}
    assert set(beats("ask:3")) == {1}
    assert beats("ask:2") == []  # nobody to tell
    for pushed in (waiting, hidden, seen):
        pushed.end()
    count = len(sent)
    await asyncio.sleep(0.05)
    assert len(sent) == count  # the beats stopped with the streams
    # A stream after the heartbeat stopped starts it again.
    b.push("ask:4", None, wanted=lambda: True, on_cancel=lambda: None)
    await until(lambda: beats("ask:4") == [0])


async def test_a_bridge_made_outside_a_loop_adopts_the_loop_of_its_first_push() -> None:
    made: list[tuple[Bridge, Sent]] = []
    maker = threading.Thread(target=lambda: made.append(bridge()))
    maker.start()
    maker.join()
    ((b, _),) = made
    stopped: list[int] = []
    b.push(
        "ask:1", None, wanted=lambda: True, on_cancel=lambda: stopped.append(threading.get_ident())
    )
    # The view's stop arrives on another thread (a subshell); it runs on this loop's thread.
    stopping = threading.Thread(target=lambda: b.handle({"kind": p.CANCEL, "id": "ask:1"}, None))
    stopping.start()
    stopping.join()
    await until(lambda: stopped)
    assert stopped == [threading.get_ident()]


async def test_a_stream_waits_for_each_batch_to_be_sent_before_it_makes_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import chatkit_jupyter.bridge._bridge as bridge_module

    # A producer counts as busy when its bytes come within the window of the last ones: make
    # the window long, so that a loaded machine cannot make these look paced.
    monkeypatch.setattr(bridge_module, "BATCH_WINDOW_S", 10.0)
    made: list[str] = []

    async def frames() -> AsyncIterator[bytes]:
        for n in range(3):
            made.append(f"frame {n}")
            yield b"x" * BATCH_MAX_BYTES  # each one a batch of its own, sent at once

    async def sent_out() -> None:
        made.append("waited")
        await asyncio.sleep(0)

    sent = await stream(frames, sent=sent_out)
    assert made == ["frame 0", "waited", "frame 1", "waited", "frame 2", "waited"]
    assert kinds(sent, "v1:s") == [p.HEAD, p.CHUNK, p.CHUNK, p.END]


async def test_an_empty_stream_still_has_a_head_before_its_end() -> None:
    async def frames() -> AsyncIterator[bytes]:
        return
        yield b""

    assert await stream(frames) == [
        ({"kind": p.HEAD, "id": "v1:s", "status": 200, "content_type": "text/event-stream"}, []),
        ({"kind": p.END, "id": "v1:s", "total": 0}, []),
    ]


async def test_a_stream_that_fails_before_its_first_bytes_answers_with_an_error_status() -> None:
    async def frames() -> AsyncIterator[bytes]:
        raise RequestError(404, "No such thread.")
        yield b""

    # No head went out, so the page answers the fetch with this status, as an HTTP server would.
    assert await stream(frames) == [
        ({"kind": p.ERROR, "id": "v1:s", "status": 404, "message": "No such thread."}, [])
    ]


async def test_a_stream_waits_once_per_batch_not_once_per_event() -> None:
    async def frames() -> AsyncIterator[bytes]:
        for n in range(200):
            yield b"data: %d\n\n" % n  # within one window: they go out together

    waits = Waits()
    sent = await stream(frames, sent=waits)
    assert 1 <= waits.count <= len(batches(sent)) < 200


async def test_a_stream_that_waits_between_events_waits_for_the_iopub_thread_only_once() -> None:
    # A model's tokens: the producer is idle between them and leaves the GIL free, so only the
    # head waits (it goes out before anything else is known).
    async def frames() -> AsyncIterator[bytes]:
        for n in range(4):
            if n:
                await asyncio.sleep(BATCH_WINDOW_S * 2)
            yield b"data: %d\n\n" % n

    waits = Waits()
    sent = await stream(frames, sent=waits)
    assert kinds(sent, "v1:s") == [p.HEAD, p.CHUNK, p.CHUNK, p.CHUNK, p.END]  # each at once
    assert waits.count == 1
