"""@-mentions of notebook variables: the entities the composer offers and what the model reads.

``variable_entities`` answers the composer's "@" search (ChatKit's ``entities.onTagSearch``)
with the notebook's variables; a tag of one reaches the model as ``describe_tag``'s text: the
variable's ``describe_variable`` detail (what the ``inspect_variable`` tool returns), redacted
and capped. The first line of that text names the variable in a fixed form (``TAG_LINE``), so
a model without language skills (the offline assistant) can tell which variables were tagged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from ._inspect import VariableNotFound, describe_variable, variable_types
from ._redact import scrub_cut

VARIABLE_PREFIX: Final = "var:"
"""The id of a variable's entity is ``"var:" + name``."""
MAX_ENTITIES: Final = 20
"""Variables offered for one query."""
TAG_DETAIL_CHARS: Final = 1500
"""Length cap of one tagged variable's description."""
TAG_LINE: Final = "The user tagged the notebook variable `{name}`."
"""First line of a tagged variable's description."""
TAG_LINE_RE: Final = re.compile(r"The user tagged the notebook variable `([^`\s]+)`\.")
"""Finds the variables named by ``TAG_LINE`` in a model's input."""


def variable_entities(namespace: Mapping[str, Any], query: str = "") -> list[dict[str, Any]]:
    """The notebook's variables matching ``query`` as ChatKit entities, best matches first.

    Names that start with the query come before names that only contain it (case-insensitive).
    Each entity is ``{"id": "var:NAME", "title": NAME, "group": "Variables", "data": {...}}``;
    ``data`` holds the type (never the value, which the page has no need for).
    """
    needle = query.strip().casefold()
    # Names and types only: the search runs at every keystroke, so no variable's code runs.
    types = variable_types(namespace)
    starts: list[str] = []
    contains: list[str] = []
    for name in sorted(types, key=str.casefold):
        folded = name.casefold()
        if folded.startswith(needle):
            starts.append(name)
        elif needle in folded:
            contains.append(name)
    return [
        {
            "id": VARIABLE_PREFIX + name,
            "title": name,
            "group": "Variables",
            "icon": "notebook",
            "data": {"kind": "variable", "type": types[name]},
        }
        for name in (starts + contains)[:MAX_ENTITIES]
    ]


def tagged_variable(tag_id: str, data: Mapping[str, Any]) -> str | None:
    """The variable a tag names, or ``None`` for a tag of something else."""
    if tag_id.startswith(VARIABLE_PREFIX) and len(tag_id) > len(VARIABLE_PREFIX):
        return tag_id[len(VARIABLE_PREFIX) :]
    return None


def describe_tag(
    namespace: Mapping[str, Any], tag_id: str, text: str, data: Mapping[str, Any]
) -> str:
    """What the model reads about one tag: a variable's redacted detail, or the tag itself."""
    name = tagged_variable(tag_id, data)
    if name is None:
        shown = json.dumps({"id": tag_id, "data": dict(data)}, ensure_ascii=False, default=str)
        return scrub_cut(f"The user tagged @{text}: {shown}", TAG_DETAIL_CHARS)
    try:
        detail: Mapping[str, Any] = describe_variable(namespace, name)
    except VariableNotFound as e:
        detail = {"error": str(e)}
    body = json.dumps(detail, ensure_ascii=False, default=str)
    # describe_variable has redacted the value already; the cut keeps a few rows of a big head.
    return TAG_LINE.format(name=name) + "\n" + scrub_cut(body, TAG_DETAIL_CHARS)
