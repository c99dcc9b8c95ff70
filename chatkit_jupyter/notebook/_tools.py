"""The notebook tools: openai-agents function tools over ``_inspect`` and ``_widgets``.

``list_variables`` and ``inspect_variable`` return JSON to the model; ``show_variables`` and
``show_variable`` also show the result to the user as ChatKit widgets (a ListView and a Card).

Every tool is ``async`` on purpose: openai-agents runs sync function tools on a worker thread,
and the user namespace belongs to the kernel thread, where the agent's event loop runs. Each call
has one time budget (``_budget.Budget``) for all the user's code it runs.

No failure is silent: openai-agents would turn an exception into "An error occurred while
running the tool", which a model (or the offline assistant) then reads as "no variables". A tool
that fails returns ``{"error": "<tool> failed: <what went wrong>"}`` instead, with secrets
scrubbed from the message.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, ParamSpec

from agents import FunctionTool, RunContextWrapper, function_tool
from chatkit.widgets import DynamicWidgetRoot

from ._budget import Budget
from ._inspect import (
    NamespaceSource,
    VariableNotFound,
    collect_variables,
    describe_variable,
    listed_names,
    resolve_namespace,
)
from ._redact import scrub
from ._widgets import row_caption, variable_widget, variables_widget

MAX_VARIABLES: Final = 200
"""Variables ``list_variables`` returns; the count of the rest is reported."""


def _to_json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def _listing(namespace: Mapping[str, Any], budget: Budget | None = None) -> dict[str, Any]:
    # Only the rows returned are previewed: the others' code never runs.
    count = len(listed_names(namespace))
    rows = collect_variables(namespace, limit=MAX_VARIABLES, budget=budget)
    result: dict[str, Any] = {"count": count, "variables": rows}
    if count > MAX_VARIABLES:
        result["not_listed"] = count - MAX_VARIABLES
    return result


def tool_error(tool: str, error: Exception) -> str:
    """What a tool returns when it fails: JSON ``{"error": ...}`` saying what went wrong."""
    text = str(error).strip()
    what = type(error).__name__
    # The message is the exception's own (a repr may be in it): scrubbed like any other text.
    message = f"{tool} failed: {what}: {scrub(text)}" if text else f"{tool} failed: {what}"
    return _to_json({"error": message})


def _failure(ctx: RunContextWrapper[Any], error: Exception) -> str:
    # What openai-agents returns for errors outside the tool's body (bad arguments ...).
    return tool_error(getattr(ctx, "tool_name", None) or "the tool", error)


P = ParamSpec("P")


def _reported(
    tool: Callable[P, Awaitable[str]],
) -> Callable[P, Awaitable[str]]:
    @functools.wraps(tool)
    async def run(*args: P.args, **kwargs: P.kwargs) -> str:
        try:
            return await tool(*args, **kwargs)
        except Exception as e:
            return tool_error(tool.__name__, e)

    return run


def notebook_tools(namespace: NamespaceSource = None) -> list[FunctionTool]:
    """The notebook tools, reading variables from ``namespace`` at every call.

    Args:
        namespace: A mapping, a function returning one, or ``None`` for IPython's user namespace.

    Returns:
        ``list_variables``, ``inspect_variable``, ``show_variables`` and ``show_variable``.
    """

    @function_tool(failure_error_function=_failure)
    @_reported
    async def list_variables() -> str:
        """List the variables defined in the user's notebook.

        Returns JSON with each variable's name, type, a short preview, and shape or length.
        Values of secrets are shown as "<redacted>".
        """
        with Budget() as budget:
            return _to_json(_listing(resolve_namespace(namespace), budget))

    @function_tool(failure_error_function=_failure)
    @_reported
    async def inspect_variable(name: str) -> str:
        """Look at one variable in the user's notebook.

        Returns JSON with its type and value (capped in size); for pandas and numpy objects also
        shape, dtypes and the first rows.

        Args:
            name: The variable's name, as written in the notebook.
        """
        try:
            with Budget() as budget:
                return _to_json(
                    describe_variable(resolve_namespace(namespace), name, budget=budget)
                )
        except VariableNotFound as e:
            return _to_json({"error": str(e)})

    @function_tool(failure_error_function=_failure)
    @_reported
    async def show_variables(ctx: RunContextWrapper[Any]) -> str:
        """Show the user a list of the variables in their notebook, as a widget in the chat.

        Returns JSON with the same variables, so you can talk about them.
        """
        with Budget() as budget:
            listing = _listing(resolve_namespace(namespace), budget)
        copy = "\n".join(
            f"{row['name']}: {row['type']} {row_caption(row)}".rstrip()
            for row in listing["variables"]
        )
        await _stream(ctx, variables_widget(listing["variables"]), copy)
        return _to_json({"shown_to_user": True, **listing})

    @function_tool(failure_error_function=_failure)
    @_reported
    async def show_variable(ctx: RunContextWrapper[Any], name: str) -> str:
        """Show the user one variable of their notebook as a card in the chat.

        Returns JSON with the same details, or an error naming close matches.

        Args:
            name: The variable's name, as written in the notebook.
        """
        try:
            with Budget() as budget:
                detail = describe_variable(resolve_namespace(namespace), name, budget=budget)
        except VariableNotFound as e:
            return _to_json({"shown_to_user": False, "error": str(e)})
        await _stream(ctx, variable_widget(detail), detail.get("head") or detail.get("repr"))
        return _to_json({"shown_to_user": True, **detail})

    return [list_variables, inspect_variable, show_variables, show_variable]


async def _stream(ctx: RunContextWrapper[Any], widget: DynamicWidgetRoot, copy: str | None) -> None:
    # Outside a ChatKit turn (a plain Runner.run) there is nowhere to show a widget; the JSON the
    # tool returns still carries the same information.
    stream_widget = getattr(ctx.context, "stream_widget", None)
    if stream_widget is not None:
        await stream_widget(widget, copy_text=copy)
