"""Benchmark the comm bridge against plain HTTP SSE, side by side, in real JupyterLab.

Run: ``.venv/bin/python bench/bench_bridge.py [--quick] [--variants installed,nagle,nosubshell]
[--server-probe] [--driver playwright]`` (about 40 s per variant on a 2-core machine at load 2;
``--quick`` about 15 s).

One kernel, one scripted ``ChatKitServer`` (the pattern of ``tests/browser/test_chat.py``), two
ways for the page to reach it:

- **HTTP SSE, the baseline.** A minimal HTTP/1.1 server started *inside the same kernel*, on the
  very asyncio loop that serves the widget's comm messages (started from a client-tool hook, so
  it lands where the bridge runs; see "subshells" below). It is ``asyncio.start_server`` on
  127.0.0.1 with a hand-written handler, not the stdlib in a thread, so both transports share one
  loop and one thread. It calls ``server.process(body, context)`` and writes each SSE event as it
  comes as one chunk of ``Transfer-Encoding: chunked`` (one ``write`` + ``drain`` per event, as
  uvicorn/Starlette do), with keep-alive and CORS headers (the page ``fetch()``es it
  cross-origin, with ``content-type: application/json`` as ChatKit sends it; the preflight is
  cached during the warm-up). It listens twice: with ``TCP_NODELAY`` (asyncio sets it on every TCP
  socket; the "HTTP SSE" column) and with ``TCP_NODELAY`` switched off ("Nagle on"), because
  jupyter_server's kernel websocket has Nagle on.
- **Comm bridge.** The real ``ChatKitWidget`` in the kernel (its ``Bridge``, batching, numbered
  chunks) and, in the page, the real ``Bridge`` class of ``js/src/transport/bridge.ts``. The page cannot
  reach the ``Bridge`` of a displayed ``ChatKitWidget`` (``js/src/index.ts`` exposes nothing), so
  the cell displays ``BenchWidget``, a ``ChatKitWidget`` subclass whose only change is ``_esm``:
  a harness bundled at run time by the repo's esbuild from ``js/src`` (nothing is written to the
  tree) that does what ``index.ts`` does, ``new Bridge(model)``, and puts ``bridge.fetch`` on
  ``window``. Everything the kernel runs is the shipping code.

Both paths are driven by the same page JavaScript: ``t0 = performance.now()``, ``fetch`` (the
bridge's or the browser's), read the body to the end (counting bytes and SSE events), ``t1``.
The paths take turns request by request, so drift of a noisy machine hits all alike.

The page is Chromium driven over the DevTools protocol (``bench/cdp.py``), not Playwright:
Playwright enables DevTools' ``Network`` domain, and Chromium then copies every websocket frame,
base64-encoded, out of the page to Playwright's driver and its Python client. Only the comm path
travels over a websocket, so it alone paid that (a 10 MB reply: 0.26-0.38x HTTP's throughput
under Playwright, 0.51-0.79x without it, same code). ``--driver playwright`` measures that way anyway.
JupyterLab runs with ``LabApp.expose_app_in_browser`` so the bench can run the cell through
``window.jupyterapp``.

Workloads:

1. ``threads.list`` (tiny, plain JSON): round trip, median and p95.
2. ``threads.create`` answered by one message of 5,000 small text deltas: time to last byte
   (and to first byte), events/s.
   Also one message of 10 deltas 10 ms apart ("paced"), the kernel idle in between, as while
   a model streams: first and last byte.
3. ``threads.create`` answered by about 10 MB of SSE: 100 assistant messages of 10 deltas of
   10 KB. Not one message of 1,000 deltas: ChatKitServer keeps the pending message up to date with
   ``text += delta``, which is quadratic (see the note it prints), and would measure that instead
   of the transport.
4. Memory during the 10 MB stream (separate runs): peak RSS minus RSS before, of the kernel (after
   ``gc.collect()`` + ``malloc_trim(0)`` in the kernel) and of the jupyter_server process, which
   relays every comm message. Peaks are sampled from outside every 0.5 ms via ``/proc/<pid>/statm``
   and combined with VmHWM (reset through ``/proc/<pid>/clear_refs``): VmHWM alone misses peaks
   that glibc hands back with ``madvise``, as it does for a thread's arena. CPU time during each
   10 MB stream of the timed runs (workload 3), per process: the kernel, jupyter_server, the
   page (Chromium's renderer) and Chromium's other processes (network service, browser, GPU),
   from the scheduler's per-thread nanoseconds (``/proc/<pid>/task/*/schedstat``).
5. End to end in the lite renderer: from the Enter key in the composer to the 5,000th delta on
   screen, the lite renderer's ``fetch`` being the bridge's or the browser's (two lite instances
   mounted by the harness from ``js/src/lite``; skipped if that source does not build).

6. Hop by hop: ``threads.list`` and a ping (a hook call over the comm, a GET over HTTP, both
   answered at once) with wall-clock stamps (ms since the epoch; page and kernel share the
   machine's clock) in the page (around ``model.send``, at the kernel websocket's send and
   message events, when the reply reaches the bridge) and in the kernel (an extra ``on_msg``
   callback on the thread that got the message, ``process`` on the main loop, ``send``), and the
   same for the first byte of the 5,000-delta stream.
7. Kernel time (no transport) of one message of 1,000 deltas of 10 KB from ``ChatKitServer`` and
   from ``NotebookServer`` (its ``respond`` replaced by the same script), against the same bytes
   in 100 messages.

"kernel floor" is the same request drained inside the kernel with no transport at all (the cost of
the ChatKitServer and its SQLite store): the part of every number no transport can remove.

Variants (one JupyterLab each): ``installed``, JupyterLab as a user has it after
``pip install chatkit-jupyter`` (our jupyter_server extension sets TCP_NODELAY on kernel
websockets; the bench asks the extension and fails if it is not enabled); ``nagle``, the same
with ``c.ChatKitJupyter.nodelay = False``, i.e. jupyter_server's own websocket with Nagle's
algorithm on (what users had before the extension); ``nosubshell``, JupyterLab's setting
``commsOverSubshells`` = ``"disabled"``. JupyterLab 4.6 with ipykernel 7 sends comm messages to a
kernel *subshell* by default, so the bridge runs on a subshell thread with its own asyncio loop,
not on the kernel's main thread; the bench reports which thread served each path.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.cdp import CdpPage  # noqa: E402
from chatkit_jupyter.serverext import NODELAY_URL  # noqa: E402
from tests.browser.conftest import (  # noqa: E402 - importable only once REPO is on sys.path
    CHROMIUM,
    CHROMIUM_ARGS,
    _free_port,
    open_notebook,
    run_all_cells,
    running_lab,
)

DELTAS = 5000
PACED_DELTAS, PACE_MS = 10, 10  # a fast model: 100 tokens a second
BULK_MESSAGES, BULK_DELTAS, BULK_DELTA = 100, 10, 10_000
BIG_DELTAS = 1000  # one message of BIG_DELTAS x BULK_DELTA, for the quadratic note (floor only)
PATHS = ("http", "http_nagle", "comm")
ALL = (*PATHS, "floor")
COMPOSER = {"comm": "Bench over the comm", "http": "Bench over HTTP"}
VARIANTS = {
    "installed": "JupyterLab 4.6 as installed (our extension: TCP_NODELAY on kernel websockets)",
    "nagle": "c.ChatKitJupyter.nodelay = False: jupyter_server's websocket, Nagle on (else installed)",
    "nosubshell": 'JupyterLab setting commsOverSubshells = "disabled" (else installed)',
    "busy": "c.ChatKitJupyter.quiet_chat_status = False: the kernel's busy status of every chat"
    " message relayed to the page (else installed)",
}
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

# The page side of the comm path: the real Bridge from js/src, as js/src/index.ts makes it.
HARNESS_TS = """
import { Bridge } from "./transport/bridge";
import * as p from "./transport/protocol";

