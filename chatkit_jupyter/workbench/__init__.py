"""The agent workbench: see what the agent did and let it run code, with the user's approval.

``StepTrace`` shows each tool call, handoff and guardrail trip of a turn as a ChatKit workflow
task (``NotebookServer`` uses it for every turn); ``Inspector`` keeps, per turn, the requests,
stream events, agent steps and handler output that the widget's inspector panel lists;
``run_code_tool`` and ``CodeApprovals`` give the agent a ``run_code`` tool whose code runs only
after a click on Run.
"""

from ._inspector import Inspector, record_step
from ._run_code import APPROVAL_TTL_S, RUN_ACTION, CodeApprovals, run_code_tool
from ._steps import Step, StepHooks, StepTrace

__all__ = [
    "APPROVAL_TTL_S",
    "RUN_ACTION",
    "CodeApprovals",
    "Inspector",
    "Step",
    "StepHooks",
    "StepTrace",
    "record_step",
    "run_code_tool",
]
