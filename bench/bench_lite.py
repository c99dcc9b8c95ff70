"""Benchmark the lite renderer in real JupyterLab and headless Chromium.

Run: ``python bench/bench_lite.py [--deltas 10000] [--items 1000] [--runs 3]``

Two measurements, each against the baseline of how fast the bytes arrive (the bridge's share):

(a) Streaming. A scripted ChatKitServer in the kernel streams N text deltas at full speed. From
    the moment Enter is pressed in the composer we time when the last delta reaches the bridge
    (the `enqueue` into the Response body stream the bridge hands to the renderer whose bytes hold
    it; `end_ms` is the stream's last bytes, the final item included) and when its text is in the
    DOM (a MutationObserver; `paint_ms` is the next animation frame). A PerformanceObserver for "longtask"
    entries, registered before sending, catches every main-thread task over 50 ms in that window.
    Targets: no task over 50 ms, and the DOM done within 1.2x of the arrival time.

(b) Opening a long thread. The server's store holds a thread of N mixed items (user and assistant
    messages, widgets, tasks). From the click on it in the history panel we time when the last
    JSON response reaches the bridge (the last `threads.get_by_id` / `items.list` reply) and when
    the thread is usable: its last item is painted inside the visible chat and the composer
    accepts input. Long tasks are collected the same way.

Prints one table per measurement with every run, the median, and whether the targets are met.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

# Run from a checkout without installing; an installed or PYTHONPATH copy wins.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    open_notebook,
    run_all_cells,
    running_lab,
    send,
)

COMPOSER = "Benchmark composer"
BIG_TITLE = "Big thread"
LONG_TASK_MS = 50
RATIO_TARGET = 1.2

SERVER_CELL = """
from datetime import datetime, timedelta

from chatkit.server import ChatKitServer
from chatkit.types import (
    AssistantMessageContent, AssistantMessageContentPartTextDelta, AssistantMessageItem,
    CustomTask, InferenceOptions, TaskItem, ThreadItemAddedEvent, ThreadItemDoneEvent,
    ThreadItemUpdatedEvent, ThreadMetadata, UserMessageItem, UserMessageTextContent, WidgetItem,
)
from chatkit.widgets import DynamicWidgetRoot
from chatkit_jupyter import ChatKitWidget, SQLiteStore

DELTAS = {deltas}
ITEMS = {items}


class BenchServer(ChatKitServer):
    \"\"\"'stream': DELTAS text deltas at full speed, last one 'w{{DELTAS-1}}'.\"\"\"

    def __init__(self):
        super().__init__(SQLiteStore(":memory:"))

    async def respond(self, thread, item, context):
        msg = AssistantMessageItem(
            id=self.store.generate_item_id("message", thread, context), thread_id=thread.id,
            created_at=datetime.now(), content=[AssistantMessageContent(text="")],
        )
        yield ThreadItemAddedEvent(item=msg)
        parts = []
        for i in range(DELTAS):
            delta = f"w{{i:04d}} "
            parts.append(delta)
            yield ThreadItemUpdatedEvent(
                item_id=msg.id,
                update=AssistantMessageContentPartTextDelta(content_index=0, delta=delta),
            )
        msg.content = [AssistantMessageContent(text="".join(parts))]
        yield ThreadItemDoneEvent(item=msg)


def big_item(thread_id, i, at):
    \"\"\"Item i of the big thread: user message, assistant message, widget, task, in turn.\"\"\"
    common = dict(id=f"big-{{i:04d}}", thread_id=thread_id, created_at=at)
    kind = i % 4
    if kind == 0:
        return UserMessageItem(
            content=[UserMessageTextContent(text=f"Question {{i}}: how do the sales look?")],
            inference_options=InferenceOptions(), **common,
        )
    if kind == 1:
        text = (
            f"## Answer {{i}}\\n\\nSales rose **{{i % 17}}%** in the quarter. "
            "The main drivers were:\\n\\n- new customers\\n- fewer returns\\n- `price_v2`\\n\\n"
            "| region | change |\\n|---|---|\\n| north | +3% |\\n| south | -1% |\\n"
        )
        return AssistantMessageItem(content=[AssistantMessageContent(text=text)], **common)
    if kind == 2:
        return WidgetItem(widget=DynamicWidgetRoot.model_validate({{
            "type": "Card", "children": [
                {{"type": "Row", "children": [
                    {{"type": "Title", "value": f"Report {{i}}", "size": "sm"}},
                    {{"type": "Spacer"}},
                    {{"type": "Badge", "label": "ready", "color": "success"}},
                ]}},
                {{"type": "Text", "value": "Quarterly numbers by region", "color": "secondary"}},
                {{"type": "Divider"}},
                {{"type": "Row", "children": [
                    {{"type": "Button", "label": "Open", "onClickAction": {{"type": "open", "payload": {{"i": i}}}}}},
                    {{"type": "Button", "label": "Share", "variant": "outline"}},
                ]}},
            ]}}), **common)
    return TaskItem(task=CustomTask(title=f"Looked up table {{i}}", content="Read 1,204 rows."), **common)


