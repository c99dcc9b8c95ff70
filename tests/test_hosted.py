"""``for_workflow``: the kernel mints ChatKit client secrets from OpenAI's sessions endpoint.

A real HTTP server on 127.0.0.1 stands in for OpenAI (``POST /v1/chatkit/sessions``); the front
end's ``client_secret`` calls come over the comm as the page sends them.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from openai import AsyncOpenAI, OpenAI

from chatkit_jupyter import ChatKitWidget
from chatkit_jupyter.bridge import _protocol as p
from chatkit_jupyter.widget import _chat

from .conftest import call

KEY = "sk-kernel-only-key-0123456789abcdef"


class Sessions:
    """OpenAI's sessions endpoint: answers each POST with the next scripted reply."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, bytes]] = []
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                state.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                status, data = state.replies.pop(0)
                if status == 0:  # never answers (until the test ends)
                    state.release.wait(5)
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def session(secret: Any = "ek_minted_secret") -> bytes:
    return json.dumps(
        {"id": "cksess_1", "object": "chatkit.session", "client_secret": secret, "status": "active"}
    ).encode()


def error(message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "invalid_request_error"}}).encode()


@pytest.fixture
def sessions() -> Iterator[Sessions]:
    stub = Sessions()
    stub.thread.start()
    yield stub
    stub.release.set()
    stub.server.shutdown()
    stub.server.server_close()


def workflow(sessions: Sessions, client: Any = None) -> ChatKitWidget:
    if client is None:
        client = AsyncOpenAI(base_url=sessions.base_url, api_key=KEY, max_retries=0)
    return ChatKitWidget.for_workflow("wf_1", user="ada", client=client)


def shown(w: ChatKitWidget, result: dict[str, Any]) -> str:
    """Everything the page and the notebook could see of the widget, as one string."""
    return json.dumps([result, w.get_state(), w.log, w.events, w.inspector_entries], default=str)


async def test_a_secret_is_minted_per_call_and_the_key_stays_in_the_kernel(
    sessions: Sessions,
) -> None:
    sessions.replies += [(200, session("ek_first")), (200, session("ek_second"))]
    w = workflow(sessions)
    first = await call(w, p.HOOK_CLIENT_SECRET, {"current": None})
    # The expired secret comes back with the refresh; a new session replaces it.
    second = await call(w, p.HOOK_CLIENT_SECRET, {"current": "ek_first"})
    assert (first["value"], second["value"]) == ("ek_first", "ek_second")
    assert [r["body"] for r in sessions.requests] == [
        {"user": "ada", "workflow": {"id": "wf_1"}}
    ] * 2
    assert sessions.requests[0]["path"] == "/v1/chatkit/sessions"
    assert sessions.requests[0]["headers"]["authorization"] == f"Bearer {KEY}"
    assert KEY not in shown(w, second)


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (
            401,
            error("Incorrect API key provided."),
            "OpenAI answered 401 (AuthenticationError): Incorrect API key provided. "
            "Check the API key (OPENAI_API_KEY",
        ),
        (404, error("Workflow 'wf_1' not found"), "Check the workflow id (wf_...)"),
        (500, error("The server had an error"), "OpenAI may be unavailable"),
        (200, b"{not json", "JSONDecodeError from OpenAI: Expecting property name"),
    ],
)
async def test_a_refused_secret_says_why_and_what_to_do(
    sessions: Sessions, status: int, body: bytes, says: str
) -> None:
    sessions.replies.append((status, body))
    w = workflow(sessions)
    result = await call(w, p.HOOK_CLIENT_SECRET, {"current": None})
    assert not result["ok"]
    assert result["message"].startswith(
        "RuntimeError: Could not get a client secret for workflow 'wf_1': "
    )
    assert says in result["message"]
    assert "<redacted>" not in result["message"]  # the status is shown, not hidden as a secret
    assert w.log[-1]["source"] == "for_workflow"
    assert KEY not in shown(w, result)


async def test_an_answer_without_a_secret_is_an_error_not_the_string_none(
    sessions: Sessions,
) -> None:
    sessions.replies.append((200, json.dumps({"id": "cksess_1"}).encode()))
    w = workflow(sessions)
    result = await call(w, p.HOOK_CLIENT_SECRET, {"current": None})
    assert result == {
        "kind": p.RESULT,
        "id": result["id"],
        "ok": False,
        "message": "RuntimeError: OpenAI answered without a client secret for workflow 'wf_1' "
        "(its client_secret is NoneType); is the client's base_url OpenAI's API?",
    }


async def test_a_silent_sessions_endpoint_is_given_up(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_chat, "SECRET_TIMEOUT", 0.2)
    sessions.replies.append((0, b""))
    w = workflow(sessions)
    result = await call(w, p.HOOK_CLIENT_SECRET, {"current": None})
    assert result["message"] == (
        "RuntimeError: OpenAI did not give a client secret for workflow 'wf_1' within 0.2 s. "
        "Check the network (and the client's base_url), then reload the chat."
    )


async def test_a_sync_client_runs_off_the_kernels_loop(sessions: Sessions) -> None:
    sessions.replies.append((200, session()))
    client = OpenAI(base_url=sessions.base_url, api_key=KEY, max_retries=0)
    w = workflow(sessions, client)
    loop_thread = threading.get_ident()
    threads: list[int] = []
    original = client.beta.chatkit.sessions.create

    def create(**kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return original(**kwargs)

    client.beta.chatkit.sessions.create = create  # type: ignore[method-assign]
    result = await call(w, p.HOOK_CLIENT_SECRET, {"current": None})
    assert result["value"] == "ek_minted_secret"
    (thread,) = threads
    assert thread != loop_thread


async def test_the_default_client_is_made_once_from_the_environment(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", sessions.base_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    w = ChatKitWidget.for_workflow("wf_1")
    missing = await call(w, p.HOOK_CLIENT_SECRET, {"current": None})
    assert "OPENAI_API_KEY" in missing["message"]
    monkeypatch.setenv("OPENAI_API_KEY", KEY)  # set after the widget was made: still used
    sessions.replies += [(200, session("ek_a")), (200, session("ek_b"))]
    made: list[AsyncOpenAI] = []

    def make() -> AsyncOpenAI:
        made.append(AsyncOpenAI(max_retries=0))
        return made[-1]

    monkeypatch.setattr("openai.AsyncOpenAI", make)
    assert (await call(w, p.HOOK_CLIENT_SECRET, {"current": None}))["value"] == "ek_a"
    assert (await call(w, p.HOOK_CLIENT_SECRET, {"current": "ek_a"}))["value"] == "ek_b"
    assert len(made) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("",), "for_workflow() needs workflow_id as a non-empty str, not '' (the workflow's id"),
        ((None,), "for_workflow() needs workflow_id as a non-empty str, not None"),
        (("wf_1", " "), "for_workflow() needs user as a non-empty str, not ' '."),
    ],
)
def test_a_workflow_id_or_user_that_cannot_work_is_refused_at_once(
    args: tuple[Any, ...], message: str
) -> None:
    workflow_id, *user = args
    with pytest.raises(ValueError, match=re.escape(message)):
        ChatKitWidget.for_workflow(workflow_id, **({"user": user[0]} if user else {}))
