"""ChatKit options a notebook may set, and the ones the widget owns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_CDN_URL = "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js"
"""Where OpenAI serves the ``<openai-chatkit>`` web component (unversioned)."""

CHATKIT_OPTIONS: tuple[str, ...] = (
    "locale",
    "theme",
    "frameTitle",
    "initialThread",
    "header",
    "history",
    "startScreen",
    "threadItemActions",
    "composer",
    "disclaimer",
    "entities",
    "commands",
    "widgets",
    "thread",
)
"""Every ChatKit option a notebook may set (``@openai/chatkit``'s ``ChatKitOptions``).

``api`` and ``onClientTool`` are not here: the widget owns them and bridges them to the kernel.
"""

OWNED_OPTIONS: dict[str, str] = {
    "api": "the widget routes ChatKit's API through the kernel; pass a ChatKitServer as `server=`",
    "onClientTool": "register Python handlers with `@widget.client_tool(name)`",
}

OWNED_CALLBACKS: dict[str, dict[str, str]] = {
    "widgets": {"onAction": "@widget.on_action"},
    "entities": {
        "onTagSearch": "@widget.entity_search",
        "onClick": "@widget.on_entity_click",
        "onRequestPreview": "@widget.entity_preview",
    },
    "commands": {"onSearch": "@widget.command_search", "onSelect": "@widget.on_command"},
}
"""ChatKit options that take JavaScript functions, and the decorator that supplies each."""


def validate_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Check ChatKit option keys; raise a ``ValueError`` naming a wrong key and the valid ones."""
    if not isinstance(options, Mapping):
        raise TypeError(f"ChatKit options must be a dict, not {type(options).__name__}.")
    for key, value in options.items():
        if key in OWNED_OPTIONS:
            raise ValueError(f"The {key!r} option is owned by ChatKitWidget: {OWNED_OPTIONS[key]}.")
        if key not in CHATKIT_OPTIONS:
            raise ValueError(
                f"Unknown ChatKit option {key!r}. Valid options: {', '.join(CHATKIT_OPTIONS)}."
            )
        for callback, decorator in OWNED_CALLBACKS.get(key, {}).items():
            if isinstance(value, Mapping) and callback in value:
                raise ValueError(
                    f"The '{key}.{callback}' option is owned by ChatKitWidget (it takes a "
                    f"JavaScript function): register a Python handler with `{decorator}`."
                )
    composer = options.get("composer")
    attachments = composer.get("attachments") if isinstance(composer, Mapping) else None
    if isinstance(attachments, Mapping):
        _check_attachment_limits(attachments)
    return dict(options)


def _check_attachment_limits(attachments: Mapping[str, Any]) -> None:
    # The kernel enforces these (FileAttachmentStore), so a wrong one would fail every upload
    # later with a TypeError, not here with what to write.
    size = attachments.get("maxSize")
    sizes = size.values() if isinstance(size, Mapping) else [size]
    if size is not None and not all(_count(value) for value in sizes):
        raise ValueError(
            "composer.attachments.maxSize must be a number of bytes (or a dict of MIME type to "
            f"bytes, e.g. {{'image/*': 5_000_000}}), not {size!r:.60}."
        )
    count = attachments.get("maxCount")
    if count is not None and not (_count(count) and float(count).is_integer()):
        raise ValueError(
            f"composer.attachments.maxCount must be a whole number of files, not {count!r:.60}."
        )


def _count(value: object) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < float("inf")
    )