async def populate(server):
    store = server.store
    start = datetime(2024, 1, 1)
    big = ThreadMetadata(id="thr_big", title={big_title!r}, created_at=start)
    await store.save_thread(big, {{}})
    for i in range(ITEMS):
        await store.add_thread_item(big.id, big_item(big.id, i, start + timedelta(seconds=i)), {{}})


server = BenchServer()
await populate(server)
w = ChatKitWidget(server, renderer="lite", height=800, options={{"composer": {{"placeholder": {composer!r}}}}})
w
"""

# Installed before any page script: records when bytes reach the bridge, long tasks, and the
# moment the user acts (Enter in the composer, a click on a history row).
INIT_JS = """
(() => {
  const b = (window.__bench = { recording: false, chunks: [], closes: [], jsonAt: [], longtasks: [],
    actedAt: null, domAt: null, paintAt: null });
  const enqueue = ReadableStreamDefaultController.prototype.enqueue;
  const decoder = new TextDecoder();
  ReadableStreamDefaultController.prototype.enqueue = function (chunk) {
    if (b.recording) {
      const at = performance.now();
      b.chunks.push([at, chunk?.byteLength ?? 0]);
      // The bridge hands over whole SSE events, so a token never straddles two chunks.
      if (b.token && b.tokenAt === null && chunk instanceof Uint8Array && decoder.decode(chunk).includes(b.token)) b.tokenAt = at;
    }
    return enqueue.call(this, chunk);
  };
  const close = ReadableStreamDefaultController.prototype.close;
  ReadableStreamDefaultController.prototype.close = function () {
    if (b.recording) b.closes.push(performance.now());
    return close.call(this);
  };
  // The bridge answers JSON requests with `new Response(bytes)` as the reply arrives.
  window.Response = new Proxy(window.Response, {
    construct(target, args) {
      if (b.recording && args[0] && !(args[0] instanceof ReadableStream)) b.jsonAt.push(performance.now());
      return Reflect.construct(target, args);
    },
  });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) b.longtasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask" });
  // Long animation frames: a frame's tasks plus its style, layout and paint.
  b.frames = [];
  b.frameDetails = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      b.frames.push([e.startTime, e.duration]);
      if (b.recording && e.duration > 50) b.frameDetails.push({
        start: e.startTime, duration: e.duration, blocking: e.blockingDuration,
        render: e.renderStart ? e.startTime + e.duration - e.renderStart : 0,
        styleAndLayout: e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0,
        scripts: e.scripts.map((s) => ({ invoker: s.invoker, fn: s.sourceFunctionName,
          url: (s.sourceURL || "").split("/").slice(-2).join("/"), duration: s.duration,
          layout: s.forcedStyleAndLayoutDuration })),
      });
    }
  }).observe({ type: "long-animation-frame" });
  document.addEventListener("keydown", (e) => {
    if (b.recording && b.actedAt === null && e.key === "Enter" && e.target.matches?.(".ckl-root textarea")) b.actedAt = performance.now();
  }, true);
  document.addEventListener("click", (e) => {
    if (b.recording && b.actedAt === null && e.target.closest?.(".ckl-thread-open")) b.actedAt = performance.now();
  }, true);
})();
"""

# Arms the recorder and a MutationObserver that notes when `token` first appears in the chat.
ARM_STREAM_JS = """
(token) => {
  const b = window.__bench;
  Object.assign(b, { recording: true, chunks: [], closes: [], jsonAt: [], longtasks: [], frames: [], frameDetails: [],
    actedAt: null, domAt: null, paintAt: null, token, tokenAt: null });
  const root = document.querySelector(".ckl-root");
  const mo = new MutationObserver((records) => {
    for (const r of records) {
      const nodes = r.type === "characterData" ? [r.target] : Array.from(r.addedNodes);
      if (nodes.some((n) => (n.textContent || "").includes(token))) {
        b.domAt = performance.now();
        requestAnimationFrame(() => (b.paintAt = performance.now()));
        mo.disconnect();
        return;
      }
    }
  });
  mo.observe(root, { subtree: true, childList: true, characterData: true });
}
"""

# Arms the recorder and a per-frame check for "the last item is painted in view and the
# composer takes input".
ARM_OPEN_JS = """
(lastId) => {
  const b = window.__bench;
  Object.assign(b, { recording: true, chunks: [], closes: [], jsonAt: [], longtasks: [], frames: [], frameDetails: [],
    actedAt: null, domAt: null, paintAt: null, firstAt: null });
  const root = document.querySelector(".ckl-root");
  const scroller = root.querySelector(".ckl-scroll");
  const composer = root.querySelector("textarea");
  const check = () => {
    const last = root.querySelector(`[data-item-id="${lastId}"]`);
    if (b.actedAt !== null && b.firstAt === null && root.querySelector('[data-item-id^="big-"]')) b.firstAt = performance.now();
    if (last && !composer.disabled) {
      const r = last.getBoundingClientRect();
      const v = scroller.getBoundingClientRect();
      if (r.height > 0 && r.bottom > v.top && r.top < v.bottom && last.innerText.trim() !== "") {
        b.domAt = performance.now();
        return;
      }
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}
"""


def calibrate(page: Any) -> None:
    """Makes sure the long-task observer reports here: an 80 ms busy loop must show up."""
    page.evaluate("() => { window.__bench.longtasks = []; }")
    # A task of the page's own (tasks run by DevTools' evaluate are not reported).
    page.evaluate(
        "() => setTimeout(() => { const t = performance.now(); while (performance.now() - t < 80); })"
    )
    page.wait_for_function("() => window.__bench.longtasks.some(([, d]) => d >= 80)", timeout=5_000)


def long_tasks(
    bench: dict[str, Any], start: float, end: float, kind: str = "longtasks"
) -> list[float]:
    """Durations of long tasks (or long animation frames) that overlap [start, end]."""
    return [d for s, d in bench[kind] if s + d >= start and s <= end]


def stream_run(page: Any, deltas: int) -> dict[str, float]:
    page.get_by_role("button", name="New chat").click()
    page.evaluate(ARM_STREAM_JS, f"w{deltas - 1:04d}")
    send(page, COMPOSER, "stream")
    page.wait_for_function("() => window.__bench.paintAt !== null", timeout=300_000)
    page.wait_for_timeout(500)  # long-task entries are reported after the task ends
    b = page.evaluate("() => window.__bench")
    page.evaluate("() => (window.__bench.recording = false)")
    t0 = b["actedAt"]
    arrival = b["tokenAt"] - t0  # the last delta reached the bridge
    dom = b["domAt"] - t0
    tasks = long_tasks(b, t0, b["domAt"])
    return {
        "messages": len(b["chunks"]),
        "mbytes": sum(n for _, n in b["chunks"]) / 1e6,
        "arrival_ms": arrival,
        "end_ms": max(t for t, _ in b["chunks"]) - t0,
        "dom_ms": dom,
        "paint_ms": b["paintAt"] - t0,
        "ratio": dom / arrival,
        "max_task_ms": max(tasks, default=0.0),
        "tasks_over_50": sum(1 for d in tasks if d > LONG_TASK_MS),
        "max_frame_ms": max(long_tasks(b, t0, b["domAt"], "frames"), default=0.0),
        "slow_frames": [
            f
            for f in b["frameDetails"]
            if f["start"] + f["duration"] >= t0 and f["start"] <= b["domAt"]
        ],
    }


def open_run(page: Any, items: int) -> dict[str, float]:
    page.get_by_role("button", name="New chat").click()
    expect(page.locator('.ckl-root [data-item-id^="big-"]')).to_have_count(0)
    page.get_by_role("button", name="History").click()
    row = page.get_by_role("button", name=re.compile(f"^{BIG_TITLE}"))
    expect(row).to_be_visible(timeout=30_000)
    page.evaluate(ARM_OPEN_JS, f"big-{items - 1:04d}")
    row.click()
    page.wait_for_function("() => window.__bench.domAt !== null", timeout=300_000)
    page.wait_for_timeout(500)
    b = page.evaluate("() => window.__bench")
    page.evaluate("() => (window.__bench.recording = false)")
    t0 = b["actedAt"]
    arrival = max(b["jsonAt"]) - t0
    usable = b["domAt"] - t0
    tasks = long_tasks(b, t0, b["domAt"])
    shown = page.locator('.ckl-root [data-item-id^="big-"]').count()
    return {
        "requests": len(b["jsonAt"]),
        "items_shown": shown,
        "arrival_ms": arrival,
        "first_item_ms": (b["firstAt"] or b["domAt"]) - t0,
        "usable_ms": usable,
        "ratio": usable / arrival,
        "max_task_ms": max(tasks, default=0.0),
        "tasks_over_50": sum(1 for d in tasks if d > LONG_TASK_MS),
        "max_frame_ms": max(long_tasks(b, t0, b["domAt"], "frames"), default=0.0),
        "slow_frames": [
            f
            for f in b["frameDetails"]
            if f["start"] + f["duration"] >= t0 and f["start"] <= b["domAt"]
        ],
    }


def table(title: str, runs: list[dict[str, float]], columns: list[str]) -> None:
    print(f"\n{title}")
    widths = [max(len(c), 9) for c in columns]
    print("run     " + "  ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    rows = [(str(i + 1), r) for i, r in enumerate(runs)]
    median = {c: statistics.median(r[c] for r in runs) for c in columns}
    for label, r in [*rows, ("median", median)]:
        cells = []
        for c, w in zip(columns, widths, strict=True):
            v = r[c]
            cells.append(
                f"{v:>{w}.2f}" if isinstance(v, float) and not v.is_integer() else f"{v:>{w}.0f}"
            )
        print(f"{label:<8}" + "  ".join(cells))


def verdict(name: str, ok: bool, detail: str) -> None:
    print(f"  {'MET ' if ok else 'MISSED'}  {name}: {detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deltas", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--explain", action="store_true", help="print the scripts of every frame over 50 ms"
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-lite-"))
    (tmp / "root").mkdir()
    (tmp / "home").mkdir()
    cell = SERVER_CELL.format(
        deltas=args.deltas, items=args.items, big_title=BIG_TITLE, composer=COMPOSER
    )
    with running_lab(tmp / "root", tmp / "home") as lab, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.add_init_script(INIT_JS)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        name = lab.write_notebook("bench_lite.ipynb", [cell])
        open_notebook(page, lab, name)
        run_all_cells(page)
        expect(page.get_by_role("textbox", name=COMPOSER)).to_be_visible(timeout=120_000)
        version = browser.version
        calibrate(page)

        streams = [stream_run(page, args.deltas) for _ in range(args.runs)]
        opens = [open_run(page, args.items) for _ in range(args.runs)]
        browser.close()

    print(f"chatkit-jupyter lite renderer, Chromium {version}, JupyterLab in {tmp}")
    table(
        f"(a) {args.deltas:,} text deltas at full speed (times from Enter, ms)",
        streams,
        [
            "messages",
            "mbytes",
            "arrival_ms",
            "end_ms",
            "dom_ms",
            "paint_ms",
            "ratio",
            "max_task_ms",
            "tasks_over_50",
            "max_frame_ms",
        ],
    )
    worst_task = max(r["max_task_ms"] for r in streams)
    worst_ratio = max(r["ratio"] for r in streams)
    verdict(
        f"no main-thread task over {LONG_TASK_MS} ms during the stream",
        worst_task <= LONG_TASK_MS,
        f"longest {worst_task:.0f} ms, {sum(r['tasks_over_50'] for r in streams)} over {LONG_TASK_MS} ms in {len(streams)} runs",
    )
    verdict(
        f"render done within {RATIO_TARGET}x of arrival",
        worst_ratio <= RATIO_TARGET,
        f"median {statistics.median(r['ratio'] for r in streams):.2f}x, worst {worst_ratio:.2f}x",
    )
    table(
        f"(b) opening a thread of {args.items:,} items from the history panel (times from the click, ms)",
        opens,
        [
            "requests",
            "items_shown",
            "arrival_ms",
            "first_item_ms",
            "usable_ms",
            "ratio",
            "max_task_ms",
            "tasks_over_50",
            "max_frame_ms",
        ],
    )
    worst_task = max(r["max_task_ms"] for r in opens)
    verdict(
        "every item on screen",
        all(r["items_shown"] == args.items for r in opens),
        f"{[int(r['items_shown']) for r in opens]}",
    )
    verdict(
        f"no main-thread task over {LONG_TASK_MS} ms while opening",
        worst_task <= LONG_TASK_MS,
        f"longest {worst_task:.0f} ms",
    )
    verdict(
        f"usable within {RATIO_TARGET}x of arrival",
        max(r["ratio"] for r in opens) <= RATIO_TARGET,
        f"median {statistics.median(r['ratio'] for r in opens):.2f}x",
    )
    if args.explain:
        for label, runs in (("stream", streams), ("open", opens)):
            for i, r in enumerate(runs, 1):
                for f in r["slow_frames"]:
                    print(
                        f"\n{label} run {i}: frame {f['duration']:.0f} ms (render {f['render']:.0f}, style+layout {f['styleAndLayout']:.0f})"
                    )
                    for sc in sorted(f["scripts"], key=lambda x: -x["duration"])[:6]:
                        print(
                            f"    {sc['duration']:5.0f} ms  forced layout {sc['layout']:4.0f}  {sc['invoker']}  {sc['fn']}  {sc['url']}"
                        )
    for r in streams + opens:
        r.pop("slow_frames", None)
    if errors:
        print("\npage errors:\n" + "\n".join(errors))
    print("\nraw:", json.dumps({"stream": streams, "open": opens}))


if __name__ == "__main__":
    main()
