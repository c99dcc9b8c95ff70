"""What counts as a secret (``notebook/_redact.py``): every key pattern, every secret word, the
near misses that stay visible, and scrubbing of long texts. Fast: the mutation run uses it."""

from __future__ import annotations

import os

import pytest

from chatkit_jupyter.notebook._redact import (
    REDACTED,
    _cut,
    is_environ,
    looks_like_secret_name,
    looks_like_secret_value,
    redaction_reason,
    scrub,
    scrub_cut,
)

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

# One real-shaped value per provider pattern, and the same value one character too short (or
# otherwise off) so that a loosened or tightened pattern shows up.
KEYS = {
    "openai": ("sk-proj-abcdefgh", "sk-proj"),
    "stripe": ("rk_live_abcdefgh", "rk_lime_abcdefgh"),
    "stripe-test": ("sk_test_abcdefgh", "pk_test_abcdefgh"),
    "github": ("ghp_" + "a" * 20, "ghp_" + "a" * 19),
    "github-oauth": ("gho_" + "b" * 20, "ghx_" + "b" * 20),
    "github-pat": ("github_pat_" + "c" * 20, "github_pat_" + "c" * 19),
    "gitlab": ("glpat-" + "d" * 20, "glpat-" + "d" * 19),
    "slack-bot": ("xoxb-1234567890", "xoxb-123456789"),
    "slack-user": ("xoxp-12345-abcde", "xoxq-12345-abcde"),
    "aws": ("AKIA" + "ABCDEFGH12345678", "AKIA" + "ABCDEFGH1234567"),
    "aws-session": ("ASIA" + "ABCDEFGH12345678", "ASIA" + "ABCDEFGH12345678X"),
    "google": ("AIza" + "Sy" + "A" * 33, "AIza" + "Sy" + "A" * 32),
    "hugging-face": ("hf_" + "e" * 20, "hf_" + "e" * 19),
    # A JSON header and a dot are enough (the rest may have been cut); the header alone is not.
    "jwt": (JWT, "eyJhbGciOiJIUzI1NiJ9"),
    "private-key": ("-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN PUBLIC KEY-----"),
    "private-key-plain": ("-----BEGIN PRIVATE KEY-----", "-----BEGIN CERTIFICATE-----"),
    "bearer": ("Bearer abcdefghijklmnop", "Bearer abcdefghijklmno"),
    "basic": ("Basic YWRtaW46aHVu", "Basic YWRtaW4"),
    "url-credentials": ("postgresql://admin:hunter2@db", "postgresql://admin@db"),
}


@pytest.mark.parametrize(("secret", "near_miss"), KEYS.values(), ids=KEYS.keys())
def test_each_key_pattern_and_its_near_miss(secret: str, near_miss: str) -> None:
    assert looks_like_secret_value(secret)
    assert looks_like_secret_value(secret.encode())
    # Inside other text (where a whole value's prefix does not count), only the key goes.
    text = f"using {secret} for now"
    assert looks_like_secret_value(text)
    assert redaction_reason("note", text) == "the value looks like a secret"
    shown = scrub(text)
    assert shown.startswith(f"using {REDACTED}")
    assert shown.endswith(" for now")
    assert secret not in shown
    miss = f"using {near_miss} for now"
    assert not looks_like_secret_value(miss)
    assert redaction_reason("note", miss) is None
    assert scrub(miss) == miss


@pytest.mark.parametrize(
    "value", ["tasksk-abcdefgh12", "risk_live_abcdefgh", "ahf_" + "e" * 20, "xghp_" + "a" * 20]
)
def test_a_key_prefix_inside_a_word_is_not_a_key(value: str) -> None:
    assert not looks_like_secret_value(value)


@pytest.mark.parametrize(
    "prefix", ["sk-", "sk_live_", "sk_test_", "rk_live_", "ghp_", "github_pat_"]
)
def test_a_whole_value_starting_like_a_key_is_a_secret_however_short(prefix: str) -> None:
    assert looks_like_secret_value(prefix + "x")
    assert looks_like_secret_value(f"  {prefix}x\n")
    assert not looks_like_secret_value("x" + prefix + "x")


