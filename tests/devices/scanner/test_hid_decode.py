"""The HID scanner's key decoding with real ``evdev.InputEvent`` objects.

There is no ``/dev/uinput`` (nor ``/dev/input``) on the build machine, so a virtual
keyboard cannot be made here; the grab path runs against a real device only
(``test_uinput_keyboard_is_grabbed``, skipped without ``/dev/uinput``)."""

from __future__ import annotations

import os
import queue

import pytest
from evdev import InputEvent, ecodes

from kiosk.devices.scanner import ScanEventKind, ScannerWatcher, open_source
from kiosk.devices.scanner.framing import CodeFramer
from kiosk.devices.scanner.hid import UNKNOWN, KeyDecoder
from tests.fixtures.polling import until

SHIFTED = set('~!@#$%^&*()_+{}|:"<>?ABCDEFGHIJKLMNOPQRSTUVWXYZ')
NAMES = {"-": "MINUS", "=": "EQUAL", "[": "LEFTBRACE", "]": "RIGHTBRACE", ";": "SEMICOLON",
         "'": "APOSTROPHE", "`": "GRAVE", "\\": "BACKSLASH", ",": "COMMA", ".": "DOT",
         "/": "SLASH", " ": "SPACE"}
UNSHIFT = dict(zip('~!@#$%^&*()_+{}|:"<>?', "`1234567890-=[]\\;',./", strict=True))


def key(code: int, value: int) -> InputEvent:
    return InputEvent(1_700_000_000, 0, ecodes.EV_KEY, code, value)


def typed(text: str) -> list[InputEvent]:
    """The events a US-layout scanner sends for ``text`` then Enter (with SYN reports)."""
    out = []
    for ch in text:
        base = UNSHIFT.get(ch, ch.lower())
        code = getattr(ecodes, f"KEY_{NAMES.get(base, base.upper())}")
        if ch in SHIFTED:
            out.append(key(ecodes.KEY_LEFTSHIFT, 1))
        out += [key(code, 1), InputEvent(0, 0, ecodes.EV_SYN, 0, 0), key(code, 0)]
        if ch in SHIFTED:
            out.append(key(ecodes.KEY_LEFTSHIFT, 0))
    return out + [key(ecodes.KEY_ENTER, 1), key(ecodes.KEY_ENTER, 0)]


def decode(events) -> bytes:
    d = KeyDecoder()
    return b"".join(d.decode(e) for e in events)


def test_every_printable_character_round_trips():
    text = "".join(chr(c) for c in range(0x20, 0x7F))
    assert decode(typed(text)) == text.encode() + b"\r"


def test_a_code_through_the_framer():
    code = "essc1.Ab-_9xYZ0123456789qwerty"
    items = CodeFramer().feed(decode(typed(code)), 0.0)
    assert [c.text for c in items] == [code]


def test_caps_lock_repeat_and_unknown_keys():
    caps = [key(ecodes.KEY_CAPSLOCK, 1), key(ecodes.KEY_CAPSLOCK, 0)]
    events = caps + [key(ecodes.KEY_A, 1), key(ecodes.KEY_A, 2), key(ecodes.KEY_A, 0)]
    events += [key(ecodes.KEY_LEFTSHIFT, 1), key(ecodes.KEY_B, 1), key(ecodes.KEY_LEFTSHIFT, 0)]
    events += [key(ecodes.KEY_F5, 1), key(ecodes.KEY_KP7, 1), key(ecodes.KEY_KPENTER, 1)]
    assert decode(events) == b"Ab" + bytes([UNKNOWN]) + b"7\r"
    framed = CodeFramer().feed(b"essc1.abc" + bytes([UNKNOWN]) + b"defgh\r", 0)
    assert framed[0].kind == "bad_code"  # an unknown key spoils the frame


@pytest.mark.skipif(not os.path.exists("/dev/uinput"), reason="no /dev/uinput here")
def test_uinput_keyboard_is_grabbed():
    from evdev import UInput

    with UInput({ecodes.EV_KEY: list(range(1, 120))}, name="kiosk-test-scanner") as ui:
        until(lambda: os.access(ui.device.path, os.R_OK | os.W_OK), 5, "the device node")
        events: queue.Queue = queue.Queue()
        w = ScannerWatcher(lambda: open_source("hid", ui.device.path), events.put,
                           kind="hid", where=ui.device.path)
        w.start()
        try:
            assert events.get(timeout=5).kind is ScanEventKind.SCANNER_READY
            for ev in typed("essc1.uinput-code-123"):
                ui.write_event(ev)
                ui.syn()
            got = events.get(timeout=5)
            assert got.code.text == "essc1.uinput-code-123"
        finally:
            w.stop()
