"""ID card reader serial protocol (USB serial, e.g. /dev/ttyUSB0) over pyserial.

Frames both ways: ``AA AA AA 96 69`` preamble, 2-byte big-endian length ``n``, then
``n`` bytes whose last is the XOR of the length bytes and everything after them.
Commands (``len = 00 03``, then command, parameter, checksum)::

    find card    AA AA AA 96 69 00 03 20 01 22   → status 00 00 9F (found)
    select card  AA AA AA 96 69 00 03 20 02 21   → status 00 00 90
    read text    AA AA AA 96 69 00 03 30 01 32   → status 00 00 90 + 2-byte text length
                 (0x0100) + 2-byte photo length (0x0400) + 256 text + 1024 photo;
                 1295 bytes in all with preamble, length and checksum
    no card      AA AA AA 96 69 00 04 00 00 80 84

The card must be lifted and presented again before it can be read again.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from kiosk.devices.idcard.text import parse_text_block
from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.domain.models import IdCardData

PREAMBLE = bytes.fromhex("AAAAAA9669")
FIND = bytes.fromhex("AAAAAA96690003200122")
SELECT = bytes.fromhex("AAAAAA96690003200221")
READ = bytes.fromhex("AAAAAA96690003300132")
ST_FOUND, ST_OK = 0x9F, 0x90
ST_NO_CARD, ST_SELECT_FAILED = 0x80, 0x81
READ_ANSWER_LEN = 1295


def checksum(body: bytes) -> int:
    """XOR of every byte (length bytes included)."""
    out = 0
    for b in body:
        out ^= b
    return out


def frame(payload: bytes) -> bytes:
    """A frame around ``payload`` (status or command bytes, without checksum)."""
    length = (len(payload) + 1).to_bytes(2, "big")
    return PREAMBLE + length + payload + bytes([checksum(length + payload)])


def parse_frame(raw: bytes) -> bytes:
    """The payload (without checksum) of a whole frame; raises comm_failed if damaged."""
    if len(raw) < 8 or raw[:5] != PREAMBLE:
        raise CardError(CardErrorKind.comm_failed, "ID reader: bad frame start")
    n = int.from_bytes(raw[5:7], "big")
    if len(raw) != 7 + n:
        raise CardError(CardErrorKind.comm_failed, "ID reader: bad frame length")
    if checksum(raw[5:-1]) != raw[-1]:
        raise CardError(CardErrorKind.comm_failed, "ID reader: checksum mismatch")
    return raw[7:-1]


class SerialPort(Protocol):
    """What the reader needs of its port (``serial.Serial``, a pty, a fuzzer's bytes)."""

    def reset_input_buffer(self) -> None: ...
    def write(self, data: bytes, /) -> object: ...
    def read(self, size: int, /) -> bytes: ...
    def close(self) -> None: ...


class SerialIdReader:
    """:class:`~kiosk.devices.idcard.IdCardReader` over the serial protocol."""

    def __init__(self, port: str, baudrate: int = 115200, timeout: float = 1.5) -> None:
        try:
            import serial  # lazy: pyserial, optional: other adapters do not need it
        except ImportError as exc:  # pragma: no cover - it is a dependency
            raise CardError(CardErrorKind.no_reader, "pyserial is not installed") from exc
        self._serial_mod = serial
        self.port = port
        try:
            self._ser: SerialPort = serial.Serial(port, baudrate=baudrate, timeout=timeout,
                                      write_timeout=timeout)
        except (serial.SerialException, OSError) as exc:
            raise CardError(CardErrorKind.no_reader,
                            f"ID reader serial port {port} cannot be opened") from exc

    @classmethod
    def on_port(cls, port: SerialPort, name: str = "port") -> SerialIdReader:
        """A reader over an already open port object (``read``, ``write``,
        ``reset_input_buffer``, ``close``, like ``serial.Serial``): a pty, or the
        fuzzers' byte stream."""
        import serial  # lazy: for its exception type, as in __init__

        reader = cls.__new__(cls)
        reader._serial_mod, reader.port, reader._ser = serial, name, port
        return reader

    def _exchange(self, command: bytes) -> bytes:
        try:
            self._ser.reset_input_buffer()
            self._ser.write(command)
            head = self._ser.read(7)
            if len(head) < 7:
                raise CardError(CardErrorKind.comm_failed, "ID reader does not answer")
            n = int.from_bytes(head[5:7], "big")
            rest = self._ser.read(n)
        except self._serial_mod.SerialException as exc:
            raise CardError(CardErrorKind.no_reader, "ID reader disconnected") from exc
        if len(rest) < n:
            raise CardError(CardErrorKind.comm_failed, "ID reader answer cut short")
        payload = parse_frame(head + rest)
        if len(payload) < 3:
            raise CardError(CardErrorKind.comm_failed, "ID reader: short answer")
        return payload

    def read(self, today: dt.date | None = None) -> IdCardData:
        """Find, select and read the card on the reader. Raises :class:`CardError`."""
        status = self._exchange(FIND)[2]
        if status != ST_FOUND:
            raise CardError(CardErrorKind.no_card, "no ID card on the reader", raw_code=status)
        status = self._exchange(SELECT)[2]
        if status != ST_OK:
            raise CardError(CardErrorKind.no_card, "ID card not selectable (present it again)",
                            raw_code=status)
        payload = self._exchange(READ)
        if payload[2] != ST_OK:
            raise CardError(CardErrorKind.comm_failed, "ID card read failed",
                            raw_code=payload[2])
        text_len = int.from_bytes(payload[3:5], "big")
        photo_len = int.from_bytes(payload[5:7], "big")
        if len(payload) != 7 + text_len + photo_len:
            raise CardError(CardErrorKind.comm_failed, "ID reader: lengths disagree")
        text = payload[7:7 + text_len]
        photo = payload[7 + text_len:]
        return parse_text_block(text, photo=photo, today=today)

    def close(self) -> None:
        try:
            self._ser.close()
        except Exception:  # noqa: BLE001 - closing a vanished port
            pass
