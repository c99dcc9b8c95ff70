"""What counts as a secret, and how it is hidden; shared by everything that shows text.

The notebook tools use it for variables, the bridge for error messages and the server for
the model's view of tracebacks. What is never shown: the value of a variable whose name looks
like a secret (its type is shown, nothing else, not even its length or shape), a value that
looks like a secret whatever its name, a value the notebook got from ``getpass.getpass()`` or
holds in an environment variable with a secret-looking name (masked by value, under any name;
during a tool call, the values of the notebook's own secret-named variables too: ``hiding``),
and environment variables themselves (an ``os.environ`` object is shown as redacted; the
environment is read only to learn which values to hide, never to show them).

Texts are the reprs of arbitrary objects, so a key may follow an escape sequence (the two
characters ``\\n`` in ``'note:\\nsk-...'``), where a regex word boundary does not see a word
start. Patterns are therefore matched without ``\\b`` and each match's left edge is checked by
``_starts_token``, which also accepts a position right after an escape sequence.

Ported from Yelp's detect-secrets 1.5 (plugins/*.py), as patterns only, no dependency:
the private-key markers (private_key.py: DSA, EC, OPENSSH, PGP ... BLOCK, plain, RSA, SSH2
ENCRYPTED, PuTTY), AWS id prefixes (aws.py: A3T., ABIA, ACCA, AKIA, ASIA) and its rule that a
40-character secret key goes with such an id, SendGrid, npm, PyPI, GitLab's newer prefixes,
Slack webhooks, Square, Azure storage ``AccountKey=`` and the password words of keyword.py
(``db_pass``, ``key_pass``, ``contraseña``). Not taken: the high-entropy string plugins (they
flag hashes and UUIDs, which must stay visible); patterns that start with a run of letters or
digits of any kind, such as Mailchimp's, Telegram's and Discord's (each would be tried at every
word of every text for keys a notebook rarely holds); Twilio's ``AC``/``SK`` + 32 characters
(too close to ordinary identifiers). Added here: the prefixed keys of model providers and AI tools
a notebook often holds (Groq, xAI, Perplexity, Replicate, LangSmith, Pinecone, Tavily, Google
OAuth).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import itertools
import json
import logging
import os
import re
import traceback
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, Final

REDACTED: Final = "<redacted>"
"""Stands in for a value that is never shown."""

# -- names ------------------------------------------------------------------------------------

_EXACT_SECRET_WORDS: Final = frozenset(
    {
        "key",
        "keys",
        "token",
        "tokens",
        "pwd",
        "pw",
        "pswd",
        "pword",
        "passcode",
        "passe",  # mot_de_passe
        "psw",
        "pwrd",
        "kennwort",
        "passphrase",
        "cookie",
        "cookies",
        "bearer",
        "jwt",
        "dsn",
    }
)
_SECRET_WORD_ENDINGS: Final = ("key", "keys", "token", "tokens", "secret", "secrets", "pw", "pwd")
_SECRET_WORD_PARTS: Final = ("secret", "passw", "credential", "cred", "auth", "contrase")
# Words that contain a secret-looking part but name ordinary data (a books dataset has authors).
_NOT_SECRET_WORDS: Final = frozenset({"author", "authors", "authored", "authorship"})
# "pass" names a password at the end of a name (db_pass, MY_SERVICE_PASS, smtpPass) or before
# "word"/"phrase" ...; elsewhere it is a pass of an algorithm or a test (first_pass, pass_rate).
_PASS_WORDS_NOT_SECRET: Final = frozenset(
    {"bypass", "compass", "encompass", "surpass", "trespass", "overpass", "underpass", "impass"}
)
_PASS_BEFORE: Final = frozenset({"word", "wd", "phrase", "code", "key"})
_PASS_NOT_AFTER: Final = frozenset(
    {
        "first",
        "second",
        "third",
        "last",
        "next",
        "prev",
        "previous",
        "forward",
        "backward",
        "back",
        "single",
        "multi",
        "one",
        "two",
        "each",
        "per",
        "n",
        "num",
        "extra",
        "final",
        "full",
        "fast",
        "slow",
        "test",
    }
)


def _name_words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", spaced)
    return [w for w in re.split(r"[^a-z]+", spaced.lower()) if w]


def _is_pass_word(words: list[str], i: int) -> bool:
    word = words[i]
    if not word.endswith("pass") or word in _PASS_WORDS_NOT_SECRET:
        return False
    if i > 0 and words[i - 1] in _PASS_NOT_AFTER:
        return False
    return i == len(words) - 1 or words[i + 1] in _PASS_BEFORE


@functools.lru_cache(maxsize=4096)
def looks_like_secret_name(name: str) -> bool:
    """Whether a variable (or dict key, or column) name suggests its value is a secret.

    Errs on the side of hiding: ``monkey`` is hidden too, and only its value is lost.
    """
    words = _name_words(name)
    for i, word in enumerate(words):
        if word in _NOT_SECRET_WORDS:
            continue
        if (
            word in _EXACT_SECRET_WORDS
            or word.endswith(_SECRET_WORD_ENDINGS)
            or any(part in word for part in _SECRET_WORD_PARTS)
            or _is_pass_word(words, i)
        ):
            return True
    return False


# -- values: patterns -------------------------------------------------------------------------

# Keys by their shape: (prefix, rest). A key is `prefix + rest` at a token start. The regex
# begins each alternative at the first character of `rest`, a rarer character than a
# lower-case letter ("-", "_", ".", ":", "=" or an upper-case one), and checks the prefix with a
# lookbehind: Python's re then skips every other character in C, which keeps a megabyte of
# ordinary text at a few milliseconds. No leading \b (see the module docstring): the token
# start is checked by _starts_token instead.
_KEYS: Final[list[tuple[str, str]]] = [
    ("sk", r"-[A-Za-z0-9_\-]{8,}"),  # OpenAI, Anthropic (sk-ant-) ...
    *((p, r"_(?:live|test)_[A-Za-z0-9]{8,}") for p in ("sk", "rk")),  # Stripe
    *((p, r"_[A-Za-z0-9]{20,}") for p in ("ghp", "gho", "ghu", "ghs", "ghr")),  # GitHub
    ("github", r"_pat_[A-Za-z0-9_]{20,}"),
    *(
        (p, r"-[A-Za-z0-9_\-]{20,}")  # GitLab
        for p in ("glpat", "gldt", "glft", "glsoat", "glrt", "glcbt", "glimt", "glptt", "gloas")
    ),
    ("", r"GR1348941[A-Za-z0-9_\-]{20,}"),  # GitLab runner registration
    *((f"xox{c}", r"-[A-Za-z0-9\-]{10,}") for c in "aboprs"),  # Slack
    ("https", r"://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_/]+"),
    # AWS key ids; anchored on their second character, so that a run of "AAAA" (base64 of
    # zero bytes) is not a candidate at every position.
    *(("A", rf"{rest}[A-Z0-9]{{16}}(?![A-Za-z0-9])") for rest in ("KIA", "SIA", "BIA", "CCA")),
    ("A", r"3T[A-Z0-9][A-Z0-9]{16}(?![A-Za-z0-9])"),
    ("A", r"Iza[A-Za-z0-9_\-]{35}"),  # Google
    ("hf", r"_[A-Za-z0-9]{20,}"),  # Hugging Face
    # A base64url JSON header and a dot: a JWT, however it continues (or where it was cut).
    ("ey", r"J[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-.+/=]*"),
    ("SG", r"\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"),  # SendGrid
    ("npm", r"_[A-Za-z0-9]{36}"),
    ("pypi", r"-AgE[A-Za-z0-9_\-]{70,}"),
    ("sq0csp", r"-[A-Za-z0-9_\-]{43}"),  # Square
    ("AccountKey", r"=[A-Za-z0-9+/=]{20,}"),  # Azure storage
    ("", r"Bearer\s+[A-Za-z0-9._~+/\-]{16,}"),
    ("", r"Basic\s+[A-Za-z0-9+/=]{8,}"),  # HTTP Basic credentials
    # user:password@ in a URL (its scheme is added to the span in _value_spans).
    ("", r"://[^/\s:@'\"]+:[^@\s/'\"]+@"),
    # Keys of model providers and AI tools a notebook often holds.
    ("gsk", r"_[A-Za-z0-9]{20,}"),  # Groq
    *((p, r"-[A-Za-z0-9]{20,}") for p in ("xai", "pplx")),  # xAI, Perplexity
    ("r8", r"_[A-Za-z0-9]{20,}"),  # Replicate
    *((p, r"_[A-Za-z0-9_]{20,}") for p in ("lsv2_pt", "lsv2_sk", "pcsk")),  # LangSmith, Pinecone
    ("tvly", r"-[A-Za-z0-9_\-]{20,}"),  # Tavily
    ("GOCSPX", r"-[A-Za-z0-9_\-]{20,}"),  # Google OAuth client secret
    ("ya29", r"\.[A-Za-z0-9_\-]{20,}"),  # Google OAuth access token
]
_KEY_PREFIX: Final = {f"k{i}": prefix for i, (prefix, _) in enumerate(_KEYS)}


def _anchor(rest: str) -> str:
    return rest[:2] if rest[0] == "\\" else rest[0]  # a character, maybe escaped


def _key_regex() -> re.Pattern[str]:
    # The anchor stays outside the named groups: re finds the first characters of an
    # alternation quickly only when every alternative starts with a plain character. Each
    # group looks back at its prefix and the anchor (a key without a prefix looks back at the
    # anchor just read, which always holds).
    groups: dict[str, list[tuple[int, str, str]]] = {}
    for i, (prefix, rest) in enumerate(_KEYS):
        groups.setdefault(_anchor(rest), []).append((i, prefix, rest))
    alternatives = []
    for anchor, keys in groups.items():
        # A gate on the character before the anchor, when every key here has a prefix: the
        # dashes of "-----" or a float's "." fail it at once instead of trying each key.
        befores = {prefix[-1] for _, prefix, _ in keys if prefix}
        gate = ""
        if all(prefix for _, prefix, _ in keys):
            gate = f"(?<=[{re.escape(''.join(sorted(befores)))}]{anchor})"
        keyed = "|".join(
            f"(?P<k{i}>(?<={re.escape(prefix)}{anchor}){rest[len(anchor) :]})"
            for i, prefix, rest in keys
        )
        alternatives.append(f"{anchor}{gate}(?:{keyed})")
    return re.compile("|".join(alternatives))


_KEY_RE: Final = _key_regex()
# A whole value that starts like a key is a secret even when too short for the pattern above.
_SECRET_VALUE_PREFIXES: Final = ("sk-", "sk_live_", "sk_test_", "rk_live_", "ghp_", "github_pat_")

_TOKEN_CHAR: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
# Python's string escapes, and a URL's %0A: what may end right before a key in a repr or a URL.
_ESCAPE_BEFORE: Final = re.compile(
    r"(?:\\(?:[abfnrtv0'\"\\]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3})"
    r"|%[0-9A-Fa-f]{2})\Z"
)


def _starts_token(text: str, i: int) -> bool:
    """Whether position ``i`` starts a token: after a non-word character or an escape sequence.

    ``'note:\\nsk-...'`` holds a key: the ``n`` before it ends the escape ``\\n``.
    """
    if i == 0 or text[i - 1] not in _TOKEN_CHAR:
        return True
    before = text[max(0, i - 10) : i]  # the longest escape, \U0001F600, is 10 characters
    return ("\\" in before or "%" in before) and bool(_ESCAPE_BEFORE.search(before))


def _key_spans(text: str) -> Iterator[tuple[int, int]]:
    pos = 0
    while (m := _KEY_RE.search(text, pos)) is not None:
        start = m.start() - len(_KEY_PREFIX[m.lastgroup or ""])
        if text[start].isalnum() and not _starts_token(text, start):
            # Inside a word (`tasksk-...`): resume one character on, so that a key right
            # after it is still found.
            pos = m.start() + 1
            continue
        pos = m.end()  # never empty: every key starts with its anchor character
        yield start, m.end()


# PEM private keys: masked from BEGIN to END, or to where the text was cut.
_PEM_BEGIN: Final = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-\d+:"
)
_PEM_END: Final = re.compile(
    r"-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----|Private-MAC:\s*[0-9a-fA-F]+"
)
# What a key's body (and its Proc-Type/DEK-Info headers) is made of in a text or a repr, where
# a newline is the two characters \n, and a cut is "...".
_PEM_BODY: Final = re.compile(r"(?:[A-Za-z0-9+/=\\\r\n.,\-]|: ?)*")
_PEM_BODY_BACK: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\\\r\n."
)
_PEM_MAX: Final = 65_536  # longest key body looked for; RSA 8192 in PEM is about 6.5 KB


def _pem_spans(text: str) -> Iterator[tuple[int, int]]:
    if "PRIVATE KEY" not in text and "Private-" not in text and "PuTTY-User-Key" not in text:
        return
    ends = list(_PEM_END.finditer(text))
    starts = [end.start() for end in ends]
    covered = 0
    for begin in _PEM_BEGIN.finditer(text):
        if begin.start() < covered:
            continue
        i = bisect.bisect_left(starts, begin.end())
        if i < len(ends) and starts[i] < begin.end() + _PEM_MAX:
            covered = ends[i].end()
        else:
            # No END (the text was cut): the body as far as it goes.
            body = _PEM_BODY.match(text, begin.end())
            assert body is not None  # the pattern matches the empty string too
            covered = body.end()
        yield begin.start(), covered
    # An END whose BEGIN was cut away (the kept tail of a long repr): the body before it. An END
    # that closes a BEGIN above walks back into that BEGIN's span; spans are merged later. Each
    # walk stops at the dashes of the END before it, so all walks together read the text once.
    for end in ends:
        start = end.start()
        floor = max(0, start - _PEM_MAX)
        while start > floor and text[start - 1] in _PEM_BODY_BACK:
            start -= 1
        yield start, end.end()


# The payload's end and the signature of a JWT whose head was cut off ("...IjoxfQ.Sfl..."): a
# JSON payload always ends in "}", which base64url ends in "fQ", "?0" or "9".
_JWT_TAIL: Final = re.compile(r"\.(?:(?<=fQ\.)|(?<=0\.)|(?<=9\.))([A-Za-z0-9_\-]{32,})")
_B64URL_CHAR: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _looks_random(token: str) -> bool:
    # Random base64 changes between upper case, lower case and digits at about 2 of 3
    # characters; a long CamelCase or snake_case name does so once a word.
    token = token[:256]
    if not (
        any(c.isupper() for c in token)
        and any(c.islower() for c in token)
        and any(c.isdigit() for c in token)
    ):
        return False
    kinds = [c.isupper() - c.islower() for c in token]  # 1 upper, -1 lower, 0 digit (or _ -)
    switches = sum(a != b for a, b in itertools.pairwise(kinds))
    return switches >= len(token) // 3


def _jwt_tail_spans(text: str) -> Iterator[tuple[int, int]]:
    if "." not in text:
        return
    for m in _JWT_TAIL.finditer(text):
        if not _looks_random(m[1]):
            continue
        start = m.start()
        floor = max(0, start - 16_384)
        while start > floor and text[start - 1] in _B64URL_CHAR:
            start -= 1
        yield start, m.end()


# An AWS secret access key is 40 base64 characters; alone that is too common a shape (it is
# also a SHA-1 in hex), so it counts only near an AWS key id, as detect-secrets' aws.py does.
_AWS_SECRET: Final = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])")
_AWS_NEAR: Final = 4096
_HEX: Final = frozenset("0123456789abcdefABCDEF")


def _aws_secret_spans(text: str, ids: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    # A "<redacted>" counts as an id too: in a list or dict, the id was masked as an item of
    # its own before the container's text was put together.
    redacted = REDACTED in text
    if redacted:
        ids = ids + [(m.start(), m.end()) for m in re.finditer(re.escape(REDACTED), text)]
    for id_start, id_end in ids:
        lo, hi = max(0, id_start - _AWS_NEAR), min(len(text), id_end + _AWS_NEAR)
        for m in _AWS_SECRET.finditer(text, lo, hi):
            if not set(m[0]) <= _HEX:
                yield m.span()


# -- values known by value: getpass results and secret environment values ----------------------

_GETPASS_MIN: Final = 3
_ENV_MIN: Final = 8
"""Shortest environment value hidden by value: "true" or "3600" under a secret-looking name
(``USE_AUTH``, ``TOKEN_TTL``) is not a secret, and hiding it everywhere would hide data."""
# Secret-looking names of variables the shell and desktop set to paths, not secrets: hiding the
# working directory would hide every path shown.
_ENV_NOT_SECRET: Final = frozenset(
    {"PWD", "OLDPWD", "SSH_AUTH_SOCK", "XAUTHORITY", "GIT_ASKPASS", "SSH_ASKPASS", "SUDO_ASKPASS"}
)
_EMBEDDED_MIN: Final = 8
"""Known values at least this long are hidden even inside a longer word."""

_remembered: dict[str, None] = {}  # ordered set: the values getpass returned


def remember(value: object) -> None:
    """Hide ``value`` (a password the notebook was given) wherever it shows, from now on."""
    if isinstance(value, str) and len(value.strip()) >= _GETPASS_MIN:
        _remembered.setdefault(value)


def forget() -> None:
    """Forget the values given to ``remember`` (``%unload_ext``)."""
    _remembered.clear()


_env_cache: tuple[object, dict[str, str], tuple[str, ...]] = ((), {}, ())


def _env_snapshot() -> tuple[dict[str, str], tuple[str, ...]]:
    """The environment, and the values of its variables whose names look secret; read to know
    what to hide, never shown. Decoded again only when the environment changed."""
    global _env_cache
    data = getattr(os.environ, "_data", None)
    # The raw mapping's items are a cheap fingerprint; decoding them all costs 50 us a call.
    key = tuple(data.items()) if isinstance(data, dict) else None
    if key is not None and key == _env_cache[0]:
        return _env_cache[1], _env_cache[2]
    environ = dict(os.environ)
    values = tuple(
        v
        for k, v in environ.items()
        if len(v.strip()) >= _ENV_MIN and looks_like_secret_name(k) and k not in _ENV_NOT_SECRET
    )
    if key is not None:
        _env_cache = (key, environ, values)
    return environ, values


def _environ() -> dict[str, str]:
    return _env_snapshot()[0]


def _env_values() -> tuple[str, ...]:
    return _env_snapshot()[1]


@functools.lru_cache(maxsize=64)
def _variants(values: tuple[str, ...]) -> tuple[str, ...]:
    """How each value can appear in a text: as is, and as reprs, pandas and JSON write it."""
    forms: dict[str, None] = {}
    for v in values:
        for form in (
            v,
            repr(v)[1:-1],
            repr(v + "\"'")[1:-4],  # the other quoting: ' escaped
            v.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r"),
            v.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r"),  # pandas cells
            json.dumps(v)[1:-1],
            json.dumps(v, ensure_ascii=False)[1:-1],
            repr(v.encode("utf-8", "replace"))[2:-1],
        ):
            if form:
                forms[form] = None
    return tuple(sorted(forms, key=len, reverse=True))


@functools.lru_cache(maxsize=64)
def _variants_regex(forms: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, forms)))


# -- values known by value: the notebook's own secret variables --------------------------------

_hidden_values: ContextVar[tuple[str, ...]] = ContextVar("chatkit_jupyter_hidden", default=())


def _distinctive(value: str) -> bool:
    # A password or token is one word with letters and digits; `key = "created_at"` (a loop's
    # last dict key) is not, and hiding such a word everywhere would hide data.
    return (
        _ENV_MIN <= len(value) <= 4096
        and not any(c.isspace() for c in value)
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
    )


_DICT_ITEMS: Final = 200
"""Items of a dict variable looked at for secret values (a config dict's are all)."""


def secret_values(namespace: Mapping[str, Any]) -> tuple[str, ...]:
    """The string values of a namespace's variables with secret-looking names (and of a dict's
    items under such names): hidden by value in what ``hiding`` covers, so that an f-string
    built from one (``f"Token {token}"``) does not show it under another name."""
    found: dict[str, None] = {}
    for name, value in list(namespace.items()):
        items: list[tuple[object, object]] = [(name, value)]
        if type(value) is dict:  # exact type: no user code runs
            try:
                items += itertools.islice(dict.items(value), _DICT_ITEMS)
            except RuntimeError:  # changed by another thread while read: its items are skipped
                pass
        for key, item in items:
            if (
                type(item) is str
                and type(key) is str
                and looks_like_secret_name(key)
                and _distinctive(item)
            ):
                found.setdefault(item)
    return tuple(found)


@contextlib.contextmanager
def hiding(values: tuple[str, ...]) -> Iterator[None]:
    """Within the block (and the threads started from its context), also hide ``values``."""
    token = _hidden_values.set(values)
    try:
        yield
    finally:
        _hidden_values.reset(token)


def _known_spans(text: str) -> Iterator[tuple[int, int]]:
    values = tuple(_remembered) + _env_values() + _hidden_values.get()
    if not values:
        return
    forms = _variants(values)
    # A few forms: one substring search each. Many (a dozen secret variables): one regex pass.
    if len(forms) <= 4:
        found: Iterable[tuple[int, int]] = (
            (pos, pos + len(form)) for form in forms for pos in _find_all(text, form)
        )
    else:
        found = (m.span() for m in _variants_regex(forms).finditer(text))
    for start, end in found:
        form = text[start:end]
        if len(form) >= _EMBEDDED_MIN or (
            (not form[0].isalnum() or _starts_token(text, start))
            and (not form[-1].isalnum() or end == len(text) or not text[end].isalnum())
        ):
            yield start, end


def _find_all(text: str, form: str) -> Iterator[int]:
    pos = text.find(form)
    while pos >= 0:
        yield pos
        pos = text.find(form, pos + 1)


# -- finding and masking ----------------------------------------------------------------------


_SCHEME_CHAR: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-"
)  # RFC 3986


