"""The redaction corpus of issue 10 (items 1 and 2), checked through the real tools.

Every case builds a notebook namespace of real objects (dataclasses, namedtuples, pandas and
numpy objects, bytes ...), runs ``list_variables`` and ``inspect_variable`` on every variable
through ``notebook_tools`` and looks for the secret in everything they return. Classes: keys after
an escape sequence, PEM private keys, JWTs cut by shortening, password names, ``getpass`` values,
secret environment values, AWS key pairs; and the negatives, which must stay visible.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import getpass
import json
import os
import random
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from agents.tool_context import ToolContext
from IPython.core.interactiveshell import InteractiveShell

from chatkit_jupyter import notebook_tools
from chatkit_jupyter.notebook._redact import REDACTED, scrub, scrub_cut

from .conftest import ipython

_rng = random.Random(10)
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64URL = _B64[:62] + "-_"


def _random(alphabet: str, n: int) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


async def tool_output(namespace: dict[str, Any]) -> str:
    """Everything the model can learn: the listing and every variable inspected."""
    tools = {tool.name: tool for tool in notebook_tools(namespace)}
    parts = []
    for name, arguments in [("list_variables", {})] + [
        ("inspect_variable", {"name": n}) for n in namespace
    ]:
        raw = json.dumps(arguments)
        context = ToolContext(context=None, tool_name=name, tool_call_id="c", tool_arguments=raw)
        parts.append(json.loads(await tools[name].on_invoke_tool(context, raw)))
    # Decoded once more so that "\\n" in a repr is compared as the model reads it.
    return json.dumps(parts, ensure_ascii=False)


async def assert_hidden(namespace: dict[str, Any], *fragments: str) -> str:
    shown = await tool_output(namespace)
    for fragment in fragments:
        assert fragment not in shown, f"{fragment!r} leaked in {shown[:3000]}"
    return shown


# -- containers ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Note:
    title: str
    text: str


Pair = collections.namedtuple("Pair", ["label", "value"])


class Holder:
    """An object with a hand-written repr, as many libraries have."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Holder(text={self.text!r}, size=3)"


@dataclasses.dataclass
class Blob:
    name: str
    data: bytes


CONTAINERS: dict[str, Callable[[str], object]] = {
    "dataclass": lambda s: Note("n", s),
    "namedtuple": lambda s: Pair("n", s),
    "object": Holder,
    "dataframe": lambda s: pd.DataFrame({"id": [1, 2], "note": ["plain", s]}),
    "ndarray": lambda s: np.array(["plain", s]),
    "series": lambda s: pd.Series(["plain", s], name="notes"),
    "bytes-in-dataclass": lambda s: Blob("b", s.encode()),
    "list-of-objects": lambda s: [Holder("a"), Holder(s)],
}

# -- 1. keys after an escape sequence -----------------------------------------------------------

KEYS = [
    "sk-proj-Q7hWm2Kp9xVbN4cT8rLs",
    "ghp_" + "Zq8Wm3Kp9xVbN4cT8rLsY2dF6gH1jK5lM7nB",
    "xoxb-2048-9931-Zq8Wm3Kp9xVbN4c",
    "AKIAZQ8WM3KP9XVBN4CT",
    "glpat-Zq8Wm3Kp9xVbN4cT8rLs",
    "hf_Zq8Wm3Kp9xVbN4cT8rLsY2dF",
    "AIzaSyZq8Wm3Kp9xVbN4cT8rLsY2dF6gH1jK5lM",
    "github_pat_11Zq8Wm3Kp9xVbN4cT8rLsY2",
    "sk_live_Zq8Wm3Kp9xVbN4cT8rLs",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.Zq8Wm3Kp9xVbN4cT8rLsY2dF6gH1jK5lM7nBvCxZ0aQ",
]
ESCAPES = ["\n", "\t", "\r", "\x1b", "\x00", "\\", "\u2028", "'\"", "\x7f", "\r\n"]


def _escape_cases() -> Iterator[Any]:
    i = 0
    for container in CONTAINERS:
        for _ in range(3):
            key, escape = KEYS[i % len(KEYS)], ESCAPES[i % len(ESCAPES)]
            i += 1
            yield pytest.param(container, key, escape, id=f"{container}-{i}")


