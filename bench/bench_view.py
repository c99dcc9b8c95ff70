"""Benchmark ``WidgetView`` redraws in real JupyterLab and headless Chromium.

Run: ``python bench/bench_view.py [--rows 200] [--runs 5] [--rates 10,20,30,60,120]``

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
    when no task went over 50 ms and the last state showed within 250 ms.
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
"""

UPDATE = 'k += 1\nview.update(rows(f"u{k}"))'
FRESH = 'k += 1\nshow(rows(f"s{k}"))'
DRIVE = "await drive({rate}, {seconds})"

INIT_JS = """
window.__bench = { longtasks: [], keyAt: null };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__bench.longtasks.push([e.startTime, e.duration]);
}).observe({ type: "longtask", buffered: true });
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && e.shiftKey) window.__bench.keyAt = performance.now();
}, true);
"""

# Resolves with the time at which row `rows - 1` of the first or last view shows `marker`.
WAIT_ROW_JS = """
([marker, rows, which]) => new Promise((resolve, reject) => {
  const giveUp = performance.now() + 120000;
  const check = () => {
    if (performance.now() > giveUp) return reject(new Error(`no ${marker} in row ${rows - 1}`));
    const all = document.querySelectorAll(`.ckw-view [data-ckw-path="/kr${rows - 1}"]`);
    const last = which === "first" ? all[0] : all[all.length - 1];
    if (last && last.textContent.includes(marker)) resolve(performance.now());
    else requestAnimationFrame(check);
  };
  check();
})
"""

# Counts the distinct ticks the page applied to the first view's "Tick" line.
COUNT_TICKS_JS = """
() => {
  const tick = document.querySelector('.ckw-view [data-ckw-path="/ktick"]');
  const seen = new Set();
  const observer = new MutationObserver(() => seen.add(tick.textContent));
  observer.observe(tick, { characterData: true, childList: true, subtree: true });
  window.__ticks = { seen, observer, start: performance.now() };
}
"""


def run_cell(page: Any, index: int) -> None:
    cell = notebook(page).locator(".jp-CodeCell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")


def timed(page: Any, index: int, marker: str, rows: int) -> float:
    page.evaluate("() => { window.__bench.keyAt = null; }")
    run_cell(page, index)
    # The view updated in place is the first on the page; a fresh one is the last.
    done = page.evaluate(WAIT_ROW_JS, [marker, rows, "first" if index == 1 else "last"])
    return float(done - page.evaluate("() => window.__bench.keyAt"))


def rate_run(page: Any, index: int, rate: int, seconds: float) -> dict[str, float]:
    page.evaluate("() => { window.__bench.longtasks = []; window.__bench.keyAt = null; }")
    page.evaluate(COUNT_TICKS_JS)
    t0 = page.evaluate("() => performance.now()")
    run_cell(page, index)
    sent = int(rate * seconds)
    shown = page.evaluate(WAIT_ROW_JS, [f"rate{rate} {sent}", 1, "first"])  # row 0: the last update
    key_at = page.evaluate("() => window.__bench.keyAt")
    page.wait_for_timeout(300)  # long-task entries are reported after the task ends
    end = page.evaluate("() => performance.now()")
    applied = page.evaluate(
        "() => { window.__ticks.observer.disconnect(); return window.__ticks.seen.size; }"
    )
    tasks = [
        d for s, d in page.evaluate("() => window.__bench.longtasks") if s + d >= t0 and s <= end
    ]
    late = shown - key_at - seconds * 1000
    return {
        "rate": rate,
        "sent": sent,
        "applied": applied,
        "late_ms": late,
        "max_task_ms": max(tasks, default=0.0),
        "tasks_over_50": sum(1 for d in tasks if d > LONG_TASK_MS),
        "held": late <= 250 and not any(d > LONG_TASK_MS for d in tasks),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rates", default="10,20,30,60,120")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]

    tmp = Path(tempfile.mkdtemp(prefix="bench-view-"))
    (tmp / "root").mkdir()
    (tmp / "home").mkdir()
    cells = [SETUP.format(rows=args.rows), UPDATE, FRESH] + [
        DRIVE.format(rate=r, seconds=args.seconds) for r in rates
    ]
    with running_lab(tmp / "root", tmp / "home") as lab, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.add_init_script(INIT_JS)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        open_notebook(page, lab, lab.write_notebook("bench_view.ipynb", cells))
        run_cell(page, 0)
        expect(page.locator(".ckw-view").first).to_contain_text("Row 0 init", timeout=120_000)
        version = browser.version

        k = 0
        updates, fresh = [], []
        for _ in range(args.runs + 1):  # the first pair warms up (bundle load, JIT)
            k += 1
            updates.append(timed(page, 1, f"Row {args.rows - 1} u{k}", args.rows))
            k += 1
            fresh.append(timed(page, 2, f"Row {args.rows - 1} s{k}", args.rows))
        updates, fresh = updates[1:], fresh[1:]
        held = [rate_run(page, 3 + i, r, args.seconds) for i, r in enumerate(rates)]
        browser.close()

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"chatkit-jupyter WidgetView, Chromium {version}, {args.rows}-row ListView")
    print(
        f"load average at the end: {load} on {os.cpu_count()} CPUs (other work slows every number)"
    )
    print("\n(a) from Shift+Enter to the last row showing the new text (ms)")
    print(f"{'run':<8}{'update':>10}{'fresh show':>12}{'ratio':>8}")
    for i, (u, f) in enumerate(zip(updates, fresh, strict=True)):
        print(f"{i + 1:<8}{u:>10.1f}{f:>12.1f}{u / f:>8.2f}")
    mu, mf = statistics.median(updates), statistics.median(fresh)
    print(f"{'median':<8}{mu:>10.1f}{mf:>12.1f}{mu / mf:>8.2f}")
    print(f"\n(b) updates of all {args.rows} rows at a fixed rate for {args.seconds:g} s")
    print(
        f"{'rate/s':>7}{'sent':>7}{'drawn':>7}{'late ms':>9}{'max task ms':>13}{'tasks>50':>10}  held"
    )
    for r in held:
        print(
            f"{r['rate']:>7}{r['sent']:>7}{r['applied']:>7}{r['late_ms']:>9.0f}"
            f"{r['max_task_ms']:>13.0f}{r['tasks_over_50']:>10}  {'yes' if r['held'] else 'no'}"
        )
    best = max((r["rate"] for r in held if r["held"]), default=0)
    print(f"\nHighest rate held without a task over {LONG_TASK_MS} ms: {best}/s")
    if errors:
        print("page errors:", *errors, sep="\n  ")


if __name__ == "__main__":
    main()
