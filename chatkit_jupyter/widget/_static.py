"""A script-free HTML copy of a widget root, for places that cannot run the live view.

``WidgetView`` puts it in its display bundle as ``text/html`` beside the widget view, so
``nbconvert --to html`` without widget state, GitHub's notebook preview and other viewers show
the widget as it was when the cell displayed it. It is a small, low-fidelity walk of the tree:
text as escaped text, buttons disabled, fields read-only, images as their alt text (nothing is
fetched), layout as plain blocks. Every value comes from the widget and is untrusted: it only
ever reaches the page through :func:`html.escape`; styles and tags come from fixed tables here.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

_MAX_DEPTH = 60
_MAX_NODES = 5000
_CHART_ROWS = 50

_FRAME = (
    "font-family:system-ui,sans-serif;font-size:14px;line-height:1.4;max-width:640px;"
    "border:1px solid #d0d0d0;border-radius:12px;padding:12px;color:inherit"
)
_BLOCK = "display:flex;flex-direction:column;gap:8px"
_ROW = "display:flex;flex-direction:row;flex-wrap:wrap;gap:8px;align-items:center"
_FIELD = "font:inherit;padding:2px 6px"


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (str, int, float)):
        return escape(str(v))
    return ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _children(node: Mapping[str, Any]) -> list[Any]:
    return _list(node.get("children"))


class _Walk:
    def __init__(self) -> None:
        self.nodes = 0

    def kids(self, node: Mapping[str, Any], depth: int) -> str:
        return "".join(self.node(c, depth + 1) for c in _children(node))

    def node(self, node: Any, depth: int = 0) -> str:
        self.nodes += 1
        if not isinstance(node, Mapping) or depth > _MAX_DEPTH or self.nodes > _MAX_NODES:
            return ""
        kind = node.get("type")
        box = _ROW if node.get("direction") == "row" else _BLOCK
        if kind in ("Card", "ListView", "Basic"):
            status = node.get("status")
            head = (
                f'<div style="opacity:.7;font-size:12px">{_text(status.get("text"))}</div>'
                if isinstance(status, Mapping) and status.get("text")
                else ""
            )
            if kind == "ListView":
                items = "".join(
                    self.node(c, depth + 1)
                    if isinstance(c, Mapping) and c.get("type") == "ListViewItem"
                    else f"<li>{self.node(c, depth + 1)}</li>"
                    for c in _children(node)
                )
                body = f'<ul style="list-style:none;margin:0;padding:0;{_BLOCK}">{items}</ul>'
            else:
                body = f'<div style="{box}">{self.kids(node, depth)}</div>'
            buttons = "".join(
                _button(spec.get("label") or which.capitalize())
                for which in ("cancel", "confirm")
                if isinstance(spec := node.get(which), Mapping)
            )
            foot = (
                f'<div style="{_ROW};justify-content:flex-end">{buttons}</div>' if buttons else ""
            )
            return f"{head}{body}{foot}"
        if kind == "ListViewItem":
            return f'<li style="{_ROW}">{self.kids(node, depth)}</li>'
        if kind in ("Box", "Row", "Col", "Form", "Transition"):
            style = _ROW if kind == "Row" else _BLOCK if kind == "Col" else box
            return f'<div style="{style}">{self.kids(node, depth)}</div>'
        if kind == "Title":
            return f'<div style="font-weight:600;font-size:1.15em">{_text(node.get("value"))}</div>'
        if kind == "Caption":
            return f'<div style="opacity:.7;font-size:.9em">{_text(node.get("value"))}</div>'
        if kind == "Text":
            editable = node.get("editable")
            if isinstance(editable, Mapping):
                return _field(node.get("value"), editable.get("placeholder"))
            return f'<div style="white-space:pre-wrap">{_text(node.get("value"))}</div>'
        if kind == "Markdown":
            # The source as text: rendering Markdown here would mean trusting its HTML.
            return f'<div style="white-space:pre-wrap">{_text(node.get("value"))}</div>'
        if kind == "Label":
            return f"<label>{_text(node.get('value'))}</label>"
        if kind == "Badge":
            return (
                '<span style="border:1px solid #c0c0c0;border-radius:6px;padding:0 6px;'
                f'font-size:.85em">{_text(node.get("label"))}</span>'
            )
        if kind == "Image":
            alt = _text(node.get("alt")) or "image"
            return f'<span role="img" aria-label="{alt}" style="opacity:.7">[{alt}]</span>'
        if kind == "Button":
            return _button(node.get("label"))
        if kind == "Textarea":
            hint = _text(node.get("placeholder")) or _text(node.get("name")) or "field"
            return (
                f'<textarea readonly disabled rows="3" aria-label="{hint}" style="{_FIELD}">'
                f"{_text(node.get('defaultValue'))}</textarea>"
            )
        if kind in ("Input", "DatePicker"):
            return _field(node.get("defaultValue"), node.get("placeholder"), node.get("name"))
        if kind == "Select":
            chosen = node.get("defaultValue")
            options = _list(node.get("options"))
            label = next(
                (
                    o.get("label") or o.get("value")
                    for o in options
                    if isinstance(o, Mapping) and chosen is not None and o.get("value") == chosen
                ),
                None,
            )
            return _field(label, node.get("placeholder"), node.get("name"))
        if kind == "Checkbox":
            checked = " checked" if node.get("defaultChecked") is True else ""
            return (
                f'<label><input type="checkbox" disabled{checked}> '
                f"{_text(node.get('label'))}</label>"
            )
        if kind == "RadioGroup":
            chosen = node.get("defaultValue")
            options = _list(node.get("options"))
            radios = "".join(
                f'<label><input type="radio" disabled{" checked" if o.get("value") == chosen else ""}> '
                f"{_text(o.get('label') or o.get('value'))}</label>"
                for o in options
                if isinstance(o, Mapping)
            )
            return f'<div style="{box}">{radios}</div>'
        if kind == "Table":
            return f'<table style="border-collapse:collapse">{self.rows(node, depth)}</table>'
        if kind == "Chart":
            return _chart(node)
        if kind == "Divider":
            return '<hr style="border:0;border-top:1px solid #d0d0d0;margin:4px 0">'
        if kind in ("Spacer", "Icon"):
            return ""
        return self.kids(node, depth)

    def rows(self, table: Mapping[str, Any], depth: int) -> str:
        out = []
        for row in _children(table):
            if not isinstance(row, Mapping):
                continue
            tag = "th" if row.get("header") is True else "td"
            cells = "".join(
                f'<{tag} style="padding:2px 8px;text-align:left">{self.kids(c, depth + 2)}</{tag}>'
                if isinstance(c, Mapping) and c.get("type") == "Table.Cell"
                else f"<{tag}>{self.node(c, depth + 2)}</{tag}>"
                for c in _children(row)
            )
            out.append(f"<tr>{cells}</tr>")
        return "".join(out)


def _button(label: Any) -> str:
    return f'<button type="button" disabled style="font:inherit">{_text(label)}</button>'


def _field(value: Any, placeholder: Any, name: Any = None) -> str:
    shown = _text(value) if value is not None else ""
    hint = _text(placeholder) or _text(name)
    return (
        f'<input type="text" readonly disabled value="{shown}" placeholder="{hint}" '
        f'aria-label="{hint or "field"}" style="{_FIELD}">'
    )


def _chart(node: Mapping[str, Any]) -> str:
    """A chart as the table of its data: the x key, then one column per series."""
    x = node.get("xAxis")
    x_key = x.get("dataKey") if isinstance(x, Mapping) else x
    series = [s for s in node.get("series") or [] if isinstance(s, Mapping) and s.get("dataKey")]
    data = [r for r in node.get("data") or [] if isinstance(r, Mapping)]
    keys = ([x_key] if isinstance(x_key, str) else []) + [s["dataKey"] for s in series]
    names = keys[: len(keys) - len(series)] + [s.get("label") or s["dataKey"] for s in series]
    head = "".join(f'<th style="padding:2px 8px">{_text(n)}</th>' for n in names)
    body = "".join(
        "<tr>"
        + "".join(f'<td style="padding:2px 8px">{_text(r.get(k))}</td>' for k in keys)
        + "</tr>"
        for r in data[:_CHART_ROWS]
    )
    more = (
        f'<caption style="caption-side:bottom;opacity:.7">… {len(data) - _CHART_ROWS} more rows</caption>'
        if len(data) > _CHART_ROWS
        else ""
    )
    return f'<table aria-label="Chart data" style="border-collapse:collapse">{more}<tr>{head}</tr>{body}</table>'


def static_html(root: Mapping[str, Any]) -> str:
    """The widget ``root`` as script-free HTML, every widget value escaped."""
    body = _Walk().node(root)
    return f'<div class="chatkit-widget-static" style="{_FRAME}">{body}</div>'


def first_text(root: Any, limit: int = 40) -> str:
    """The first title or text in ``root``, shortened to ``limit`` characters, for ``text/plain``."""
    stack = [root]
    seen = 0
    while stack and seen < _MAX_NODES:
        node = stack.pop()
        seen += 1
        if not isinstance(node, Mapping):
            continue
        for key in ("value", "label", "alt"):
            value = node.get(key)
            if isinstance(value, str) and value.strip():
                text = " ".join(value.split())
                return text if len(text) <= limit else text[: limit - 1] + "…"
        stack.extend(reversed(_children(node)))
    return ""
