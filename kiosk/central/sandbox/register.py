"""The front-end service's per-request state about terminals, behind
:class:`kiosk.central.sandbox.ports.TerminalRegister`: nonces, idempotency records, SMS
challenges, the card handles' key, the plain heartbeat and the staff calls (一键呼叫).
One implementation over :class:`kiosk.central.sandbox.db.Database` (SQLite in the
sandbox, PostgreSQL in the centre).

Two workers on one database agree because every check is a statement the database
serialises: a nonce is a primary key (the second INSERT fails); an idempotency key is
claimed by inserting its row first (the second worker's INSERT waits for the first's
transaction and then sees its answer); a challenge is read ``FOR UPDATE`` before a try
is spent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import time
from collections.abc import Callable

from kiosk.central.sandbox.db import (
    Committed,
    Database,
    DuplicateKey,
    Row,
    sql_float,
    sql_int,
    sql_str,
)
from kiosk.central.sandbox.ports import Answer, Contact
from kiosk.central.sandbox.store_util import ApiProblem, ServiceClock, _iso
from kiosk.central.schemas import ProblemCode
from kiosk.domain.masking import mask_phone

CODE_TTL_SECONDS = 300
CODE_TRIES = 3
RESEND_COOLDOWN_SECONDS = 60

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS challenges (
  challenge_id TEXT PRIMARY KEY, person_ref TEXT NOT NULL, code TEXT NOT NULL,
  expires_at REAL NOT NULL, tries_left INTEGER NOT NULL, created REAL NOT NULL,
  terminal_id TEXT);
CREATE TABLE IF NOT EXISTS idempotency (
  terminal_id TEXT NOT NULL, key TEXT NOT NULL, operation TEXT NOT NULL,
  body_sha256 TEXT NOT NULL, status INTEGER NOT NULL, response TEXT NOT NULL,
  at REAL NOT NULL, PRIMARY KEY (terminal_id, key));
CREATE TABLE IF NOT EXISTS nonces (
  terminal_id TEXT NOT NULL, nonce TEXT NOT NULL, ts REAL NOT NULL,
  PRIMARY KEY (terminal_id, nonce));
CREATE TABLE IF NOT EXISTS heartbeats (
  terminal_id TEXT PRIMARY KEY, clock TEXT, version TEXT, outbox_depth INTEGER,
  received TEXT, accepted INTEGER);
CREATE TABLE IF NOT EXISTS service_secrets (
  name TEXT PRIMARY KEY, secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS help_requests (
  request_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, outlet TEXT NOT NULL,
  step TEXT NOT NULL, terminal_at TEXT NOT NULL, received_at TEXT NOT NULL,
  acknowledged_at TEXT, acknowledged_by TEXT);
CREATE INDEX IF NOT EXISTS help_requests_outlet ON help_requests (outlet, received_at);
"""
#: Cleared by an admin reset (the nonces never are: a reset must not re-open requests;
#: nor the service's secrets).
RESET_TABLES = ("challenges", "idempotency", "heartbeats", "help_requests")
#: Who may acknowledge a staff call, as the register records it.
HELP_ACK_SOURCES = ("staff_page", "fleet_cli")
HELP_LIST_LIMIT = 100


