"""A virtual resident-ID "text card" for the second vpcd reader (the PC/SC ID profile of
:mod:`kiosk.devices.idcard.pcsc_profile`), built from a persona's ``id`` table."""

from __future__ import annotations

from collections.abc import Mapping

from kiosk.devices.idcard.pcsc_profile import ID_TEXT_AID
from kiosk.devices.idcard.text import build_text_block
from kiosk.personas import persona as load_persona

ID_ATR = bytes.fromhex("3B8880014B494F534B494430")  # fictional ("KIOSKID0")


class VirtualIdCard:
    """Answers SELECT of the ID text AID and READ BINARY of the 256-byte block."""

    def __init__(self, person: Mapping[str, object]) -> None:
        self.block = build_text_block(person)
        self.atr = ID_ATR
        self.apdus = 0
        self._selected = False

    @classmethod
    def from_persona(cls, key: str) -> VirtualIdCard:
        table = load_persona(key).get("id")
        if not isinstance(table, Mapping):
            raise KeyError(f"persona {key!r} has no ID card")
        return cls(table)

    def reset(self) -> None:
        self._selected = False

    def process(self, apdu: bytes) -> bytes | None:
        self.apdus += 1
        if len(apdu) < 4:
            return b"\x67\x00"
        ins, p1 = apdu[1], apdu[2]
        if ins == 0xA4 and p1 == 0x04:
            self._selected = apdu[5:5 + apdu[4]] == ID_TEXT_AID
            return b"\x90\x00" if self._selected else b"\x6A\x82"
        if ins == 0xB0:
            if not self._selected:
                return b"\x69\x86"
            offset = (apdu[2] << 8) | apdu[3]
            le = apdu[4] if len(apdu) >= 5 else 0
            le = le or 256
            return self.block[offset:offset + le] + b"\x90\x00"
        return b"\x6D\x00"
