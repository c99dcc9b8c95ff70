"""@-mentions of notebook variables, end to end in the kernel: the entities "@" offers, a tagged
variable reaching the model as its redacted description, the offline assistant showing tagged
variables, a thread surviving an item that cannot be converted, and the agent's instructions."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pandas as pd
import pytest
from agents import Agent
from agents.testing import ScriptedModel, assistant_message
from chatkit.types import HiddenContextItem
from IPython.core.interactiveshell import InteractiveShell

from chatkit_jupyter import NotebookServer
from chatkit_jupyter.bridge import _protocol as p
from chatkit_jupyter.server import DEFAULT_INSTRUCTIONS, NOTEBOOK_CONTEXT

from .conftest import call, ipython, text_of, turn, user_message

SECRET = "sk-test-0123456789abcdefSECRET"


pytestmark = pytest.mark.usefixtures("no_model_configured")


@pytest.fixture
def notebook() -> dict[str, Any]:
    return {
        "sales": pd.DataFrame({"region": ["north", "south"], "revenue": [120.5, -98.0]}),
        "salaries": {"ada": 1},
        "threshold": 0.75,
        "api_key": SECRET,
    }


def tagged(text: str, *names: str, thread_id: str | None = None) -> str:
    """The body the composer sends for ``text`` followed by tags of ``names``."""
    content: list[dict[str, Any]] = [{"type": "input_text", "text": text}]
    for name in names:
        content.append(
            {
                "type": "input_tag",
                "id": f"var:{name}",
                "text": name,
                "data": {"kind": "variable"},
                "group": "Variables",
                "interactive": False,
            }
        )
        content.append({"type": "input_text", "text": " "})
    body = {"content": content, "attachments": [], "inference_options": {}}
    if thread_id is None:
        return json.dumps({"type": "threads.create", "params": {"input": body}})
    return json.dumps(
        {"type": "threads.add_user_message", "params": {"thread_id": thread_id, "input": body}}
    )


def model_text(call_input: list[Any]) -> str:
    """Everything the model was given as text, in order."""
    parts = []
    for item in call_input:
        content = item.get("content")
        if isinstance(content, str):
            parts.append(content)
        else:
            parts += [c.get("text", "") for c in content or [] if isinstance(c, dict)]
    return "\n".join(parts)


def errors(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "error"]


def test_variables_are_offered_as_entities(notebook: dict[str, Any]) -> None:
    server = NotebookServer(namespace=notebook)
    assert [e["title"] for e in server.search_variables("sal")] == ["salaries", "sales"]
    (sales,) = server.search_variables("les")  # contained, not only as a prefix
    assert sales == {
        "id": "var:sales",
        "title": "sales",
        "group": "Variables",
        "icon": "notebook",
        "data": {"kind": "variable", "type": "pandas.DataFrame"},
    }
    everything = server.search_variables("")
    assert [e["title"] for e in everything] == ["api_key", "salaries", "sales", "threshold"]
    assert SECRET not in json.dumps(everything)


def test_the_search_runs_no_code_of_the_variables() -> None:
    # It runs at every keystroke of "@...": no repr, len or attribute of any value.
    class Costly:
        calls = 0

        def __repr__(self) -> str:
            Costly.calls += 1
            return "costly"

        def __len__(self) -> int:
            Costly.calls += 1
            return 1

    server = NotebookServer(namespace={"big": Costly(), "other": 1})
    (big,) = server.search_variables("bi")
    assert big["data"] == {"kind": "variable", "type": "tests.Costly"}
    assert Costly.calls == 0


async def test_a_tagged_variable_reaches_the_model_redacted(
    store: Any, notebook: dict[str, Any]
) -> None:
    model = ScriptedModel(
        [
            [assistant_message("Revenue is negative in the south.", item_id="m1")],
            [assistant_message("Still fine.", item_id="m2")],
        ]
    )
    server = NotebookServer(store=store, namespace=notebook, model=model)

    events = await turn(server, tagged("what is odd in ", "sales", "api_key"))

    assert errors(events) == []
    assert text_of(events) == "Revenue is negative in the south."
    seen = model_text(model.calls[0].input)
    assert "what is odd in @sales @api_key" in seen  # the tags are in the text as typed
    assert "The user tagged the notebook variable `sales`." in seen
    assert "revenue" in seen
    assert "-98.0" in seen
    assert "The user tagged the notebook variable `api_key`." in seen
    assert "<redacted>" in seen
    assert SECRET not in seen
    # The title keeps the tag's text.
    thread = events[0]["thread"]["id"]
    assert (await store.load_thread(thread, {})).title == "what is odd in @sales @api_key"

    # The thread goes on: the tagged message is history now.
    later = await turn(server, user_message("and now?", thread))
    assert errors(later) == []
    assert text_of(later) == "Still fine."


async def test_a_tag_of_something_else_reaches_the_model_as_it_is(
    store: Any, notebook: dict[str, Any]
) -> None:
    model = ScriptedModel([[assistant_message("ok", item_id="m1")]])
    server = NotebookServer(store=store, namespace=notebook, model=model)
    body = json.loads(tagged("see ", "x"))
    body["params"]["input"]["content"][1].update(id="doc_7", text="Q3 report", data={"page": "4"})

    events = await turn(server, json.dumps(body))

    assert errors(events) == []
    seen = model_text(model.calls[0].input)
    assert 'The user tagged @Q3 report: {"id": "doc_7", "data": {"page": "4"}}' in seen


async def test_the_offline_assistant_shows_tagged_variables(
    store: Any, notebook: dict[str, Any]
) -> None:
    server = NotebookServer(store=store, namespace=notebook)

    events = await turn(server, tagged("look at ", "sales", "threshold"))

    assert errors(events) == []
    widgets = [
        e["item"]["widget"]
        for e in events
        if e["type"] == "thread.item.done" and e["item"]["type"] == "widget"
    ]
    titles = [w["children"][0]["children"][0]["value"] for w in widgets]
    assert titles == ["sales", "threshold"]
    assert text_of(events) == "That's `sales`, a `pandas.DataFrame`. That's `threshold`, a `float`."


async def test_one_bad_item_does_not_break_the_thread(store: Any, notebook: dict[str, Any]) -> None:
    model = ScriptedModel(
        [[assistant_message("first", item_id="m1")], [assistant_message("second", item_id="m2")]]
    )
    server = NotebookServer(store=store, namespace=notebook, model=model)
    first = await turn(server, user_message("hello"))
    thread_id = first[0]["thread"]["id"]
    # E.g. an action handler stored structured hidden context, which ChatKit's converter refuses.
    thread = await store.load_thread(thread_id, {})
    bad = HiddenContextItem(
        id="hc_bad", thread_id=thread_id, created_at=datetime.now(), content={"rows": [1, 2]}
    )
    await store.add_thread_item(thread.id, bad, {})

    events = await turn(server, user_message("still there?", thread_id))

    assert errors(events) == []
    assert text_of(events) == "second"
    seen = model_text(model.calls[1].input)
    assert "[A hidden context item of this conversation could not be shown to you" in seen
    assert seen.endswith("still there?")
    (logged,) = [e for e in server.events if e["type"] == "item.error"]
    assert logged["summary"].startswith("hidden_context_item hc_bad: NotImplementedError")


async def test_a_variable_gone_since_it_was_tagged_is_explained(
    store: Any, notebook: dict[str, Any]
) -> None:
    model = ScriptedModel([[assistant_message("ok", item_id="m1")]])
    server = NotebookServer(store=store, namespace=notebook, model=model)
    await turn(server, tagged("check ", "sails"))
    assert "No variable named 'sails' in the notebook. Close matches: sales" in model_text(
        model.calls[0].input
    )


# -- your agent keeps the notebook's rules ----------------------------------------------------


async def _instructions(server: NotebookServer, model: ScriptedModel, store: Any) -> str | None:
    await turn(server, user_message("hi"))
    return model.calls[0].system_instructions


@pytest.mark.parametrize(
    ("own", "expected"),
    [
        ("Answer in French.", "Answer in French.\n\n" + NOTEBOOK_CONTEXT),
        (None, NOTEBOOK_CONTEXT),
        (lambda ctx, agent: f"You are {agent.name}.", "You are Helper.\n\n" + NOTEBOOK_CONTEXT),
    ],
)
async def test_an_agents_instructions_get_the_notebook_context(
    store: Any, notebook: dict[str, Any], own: Any, expected: str
) -> None:
    model = ScriptedModel([[assistant_message("ok", item_id="m1")]])
    agent = Agent(name="Helper", instructions=own, model=model)
    server = NotebookServer(agent, store=store, namespace=notebook)
    assert await _instructions(server, model, store) == expected
    assert agent.instructions is own  # the user's agent is not modified


async def test_async_instructions_get_the_notebook_context(
    store: Any, notebook: dict[str, Any]
) -> None:
    async def own(ctx: Any, agent: Any) -> str:
        return "Be terse."

    model = ScriptedModel([[assistant_message("ok", item_id="m1")]])
    server = NotebookServer(
        Agent(name="Helper", instructions=own, model=model), store=store, namespace=notebook
    )
    assert await _instructions(server, model, store) == "Be terse.\n\n" + NOTEBOOK_CONTEXT


async def test_the_default_agent_gets_the_context_once(
    store: Any, notebook: dict[str, Any]
) -> None:
    model = ScriptedModel([[assistant_message("ok", item_id="m1")]])
    server = NotebookServer(store=store, namespace=notebook, model=model)
    instructions = await _instructions(server, model, store)
    assert instructions == DEFAULT_INSTRUCTIONS
    assert instructions is not None
    assert instructions.count(NOTEBOOK_CONTEXT) == 1


# -- %chatkit ---------------------------------------------------------------------------------


@pytest.fixture
def shell(fake_comm: Any) -> Any:
    ip = ipython()
    ip.run_line_magic("load_ext", "chatkit_jupyter")
    yield ip
    ip.run_line_magic("unload_ext", "chatkit_jupyter")
    InteractiveShell.clear_instance()


async def test_chatkit_offers_variables_on_at_by_default(shell: Any) -> None:
    shell.user_ns.update(sales=[1, 2], salt="x")
    w = shell.run_line_magic("chatkit", "--db :memory: --renderer lite")
    assert p.HOOK_ENTITY_SEARCH in w.handlers
    result = await call(w, p.HOOK_ENTITY_SEARCH, {"query": "sal"})
    assert result["ok"] is True
    assert [e["title"] for e in result["value"]] == ["sales", "salt"]

    off = shell.run_line_magic("chatkit", "--db :memory: --no-mentions")
    assert p.HOOK_ENTITY_SEARCH not in off.handlers
