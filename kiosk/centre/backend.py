"""The centre's backend: the shared ``/v1`` layer's stores on PostgreSQL.

The same classes as the sandbox (the register, the fleet register and, for the demo,
tests and bench, the simulated core), over :class:`kiosk.centre.pg.PgDatabase`; rate
limits in ``rate_buckets``, terminal keys in ``terminal_keys`` (wrapped) and the
distinct-people watch in ``lookup_sightings``, so nothing two workers must agree on
lives in a worker's memory. The fleet register also keeps
each heartbeat's lights in ``heartbeat_history`` (pruned by :mod:`kiosk.centre.janitor`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path

from kiosk.central import schemas_fleet as f
from kiosk.central.sandbox.fleet_page import PART_ORDER
from kiosk.central.sandbox.fleet_store import FleetStore
from kiosk.central.sandbox.limits import Limit
from kiosk.central.sandbox.ports import CoreCardSystem
from kiosk.central.sandbox.rules import RegionalRules
from kiosk.central.sandbox.store import ServiceBackend
from kiosk.centre.keys import PgTerminalKeys
from kiosk.centre.limits import PgLimiter
from kiosk.centre.lookup_watch import PgLookupWatch
from kiosk.centre.pg import PgDatabase

LIGHT_CODE = {"ok": 0, "warn": 1, "fail": 2, "unknown": -1}


#: A terminal whose state has not changed still gets a history row this often.
HISTORY_SAMPLE = dt.timedelta(hours=1)


class CentreFleet(FleetStore):
    """The fleet register, plus a compact history: a row when a terminal's lights,
    pause, version or outbox depth change, and one an hour while nothing does (a row per
    heartbeat would cost ~330 MB per 1,000 terminals a day; measured by the bench)."""

    def after_heartbeat(self, hb: f.FleetHeartbeat, server_time: dt.datetime) -> None:
        parts = hb.parts.model_dump()
        lights = [LIGHT_CODE.get(str((parts.get(p) or {}).get("light", "unknown")), -1)
                  for p in PART_ORDER]
        depth = int((parts.get("outbox") or {}).get("depth") or 0)
        sig = f"{lights}|{int(hb.paused)}|{hb.version}|{min(depth, 10)}"
        changed = self.db.one(
            "INSERT INTO history_marks VALUES (?,?,?) ON CONFLICT (terminal_id) DO UPDATE "
            "SET sig = excluded.sig, at = excluded.at WHERE history_marks.sig <> excluded.sig "
            "OR history_marks.at < excluded.at - ?::interval RETURNING 1 AS x",
            hb.terminal_id, sig, server_time, HISTORY_SAMPLE)
        if changed is not None:
            self.db.run("INSERT INTO heartbeat_history VALUES (?,?,?,?,?,?)", hb.terminal_id,
                        server_time, lights, depth, hb.paused, hb.version)


class CentreBackend(ServiceBackend):
    """:class:`~kiosk.central.sandbox.ports.Backend` on PostgreSQL."""

    def __init__(self, db: PgDatabase, rules: RegionalRules, master_key: bytes,
                 bundle_dir: Path, core: CoreCardSystem | None = None) -> None:
        self.master_key = master_key
        self._limit_secret = hmac.new(master_key, b"rate-limit keys", hashlib.sha256).digest()
        watch_key = hmac.new(master_key, b"lookup watch", hashlib.sha256).digest()
        super().__init__(db, CentreFleet(db, bundle_dir), rules,
                         PgTerminalKeys(db, master_key), core=core,
                         watch=PgLookupWatch(db, watch_key))

    def handle_key(self) -> bytes:
        """Derived from the master key, which is kept out of the database: a dump of the
        database can neither open nor make a card handle."""
        return hmac.new(self.master_key, b"card handles", hashlib.sha256).digest()

    def limiter(self, limit: Limit, name: str) -> PgLimiter:
        """Buckets in PostgreSQL, shared by every worker (cleared by a harness reset)."""
        limiter = PgLimiter(self.db, limit, name, self._limit_secret)
        self.reset_hooks.append(limiter.clear)
        return limiter
