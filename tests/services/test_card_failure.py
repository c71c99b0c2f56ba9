"""A card that could not be read while a step waits for one (failures.card_failure)."""

from __future__ import annotations

from kiosk.services.failures import FailureKind, card_failure


class _Error(Exception):
    """A lower-layer error as the services see it: by its ``kind`` only."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def test_no_error_given_is_an_unreadable_card_worth_another_try():
    failure = card_failure(None, "96102")
    assert (failure.kind, failure.retry) == (FailureKind.CARD_UNREADABLE, True)
    assert failure.params["hotline"] == "96102"


def test_not_found_is_never_said_of_a_card_read():
    failure = card_failure(_Error("not_found"), "96102")
    assert (failure.kind, failure.retry) == (FailureKind.CARD_UNREADABLE, True)


def test_a_card_error_keeps_its_kind_and_is_always_retryable():
    # Elsewhere a card of the wrong kind is final; while waiting, presenting another is not.
    failure = card_failure(_Error("unsupported_card"), "96102")
    assert (failure.kind, failure.retry) == (FailureKind.WRONG_CARD, True)
