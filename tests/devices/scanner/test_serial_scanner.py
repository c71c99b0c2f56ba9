"""The serial scanner on a real pty (the virtual scanner), through the real watcher:
partial reads, garbage, a double scan, unplug and replug, a held port."""

from __future__ import annotations

import queue
import time
from pathlib import Path

import pytest

from kiosk.devices.scanner import (
    ScanEventKind,
    ScannerError,
    ScannerErrorKind,
    ScannerWatcher,
    open_source,
)
from kiosk.devices.scanner.framing import MAX_CHARS
from kiosk.devices.virtual.scanner import VirtualScanner
from tests.fixtures.polling import until

CODE = "essc1.Q2hpbmFTb2NpYWxTZWN1cml0eUNhcmQtdGVzdA"
MARKER = "essc1.TWFya2VyLWNvZGUtYWZ0ZXItdGhlLXRlc3Q"
WAIT = 5.0


@pytest.fixture
def clock() -> list[float]:
    """How far the tests moved the watcher's clock ahead of the real one (past the
    debounce window without waiting it out)."""
    return [0.0]


@pytest.fixture
def rig(tmp_path: Path, clock: list[float]):
    link = tmp_path / "scanner"
    scanner = VirtualScanner(link)
    events: queue.Queue = queue.Queue()
    watcher = ScannerWatcher(lambda: open_source("serial", str(link)), events.put,
                             kind="serial", where=str(link), gap=0.1, debounce=1.0,
                             backoff_min=0.05, backoff_max=0.2,
                             clock=lambda: time.monotonic() + clock[0])
    watcher.start()
    assert events.get(timeout=WAIT).kind is ScanEventKind.SCANNER_READY
    yield scanner, watcher, events
    watcher.stop()
    scanner.stop()


def next_event(events: queue.Queue, kinds=None):
    deadline = time.monotonic() + WAIT
    while True:
        ev = events.get(timeout=max(0.01, deadline - time.monotonic()))
        if kinds is None or ev.kind in kinds:
            return ev


def quiet(scanner: VirtualScanner, events: queue.Queue) -> list:
    """The events that came before a marker code scanned now: one stream, in order, so
    anything the watcher still had to say about earlier bytes comes first."""
    scanner.scan(MARKER)
    out = []
    while (ev := next_event(events)).kind is not ScanEventKind.CODE_SCANNED or \
            ev.code.text != MARKER:
        out.append(ev)
    return out


def test_a_code_in_one_write(rig):
    scanner, _, events = rig
    scanner.scan(CODE)
    ev = next_event(events)
    assert ev.kind is ScanEventKind.CODE_SCANNED and ev.code.text == CODE
    assert CODE not in repr(ev) and str(len(CODE)) in repr(ev.code)  # masked


def test_partial_reads_are_joined(rig):
    scanner, _, events = rig
    scanner.scan(CODE, pieces=7, pause=0.02)  # pauses shorter than the gap
    assert next_event(events).code.text == CODE
    assert quiet(scanner, events) == []


def test_crlf_suffix_and_no_suffix(rig):
    scanner, _, events = rig
    scanner.scan(CODE, suffix=b"\r\n")
    assert next_event(events).code.text == CODE
    scanner.scan(CODE + "X", suffix=b"")  # a scanner without a suffix: the gap ends it
    assert next_event(events).code.text == CODE + "X"
    assert quiet(scanner, events) == []


def test_garbage_is_refused_never_a_crash(rig):
    scanner, watcher, events = rig
    for junk in (b"\x00\xff\x1b[2J-garbage", b"abc", "电子社保卡码码码".encode(), b"\x7f" * 20):
        scanner.write(junk + b"\r")
        ev = next_event(events)
        assert ev.kind is ScanEventKind.CODE_REFUSED
        assert ev.error.kind is ScannerErrorKind.bad_code
    scanner.write(b"A" * (MAX_CHARS * 3) + b"\r")  # far too long: refused once
    assert next_event(events).kind is ScanEventKind.CODE_REFUSED
    assert quiet(scanner, events) == []
    scanner.scan(CODE)  # still reading
    assert next_event(events).code.text == CODE
    assert watcher.status()["refused"] == 5


def test_the_same_code_twice_is_one_event(rig, clock):
    scanner, watcher, events = rig
    scanner.scan(CODE)
    scanner.scan(CODE)
    assert next_event(events).code.text == CODE
    assert quiet(scanner, events) == []
    assert watcher.status()["duplicates"] == 1
    scanner.scan(CODE + "2")  # another code is not a duplicate
    assert next_event(events).code.text == CODE + "2"
    clock[0] += 1.1  # after the debounce window the same code counts again
    scanner.scan(CODE + "2")
    assert next_event(events).code.text == CODE + "2"


def test_unplug_and_replug(rig):
    scanner, watcher, events = rig
    scanner.scan(CODE[:10], suffix=b"")  # half a code, then the cable is pulled
    scanner.unplug()
    lost = next_event(events)
    assert lost.kind is ScanEventKind.SCANNER_LOST
    assert lost.error.kind in (ScannerErrorKind.scanner_lost, ScannerErrorKind.no_scanner)
    assert watcher.status()["state"] == "lost"
    until(lambda: watcher.status()["reopens"] >= 3, WAIT, "several failed reopens")
    scanner.replug()  # still one scanner_lost before this scanner_back
    assert next_event(events).kind is ScanEventKind.SCANNER_BACK
    scanner.scan(CODE)
    assert next_event(events).code.text == CODE  # the half code before was dropped
    assert quiet(scanner, events) == []
    assert watcher.status()["reopens"] >= 1


def test_no_scanner_at_start_then_plugged(tmp_path):
    link = tmp_path / "later"
    events: queue.Queue = queue.Queue()
    watcher = ScannerWatcher(lambda: open_source("serial", str(link)), events.put,
                             kind="serial", where=str(link), backoff_min=0.05,
                             backoff_max=0.1)
    watcher.start()
    try:
        ev = next_event(events)
        assert ev.kind is ScanEventKind.SCANNER_LOST
        assert ev.error.kind is ScannerErrorKind.no_scanner
        scanner = VirtualScanner(link)
        try:
            assert next_event(events).kind is ScanEventKind.SCANNER_BACK
        finally:
            scanner.stop()
    finally:
        watcher.stop()


def test_port_held_by_another_program_is_busy(rig, tmp_path):
    scanner, _, _ = rig
    with pytest.raises(ScannerError) as info:
        open_source("serial", str(scanner.link))  # the watcher holds it exclusively
    # by the OS error's number (flock: EWOULDBLOCK; TIOCEXCL: EBUSY), not its words
    assert info.value.kind is ScannerErrorKind.busy


def test_stop_is_prompt_and_the_idle_thread_sleeps(rig):
    _, watcher, _ = rig
    watcher.stop()  # joins the thread within its own limit
    assert not watcher.alive


def test_test_scan_reports_only_the_length_and_starts_nothing(rig):
    scanner, watcher, events = rig
    import threading

    got: list[int | None] = []
    waiting = threading.Thread(target=lambda: got.append(watcher.test_scan(timeout=WAIT)))
    waiting.start()
    until(lambda: watcher.test_scan_waiting, WAIT, "the test scan waiting")
    scanner.scan(CODE)
    waiting.join(WAIT)
    assert got == [len(CODE)] and not watcher.test_scan_waiting
    assert quiet(scanner, events) == []  # the listener (journeys) never saw it
    assert watcher.test_scan(timeout=0.2) is None
