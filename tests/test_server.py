"""NotebookServer end to end: ChatKit requests in, SSE events out, items in the store.

The model is either the offline assistant or a ``ScriptedModel`` (openai-agents' own scripted
``agents.Model``), so the real Runner, tools and ``stream_agent_response`` run every time.
Model resolution (``_model.py``) is tested at the end with a monkeypatched environment.
"""

from __future__ import annotations

import asyncio
import json
import pathlib
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx2
import openai
import pandas as pd
import pytest
from agents import Agent, ModelBehaviorError, OpenAIChatCompletionsModel, function_tool
from agents.models.fake_id import FAKE_RESPONSES_ID
from agents.testing import ScriptedModel, assistant_message, function_call
from chatkit.server import NonStreamingResult
from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    ThreadItemAddedEvent,
    ThreadItemUpdatedEvent,
)

from chatkit_jupyter import NotebookServer, notebook_tools
from chatkit_jupyter.server import (
    DEFAULT_INSTRUCTIONS,
    DEFAULT_OPENAI_MODEL,
    NOTEBOOK_CONTEXT,
    OfflineModel,
)
from chatkit_jupyter.server._model import resolve_model, tracing_allowed

from .conftest import text_of, turn, user_message

SECRET = "sk-test-0123456789abcdefSECRET"
NOTEBOOK_TOOLS = ["list_variables", "inspect_variable", "show_variables", "show_variable"]


pytestmark = pytest.mark.usefixtures("no_model_configured")


@pytest.fixture
def notebook() -> dict[str, Any]:
    return {
        "sales": pd.DataFrame({"region": ["north", "south"], "revenue": [120.5, 98.0]}),
        "threshold": 0.75,
        "api_key": SECRET,
    }


def done_items(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [
        e["item"] for e in events if e["type"] == "thread.item.done" and e["item"]["type"] == kind
    ]


def errors(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "error"]


async def stored(store: Any, thread_id: str) -> list[Any]:
    return (await store.load_thread_items(thread_id, None, 100, "asc", {})).data


# -- the offline assistant --------------------------------------------------------------------


async def test_offline_reply_says_how_to_configure_a_model(store: Any, notebook: Any) -> None:
    server = NotebookServer(store=store, namespace=notebook)
    assert server.model_description == "offline assistant (no model configured)"

    events = await turn(server, user_message("What is in my data?"))

    types = [e["type"] for e in events]
    assert types[0] == "thread.created"
    assert types[1] == "thread.item.done"
    assert events[1]["item"]["type"] == "user_message"
    assert "thread.item.added" in types
    assert errors(events) == []
    text = text_of(events)
    assert text.startswith("No language model is configured")
    for hint in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "model=", "%chatkit --model"):
        assert hint in text
    (reply,) = done_items(events, "assistant_message")
    assert reply["content"][0]["text"] == text

    thread_id = events[0]["thread"]["id"]
    items = await stored(store, thread_id)
    assert [i.type for i in items] == ["user_message", "assistant_message"]
    assert items[1].content[0].text == text
    # The first message names the thread.
    updated = [e for e in events if e["type"] == "thread.updated"]
    assert updated[-1]["thread"]["title"] == "What is in my data?"
    assert (await store.load_thread(thread_id, {})).title == "What is in my data?"


async def test_offline_vars_counts_one_variable_in_the_singular(store: Any) -> None:
    server = NotebookServer(store=store, namespace={"sales": [1, 2, 3]})

    events = await turn(server, user_message("/vars"))

    assert text_of(events) == (
        "That is the one variable in your notebook. Use `/inspect NAME` to look at it more closely."
    )


