"""The offline assistant: a real ``agents.Model`` that answers when no model is configured.

It runs through the same ``Agent`` -> ``Runner`` -> ``stream_agent_response`` path as a real
model, so a chat works out of the box, and what it says is how to configure a model. It also
serves a few commands by calling the notebook tools like a model would: it emits a function
call, the Runner executes the tool (which shows a widget), and once the tool output comes back
it writes a short reply.

- ``/vars``: ``show_variables`` -> a ListView of the notebook's variables.
- ``/inspect NAME``: ``show_variable`` -> a Card for one variable.
- ``/run CODE``: ``run_code`` (with ``allow_run``) -> the code with Run and Cancel; after the
  click, the outcome NotebookServer adds to the thread is repeated.
- ``/help``: what it can do and how to configure a model.
- a message that tags variables (``@sales``): ``show_variable`` for each -> a Card per variable.
"""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from agents import Model, ModelResponse, ModelSettings, ModelTracing, Tool, Usage
from agents.agent_output import AgentOutputSchemaBase
from agents.handoffs import Handoff
from agents.items import TResponseInputItem, TResponseOutputItem, TResponseStreamEvent
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseFunctionToolCall,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from openai.types.responses.response_prompt_param import ResponsePromptParam

from chatkit_jupyter.notebook._mentions import TAG_LINE_RE
from chatkit_jupyter.notebook._redact import scrub

OFFLINE_DESCRIPTION: Final = "offline assistant (no model configured)"

HOW_TO_CONFIGURE: Final = (
    "To chat with a model, do one of these and send your message again:\n\n"
    "- set `OPENAI_API_KEY` to use OpenAI (for example "
    '`os.environ["OPENAI_API_KEY"] = ...` in a cell, or in the environment Jupyter starts in);\n'
    "- set `OPENAI_BASE_URL` and `OPENAI_MODEL` for an OpenAI-compatible server such as Ollama, "
    "vLLM or LM Studio (for example `http://127.0.0.1:11434/v1` and `llama3.2`);\n"
    "- pass `model=` to `NotebookServer`, or use `%chatkit --model NAME`."
)

COMMANDS: Final = (
    "- `/vars`: list the variables in your notebook\n"
    "- `/inspect NAME`: look at one variable\n"
    "- `@NAME` in a message (type @ and pick a variable): look at the variables you tag\n"
    "- `/run CODE`: propose code to run in the notebook (with `%chatkit --allow-run`; it runs "
    "only when you click Run)\n"
    "- `/help`: show this help"
)

SHOW_VARIABLES: Final = "show_variables"
SHOW_VARIABLE: Final = "show_variable"
RUN_CODE: Final = "run_code"

# How the notes NotebookServer adds after a click on a run_code proposal begin
# (workbench/_run_code.py); the offline assistant repeats them instead of reading a command.
_RUN_NOTES: Final = ("The user clicked Run", "The user declined")


@dataclass(frozen=True)
class _Text:
    text: str


@dataclass(frozen=True)
class _Call:
    name: str
    arguments: dict[str, Any]


_Step = _Text | _Call | tuple[_Call, ...]


class OfflineModel(Model):
    """Answers without a language model: explains how to configure one and runs commands.

    Args:
        reason: Why no model is configured (e.g. a model was named but no key is set); said first
            in every reply that is not a command result.
    """

    def __init__(self, reason: str | None = None) -> None:
        self.reason = reason
        """Why the offline assistant is answering, if more specific than "nothing configured"."""

    @property
    def description(self) -> str:
        """A short description for display."""
        return OFFLINE_DESCRIPTION

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> ModelResponse:
        """Answer in one piece (see the module docstring for what it says)."""
        output = _output_items(self._next_step(input, tools))
        return ModelResponse(output=output, usage=Usage(requests=1), response_id=None)

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        """Answer as a Responses API event stream, text word by word."""
        output = _output_items(self._next_step(input, tools))
        for event in stream_events(*output):
            yield event

    def _next_step(self, input: str | list[TResponseInputItem], tools: Sequence[Tool]) -> _Step:
        items: list[Any] = (
            [{"role": "user", "content": input}] if isinstance(input, str) else list(input)
        )
        if items and _item_type(items[-1]) == "function_call_output":
            return _Text(_after_tool(items))

        tool_names = {getattr(tool, "name", None) for tool in tools}
        texts = [t.strip() for t in _current_user_texts(items)]
        note = _run_note(texts[-1]) if texts else None
        if note is not None:
            return _Text(f"Here is what happened:\n\n{note}")
        command = next((t for t in texts if t.startswith("/")), None)
        if command is None:
            tagged = list(dict.fromkeys(n for t in texts for n in TAG_LINE_RE.findall(t)))
            if tagged and SHOW_VARIABLE in tool_names:
                return tuple(_Call(SHOW_VARIABLE, {"name": name}) for name in tagged)
            return _Text(self._not_configured())
        verb, _, rest = command.partition(" ")
        verb = verb.lower()
        if verb == "/help":
            return _Text(self._help())
        if verb == "/vars":
            if SHOW_VARIABLES not in tool_names:
                return _Text("The notebook tools are not available to this agent.")
            return _Call(SHOW_VARIABLES, {})
        if verb == "/inspect":
            name = rest.strip()
            if not name:
                return _Text("Which variable? Try `/inspect df` (`/vars` lists them).")
            if SHOW_VARIABLE not in tool_names:
                return _Text("The notebook tools are not available to this agent.")
            return _Call(SHOW_VARIABLE, {"name": name})
        if verb == "/run":
            code = _unfenced(rest)
            if not code:
                return _Text("What should I run? Try `/run 6 * 7`.")
            if RUN_CODE not in tool_names:
                return _Text(
                    "Running code is off for this chat. Start it with `%chatkit --allow-run` "
                    "(or `NotebookServer(allow_run=True)`); every run then waits for your click "
                    "on Run."
                )
            return _Call(RUN_CODE, {"code": code})
        return _Text(f"I don't know the command `{verb}`. I know these:\n\n{COMMANDS}")

    def _not_configured(self) -> str:
        why = self.reason or "No language model is configured for this chat."
        return (
            f"{why} I'm the offline assistant, so I can't answer questions yet.\n\n"
            f"{HOW_TO_CONFIGURE}\n\nMeanwhile I can run these commands:\n\n{COMMANDS}"
        )

    def _help(self) -> str:
        why = self.reason or "No language model is configured, so I only know a few commands:"
        return f"{why}\n\n{COMMANDS}\n\n{HOW_TO_CONFIGURE}"