def _value_spans(text: str) -> list[tuple[int, int]]:
    """Where secret values are in ``text``: keys, private keys, cut JWTs, known values."""
    spans: list[tuple[int, int]] = []
    aws_ids = []
    for start, end in _key_spans(text):
        if text.startswith("://", start):  # the scheme goes with the credentials it carries
            while start > 0 and text[start - 1] in _SCHEME_CHAR:
                start -= 1
        elif end - start == 20 and text[start] == "A":
            aws_ids.append((start, end))
        spans.append((start, end))
    if aws_ids or REDACTED in text:
        spans.extend(_aws_secret_spans(text, aws_ids))
    spans.extend(_pem_spans(text))
    spans.extend(_jwt_tail_spans(text))
    spans.extend(_known_spans(text))
    return spans


def _is_secret_text(text: str) -> bool:
    stripped = text.strip()
    if stripped.startswith(_SECRET_VALUE_PREFIXES) or stripped in _remembered:
        return True
    return bool(_value_spans(text))


_SCAN_ENDS: Final = 512 * 1024
"""A huge value is judged by its first and last 512 KB: the most any view of it shows."""


def looks_like_secret_value(value: object) -> bool:
    """Whether a string (or bytes) value looks like an API key, token or private key, or holds
    a value known to be secret (from ``getpass`` or a secret environment variable)."""
    if isinstance(value, bytes | bytearray):
        if len(value) > 2 * _SCAN_ENDS:
            value = bytes(value[:_SCAN_ENDS]) + b" " + bytes(value[-_SCAN_ENDS:])
        value = bytes(value).decode(errors="replace")  # UTF-8
    elif not isinstance(value, str):
        return False
    elif len(value) > 2 * _SCAN_ENDS:
        value = value[:_SCAN_ENDS] + " " + value[-_SCAN_ENDS:]
    return _is_secret_text(value)