async def test_offline_vars_shows_a_list_of_variables(store: Any, notebook: Any) -> None:
    server = NotebookServer(store=store, namespace=notebook)

    events = await turn(server, user_message("/vars"))

    assert errors(events) == []
    (widget,) = done_items(events, "widget")
    assert widget["widget"]["type"] == "ListView"
    assert [c["key"] for c in widget["widget"]["children"]] == ["api_key", "sales", "threshold"]
    assert widget["widget"]["status"]["text"] == "3 variables in the notebook"
    assert text_of(events) == (
        "Those are the 3 variables in your notebook. Use `/inspect NAME` to look at one more closely."
    )
    # The widget comes before the reply that follows the tool's output.
    order = [e["item"]["type"] for e in events if e["type"] == "thread.item.done"]
    assert order == ["user_message", "workflow", "widget", "assistant_message"]
    assert SECRET not in json.dumps(events)

    items = await stored(store, events[0]["thread"]["id"])
    assert [i.type for i in items] == ["user_message", "workflow", "widget", "assistant_message"]


async def test_offline_inspect_shows_a_card(store: Any, notebook: Any) -> None:
    server = NotebookServer(store=store, namespace=notebook)
    first = await turn(server, user_message("/inspect sales"))
    thread_id = first[0]["thread"]["id"]

    (card,) = done_items(first, "widget")
    assert card["widget"]["type"] == "Card"
    dumped = json.dumps(card["widget"])
    assert "sales" in dumped
    assert "north" in dumped  # the head
    assert "shape (2, 2)" in dumped
    assert text_of(first) == "That's `sales`, a `pandas.DataFrame`."

    secret = await turn(server, user_message("/inspect api_key", thread_id))
    (card,) = done_items(secret, "widget")
    assert "Value hidden" in json.dumps(card["widget"])
    assert SECRET not in json.dumps(secret)
    assert text_of(secret) == "`api_key` looks like a secret, so its value stays hidden."

    missing = await turn(server, user_message("/inspect sale", thread_id))
    assert done_items(missing, "widget") == []
    assert text_of(missing) == "No variable named 'sale' in the notebook. Close matches: sales."


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/help", "`/inspect NAME`"),
        ("/inspect", "Which variable?"),
        ("/plot", "I don't know the command `/plot`"),
    ],
)
async def test_offline_other_commands(
    store: Any, notebook: Any, command: str, expected: str
) -> None:
    server = NotebookServer(store=store, namespace=notebook)
    events = await turn(server, user_message(command))
    assert expected in text_of(events)
    assert done_items(events, "widget") == []


async def test_offline_reason_is_said_when_a_named_model_cannot_be_reached(
    store: Any, notebook: Any
) -> None:
    server = NotebookServer(store=store, namespace=notebook, model="gpt-4o")
    events = await turn(server, user_message("hi"))
    assert text_of(events).startswith("You asked for the model 'gpt-4o', but OPENAI_API_KEY")


