"""After ``%load_ext chatkit_jupyter``, a ``chatkit.widgets`` object as a cell's last
expression shows as a ``WidgetView`` (an IPython mimebundle formatter, removed on unload).

Registered by type name, so loading the extension does not import ``chatkit.widgets``.
"""

from __future__ import annotations

from typing import Any

TYPES: tuple[tuple[str, str], ...] = (
    ("chatkit.widgets", "WidgetComponentBase"),
    ("chatkit.widgets", "WidgetTemplate"),
)
"""Every ``chatkit.widgets`` component (roots and parts) and templates (ours subclass it)."""


def _format(obj: Any) -> Any:
    from ._template import WidgetError
    from ._view import WidgetView

    try:
        view = WidgetView(obj)
    except WidgetError as e:
        # A template that needs data cannot be drawn alone: say so under the usual repr.
        return {"text/plain": f"{obj!r}\n(not drawn: {e})"}
    return view._repr_mimebundle_()


def register(ipython: Any) -> None:
    """Draw ``chatkit.widgets`` objects as widget views in this IPython."""
    formatter = ipython.display_formatter.mimebundle_formatter
    for module, name in TYPES:
        formatter.for_type_by_name(module, name, _format)


def unregister(ipython: Any) -> None:
    """Undo ``register``."""
    formatter = ipython.display_formatter.mimebundle_formatter
    for module, name in TYPES:
        formatter.pop(f"{module}.{name}", None)
