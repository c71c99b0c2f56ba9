"""tests/fixtures/polling.until: returns the first truthy answer; on timeout, says what."""

from __future__ import annotations

import time

import pytest

from tests.fixtures.polling import until


def test_returns_the_first_truthy_answer() -> None:
    answers = iter([None, [], 0, ["ready"], ["later"]])
    assert until(lambda: next(answers), 5, "an answer", interval=0.001) == ["ready"]


def test_a_timeout_names_what_it_waited_for() -> None:
    calls = []
    t0 = time.monotonic()
    with pytest.raises(AssertionError, match=r"timed out after 0.3 s waiting for the receipt"):
        until(lambda: calls.append(1), 0.3, "the receipt", interval=0.05)
    assert 0.3 <= time.monotonic() - t0 < 2
    assert len(calls) >= 2  # it kept asking until the deadline
