"""A scanner watcher that does not die: one thread reading the scanner, emitting events.

Like :class:`kiosk.devices.pcsc.watcher.ReaderWatcher` for the card readers: it opens
the scanner (``open_source()``), reads, frames codes (:mod:`.framing`) and calls
``on_event`` with a :class:`ScanEvent`. When the scanner cannot be opened or goes away
it reports ``scanner_lost`` once, retries with back-off (``backoff_min`` doubling to
``backoff_max``) and reports ``scanner_back`` when it opens again. :meth:`stop` wakes
the blocked read and joins the thread.

Events: ``scanner_ready`` (first open), ``scanner_lost`` (with the error),
``scanner_back``, ``code_scanned`` (with a :class:`ScannedCode`), ``code_refused``
(garbage: with a ``bad_code`` error). A repeat of the same code inside the debounce
window is no event at all. Logs carry the code's length and hash prefix, never the code.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypedDict

from kiosk.devices.events import ScanEventKind
from kiosk.devices.scanner.errors import ScannerError
from kiosk.devices.scanner.framing import DEFAULT_DEBOUNCE_S, DEFAULT_GAP_S, CodeFramer, ScannedCode
from kiosk.logs import get_logger

log = get_logger("kiosk.devices.scanner")

IDLE_WAIT_S = 1.0  # a read with nothing pending wakes this often (stop() wakes it at once)


class ScanSource(Protocol):
    """An open scanner (:class:`~.serial_source.SerialSource`, :class:`~.hid.HidSource`)."""

    kind: str
    where: str

    def read(self, timeout: float) -> bytes: ...

    def wake(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ScanEvent:
    """One thing the scanner did. ``code`` only on code_scanned; ``error`` on
    scanner_lost and code_refused."""

    kind: ScanEventKind
    code: ScannedCode | None = None
    error: ScannerError | None = None


class ScannerStatus(TypedDict):
    """:meth:`ScannerWatcher.status`: plain and non-personal (no code, no hash)."""

    kind: str
    where: str
    state: str  # starting | up | lost
    codes: int
    refused: int
    reopens: int
    duplicates: int
    last_error: str | None


class WatcherOptions(TypedDict, total=False):
    """The tuning a :class:`ScannerWatcher` takes besides its source and listener."""

    gap: float
    debounce: float
    backoff_min: float
    backoff_max: float
    clock: Callable[[], float]


class ScannerWatcher:
    """Reads one scanner on its own thread; see the module doc.

    ``on_event`` runs on the watcher thread: keep it short. An exception in it is logged
    and does not stop the watcher."""

    def __init__(self, open_source: Callable[[], ScanSource],
                 on_event: Callable[[ScanEvent], None], *, kind: str, where: str,
                 gap: float = DEFAULT_GAP_S, debounce: float = DEFAULT_DEBOUNCE_S,
                 backoff_min: float = 0.1, backoff_max: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._open, self._on_event = open_source, on_event
        self.kind, self.where = kind, where
        self._framer = CodeFramer(gap, debounce)
        self._backoff = (backoff_min, backoff_max)
        self._clock = clock
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._source: ScanSource | None = None
        self._state = "starting"  # starting | up | lost
        self._counts = {"codes": 0, "refused": 0, "reopens": 0}
        self._last_error: str | None = None
        self._taps: list[queue.Queue[ScannedCode]] = []
        self._thread = threading.Thread(target=self._run, name="qr-scanner", daemon=True)

    # -- public ------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        with self._lock:
            src = self._source
        if src is not None:
            try:
                src.wake()
            except OSError:
                pass
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def status(self) -> ScannerStatus:
        """Plain, non-personal status for diagnostics (no code, no hash)."""
        with self._lock:
            counts = self._counts
            return {"kind": self.kind, "where": self.where, "state": self._state,
                    "codes": counts["codes"], "refused": counts["refused"],
                    "reopens": counts["reopens"], "duplicates": self._framer.duplicates,
                    "last_error": self._last_error}

    @property
    def test_scan_waiting(self) -> bool:
        """Whether a test scan is waiting: the next code scanned goes to it, not to
        ``on_event``."""
        with self._lock:
            return bool(self._taps)

    def test_scan(self, timeout: float) -> int | None:
        """The technician's test scan: the number of characters of the next code scanned
        within ``timeout`` seconds (None if none). That code goes nowhere else: it is not
        passed to ``on_event``, so it never starts a journey."""
        tap: queue.Queue[ScannedCode] = queue.Queue(maxsize=1)
        with self._lock:
            self._taps.append(tap)
        try:
            return len(tap.get(timeout=timeout))
        except queue.Empty:
            return None
        finally:
            with self._lock:
                if tap in self._taps:
                    self._taps.remove(tap)

    # -- internals ---------------------------------------------------------------------
    def _emit(self, event: ScanEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # noqa: BLE001 - a faulty listener must not kill the watcher
            log.exception("scanner event listener failed")

    def _set_state(self, state: str, error: ScannerError | None = None) -> None:
        with self._lock:
            before, self._state = self._state, state
            if error is not None:
                self._last_error = error.kind.value
        if state == "lost" and before != "lost":
            log.warning("scanner lost", extra={"fields": {
                "kind": self.kind, "error": error.kind.value if error else None}})
            self._emit(ScanEvent(ScanEventKind.SCANNER_LOST, error=error))
        elif state == "up" and before == "lost":
            log.info("scanner back", extra={"fields": {"kind": self.kind}})
            self._emit(ScanEvent(ScanEventKind.SCANNER_BACK))
        elif state == "up" and before == "starting":
            self._emit(ScanEvent(ScanEventKind.SCANNER_READY))

    def _run(self) -> None:
        delay = self._backoff[0]
        while not self._stop.is_set():
            try:
                src = self._open()
            except ScannerError as exc:
                self._set_state("lost", exc)
                if self._stop.wait(delay):
                    break
                delay = min(delay * 2, self._backoff[1])
                with self._lock:
                    self._counts["reopens"] += 1
                continue
            with self._lock:
                self._source = src
            delay = self._backoff[0]
            self._set_state("up")
            try:
                self._read_loop(src)
            except ScannerError as exc:
                self._framer.reset()  # half a code from before the unplug is no code
                self._set_state("lost", exc)
            finally:
                with self._lock:
                    self._source = None
                src.close()

    def _read_loop(self, src: ScanSource) -> None:
        while not self._stop.is_set():
            due = self._framer.deadline()
            now = self._clock()
            wait = IDLE_WAIT_S if due is None else max(0.0, due - now)
            data = src.read(wait)
            now = self._clock()
            items = self._framer.feed(data, now) if data else self._framer.tick(now)
            for item in items:
                self._deliver(item)

    def _deliver(self, item: ScannedCode | ScannerError) -> None:
        if isinstance(item, ScannerError):
            with self._lock:
                self._counts["refused"] += 1
            log.info("scan refused", extra={"fields": {"detail": item.detail}})
            self._emit(ScanEvent(ScanEventKind.CODE_REFUSED, error=item))
            return
        with self._lock:
            self._counts["codes"] += 1
            tap = self._taps.pop(0) if self._taps else None
        log.info("code scanned", extra={"fields": {"chars": len(item), "code_hash": item.digest,
                                                   "test": tap is not None}})
        if tap is not None:
            tap.put_nowait(item)
            return
        self._emit(ScanEvent(ScanEventKind.CODE_SCANNED, code=item))
