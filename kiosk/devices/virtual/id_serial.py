"""A virtual ID card reader on a pseudo-terminal, speaking the serial frame protocol of
:mod:`kiosk.devices.idcard.serial_reader`. Point ``cards.id_serial_port`` (or
``SerialIdReader``) at :attr:`VirtualSerialIdReader.port`.

Like a real reader it answers "no card" until a card is presented, and after a
successful read it wants the card lifted and presented again.
"""

from __future__ import annotations

import os
import select
import threading
import tty
from collections.abc import Mapping

from kiosk.devices.idcard.serial_reader import (
    PREAMBLE,
    ST_FOUND,
    ST_NO_CARD,
    ST_OK,
    ST_SELECT_FAILED,
    frame,
)
from kiosk.devices.idcard.text import build_text_block
from kiosk.personas import persona as load_persona

PHOTO_LEN = 1024


class VirtualSerialIdReader:
    """Serves the protocol on the master side of a pty until :meth:`close`."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._card: bytes | None = None
        self._selected = False
        self._read_done = False
        self._lock = threading.Lock()
        self._stop_r, self._stop_w = os.pipe()
        self.corrupt_next = False  # tests: damage the checksum of the next answer
        self.polls = 0  # "is a card there?" questions answered: tests wait on the reader
        self._thread = threading.Thread(target=self._run, name="virtual-id-serial",
                                        daemon=True)
        self._thread.start()

    def present(self, person: Mapping[str, object] | str) -> None:
        """Lay a card on the reader (a persona key or its ``id`` table)."""
        table = load_persona(person)["id"] if isinstance(person, str) else person
        with self._lock:
            self._card = build_text_block(table)
            self._selected = self._read_done = False

    def lift(self) -> None:
        with self._lock:
            self._card = None
            self._selected = self._read_done = False

    def _answer(self, cmd: int, para: int) -> bytes:
        with self._lock:
            card = None if self._read_done else self._card
            if (cmd, para) == (0x20, 0x01):
                self.polls += 1
                return frame(b"\x00\x00" + bytes([ST_FOUND]) + b"\x00" * 4) if card \
                    else frame(b"\x00\x00" + bytes([ST_NO_CARD]))
            if (cmd, para) == (0x20, 0x02):
                if not card:
                    return frame(b"\x00\x00" + bytes([ST_SELECT_FAILED]))
                self._selected = True
                return frame(b"\x00\x00" + bytes([ST_OK]) + b"\x00" * 8)
            if (cmd, para) == (0x30, 0x01):
                if not card or not self._selected:
                    return frame(b"\x00\x00\x41")
                self._read_done = True
                photo = b"\x00" * PHOTO_LEN
                return frame(b"\x00\x00" + bytes([ST_OK]) + len(card).to_bytes(2, "big")
                             + PHOTO_LEN.to_bytes(2, "big") + card + photo)
        return frame(b"\x00\x00\x21")  # unknown command

    def _run(self) -> None:
        buf = b""
        while True:
            ready, _, _ = select.select([self._master, self._stop_r], [], [])
            if self._stop_r in ready:
                return
            try:
                buf += os.read(self._master, 4096)
            except OSError:
                return
            while len(buf) >= 10:
                start = buf.find(PREAMBLE)
                if start < 0:
                    buf = b""
                    break
                buf = buf[start:]
                if len(buf) < 10:
                    break
                cmd, para = buf[7], buf[8]
                buf = buf[10:]
                answer = self._answer(cmd, para)
                if self.corrupt_next:
                    self.corrupt_next = False
                    answer = answer[:-1] + bytes([answer[-1] ^ 0xFF])
                os.write(self._master, answer)

    def close(self) -> None:
        os.write(self._stop_w, b"x")
        self._thread.join(2)
        for fd in (self._master, self._slave, self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass
