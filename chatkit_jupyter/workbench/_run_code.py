"""``run_code``: the agent proposes code, the user clicks Run (or Cancel), and only then it runs.

How the waiting works: the tool does not wait. It shows the code in a ChatKit widget with Run
and Cancel buttons, records a one-time approval (``CodeApprovals``) and ends the turn
(``StopAtTools``). The click is a ChatKit action, a request of its own: ``NotebookServer.action``
takes the approval (unknown, used, expired or for another thread: refused, nothing runs), runs
the code or not, shows the outcome in the widget, adds it to the thread as hidden context and
runs the agent again, which answers from it. This is ChatKit's own way (an action handler that
continues the thread), and unlike a tool that awaits a future it holds no model request open,
cannot hang a turn, survives the user taking an hour to decide, and works the same in the
hosted component, which sends no action while a response streams. An approval expires after
``APPROVAL_TTL_S``; its buttons then say so.

Where the code runs: in the notebook's namespace, on the kernel's main loop, never while a
cell executes (``CellGate`` waits for the running cell to finish).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import secrets
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from agents import FunctionTool, RunContextWrapper, function_tool
from chatkit.agents import AgentContext
from chatkit.types import ThreadItemDoneEvent, WidgetItem
from chatkit.widgets import DynamicWidgetRoot

from chatkit_jupyter.notebook._redact import (
    REDACTED,
    hiding,
    looks_like_secret_name,
    scrub_cut,
    secret_values,
)

RUN_ACTION: Final = "run_code.answer"
"""The ``type`` of the Run / Cancel buttons' action; its payload is ``{"id", "run"}``."""
APPROVAL_TTL_S: Final = 600.0
"""An approval not answered within this many seconds expires (nothing runs)."""
MAX_CODE_CHARS: Final = 20_000
"""Longer code is refused before it is shown."""
MAX_OUTPUT_CHARS: Final = 4000
"""At most this much of stdout, the result's repr and the error reach the model and the chat."""
TOOL_DESCRIPTION: Final = (
    "Run Python code in the user's notebook (its variables are in scope). The user sees the "
    "code and must click Run first; they may decline. Stop after calling this tool: the "
    "result (stdout, the last expression's value, or the error) arrives in the next message. "
    "Keep the code short and safe; never read or print secrets or environment variables."
)


class ApprovalRefused(Exception):
    """A Run / Cancel action that may not run anything; the message says why."""

    def __init__(self, message: str, approval: Approval | None = None) -> None:
        super().__init__(message)
        self.approval = approval
        """The proposal, when it was the right one but expired."""


@dataclass
class Approval:
    """One proposal of code, waiting for the user's click."""

    id: str
    thread_id: str
    item_id: str
    code: str
    expires: float
    created: float = field(default_factory=time.monotonic)


class CodeApprovals:
    """The pending ``run_code`` proposals: each may be answered once, in its own thread,
    from its own widget, before it expires.

    Args:
        ttl: Seconds until an unanswered proposal expires.
    """

    def __init__(self, ttl: float = APPROVAL_TTL_S) -> None:
        self.ttl = ttl
        self._pending: dict[str, Approval] = {}

    def propose(self, thread_id: str, item_id: str, code: str) -> Approval:
        """Record a proposal; its id goes into the buttons' action."""
        self._expire()
        approval = Approval(
            id=secrets.token_urlsafe(16),
            thread_id=thread_id,
            item_id=item_id,
            code=code,
            expires=time.monotonic() + self.ttl,
        )
        self._pending[approval.id] = approval
        return approval

    def take(self, approval_id: object, thread_id: str, item_id: str | None) -> Approval:
        """The proposal an action answers, removed so it can't be answered again.

        Raises:
            ApprovalRefused: Unknown or answered already, for another thread or widget, or
                expired (an expired one is removed too).
        """
        approval = self._pending.get(approval_id) if isinstance(approval_id, str) else None
        if approval is None:
            raise ApprovalRefused(
                "This Run button is not valid: the code was answered already, or the kernel "
                "restarted since it was proposed. Nothing ran; ask the agent again."
            )
        if approval.thread_id != thread_id or approval.item_id != item_id:
            raise ApprovalRefused("This Run button belongs to another message; nothing ran.")
        del self._pending[approval.id]
        if time.monotonic() > approval.expires:
            raise ApprovalRefused(
                f"This proposal expired ({self.ttl:.0f} s without an answer); nothing ran. "
                "Ask the agent again.",
                approval,
            )
        return approval

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, a in self._pending.items() if now > a.expires]:
            del self._pending[key]

    def __len__(self) -> int:
        self._expire()
        return len(self._pending)


class CellGate:
    """Knows whether a notebook cell is executing, from IPython's ``pre/post_run_cell`` events.

    Chat requests run on the kernel's main loop, which also runs while an async cell awaits;
    code from the chat must not run in the middle of such a cell.
    """

    def __init__(self) -> None:
        self._idle = asyncio.Event()
        self._idle.set()
        self._shell: Any = None

    def attach(self, shell: Any) -> None:
        """Follow ``shell``'s cells (an IPython ``InteractiveShell``); once per shell."""
        if shell is None or shell is self._shell:
            return
        self._shell = shell
        shell.events.register("pre_run_cell", self._started)
        shell.events.register("post_run_cell", self._finished)

    def _started(self, *_: Any) -> None:
        self._idle.clear()

    def _finished(self, *_: Any) -> None:
        self._idle.set()

    @property
    def running(self) -> bool:
        """Whether a cell is executing now."""
        return not self._idle.is_set()

    async def wait(self) -> None:
        """Return when no cell is executing."""
        await self._idle.wait()


