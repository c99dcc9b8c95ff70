"""Which model answers: from the ``model=`` argument, the environment, or the offline assistant.

Resolution order:

1. ``model=``: an ``agents.Model`` is used as is; a model name goes to the OpenAI-compatible
   server at ``OPENAI_BASE_URL`` if that is set, else to OpenAI if ``OPENAI_API_KEY`` is set.
2. ``OPENAI_BASE_URL`` with ``OPENAI_MODEL``: an OpenAI-compatible server (Ollama, vLLM,
   LM Studio ...) through the Chat Completions API, with ``OPENAI_API_KEY`` or a placeholder key.
   With a key but no ``OPENAI_MODEL``, the base URL is taken for a gateway in front of OpenAI
   and the default model name is used.
3. ``OPENAI_API_KEY``: OpenAI, with ``CHATKIT_JUPYTER_MODEL`` or ``DEFAULT_OPENAI_MODEL``.
4. Otherwise the offline assistant, which says how to configure one of the above. It answers
   too when ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` cannot work (a line break in the key, a
   URL without ``http://``), and says what is wrong.

``OPENAI_BASE_URL`` is checked before ``OPENAI_API_KEY`` although the key is the commoner setup:
the OpenAI client reads ``OPENAI_BASE_URL`` by itself, so with both set an OpenAI model name
would be sent to the other server anyway.

Reading ``OPENAI_*`` here is configuration; the values never leave the kernel (a description
shows the base URL without any credentials in it, and never a key).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from agents import Model, ModelProvider, MultiProvider, OpenAIChatCompletionsModel
from openai import AsyncOpenAI

from chatkit_jupyter.notebook._redact import scrub

from ._offline import OfflineModel

DEFAULT_OPENAI_MODEL: Final = "gpt-4.1-mini"
"""The OpenAI model used when ``OPENAI_API_KEY`` is set and nothing else names one."""
MODEL_ENV: Final = "CHATKIT_JUPYTER_MODEL"
"""Environment variable naming the OpenAI model to use instead of ``DEFAULT_OPENAI_MODEL``."""
NO_KEY_PLACEHOLDER: Final = "not-needed"
"""API key sent to OpenAI-compatible servers when ``OPENAI_API_KEY`` is unset; most ignore it."""


@dataclass(frozen=True)
class ResolvedModel:
    """The outcome of ``resolve_model``."""

    model: str | Model
    """What to give ``Agent(model=...)``: a name for the default OpenAI provider, or a Model."""
    description: str
    """For people: ``"gpt-4.1-mini via OpenAI"``, ``"llama3 at http://127.0.0.1:11434/v1"``."""
    tracing: bool
    """Whether openai-agents may export traces: only to OpenAI, with a key, for OpenAI models."""

    @property
    def offline(self) -> bool:
        """Whether this is the offline assistant."""
        return isinstance(self.model, OfflineModel)


def redact_url(url: str) -> str:
    """``url`` without a ``user:password@`` part, and with a key in its query (``?api_key=``)
    masked, for display."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if parts.username is None and parts.password is None:
        return scrub(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return scrub(urlunsplit(parts._replace(netloc=host)))


def _compatible(
    name: str, base_url: str, api_key: str | None, cache: dict[tuple[str, ...], Model] | None
) -> Model:
    key = (name, base_url, api_key or "")
    if cache is not None and key in cache:
        return cache[key]
    client = AsyncOpenAI(base_url=base_url, api_key=api_key or NO_KEY_PLACEHOLDER)
    model = OpenAIChatCompletionsModel(model=name, openai_client=client)
    if cache is not None:
        cache[key] = model
    return model


def resolve_model(
    model: str | Model | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cache: dict[tuple[str, ...], Model] | None = None,
) -> ResolvedModel:
    """Decide which model answers (see the module docstring for the order).

    Args:
        model: A model name or an ``agents.Model``; ``None`` to look at the environment.
        environ: Where to read ``OPENAI_*`` from; ``os.environ`` by default.
        cache: Reuses clients across calls with the same settings (one HTTP pool per server).

    Returns:
        The model, a description for display, and whether tracing may be on.
    """
    env = os.environ if environ is None else environ
    api_key = env.get("OPENAI_API_KEY") or None
    base_url = env.get("OPENAI_BASE_URL") or None

    if isinstance(model, Model):
        if isinstance(model, OfflineModel):
            return ResolvedModel(model, model.description, tracing=False)
        name = getattr(model, "model", None)
        label = name if isinstance(name, str) else type(model).__name__
        return ResolvedModel(model, f"{label} (custom model)", tracing=tracing_allowed(env))

    problem = _setting_problem(api_key, base_url)
    if problem is not None:
        return _offline(problem)
    if base_url is not None:
        base_url = base_url.strip()

    if model is not None:
        if base_url is not None:
            return ResolvedModel(
                _compatible(model, base_url, api_key, cache),
                f"{model} at {redact_url(base_url)}",
                tracing=False,
            )
        if api_key is not None:
            return ResolvedModel(model, f"{model} via OpenAI", tracing=True)
        return _offline(
            f"You asked for the model {model!r}, but OPENAI_API_KEY is not set "
            "(nor OPENAI_BASE_URL for an OpenAI-compatible server)."
        )

    if base_url is not None:
        # With a key, OPENAI_BASE_URL may be a gateway in front of OpenAI: OpenAI names work.
        name = env.get("OPENAI_MODEL") or (
            (env.get(MODEL_ENV) or DEFAULT_OPENAI_MODEL) if api_key else None
        )
        if name:
            return ResolvedModel(
                _compatible(name, base_url, api_key, cache),
                f"{name} at {redact_url(base_url)}",
                tracing=False,
            )
        return _offline("OPENAI_BASE_URL is set, but OPENAI_MODEL (the model to ask for) is not.")

    if api_key is not None:
        name = env.get(MODEL_ENV) or DEFAULT_OPENAI_MODEL
        return ResolvedModel(name, f"{name} via OpenAI", tracing=True)

    return _offline(None)


class NotebookModels(ModelProvider):
    """The SDK's model provider, except that an agent without a model gets ``default`` (the
    model the notebook configured).

    ``NotebookServer`` gives its agents and those they hand off to that model itself; an agent
    used as a tool (``agent.as_tool()``) runs in a run of its own, which only shares the
    ``RunConfig``: without this it asked OpenAI's default model, with no key or with
    ``OPENAI_BASE_URL`` pointing at a server that does not have it.

    Args:
        default: A model name or an ``agents.Model`` (``ResolvedModel.model``).
    """

    def __init__(self, default: str | Model) -> None:
        self.default = default
        self._provider = MultiProvider()

    def get_model(self, model_name: str | None) -> Model:
        """``default`` for no name, else what the SDK's default provider gives."""
        if model_name is None:
            if isinstance(self.default, Model):
                return self.default
            model_name = self.default
        return self._provider.get_model(model_name)


def tracing_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """Whether openai-agents may export traces: only with an OpenAI key and no other server.

    Without a key the exporter has nowhere to send them; with ``OPENAI_BASE_URL`` the user chose
    another server, so their conversations should not travel to OpenAI as traces either.
    """
    env = os.environ if environ is None else environ
    return bool(env.get("OPENAI_API_KEY")) and not env.get("OPENAI_BASE_URL")


def _setting_problem(api_key: str | None, base_url: str | None) -> str | None:
    """What is wrong with ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL``, if anything.

    Either fails only at the first request, as "could not connect" (httpx refuses a header
    with a line break; a URL without a scheme never reaches a socket), and the key must not
    be shown to say so.
    """
    if api_key is not None:
        if api_key != api_key.strip():
            return (
                "OPENAI_API_KEY starts or ends with a space or a line break (copied with it?): "
                "set it again without them."
            )
        if not api_key.isascii() or not api_key.isprintable():
            return (
                "OPENAI_API_KEY has characters an HTTP header cannot carry (not plain ASCII): "
                "check that it was copied whole and nothing else with it."
            )
    if base_url is not None:
        scheme = base_url.strip().partition("://")[0].lower()
        if scheme not in ("http", "https"):
            return (
                f"OPENAI_BASE_URL ({redact_url(base_url.strip())!r}) must start with http:// or "
                "https://, as in http://127.0.0.1:11434/v1 for Ollama."
            )
    return None


def _offline(reason: str | None) -> ResolvedModel:
    model = OfflineModel(reason=reason)
    return ResolvedModel(model, model.description, tracing=False)
