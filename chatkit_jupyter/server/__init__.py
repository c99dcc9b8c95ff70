"""The agent behind the chat: ``NotebookServer``, which model answers, the offline assistant.

Everything here needs openai-agents; ``chatkit_jupyter`` imports this package only on first use.
"""

from ._model import DEFAULT_OPENAI_MODEL, MODEL_ENV, ResolvedModel, resolve_model
from ._offline import OfflineModel
from ._server import (
    DEFAULT_INSTRUCTIONS,
    NOTEBOOK_CONTEXT,
    NotebookServer,
    NotebookThreadItemConverter,
)

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "DEFAULT_OPENAI_MODEL",
    "MODEL_ENV",
    "NOTEBOOK_CONTEXT",
    "NotebookServer",
    "NotebookThreadItemConverter",
    "OfflineModel",
    "ResolvedModel",
    "resolve_model",
]