async def test_setting_a_key_later_takes_effect_at_the_next_message(
    store: Any, notebook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = NotebookServer(store=store, namespace=notebook)
    assert server.model_description == "offline assistant (no model configured)"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-set-in-a-cell-later-123456")
    assert server.model_description == f"{DEFAULT_OPENAI_MODEL} via OpenAI"
    agent, tracing = server.agent_for_turn()
    assert agent.model == DEFAULT_OPENAI_MODEL
    assert tracing is True


# -- a scripted model -------------------------------------------------------------------------


def scripted_agent(*steps: Any, **kwargs: Any) -> tuple[Agent[Any], ScriptedModel]:
    model = ScriptedModel(list(steps))
    return Agent(name="scripted", instructions="Be brief.", model=model, **kwargs), model


async def test_scripted_model_calls_a_tool_then_answers(store: Any, notebook: Any) -> None:
    agent, model = scripted_agent(
        [function_call("show_variables", {}, call_id="call_1")],
        [assistant_message("You have sales and threshold.", item_id="msg_final")],
    )
    server = NotebookServer(agent, store=store, namespace=notebook)

    events = await turn(server, user_message("show me my data"))

    assert errors(events) == []
    (widget,) = done_items(events, "widget")
    assert widget["widget"]["type"] == "ListView"
    assert text_of(events) == "You have sales and threshold."
    added = [e["item"]["id"] for e in events if e["type"] == "thread.item.added"]
    assert added[1:] == ["msg_final"]
    assert added[0].startswith("wf_")  # the tool call, as a workflow task

    first, second = model.calls
    assert first.system_instructions == "Be brief.\n\n" + NOTEBOOK_CONTEXT
    assert [t.name for t in first.tools] == NOTEBOOK_TOOLS
    assert first.input[-1]["role"] == "user"
    assert first.input[-1]["content"][0]["text"] == "show me my data"
    output = second.input[-1]
    assert output["type"] == "function_call_output"
    assert output["call_id"] == "call_1"
    listing = json.loads(output["output"])
    assert listing["shown_to_user"] is True
    assert [v["name"] for v in listing["variables"]] == ["api_key", "sales", "threshold"]
    assert SECRET not in output["output"]
    model.assert_complete()


async def test_history_goes_to_the_model(store: Any, notebook: Any) -> None:
    agent, model = scripted_agent(
        [assistant_message("Hello!", item_id="msg_1")],
        [assistant_message("Still here.", item_id="msg_2")],
    )
    server = NotebookServer(agent, store=store, namespace=notebook)
    first = await turn(server, user_message("hi"))
    await turn(server, user_message("are you there?", first[0]["thread"]["id"]))

    history = model.calls[1].input
    roles_and_text = [
        (m["role"], m["content"] if isinstance(m["content"], str) else m["content"][0]["text"])
        for m in history
    ]
    assert roles_and_text == [
        ("user", "hi"),
        ("assistant", "Hello!"),
        ("user", "are you there?"),
    ]


async def test_history_is_limited_to_recent_items(store: Any, notebook: Any) -> None:
    agent, model = scripted_agent(
        *[[assistant_message(f"reply {i}", item_id=f"msg_{i}")] for i in range(3)]
    )
    server = NotebookServer(agent, store=store, namespace=notebook, history_items=3)
    thread_id = (await turn(server, user_message("one")))[0]["thread"]["id"]
    await turn(server, user_message("two", thread_id))
    await turn(server, user_message("three", thread_id))

    last = model.calls[2].input
    assert len(last) == 3
    assert last[-1]["content"][0]["text"] == "three"


async def test_placeholder_item_ids_become_unique(store: Any, notebook: Any) -> None:
    """Chat Completions models report every message as ``__fake_id__``."""
    agent, _ = scripted_agent(
        [assistant_message("First.", item_id=FAKE_RESPONSES_ID)],
        [assistant_message("Second.", item_id=FAKE_RESPONSES_ID)],
    )
    server = NotebookServer(agent, store=store, namespace=notebook)
    first = await turn(server, user_message("1"))
    thread_id = first[0]["thread"]["id"]
    second = await turn(server, user_message("2", thread_id))

    for events in (first, second):
        ids = {
            e.get("item_id") or e["item"]["id"]
            for e in events
            if e["type"] in {"thread.item.added", "thread.item.updated", "thread.item.done"}
            and (e.get("item") or {}).get("type") != "user_message"
        }
        assert len(ids) == 1
        assert not next(iter(ids)).startswith(FAKE_RESPONSES_ID)

    replies = [i for i in await stored(store, thread_id) if i.type == "assistant_message"]
    assert [r.content[0].text for r in replies] == ["First.", "Second."]
    assert replies[0].id != replies[1].id


async def test_agent_by_name_is_looked_up_at_every_message(store: Any, notebook: Any) -> None:
    old, old_model = scripted_agent([assistant_message("old agent", item_id="m1")])
    new, new_model = scripted_agent([assistant_message("new agent", item_id="m2")])
    notebook["my_agent"] = old
    server = NotebookServer("my_agent", store=store, namespace=notebook)

    first = await turn(server, user_message("hi"))
    assert text_of(first) == "old agent"
    notebook["my_agent"] = new  # the user re-ran the cell that defines the agent
    second = await turn(server, user_message("hi again", first[0]["thread"]["id"]))
    assert text_of(second) == "new agent"
    assert len(old_model.calls) == 1
    assert len(new_model.calls) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "There is no variable 'my_agent' in the notebook"),
        (
            42,
            "'my_agent' is of type int, not an agents.Agent: assign your agent to 'my_agent' "
            "again (run the cell that defines it), then send your message again.",
        ),
    ],
)
async def test_agent_name_problems_are_clear_errors(
    store: Any, notebook: Any, value: Any, expected: str
) -> None:
    if value is not None:
        notebook["my_agent"] = value
    server = NotebookServer("my_agent", store=store, namespace=notebook)
    events = await turn(server, user_message("hi"))
    (error,) = errors(events)
    assert error["message"].startswith(expected)
    assert error["allow_retry"] is True
    assert expected in server.model_description


