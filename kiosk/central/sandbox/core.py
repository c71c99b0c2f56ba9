"""The sandbox's state in one SQLite file, with the real card rules applied.

State changes go through :func:`kiosk.domain.card_states.next_state` and
:func:`~kiosk.domain.card_states.next_stage`; the sandbox has no rules of its own. Every
operation runs under one lock and one SQLite transaction, so an idempotent operation's
effect and its stored answer are committed together (exactly once, even if the process
dies half-way).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kiosk.central.sandbox.rules import RegionalRules, local_date
from kiosk.central.sandbox.store_admin import SeedAndAdmin
from kiosk.central.sandbox.store_util import ApiProblem, _at, _Committed, _iso, _rule
from kiosk.central.schemas import ProblemCode
from kiosk.domain.card_states import (
    CardState,
    RuleViolation,
    can_cancel_pre_loss,
    next_state,
)
from kiosk.domain.masking import mask_phone
from kiosk.storage import ensure_dir, make_private, private_sqlite_files, private_umask

CODE_TTL_SECONDS = 300
CODE_TRIES = 3
RESEND_COOLDOWN_SECONDS = 60

SCHEMA = """
CREATE TABLE IF NOT EXISTS persons (
  person_ref TEXT PRIMARY KEY, persona TEXT, id_number TEXT UNIQUE NOT NULL,
  name TEXT NOT NULL, phone TEXT NOT NULL, bank TEXT);