def ipython_shell() -> Any:
    """The running IPython shell, or ``None``."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


@dataclass
class Outcome:
    """What running the code gave: bounded and redacted."""

    stdout: str = ""
    result: str | None = None
    error: str | None = None
    seconds: float = 0.0

    def for_model(self) -> str:
        parts = [f"The user clicked Run; the code ran in {self.seconds:.2f} s."]
        if self.stdout:
            parts.append(f"stdout:\n{self.stdout}")
        if self.result is not None:
            parts.append(f"value of the last expression: {self.result}")
        if self.error is not None:
            parts.append(f"it raised:\n{self.error}")
        if len(parts) == 1:
            parts.append("It printed nothing and returned nothing.")
        return "\n\n".join(parts)


def execute(code: str, namespace: dict[str, Any]) -> Outcome:
    """Run ``code`` in ``namespace`` like a cell: stdout captured, the last expression's repr."""
    started = time.monotonic()
    out = io.StringIO()
    outcome = Outcome()
    # The notebook's secret variables are hidden by value in what the code prints or returns
    # (`print(db_password)`, `f"Token {token}"`), as the other tools hide them.
    with hiding(secret_values(namespace)):
        _run(code, namespace, out, outcome)
        outcome.stdout = scrub_cut(out.getvalue(), MAX_OUTPUT_CHARS)
    outcome.seconds = time.monotonic() - started
    return outcome


def _run(code: str, namespace: dict[str, Any], out: io.StringIO, outcome: Outcome) -> None:
    try:
        tree = ast.parse(code, "<run_code>", "exec")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        assert last is None or isinstance(last, ast.Expr)
        with contextlib.redirect_stdout(out):
            exec(compile(tree, "<run_code>", "exec"), namespace)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), "<run_code>", "eval"), namespace)
                if isinstance(last.value, ast.Name) and looks_like_secret_name(last.value.id):
                    outcome.result = REDACTED  # `api_key` alone: whatever its value
                elif value is not None:
                    outcome.result = scrub_cut(repr(value), MAX_OUTPUT_CHARS)
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt | SystemExit | asyncio.CancelledError):
            outcome.error = f"{type(e).__name__}"
        else:
            frames = traceback.format_exception(type(e), e, e.__traceback__)
            # Our own frames mean nothing to the model; keep the code's.
            shown = [f for f in frames if "chatkit_jupyter" not in f]
            outcome.error = scrub_cut("".join(shown), MAX_OUTPUT_CHARS)


# -- the widget ---------------------------------------------------------------------------------


def _code_block(code: str) -> str:
    fence = "```"
    while fence in code:
        fence += "`"
    return f"{fence}python\n{code}\n{fence}"


def proposal_widget(code: str, approval_id: str) -> DynamicWidgetRoot:
    """The card the user answers: the code, Run and Cancel."""

    def button(label: str, run: bool, style: str) -> dict[str, Any]:
        return {
            "type": "Button",
            "label": label,
            "style": style,
            "onClickAction": {
                "type": RUN_ACTION,
                "payload": {"id": approval_id, "run": run},
                "loadingBehavior": "container",
            },
        }

    return DynamicWidgetRoot.model_validate(
        {
            "type": "Card",
            "children": [
                {"type": "Title", "value": "Run this code?", "size": "sm"},
                {"type": "Markdown", "value": _code_block(code)},
                {
                    "type": "Row",
                    "gap": 2,
                    "children": [
                        button("Run", True, "primary"),
                        button("Cancel", False, "secondary"),
                    ],
                },
            ],
        }
    )


def answered_widget(code: str, status: str, detail: str | None = None) -> DynamicWidgetRoot:
    """The card after the answer: the code and what became of it, no buttons."""
    children: list[dict[str, Any]] = [
        {"type": "Title", "value": status, "size": "sm"},
        {"type": "Markdown", "value": _code_block(code)},
    ]
    if detail:
        children.append({"type": "Markdown", "value": _code_block(detail)})
    return DynamicWidgetRoot.model_validate({"type": "Card", "children": children})


def outcome_text(outcome: Outcome) -> str:
    """The outcome as the card shows it."""
    parts = [outcome.stdout.rstrip("\n")] if outcome.stdout else []
    if outcome.result is not None:
        parts.append(f"→ {outcome.result}")
    if outcome.error is not None:
        parts.append(outcome.error.rstrip("\n"))
    return "\n".join(parts) or "(no output)"


def run_code_tool(approvals: CodeApprovals) -> FunctionTool:
    """The ``run_code`` function tool: shows the code for approval and ends the turn."""

    @function_tool(name_override="run_code", description_override=TOOL_DESCRIPTION)
    async def run_code(ctx: RunContextWrapper[AgentContext[Any]], code: str) -> str:
        if len(code) > MAX_CODE_CHARS:
            return f"Refused: the code is longer than {MAX_CODE_CHARS} characters."
        agent_context = ctx.context
        item_id = agent_context.generate_id("message")
        approval = approvals.propose(agent_context.thread.id, item_id, code)
        item = WidgetItem(
            id=item_id,
            thread_id=agent_context.thread.id,
            created_at=datetime.now(),
            widget=proposal_widget(code, approval.id),
            copy_text=code,
        )
        await agent_context.stream(ThreadItemDoneEvent(item=item))
        return (
            "The code is shown to the user with Run and Cancel buttons; it has not run. "
            "Stop here: its result arrives in the next message."
        )

    return run_code
