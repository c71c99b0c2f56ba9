"""A virtual technician card: its own ATR and no application at all.

Every SELECT is answered "file not found" (``6A82``) and anything else "instruction not
supported" (``6D00``): like a plain staff badge, it carries nothing to read. The kiosk
recognises it by its ATR (``diagnostics.technician_card_atrs``) and never sends it an
APDU; :attr:`apdus` lets tests prove that.
"""

from __future__ import annotations

from collections.abc import Mapping

from kiosk.personas import persona as load_persona

TECHNICIAN_ATR = bytes.fromhex("3B8880014B494F534B544543")  # fictional ("KIOSKTEC")


class VirtualTechnicianCard:
    """A card with only an ATR (from the persona's ``technician_card`` table)."""

    def __init__(self, atr: bytes = TECHNICIAN_ATR) -> None:
        self.atr = atr
        self.apdus = 0

    @classmethod
    def from_persona(cls, key: str) -> VirtualTechnicianCard:
        table = load_persona(key).get("technician_card")
        if not isinstance(table, Mapping):
            raise KeyError(f"persona {key!r} has no technician card")
        return cls(bytes.fromhex(str(table.get("atr", TECHNICIAN_ATR.hex()))))

    def reset(self) -> None:
        """Nothing to reset: there is no state."""

    def process(self, apdu: bytes) -> bytes | None:
        self.apdus += 1
        if len(apdu) < 4:
            return b"\x67\x00"
        if apdu[1] == 0xA4:
            return b"\x6A\x82"
        return b"\x6D\x00"
