"""The one failure map, pinned whole: each lower-layer kind to the screen it shows, which
screens offer to try again or the keypad, and the keys each screen reads its words from.
Written out here, not derived from the tables, so a changed entry fails a test."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.central import errors as ce
from kiosk.devices.pcsc.errors import CardError
from kiosk.services.failures import (
    FAILURE_KINDS,
    KNOWN_REFUSALS,
    OTHER_WAYS,
    RETRYABLE,
    Failure,
    FailureKind,
    card_failure,
    error_kind,
    failure_from_error,
)
from kiosk.storage import StorageError

F = FailureKind

CARD = {"service_down": F.READER_SERVICE, "no_reader": F.NO_READER, "no_card": F.NO_CARD,
        "card_removed": F.CARD_PULLED, "card_reset": F.CARD_RESET,
        "comm_failed": F.CARD_UNREADABLE, "unsupported_card": F.WRONG_CARD,
        "not_ssc": F.NOT_SSC, "pin_blocked": F.PIN_BLOCKED, "pin_wrong": F.CARD_UNREADABLE}
CENTRAL = {"offline": F.OFFLINE, "timeout": F.TIMEOUT, "refused": F.REFUSED,
           "not_found": F.PERSON_NOT_FOUND, "server_error": F.SERVER_ERROR,
           "bad_response": F.BAD_RESPONSE, "unauthenticated": F.UNAUTHENTICATED,
           "error": F.SERVER_ERROR}
OUTBOX = {"full": F.OFFLINE, "read_only": F.OFFLINE, "unavailable": F.OFFLINE,
          "corrupt": F.OFFLINE}


class Kinded(Exception):
    """Any error with a ``kind`` (fakes map as the real ones do)."""

    def __init__(self, kind: object, **extra: object) -> None:
        super().__init__(str(kind))
        self.kind = kind
        self.__dict__.update(extra)


@pytest.mark.parametrize("kind,expected", [*CARD.items(), *CENTRAL.items(), *OUTBOX.items()])
def test_each_kind_shows_its_screen(kind, expected):
    assert error_kind(Kinded(kind)) is expected


def test_real_errors_map_by_their_kind():
    assert error_kind(CardError("card_reset")) is F.CARD_RESET
    assert error_kind(ce.CentralOffline("down")) is F.OFFLINE
    assert error_kind(ce.OutboxError("full", "disk")) is F.OFFLINE
    assert error_kind(StorageError("data directory", "/var/lib/kiosk", "read-only")) is F.INTERNAL


@pytest.mark.parametrize("exc", [ValueError("x"), Kinded(3), Kinded(None), Kinded("nope")])
def test_anything_else_is_internal(exc):
    assert error_kind(exc) is F.INTERNAL


def test_the_screens_that_offer_to_try_again():
    assert RETRYABLE == {F.CARD_UNREADABLE, F.CARD_PULLED, F.CARD_RESET, F.OFFLINE, F.TIMEOUT,
                         F.SERVER_ERROR, F.BAD_RESPONSE, F.NO_CARD, F.READER_SERVICE,
                         F.NO_READER, F.CARD_WAIT, F.INTERNAL, F.NOT_SAVED}
    for kind in (*CARD, *CENTRAL, *OUTBOX):
        failure = failure_from_error(Kinded(kind), "12333")
        assert failure.retry is (failure.kind in RETRYABLE), kind
        assert failure.params["hotline"] == "12333"


def test_the_waits_that_name_the_other_ways_in():
    assert OTHER_WAYS == {F.NO_READER, F.READER_SERVICE, F.CARD_WAIT}
    for kind in FailureKind:
        with_keypad = Failure(kind, {"keypad": True})
        without = Failure(kind, {"keypad": False})
        assert with_keypad.offers_keypad is (kind in OTHER_WAYS)
        assert without.offers_keypad is False
        assert without.advice_key == (f"journeys.failure.{kind.value}.advice_no_keypad"
                                      if kind in OTHER_WAYS
                                      else f"journeys.failure.{kind.value}.advice")
        assert with_keypad.advice_key == f"journeys.failure.{kind.value}.advice"
        assert Failure(kind).title_key == f"journeys.failure.{kind.value}.title"


def test_the_words_of_a_refusal_name_the_services_reason():
    known = failure_from_error(Kinded("refused", code="already_pre_lost"), "1")
    assert known.params == {"hotline": "1", "code": "already_pre_lost"}
    assert known.body_key == "journeys.refused.already_pre_lost"
    assert failure_from_error(Kinded("refused", code="martian"), "1").body_key == \
        "journeys.refused.other"
    assert failure_from_error(Kinded("refused", code=None), "1").params["code"] == "other"
    assert failure_from_error(Kinded("refused"), "1").params["code"] == "other"
    assert Failure(F.REFUSED).body_key == "journeys.refused.other"
    assert Failure(F.OFFLINE, {"code": "x"}).body_key == "journeys.failure.offline.body"
    assert "code" not in failure_from_error(Kinded("offline", code="x"), "1").params
    assert KNOWN_REFUSALS == {
        "replacement_exists", "already_pre_lost", "already_lost", "already_cancelled",
        "not_active", "not_pre_lost", "not_allowed", "code_wrong", "code_expired",
        "too_many_attempts", "identity_mismatch", "duplicate", "deceased", "code_blocked",
        "no_replacement"}


def test_no_tries_left_is_a_blocked_pin():
    assert failure_from_error(Kinded("pin_wrong", tries_left=0), "1").kind is F.PIN_BLOCKED
    assert failure_from_error(Kinded("pin_wrong", tries_left=1), "1").kind is \
        F.CARD_UNREADABLE
    assert failure_from_error(Kinded("pin_wrong"), "1").kind is F.CARD_UNREADABLE
    assert failure_from_error(Kinded("comm_failed", tries_left=0), "1").kind is \
        F.CARD_UNREADABLE


def test_someone_not_found_on_a_card_read_is_told_so_without_typing():
    read = Failure(F.PERSON_NOT_FOUND, {"read_from_card": True})
    typed = Failure(F.PERSON_NOT_FOUND)
    assert read.advice_key == "journeys.failure.person_not_found.advice_card"
    assert typed.advice_key == "journeys.failure.person_not_found.advice"
    assert Failure(F.OFFLINE, {"read_from_card": True}).advice_key == \
        "journeys.failure.offline.advice"


def test_a_card_that_failed_while_waiting_is_always_worth_presenting_again():
    assert card_failure(None, "9") == Failure(F.CARD_UNREADABLE, {"hotline": "9"}, True)
    assert card_failure(Kinded("not_found"), "9") == Failure(F.CARD_UNREADABLE,
                                                            {"hotline": "9"}, True)
    pulled = card_failure(Kinded("card_removed"), "9")
    assert (pulled.kind, pulled.retry) == (F.CARD_PULLED, True)
    wrong = card_failure(Kinded("unsupported_card"), "9")
    assert (wrong.kind, wrong.retry) == (F.WRONG_CARD, True)


def test_a_failure_is_a_value():
    failure = Failure("offline")  # text is parsed into the kind
    assert failure.kind is F.OFFLINE and failure.params == {} and failure.retry is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        failure.retry = True  # type: ignore[misc]
    with pytest.raises(ValueError):
        Failure("martian")
    assert FAILURE_KINDS == tuple(FailureKind)


def test_the_kinds_are_the_catalogs_words():
    # Each value names its words: journeys.failure.<value>.title/body/advice.
    assert {k.value for k in FailureKind} == {
        "card_unreadable", "wrong_card", "not_ssc", "id_expired", "card_pulled",
        "card_reset", "no_reader", "card_wait", "reader_service", "pin_blocked",
        "person_not_found", "offline", "timeout", "refused", "server_error",
        "bad_response", "id_mismatch", "not_pre_lost", "no_card", "internal",
        "unauthenticated", "not_saved", "terminal_revoked"}
