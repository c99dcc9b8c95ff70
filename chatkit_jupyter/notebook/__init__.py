"""The notebook as the agent sees it: redaction (shared by all), inspection, widgets, tools.

``notebook_tools`` needs openai-agents and loads it on first use, so importing this package
(the bridge does, for ``scrub``) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._budget import Budget, InspectionInterrupted
from ._inspect import (
    NamespaceSource,
    VariableDetail,
    VariableNotFound,
    VariableSummary,
    collect_variables,
    describe_variable,
    resolve_namespace,
)
from ._redact import REDACTED, looks_like_secret_name, looks_like_secret_value, scrub
from ._widgets import variable_widget, variables_widget

if TYPE_CHECKING:
    from ._tools import notebook_tools

__all__ = [
    "REDACTED",
    "Budget",
    "InspectionInterrupted",
    "NamespaceSource",
    "VariableDetail",
    "VariableNotFound",
    "VariableSummary",
    "collect_variables",
    "describe_variable",
    "looks_like_secret_name",
    "looks_like_secret_value",
    "notebook_tools",
    "resolve_namespace",
    "scrub",
    "variable_widget",
    "variables_widget",
]


def __getattr__(name: str) -> object:
    if name == "notebook_tools":
        from ._tools import notebook_tools

        globals()[name] = notebook_tools
        return notebook_tools
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
