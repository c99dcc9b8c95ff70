"""The bridge waits for ipykernel's iopub thread to send a stream's first batch, and each batch
of a busy producer (``bridge._iopub``).

These use ipykernel's own ``IOPubThread`` on a real ZMQ socket, the thread that sends every comm
message of a notebook kernel.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import zmq
from ipykernel.iostream import IOPubThread

from chatkit_jupyter.bridge._iopub import SENT_TIMEOUT_S, iopub_sent

from .real_kernel import real_kernel, run


@pytest.fixture
def iopub() -> Iterator[IOPubThread]:
    context = zmq.Context()
    socket = context.socket(zmq.PUB)
    socket.linger = 0
    socket.bind("inproc://chatkit-jupyter-test-iopub")
    thread = IOPubThread(socket)
    thread.start()
    running = threading.Event()  # its loop runs (and has made the task `stop` cancels)
    thread.schedule(running.set)
    running.wait(5)
    try:
        yield thread
    finally:
        stop(thread)
        thread.close()
        context.term()


def stop(thread: IOPubThread) -> None:
    # ipykernel's stop leaves its pipe-collecting task pending ("Task was destroyed"): cancel
    # it on the thread first, and let the cancellation run.
    task = getattr(thread, "_event_pipe_gc_task", None)
    if task is not None and thread.thread.is_alive():
        ran = threading.Event()
        thread.schedule(task.cancel)
        thread.schedule(ran.set)
        ran.wait(1)
    thread.stop()


def comm_of(thread: Any) -> Any:
    return SimpleNamespace(kernel=SimpleNamespace(iopub_thread=thread))


async def test_returns_once_the_thread_has_run_what_was_queued_before(iopub: IOPubThread) -> None:
    done: list[str] = []

    def slow_send() -> None:
        time.sleep(0.03)  # a send that takes the thread a while
        done.append(threading.current_thread().name)

    iopub.schedule(slow_send)
    await iopub_sent(comm_of(iopub))
    assert done == ["IOPub"]


async def test_an_idle_thread_answers_long_before_the_timeout(
    iopub: IOPubThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The answer comes from the thread (call_soon_threadsafe wakes the loop), not the timer.
    import chatkit_jupyter.bridge._iopub as module

    monkeypatch.setattr(module, "SENT_TIMEOUT_S", 5.0)
    for _ in range(3):
        started = time.monotonic()
        await iopub_sent(comm_of(iopub))
        assert time.monotonic() - started < 0.5


async def test_a_thread_that_cannot_take_the_callback_is_not_waited_for() -> None:
    def refuse(f: Any) -> None:
        raise RuntimeError("socket closed")

    started = time.monotonic()
    await iopub_sent(comm_of(SimpleNamespace(schedule=refuse)))
    assert time.monotonic() - started < SENT_TIMEOUT_S / 2


async def test_the_loop_runs_other_work_while_it_waits(iopub: IOPubThread) -> None:
    gate = threading.Event()
    iopub.schedule(lambda: gate.wait(1))
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.ensure_future(tick())
    waiting = asyncio.ensure_future(iopub_sent(comm_of(iopub)))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    assert ticks > 1
    gate.set()
    await asyncio.wait_for(waiting, 1)
    ticker.cancel()


async def test_a_stuck_thread_holds_it_up_no_longer_than_the_timeout(iopub: IOPubThread) -> None:
    gate = threading.Event()
    iopub.schedule(lambda: gate.wait(2))
    started = time.monotonic()
    await iopub_sent(comm_of(iopub))
    waited = time.monotonic() - started
    gate.set()
    assert SENT_TIMEOUT_S * 0.9 <= waited < 1


@pytest.mark.parametrize(
    "comm",
    [None, SimpleNamespace(), SimpleNamespace(kernel=None), comm_of(None), comm_of(object())],
    ids=["no comm", "no kernel", "kernel None", "no thread", "no schedule"],
)
async def test_without_an_iopub_thread_it_returns_at_once(comm: Any) -> None:
    started = time.monotonic()
    await iopub_sent(comm)
    assert time.monotonic() - started < SENT_TIMEOUT_S / 2


async def test_a_thread_that_already_stopped_runs_it_on_the_spot(iopub: IOPubThread) -> None:
    stop(iopub)  # ipykernel then sends on the caller's thread
    started = time.monotonic()
    await iopub_sent(comm_of(iopub))
    assert time.monotonic() - started < SENT_TIMEOUT_S / 2


KERNEL_CODE = """
import asyncio, json
from chatkit_jupyter import ChatKitWidget

kernel = get_ipython().kernel
waits = []
schedule = kernel.iopub_thread.schedule

def counting(f, schedule=schedule):
    if getattr(f, "__name__", "") == "from_thread":  # the bridge's wait, queued after a send
        waits.append(f)
    return schedule(f)

kernel.iopub_thread.schedule = counting
w = ChatKitWidget()
body = json.dumps({"type": "threads.create", "params": {"input": {
    "content": [{"type": "input_text", "text": "hello"}], "attachments": [],
    "inference_options": {}}}}).encode()
# As the page's message arrives: ipywidgets hands the widget a "custom" comm message.
w.comm.handle_msg({"content": {"data": {"method": "custom", "content": {
    "kind": "request", "id": "v1:1", "view": "v1", "url": "/chatkit"}}}, "buffers": [body]})
"""


def test_in_a_real_kernel_a_widgets_stream_waits_for_ipykernels_iopub_thread(
    tmp_path: Any,
) -> None:
    with real_kernel(tmp_path) as (_, client):
        run(client, KERNEL_CODE)
        deadline = time.monotonic() + 20
        while True:
            out = run(client, "r = w.requests[-1]; print(r.status, r.chunks, len(waits))")
            status, chunks, waits = out.split()
            if status != "None" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert status == "200", out
        # The offline assistant's reply went out in batches, and the first one (at least)
        # waited for the kernel's own iopub thread.
        assert int(chunks) >= 1
        assert int(waits) >= 1