async def test_tools_are_added_once(store: Any, notebook: Any) -> None:
    @function_tool
    async def lookup(term: str) -> str:
        """Look a term up."""
        return term

    own_list = notebook_tools(notebook)[0]  # the user already gave the agent list_variables
    agent, model = scripted_agent([assistant_message("ok", item_id="m")], tools=[lookup, own_list])
    server = NotebookServer(agent, store=store, namespace=notebook)
    await turn(server, user_message("hi"))

    names = [t.name for t in model.calls[0].tools]
    assert names == [
        "lookup",
        "list_variables",
        "inspect_variable",
        "show_variables",
        "show_variable",
    ]
    assert [t.name for t in agent.tools] == ["lookup", "list_variables"]  # not modified


async def test_default_agent(store: Any, notebook: Any) -> None:
    model = ScriptedModel([[assistant_message("hi", item_id="m")]])
    server = NotebookServer(store=store, namespace=notebook, model=model)
    await turn(server, user_message("hello"))
    assert model.calls[0].system_instructions == DEFAULT_INSTRUCTIONS
    assert [t.name for t in model.calls[0].tools] == NOTEBOOK_TOOLS


async def test_model_argument_overrides_the_agents_model(store: Any, notebook: Any) -> None:
    agent, agents_own = scripted_agent()
    override = ScriptedModel([[assistant_message("from override", item_id="m")]])
    server = NotebookServer(agent, store=store, namespace=notebook, model=override)
    events = await turn(server, user_message("hi"))
    assert text_of(events) == "from override"
    assert agents_own.calls == ()
    assert server.model_description == "ScriptedModel (custom model)"


async def test_agents_own_model_is_kept(store: Any, notebook: Any) -> None:
    agent = Agent(name="mine", model="gpt-4o")
    server = NotebookServer(agent, store=store, namespace=notebook)
    assert server.model_description == "gpt-4o (the agent's own model)"
    resolved, tracing = server.agent_for_turn()
    assert resolved.model == "gpt-4o"
    assert tracing is False  # no OpenAI key


async def test_model_errors_are_clear_and_never_show_keys(store: Any, notebook: Any) -> None:
    request = httpx2.Request("POST", "https://api.openai.com/v1/responses")
    rejected = openai.AuthenticationError(
        f"Incorrect API key provided: {SECRET}",
        response=httpx2.Response(401, request=request),
        body=None,
    )
    agent, _ = scripted_agent(rejected, ModelBehaviorError(f"bad output near {SECRET}"))
    server = NotebookServer(agent, store=store, namespace=notebook)

    first = await turn(server, user_message("hi"))
    (error,) = errors(first)
    assert error["message"] == "The model server rejected the API key (401). Check OPENAI_API_KEY."
    second = await turn(server, user_message("again", first[0]["thread"]["id"]))
    (error,) = errors(second)
    assert error["message"] == "The agent stopped: ModelBehaviorError: bad output near <redacted>"
    assert SECRET not in json.dumps([first, second])

    logged = [e for e in server.events if e["type"] == "turn.error"]
    assert len(logged) == 2
    assert isinstance(logged[0]["error"], openai.AuthenticationError)
    assert SECRET not in logged[1]["summary"]
    assert SECRET not in logged[1]["traceback"]


