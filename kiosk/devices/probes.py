"""Short health probes of the card readers and the ID reader, for the technician checks.

Each probe opens what it needs, asks one question, closes it again, and answers in plain
data (dicts of non-personal values) or raises the layer's typed
:class:`~kiosk.devices.pcsc.errors.CardError`. :class:`DeviceProbes` bundles them; the
services layer sees it only through its port, so it never imports pyscard or pyserial.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import serial
from smartcard import scard

from kiosk.config import Settings
from kiosk.devices.card_hub import HubSnapshot
from kiosk.devices.idcard.serial_reader import FIND, PREAMBLE
from kiosk.devices.jack import JackWatcher, probe_jack
from kiosk.devices.pcsc.context import PcscContext
from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.devices.scanner import (
    ScannerError,
    ScannerStatus,
    open_source,
    scanner_location,
)

SERIAL_TIMEOUT_S = 1.0  # a live reader answers "find card" within a few milliseconds


@runtime_checkable
class HubStates(Protocol):
    """A running card hub, as the probes read it (:class:`~kiosk.devices.card_hub.CardHub`)."""

    def snapshot(self) -> HubSnapshot: ...


@runtime_checkable
class LiveScanner(Protocol):
    """A running scanner watcher, as the probe reads it
    (:class:`~kiosk.devices.scanner.ScannerWatcher`)."""

    def status(self) -> ScannerStatus: ...


def reader_states() -> list[dict[str, object]]:
    """Each PC/SC reader's name, card present and ATR (hex), on a short-lived context.
    Raises ``CardError`` (service_down …) when pcscd cannot be reached."""
    ctx = PcscContext()
    try:
        names = ctx.list_readers()
        if not names:
            return []
        states = ctx.get_status_change(0, [(n, scard.SCARD_STATE_UNAWARE) for n in names])
        return [{"reader": st.name, "card_present": st.present,
                 "atr": st.atr.hex().upper() if st.present else ""}
                for st in (states or [])]
    finally:
        ctx.release()


def hub_reader_states(hub: HubStates) -> list[dict[str, object]]:
    """The same list from a running :class:`CardHub`'s snapshot: no second PC/SC client.
    Raises ``CardError`` service_down when the hub says pcscd is down."""
    snap = hub.snapshot()
    if snap.get("service") == "down":
        raise CardError(CardErrorKind.service_down, "card hub reports pcscd down")
    return [{"reader": r["name"], "card_present": bool(r["card_present"]),
             "atr": str(r.get("atr") or "")} for r in snap.get("readers") or []]


@dataclass(frozen=True)
class IdReaderProbe:
    """Whether the configured ID reader can be reached. ``problem`` (when not ok):
    ``no_port``, ``no_answer``, ``no_library``, ``pcsc_down``, ``missing``."""

    kind: str
    ok: bool
    problem: str | None = None
    details: dict[str, object] = field(default_factory=dict)


def probe_serial(port: str, timeout: float = SERIAL_TIMEOUT_S) -> IdReaderProbe:
    """Open the port and send "find card": any well-formed answer means the reader lives
    (with or without a card on it)."""
    details: dict[str, object] = {"kind": "serial", "port": port}
    try:
        with serial.Serial(port, 115200, timeout=timeout, write_timeout=timeout) as dev:
            dev.reset_input_buffer()
            dev.write(FIND)
            answer = dev.read(11)
    except (serial.SerialException, OSError, ValueError) as exc:
        details["error"] = type(exc).__name__
        return IdReaderProbe("serial", False, "no_port", details)
    if not answer.startswith(PREAMBLE):
        details["answer_bytes"] = len(answer)
        return IdReaderProbe("serial", False, "no_answer", details)
    return IdReaderProbe("serial", True, None, details)


def probe_sdk(library: str) -> IdReaderProbe:
    """Whether the vendor library loads."""
    details: dict[str, object] = {"kind": "sdk", "library": library}
    try:
        ctypes.CDLL(ctypes.util.find_library(library) or library)
    except OSError:
        return IdReaderProbe("sdk", False, "no_library", details)
    return IdReaderProbe("sdk", True, None, details)


def probe_pcsc_id(wanted: str, readers: list[dict[str, object]] | CardError) -> IdReaderProbe:
    """Whether a reader whose name contains ``wanted`` is connected (``readers`` as
    :func:`reader_states` gives them, or the error it raised)."""
    details: dict[str, object] = {"kind": "pcsc", "reader": wanted}
    if isinstance(readers, CardError):
        details["error"] = str(readers.kind)
        return IdReaderProbe("pcsc", False, "pcsc_down", details)
    match = [r for r in readers if wanted in str(r["reader"] or "")]
    if not match:
        return IdReaderProbe("pcsc", False, "missing", details)
    details["matched"] = match[0]["reader"]
    return IdReaderProbe("pcsc", True, None, details)


@dataclass(frozen=True)
class ScannerProbe:
    """Whether the configured QR scanner can be reached. ``problem`` (when not ok):
    ``no_scanner``, ``scanner_lost``, ``busy`` (held by another program)."""

    kind: str
    ok: bool
    problem: str | None = None
    details: dict[str, object] = field(default_factory=dict)


def probe_scanner(kind: str, where: str, live: LiveScanner | None = None) -> ScannerProbe:
    """The running watcher's status when there is one (the port is held exclusively),
    else open the scanner once and close it again."""
    details: dict[str, object] = {"kind": kind, "where": where}
    if kind == "none":
        return ScannerProbe("none", True, None, details)
    if live is not None:
        status = live.status()
        details.update(state=status["state"], codes=status["codes"],
                       refused=status["refused"], duplicates=status["duplicates"],
                       reopens=status["reopens"], last_error=status["last_error"])
        if status["state"] == "up":
            return ScannerProbe(kind, True, None, details)
        return ScannerProbe(kind, False, status["last_error"] or "no_scanner", details)
    try:
        open_source(kind, where).close()
    except ScannerError as exc:
        return ScannerProbe(kind, False, exc.kind.value, details)
    return ScannerProbe(kind, True, None, details)


class DeviceProbes:
    """The device side of the diagnostics: probes only (the parts a check uses are the
    app's, or built by the composition root).

    ``hub`` arguments are the running app's card hub, when there is one: readers are then
    taken from it (no second PC/SC client); without one they come from a short-lived
    context."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def readers(self, hub: object = None) -> list[dict[str, object]]:
        """The PC/SC readers (raises ``CardError``)."""
        if hub is None:
            return reader_states()
        if not isinstance(hub, HubStates):
            raise _not_a("card hub", hub)
        return hub_reader_states(hub)

    def id_reader(self, hub: object = None) -> IdReaderProbe:
        """The configured ID reader (``cards.id_reader``)."""
        cards = self.settings.cards
        if cards.id_reader == "serial":
            return probe_serial(cards.id_serial_port)
        if cards.id_reader == "sdk":
            return probe_sdk(cards.id_sdk_library)
        if cards.id_reader == "pcsc":
            try:
                found: list[dict[str, object]] | CardError = self.readers(hub)
            except CardError as exc:
                found = exc
            return probe_pcsc_id(cards.id_pcsc_reader, found)
        return IdReaderProbe("none", True, None, {"kind": "none"})

    def qr_scanner(self, live: object = None) -> ScannerProbe:
        """The configured QR scanner (``cards.qr_scanner``); ``live`` = the app's watcher."""
        if live is not None and not isinstance(live, LiveScanner):
            raise _not_a("scanner watcher", live)
        return probe_scanner(*scanner_location(self.settings), live=live)

    def headphones(self, live: object = None) -> dict[str, str]:
        """Headphone jack detection (``access.headphone_jack``); ``live`` = the app's
        jack watcher (kiosk/devices/jack.py)."""
        if live is not None and not isinstance(live, JackWatcher):
            raise _not_a("jack watcher", live)
        return probe_jack(self.settings, live)


def _not_a(what: str, part: object) -> TypeError:
    """A live part (opaque to the services layer that hands it over) that is not what
    the probe reads."""
    return TypeError(f"not a {what}: {type(part).__name__}")



__all__ = ["DeviceProbes", "IdReaderProbe", "ScannerProbe", "hub_reader_states",
           "probe_pcsc_id", "probe_scanner", "probe_sdk", "probe_serial", "reader_states"]
