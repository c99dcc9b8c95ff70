"""What the agent did, as it happens: tool calls, handoffs and guardrail trips as ChatKit
``workflow`` tasks, and the run's steps (model calls with tokens and latency, tool calls with
arguments and results) for the inspector.

``chatkit.agents.stream_agent_response`` already turns reasoning summaries into thought tasks
of the current workflow and closes (collapses) the workflow when a message follows, but it
shows no tool calls. ``StepTrace`` adds them without replacing it. The run's hooks
(``StepHooks``) tell it about a call right before the tool runs and right after it returns (the
run's own ``tool_called`` event may come after the tool has already streamed a widget); it
updates the shared ``AgentContext.workflow_item`` at once (so ``stream_agent_response`` sees the
workflow when it decides to close it) and queues the ChatKit events, which ``stream`` sends
before anything ``stream_agent_response`` yields later. The order is then right by
construction, not by how asyncio happens to schedule two tasks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, Final

from agents import (
    InputGuardrailTripwireTriggered,
    OutputGuardrailTripwireTriggered,
    RunHooks,
    RunResultStreaming,
    ToolErrorFormatterArgs,
)
from chatkit.agents import AgentContext, stream_agent_response
from chatkit.types import (
    CustomSummary,
    CustomTask,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemReplacedEvent,
    ThreadItemUpdatedEvent,
    ThreadStreamEvent,
    Workflow,
    WorkflowItem,
    WorkflowTaskAdded,
    WorkflowTaskUpdated,
)

from chatkit_jupyter.notebook._redact import scrub_cut

TOOL_ICON: Final = "bolt"
"""Icon of a tool-call task."""
HANDOFF_ICON: Final = "agent"
"""Icon of a handoff task."""
GUARDRAIL_ICON: Final = "lifesaver"
"""Icon of a guardrail-trip task."""
TASK_ICONS: Final = frozenset({TOOL_ICON, HANDOFF_ICON, GUARDRAIL_ICON})
"""The icons of the tasks made here (the history converter leaves those tasks out)."""
MAX_ARGS_CHARS: Final = 400
"""A task shows at most this much of a call's arguments."""
MAX_RESULT_CHARS: Final = 300
"""A task shows at most this much of a call's result."""
CATCH_UP_S: Final = 0.5
"""A tool waits at most this long for the chat to catch up with the run before it starts."""
MAX_STEP_CHARS: Final = 4000
"""The inspector keeps at most this much of a call's arguments or result."""

Step = dict[str, Any]
"""One step of a run for the inspector: ``{"kind": "model" | "tool" | "handoff" |
"guardrail" | "thought", ...}``; JSON-serialisable and redacted."""