async def test_cancelling_a_turn_stops_the_run(store: Any, notebook: Any) -> None:
    tool_started = asyncio.Event()
    tool_cancelled = asyncio.Event()

    @function_tool
    async def slow() -> str:
        """Takes forever."""
        tool_started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            tool_cancelled.set()
            raise
        return "never"

    agent, model = scripted_agent(
        [function_call("slow", {}, call_id="call_slow")],
        [assistant_message("should not happen", item_id="m")],
        tools=[slow],
    )
    server = NotebookServer(agent, store=store, namespace=notebook)
    consumer = asyncio.create_task(turn(server, user_message("go")))
    await asyncio.wait_for(tool_started.wait(), 10)

    consumer.cancel()  # what the bridge does when the user presses stop
    with pytest.raises(asyncio.CancelledError):
        await consumer

    await asyncio.wait_for(tool_cancelled.wait(), 10)
    assert len(model.calls) == 1
    assert "turn.cancelled" in [e["type"] for e in server.events]


# -- the event log ----------------------------------------------------------------------------


async def test_events_can_be_inspected_after_a_turn(store: Any, notebook: Any) -> None:
    server = NotebookServer(store=store, namespace=notebook)
    events = await turn(server, user_message("/vars"))
    thread_id = events[0]["thread"]["id"]

    log = server.events_of(thread_id)
    assert log == server.events_of()
    kinds = [e["type"] for e in log]
    assert kinds[0] == "turn.started"
    assert kinds[-1] == "turn.done"
    assert "thread.item.done" in kinds
    assert log[0]["user_text"] == "/vars"
    assert log[-1]["seconds"] >= 0
    widget_done = next(
        e for e in log if e["type"] == "thread.item.done" and e["event"].item.type == "widget"
    )
    assert widget_done["summary"].startswith("widget ")
    assert all(e["time"].tzinfo is not None for e in log)
    deltas = [e["summary"] for e in log if e["type"] == "thread.item.updated"]
    assert any("'Those are the 3 '" in d for d in deltas)


async def test_a_long_delta_is_a_short_summary(store: Any, notebook: Any) -> None:
    # Each summary held the whole delta: 2000 entries of a model that streams in big pieces
    # kept megabytes beside the events themselves.
    model = ScriptedModel([[assistant_message("x" * 100_000, item_id="m1")]])
    server = NotebookServer(Agent(name="a", model=model), store=store, namespace=notebook)
    await turn(server, user_message("hi"))
    (delta,) = [
        e for e in server.events if e["type"] == "thread.item.updated" and "delta" in e["summary"]
    ]
    assert delta["summary"].endswith(" '" + "x" * 79 + "…'")
    assert len(delta["summary"]) < 200
    assert len(delta["event"].update.delta) == 100_000  # the event itself is whole


async def test_event_log_is_bounded(store: Any, notebook: Any) -> None:
    server = NotebookServer(store=store, namespace=notebook, max_events=5)
    await turn(server, user_message("/help"))
    assert len(server.events) == 5
    assert server.events[-1]["type"] == "turn.done"


# -- store and attachments --------------------------------------------------------------------