def test_bytes_are_read_to_the_end_or_at_both_ends_when_huge() -> None:
    # Past the first 4 KB too (the review found a private key there).
    assert looks_like_secret_value(b"x" * 4096 + b" hf_" + b"e" * 20)
    assert looks_like_secret_value(b"x" * 500_000 + b" hf_" + b"e" * 20)
    # A huge value is judged by its first and last 512 KB, what any view of it can show.
    key = b" hf_" + b"e" * 20 + b" "
    assert looks_like_secret_value(key + b"x" * 3_000_000)
    assert looks_like_secret_value(b"x" * 3_000_000 + key)
    assert not looks_like_secret_value(b"x" * 1_500_000 + key + b"x" * 1_500_000)
    assert looks_like_secret_value(bytearray(b"sk-bytearray-key"))
    assert not looks_like_secret_value(b"\xff\xfe plain")


@pytest.mark.parametrize("value", [None, 42, 4.2, ["sk-in-a-list-123"], {"k": "sk-abcdefgh"}])
def test_only_strings_and_bytes_are_values_that_look_like_secrets(value: object) -> None:
    assert not looks_like_secret_value(value)


@pytest.mark.parametrize(
    "name",
    [
        # exact words
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
        "sentry_dsn",
        "DATABASE_DSN",
        "sentryDsn",
        "session_cookies",
        "user_jwt",
        "my_passphrase",
        # endings
        "apikey",
        "hotkeys",
        "mytoken",
        "refreshtokens",
        "clientsecret",
        "appsecrets",
        # parts
        "secretive",
        "db_passwd",
        "credentials",
        "creds",
        "auth",
        "oauth2",
        # how names are split
        "OPENAI_API_KEY",
        "apiKey",
        "APIKey",
        "HTTPToken",
        # an acronym before a word is a word of its own
        "JWTHeader",
        "DSNString",
        "x2Token",
        "data-key",
        "Authorization",
        "author_token",
    ],
)
def test_secret_names(name: str) -> None:
    assert looks_like_secret_name(name)
    assert redaction_reason(name, "harmless") == "the name looks like a secret"


@pytest.mark.parametrize(
    "name",
    [
        "author",
        "authors",
        "authored",
        "authorship",
        "book_authors",
        "tokenizer",
        "keyword",
        "keyboard",
        "monkeybars",
        "AUTHORName",
        "cookiecutter",
        "dsnx",
        "jwtish",
        "bearers",
        "pwds",
        "passphrases",
        "df",
        "sales",
        "",
        "_",
    ],
)
def test_ordinary_names(name: str) -> None:
    assert not looks_like_secret_name(name)
    assert redaction_reason(name, "harmless") is None


def test_scrub_masks_fields_with_secret_names_in_every_quoting() -> None:
    assert scrub("Config(dsn='https://public@sentry.io/1', debug=True)") == (
        f"Config(dsn={REDACTED}, debug=True)"
    )
    assert scrub('{"token": "a b", "user": "me"}') == f'{{"token": {REDACTED}, "user": "me"}}'
    assert scrub("password = hunter2; next") == f"password = {REDACTED}; next"
    assert scrub("pwd:x,y") == f"pwd:{REDACTED},y"
    assert scrub("key='it\\'s', other=1") == f"key={REDACTED}, other=1"
    assert scrub("author='Ann', authors=[1]") == "author='Ann', authors=[1]"
    assert scrub("nothing here") == "nothing here"


def test_cut_keeps_both_ends() -> None:
    assert _cut("abcdefghij", 10) == "abcdefghij"
    assert _cut("abcdefghij", 9) == "abc...hij"
    assert _cut("abcdefghij", 8) == "ab...hij"
    assert _cut("abcdefghij", 4) == "..." + "j"
    assert _cut("abcdefghij", 3) == "..."


def test_scrub_cut_of_a_short_text_scrubs_then_cuts() -> None:
    text = "a" * 30 + " token=abc " + "b" * 30
    assert scrub_cut(text, 1000) == scrub(text)
    assert scrub_cut(text, 21) == _cut(scrub(text), 21)


