"""Local metrics in the Prometheus text format (prometheus-client), off by default.

Counting is always on and costs next to nothing; the HTTP endpoint starts only when
``diagnostics.metrics_enabled`` is true, and it binds to 127.0.0.1 only (a monitoring
agent on the terminal scrapes it; nothing is exposed to the network). Labels are fixed
vocabularies (journey names, error kinds, event kinds) — never personal data.

    from kiosk import metrics
    metrics.journey("pre_loss", "confirmed")
    metrics.error("central_offline")
    metrics.reader_event("card_inserted")
    metrics.outbox_depth(3)
    metrics.outbox_undeliverable(1)
    metrics.central_latency(0.042)
    metrics.technician_pin(failed=True, locked_seconds=0, alert=False)
    metrics.fleet_status({"printer": "fail"}, paper="out", ...)   # by the fleet agent
    server = metrics.start_server(settings)   # None when disabled

In the app the endpoint is one of the parts (:class:`MetricsEndpoint`, built by the
composition root, started and stopped with the others).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from kiosk import __version__
from kiosk.config import Settings
from kiosk.logs import get_logger

log = get_logger("kiosk.metrics")
BIND_ADDRESS = "127.0.0.1"

REGISTRY = CollectorRegistry(auto_describe=True)
JOURNEYS = Counter("kiosk_journeys_total", "Cardholder journeys ended, by journey and outcome",
                   ["journey", "outcome"], registry=REGISTRY)
ERRORS = Counter("kiosk_errors_total", "Errors shown or handled, by kind", ["kind"],
                 registry=REGISTRY)
READER_EVENTS = Counter("kiosk_reader_events_total", "Card reader events, by kind", ["event"],
                        registry=REGISTRY)
OUTBOX_DEPTH = Gauge("kiosk_outbox_depth", "Confirmed requests waiting in the outbox",
                     registry=REGISTRY)
OUTBOX_UNDELIVERABLE = Gauge(
    "kiosk_outbox_undeliverable",
    "Confirmed requests the outbox cannot deliver and keeps (refused by the service, or "
    "refused for a terminal problem for too long): each needs a person to act",
    registry=REGISTRY)
OUTBOX_ALERTS = Counter("kiosk_outbox_alerts_total",
                        "Outbox alerts raised, by code (held_<refusal>, stuck_<terminal "
                        "problem>); the items stay queued", ["code"], registry=REGISTRY)
CENTRAL_LATENCY = Histogram(
    "kiosk_central_latency_seconds", "Central service call latency", registry=REGISTRY,
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
TECHNICIAN_PIN_FAILURES = Counter(
    "kiosk_technician_pin_failures_total", "Wrong technician PINs", registry=REGISTRY)
TECHNICIAN_LOCKOUTS = Counter(
    "kiosk_technician_lockouts_total", "Technician PIN lock-outs started", registry=REGISTRY)
TECHNICIAN_LOCKED = Gauge(
    "kiosk_technician_locked_seconds",
    "Seconds the technician PIN entry stays locked (0: open), as of its last use",
    registry=REGISTRY)
TECHNICIAN_ALERT = Gauge(
    "kiosk_technician_pin_alert",
    "1 while wrong technician PINs since the last right one reach the alert threshold "
    "(someone is guessing); 0 otherwise", registry=REGISTRY)

PART_STATUS = Gauge("kiosk_part_status",
                    "Each part's light as of the last fleet status: 0 ok, 1 warn, 2 fail, "
                    "-1 unknown", ["part"], registry=REGISTRY)
PRINTER_PAPER_OUT = Gauge("kiosk_printer_paper_out", "1 while the printer is out of paper",
                          registry=REGISTRY)
PRINTER_PAPER_LOW = Gauge("kiosk_printer_paper_low", "1 while the printer's paper is low",
                          registry=REGISTRY)
OUTBOX_OLDEST = Gauge("kiosk_outbox_oldest_age_seconds",
                      "Age of the oldest request waiting in the outbox (0: none)",
                      registry=REGISTRY)
CLOCK_SKEW = Gauge("kiosk_clock_skew_seconds",
                   "Terminal clock minus the central service's, at the last heartbeat",
                   registry=REGISTRY)
BUILD_INFO = Gauge("kiosk_build_info", "Always 1; the label says the running version",
                   ["version"], registry=REGISTRY)
BUILD_INFO.labels(version=re.sub(r"[^0-9A-Za-z.+-]+", "_", __version__)[:40]).set(1)
FLEET_HEARTBEAT = Gauge("kiosk_fleet_heartbeat_timestamp_seconds",
                        "Unix time of the last fleet heartbeat the central service answered",
                        registry=REGISTRY)
HELP_CALLS = Counter("kiosk_help_calls_total",
                     "Staff calls (一键呼叫) by outcome: sent, unreachable, acknowledged",
                     ["outcome"], registry=REGISTRY)
HELP_WAITING_SINCE = Gauge("kiosk_help_waiting_since_timestamp_seconds",
                           "Unix time of the staff call still waiting for an answer; 0 when "
                           "none waits", registry=REGISTRY)
FLEET_PAUSED = Gauge("kiosk_fleet_paused", "1 while the centre has paused this terminal",
                     registry=REGISTRY)

_LABEL_MAX = 40
_LIGHTS = {"ok": 0, "warn": 1, "fail": 2}


def _label(value: str) -> str:
    # Labels come from our own vocabularies (``central_offline``); squeeze anything else
    # to lowercase ASCII words without long digit runs, so a bug can neither carry a
    # name or number out nor explode the series count.
    clean = re.sub(r"[^a-z0-9_]+", "_", str(value).lower())
    clean = re.sub(r"\d{4,}", "", clean)
    return clean.strip("_")[:_LABEL_MAX] or "unknown"


def journey(name: str, outcome: str) -> None:
    """A journey ended (``pre_lost``/``status``/… with ``confirmed``/``queued``/``aborted``…)."""
    JOURNEYS.labels(journey=_label(name), outcome=_label(outcome)).inc()


def fleet_status(lights: dict[str, str], *, paper: str, outbox_oldest_seconds: float | None,
                 clock_skew_seconds: float | None, paused: bool) -> None:
    """The status the fleet agent just collected, as gauges (``lights``: part → ok, warn,
    fail or unknown; ``paper``: ok, low, out, unknown, none)."""
    for part, light in lights.items():
        PART_STATUS.labels(part=_label(part)).set(_LIGHTS.get(light, -1))
    PRINTER_PAPER_OUT.set(1 if paper == "out" else 0)
    PRINTER_PAPER_LOW.set(1 if paper == "low" else 0)
    OUTBOX_OLDEST.set(outbox_oldest_seconds or 0)
    if clock_skew_seconds is not None:
        CLOCK_SKEW.set(clock_skew_seconds)
    FLEET_PAUSED.set(1 if paused else 0)


def fleet_heartbeat_answered(unix_time: float) -> None:
    """The central service answered a fleet heartbeat at ``unix_time``."""
    FLEET_HEARTBEAT.set(unix_time)


def help_call(outcome: str) -> None:
    """A staff call was ``sent``, could not be (``unreachable``), or was ``acknowledged``."""
    HELP_CALLS.labels(outcome=_label(outcome)).inc()


def help_waiting_since(unix_time: float) -> None:
    """The waiting staff call was made at ``unix_time`` (0: none waits any more)."""
    HELP_WAITING_SINCE.set(unix_time)


def error(kind: str) -> None:
    """An error of ``kind`` (e.g. ``central_offline``, ``card_removed``, ``printer_offline``)."""
    ERRORS.labels(kind=_label(kind)).inc()


def reader_event(event: str) -> None:
    """A reader event (``card_inserted``, ``card_removed``, ``reader_gone``, ``service_down``…)."""
    READER_EVENTS.labels(event=_label(event)).inc()


def outbox_depth(depth: int) -> None:
    """The outbox's current number of pending requests."""
    OUTBOX_DEPTH.set(depth)


