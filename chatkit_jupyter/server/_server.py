"""The default ChatKit server: an openai-agents ``Agent`` that can see the notebook's variables.

A turn goes: ChatKit request -> ``ChatKitServer.process`` -> ``NotebookServer.respond`` ->
``Runner.run_streamed`` with the agent (plus the notebook tools, and the model from
``_model.resolve_model``) -> ``chatkit.agents.stream_agent_response`` -> ChatKit events.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
import json
import logging
import os
import pathlib
import time
import traceback
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timezone
from typing import Any, Final, Literal

import openai
from agents import (
    Agent,
    AgentsException,
    Handoff,
    HandoffCallItem,
    HandoffOutputItem,
    InputGuardrailTripwireTriggered,
    Model,
    OutputGuardrailTripwireTriggered,
    RunConfig,
    RunContextWrapper,
    Runner,
    RunResultStreaming,
    StopAtTools,
    Tool,
    ToolCallItem,
    ToolCallOutputItem,
    TResponseInputItem,
)
from agents.models.fake_id import FAKE_RESPONSES_ID
from chatkit.actions import Action
from chatkit.agents import AgentContext, ThreadItemConverter
from chatkit.errors import CustomStreamError
from chatkit.server import ChatKitServer, NonStreamingResult, StreamingResult
from chatkit.store import AttachmentStore, NotFoundError, Store
from chatkit.types import (
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartAnnotationAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    Attachment,
    ChatKitReq,
    HiddenContextItem,
    ThreadItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemRemovedEvent,
    ThreadItemReplacedEvent,
    ThreadItemUpdatedEvent,
    ThreadMetadata,
    ThreadStreamEvent,
    UserMessageItem,
    UserMessageTagContent,
    UserMessageTextContent,
    WidgetItem,
    WorkflowItem,
    is_streaming_req,
)
from openai.types.responses import (
    EasyInputMessageParam,
    ResponseInputContentParam,
    ResponseInputTextParam,
)
from pydantic import TypeAdapter

from chatkit_jupyter.notebook._inspect import NamespaceSource, resolve_namespace
from chatkit_jupyter.notebook._mentions import describe_tag, variable_entities
from chatkit_jupyter.notebook._redact import scrub
from chatkit_jupyter.notebook._tools import notebook_tools
from chatkit_jupyter.widget._ask import DEFAULT_TIMEOUT, Reply, ToolCall, Turn, current_turn
from chatkit_jupyter.widget._ask import ask as run_ask
from chatkit_jupyter.workbench._inspector import record_step
from chatkit_jupyter.workbench._run_code import (
    RUN_ACTION,
    ApprovalRefused,
    CellGate,
    CodeApprovals,
    answered_widget,
    execute,
    ipython_shell,
    outcome_text,
    run_code_tool,
)
from chatkit_jupyter.workbench._steps import TASK_ICONS, Step, StepHooks, StepTrace

from ._model import NotebookModels, ResolvedModel, resolve_model, tracing_allowed

logger = logging.getLogger("chatkit_jupyter")

NOTEBOOK_CONTEXT: Final = """\
You can look at the notebook's variables: list_variables and inspect_variable tell you about \
them; show_variables and show_variable also show the result to the user as a widget in the \
chat, so prefer those when the user asks to see something. Look before you answer questions \
about the data, and refer to variables by name. When you suggest code, make it a short, \
runnable cell that uses the user's variable names. A variable the user tags as @name comes \
with its description.

Some values are shown to you as "<redacted>" because they look like secrets: never try to \
reveal, guess or reconstruct them."""
"""What every agent of a ``NotebookServer`` is told about the notebook (its tools, the redaction
rule); added to the instructions of an agent you pass in."""

DEFAULT_INSTRUCTIONS: Final = f"""\
You are a friendly assistant inside the user's Jupyter notebook, running in the notebook's own \
Python kernel. Help the user understand and work with the data in their notebook.

{NOTEBOOK_CONTEXT} Be concise."""
"""Instructions of the default agent (``NotebookServer(agent=None)``)."""

DEFAULT_HISTORY_ITEMS: Final = 50
"""Thread items sent to the model as history (the newest ones)."""
DEFAULT_MAX_EVENTS: Final = 2000
"""Entries kept in ``NotebookServer.events``."""
MAX_SUMMARY_DELTA: Final = 80
"""Characters of a text delta shown in its event's ``summary``."""


