"""The facade the services layer uses for both card slots.

``CardHub(settings, on_event)`` runs the :class:`ReaderWatcher`; when a card goes in it
reads it on that slot's own worker thread and emits a :class:`HubEvent`. Per slot the
order is always: ``card_read``/``card_failed`` for an insertion, before the matching
``card_removed`` — the worker handles both in turn, so a card pulled mid-read gives
``card_failed`` (kind ``card_removed``) then ``card_removed``.

Events are plain callbacks from the hub's threads; the services layer hops them to the
UI thread. No Kivy here.

Which reader is which slot: :func:`kiosk.devices.slots.slot_for_reader` (re-exported
here).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, TypedDict

from kiosk import metrics
from kiosk.config import Settings
from kiosk.devices import ssc as ssc_profile
from kiosk.devices.events import CardEventKind
from kiosk.devices.idcard import make_id_reader
from kiosk.devices.idcard.pcsc_profile import read_id_text
from kiosk.devices.pcsc.context import CardSession, PcscContext
from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.devices.pcsc.watcher import ReaderEvent, ReaderEventKind, ReaderWatcher
from kiosk.devices.slots import SLOTS, slot_for_reader
from kiosk.devices.technician_card import TechnicianCards
from kiosk.domain.models import IdCardData, SscCardData
from kiosk.logs import get_logger

log = get_logger("kiosk.devices.card_hub")

ID_POLL_S = 0.5  # serial/SDK ID readers have no events: ask them this often
ID_REOPEN_S = 5.0  # after the ID reader vanished, try to open it again this often


@dataclass(frozen=True)
class HubEvent:
    """What happened in a slot. ``slot`` is "" for service events.

    ``elapsed_ms`` (insert event → data) and ``apdus`` are filled for read results.
    """

    kind: CardEventKind
    slot: str = ""
    data: SscCardData | IdCardData | None = None
    error: CardError | None = None
    reader: str = ""
    elapsed_ms: float = 0.0
    apdus: int = 0


class ReaderRow(TypedDict):
    """One reader in :meth:`CardHub.snapshot`."""

    name: str
    slot: str | None
    card_present: bool
    atr: str


class HubSnapshot(TypedDict):
    """:meth:`CardHub.snapshot`: no personal data."""

    service: str  # up | down | unknown
    readers: list[ReaderRow]
    watcher_alive: bool
    id_reader: str
    id_reader_status: str
    watcher_restarts: int


class _Job(NamedTuple):
    """Work for a slot's worker: ``inserted``/``reread`` (read the card on ``reader``,
    timed from ``t0``), ``removed`` (the card left ``reader``) or ``stop``."""

    what: str
    reader: str = ""
    t0: float = 0.0


@dataclass
class _Slot:
    name: str
    queue: queue.Queue[_Job] = field(default_factory=queue.Queue)
    lock: threading.Lock = field(default_factory=threading.Lock)
    reader: str = ""  # reader holding the current card
    thread: threading.Thread | None = None
    # Each slot has its own context: pcsc-lite serialises calls per context, and one
    # slot's slow failure (waiting to tell "removed" from "failed") must not hold up
    # the other slot. The watcher has its own too.
    ctx: PcscContext = field(default_factory=PcscContext)


class CardHub:
    """Both card slots, read as soon as a card goes in. ``start()`` / ``stop()``."""

    def __init__(self, settings: Settings, on_event: Callable[[HubEvent], None]) -> None:
        self._settings = settings
        self._on_event = on_event
        self._watcher = ReaderWatcher(self._on_reader_event)
        self._slots = {name: _Slot(name) for name in SLOTS}
        self._readers: dict[str, bytes | None] = {}  # reader → ATR (None = empty)
        # Readers pcscd came back with that the watcher has not announced yet: it
        # reports service_up first, so without these a listener asking reader_slots()
        # at service_up would hear "no reader" for a moment.
        self._unannounced: set[str] = set()
        self._service: bool | None = None
        self._lock = threading.Lock()
        self._started = False
        self._stopping = threading.Event()
        self._id_thread: threading.Thread | None = None
        self._id_status = "pcsc" if settings.cards.id_reader == "pcsc" else "idle"
        self._tech_cards = TechnicianCards.from_settings(settings)

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        if self._started:
            return
        self._started = True
        for slot in self._slots.values():
            slot.thread = threading.Thread(target=self._worker, args=(slot,),
                                           name=f"card-hub-{slot.name}", daemon=True)
            slot.thread.start()
        self._watcher.start()
        if self._settings.cards.id_reader in ("serial", "sdk"):
            self._stopping.clear()
            self._id_thread = threading.Thread(target=self._poll_id, name="card-hub-id-poll",
                                               daemon=True)
            self._id_thread.start()

    def stop(self) -> None:
        """Stop watching and the workers (a read in progress finishes first); release
        the slots' PC/SC contexts (also after on-demand reads of a hub never started)."""
        if not self._started:
            for slot in self._slots.values():
                slot.ctx.release()
            return
        self._watcher.stop()
        self._stopping.set()
        if self._id_thread is not None and self._id_thread is not threading.current_thread():
            self._id_thread.join(5)
            self._id_thread = None
        for slot in self._slots.values():
            slot.queue.put(_Job("stop"))
        for slot in self._slots.values():
            if slot.thread is not None and slot.thread is not threading.current_thread():
                slot.thread.join(5)
        for slot in self._slots.values():
            slot.ctx.release()
        self._started = False

    @property
    def watcher(self) -> ReaderWatcher:
        return self._watcher

    # -- queries -----------------------------------------------------------------------
    def snapshot(self) -> HubSnapshot:
        """Readers, slots, card presence and ATRs — no personal data (diagnostics)."""
        with self._lock:
            readers: list[ReaderRow] = [
                {"name": name, "slot": slot_for_reader(self._settings, name),
                 "card_present": atr is not None, "atr": (atr or b"").hex().upper()}
                for name, atr in sorted(self._readers.items())]
            service = self._service
        return {"service": {True: "up", False: "down", None: "unknown"}[service],
                "readers": readers,
                "watcher_alive": self._watcher.alive,
                "id_reader": self._settings.cards.id_reader, "id_reader_status": self._id_status,
                "watcher_restarts": self._watcher.restarts}

    def reader_slots(self) -> frozenset[str] | None:
        """The slots ("ssc", "id") that have a reader now; None while that is unknown
        (the card service is down, or the watcher has not listed the readers yet)."""
        service, readers = self._watcher.snapshot()
        with self._lock:
            # Our own flag leads the watcher's by the service_up event itself; before any
            # event (no reader at start) only the watcher knows it has listed them.
            if self._service is not None:
                service = self._service
            names = set(readers) | self._unannounced
        if service is not True:
            return None
        slots = {slot for r in names if (slot := self._slot_of(r))}
        if self._settings.cards.id_reader in ("serial", "sdk") and self._id_status != "no_reader":
            slots.add("id")
        return frozenset(slots)

    def verify_pin(self, pin: str) -> None:
        """Verify the holder PIN on the SSC in the SSC slot now. Raises CardError
        (``no_card``, ``pin_wrong`` with ``tries_left``, ``pin_blocked`` …) or
        :class:`~kiosk.devices.ssc.PinFormatError` for a PIN that is not exactly 6 ASCII
        digits (checked before any APDU). The card is reset when the session ends
        (``SCARD_RESET_CARD``), so it is never left PIN-verified, whatever the outcome."""
        ssc_profile.pin_apdu(pin)  # shape check before touching the card
        slot = self._slots["ssc"]
        with self._lock:
            reader = next((r for r, atr in self._readers.items()
                           if atr is not None and self._slot_of(r) == "ssc"), None)
        if reader is None:
            raise CardError(CardErrorKind.no_card, "no social security card inserted")
        with slot.lock:
            session = self._connect(slot, reader)
            try:
                ssc_profile.verify_pin(session.transmit, pin)
            finally:
                session.close(reset=True)

    def read_card(self, reader: str) -> SscCardData | IdCardData:
        """Read the card in ``reader`` now on its slot's own context (the technician's
        test read: no second PC/SC client, no event emitted): a social security card
        first, then the ID text card. Raises CardError (``unsupported_card`` when it is
        neither, ``no_card``, ``service_down`` …)."""
        slot = self._slots[self._slot_of(reader) or "ssc"]
        with slot.lock, self._connect(slot, reader) as session:
            try:
                return ssc_profile.read_ssc(session.transmit)
            except CardError as exc:
                if exc.kind not in (CardErrorKind.unsupported_card, CardErrorKind.not_ssc):
                    raise
            return read_id_text(session.transmit)

    def reread(self, slot: str) -> bool:
        """Read the card already lying in ``slot``'s reader again, as if just inserted:
        ``card_read``/``card_failed`` (or ``technician_card``) follow from the slot's
        worker. For a journey that starts with the card already on the reader. Returns
        False, emitting nothing, when no card is present there (serial/SDK ID readers
        have no presence to ask: always False for them)."""
        if slot not in self._slots:
            raise ValueError(f"unknown slot {slot!r}; use ssc or id")
        with self._lock:
            reader = next((r for r, atr in sorted(self._readers.items())
                           if atr is not None and self._slot_of(r) == slot), None)
        if reader is None or not self._started:
            return False
        self._slots[slot].queue.put(_Job("reread", reader, time.perf_counter()))
        return True

    # -- internals ---------------------------------------------------------------------
    def _slot_of(self, reader: str) -> str | None:
        return slot_for_reader(self._settings, reader)

    def _emit(self, event: HubEvent) -> None:
        metrics.reader_event(event.kind.value)
        try:
            self._on_event(event)
        except Exception:  # noqa: BLE001 - a faulty listener must not kill the hub
            log.exception("hub event listener failed")

    def _on_reader_event(self, ev: ReaderEvent) -> None:
        """Runs on the watcher thread: bookkeeping, then hand work to the slot worker."""
        kind = ev.kind
        if kind is ReaderEventKind.service_down:
            with self._lock:
                present = [r for r, atr in self._readers.items() if atr is not None]
                self._readers.clear()
                self._unannounced.clear()
                self._service = False
            for slot_ in self._slots.values():
                slot_.ctx.release()  # dead too after a pcscd restart: make new ones later
            for reader in present:
                slot = self._slot_of(reader)
                if slot:
                    self._slots[slot].queue.put(_Job("removed", reader))
            self._emit(HubEvent(CardEventKind.SERVICE_DOWN))
            return
        with self._lock:
            self._service = True  # any other event means the service answers
        if kind is ReaderEventKind.service_up:
            listed = self._list_readers()
            with self._lock:
                self._unannounced = set(listed)
            self._emit(HubEvent(CardEventKind.SERVICE_UP))
            return
        with self._lock:
            self._unannounced.discard(ev.reader)  # the watcher knows it now
        slot = self._slot_of(ev.reader)
        if kind is ReaderEventKind.reader_added:
            with self._lock:
                self._readers[ev.reader] = None
            self._emit(HubEvent(CardEventKind.READERS_CHANGED, slot or "", reader=ev.reader))
        elif kind is ReaderEventKind.reader_removed:
            with self._lock:
                self._readers.pop(ev.reader, None)
            self._emit(HubEvent(CardEventKind.READERS_CHANGED, slot or "", reader=ev.reader))
        elif kind is ReaderEventKind.card_inserted:
            metrics.reader_event(kind.value)
            with self._lock:
                self._readers[ev.reader] = ev.atr or b""
            if slot:
                self._slots[slot].queue.put(_Job("inserted", ev.reader, time.perf_counter()))
        elif kind is ReaderEventKind.card_removed:
            with self._lock:
                if ev.reader in self._readers:
                    self._readers[ev.reader] = None
            if slot:
                self._slots[slot].queue.put(_Job("removed", ev.reader))

    @staticmethod
    def _list_readers() -> list[str]:
        """The readers pcscd has now, on a context of its own ([] if it cannot say)."""
        ctx = PcscContext()
        try:
            return ctx.list_readers()
        except CardError:
            return []
        finally:
            ctx.release()

    def _worker(self, slot: _Slot) -> None:
        while True:
            what, reader, t0 = slot.queue.get()
            if what == "stop":
                return
            if what == "removed":
                if slot.reader == reader:
                    slot.reader = ""
                self._emit(HubEvent(CardEventKind.CARD_REMOVED, slot.name, reader=reader))
                continue
            slot.reader = reader
            event = self._read(slot, reader, t0)
            if what == "reread" and _lifted_meanwhile(event):
                # The card we were asked to read again was lifted before we got to it (the
                # removal is on its way): nothing was there to read, so nothing failed.
                log.info("card lifted before the re-read", extra={"fields": {
                    "slot": slot.name}})
                continue
            self._emit(event)

    def _poll_id(self) -> None:
        """Serial/SDK ID reader: poll for a card (the protocol has no events). Such a
        reader answers "no card" again right after a read until the card is lifted and
        presented again, so each presentation gives exactly one ``card_read``; removal
        cannot be told from "already read" and is not reported."""
        reader = None
        last_error: CardErrorKind | None = None
        while not self._stopping.is_set():
            if reader is None:
                try:
                    reader = make_id_reader(self._settings)
                    self._id_status = "ready"
                except CardError as exc:
                    self._id_status = exc.kind.value
                    if last_error is not exc.kind:
                        self._emit(HubEvent(CardEventKind.CARD_FAILED, "id", error=exc))
                        last_error = exc.kind
                    self._stopping.wait(ID_REOPEN_S)
                    continue
            t0 = time.perf_counter()
            try:
                data = reader.read()
            except CardError as exc:
                if exc.kind is CardErrorKind.no_card:
                    last_error = None
                elif last_error is not exc.kind:
                    self._emit(HubEvent(CardEventKind.CARD_FAILED, "id", error=exc,
                                        reader=self._settings.cards.id_reader))
                    last_error = exc.kind
                if exc.kind is CardErrorKind.no_reader:
                    reader.close()
                    reader = None
                    self._id_status = exc.kind.value
                    self._stopping.wait(ID_REOPEN_S)
                    continue
            else:
                last_error = None
                self._emit(HubEvent(CardEventKind.CARD_READ, "id", data=data,
                                    reader=self._settings.cards.id_reader,
                                    elapsed_ms=(time.perf_counter() - t0) * 1000))
            self._stopping.wait(ID_POLL_S)
        if reader is not None:
            reader.close()

    def _connect(self, slot: _Slot, reader: str) -> CardSession:
        try:
            return slot.ctx.connect(reader)
        except CardError as exc:
            if exc.kind is not CardErrorKind.service_down:
                raise
        # A context from before a pcscd restart fails once; a fresh one may work.
        return slot.ctx.connect(reader)

    def _read(self, slot: _Slot, reader: str, t0: float) -> HubEvent:
        with self._lock:
            atr = self._readers.get(reader)
        if self._tech_cards.matches(atr):  # recognised by its ATR; not one APDU sent
            log.info("technician card", extra={"fields": {"slot": slot.name, "reader": reader}})
            return HubEvent(CardEventKind.TECHNICIAN_CARD, slot.name, reader=reader,
                            elapsed_ms=(time.perf_counter() - t0) * 1000)
        apdus = 0
        try:
            with slot.lock, self._connect(slot, reader) as session:
                try:
                    if slot.name == "ssc":
                        data: SscCardData | IdCardData = ssc_profile.read_ssc(session.transmit)
                    else:
                        data = read_id_text(session.transmit)
                finally:
                    apdus = session.apdu_count
        except CardError as exc:
            log.info("card read failed", extra={"fields": {
                "slot": slot.name, "reader": reader, "kind": exc.kind.value,
                "raw_code": exc.raw_code, "apdus": apdus}})
            return HubEvent(CardEventKind.CARD_FAILED, slot.name, error=exc, reader=reader,
                            elapsed_ms=(time.perf_counter() - t0) * 1000, apdus=apdus)
        elapsed = (time.perf_counter() - t0) * 1000
        log.info("card read", extra={"fields": {"slot": slot.name, "reader": reader,
                                                 "ms": round(elapsed, 1), "apdus": apdus}})
        return HubEvent(CardEventKind.CARD_READ, slot.name, data=data, reader=reader,
                        elapsed_ms=elapsed, apdus=apdus)


def _lifted_meanwhile(event: HubEvent) -> bool:
    """A failed read whose error says the card is gone (removed, or no card at all)."""
    kind = getattr(event.error, "kind", None)
    return event.kind is CardEventKind.CARD_FAILED and kind in (
        CardErrorKind.card_removed, CardErrorKind.no_card)
