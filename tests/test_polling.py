"""tests/fixtures/polling.until: returns the first truthy answer; on timeout, says what."""

from __future__ import annotations

import pytest

from tests.fixtures import polling
from tests.fixtures.polling import until


def test_returns_the_first_truthy_answer() -> None:
    answers = iter([None, [], 0, ["ready"], ["later"]])
    assert until(lambda: next(answers), 5, "an answer", interval=0.001) == ["ready"]


def test_a_timeout_names_what_it_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    # A clock that only the waits move: the test says how the waiting went, not how
    # long the machine took.
    now = [100.0]
    monkeypatch.setattr(polling.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(polling.time, "sleep", lambda s: now.__setitem__(0, now[0] + s))
    calls = []
    with pytest.raises(AssertionError, match=r"timed out after 1 s waiting for the receipt"):
        until(lambda: calls.append(now[0]), 1.0, "the receipt", interval=0.25)
    # It kept asking, one interval apart, until the deadline and not past it.
    assert calls == [100.0, 100.25, 100.5, 100.75]
    assert now[0] == 101.0
