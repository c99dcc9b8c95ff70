"""scrub and scrub_cut on reprs: field names are judged as written (quotes aside), and a text
too long to scrub whole is cut exactly as scrubbing it whole and then cutting would give."""

from __future__ import annotations

import pytest

from chatkit_jupyter.notebook._redact import REDACTED, _cut, scrub, scrub_cut

HUGE = (
    "api_key='sk-"
    + "a" * 40
    + "' "
    + "".join(str(n % 10) for n in range(20_000))
    + " password = hunter2"
)


@pytest.mark.parametrize("limit", range(24))
def test_a_huge_text_is_cut_like_a_short_one(limit: int) -> None:
    assert scrub_cut(HUGE, limit) == _cut(scrub(HUGE), limit)


def test_secrets_at_both_kept_ends_of_a_huge_text_are_masked() -> None:
    shown = scrub_cut(HUGE, 60)
    assert shown.startswith(f"api_key={REDACTED}")
    assert shown.endswith(f"password = {REDACTED}")
    assert "sk-" not in shown
    assert "hunter2" not in shown


def test_a_field_name_is_judged_without_its_quotes_and_nothing_else() -> None:
    assert scrub("{'pwd': 'a'}") == f"{{'pwd': {REDACTED}}}"
    # Near misses stay visible: only quotes around a name are taken off, no other characters.
    # ("Xpwd" is hidden: a name ending in "pwd" counts as a password name.)
    assert scrub("{'Xpwdy': 'a'}, KEYX=1") == "{'Xpwdy': 'a'}, KEYX=1"


def test_what_the_package_logs_is_scrubbed_traceback_too(caplog: pytest.LogCaptureFixture) -> None:
    # ipykernel sends the kernel's stderr to the page (under a cell, saved with the notebook):
    # a handler's exception logged with its traceback must not carry a key there.
    import logging

    import chatkit_jupyter  # noqa: F401 - the package puts the filter on its logger

    key = "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5"
    log = logging.getLogger("chatkit_jupyter")
    try:
        raise ValueError(f"the upstream said no to {key}")
    except ValueError:
        log.exception("chatkit-jupyter: the %s hook failed for %s", "on_action", key)
    assert "the on_action hook failed for" in caplog.text
    assert "Traceback" in caplog.text
    assert "ValueError: the upstream said no to" in caplog.text
    assert key not in caplog.text
    assert caplog.text.count(REDACTED) == 2


@pytest.mark.parametrize(
    "line",
    [
        "openai.AuthenticationError: Error code: 401 - {'error': {'message': 'Incorrect'}}",
        "TokenError: the token expired at 10:04",
        "PasswordResetWarning: reset link sent",
    ],
)
def test_an_exceptions_message_is_not_a_secret_fields_value(line: str) -> None:
    # A traceback's last line names the class, then its message: "AuthenticationError" holds
    # "auth", but what follows is no field's value (w.log and the kernel's log were garbled).
    assert scrub(line) == line


def test_a_key_in_an_exceptions_message_is_still_masked() -> None:
    key = "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5"
    assert (
        scrub(f"AuthenticationError: bad key {key}") == f"AuthenticationError: bad key {REDACTED}"
    )
    assert scrub("auth_error: hunter2") == f"auth_error: {REDACTED}"
