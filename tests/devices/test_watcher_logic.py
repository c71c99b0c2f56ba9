"""Watcher bookkeeping with a scripted PC/SC context (one layer, no pcscd): readers
unplugged down to none, a quick card swap between two waits, service loss and back-off.
vpcd's readers cannot be unplugged live (pcsc-lite 1.9 ignores reader.conf reloads), so
these paths are driven here; the live service-restart paths are in test_pcsc_stack."""

from __future__ import annotations

import threading

from smartcard import scard

from kiosk.devices.pcsc.context import PNP_READER, ReaderState
from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.devices.pcsc.watcher import ReaderWatcher

PRESENT = scard.SCARD_STATE_PRESENT
EMPTY = scard.SCARD_STATE_EMPTY
CHANGED = scard.SCARD_STATE_CHANGED


class ScriptedContext:
    """Each ``get_status_change(INFINITE)`` pops the next step: a callable that changes
    the fake world and returns the reader states, or an exception to raise."""

    def __init__(self, readers: dict[str, int], steps: list) -> None:
        self.readers = dict(readers)  # name → state
        self.steps = list(steps)
        self.done = threading.Event()
        self.cancelled = threading.Event()
        self.established = 0

    def establish(self) -> int:
        self.established += 1
        return 1

    def release(self) -> None:
        pass

    def cancel(self) -> None:
        self.cancelled.set()

    def list_readers(self) -> list[str]:
        return list(self.readers)

    def get_status_change(self, timeout_ms, states):
        if timeout_ms == 0:
            return [ReaderState(r, self.readers[r], b"\x3b\x01" if self.readers[r] & PRESENT
                                else b"") for r, _ in states]
        if not self.steps:
            self.done.set()
            self.cancelled.wait(5)  # blocked like the real call, until SCardCancel
            raise CardError(CardErrorKind.comm_failed, raw_code=0x80100002)
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step(self, states)


def run(readers: dict[str, int], steps: list) -> list[tuple[str, str]]:
    events: list[tuple[str, str]] = []
    w = ReaderWatcher(lambda ev: events.append((ev.kind.value, ev.reader)),
                      backoff_min=0.001, backoff_max=0.002)
    ctx = ScriptedContext(readers, steps)
    w._ctx = ctx  # one-layer test: the scripted context stands in for pcscd
    w.start()
    assert ctx.done.wait(5)
    w.stop()
    return events


def pnp_change(new_readers: dict[str, int]):
    def step(ctx: ScriptedContext, states):
        ctx.readers = dict(new_readers)
        return [ReaderState(PNP_READER, CHANGED, b"")]
    return step


def test_last_reader_unplugged_and_plugged_back() -> None:
    events = run({"R1": PRESENT | (1 << 16)}, [
        pnp_change({}),  # unplugged with the card in it
        pnp_change({"R1": EMPTY}),  # plugged back, empty
    ])
    assert events == [("reader_added", "R1"), ("card_inserted", "R1"),
                      ("card_removed", "R1"), ("reader_removed", "R1"),
                      ("reader_added", "R1")]


def test_quick_swap_between_waits_is_reported() -> None:
    def swap(ctx: ScriptedContext, states):
        # Still present, but pcsc-lite's event counter moved by 2 (out and in again).
        return [ReaderState("R1", PRESENT | CHANGED | (3 << 16), b"\x3b\x02"),
                ReaderState(PNP_READER, 0, b"")]
    events = run({"R1": PRESENT | (1 << 16)}, [swap])
    assert events[-2:] == [("card_removed", "R1"), ("card_inserted", "R1")]


def test_service_loss_is_reported_once_and_recovered() -> None:
    down = CardError(CardErrorKind.service_down, raw_code=0x80100013)
    events = run({"R1": EMPTY}, [down])
    assert events == [("reader_added", "R1"), ("service_down", ""), ("service_up", ""),
                      ("reader_added", "R1")]


def test_listener_exception_does_not_kill_the_watcher() -> None:
    calls = []

    def bad(ev):
        calls.append(ev)
        raise RuntimeError("listener bug")

    w = ReaderWatcher(bad)
    ctx = ScriptedContext({"R1": EMPTY, "R2": EMPTY}, [])
    w._ctx = ctx
    w.start()
    assert ctx.done.wait(5)
    assert w.alive and len(calls) == 2
    w.stop()
    assert not w.alive


def test_a_stack_that_wakes_us_for_nothing_does_not_make_us_spin() -> None:
    def nothing(ctx: ScriptedContext, states):
        return [ReaderState(PNP_READER, CHANGED, b"")]

    w = ReaderWatcher(lambda ev: None)
    ctx = ScriptedContext({"R1": EMPTY}, [nothing] * 1000)
    w._ctx = ctx
    w.start()
    threading.Event().wait(0.5)
    w.stop()
    assert len(ctx.steps) > 980, f"{1000 - len(ctx.steps)} wake-ups in 0.5 s"