class NotebookThreadItemConverter(ThreadItemConverter):
    """Converts thread items to model input: attachments through ``attachment_to_input``, tags
    of notebook variables as their redacted description (``describe_tag``).

    An item that cannot be converted becomes a short placeholder (and ``on_error`` hears of
    it), so one bad item never fails every later turn of its thread.

    Args:
        attachment_store: The server's attachment store (may be ``None``).
        context: The request context of the current turn.
        namespace: Where tagged variables are looked up.
        on_error: Called with the item and the exception when an item is replaced.
    """

    def __init__(
        self,
        attachment_store: AttachmentStore[Any] | None,
        context: Any,
        namespace: NamespaceSource = None,
        on_error: Callable[[ThreadItem, Exception], None] | None = None,
    ) -> None:
        self.attachment_store = attachment_store
        self.context = context
        self.namespace = namespace
        self.on_error = on_error

    async def attachment_to_message_content(
        self, attachment: Attachment
    ) -> ResponseInputContentParam:
        """Turn an attachment into an input part (image or file) via ``attachment_to_input``."""
        from chatkit_jupyter.store._attachments import attachment_to_input

        return await attachment_to_input(attachment, self.attachment_store, self.context)

    async def tag_to_message_content(self, tag: UserMessageTagContent) -> ResponseInputContentParam:
        """A tagged variable's redacted description (what ``inspect_variable`` returns); other
        tags as their id and data."""
        namespace = resolve_namespace(self.namespace)
        text = describe_tag(namespace, tag.id, tag.text, tag.data)
        return ResponseInputTextParam(type="input_text", text=text)

    async def assistant_message_to_input(
        self, item: AssistantMessageItem
    ) -> TResponseInputItem | list[TResponseInputItem] | None:
        """An earlier reply, as plain text.

        ChatKit's default sends ``output_text`` parts, which the Chat Completions converter
        (Ollama, vLLM ...) rejects; a string is valid for both APIs.
        """
        return EasyInputMessageParam(
            type="message", role="assistant", content="".join(c.text for c in item.content)
        )

    async def workflow_to_input(
        self, item: WorkflowItem
    ) -> TResponseInputItem | list[TResponseInputItem] | None:
        """A workflow's tasks, without the ones that show the agent's own tool calls.

        ChatKit sends every custom task as a user message; the tasks ``StepTrace`` made only
        retell what the model did itself, and would cost tokens at every turn.
        """
        tasks = [t for t in item.workflow.tasks if getattr(t, "icon", None) not in TASK_ICONS]
        if len(tasks) == len(item.workflow.tasks):
            return await super().workflow_to_input(item)
        if not tasks:
            return None
        workflow = item.workflow.model_copy(update={"tasks": tasks})
        return await super().workflow_to_input(item.model_copy(update={"workflow": workflow}))

    async def to_agent_input(
        self, thread_items: Sequence[ThreadItem] | ThreadItem
    ) -> list[TResponseInputItem]:
        """The items as model input; an item that fails to convert becomes a placeholder."""
        items = list(thread_items) if isinstance(thread_items, Sequence) else [thread_items]
        output: list[TResponseInputItem] = []
        for item in items:
            try:
                output.extend(
                    await self._thread_item_to_input_item(item, is_last_message=item is items[-1])
                )
            except Exception as e:
                logger.warning(
                    "chatkit-jupyter: thread item %s (%s) could not be sent to the model: %s: %s",
                    item.id,
                    item.type,
                    type(e).__name__,
                    scrub(str(e))[:300],
                )
                if self.on_error is not None:
                    self.on_error(item, e)
                output.append(_placeholder(item, e))
        return output


def _placeholder(item: ThreadItem, error: Exception) -> TResponseInputItem:
    role: Literal["user", "assistant"] = (
        "assistant" if isinstance(item, AssistantMessageItem) else "user"
    )
    note = (
        f"[A {item.type.replace('_', ' ')} of this conversation could not be shown to you "
        f"({type(error).__name__}).]"
    )
    if isinstance(item, UserMessageItem) and _user_text(item).strip():
        note = f"{_user_text(item)}\n\n{note}"
    return EasyInputMessageParam(type="message", role=role, content=note)


class _ItemIds:
    """Gives each assistant message of a turn its own id.

    ``stream_agent_response`` reuses the Responses API item id as the thread item id, and models
    behind the Chat Completions API (Ollama, vLLM ...) all report the same placeholder id, so
    every reply would overwrite the previous one (openai/chatkit-python#36).
    """

    def __init__(self, new_id: Callable[[], str]) -> None:
        self._new_id = new_id
        self._current: str | None = None
        """The id of the message being streamed."""
        self._last: str | None = None
        """The id of the last message done; a guardrail tripwire may remove it afterwards."""

    def _take(self) -> str:
        if self._current is None:
            self._current = self._new_id()
        return self._current

    def fix(self, event: ThreadStreamEvent) -> ThreadStreamEvent:
        """``event`` with a placeholder item id replaced by the message's own id."""
        if isinstance(event, ThreadItemAddedEvent) and _is_fake(event.item.id):
            self._current = None
            item = event.item.model_copy(update={"id": self._take()})
            return event.model_copy(update={"item": item})
        if isinstance(event, ThreadItemUpdatedEvent) and _is_fake(event.item_id):
            return event.model_copy(update={"item_id": self._take()})
        if isinstance(event, ThreadItemDoneEvent) and _is_fake(event.item.id):
            item = event.item.model_copy(update={"id": self._take()})
            self._last, self._current = self._current, None
            return event.model_copy(update={"item": item})
        if isinstance(event, ThreadItemRemovedEvent) and _is_fake(event.item_id):
            return event.model_copy(update={"item_id": self._current or self._last or self._take()})
        return event


def _is_fake(item_id: str) -> bool:
    return item_id.startswith(FAKE_RESPONSES_ID)


def _user_text(item: UserMessageItem | None) -> str:
    # Tags as "@text", as the user saw them in the composer.
    if item is None:
        return ""
    return "".join(
        p.text if isinstance(p, UserMessageTextContent) else f"@{p.text}" for p in item.content
    )


