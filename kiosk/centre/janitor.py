"""Housekeeping every worker runs in a background thread (every few seconds).

- Rollouts advance (:meth:`kiosk.centre.rollouts.Rollouts.advance`; row locks with SKIP
  LOCKED, so every worker may try).
- Under an advisory lock (one worker at a time): expired nonces, challenges, idle
  rate-limit buckets and lookup sightings past the watch's hour are deleted; heartbeat
  history and idempotency records older than the retention are pruned in batches of
  :data:`PRUNE_BATCH` rows (a long DELETE would hold locks and bloat one transaction).
"""

from __future__ import annotations

import threading
import time

from kiosk.central.sandbox.db import Database
from kiosk.central.sandbox.watch import WINDOW_SECONDS
from kiosk.centre.rollouts import Rollouts
from kiosk.logs import get_logger

log = get_logger("kiosk.centre.janitor")
PRUNE_BATCH = 10_000
LOCK_ID = 0x6B696F736C  # the housekeeping advisory lock


def sweep(db: Database, max_skew: float, retention_days: int) -> int:
    """One housekeeping pass if no other worker is in one; rows deleted."""
    now = time.time()
    deleted = 0
    with db.tx():
        got = db.one("SELECT pg_try_advisory_xact_lock(?) AS ok", LOCK_ID)
        if not got or not got["ok"]:
            return 0
        deleted += db.run("DELETE FROM nonces WHERE ts < ?", now - 2 * max_skew)
        deleted += db.run("DELETE FROM challenges WHERE expires_at < ?", now - 3600)
        deleted += db.run("DELETE FROM rate_buckets WHERE at < ?", now - 3600)
        deleted += db.run("DELETE FROM lookup_sightings WHERE at < ?", now - WINDOW_SECONDS)
        deleted += db.run(
            "DELETE FROM idempotency WHERE ctid IN (SELECT ctid FROM idempotency WHERE "
            "at < ? LIMIT ?)", now - retention_days * 86_400.0, PRUNE_BATCH)
        deleted += db.run(
            "DELETE FROM heartbeat_history WHERE ctid IN (SELECT ctid FROM heartbeat_history "
            "WHERE at < now() - make_interval(days => ?) LIMIT ?)", retention_days,
            PRUNE_BATCH)
    return deleted


class Janitor:
    """The background thread (stopped with :meth:`stop`)."""

    def __init__(self, db: Database, rollouts: Rollouts, max_skew: float,
                 retention_days: int, every: float = 5.0) -> None:
        self.db, self.rollouts = db, rollouts
        self.max_skew, self.retention_days, self.every = max_skew, retention_days, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="centre-janitor", daemon=True)

    def start(self) -> Janitor:
        """Start the thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the current pass."""
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.rollouts.advance()
                sweep(self.db, self.max_skew, self.retention_days)
            except Exception as exc:  # noqa: BLE001 - keep the worker's housekeeping alive
                log.error("housekeeping failed", extra={"fields": {
                    "error": type(exc).__name__}})
