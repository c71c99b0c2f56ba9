"""Rate limits every worker shares: token buckets in PostgreSQL (``rate_buckets``).

The same buckets as :class:`kiosk.central.sandbox.limits.RateLimiter` (``burst`` tokens,
``per_second`` back), taken in one upsert, so two workers never hand out the same token.
Keys that could be personal (an ID number) are stored as an HMAC under a secret derived
from the master key (outside the database), so a dump lists no ID numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from kiosk.central.sandbox.db import Database, sql_float
from kiosk.central.sandbox.limits import Limit

_TAKE = (
    "INSERT INTO rate_buckets AS b (name, key, tokens, at, ok) VALUES (?, ?, ?, ?, TRUE) "
    "ON CONFLICT (name, key) DO UPDATE SET "
    "ok = LEAST(?, b.tokens + (excluded.at - b.at) * ?) >= 1, "
    "tokens = LEAST(?, b.tokens + (excluded.at - b.at) * ?) "
    "- CASE WHEN LEAST(?, b.tokens + (excluded.at - b.at) * ?) >= 1 THEN 1 ELSE 0 END, "
    "at = excluded.at RETURNING ok, tokens")


class PgLimiter:
    """:class:`kiosk.central.sandbox.ports.Limiter` over ``rate_buckets``."""

    def __init__(self, db: Database, limit: Limit, name: str, secret: bytes = b"") -> None:
        self.db, self.limit, self.name, self.secret = db, limit, name, secret

    def _key(self, key: str) -> str:
        if not self.secret:
            return key
        return hmac.new(self.secret, key.encode(), hashlib.sha256).hexdigest()[:32]

    def take(self, key: str) -> float:
        burst, rate = self.limit.burst, self.limit.per_second
        row = self.db.one(_TAKE, self.name, self._key(key), burst - 1, time.time(),
                          burst, rate, burst, rate, burst, rate)
        if row is None or row["ok"]:
            return 0.0
        return (1 - sql_float(row["tokens"])) / rate

    def clear(self) -> None:
        self.db.run("DELETE FROM rate_buckets WHERE name = ?", self.name)
