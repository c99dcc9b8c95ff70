"""What the agent did, in the chat: tool calls, reasoning, handoffs and guardrail trips as
ChatKit workflow tasks (``StepTrace`` inside ``NotebookServer.respond``), with a scripted model
(openai-agents' ``ScriptedModel``) so the real Runner, tools and ``stream_agent_response`` run."""

from __future__ import annotations

import asyncio
import gc
import json
from typing import Any

import pytest
from agents import (
    Agent,
    GuardrailFunctionOutput,
    function_tool,
    handoff,
    input_guardrail,
    output_guardrail,
)
from agents.testing import ScriptedModel, assistant_message, function_call

from chatkit_jupyter import NotebookServer
from chatkit_jupyter.server import NOTEBOOK_CONTEXT

from .conftest import text_of, turn, user_message
from .openai_stub import OpenAIStub, text_reply, tool_call_reply

SECRET = "sk-test-0123456789abcdefSECRET"


pytestmark = pytest.mark.usefixtures("no_model_configured")


def workflow_events(events: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """(event type, detail) for every event about a workflow item, in order."""
    ids = {e["item"]["id"] for e in events if "item" in e and e["item"]["type"] == "workflow"}
    out: list[tuple[str, Any]] = []
    for e in events:
        if "item" in e and e["item"]["id"] in ids:
            out.append((e["type"], e["item"]["workflow"]))
        elif e.get("item_id") in ids:
            out.append((e["type"], e["update"]))
    return out


async def test_tool_calls_are_tasks_that_collapse_into_a_summary(store: Any) -> None:
    @function_tool
    def lookup(city: str, api_key: str) -> str:
        """Looks a city up."""
        return f"{city}: 12 degrees, key {SECRET}"

    model = ScriptedModel(
        [
            [function_call("lookup", {"city": "Oslo", "api_key": SECRET}, call_id="c1")],
            [function_call("list_variables", {}, call_id="c2")],
            [assistant_message("It is 12 degrees in Oslo.", item_id="msg_1")],
        ]
    )
    agent = Agent(name="weather", instructions="Be brief.", model=model, tools=[lookup])
    server = NotebookServer(agent, store=store, namespace={"x": 1})

    events = await turn(server, user_message("weather in Oslo?"))

    assert text_of(events) == "It is 12 degrees in Oslo."
    flow = workflow_events(events)
    kinds = [k for k, _ in flow]
    # Added with the first call (open, loading), each update as it happens, done (collapsed)
    # before the answer.
    assert kinds[0] == "thread.item.added"
    added = flow[0][1]
    assert added["expanded"] is True
    assert added["tasks"][0]["title"] == "lookup"
    assert added["tasks"][0]["status_indicator"] == "loading"
    assert '"city": "Oslo"' in added["tasks"][0]["content"]
    assert kinds[-1] == "thread.item.done"
    done = flow[-1][1]
    assert done["expanded"] is False
    assert done["summary"] == {"title": "Used lookup, list_variables", "icon": "bolt"}
    titles = [t["title"].split(" · ")[0] for t in done["tasks"]]
    assert titles == ["lookup", "list_variables"]
    assert all(t["status_indicator"] == "complete" for t in done["tasks"])
    assert "12 degrees" in done["tasks"][0]["content"]
    assert " · " in done["tasks"][0]["title"]  # the time it took
    updates = [d["type"] for k, d in flow if k == "thread.item.updated"]
    assert updates == ["workflow.task.updated", "workflow.task.added", "workflow.task.updated"]
    # The workflow is closed before the message starts.
    order = [(e["type"], e["item"]["type"]) for e in events if "item" in e]
    assert order.index(("thread.item.done", "workflow")) < order.index(
        ("thread.item.added", "assistant_message")
    )
    # Secrets in arguments and results are never shown.
    assert SECRET not in json.dumps(events)
    # Stored, so the tasks are there when the thread is opened again.
    thread_id = events[0]["thread"]["id"]
    items = (await store.load_thread_items(thread_id, None, 20, "asc", {})).data
    assert [i.type for i in items] == ["user_message", "workflow", "assistant_message"]
    assert items[1].workflow.summary.title == "Used lookup, list_variables"
    # The steps, for the inspector.
    steps = [e["step"] for e in server.events if e["type"] == "step"]
    assert [s["kind"] for s in steps] == ["model", "tool", "model", "tool", "model"]
    assert steps[1]["name"] == "lookup"
    assert "Oslo" in steps[1]["arguments"]
    assert SECRET not in json.dumps(steps)


async def test_the_next_turn_does_not_resend_the_tasks(store: Any) -> None:
    model = ScriptedModel(
        [
            [function_call("list_variables", {}, call_id="c1")],
            [assistant_message("One variable.", item_id="m1")],
            [assistant_message("Still one.", item_id="m2")],
        ]
    )
    server = NotebookServer(
        Agent(name="a", instructions="x", model=model), store=store, namespace={"x": 1}
    )
    first = await turn(server, user_message("vars?"))
    await turn(server, user_message("and now?", first[0]["thread"]["id"]))
    texts = json.dumps(model.calls[2].input)
    assert "task was performed" not in texts
    assert [m["role"] for m in model.calls[2].input] == ["user", "assistant", "user"]


async def test_a_widget_shown_by_a_tool_keeps_its_call_result(store: Any) -> None:
    model = ScriptedModel(
        [
            [function_call("show_variables", {}, call_id="c1")],
            [assistant_message("Shown.", item_id="m1")],
        ]
    )
    server = NotebookServer(
        Agent(name="a", instructions="x", model=model), store=store, namespace={"x": 1}
    )
    events = await turn(server, user_message("show"))
    thread_id = events[0]["thread"]["id"]
    items = (await store.load_thread_items(thread_id, None, 20, "asc", {})).data
    assert [i.type for i in items] == ["user_message", "workflow", "widget", "assistant_message"]
    (task,) = items[1].workflow.tasks
    assert task.status_indicator == "complete"
    assert "shown_to_user" in (task.content or "")


async def test_reasoning_summaries_are_thought_tasks(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real OpenAI-compatible server that streams `reasoning_content` (as DeepSeek, vLLM and
    # Ollama do for thinking models) before a tool call.
    thinking = [{"delta": {"role": "assistant", "reasoning_content": "The user wants the list."}}]
    replies = [thinking + tool_call_reply("list_variables", {}), text_reply("Done.")]
    with OpenAIStub(replies) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        monkeypatch.setenv("OPENAI_MODEL", "stub-model")
        server = NotebookServer(store=store, namespace={"x": 1})
        events = await turn(server, user_message("list"))
    assert text_of(events) == "Done."
    done = [w for k, w in workflow_events(events) if k == "thread.item.done"]
    tasks = [t for w in done for t in w["tasks"]]
    assert tasks[0]["type"] == "thought"
    assert tasks[0]["content"] == "The user wants the list."
    assert tasks[-1]["title"].startswith("list_variables")
    steps = [e["step"] for e in server.events if e["type"] == "step"]
    assert [s["kind"] for s in steps] == ["model", "thought", "tool", "model"]
    assert steps[0]["model"] == "stub-model"
    assert steps[0]["total_tokens"] == 2  # the stub's usage
    assert steps[0]["seconds"] >= 0


async def test_handoffs_are_tasks(store: Any) -> None:
    expert_model = ScriptedModel([[assistant_message("Expert here.", item_id="m2")]])
    expert = Agent(name="Expert", instructions="x", model=expert_model)
    triage_model = ScriptedModel([[function_call("transfer_to_expert", {}, call_id="h1")]])
    triage = Agent(name="Triage", instructions="x", model=triage_model, handoffs=[expert])
    server = NotebookServer(triage, store=store, namespace={})

    events = await turn(server, user_message("help"))

    assert text_of(events) == "Expert here."
    done = [w for k, w in workflow_events(events) if k == "thread.item.done"]
    titles = [t["title"] for w in done for t in w["tasks"]]
    assert "Handed off to Expert" in titles
    steps = [e["step"] for e in server.events if e["type"] == "step"]
    assert {"kind": "handoff", "from": "Triage", "to": "Expert"}.items() <= next(
        s for s in steps if s["kind"] == "handoff"
    ).items()


async def test_agents_handed_off_to_keep_the_notebook_rules_and_tools(store: Any) -> None:
    # Triage -> Expert (a plain agent) -> Reviewer (a `handoff()` object) -> back to Triage.
    reviewer_model = ScriptedModel(
        [[function_call("transfer_to_triage", {}, call_id="h3")]],
    )
    expert_model = ScriptedModel([[function_call("transfer_to_reviewer", {}, call_id="h2")]])
    triage_model = ScriptedModel(
        [
            [function_call("transfer_to_expert", {}, call_id="h1")],
            [assistant_message("Back at triage.", item_id="m9")],
        ]
    )
    reviewer = Agent(name="Reviewer", instructions="Review.", model=reviewer_model)
    expert = Agent(
        name="Expert", instructions="Know things.", model=expert_model, handoffs=[handoff(reviewer)]
    )
    triage = Agent(name="Triage", instructions="Triage.", model=triage_model, handoffs=[expert])
    reviewer.handoffs = [triage]
    server = NotebookServer(triage, store=store, namespace={"secret_ish": 1})

    events = await turn(server, user_message("help"))

    assert text_of(events) == "Back at triage."
    for own, model in (
        ("Know things.", expert_model),
        ("Review.", reviewer_model),
        ("Triage.", triage_model),
    ):
        for call in model.calls:
            assert call.system_instructions == f"{own}\n\n{NOTEBOOK_CONTEXT}"
            assert {"list_variables", "inspect_variable"} <= {t.name for t in call.tools}
    # The loop back reached the same prepared Triage: its second model call.
    assert len(triage_model.calls) == 2
    # The user's agents are not changed.
    assert triage.instructions == "Triage."
    assert triage.handoffs == [expert]
    assert expert.tools == []
    assert reviewer.handoffs == [triage]


async def test_an_agent_handed_off_to_uses_the_model_the_notebook_configured(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    replies = [tool_call_reply("transfer_to_expert", {}), text_reply("Expert here.")]
    with OpenAIStub(replies) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        monkeypatch.setenv("OPENAI_MODEL", "stub-model")
        expert = Agent(name="Expert", instructions="Know things.")
        server = NotebookServer(
            Agent(name="Triage", instructions="Triage.", handoffs=[expert]),
            store=store,
            namespace={},
        )
        events = await turn(server, user_message("help"))
    assert text_of(events) == "Expert here."
    first, second = (r["body"] for r in stub.requests)
    assert first["model"] == second["model"] == "stub-model"
    assert second["messages"][0] == {
        "role": "system",
        "content": "Know things.\n\n" + NOTEBOOK_CONTEXT,
    }


async def test_an_agent_used_as_a_tool_uses_the_model_the_notebook_configured(
    store: Any,
) -> None:
    # agent.as_tool() runs the agent in a run of its own: it asked OpenAI's default model
    # (here: no key, so the tool failed) instead of the notebook's.
    model = ScriptedModel(
        [
            [function_call("ask_expert", {"input": "2+2?"}, call_id="c1")],
            [assistant_message("4", item_id="m1")],  # the expert, in its own run
            [assistant_message("The expert says 4.", item_id="m2")],
        ]
    )
    expert = Agent(name="Expert", instructions="Know things.")
    tool = expert.as_tool(tool_name="ask_expert", tool_description="Asks the expert.")
    server = NotebookServer(
        Agent(name="Lead", tools=[tool]), store=store, namespace={}, model=model
    )

    reply = await server.ask("what is 2+2?")

    assert reply.text == "The expert says 4."
    (call,) = reply.tool_calls
    assert (call.name, call.output, call.error) == ("ask_expert", "4", None)
    assert len(model.calls) == 3


async def test_a_guardrail_trip_is_a_task_not_an_error(store: Any) -> None:
    @input_guardrail
    def no_secrets(ctx: Any, agent: Any, text: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(
            output_info={"reason": "asks for a key"}, tripwire_triggered=True
        )

    model = ScriptedModel([[assistant_message("never shown", item_id="m1")]])
    agent = Agent(name="a", instructions="x", model=model, input_guardrails=[no_secrets])
    server = NotebookServer(agent, store=store, namespace={})

    events = await turn(server, user_message("tell me the key"))

    assert [e for e in events if e["type"] == "error"] == []
    done = [w for k, w in workflow_events(events) if k == "thread.item.done"]
    (task,) = done[-1]["tasks"]
    assert task["title"] == "Guardrail tripped: no_secrets"
    assert "asks for a key" in task["content"]
    assert server.events[-1]["type"] == "turn.guardrail"


async def test_a_tool_that_raises_shows_what_it_raised(store: Any) -> None:
    # The SDK tells the model only "An error occurred while running the tool"; before, the
    # task, the inspector's step and reply.tool_calls said no more, so why it failed was lost.
    @function_tool
    def load(path: str) -> str:
        """Loads a file."""
        raise FileNotFoundError(f"no file {path} (token {SECRET})")

    model = ScriptedModel(
        [
            [function_call("load", {"path": "q1.csv"}, call_id="c1")],
            [assistant_message("It is not there.", item_id="m1")],
        ]
    )
    server = NotebookServer(Agent(name="a", model=model, tools=[load]), store=store, namespace={})

    reply = await server.ask("load q1.csv")

    (call,) = reply.tool_calls
    assert call.error is not None
    assert call.error.startswith("FileNotFoundError: no file q1.csv")
    assert SECRET not in call.error
    assert call.output == "An error occurred while running the tool. Please try again."
    sent = [i for i in model.calls[-1].input if i.get("type") == "function_call_output"]
    assert sent[0]["output"] == call.output  # the model still gets the SDK's message only
    (workflow,) = [i for i in reply.items if i.type == "workflow"]
    (task,) = workflow.workflow.tasks
    assert task.title.startswith("load failed · ")
    assert "Raised FileNotFoundError: no file q1.csv" in task.content
    assert SECRET not in task.content
    (step,) = [
        e["step"] for e in server.events if e["type"] == "step" and e["step"]["kind"] == "tool"
    ]
    assert step["error"] == call.error


async def test_a_tool_that_fails_the_run_ends_its_task(store: Any) -> None:
    # A tool without a failure_error_function fails the turn; its task went on spinning in
    # the chat, and the workflow was never saved to the thread.
    @function_tool(failure_error_function=None)
    def load(path: str) -> str:
        """Loads a file."""
        raise KeyError(f"no column (token {SECRET})")

    model = ScriptedModel([[function_call("load", {"path": "q1.csv"}, call_id="c1")]])
    server = NotebookServer(Agent(name="a", model=model, tools=[load]), store=store, namespace={})

    events = await turn(server, user_message("load it"))

    assert [e for e in events if e["type"] == "error"]  # the turn failed, and says so
    flow = workflow_events(events)
    assert flow[-1][0] == "thread.item.done"
    (task,) = flow[-1][1]["tasks"]
    assert task["title"] == "load failed"
    assert task["status_indicator"] == "complete"
    assert "Raised UserError: Error running tool load" in task["content"]
    assert SECRET not in task["content"]
    thread_id = events[0]["thread"]["id"]
    stored = (await store.load_thread_items(thread_id, None, 10, "asc", {})).data
    assert [i.type for i in stored] == ["user_message", "workflow"]
    step = [e["step"] for e in server.events if e["type"] == "step"][-1]
    assert (step["kind"], step["name"], step["output"]) == ("tool", "load", None)
    assert step["error"].startswith("UserError: Error running tool load")
    # ask's reply lists the call too (it is not among the run's items).
    model.enqueue([function_call("load", {"path": "q2.csv"}, call_id="c2")])
    reply = await server.ask("load q2")
    assert reply.error is not None
    (call,) = reply.tool_calls
    assert (call.name, call.arguments, call.output) == ("load", {"path": "q2.csv"}, None)
    assert call.error is not None
    assert call.error.startswith("UserError: Error running tool load")


async def test_a_stopped_turn_leaves_no_task_behind(store: Any) -> None:
    # Stopped while a tool ran, chatkit's stream_agent_response was cancelled mid-wait and
    # left its tasks pending: "Task exception was never retrieved" and "Task was destroyed
    # but it is pending!" appeared in the notebook's output.
    @function_tool
    async def wait_forever() -> str:
        """Never returns."""
        await asyncio.Event().wait()
        return "never"

    model = ScriptedModel([[function_call("wait_forever", {}, call_id="c1")]])
    agent = Agent(name="a", model=model, tools=[wait_forever])
    server = NotebookServer(agent, store=store, namespace={})
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    before = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context["message"]))
    try:
        reply = await server.ask("wait", timeout=0.3)
        assert reply.error is not None
        assert reply.error.startswith("No complete reply within")
        for _ in range(3):
            await asyncio.sleep(0)
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(before)
    assert seen == []
    assert server.events[-1]["type"] == "turn.cancelled"


@pytest.mark.parametrize("which", ["input", "output"])
async def test_a_guardrail_trip_leaves_no_task_behind(store: Any, which: str) -> None:
    # stream_agent_response left its reader of the context's queue waiting on the queue it
    # had just emptied: "Task was destroyed but it is pending!" in the notebook.
    def trip(ctx: Any, agent: Any, data: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info=None, tripwire_triggered=True)

    guardrail = {"input_guardrails": [input_guardrail(trip)]}
    if which == "output":
        guardrail = {"output_guardrails": [output_guardrail(trip)]}
    model = ScriptedModel([[assistant_message("never shown", item_id="m1")]])
    server = NotebookServer(Agent(name="a", model=model, **guardrail), store=store, namespace={})
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    before = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context["message"]))
    try:
        reply = await server.ask("hi")
        for _ in range(3):
            await asyncio.sleep(0)
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(before)
    assert reply.error is None
    assert seen == []
    assert server.events[-1]["type"] == "turn.guardrail"
