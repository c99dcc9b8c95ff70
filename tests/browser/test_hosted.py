"""The hosted-component path: ``<openai-chatkit>`` loaded from a CDN URL, fed our options.

OpenAI's CDN is unreachable here, so a stand-in element (static/fake-chatkit.js) is served from
127.0.0.1 in its place, with a stand-in for OpenAI's ChatKit sessions endpoint beside it.
"""

from __future__ import annotations

import json
import pathlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import Lab, notebook, open_notebook, run_all_cells

pytestmark = pytest.mark.browser
STATIC = pathlib.Path(__file__).parent / "static"


class StandIn:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.sessions: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    state: StandIn

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            # /slow/x.js: the headers at once, the body after a pause longer than the answer wait.
            slow = self.path.startswith("/slow/")
            path = STATIC / self.path.removeprefix("/slow").lstrip("/")
            if not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if slow:
                self.wfile.flush()
                time.sleep(2.5)
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.sessions.append(
                {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
            )
            data = json.dumps(
                {
                    "id": "cksess_1",
                    "object": "chatkit.session",
                    "client_secret": "ek_stand_in_secret",
                    "expires_at": 2000000000,
                    "max_requests_per_1_minute": 10,
                    "status": "active",
                    "user": body["user"],
                    "workflow": {
                        "id": body["workflow"]["id"],
                        "state_variables": None,
                        "tracing": {"enabled": True},
                        "version": None,
                    },
                    "chatkit_configuration": {
                        "automatic_thread_titling": {"enabled": True},
                        "file_upload": {"enabled": False, "max_file_size": None, "max_files": None},
                        "history": {"enabled": True, "recent_threads": None},
                    },
                    "rate_limits": {"max_requests_per_1_minute": 10},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = StandIn(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()


def test_hosted_component_gets_our_api_and_secrets_stay_in_the_kernel(
    lab: Lab, page: Any, stand_in: StandIn
) -> None:
    cdn = f"{stand_in.url}/fake-chatkit.js"
    name = lab.write_notebook(
        "hosted.ipynb",
        [
            "from chatkit_jupyter import ChatKitWidget, NotebookServer, SQLiteStore\n"
            f"ChatKitWidget(NotebookServer(store=SQLiteStore(':memory:')), renderer='chatkit', cdn_url={cdn!r}, height=200)",
            "from openai import AsyncOpenAI\n"
            f"client = AsyncOpenAI(base_url={stand_in.url + '/v1'!r}, api_key='sk-kernel-only-key')\n"
            f"ChatKitWidget.for_workflow('wf_stand_in', user='ada', client=client, cdn_url={cdn!r}, height=200)",
        ],
    )
    open_notebook(page, lab, name)
    run_all_cells(page)
    cells = notebook(page).locator(".jp-CodeCell")

    first = cells.nth(0)
    first.get_by_role("button", name="List threads through the kernel").click()
    expect(first.get_by_role("status", name="Stand-in result")).to_have_text(
        "status 200, 0 threads, domainKey local-dev", timeout=30_000
    )

    second = cells.nth(1)
    second.get_by_role("button", name="Get client secret").click()
    expect(second.get_by_role("status", name="Stand-in result")).to_have_text(
        "secret ek_stand_in_secret", timeout=30_000
    )
    (session,) = stand_in.sessions
    assert session["body"] == {"user": "ada", "workflow": {"id": "wf_stand_in"}}
    assert session["headers"]["authorization"] == "Bearer sk-kernel-only-key"
    assert session["headers"]["openai-beta"] == "chatkit_beta=v1"
    assert "sk-kernel-only-key" not in second.locator(".jp-OutputArea").inner_html()


def test_chatkit_renderer_shows_why_and_never_falls_back(lab: Lab, page: Any) -> None:
    # A fresh page: <openai-chatkit> is defined per page, and here nothing can define it.
    name = lab.write_notebook(
        "hosted_missing.ipynb",
        [
            "from chatkit_jupyter import ChatKitWidget, NotebookServer, SQLiteStore\n"
            "ChatKitWidget(NotebookServer(store=SQLiteStore(':memory:')), renderer='chatkit', "
            "cdn_url='http://127.0.0.1:9/missing.js', height=200)",
        ],
    )
    open_notebook(page, lab, name)
    run_all_cells(page)
    output = notebook(page).locator(".jp-OutputArea").first
    expect(output.get_by_role("alert")).to_contain_text(
        re.compile(
            "Hosted ChatKit could not load: the script http://127.0.0.1:9/missing.js could not be loaded"
        ),
        timeout=30_000,
    )
    expect(output.get_by_role("alert")).to_contain_text('renderer="lite"')
    expect(output.get_by_role("textbox")).to_have_count(0)


def test_auto_falls_back_soon_from_a_silent_cdn_and_waits_for_a_slow_one(
    lab: Lab, page: Any, stand_in: StandIn
) -> None:
    # A port that takes connections and never answers: a CDN behind a dropping firewall.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    try:
        name = lab.write_notebook(
            "hosted_silent.ipynb",
            [
                "from chatkit_jupyter import ChatKitWidget, NotebookServer, SQLiteStore\n"
                "server = NotebookServer(store=SQLiteStore(':memory:'))\n"
                "ChatKitWidget(server, renderer='auto', load_timeout=30, height=200, "
                f"cdn_url='http://127.0.0.1:{port}/chatkit.js', options={{'composer': {{'placeholder': 'Silent CDN'}}}})",
                "ChatKitWidget(server, renderer='auto', load_timeout=30, height=200, "
                f"cdn_url='{stand_in.url}/slow/fake-chatkit.js')",
            ],
        )
        open_notebook(page, lab, name)
        cells = notebook(page).locator(".jp-CodeCell")
        cells.nth(0).click()
        page.keyboard.press("Shift+Enter")
        first = cells.nth(0)
        expect(first.get_by_text("Loading ChatKit")).to_be_visible(timeout=60_000)
        started = time.monotonic()
        # The lite renderer after the 1.5 s answer wait, not load_timeout's 30 s.
        expect(first.get_by_role("textbox", name="Silent CDN")).to_be_visible(timeout=10_000)
        assert time.monotonic() - started < 5
        expect(first.get_by_text(re.compile("the CDN did not answer within 1.5 s"))).to_be_visible()

        # A CDN that answers at once and sends the script slowly is waited for.
        second = cells.nth(1)
        second.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        expect(second.get_by_role("button", name="List threads through the kernel")).to_be_visible(
            timeout=30_000
        )
        expect(second.get_by_text(re.compile("could not load"))).to_have_count(0)
    finally:
        silent.close()
