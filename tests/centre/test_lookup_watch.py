"""The distinct-people watch on PostgreSQL: one count for every worker, over the hour,
keeping no readable subject (kiosk/centre/lookup_watch.py)."""

from __future__ import annotations

from kiosk.central.sandbox.watch import WINDOW_SECONDS
from kiosk.centre.lookup_watch import PgLookupWatch
from kiosk.centre.pg import PgDatabase
from tests.fixtures.centre import CentreSetup

ID = "11010519491231002X"


def test_two_workers_count_one_person_once_over_the_hour(pg_cluster: CentreSetup):
    db = PgDatabase(pg_cluster.fresh_database("lookup_watch"), min_size=1, max_size=2)
    now = [1_000_000.0]
    try:
        one, two = (PgLookupWatch(db, b"k" * 32, clock=lambda: now[0]) for _ in range(2))
        one.saw("T-1", "asked:" + ID)
        two.saw("T-1", "asked:" + ID)  # the same person at the other worker
        two.saw("T-1", "person:P-2")
        one.saw("T-2", "asked:" + ID)
        assert one.distinct("T-1") == two.distinct("T-1") == 2
        assert one.snapshot() == two.snapshot() == {"T-1": 2, "T-2": 1}
        assert b"central_terminal_distinct_people{terminal_id=\"T-1\"} 2.0" in \
            one.exposition()
        kept = [r["digest"] for r in db.all("SELECT digest FROM lookup_sightings")]
        assert len(kept) == 3 and not any(ID in d or "P-2" in d for d in kept)
        # another key (another centre, or a guess) does not make the same digests
        assert PgLookupWatch(db, b"x" * 32).digest("asked:" + ID).hex() not in kept
        now[0] += WINDOW_SECONDS / 2
        two.saw("T-1", "person:P-2")  # seen again: its time moves, still one person
        now[0] += WINDOW_SECONDS / 2 + 1
        assert one.snapshot() == {"T-1": 1}  # only P-2 is within the hour
        one.clear()
        assert one.snapshot() == {} and two.distinct("T-1") == 0
    finally:
        db.close()
