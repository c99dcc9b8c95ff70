"""Edges of redaction (``notebook/_redact.py``) that the mutation run found untested: each test
hides a secret of one shape, or keeps a harmless value, right where a one-character bug would
flip the result. Fast: ``bench/mutation.sh redact`` runs it once per mutant."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from chatkit_jupyter.notebook._redact import (
    _KEY_PREFIX,
    _KEYS,
    _SCAN_ENDS,
    REDACTED,
    _cut,
    _env_snapshot,
    _key_regex,
    forget,
    is_environ,
    looks_like_secret_name,
    looks_like_secret_value,
    remember,
    scrub,
    scrub_cut,
)


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Names are judged afresh, not answered from the cache an earlier test filled; no secret
    # environment value of the machine running the tests is looked for, and what a test
    # remembers is forgotten after it.
    looks_like_secret_name.cache_clear()
    for name in list(os.environ):
        if looks_like_secret_name(name):
            monkeypatch.delenv(name)
    yield
    forget()


# -- names with "pass" ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["pass", "dbpass", "SMTPPASS", "db_pass", "redisPass", "pass_", "pass_code_final"]
)
def test_pass_names_that_name_a_password(name: str) -> None:
    assert looks_like_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "bypass",
        "compass_heading",
        "first_pass",
        "forward_pass",
        "pass_rate",
        "pass_count",
        "mypass_x",
    ],
)
def test_pass_names_that_do_not(name: str) -> None:
    assert not looks_like_secret_name(name)


# -- the key regex -------------------------------------------------------------------------------

# One key of each shape in _KEYS, in its order.
KEY_SHAPES = [
    "sk-proj-Zq8Wm3Kp",
    "sk_live_Zq8Wm3Kp",
    "rk_live_Zq8Wm3Kp",
    *(f"{p}_Zq8Wm3Kp9xVbN4cT8rLs" for p in ("ghp", "gho", "ghu", "ghs", "ghr")),
    "github_pat_11Zq8Wm3Kp9xVbN4cT8rLs",
    *(
        f"{p}-Zq8Wm3Kp9xVbN4cT8rLs"
        for p in ("glpat", "gldt", "glft", "glsoat", "glrt", "glcbt", "glimt", "glptt", "gloas")
    ),
    "GR1348941Zq8Wm3Kp9xVbN4cT8rLs",
    *(f"xox{c}-2048-99310" for c in "aboprs"),
    "https://hooks.slack.com/services/T0AB12/B0CD34/Zq8Wm3Kp",
    *(f"A{rest}ZQ8WM3KP9XVBN4CT" for rest in ("KIA", "SIA", "BIA", "CCA")),
    "A3TXZQ8WM3KP9XVBN4CT",
    "AIzaSyZq8Wm3Kp9xVbN4cT8rLsY2dF6gH1jK5lM",
    "hf_Zq8Wm3Kp9xVbN4cT8rLs",
    "eyJhbGciOiJIUzI1NiJ9.Zq8Wm3Kp",
    "SG.Zq8Wm3Kp9xVbN4cT8rLsY2." + "Zq8Wm3Kp9xVbN4cT8rLsY2dF6gH1jK5lM7nBvCxZ0aQ",
    "npm_" + "Zq8Wm3Kp9xVbN4cT8rLsY2dF6gH1jK5lM7nB",
    "pypi-AgE" + "Zq8Wm3Kp9x" * 7,
    "sq0csp-" + "Zq8Wm3Kp9xVbN4cT8rLsY2dF6gH1jK5lM7nBvCxZ0aQ",
    "AccountKey=Zq8Wm3Kp9xVbN4cT8rLs==",
    "Bearer Zq8Wm3Kp9xVbN4cT",
    "Basic YWRtaW46aHVu",
    "://admin:hunter2@",
    "gsk_Zq8Wm3Kp9xVbN4cT8rLs",
    *(f"{p}-Zq8Wm3Kp9xVbN4cT8rLs" for p in ("xai", "pplx")),
    "r8_Zq8Wm3Kp9xVbN4cT8rLs",
    *(f"{p}_Zq8Wm3Kp9xVbN4cT8rLs" for p in ("lsv2_pt", "lsv2_sk", "pcsk")),
    "tvly-dev-Zq8Wm3Kp9xVbN4cT8rLs",
    "GOCSPX-Zq8Wm3Kp9xVbN4cT8rLs",
    "ya29.Zq8Wm3Kp9xVbN4cT8rLs",
]


def test_the_key_regex_finds_each_shape_by_its_own_group() -> None:
    # _KEY_RE is built once at import; built again here, so the test sees how it is built.
    regex = _key_regex()
    assert len(KEY_SHAPES) == len(_KEYS)
    for i, key in enumerate(KEY_SHAPES):
        text = f"({key})"
        m = regex.search(text)
        assert m is not None, key
        assert m.lastgroup == f"k{i}", key
        assert text[m.start() - len(_KEY_PREFIX[m.lastgroup]) : m.end()] == key
        if _KEYS[i][0]:
            # The same characters after another prefix are no key.
            assert regex.search(f"(Q{key[1:]})") is None, key


# -- token starts ------------------------------------------------------------------------------


@pytest.mark.parametrize("escape", ["\\n", "\\t", "\\x1b", "\\u2028", "%0A"])
def test_a_key_right_after_an_escape_at_the_start_of_a_text(escape: str) -> None:
    assert scrub(f"{escape}sk-proj-Zq8Wm3Kp") == f"{escape}{REDACTED}"


def test_keys_right_after_a_key_prefix_inside_a_word() -> None:
    # "sk-" inside "task" is no key; the runner token right after its dash is one.
    assert scrub("task-GR1348941" + "a" * 20) == f"task-{REDACTED}"
    text = "risk_live_abcdefgh then sk-proj-Zq8Wm3Kp"
    assert scrub(text) == f"risk_live_abcdefgh then {REDACTED}"


# -- private keys --------------------------------------------------------------------------------


@pytest.mark.parametrize("lead", ["", "note: "])
@pytest.mark.parametrize("body", ["QUJDRA==", "QUJDREVGR0g"])
def test_the_body_before_an_end_whose_begin_was_cut(lead: str, body: str) -> None:
    # As a repr shows it: newlines are the two characters \n.
    text = f"{lead}{body}\\nQUJD\\n-----END PRIVATE KEY-----\\n"
    assert scrub(text) == f"{lead}{REDACTED}\\n"


def test_the_private_lines_of_a_putty_key_whose_head_was_cut() -> None:
    private = ["QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", "YWJjZGVmZ2hpamtsbW5vcA=="]
    text = "...\nPrivate-Lines: 2\n" + "\n".join(private) + "\nPrivate-MAC: 0a1b2c3d4e5f\n"
    shown = scrub(text)
    assert "Private-Lines:" in shown
    assert not any(line in shown for line in private)
    assert "0a1b2c3d4e5f" not in shown


def test_a_whole_putty_key_file_is_one_secret() -> None:
    # Its comment and public lines too: the file is masked from its first line to its MAC.
    putty = (
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ann@laptop\n"
        "Public-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIB0h\nQUJD\nPrivate-Lines: 1\n"
        "AAAAIFRoaXMgaXMgbm90IGEgcmVhbCBrZXk=\nPrivate-MAC: 0a1b2c3d4e5f\n"
    )
    assert scrub(putty) == f"{REDACTED}\n"


def test_a_putty_key_cut_after_its_first_line_is_a_secret() -> None:
    head = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n"
    assert looks_like_secret_value(head)
    assert scrub(head).startswith(REDACTED)


def test_a_bundle_of_keys_where_the_first_was_cut() -> None:
    first = "-----BEGIN RSA PRIVATE KEY-----\nQUJDREVG\n"  # cut: no END
    second = "-----BEGIN EC PRIVATE KEY-----\nR0hJSktM\n-----END EC PRIVATE KEY-----\n"
    third = "-----BEGIN OPENSSH PRIVATE KEY-----\nTU5PUFFSU1RV\nVldYWVo="  # cut
    shown = scrub(first + second + third)
    for body in ("QUJDREVG", "R0hJSktM", "TU5PUFFSU1RV", "VldYWVo="):
        assert body not in shown


# -- JWTs whose head was cut ---------------------------------------------------------------------

SIGNATURE = "Zq8Wm3Kp9xVbN4cT8rLsY2dF6gH1jK5lM7nBvCxZ0aQ"


@pytest.mark.parametrize("lead", ["", "note: "])
@pytest.mark.parametrize("payload_end", ["joxfQ", "IjoxfQ"])
def test_a_cut_jwt_is_masked_from_where_its_payload_was_cut(lead: str, payload_end: str) -> None:
    text = f"{lead}{payload_end}.{SIGNATURE} end"
    assert scrub(text) == f"{lead}{REDACTED} end"


# A signature changes between upper case, lower case and digits at about 2 of 3 characters.
@pytest.mark.parametrize(
    "signature",
    [
        "A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6qrst",  # upper case and digits, then lower case
        "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6QRST",  # lower case and digits, then upper case
        "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEf12",  # upper and lower case, then digits
        # A change every 3 characters (11 in 34) is still often enough.
        "AAAbbb111CCCddd222EEEfff333GGGhh44",
    ],
)
def test_random_looking_signatures_after_a_cut_payload(signature: str) -> None:
    assert scrub(f"claims fQ.{signature} end") == f"claims {REDACTED} end"


@pytest.mark.parametrize(
    "text",
    [
        # A git hash after a version: no upper case, however often it changes kind.
        "release 2.0.3f2a9c1e4b5d6a7f8e9d0c1b2a3f4e5d6c7b8a9f",
        # Longer runs of one kind (9 changes in 34): a name, not random.
        "claims fQ.AAAAbbbb1111CCCCdddd2222EEEfff333GG end",
    ],
)
def test_names_and_hashes_after_a_dot_stay(text: str) -> None:
    assert scrub(text) == text


def test_a_cut_jwt_after_an_ordinary_dotted_name() -> None:
    text = f"v2.0.3f2a9c1e4b5d6a7f8e9d0c1b2a3f4e5d6c7b8a9f then IjoxfQ.{SIGNATURE}"
    assert scrub(text) == f"v2.0.3f2a9c1e4b5d6a7f8e9d0c1b2a3f4e5d6c7b8a9f then {REDACTED}"


def test_a_cut_jwt_at_the_start_of_a_text() -> None:
    assert scrub(f"IjoxfQ.{SIGNATURE}") == REDACTED


# -- AWS key pairs -------------------------------------------------------------------------------

AWS_ID = "AKIAZQ8WM3KP9XVBN4CT"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Wm3Kp9x"


def test_an_aws_secret_next_to_its_id_in_either_order() -> None:
    assert scrub(f"{AWS_SECRET} {AWS_ID}") == f"{REDACTED} {REDACTED}"
    assert scrub(f"{AWS_ID},{AWS_SECRET}") == f"{REDACTED},{REDACTED}"


@pytest.mark.parametrize(
    "text",
    [
        # A hash in hex, in any case, is not a secret key.
        f"{AWS_ID} 0123456789abcdefABCDEF0123456789abcdefAB",
        # 40 characters far from the id, or next to a key of another kind.
        f"{AWS_ID} " + "x " * 3000 + AWS_SECRET[::-1],
        f"AIzaSyZq8Wm3Kp9xVbN4cT8rLsY2dF6gH1jK5lM {AWS_SECRET[::-1]}",
        f"sk-proj-Zq8Wm3Kp9xVb {AWS_SECRET[::-1]}",
    ],
)
def test_forty_characters_that_are_no_aws_secret(text: str) -> None:
    plain = text.split()[-1]
    assert scrub(text).endswith(f" {plain}")


# -- URL credentials -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql://admin:hunter2@db", f"{REDACTED}db"),
        ("git+ssh://me:hunter2@host/repo", f"{REDACTED}host/repo"),
        ("see svn+ssh://me:pw@h", f"see {REDACTED}h"),
    ],
)
def test_url_credentials_are_masked_with_their_scheme(text: str, shown: str) -> None:
    assert scrub(text) == shown


def test_touching_and_nested_secrets_are_one_mask() -> None:
    assert scrub("https://me:hunter2@ghp_" + "a" * 20 + " ok") == f"{REDACTED} ok"
    assert scrub("token='sk-proj-Zq8Wm3Kp' ok") == f"token={REDACTED} ok"


# -- values judged whole or by their ends ------------------------------------------------------

KEY = "hf_" + "e" * 20
AS: dict[str, Callable[[str], object]] = {"str": str, "bytes": str.encode}


@pytest.mark.parametrize("kind", AS)
def test_up_to_1_mb_a_value_is_read_whole(kind: str) -> None:
    # Exactly 2 x 512 KB, with a key across the middle.
    head = "x" * (_SCAN_ENDS - 11) + " " + KEY
    value = head + " " + "x" * (2 * _SCAN_ENDS - len(head) - 1)
    assert len(value) == 2 * _SCAN_ENDS
    assert looks_like_secret_value(AS[kind](value))


@pytest.mark.parametrize("kind", AS)
def test_above_1_mb_a_value_is_judged_by_its_ends(kind: str) -> None:
    middle = "x" * 600_000 + " " + KEY + " " + "x" * 600_000
    assert not looks_like_secret_value(AS[kind](middle))
    # The ends are joined by a space, which completes no near miss at the end of the first.
    near_miss = "x" * (_SCAN_ENDS - 22) + " hf_" + "e" * 18 + "x" * (_SCAN_ENDS + 100)
    assert not looks_like_secret_value(AS[kind](near_miss))


@pytest.mark.parametrize("kind", AS)
def test_a_short_value_is_judged_as_it_is(kind: str) -> None:
    # Joined to itself, "Bearer WWW-Authenticate" would look like a token.
    assert not looks_like_secret_value(AS[kind]("WWW-Authenticate: Bearer"))


# -- values remembered from getpass --------------------------------------------------------------


def test_remembered_values_of_three_characters_or_more() -> None:
    remember(None)  # a getpass replaced by one that returns no text
    remember("ab")
    remember("a1b")
    assert looks_like_secret_value("a1b")
    assert scrub("pin a1b ok") == f"pin {REDACTED} ok"
    assert not looks_like_secret_value("ab")


@pytest.mark.parametrize("others", [0, 5], ids=["few", "many"])
def test_remembered_values_in_words_and_at_their_edges(others: int) -> None:
    # Few values are looked for one by one, many in one regex pass: the same result.
    for i in range(others):
        remember(f"other-value-{i}")
    remember("x-ray-9")  # short: only as a word of its own
    remember("s3cretvalue")  # 8 characters or more: inside words too
    remember("abcd1234")
    assert scrub("the x-ray-9 set") == f"the {REDACTED} set"
    assert scrub("the x-ray-9") == f"the {REDACTED}"
    assert scrub("box-ray-9 set") == "box-ray-9 set"
    assert scrub("the x-ray-9s set") == "the x-ray-9s set"
    assert scrub("keyis3cretvalue!") == f"keyi{REDACTED}!"
    assert scrub("xabcd1234y") == f"x{REDACTED}y"
    three = "s3cretvalue, s3cretvalue and s3cretvalue"
    assert scrub(three) == f"{REDACTED}, {REDACTED} and {REDACTED}"


# -- secret names in fields ----------------------------------------------------------------------


@pytest.mark.parametrize("escape", ["\\n", "\\t", "\\x1b", "\\u2028", "\\r\\n"])
@pytest.mark.parametrize("name", ["dsn", "jwt", "cookie", "psw", "passcode", "bearer"])
def test_a_field_after_an_escape_that_would_change_its_name(escape: str, name: str) -> None:
    # `\ndsn=...` reads as "ndsn": the escape's letters are not part of the name.
    text = f"'log{escape}{name}=s3cr3t-v4lue{escape}done'"
    assert scrub(text) == f"'log{escape}{name}={REDACTED}{escape}done'"


def test_a_field_after_an_escape_at_the_start_of_a_text() -> None:
    assert scrub("\\tpsw=hunter2") == f"\\tpsw={REDACTED}"


@pytest.mark.parametrize(
    "text",
    [
        "Config(bypass=True, compass='N')",
        "bypass=on\\",  # at the start, whatever the text ends with
        "'note\\nkeyboard=us'",
    ],
)
def test_fields_whose_names_only_look_secret_without_a_letter(text: str) -> None:
    assert scrub(text) == text


def test_every_secret_field_is_found_past_harmless_ones() -> None:
    assert scrub("api_key='abc', keyboard='us'") == f"api_key={REDACTED}, keyboard='us'"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("'note pw=Xk9X'", f"'note pw={REDACTED}'"),
        ("['pw=abc', 'pw=de']", f"['pw={REDACTED}', 'pw={REDACTED}']"),
    ],
)
def test_an_unquoted_value_in_a_repr_keeps_the_closing_quote(text: str, shown: str) -> None:
    assert scrub(text) == shown


# -- huge texts: the kept ends of scrub_cut are the ends of scrub ------------------------------


def _pem_lines(n: int) -> str:
    return "\n".join(
        f"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9w{i:08d}" for i in range(n)
    )


# name: (text, whether a kept end starts or ends inside a key, which the mask shortens)
HUGE: dict[str, tuple[str, bool]] = {
    "one-token": ("ghp_" + "a" * 20_000, True),
    "key-across-the-tail-cut": ("x " * 8000 + "ghp_" + "b" * 6000 + " end", True),
    # A JWT whose header carries a certificate chain (x5c): longer than the context kept.
    "jwt-across-the-head-cut": (
        "eyJ" + "a" * 6000 + ".eyJzdWIiOiI0MiJ9." + SIGNATURE + " y" * 8000,
        True,
    ),
    "cut-key-across-the-tail-cut": (
        "z " * 6000 + "-----BEGIN RSA PRIVATE KEY-----\n" + _pem_lines(120),
        True,
    ),
    "cut-key-at-the-start": ("-----BEGIN RSA PRIVATE KEY-----\n" + _pem_lines(300), True),
    "whole-key-then-cut-key": (
        "w " * 3000
        + "-----BEGIN EC PRIVATE KEY-----\n"
        + _pem_lines(3)
        + "\n-----END EC PRIVATE KEY-----\nmid\n-----BEGIN EC PRIVATE KEY-----\n"
        + _pem_lines(120),
        True,
    ),
    "certificate-in-the-tail": (
        "v " * 8000 + "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n" + "u" * 50,
        False,
    ),
    "field-then-one-long-word": ("api_key='sk-" + "a" * 40 + "' " + "t" * 20_000, False),
    "long-field-value-at-the-end": ("h " * 6000 + " api_key='" + "v" * 3000 + "' end", False),
}


def _is_cut_of(shown: str, whole: str, limit: int) -> bool:
    """Whether ``shown`` is the first and last characters of ``whole`` that fit in ``limit``,
    joined by "...": each end whole, or shorter where it stops (starts) at a masked key."""
    head = (limit - 3) // 2
    tail = limit - 3 - head
    for k in range(len(shown) - 2):
        if shown[k : k + 3] != "...":
            continue
        start, end = shown[:k], shown[k + 3 :]
        start_ok = start == whole[:head] or (start.endswith(REDACTED) and whole.startswith(start))
        end_ok = end == whole[len(whole) - tail :] or (
            end.startswith(REDACTED) and whole.endswith(end)
        )
        if start_ok and end_ok:
            return True
    return False


@pytest.mark.parametrize("limit", [5, 60, 200, 2000])
@pytest.mark.parametrize("name", HUGE)
def test_a_huge_text_shows_the_ends_of_its_scrubbed_whole(name: str, limit: int) -> None:
    text, masked_at_a_cut = HUGE[name]
    assert len(text) > 2 * (limit + 4096)  # the path for huge texts
    shown = scrub_cut(text, limit)
    assert _is_cut_of(shown, scrub(text), limit), shown
    if not masked_at_a_cut:
        assert shown == _cut(scrub(text), limit)


# -- the environment -----------------------------------------------------------------------------


def test_the_environment_is_read_again_only_when_it_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _env_snapshot()
    assert _env_snapshot()[0] is first[0]
    monkeypatch.setenv("CK_EDGE_TOKEN", "abcdefgh")  # 8 characters: the shortest hidden
    second = _env_snapshot()
    assert second[0] is not first[0]
    assert second[0]["CK_EDGE_TOKEN"] == "abcdefgh"
    assert scrub("use abcdefgh now") == f"use {REDACTED} now"
    monkeypatch.setenv("CK_EDGE_TOKEN", "abcdefg")  # shorter: "true", "3600" are no secrets
    assert scrub("use abcdefg now") == "use abcdefg now"


@pytest.mark.parametrize(
    ("from_env", "other", "copied"),
    [
        (4, 0, True),  # four entries, all the environment's
        (3, 1, False),  # fewer than four
        (2, 2, False),
        (10, 11, True),  # half of the first 20 is enough
        (7, 13, False),
        (20, 40, True),  # only the first 20 are looked at
    ],
)
def test_a_dict_is_a_copy_of_the_environment_when_its_first_entries_are(
    monkeypatch: pytest.MonkeyPatch, from_env: int, other: int, copied: bool
) -> None:
    value: dict[str, object] = {}
    for i in range(from_env):
        monkeypatch.setenv(f"CK_EDGE_{i:02d}", f"setting-{i}")
        value[f"CK_EDGE_{i:02d}"] = f"setting-{i}"
    value.update({f"column_{i}": i for i in range(other)})
    assert is_environ(value) is copied