async def test_default_store_is_used_without_one(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, notebook: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    server = NotebookServer(namespace=notebook)
    try:
        events = await turn(server, user_message("hi"))
        assert errors(events) == []
        assert (tmp_path / ".chatkit" / "chatkit.db").exists()
    finally:
        server.store.close()  # type: ignore[attr-defined]


async def test_attachments_reach_the_model(tmp_path: Any, store: Any, notebook: Any) -> None:
    from chatkit_jupyter import FileAttachmentStore

    files = FileAttachmentStore(tmp_path / "files", store=store)
    agent, model = scripted_agent([assistant_message("Got it.", item_id="m")])
    server = NotebookServer(agent, store=store, namespace=notebook, attachment_store=files)
    content = b"region,revenue\nnorth,120.5\n"

    created = await server.process(
        json.dumps(
            {
                "type": "attachments.create",
                "params": {"name": "sales.csv", "size": len(content), "mime_type": "text/csv"},
            }
        ),
        {},
    )
    assert isinstance(created, NonStreamingResult)
    attachment_id = json.loads(created.json)["id"]

    async def chunks() -> AsyncIterator[bytes]:
        yield content

    await files.write_upload(attachment_id, chunks(), {})
    events = await turn(server, user_message("summarize this", attachments=[attachment_id]))

    assert errors(events) == []
    user_parts = model.calls[0].input[-1]["content"]
    assert user_parts[0] == {"type": "input_text", "text": "summarize this"}
    assert "north,120.5" in json.dumps(user_parts[1:])


# -- model resolution -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "offline assistant (no model configured)"),
        ({"OPENAI_API_KEY": "sk-x-1234567890"}, f"{DEFAULT_OPENAI_MODEL} via OpenAI"),
        (
            {"OPENAI_API_KEY": "sk-x-1234567890", "CHATKIT_JUPYTER_MODEL": "gpt-4o"},
            "gpt-4o via OpenAI",
        ),
        (
            {"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1", "OPENAI_MODEL": "llama3"},
            "llama3 at http://127.0.0.1:11434/v1",
        ),
        # A base URL wins over the key: the OpenAI client would send requests there anyway.
        (
            {
                "OPENAI_API_KEY": "sk-x-1234567890",
                "OPENAI_BASE_URL": "http://gpu:8000/v1",
                "OPENAI_MODEL": "qwen",
            },
            "qwen at http://gpu:8000/v1",
        ),
        # A gateway that takes its key in the URL: neither the key nor the password shows.
        (
            {
                "OPENAI_BASE_URL": "https://u:Pa55word9@gw.example/v1?api_key=Zq8Wm3Kp9x",
                "OPENAI_MODEL": "qwen",
            },
            "qwen at https://gw.example/v1?api_key=<redacted>",
        ),
        (
            {"OPENAI_API_KEY": "sk-x-1234567890", "OPENAI_BASE_URL": "http://gateway/v1"},
            f"{DEFAULT_OPENAI_MODEL} at http://gateway/v1",
        ),
        (
            {"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"},
            "offline assistant (no model configured)",
        ),
        ({"OPENAI_MODEL": "llama3"}, "offline assistant (no model configured)"),
    ],
)
def test_resolution_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    resolved = resolve_model()
    assert resolved.description == expected
    assert resolve_model(environ=env).description == expected


def test_compatible_server_gets_a_chat_completions_client() -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1", "OPENAI_MODEL": "llama3"}
    resolved = resolve_model(environ=env)
    assert isinstance(resolved.model, OpenAIChatCompletionsModel)
    assert resolved.model.model == "llama3"
    client = resolved.model._client
    assert str(client.base_url) == "http://127.0.0.1:11434/v1/"
    assert client.api_key == "not-needed"
    assert resolved.tracing is False
    with_key = resolve_model(environ={**env, "OPENAI_API_KEY": "sk-local-123456789"})
    assert with_key.model._client.api_key == "sk-local-123456789"  # type: ignore[union-attr]


def test_model_argument_comes_first() -> None:
    key = {"OPENAI_API_KEY": "sk-x-1234567890"}
    local = {"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1", "OPENAI_MODEL": "llama3"}
    assert resolve_model("gpt-4o", environ=key).model == "gpt-4o"
    named = resolve_model("mistral", environ=local)
    assert named.description == "mistral at http://127.0.0.1:11434/v1"
    assert isinstance(named.model, OpenAIChatCompletionsModel)
    custom = ScriptedModel([])
    assert resolve_model(custom, environ=local).model is custom
    offline = OfflineModel()
    assert resolve_model(offline, environ=key).offline