CREATE TABLE IF NOT EXISTS cards (
  card_number TEXT PRIMARY KEY, person_ref TEXT NOT NULL, state TEXT NOT NULL,
  bank_function INTEGER NOT NULL, issued TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS card_history (
  id INTEGER PRIMARY KEY, card_number TEXT NOT NULL, state TEXT NOT NULL, at TEXT NOT NULL,
  channel TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS replacements (
  card_number TEXT PRIMARY KEY, replaces TEXT, person_ref TEXT NOT NULL, stage TEXT NOT NULL,
  applied_on TEXT NOT NULL, expected_on TEXT NOT NULL, outlet TEXT, ready_since TEXT,
  mailed INTEGER NOT NULL, tracking_number TEXT, bank_function INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS stage_history (
  id INTEGER PRIMARY KEY, card_number TEXT NOT NULL, stage TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pre_losses (
  reference TEXT PRIMARY KEY, card_number TEXT NOT NULL, channel TEXT NOT NULL,
  terminal_id TEXT, at TEXT NOT NULL, lapses_on TEXT NOT NULL, cancelled_at TEXT,
  lapsed INTEGER NOT NULL DEFAULT 0, idempotency_key TEXT);
CREATE TABLE IF NOT EXISTS cancellations (
  reference TEXT PRIMARY KEY, card_number TEXT NOT NULL, at TEXT NOT NULL,
  idempotency_key TEXT);
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
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


class SandboxStore(SeedAndAdmin):
    """All sandbox data and operations. Thread-safe (one lock, one connection)."""

    def __init__(self, path: Path, rules: RegionalRules) -> None:
        self.path = Path(path)
        self.rules = rules
        ensure_dir(self.path.parent, "the sandbox database directory", mode=0o700)
        self._lock = threading.RLock()
        # It holds SMS codes and personal data: 0600, its WAL files too (made with the
        # database's mode), also when a version before this one made them 0644.
        for made in private_sqlite_files(self.path):
            make_private(made)
        with private_umask():
            self._db = sqlite3.connect(self.path, check_same_thread=False,
                                       isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        legacy = "pre" + "losses"  # the table's name in version 0.1 databases
        if self._db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (legacy,)).fetchone():
            self._db.execute(f"ALTER TABLE {legacy} RENAME TO pre_losses")
        self._db.executescript(SCHEMA)
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(challenges)")}
        if "terminal_id" not in columns:  # a database from before codes had a terminal
            self._db.execute("ALTER TABLE challenges ADD COLUMN terminal_id TEXT")
        self.clock_offset = dt.timedelta(0)
        # Called by reset() (in-memory state kept elsewhere, e.g. rate limits).
        self.reset_hooks: list[Any] = []
        with self._tx():
            if self._db.execute("SELECT COUNT(*) FROM persons").fetchone()[0] == 0:
                self._seed()

    # ---- plumbing ---------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def now(self) -> dt.datetime:
        """Service time (UTC), shifted by the admin clock offset for lapse tests."""
        return dt.datetime.now(dt.UTC) + self.clock_offset

    def today(self) -> dt.date:
        return local_date(self.now())

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except _Committed as exc:
                self._db.execute("COMMIT")  # keep the side effect, report the refusal
                raise exc.problem from None
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        return self._db.execute(sql, args).fetchone()

    def _all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        return self._db.execute(sql, args).fetchall()

    # ---- seed -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything but the nonces and seed the personas again. The nonce table
        is kept: a reset must not let a recorded request be replayed."""
        with self._tx() as db:
            for (table,) in db.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'").fetchall():
                if table != "nonces":
                    db.execute(f"DELETE FROM {table}")
            self.clock_offset = dt.timedelta(0)
            self._seed()
        for hook in self.reset_hooks:
            hook()

    def _reference(self, prefix: str) -> str:
        return f"{prefix}{self.today():%Y%m%d}{secrets.randbelow(10**6):06d}"

    # ---- reads ------------------------------------------------------------------------

    def _person(self, id_number: str) -> sqlite3.Row:
        row = self._one("SELECT * FROM persons WHERE id_number = ?", id_number)
        if row is None:
            raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such person")
        return row

    def _card(self, card_number: str) -> sqlite3.Row:
        row = self._one("SELECT * FROM cards WHERE card_number = ?", card_number)
        if row is None:
            raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such card")
        return self._apply_lapse(row)

    def _holder_card(self, card_number: str, id_number: str) -> sqlite3.Row:
        """The card, if it belongs to the person with ``id_number`` (else not found:
        a terminal must not learn whose card a number is)."""
        card = self._card(card_number)
        person = self._person(id_number)
        if card["person_ref"] != person["person_ref"]:
            raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such card for this person")
        return card

    def _has_replacement(self, card_number: str) -> bool:
        return self._one("SELECT 1 FROM replacements WHERE replaces = ?",
                         card_number) is not None

    def _open_pre_loss(self, card_number: str) -> sqlite3.Row | None:
        return self._one("SELECT * FROM pre_losses WHERE card_number = ? AND cancelled_at IS "
                         "NULL AND lapsed = 0 ORDER BY at DESC LIMIT 1", card_number)

    def _apply_lapse(self, card: sqlite3.Row) -> sqlite3.Row:
        """A pre-loss not followed by the official loss lapses by itself (regional rule)."""
        if card["state"] != CardState.PRE_LOST.value or self._has_replacement(
                card["card_number"]):
            return card
        pre = self._open_pre_loss(card["card_number"])
        if pre is None or self.today() < dt.date.fromisoformat(pre["lapses_on"]):
            return card
        new = next_state(CardState.PRE_LOST, "lapse")
        at = _at(dt.date.fromisoformat(pre["lapses_on"]), 0)
        self._set_state(card["card_number"], new, at, "system")
        self._db.execute("UPDATE pre_losses SET lapsed = 1 WHERE reference = ?",
                         (pre["reference"],))
        return self._one("SELECT * FROM cards WHERE card_number = ?", card["card_number"])

    def _set_state(self, card_number: str, state: CardState, at: dt.datetime,
                   channel: str) -> None:
        self._db.execute("UPDATE cards SET state = ? WHERE card_number = ?",
                         (state.value, card_number))
        self._db.execute("INSERT INTO card_history (card_number, state, at, channel) "
                         "VALUES (?,?,?,?)", (card_number, state.value, _iso(at), channel))

    def _person_cards(self, person: sqlite3.Row) -> dict[str, Any]:
        cards = [self._apply_lapse(c) for c in self._all(
            "SELECT * FROM cards WHERE person_ref = ? ORDER BY issued", person["person_ref"])]
        return {
            "person_ref": person["person_ref"],
            "name": person["name"],
            "phone_masked": mask_phone(person["phone"]),
            "cards": [{"card_number": c["card_number"], "state": c["state"],
                       "bank_function": bool(c["bank_function"]), "issued": c["issued"],
                       "has_replacement": self._has_replacement(c["card_number"])}
                      for c in cards],
        }

    def lookup(self, id_number: str | None = None, card_number: str | None = None
               ) -> dict[str, Any]:
        with self._tx():
            if id_number is not None:
                return self._person_cards(self._person(id_number))
            card = self._card(card_number or "")
            person = self._one("SELECT * FROM persons WHERE person_ref = ?", card["person_ref"])
            return self._person_cards(person)

    def _replacement_dict(self, row: sqlite3.Row) -> dict[str, Any]:
        history = self._all("SELECT stage, at FROM stage_history WHERE card_number = ? "
                            "ORDER BY id", row["card_number"])
        return {
            "card_number": row["card_number"], "replaces": row["replaces"],
            "stage": row["stage"], "applied_on": row["applied_on"],
            "expected_on": row["expected_on"], "outlet": row["outlet"],
            "ready_since": row["ready_since"], "mailed": bool(row["mailed"]),
            "tracking_number": row["tracking_number"],
            "history": [{"stage": h["stage"], "at": h["at"]} for h in history],
        }

    def card_status(self, card_number: str) -> dict[str, Any]:
        with self._tx():
            card = self._card(card_number)
            history = self._all("SELECT state, at, channel FROM card_history WHERE "
                                "card_number = ? ORDER BY id", card_number)
            repl = self._one("SELECT * FROM replacements WHERE replaces = ?", card_number)
            pre = self._open_pre_loss(card_number) \
                if card["state"] == CardState.PRE_LOST.value else None
            return {
                "card_number": card_number, "state": card["state"],
                "history": [dict(h) for h in history],
                "replacement": self._replacement_dict(repl) if repl else None,
                "lapses_on": pre["lapses_on"] if pre and repl is None else None,
            }

    def replacement_progress(self, card_number: str | None = None,
                             id_number: str | None = None) -> dict[str, Any]:
        with self._tx():
            if card_number is not None:
                row = self._one("SELECT * FROM replacements WHERE card_number = ? OR "
                                "replaces = ?", card_number, card_number)
                if row is None:
                    self._card(card_number)  # unknown card → not_found
            else:
                person = self._person(id_number or "")
                row = self._one("SELECT * FROM replacements WHERE person_ref = ? "
                                "ORDER BY applied_on DESC LIMIT 1", person["person_ref"])
            if row is None:
                raise ApiProblem(ProblemCode.NO_REPLACEMENT, 404, "no replacement applied for")
            return self._replacement_dict(row)

    # ---- verification by code sent to the phone on record ---------------------------

    def request_code(self, id_number: str, terminal_id: str = "") -> dict[str, Any]:
        """Send a code. One live code per person: a new one replaces the old; within
        :data:`RESEND_COOLDOWN_SECONDS` of the last, 429 ``resend_too_soon``."""
        with self._tx():
            person = self._person(id_number)
            now = self.now().timestamp()
            last = self._one("SELECT MAX(created) FROM challenges WHERE person_ref = ?",
                             person["person_ref"])[0]
            if last is not None and now - last < RESEND_COOLDOWN_SECONDS:
                wait = int(RESEND_COOLDOWN_SECONDS - (now - last)) + 1
                raise ApiProblem(ProblemCode.RESEND_TOO_SOON, 429, "a code was sent moments ago",
                                 headers={"Retry-After": str(wait)})
            self._db.execute("DELETE FROM challenges WHERE person_ref = ?",
                             (person["person_ref"],))
            challenge = secrets.token_hex(12)
            code = f"{secrets.randbelow(10**6):06d}"
            self._db.execute(
                "INSERT INTO challenges (challenge_id, person_ref, code, expires_at, "
                "tries_left, created, terminal_id) VALUES (?,?,?,?,?,?,?)",
                (challenge, person["person_ref"], code, now + CODE_TTL_SECONDS, CODE_TRIES,
                 now, terminal_id))
            # "Sends" the SMS: the code is only readable through the loopback admin API.
            return {"challenge_id": challenge, "phone_masked": mask_phone(person["phone"]),
                    "expires_in": CODE_TTL_SECONDS,
                    "resend_after_seconds": RESEND_COOLDOWN_SECONDS}

    def confirm_code(self, challenge_id: str, code: str,
                     terminal_id: str = "") -> dict[str, Any]:
        """Confirm a code, only from the terminal that asked for it."""
        with self._tx():
            ch = self._one("SELECT * FROM challenges WHERE challenge_id = ?", challenge_id)
            if ch is not None and (ch["terminal_id"] or "") != terminal_id:
                ch = None  # another terminal's challenge does not exist for this one
            if ch is None:
                raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such challenge")
            if ch["tries_left"] <= 0:
                raise ApiProblem(ProblemCode.CODE_BLOCKED, 403, "too many wrong codes",
                                 tries_left=0)
            if self.now().timestamp() > ch["expires_at"]:
                raise ApiProblem(ProblemCode.CODE_EXPIRED, 410, "the code has expired")
            if not secrets.compare_digest(ch["code"], code):
                left = ch["tries_left"] - 1
                self._db.execute("UPDATE challenges SET tries_left = ? WHERE challenge_id = ?",
                                 (left, challenge_id))
                if left <= 0:
                    raise _Committed(ApiProblem(ProblemCode.CODE_BLOCKED, 403,
                                                "too many wrong codes", tries_left=0))
                raise _Committed(ApiProblem(ProblemCode.CODE_WRONG, 403, "wrong code",
                                            tries_left=left))
            # A code is good once.
            self._db.execute("UPDATE challenges SET tries_left = 0 WHERE challenge_id = ?",
                             (challenge_id,))
            person = self._one("SELECT * FROM persons WHERE person_ref = ?", ch["person_ref"])
            return self._person_cards(person)

    # ---- state changes (called inside :meth:`idempotent`) -----------------------------

    def pre_loss(self, card_number: str, id_number: str, terminal_id: str,
                 channel: str = "kiosk", idempotency_key: str | None = None) -> dict[str, Any]:
        card = self._holder_card(card_number, id_number)
        try:
            new = next_state(CardState(card["state"]), "pre_loss")
        except RuleViolation as exc:
            raise _rule(exc) from None
        now = self.now()
        self._set_state(card_number, new, now, channel)
        reference = self._reference("YGS")
        lapses = self.rules.lapses_on(local_date(now))
        self._db.execute(
            "INSERT INTO pre_losses (reference, card_number, channel, terminal_id, at, "
            "lapses_on, idempotency_key) VALUES (?,?,?,?,?,?,?)",
            (reference, card_number, channel, terminal_id, _iso(now), lapses.isoformat(),
             idempotency_key))
        return {"reference": reference, "card_number": card_number,
                "settlement_stopped_at": _iso(now), "lapses_on": lapses.isoformat(),
                "hotline": self.rules.hotline}

    def cancel_pre_loss(self, card_number: str, id_number: str,
                        idempotency_key: str | None = None) -> dict[str, Any]:
        card = self._holder_card(card_number, id_number)
        state = CardState(card["state"])
        has_repl = self._has_replacement(card_number)
        try:
            new = next_state(state, "cancel_pre_loss", has_replacement=has_repl)
        except RuleViolation as exc:
            raise _rule(exc) from None
        assert can_cancel_pre_loss(state, has_repl)  # same rule, asked the other way
        now = self.now()
        self._set_state(card_number, new, now, "kiosk")
        pre = self._open_pre_loss(card_number)
        if pre is not None:
            self._db.execute("UPDATE pre_losses SET cancelled_at = ? WHERE reference = ?",
                             (_iso(now), pre["reference"]))
        reference = self._reference("JG")
        self._db.execute("INSERT INTO cancellations VALUES (?,?,?,?)",
                         (reference, card_number, _iso(now), idempotency_key))
        return {"reference": reference, "card_number": card_number, "state": new.value,
                "cancelled_at": _iso(now)}

    def idempotent(self, terminal_id: str, key: str, operation: str, body: bytes,
                   action: Callable[[], dict[str, Any]]) -> tuple[int, dict[str, Any], bool]:
        """Run ``action`` once per (terminal, key): ``(status, body, replayed)``.

        Same key and same body → the stored answer (success or refusal); same key and a
        different body → ``idempotency_conflict``. The effect and the stored answer are
        committed in one transaction.
        """
        digest = hashlib.sha256(body).hexdigest()
        with self._tx():
            row = self._one("SELECT * FROM idempotency WHERE terminal_id = ? AND key = ?",
                            terminal_id, key)
            if row is not None:
                if row["operation"] != operation or row["body_sha256"] != digest:
                    raise ApiProblem(ProblemCode.IDEMPOTENCY_CONFLICT, 409,
                                     "key already used for a different request")
                return row["status"], json.loads(row["response"]), True
            self._db.execute("SAVEPOINT op")
            try:
                status, result = 200, action()
                self._db.execute("RELEASE op")
            except ApiProblem as exc:
                self._db.execute("ROLLBACK TO op")
                self._db.execute("RELEASE op")
                status, result = exc.status, {"__problem__": exc.code.value,
                                              "detail": exc.detail, **exc.extra}
            self._db.execute("INSERT INTO idempotency VALUES (?,?,?,?,?,?,?)",
                             (terminal_id, key, operation, digest, status,
                              json.dumps(result, ensure_ascii=False), self.now().timestamp()))
            return status, result, False

    # ---- signing support --------------------------------------------------------------

    def remember_nonce(self, terminal_id: str, nonce: str, window: float) -> None:
        """Record a nonce; ``replayed`` if seen within the clock-skew window."""
        now = time.time()
        with self._tx() as db:
            db.execute("DELETE FROM nonces WHERE ts < ?", (now - 2 * window,))
            try:
                db.execute("INSERT INTO nonces VALUES (?,?,?)", (terminal_id, nonce, now))
            except sqlite3.IntegrityError:
                raise ApiProblem(ProblemCode.REPLAYED, 401, "nonce already used") from None

    def heartbeat(self, terminal_id: str, clock: dt.datetime, version: str,
                  outbox_depth: int, max_skew: float) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
        if clock.tzinfo is None:
            clock = clock.replace(tzinfo=dt.UTC)
        accepted = abs((now - clock).total_seconds()) <= max_skew
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO heartbeats VALUES (?,?,?,?,?,?)",
                       (terminal_id, _iso(clock), version, outbox_depth, _iso(now),
                        int(accepted)))
        return {"server_time": _iso(now), "accepted": accepted}
