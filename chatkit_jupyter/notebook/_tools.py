"""The notebook tools: openai-agents function tools over ``_inspect`` and ``_widgets``.

``list_variables`` and ``inspect_variable`` return JSON to the model; ``show_variables`` and
``show_variable`` also show the result to the user as ChatKit widgets (a ListView and a Card).

Every tool is ``async`` on purpose: openai-agents runs sync function tools on a worker thread,
and the user namespace belongs to the kernel thread, where the agent's event loop runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from agents import FunctionTool, RunContextWrapper, function_tool
from chatkit.widgets import DynamicWidgetRoot

from ._inspect import (
    NamespaceSource,
    VariableNotFound,
    collect_variables,
    describe_variable,
    resolve_namespace,
)
from ._widgets import row_caption, variable_widget, variables_widget

MAX_VARIABLES: Final = 200
"""Variables ``list_variables`` returns; the count of the rest is reported."""


def _to_json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def _listing(namespace: Mapping[str, Any]) -> dict[str, Any]:
    rows = collect_variables(namespace)
    result: dict[str, Any] = {"count": len(rows), "variables": rows[:MAX_VARIABLES]}
    if len(rows) > MAX_VARIABLES:
        result["not_listed"] = len(rows) - MAX_VARIABLES
    return result


def notebook_tools(namespace: NamespaceSource = None) -> list[FunctionTool]:
    """The notebook tools, reading variables from ``namespace`` at every call.

    Args:
        namespace: A mapping, a function returning one, or ``None`` for IPython's user namespace.

    Returns:
        ``list_variables``, ``inspect_variable``, ``show_variables`` and ``show_variable``.
    """

    @function_tool
    async def list_variables() -> str:
        """List the variables defined in the user's notebook.

        Returns JSON with each variable's name, type, a short preview, and shape or length.
        Values of secrets are shown as "<redacted>".
        """
        return _to_json(_listing(resolve_namespace(namespace)))

    @function_tool
    async def inspect_variable(name: str) -> str:
        """Look at one variable in the user's notebook.

        Returns JSON with its type and value (capped in size); for pandas and numpy objects also
        shape, dtypes and the first rows.

        Args:
            name: The variable's name, as written in the notebook.
        """
        try:
            return _to_json(describe_variable(resolve_namespace(namespace), name))
        except VariableNotFound as e:
            return _to_json({"error": str(e)})

    @function_tool
    async def show_variables(ctx: RunContextWrapper[Any]) -> str:
        """Show the user a list of the variables in their notebook, as a widget in the chat.

        Returns JSON with the same variables, so you can talk about them.
        """
        listing = _listing(resolve_namespace(namespace))
        copy = "\n".join(
            f"{row['name']}: {row['type']} {row_caption(row)}".rstrip()
            for row in listing["variables"]
        )
        await _stream(ctx, variables_widget(listing["variables"]), copy)
        return _to_json({"shown_to_user": True, **listing})

    @function_tool
    async def show_variable(ctx: RunContextWrapper[Any], name: str) -> str:
        """Show the user one variable of their notebook as a card in the chat.

        Returns JSON with the same details, or an error naming close matches.

        Args:
            name: The variable's name, as written in the notebook.
        """
        try:
            detail = describe_variable(resolve_namespace(namespace), name)
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
