"""Resident ID card readers behind one interface, chosen by ``cards.id_reader``:

- ``"pcsc"``: a PC/SC reader exposing the text block (:mod:`.pcsc_profile`; the demo's
  virtual ID card in the second vpcd reader);
- ``"serial"``: the reader serial protocol over pyserial (:mod:`.serial_reader`);
- ``"sdk"``: the vendor library via ctypes (:mod:`.sdk_reader`);
- ``"none"``: no ID reader (identification by keypad only).

Every ``read()`` returns :class:`~kiosk.domain.models.IdCardData` or raises
:class:`~kiosk.devices.pcsc.errors.CardError` (``no_card``, ``no_reader``, ``comm_failed``,
``unsupported_card`` …).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from kiosk.config import Settings
from kiosk.devices.idcard.pcsc_profile import read_id_text
from kiosk.devices.idcard.sdk_reader import SdkIdReader
from kiosk.devices.idcard.serial_reader import SerialIdReader
from kiosk.devices.pcsc.context import PcscContext
from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.devices.slots import slot_for_reader
from kiosk.domain.models import IdCardData


class IdCardReader(Protocol):
    def read(self, today: dt.date | None = None) -> IdCardData:
        """Read the card on the reader now (raises CardError)."""

    def close(self) -> None:
        """Release the reader."""


class PcscIdReader:
    """On-demand read of the ID text card in the configured PC/SC reader."""

    def __init__(self, settings: Settings, wait_s: float = 0.0) -> None:
        self._settings = settings
        self._ctx = PcscContext()
        self._wait_s = wait_s

    def _reader(self) -> str:
        readers = self._ctx.list_readers()
        for name in readers:
            if slot_for_reader(self._settings, name) == "id":
                return name
        raise CardError(CardErrorKind.no_reader, "no ID card reader connected")

    def read(self, today: dt.date | None = None) -> IdCardData:
        reader = self._reader()
        if self._wait_s:
            self._ctx.wait_present(reader, self._wait_s)
        elif not self._ctx.reader_state(reader).present:
            raise CardError(CardErrorKind.no_card, "no ID card inserted")
        with self._ctx.connect(reader) as session:
            return read_id_text(session.transmit, today)

    def close(self) -> None:
        self._ctx.release()


def make_id_reader(settings: Settings) -> IdCardReader:
    """The adapter for ``settings.cards.id_reader`` (raises CardError no_reader)."""
    kind = settings.cards.id_reader
    if kind == "serial":
        return SerialIdReader(settings.cards.id_serial_port)
    if kind == "sdk":
        return SdkIdReader(settings.cards.id_sdk_library)
    if kind == "pcsc":
        return PcscIdReader(settings)
    raise CardError(CardErrorKind.no_reader, "no ID card reader configured (cards.id_reader)")


__all__ = ["IdCardReader", "PcscIdReader", "make_id_reader"]
