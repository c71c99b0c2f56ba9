"""A reader watcher that does not die: one thread, blocked in ``SCardGetStatusChange``.

It reports the initial state (``reader_added`` for each reader, ``card_inserted`` for
each card already in), then every change for all readers. Reader plug/unplug comes from
the ``\\\\?PnP?\\Notification`` pseudo-reader. When pcscd stops or crashes the blocked
call fails; the watcher reports ``service_down`` (meaning: every reader and card is
gone), drops the context, retries a new one with back-off, and on success reports
``service_up`` followed by the state as found (``reader_added``/``card_inserted``).
With no reader at all it blocks on the PnP pseudo-reader alone. :meth:`stop` cancels the
blocked call (``SCardCancel``) and joins the thread.

pyscard's own ``CardMonitor``/``ReaderMonitor`` threads die silently when pcscd goes
away and never come back; that is why this exists.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from smartcard import scard

from kiosk.devices.pcsc.context import PNP_READER, PcscContext, ReaderState
from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.logs import get_logger

log = get_logger("kiosk.devices.pcsc.watcher")

INFINITE = 0xFFFFFFFF  # pcsc-lite INFINITE timeout: block until something changes


class ReaderEventKind(StrEnum):
    card_inserted = "card_inserted"
    card_removed = "card_removed"
    reader_added = "reader_added"
    reader_removed = "reader_removed"
    service_down = "service_down"
    service_up = "service_up"


@dataclass(frozen=True)
class ReaderEvent:
    """One change. ``reader`` is "" for service events; ``atr`` only on card_inserted."""

    kind: ReaderEventKind
    reader: str = ""
    atr: bytes | None = None


class ReaderWatcher:
    """Watches every reader on its own thread and calls ``on_event`` for each change.

    ``on_event`` runs on the watcher thread: keep it short (hand work to another thread).
    An exception in it is logged and does not stop the watcher.
    """

    def __init__(self, on_event: Callable[[ReaderEvent], None], *,
                 backoff_min: float = 0.05, backoff_max: float = 1.0,
                 name: str = "pcsc-watcher") -> None:
        self._on_event = on_event
        self._backoff_min = backoff_min
        self._backoff_max = backoff_max
        self._ctx = PcscContext()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._lock = threading.Lock()
        self._readers: dict[str, int] = {}  # reader → last event state
        self._atrs: dict[str, bytes | None] = {}  # reader → ATR of the card in it
        self._service_up: bool | None = None
        self.restarts = 0  # new contexts made after a failure (diagnostics)
        self._quick_wakeups = 0

    # -- public ------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop promptly: cancel the blocked call until the thread has gone."""
        self._stop.set()
        if threading.current_thread() is self._thread:
            return  # called from on_event: the loop sees the flag when the callback returns
        deadline = time.monotonic() + timeout
        while self._thread.is_alive() and time.monotonic() < deadline:
            self._ctx.cancel()
            self._thread.join(0.05)
        self._ctx.release()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def cpu_time(self) -> float:
        """CPU seconds used by the watcher thread so far (for the idle-CPU checks)."""
        ident = self._thread.ident
        if ident is None or not self._thread.is_alive():
            return 0.0
        return time.clock_gettime(time.pthread_getcpuclockid(ident))

    def snapshot(self) -> tuple[bool | None, dict[str, bytes | None]]:
        """(service up?, {reader: ATR or None when empty}) as last seen."""
        with self._lock:
            return self._service_up, {r: self._atrs.get(r) for r in self._readers}

    # -- internals ---------------------------------------------------------------------
    def _emit(self, kind: ReaderEventKind, reader: str = "", atr: bytes | None = None) -> None:
        try:
            self._on_event(ReaderEvent(kind, reader, atr))
        except Exception:  # noqa: BLE001 - a faulty listener must not kill the watcher
            log.exception("reader event listener failed")

    def _run(self) -> None:
        delay = self._backoff_min
        while not self._stop.is_set():
            try:
                self._ctx.establish()
                self._sync_readers()
                delay = self._backoff_min
                self._wait_once()
            except CardError as exc:
                if self._stop.is_set():
                    break
                if exc.kind is CardErrorKind.service_down:
                    self._lost_service(exc)
                else:
                    # Anything else (reader vanished mid-call…): fresh context, re-list.
                    log.info("watcher call failed; re-listing",
                             extra={"fields": {"kind": exc.kind.value,
                                               "raw_code": exc.raw_code}})
                    self._ctx.release()
                if self._stop.wait(delay):
                    break
                delay = min(delay * 2, self._backoff_max)
                self.restarts += 1

    def _lost_service(self, exc: CardError) -> None:
        self._ctx.release()
        if self._service_up is not False:
            log.warning("pcsc service down", extra={"fields": {"raw_code": exc.raw_code}})
            with self._lock:
                self._readers.clear()
                self._atrs.clear()
            self._service_up = False
            self._emit(ReaderEventKind.service_down)

    def _sync_readers(self) -> None:
        """Compare the reader list with what we knew; announce additions and removals."""
        readers = self._ctx.list_readers()
        if self._service_up is not True:
            if self._service_up is False:
                log.info("pcsc service back")
                self._emit(ReaderEventKind.service_up)
            self._service_up = True
        for gone in [r for r in self._readers if r not in readers]:
            with self._lock:
                self._readers.pop(gone, None)
                had_card = self._atrs.pop(gone, None) is not None
            if had_card:
                self._emit(ReaderEventKind.card_removed, gone)
            self._emit(ReaderEventKind.reader_removed, gone)
        new = [r for r in readers if r not in self._readers]
        if new:
            states = self._ctx.get_status_change(0, [(r, scard.SCARD_STATE_UNAWARE)
                                                     for r in new]) or []
            for st in states:
                with self._lock:
                    self._readers[st.name] = st.event_state & ~scard.SCARD_STATE_CHANGED
                    self._atrs[st.name] = None
                self._emit(ReaderEventKind.reader_added, st.name)
                # PRESENT bit, mute or not: a card in upside down is still "inserted"
                # (its read then fails with comm_failed and the screen says what to do).
                if st.event_state & scard.SCARD_STATE_PRESENT:
                    self._card_in(st)

    def _card_in(self, st: ReaderState) -> None:
        atr = st.atr or None
        with self._lock:
            self._atrs[st.name] = atr if atr is not None else b""
        self._emit(ReaderEventKind.card_inserted, st.name, atr)

    def _card_out(self, reader: str) -> None:
        with self._lock:
            self._atrs[reader] = None
        self._emit(ReaderEventKind.card_removed, reader)

    def _wait_once(self) -> None:
        """One blocking wait on all readers plus the PnP pseudo-reader."""
        with self._lock:
            known = dict(self._readers)
        # The PnP current state carries the reader count in its upper 16 bits (pcsc-lite),
        # so a change that happened between listing and waiting is still reported.
        states = [(r, s) for r, s in known.items()]
        states.append((PNP_READER, len(known) << 16))
        t0 = time.monotonic()
        result = self._ctx.get_status_change(INFINITE, states)
        if not result:
            return
        reader_news = False
        for st in result:
            if st.name == PNP_READER:
                continue  # the list is re-read on the next turn anyway
            if st.event_state & scard.SCARD_STATE_CHANGED:
                reader_news = True
            self._reader_changed(st, known.get(st.name, 0))
        # Guard against a spin: a PC/SC stack that keeps waking us at once with no news
        # (other PnP semantics, a flapping reader) gets a short pause between turns.
        if not reader_news and time.monotonic() - t0 < 0.005:
            self._quick_wakeups += 1
            if self._quick_wakeups >= 3:
                self._stop.wait(0.2)
        else:
            self._quick_wakeups = 0

    def _reader_changed(self, st: ReaderState, before: int) -> None:
        if not st.event_state & scard.SCARD_STATE_CHANGED:
            return
        now = st.event_state & ~scard.SCARD_STATE_CHANGED
        if now & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
            return  # reader going away: the next _sync_readers reports it
        was_present = bool(before & scard.SCARD_STATE_PRESENT)
        is_present = bool(now & scard.SCARD_STATE_PRESENT)
        # pcsc-lite counts card events in the upper 16 bits: a quick out-and-in between
        # two waits keeps PRESENT set but bumps the counter.
        swapped = was_present and is_present and (before >> 16) != (now >> 16) and (
            (now >> 16) - (before >> 16)) > 1
        with self._lock:
            self._readers[st.name] = now
        if was_present and (not is_present or swapped):
            self._card_out(st.name)
        if is_present and (not was_present or swapped):
            self._card_in(st)
