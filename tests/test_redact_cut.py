"""scrub_cut on a text too long to scrub whole: only its kept ends are scrubbed, and the result
is what scrubbing the whole text and then cutting it would give."""

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
