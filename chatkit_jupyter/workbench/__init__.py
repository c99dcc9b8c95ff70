"""The agent workbench: see what the agent did and let it run code, with the user's approval.

``StepTrace`` shows each tool call, handoff and guardrail trip of a turn as a ChatKit workflow
task (``NotebookServer`` uses it for every turn); ``Inspector`` keeps, per turn, the requests,
stream events, agent steps and handler output that the widget's inspector panel lists;
``run_code_tool`` and ``CodeApprovals`` give the agent a ``run_code`` tool whose code runs only
after a click on Run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._inspector import InspectedEndpoint, Inspector, record_step

if TYPE_CHECKING:
    from ._run_code import APPROVAL_TTL_S, RUN_ACTION, CodeApprovals, run_code_tool
    from ._steps import Step, StepHooks, StepTrace

__all__ = [
    "APPROVAL_TTL_S",
    "RUN_ACTION",
    "CodeApprovals",
    "InspectedEndpoint",
    "Inspector",
    "Step",
    "StepHooks",
    "StepTrace",
    "record_step",
    "run_code_tool",
]


_LAZY = {
    "APPROVAL_TTL_S": "._run_code",
    "RUN_ACTION": "._run_code",
    "CodeApprovals": "._run_code",
    "run_code_tool": "._run_code",
    "Step": "._steps",
    "StepHooks": "._steps",
    "StepTrace": "._steps",
}


def __getattr__(name: str) -> object:
    # These import the agents SDK; the inspector (used by every ChatKitWidget) must not.
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
