"""marimo: the chat works there too, and the notebook tools see the app's variables.

marimo has no IPython (``get_ipython()`` is ``None``); the tools read the globals its cells
share. ``tests/marimo_app.py`` runs under a headless ``marimo run`` and is opened in Chromium.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import REPO, _free_port

APP = REPO / "tests" / "marimo_app.py"


@pytest.fixture(scope="module")
def marimo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("marimo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    # marimo's own config and state go to the throwaway folder, not the user's.
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    port = _free_port()
    log = home / "marimo.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "marimo", "run", str(APP)),
                *("--headless", "--no-token", "--host", "127.0.0.1", "--port", str(port)),
            ],
            cwd=home,  # the chat's store (.chatkit/) is made here
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_serving(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_until_serving(url: str, proc: subprocess.Popen[bytes], log: pathlib.Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"marimo exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"marimo did not serve {url}:\n{log.read_text()}")


def test_vars_lists_the_apps_variables(page: Any, marimo_app: str) -> None:
    page.goto(marimo_app)
    composer = page.get_by_role("textbox", name="Message the AI")
    composer.click(timeout=30_000)
    composer.fill("/vars")
    send = page.get_by_role("button", name="Send message")
    expect(send).to_be_enabled(timeout=15_000)
    # marimo draws each anywidget in a shadow root, where the page's <head> styles do not reach.
    expect(send).to_have_css("border-radius", "999px")
    composer.press("Enter")

    reply = page.get_by_text("Those are the 4 variables in your notebook.")
    expect(reply).to_be_visible(timeout=20_000)
    for name in ("chat", "region_names", "sales", "threshold"):
        expect(page.get_by_text(name, exact=True)).to_be_visible()
    # The card's row (the tool-call task above it shows the tool's output too).
    expect(page.get_by_text("length 3 · [120.5, 98.0, 143.25]")).to_be_visible()
