"""What the checks look at: settings plus the parts, real ones made on demand.

In the running app the UI passes its live objects (the card hub, printer, speaker,
central client, outbox) so checks see exactly what cardholders use; headless
(``kiosk diagnose``) the context makes short-lived ones from the settings. The central
heartbeat is made once per run and shared by the central and clock checks.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk import metrics
from kiosk.config import Settings
from kiosk.logs import get_logger

log = get_logger("kiosk.services.diagnostics")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class HeartbeatProbe:
    """One heartbeat to the central service, timed."""

    ok: bool
    latency_ms: float
    at: dt.datetime
    server_time: dt.datetime | None = None
    accepted: bool | None = None
    error_kind: str | None = None  # CentralError.kind, or "tls", "setup"
    error_code: str | None = None  # problem code when refused
    detail: str = ""

    @property
    def skew_seconds(self) -> float | None:
        """Server clock minus ours (positive: we are behind)."""
        if self.server_time is None:
            return None
        server = self.server_time
        if server.tzinfo is None:
            server = server.replace(tzinfo=dt.UTC)
        return (server - self.at).total_seconds()


@dataclass
class DiagnosticsContext:
    """Settings and (optionally) live parts. Missing parts are made from the settings."""

    settings: Settings
    secrets: Any = None
    card_hub: Any = None
    printer: Any = None
    speaker: Any = None
    central: Any = None
    outbox: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _probe: HeartbeatProbe | None = field(default=None, repr=False)
    _owned: list[Any] = field(default_factory=list, repr=False)

    # -- parts made on demand --------------------------------------------------------
    def get_secrets(self) -> Any:
        if self.secrets is None:
            from kiosk.secrets import load_secrets

            self.secrets = load_secrets(self.settings)
        return self.secrets

    def get_printer(self) -> Any:
        if self.printer is None:
            from kiosk.devices.printer import make_printer

            self.printer = make_printer(self.settings)
        return self.printer

    def get_outbox(self) -> Any:
        if self.outbox is None:
            from kiosk.central.outbox import Outbox

            self.outbox = Outbox(outbox_path(self.settings))
            self._owned.append(self.outbox)
        return self.outbox

    def get_central(self) -> Any:
        if self.central is None:
            from kiosk.central.client import CentralClient

            self.central = CentralClient(self.settings, self.get_secrets())
            self._owned.append(self.central)
        return self.central

    def heartbeat(self) -> HeartbeatProbe:
        """One timed heartbeat per context (the central and clock checks share it)."""
        with self._lock:
            if self._probe is None:
                self._probe = self._heartbeat()
            return self._probe

    def _outbox_depth(self) -> int:
        try:
            return int(_stat(self.get_outbox().stats(), "pending") or 0)
        except Exception:  # the outbox check reports outbox trouble; here 0 is fine
            return 0

    def _heartbeat(self) -> HeartbeatProbe:
        from kiosk.central.errors import CentralError, CentralRefused

        depth = self._outbox_depth()
        try:
            client = self.get_central()
        except Exception as exc:
            return HeartbeatProbe(False, 0.0, utcnow(), error_kind="setup",
                                  detail=type(exc).__name__)
        at = utcnow()
        started = time.perf_counter()
        try:
            result = client.heartbeat(depth)
        except CentralRefused as exc:
            return HeartbeatProbe(False, (time.perf_counter() - started) * 1000, at,
                                  error_kind=exc.kind, error_code=exc.code,
                                  detail=exc.code)
        except CentralError as exc:
            kind = "tls" if _is_tls_failure(exc) else exc.kind
            return HeartbeatProbe(False, (time.perf_counter() - started) * 1000, at,
                                  error_kind=kind, detail=type(exc).__name__)
        latency = (time.perf_counter() - started) * 1000
        metrics.central_latency(latency / 1000)
        # Our clock at the middle of the round trip is the fairest comparison.
        mid = at + dt.timedelta(milliseconds=latency / 2)
        return HeartbeatProbe(True, latency, mid, server_time=result.server_time,
                              accepted=bool(result.accepted))

    def close(self) -> None:
        """Close what this context made itself (not the app's live parts)."""
        for obj in self._owned:
            close = getattr(obj, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass
        self._owned.clear()


def _stat(stats: Any, name: str) -> Any:
    """A field of ``Outbox.stats()`` whether it is a dict or an object."""
    if isinstance(stats, dict):
        return stats.get(name)
    return getattr(stats, name, None)


OUTBOX_FILE = "outbox.sqlite3"


def outbox_path(settings: Settings) -> Path:
    """Where this terminal's outbox lives (the app and diagnostics must agree)."""
    return settings.data_dir / OUTBOX_FILE


def _is_tls_failure(exc: BaseException) -> bool:
    """True when a TLS/SSL error is anywhere in the cause chain."""
    import ssl

    import requests

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (ssl.SSLError, requests.exceptions.SSLError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
