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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


class CardReaderPort(Protocol):
    """The card hub's on-demand read (the technician's test read)."""

    def read_card(self, reader: str) -> Any:
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
    def details(self) -> dict[str, Any]: ...


class DeviceProbePort(Protocol):
    """Reader, ID reader, QR scanner and headphone jack probes (each opens what it needs,
    asks, closes it again; with a live part, it asks that part)."""

    def readers(self, hub: Any = None) -> list[dict[str, Any]]:
        """``[{"reader", "card_present", "atr"}]``; raises ``CardError``."""

    def id_reader(self, hub: Any = None) -> IdReaderResult:
        """Whether the configured ID reader can be reached."""

    def qr_scanner(self, live: Any = None) -> IdReaderResult:
        """Whether the configured QR scanner can be reached (same fields as the ID
        reader's probe; ``live`` = the app's scanner watcher)."""

    def headphones(self, live: Any = None) -> dict[str, str]:
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


class CentralProbePort(Protocol):
    """The heartbeat probe."""

    def heartbeat(self, make_client: Callable[[], Any], outbox_depth: int) -> HeartbeatResult:
        """One timed heartbeat; failures are its ``error_kind``, never raised."""


@dataclass(frozen=True)
class PartMakers:
    """How a headless context builds the parts it has no live one of (each built when a
    check first needs it, and closed with the context). Given by the composition root
    (``kiosk diagnose``); the running app's technician gets none of them: it works on
    the app's own parts."""

    central: Callable[[Any], Any] | None = None  # secrets → a central client
    outbox: Callable[[], Any] | None = None
    printer: Callable[[], Any] | None = None  # status(), test_page()
    card_reader: Callable[[], Any] | None = None  # a CardReaderPort with stop()
    scanner: Callable[[], Any] | None = None  # start(), test_scan(timeout), stop()
    speaker: Callable[[], Any] | None = None  # the espeak-ng speaker (close())
