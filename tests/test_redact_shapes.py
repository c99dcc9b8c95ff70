"""Secrets in shapes the review of the redaction found leaking through the real tools: a name
and its value side by side (pairs, argv lists, command lines), a URL's user and password
without its scheme, pandas labels that name rows, columns and indexes, numpy structured fields,
the keys of model providers, and the values of the notebook's secret variables under other names
(an f-string). Each case also keeps its harmless neighbours visible."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from chatkit_jupyter.notebook import describe_variable
from chatkit_jupyter.notebook._redact import REDACTED, scrub

from .test_redact_corpus import assert_hidden

PW = "Hunter2Qx9zz"


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ([("password", PW), ("user", "bob")], "bob"),  # list(d.items())
        ([("X-Api-Key", PW), ("Accept", "text/csv")], "text/csv"),  # headers as a list
        (urllib.parse.parse_qsl(f"user=bob&access_token={PW}"), "bob"),
        (({"nested": [("secret", PW)], "n": 7},), "7"),
        (("mysql", "-u", "root", "--password", PW), "root"),  # an argv
        (f"mysql -u root --password {PW} --verbose", "--verbose"),  # a command line
        (f"curl --api-key '{PW}' https://example.com", "example.com"),
    ],
)
async def test_a_name_next_to_its_value(value: object, kept: str) -> None:
    shown = await assert_hidden({"data": value}, PW)
    assert kept in shown


@pytest.mark.parametrize(
    "value",
    [
        urllib.parse.urlparse(f"postgres://admin:{PW}@db.example.com/x"),
        urllib.parse.urlsplit(f"redis://:{PW}x:{PW}@cache:6379/0"),
        f"admin:{PW}@db.example.com:5432",
    ],
)
async def test_a_urls_user_and_password_without_its_scheme(value: object) -> None:
    shown = await assert_hidden({"db": value}, PW)
    assert "db.example.com" in shown or "cache" in shown


@pytest.mark.parametrize(
    "text",
    [
        "mail bob@example.com",
        "mailto:bob@example.com",
        "git@github.com:org/repo.git",
        "ssh -p 22 --user bob host",
        "--first-pass fast",
        "('user', 'bob')",
        "a--token x",
    ],
)
def test_text_without_a_secret_beside_a_name_stays(text: str) -> None:
    assert scrub(text) == text


def test_pairs_flags_and_userinfo_in_a_text() -> None:
    assert scrub(f"[('password', '{PW}'), ('user', 'bob')]") == (
        f"[('password', {REDACTED}), ('user', 'bob')]"
    )
    assert scrub(f"run --token {PW} --verbose") == f"run --token {REDACTED} --verbose"
    assert scrub(f"['x', '--api-key', '{PW}', '-v']") == f"['x', '--api-key', {REDACTED}, '-v']"
    assert scrub(f"netloc='admin:{PW}@db'") == f"netloc='{REDACTED}db'"


# -- pandas labels and numpy fields ---------------------------------------------------------------


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"user": ["bob"], "password": [PW], "port": [5432]})


@pytest.mark.parametrize(
    "make",
    [
        lambda: _frame().iloc[0],  # a row: the index names the values
        lambda: pd.Series({"user": "bob", "password": PW, "port": 5432}),
        lambda: _frame().T,  # rows named by secrets
        lambda: _frame().set_index("password"),  # an index of secrets
        lambda: _frame().set_index(["user", "password"]),
        lambda: pd.Series([PW, "x"], index=pd.Index(["bob", "ann"], name="api_key")),
        lambda: pd.DataFrame(
            [["bob", PW, 5432]],
            columns=pd.MultiIndex.from_tuples([("db", "user"), ("db", "password"), ("db", "port")]),
        ),
    ],
    ids=["row", "dict-series", "transposed", "index", "multi-index", "series-index", "multi-cols"],
)
async def test_pandas_labels_that_name_a_secret(make: Callable[[], object]) -> None:
    value = make()
    shown = await assert_hidden({"conf": value}, PW)
    if not isinstance(value, pd.Series) or value.index.name is None:
        assert "5432" in shown  # the neighbours of the secret stay


@pytest.mark.parametrize(
    ("dtype", "field", "item"),
    [
        ([("user", "U10"), ("password", "U20"), ("port", "i4")], "password", PW),
        ([("user", "U10"), ("auth", [("token", "U20")]), ("port", "i4")], "auth", (PW,)),
    ],
)
async def test_numpy_structured_fields_that_name_a_secret(
    dtype: list[object], field: str, item: object
) -> None:
    value = np.zeros(2, dtype=dtype)
    value["user"] = "bob"
    value["port"] = 5432
    value[field] = item
    shown = await assert_hidden({"accounts": value}, PW)
    assert "bob" in shown
    assert "5432" in shown


# -- keys of model providers ------------------------------------------------------------------------

PROVIDER_KEYS = [
    "gsk_" + "Zq8Wm3Kp9xVbN4cT8rLsY2dF6gH1jK5lM7nBvCxZ0aQ",  # Groq
    "xai-" + "Zq8Wm3Kp9xVbN4cT8rLsY2dF6gH1jK5lM7nBvCxZ0aQ",  # xAI
    "pplx-" + "Zq8Wm3Kp9xVbN4cT8rLsY2dF6gH1jK5lM7nBvCxZ0aQ",  # Perplexity
    "r8_" + "Zq8Wm3Kp9xVbN4cT8rLsY2dF6gH1jK5lM7n",  # Replicate
    "lsv2_pt_" + "0123456789abcdef0123456789abcdef_0123456789",  # LangSmith
    "pcsk_" + "Zq8Wm3_Kp9xVbN4cT8rLsY2dF6gH1jK5lM7nBvCxZ0aQ",  # Pinecone
    "tvly-dev-" + "Zq8Wm3Kp9xVbN4cT8rLsY2dF6gH1",  # Tavily
    "GOCSPX-" + "Zq8Wm3Kp9xVbN4cT8rLsY2dF6gH1",  # Google OAuth client secret
    "ya29." + "a0AfH6SMBZq8Wm3Kp9xVbN4cT8rLsY2dF6gH1",  # Google OAuth access token
]


@pytest.mark.parametrize("key", PROVIDER_KEYS)
async def test_keys_of_model_providers(key: str) -> None:
    await assert_hidden(
        {"key_text": f"note: {key}", "cfg": {"model": "m", "value": key}}, key, key[-12:]
    )


# -- the notebook's own secret variables, by value ----------------------------------------------

TOKEN = "hunter2xyz9"


class Client:
    """An object whose repr shows what it was given, as many do."""

    def __init__(self, header: str) -> None:
        self.header = header

    def __repr__(self) -> str:
        return f"Client(header={self.header!r})"


def _built_from_secrets() -> dict[str, object]:
    return {
        "token": TOKEN,
        "conf": {"db_password": "Pa55word!x", "host": "db"},
        "headers": {"X-Custom": f"Token {TOKEN}"},  # an f-string under an innocent name
        "client": Client(f"Token {TOKEN}"),
        "note": "login with Pa55word!x",
        "key": "created_at",  # a loop's last dict key: a word, not a secret
        "column": "created_at",
    }


async def test_values_of_secret_variables_are_hidden_under_other_names() -> None:
    shown = await assert_hidden(_built_from_secrets(), TOKEN, "Pa55word!x")
    assert "Client(header=" in shown
    assert "'created_at'" in shown  # `column` stays


def test_they_are_hidden_off_the_main_thread_too() -> None:
    # Off the main thread each preview runs on a worker thread of its own.
    namespace = _built_from_secrets()
    details: list[object] = []
    thread = threading.Thread(target=lambda: details.append(describe_variable(namespace, "client")))
    thread.start()
    thread.join()
    assert details == [
        {"name": "client", "type": "tests.Client", "repr": f"Client(header='Token {REDACTED}')"}
    ]


@pytest.mark.parametrize(
    "make",
    [
        lambda: _frame().set_index("password").T,  # the secrets label the columns
        lambda: _frame().pivot(index="user", columns="password", values="port"),
    ],
    ids=["transposed-index", "pivot"],
)
async def test_pandas_columns_named_by_secrets(make: Callable[[], object]) -> None:
    shown = await assert_hidden({"table": make()}, PW)
    assert "5432" in shown