@pytest.mark.parametrize(("container", "key", "escape"), list(_escape_cases()))
async def test_escape_key_after_an_escape_sequence(container: str, key: str, escape: str) -> None:
    value = CONTAINERS[container](f"note:{escape}{key} done")
    shown = await assert_hidden({"thing": value, "other": 7}, key[-12:], key[4:16])
    assert "other" in shown


@pytest.mark.parametrize(
    "escape", ["\\n", "\\t", "\\x1b", "\\u2028", "\\\\", "\\r\\n", "\\'", "%0A", "%20"]
)
@pytest.mark.parametrize("key", KEYS[:4])
def test_escape_scrub_of_a_repr_text(escape: str, key: str) -> None:
    text = f"Note(title='n', text='note:{escape}{key}')"
    shown = scrub(text)
    assert key[-12:] not in shown
    assert shown.startswith("Note(title='n', text='note:")


@pytest.mark.parametrize("escape", ["\n", "\t", "\x1b", "\u2028", "\r\n", "\\"])
@pytest.mark.parametrize(
    "name", ["pw", "password", "db_pass", "api_key", "token", "MY_SERVICE_PASS"]
)
async def test_escape_field_name_after_an_escape_sequence(escape: str, name: str) -> None:
    # `'log:\npw=hunter2'`: the name is "pw", whatever letter ends the escape before it.
    value = Note("log", f"started{escape}{name}=opensesame-42{escape}done")
    shown = await assert_hidden({"thing": value}, "opensesame")
    assert "started" in shown
    if escape != "\\":  # a backslash may be part of a password; a newline or tab ends it
        assert "done" in shown


# -- 1. PEM private keys ------------------------------------------------------------------------


def pem(kind: str = "RSA PRIVATE KEY", lines: int = 12, headers: str = "") -> str:
    body = "\n".join(_random(_B64, 64) for _ in range(lines))
    return f"-----BEGIN {kind}-----\n{headers}{body}\n-----END {kind}-----\n"


def body_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if len(line) >= 40 and "-----" not in line]


PEM_KINDS = [
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "DSA PRIVATE KEY",
    "OPENSSH PRIVATE KEY",
    "PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "PGP PRIVATE KEY BLOCK",
    "SSH2 ENCRYPTED PRIVATE KEY",
]


@pytest.mark.parametrize("kind", PEM_KINDS)
@pytest.mark.parametrize("container", ["dataclass", "dataframe", "ndarray", "object"])
async def test_pem_body_is_masked_in_containers(kind: str, container: str) -> None:
    key = pem(kind)
    shown = await assert_hidden({"thing": CONTAINERS[container](key)}, *body_lines(key))
    assert "-----BEGIN" not in shown or REDACTED in shown


