"""Rate limits of the sandbox service: token buckets per terminal, per ID number and per
card number.

A bucket holds ``burst`` tokens and gains ``per_second`` back; a call takes one. An empty
bucket answers how long until the next token (the ``Retry-After`` of a 429).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """``burst`` calls at once, then ``per_second`` on average."""

    burst: float
    per_second: float


# Generous enough for a busy outlet terminal and for the test suite; tight enough that
# guessing through ID numbers or flooding a person's phone is slow.
TERMINAL_LIMIT = Limit(burst=600, per_second=20)
ID_NUMBER_LIMIT = Limit(burst=30, per_second=0.2)
# Per card number (lookups by a card's chip, status, progress, pre-loss, cancel): a
# person's session asks about a card a few times; walking card numbers is slow.
CARD_NUMBER_LIMIT = Limit(burst=12, per_second=0.05)
MAX_KEYS = 100_000  # buckets kept; beyond it the fullest are forgotten (they are full)


class RateLimiter:
    """Token buckets by key. Thread-safe; the clock is injectable for tests."""

    def __init__(self, limit: Limit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self._clock = limit, clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, at)

    def take(self, key: str) -> float:
        """Take a token: 0.0 when allowed, otherwise seconds until one is available."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.limit.burst, now))
            tokens = min(self.limit.burst, tokens + (now - at) * self.limit.per_second)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / self.limit.per_second
            if len(self._buckets) >= MAX_KEYS and key not in self._buckets:
                self._buckets.clear()
            self._buckets[key] = (tokens - 1, now)
            return 0.0

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()
