"""Workers starting together on an empty database seed the simulated core once.

``kiosk-centre serve --workers 2 --harness`` on a fresh database starts two workers at
the same instant; each found no person and seeded, and the second died on the
people's unique ID number (its supervisor restarted it). Seeding now holds a lock
(kiosk/central/sandbox/db.py ``exclusive``): the second worker waits, then finds the
first one's people.
"""

from __future__ import annotations

import threading

import pytest

from kiosk.central.sandbox.core import SEED_LOCK, SimulatedCore
from kiosk.central.sandbox.rules import RegionalRules
from kiosk.central.sandbox.store_util import ServiceClock
from kiosk.centre.pg import PgDatabase
from kiosk.personas import load_personas
from tests.fixtures.centre import CentreSetup
from tests.fixtures.polling import until


def _waiting_for_a_lock(db: PgDatabase) -> bool:
    row = db.one("SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' "
                 "AND NOT granted")
    return row is not None and row["n"] == 1


def test_a_second_worker_waits_for_the_first_ones_seed(pg_cluster: CentreSetup):
    url = pg_cluster.fresh_database("core_seed")
    first, second, watcher = (PgDatabase(url, min_size=1, max_size=2) for _ in range(3))
    failed: list[BaseException] = []

    def start_second_worker() -> None:
        try:
            SimulatedCore(second, RegionalRules(), ServiceClock())
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            failed.append(exc)

    other = threading.Thread(target=start_second_worker)
    try:
        with first.tx():
            SimulatedCore(first, RegionalRules(), ServiceClock())  # seeded, not committed
            other.start()
            # The second worker is held at the lock while the first one's people are
            # not yet committed (without it, it would find none and seed them again).
            until(lambda: _waiting_for_a_lock(watcher), 10,
                  "the second worker waiting for the seed lock")
        other.join(10)
        assert not other.is_alive() and not failed, failed
        # Each persona the core knows (one with an ID card and a central table), once.
        known = sum(1 for p in load_personas().values() if p.get("central") and p.get("id"))
        people = watcher.one("SELECT COUNT(*) AS n, COUNT(DISTINCT persona) AS personas "
                             "FROM persons")
        assert people is not None and people["n"] == people["personas"] == known
    finally:
        for db in (first, second, watcher):
            db.close()


def test_the_lock_is_for_transactions_only(pg_cluster: CentreSetup):
    """Outside a transaction the lock would be let go at once: refused, not ignored."""
    db = PgDatabase(pg_cluster.url, min_size=1, max_size=1)
    try:
        with pytest.raises(RuntimeError, match="outside a transaction"):
            db.exclusive(SEED_LOCK)
    finally:
        db.close()