# ``api_key='...'``, ``"token": "..."``, ``password=hunter2``: how objects print their fields.
# Found right to left: the text is reversed once and the regex below finds a separator followed
# by a (reversed) name that holds one of _NAME_STEMS. Anchored on ":" or "=", it costs nothing
# on text without them, never tries every position of a long word as a name's start, and
# leaves the few names with a stem to looks_like_secret_name.
# Every name looks_like_secret_name accepts holds one of these (tests/test_redact.py checks).
_NAME_STEMS: Final = (
    "key",
    "token",
    "secret",
    "pass",
    "pw",
    "psw",
    "kennwort",
    "cred",
    "auth",
    "cookie",
    "bearer",
    "jwt",
    "dsn",
    "contrase",
)
_REVERSED_SECRET_FIELD: Final = re.compile(
    r"[:=][ \t]*['\"]?(?=[A-Za-z0-9_\-]{0,64}?(?i:"
    + "|".join(stem[::-1] for stem in _NAME_STEMS)
    + r"))([A-Za-z0-9_\-]{1,64})"
)
# An unquoted value ends where a line does, also at an escaped newline or tab in a repr
# (`'pw=abc\\nnext'`); an escaped backslash or quote is part of it.
_FIELD_VALUE: Final = re.compile(
    r"""[ \t]*(?P<value>'(?:[^'\\]|\\.)*(?:'|\Z)|"(?:[^"\\]|\\.)*(?:"|\Z)"""
    r"""|(?:[^\s,;)}\]\\]|\\[\\'"])+)""",
    re.DOTALL,
)
_ESCAPE_HEAD: Final = re.compile(r"x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|.")


