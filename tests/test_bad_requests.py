"""Bad ChatKit requests: each gets a 4xx that says what was wrong and what to do, never silence
or a 500, and the next message still works.

A corpus of malformed bodies, out-of-range numbers, wrong types and oversized text, sent through
a real ``ChatKitWidget`` (fake comm, real bridge) to a ChatKit server on a real SQLite file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chatkit_jupyter import ChatKitWidget, FileAttachmentStore, SQLiteStore
from chatkit_jupyter.bridge import _protocol as p

from .conftest import Client, ScriptedServer, user_message

DEEP = 100_000


@pytest.fixture
def chat(fake_comm: Any, tmp_path: Path) -> Any:
    store = SQLiteStore(tmp_path / "chatkit.db")
    server = ScriptedServer(store)
    server.attachment_store = FileAttachmentStore(tmp_path / "files", store=store)
    widget = ChatKitWidget(server)
    yield widget, Client(widget, fake_comm())
    widget.close()
    store.close()


async def refused(chat: Any, body: bytes | str) -> dict[str, Any]:
    """Send one request; assert it got an error status below 500; then a message must work."""
    widget, client = chat
    rid = client.request(body)
    await widget.wait_idle()
    messages = client.messages(rid)
    assert messages, "the request got no answer at all"
    head = messages[0][0]
    assert head["kind"] == p.ERROR, head
    assert 400 <= head["status"] < 500, head
    assert head["message"].strip(), head
    await next_message_works(chat)
    return dict(head)


async def next_message_works(chat: Any) -> None:
    _widget, client = chat
    text, _ = await client.text(user_message("still there?"))
    assert text == "Hello, world"


def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


def req(type_: Any, **params: Any) -> str:
    return json.dumps({"type": type_, "params": params})


def new_thread(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "content": [{"type": "input_text", "text": text}],
            "attachments": [],
            "inference_options": {},
            **extra,
        }
    }


# -- not JSON, or not a request ------------------------------------------------------------------

MALFORMED = {
    "empty": b"",
    "spaces": b"   ",
    "truncated": b'{"type": "threads.list", "params": {',
    "not utf-8": b'{"type": "threads.list", "params": {"x": "\xff\xfe"}}',
    "utf-16": '{"type": "threads.list", "params": {}}'.encode("utf-16"),
    "null": b"null",
    "a list": b"[]",
    "a number": b"42",
    "a string": b'"threads.list"',
    "true": b"true",
    "no type": b'{"params": {}}',
    "trailing garbage": b'{"type": "threads.list", "params": {}} x',
    "NaN": b'{"type": "threads.list", "params": {"limit": NaN}}',
    "lone surrogate": b'{"type": "threads.create", "params": {"input": {"content": [{"type": '
    b'"input_text", "text": "\\ud800"}], "attachments": [], "inference_options": {}}}}',
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_body_that_is_not_a_request_is_refused(chat: Any, body: bytes) -> None:
    head = await refused(chat, body)
    assert head["status"] == 400


# -- nesting -------------------------------------------------------------------------------------

NESTED = {
    "1e5 lists": nested(DEEP),
    "1e5 objects": '{"a":' * DEEP + "1" + "}" * DEEP,
    "1e5 lists unclosed": "[" * DEEP,
    "1e5 in params": '{"type": "threads.list", "params": {"after": ' + nested(DEEP) + "}}",
    "1e5 in type": '{"type": ' + nested(DEEP) + ', "params": {}}',
    "1e5 in metadata": '{"type": "threads.list", "metadata": ' + nested(DEEP) + ', "params": {}}',
    "1e5 in text": json.dumps({"type": "threads.create", "params": new_thread()}).replace(
        '"hi"', nested(DEEP)
    ),
    "1e5 in action payload": (
        '{"type": "threads.custom_action", "params": {"thread_id": "thr_x", "item_id": null, '
        '"action": {"type": "x", "payload": ' + nested(DEEP) + "}}}"
    ),
    "5000 objects": '{"type": "threads.list", "params": {}, "metadata": '
    + '{"a":' * 5000
    + "1"
    + "}" * 5000
    + "}",
    "1000 lists": '{"type": "threads.list", "params": {}, "metadata": {"a": ' + nested(1000) + "}}",
    "65 lists": '{"type": "threads.list", "params": {}, "metadata": {"a": ' + nested(65) + "}}",
}


@pytest.mark.parametrize("body", NESTED.values(), ids=NESTED.keys())
async def test_deep_nesting_is_refused_with_the_depth_limit(chat: Any, body: str) -> None:
    head = await refused(chat, body)
    assert head["status"] == 400
    assert "nested" in head["message"]


async def test_ordinary_nesting_still_works(chat: Any) -> None:
    widget, client = chat
    body = '{"type": "threads.list", "params": {}, "metadata": {"a": ' + nested(20) + "}}"
    rid = client.request(body)
    await widget.wait_idle()
    assert client.body(rid)[0]["status"] == 200


# -- the request type ----------------------------------------------------------------------------

TYPES = {
    "a list": ["threads.list"],
    "an empty list": [],
    "a dict": {"name": "threads.list"},
    "an empty dict": {},
    "a number": 7,
    "a huge number": 2**70,
    "a float": 1.5,
    "null": None,
    "true": True,
    "unknown": "threads.explode",
    "empty": "",
    "with NUL": "threads.list\x00",
    "a megabyte": "x" * 1_000_000,
}


@pytest.mark.parametrize("type_", TYPES.values(), ids=TYPES.keys())
async def test_a_type_that_is_not_a_known_string_is_refused(chat: Any, type_: Any) -> None:
    head = await refused(chat, req(type_))
    assert head["status"] == 400
    assert "type" in head["message"]
    assert "threads.list" in head["message"]  # lists the known types
    assert len(head["message"]) < 3000


# -- numbers out of range ------------------------------------------------------------------------

LIMITS = {
    "2**70": 2**70,
    "-2**70": -(2**70),
    "2**63": 2**63,
    "2**64": 2**64,
    "10**400": 10**400,
    "-1": -1,
    "a list": [10],
    "a dict": {"n": 10},
    "a string": "ten",
    "a float": 1e308,
}


@pytest.mark.parametrize("limit", LIMITS.values(), ids=LIMITS.keys())
@pytest.mark.parametrize("type_", ["threads.list", "items.list"])
async def test_a_limit_out_of_range_is_refused(chat: Any, type_: str, limit: Any) -> None:
    params: dict[str, Any] = {"limit": limit}
    if type_ == "items.list":
        params["thread_id"] = "thr_x"
    head = await refused(chat, req(type_, **params))
    assert head["status"] == 400
    assert "limit" in head["message"]


async def test_a_limit_in_range_works(chat: Any) -> None:
    widget, client = chat
    rid = client.request(req("threads.list", limit=10_000))
    await widget.wait_idle()
    assert client.body(rid)[0]["status"] == 200


BIG_NUMBERS = {
    "declared size 2**70": req(
        "attachments.create", name="a.txt", size=2**70, mime_type="text/plain"
    ),
    "declared size -2**70": req(
        "attachments.create", name="a.txt", size=-(2**70), mime_type="text/plain"
    ),
    "thread id a number": req("threads.get_by_id", thread_id=2**70),
    "item id a list": req("items.list", thread_id=["thr_x"]),
    "after a dict": req("threads.list", after={"id": "x"}),
    "order 2**70": req("threads.list", order=2**70),
    "order unknown": req("threads.list", order="sideways"),
    "feedback ids a number": req(
        "items.feedback", thread_id="thr_x", item_ids=2**70, kind="positive"
    ),
    "title a dict": req("threads.update", thread_id="thr_x", title={"a": 1}),
    "params a list": json.dumps({"type": "threads.list", "params": [1, 2]}),
    "params a number": json.dumps({"type": "threads.list", "params": 2**70}),
    "params missing": json.dumps({"type": "threads.get_by_id"}),
}


@pytest.mark.parametrize("body", BIG_NUMBERS.values(), ids=BIG_NUMBERS.keys())
async def test_params_of_the_wrong_type_or_range_are_refused(chat: Any, body: str) -> None:
    head = await refused(chat, body)
    assert head["status"] == 400


# -- size limits ---------------------------------------------------------------------------------


async def test_a_too_long_message_names_the_limit_and_how_to_raise_it(chat: Any) -> None:
    widget, _ = chat
    limit = widget.max_message_chars
    assert limit == 100_000
    head = await refused(chat, user_message("x" * (limit + 1)))
    assert head["status"] == 400
    assert "100,000" in head["message"]
    assert "max_message_chars" in head["message"]


@pytest.mark.parametrize(
    "make_body",
    [
        lambda text: user_message(text),
        lambda text: user_message(text, "thr_x"),
        lambda text: req("threads.create", **new_thread("ok", quoted_text=text)),
        lambda text: json.dumps(
            {
                "type": "threads.create",
                "params": {
                    "input": {
                        "content": [{"type": "input_text", "text": text[:60_000]}] * 2,
                        "attachments": [],
                        "inference_options": {},
                    }
                },
            }
        ),
    ],
    ids=["new thread", "add to thread", "quoted text", "two parts"],
)
async def test_every_way_to_send_long_text_is_limited(chat: Any, make_body: Any) -> None:
    head = await refused(chat, make_body("y" * 100_001))
    assert head["status"] == 400
    assert "max_message_chars" in head["message"]


async def test_the_message_limit_can_be_changed(chat: Any) -> None:
    widget, client = chat
    widget.max_message_chars = 10
    rid = client.request(user_message("x" * 11))
    await widget.wait_idle()
    head, _ = client.body(rid)
    assert (head["status"], "at most 10 characters" in head["message"]) == (400, True)
    text, _ = await client.text(user_message("x" * 10))
    assert text == "Hello, world"
    with pytest.raises(ValueError, match="whole number"):
        widget.max_message_chars = -1
    widget.max_message_chars = None
    text, _ = await client.text(user_message("x" * 150_000))
    assert text == "Hello, world"


async def test_a_message_at_the_limit_is_accepted(chat: Any) -> None:
    widget, client = chat
    text, _ = await client.text(user_message("x" * widget.max_message_chars))
    assert text == "Hello, world"


# -- requests the server cannot serve --------------------------------------------------------------


@pytest.mark.parametrize("audio", ["abc", "!!!!", "a===", "\u00e9t\u00e9"])
async def test_audio_that_is_not_base64_is_refused(chat: Any, audio: str) -> None:
    body = req("input.transcribe", audio_base64=audio, mime_type="audio/webm")
    head = await refused(chat, body)
    assert head["status"] == 400
    assert "base64" in head["message"]


async def test_dictation_on_a_server_without_it_says_so(chat: Any) -> None:
    widget, client = chat
    rid = client.request(req("input.transcribe", audio_base64="AAAA", mime_type="audio/webm"))
    await widget.wait_idle()
    head, _ = client.body(rid)
    assert (head["kind"], head["status"]) == (p.ERROR, 501)
    assert "does not support" in head["message"]
    assert "dictation" in head["message"]
    await next_message_works(chat)


async def test_a_huge_id_is_not_echoed_back_whole(chat: Any) -> None:
    widget, client = chat
    rid = client.request(req("threads.get_by_id", thread_id="x" * 5_000_000))
    await widget.wait_idle()
    head, _ = client.body(rid)
    assert (head["kind"], head["status"]) == (p.ERROR, 404)
    assert len(head["message"]) < 400
    await next_message_works(chat)


STREAMED_MISSING = {
    "add to a missing thread": user_message("hi", "thr_nope"),
    "custom action": req(
        "threads.custom_action", thread_id="thr_nope", item_id=None, action={"type": "x"}
    ),
    "retry": req("threads.retry_after_item", thread_id="thr_nope", item_id="msg_x"),
    "tool output": req("threads.add_client_tool_output", thread_id="thr_nope", result={}),
}


@pytest.mark.parametrize("body", STREAMED_MISSING.values(), ids=STREAMED_MISSING.keys())
async def test_a_stream_about_a_missing_thread_ends_with_a_404(chat: Any, body: str) -> None:
    widget, client = chat
    rid = client.request(body)
    await widget.wait_idle()
    kinds = [(c["kind"], c.get("status")) for c, _ in client.messages(rid) if c["kind"] != "chunk"]
    assert kinds[-1] == (p.ERROR, 404)
    await next_message_works(chat)