export default {
  render({ model, el }: { model: any; el: HTMLElement }) {
    const errors: string[] = [];
    // Wall-clock stamps (ms since the epoch, comparable with the kernel's time.time()) around
    // the comm: just before and after model.send, and when a reply reaches the page (this
    // listener is registered before the Bridge's, so it runs first).
    const clock = () => performance.timeOrigin + performance.now();
    const marks: Record<string, number> = {};
    model.on("msg:custom", (msg: any) => {
      if (msg && (msg.kind === p.RESPONSE || msg.kind === p.RESULT) && !marks.recv) marks.recv = clock();
    });
    const timed = {
      send: (content: any, callbacks?: any, buffers?: any) => {
        if (content.kind === p.REQUEST || content.kind === p.CALL) marks.send0 = clock();
        model.send(content, callbacks, buffers);
        if (content.kind === p.REQUEST || content.kind === p.CALL) marks.send1 = clock();
      },
      on: (event: any, cb: any) => model.on(event, cb),
      off: (event: any, cb: any) => model.off(event, cb),
    };
    const bridge = new Bridge(timed, { onError: (e) => errors.push(String(e)) });
    const stages: Record<string, HTMLElement> = {};
    for (const kind of ["comm", "http"]) {
      const stage = document.createElement("div");
      stage.style.height = "420px";
      stage.style.position = "relative";
      el.appendChild(stage);
      stages[kind] = stage;
    }
    const call = (hook: string, payload: unknown) => bridge.call(hook, payload);
    (window as any).__ckjBench = { fetch: bridge.fetch, call, apiUrl: p.API_URL, errors, stages, marks, clock };
    return () => bridge.close();
  },
};
"""

HARNESS_LITE_TS = """
import { mountLite } from "./lite";
(window as any).__ckjBenchMountLite = mountLite;
"""

KERNEL_CELL = r'''
import asyncio, ctypes, gc, json, os, socket, threading, time
from datetime import datetime

from chatkit.server import ChatKitServer, StreamingResult
from chatkit.types import (
    AssistantMessageContent, AssistantMessageContentPartTextDelta, AssistantMessageItem,
    ThreadItemAddedEvent, ThreadItemDoneEvent, ThreadItemUpdatedEvent,
)
from chatkit_jupyter import ChatKitWidget, NotebookServer, SQLiteStore
import sys; sys.setswitchinterval(float(os.environ.get("BENCH_SWITCH", "0.005")))

DELTAS, BIG_DELTAS = __DELTAS__, __BIG_DELTAS__
PACED_DELTAS, PACE_MS = __PACED_DELTAS__, __PACE_MS__
BULK_MESSAGES, BULK_DELTAS, BULK_DELTA = __BULK_MESSAGES__, __BULK_DELTAS__, __BULK_DELTA__


class BenchServer(ChatKitServer):
    """'deltas': one message of 5,000 deltas 'w0000 '...; 'bulk': 100 messages of 10 deltas of
    10 KB; 'big': one message of 1,000 deltas of 10 KB; anything else: a 3-word reply."""

    def __init__(self):
        super().__init__(SQLiteStore(":memory:"))
        self.last_thread = None

    async def process(self, request, context):
        HOPS["main"] = time.time() * 1000  # on the main loop, the endpoint calls us
        result = await super().process(request, context)
        HOPS["processed"] = time.time() * 1000
        return result

    def _message(self, thread, context):
        return AssistantMessageItem(
            id=self.store.generate_item_id("message", thread, context), thread_id=thread.id,
            created_at=datetime.now(), content=[AssistantMessageContent(text="")],
        )

    async def respond(self, thread, item, context):
        text = item.content[0].text if item else ""
        self.last_thread = threading.current_thread().name
        if text in ("bulk", "big"):
            messages, deltas = (BULK_MESSAGES, BULK_DELTAS) if text == "bulk" else (1, BIG_DELTAS)
            pad = "x" * (BULK_DELTA - 6)
            for m in range(messages):
                msg = self._message(thread, context)
                yield ThreadItemAddedEvent(item=msg)
                for i in range(deltas):
                    yield ThreadItemUpdatedEvent(item_id=msg.id, update=AssistantMessageContentPartTextDelta(
                        content_index=0, delta=f"b{i:04d}" + pad))
                # Keep 10 MB per run out of the store: the bench measures transport, not SQLite.
                msg.content = [AssistantMessageContent(text=f"({deltas} deltas of {BULK_DELTA} B)")]
                yield ThreadItemDoneEvent(item=msg)
            return
        if text == "paced":
            # A model that streams: a token every PACE_MS, the kernel idle in between.
            msg = self._message(thread, context)
            yield ThreadItemAddedEvent(item=msg)
            for i in range(PACED_DELTAS):
                await asyncio.sleep(PACE_MS / 1000)
                yield ThreadItemUpdatedEvent(item_id=msg.id, update=AssistantMessageContentPartTextDelta(
                    content_index=0, delta=f"p{i:04d} "))
            msg.content = [AssistantMessageContent(text=f"({PACED_DELTAS} paced deltas)")]
            yield ThreadItemDoneEvent(item=msg)
            return
        msg = self._message(thread, context)
        yield ThreadItemAddedEvent(item=msg)
        parts = []
        for i in range(DELTAS if text == "deltas" else 3):
            delta = f"w{i:04d} "
            parts.append(delta)
            yield ThreadItemUpdatedEvent(item_id=msg.id, update=AssistantMessageContentPartTextDelta(
                content_index=0, delta=delta))
        msg.content = [AssistantMessageContent(text="".join(parts))]
        yield ThreadItemDoneEvent(item=msg)


class BenchWidget(ChatKitWidget):
    """The shipping ChatKitWidget; only its front end is the bench harness. `send` (ipywidgets'
    public method) also notes when a reply left the bridge, for the hop-by-hop timings."""

    _esm = __HARNESS__

    def send(self, content, buffers=None):
        if content.get("kind") in ("response", "result", "head") and "sent" not in HOPS:
            HOPS["sent"] = time.time() * 1000
        # The head carries the first batch (chunk 0); a chunk numbered 0 came before that.
        first = content.get("kind") == "head" and buffers or content.get("kind") == "chunk" and content.get("seq") == 0
        if first and "chunk0" not in HOPS:
            HOPS["chunk0"] = time.time() * 1000
        super().send(content, buffers)


HOPS = {}
"""Wall-clock stamps (ms) of the last timed request in the kernel; the page reads them."""


def _arrived(widget, content, buffers):
    # An extra on_msg callback (ipywidgets' public API), run on the thread that got the message
    # right after the bridge's own (which only hands the message to the main loop).
    if isinstance(content, dict) and content.get("kind") in ("request", "call"):
        HOPS.clear()
        HOPS["arrive"] = time.time() * 1000
        HOPS["arrive_thread"] = threading.current_thread().name


class LinearBenchServer(NotebookServer):
    """The same scripted replies from a NotebookServer (its agent never runs): how it keeps
    the message being streamed, against ChatKitServer's `text += delta`."""

    respond = BenchServer.respond
    _message = BenchServer._message

    def __init__(self):
        super().__init__(store=SQLiteStore(":memory:"), namespace={})
        self.last_thread = None


