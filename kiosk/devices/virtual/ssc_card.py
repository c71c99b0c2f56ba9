"""A virtual social security card built from a persona's ``ssc`` table.

It implements the file system the SSC profile reads (DDF1 by AID, EF05, EF06, records by
tag), answers ``SELECT`` DDF1 with ``61xx`` like many real cards, answers a wrong Le with
``6Cxx``, and keeps PIN tries like a real card (a wrong PIN costs a try, ``63C0`` on the
last one, ``6983`` once blocked, a right PIN restores the tries). Like a real card it
holds the PIN-verified state until it is reset (``verified``; ``resets`` counts power-ons
and resets, so tests can see a reader reset it). Behaviours:

- ``normal``: as above;
- ``garbage``: selects work, records come back as noise with ``9000``;
- ``pulled_mid_read``: the card is pulled out when EF06 is selected (vpcd sees it go);
- ``unsupported``: another kind of card: no DDF1 (``6A82``), a different ATR.

And three legal ISO 7816-4 answers of another card operating system (as vsmartcard's
``vicc`` file system gives them):

- ``short_records``: values are stored unpadded; a READ RECORD asking more than the
  record holds gets the record and ``6282`` ("end of record reached before Ne bytes");
- ``pin_no_counter``: a wrong PIN is ``6300`` ("verification failed"), no tries count;
- ``transparent_files``: EF05/EF06 are transparent files: READ RECORD is ``6981``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from kiosk.devices.ssc import EF05_RECORDS, SSC_AID
from kiosk.personas import card_chip_id
from kiosk.personas import persona as load_persona

SSC_ATR = bytes.fromhex("3B6D00000081867C0E2D53534300900000")  # fictional, T=0 style
FOREIGN_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
DEFAULT_HOLDER = {"name": "测试持卡人", "gender": "1", "ethnicity": "01",
                  "birth_date": "19800101", "id_number": "110105198001010018"}
MAX_TRIES = 3
TEXT_TAGS = frozenset({0x07, 0x08, 0x09, 0x4E})  # card number, SSN, name, name extension


def _bcd(digits: str, length: int) -> bytes:
    digits = digits + "F" * (2 * length - len(digits))
    return bytes.fromhex(digits[: 2 * length])


def _text(value: str, length: int, encoding: str = "ascii") -> bytes:
    raw = value.encode(encoding)[:length]
    return raw + b"\x00" * (length - len(raw))


def ssc_records(ssc: Mapping[str, object],
                holder: Mapping[str, object]) -> dict[bytes, dict[int, bytes]]:
    """EF05/EF06 record values (without tag/length) for a persona (its TOML tables:
    every field used here is a string there)."""
    card_number, id_number = str(ssc["card_number"]), str(holder["id_number"])
    region = id_number[:6]
    ef05 = {
        0x01: bytes.fromhex(card_chip_id(card_number, region)),
        0x02: b"1", 0x03: b"3.00",
        0x04: _bcd(region + "000000", 12),
        0x05: _bcd(str(ssc["issue_date"]), 4), 0x06: _bcd(str(ssc["expiry_date"]), 4),
        0x07: _text(card_number, 9),
    }
    ef06 = {
        0x08: _text(id_number, 18),
        0x09: _text(str(holder["name"]), 30, "gb18030"),
        0x4E: _text("", 20),
        0x0A: str(holder["gender"]).encode()[:1],
        0x0B: _bcd(str(holder.get("ethnicity", "01")), 1),
        0x0C: _bcd(region, 3),
        0x0D: _bcd(str(holder["birth_date"]), 4),
    }
    assert set(EF05_RECORDS) <= set(ef05)  # noqa: S101 - build-time consistency
    return {b"\xEF\x05": ef05, b"\xEF\x06": ef06}


class VirtualSscCard:
    """A social security card in memory; plug it into a :class:`VpcdSlot`."""

    def __init__(self, ssc: Mapping[str, object],
                 holder: Mapping[str, object] | None = None) -> None:
        self.behaviour = str(ssc.get("behaviour", "normal"))
        self.pin = str(ssc.get("pin", "123456"))
        self.tries = int(str(ssc.get("pin_tries", MAX_TRIES)))
        self.files = ssc_records(ssc, holder or DEFAULT_HOLDER)
        self.atr = FOREIGN_ATR if self.behaviour == "unsupported" else SSC_ATR
        self.apdus = 0  # counted for tests and the bench
        self._df = "MF"
        self._ef: bytes | None = None
        self._pending = b""
        self.verified = False
        self.resets = 0

    @classmethod
    def from_persona(cls, key: str) -> VirtualSscCard:
        p = load_persona(key)
        ssc, holder = p.get("ssc"), p.get("id")
        if not isinstance(ssc, Mapping):
            raise KeyError(f"persona {key!r} has no social security card")
        return cls(ssc, holder if isinstance(holder, Mapping) else None)

    def reset(self) -> None:
        self._df, self._ef, self._pending = "MF", None, b""
        self.verified = False  # security state does not survive a reset
        self.resets += 1

    def process(self, apdu: bytes) -> bytes | None:
        self.apdus += 1
        if len(apdu) < 4:
            return b"\x67\x00"
        cla, ins, p1, p2 = apdu[:4]
        body = apdu[5:5 + apdu[4]] if len(apdu) > 5 else b""
        le = apdu[4] if len(apdu) == 5 else None
        if cla not in (0x00, 0x80):
            return b"\x6E\x00"
        if ins == 0xA4:
            return self._select(p1, body)
        if ins == 0xC0:
            out, self._pending = self._pending, b""
            return out + b"\x90\x00" if out else b"\x6F\x00"
        if ins == 0xB2:
            return self._read_record(p1, p2, le)
        if ins == 0x20:
            return self._verify(body)
        return b"\x6D\x00"

    def _select(self, p1: int, body: bytes) -> bytes | None:
        if p1 == 0x04:
            if self.behaviour == "unsupported" or body != SSC_AID:
                return b"\x6A\x82"
            self._df, self._ef = "DDF1", None
            self._pending = bytes.fromhex("6F138410") + SSC_AID + b"\xA5\x02\x88\x00"
            return bytes([0x61, len(self._pending)])
        if p1 in (0x00, 0x02) and len(body) == 2:
            if self._df != "DDF1" or body not in self.files:
                return b"\x6A\x82"
            if self.behaviour == "pulled_mid_read" and body == b"\xEF\x06":
                return None  # the holder pulls the card out right now
            self._ef = body
            return b"\x90\x00"
        return b"\x6A\x86"

    def _read_record(self, tag: int, p2: int, le: int | None) -> bytes:
        if self._ef is None:
            return b"\x69\x86"  # no current EF
        if self.behaviour == "transparent_files":
            return b"\x69\x81"  # command incompatible with file structure
        if self.behaviour == "garbage":
            noise = hashlib.sha256(bytes([tag, self.apdus & 0xFF])).digest()
            return noise[: (le or 16)] + b"\x90\x00"
        value = self.files[self._ef].get(tag)
        if value is None or p2 != 0x00:
            return b"\x6A\x83"
        if self.behaviour == "short_records" and tag in TEXT_TAGS:
            value = value.rstrip(b"\x00 ") or value[:1]  # text as long as it is
        record = bytes([tag, len(value)]) + value
        if self.behaviour == "short_records" and le is not None and le > len(record):
            return record + b"\x62\x82"  # all of it, and less than was asked
        if le is None or le != len(record):
            return bytes([0x6C, len(record)])
        return record + b"\x90\x00"

    def _verify(self, body: bytes) -> bytes:
        if self.tries <= 0:
            return b"\x69\x83"
        if body.hex() == self.pin:
            self.tries = MAX_TRIES
            self.verified = True
            return b"\x90\x00"
        self.verified = False
        self.tries -= 1
        if self.behaviour == "pin_no_counter":
            return b"\x69\x83" if self.tries <= 0 else b"\x63\x00"
        return bytes([0x63, 0xC0 | self.tries])
