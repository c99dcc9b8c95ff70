"""The front-end hooks Python answers: a dispatch table and the shapes handlers must return.

``DISPATCH`` maps each hook the front end may ``call`` to where its handlers live (one, many, one
per client tool name, or none), how the payload becomes the handler's arguments, and how the
result is checked. ``HookRegistry`` holds one widget's handlers and dispatches by that table.

ChatKit (``@openai/chatkit``'s ``Entity``, ``Command``, ``CommandSelection`` and
``onRequestPreview``) silently ignores or breaks on a wrong shape in the page, where a notebook
user cannot see why. So the kernel checks what a handler returned and raises an error that says
what was wrong and what to return instead.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from chatkit_jupyter.bridge import _protocol as p
from chatkit_jupyter.bridge import call_handler

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


def tool_output(value: Any, name: str) -> dict[str, Any]:
    """What a client tool handler returned: ChatKit wants the tool's output as a JSON dict.

    Checked here, not only where the bridge sends it: ``ask`` sends it to the server itself.
    """
    if hasattr(value, "model_dump"):  # a pydantic model, as other handlers may return
        value = value.model_dump(mode="json", exclude_none=True)
    if not isinstance(value, Mapping):
        raise TypeError(f"Client tool {name!r} must return a dict, not {type(value).__name__}.")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"Client tool {name!r} returned a dict that is not JSON ({e}); use strings, "
            "numbers, booleans, None, lists and dicts (e.g. str() a date, .tolist() an array)."
        ) from None
    return dict(value)


def _as_is(value: Any, _handler: str) -> Any:
    return value


def _query(payload: Mapping[str, Any]) -> tuple[Any, ...]:
    return (str(payload.get("query") or ""),)


def _entity(payload: Mapping[str, Any]) -> tuple[Any, ...]:
    return (dict(payload.get("entity") or {}),)


# -- the dispatch table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hook:
    """How one front-end hook reaches Python."""

    slot: Literal["one", "many", "named", "none"]
    """``one``: a single handler (a later one replaces it); ``many``: every handler, in order;
    ``named``: one handler per client tool name; ``none``: nothing to call."""
    decorator: str = ""
    """The widget method that registers a handler, named in errors."""
    args: Callable[[Mapping[str, Any]], tuple[Any, ...]] = lambda payload: ()
    """The handler's arguments, taken from the ``call`` payload."""
    check: Callable[[Any, str], Any] | None = None
    """Checks a handler's result (given the handler's name) and returns what travels back;
    ``None``: the result is dropped and the front end gets ``null``."""
    missing: str | None = None
    """The error when no handler is registered; ``None``: having none is fine."""
    keywords: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    """Extra keyword arguments, each passed only to handlers that declare a parameter of that
    name (or ``**kwargs``), so handlers written before it existed keep working."""


_NO_HANDLER: Final = (
    "The chat asked for {hook!r} but no Python handler is registered; "
    "add one with @widget.{decorator}."
)

DISPATCH: Final[Mapping[str, Hook]] = {
    p.HOOK_CLIENT_TOOL: Hook(
        "named",
        "client_tool",
        args=lambda payload: (dict(payload.get("params") or {}),),
        check=tool_output,
        missing=(
            "No Python handler for client tool {name!r} (registered: {known}). "
            "Add one with @widget.client_tool({name!r})."
        ),
    ),
    p.HOOK_ACTION: Hook(
        "many",
        "on_action",
        args=lambda payload: (payload.get("action"), payload.get("item")),
        missing=(
            "A widget action with handler 'client' arrived but no Python handler is "
            "registered; add one with @widget.on_action."
        ),
        keywords=lambda payload: {"thread_id": payload.get("thread_id")},
    ),
    p.HOOK_EFFECT: Hook(
        "many", "on_effect", args=lambda payload: (payload.get("name"), payload.get("data"))
    ),
    p.HOOK_LOG: Hook("none"),
    p.HOOK_CLIENT_SECRET: Hook(
        "one",
        "for_workflow",
        args=lambda payload: (payload.get("current"),),
        check=_as_is,
        missing="This widget is not connected to a hosted ChatKit workflow.",
    ),
    p.HOOK_ENTITY_SEARCH: Hook(
        "one", "entity_search", args=_query, check=entity_list, missing=_NO_HANDLER
    ),
    p.HOOK_ENTITY_CLICK: Hook("one", "on_entity_click", args=_entity, missing=_NO_HANDLER),
    p.HOOK_ENTITY_PREVIEW: Hook(
        "one", "entity_preview", args=_entity, check=preview, missing=_NO_HANDLER
    ),
    p.HOOK_COMMAND_SEARCH: Hook(
        "one", "command_search", args=_query, check=command_list, missing=_NO_HANDLER
    ),
    p.HOOK_COMMAND_SELECT: Hook(
        "one",
        "on_command",
        args=lambda payload: (dict(payload.get("command") or {}),),
        check=command_selection,
        missing=_NO_HANDLER,
    ),
    p.HOOK_READY: Hook("many", "on_ready"),
    p.HOOK_THREAD_CHANGE: Hook(
        "many", "on_thread_change", args=lambda payload: (payload.get("thread_id"),)
    ),
    p.HOOK_RESPONSE_START: Hook("many", "on_response_start"),
    p.HOOK_RESPONSE_END: Hook("many", "on_response_end"),
    p.HOOK_ACTIVE: Hook("none"),
    # Answered by the widget itself, before its registry (``_chat.py``).
    p.HOOK_ICONS: Hook("none"),
}
"""Every hook the front end may call (``bridge`` protocol's ``HOOKS``), and how it is served."""


