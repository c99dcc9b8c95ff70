"""The hosted-component path: ``<openai-chatkit>`` loaded from a CDN URL, fed our options.

OpenAI's CDN is unreachable here, so a stand-in element (static/fake-chatkit.js) is served from
127.0.0.1 in its place, with a stand-in for OpenAI's ChatKit sessions endpoint beside it.
"""

from __future__ import annotations

import json
import pathlib
import re
import threading
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
            path = STATIC / self.path.lstrip("/")
            if not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
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
