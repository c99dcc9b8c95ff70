"""The agent workbench: see what the agent did and let it run code, with the user's approval.

``StepTrace`` shows each tool call, handoff and guardrail trip of a turn as a ChatKit workflow
task (``NotebookServer`` uses it for every turn); ``Inspector`` keeps, per turn, the requests,
stream events, agent steps and handler output that the widget's inspector panel lists;
``run_code_tool`` and ``CodeApprovals`` give the agent a ``run_code`` tool whose code runs only
after a click on Run.
"""

from ._steps import Step, StepTrace

__all__ = ["Step", "StepTrace"]
