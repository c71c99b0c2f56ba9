"""Technician cards: recognised by their ATR alone, never read.

A site may hand its technicians a card whose ATR is listed in
``diagnostics.technician_card_atrs``. The card hub reports such a card as
``technician_card`` instead of reading it (no APDU is sent), so it can never start a
cardholder journey nor be taken for a social security card; the UI opens the technician
PIN pad for it on the attract screen. An ATR is easy to copy, so the card only replaces
the hidden gesture: the PIN is still required.
"""

from __future__ import annotations

from collections.abc import Iterable

from kiosk.config import Settings


def normalise_atr(text: str) -> str:
    """Upper-case hex without separators ("3b 8f:80" → "3B8F80")."""
    return "".join(text.replace(":", " ").split()).upper()


class TechnicianCards:
    """The configured technician card ATRs; :meth:`matches` an ATR read from a reader."""

    def __init__(self, atrs: Iterable[str] = ()) -> None:
        self._atrs = frozenset(normalise_atr(a) for a in atrs if a.strip())

    @classmethod
    def from_settings(cls, settings: Settings) -> TechnicianCards:
        return cls(settings.diagnostics.technician_card_atrs)

    @property
    def enabled(self) -> bool:
        """False when none is configured (the default): no card is ever one."""
        return bool(self._atrs)

    def matches(self, atr: bytes | None) -> bool:
        """True when ``atr`` (raw bytes from PC/SC) is a configured technician card."""
        return atr is not None and bool(atr) and atr.hex().upper() in self._atrs
