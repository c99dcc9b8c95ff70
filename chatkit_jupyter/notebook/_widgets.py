"""ChatKit widgets that show the notebook's variables to the user: a ListView and a Card."""

from __future__ import annotations

from typing import Any, Final

from chatkit.widgets import DynamicWidgetRoot

from ._inspect import VariableDetail, VariableSummary

MAX_LISTED_IN_WIDGET: Final = 50
"""Variables the ``show_variables`` ListView shows."""


def row_caption(row: VariableSummary) -> str:
    """One line under a variable's name: its size and a short preview, or that it is hidden."""
    if row.get("redacted"):
        return "value hidden"
    size = (
        f"shape {tuple(row['shape'])}"
        if "shape" in row
        else f"length {row['length']}"
        if "length" in row
        else ""
    )
    return " · ".join(part for part in (size, row.get("repr", "")) if part)


# Widgets are built as plain component trees validated by DynamicWidgetRoot, the type
# WidgetTemplate.build returns: chatkit deprecated instantiating the named classes (Card, Text ...).


def _component(kind: str, **props: Any) -> dict[str, Any]:
    return {"type": kind, **{k: v for k, v in props.items() if v is not None}}


def variables_widget(rows: list[VariableSummary]) -> DynamicWidgetRoot:
    """A ListView with one item per variable: name, type and a short preview."""
    items = [
        _component(
            "ListViewItem",
            key=row["name"],
            children=[
                _component(
                    "Col",
                    gap=1,
                    children=[
                        _component(
                            "Row",
                            gap=2,
                            children=[
                                _component("Text", value=row["name"], weight="semibold"),
                                _component(
                                    "Badge",
                                    label=row["type"],
                                    size="sm",
                                    color="warning" if row.get("redacted") else "secondary",
                                ),
                            ],
                        ),
                        _component("Caption", value=row_caption(row), truncate=True),
                    ],
                )
            ],
        )
        for row in rows[:MAX_LISTED_IN_WIDGET]
    ]
    if len(rows) > MAX_LISTED_IN_WIDGET:
        more = f"… and {len(rows) - MAX_LISTED_IN_WIDGET} more"
        items.append(_component("ListViewItem", children=[_component("Caption", value=more)]))
    if not rows:
        empty = "No variables yet: define some in a cell."
        items.append(_component("ListViewItem", children=[_component("Text", value=empty)]))
    noun = "variable" if len(rows) == 1 else "variables"
    status = {"text": f"{len(rows)} {noun} in the notebook", "icon": "notebook"}
    return DynamicWidgetRoot.model_validate(_component("ListView", children=items, status=status))


def variable_widget(detail: VariableDetail) -> DynamicWidgetRoot:
    """A Card showing one variable: type, size, dtypes and its head or repr."""
    children: list[dict[str, Any]] = [
        _component(
            "Row",
            gap=2,
            children=[
                _component("Title", value=detail["name"], size="sm"),
                _component("Badge", label=detail["type"], color="secondary"),
            ],
        )
    ]
    if detail.get("redacted"):
        reason = detail.get("reason", "it may be a secret")
        children.append(_component("Text", value=f"Value hidden: {reason}."))
        return DynamicWidgetRoot.model_validate(_component("Card", size="md", children=children))
    facts = []
    if "shape" in detail:
        facts.append(f"shape {tuple(detail['shape'])}")
    elif "length" in detail:
        facts.append(f"length {detail['length']}")
    if "dtype" in detail:
        facts.append(f"dtype {detail['dtype']}")
    if facts:
        children.append(_component("Caption", value=" · ".join(facts)))
    if "dtypes" in detail:
        dtypes = ", ".join(f"{c}: {t}" for c, t in detail["dtypes"].items())
        children.append(_component("Caption", value=f"dtypes: {dtypes}", maxLines=3))
    children.append(_component("Divider"))
    body = detail.get("head") or detail.get("repr", "")
    # Four backticks so a backtick run inside the value cannot close the fence.
    children.append(_component("Markdown", value=f"````text\n{body}\n````"))
    return DynamicWidgetRoot.model_validate(_component("Card", size="md", children=children))
