"""What the diagnostics need from the layers below, as structural interfaces.

The real implementations are :class:`kiosk.devices.probes.DeviceProbes`,
:class:`kiosk.central.probe.CentralProbes` and :class:`kiosk.devices.card_hub.CardHub`;
the composition root builds them and every part a check looks at, and hands them to a
:class:`~kiosk.services.diagnostics.context.DiagnosticsContext` — the app's live parts,
or (headless: ``kiosk diagnose``) :class:`PartMakers` that build short-lived ones — so
this package imports no pyscard, pyserial, requests or Kivy, and builds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kiosk.secrets import Secrets


class CardReaderPort(Protocol):
    """The card hub's on-demand read (the technician's test read)."""

    def read_card(self, reader: str) -> object:
        """The card's data (SscCardData or IdCardData); raises ``CardError``."""


class IdReaderResult(Protocol):
    """A reader's or scanner's probe (read-only: the probes answer frozen dataclasses)."""

    @property
    def kind(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def problem(self) -> str | None: ...
    @property
    def details(self) -> Mapping[str, object]: ...


class DeviceProbePort(Protocol):
    """Reader, ID reader, QR scanner and headphone jack probes (each opens what it needs,
    asks, closes it again; with a live part, it asks that part). ``hub``/``live``: the
    app's own part, opaque here (the probes know it)."""

    def readers(self, hub: object = None) -> list[dict[str, object]]:
        """``[{"reader", "card_present", "atr"}]``; raises ``CardError``."""

    def id_reader(self, hub: object = None) -> IdReaderResult:
        """Whether the configured ID reader can be reached."""

    def qr_scanner(self, live: object = None) -> IdReaderResult:
        """Whether the configured QR scanner can be reached (same fields as the ID
        reader's probe; ``live`` = the app's scanner watcher)."""

    def headphones(self, live: object = None) -> dict[str, str]:
        """Headphone jack detection: ``kind`` (alsa, evdev, none), ``where``, ``state``,
        ``setting`` (``live`` = the app's jack watcher)."""


class HeartbeatResult(Protocol):
    ok: bool
    latency_ms: float
    at: dt.datetime
    server_time: dt.datetime | None
    accepted: bool | None
    error_kind: str | None
    error_code: str | None

    @property
    def skew_seconds(self) -> float | None: ...


class HeartbeatClient(Protocol):
    """The central client, as the heartbeat probe uses it (``CentralClient``)."""

    def heartbeat(self, outbox_depth: int) -> object: ...


class CentralProbePort(Protocol):
    """The heartbeat probe."""

    def heartbeat(self, make_client: Callable[[], HeartbeatClient],
                  outbox_depth: int) -> HeartbeatResult:
        """One timed heartbeat; failures are its ``error_kind``, never raised."""


class OutboxCounts(Protocol):
    """The outbox's counts (``kiosk.central.outbox.OutboxStats``): no content."""

    @property
    def pending(self) -> int: ...
    @property
    def held(self) -> int: ...
    @property
    def undeliverable(self) -> int: ...
    @property
    def oldest_age_seconds(self) -> float | None: ...
    @property
    def delivered_total(self) -> int: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def alert(self) -> str | None: ...


class OutboxPort(Protocol):
    """The outbox, as the outbox check reads it (``kiosk.central.outbox.Outbox``)."""

    def stats(self) -> OutboxCounts: ...


class PrinterPort(Protocol):
    """The receipt printer, as the printer check and test page use it."""

    def status(self) -> str:
        """ok / not_configured / out_of_paper / offline (a ``PrinterStatus``)."""

    def test_page(self, language: str = "zh_CN", terminal_id: str = "") -> None: ...


class ScannerPort(Protocol):
    """The QR scanner watcher, as the scanner check drives it."""

    def start(self) -> None: ...
    def test_scan(self, timeout: float) -> int | None:
        """The characters of the next code read within ``timeout`` s (None: none)."""


class SpeakerPort(Protocol):
    """The espeak-ng speaker, as the speech check looks at it (``devices.speech``)."""

    @property
    def enabled(self) -> bool: ...
    @property
    def command(self) -> str: ...
    @property
    def player(self) -> list[str] | None: ...
    @property
    def voices(self) -> dict[str, str]: ...
    @property
    def last_error(self) -> str | None: ...
    def available(self) -> bool: ...
    def synthesize_to_file(self, text: str, language: str, path: Path | str) -> Path: ...


@dataclass(frozen=True)
class PartMakers:
    """How a headless context builds the parts it has no live one of (each built when a
    check first needs it, and closed with the context). Given by the composition root
    (``kiosk diagnose``); the running app's technician gets none of them: it works on
    the app's own parts."""

    central: Callable[[Secrets], HeartbeatClient] | None = None
    outbox: Callable[[], OutboxPort] | None = None
    printer: Callable[[], PrinterPort] | None = None
    card_reader: Callable[[], CardReaderPort] | None = None  # stopped on close
    scanner: Callable[[], ScannerPort] | None = None  # started here, stopped on close
    speaker: Callable[[], SpeakerPort] | None = None  # closed on close
