"""The distinct-people watch every worker shares: sightings in PostgreSQL.

The sandbox's :class:`~kiosk.central.sandbox.watch.LookupWatch` counts in one process's
memory; a centre runs several workers behind one address, so a terminal walking ID
numbers would spread its sightings over them and stay under the alert at each. Here
every sighting is a row of ``lookup_sightings`` (terminal, keyed digest, time), one per
person and terminal (upserted: the same person again only moves its time), so every
worker counts the same. The digest's key is derived from the master key (outside the
database): a dump lists no ID or card number, and a low-entropy ID number cannot be
recovered by hashing candidates. Sightings past the window are pruned by the janitor
(:func:`kiosk.centre.janitor.sweep`).

The 429s are counted here too, for the same reason: one row per rate limit in
``rate_limited``, incremented in one upsert, so ``kiosk_centre_rate_limited_total{limit}``
on the centre's ``/metrics`` is the province's count, whichever worker refused, and
survives a worker's restart. The row names the limit only (an allow-list,
:data:`~kiosk.central.sandbox.watch.RATE_LIMITS`), never who was refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kiosk.central.sandbox.db import Database, sql_int
from kiosk.central.sandbox.watch import (
    RATE_LIMITS,
    WINDOW_SECONDS,
    LookupWatch,
    RateLimitName,
    known_limit,
)

_SAW = ("INSERT INTO lookup_sightings (terminal_id, digest, at) VALUES (?, ?, ?) "
        "ON CONFLICT (terminal_id, digest) DO UPDATE SET at = GREATEST(lookup_sightings.at, "
        "excluded.at)")
_REFUSED = ("INSERT INTO rate_limited (limit_name, refused) VALUES (?, 1) "
            "ON CONFLICT (limit_name) DO UPDATE SET refused = rate_limited.refused + 1")


class PgLookupWatch(LookupWatch):
    """:class:`LookupWatch` over ``lookup_sightings``: one count across workers. The
    clock is the wall clock (shared by the workers), injectable for tests."""

    def __init__(self, db: Database, secret: bytes,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        super().__init__(clock, salt=secret)

    def saw(self, terminal_id: str, subject: str) -> None:
        """``terminal_id`` asked about ``subject`` (a person reference, or what was asked)."""
        with self.db.relaxed():  # a sighting lost to a server crash only delays an alert
            self.db.run(_SAW, terminal_id, self.digest(subject).hex(), self._clock())

    def distinct(self, terminal_id: str) -> int:
        """How many different people ``terminal_id`` asked about in the window."""
        row = self.db.one("SELECT COUNT(*) AS n FROM lookup_sightings WHERE terminal_id = ? "
                          "AND at >= ?", terminal_id, self._clock() - WINDOW_SECONDS)
        return sql_int(row["n"]) if row else 0

    def snapshot(self) -> dict[str, int]:
        """Terminal → distinct people in the window (terminals with any)."""
        return counts(self.db, self._clock())

    def clear(self) -> None:
        """Forget every sighting (an admin reset; the 429 counts stay: a counter)."""
        self.db.run("DELETE FROM lookup_sightings")

    def refused(self, limit: RateLimitName) -> None:
        """A request was refused with 429 by ``limit``: its row, +1, for every worker."""
        known_limit(limit)
        with self.db.relaxed():  # a count lost to a server crash is a count, not a request
            self.db.run(_REFUSED, limit)

    def refusals(self) -> dict[RateLimitName, int]:
        """429s so far by limit, across the workers (every limit; 0 when none)."""
        return refusals(self.db)


def counts(db: Database, now: float, at_least: int = 1) -> dict[str, int]:
    """Terminal → distinct people asked about in the window ending ``now``, for the
    terminals with ``at_least`` of them."""
    rows = db.all("SELECT terminal_id, COUNT(*) AS n FROM lookup_sightings WHERE at >= ? "
                  "GROUP BY terminal_id HAVING COUNT(*) >= ? ORDER BY terminal_id",
                  now - WINDOW_SECONDS, at_least)
    return {str(r["terminal_id"]): sql_int(r["n"]) for r in rows}


def refusals(db: Database) -> dict[RateLimitName, int]:
    """The 429 counts in ``rate_limited``, for each of
    :data:`~kiosk.central.sandbox.watch.RATE_LIMITS` (0 when none); a row of any other
    name (none is written by the code) is not served."""
    counted = {str(r["limit_name"]): sql_int(r["refused"])
               for r in db.all("SELECT limit_name, refused FROM rate_limited")}
    return {limit: counted.get(limit, 0) for limit in RATE_LIMITS}