def _item_type(item: Any) -> str | None:
    if isinstance(item, dict):
        kind = item.get("type")
        if kind is None and "role" in item:
            return "message"
        return kind if isinstance(kind, str) else None
    return getattr(item, "type", None)


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _message_text(item: Any) -> str:
    content = _field(item, "content")
    if isinstance(content, str):
        return content
    parts = []
    for part in content or []:
        text = _field(part, "text")
        if isinstance(text, str):
            parts.append(text)
    return "".join(parts)


def _run_note(text: str) -> str | None:
    """The note a click on a run_code proposal added, if ``text`` is one (ChatKit wraps hidden
    context in ``<HiddenContext>`` tags for the model)."""
    match = re.search(r"<HiddenContext>\s*(.*?)\s*</HiddenContext>", text, re.S)
    content = match.group(1) if match else text.strip()
    return content if content.startswith(_RUN_NOTES) else None


def _unfenced(text: str) -> str:
    """``text`` without the Markdown code fence around it, if it has one."""
    lines = text.strip().splitlines()
    if len(lines) >= 2 and lines[0].startswith("```") and lines[-1].strip() == "```":
        lines = lines[1:-1]
    return "\n".join(lines).strip()


def _current_user_texts(items: Sequence[Any]) -> list[str]:
    """Texts of the user-role messages at the end of the input: this turn's message and the
    context ChatKit sends along with it (quoted text, hidden context)."""
    texts: list[str] = []
    for item in reversed(items):
        if _item_type(item) != "message" or _field(item, "role") != "user":
            break
        texts.append(_message_text(item))
    return texts[::-1]


def _after_tool(items: Sequence[Any]) -> str:
    """The reply once the tools have run (one or more calls), from what they returned."""
    outputs = []
    for item in reversed(items):
        if _item_type(item) != "function_call_output":
            break
        outputs.append(item)
    return " ".join(_after_one_tool(items, output) for output in reversed(outputs))


def _after_one_tool(items: Sequence[Any], output_item: Any) -> str:
    call_id = _field(output_item, "call_id")
    call = next(
        (
            i
            for i in reversed(items)
            if _item_type(i) == "function_call" and _field(i, "call_id") == call_id
        ),
        None,
    )
    name = _field(call, "name") if call is not None else None
    raw = _field(output_item, "output")
    try:
        result = json.loads(raw) if isinstance(raw, str) else None
    except json.JSONDecodeError:
        result = None
    if not isinstance(result, dict):
        # Not the JSON the notebook tools answer with: a failure openai-agents reported in its
        # own words. Say so; reading it as "no variables" would be a lie.
        said = scrub(raw.strip()) if isinstance(raw, str) and raw.strip() else "no output"
        return f"The `{name or 'tool'}` tool failed: {said}"
    if "error" in result:
        return str(result["error"])
    if name == SHOW_VARIABLES:
        count = result.get("count", 0)
        if not count:
            return (
                "Your notebook has no variables yet. Define some in a cell and try `/vars` again."
            )
        if count == 1:
            return (
                "That is the one variable in your notebook. "
                "Use `/inspect NAME` to look at it more closely."
            )
        return (
            f"Those are the {count} variables in your notebook. "
            "Use `/inspect NAME` to look at one more closely."
        )
    if name == SHOW_VARIABLE:
        if result.get("redacted"):
            return f"`{result.get('name')}` looks like a secret, so its value stays hidden."
        return f"That's `{result.get('name')}`, a `{result.get('type')}`."
    return "Done."


