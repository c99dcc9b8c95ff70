"""Real JupyterLab in headless Chromium, driven the way a person would use it.

Recipe from shared/notes/bridge-facts.md: Debian's chromium through Python playwright, a
JupyterLab server on a free port with throwaway config/data/runtime dirs.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

REPO = pathlib.Path(__file__).parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    # Without the background-networking flags Chromium keeps dialling hosts this closed
    # network refuses (shared/notes/bridge-facts.md).
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "tests" / "artifacts"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Lab:
    """A running JupyterLab server with a folder of notebooks."""

    def __init__(
        self,
        root: pathlib.Path,
        port: int,
        token: str,
        proc: subprocess.Popen[bytes],
        log: pathlib.Path,
    ) -> None:
        self.root = root
        self.port = port
        self.token = token
        self.proc = proc
        self.log = log

    def url(self, path: str, query: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}?{query}token={self.token}"

    def write_notebook(self, name: str, cells: list[str]) -> str:
        nb = {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "id": uuid.uuid4().hex[:8],
                    "metadata": {},
                    "outputs": [],
                    "source": src,
                }
                for src in cells
            ],
            "metadata": {
                "kernelspec": {
                    "display_name": "Python 3 (ipykernel)",
                    "language": "python",
                    "name": "python3",
                }
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (self.root / name).write_text(json.dumps(nb))
        return name


@contextlib.contextmanager
def running_lab(root: pathlib.Path, home: pathlib.Path) -> Iterator[Lab]:
    """JupyterLab as the `lab` fixture in conftest.py starts it, for scripts outside pytest."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
    )
    port, token = _free_port(), uuid.uuid4().hex
    log = home / "lab.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=",
            "--ServerApp.disable_check_xsrf=True",
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        cwd=root,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2
                )
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"JupyterLab did not start:\n{log.read_text()[-3000:]}"
                    ) from None
                time.sleep(0.2)
        yield Lab(root, port, token, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("lab-root")
    for nb in (REPO / "notebooks").glob("*.ipynb"):
        shutil.copy(nb, root / nb.name)
    with running_lab(root, tmp_path_factory.mktemp("lab-home")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope: Playwright's sync API keeps an event loop running in this thread while it
    # is open, which would break the asyncio tests that run after the browser tests.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.console_errors = errors  # type: ignore[attr-defined]
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=False)
    except Exception:  # a screenshot is a debugging aid; never fail the test on it
        pass
    context.close()


def open_notebook(page: Any, lab: Lab, name: str) -> None:
    """Open a notebook and wait until it shows."""
    # `reset`: start from an empty workspace, not the tabs an earlier test left open.
    page.goto(lab.url(f"lab/tree/{name}", "reset&"))
    notebook(page).wait_for(timeout=60_000)
    # The kernel starts on its own; should Jupyter ask anyway, accept its suggestion.
    dialog = page.get_by_role("dialog").filter(has_text="Select Kernel")
    try:
        dialog.get_by_role("button", name="Select Kernel").click(timeout=1500)
    except Exception:  # no dialog: nothing to answer
        pass
    wait_for_kernel(page)


def wait_for_kernel(page: Any) -> None:
    """Wait until the notebook's kernel is connected and idle (cells run at once, then)."""
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(
        state="attached", timeout=60_000
    )


def notebook(page: Any) -> Any:
    """The notebook on screen (other tabs may exist, hidden)."""
    return page.locator(".jp-Notebook:visible").first


def run_all_cells(page: Any) -> None:
    """Run > Run All Cells, through the menu bar as a person would."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def send(page: Any, composer_name: str, text: str) -> None:
    """Type a message and press Enter once the chat can take it, as a person would."""
    composer = page.get_by_role("textbox", name=composer_name)
    composer.click()
    composer.fill(text)
    chat = composer.locator("xpath=ancestor::*[contains(@class, 'ckl-root')][1]")
    # While a reply is still streaming the Stop button stands where Send will be.
    expect(chat.get_by_role("button", name="Send message")).to_be_enabled(timeout=30_000)
    composer.press("Enter")
