"""Retention: the janitor prunes heartbeat history and idempotency records past the
retention, and expired nonces, challenges, grants and idle buckets; one worker at a time
(an advisory lock)."""

from __future__ import annotations

import datetime as dt
import time

from kiosk.central.sandbox.watch import WINDOW_SECONDS
from kiosk.centre.janitor import LOCK_ID, sweep
from kiosk.centre.pg import PgDatabase
from tests.fixtures.centre import CentreSetup


def test_old_rows_go_and_new_ones_stay(pg_cluster: CentreSetup):
    url = pg_cluster.fresh_database("janitor")
    db = PgDatabase(url, min_size=1, max_size=2)
    try:
        now = dt.datetime.now(dt.UTC)
        old, new = now - dt.timedelta(days=31), now - dt.timedelta(days=29)
        db.run_many("INSERT INTO heartbeat_history VALUES (?,?,?,?,?,?)",
                    [(f"T-{i}", old if i % 2 else new, [0] * 8, 0, False, "0.1.0")
                     for i in range(100)])
        t = time.time()
        db.run_many("INSERT INTO nonces VALUES (?,?,?)",
                    [("T-1", "a" * 32, t - 700), ("T-1", "b" * 32, t - 10)])
        db.run_many("INSERT INTO idempotency VALUES (?,?,?,?,?,?,?)",
                    [("T-1", "k-old-000", "op", "x", 200, "{}", t - 31 * 86400),
                     ("T-1", "k-new-000", "op", "x", 200, "{}", t - 29 * 86400)])
        assert sweep(db, max_skew=300, retention_days=30) == 50 + 1 + 1
        assert db.one("SELECT COUNT(*) AS n FROM heartbeat_history")["n"] == 50
        assert [r["nonce"] for r in db.all("SELECT nonce FROM nonces")] == ["b" * 32]
        assert [r["key"] for r in db.all("SELECT key FROM idempotency")] == ["k-new-000"]
        # another worker holding the housekeeping lock: this one does nothing
        with db.tx():
            db.one("SELECT pg_advisory_xact_lock(?)", LOCK_ID)
            other = PgDatabase(url, min_size=1, max_size=1)
            try:
                assert sweep(other, max_skew=300, retention_days=0) == 0
            finally:
                other.close()
    finally:
        db.close()


def test_lookup_sightings_past_the_watchs_hour_go(pg_cluster: CentreSetup):
    url = pg_cluster.fresh_database("janitor_sightings")
    db = PgDatabase(url, min_size=1, max_size=2)
    try:
        t = time.time()
        db.run_many("INSERT INTO lookup_sightings VALUES (?,?,?)",
                    [("T-1", "a" * 24, t - WINDOW_SECONDS - 60), ("T-1", "b" * 24, t - 60)])
        assert sweep(db, max_skew=300, retention_days=30) == 1
        assert [r["digest"] for r in db.all("SELECT digest FROM lookup_sightings")] == [
            "b" * 24]
    finally:
        db.close()
