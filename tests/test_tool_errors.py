"""Tool errors are never silent (issue 10, item 8).

openai-agents turns an exception in a function tool into "An error occurred while running the
tool", and the offline assistant used to read any output it did not understand as "no
variables". Now a failing notebook tool says what failed, and the offline assistant repeats it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from agents import Agent, function_tool
from agents.tool_context import ToolContext

from chatkit_jupyter import NotebookServer, notebook_tools

from .conftest import text_of, turn, user_message

SECRET = "sk-test-0123456789abcdefSECRET"


pytestmark = pytest.mark.usefixtures("no_model_configured")


def broken_namespace() -> dict[str, Any]:
    raise ValueError(f"cannot read the namespace (token={SECRET})")


def context(name: str, arguments: str) -> ToolContext[Any]:
    return ToolContext(context=None, tool_name=name, tool_call_id="c", tool_arguments=arguments)


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("list_variables", {}),
        ("inspect_variable", {"name": "x"}),
        ("show_variables", {}),
        ("show_variable", {"name": "x"}),
    ],
)
async def test_a_failing_tool_says_what_failed(tool: str, arguments: dict[str, Any]) -> None:
    tools = {t.name: t for t in notebook_tools(broken_namespace)}
    raw = json.dumps(arguments)
    result = json.loads(await tools[tool].on_invoke_tool(context(tool, raw), raw))
    assert result["error"].startswith(f"{tool} failed: ValueError: cannot read the namespace")
    assert SECRET not in json.dumps(result)


async def test_bad_arguments_are_reported_as_such() -> None:
    tools = {t.name: t for t in notebook_tools({"x": 1})}
    raw = await tools["inspect_variable"].on_invoke_tool(context("inspect_variable", "{"), "{")
    error = json.loads(raw)["error"]
    assert error.startswith("inspect_variable failed: ")
    assert "An error occurred" not in error


async def test_offline_vars_reports_a_tool_error_instead_of_an_empty_notebook(store: Any) -> None:
    server = NotebookServer(store=store, namespace=broken_namespace)
    text = text_of(await turn(server, user_message("/vars")))
    assert "show_variables failed: ValueError: cannot read the namespace" in text
    assert "no variables" not in text
    assert SECRET not in text


async def test_outside_ipython_and_marimo_the_reply_says_to_pass_a_namespace(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("IPython.core.getipython.get_ipython", lambda: None)
    monkeypatch.delitem(sys.modules, "marimo", raising=False)
    server = NotebookServer(store=store)
    text = text_of(await turn(server, user_message("/vars")))
    assert "pass namespace=" in text
    assert "no variables" not in text


async def test_offline_says_when_a_tool_of_the_agent_failed_in_openai_agents_words(
    store: Any,
) -> None:
    # The agent's own show_variables (openai-agents' default error text) replaces ours.
    @function_tool
    async def show_variables() -> str:
        """Show the variables."""
        raise RuntimeError("broken")

    agent = Agent(name="mine", tools=[show_variables])
    server = NotebookServer(agent, store=store, namespace={"x": 1})
    text = text_of(await turn(server, user_message("/vars")))
    assert text.startswith("The `show_variables` tool failed: An error occurred")
    assert "no variables" not in text