server = BenchServer()
linear = LinearBenchServer()
w = BenchWidget(server, renderer="lite")
w.on_msg(_arrived)
_libc = ctypes.CDLL("libc.so.6")


def _mem(reset):
    if reset:
        gc.collect()
        _libc.malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
    out = {"pid": os.getpid(), "last_thread": server.last_thread}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line[:5]] = int(line.split()[1]) * 1024
    return out


async def _floor(body, on=None):
    t0 = time.perf_counter()
    result = await (on or server).process(body, w.context)
    n = 0
    if isinstance(result, StreamingResult):
        async for data in result:
            n += len(data)
    else:
        n = len(result.json)
    return {"s": time.perf_counter() - t0, "bytes": n}


CORS = (b"Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: POST, GET, OPTIONS\r\n"
        b"Access-Control-Allow-Headers: content-type\r\nAccess-Control-Max-Age: 7200\r\n")


def _json(writer, payload):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    writer.write(b"HTTP/1.1 200 OK\r\n%bContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%b"
                 % (CORS, len(body), body))


def _handler(nodelay):
    async def handle(reader, writer):
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if nodelay else 0)
        try:
            while True:  # keep-alive: one request after another on this connection
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target = lines[0].split(" ")[:2]
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                if method == "OPTIONS":
                    writer.write(b"HTTP/1.1 204 No Content\r\n%bContent-Length: 0\r\n\r\n" % CORS)
                elif target == "/hops":
                    _json(writer, HOPS)
                    await writer.drain()
                    continue
                elif target == "/clock":
                    HOPS.clear()
                    HOPS["arrive"] = HOPS["main"] = HOPS["processed"] = HOPS["sent"] = time.time() * 1000
                    _json(writer, {})
                elif target.startswith("/mem"):
                    _json(writer, _mem("reset" in target))
                elif target == "/floor":
                    _json(writer, await _floor(body))
                elif target == "/floor-linear":
                    _json(writer, await _floor(body, linear))
                else:
                    HOPS.clear()
                    HOPS["arrive"] = time.time() * 1000
                    result = await server.process(body, w.context)
                    HOPS["sent"] = time.time() * 1000
                    if isinstance(result, StreamingResult):
                        writer.write(b"HTTP/1.1 200 OK\r\n%bContent-Type: text/event-stream\r\n"
                                     b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n" % CORS)
                        async for data in result:
                            writer.write(b"%x\r\n%b\r\n" % (len(data), data))
                            await writer.drain()
                        writer.write(b"0\r\n\r\n")
                    else:
                        _json(writer, result.json)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
    return handle


http_servers = []


@w.client_tool("bench_clock")
def _clock(params):
    HOPS["main"] = HOPS["processed"] = time.time() * 1000
    return {}


@w.client_tool("bench_where")
def _where(params):
    return {"thread": threading.current_thread().name}


@w.client_tool("bench_start_http")
async def _start_http(params):
    # Runs on the loop (and thread) that serves the widget's comm messages, so both transports
    # share one loop: with JupyterLab's default "comms over subshells" that is not the main one.
    if not http_servers:
        http_servers.append(await asyncio.start_server(_handler(True), "127.0.0.1", __PORT_NODELAY__))
        http_servers.append(await asyncio.start_server(_handler(False), "127.0.0.1", __PORT_NAGLE__))
    return {"thread": threading.current_thread().name}


w
'''

# Installed into the page once; every measurement is one call of these functions.
PAGE_JS = """
() => {
  const B = window.__ckjBench;
  const endpoint = (path, ports) => {
    if (path === "comm") return [B.fetch, B.apiUrl];
    const port = path === "http" ? ports.nodelay : ports.nagle;
    return [window.fetch.bind(window), `http://127.0.0.1:${port}/chatkit`];
  };
  const body = (type, text) =>
    type === "threads.list"
      ? JSON.stringify({ type, params: { limit: 20, order: "desc" }, metadata: {} })
      : JSON.stringify({
          type,
          params: { input: { content: [{ type: "input_text", text }], attachments: [], inference_options: {} } },
          metadata: {},
        });
  async function one(path, ports, type, text, countEvents) {
    const [f, url] = endpoint(path, ports);
    const init = { method: "POST", headers: { "content-type": "application/json" }, body: body(type, text) };
    const t0 = performance.now();
    const res = await f(url, init);
    if (type === "threads.list") {
      const data = await res.json();
      return { ms: performance.now() - t0, status: res.status, threads: (data.data || []).length };
    }
    const reader = res.body.getReader();
    let bytes = 0, events = 0, prev = 0, tFirst = 0, firstBytes = 0, reads = 0, last = null;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!tFirst) { tFirst = performance.now(); firstBytes = value.length; }
      reads++;
      bytes += value.length;
      if (countEvents) {
        for (let i = 0; i < value.length; i++) {
          const b = value[i];
          if (b === 10 && prev === 10) events++;
          prev = b;
        }
      }
      // The last 64 KB of the body, whatever the chunking, to check how the stream ended.
      if (value.length >= 65536) last = value.slice(-65536);
      else if (last) {
        const joined = new Uint8Array(last.length + value.length);
        joined.set(last);
        joined.set(value, last.length);
        last = joined.slice(-65536);
      } else last = value;
    }
    const ms = performance.now() - t0;
    const tail = last ? new TextDecoder().decode(last) : "";
    const out = { ms, firstMs: tFirst - t0, firstBytes, reads, bytes, events, status: res.status,
                  complete: tail.includes("thread.item.done") && tail.endsWith("\\n\\n") };
    if (path === "comm" && countEvents) {
      // Where the first byte's time goes: wall-clock stamps of the kernel and of the websocket.
      const origin = performance.timeOrigin;
      const k = await kernel(ports.nodelay, "/hops");
      const ws = window.__ckjWs.recv.find(([t, d]) => t >= origin + t0 && /"kind":\\s*"(head|chunk)"/.test(d));
      out.first = { t0: origin + t0, ...k, wsChunk0: ws ? ws[0] : null, read0: origin + tFirst };
    }
    return out;
  }
  async function kernel(port, target, body) {
    const r = await fetch(`http://127.0.0.1:${port}${target}`, body ? { method: "POST", body } : {});
    return await r.json();
  }
  // One timed request with wall-clock stamps on both sides (see HOPS in the kernel cell).
  async function hop(path, ports, what) {
    const M = B.marks;
    for (const k of Object.keys(M)) delete M[k];
    const t0 = B.clock();
    if (what === "ping") {
      if (path === "comm") await B.call("client_tool", { name: "bench_clock", params: {} });
      else await (await fetch(`http://127.0.0.1:${ports.nodelay}/clock`)).json();
    } else {
      const [f, url] = endpoint(path, ports);
      const res = await f(url, { method: "POST", headers: { "content-type": "application/json" },
                                body: body("threads.list") });
      if (path !== "comm") M.recv = B.clock();  // headers and body are one write
      await res.json();
    }
    const t1 = B.clock();
    const k = await kernel(ports.nodelay, "/hops");
    const W = window.__ckjWs;
    const out = W.sent.find(([t, d]) => t >= t0 && /"kind":\\s*"(request|call)"/.test(d));
    const back = W.recv.filter(([t, d]) => t >= t0 && t <= t1 && /"kind":\\s*"(response|result)"/.test(d));
    return { t0, t1, ...k, send0: M.send0, send1: M.send1, recv: M.recv ?? t1,
             wsSend: path === "comm" && out ? out[0] : null,
             wsRecv: path === "comm" && back.length ? back[back.length - 1][0] : null };
  }
  window.__ckjRun = { one, kernel, body, hop };
  window.__ckjMountLite = (kind, ports) => {
    const [f, url] = endpoint(kind, ports);
    const placeholder = kind === "comm" ? "Bench over the comm" : "Bench over HTTP";
    const lite = window.__ckjBenchMountLite(B.stages[kind], { composer: { placeholder } },
      { fetch: f, apiUrl: url, colorScheme: () => "light" });
    (window.__ckjLite ||= {})[kind] = lite;
    return true;
  };
  // Arms a timer: it starts at the next Enter keydown in `kind`'s lite instance and stops when
  // `needle` is in that instance's log (checked every animation frame).
  window.__ckjArm = (kind, needle) => {
    const lite = window.__ckjLite[kind];
    window.__ckjUi = new Promise((resolve) => {
      let t0 = 0;
      const onKey = (e) => { if (e.key === "Enter" && !t0) t0 = performance.now(); };
      lite.element.addEventListener("keydown", onKey, { capture: true });
      const armed = performance.now();
      const tick = () => {
        const log = lite.element.querySelector("[role=log]");
        if (t0 && log && log.textContent.includes(needle)) {
          lite.element.removeEventListener("keydown", onKey, { capture: true });
          resolve({ ms: performance.now() - t0 });
        } else if (performance.now() - armed > 60000) {
          resolve({ ms: NaN });
        } else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    return true;
  };
  return true;
}
"""


# Installed before JupyterLab loads: wall-clock stamps of what the kernel websockets send and
# receive (the first 4 KB of each message, to find the bench's own), for the hop table.
WS_INIT_JS = """
(() => {
  const Base = window.WebSocket;
  const log = (window.__ckjWs = { sent: [], recv: [] });
  const clock = () => performance.timeOrigin + performance.now();
  const head = (d) => {
    if (typeof d === "string") return d.slice(0, 4096);
    const bytes = d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    return new TextDecoder().decode(bytes.subarray(0, 4096));
  };
  const keep = (list, entry) => { list.push(entry); if (list.length > 400) list.shift(); };
  window.WebSocket = class extends Base {
    constructor(url, protocols) {
      super(url, protocols);
      this.__ckjKernel = String(url).includes("/channels");
      if (this.__ckjKernel) this.addEventListener("message", (e) => keep(log.recv, [clock(), head(e.data)]));
    }
    send(data) {
      const t = clock();
      super.send(data);
      if (this.__ckjKernel) keep(log.sent, [t, head(data)]);
    }
  };
})();
"""


# --server-probe: jupyter_server's relay timed from inside (wall clock, ms), written to a file in
# the bench's temporary config; not JupyterLab as installed, so off by default.
SERVER_PROBE = """
import re
import time
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

_probe = open(__PATH__, "a", buffering=1)
_incoming = ZMQChannelsWebsocketConnection.handle_incoming_message
_outgoing = ZMQChannelsWebsocketConnection.handle_outgoing_message


_KIND = re.compile(rb'"kind":\\s*"(request|call|response|result|chunk|head)"')
_SEQ0 = re.compile(rb'"seq":\\s*0[,}]')


def _kind(parts):
    for part in parts:
        head = part[:4096].encode() if isinstance(part, str) else bytes(part[:4096])
        found = _KIND.search(head)
        if found:
            kind = found.group(1).decode()
            if kind == "head":  # it carries the first batch, chunk 0
                return "chunk"
            return None if kind == "chunk" and not _SEQ0.search(head) else kind
    return None


def handle_incoming_message(self, message):
    t = time.time() * 1000
    _incoming(self, message)
    kind = _kind([message])
    if kind:
        _probe.write(f"in {kind} {t:.3f} {time.time() * 1000:.3f}\\n")


def handle_outgoing_message(self, stream, message):
    t = time.time() * 1000
    _outgoing(self, stream, message)
    kind = _kind(message[-3:])
    if kind:
        _probe.write(f"out {kind} {t:.3f} {time.time() * 1000:.3f}\\n")


ZMQChannelsWebsocketConnection.handle_incoming_message = handle_incoming_message
ZMQChannelsWebsocketConnection.handle_outgoing_message = handle_outgoing_message
"""


def build_harness(with_lite: bool) -> str:
    """Bundle the harness from js/src with the repo's esbuild; returns the ESM source."""
    esbuild = REPO / "js" / "node_modules" / ".bin" / "esbuild"
    proc = subprocess.run(
        [
            str(esbuild),
            "--bundle",
            "--format=esm",
            "--target=es2020",
            "--loader=ts",
            "--loader:.css=empty",  # the styles come with ChatKitWidget's own _css
            "--log-level=error",
        ],
        input=(HARNESS_TS + (HARNESS_LITE_TS if with_lite else "")).encode(),
        cwd=REPO / "js" / "src",
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode() or "esbuild failed")
    return proc.stdout.decode()


def kernel_cell(harness: str, ports: dict[str, int]) -> str:
    values = {
        "__DELTAS__": DELTAS,
        "__PACED_DELTAS__": PACED_DELTAS,
        "__PACE_MS__": PACE_MS,
        "__BIG_DELTAS__": BIG_DELTAS,
        "__BULK_MESSAGES__": BULK_MESSAGES,
        "__BULK_DELTAS__": BULK_DELTAS,
        "__BULK_DELTA__": BULK_DELTA,
        "__PORT_NODELAY__": ports["nodelay"],
        "__PORT_NAGLE__": ports["nagle"],
    }
    cell = KERNEL_CELL
    for name, value in values.items():
        cell = cell.replace(name, str(value))
    return cell.replace("__HARNESS__", repr(harness))


def chatkit_body(type_: str, text: str = "") -> str:
    if type_ == "threads.list":
        return json.dumps({"type": type_, "params": {"limit": 20, "order": "desc"}, "metadata": {}})
    content = [{"type": "input_text", "text": text}]
    params = {"input": {"content": content, "attachments": [], "inference_options": {}}}
    return json.dumps({"type": type_, "params": params, "metadata": {}})


# -- memory ---------------------------------------------------------------------------------------


def vm(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line[:5]] = int(line.split()[1]) * 1024
    return out


@contextmanager
def peak_rss(pids: list[int], interval: float = 0.0005) -> Iterator[dict[int, int]]:
    """Samples the RSS of `pids` from a thread; yields {pid: highest RSS seen} (filled at exit)."""
    peaks = dict.fromkeys(pids, 0)
    files = {pid: open(f"/proc/{pid}/statm", "rb") for pid in pids}  # noqa: SIM115 - closed at exit
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for pid, f in files.items():
                f.seek(0)
                rss = int(f.read().split()[1]) * PAGE_SIZE
                if rss > peaks[pid]:
                    peaks[pid] = rss
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peaks
    finally:
        stop.set()
        sampler.join()
        for f in files.values():
            f.close()


CPU_ROLES = ("kernel", "jupyter_server", "page", "Chromium, other")


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def cpu_ms(pid: int) -> float:
    """CPU time of a process so far (all its threads), in ms: the scheduler's nanoseconds, as
    /proc/<pid>/stat counts in 10 ms ticks."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            continue  # the thread ended meanwhile
    return total / 1e6


def cpu_roles(kernel: int, server: int, browser: int | None) -> dict[int, str]:
    """Which role each process plays: the page is Chromium's renderer processes."""
    roles = {kernel: "kernel", server: "jupyter_server"}
    for pid in descendants(browser) if browser is not None else []:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                renderer = b"--type=renderer" in f.read()
        except OSError:
            continue
        roles[pid] = "page" if renderer else "Chromium, other"
    return roles


# -- one JupyterLab -------------------------------------------------------------------------------


class Session:
    """The bench notebook running in one JupyterLab, seen through one page."""

    def __init__(self, page: Any, lab: Any, ports: dict[str, int]) -> None:
        self.page = page
        self.lab = lab
        self.ports = ports
        self.roles: dict[int, str] = {}
        """Process id -> CPU role, for `one(..., cpu=True)`; empty: not measured."""
        self.probe: Path | None = None
        """The server probe's file (``--server-probe``), read as it grows."""
        self._probe_at = 0

    def probe_lines(self) -> list[tuple[str, str, float, float]]:
        """What the server probe wrote since the last call: (direction, kind, t in, t out)."""
        if self.probe is None or not self.probe.exists():
            return []
        with self.probe.open() as f:
            f.seek(self._probe_at)
            text = f.read()
            self._probe_at = f.tell()
        out = []
        for line in text.splitlines():
            way, kind, t_in, t_out = line.split()
            out.append((way, kind, float(t_in), float(t_out)))
        return out

    def one(
        self, path: str, type_: str, text: str = "", count_events: bool = False, cpu: bool = False
    ) -> dict:
        """One request over `path`, timed in the page; "floor": no transport, timed in the kernel.
        `cpu`: also the CPU time each role's processes spent meanwhile (``result["cpu"]``)."""
        if path == "floor":
            floor = self.kernel("/floor", chatkit_body(type_, text))
            return {"ms": floor["s"] * 1000, "bytes": floor["bytes"]}
        before = {pid: cpu_ms(pid) for pid in self.roles} if cpu else {}
        result = self.page.evaluate(
            "([path, ports, type, text, ce]) => window.__ckjRun.one(path, ports, type, text, ce)",
            [path, self.ports, type_, text, count_events],
        )
        lines = self.probe_lines()
        first = result.get("first")
        if first:
            chunk0 = [x for x in lines if x[:2] == ("out", "chunk") and x[2] >= first["t0"]]
            if chunk0:
                first["srvOut0"], first["srvOut1"] = chunk0[0][2], chunk0[0][3]
        if before:
            spent = dict.fromkeys(self.roles.values(), 0.0)
            for pid, role in self.roles.items():
                spent[role] += cpu_ms(pid) - before[pid]
            result["cpu"] = spent
        if result.get("status") != 200:
            raise RuntimeError(f"{path} {type_} answered {result}")
        if type_ != "threads.list" and not result["complete"]:
            raise RuntimeError(f"{path} {type_} {text}: the stream ended early: {result}")
        return dict(result)

    def hop(self, path: str, what: str) -> dict:
        """One request with wall-clock stamps along its way (see `hops`)."""
        out = dict(
            self.page.evaluate(
                "([path, ports, what]) => window.__ckjRun.hop(path, ports, what)",
                [path, self.ports, what],
            )
        )
        lines = [x for x in self.probe_lines() if out["t0"] <= x[2] <= out["t1"]]
        sent = [x for x in lines if x[0] == "in"]
        back = [x for x in lines if x[0] == "out" and x[1] in ("response", "result")]
        if path == "comm" and sent and back:
            out["srvIn"] = sent[0][2]
            out["srvOut0"], out["srvOut1"] = back[-1][2], back[-1][3]
        return out

    def kernel(self, target: str, body: str | None = None) -> dict:
        return dict(
            self.page.evaluate(
                "([port, target, body]) => window.__ckjRun.kernel(port, target, body)",
                [self.ports["nodelay"], target, body],
            )
        )

    def hook(self, name: str) -> dict:
        return dict(
            self.page.evaluate(
                "(name) => window.__ckjBench.call('client_tool', { name, params: {} })", name
            )
        )

    def ui_run(self, kind: str) -> float:
        page = self.page
        page.evaluate("(kind) => window.__ckjLite[kind].setThreadId(null)", kind)
        page.evaluate("([kind, n]) => window.__ckjArm(kind, n)", [kind, f"w{DELTAS - 1:04d}"])
        page.type_enter(COMPOSER[kind], "deltas")
        elapsed = float(page.evaluate("() => window.__ckjUi")["ms"])
        if elapsed != elapsed:  # NaN: the last delta never showed up
            raise RuntimeError(f"the lite renderer ({kind}) did not show the whole reply")
        return elapsed

    def memory(self, run: Any) -> dict[str, int]:
        """RSS growth of the kernel and of jupyter_server while `run()` streams."""
        before = self.kernel("/mem?reset")  # gc + malloc_trim + VmHWM reset in the kernel
        kernel_pid, server_pid = before["pid"], self.lab.proc.pid
        with open(f"/proc/{server_pid}/clear_refs", "w") as f:
            f.write("5")
        server_before = vm(server_pid)
        with peak_rss([kernel_pid, server_pid]) as peaks:
            run()
        kernel_after, server_after = vm(kernel_pid), vm(server_pid)
        return {
            "kernel": max(peaks[kernel_pid], kernel_after["VmHWM"]) - before["VmRSS"],
            "server": max(peaks[server_pid], server_after["VmHWM"]) - server_before["VmRSS"],
        }


def big_message(s: Session, runs: int) -> dict[str, list[float]]:
    """Kernel time (no transport) of one 10 MB message and of the same bytes in 100 messages,
    from ChatKitServer and from NotebookServer, interleaved."""
    out: dict[str, list[float]] = {"chatkit big": [], "notebook big": [], "chatkit bulk": []}
    for _ in range(runs):
        for key in out:
            target = "/floor-linear" if key.startswith("notebook") else "/floor"
            floor = s.kernel(target, chatkit_body("threads.create", key.split()[1]))
            out[key].append(floor["s"] * 1000)
    return out


def measure(s: Session, args: argparse.Namespace, lite: bool) -> dict[str, Any]:
    """All workloads on one page; returns the raw samples per workload and path."""
    # Warm up every path (connections, CORS preflight cache, JIT, imports) and give the store
    # more than 20 threads, so that threads.list answers the same 20 every time.
    for _ in range(8):
        for path in PATHS:
            s.one(path, "threads.create", "hi", True)
    for path in PATHS:
        s.one(path, "threads.create", "deltas", True)
        s.one(path, "threads.create", "bulk")

    def rounds(
        n: int, type_: str, text: str = "", count_events: bool = False, cpu: bool = False
    ) -> dict:
        """`n` rounds of one request per path (and the floor), in a rotating order."""
        out: dict[str, list[Any]] = {path: [] for path in ALL}
        for i in range(n):
            for path in ALL[i % len(ALL) :] + ALL[: i % len(ALL)]:
                out[path].append(s.one(path, type_, text, count_events, cpu))
        return out

    hops: dict[str, list[dict]] = {}
    for i in range(args.list_runs):
        for key in ("comm list", "http list", "comm ping", "http ping")[:: 1 if i % 2 else -1]:
            path, what = key.split()
            hops.setdefault(key, []).append(s.hop(path, what))
    r: dict[str, Any] = {
        "hops": hops,
        "list": rounds(args.list_runs, "threads.list"),
        "deltas": rounds(args.stream_runs, "threads.create", "deltas", True),
        "paced": rounds(args.stream_runs, "threads.create", "paced"),
        "bulk": rounds(args.bulk_runs, "threads.create", "bulk", cpu=True),
        "big": big_message(s, args.stream_runs),
        "mem": {path: [] for path in ALL},
        "ui": {},
    }
    for i in range(args.mem_runs):
        for path in ALL if i % 2 == 0 else ALL[::-1]:
            r["mem"][path].append(s.memory(lambda path=path: s.one(path, "threads.create", "bulk")))

    if lite and args.ui_runs:
        for kind in ("comm", "http"):
            s.ui_run(kind)  # warm-up
        r["ui"] = {"comm": [], "http": []}
        for _ in range(args.ui_runs):
            for kind in ("comm", "http"):
                r["ui"][kind].append(s.ui_run(kind))

    # Which kernel thread served each path.
    r["threads"] = {}
    for path in PATHS:
        s.one(path, "threads.create", "hi", True)
        r["threads"][path] = s.kernel("/mem")["last_thread"]
    errors = s.page.evaluate("() => window.__ckjBench.errors")
    if errors:
        raise RuntimeError(f"bridge errors in the page: {errors}")
    return r


def wait_ready(page: Any, timeout: float = 180) -> None:
    """Wait for the harness to render, or fail with the cell's error output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate("() => window.__ckjBench !== undefined"):
            return
        error = page.evaluate(
            "() => document.querySelector(\"[data-mime-type='application/vnd.jupyter.stderr']\")"
            "?.innerText ?? null"
        )
        if error:
            raise RuntimeError(f"the bench cell failed:\n{error}")
        page.wait_for_timeout(200)
    shot = Path(tempfile.gettempdir()) / "bench-bridge-not-ready.png"
    page.screenshot(path=str(shot))
    raise RuntimeError(f"the bench harness did not render (the page as it was: {shot})")


def check_nodelay(lab: Any, want: bool, quiet: bool = True) -> dict:
    """Ask our jupyter_server extension how the page's kernel websocket is set; fail if the
    variant is not what it claims (e.g. the extension is not installed in this environment)."""
    with urllib.request.urlopen(lab.url(NODELAY_URL), timeout=10) as r:
        state = dict(json.load(r))
    options = {ws["nodelay"] for ws in state["websockets"]}
    if state["enabled"] is not want or options != {want} or state["quiet_chat_status"] is not quiet:
        raise RuntimeError(
            f"expected TCP_NODELAY {'on' if want else 'off'} on the kernel websocket, the server"
            f" extension says {state}; install the package (`pip install -e .`) into the"
            " Python that runs the bench"
        )
    return state


class PlaywrightPage:
    """A Playwright page with ``CdpPage``'s methods: ``--driver playwright`` measures the page
    as the browser tests see it, with Playwright's websocket observer attached."""

    def __init__(self, page: Any) -> None:
        self._page = page

    def evaluate(self, fn: str, arg: Any = None) -> Any:
        return self._page.evaluate(fn, arg)

    def wait_for(self, fn: str, timeout: float, what: str) -> None:
        self._page.wait_for_function(fn, timeout=timeout * 1000)

    def type_enter(self, name: str, text: str) -> None:
        composer = self._page.get_by_role("textbox", name=name)
        composer.fill(text)
        composer.press("Enter")

    def wait_for_timeout(self, ms: float) -> None:
        self._page.wait_for_timeout(ms)

    def screenshot(self, path: str) -> None:
        self._page.screenshot(path=path)


class CdpBenchPage(CdpPage):
    """``CdpPage`` with the bench's ``type_enter(name, text)``: the text box named ``name``."""

    def type_enter(self, name: str, text: str) -> None:  # type: ignore[override]
        super().type_enter(
            "(name) => [...document.querySelectorAll('textarea')]"
            ".find((e) => e.placeholder === name || e.getAttribute('aria-label') === name)",
            name,
            text,
        )


@contextmanager
def bench_page(driver: str, lab: Any, name: str, profile: Path) -> Iterator[Any]:
    """The bench notebook open in Chromium, its cell run; the kernel websockets logged."""
    if driver == "playwright":
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 1100})
                context.add_init_script(WS_INIT_JS)
                page = context.new_page()
                open_notebook(page, lab, name)
                run_all_cells(page)
                yield PlaywrightPage(page)
            finally:
                browser.close()
        return
    page = CdpBenchPage(CHROMIUM, CHROMIUM_ARGS, profile)
    try:
        page.add_init_script(WS_INIT_JS)
        page.goto(lab.url(f"lab/tree/{name}", "reset&"))
        # JupyterLab as a user has it, plus `window.jupyterapp` (LabApp.expose_app_in_browser)
        # to run the cell with; the kernel starts on its own (accept the kernel dialog if any).
        page.wait_for(
            """() => {
              const dialog = document.querySelector(".jp-Dialog");
              if (dialog) {
                if (dialog.textContent.includes("Select Kernel")) dialog.querySelector(".jp-mod-accept")?.click();
                return false;
              }
              // Headless, nothing has focus: find the notebook among the main area's widgets.
              const app = window.jupyterapp;
              const panel = app && [...app.shell.widgets("main")].find((w) => w.sessionContext);
              const kernel = panel?.sessionContext.session?.kernel;
              return kernel?.status === "idle" && kernel.connectionStatus === "connected";
            }""",
            120,
            "the notebook and its kernel",
        )
        page.evaluate(
            "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); return true; }"
        )
        yield page
    finally:
        page.close()


def run_lab(harness: str, args: argparse.Namespace, variant: str, lite: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-bridge-") as tmp:
        root, home = Path(tmp) / "root", Path(tmp) / "home"
        root.mkdir()
        (home / "config").mkdir(parents=True)
        server_config: dict[str, Any] = {"LabApp": {"expose_app_in_browser": True}}
        if variant == "nagle":
            server_config["ChatKitJupyter"] = {"nodelay": False}
        if variant == "busy":
            server_config["ChatKitJupyter"] = {"quiet_chat_status": False}
        (home / "config" / "jupyter_server_config.json").write_text(json.dumps(server_config))
        probe = Path(tmp) / "server-probe.txt"
        if args.server_probe:
            source = SERVER_PROBE.replace("__PATH__", repr(str(probe)))
            (home / "config" / "jupyter_server_config.py").write_text(source)
        if variant == "nosubshell":
            settings = home / "config" / "lab" / "user-settings" / "@jupyterlab"
            settings = settings / "apputils-extension"
            settings.mkdir(parents=True)
            (settings / "kernels-settings.jupyterlab-settings").write_text(
                json.dumps({"commsOverSubshells": "disabled"})
            )
        ports = {"nodelay": _free_port(), "nagle": _free_port()}
        with running_lab(root, home) as lab:
            name = lab.write_notebook(
                f"bench_{uuid.uuid4().hex[:8]}.ipynb", [kernel_cell(harness, ports)]
            )
            with bench_page(args.driver, lab, name, Path(tmp) / "chromium") as page:
                wait_ready(page)
                page.evaluate(PAGE_JS)
                nodelay = check_nodelay(lab, want=variant != "nagle", quiet=variant != "busy")
                s = Session(page, lab, ports)
                s.probe = probe if args.server_probe else None
                # The first comm messages of a new widget reach the kernel's main thread; later
                # ones the comm target's subshell, once JupyterLab has made it. Start the HTTP
                # servers only when the serving thread has settled.
                where = [s.hook("bench_where")["thread"]]
                while len(where) < 20 and (len(where) < 2 or where[-1] != where[-2]):
                    page.wait_for_timeout(250)
                    where.append(s.hook("bench_where")["thread"])
                started = s.hook("bench_start_http")["thread"]
                browser = page.proc.pid if isinstance(page, CdpPage) else None
                s.roles = cpu_roles(s.kernel("/mem")["pid"], lab.proc.pid, browser)
                if lite:
                    for kind in ("comm", "http"):
                        page.evaluate(
                            "([k, ports]) => window.__ckjMountLite(k, ports)", [kind, ports]
                        )
                result = measure(s, args, lite)
                result["threads"]["first comm messages"] = where[0]
                result["threads"]["HTTP servers started on"] = started
                result["nodelay"] = nodelay
                return result


# -- report ---------------------------------------------------------------------------------------

Row = tuple[str, str, float | None, dict[str, float | None]]


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def mean(xs: list[float]) -> float:
    return statistics.fmean(xs)


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def rows(r: dict[str, Any]) -> list[Row]:
    """(workload, unit, kernel floor, {path: value}) for the table."""
    mb = 1e6
    lst, d, b, m = r["list"], r["deltas"], r["bulk"], r["mem"]
    size = med([x["bytes"] for p in PATHS for x in b[p]]) / mb
    events = med([x["events"] for x in d["http"]])  # the floor counts bytes, not events

    def each(samples: dict[str, list[Any]], f: Any, agg: Any = med) -> dict[str, float | None]:
        values = {p: [f(x) for x in samples[p]] for p in samples}
        return {p: None if not v or None in v else agg(v) for p, v in values.items()}

    def floor(v: dict[str, float | None]) -> float | None:
        return v.pop("floor", None)

    out: list[Row] = []
    for name, unit, values in [
        ("threads.list round trip", "ms", each(lst, lambda x: x["ms"])),
        ("threads.list round trip, p95", "ms", each(lst, lambda x: x["ms"], p95)),
        (f"{DELTAS:,} deltas: time to last byte", "ms", each(d, lambda x: x["ms"])),
        (f"{DELTAS:,} deltas: time to first byte", "ms", each(d, lambda x: x.get("firstMs"))),
        (
            f"{DELTAS:,} deltas: events/s (higher = better)",
            "ev/s",
            each(d, lambda x: x.get("events", events) / x["ms"] * 1000),
        ),
        (
            f"paced stream ({PACED_DELTAS} deltas, {PACE_MS} ms apart): time to first byte",
            "ms",
            each(r["paced"], lambda x: x.get("firstMs")),
        ),
        (
            f"paced stream ({PACED_DELTAS} deltas, {PACE_MS} ms apart): time to last byte",
            "ms",
            each(r["paced"], lambda x: x["ms"]),
        ),
        (f"{size:.1f} MB stream: time to last byte", "ms", each(b, lambda x: x["ms"])),
        (
            f"{size:.1f} MB stream: MB/s (higher = better)",
            "MB/s",
            each(b, lambda x: x["bytes"] / mb / x["ms"] * 1000),
        ),
        (
            f"{size:.1f} MB stream: kernel RSS growth (max)",
            "MB",
            each(m, lambda x: x["kernel"] / mb, max),
        ),
        (
            f"{size:.1f} MB stream: jupyter_server RSS growth (max)",
            "MB",
            each(m, lambda x: x["server"] / mb, max),
        ),
    ]:
        out.append((name, unit, floor(values), values))
    if any("cpu" in x for x in b["comm"]):
        for role in CPU_ROLES:
            values = each(b, lambda x, role=role: x.get("cpu", {}).get(role), mean)
            out.append(
                (
                    f"{size:.1f} MB stream: CPU time of {role} (mean)",
                    "ms CPU",
                    floor(values),
                    values,
                )
            )
    if r["ui"]:
        u = r["ui"]
        out.append(
            (
                f"lite renderer: Enter -> delta {DELTAS:,} on screen",
                "ms",
                None,
                {"http": med(u["http"]), "http_nagle": None, "comm": med(u["comm"])},
            )
        )
    return out


def fmt(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    if unit == "ev/s":
        return f"{x:,.0f}"
    if unit == "MB":
        return f"{x:.1f}"
    return f"{x:.1f}" if x < 100 else f"{x:,.0f}"


def table(r: dict[str, Any], title: str) -> str:
    head = ["workload (median unless said)", "unit", "kernel floor", "HTTP SSE"]
    head += ["HTTP SSE, Nagle on", "comm bridge", "comm/HTTP"]
    body = []
    for name, unit, floor, v in rows(r):
        h, c = v.get("http"), v.get("comm")
        if unit in ("MB", "ms CPU") and h is not None and c is not None and h < 1:
            ratio = f"+{c - h:.1f} {unit}"  # a ratio to a near-zero baseline says nothing
        else:
            ratio = f"{c / h:.2f}x" if h and c is not None else "-"
        values = [fmt(floor, unit), fmt(h, unit), fmt(v.get("http_nagle"), unit), fmt(c, unit)]
        body.append([name, unit, *values, ratio])
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(x.ljust(widths[i]) for i, x in enumerate(row)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    threads = ", ".join(f"{k}: {v}" for k, v in r["threads"].items())
    return "\n".join(
        [f"### {title}", "", line(head), sep, *map(line, body), "", f"(threads: {threads})"]
    )


HOPS = [
    # (name, from stamp, to stamp): wall clock, page and kernel alike
    ("page: fetch/call -> model.send returned (bridge, anywidget)", "t0", "send1"),
    ("page: -> kernel websocket send (ipywidgets, JupyterLab)", "send1", "wsSend"),
    ("websocket -> kernel's comm thread (jupyter_server, ZMQ, ipykernel)", "wsSend", "arrive"),
    ("  of which: page websocket -> jupyter_server (Chromium, TCP)", "wsSend", "srvIn"),
    ("  of which: jupyter_server -> comm thread (ZMQ, shell thread, subshell)", "srvIn", "arrive"),
    ("page -> kernel, all of the above (HTTP: the request)", "t0", "arrive"),
    ("kernel: comm thread -> main loop (the bridge's hand-off)", "arrive", "main"),
    ("kernel: ChatKitServer.process (the server)", "main", "processed"),
    ("kernel: answer handed to the comm (bridge)", "processed", "sent"),
    ("kernel -> page websocket (iopub thread, ZMQ, jupyter_server)", "sent", "wsRecv"),
    ("  of which: kernel -> jupyter_server (iopub thread, ZMQ)", "sent", "srvOut0"),
    ("  of which: jupyter_server relays it (rate limit, v1 framing, write)", "srvOut0", "srvOut1"),
    ("  of which: jupyter_server -> page websocket (TCP, Chromium)", "srvOut1", "wsRecv"),
    ("page websocket -> msg:custom (JupyterLab, ipywidgets, anywidget)", "wsRecv", "recv"),
    ("kernel -> page, all of the above (HTTP: the response)", "sent", "recv"),
    ("page: reply message -> body read (bridge, Response)", "recv", "t1"),
    ("total, page to page", "t0", "t1"),
]


def hops_table(r: dict[str, Any]) -> str:
    """Median milliseconds per hop of threads.list and of a ping (a hook / GET that does nothing)."""
    h = r.get("hops")
    if not h:
        return ""
    cols = ["comm list", "http list", "comm ping", "http ping"]
    head = ["hop (median ms)", "comm threads.list", "HTTP threads.list", "comm ping", "HTTP ping"]
    body = []
    for name, a, b in HOPS:
        row = [name]
        for col in cols:
            xs = [x[b] - x[a] for x in h[col] if x.get(a) is not None and x.get(b) is not None]
            row.append(f"{med(xs):.1f}" if xs else "-")
        if name.startswith("  of which") and set(row[1:]) == {"-"}:
            continue  # measured only with --server-probe
        body.append(row)
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(x.ljust(widths[i]) for i, x in enumerate(row)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    threads = sorted({x.get("arrive_thread", "?") for x in h["comm list"]})
    firsts = [x["first"] for x in r["deltas"]["comm"] if x.get("first")]
    steps = [
        ("page -> kernel's comm thread", "t0", "arrive"),
        ("comm thread -> main loop", "arrive", "main"),
        (
            "main loop -> first bytes handed to the comm, on the head (server.process)",
            "main",
            "chunk0",
        ),
        ("first bytes -> page websocket (iopub thread, ZMQ, jupyter_server)", "chunk0", "wsChunk0"),
        ("  of which: kernel -> jupyter_server", "chunk0", "srvOut0"),
        ("  of which: jupyter_server relays it", "srvOut0", "srvOut1"),
        ("  of which: jupyter_server -> page websocket", "srvOut1", "wsChunk0"),
        ("page websocket -> first read (JupyterLab, anywidget, bridge)", "wsChunk0", "read0"),
        ("total: time to first byte", "t0", "read0"),
    ]
    first_rows = []
    for name, a, b in steps:
        xs = [x[b] - x[a] for x in firsts if x.get(a) is not None and x.get(b) is not None]
        if name.startswith("  of which") and not xs:
            continue
        first_rows.append(f"- {name}: {med(xs):.1f} ms" if xs else f"- {name}: -")
    return "\n".join(
        [line(head), sep, *map(line, body), "", f"(comm messages arrived on: {', '.join(threads)})"]
        + (
            ["", f"{DELTAS:,} deltas over the comm, first byte (median ms):", *first_rows]
            if firsts
            else []
        )
    )


def ms(samples: list[dict[str, Any]]) -> float:
    return med([x["ms"] for x in samples])


def notes(results: dict[str, Any]) -> str:
    first = next(iter(results))
    base = results[first]
    comm, http, nagle = (ms(base["list"][p]) for p in ("comm", "http", "http_nagle"))
    d = base["deltas"]
    big = {k: med(v) for k, v in base["big"].items()}
    lines = [
        "Notes:",
        "- comm/HTTP = comm bridge / HTTP SSE (TCP_NODELAY): above 1x the bridge takes longer or"
        " uses more; for ev/s and MB/s below 1x means it delivers less. 'kernel floor' = the same"
        " request drained in the kernel without transport.",
        f"- threads.list ({first}): the bridge adds {comm - http:.1f} ms to HTTP's {http:.1f} ms;"
        f" HTTP with Nagle on takes {nagle:.1f} ms (a one-write reply never waits for an ACK).",
        f"- 5,000 deltas: the page read HTTP's body in {med([x['reads'] for x in d['http']]):.0f}"
        f" pieces (the server wrote one chunk per event) and the bridge's in {med([x['reads'] for x in d['comm']]):.0f}"
        f" (batches); the bridge's first piece held"
        f" {med([x['firstBytes'] for x in d['comm']]) / 1024:.1f} KB (the first event goes out"
        " at once; batching starts after it).",
        f"- Kernel time (no transport) of one message of {BIG_DELTAS:,} deltas of"
        f" {BULK_DELTA // 1000} KB, against the same bytes in {BULK_MESSAGES} messages from"
        f" ChatKitServer ({big['chatkit bulk']:.0f} ms): ChatKitServer {big['chatkit big']:.0f} ms"
        f" ({big['chatkit big'] / big['chatkit bulk']:.1f}x; it keeps the message being streamed"
        f" with `text += delta`, quadratic), NotebookServer {big['notebook big']:.0f} ms"
        f" ({big['notebook big'] / big['chatkit bulk']:.1f}x, linear).",
    ]
    if "nagle" in results and first != "nagle":
        ng, ng_http = (ms(results["nagle"]["list"][p]) for p in ("comm", "http"))
        lines.append(
            f"- Without our extension's TCP_NODELAY (nagle), threads.list over the comm takes"
            f" {ng:.1f} ms (HTTP {ng_http:.1f} ms in that Lab) instead of {comm:.1f} ms."
        )
    if "nosubshell" in results:
        ns = results["nosubshell"]
        lines.append(
            f"- Comms on the kernel's main thread (nosubshell): threads.list over the comm"
            f" {ms(ns['list']['comm']):.1f} ms, 5,000 deltas {ms(ns['deltas']['comm']):.0f} ms."
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--list-runs", type=int, default=50)
    ap.add_argument("--stream-runs", type=int, default=5)
    ap.add_argument("--bulk-runs", type=int, default=5)
    ap.add_argument("--mem-runs", type=int, default=2)
    ap.add_argument("--ui-runs", type=int, default=5)
    ap.add_argument(
        "--variants",
        default="installed,nagle",
        help=f"JupyterLab set-ups to run, comma-separated, from: {', '.join(VARIANTS)}",
    )
    ap.add_argument(
        "--driver",
        choices=("cdp", "playwright"),
        default="cdp",
        help="cdp (default): Chromium over the DevTools protocol, websocket frames unobserved, as"
        " for a user; playwright: as the browser tests drive it (Playwright copies every"
        " websocket frame out of the page)",
    )
    ap.add_argument(
        "--server-probe",
        action="store_true",
        help="time jupyter_server's relay from inside (patches its kernel websocket class in the"
        " bench's own config; adds 'of which' rows to the hop tables)",
    )
    ap.add_argument("--quick", action="store_true", help="fewer runs, to check the script works")
    ap.add_argument("--json", type=Path, help="also write the raw samples to this file")
    args = ap.parse_args()
    if args.quick:
        args.list_runs, args.stream_runs, args.bulk_runs, args.mem_runs, args.ui_runs = (
            10,
            2,
            1,
            1,
            1,
        )
    variants = args.variants.split(",")
    if unknown := set(variants) - set(VARIANTS):
        ap.error(f"unknown variant(s) {', '.join(sorted(unknown))}; known: {', '.join(VARIANTS)}")

    started = time.monotonic()
    try:
        harness, lite = build_harness(with_lite=True), True
    except RuntimeError as e:
        print(f"(js/src/lite does not build, so no lite renderer row: {str(e).splitlines()[0]})")
        harness, lite = build_harness(with_lite=False), False

    print(
        f"bench_bridge: Python {platform.python_version()}, {os.cpu_count()} cores; per path:"
        f" {args.list_runs} threads.list, {args.stream_runs} x {DELTAS:,} deltas,"
        f" {args.bulk_runs} x {BULK_MESSAGES * BULK_DELTAS:,} deltas of {BULK_DELTA:,} B"
    )
    results: dict[str, Any] = {}
    for i, variant in enumerate(variants):
        results[variant] = run_lab(harness, args, variant, lite=lite and i == 0)
        print()
        print(table(results[variant], VARIANTS[variant]))
        print()
        print(hops_table(results[variant]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print()
    print(notes(results))
    print(f"\n(total {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
