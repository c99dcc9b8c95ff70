"""Static output in Chromium. Exported pages with the network cut off: ``--to chatkit`` draws
each WidgetView's last state from the saved widget state; plain HTML without state shows the
inert copy. And real JupyterLab with "Save Widget State Automatically" on: a notebook reopened
on a fresh kernel shows the last state without re-running, and says it is not connected."""

from __future__ import annotations

import json
import pathlib
import re
import time
import urllib.request
from typing import Any

import nbformat
import pytest
from nbconvert.exporters import HTMLExporter as PlainHTMLExporter
from playwright.sync_api import expect

from chatkit_jupyter.export import HTMLExporter
from tests.static_notebook import CELLS, FIRST_TITLE, LAST_TITLE, XSS, executed_notebook

from .conftest import Lab, notebook, open_notebook, run_all_cells

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return executed_notebook(tmp_path_factory.mktemp("static-browser"))


def open_offline(page: Any, html: str, folder: pathlib.Path) -> list[str]:
    """Open ``html`` from a file with every http(s) request refused; returns the refused URLs."""
    refused: list[str] = []

    def refuse(route: Any) -> None:
        refused.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^https?://"), refuse)
    path = folder / "page.html"
    path.write_text(html, encoding="utf-8")
    page.goto(path.as_uri())
    return refused


def test_chatkit_export_shows_the_last_state_offline(
    page: Any, executed: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    body, _ = HTMLExporter().from_filename(str(executed))
    refused = open_offline(page, body, tmp_path)

    expect(page.get_by_role("heading", name=LAST_TITLE)).to_be_visible(timeout=10_000)
    expect(page.get_by_role("heading", name=FIRST_TITLE)).to_have_count(0)
    expect(page.get_by_text(XSS, exact=True)).to_be_visible()
    assert page.evaluate("window.__xss") is None
    # Drawn by our script, not by html-manager (whose CDN loads were refused).
    assert page.locator(".chatkit-static-view .ckw-view").count() == 1
    assert any("html-manager" in url or "require" in url for url in refused)
    # lucide:rocket is not in view.js: its node came in the saved state (the `icons` trait).
    rocket = page.locator('.ckw-view svg[data-icon="lucide:rocket"] path').first
    expect(rocket).to_have_attribute("d", "M12 15v5s3.03-.55 4-2c1.08-1.62 0-5 0-5")
    # Markdown needs markdown.js, loaded on demand from its Code model in the saved state.
    expect(page.locator(".ckw-view strong")).to_have_text("in bold")

    # No kernel behind the page: an action says so instead of doing nothing.
    page.get_by_role("button", name="Refresh").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Not connected to a kernel: run the cell again", timeout=5_000
    )
    assert page.console_errors == []


def test_plain_html_without_widget_state_shows_the_inert_copy(
    page: Any, executed: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    nb = nbformat.read(executed, as_version=4)
    del nb.metadata["widgets"]
    body, _ = PlainHTMLExporter().from_notebook_node(nb)
    open_offline(page, body, tmp_path)

    # The copy is the widget as displayed (before the updates), script-free.
    expect(page.get_by_text(FIRST_TITLE, exact=True)).to_be_visible(timeout=10_000)
    expect(page.get_by_text(XSS, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Refresh")).to_be_disabled()
    assert page.evaluate("window.__xss") is None
    assert page.console_errors == []


def _api(lab: Lab, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(lab.url(path), data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
    return json.loads(text) if text else None


SAVE_STATE = "lab/api/settings/@jupyter-widgets/jupyterlab-manager:plugin"


@pytest.fixture
def save_widget_state(lab: Lab) -> Any:
    """Settings > Save Widget State Automatically, on for this test only."""
    _api(lab, "PUT", SAVE_STATE, {"raw": '{"saveState": true}'})
    yield
    _api(lab, "PUT", SAVE_STATE, {"raw": "{}"})


def test_lab_reopened_on_a_new_kernel_shows_the_last_state(
    lab: Lab, page: Any, save_widget_state: None
) -> None:
    name = lab.write_notebook("static_output.ipynb", CELLS)
    open_notebook(page, lab, name)
    run_all_cells(page)
    view = notebook(page).locator(".ckw-view")
    expect(view.get_by_role("heading", name=LAST_TITLE)).to_be_visible(timeout=30_000)
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 10
    while LAST_TITLE not in json.dumps(
        json.loads((lab.root / name).read_text())["metadata"].get("widgets", {})
    ):
        assert time.monotonic() < deadline, "JupyterLab did not save the widget state"
        page.wait_for_timeout(200)

    # A fresh kernel, nothing re-run: the view comes back from the saved state, without a comm.
    for session in _api(lab, "GET", "api/sessions"):
        if session["path"].endswith(name):
            _api(lab, "DELETE", f"api/sessions/{session['id']}")
    open_notebook(page, lab, name)
    expect(view.get_by_role("heading", name=LAST_TITLE)).to_be_visible(timeout=30_000)
    expect(view.get_by_role("heading", name=FIRST_TITLE)).to_have_count(0)
    # The code, markdown part included, came from the saved state too (one Code model each).
    expect(view.locator("strong")).to_have_text("in bold")
    view.get_by_role("button", name="Refresh").click()
    expect(view.get_by_role("alert")).to_have_text(
        "Not connected to a kernel: run the cell again", timeout=5_000
    )

    # Run again: a live view, whose actions reach the kernel (no handler: nothing to show).
    run_all_cells(page)
    live = notebook(page).locator(".ckw-view")
    expect(live.get_by_role("heading", name=LAST_TITLE)).to_be_visible(timeout=30_000)
    live.get_by_role("button", name="Refresh").click()
    page.wait_for_timeout(2_000)
    expect(live.get_by_role("alert")).to_be_hidden()