_EXCEPTION_CLASS: Final = re.compile(r"[A-Z][A-Za-z0-9]*(?:Error|Exception|Warning)")
"""``AuthenticationError: Error code: 401``, ``TokenError: ...``: a traceback's last line, where
what follows the class name is its message, not the value of a field."""


def _field_is_secret(text: str, start: int, name: str) -> bool:
    if _EXCEPTION_CLASS.fullmatch(name):
        return False
    if looks_like_secret_name(name):
        return True
    # `\npw=...`: the name is "pw", the "n" belongs to the escape before it.
    if start > 0 and text[start - 1] == "\\":
        head = _ESCAPE_HEAD.match(name)
        return head is not None and looks_like_secret_name(name[head.end() :])
    return False


def _field_spans(text: str) -> Iterator[tuple[int, int]]:
    if ":" not in text and "=" not in text:
        return
    n = len(text)
    for m in _REVERSED_SECRET_FIELD.finditer(text[::-1]):
        name_start, name_end = n - m.end(1), n - m.start(1)
        if not _field_is_secret(text, name_start, text[name_start:name_end]):
            continue
        value = _FIELD_VALUE.match(text, n - m.start())
        if value is not None:
            start, end = value.span("value")
            if text[start] not in "'\"":
                # An unquoted value in a string's repr (`'note\\npw=abc'`): keep its quote
                # (the value's first character is not one, so this stops there at the latest).
                while text[end - 1] in "'\"":
                    end -= 1
            yield start, end


