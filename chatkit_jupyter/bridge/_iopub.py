"""Waiting until the kernel's iopub thread has sent what the bridge gave it.

ipykernel sends every iopub message (comm messages included) from a thread of its own: ``send``
on the main thread only queues the message and wakes that thread. The thread then needs the GIL,
and a stream's producer on the main thread (ChatKit serializing events) keeps it until Python's
switch interval (5 ms) takes it away, once for every step the thread takes. A stream that waits
here after a batch lets the thread send at once: the main loop sleeps in ``select`` meanwhile.
The bridge waits after a stream's first batch and while its producer is busy; a producer that
waits between events (a model's tokens) leaves the GIL free, and a wait would only delay it.
"""

from __future__ import annotations

import asyncio
import contextlib

SENT_TIMEOUT_S = 0.05
"""Never wait longer than this (a thread that is gone or stuck must not hold up the stream)."""


async def iopub_sent(comm: object) -> None:
    """Return once the iopub thread of ``comm``'s kernel has handed the messages queued so far
    to ZMQ, or after ``SENT_TIMEOUT_S``.

    Returns at once where there is no such thread (another kernel, no kernel) or it cannot
    take the callback.
    """
    thread = getattr(getattr(comm, "kernel", None), "iopub_thread", None)
    schedule = getattr(thread, "schedule", None)
    if schedule is None:
        return
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def release() -> None:
        if not done.done():
            done.set_result(None)

    def from_thread() -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(release)

    # The thread runs what it is given in order, so this runs after the messages queued before.
    try:
        schedule(from_thread)
    except Exception:  # a thread being torn down: nothing to wait for (the send will tell)
        return
    timer = loop.call_later(SENT_TIMEOUT_S, release)
    try:
        await done
    finally:
        timer.cancel()