def test_named_model_without_a_way_to_reach_it_is_explained() -> None:
    resolved = resolve_model("gpt-4o", environ={})
    assert resolved.offline
    assert isinstance(resolved.model, OfflineModel)
    assert resolved.model.reason is not None
    assert "gpt-4o" in resolved.model.reason


def test_credentials_in_the_base_url_are_not_displayed() -> None:
    env = {"OPENAI_BASE_URL": "https://user:s3cret@llm.example:8443/v1", "OPENAI_MODEL": "m"}
    assert resolve_model(environ=env).description == "m at https://llm.example:8443/v1"


def test_clients_are_reused_for_the_same_settings() -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1", "OPENAI_MODEL": "llama3"}
    cache: dict[tuple[str, ...], Any] = {}
    first = resolve_model(environ=env, cache=cache).model
    assert resolve_model(environ=env, cache=cache).model is first
    assert resolve_model(environ={**env, "OPENAI_MODEL": "qwen"}, cache=cache).model is not first


@pytest.mark.parametrize(
    ("env", "allowed"),
    [
        ({}, False),
        ({"OPENAI_API_KEY": "sk-x-1234567890"}, True),
        ({"OPENAI_API_KEY": "sk-x-1234567890", "OPENAI_BASE_URL": "http://h/v1"}, False),
        ({"OPENAI_BASE_URL": "http://h/v1", "OPENAI_MODEL": "m"}, False),
    ],
)
def test_tracing_only_goes_to_openai(env: dict[str, str], allowed: bool) -> None:
    assert tracing_allowed(env) is allowed
    assert resolve_model(environ=env).tracing is (allowed and "OPENAI_BASE_URL" not in env)


# -- the message being streamed ----------------------------------------------------------------


