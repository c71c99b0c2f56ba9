"""The sandbox's backend: the simulated core card system and the terminal register on
SQLite, assembled as a :class:`kiosk.central.sandbox.ports.Backend`.

- ``store.core`` — :class:`~kiosk.central.sandbox.core.SimulatedCore` (the card rules),
- ``store.register`` — :class:`~kiosk.central.sandbox.register.SqlRegister` (nonces,
  idempotency, SMS challenges, e-SSC grants, heartbeats),

both in one SQLite file (one connection, so an idempotent operation's effect and its
stored answer commit in one transaction), and ``store.fleet`` —
:class:`~kiosk.central.sandbox.fleet_store.FleetStore` in ``<db>-fleet.db``. Rate limits
are token buckets in memory (one process). The centre (``kiosk.centre``) assembles the
same parts on PostgreSQL.

The store also answers the old one-object calls the tests and the admin API use
(``store.pre_loss``, ``store.reset()``, ``store.recorded_pre_losses()``, ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from kiosk.central.sandbox.core import CORE_TABLES, SimulatedCore
from kiosk.central.sandbox.core import SQLITE_SCHEMA as CORE_SCHEMA
from kiosk.central.sandbox.db import Database, SqliteDatabase
from kiosk.central.sandbox.fleet_store import FleetStore
from kiosk.central.sandbox.limits import Limit, RateLimiter
from kiosk.central.sandbox.operations import confirm_code, request_code
from kiosk.central.sandbox.ports import (
    Answer,
    CoreCardSystem,
    Limiter,
    StaticKeys,
    TerminalKeys,
)
from kiosk.central.sandbox.register import SQLITE_SCHEMA as REGISTER_SCHEMA
from kiosk.central.sandbox.register import SqlRegister
from kiosk.central.sandbox.rules import RegionalRules
from kiosk.central.sandbox.store_util import ApiProblem, ServiceClock
from kiosk.central.sandbox.watch import LookupWatch
from kiosk.central.schemas import ProblemCode
from kiosk.storage import ensure_dir

__all__ = ["ApiProblem", "SandboxStore", "ServiceBackend"]


class ServiceBackend:
    """The simulated core, the register and the fleet register on one database, with
    their one-object calls (see the module doc). The sandbox (:class:`SandboxStore`)
    and the centre's demo, tests and bench (``kiosk.centre``) build one each."""

    def __init__(self, db: Database, fleet: FleetStore, rules: RegionalRules,
                 keys: TerminalKeys, core: CoreCardSystem | None = None,
                 watch: LookupWatch | None = None) -> None:
        self.db, self.fleet, self.rules, self.keys = db, fleet, rules, keys
        self.clock = ServiceClock()
        # A province's own core when given; else the simulated one (demo, tests, bench).
        self.simulated: SimulatedCore | None = None
        if core is None:
            self.simulated = core = SimulatedCore(db, rules, self.clock)
        self.core: CoreCardSystem = core
        self.register = SqlRegister(db, self.clock)
        # Terminals that ask about many people (the alert metric; kiosk/central/sandbox/watch):
        # in this process's memory unless given (the centre's is in its database).
        self.watch = watch if watch is not None else LookupWatch()
        # Called by reset() (in-memory state kept elsewhere, e.g. rate limits).
        self.reset_hooks: list[Callable[[], None]] = [self.fleet.reset, self.watch.clear]
        if isinstance(keys, StaticKeys):  # the sandbox's revocations go with a reset
            self.reset_hooks.append(keys.revoked_ids.clear)

    # ---- the Backend -----------------------------------------------------------------

    def now(self) -> dt.datetime:
        """Service time (UTC), shifted by the admin clock offset for lapse tests."""
        return self.clock.now()

    def limiter(self, limit: Limit, name: str) -> Limiter:
        """Token buckets in this process's memory (cleared by a reset)."""
        limiter = RateLimiter(limit)
        self.reset_hooks.append(limiter.clear)
        return limiter

    def handle_key(self) -> bytes:
        """The register's secret (made once, kept in the database beside the stores)."""
        return self.register.handle_key()

    @property
    def clock_offset(self) -> dt.timedelta:
        """The admin's time travel."""
        return self.clock.offset

    @clock_offset.setter
    def clock_offset(self, value: dt.timedelta) -> None:
        self.clock.offset = value

    def close(self) -> None:
        """Close both databases."""
        self.fleet.close()
        self.db.close()

    def reset(self) -> None:
        """Forget everything but the nonces and seed the personas again. The nonce table
        is kept: a reset must not let a recorded request be replayed."""
        with self.db.tx():
            self.register.reset()
            self.clock.offset = dt.timedelta(0)
            if self.simulated is not None:
                self.simulated.reset()
        for hook in self.reset_hooks:
            hook()

    # ---- one-object calls (tests, admin API) ------------------------------------------

    def simulation(self) -> SimulatedCore:
        """The simulated core (its admin operations), or 404 when a real one is used."""
        if self.simulated is None:
            raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no simulated core here")
        return self.simulated

    # The core's reads and admin operations and the register's, as one object (the
    # tests and the admin API; the routes use ``core`` and ``register``).

    def lookup(self, id_number: str | None = None, card_number: str | None = None
               ) -> Answer:
        """See :meth:`SimulatedCore.lookup`."""
        return self.core.lookup(id_number, card_number)

    def card_status(self, card_number: str) -> Answer:
        """See :meth:`SimulatedCore.card_status`."""
        return self.core.card_status(card_number)

    def replacement_progress(self, card_number: str | None = None,
                             id_number: str | None = None) -> Answer:
        """See :meth:`SimulatedCore.replacement_progress`."""
        return self.core.replacement_progress(card_number, id_number)

    def pre_loss(self, card_number: str, id_number: str, terminal_id: str,
                 channel: str = "kiosk", idempotency_key: str | None = None) -> Answer:
        """See :meth:`SimulatedCore.pre_loss`."""
        return self.core.pre_loss(card_number, id_number, terminal_id, channel,
                                  idempotency_key)

    def cancel_pre_loss(self, card_number: str, id_number: str,
                        idempotency_key: str | None = None) -> Answer:
        """See :meth:`SimulatedCore.cancel_pre_loss`."""
        return self.core.cancel_pre_loss(card_number, id_number, idempotency_key)

    def apply_replacement(self, card_number: str, mailed: bool = False,
                          outlet: str | None = None) -> Answer:
        """See :meth:`SimulatedCore.apply_replacement`."""
        return self.simulation().apply_replacement(card_number, mailed, outlet)

    def advance_replacement(self, card_number: str) -> Answer:
        """See :meth:`SimulatedCore.advance_replacement`."""
        return self.simulation().advance_replacement(card_number)

    def recorded_pre_losses(self) -> list[Answer]:
        """Every pre-loss the core holds."""
        return self.simulation().recorded_pre_losses()

    def recorded_cancellations(self) -> list[Answer]:
        """Every cancellation the core holds."""
        return self.simulation().recorded_cancellations()

    def person_ids(self) -> dict[str, str]:
        """Persona key → person_ref (tests)."""
        return self.simulation().person_ids()

    def idempotent(self, terminal_id: str, key: str, operation: str, body: bytes,
                   action: Callable[[], Answer]) -> tuple[int, Answer, bool]:
        """See :meth:`SqlRegister.idempotent`."""
        return self.register.idempotent(terminal_id, key, operation, body, action)

    def remember_nonce(self, terminal_id: str, nonce: str, window: float) -> None:
        """See :meth:`SqlRegister.remember_nonce`."""
        self.register.remember_nonce(terminal_id, nonce, window)

    def last_code(self, challenge_id: str | None = None) -> Answer:
        """The last "SMS" (admin API)."""
        return self.register.last_code(challenge_id)

    def heartbeats(self) -> list[Answer]:
        """Every plain heartbeat (admin API)."""
        return self.register.heartbeats()

    def request_code(self, id_number: str, terminal_id: str = "") -> Answer:
        """Send a code to the person's phone (as the route does)."""
        return request_code(self, id_number, terminal_id)

    def confirm_code(self, challenge_id: str, code: str, terminal_id: str = "") -> Answer:
        """Confirm a code: the person's cards (as the route does)."""
        return confirm_code(self, challenge_id, code, terminal_id)