PEM_PLACES: dict[str, Callable[[str], dict[str, Any]]] = {
    "bytes-past-4k-at-end": lambda k: {"blob": b"x" * 5000 + k.encode()},
    "bytes-past-4k-middle": lambda k: {"blob": b"x" * 5000 + k.encode() + b"y" * 300},
    "bytes-past-4k-big": lambda k: {"blob": b"\x00\x01" * 50_000 + k.encode() + b"\xff" * 10},
    "bytearray-past-4k": lambda k: {"blob": bytearray(b"z" * 8000 + k.encode())},
    "bytes-in-dataclass-past-4k": lambda k: {"blob": Blob("b", b"q" * 6000 + k.encode())},
    "cut-at-head": lambda k: {"thing": Holder("z" * 900 + k + "z" * 100_000)},
    "cut-at-tail": lambda k: {"thing": Holder("z" * 100_000 + k)},
    "truncated-key": lambda k: {"thing": Note("n", k[: len(k) // 2])},
    "end-only": lambda k: {"thing": Note("n", k[len(k) // 3 :])},
    "str-whole": lambda k: {"note": k},
    "dict-value": lambda k: {"config": {"host": "db", "k": k}},
    "list-of-bytes": lambda k: {"items": [b"a", k.encode()]},
}


@pytest.mark.parametrize("place", PEM_PLACES)
async def test_pem_wherever_it_is(place: str) -> None:
    key = pem(lines=26)
    await assert_hidden(PEM_PLACES[place](key), *body_lines(key)[1:-1])


def test_pem_with_headers_and_putty() -> None:
    key = pem(headers="Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\n")
    shown = scrub(repr(Note("n", key)))
    assert not any(line in shown for line in body_lines(key))
    assert "3F17F5316E2BAC89" not in shown
    putty = (
        "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: me\nPublic-Lines: 2\n"
        f"{_random(_B64, 64)}\n{_random(_B64, 20)}\nPrivate-Lines: 2\n{_random(_B64, 64)}\n"
        f"{_random(_B64, 30)}\nPrivate-MAC: {_random('0123456789abcdef', 40)}\n"
    )
    shown = scrub(repr(Note("n", putty)))
    private = putty.split("Private-Lines: 2\n")[1].splitlines()
    assert not any(line.split()[-1] in shown for line in private)


def test_pem_text_around_it_stays() -> None:
    key = pem()
    shown = scrub(repr(Note("before", "intro " + key + "outro")))
    assert "intro" in shown
    assert "outro" in shown
    assert "before" in shown


# -- 1. JWTs whose head was cut off ------------------------------------------------------------


def jwt(payload_bytes: int, signature_bytes: int) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = {"sub": "42", "data": _random(_B64URL, payload_bytes)}
    return ".".join(
        [
            b64(b'{"alg":"RS256","typ":"JWT"}'),
            b64(json.dumps(claims).encode()),
            b64(bytes(_rng.getrandbits(8) for _ in range(signature_bytes))),
        ]
    )


JWTS = {
    "rs256-long-claims": jwt(1500, 256),
    "rs256-huge-claims": jwt(6000, 256),
    "es256": jwt(900, 64),
    "hs256": jwt(700, 32),
    "rs512-small": jwt(40, 512),
}


@pytest.mark.parametrize("name", JWTS)
@pytest.mark.parametrize(
    "place",
    ["object-end", "bytes-end", "dataclass-end", "list-of-objects"],
)
async def test_cut_jwt_signature_is_masked(name: str, place: str) -> None:
    token = JWTS[name]
    signature = token.rsplit(".", 1)[1]
    padding = "p " * 50_000
    value: object = {
        "object-end": lambda: Holder(padding + token),
        "bytes-end": lambda: (padding + token).encode(),
        "dataclass-end": lambda: Note("n", padding + token + "'"),
        "list-of-objects": lambda: [Holder(padding + token)],
    }[place]()
    await assert_hidden({"thing": value}, signature[-16:], signature[:16])


@pytest.mark.parametrize("limit", [80, 200, 999, 2000])
@pytest.mark.parametrize("name", JWTS)
def test_cut_jwt_scrub_cut_at_every_limit(name: str, limit: int) -> None:
    token = JWTS[name]
    signature = token.rsplit(".", 1)[1]
    shown = scrub_cut("lead " + "w" * 300_000 + " " + token, limit)
    assert signature[-10:] not in shown


@pytest.mark.parametrize("name", JWTS)
def test_cut_jwt_tail_alone(name: str) -> None:
    # The head was cut by someone else's shortening (a library's repr, a log line).
    token = JWTS[name]
    header, payload, _ = token.split(".")
    # Cut inside the payload: what is left of a token cut inside its signature is random
    # base64 like any other data; only our own shortening (scrub_cut) can know it was a key.
    tail = token[len(header) + 1 + len(payload) // 2 :]
    shown = scrub(f"Token(value='...{tail}')")
    assert token.rsplit(".", 1)[1][-10:] not in shown


def test_cut_jwt_pandas_truncated_cell() -> None:
    # pandas cuts long cells to 50 characters inside a repr: only header and payload start.
    token = JWTS["hs256"]
    shown = scrub(repr({"s": pd.Series([token])}))
    assert token.split(".")[1][:12] not in shown


# -- 2. password names -------------------------------------------------------------------------

PASSWORD_NAMES = [
    "pw",
    "PW",
    "db_pass",
    "smtp_pass",
    "MY_SERVICE_PASS",
    "dbPass",
    "smtpPass",
    "user_pw",
    "admin_pw",
    "mypw",
    "pass_",
    "pswd",
    "pword",
    "passcode",
    "key_pass",
    "ldap_pass",
    "redisPass",
    "EMAIL_PASS",
    "contrasena",
    "mot_de_passe",
    "root_pwd",
    "db_pw",
    "psw",
    "user_pwrd",
    "Kennwort",
]


@pytest.mark.parametrize("name", PASSWORD_NAMES)
async def test_password_name_as_a_variable(name: str) -> None:
    shown = await assert_hidden({name: "opensesame-42", "n": 1}, "opensesame")
    assert REDACTED in shown


@pytest.mark.parametrize("name", PASSWORD_NAMES[:12])
@pytest.mark.parametrize(
    "container", ["dict", "dataclass-field", "namedtuple-field", "dataframe-column", "kwargs-text"]
)
async def test_password_name_inside_containers(name: str, container: str) -> None:
    value = "opensesame-42"
    field = name if name.isidentifier() and not name.endswith("_") else "pw"
    thing: object = {
        "dict": lambda: {"host": "db", name: value},
        "dataclass-field": lambda: dataclasses.make_dataclass("Login", ["host", field])(
            "db", value
        ),
        "namedtuple-field": lambda: collections.namedtuple("Login", ["host", field])("db", value),
        "dataframe-column": lambda: pd.DataFrame({"host": ["db"], name: [value]}),
        "kwargs-text": lambda: f"connect(host='db', {field}='{value}')",
    }[container]()
    shown = await assert_hidden({"login": thing}, "opensesame")
    assert "db" in shown


# -- 2. values from getpass --------------------------------------------------------------------

GETPASS_VALUES = [
    "hunter2!x",
    "correct horse battery staple",
    "p@ss'w\"ord9",
    "back\\slash-77",
    "pässwörd-ü",
    "83920184",
    "Tr0ub4dor&3",
    "a-b_c.d~e",
    "new\nline-pw",
    "xK9#mQ2$",
]


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    typed: list[str] = []

    def terminal(prompt: str = "Password: ", stream: object = None) -> str:
        # Stands in for the terminal (or the front end) where the person types.
        return typed.pop(0)

    monkeypatch.setattr(getpass, "getpass", terminal)
    ip = ipython()
    ip.typed = typed  # type: ignore[attr-defined]
    ip.run_line_magic("load_ext", "chatkit_jupyter")
    yield ip
    ip.run_line_magic("unload_ext", "chatkit_jupyter")
    InteractiveShell.clear_instance()


GETPASS_USES = [
    "note = f'user ann, {value}'",
    "cfg = {'user': 'ann', 'value': value}",
    "item = Note('login', value)",
    "frame = pd.DataFrame({'user': ['ann'], 'v': [value]})",
    "arr = np.array(['ann', value])",
    "copy = value",
    "words = ['ann', value, 'bob']",
    "text = 'Login(' + repr(value) + ')'",
]


@pytest.mark.parametrize("use", GETPASS_USES)
@pytest.mark.parametrize("value", GETPASS_VALUES)
async def test_getpass_value_under_any_name(shell: InteractiveShell, value: str, use: str) -> None:
    shell.typed.append(value)  # type: ignore[attr-defined]
    shell.user_ns.update({"pd": pd, "np": np, "Note": Note})
    result = shell.run_cell(f"import getpass\nvalue = getpass.getpass('Password: ')\n{use}")
    result.raise_error()
    namespace = {k: v for k, v in shell.user_ns.items() if not k.startswith("_")}
    fragments = [part for part in value.split() if len(part) >= 4] or [value]
    shown = await assert_hidden(namespace, *fragments, repr(value)[1:-1])
    assert REDACTED in shown
    if use.startswith(("cfg", "frame", "arr", "words")):
        assert "ann" in shown  # a container keeps what is not the password


async def test_getpass_is_restored_and_values_forgotten_on_unload(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def terminal(prompt: str = "Password: ", stream: object = None) -> str:
        return "forgotten-pw-123"

    monkeypatch.setattr(getpass, "getpass", terminal)
    ip = ipython()
    try:
        ip.run_line_magic("load_ext", "chatkit_jupyter")
        assert getpass.getpass is not terminal
        ip.run_cell("import getpass\nnote = 'x ' + getpass.getpass()").raise_error()
        assert "forgotten-pw-123" not in await tool_output({"note": ip.user_ns["note"]})
        ip.run_line_magic("unload_ext", "chatkit_jupyter")
        assert getpass.getpass is terminal
        assert "forgotten-pw-123" in await tool_output({"note": ip.user_ns["note"]})
    finally:
        InteractiveShell.clear_instance()


async def test_getpass_imported_by_name_before_load_ext_is_hooked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def terminal(prompt: str = "Password: ", stream: object = None) -> str:
        return "early-import-pw-77"

    monkeypatch.setattr(getpass, "getpass", terminal)
    ip = ipython()
    try:
        ip.run_cell("from getpass import getpass as ask_pw\nplain = 1").raise_error()
        ip.run_line_magic("load_ext", "chatkit_jupyter")
        assert ip.user_ns["ask_pw"] is not terminal
        assert ip.user_ns["plain"] == 1
        ip.run_cell("note = 'db at 10.0.0.2, ' + ask_pw()").raise_error()
        assert "early-import-pw-77" not in await tool_output({"note": ip.user_ns["note"]})
        ip.run_line_magic("unload_ext", "chatkit_jupyter")
        assert ip.user_ns["ask_pw"] is terminal
    finally:
        InteractiveShell.clear_instance()


# -- 2. values of secret environment variables -------------------------------------------------

ENV_NAMES = [
    "OPENAI_API_KEY",
    "DB_PASSWORD",
    "MY_SERVICE_PASS",
    "SMTP_PASS",
    "GITHUB_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "STRIPE_SECRET",
    "SENTRY_DSN",
    "HF_TOKEN",
    "REDIS_PW",
]
ENV_USES: dict[str, Callable[[str], object]] = {
    "str": lambda v: f"connecting with {v} now",
    "dict": lambda v: {"user": "ann", "v": v},
    "dataclass": lambda v: Note("ann", v),
    "dataframe": lambda v: pd.DataFrame({"user": ["ann"], "v": [v]}),
    "ndarray": lambda v: np.array(["ann", v]),
}


@pytest.mark.parametrize("use", ENV_USES)
@pytest.mark.parametrize("env_name", ENV_NAMES)
async def test_env_secret_value_under_any_name(
    monkeypatch: pytest.MonkeyPatch, env_name: str, use: str
) -> None:
    value = f"plain{env_name.lower()}v4lue"
    monkeypatch.setenv(env_name, value)
    shown = await assert_hidden({"thing": ENV_USES[use](value)}, value)
    assert "ann" in shown or use == "str"


async def test_env_many_secret_values_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # A dozen secret variables are looked for in one pass; each is still found under any name.
    values = [f"many{i}-Zq8Wm3Kp" for i in range(12)]
    for i, value in enumerate(values):
        monkeypatch.setenv(f"SERVICE{i}_TOKEN", value)
    frame = pd.DataFrame({"user": ["ann"] * 12, "v": values})
    shown = await assert_hidden({"frame": frame, "words": " and ".join(values)}, *values)
    assert "ann" in shown


async def test_env_ordinary_names_and_short_values_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_DATA_DIR", "/data/sales-2024")
    monkeypatch.setenv("USE_AUTH", "true")
    monkeypatch.setenv("APP_TOKEN_TTL", "3600")
    shown = await tool_output(
        {"path": "/data/sales-2024/q1.csv", "flags": {"debug": "true", "ttl": "3600"}}
    )
    assert "/data/sales-2024/q1.csv" in shown
    assert "'true'" in shown
    assert "3600" in shown


async def test_env_working_directory_is_not_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # PWD is a password word, but the shell's PWD is the working directory: paths stay.
    monkeypatch.setenv("PWD", "/home/ann/project")
    monkeypatch.setenv("OLDPWD", "/home/ann/elsewhere")
    shown = await tool_output({"path": "/home/ann/project/data.csv"})
    assert "/home/ann/project/data.csv" in shown


@pytest.mark.parametrize(
    "copy",
    [
        lambda: dict(os.environ),
        lambda: os.environ.copy(),
        # The new variable first, where a cut after 30 items would not hide it.
        lambda: dict(sorted(os.environ.items(), key=lambda kv: not kv[0].startswith("CORPUS"))),
        lambda: {"saved": dict(sorted(os.environ.items(), reverse=True))},
        lambda: [1, dict(sorted(os.environ.items()))],
    ],
    ids=["dict", "copy", "ordered", "nested", "in-list"],
)
async def test_env_copies_are_not_shown(monkeypatch: pytest.MonkeyPatch, copy: Any) -> None:
    monkeypatch.setenv("CORPUS_PLAIN_SETTING", "visible-only-in-env-42")
    shown = await tool_output({"env": copy(), "n": 1})
    assert "visible-only-in-env-42" not in shown
    assert "CORPUS_PLAIN_SETTING" not in shown
    assert REDACTED in shown


async def test_env_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("CORPUS_API_KEY", "envonlysecretvalue99")
    shown = await tool_output({"env": os.environ, "copy": dict(os.environ), "n": 1})
    assert "envonlysecretvalue99" not in shown
    assert "CORPUS_API_KEY" not in shown


# -- 2. AWS key pairs --------------------------------------------------------------------------

AWS_ID = "AKIAZQ8WM3KP9XVBN4CT"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Wm3Kp9x"
AWS_PAIRS: dict[str, Callable[[], object]] = {
    "list": lambda: [AWS_ID, AWS_SECRET],
    "tuple": lambda: ("ann", AWS_ID, AWS_SECRET),
    "dict-neutral-keys": lambda: {"id": AWS_ID, "value": AWS_SECRET},
    "namedtuple": lambda: Pair(AWS_ID, AWS_SECRET),
    "dataclass": lambda: Note(AWS_ID, AWS_SECRET),
    "dataframe": lambda: pd.DataFrame({"a": [AWS_ID], "b": [AWS_SECRET]}),
    "text": lambda: f"{AWS_ID}:{AWS_SECRET}",
    "csv-line": lambda: f"ann,{AWS_ID},{AWS_SECRET},us-east-1",
    "nested": lambda: {"profile": {"pair": [AWS_ID, AWS_SECRET]}},
    "asia-session": lambda: ["ASIAZQ8WM3KP9XVBN4CT", AWS_SECRET],
    "ndarray": lambda: np.array([AWS_ID, AWS_SECRET]),
    "object": lambda: Holder(f"{AWS_ID} {AWS_SECRET}"),
}


@pytest.mark.parametrize("shape", AWS_PAIRS)
async def test_aws_secret_next_to_its_id(shape: str) -> None:
    await assert_hidden({"thing": AWS_PAIRS[shape]()}, AWS_SECRET[:20], AWS_SECRET[20:])


# -- negatives: what must stay visible ---------------------------------------------------------

NEGATIVES: dict[str, object] = {
    "words": "the quick brown fox jumps over the lazy dog",
    "multiline": "line one\nline two\tskip-this-step\nrisk-assessment",
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "sha1": "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
    "git-short": "commit 3f2a9c1 fixed it",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "uuid4-list": ["0b4a3c1e-7f4d-4c5b-9d9e-2f1a6b8c7d3e", "fine"],
    "dotted-names": "sklearn.ensemble._forest.RandomForestClassifier",
    "versions": "numpy==2.4.6, pandas==3.1.1",
    "file-names": "model_v2.0.checkpoint_epoch_10_step_20000.pt",
    "escaped-words": "note:\nskip\ttask-12345678\\nothing",
    "b64-alone": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg",
    "forty-chars-no-id": ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Wm3Kp9x"[::-1], "no id here"],
    "public-key": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
    "certificate": "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----",
    "email": "ann@example.com",
    "url": "https://example.com/path?q=1",
    "camel": "ExperimentTracker.LongClassNameForTesting",
    "hex-in-frame": pd.DataFrame({"hash": ["a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"]}),
    "np-words": np.array(["alpha\nbeta", "gamma"]),
}
NEGATIVE_NAMES = [
    "first_pass",
    "forward_pass",
    "n_passes",
    "bypass",
    "compass",
    "passenger",
    "passage",
    "pass_rate",
    "passed",
    "power",
    "pwm_signal",
    "keyword",
    "tokenizer",
    "mdp",  # a Markov decision process more often than a "mot de passe"
]


@pytest.mark.parametrize("name", NEGATIVES)
async def test_negative_values_stay_visible(name: str) -> None:
    value = NEGATIVES[name]
    shown = await tool_output({"thing": value})
    assert REDACTED not in shown
    if isinstance(value, str):
        assert value.split()[0].split("\n")[0] in shown


@pytest.mark.parametrize("name", NEGATIVE_NAMES)
async def test_negative_names_stay_visible(name: str) -> None:
    shown = await tool_output({name: "visible-value-7"})
    assert "visible-value-7" in shown


async def test_negative_short_getpass_value_does_not_eat_words(shell: InteractiveShell) -> None:
    shell.typed.append("abcd")  # type: ignore[attr-defined]
    shell.run_cell("import getpass\nvalue = getpass.getpass()").raise_error()
    shown = await tool_output({"words": "abcdef xabcd", "exact": "abcd"})
    assert "abcdef xabcd" in shown
    assert "'abcd'" not in shown


def test_getpass_in_a_real_kernel(tmp_path: Any) -> None:
    """ipykernel swaps getpass.getpass for its own at every cell; the password a person types
    at the front end's prompt is still hidden, in later cells too, until ``%unload_ext``."""
    import os
    import pathlib

    from jupyter_client.manager import start_new_kernel

    root = pathlib.Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))

    def run(code: str, answer: str | None = None, check: str | None = None) -> str | None:
        msg_id = kc.execute(
            code, allow_stdin=answer is not None, user_expressions={"check": check or "None"}
        )
        if answer is not None:
            request = kc.get_stdin_msg(timeout=30)
            assert request["content"]["password"] is True
            kc.input(answer)
        while True:
            reply = kc.get_shell_msg(timeout=60)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert reply["content"]["status"] == "ok", reply["content"]
        result = reply["content"]["user_expressions"]["check"]
        return result["data"]["text/plain"] if check else None

    shown = (
        "json.dumps([collect_variables({'note': note, 'cfg': cfg}),"
        " describe_variable({'cfg': cfg}, 'cfg')])"
    )
    try:
        run("from getpass import getpass as early")  # the kernel's method, bound, unwrapped
        run("%load_ext chatkit_jupyter")
        run(
            "import getpass, json\n"
            "from chatkit_jupyter.notebook import collect_variables, describe_variable"
        )
        run("typed = getpass.getpass('Password: ')", answer="kernel-typed-pw-91")
        run("note = 'login ' + typed\ncfg = {'user': 'ann', 'v': typed}")
        assert run("", check=f"'kernel-typed-pw-91' in {shown}") == "False"
        assert run("", check=f"'ann' in {shown}") == "True"
        # Imported by name after %load_ext, in a later cell: still remembered.
        run("from getpass import getpass as ask\nsecond = ask()", answer="second-pw-77x")
        run("note = 'then ' + second\ncfg = {'user': 'ann', 'v': second}")
        assert run("", check=f"'second-pw-77x' in {shown}") == "False"
        # Imported by name before %load_ext: hooked too.
        run("third = early()", answer="third-pw-55q")
        run("note = 'and ' + third\ncfg = {'user': 'ann', 'v': third}")
        assert run("", check=f"'third-pw-55q' in {shown}") == "False"
        run("%unload_ext chatkit_jupyter")
        # The kernel's own bound method again, not a function wrapping it.
        assert run("", check="(type(early).__name__, early.__qualname__)") == (
            "('method', 'Kernel.getpass')"
        )
        # Inside a cell getpass.getpass is the kernel's own method again, between cells the
        # function the kernel saved: neither is a wrapper any more.
        run("during = getpass.getpass")
        assert run("", check="during.__qualname__") == "'Kernel.getpass'"
        assert run("", check="getpass.getpass.__qualname__") == "'unix_getpass'"
        assert run("", check=f"'third-pw-55q' in {shown}") == "True"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