def redacted_json(value: Any, limit: int) -> str:
    """``value`` as short, redacted text: JSON where it is JSON, else its ``str``."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return scrub_cut(value, limit)
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = str(value)
    return scrub_cut(text, limit)


def _fence(text: str) -> str:
    # A result may contain backticks; a longer fence keeps it one code block.
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}\n{text}\n{fence}"


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


class _Call:
    __slots__ = ("args", "index", "item", "name", "started")

    def __init__(self, name: str, args: str, item: WorkflowItem, index: int) -> None:
        self.name = name
        self.args = args
        self.item = item
        self.index = index
        self.started = time.monotonic()


class StepTrace:
    """Shows one run's tool calls, handoffs and guardrail trips as workflow tasks.

    Args:
        context: The turn's ``AgentContext`` (its ``workflow_item`` is shared with
            ``stream_agent_response``).
        on_step: Called with each step of the run (see ``Step``), e.g. by the inspector.
        model: The model's name, for the steps.
    """

    def __init__(
        self,
        context: AgentContext[Any],
        on_step: Callable[[Step], None] | None = None,
        model: str | None = None,
    ) -> None:
        self.context = context
        self.on_step = on_step
        self.model = model
        self.steps: list[Step] = []
        """Every step of the run so far, oldest first."""
        self._queue: deque[tuple[int, ThreadStreamEvent]] = deque()
        self._order = itertools.count()
        self._result: RunResultStreaming | None = None
        self._wake = asyncio.Event()
        self._calls: dict[str, _Call] = {}
        self._ours: set[str] = set()
        self._names: list[str] = []
        self._model_started: float | None = None
        self.errors: dict[str, str] = {}
        """What each failed tool call raised, by call id (class and message, redacted)."""

    # -- the run's events -----------------------------------------------------------------------

    def _step(self, step: Step) -> None:
        step.setdefault("time", datetime.now().astimezone().isoformat(timespec="milliseconds"))
        self.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)

    def _emit(self, event: ThreadStreamEvent) -> None:
        # A copy: the item goes on changing before the event is serialised.
        self._queue.append((next(self._order), event.model_copy(deep=True)))
        self._wake.set()

    def _add_task(self, task: CustomTask) -> tuple[WorkflowItem, int]:
        ctx = self.context
        item = ctx.workflow_item
        if item is None:
            item = WorkflowItem(
                id=ctx.generate_id("workflow"),
                created_at=datetime.now(),
                # Open while it runs; stream_agent_response collapses it when a message follows.
                workflow=Workflow(type="custom", tasks=[], expanded=True),
                thread_id=ctx.thread.id,
            )
            ctx.workflow_item = item
        self._ours.add(item.id)
        item.workflow.tasks.append(task)
        index = len(item.workflow.tasks) - 1
        if index == 0 and item.workflow.type != "reasoning":
            self._emit(ThreadItemAddedEvent(item=item))
        else:
            self._emit(
                ThreadItemUpdatedEvent(
                    item_id=item.id, update=WorkflowTaskAdded(task=task, task_index=index)
                )
            )
        return item, index

    def _update_task(self, item: WorkflowItem, index: int, task: CustomTask) -> None:
        item.workflow.tasks[index] = task
        if self.context.workflow_item is item:
            self._emit(
                ThreadItemUpdatedEvent(
                    item_id=item.id, update=WorkflowTaskUpdated(task=task, task_index=index)
                )
            )
        else:
            # Closed already (a widget the tool showed ends the workflow before the tool
            # returns): replace the stored item so the result is kept.
            self._emit(ThreadItemReplacedEvent(item=item))

    # -- the run's hooks (called where things happen: before a tool runs, after it returns) ------

    def llm_start(self) -> None:
        self._model_started = time.monotonic()

    def llm_end(self, agent: Any, response: Any) -> None:
        started = self._model_started
        self._model_started = None
        usage = getattr(response, "usage", None)
        model = agent.model if isinstance(agent.model, str) else getattr(agent.model, "model", None)
        self._step(
            {
                "kind": "model",
                "agent": agent.name,
                "model": model or self.model,
                "seconds": None if started is None else round(time.monotonic() - started, 3),
                "input_tokens": getattr(usage, "input_tokens", None),
                "output_tokens": getattr(usage, "output_tokens", None),
                "total_tokens": getattr(usage, "total_tokens", None),
            }
        )
        for item in getattr(response, "output", None) or []:
            if getattr(item, "type", None) == "reasoning":
                text = " ".join(
                    getattr(s, "text", "") for s in getattr(item, "summary", None) or []
                )
                if text:
                    self._step({"kind": "thought", "text": scrub_cut(text, MAX_STEP_CHARS)})

    async def catch_up(self) -> None:
        """Wait (briefly) until ``stream_agent_response`` has taken the run's earlier events.

        The run executes a tool as soon as the model's response is complete, while the reply
        may still be on its way through ``stream_agent_response`` (a reasoning summary, say): a
        task added now would come before it, and push the thought out of its workflow.
        """
        queue = getattr(self._result, "_event_queue", None)
        deadline = time.monotonic() + CATCH_UP_S
        while queue is not None and not queue.empty() and time.monotonic() < deadline:  # noqa: ASYNC110 - the queue has no "drained" event to wait on
            await asyncio.sleep(0.005)
        for _ in range(3):  # the consumer's own steps after taking the last event
            await asyncio.sleep(0)

    def tool_start(self, context: Any, tool: Any) -> None:
        call_id = getattr(context, "tool_call_id", None)
        name = getattr(context, "tool_name", None) or getattr(tool, "name", None)
        if not isinstance(call_id, str) or not isinstance(name, str):
            return  # not a function tool: nothing to show
        args = redacted_json(getattr(context, "tool_arguments", None) or "{}", MAX_ARGS_CHARS)
        task = CustomTask(
            title=name, icon=TOOL_ICON, content=_fence(args), status_indicator="loading"
        )
        item, index = self._add_task(task)
        self._calls[call_id] = _Call(name, args, item, index)
        self._names.append(name)

    def tool_error(self, args: ToolErrorFormatterArgs[Any]) -> None:
        """Keep what a tool raised (a ``RunConfig.tool_error_formatter``).

        The model gets the SDK's fixed "An error occurred while running the tool" (returning
        ``None`` keeps it), which says nothing to the person who wrote the tool; the task and
        the inspector show the exception.
        """
        if args.kind == "tool_exception" and args.error is not None:
            error = args.error
            text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            self.errors[str(args.call_id)] = scrub_cut(text, MAX_RESULT_CHARS)

    def tool_end(self, context: Any, result: object) -> None:
        call_id = getattr(context, "tool_call_id", None)
        call = self._calls.pop(str(call_id), None)
        if call is None:
            return
        seconds = time.monotonic() - call.started
        error = self.errors.get(str(call_id))
        shown = f"Raised {error}" if error is not None else redacted_json(result, MAX_RESULT_CHARS)
        failed = " failed" if error is not None else ""
        task = CustomTask(
            title=f"{call.name}{failed} · {_seconds(seconds)}",
            icon=TOOL_ICON,
            content=f"{_fence(call.args)}\n\n→ {_fence(shown)}",
            status_indicator="complete",
        )
        self._update_task(call.item, call.index, task)
        step: Step = {
            "kind": "tool",
            "name": call.name,
            "call_id": str(call_id),
            "arguments": redacted_json(call.args, MAX_STEP_CHARS),
            "output": redacted_json(result, MAX_STEP_CHARS),
            "seconds": round(seconds, 3),
        }
        if error is not None:
            step["error"] = error
        self._step(step)

    def handoff(self, source: Any, target: Any) -> None:
        source_name = getattr(source, "name", "?")
        target_name = getattr(target, "name", "?")
        self._add_task(
            CustomTask(
                title=f"Handed off to {target_name}",
                icon=HANDOFF_ICON,
                content=f"{source_name} → {target_name}",
                status_indicator="complete",
            )
        )
        self._names.append(f"→ {target_name}")
        self._step({"kind": "handoff", "from": source_name, "to": target_name})

    def guardrail_tripped(
        self, error: InputGuardrailTripwireTriggered | OutputGuardrailTripwireTriggered
    ) -> WorkflowItem:
        """A finished workflow that says which guardrail stopped the turn."""
        result = error.guardrail_result
        name = result.guardrail.get_name()
        which = "input" if isinstance(error, InputGuardrailTripwireTriggered) else "output"
        info = result.output.output_info
        detail = redacted_json(info, MAX_RESULT_CHARS) if info is not None else ""
        content = f"The {which} guardrail **{name}** stopped this reply."
        if detail:
            content += f"\n\n{_fence(detail)}"
        self._step(
            {
                "kind": "guardrail",
                "name": name,
                "which": which,
                "info": redacted_json(info, MAX_STEP_CHARS),
            }
        )
        ctx = self.context
        return WorkflowItem(
            id=ctx.generate_id("workflow"),
            created_at=datetime.now(),
            workflow=Workflow(
                type="custom",
                tasks=[
                    CustomTask(
                        title=f"Guardrail tripped: {name}",
                        icon=GUARDRAIL_ICON,
                        content=content,
                        status_indicator="complete",
                    )
                ],
                summary=CustomSummary(title=f"Guardrail tripped: {name}", icon=GUARDRAIL_ICON),
                expanded=True,
            ),
            thread_id=ctx.thread.id,
        )

    # -- the ChatKit events -----------------------------------------------------------------------

    def _summary(self) -> CustomSummary:
        names = list(dict.fromkeys(n for n in self._names))
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        calls = sum(1 for n in self._names if not n.startswith("→"))
        title = f"Used {shown}" if calls else f"Handed off {shown}"
        return CustomSummary(title=title, icon=TOOL_ICON)

    def _finish(self, event: ThreadStreamEvent) -> ThreadStreamEvent:
        # stream_agent_response closes a workflow with a duration ("Thought for 2s"); ours
        # say which tools ran.
        if (
            isinstance(event, ThreadItemDoneEvent)
            and isinstance(event.item, WorkflowItem)
            and event.item.id in self._ours
            and event.item.workflow.type == "custom"
            and self._names
        ):
            event.item.workflow.summary = self._summary()
        return event

    def _fail_open_calls(self, error: Exception) -> list[ThreadStreamEvent]:
        """The events that show the open calls failed with ``error`` and end their workflow."""
        if not self._calls:
            return []
        text = str(error)
        shown = scrub_cut(
            f"{type(error).__name__}: {text}" if text else type(error).__name__, MAX_RESULT_CHARS
        )
        for call_id, call in self._calls.items():
            task = CustomTask(
                title=f"{call.name} failed",
                icon=TOOL_ICON,
                content=f"{_fence(call.args)}\n\n→ {_fence(f'Raised {shown}')}",
                status_indicator="complete",
            )
            self._update_task(call.item, call.index, task)
            self._step(
                {
                    "kind": "tool",
                    "name": call.name,
                    "call_id": call_id,
                    "arguments": redacted_json(call.args, MAX_STEP_CHARS),
                    "output": None,
                    "seconds": round(time.monotonic() - call.started, 3),
                    "error": shown,
                }
            )
        self._calls.clear()
        events = [event for _, event in self._queue]
        self._queue.clear()
        item = self.context.workflow_item
        if item is not None and item.id in self._ours:
            self.context.workflow_item = None
            item.workflow.expanded = False
            item.workflow.summary = self._summary()
            events.append(ThreadItemDoneEvent(item=item.model_copy(deep=True)))
        return events

    async def stream(self, result: RunResultStreaming) -> AsyncIterator[ThreadStreamEvent]:
        """``stream_agent_response(context, result)`` with the tasks added in order."""
        self._result = result

        async def numbered() -> AsyncIterator[tuple[int, ThreadStreamEvent]]:
            # Numbered when stream_agent_response yields, from the counter the tasks use.
            async for event in stream_agent_response(self.context, result):
                yield next(self._order), event

        inner = numbered().__aiter__()
        pending: asyncio.Task[tuple[int, ThreadStreamEvent]] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(inner.__anext__())
                self._wake.clear()
                waker = asyncio.ensure_future(self._wake.wait())
                try:
                    await asyncio.wait({pending, waker}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waker.cancel()
                if not pending.done():
                    # Only tasks: nothing stream_agent_response makes later can come before.
                    while self._queue:
                        yield self._queue.popleft()[1]
                    continue
                try:
                    order, event = pending.result()
                except StopAsyncIteration:
                    break
                finally:
                    pending = None
                while self._queue and self._queue[0][0] < order:
                    yield self._queue.popleft()[1]
                yield self._finish(event)
        except (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered) as e:
            self._queue.clear()
            done = ThreadItemDoneEvent(item=self.guardrail_tripped(e))
            # stream_agent_response leaves its reader of the context's queue waiting on the
            # queue it has just emptied, and asyncio prints "Task was destroyed but it is
            # pending!" in the notebook; one more event there lets the reader finish.
            await self.context.stream(done)
            yield done
            raise
        except Exception as e:
            # The run failed (a tool without a failure_error_function raised, the model
            # errored): a call still open would spin in the chat, and its workflow was
            # never saved.
            for event in self._fail_open_calls(e):
                yield event
            raise
        finally:
            if pending is not None and not pending.done():
                await _wind_down(result, inner, pending)
        while self._queue:
            yield self._queue.popleft()[1]
        # A run that ends on a tool call (no message follows) leaves its workflow open.
        item = self.context.workflow_item
        if item is not None and item.id in self._ours and self.context.client_tool_call is None:
            self.context.workflow_item = None
            item.workflow.expanded = False
            item.workflow.summary = self._summary()
            yield ThreadItemReplacedEvent(item=item)


async def _wind_down(
    result: RunResultStreaming,
    inner: AsyncIterator[Any],
    pending: asyncio.Future[Any],
) -> None:
    """Stop the run and let ``stream_agent_response`` end by itself (the Stop button, a
    timeout of ``ask``).

    Cancelled while it waits, it leaves the two tasks it merges pending, and asyncio prints
    "Task exception was never retrieved" and "Task was destroyed but it is pending!" in the
    notebook. A stopped run ends its stream, and then it cancels the other task itself.
    """
    result.cancel()
    deadline = time.monotonic() + CATCH_UP_S
    try:
        while True:
            done, _ = await asyncio.wait({pending}, timeout=deadline - time.monotonic())
            if not done:
                return
            if pending.cancelled() or pending.exception() is not None:
                return  # ended (StopAsyncIteration) or failed: nothing is left running
            pending = asyncio.ensure_future(inner.__anext__())
    finally:
        if not pending.done():
            pending.cancel()
            pending.add_done_callback(_retrieve)


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


class StepHooks(RunHooks[Any]):
    """The run hooks that feed a ``StepTrace``; pass as ``Runner.run_streamed(hooks=...)``."""

    def __init__(self, trace: StepTrace) -> None:
        self.trace = trace

    async def on_llm_start(self, context: Any, agent: Any, *args: Any, **kwargs: Any) -> None:
        self.trace.llm_start()

    async def on_llm_end(self, context: Any, agent: Any, response: Any) -> None:
        self.trace.llm_end(agent, response)

    async def on_tool_start(self, context: Any, agent: Any, tool: Any) -> None:
        await self.trace.catch_up()
        self.trace.tool_start(context, tool)

    async def on_tool_end(self, context: Any, agent: Any, tool: Any, result: object) -> None:
        self.trace.tool_end(context, result)

    async def on_handoff(self, context: Any, from_agent: Any, to_agent: Any) -> None:
        await self.trace.catch_up()
        self.trace.handoff(from_agent, to_agent)
