"""Benchmark ``WidgetView`` redraws in real JupyterLab and headless Chromium.

Run: ``python bench/bench_view.py [--rows 200] [--runs 5] [--rates 10,20,30,60,120]
[--card-rates 30,60]``

(a) Redraw versus a fresh view. A 200-row ``ListView`` (keyed rows: an icon, a title, a caption and
    a badge each) is shown with ``show``. One cell calls ``view.update`` with every row's text
    changed; another cell ``show``s the same widget anew. Each is timed from Shift+Enter to the
    moment the last row shows the new text (checked every animation frame), so both include the
    kernel's share; the ratio update/show is what the in-place morph saves or costs.

(b) Updates per second held. A background loop in the kernel updates the same 200-row list (every
    row changes, the worst case for a morph) at a fixed rate for a few seconds. A PerformanceObserver
    for "longtask" entries records every main-thread task over 50 ms; a MutationObserver counts the
    states the page drew (updates faster than the screen are drawn once per frame, newest first);
    `late_ms` is how long after the loop's planned end the last state was on screen. A rate is held
    when no task went over 50 ms and the last state showed within 250 ms. `kept` says whether the
    keyed elements watched (the tick line, the first and last rows) are the same DOM nodes after the
    run as before, and no element with a component path was removed meanwhile (a re-mount).

(c) A typical card, live. A Card of 24 components (a header row with an icon, a title and a status
    badge, a step line, a progress bar made of two Boxes, three stat columns, a caption and a
    button; every one keyed) updated at 30 and 60/s, the step, bar, stats and caption changing
    each time, from (1) a plain loop with ``time.sleep`` in a cell (the kernel busy throughout) and
    (2) an asyncio task started by a cell that returns at once. Measured as in (b), side by side
    with the 200-row list at the same rate; "no flicker" means `kept`: the card, its title, step
    line, bar and button are the nodes they were, and nothing was re-mounted. A control run gives
    every element but the step line a new key on each update: its nodes must come out lost and
    re-mounted, or the watch is blind. (a) also times a card update against a fresh card ``show``,
    beside the list's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

# Run from a checkout without installing; an installed or PYTHONPATH copy wins.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, notebook, open_notebook, running_lab

LONG_TASK_MS = 50

SETUP = """
import asyncio, time
from chatkit_jupyter import show

ROWS = {rows}

def rows(tag, n=0):
    return {{"type": "ListView", "children": [{{"type": "Text", "key": "tick", "value": f"Tick {{n}} {{tag}}"}}] + [
        {{"type": "ListViewItem", "key": f"r{{i}}", "gap": 3, "onClickAction": {{"type": "pick", "payload": {{"i": i}}}},
         "children": [
            {{"type": "Icon", "name": "sparkle", "color": "blue-500"}},
            {{"type": "Col", "children": [
                {{"type": "Text", "value": f"Row {{i}} {{tag}} {{n}}", "weight": "semibold", "size": "sm"}},
                {{"type": "Caption", "value": f"detail {{i * n}}"}},
            ]}},
            {{"type": "Spacer"}},
            {{"type": "Badge", "label": f"{{(i + n) % 10}}", "color": "info"}},
         ]}}
        for i in range(ROWS)
    ]}}

view = show(rows("init"))
k = 0

async def drive(rate, seconds):
    n = int(rate * seconds)
    start = time.perf_counter()
    for i in range(1, n + 1):
        view.update(rows(f"rate{{rate}}", i))
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
    return n

