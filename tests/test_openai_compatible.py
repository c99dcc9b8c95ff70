"""A full turn against a real OpenAI-compatible HTTP server (``tests/openai_stub.py``).

Configured the way a user points the chat at Ollama or vLLM: ``OPENAI_BASE_URL`` and
``OPENAI_MODEL``, no key. The openai client, the agents Chat Completions model, the Runner and
the notebook tools are all real; only the server at the other end of the socket is scripted.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pandas as pd
import pytest

from chatkit_jupyter import NotebookServer

from .conftest import text_of, turn, user_message
from .openai_stub import CUT, PAUSE, RAW, OpenAIStub, error_reply, text_reply, tool_call_reply

SECRET = "sk-test-DO-NOT-LEAK-0123456789abcdef"
PASSWORD = "hunter2-correct-horse"


@pytest.fixture
def notebook() -> dict[str, Any]:
    return {
        "sales": pd.DataFrame({"region": ["north", "south"], "revenue": [120.5, 98.0]}),
        "threshold": 0.75,
        "OPENAI_API_KEY": SECRET,
        "db_password": PASSWORD,
        "note": SECRET,  # an innocent name, but the value looks like a key
    }


@pytest.fixture
def stub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of a user with a local server: a model name, no key."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("CHATKIT_JUPYTER_MODEL", raising=False)
    monkeypatch.setenv("OPENAI_MODEL", "stub-model")


def chat_text(message: dict[str, Any]) -> str:
    """A chat message's text; content is a string or a list of text parts."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part["text"] for part in content if part["type"] == "text")


def tool_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in request["body"]["messages"] if m["role"] == "tool"]