def outbox_undeliverable(count: int) -> None:
    """How many queued requests raise an alert (kept, but not deliverable as things are)."""
    OUTBOX_UNDELIVERABLE.set(count)


def outbox_alert(code: str) -> None:
    """A queued request raised an alert (``held_<refusal>`` or ``stuck_<problem>``)."""
    OUTBOX_ALERTS.labels(code=_label(code)).inc()


def central_latency(seconds: float) -> None:
    """One central service call took ``seconds``."""
    CENTRAL_LATENCY.observe(seconds)


def technician_pin(*, failed: bool, locked_seconds: int, alert: bool,
                   lockout_started: bool = False) -> None:
    """A technician PIN was tried (or the lock-out state re-read): count a wrong one and
    a lock-out begun, and set the lock and alert gauges."""
    if failed:
        TECHNICIAN_PIN_FAILURES.inc()
    if lockout_started:
        TECHNICIAN_LOCKOUTS.inc()
    TECHNICIAN_LOCKED.set(max(0, locked_seconds))
    TECHNICIAN_ALERT.set(1 if alert else 0)


@dataclass
class MetricsServer:
    """The running endpoint; ``port`` is the bound one (useful when asked for 0)."""

    server: WSGIServer
    thread: Thread
    port: int

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_server(settings: Settings, port: int | None = None) -> MetricsServer | None:
    """Start the endpoint on 127.0.0.1 when enabled in settings; else return None."""
    if not settings.diagnostics.metrics_enabled:
        return None
    wanted = settings.diagnostics.metrics_port if port is None else port
    server, thread = start_http_server(wanted, addr=BIND_ADDRESS, registry=REGISTRY)
    bound = server.server_address[1]
    log.info("metrics endpoint started", extra={"fields": {"port": bound}})
    return MetricsServer(server, thread, bound)


class MetricsEndpoint:
    """The endpoint as one of the app's parts: started with them (after the first
    frame), stopped with them; nothing runs while ``diagnostics.metrics_enabled`` is
    false."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server: MetricsServer | None = None

    def start(self) -> None:
        """Serve /metrics on 127.0.0.1 when enabled (idempotent)."""
        if self.server is None:
            self.server = start_server(self.settings)

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        server, self.server = self.server, None
        if server is not None:
            server.stop()
