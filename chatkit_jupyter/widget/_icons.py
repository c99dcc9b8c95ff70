"""The lucide icons a standalone view must be sent: ``lucide:`` names its bundle lacks.

view.js carries only the lucide icons ChatKit's own icon names use (anywidget saves a view's
code into the notebook once per view). For any other ``lucide:<name>`` in a widget, the view
gets that icon's node from ``static/lucide-icons.json`` (written by js/build.mjs), so a saved
notebook holds just the few icons its widgets use.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from ._bundle import bundle

logger = logging.getLogger("chatkit_jupyter")

PREFIX = "lucide:"
_MAX_NAME = 100  # icons.ts ignores longer names
_MAX_DEPTH = 200


def _pascal(name: str) -> str:
    """``"arrow-up-right"`` -> ``"ArrowUpRight"``: how icons.ts matches a ``lucide:`` name."""
    return "".join(part[0].upper() + part[1:] for part in re.split(r"[-_\s]+", name) if part)


@functools.cache
def _table() -> tuple[dict[str, Any], frozenset[str]]:
    """Icon nodes by pascal-cased name (aliases too), and the names view.js bundles."""
    with bundle("lucide-icons.json").open(encoding="utf-8") as f:
        data = json.load(f)
    icons: dict[str, Any] = data["icons"]
    nodes = {_pascal(name): node for name, node in icons.items()}
    for alias, name in data.get("aliases", {}).items():
        nodes.setdefault(_pascal(alias), icons[name])
    return nodes, frozenset(_pascal(name) for name in data["bundled"])


def lucide_names(root: Any) -> set[str]:
    """Every string value in ``root`` that is a ``lucide:`` name (icons sit in many fields)."""
    found: set[str] = set()
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if node.startswith(PREFIX) and len(node) <= _MAX_NAME:
                found.add(node)
        elif depth < _MAX_DEPTH and isinstance(node, Mapping):
            stack.extend((value, depth + 1) for value in node.values())
        elif depth < _MAX_DEPTH and isinstance(node, (list, tuple)):
            stack.extend((value, depth + 1) for value in node)
    return found


def missing_icons(root: Any) -> dict[str, Any]:
    """``{"lucide:rocket": node}`` for the ``lucide:`` names in ``root`` view.js does not bundle.

    Unknown names are left out (the view draws an empty placeholder, as ChatKit's own renderer
    does for an icon it lacks); the lucide table is read only when a widget has such a name.
    """
    names = lucide_names(root)
    if not names:
        return {}
    nodes, bundled = _table()
    out: dict[str, Any] = {}
    for name in sorted(names):
        key = _pascal(name[len(PREFIX) :])
        if key in bundled:
            continue
        node = nodes.get(key)
        if node is None:
            logger.debug("chatkit-jupyter: no lucide icon %r; the view leaves it blank", name)
            continue
        out[name] = node
    return out


_MAX_ASKED = 200


def icon_nodes(names: Any) -> dict[str, Any]:
    """Answer the page's ``icons`` hook: ``{"lucide:rocket": node}`` for the known names asked.

    The page asks when it meets a ``lucide:`` icon its code does not bundle (in a chat, any
    widget a thread shows); it caches what it gets, and draws names left out as blanks.
    """
    if not isinstance(names, list):
        raise ValueError('The icons hook takes {"names": ["lucide:<name>", ...]}.')
    nodes, _ = _table()
    out: dict[str, Any] = {}
    for name in names[:_MAX_ASKED]:
        if not isinstance(name, str) or not name.startswith(PREFIX) or len(name) > _MAX_NAME:
            continue
        node = nodes.get(_pascal(name[len(PREFIX) :]))
        if node is not None:
            out[name] = node
    return out
