"""A card reset under the kiosk (SCARD_W_RESET_CARD), on the real pcscd with vpcd: the
session reconnects and says ``card_reset`` (as OpenSC does), the command is never sent
again behind the caller's back, the hub reports the read as failed with that kind, and
the journeys show it in plain words. Another PC/SC client holding the card shared does
the reset (kiosk/devices/virtual/resetting.py), as a vendor's tool would on a terminal."""

from __future__ import annotations

import pytest

from kiosk.devices.card_hub import CardHub
from kiosk.devices.pcsc.context import PcscContext
from kiosk.devices.pcsc.errors import CardError, CardErrorKind, error_for_code
from kiosk.devices.ssc import SELECT_DDF1, read_ssc
from kiosk.devices.virtual.resetting import OtherProgram, ResettingCard
from kiosk.devices.virtual.ssc_card import VirtualSscCard
from kiosk.i18n import translate
from kiosk.services.failures import FailureKind, failure_from_error
from tests.fixtures.pcsc import SSC_READER, EventRecorder

pytestmark = pytest.mark.pcsc

RESET_CARD = 0x80100068  # SCARD_W_RESET_CARD
SELECT_EF05 = bytes.fromhex("00A4000002EF05")


def kind(k: str, slot: str | None = None):
    return lambda ev: ev.kind == k and (slot is None or ev.slot == slot)


@pytest.fixture
def held(virtual_slots, wait_card_state):
    """A logging card in the SSC reader and another program holding it shared."""
    def insert(at: int | None = None) -> tuple[ResettingCard, OtherProgram]:
        card = ResettingCard(VirtualSscCard.from_persona("normal"), at=at)
        virtual_slots.slots["ssc"].insert(card)
        wait_card_state(SSC_READER, True)
        other = OtherProgram(SSC_READER)
        programs.append(other)
        return card, other

    programs: list[OtherProgram] = []
    yield insert
    for other in programs:
        other.close()


def test_the_pcsc_code_is_its_own_kind():
    err = error_for_code(RESET_CARD, "transmit")
    assert err.kind is CardErrorKind.card_reset and err.raw_code == RESET_CARD
    assert err.i18n_key == "cards.error.card_reset"


def test_a_reset_mid_session_reconnects_and_is_reported_not_replayed(held):
    card, other = held()
    ctx = PcscContext()
    session = ctx.connect(SSC_READER)  # shared: the other program has the card
    try:
        _, sw = session.transmit(SELECT_DDF1)
        assert sw == 0x9000 or sw >> 8 == 0x61
        other.reset_card()
        assert card.log[-1] == "reset"
        with pytest.raises(CardError) as err:
            session.transmit(SELECT_EF05)
        assert err.value.kind is CardErrorKind.card_reset
        assert err.value.raw_code == RESET_CARD
        # pcscd did not pass the command on, and the session did not send it again.
        assert card.after_last_reset() == []
        assert session.resets == 1
        # Reconnected: a fresh start on the same session reads the card whole.
        data = read_ssc(session.transmit)
        assert data.card_number == "X00000019"
        assert card.after_last_reset()[0] == SELECT_DDF1.hex()
    finally:
        session.close()
        ctx.release()


def test_a_reset_during_the_hubs_read_is_a_card_reset_failure(held, pcsc_settings,
                                                               virtual_slots):
    card, other = held(at=5)  # the read stops at its 5th APDU (of 15)
    rec = EventRecorder()
    hub = CardHub(pcsc_settings, rec)
    hub.start()  # the card is already in: the hub reads it, sharing it
    try:
        other.reset_during(card)
        failed = rec.wait_for(kind("card_failed", "ssc"))
        assert failed.error.kind is CardErrorKind.card_reset
        assert not [e for e in rec.events if e.kind == "card_read"]
        assert card.after_last_reset() == []  # nothing replayed after the reset
        # The journeys say it in plain words and offer to try again.
        failure = failure_from_error(failed.error, "12333")
        assert failure.kind is FailureKind.CARD_RESET and failure.retry
        for language in ("zh_CN", "en"):
            for key in (failure.title_key, failure.body_key, failure.advice_key):
                text = translate(key, language, **failure.params)
                assert text and not text.startswith("["), key
            assert "12333" in translate(failure.advice_key, language, **failure.params)
        # Taken out and put back: read as usual.
        m = rec.mark()
        other.close()
        card.at = None
        virtual_slots.remove("ssc")
        rec.wait_for(kind("card_removed", "ssc"), start=m)
        virtual_slots.insert("normal", "ssc")
        assert rec.wait_for(kind("card_read", "ssc"), start=m).data.card_number == "X00000019"
    finally:
        hub.stop()