async def test_list_variables_round_trip(
    store: Any, notebook: dict[str, Any], stub_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    final = "You have `sales` (2 rows) and `threshold`."
    with OpenAIStub([tool_call_reply("list_variables", {}), text_reply(final)]) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        server = NotebookServer(store=store, namespace=notebook)
        assert server.model_description == f"stub-model at {stub.base_url}"

        events = await turn(server, user_message("What data do I have?"))

    assert [e["type"] for e in events if e["type"] == "error"] == []
    assert text_of(events) == final
    done = [e["item"] for e in events if e["type"] == "thread.item.done"]
    assert done[-1]["type"] == "assistant_message"
    assert done[-1]["content"][0]["text"] == final

    first, second = stub.requests
    assert first["body"]["model"] == "stub-model"
    assert first["body"]["stream"] is True
    # No key configured: the placeholder goes out, never a real key.
    assert first["headers"]["authorization"] == "Bearer not-needed"
    offered = {t["function"]["name"] for t in first["body"]["tools"]}
    assert {"list_variables", "inspect_variable", "show_variables", "show_variable"} <= offered
    last = first["body"]["messages"][-1]
    assert last["role"] == "user"
    assert chat_text(last) == "What data do I have?"

    (tool_result,) = tool_messages(second)
    assert tool_result["tool_call_id"] == "call_1"
    listing = json.loads(tool_result["content"])
    names = {v["name"] for v in listing["variables"]}
    assert names == {"sales", "threshold", "OPENAI_API_KEY", "db_password", "note"}
    sales = next(v for v in listing["variables"] if v["name"] == "sales")
    assert sales["shape"] == [2, 2]
    secret_rows = [v for v in listing["variables"] if v.get("redacted")]
    assert {v["name"] for v in secret_rows} == {"OPENAI_API_KEY", "db_password", "note"}

    everything = json.dumps(stub.requests)
    assert SECRET not in everything
    assert PASSWORD not in everything
    assert "<redacted>" in everything


async def test_the_model_picked_in_the_composer_answers(
    store: Any, notebook: dict[str, Any], stub_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIStub([text_reply("from the picked model")]) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        server = NotebookServer(store=store, namespace=notebook)
        events = await turn(server, user_message("hi", model="picked-model"))
    assert text_of(events) == "from the picked model"
    (request,) = stub.requests
    assert request["body"]["model"] == "picked-model"


async def test_inspect_variable_round_trip(
    store: Any, notebook: dict[str, Any], stub_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    replies = [
        tool_call_reply("inspect_variable", {"name": "sales"}, call_id="call_a"),
        tool_call_reply("inspect_variable", {"name": "db_password"}, call_id="call_b"),
        text_reply("Revenue is a float column; the password stays hidden."),
    ]
    with OpenAIStub(replies) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        server = NotebookServer(store=store, namespace=notebook)
        events = await turn(server, user_message("Tell me about sales and db_password"))

    assert text_of(events) == "Revenue is a float column; the password stays hidden."
    assert len(stub.requests) == 3
    sales = json.loads(tool_messages(stub.requests[1])[0]["content"])
    assert sales["dtypes"] == {"region": "str", "revenue": "float64"} or sales["dtypes"] == {
        "region": "object",
        "revenue": "float64",
    }
    assert "north" in sales["head"]
    password = json.loads(tool_messages(stub.requests[2])[1]["content"])
    assert password == {
        "name": "db_password",
        "type": "str",
        "repr": "<redacted>",
        "redacted": True,
        "reason": "the name looks like a secret",
    }
    assert PASSWORD not in json.dumps(stub.requests)


async def test_each_reply_keeps_its_own_item(
    store: Any, notebook: dict[str, Any], stub_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chat Completions replies all carry one placeholder id; each must still be its own item."""
    with OpenAIStub([text_reply("First answer."), text_reply("Second answer.")]) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        server = NotebookServer(store=store, namespace=notebook)
        first = await turn(server, user_message("one"))
        thread_id = first[0]["thread"]["id"]
        await turn(server, user_message("two", thread_id))

    # The second request carries the first exchange as history.
    history = stub.requests[1]["body"]["messages"]
    assert [m["role"] for m in history if m["role"] != "system"] == ["user", "assistant", "user"]
    assert chat_text(history[-2]) == "First answer."

    items = await store.load_thread_items(thread_id, None, 20, "asc", {})
    replies = [i for i in items.data if i.type == "assistant_message"]
    assert [r.content[0].text for r in replies] == ["First answer.", "Second answer."]
    assert len({r.id for r in replies}) == 2
    assert all(not r.id.startswith("__fake_id__") for r in replies)


async def test_server_down_gives_a_clear_error(
    store: Any, notebook: dict[str, Any], stub_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = OpenAIStub([])
    url = stub.base_url
    stub._server.server_close()  # nothing listens on that port any more
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    server = NotebookServer(store=store, namespace=notebook)

    events = await turn(server, user_message("hello?"))

    (error,) = [e for e in events if e["type"] == "error"]
    origin = url.removesuffix("/v1")
    assert error["message"] == (
        f"Could not connect to the model server at {origin}. Is it running, and is "
        "OPENAI_BASE_URL right?"
    )
    assert server.events[-1]["type"] == "turn.error"


async def test_a_base_url_without_v1_says_so(
    store: Any, notebook: dict[str, Any], stub_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ollama's address is http://127.0.0.1:11434, but its OpenAI API is under /v1."""
    with OpenAIStub([text_reply("unused")]) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url.removesuffix("/v1"))
        server = NotebookServer(store=store, namespace=notebook)
        events = await turn(server, user_message("hello?"))

    assert [r["path"] for r in stub.requests] == ["/chat/completions"]
    (error,) = [e for e in events if e["type"] == "error"]
    assert error["message"].startswith("The model server answered 404: ")
    assert "OPENAI_BASE_URL usually ends in /v1" in error["message"]


async def test_a_reply_cut_short_keeps_its_text(
    store: Any, notebook: dict[str, Any], stub_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    cut = [*text_reply("Half of an answer", pieces=2)[:2], CUT]
    with OpenAIStub([cut, text_reply("Whole.")], chunk_delay=0.05) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        server = NotebookServer(store=store, namespace=notebook)
        events = await turn(server, user_message("hello?"))
        thread_id = events[0]["thread"]["id"]
        (error,) = [e for e in events if e["type"] == "error"]
        assert error["message"] == (
            "The model server closed the connection in the middle of the reply; what came "
            "before is kept. Send your message again to retry."
        )
        assert text_of(events) == "Half of a"
        await turn(server, user_message("again", thread_id))

    items = await store.load_thread_items(thread_id, None, 20, "asc", {})
    texts = [(i.type, i.content[0].text) for i in items.data]
    assert texts == [
        ("user_message", "hello?"),
        ("assistant_message", "Half of a"),
        ("user_message", "again"),
        ("assistant_message", "Whole."),
    ]
    # The model sees what it had said.
    assert chat_text(stub.requests[1]["body"]["messages"][-2]) == "Half of a"


async def test_a_malformed_event_is_named(
    store: Any, notebook: dict[str, Any], stub_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIStub([[*text_reply("Fine so far")[:2], {RAW: "{not json"}]]) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        server = NotebookServer(store=store, namespace=notebook)
        events = await turn(server, user_message("hello?"))

    (error,) = [e for e in events if e["type"] == "error"]
    assert error["message"].startswith(
        "The model server sent an event that is not valid JSON ({not json): is OPENAI_BASE_URL "
        "an OpenAI-compatible API?"
    )


async def test_a_server_too_slow_times_out_clearly(
    store: Any, notebook: dict[str, Any], stub_env: None
) -> None:
    from agents import OpenAIChatCompletionsModel
    from openai import AsyncOpenAI

    with OpenAIStub([text_reply("Slowly, slowly", pieces=3)], chunk_delay=0.4) as stub:
        client = AsyncOpenAI(base_url=stub.base_url, api_key="x", timeout=0.2, max_retries=0)
        model = OpenAIChatCompletionsModel(model="stub-model", openai_client=client)
        server = NotebookServer(store=store, namespace=notebook, model=model)
        events = await turn(server, user_message("hello?"))

    (error,) = [e for e in events if e["type"] == "error"]
    assert error["message"].startswith("The model server did not answer in time")


async def test_a_server_that_stalls_mid_reply_keeps_what_came(
    store: Any, notebook: dict[str, Any], stub_env: None
) -> None:
    from agents import OpenAIChatCompletionsModel
    from openai import AsyncOpenAI

    stall = [*text_reply("Half of an answer", pieces=2)[:2], {PAUSE: 0.5}]
    with OpenAIStub([stall]) as stub:
        client = AsyncOpenAI(base_url=stub.base_url, api_key="x", timeout=0.25, max_retries=0)
        model = OpenAIChatCompletionsModel(model="stub-model", openai_client=client)
        server = NotebookServer(store=store, namespace=notebook, model=model)
        events = await turn(server, user_message("hello?"))

    (error,) = [e for e in events if e["type"] == "error"]
    assert error["message"] == (
        "The model server stopped answering in the middle of the reply; what came before is "
        "kept. Send your message again to retry."
    )
    items = await store.load_thread_items(events[0]["thread"]["id"], None, 20, "asc", {})
    assert [i.content[0].text for i in items.data] == ["hello?", "Half of a"]


@pytest.mark.parametrize(
    ("key", "base_url", "reason"),
    [
        (SECRET + "\n", "{stub}", "OPENAI_API_KEY starts or ends with a space or a line break"),
        ("ключ" + SECRET, "{stub}", "OPENAI_API_KEY has characters an HTTP header cannot carry"),
        (None, "{host}/v1", "OPENAI_BASE_URL ('127.0.0.1:"),
    ],
)
async def test_a_setting_that_cannot_work_is_explained_without_the_key(
    store: Any,
    notebook: dict[str, Any],
    stub_env: None,
    monkeypatch: pytest.MonkeyPatch,
    key: str | None,
    base_url: str,
    reason: str,
) -> None:
    """Else the first message fails with "Could not connect to the model server"."""
    with OpenAIStub([text_reply("unused")]) as stub:
        host = stub.base_url.removeprefix("http://").removesuffix("/v1")
        monkeypatch.setenv("OPENAI_BASE_URL", base_url.format(stub=stub.base_url, host=host))
        if key is not None:
            monkeypatch.setenv("OPENAI_API_KEY", key)
        server = NotebookServer(store=store, namespace=notebook)
        events = await turn(server, user_message("hello?"))

    assert stub.requests == []
    assert [e for e in events if e["type"] == "error"] == []
    assert text_of(events).startswith(reason)
    assert server.model_description.startswith("offline assistant")
    assert SECRET not in json.dumps(events) + repr(list(server.events))


async def test_spaces_around_the_base_url_are_ignored(
    store: Any, notebook: dict[str, Any], stub_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenAIStub([text_reply("Fine.")]) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", f" {stub.base_url}\n")
        server = NotebookServer(store=store, namespace=notebook)
        events = await turn(server, user_message("hello?"))
    assert text_of(events) == "Fine."


async def test_an_ask_that_times_out_returns_what_had_come(
    store: Any, notebook: dict[str, Any], stub_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = "One two three four five six"
    with OpenAIStub([text_reply(full, pieces=6)], chunk_delay=0.2) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        server = NotebookServer(store=store, namespace=notebook)
        reply = await server.ask("count", timeout=1.0)

    assert reply.error is not None
    assert reply.error.startswith("No complete reply within 1 s")
    assert reply.text
    assert full.startswith(reply.text)
    assert reply.text != full
    # The same text the thread keeps (ChatKit stores the unfinished message on cancel).
    assert reply.thread_id is not None
    items = await store.load_thread_items(reply.thread_id, None, 20, "asc", {})
    (kept,) = [i for i in items.data if i.type == "assistant_message"]
    assert kept.content[0].text == reply.text
    assert [i.id for i in reply.items] == [kept.id]


async def test_a_key_the_server_echoes_is_not_kept_in_the_events(
    store: Any, notebook: dict[str, Any], stub_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some gateways quote the key they refused; `w.server.events` is shown in cells."""
    key = "gw-Zq7xK2mP9vR4tL8nB3cY6hJ1"  # no known key prefix: found as the environment's key
    echo = f"Invalid API key: {key}. Check your gateway settings."
    with OpenAIStub([error_reply(401, echo)]) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", key)
        server = NotebookServer(store=store, namespace=notebook)
        events = await turn(server, user_message("hello?"))

    assert stub.requests[0]["headers"]["authorization"] == f"Bearer {key}"
    (error,) = [e for e in events if e["type"] == "error"]
    assert error["message"] == "The model server rejected the API key (401). Check OPENAI_API_KEY."
    (logged,) = [e for e in server.events if e["type"] == "turn.error"]
    assert isinstance(logged["error"], openai.AuthenticationError)
    assert key not in repr(list(server.events))
    assert key not in str(logged["error"])
