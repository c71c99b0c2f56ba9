"""Watching terminals that ask about many people (the sandbox's metrics).

A terminal at an outlet serves a person every few minutes. One that asks about dozens of
different people in an hour — walking ID numbers through the SMS request, or card
numbers through chip lookups — is being used to harvest, most likely with a stolen key.
Rate limits slow that down; this makes it visible:

- every lookup (ID card, a card's chip), code request and chip-read status or progress
  counts the **person** asked about (the core's reference when found, else a salted hash
  of what was asked; nothing readable is kept), per terminal, over a sliding
  :data:`WINDOW_SECONDS`;
- ``central_terminal_distinct_people{terminal_id}`` is that count, and
  ``central_terminal_lookup_alert{terminal_id}`` is 1 from :data:`ALERT_PEOPLE` on (an
  alert rule fires on it: ``central_terminal_lookup_alert == 1``);
  ``central_rate_limited_total{limit}`` counts the 429s by limit (one of
  :data:`RATE_LIMITS`, named by the code that refuses, never by a request).

Served in the Prometheus text format on the admin port (``GET /admin/metrics``). The
centre counts in PostgreSQL instead (:class:`kiosk.centre.lookup_watch.PgLookupWatch`:
one count across its workers) and its ``/metrics`` lists the terminals at the alert as
``kiosk_centre_terminal_distinct_people{terminal_id}`` and the 429s (``rate_limited``, one
row per limit) as ``kiosk_centre_rate_limited_total{limit}``.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Literal

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

WINDOW_SECONDS = 3600.0
ALERT_PEOPLE = 30  # distinct people in the window: far beyond an outlet's hour
MAX_TERMINALS = 100_000
MAX_PER_TERMINAL = 10_000  # beyond it the oldest sightings go (the alert is on anyway)

#: The rate limits whose 429s are counted: the gate's per terminal, the routes' per ID
#: number and per card number. An allow-list: a label is one of these, whatever is asked.
RateLimitName = Literal["terminal", "id_number", "card_number"]
RATE_LIMITS: tuple[RateLimitName, ...] = ("terminal", "id_number", "card_number")


def known_limit(name: str) -> RateLimitName:
    """``name`` if it is one of :data:`RATE_LIMITS`; ValueError otherwise."""
    for limit in RATE_LIMITS:
        if name == limit:
            return limit
    raise ValueError(f"not a rate limit: {name[:40]!r}")


class LookupWatch:
    """Distinct people asked about, per terminal, over a sliding window. Thread-safe;
    the clock is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 salt: bytes | None = None) -> None:
        self._clock = clock
        # Per process unless given (the centre's workers share one): not reversible.
        self._salt = salt if salt is not None else os.urandom(16)
        self._lock = threading.Lock()
        self._seen: dict[str, deque[tuple[float, bytes]]] = {}
        self._refused: dict[RateLimitName, int] = dict.fromkeys(RATE_LIMITS, 0)
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(_Gauges(self))

    def refused(self, limit: RateLimitName) -> None:
        """A request was refused with 429 by ``limit`` (counted; never reset)."""
        known_limit(limit)
        with self._lock:
            self._refused[limit] += 1

    def refusals(self) -> dict[RateLimitName, int]:
        """429s so far by limit, every one of :data:`RATE_LIMITS` (0 when none)."""
        with self._lock:
            return dict(self._refused)

    def saw(self, terminal_id: str, subject: str) -> None:
        """``terminal_id`` asked about ``subject`` (a person reference, or what was asked)."""
        digest = self.digest(subject)
        now = self._clock()
        with self._lock:
            if terminal_id not in self._seen and len(self._seen) >= MAX_TERMINALS:
                self._seen.clear()
            seen = self._seen.setdefault(terminal_id, deque(maxlen=MAX_PER_TERMINAL))
            seen.append((now, digest))

    def digest(self, subject: str) -> bytes:
        """What is kept of ``subject``: a keyed hash, the same for the same person."""
        return hashlib.blake2b(subject.encode(), key=self._salt, digest_size=12).digest()

    def distinct(self, terminal_id: str) -> int:
        """How many different people ``terminal_id`` asked about in the window."""
        with self._lock:
            return self._count(terminal_id, self._clock())

    def _count(self, terminal_id: str, now: float) -> int:
        seen = self._seen.get(terminal_id)
        if not seen:
            return 0
        while seen and now - seen[0][0] > WINDOW_SECONDS:
            seen.popleft()
        return len({d for _, d in seen})

    def snapshot(self) -> dict[str, int]:
        """Terminal → distinct people in the window (terminals with any)."""
        now = self._clock()
        with self._lock:
            counts = {t: self._count(t, now) for t in list(self._seen)}
        return {t: n for t, n in counts.items() if n}

    def clear(self) -> None:
        """Forget every sighting (an admin reset)."""
        with self._lock:
            self._seen.clear()

    def exposition(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)


class _Gauges(Collector):
    def __init__(self, watch: LookupWatch) -> None:
        self.watch = watch

    def describe(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        """The families without samples (registering must not read the sightings)."""
        return self._families({}, {})

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        return self._families(self.watch.snapshot(), self.watch.refusals())

    def _families(self, snapshot: dict[str, int], refusals: dict[RateLimitName, int]
                  ) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        people = GaugeMetricFamily(
            "central_terminal_distinct_people",
            f"Different people a terminal asked about in the last {int(WINDOW_SECONDS)} s",
            labels=["terminal_id"])
        alert = GaugeMetricFamily(
            "central_terminal_lookup_alert",
            f"1 when a terminal asked about {ALERT_PEOPLE} or more different people in the "
            "window (harvesting, most likely with a stolen key)", labels=["terminal_id"])
        for terminal, count in sorted(snapshot.items()):
            people.add_metric([terminal], count)
            alert.add_metric([terminal], 1 if count >= ALERT_PEOPLE else 0)
        yield people
        yield alert
        refused = CounterMetricFamily("central_rate_limited", "Requests refused with 429, "
                                      "by limit", labels=["limit"])
        for limit, count in refusals.items():
            refused.add_metric([limit], count)
        yield refused
