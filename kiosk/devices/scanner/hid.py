"""HID ("keyboard wedge") scanners through evdev, grabbed exclusively.

A HID scanner types the code as key presses. Read through ``/dev/input/event*`` with
``EVIOCGRAB`` (:meth:`evdev.InputDevice.grab`), its keys reach only this reader: scanned
characters never arrive in the UI as keystrokes, whatever screen shows, and a keyboard
posing as a scanner cannot type into the kiosk through this path either.

:class:`KeyDecoder` turns key events into bytes (US layout, which is what scanners send
by default; Shift and Caps Lock handled; Enter is the terminator). A key with no
printable meaning becomes ``0x1A``, which makes the frame a ``bad_code``.
"""

from __future__ import annotations

import errno
import os
import select
from typing import TYPE_CHECKING

from kiosk.devices.scanner.errors import ScannerError, ScannerErrorKind

if TYPE_CHECKING:  # evdev is Linux-only and imported lazily; it ships its own types
    from evdev.events import InputEvent

UNKNOWN = 0x1A  # ASCII SUB: not printable, so the framer refuses the frame


def _keymap() -> dict[int, tuple[str, str]]:
    from evdev import ecodes as e  # lazy: evdev is Linux-only; only HID scanners need it

    pairs: dict[int, tuple[str, str]] = {}
    for ch in "abcdefghijklmnopqrstuvwxyz":
        pairs[getattr(e, f"KEY_{ch.upper()}")] = (ch, ch.upper())
    for digit, shifted in zip("1234567890", "!@#$%^&*()", strict=True):
        pairs[getattr(e, f"KEY_{digit}")] = (digit, shifted)
        pairs[getattr(e, f"KEY_KP{digit}")] = (digit, digit)
    for name, plain, shifted in (
            ("MINUS", "-", "_"), ("EQUAL", "=", "+"), ("LEFTBRACE", "[", "{"),
            ("RIGHTBRACE", "]", "}"), ("SEMICOLON", ";", ":"), ("APOSTROPHE", "'", '"'),
            ("GRAVE", "`", "~"), ("BACKSLASH", "\\", "|"), ("COMMA", ",", "<"),
            ("DOT", ".", ">"), ("SLASH", "/", "?"), ("SPACE", " ", " "),
            ("KPMINUS", "-", "-"), ("KPPLUS", "+", "+"), ("KPDOT", ".", "."),
            ("KPSLASH", "/", "/"), ("KPASTERISK", "*", "*")):
        pairs[getattr(e, f"KEY_{name}")] = (plain, shifted)
    return pairs



def _errname(exc: OSError) -> str | int | None:
    """``ENODEV`` and the like: the error's symbol (its number when it has none)."""
    return errno.errorcode.get(exc.errno or 0, exc.errno)

class KeyDecoder:
    """Key events (type, code, value) → bytes for the framer."""

    def __init__(self) -> None:
        from evdev import ecodes as e  # lazy: see _keymap

        self._e = e
        self._map = _keymap()
        self._shift = set[int]()
        self._caps = False

    def decode(self, event: InputEvent) -> bytes:
        """The bytes one event types (usually none or one)."""
        e = self._e
        if event.type != e.EV_KEY:
            return b""
        code, value = event.code, event.value
        if code in (e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT):
            if value == 0:
                self._shift.discard(code)
            else:
                self._shift.add(code)
            return b""
        if value != 1:  # key up, or auto-repeat (a scanner does not hold keys)
            return b""
        if code == e.KEY_CAPSLOCK:
            self._caps = not self._caps
            return b""
        if code in (e.KEY_ENTER, e.KEY_KPENTER):
            return b"\r"
        if code in (e.KEY_LEFTCTRL, e.KEY_RIGHTCTRL, e.KEY_LEFTALT, e.KEY_RIGHTALT):
            return b""
        pair = self._map.get(code)
        if pair is None:
            return bytes([UNKNOWN])
        plain, shifted = pair
        upper = bool(self._shift)
        if plain.isalpha() and self._caps:
            upper = not upper
        return (shifted if upper else plain).encode("ascii")


class HidSource:
    """One grabbed input device. ``read(timeout)`` returns the bytes typed so far."""

    kind = "hid"

    def __init__(self, path: str) -> None:
        from evdev import InputDevice  # lazy: see _keymap

        self.where = path
        try:
            self._dev = InputDevice(path)
        except OSError as exc:
            raise ScannerError(ScannerErrorKind.no_scanner,
                               f"cannot open {path} ({_errname(exc)})"
                               ) from None
        try:
            self._dev.grab()  # exclusive: no keystroke reaches X / the UI
        except OSError as exc:
            self._dev.close()
            raise ScannerError(ScannerErrorKind.busy,
                               f"cannot grab {path} ({_errname(exc)})"
                               ) from None
        self._decoder = KeyDecoder()
        self._wake_r, self._wake_w = os.pipe()

    def read(self, timeout: float) -> bytes:
        try:
            ready, _, _ = select.select([self._dev.fd, self._wake_r], [], [], timeout)
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
            if self._dev.fd not in ready:
                return b""
            out = bytearray()
            for event in self._dev.read():
                out += self._decoder.decode(event)
            return bytes(out)
        except BlockingIOError:
            return b""
        except OSError as exc:  # ENODEV: unplugged
            raise ScannerError(ScannerErrorKind.scanner_lost,
                               f"{self.where}: {_errname(exc)}"
                               ) from None

    def wake(self) -> None:
        os.write(self._wake_w, b"x")

    def close(self) -> None:
        for step in (self._dev.ungrab, self._dev.close):
            try:
                step()
            except OSError:
                pass  # already gone
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