def card(tag, n=0, total=1, salt=""):
    pct = round(100 * n / max(total, 1))
    stat = lambda key, label, value: {{"type": "Col", "key": key + salt, "gap": 0, "children": [
        {{"type": "Caption", "key": "l" + salt, "value": label}},
        {{"type": "Text", "key": "v" + salt, "value": value, "weight": "semibold"}},
    ]}}
    return {{"type": "Card", "size": "md", "children": [
        {{"type": "Row", "key": "head" + salt, "gap": 2, "children": [
            {{"type": "Icon", "key": "icon" + salt, "name": "sparkle", "color": "blue-500"}},
            {{"type": "Title", "key": "title" + salt, "value": "Training run", "size": "sm"}},
            {{"type": "Spacer", "key": "sp" + salt}},
            {{"type": "Badge", "key": "status" + salt, "label": "done" if n >= total else "running",
             "color": "success" if n >= total else "info"}},
        ]}},
        {{"type": "Text", "key": "tick", "value": f"{{tag}} step {{n}}", "size": "sm"}},
        {{"type": "Box", "key": "bar" + salt, "height": 8, "radius": "full", "background": "gray-200", "children": [
            {{"type": "Box", "key": "fill" + salt, "height": 8, "radius": "full", "background": "blue-500",
             "width": f"{{pct}}%"}},
        ]}},
        {{"type": "Row", "key": "stats" + salt, "justify": "between", "children": [
            stat("loss", "loss", f"{{1 / (1 + n):.4f}}"),
            stat("acc", "accuracy", f"{{pct * 0.97:.1f}} %"),
            stat("eta", "eta", f"{{max(total - n, 0) / 30:.1f}} s"),
        ]}},
        {{"type": "Divider", "key": "div" + salt}},
        {{"type": "Row", "key": "foot" + salt, "children": [
            {{"type": "Caption", "key": "at" + salt, "value": f"updated {{time.strftime('%H:%M:%S')}} #{{n}}"}},
            {{"type": "Spacer", "key": "sp" + salt}},
            {{"type": "Button", "key": "stop" + salt, "label": "Stop", "size": "sm", "variant": "outline",
             "onClickAction": {{"type": "stop"}}}},
        ]}},
    ]}}

def card_loop(rate, seconds, rekey=False):
    n = int(rate * seconds)
    start = time.perf_counter()
    for i in range(1, n + 1):
        cview.update(card(f"{{'rekey' if rekey else 'loop'}}{{rate}}", i, n, str(i) if rekey else ""))
        time.sleep(max(0.0, start + i / rate - time.perf_counter()))
    return n

async def card_drive(rate, seconds):
    n = int(rate * seconds)
    start = time.perf_counter()
    for i in range(1, n + 1):
        cview.update(card(f"task{{rate}}", i, n))
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
    return n

tasks = set()

def card_task(rate, seconds):
    task = asyncio.create_task(card_drive(rate, seconds))
    tasks.add(task)
    task.add_done_callback(tasks.discard)
"""

UPDATE = 'k += 1\nview.update(rows(f"u{k}"))'
FRESH = 'k += 1\nshow(rows(f"s{k}"))'
DRIVE = "await drive({rate}, {seconds})"
CARD_SHOW = 'cview = show(card("init"))'
CARD_UPDATE = 'k += 1\ncview.update(card(f"u{k}"))'
CARD_FRESH = 'k += 1\nshow(card(f"s{k}"))'
CARD_LOOP = "card_loop({rate}, {seconds})"
CARD_TASK = "card_task({rate}, {seconds})"
CARD_REKEY = "card_loop({rate}, {seconds}, rekey=True)"

# Cells of the notebook, in order; the rate cells follow.
C_SETUP, C_UPDATE, C_FRESH, C_CARD, C_CARD_UPDATE, C_CARD_FRESH, C_RATES = range(7)
LIST_WATCH = ["/ktick", "/kr0", "/kr{last}"]
CARD_WATCH = ["", "/ktick", "/khead/ktitle", "/kbar/kfill", "/kfoot/kstop"]

INIT_JS = """
window.__bench = { longtasks: [], keyAt: null };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__bench.longtasks.push([e.startTime, e.duration]);
}).observe({ type: "longtask", buffered: true });
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && e.shiftKey) window.__bench.keyAt = performance.now();
}, true);
"""

# The view in the notebook's cell `cell` (JupyterLab keeps every cell in the DOM).
VIEW_JS = """
const viewIn = (cell) =>
  document.querySelectorAll(".jp-Notebook .jp-CodeCell")[cell]?.querySelector(".ckw-view");
"""

# Resolves with the time at which the element at `path` of the view in `cell` shows `marker`.
WAIT_JS = (
    """
([marker, cell, path]) => new Promise((resolve, reject) => {"""
    + VIEW_JS
    + """
  const giveUp = performance.now() + 120000;
  const check = () => {
    if (performance.now() > giveUp) return reject(new Error(`no ${marker} at ${path}`));
    const el = viewIn(cell)?.querySelector(`[data-ckw-path="${path}"]`);
    if (el && el.textContent.includes(marker)) resolve(performance.now());
    else requestAnimationFrame(check);
  };
  check();
})
"""
)

# Counts the distinct ticks the page applied to the view's "tick" line, and watches the keyed
# elements at `paths`: the same nodes at the end, and no element with a path removed meanwhile.
WATCH_JS = (
    """
([cell, paths]) => {"""
    + VIEW_JS
    + """
  const view = viewIn(cell);
  const tick = view.querySelector('[data-ckw-path="/ktick"]');
  const seen = new Set();
  const counter = new MutationObserver(() => seen.add(tick.textContent));
  counter.observe(tick, { characterData: true, childList: true, subtree: true });
  let removed = 0;
  const remounts = new MutationObserver((records) => {
    for (const r of records) for (const n of r.removedNodes) {
      if (n.nodeType !== 1) continue;
      removed += (n.hasAttribute("data-ckw-path") ? 1 : 0) + n.querySelectorAll("[data-ckw-path]").length;
    }
  });
  remounts.observe(view, { childList: true, subtree: true });
  const find = (p) => view.querySelector(`[data-ckw-path="${p}"]`);
  const nodes = paths.map(find);
  window.__watch = () => {
    counter.disconnect();
    remounts.disconnect();
    const same = nodes.filter((n, i) => n !== null && n.isConnected && n === find(paths[i])).length;
    return { drawn: seen.size, same, watched: paths.length, removed };
  };
}
"""
)

# How many components the view in `cell` draws.
COMPONENTS_JS = (
    "(cell) => {" + VIEW_JS + 'return viewIn(cell).querySelectorAll("[data-ckw-path]").length; }'
)


def run_cell(page: Any, index: int) -> None:
    cell = notebook(page).locator(".jp-CodeCell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")


def timed(page: Any, index: int, marker: str, view_cell: int, path: str) -> float:
    page.evaluate("() => { window.__bench.keyAt = null; }")
    run_cell(page, index)
    done = page.evaluate(WAIT_JS, [marker, view_cell, path])
    return float(done - page.evaluate("() => window.__bench.keyAt"))


def rate_run(
    page: Any,
    index: int,
    rate: int,
    seconds: float,
    view_cell: int,
    watch: list[str],
    marker: str,
    marker_path: str,
) -> dict[str, Any]:
    page.evaluate("() => { window.__bench.longtasks = []; window.__bench.keyAt = null; }")
    page.evaluate(WATCH_JS, [view_cell, watch])
    t0 = page.evaluate("() => performance.now()")
    run_cell(page, index)
    sent = int(rate * seconds)
    shown = page.evaluate(WAIT_JS, [f"{marker} {sent}", view_cell, marker_path])  # the last update
    key_at = page.evaluate("() => window.__bench.keyAt")
    page.wait_for_timeout(300)  # long-task entries are reported after the task ends
    end = page.evaluate("() => performance.now()")
    watched = page.evaluate("() => window.__watch()")
    tasks = [
        d for s, d in page.evaluate("() => window.__bench.longtasks") if s + d >= t0 and s <= end
    ]
    late = shown - key_at - seconds * 1000
    return {
        "rate": rate,
        "sent": sent,
        "applied": watched["drawn"],
        "late_ms": late,
        "max_task_ms": max(tasks, default=0.0),
        "tasks_over_50": sum(1 for d in tasks if d > LONG_TASK_MS),
        "held": late <= 250 and not any(d > LONG_TASK_MS for d in tasks),
        "kept": watched["same"] == watched["watched"] and watched["removed"] == 0,
        "same": f"{watched['same']}/{watched['watched']}",
        "removed": watched["removed"],
    }


def rate_row(label: str, r: dict[str, Any]) -> str:
    return (
        f"{label:<12}{r['rate']:>7}{r['sent']:>6}{r['applied']:>7}{r['applied'] / r['sent']:>7.2f}"
        f"{r['late_ms']:>9.0f}{r['max_task_ms']:>10.0f}{r['tasks_over_50']:>10}"
        f"{r['same']:>8}{r['removed']:>9}  {'yes' if r['held'] else 'no':<5}"
        f"{'yes' if r['kept'] else 'NO'}"
    )


RATE_HEAD = (
    f"{'source':<12}{'rate/s':>7}{'sent':>6}{'drawn':>7}{'d/sent':>7}{'late ms':>9}"
    f"{'max task':>10}{'tasks>50':>10}{'same':>8}{'removed':>9}  held  kept"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rates", default="10,20,30,60,120")
    parser.add_argument("--card-rates", default="30,60")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    card_rates = [int(r) for r in args.card_rates.split(",")]
    last_row = f"/kr{args.rows - 1}"
    list_watch = [p.format(last=args.rows - 1) for p in LIST_WATCH]

    tmp = Path(tempfile.mkdtemp(prefix="bench-view-"))
    (tmp / "root").mkdir()
    (tmp / "home").mkdir()
    cells = [SETUP.format(rows=args.rows), UPDATE, FRESH, CARD_SHOW, CARD_UPDATE, CARD_FRESH]
    cells += [DRIVE.format(rate=r, seconds=args.seconds) for r in rates]
    cells += [CARD_LOOP.format(rate=r, seconds=args.seconds) for r in card_rates]
    cells += [CARD_TASK.format(rate=r, seconds=args.seconds) for r in card_rates]
    cells += [CARD_REKEY.format(rate=card_rates[0], seconds=args.seconds)]
    c_loop = C_RATES + len(rates)
    c_task = c_loop + len(card_rates)
    with running_lab(tmp / "root", tmp / "home") as lab, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.add_init_script(INIT_JS)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        open_notebook(page, lab, lab.write_notebook("bench_view.ipynb", cells))
        run_cell(page, C_SETUP)
        expect(page.locator(".ckw-view").first).to_contain_text("Row 0 init", timeout=120_000)
        run_cell(page, C_CARD)
        page.evaluate(WAIT_JS, ["init step 0", C_CARD, "/ktick"])
        components = page.evaluate(COMPONENTS_JS, C_CARD)
        version = browser.version

        k = 0
        updates, fresh, card_updates, card_fresh = [], [], [], []
        row = f"Row {args.rows - 1}"
        for _ in range(args.runs + 1):  # the first round warms up (bundle load, JIT)
            k += 1
            updates.append(timed(page, C_UPDATE, f"{row} u{k}", C_SETUP, last_row))
            k += 1
            fresh.append(timed(page, C_FRESH, f"{row} s{k}", C_FRESH, last_row))
            k += 1
            card_updates.append(timed(page, C_CARD_UPDATE, f"u{k} step", C_CARD, "/ktick"))
            k += 1
            card_fresh.append(timed(page, C_CARD_FRESH, f"s{k} step", C_CARD_FRESH, "/ktick"))
        updates, fresh = updates[1:], fresh[1:]
        card_updates, card_fresh = card_updates[1:], card_fresh[1:]
        held = [
            rate_run(page, C_RATES + i, r, args.seconds, C_SETUP, list_watch, f"rate{r}", "/kr0")
            for i, r in enumerate(rates)
        ]
        loop = [
            rate_run(
                page, c_loop + i, r, args.seconds, C_CARD, CARD_WATCH, f"loop{r} step", "/ktick"
            )
            for i, r in enumerate(card_rates)
        ]
        task = [
            rate_run(
                page, c_task + i, r, args.seconds, C_CARD, CARD_WATCH, f"task{r} step", "/ktick"
            )
            for i, r in enumerate(card_rates)
        ]
        # The control: new keys each update must show up as re-mounted, lost nodes.
        rate = card_rates[0]
        rekeyed = rate_run(
            page,
            c_task + len(card_rates),
            rate,
            args.seconds,
            C_CARD,
            CARD_WATCH,
            f"rekey{rate} step",
            "/ktick",
        )
        browser.close()

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"chatkit-jupyter WidgetView, Chromium {version}, {args.rows}-row ListView, "
        f"{components}-component Card"
    )
    print(
        f"load average at the end: {load} on {os.cpu_count()} CPUs (other work slows every number)"
    )
    print("\n(a) from Shift+Enter to the new text on screen (ms); ratio = update / fresh show")
    print(
        f"{'':<8}{'list update':>12}{'fresh show':>12}{'ratio':>7}"
        f"{'card update':>13}{'fresh show':>12}{'ratio':>7}{'card/list':>11}"
    )
    rounds = zip(updates, fresh, card_updates, card_fresh, strict=True)
    for i, (u, f, cu, cf) in enumerate(rounds):
        print(f"{i + 1:<8}{u:>12.1f}{f:>12.1f}{u / f:>7.2f}{cu:>13.1f}{cf:>12.1f}{cu / cf:>7.2f}")
    mu, mf = statistics.median(updates), statistics.median(fresh)
    mcu, mcf = statistics.median(card_updates), statistics.median(card_fresh)
    print(
        f"{'median':<8}{mu:>12.1f}{mf:>12.1f}{mu / mf:>7.2f}"
        f"{mcu:>13.1f}{mcf:>12.1f}{mcu / mcf:>7.2f}{mcu / mu:>11.2f}"
    )
    print(f"\n(b) updates of all {args.rows} rows at a fixed rate for {args.seconds:g} s")
    print("(same = watched keyed nodes still the same; removed = elements re-mounted)")
    print(RATE_HEAD)
    for r in held:
        print(rate_row("list await", r))
    best = max((r["rate"] for r in held if r["held"]), default=0)
    print(f"\nHighest rate held without a task over {LONG_TASK_MS} ms: {best}/s")

    print(
        f"\n(c) the {components}-component card updated from a loop and from a task for {args.seconds:g} s, "
        f"beside the {args.rows}-row list"
    )
    print(RATE_HEAD)
    by_rate = {r["rate"]: r for r in held}
    for i, rate in enumerate(card_rates):
        if rate in by_rate:
            print(rate_row("list await", by_rate[rate]))
        print(rate_row("card loop", loop[i]))
        print(rate_row("card task", task[i]))
    print(rate_row("card rekeyed", rekeyed))
    print(
        "(card rekeyed: the control, every key but the step line's new on each update; "
        "its nodes must be lost)"
    )
    runs = loop + task
    ok = [r for r in runs if r["held"] and r["kept"]]
    drawn = min(r["applied"] / r["sent"] for r in runs)
    print(
        f"\nCard runs with no task over {LONG_TASK_MS} ms and every keyed node kept: "
        f"{len(ok)} of {len(runs)}; at least {drawn:.0%} of the updates drawn "
        "(the view draws once a frame, newest state: two arriving in one frame draw once)"
    )
    if errors:
        print("page errors:", *errors, sep="\n  ")


if __name__ == "__main__":
    main()
