"""A persona's cards as the readers give them, without PC/SC: the virtual card's APDUs
answered in memory and read by the real profiles (:func:`kiosk.devices.ssc.read_ssc`,
:func:`kiosk.devices.idcard.pcsc_profile.read_id_text`). For the benches and for tests of
the layers above the readers, which need a card's data exactly as a reader reads it (the
chip's identification code, the ID card's validity and authority)."""

from __future__ import annotations

import datetime as dt

from kiosk.devices.apdu import Transmit
from kiosk.devices.idcard.pcsc_profile import read_id_text
from kiosk.devices.ssc import read_ssc
from kiosk.devices.virtual.id_card import VirtualIdCard
from kiosk.devices.virtual.ssc_card import VirtualSscCard
from kiosk.domain.models import IdCardData, SscCardData


def _transmit(card: VirtualIdCard | VirtualSscCard) -> Transmit:
    def transmit(apdu: bytes) -> tuple[bytes, int]:
        answer = card.process(apdu) or b"\x6F\x00"
        return answer[:-2], int.from_bytes(answer[-2:], "big")
    return transmit


def id_card_data(persona: str, today: dt.date | None = None) -> IdCardData:
    """``persona``'s resident ID card, read (``KeyError`` if the persona has none)."""
    return read_id_text(_transmit(VirtualIdCard.from_persona(persona)), today)


def ssc_card_data(persona: str, today: dt.date | None = None) -> SscCardData:
    """``persona``'s social security card, read (``KeyError`` if the persona has none)."""
    return read_ssc(_transmit(VirtualSscCard.from_persona(persona)), today)