class _Deltas(NotebookServer):
    """A NotebookServer whose reply is scripted deltas, then a hang until cancelled."""

    def __init__(self, deltas: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deltas = deltas
        self.streamed = asyncio.Event()

    async def respond(self, thread: Any, input_user_message: Any, context: Any) -> Any:
        msg = AssistantMessageItem(
            id=self.store.generate_item_id("message", thread, context),
            thread_id=thread.id,
            created_at=datetime.now(),
            content=[AssistantMessageContent(text="")],
        )
        yield ThreadItemAddedEvent(item=msg)
        for delta in self.deltas:
            yield ThreadItemUpdatedEvent(
                item_id=msg.id,
                update=AssistantMessageContentPartTextDelta(content_index=0, delta=delta),
            )
        self.streamed.set()
        await asyncio.Event().wait()


async def test_stop_keeps_the_exact_partial_text(store: Any, notebook: Any) -> None:
    deltas = ["Hé", "llo", " ", "wörld", " 🌍", "!" * 300]  # widening str kinds, then growth
    server = _Deltas(deltas, store=store, namespace=notebook)
    consumer = asyncio.create_task(turn(server, user_message("go")))
    await asyncio.wait_for(server.streamed.wait(), 10)
    consumer.cancel()  # the stop button
    with pytest.raises(asyncio.CancelledError):
        await consumer
    threads = await store.load_threads(10, None, "desc", {})
    saved = [i for i in await stored(store, threads.data[0].id) if i.type == "assistant_message"]
    assert [c.text for c in saved[0].content] == ["".join(deltas)]


def test_the_message_being_streamed_grows_in_linear_time(store: Any, notebook: Any) -> None:
    # ChatKitServer's own `text += delta` copies the whole text per delta: these 3,000 deltas
    # of 10 KB (30 MB) would copy ~45 GB, seconds; appended in place they take milliseconds.
    server = NotebookServer(store=store, namespace=notebook)
    item = AssistantMessageItem(
        id="msg",
        thread_id="thr",
        created_at=datetime.now(),
        content=[AssistantMessageContent(text="")],
    )
    pad = "x" * 9_995
    started = time.perf_counter()
    for i in range(3000):
        delta = AssistantMessageContentPartTextDelta(content_index=0, delta=f"{i:05d}{pad}")
        item = server._apply_assistant_message_update(item, delta)
    elapsed = time.perf_counter() - started
    text = item.content[0].text
    assert len(text) == 30_000_000
    assert text[:5] == "00000"
    assert text[-10_000:-9_995] == "02999"
    assert elapsed < 1.0, f"{elapsed:.2f} s for 3,000 deltas: quadratic again?"


async def test_requests_are_parsed_without_a_new_type_adapter_each(
    store: Any, notebook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chatkit-python's own `process` makes a pydantic TypeAdapter per request (~2 ms).
    import chatkit.server
    from pydantic import TypeAdapter, ValidationError

    made: list[object] = []

    class Counted:
        # Stands in for the name `TypeAdapter` in chatkit.server: `TypeAdapter[T](T)`.
        def __getitem__(self, item: Any) -> Any:
            return self

        def __call__(self, *args: Any) -> Any:
            made.append(args)
            return TypeAdapter(*args)

    monkeypatch.setattr(chatkit.server, "TypeAdapter", Counted())
    server = NotebookServer(store=store, namespace=notebook)
    events = await turn(server, user_message("/vars"))
    thread_id = events[0]["thread"]["id"]
    listed = await server.process(json.dumps({"type": "threads.list", "params": {}}), {})
    assert isinstance(listed, NonStreamingResult)
    assert [t["id"] for t in json.loads(listed.json)["data"]] == [thread_id]
    assert made == []
    with pytest.raises(ValidationError):  # as chatkit-python's own `process` raises
        await server.process(b'{"type": "threads.nope", "params": {}}', {})

    # Should chatkit-python rename its steps, its own `process` runs instead.
    from chatkit.server import ChatKitServer
    from chatkit.types import ChatKitReq

    monkeypatch.setattr(
        ChatKitServer, "_plain", ChatKitServer._process_non_streaming, raising=False
    )
    monkeypatch.delattr(ChatKitServer, "_process_non_streaming")

    async def renamed(self: Any, request: Any, context: Any) -> NonStreamingResult:
        parsed = chatkit.server.TypeAdapter[ChatKitReq](ChatKitReq).validate_json(request)
        return NonStreamingResult(await self._plain(parsed, context))

    monkeypatch.setattr(ChatKitServer, "process", renamed)
    listed = await server.process(json.dumps({"type": "threads.list", "params": {}}), {})
    assert isinstance(listed, NonStreamingResult)
    assert len(made) == 1


def test_repr_says_what_answers_in_public_names(store: Any) -> None:
    from agents import Agent

    analyst = Agent(name="Analyst")
    assert repr(NotebookServer(analyst, store=store, allow_run=True)) == (
        f"NotebookServer(agent=<Agent 'Analyst'>, store={store!r}, allow_run=True)"
    )
    assert repr(NotebookServer("analyst", store=store, model="llama3.2")) == (
        f"NotebookServer(agent=<variable 'analyst'>, model='llama3.2', store={store!r})"
    )
    assert repr(NotebookServer(store=store)) == f"NotebookServer(store={store!r})"


def test_a_model_of_the_wrong_type_is_refused_at_once(store: Any) -> None:
    with pytest.raises(TypeError, match=r"model must be a model name \(str\), an agents\.Model"):
        NotebookServer(store=store, model=42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("store", "expected"),
    [
        ("chat.db", "store must be a chatkit Store, not str: pass store=SQLiteStore('chat.db')"),
        (pathlib.Path("a/b.db"), "pass store=SQLiteStore('a/b.db') (from chatkit_jupyter)"),
        ({}, "store must be a chatkit Store, not dict: pass store=SQLiteStore('chat.db')"),
    ],
)
def test_a_store_that_is_no_store_is_refused_at_once(store: Any, expected: str) -> None:
    # Before, it was accepted, and every message failed with an AttributeError.
    with pytest.raises(TypeError) as raised:
        NotebookServer(store=store)
    assert expected in str(raised.value)
