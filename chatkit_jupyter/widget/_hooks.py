"""Shapes that Python handlers return to ChatKit's front-end hooks, checked before they travel.

ChatKit (``@openai/chatkit``'s ``Entity``, ``Command``, ``CommandSelection`` and
``onRequestPreview``) silently ignores or breaks on a wrong shape in the page, where a notebook
user cannot see why. So the kernel checks what a handler returned and raises an error that says
what was wrong and what to return instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ENTITY_KEYS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "title": str,
    "icon": str,
    "group": str,
    "interactive": bool,
    "data": dict,
}
"""ChatKit's ``Entity``: ``id`` and ``title`` are required; ``data`` maps strings to strings."""

COMMAND_KEYS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "label": str,
    "description": str,
    "icon": str,
    "group": str,
}
"""ChatKit's ``Command``: ``id`` and ``label`` are required."""

ENTITY_EXAMPLE = "{'id': 'df_sales', 'title': 'sales', 'group': 'DataFrames'}"
COMMAND_EXAMPLE = "{'id': 'summarize', 'label': 'Summarize', 'description': '...'}"


class HandlerResultError(TypeError):
    """A Python hook handler returned something ChatKit cannot use."""


def _record(
    value: Any,
    where: str,
    keys: Mapping[str, type | tuple[type, ...]],
    required: tuple[str, ...],
    example: str,
) -> dict[str, Any]:
    if hasattr(value, "model_dump"):  # a pydantic model (e.g. a chatkit type) is fine too
        value = value.model_dump(mode="json", exclude_none=True)
    if not isinstance(value, Mapping):
        raise HandlerResultError(
            f"{where} must be a dict like {example}, not {type(value).__name__}."
        )
    unknown = [k for k in value if k not in keys]
    if unknown:
        raise HandlerResultError(
            f"{where} has unknown key(s) {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(keys)} (e.g. {example})."
        )
    missing = [k for k in required if k not in value]
    if missing:
        raise HandlerResultError(
            f"{where} is missing {', '.join(map(repr, missing))} (e.g. {example})."
        )
    out: dict[str, Any] = {}
    for key, item in value.items():
        if item is None and key not in required:
            continue  # optional and unset: leave it out, as ChatKit expects
        expected = keys[key]
        if not isinstance(item, expected) or (expected is str and key in required and not item):
            want = "a non-empty str" if key in required else getattr(expected, "__name__", "?")
            raise HandlerResultError(
                f"{where}: {key!r} must be {want}, not {type(item).__name__} {item!r:.60}."
            )
        out[key] = item
    return out


def entity(value: Any, where: str) -> dict[str, Any]:
    """Check one ChatKit ``Entity``; return it as a plain dict without ``None`` values."""
    out = _record(value, where, ENTITY_KEYS, ("id", "title"), ENTITY_EXAMPLE)
    data = out.get("data")
    if data is not None:
        bad = [k for k, v in data.items() if not isinstance(k, str) or not isinstance(v, str)]
        if bad:
            raise HandlerResultError(
                f"{where}: 'data' must map strings to strings (ChatKit sends it to the server "
                f"with the tag); {bad[0]!r} is not. Convert values with str()."
            )
    return out


def command(value: Any, where: str) -> dict[str, Any]:
    """Check one ChatKit ``Command``; return it as a plain dict without ``None`` values."""
    return _record(value, where, COMMAND_KEYS, ("id", "label"), COMMAND_EXAMPLE)


def _listed(value: Any, where: str, example: str) -> list[Any]:
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise HandlerResultError(
            f"{where} must return a list of dicts like {example}, not {type(value).__name__}."
        )
    return list(value)


def entity_list(value: Any, handler: str) -> list[dict[str, Any]]:
    """What ``@widget.entity_search`` returned: a list of entities."""
    where = f"The @widget.entity_search handler {handler}"
    items = _listed(value, where, ENTITY_EXAMPLE)
    return [entity(item, f"{where}: result [{i}]") for i, item in enumerate(items)]


def command_list(value: Any, handler: str) -> list[dict[str, Any]]:
    """What ``@widget.command_search`` returned: a list of commands."""
    where = f"The @widget.command_search handler {handler}"
    items = _listed(value, where, COMMAND_EXAMPLE)
    return [command(item, f"{where}: result [{i}]") for i, item in enumerate(items)]


def command_selection(value: Any, handler: str) -> dict[str, Any] | None:
    """What ``@widget.on_command`` returned: nothing, an entity to insert, or a next menu."""
    where = f"The @widget.on_command handler {handler}"
    shapes = (
        "None (the command only has an effect), {'type': 'entity', 'entity': {...}} "
        "(insert a tag) or {'type': 'menu', 'commands': [...]} (show more commands)"
    )
    if value is None:
        return None
    if not isinstance(value, Mapping) or value.get("type") not in ("entity", "menu"):
        got = value.get("type") if isinstance(value, Mapping) else type(value).__name__
        raise HandlerResultError(f"{where} returned {got!r:.60}; return {shapes}.")
    if value["type"] == "entity":
        if set(value) != {"type", "entity"}:
            raise HandlerResultError(f"{where} returned keys {sorted(value)}; return {shapes}.")
        return {"type": "entity", "entity": entity(value["entity"], f"{where}: 'entity'")}
    if set(value) != {"type", "commands"}:
        raise HandlerResultError(f"{where} returned keys {sorted(value)}; return {shapes}.")
    commands = _listed(value["commands"], f"{where}: 'commands'", COMMAND_EXAMPLE)
    return {
        "type": "menu",
        "commands": [command(c, f"{where}: 'commands' [{i}]") for i, c in enumerate(commands)],
    }


def preview(value: Any, handler: str) -> dict[str, Any]:
    """What ``@widget.entity_preview`` returned: ``{"preview": widget or None}``.

    A bare widget (dict with a ``type``, or a ``chatkit.widgets`` model) or ``None`` is accepted
    and wrapped, since that is what a handler most naturally returns.
    """
    where = f"The @widget.entity_preview handler {handler}"
    if isinstance(value, Mapping) and set(value) == {"preview"}:
        value = value["preview"]
    if value is None:
        return {"preview": None}
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if not isinstance(value, Mapping) or not isinstance(value.get("type"), str):
        raise HandlerResultError(
            f"{where} returned {type(value).__name__}; return {{'preview': widget}} where widget "
            "is a ChatKit widget root ({'type': 'Basic', 'children': [...]}, e.g. from "
            "Widget Studio or chatkit.widgets), or {'preview': None} for no preview."
        )
    return {"preview": dict(value)}