def test_scrub_cut_of_a_huge_text_scrubs_the_kept_ends() -> None:
    key = "hf_" + "e" * 30
    middle = "m" * 2_000_000
    text = f"head {key} " + middle + f" api_key='tail-value' {key} end"
    shown = scrub_cut(text, 200)
    assert len(shown) == 200
    assert key not in shown
    assert "tail-value" not in shown
    assert shown.startswith(f"head {REDACTED} m")
    assert shown.endswith(f"api_key={REDACTED} {REDACTED} end")
    assert "..." in shown
    # Just over the size where the whole text is scrubbed: the same result as scrubbing it all.
    limit = 100
    edge = "x" * (2 * (limit + 512)) + " " + key
    assert scrub_cut(edge, limit) == _cut(scrub(edge), limit)
    assert scrub_cut(edge[:-1], limit) == _cut(scrub(edge[:-1]), limit)


def test_scrub_cut_of_a_huge_text_keeps_exactly_limit_characters() -> None:
    for limit in (200, 201, 5):
        shown = scrub_cut("q" * 100_000, limit)
        assert len(shown) == limit
        assert shown.count("...") == 1


def test_a_secret_field_whose_value_is_longer_than_the_kept_end_is_masked() -> None:
    # The field's name is far outside the 99 characters kept at the end; its value is not.
    text = "h" * 100_000 + " api_key='" + "v" * 450 + "' end"
    shown = scrub_cut(text, 200)
    assert "v" not in shown
    assert shown.endswith(f"api_key={REDACTED} end")


def test_scrub_cut_with_room_for_only_the_dots() -> None:
    assert scrub_cut("z" * 5000, 3) == "..."
    assert scrub_cut("z" * 5000, 4) == "...z"


def test_environ_is_recognised_without_reading_it() -> None:
    assert is_environ(os.environ)
    # A copy of it too (the review's "without ever showing the environment"), not any dict.
    assert is_environ(dict(os.environ))
    assert not is_environ({"HOME": os.environ.get("HOME"), "a": 1, "b": 2, "c": 3})
    assert not is_environ(dict.fromkeys(os.environ, "other"))
    assert redaction_reason("anything", os.environ) == "environment variables are never shown"
    # The environment comes first: even under a secret-looking name the reason is the environment.
    assert redaction_reason("api_key", os.environ) == "environment variables are never shown"


def test_every_secret_name_holds_a_stem_the_field_scan_looks_for() -> None:
    # scrub finds `name=value` fields only for names holding one of _NAME_STEMS.
    from chatkit_jupyter.notebook._redact import _NAME_STEMS

    names = ["pw", "PW", "db_pass", "smtp_pass", "MY_SERVICE_PASS", "dbPass", "user_pw", "mypw"]
    names += ["pass_", "pswd", "psw", "pword", "passcode", "key_pass", "contrasena", "Kennwort"]
    names += ["mot_de_passe", "root_pwd", "api_key", "OPENAI_API_KEY", "HTTPToken", "db_passwd"]
    names += ["creds"]
    names += ["Authorization", "sentryDsn", "session_cookies", "user_jwt", "my_passphrase"]
    for name in names:
        assert looks_like_secret_name(name), name
        assert any(stem in name.lower() for stem in _NAME_STEMS), name
        assert scrub(f"x({name}='hunter2', y=1)") == f"x({name}={REDACTED}, y=1)", name


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1_000_000,  # one long word: no name or key start is tried at every position
        "sk-" * 300_000,
        "eyJ" + "a" * 1_000_000 + ".",
        "x0." + "aB3" * 300_000,
        "-----BEGIN RSA PRIVATE KEY-----" * 20_000,
        "-----END PRIVATE KEY-----" + "A" * 1_000_000 + "-----END PRIVATE KEY-----",
        repr({f"k{i}": "v" * 5 for i in range(60_000)}),
        repr({f"api_key{i}" if i % 10 == 0 else f"k{i}": "v" for i in range(60_000)}),
        "AKIA" + "B" * 16 + " " + "Ab1/" * 250_000,
        "\\n" * 500_000,
        "a:b@c" * 200_000,
        "('token', " * 100_000,
        "--token x " * 100_000,
    ],
    ids=[
        *("word", "sk", "jwt", "jwt-tail", "pem", "pem-end", "dict", "secret-dict", "aws", "esc"),
        *("userinfo", "pairs", "flags"),
    ],
)
def test_scrub_of_a_megabyte_is_fast(text: str) -> None:
    # Typically 5-50 ms on one CI core; the bound only catches a quadratic scan.
    import time

    start = time.perf_counter()
    scrub(text)
    looks_like_secret_value(text)
    assert time.perf_counter() - start < 1.0
