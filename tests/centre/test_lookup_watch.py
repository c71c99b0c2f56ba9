"""The distinct-people watch on PostgreSQL: one count for every worker, over the hour,
keeping no readable subject (kiosk/centre/lookup_watch.py)."""

from __future__ import annotations

import psycopg
import pytest

from kiosk.central.sandbox.watch import WINDOW_SECONDS
from kiosk.centre.lookup_watch import PgLookupWatch
from kiosk.centre.metrics import render_metrics
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


def test_429s_counted_by_two_workers_are_one_row_per_limit_and_only_known_limits_served(
        pg_cluster: CentreSetup):
    db = PgDatabase(pg_cluster.fresh_database("rate_limited"), min_size=1, max_size=2)
    try:
        one, two = (PgLookupWatch(db, b"k" * 32) for _ in range(2))
        assert one.refusals() == {"terminal": 0, "id_number": 0, "card_number": 0}
        one.refused("card_number")
        two.refused("card_number")
        two.refused("terminal")
        assert one.refusals() == two.refusals() == {"terminal": 1, "id_number": 0,
                                                    "card_number": 2}
        assert db.all("SELECT limit_name, refused FROM rate_limited ORDER BY 1") == [
            {"limit_name": "card_number", "refused": 2},
            {"limit_name": "terminal", "refused": 1}]
        assert b'central_rate_limited_total{limit="card_number"} 2.0' in one.exposition()
        # A name off the allow-list is refused before the database…
        for name in ("unknown", "X00000019", ID, "T-DEMO-0001"):
            with pytest.raises(ValueError, match="not a rate limit"):
                one.refused(name)  # type: ignore[arg-type]
        # … and the table holds a short lowercase name only (no card, ID or terminal id).
        for name in ("X00000019", ID, "T-DEMO-0001", "a" * 33):
            with pytest.raises(psycopg.errors.CheckViolation):
                db.run("INSERT INTO rate_limited VALUES (?, 1)", name)
        # A row of another name (none is written by the code) is not served.
        db.run("INSERT INTO rate_limited VALUES ('made_up', 7)")
        text = render_metrics(db)
        served = [ln for ln in text.splitlines()
                  if ln.startswith("kiosk_centre_rate_limited_total")]
        assert served == ['kiosk_centre_rate_limited_total{limit="terminal"} 1',
                          'kiosk_centre_rate_limited_total{limit="id_number"} 0',
                          'kiosk_centre_rate_limited_total{limit="card_number"} 2']
        assert "# TYPE kiosk_centre_rate_limited_total counter" in text
        one.clear()  # an admin reset forgets sightings; a counter is never reset
        assert two.refusals()["card_number"] == 2
    finally:
        db.close()
