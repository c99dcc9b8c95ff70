"""``NotebookServer(allow_run=True)``: code runs only after a click on Run, between cells.

The model is openai-agents' ``ScriptedModel``; the clicks are the ``threads.custom_action``
requests ChatKit sends for the widget's buttons, through the real ``server.process``."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import pytest
from agents import Agent
from agents.testing import ScriptedModel, assistant_message, function_call
from chatkit.types import ThreadMetadata, WidgetItem

from chatkit_jupyter import NotebookServer
from chatkit_jupyter.workbench import RUN_ACTION
from chatkit_jupyter.workbench._run_code import execute

from .conftest import text_of, turn, user_message

CODE = "ran.append(1)\nprint('hello')\n40 + 2"


pytestmark = pytest.mark.usefixtures("no_model_configured")


def click(thread_id: str, item_id: str, approval: str, *, run: bool) -> str:
    action = {"type": RUN_ACTION, "payload": {"id": approval, "run": run}}
    return json.dumps(
        {
            "type": "threads.custom_action",
            "params": {"thread_id": thread_id, "item_id": item_id, "action": action},
        }
    )


async def propose(
    store: Any, *replies: Any, code: str = CODE
) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    """A turn in which the agent proposes ``code``; (server, model, namespace, widget item)."""
    model = ScriptedModel([[function_call("run_code", {"code": code}, call_id="c1")], *replies])
    namespace: dict[str, Any] = {"ran": []}
    server = NotebookServer(
        Agent(name="a", instructions="x", model=model),
        store=store,
        namespace=namespace,
        allow_run=True,
    )
    events = await turn(server, user_message("count it"))
    (widget,) = [
        e["item"]
        for e in events
        if e["type"] == "thread.item.done" and e["item"]["type"] == "widget"
    ]
    return server, model, namespace, widget


def buttons(widget: dict[str, Any]) -> dict[str, dict[str, Any]]:
    row = widget["widget"]["children"][2]
    return {b["label"]: b["onClickAction"] for b in row["children"]}


def widget_text(widget: dict[str, Any]) -> str:
    return json.dumps(widget["widget"])


async def test_the_code_is_shown_with_run_and_cancel_and_nothing_runs(store: Any) -> None:
    server, model, namespace, widget = await propose(store)
    actions = buttons(widget)
    assert set(actions) == {"Run", "Cancel"}
    assert actions["Run"]["type"] == RUN_ACTION
    assert actions["Run"]["payload"]["run"] is True
    assert actions["Cancel"]["payload"]["run"] is False
    assert "40 + 2" in widget_text(widget)
    # The turn ends at the proposal: no second model call, nothing ran.
    assert len(model.calls) == 1
    assert namespace["ran"] == []
    assert len(server.approvals) == 1


async def test_run_runs_it_once_and_the_model_gets_the_output(store: Any) -> None:
    server, model, namespace, widget = await propose(
        store, [assistant_message("It printed hello and gave 42.", item_id="m2")]
    )
    approval = buttons(widget)["Run"]["payload"]["id"]

    events = await turn(server, click(widget["thread_id"], widget["id"], approval, run=True))

    assert namespace["ran"] == [1]
    replaced = [e["item"] for e in events if e["type"] == "thread.item.replaced"]
    assert "Running" in widget_text(replaced[0])
    assert "Ran" in widget_text(replaced[-1])
    assert "hello" in widget_text(replaced[-1])
    assert "42" in widget_text(replaced[-1])
    assert "Run" not in json.dumps(replaced[-1]["widget"].get("children", [])[-1])  # no buttons
    assert text_of(events) == "It printed hello and gave 42."
    (step,) = [
        e["step"] for e in server.events if e["type"] == "step" and e["step"]["kind"] == "run_code"
    ]
    assert step["stdout"] == "hello\n"
    assert step["result"] == "42"
    told = json.dumps(model.calls[1].input)
    assert "clicked Run" in told
    assert "hello" in told
    assert "42" in told

    # The same click again (a replay) runs nothing.
    again = await turn(server, click(widget["thread_id"], widget["id"], approval, run=True))
    assert [e["type"] for e in again if e["type"] == "error"] == ["error"]
    assert namespace["ran"] == [1]
    model.assert_complete()


async def test_cancel_tells_the_model_and_runs_nothing(store: Any) -> None:
    server, model, namespace, widget = await propose(
        store, [assistant_message("OK, I won't run it.", item_id="m2")]
    )
    approval = buttons(widget)["Cancel"]["payload"]["id"]

    events = await turn(server, click(widget["thread_id"], widget["id"], approval, run=False))

    assert namespace["ran"] == []
    replaced = [e["item"] for e in events if e["type"] == "thread.item.replaced"]
    assert "Declined" in widget_text(replaced[-1])
    assert "declined" in json.dumps(model.calls[1].input)
    assert text_of(events) == "OK, I won't run it."
    # Run on the declined proposal does nothing either.
    await turn(server, click(widget["thread_id"], widget["id"], approval, run=True))
    assert namespace["ran"] == []


async def test_forged_or_misdirected_clicks_run_nothing(store: Any) -> None:
    server, _model, namespace, widget = await propose(store)
    approval = buttons(widget)["Run"]["payload"]["id"]
    thread_id = widget["thread_id"]
    # The same widget copied into another thread (a replayed request aimed elsewhere).
    other_thread = "thr_other"
    await store.save_thread(ThreadMetadata(id=other_thread, created_at=datetime.now()), {})
    copy = WidgetItem.model_validate({**widget, "thread_id": other_thread})
    await store.add_thread_item(other_thread, copy, {})

    forged = await turn(server, click(thread_id, widget["id"], "made-up-id", run=True))
    wrong_thread = await turn(server, click(other_thread, widget["id"], approval, run=True))

    for events in (forged, wrong_thread):
        assert [e for e in events if e["type"] == "error"]
    assert namespace["ran"] == []
    assert len(server.approvals) == 1  # the real proposal is still waiting


async def test_an_unanswered_proposal_expires(store: Any) -> None:
    server, _model, namespace, widget = await propose(store)
    server.approvals.ttl = 0.0
    server.approvals._pending[next(iter(server.approvals._pending))].expires = 0.0
    approval = buttons(widget)["Run"]["payload"]["id"]

    events = await turn(server, click(widget["thread_id"], widget["id"], approval, run=True))

    assert namespace["ran"] == []
    errors = [e for e in events if e["type"] == "error"]
    assert errors
    assert "expired" in json.dumps(errors)
    replaced = [e["item"] for e in events if e["type"] == "thread.item.replaced"]
    assert "Expired" in widget_text(replaced[-1])


async def test_code_waits_for_a_running_cell(store: Any) -> None:
    server, _model, namespace, widget = await propose(
        store, [assistant_message("Done.", item_id="m2")]
    )
    approval = buttons(widget)["Run"]["payload"]["id"]
    server._cells._started()  # a cell is executing

    clicked = asyncio.create_task(
        turn(server, click(widget["thread_id"], widget["id"], approval, run=True))
    )
    for _ in range(20):
        await asyncio.sleep(0)
    assert namespace["ran"] == []  # waiting for the cell
    server._cells._finished()
    await asyncio.wait_for(clicked, 10)
    assert namespace["ran"] == [1]


async def test_errors_are_returned_redacted(store: Any) -> None:
    secret = "sk-test-0123456789abcdefSECRET"
    server, model, namespace, widget = await propose(
        store,
        [assistant_message("It failed.", item_id="m2")],
        code="print(token)\nraise ValueError(token)",
    )
    namespace["token"] = secret  # the code reveals a secret it reads from the notebook
    approval = buttons(widget)["Run"]["payload"]["id"]
    events = await turn(server, click(widget["thread_id"], widget["id"], approval, run=True))
    told = json.dumps(model.calls[1].input)
    assert "ValueError" in told
    assert secret not in told
    assert secret not in json.dumps(events)


async def test_the_notebooks_secret_variables_are_hidden_by_value(store: Any) -> None:
    # Neither value has a key's shape: only their variables' names say they are secrets.
    password, short = "Pa55word9x", "x1y"
    server, model, namespace, widget = await propose(
        store,
        [assistant_message("Done.", item_id="m2")],
        code='print(f"login {db_password}")\nheader = f"Token {db_password}"\nraise '
        "ValueError(header)\n",
    )
    namespace["db_password"] = password
    approval = buttons(widget)["Run"]["payload"]["id"]
    events = await turn(server, click(widget["thread_id"], widget["id"], approval, run=True))
    told = json.dumps(model.calls[1].input)
    assert "login <redacted>" in told
    assert "ValueError: Token <redacted>" in told
    assert password not in told
    assert password not in json.dumps(events)
    # The last expression a secret's name: hidden whatever its value, even a short one.
    namespace["smtp_pass"] = short
    outcome = execute("smtp_pass", namespace)
    assert outcome.result == "<redacted>"


async def test_off_by_default(store: Any) -> None:
    model = ScriptedModel([[assistant_message("hi", item_id="m1")]])
    server = NotebookServer(
        Agent(name="a", instructions="x", model=model), store=store, namespace={}
    )
    await turn(server, user_message("hi"))
    assert "run_code" not in [t.name for t in model.calls[0].tools]


async def offline_proposal(store: Any, text: str) -> tuple[Any, dict[str, Any], list[Any]]:
    namespace: dict[str, Any] = {"ran": []}
    server = NotebookServer(store=store, namespace=namespace, allow_run=True)
    return server, namespace, await turn(server, user_message(text))


async def test_the_offline_assistant_proposes_run_code_and_repeats_the_outcome(
    store: Any,
) -> None:
    server, namespace, events = await offline_proposal(
        store, "/run ```python\nran.append('x')\nprint('hi')\n6 * 7\n```"
    )
    (widget,) = [
        e["item"]
        for e in events
        if e["type"] == "thread.item.done" and e["item"]["type"] == "widget"
    ]
    assert namespace["ran"] == []  # shown, not run
    assert widget_text(widget).count("```") == 2  # its own fence, not the message's too
    approval = buttons(widget)["Run"]["payload"]["id"]

    events = await turn(server, click(widget["thread_id"], widget["id"], approval, run=True))

    assert namespace["ran"] == ["x"]
    answer = text_of(events)
    assert answer.startswith("Here is what happened:")
    assert "hi" in answer
    assert "42" in answer


async def test_the_offline_assistant_reports_a_decline_and_runs_nothing(store: Any) -> None:
    server, namespace, events = await offline_proposal(store, "/run ran.append(1)")
    (widget,) = [
        e["item"]
        for e in events
        if e["type"] == "thread.item.done" and e["item"]["type"] == "widget"
    ]
    approval = buttons(widget)["Cancel"]["payload"]["id"]
    events = await turn(server, click(widget["thread_id"], widget["id"], approval, run=False))
    assert namespace["ran"] == []
    assert "declined" in text_of(events)


@pytest.mark.parametrize(
    ("allow_run", "text", "expected"),
    [
        (False, "/run 1 + 1", "Running code is off for this chat"),
        (True, "/run", "What should I run?"),
        (True, "/run   ", "What should I run?"),
    ],
)
async def test_the_offline_assistant_explains_when_it_cannot_propose(
    store: Any, allow_run: bool, text: str, expected: str
) -> None:
    namespace: dict[str, Any] = {"ran": []}
    server = NotebookServer(store=store, namespace=namespace, allow_run=allow_run)
    events = await turn(server, user_message(text))
    assert expected in text_of(events)
    assert not [
        e for e in events if e["type"] == "thread.item.done" and e["item"]["type"] == "widget"
    ]