def _output_items(step: _Step) -> list[TResponseOutputItem]:
    calls = step if isinstance(step, tuple) else (step,)
    return [_output_item(one) for one in calls]


def _output_item(step: _Call | _Text) -> TResponseOutputItem:
    if isinstance(step, _Call):
        return ResponseFunctionToolCall(
            id=f"fc_{uuid.uuid4().hex}",
            call_id=f"call_{uuid.uuid4().hex}",
            type="function_call",
            name=step.name,
            arguments=json.dumps(step.arguments),
            status="completed",
        )
    return ResponseOutputMessage(
        # Unique per message: ChatKit uses it as the assistant message's thread item id.
        id=f"msg_{uuid.uuid4().hex}",
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text=step.text, annotations=[])],
    )


def _chunks(text: str, words: int = 4) -> Iterable[str]:
    # A few words at a time, so the reply streams like a model's would.
    pieces = re.findall(r"\s*\S+\s*", text) or [text]
    return ["".join(pieces[i : i + words]) for i in range(0, len(pieces), words)]


def stream_events(*outputs: TResponseOutputItem) -> list[TResponseStreamEvent]:
    """The Responses API stream events that deliver ``outputs`` (messages and function calls).

    The same sequence the OpenAI Responses API sends: ``response.created``, then per item
    ``output_item.added``, its deltas and ``done`` events, ``output_item.done``, and finally
    ``response.completed`` carrying the whole response.
    """
    response_id = f"resp_{uuid.uuid4().hex}"
    seq = itertools.count()

    def response(status: str, output: list[TResponseOutputItem]) -> Response:
        return Response(
            id=response_id,
            created_at=time.time(),
            model="offline",
            object="response",
            output=output,
            tool_choice="auto",
            tools=[],
            top_p=None,
            parallel_tool_calls=False,
            status=cast(Any, status),
        )

    events: list[Any] = [
        ResponseCreatedEvent(
            type="response.created", response=response("in_progress", []), sequence_number=next(seq)
        ),
        ResponseInProgressEvent(
            type="response.in_progress",
            response=response("in_progress", []),
            sequence_number=next(seq),
        ),
    ]
    for index, item in enumerate(outputs):
        if isinstance(item, ResponseOutputMessage):
            events += _message_events(item, index, seq)
        elif isinstance(item, ResponseFunctionToolCall):
            events += _call_events(item, index, seq)
        else:
            raise TypeError(f"Cannot stream a {type(item).__name__}.")
        events.append(
            ResponseOutputItemDoneEvent(
                type="response.output_item.done",
                item=item,
                output_index=index,
                sequence_number=next(seq),
            )
        )
    events.append(
        ResponseCompletedEvent(
            type="response.completed",
            response=response("completed", list(outputs)),
            sequence_number=next(seq),
        )
    )
    return cast(list[TResponseStreamEvent], events)


def _message_events(item: ResponseOutputMessage, index: int, numbers: Iterator[int]) -> list[Any]:
    events: list[Any] = [
        ResponseOutputItemAddedEvent(
            type="response.output_item.added",
            item=item.model_copy(update={"content": [], "status": "in_progress"}),
            output_index=index,
            sequence_number=next(numbers),
        )
    ]
    for content_index, part in enumerate(item.content):
        if not isinstance(part, ResponseOutputText):
            continue
        common: dict[str, Any] = {
            "item_id": item.id,
            "output_index": index,
            "content_index": content_index,
        }
        events.append(
            ResponseContentPartAddedEvent(
                type="response.content_part.added",
                part=part.model_copy(update={"text": ""}),
                sequence_number=next(numbers),
                **common,
            )
        )
        events += [
            ResponseTextDeltaEvent(
                type="response.output_text.delta",
                delta=chunk,
                logprobs=[],
                sequence_number=next(numbers),
                **common,
            )
            for chunk in _chunks(part.text)
        ]
        events += [
            ResponseTextDoneEvent(
                type="response.output_text.done",
                text=part.text,
                logprobs=[],
                sequence_number=next(numbers),
                **common,
            ),
            ResponseContentPartDoneEvent(
                type="response.content_part.done",
                part=part,
                sequence_number=next(numbers),
                **common,
            ),
        ]
    return events


def _call_events(item: ResponseFunctionToolCall, index: int, numbers: Iterator[int]) -> list[Any]:
    item_id = item.id or item.call_id
    return [
        ResponseOutputItemAddedEvent(
            type="response.output_item.added",
            item=item.model_copy(update={"arguments": "", "status": "in_progress"}),
            output_index=index,
            sequence_number=next(numbers),
        ),
        ResponseFunctionCallArgumentsDeltaEvent(
            type="response.function_call_arguments.delta",
            item_id=item_id,
            output_index=index,
            delta=item.arguments,
            sequence_number=next(numbers),
        ),
        ResponseFunctionCallArgumentsDoneEvent(
            type="response.function_call_arguments.done",
            item_id=item_id,
            output_index=index,
            arguments=item.arguments,
            sequence_number=next(numbers),
        ),
    ]
