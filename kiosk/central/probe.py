"""The technician's probe of the central service: one timed, signed heartbeat.

Built on :class:`~kiosk.central.client.CentralClient`'s public calls only (the client
is handed in: this module builds none). The outcome
is plain data (:class:`HeartbeatProbe`), with the failure said as a kind: the
``CentralError.kind``, ``"tls"`` when a TLS/SSL error is anywhere in the cause chain, or
``"setup"`` when no client could be made (secrets missing, bad URL). The diagnostics
checks read it through their port; they never see ``requests``.
"""

from __future__ import annotations

import datetime as dt
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import requests

from kiosk import metrics
from kiosk.central import schemas as s
from kiosk.central.errors import CentralError, CentralRefused
from kiosk.config import Settings


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
    # Whether the answer carried the service's valid signature for this heartbeat: only
    # then do we know the service accepted ours. 401s are never signed, so a refusal of
    # our clock (or a forged 401) says nothing about the signature.
    reply_signed: bool = False

    @property
    def skew_seconds(self) -> float | None:
        """Server clock minus ours (positive: we are behind)."""
        if self.server_time is None:
            return None
        server = self.server_time
        if server.tzinfo is None:
            server = server.replace(tzinfo=dt.UTC)
        return (server - self.at).total_seconds()


def is_tls_failure(exc: BaseException) -> bool:
    """True when a TLS/SSL error is anywhere in the cause chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (ssl.SSLError, requests.exceptions.SSLError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class HeartbeatClient(Protocol):
    """The central client as the probe uses it (:class:`kiosk.central.client.CentralClient`,
    whose heartbeat answers :class:`kiosk.central.schemas.HeartbeatResult`)."""

    def heartbeat(self, outbox_depth: int) -> object: ...


def probe_heartbeat(make_client: Callable[[], HeartbeatClient],
                    outbox_depth: int) -> HeartbeatProbe:
    """One heartbeat through the client ``make_client`` returns; never raises for a
    central or set-up failure (those become the probe's ``error_kind``)."""
    try:
        client = make_client()
    except Exception as exc:  # noqa: BLE001 - any set-up failure is the answer
        return HeartbeatProbe(False, 0.0, utcnow(), error_kind="setup",
                              detail=type(exc).__name__)
    at = utcnow()
    started = time.perf_counter()
    try:
        result = client.heartbeat(outbox_depth)
    except CentralRefused as exc:
        return HeartbeatProbe(False, (time.perf_counter() - started) * 1000, at,
                              error_kind=exc.kind, error_code=exc.code, detail=exc.code,
                              reply_signed=exc.authenticated)
    except CentralError as exc:
        kind = "tls" if is_tls_failure(exc) else exc.kind
        return HeartbeatProbe(False, (time.perf_counter() - started) * 1000, at,
                              error_kind=kind, detail=type(exc).__name__)
    latency = (time.perf_counter() - started) * 1000
    if not isinstance(result, s.HeartbeatResult):  # a client that does not speak the contract
        return HeartbeatProbe(False, latency, at, error_kind="setup",
                              detail=type(result).__name__)
    metrics.central_latency(latency / 1000)
    # Our clock at the middle of the round trip is the fairest comparison.
    mid = at + dt.timedelta(milliseconds=latency / 2)
    return HeartbeatProbe(True, latency, mid, server_time=result.server_time,
                          accepted=bool(result.accepted), reply_signed=True)


class CentralProbes:
    """The central side of the diagnostics: the heartbeat probe (on the client the
    diagnostics context has: the app's own, or one the composition root made)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def heartbeat(self, make_client: Callable[[], HeartbeatClient],
                  outbox_depth: int) -> HeartbeatProbe:
        return probe_heartbeat(make_client, outbox_depth)


__all__ = ["CentralProbes", "HeartbeatProbe", "is_tls_failure",
           "probe_heartbeat"]