class SandboxStore(ServiceBackend):
    """The sandbox's backend: SQLite files, in-memory rate limits, the demo key."""

    def __init__(self, path: Path, rules: RegionalRules,
                 keys: dict[str, bytes] | None = None) -> None:
        self.path = Path(path)
        ensure_dir(self.path.parent, "the sandbox database directory", mode=0o700)
        db = SqliteDatabase(self.path)
        legacy = "pre" + "losses"  # the table's name in version 0.1 databases
        if legacy in db.tables():
            db.run(f"ALTER TABLE {legacy} RENAME TO pre_losses")
        if "persons" in db.tables() and "id_valid_from" not in {
                r["name"] for r in db.all("PRAGMA table_info(persons)")}:
            # A core from before ID card facts and chip ids: seeded again from the
            # personas (the sandbox's core holds nothing else).
            for table in CORE_TABLES:
                db.run(f"DROP TABLE IF EXISTS {table}")  # noqa: S608 - fixed names
        db.script(CORE_SCHEMA + REGISTER_SCHEMA)
        columns = {r["name"] for r in db.all("PRAGMA table_info(challenges)")}
        if "terminal_id" not in columns:  # a database from before codes had a terminal
            db.run("ALTER TABLE challenges ADD COLUMN terminal_id TEXT")
        super().__init__(db, FleetStore.sqlite(self.path.with_name(
            self.path.stem + "-fleet.db")), rules, StaticKeys(keys or {}))
