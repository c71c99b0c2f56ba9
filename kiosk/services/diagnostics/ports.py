"""What the diagnostics need from the layers below, as structural interfaces.

The real implementations are :class:`kiosk.devices.probes.DeviceProbes`,
:class:`kiosk.central.probe.CentralProbes` and :class:`kiosk.devices.card_hub.CardHub`;
whoever builds a :class:`~kiosk.services.diagnostics.context.DiagnosticsContext` passes
them in, so this package imports no pyscard, pyserial, requests or Kivy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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
    """Reader and ID reader probes; the printer and a card reader for headless use."""

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

    def make_scanner(self) -> Any:
        """A scanner watcher (``start()``, ``test_scan(timeout)``, ``stop()``)."""

    def make_printer(self) -> Any:
        """The configured printer (``status()``, ``test_page()``)."""

    def make_card_reader(self) -> Any:
        """A :class:`CardReaderPort` with ``stop()``, for when no hub runs."""


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
    """The heartbeat probe; the client and outbox for headless use."""

    def make_client(self, secrets: Any) -> Any: ...

    def make_outbox(self) -> Any: ...

    def heartbeat(self, make_client: Callable[[], Any], outbox_depth: int) -> HeartbeatResult:
        """One timed heartbeat; failures are its ``error_kind``, never raised."""
