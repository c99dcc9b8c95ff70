"""Benchmark the time to a usable chat, in real JupyterLab and headless Chromium.

Run: ``python bench/bench_start.py [--runs 5]``

From Shift+Enter on a ``%chatkit`` cell to a focused composer that takes text: a fresh browser
page and a fresh kernel each run (``%load_ext chatkit_jupyter`` runs first, untimed), so every
run loads the page's code from the kernel as a first chat in a notebook does. Three variants:

- ``lite``: ``%chatkit --renderer lite``, the baseline; the hosted component is never loaded.
- ``auto, CDN fails``: ``%chatkit`` (``renderer="auto"``) with every request for the hosted
  component's script refused at once (offline, blocked), so the chat falls back to lite.
- ``auto, CDN silent``: the same with a CDN that never answers (a firewall that drops packets).

The clock starts on the Shift+Enter keydown and stops on the first animation frame in which the
composer exists, is enabled and takes focus; the bench then types into it and checks the text
landed. Prints every run, the medians, the ratio of each to ``lite`` in the same run, and whether
``auto`` with a failing CDN is within 1.2x of ``lite``. Also prints the page's code sizes.
"""

from __future__ import annotations

import argparse
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
    notebook,
    open_notebook,
    running_lab,
    wait_for_kernel,
)

COMPOSER = "Bench composer"
CDN = re.compile(r"^https://cdn\.platform\.openai\.com/")
RATIO_TARGET = 1.2
VARIANTS = {
    "lite": ("lite", "fail"),
    "auto, CDN fails": ("auto", "fail"),
    "auto, CDN silent": ("auto", "silent"),
}

ARM_JS = """
() => {
  window.__start = null;
  window.__shown = null;
  window.__drawn = null;
  const cell = document.querySelectorAll(".jp-Notebook:not(.lm-mod-hidden) .jp-Cell")[1];
  const watch = () => {
    // The kernel displayed the widget (its output appeared), then our code drew its root.
    if (window.__shown === null && cell.querySelector(".jp-OutputArea-output")) window.__shown = performance.now();
    if (window.__drawn === null && cell.querySelector(".ckj-root")) window.__drawn = performance.now();
    if (window.__drawn === null) requestAnimationFrame(watch);
  };
  window.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.shiftKey && window.__start === null) {
      window.__start = performance.now();
      requestAnimationFrame(watch);
    }
  }, true);
}
"""

USABLE_JS = """
(name) => {
  const el = document.querySelector(`textarea[aria-label="${name}"], textarea[placeholder="${name}"]`);
  if (!el || el.disabled || el.readOnly || !el.getClientRects().length) return false;
  el.focus();
  if (document.activeElement !== el) return false;
  window.__usable = performance.now();
  return true;
}
"""


def one_run(browser: Any, lab: Any, index: int, renderer: str, cdn: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    cdn_requests: list[str] = []

    def route(r: Any) -> None:
        cdn_requests.append(r.request.url)
        if cdn == "fail":
            r.abort("internetdisconnected")
        # "silent": neither answered nor refused; the request stays open until the page closes.

    page.route(CDN, route)
    try:
        name = lab.write_notebook(
            f"start_{index}.ipynb",
            [
                "%load_ext chatkit_jupyter",
                f'%chatkit --renderer {renderer} --placeholder "{COMPOSER}"',
            ],
        )
        open_notebook(page, lab, name)
        cells = notebook(page).locator(".jp-Cell")
        cells.nth(0).click()
        page.keyboard.press("Shift+Enter")
        wait_for_kernel(page)
        page.wait_for_timeout(300)
        page.evaluate(ARM_JS)
        cells.nth(1).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        page.wait_for_function(USABLE_JS, arg=COMPOSER, polling="raf", timeout=60_000)
        t = page.evaluate(
            "() => ({start: __start, shown: __shown ?? __drawn, drawn: __drawn, usable: __usable})"
        )
        composer = page.get_by_role("textbox", name=COMPOSER)
        composer.press_sequentially("hi")
        expect(composer).to_have_value("hi")
        if renderer == "auto":
            assert cdn_requests, "auto never asked the CDN"
        return {
            "total": t["usable"] - t["start"],
            "kernel": t["shown"] - t["start"],
            "page": t["usable"] - t["shown"],
        }
    finally:
        # The silent route's pending requests would otherwise be reported as destroyed tasks.
        page.unroute_all(behavior="ignoreErrors")
        context.close()


def code_sizes() -> dict[str, int]:
    from importlib.resources import files

    static = Path(str(files("chatkit_jupyter") / "static"))
    return {
        p.name: p.stat().st_size
        for p in sorted(static.glob("*.js"))
        if p.name in {"widget.js", "view.js", "loader.js", "markdown.js"}
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-start-"))
    (tmp / "root").mkdir()
    (tmp / "home").mkdir()
    runs: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    with running_lab(tmp / "root", tmp / "home") as lab, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        version = browser.version
        # One warm-up (Lab's own assets into the browser cache), then the variants in turn.
        one_run(browser, lab, 0, "lite", "fail")
        n = 1
        for _ in range(args.runs):
            for variant, (renderer, cdn) in VARIANTS.items():
                runs[variant].append(one_run(browser, lab, n, renderer, cdn))
                n += 1
        browser.close()

    print(f"chatkit-jupyter time to a usable chat, Chromium {version}, JupyterLab in {tmp}")
    print("page code: " + ", ".join(f"{k} {v / 1000:.1f} kB" for k, v in code_sizes().items()))
    for part, title in [
        ("total", "from Shift+Enter on %chatkit to a focused composer"),
        ("kernel", "of which: until the kernel's output shows in the cell"),
        ("page", "of which: from the output to a focused composer (the page's share)"),
    ]:
        print(f"\n{title} (ms)")
        print(f"{'run':<8}" + "  ".join(f"{v:>17}" for v in VARIANTS))
        for i in range(args.runs):
            print(f"{i + 1:<8}" + "  ".join(f"{runs[v][i][part]:>17.0f}" for v in VARIANTS))
        median = {v: statistics.median(r[part] for r in runs[v]) for v in VARIANTS}
        print(f"{'median':<8}" + "  ".join(f"{median[v]:>17.0f}" for v in VARIANTS))
        base = median["lite"]
        print(f"{'ratio':<8}" + "  ".join(f"{median[v] / base:>16.2f}x" for v in VARIANTS))
        if part == "total":
            ratio = median["auto, CDN fails"] / base
            ok = ratio <= RATIO_TARGET
            print(
                f"  {'MET ' if ok else 'MISSED'}  auto with a failing CDN within {RATIO_TARGET}x "
                f"of lite: {ratio:.2f}x ({median['auto, CDN fails']:.0f} ms vs {base:.0f} ms)"
            )


if __name__ == "__main__":
    main()
