"""A small, real OpenAI-compatible HTTP server for tests: ``POST /v1/chat/completions``.

It listens on 127.0.0.1 (a free port), answers each request with the next scripted reply as a
stream of ``chat.completion.chunk`` SSE events ending in ``data: [DONE]`` (as OpenAI, Ollama
and vLLM do), and records every request it received so a test can assert on what a model would
have seen. Runs in a thread with the standard library's ``http.server``.

Example::

    with OpenAIStub([tool_call_reply("list_variables", {}), text_reply("Hi")]) as stub:
        os.environ["OPENAI_BASE_URL"] = stub.base_url
        ...
        assert stub.requests[1]["body"]["messages"][-1]["role"] == "tool"
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Chunk = dict[str, Any]
"""The ``delta`` and ``finish_reason`` of one streamed choice."""


def text_reply(text: str, *, pieces: int = 3) -> list[Chunk]:
    """A reply that streams ``text`` in a few pieces and stops."""
    size = max(1, -(-len(text) // pieces))
    chunks: list[Chunk] = [{"delta": {"role": "assistant", "content": ""}}]
    chunks += [{"delta": {"content": text[i : i + size]}} for i in range(0, len(text), size)]
    chunks.append({"delta": {}, "finish_reason": "stop"})
    return chunks


def tool_call_reply(
    name: str, arguments: dict[str, Any], *, call_id: str = "call_1"
) -> list[Chunk]:
    """A reply that streams one function call (its arguments in two pieces) and stops."""
    args = json.dumps(arguments)
    half = len(args) // 2
    return [
        {"delta": {"role": "assistant", "content": None}},
        {
            "delta": {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": name, "arguments": args[:half]},
                    }
                ]
            }
        },
        {"delta": {"tool_calls": [{"index": 0, "function": {"arguments": args[half:]}}]}},
        {"delta": {}, "finish_reason": "tool_calls"},
    ]


def error_reply(status: int, message: str) -> list[Chunk]:
    """A reply that is an HTTP error with OpenAI's JSON body, instead of a stream."""
    return [{"status": status, "message": message}]


RAW: str = "raw"
"""A chunk ``{"raw": "..."}`` is sent as that SSE data as is (a malformed event)."""
PAUSE: str = "pause"
"""A chunk ``{"pause": seconds}`` sends nothing for that long (a server that stalls)."""
CUT: Chunk = {"cut": True}
"""A chunk that ends the reply there: the connection closes before the promised body is sent
(a server that crashed or a proxy that gave up mid-reply)."""


class OpenAIStub:
    """The server. Use as a context manager, or call ``start()`` and ``stop()``.

    Args:
        replies: One scripted reply per expected request, in order.
    """

    def __init__(self, replies: list[list[Chunk]], *, chunk_delay: float = 0.0) -> None:
        self.replies = list(replies)
        self.chunk_delay = chunk_delay
        """Seconds between streamed chunks (a slow model, to stop mid-reply)."""
        self.requests: list[dict[str, Any]] = []
        """What arrived: ``{"path", "headers", "body"}`` per request, in order; a request whose
        client hung up before the reply was complete also gets ``"aborted": True``."""
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # A short poll: `stop` waits for the loop to see it (0.5 s per test by default).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """What to set ``OPENAI_BASE_URL`` to."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> OpenAIStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_reply(self, record: dict[str, Any]) -> list[Chunk] | None:
        with self._lock:
            self.requests.append(record)
            return self.replies.pop(0) if self.replies else None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0: the connection closes after each response, which ends the SSE stream.
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                record = {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
                if self.path.rstrip("/") != "/v1/chat/completions":
                    stub._next_reply(record)
                    self._json(404, {"error": {"message": f"no route {self.path}"}})
                    return
                reply = stub._next_reply(record)
                if reply is None:
                    self._json(500, {"error": {"message": "the stub's script is exhausted"}})
                    return
                if reply and "status" in reply[0]:
                    self._json(reply[0]["status"], {"error": {"message": reply[0]["message"]}})
                    return
                if not body.get("stream"):
                    self._json(400, {"error": {"message": "the stub only streams"}})
                    return
                frames = [
                    b"data: " + data.encode() + b"\n\n"
                    for data in _frames(reply, body.get("model", "stub-model"))
                ]
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                if CUT in reply:
                    # More than will come, so the client knows the reply was cut short.
                    self.send_header("Content-Length", str(sum(map(len, frames)) + 1000))
                    frames = frames[: reply.index(CUT)]
                self.end_headers()
                try:
                    for i, frame in enumerate(frames):
                        if i < len(reply) and PAUSE in reply[i]:
                            time.sleep(reply[i][PAUSE])
                            continue
                        self.wfile.write(frame)
                        self.wfile.flush()
                        if stub.chunk_delay:
                            time.sleep(stub.chunk_delay)
                except (BrokenPipeError, ConnectionResetError):
                    record["aborted"] = True

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _frames(reply: list[Chunk], model: str) -> Iterator[str]:
    for chunk in reply:
        if RAW in chunk:
            yield chunk[RAW]
            continue
        if chunk is CUT or PAUSE in chunk:
            yield ""  # keeps the index of the chunk; never sent
            continue
        yield json.dumps(
            {
                "id": "chatcmpl-stub",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "delta": chunk["delta"],
                        "finish_reason": chunk.get("finish_reason"),
                    }
                ],
            }
        )
    yield json.dumps(
        {
            "id": "chatcmpl-stub",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )
    yield "[DONE]"