# `('password', 'hunter2')`: a (name, value) pair, as dict.items(), header lists and parse_qsl
# give them; `--password hunter2` and `'--api-key', '...'`: a command line or its argv list.
# Anchored on "(" and "--", which ordinary text has few of.
_PAIR: Final = re.compile(
    r"\((?P<q>['\"])(?P<pair>[A-Za-z0-9_\- ]{1,64})(?P=q),[ \t]*"
    r"|--(?P<flag>[A-Za-z][A-Za-z0-9_\-]{0,63})(?:['\"],[ \t]*|[ \t]+)(?=[^\s\-])"
)


def _pair_spans(text: str) -> Iterator[tuple[int, int]]:
    if "(" not in text and "--" not in text:
        return
    for m in _PAIR.finditer(text):
        name = m["pair"] or m["flag"]
        if m["flag"] is not None and m.start() > 0 and text[m.start() - 1] in _TOKEN_CHAR:
            continue  # `a--b`: no flag
        if not looks_like_secret_name(name):
            continue
        value = _FIELD_VALUE.match(text, m.end())
        if value is not None:
            start, end = value.span("value")
            if text[start] not in "'\"":
                while end > start + 1 and text[end - 1] in "'\"":
                    end -= 1
            yield start, end


# user:password@host without a scheme (a ParseResult's netloc, a DSN's middle): found from the
# ":" before an "@" and a host, then back to where the user's name starts.
_USERINFO: Final = re.compile(r":[^\s'\"/@<>()\[\]{},;=\\`:]+@(?=[A-Za-z0-9])")
_USERINFO_STOP: Final = frozenset(" \t\r\n'\"/@<>()[]{},;=\\`")
_NOT_USERINFO: Final = frozenset({"mailto", "sip", "sips", "xmpp", "tel"})


