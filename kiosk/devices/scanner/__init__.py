"""The 2D (QR) scanner that reads the electronic social security card from a phone.

    watcher = make_scanner(settings, on_event)   # None when cards.qr_scanner = "none"
    watcher.start(); ...; watcher.stop()

``cards.qr_scanner``: ``serial`` (USB-CDC through pyserial, ``cards.qr_scanner_port``;
``"virtual"`` = the demo's pty scanner at :func:`virtual_scanner_path`, in demo mode
only) or ``hid``
(keyboard-mode scanner through evdev, grabbed exclusively, ``cards.qr_scanner_device``).
The vocabulary is the card readers': typed :class:`ScannerError` with a ``.kind``, a
watcher thread emitting typed :class:`ScanEvent`, ``status()`` for diagnostics.
pyserial and evdev are imported only when such a scanner is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Unpack

from kiosk.config import Settings
from kiosk.devices.scanner.errors import ScannerError, ScannerErrorKind
from kiosk.devices.scanner.framing import ScannedCode, code_digest
from kiosk.devices.scanner.watcher import (
    ScanEvent,
    ScanEventKind,
    ScannerStatus,
    ScannerWatcher,
    ScanSource,
    WatcherOptions,
)

VIRTUAL_PORT = "virtual"
VIRTUAL_LINK = "virtual-scanner"


def virtual_scanner_path(settings: Settings) -> Path:
    """Where the demo's virtual scanner links its pty (a stable name across replugs)."""
    return settings.data_dir / VIRTUAL_LINK


def scanner_location(settings: Settings) -> tuple[str, str]:
    """(kind, port or device path) as configured; kind "none" when there is none.
    ``qr_scanner_port = "virtual"`` is the demo's scanner in demo mode, and no scanner
    outside it (a production terminal names its real port)."""
    cards = settings.cards
    if cards.qr_scanner == "serial":
        port = cards.qr_scanner_port
        if port != VIRTUAL_PORT:
            return "serial", port
        return ("serial", str(virtual_scanner_path(settings))) if settings.kiosk.demo \
            else ("none", "")
    if cards.qr_scanner == "hid":
        return "hid", cards.qr_scanner_device
    return "none", ""


def open_source(kind: str, where: str) -> ScanSource:
    """Open the scanner once (raises :class:`ScannerError`)."""
    if kind == "serial":
        from kiosk.devices.scanner.serial_source import SerialSource  # lazy: pyserial

        return SerialSource(where)
    if kind == "hid":
        from kiosk.devices.scanner.hid import HidSource  # lazy: evdev, Linux only

        return HidSource(where)
    raise ScannerError(ScannerErrorKind.no_scanner, "no scanner configured")


def make_scanner(settings: Settings, on_event: Callable[[ScanEvent], None],
                 **options: Unpack[WatcherOptions]) -> ScannerWatcher | None:
    """The configured scanner's watcher (not started), or None for ``none``."""
    kind, where = scanner_location(settings)
    if kind == "none":
        return None
    return ScannerWatcher(lambda: open_source(kind, where), on_event, kind=kind, where=where,
                          **options)


__all__ = ["ScanEvent", "ScanEventKind", "ScanSource", "ScannedCode", "ScannerError",
           "ScannerErrorKind", "ScannerStatus", "ScannerWatcher", "WatcherOptions",
           "code_digest", "make_scanner", "open_source", "scanner_location",
           "virtual_scanner_path"]
