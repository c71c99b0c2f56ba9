"""The framer alone: bounds, terminators, the gap, debounce; fuzzed with hypothesis."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.devices.scanner.errors import ScannerError, ScannerErrorKind
from kiosk.devices.scanner.framing import MAX_CHARS, MIN_CHARS, CodeFramer, ScannedCode


def test_bounds():
    f = CodeFramer(debounce=0)
    assert isinstance(f.feed(b"A" * MIN_CHARS + b"\r", 0)[0], ScannedCode)
    short = f.feed(b"A" * (MIN_CHARS - 1) + b"\r", 1)[0]
    assert isinstance(short, ScannerError) and short.kind is ScannerErrorKind.bad_code
    assert isinstance(f.feed(b"B" * MAX_CHARS + b"\n", 2)[0], ScannedCode)
    assert isinstance(f.feed(b"B" * (MAX_CHARS + 1) + b"\n", 3)[0], ScannerError)
    assert f.feed(b"\r\n\r\n", 4) == []  # empty frames are nothing


def test_gap_ends_a_frame_and_deadline_says_when():
    f = CodeFramer(gap=0.1)
    assert f.feed(b"essc1.abcdefgh", 10.0) == [] and f.deadline() == 10.1
    assert f.tick(10.05) == []
    assert [c.text for c in f.tick(10.1)] == ["essc1.abcdefgh"]
    assert f.deadline() is None


def test_reset_drops_half_a_code():
    f = CodeFramer()
    f.feed(b"essc1.abc", 0)
    f.reset()
    assert [c.text for c in f.feed(b"essc1.xyz123\r", 1)] == ["essc1.xyz123"]


def test_debounce_keeps_only_a_hash():
    f = CodeFramer(debounce=2.0)
    assert len(f.feed(b"essc1.same-code\r", 0)) == 1
    assert f.feed(b"essc1.same-code\r", 1.0) == [] and f.duplicates == 1
    assert f.feed(b"essc1.same-code\r", 2.5) == []  # still held over the window
    assert len(f.feed(b"essc1.same-code\r", 5.0)) == 1
    assert b"same-code" not in repr(vars(f)).encode()


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=700), max_size=8), st.floats(0, 1))
def test_any_bytes_give_codes_or_typed_errors(chunks, step):
    f = CodeFramer(gap=0.1, debounce=0.5)
    now = 0.0
    for chunk in chunks:
        now += step
        for item in f.feed(chunk, now) + f.tick(now):
            assert isinstance(item, (ScannedCode, ScannerError))
            if isinstance(item, ScannedCode):
                assert MIN_CHARS <= len(item) <= MAX_CHARS and item.text.isprintable()