class SqlRegister:
    """:class:`~kiosk.central.sandbox.ports.TerminalRegister` over a database."""

    def __init__(self, db: Database, clock: ServiceClock) -> None:
        self.db, self.clock = db, clock

    def reset(self) -> None:
        """Forget everything but the nonces."""
        with self.db.tx():
            for table in RESET_TABLES:
                self.db.run(f"DELETE FROM {table}")  # noqa: S608 - fixed names

    # ---- signing support --------------------------------------------------------------

    def remember_nonce(self, terminal_id: str, nonce: str, window: float) -> None:
        now = time.time()
        try:
            if self.db.dialect == "sqlite":  # one process: sweep as it goes
                with self.db.tx():
                    self.db.run("DELETE FROM nonces WHERE ts < ?", now - 2 * window)
                    self.db.run("INSERT INTO nonces VALUES (?,?,?)", terminal_id, nonce, now)
            else:  # one statement; the centre's janitor sweeps the old ones
                self.db.run("INSERT INTO nonces VALUES (?,?,?)", terminal_id, nonce, now)
        except DuplicateKey:
            raise ApiProblem(ProblemCode.REPLAYED, 401, "nonce already used") from None

    # ---- exactly once -----------------------------------------------------------------

    def idempotent(self, terminal_id: str, key: str, operation: str, body: bytes,
                   action: Callable[[], Answer]) -> tuple[int, Answer, bool]:
        """Run ``action`` once per (terminal, key): ``(status, body, replayed)``.

        Same key and same body → the stored answer (success or refusal); same key and a
        different body → ``idempotency_conflict``. The key is claimed first (a row with
        status 0); the effect and the answer commit with it in one transaction, so a
        worker killed half-way leaves neither.
        """
        digest = hashlib.sha256(body).hexdigest()
        with self.db.tx():
            claimed = self.db.one(
                "INSERT INTO idempotency VALUES (?,?,?,?,0,'',?) ON CONFLICT DO NOTHING "
                "RETURNING key", terminal_id, key, operation, digest, self.clock.now()
                .timestamp())
            if claimed is None:
                row = self.db.one("SELECT * FROM idempotency WHERE terminal_id = ? AND "
                                  "key = ?", terminal_id, key)
                assert row is not None
                if row["operation"] != operation or row["body_sha256"] != digest:
                    raise ApiProblem(ProblemCode.IDEMPOTENCY_CONFLICT, 409,
                                     "key already used for a different request")
                stored: object = json.loads(sql_str(row["response"]))
                assert isinstance(stored, dict), "an idempotency record keeps an object"
                return sql_int(row["status"]), stored, True
            self.db.run("SAVEPOINT op")
            try:
                status, result = 200, action()
                self.db.run("RELEASE op")
            except ApiProblem as exc:
                self.db.run("ROLLBACK TO op")
                self.db.run("RELEASE op")
                status, result = exc.status, _stored_problem(exc)
            self.db.run("UPDATE idempotency SET status = ?, response = ? WHERE "
                        "terminal_id = ? AND key = ?", status,
                        json.dumps(result, ensure_ascii=False), terminal_id, key)
            return status, result, False

    # ---- verification by code sent to the phone on record ---------------------------

    def new_challenge(self, contact: Contact, terminal_id: str) -> Answer:
        """One live code per person: a new one replaces the old; within
        :data:`RESEND_COOLDOWN_SECONDS` of the last, 429 ``resend_too_soon``."""
        with self.db.tx():
            now = self.clock.now().timestamp()
            last = self.db.one("SELECT MAX(created) AS last FROM challenges WHERE "
                               "person_ref = ?", contact.person_ref)
            last_value = last["last"] if last is not None else None  # NULL: no code yet
            last_at = sql_float(last_value) if last_value is not None else None
            if last_at is not None and now - last_at < RESEND_COOLDOWN_SECONDS:
                wait = int(RESEND_COOLDOWN_SECONDS - (now - last_at)) + 1
                raise ApiProblem(ProblemCode.RESEND_TOO_SOON, 429, "a code was sent moments ago",
                                 headers={"Retry-After": str(wait)})
            self.db.run("DELETE FROM challenges WHERE person_ref = ?", contact.person_ref)
            challenge = secrets.token_hex(12)
            code = f"{secrets.randbelow(10**6):06d}"
            self.db.run("INSERT INTO challenges (challenge_id, person_ref, code, expires_at, "
                        "tries_left, created, terminal_id) VALUES (?,?,?,?,?,?,?)",
                        challenge, contact.person_ref, code, now + CODE_TTL_SECONDS,
                        CODE_TRIES, now, terminal_id)
            return {"challenge_id": challenge, "code": code,
                    "phone_masked": mask_phone(contact.phone),
                    "expires_in": CODE_TTL_SECONDS,
                    "resend_after_seconds": RESEND_COOLDOWN_SECONDS}

    def spend_challenge(self, challenge_id: str, code: str, terminal_id: str) -> str:
        """Confirm a code, only from the terminal that asked for it: the person's ref."""
        with self.db.tx():
            ch = self.db.one("SELECT * FROM challenges WHERE challenge_id = ?"
                             + self.db.for_update, challenge_id)
            if ch is not None and (ch["terminal_id"] or "") != terminal_id:
                ch = None  # another terminal's challenge does not exist for this one
            if ch is None:
                raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such challenge")
            tries_left = sql_int(ch["tries_left"])
            if tries_left <= 0:
                raise ApiProblem(ProblemCode.CODE_BLOCKED, 403, "too many wrong codes",
                                 tries_left=0)
            if self.clock.now().timestamp() > sql_float(ch["expires_at"]):
                raise ApiProblem(ProblemCode.CODE_EXPIRED, 410, "the code has expired")
            if not secrets.compare_digest(sql_str(ch["code"]), code):
                left = tries_left - 1
                self.db.run("UPDATE challenges SET tries_left = ? WHERE challenge_id = ?",
                            left, challenge_id)
                if left <= 0:
                    raise Committed(ApiProblem(ProblemCode.CODE_BLOCKED, 403,
                                               "too many wrong codes", tries_left=0))
                raise Committed(ApiProblem(ProblemCode.CODE_WRONG, 403, "wrong code",
                                           tries_left=left))
            # A code is good once.
            self.db.run("UPDATE challenges SET tries_left = 0 WHERE challenge_id = ?",
                        challenge_id)
            return str(ch["person_ref"])

    def last_code(self, challenge_id: str | None = None) -> Answer:
        """The "SMS" a test reads (admin API only)."""
        with self.db.tx():
            if challenge_id:
                row = self.db.one("SELECT * FROM challenges WHERE challenge_id = ?",
                                  challenge_id)
            else:
                row = self.db.one("SELECT * FROM challenges ORDER BY created DESC LIMIT 1")
            if row is None:
                raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no challenge yet")
            return {"challenge_id": row["challenge_id"], "code": row["code"],
                    "tries_left": row["tries_left"]}

    # ---- the card handles' key ---------------------------------------------------------

    def handle_key(self) -> bytes:
        """Made once (32 random bytes), then read: every worker seals and opens the
        same handles (:mod:`kiosk.central.sandbox.handles`)."""
        with self.db.tx():
            self.db.run("INSERT INTO service_secrets VALUES (?,?) ON CONFLICT DO NOTHING",
                        "handles", secrets.token_hex(32))
            row = self.db.one("SELECT secret FROM service_secrets WHERE name = ?", "handles")
        assert row is not None
        return bytes.fromhex(str(row["secret"]))

    # ---- the plain heartbeat ------------------------------------------------------------

    def heartbeat(self, terminal_id: str, clock: dt.datetime, version: str,
                  outbox_depth: int, max_skew: float) -> Answer:
        now = dt.datetime.now(dt.UTC)
        if clock.tzinfo is None:
            clock = clock.replace(tzinfo=dt.UTC)
        accepted = abs((now - clock).total_seconds()) <= max_skew
        with self.db.tx():
            self.db.run(
                "INSERT INTO heartbeats VALUES (?,?,?,?,?,?) ON CONFLICT (terminal_id) DO "
                "UPDATE SET clock = excluded.clock, version = excluded.version, "
                "outbox_depth = excluded.outbox_depth, received = excluded.received, "
                "accepted = excluded.accepted",
                terminal_id, _iso(clock), version, outbox_depth, _iso(now), int(accepted))
        return {"server_time": _iso(now), "accepted": accepted}

    def heartbeats(self) -> list[Answer]:
        """Every plain heartbeat recorded (admin API)."""
        with self.db.tx():
            return [dict(r) for r in self.db.all("SELECT * FROM heartbeats")]

    # ---- staff calls (一键呼叫) ------------------------------------------------------

    def help_request(self, terminal_id: str, request_id: str, outlet: str, step: str,
                     terminal_at: dt.datetime) -> Answer:
        """Record a staff call; a repeat of the same ``request_id`` answers the same
        ticket, another terminal's is 403 ``not_allowed``."""
        with self.db.tx():
            self.db.run("INSERT INTO help_requests (request_id, terminal_id, outlet, step, "
                        "terminal_at, received_at) VALUES (?,?,?,?,?,?) "
                        "ON CONFLICT (request_id) DO NOTHING", request_id, terminal_id,
                        outlet, step, _iso(terminal_at), _iso(self.clock.now()))
            row = self._help_row(request_id)
        assert row is not None
        if row["terminal_id"] != terminal_id:
            raise ApiProblem(ProblemCode.NOT_ALLOWED, 403, "not this terminal's call")
        return _help_ticket(row)

    def help_status(self, terminal_id: str, request_id: str) -> Answer:
        """The ticket of one of this terminal's calls (another's is 404)."""
        with self.db.tx():
            row = self._help_row(request_id)
        if row is None or row["terminal_id"] != terminal_id:
            raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such call")
        return _help_ticket(row)

    def help_acknowledge(self, request_id: str, by: str, outlet: str | None = None
                         ) -> Answer:
        """Staff are on their way (a repeat changes nothing); ``outlet``: only a call
        of that outlet (its staff page's own)."""
        if by not in HELP_ACK_SOURCES:
            raise ValueError(f"unknown acknowledgement source {by!r}")
        with self.db.tx():
            row = self._help_row(request_id)
            if row is None or (outlet is not None and row["outlet"] != outlet):
                raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such call")
            self.db.run("UPDATE help_requests SET acknowledged_at = ?, acknowledged_by = ? "
                        "WHERE request_id = ? AND acknowledged_at IS NULL",
                        _iso(self.clock.now()), by, request_id)
            row = self._help_row(request_id)
        assert row is not None
        return _help_listed(row)

    def help_oldest_waiting(self, terminal_id: str) -> str | None:
        """The request id of the terminal's oldest unanswered call, if any."""
        with self.db.tx():
            row = self.db.one("SELECT request_id FROM help_requests WHERE terminal_id = ? "
                              "AND acknowledged_at IS NULL ORDER BY received_at LIMIT 1",
                              terminal_id)
        return str(row["request_id"]) if row is not None else None

    def help_calls(self, outlet: str | None = None, limit: int = HELP_LIST_LIMIT
                   ) -> list[Answer]:
        """Calls (of one outlet, or all): unanswered first, oldest first; then answered
        ones, newest first."""
        where, args = ("WHERE outlet = ? ", [outlet]) if outlet else ("", [])
        with self.db.tx():
            waiting = self.db.all(
                "SELECT * FROM help_requests " + where  # noqa: S608 - fixed text
                + ("AND" if outlet else "WHERE") + " acknowledged_at IS NULL "
                "ORDER BY received_at LIMIT ?", *args, limit)
            answered = self.db.all(
                "SELECT * FROM help_requests " + where  # noqa: S608 - fixed text
                + ("AND" if outlet else "WHERE") + " acknowledged_at IS NOT NULL "
                "ORDER BY received_at DESC LIMIT ?", *args, limit)
        return [_help_listed(r) for r in [*waiting, *answered][:limit]]

    def _help_row(self, request_id: str) -> Row | None:
        return self.db.one("SELECT * FROM help_requests WHERE request_id = ?", request_id)


def _help_ticket(row: Row) -> Answer:
    """A call as the terminal sees it (``HelpTicket``)."""
    return {"request_id": row["request_id"],
            "state": "acknowledged" if row["acknowledged_at"] else "waiting",
            "received_at": row["received_at"], "acknowledged_at": row["acknowledged_at"]}


def _help_listed(row: Row) -> Answer:
    """A call as the staff see it: the ticket, the terminal, outlet and step."""
    return {**_help_ticket(row), "terminal_id": row["terminal_id"], "outlet": row["outlet"],
            "step": row["step"], "terminal_at": row["terminal_at"],
            "acknowledged_by": row["acknowledged_by"]}


def _stored_problem(exc: ApiProblem) -> Answer:
    """A refusal as its idempotency record keeps it (the route answers it again)."""
    stored: Answer = {"__problem__": exc.code.value, "detail": exc.detail}
    if exc.tries_left is not None:
        stored["tries_left"] = exc.tries_left
    if exc.headers is not None:
        stored["headers"] = dict(exc.headers)
    return stored
