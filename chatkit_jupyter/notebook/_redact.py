"""What counts as a secret, and how it is hidden; shared by everything that shows text.

The notebook tools use it for variables, the bridge for error messages and the server for
the model's view of tracebacks. What is never shown: the value of a variable whose name looks
like a secret (its type is shown, nothing else, not even its length or shape), a value that
looks like a secret whatever its name, and environment variables (``os.environ`` is never read;
an ``os.environ`` object is shown as redacted).
"""

from __future__ import annotations

import os
import re
from typing import Final

REDACTED: Final = "<redacted>"
"""Stands in for a value that is never shown."""

_EXACT_SECRET_WORDS: Final = frozenset(
    {
        "key",
        "keys",
        "token",
        "tokens",
        "pwd",
        "passphrase",
        "cookie",
        "cookies",
        "bearer",
        "jwt",
        "dsn",
    }
)
_SECRET_WORD_ENDINGS: Final = ("key", "keys", "token", "tokens", "secret", "secrets")
_SECRET_WORD_PARTS: Final = ("secret", "passw", "credential", "cred", "auth")
# Words that contain a secret-looking part but name ordinary data (a books dataset has authors).
_NOT_SECRET_WORDS: Final = frozenset({"author", "authors", "authored", "authorship"})

_SECRET_VALUE_RE: Final = re.compile(
    r"""
      \bsk-[A-Za-z0-9_\-]{8,}                              # OpenAI, Anthropic ...
    | \b[sr]k_(?:live|test)_[A-Za-z0-9]{8,}                # Stripe
    | \bgh[pousr]_[A-Za-z0-9]{20,}                         # GitHub
    | \bgithub_pat_[A-Za-z0-9_]{20,}
    | \bglpat-[A-Za-z0-9_\-]{20,}                          # GitLab
    | \bxox[abprs]-[A-Za-z0-9\-]{10,}                      # Slack
    | \b(?:AKIA|ASIA)[A-Z0-9]{16}\b                        # AWS access key ids
    | \bAIza[A-Za-z0-9_\-]{35}                             # Google API keys
    | \bhf_[A-Za-z0-9]{20,}                                # Hugging Face
    | \beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*   # JWTs
    | -----BEGIN[A-Z ]*PRIVATE\ KEY-----
    | \bBearer\s+[A-Za-z0-9._~+/\-]{16,}
    | \bBasic\s+[A-Za-z0-9+/=]{8,}                        # HTTP Basic credentials
    | \b[a-z][a-z0-9+.\-]*://[^/\s:@]+:[^@\s/]+@          # user:password@ in a URL
    """,
    re.VERBOSE,
)
# A whole value that starts like a key is a secret even when too short for the pattern above.
_SECRET_VALUE_PREFIXES: Final = ("sk-", "sk_live_", "sk_test_", "rk_live_", "ghp_", "github_pat_")


def _name_words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", spaced)
    return [w for w in re.split(r"[^a-z]+", spaced.lower()) if w]


def looks_like_secret_name(name: str) -> bool:
    """Whether a variable (or dict key, or column) name suggests its value is a secret.

    Errs on the side of hiding: ``monkey`` is hidden too, and only its value is lost.
    """
    for word in _name_words(name):
        if word in _NOT_SECRET_WORDS:
            continue
        if (
            word in _EXACT_SECRET_WORDS
            or word.endswith(_SECRET_WORD_ENDINGS)
            or any(part in word for part in _SECRET_WORD_PARTS)
        ):
            return True
    return False


def looks_like_secret_value(value: object) -> bool:
    """Whether a string (or bytes) value looks like an API key, token or private key."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value[:4096]).decode("utf-8", "replace")
    if not isinstance(value, str):
        return False
    stripped = value.strip()
    return stripped.startswith(_SECRET_VALUE_PREFIXES) or bool(_SECRET_VALUE_RE.search(value))


# ``api_key='...'``, ``"token": "..."``, ``password=hunter2``: how objects print their fields.
_ASSIGNMENT_RE: Final = re.compile(
    # The lookbehind starts a key only at a word's start: without it a long run of letters is
    # tried from every position (quadratic time on a big repr).
    r"""(?<![A-Za-z0-9_\-])(?P<key>['"]?[A-Za-z_][A-Za-z0-9_\-]*['"]?)(?P<sep>\s*[:=]\s*)"""
    r"""(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s,;)}\]]+)"""
)


def _mask_assignment(match: re.Match[str]) -> str:
    if looks_like_secret_name(match["key"].strip("'\"")):
        return match["key"] + match["sep"] + REDACTED
    return match[0]


def scrub(text: str) -> str:
    """Mask what looks like a secret in ``text``: key-like values, and fields with secret names.

    This is for the repr of arbitrary objects, such as ``Config(api_key='...')``.
    """
    return _ASSIGNMENT_RE.sub(_mask_assignment, _SECRET_VALUE_RE.sub(REDACTED, text))


def _cut(text: str, limit: int) -> str:
    """Shorten like reprlib does: keep the start and the end."""
    if len(text) <= limit:
        return text
    head = max(0, (limit - 3) // 2)
    tail = max(0, limit - 3 - head)
    return text[:head] + "..." + (text[len(text) - tail :] if tail else "")


def scrub_cut(text: str, limit: int) -> str:
    """Scrub, then shorten; for a huge text only the kept ends (with some context) are scrubbed,
    so a multi-megabyte repr costs no more than a short one."""
    margin = 512  # context so a field name or key prefix just outside a kept end is still seen
    if len(text) <= 2 * (limit + margin):
        return _cut(scrub(text), limit)
    head = max(0, (limit - 3) // 2)
    tail = max(0, limit - 3 - head)
    start = scrub(text[: head + margin])[:head]
    end = scrub(text[len(text) - tail - margin :]) if tail else ""
    return start + "..." + (end[len(end) - tail :] if tail else "")


def is_environ(value: object) -> bool:
    # An isinstance check reads nothing from the environment.
    return isinstance(value, os._Environ)


def redaction_reason(name: str, value: object) -> str | None:
    if is_environ(value):
        return "environment variables are never shown"
    if looks_like_secret_name(name):
        return "the name looks like a secret"
    if looks_like_secret_value(value):
        return "the value looks like a secret"
    return None