def _userinfo_spans(text: str) -> Iterator[tuple[int, int]]:
    if "@" not in text:
        return
    for m in _USERINFO.finditer(text):
        start = m.start()
        floor = max(0, start - 256)
        while start > floor and text[start - 1] not in _USERINFO_STOP:
            start -= 1
        # An empty user is fine: `redis://:password@host`.
        if text[start : text.index(":", start)].lower() not in _NOT_USERINFO:
            yield start, m.end()


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def scrub(text: str) -> str:
    """Mask what looks like a secret in ``text``: key-like values, private keys, values known
    to be secret, fields, pairs and command-line flags with secret names, and the user and
    password before a host.

    This is for the repr of arbitrary objects, such as ``Config(api_key='...')``.
    """
    spans = _merge(
        [*_value_spans(text), *_field_spans(text), *_pair_spans(text), *_userinfo_spans(text)]
    )
    if not spans:
        return text
    parts = []
    pos = 0  # pragma: no mutate (None slices from the start as well)
    for start, end in spans:
        parts.append(text[pos:start])
        parts.append(REDACTED)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


class ScrubFilter(logging.Filter):
    """Scrubs a log record's message and traceback (``scrub``) before any handler sees it.

    The kernel's log reaches the notebook: ipykernel sends stderr to the page, where it shows
    under a cell (and is saved with the notebook) or in JupyterLab's log console. A handler's
    exception or a server error logged with its traceback can carry a key in its message.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub(record.getMessage()), None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # What logging.Formatter.formatException would print, scrubbed; it uses exc_text.
            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_text = scrub(text.rstrip("\n"))
        return True


def _cut(text: str, limit: int) -> str:
    """Shorten like reprlib does: keep the start and the end."""
    if len(text) <= limit:
        return text
    head = max(0, (limit - 3) // 2)
    tail = max(0, limit - 3 - head)
    return text[:head] + "..." + text[len(text) - tail :]


_MARGIN: Final = 4096
"""Context scrubbed beyond each kept end of a huge text, so a field name or a key's start just
outside it is still seen."""
_TOKEN_EXTENT: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.+/=\\"
)


def _token_start(text: str, i: int) -> int:
    """Move ``i`` back to the start of the token (a key, a JWT, a PEM body) it falls in."""
    floor = max(0, i - _PEM_MAX)
    while i > floor and text[i - 1] in _TOKEN_EXTENT:
        i -= 1
    # Inside a private key whose BEGIN line (with its spaces) is further back: start there. (After
    # a key that ended too: a little more context, scrubbed as well, changes nothing.)
    begin = text.rfind("-----BEGIN ", floor, i)
    return begin if begin >= 0 else i


def _token_end(text: str, i: int) -> int:
    ceiling = min(len(text), i + _PEM_MAX)
    while i < ceiling and text[i] in _TOKEN_EXTENT:
        i += 1
    return i


def scrub_cut(text: str, limit: int) -> str:
    """Scrub, then shorten; for a huge text only the kept ends (with some context) are scrubbed,
    so a multi-megabyte repr costs no more than a short one."""
    if len(text) <= 2 * (limit + _MARGIN):
        return _cut(scrub(text), limit)
    head = max(0, (limit - 3) // 2)
    tail = max(0, limit - 3 - head)
    # Neither piece may begin or end inside a token: a JWT or key cut in two is not recognised.
    start = scrub(text[: _token_end(text, head + _MARGIN)])[:head]
    if not tail:
        return start + "..."
    end = scrub(text[_token_start(text, len(text) - tail - _MARGIN) :])
    return start + "..." + end[len(end) - tail :]


def is_environ(value: object) -> bool:
    """``os.environ`` (recognised without reading it), or a dict copied from it."""
    return isinstance(value, os._Environ) or _is_environ_copy(value)


def _is_environ_copy(value: object) -> bool:
    # `dict(os.environ)` or `os.environ.copy()`: most of its first keys hold what the
    # environment holds under the same name.
    if type(value) is not dict or len(value) < 4:
        return False
    environ = _environ()
    sample = list(itertools.islice(value.items(), 20))
    same = sum(1 for k, v in sample if isinstance(k, str) and environ.get(k) == v)
    return same >= 4 and 2 * same >= len(sample)


def redaction_reason(name: str, value: object) -> str | None:
    if is_environ(value):
        return "environment variables are never shown"
    if looks_like_secret_name(name):
        return "the name looks like a secret"
    if looks_like_secret_value(value):
        return "the value looks like a secret"
    return None