def _summary(event: ThreadStreamEvent) -> str:
    match event:
        case ThreadItemAddedEvent() | ThreadItemDoneEvent():
            return f"{event.item.type} {event.item.id}"
        case ThreadItemUpdatedEvent():
            delta = getattr(event.update, "delta", None)
            # A preview: the event is kept too, and a long delta copied into every summary
            # made the bounded log hold megabytes.
            if isinstance(delta, str) and len(delta) > MAX_SUMMARY_DELTA:
                delta = delta[: MAX_SUMMARY_DELTA - 1] + "…"
            detail = f" {delta!r}" if isinstance(delta, str) else ""
            return f"{event.update.type} {event.item_id}{detail}"
        case ThreadItemRemovedEvent():
            return event.item_id
        case _:
            return ""


class NotebookServer(ChatKitServer[Any]):
    """A ChatKit server that runs an openai-agents ``Agent`` in the notebook's kernel.

    Args:
        agent: An ``agents.Agent``; or the name of a variable holding one, looked up at every
            message so that re-running the cell that defines it takes effect at the next message;
            or ``None`` for a default assistant that helps with the notebook's data. The notebook
            tools (``list_variables``, ``inspect_variable``, ``show_variables``,
            ``show_variable``) are added to it unless it has tools of those names, and
            ``NOTEBOOK_CONTEXT`` after its instructions; so are the agents it hands off to
            (which also get the server's model, as below). Your agents are not changed: the
            turn runs with copies.
        store: Where threads and items are kept; ``None`` for ``default_store()``
            (``.chatkit/chatkit.db`` in the working directory: the notebook's folder).
        model: A model name or an ``agents.Model``. ``None`` keeps the agent's own model if it has
            one, else picks one from the environment (``OPENAI_API_KEY``; ``OPENAI_BASE_URL`` and
            ``OPENAI_MODEL``) at every message, or the offline assistant.
        namespace: The variables the tools see; ``None`` for IPython's user namespace.
        attachment_store: Where attached files go (see ``chatkit_jupyter.FileAttachmentStore``);
            ``None`` for files beside a ``SQLiteStore``'s database (``attachments/``; a
            temporary folder for ``":memory:"``), or no attachments with another store.
        history_items: How many recent thread items are sent to the model.
        max_events: How many entries ``events`` keeps.
        allow_run: Give the agent a ``run_code`` tool. The chat shows the code with Run and
            Cancel; it runs in the notebook's namespace, between cells, only after a click on
            Run, and its output goes back to the agent. Off by default.
    """

    def __init__(
        self,
        agent: Agent[Any] | str | None = None,
        *,
        store: Store[Any] | None = None,
        model: str | Model | None = None,
        namespace: NamespaceSource = None,
        attachment_store: AttachmentStore[Any] | None = None,
        history_items: int = DEFAULT_HISTORY_ITEMS,
        max_events: int = DEFAULT_MAX_EVENTS,
        allow_run: bool = False,
    ) -> None:
        """Make the server; the class docstring describes the arguments."""
        if agent is not None and not isinstance(agent, Agent | str):
            raise TypeError(
                f"agent must be an agents.Agent, a variable name or None, not {type(agent).__name__}."
            )
        # Typed, but a notebook passes what it has; else every message fails later with
        # "'str' object has no attribute ...", or the chat goes offline.
        given: tuple[object, object] = (store, model)
        if given[0] is not None and not isinstance(given[0], Store):
            path = given[0] if isinstance(given[0], str | os.PathLike) else "chat.db"
            raise TypeError(
                f"store must be a chatkit Store, not {type(given[0]).__name__}: pass "
                f"store=SQLiteStore({os.fspath(path)!r}) (from chatkit_jupyter), or None for "
                "the default."
            )
        if given[1] is not None and not isinstance(given[1], str | Model):
            raise TypeError(
                f"model must be a model name (str), an agents.Model or None, not "
                f"{type(given[1]).__name__}."
            )
        if store is None:
            from chatkit_jupyter.store import default_store

            store = default_store()
        if attachment_store is None:
            attachment_store = _default_attachment_store(store)
        super().__init__(store, attachment_store)
        self.agent: Agent[Any] | str | None = agent
        """The agent, the name of the variable that holds it, or ``None`` for the default."""
        self.model: str | Model | None = model
        """The model passed in, if any (see the class docstring)."""
        self.namespace: NamespaceSource = namespace
        """The variables the notebook tools see; ``None`` for IPython's user namespace."""
        self.history_items = history_items
        """How many recent thread items are sent to the model."""
        self.events: deque[dict[str, Any]] = deque(maxlen=max_events)
        """Recent events, oldest first: ``{"time", "thread_id", "type", "summary"}`` plus
        ``"event"`` (the ``ThreadStreamEvent``) for streamed events, ``"step"`` for the agent's
        steps (``type`` ``"step"``: model calls, tool calls, handoffs, guardrails), or details
        for the ``turn.started`` / ``turn.done`` / ``turn.error`` / ``turn.cancelled`` /
        ``turn.guardrail`` and ``run_code.ran`` / ``.declined`` / ``.refused`` markers."""
        self.tools: list[Tool] = list(notebook_tools(lambda: resolve_namespace(self.namespace)))
        """The notebook tools added to the agent."""
        self._default_agent: Agent[Any] = Agent(
            name="Notebook assistant", instructions=DEFAULT_INSTRUCTIONS
        )
        self.allow_run = allow_run
        """Whether the agent has the ``run_code`` tool (see the class docstring)."""
        self.approvals = CodeApprovals()
        """The ``run_code`` proposals waiting for a click."""
        self._run_code = run_code_tool(self.approvals)
        self._cells = CellGate()
        if allow_run:
            self._cells.attach(ipython_shell())
        # The agent run of each thread's turn in progress, to stop it when its request goes.
        self._runs: dict[str, RunResultStreaming] = {}
        # One HTTP client per model setting, shared by the turns that use it.
        self._clients: dict[tuple[str, ...], Model] = {}

    def __repr__(self) -> str:
        # The default names a private module; `/vars` shows this to the model too.
        parts = []
        if isinstance(self.agent, Agent):
            parts.append(f"agent=<Agent {self.agent.name!r}>")
        elif self.agent is not None:
            parts.append(f"agent=<variable {self.agent!r}>")
        if isinstance(self.model, str):
            parts.append(f"model={self.model!r}")
        elif self.model is not None:
            parts.append(f"model=<{type(self.model).__name__}>")
        parts.append(f"store={self.store!r}")
        if self.allow_run:
            parts.append("allow_run=True")
        return f"{type(self).__name__}({', '.join(parts)})"

    # -- requests ---------------------------------------------------------------------------------

    async def process(
        self, request: str | bytes | bytearray, context: Any
    ) -> StreamingResult | NonStreamingResult:
        """``ChatKitServer.process`` with the request parsed by one pydantic ``TypeAdapter`` made
        once: chatkit-python makes a new one for every request, about 2 ms of a ``threads.list``
        that takes 3 ms in all. Should chatkit-python's own steps change, its ``process`` runs.
        """
        streaming = getattr(self, "_process_streaming", None)
        plain = getattr(self, "_process_non_streaming", None)
        if streaming is None or plain is None:
            return await super().process(request, context)
        parsed = _request_adapter().validate_json(request)
        logger.info("Received request op: %s", parsed.type)
        if is_streaming_req(parsed):
            return StreamingResult(streaming(parsed, context))
        return NonStreamingResult(await plain(parsed, context))

    # -- what answers -----------------------------------------------------------------------------

    def _base_agent(self) -> Agent[Any]:
        if self.agent is None:
            return self._default_agent
        if isinstance(self.agent, Agent):
            return self.agent
        name = self.agent
        try:
            namespace = resolve_namespace(self.namespace)
        except RuntimeError as e:
            raise CustomStreamError(str(e)) from None
        if name not in namespace:
            raise CustomStreamError(
                f"There is no variable {name!r} in the notebook: run the cell that defines "
                "your agent, then send your message again.",
                allow_retry=True,
            )
        agent = namespace[name]
        if not isinstance(agent, Agent):
            # Said as the magic says it ("is of type int": "is a int" read wrong), with what
            # to do: the name was most likely reused for something else.
            raise CustomStreamError(
                f"{name!r} is of type {type(agent).__name__}, not an agents.Agent: assign your "
                f"agent to {name!r} again (run the cell that defines it), then send your "
                "message again.",
                allow_retry=True,
            )
        return agent

    def _resolved_model(self, agent: Agent[Any], chosen: str | None = None) -> ResolvedModel | None:
        """The model this server picks, or ``None`` when the agent keeps its own.

        ``chosen`` is the model the user picked in the composer (``composer.models``); it wins
        over the server's and the agent's own.
        """
        if chosen:
            return resolve_model(chosen, cache=self._clients)
        if self.model is None and agent.model is not None:
            return None
        return resolve_model(self.model, cache=self._clients)

    def agent_for_turn(self, model: str | None = None) -> tuple[Agent[Any], bool]:
        """The agent that answers the next message, and whether tracing may be on.

        Args:
            model: A model the user picked for this message in the composer, if any.

        Raises:
            chatkit.errors.CustomStreamError: ``agent`` names a variable that is missing or is
                not an ``Agent``.
        """
        agent = self._base_agent()
        resolved = self._resolved_model(agent, model)
        tracing = resolved.tracing if resolved is not None else tracing_allowed()
        return self._prepare(agent, model, {}), tracing

    def _prepare(
        self, agent: Agent[Any], model: str | None, done: dict[int, Agent[Any]]
    ) -> Agent[Any]:
        """``agent`` with the notebook tools, the notebook context and the server's model, and
        so are the agents it hands off to (a handoff must not lose the redaction rule or call a
        model the notebook did not configure). The user's agents are not changed: changed ones
        are clones, made once per agent even when handoffs loop back.
        """
        if id(agent) in done:
            return done[id(agent)]
        updates: dict[str, Any] = {}
        present = {getattr(tool, "name", None) for tool in agent.tools}
        tools = self.tools
        if self.allow_run:
            tools = [*tools, self._run_code]
            if agent.tool_use_behavior == "run_llm_again":
                # The turn ends at run_code; the click continues it (see workbench._run_code).
                updates["tool_use_behavior"] = StopAtTools(stop_at_tool_names=["run_code"])
        missing = [tool for tool in tools if getattr(tool, "name", None) not in present]
        if missing:
            updates["tools"] = [*agent.tools, *missing]
        if agent is not self._default_agent:
            updates["instructions"] = _with_notebook_context(agent.instructions)
        resolved = self._resolved_model(agent, model)
        if resolved is not None:
            updates["model"] = resolved.model
        if not updates and not agent.handoffs:
            return agent
        prepared = agent.clone(**updates)
        done[id(agent)] = prepared
        if agent.handoffs:
            prepared.handoffs = [self._prepare_handoff(h, model, done) for h in agent.handoffs]
        return prepared

    def _prepare_handoff(
        self, target: Agent[Any] | Handoff[Any, Any], model: str | None, done: dict[int, Agent[Any]]
    ) -> Agent[Any] | Handoff[Any, Any]:
        if isinstance(target, Agent):
            return self._prepare(target, model, done)
        # A `handoff(agent, ...)`: its agent is known only once it is invoked.
        invoke = target.on_invoke_handoff

        async def prepared(ctx: RunContextWrapper[Any], input_json: str) -> Any:
            agent = await invoke(ctx, input_json)
            return self._prepare(agent, model, done) if isinstance(agent, Agent) else agent

        return dataclasses.replace(target, on_invoke_handoff=prepared)

    @property
    def model_description(self) -> str:
        """What answers the next message, for display: ``"gpt-4.1-mini via OpenAI"`` ..."""
        try:
            agent = self._base_agent()
        except CustomStreamError as e:
            return e.message
        resolved = self._resolved_model(agent)
        if resolved is not None:
            return resolved.description
        own = agent.model
        label = own if isinstance(own, str) else getattr(own, "model", type(own).__name__)
        return f"{label} (the agent's own model)"

    def search_variables(self, query: str = "") -> list[dict[str, Any]]:
        """The notebook's variables matching ``query`` as ChatKit entities, for "@" in the
        composer: ``w.entity_search(server.search_variables)`` (``%chatkit`` does it for you).

        A tagged variable reaches the model as its redacted description, as
        ``inspect_variable`` gives it.
        """
        return variable_entities(resolve_namespace(self.namespace), query)

    async def ask(
        self,
        text: str,
        *,
        thread_id: str | None = None,
        new_thread: bool = False,
        context: Any = None,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> Reply:
        """Send ``text`` as the user and return the ``Reply``, without a chat on screen.

        The message is the ChatKit request the composer sends, processed by this server
        (``process``), so it is stored in a thread like any other. Each call starts a new
        thread unless ``thread_id`` names one to continue (``reply.thread_id``); ``new_thread``
        is accepted for symmetry with ``ChatKitWidget.ask``. ``@name`` of a notebook variable
        in ``text`` is sent as a tag, as the composer sends it. Works outside a notebook too
        (``asyncio.run(server.ask(...))``, with ``namespace=``).

        Args:
            text: The message.
            thread_id: A thread to continue.
            new_thread: Start a new thread (the default here).
            context: The request context passed to ``process`` (default ``{}``).
            timeout: Seconds before the request is cancelled and ``reply.error`` says so.

        Returns:
            The reply; a failure is in ``reply.error``, never raised.
        """
        target = None if new_thread else thread_id
        request_context = {} if context is None else context
        if isinstance(target, str) and target:
            try:
                await self.store.load_thread(target, request_context)
            except NotFoundError:
                # Said here, not by ChatKit, which also prints its traceback into the cell.
                return Reply(
                    thread_id=target,
                    error=(
                        f"There is no thread {target!r} in this server's store: continue one "
                        "with thread_id=reply.thread_id of an earlier reply, or leave it out "
                        "for a new thread."
                    ),
                )

        async def process(body: bytes) -> Any:
            result = await self.process(body, request_context)
            return getattr(result, "json", result)

        async def search(query: str) -> list[dict[str, Any]]:
            return self.search_variables(query)

        return await run_ask(process, text, target, timeout=timeout, search=search)

    # -- a turn -----------------------------------------------------------------------------------

    async def respond(
        self,
        thread: ThreadMetadata,
        input_user_message: UserMessageItem | None,
        context: Any,
    ) -> AsyncIterator[ThreadStreamEvent]:
        """Run the agent on the thread's recent history and stream its reply as ChatKit events."""
        started = time.monotonic()
        text = _user_text(input_user_message)
        self._log(thread.id, "turn.started", text[:200], user_text=text)
        if thread.title is None and text.strip():
            # ChatKit lists threads by title; the first message is a good one.
            thread.title = " ".join(text.split())[:60]
        result: RunResultStreaming | None = None
        # The assistant messages being streamed, to keep if the model fails mid-reply.
        partial: dict[str, AssistantMessageItem] = {}
        trace: StepTrace | None = None
        try:
            chosen = (
                input_user_message.inference_options.model
                if input_user_message is not None and input_user_message.inference_options
                else None
            )
            agent, tracing = self.agent_for_turn(chosen)
            agent_context = AgentContext(thread=thread, store=self.store, request_context=context)
            converter = NotebookThreadItemConverter(
                self.attachment_store,
                context,
                self.namespace,
                on_error=lambda item, e: self._log(
                    thread.id,
                    "item.error",
                    scrub(f"{item.type} {item.id}: {type(e).__name__}: {e}")[:500],
                    error=e,
                ),
            )
            history = await self._history(thread, context)
            trace = StepTrace(
                agent_context, lambda step: self._step(thread.id, step), _model_name(agent)
            )
            result = Runner.run_streamed(
                agent,
                await converter.to_agent_input(history),
                context=agent_context,
                run_config=RunConfig(
                    tracing_disabled=not tracing,
                    workflow_name="chatkit-jupyter",
                    tool_error_formatter=trace.tool_error,
                    model_provider=NotebookModels(
                        resolve_model(chosen or self.model, cache=self._clients).model
                    ),
                ),
                hooks=StepHooks(trace),
            )
            self._runs[thread.id] = result
            ids = _ItemIds(lambda: self.store.generate_item_id("message", thread, context))
            async for raw in trace.stream(result):
                event = ids.fix(raw)
                self._log(thread.id, event.type, _summary(event), event=event)
                self._track(partial, event)
                yield event
            turn = current_turn()
            if turn is not None:
                # Only for a run that finished: a tripped output guardrail raises above, and
                # the output it stopped must not reach `ask` either.
                turn.output = result.final_output
        except (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered) as e:
            # Not an error: the agent's own rule stopped the reply, and the chat shows which
            # (StepTrace sent a task saying so).
            name = e.guardrail_result.guardrail.get_name()
            self._log(thread.id, "turn.guardrail", name, seconds=time.monotonic() - started)
            return
        except asyncio.CancelledError:
            self._log(thread.id, "turn.cancelled", "", seconds=time.monotonic() - started)
            raise
        except Exception as e:
            _scrub_args(e)
            self._log(
                thread.id,
                "turn.error",
                scrub(f"{type(e).__name__}: {e}")[:500],
                error=e,
                traceback=scrub(traceback.format_exc()),
            )
            # ChatKit keeps the unfinished message only when the stream is cancelled; an error
            # would drop the answer the user has been reading (and the model's next turn too).
            kept = [item for item in partial.values() if _has_text(item)]
            for item in kept:
                yield ThreadItemDoneEvent(item=item)
            shown = _user_facing(e, mid_reply=bool(kept))
            if shown is e:
                raise
            raise shown from e
        finally:
            # On cancel (the stop button) or an error, stop the run too: its tasks outlive this
            # generator, and would go on calling the model and running tools.
            if result is not None and not result.is_complete:
                result.cancel()
            turn = current_turn()
            if turn is not None and result is not None and trace is not None:
                _report(turn, result, trace)
            if result is not None and self._runs.get(thread.id) is result:
                del self._runs[thread.id]
        self._log(thread.id, "turn.done", "", seconds=time.monotonic() - started)

    def _track(self, partial: dict[str, AssistantMessageItem], event: ThreadStreamEvent) -> None:
        if isinstance(event, ThreadItemAddedEvent) and isinstance(event.item, AssistantMessageItem):
            partial[event.item.id] = event.item.model_copy(deep=True)
        elif isinstance(event, ThreadItemUpdatedEvent) and event.item_id in partial:
            update = event.update
            if isinstance(
                update, AssistantMessageContentPartAdded | AssistantMessageContentPartTextDelta
            ):
                # A copy: ChatKit puts the added part itself in its own pending copy.
                item = partial[event.item_id]
                partial[event.item_id] = self._apply_assistant_message_update(
                    item, update.model_copy(deep=True)
                )
        elif isinstance(event, ThreadItemDoneEvent | ThreadItemReplacedEvent):
            partial.pop(event.item.id, None)
        elif isinstance(event, ThreadItemRemovedEvent):
            partial.pop(event.item_id, None)

    def _apply_assistant_message_update(
        self,
        item: AssistantMessageItem,
        update: AssistantMessageContentPartAdded
        | AssistantMessageContentPartTextDelta
        | AssistantMessageContentPartAnnotationAdded
        | AssistantMessageContentPartDone,
    ) -> AssistantMessageItem:
        # ChatKitServer keeps a copy of the message being streamed (for handle_stream_cancelled)
        # with `part.text += delta`: a new string per delta, quadratic in the reply's length
        # (441 ms of kernel time for one 10 MB message, bench/bench_bridge.py). With the model's
        # reference dropped first, `text` is the string's only reference and CPython grows it
        # in place. The copy stays exact after every delta; elsewhere (PyPy) it is just a copy.
        if isinstance(update, AssistantMessageContentPartTextDelta) and update.content_index < len(
            item.content
        ):
            part = item.content[update.content_index]
            text = part.text
            part.text = ""
            text += update.delta
            part.text = text
            return item
        return super()._apply_assistant_message_update(item, update)

    async def action(
        self,
        thread: ThreadMetadata,
        action: Action[str, Any],
        sender: WidgetItem | None,
        context: Any,
    ) -> AsyncIterator[ThreadStreamEvent]:
        """Answer the Run / Cancel buttons of ``run_code``; other actions are not handled here
        (override ``action`` and call this one for those)."""
        if action.type != RUN_ACTION:
            raise CustomStreamError(
                f"NotebookServer has no handler for the action {action.type!r}: subclass it "
                "and override action(), or handle it in Python with @w.on_action.",
                allow_retry=False,
            )
        payload = action.payload if isinstance(action.payload, dict) else {}
        try:
            approval = self.approvals.take(
                payload.get("id"), thread.id, sender.id if sender is not None else None
            )
        except ApprovalRefused as e:
            self._log(thread.id, "run_code.refused", str(e))
            if e.approval is not None and sender is not None:
                widget = answered_widget(e.approval.code, "Expired: not run")
                yield ThreadItemReplacedEvent(item=sender.model_copy(update={"widget": widget}))
            raise CustomStreamError(str(e), allow_retry=False) from None
        assert sender is not None  # take() checked it is the proposal's widget
        run = payload.get("run") is True and self.allow_run
        if not run:
            self._log(thread.id, "run_code.declined", approval.code[:200])
            widget = answered_widget(approval.code, "Declined: not run")
            note = "The user declined to run the proposed code (Cancel); it did not run."
        else:
            running = answered_widget(approval.code, "Running…")
            yield ThreadItemReplacedEvent(item=sender.model_copy(update={"widget": running}))
            await self._cells.wait()  # never in the middle of a cell
            try:
                namespace = resolve_namespace(self.namespace)
            except RuntimeError as e:
                raise CustomStreamError(str(e), allow_retry=False) from None
            outcome = execute(approval.code, namespace)  # type: ignore[arg-type]
            self._log(thread.id, "run_code.ran", approval.code[:200], outcome=outcome)
            self._step(
                thread.id,
                {
                    "kind": "run_code",
                    "name": "run_code",
                    "code": scrub(approval.code),
                    "stdout": outcome.stdout,
                    "result": outcome.result,
                    "error": outcome.error,
                    "seconds": round(outcome.seconds, 3),
                },
            )
            status = "Failed" if outcome.error is not None else "Ran"
            widget = answered_widget(approval.code, status, outcome_text(outcome))
            note = outcome.for_model()
        yield ThreadItemReplacedEvent(item=sender.model_copy(update={"widget": widget}))
        await self.store.add_thread_item(
            thread.id,
            HiddenContextItem(
                id=self.store.generate_item_id("sdk_hidden_context", thread, context),
                thread_id=thread.id,
                created_at=datetime.now(),
                content=note,
            ),
            context,
        )
        async for event in self.respond(thread, None, context):
            yield event

    async def handle_stream_cancelled(
        self, thread: ThreadMetadata, pending_items: list[ThreadItem], context: Any
    ) -> None:
        """Stop the thread's agent run, then keep what was streamed (ChatKit's default).

        A request cancelled while ChatKit writes to the store, outside ``respond``, leaves
        ``respond`` suspended rather than closed, and its run would go on calling the model.
        """
        run = self._runs.pop(thread.id, None)
        if run is not None and not run.is_complete:
            run.cancel()
            self._log(thread.id, "turn.cancelled", "")
        await super().handle_stream_cancelled(thread, pending_items, context)

    async def _history(self, thread: ThreadMetadata, context: Any) -> list[ThreadItem]:
        page = await self.store.load_thread_items(
            thread.id, None, self.history_items, "desc", context
        )
        return list(reversed(page.data))

    # -- the event log ----------------------------------------------------------------------------

    def _log(self, thread_id: str, kind: str, summary: str, **details: Any) -> None:
        self.events.append(
            {
                "time": datetime.now(timezone.utc),
                "thread_id": thread_id,
                "type": kind,
                "summary": summary,
                **details,
            }
        )

    def _step(self, thread_id: str, step: Step) -> None:
        summary = " ".join(str(step.get(k)) for k in ("kind", "name", "model", "to") if step.get(k))
        self._log(thread_id, "step", summary, step=step)
        record_step(thread_id, step)

    def events_of(self, thread_id: str | None = None) -> list[dict[str, Any]]:
        """The logged events of one thread (default: of the most recent turn's thread)."""
        if thread_id is None:
            if not self.events:
                return []
            thread_id = self.events[-1]["thread_id"]
        return [e for e in self.events if e["thread_id"] == thread_id]


def _report(turn: Turn, result: RunResultStreaming, trace: StepTrace) -> None:
    """Tell ``ask`` the run's tool calls (with what failed ones raised, from ``trace``) and
    token usage (the stream carries neither)."""
    errors = trace.errors
    calls: dict[str, list[Any]] = {}
    for item in result.new_items:
        # A handoff is a tool call to the model ("transfer_to_billing"); without it, a reply
        # another agent gave looked like the first agent's own.
        if isinstance(item, ToolCallItem | HandoffCallItem):
            raw = item.raw_item
            name = getattr(raw, "name", None) or getattr(raw, "type", type(raw).__name__)
            arguments = getattr(raw, "arguments", None)
            if isinstance(arguments, str):
                try:
                    arguments = json.loads(arguments)
                except ValueError:
                    pass
            key = getattr(raw, "call_id", None) or getattr(raw, "id", None) or str(len(calls))
            calls[str(key)] = [name, arguments, None]
        elif isinstance(item, ToolCallOutputItem | HandoffOutputItem):
            raw_output: Any = item.raw_item
            key = raw_output.get("call_id") if isinstance(raw_output, dict) else None
            if key is not None and str(key) in calls:
                output = item.output if isinstance(item, ToolCallOutputItem) else None
                if isinstance(item, HandoffOutputItem) and isinstance(raw_output, dict):
                    output = raw_output.get("output")
                calls[str(key)][2] = output
    turn.tool_calls.extend(
        ToolCall(name, args, output, errors.get(key)) for key, (name, args, output) in calls.items()
    )
    # A call that failed the run is not among the run's items; the trace saw it.
    for step in trace.steps:
        if step["kind"] == "tool" and step.get("error") and step["call_id"] not in calls:
            try:
                arguments = json.loads(step["arguments"])
            except ValueError:
                arguments = step["arguments"]
            turn.tool_calls.append(ToolCall(step["name"], arguments, None, step["error"]))
    usage = result.context_wrapper.usage
    if usage.input_tokens or usage.output_tokens:
        turn.usage = {
            "requests": usage.requests,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
        }


def _model_name(agent: Agent[Any]) -> str | None:
    model = agent.model
    if model is None or isinstance(model, str):
        return model
    return str(getattr(model, "model", type(model).__name__))


@functools.cache
def _request_adapter() -> TypeAdapter[ChatKitReq]:
    return TypeAdapter(ChatKitReq)


def _with_notebook_context(instructions: Any) -> Any:
    """The agent's own instructions followed by ``NOTEBOOK_CONTEXT`` (for a function too)."""
    if instructions is None:
        return NOTEBOOK_CONTEXT
    if isinstance(instructions, str):
        if NOTEBOOK_CONTEXT in instructions:
            return instructions
        return f"{instructions.rstrip()}\n\n{NOTEBOOK_CONTEXT}"

    async def combined(ctx: Any, agent: Agent[Any]) -> str:
        own = instructions(ctx, agent)
        if inspect.isawaitable(own):
            own = await own
        return _with_notebook_context(own or None)  # type: ignore[no-any-return]

    return combined


def _scrub_args(error: BaseException) -> None:
    """Scrub the message of ``error`` in place: it is kept in ``events``, which a notebook
    displays, and a server may quote the key it refused. Only its repr and str change; it
    has been handled (the chat gets a message of its own)."""
    try:
        error.args = tuple(scrub(a) if isinstance(a, str) else a for a in error.args)
    except Exception:  # an exception class whose args cannot be set
        return


def _has_text(item: AssistantMessageItem) -> bool:
    return any(part.text.strip() for part in item.content)


def _user_facing(error: Exception, *, mid_reply: bool = False) -> Exception:
    """An error whose message is safe and useful to show in the chat (ChatKit shows only a
    generic message for exceptions other than ``CustomStreamError``).

    Known errors say what to fix, others their class and message. Messages are scrubbed, since
    an authentication error may echo part of a key. ``mid_reply``: some of the answer had come.
    """
    if isinstance(error, CustomStreamError):
        return error
    if isinstance(error, openai.AuthenticationError):
        return CustomStreamError(
            "The model server rejected the API key (401). Check OPENAI_API_KEY.",
            allow_retry=True,
        )
    if isinstance(error, openai.APITimeoutError):
        if mid_reply:
            return CustomStreamError(
                "The model server stopped answering in the middle of the reply; what came "
                "before is kept. Send your message again to retry.",
                allow_retry=True,
            )
        return CustomStreamError(
            "The model server did not answer in time (it may still be loading the model). "
            "Send your message again to retry.",
            allow_retry=True,
        )
    if isinstance(error, openai.APIConnectionError):
        if mid_reply:
            return CustomStreamError(
                "The model server closed the connection in the middle of the reply; what came "
                "before is kept. Send your message again to retry.",
                allow_retry=True,
            )
        return CustomStreamError(
            f"Could not connect to the model server{_at(error)}. Is it running, and is "
            "OPENAI_BASE_URL right?",
            allow_retry=True,
        )
    if isinstance(error, openai.APIStatusError):
        hint = ""
        if error.status_code == 404 and "/v1/" not in error.request.url.path:
            # Ollama, vLLM and LM Studio serve the OpenAI API under /v1, not at their root.
            hint = " (OPENAI_BASE_URL usually ends in /v1, as in http://127.0.0.1:11434/v1)"
        return CustomStreamError(
            f"The model server answered {error.status_code}: {_short(error.message)}{hint}",
            allow_retry=True,
        )
    if isinstance(error, json.JSONDecodeError):
        # The openai client decodes each streamed event; this one was something else.
        return CustomStreamError(
            f"The model server sent an event that is not valid JSON ({_short(error.doc)[:80]}): "
            "is OPENAI_BASE_URL an OpenAI-compatible API?",
            allow_retry=True,
        )
    if isinstance(error, openai.OpenAIError):
        # E.g. no key for the agent's own OpenAI model: the client says which setting is missing.
        return CustomStreamError(
            f"The model request failed: {_short(str(error))}", allow_retry=True
        )
    if isinstance(error, AgentsException):
        return CustomStreamError(
            f"The agent stopped: {type(error).__name__}: {_short(str(error))}", allow_retry=True
        )
    # Anything else (a bug in a tool or a model class): its class and message say most.
    text = _short(str(error))
    return CustomStreamError(
        f"{type(error).__name__}: {text}" if text else type(error).__name__, allow_retry=True
    )


def _at(error: openai.APIConnectionError) -> str:
    """`` at https://host:port`` of the request: which server was tried (no path, query or
    credentials, where a key may be)."""
    try:
        url = error.request.url
    except Exception:
        return ""
    port = f":{url.port}" if url.port is not None else ""
    return f" at {url.scheme}://{url.host}{port}" if url.host else ""


def _short(message: str) -> str:
    return scrub(" ".join(message.split()))[:300]


def _default_attachment_store(store: Store[Any]) -> AttachmentStore[Any] | None:
    """Files beside the database (``.chatkit/attachments``), or a temporary folder for an
    in-memory database; ``None`` for stores that are not ours (they bring their own)."""
    from chatkit_jupyter.store import FileAttachmentStore, SQLiteStore

    if not isinstance(store, SQLiteStore):
        return None
    if store.in_memory:
        import tempfile

        directory = tempfile.mkdtemp(prefix="chatkit-attachments-")
    else:
        directory = str(
            pathlib.Path(store.path.removeprefix("file:").split("?")[0]).absolute().parent
            / "attachments"
        )
    return FileAttachmentStore(directory, store=store)