def accepts_keyword(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` takes a keyword argument ``name`` (by name or through ``**kwargs``)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # some builtins have no signature
        return False
    param = params.get(name)
    if param is not None:
        return param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)
    return any(p.kind is p.VAR_KEYWORD for p in params.values())


class HookRegistry:
    """One widget's hook handlers, dispatched by ``DISPATCH``."""

    def __init__(self) -> None:
        self._one: dict[str, Callable[..., Any]] = {}
        self._many: dict[str, list[Callable[..., Any]]] = {}
        self._named: dict[str, Callable[..., Any]] = {}

    def set(self, hook: str, fn: Callable[..., Any]) -> None:
        """Make ``fn`` the handler of a ``one`` hook, replacing an earlier one."""
        if not callable(fn):
            raise TypeError(f"Expected a function to handle {hook!r}, got {type(fn).__name__}.")
        self._one[hook] = fn

    def add(self, hook: str, fn: Callable[..., Any]) -> None:
        """Add ``fn`` to the handlers of a ``many`` hook."""
        if not callable(fn):
            raise TypeError(f"Expected a function to handle {hook!r}, got {type(fn).__name__}.")
        self._many.setdefault(hook, []).append(fn)

    def set_named(self, name: str, fn: Callable[..., Any]) -> None:
        """Make ``fn`` the handler of client tool ``name``."""
        if not callable(fn):
            raise TypeError(
                f"Expected a function to handle client tool {name!r}, got {type(fn).__name__}."
            )
        self._named[name] = fn

    def has(self, hook: str) -> bool:
        """Whether a ``one`` hook has a handler."""
        return hook in self._one

    @property
    def names(self) -> list[str]:
        """The client tools with a handler, sorted."""
        return sorted(self._named)

    async def dispatch(self, hook: str, payload: Mapping[str, Any]) -> Any:
        """Run the handler(s) of ``hook`` and return the checked result."""
        spec = DISPATCH.get(hook)
        if spec is None:
            raise LookupError(f"Unknown hook {hook!r}; expected one of {', '.join(p.HOOKS)}.")
        if spec.slot == "none":
            return None
        args = spec.args(payload)
        keywords = spec.keywords(payload) if spec.keywords is not None else {}
        if spec.slot == "many":
            handlers = self._many.get(hook, [])
            if not handlers and spec.missing is not None:
                raise LookupError(spec.missing)
            for fn in handlers:
                kwargs = {k: v for k, v in keywords.items() if accepts_keyword(fn, k)}
                await call_handler(fn, *args, **kwargs)
            return None
        if spec.slot == "named":
            name = str(payload.get("name"))
            handler = self._named.get(name)
            label = name
        else:
            handler = self._one.get(hook)
            label = repr(getattr(handler, "__qualname__", handler))
        if handler is None:
            message = spec.missing or f"No handler for {hook!r}."
            known = ", ".join(self.names) or "none"
            raise LookupError(
                message.format(hook=hook, decorator=spec.decorator, name=label, known=known)
            )
        value = await call_handler(handler, *args)
        return None if spec.check is None else spec.check(value, label)
