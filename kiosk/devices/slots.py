"""Which reader is which card slot, from the settings alone (no PC/SC here).

``cards.id_pcsc_reader`` / ``cards.ssc_reader`` are name substrings. With both empty, a
reader whose name ends ``00 01`` is the ID slot (the second vpcd reader) and every other
reader the SSC slot. The ID slot exists over PC/SC only when ``cards.id_reader = "pcsc"``.
Its own module so that the card hub and the ID readers can both use it without importing
each other.
"""

from __future__ import annotations

from kiosk.config import Settings

SLOTS = ("ssc", "id")


def slot_for_reader(settings: Settings, reader: str) -> str | None:
    """"ssc", "id" or None (a reader the kiosk does not use)."""
    cards = settings.cards
    if cards.id_reader == "pcsc":
        if cards.id_pcsc_reader:
            if cards.id_pcsc_reader in reader:
                return "id"
        elif reader.endswith("00 01") and not (cards.ssc_reader and cards.ssc_reader in reader):
            return "id"
    if not cards.ssc_reader or cards.ssc_reader in reader:
        return "ssc"
    return None


__all__ = ["SLOTS", "slot_for_reader"]
