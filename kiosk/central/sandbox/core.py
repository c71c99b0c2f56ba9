"""The simulated core card system: the sandbox's card rules behind
:class:`kiosk.central.sandbox.ports.CoreCardSystem`.

State changes go through :func:`kiosk.domain.card_states.next_state` and
:func:`~kiosk.domain.card_states.next_stage`; the simulation has no rules of its own.
It runs on any :class:`kiosk.central.sandbox.db.Database`: SQLite in the sandbox,
PostgreSQL in the centre's demo, tests and bench (``kiosk.centre``). Every operation is
one transaction (joined by the caller's, so an idempotent operation's effect and its
stored answer commit together); a card is read ``FOR UPDATE`` before it changes, so two
workers cannot both pre-lose it.

A pre-loss or cancel remembers the idempotency key it was made with and answers a
repeat of the key with the same result (the seam's rule: a core applies a key once).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets

from kiosk.central import schemas_essc as e
from kiosk.central.sandbox.core_admin import SeedAndAdmin
from kiosk.central.sandbox.db import Database, Row, sql_float, sql_json_object, sql_str
from kiosk.central.sandbox.ports import Answer, Contact
from kiosk.central.sandbox.rules import RegionalRules, local_date
from kiosk.central.sandbox.store_util import (
    ApiProblem,
    EsscRefused,
    ServiceClock,
    _at,
    _iso,
    _rule,
)
from kiosk.central.schemas import ProblemCode
from kiosk.domain.card_states import (
    CardState,
    RuleViolation,
    can_cancel_pre_loss,
    next_state,
)
from kiosk.domain.masking import mask_phone

#: The core's tables (SQLite; the centre's PostgreSQL migrations hold the same).
SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS persons (
  person_ref TEXT PRIMARY KEY, persona TEXT, id_number TEXT UNIQUE NOT NULL,
  name TEXT NOT NULL, phone TEXT NOT NULL, bank TEXT,
  id_valid_from TEXT, id_valid_to TEXT, id_authority TEXT);
CREATE TABLE IF NOT EXISTS cards (
  card_number TEXT PRIMARY KEY, person_ref TEXT NOT NULL, state TEXT NOT NULL,
  bank_function INTEGER NOT NULL, issued TEXT NOT NULL, chip_id TEXT);
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
CREATE TABLE IF NOT EXISTS core_requests (
  idempotency_key TEXT NOT NULL, operation TEXT NOT NULL, answer TEXT NOT NULL,
  PRIMARY KEY (idempotency_key, operation));
CREATE TABLE IF NOT EXISTS essc_identities (
  person_ref TEXT PRIMARY KEY, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS essc_codes (
  code_sha256 TEXT PRIMARY KEY, person_ref TEXT NOT NULL, expires REAL NOT NULL,
  used_at REAL, used_by TEXT);
"""
CORE_TABLES = ("persons", "cards", "card_history", "replacements", "stage_history",
               "pre_losses", "cancellations", "core_requests", "essc_identities",
               "essc_codes")
#: Held while the core's tables are seeded or reset: a second worker waits, then sees them.
SEED_LOCK = "simulated core seed"
ESSC_CODE_PREFIX = "essc1."
ESSC_CODE_SHAPE = re.compile(r"^essc1\.[A-Za-z0-9_-]{32,200}$")


def sha256_hex(text: str) -> str:
    """SHA-256 of a text, hex (codes and grants are kept only as hashes)."""
    return hashlib.sha256(text.encode()).hexdigest()


class SimulatedCore(SeedAndAdmin):
    """The sandbox's card rules as a core card system (see the module doc)."""

    def __init__(self, db: Database, rules: RegionalRules, clock: ServiceClock) -> None:
        self.db, self.rules, self.clock = db, rules, clock
        with db.tx():
            db.exclusive(SEED_LOCK)  # the other workers starting now wait, then see it
            if db.one("SELECT 1 FROM persons LIMIT 1") is None:
                self._seed()

    def now(self) -> dt.datetime:
        """Service time (UTC)."""
        return self.clock.now()

    def today(self) -> dt.date:
        """Today in the region."""
        return local_date(self.now())

    def reset(self) -> None:
        """Forget every change and seed the personas again (inside the caller's tx)."""
        with self.db.tx():
            self.db.exclusive(SEED_LOCK)
            for table in CORE_TABLES:
                self.db.run(f"DELETE FROM {table}")  # noqa: S608 - fixed names
            self._seed()

    def _reference(self, prefix: str, table: str = "pre_losses") -> str:
        """A new reference: prefix, date, 6 random digits, not yet used. (Drawn blindly,
        a day of a province's pre-losses would repeat one: at 2,000 a day two collide on
        average, and the insert failed — found by ``kiosk-centre bench``.)"""
        while True:
            ref = f"{prefix}{self.today():%Y%m%d}{secrets.randbelow(10**6):06d}"
            if self.db.one(f"SELECT 1 AS x FROM {table} WHERE reference = ?",  # noqa: S608
                           ref) is None:
                return ref

    # ---- reads ------------------------------------------------------------------------

    def _person(self, id_number: str) -> Row:
        row = self.db.one("SELECT * FROM persons WHERE id_number = ?", id_number)
        if row is None:
            raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such person")
        return row

    def _card(self, card_number: str, lock: bool = False) -> Row:
        row = self.db.one("SELECT * FROM cards WHERE card_number = ?"
                          + (self.db.for_update if lock else ""), card_number)
        if row is None:
            raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such card")
        return self._apply_lapse(row)

    def _holder_card(self, card_number: str, id_number: str | None,
                     person_ref: str | None = None) -> Row:
        """The card, locked, if it belongs to the person with ``id_number`` (or
        ``person_ref``); else not found: a terminal must not learn whose card it is.
        Neither given: the front-end identified the holder (a card handle)."""
        card = self._card(card_number, lock=True)
        if id_number is None and person_ref is None:
            return card
        ref = person_ref if person_ref is not None else \
            self._person(id_number or "")["person_ref"]
        if card["person_ref"] != ref:
            raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such card for this person")
        return card

    def _has_replacement(self, card_number: str) -> bool:
        return self.db.one("SELECT 1 AS x FROM replacements WHERE replaces = ?",
                           card_number) is not None

    def _open_pre_loss(self, card_number: str) -> Row | None:
        return self.db.one("SELECT * FROM pre_losses WHERE card_number = ? AND cancelled_at "
                           "IS NULL AND lapsed = 0 ORDER BY at DESC LIMIT 1", card_number)

    def _apply_lapse(self, card: Row) -> Row:
        """A pre-loss not followed by the official loss lapses by itself (regional rule)."""
        if card["state"] != CardState.PRE_LOST.value or self._has_replacement(
                sql_str(card["card_number"])):
            return card
        pre = self._open_pre_loss(sql_str(card["card_number"]))
        if pre is None or self.today() < dt.date.fromisoformat(sql_str(pre["lapses_on"])):
            return card
        new = next_state(CardState.PRE_LOST, "lapse")
        at = _at(dt.date.fromisoformat(sql_str(pre["lapses_on"])), 0)
        self._set_state(sql_str(card["card_number"]), new, at, "system")
        self.db.run("UPDATE pre_losses SET lapsed = 1 WHERE reference = ?", pre["reference"])
        row = self.db.one("SELECT * FROM cards WHERE card_number = ?", card["card_number"])
        assert row is not None
        return row

    def _set_state(self, card_number: str, state: CardState, at: dt.datetime,
                   channel: str) -> None:
        self.db.run("UPDATE cards SET state = ? WHERE card_number = ?", state.value,
                    card_number)
        self.db.run("INSERT INTO card_history (card_number, state, at, channel) "
                    "VALUES (?,?,?,?)", card_number, state.value, _iso(at), channel)

    def _person_cards(self, person: Row) -> Answer:
        cards = [self._apply_lapse(c) for c in self.db.all(
            "SELECT * FROM cards WHERE person_ref = ? ORDER BY issued", person["person_ref"])]
        return {
            "person_ref": person["person_ref"],
            "name": person["name"],
            "phone_masked": mask_phone(sql_str(person["phone"])),
            "cards": [{"card_number": c["card_number"], "state": c["state"],
                       "bank_function": bool(c["bank_function"]), "issued": c["issued"],
                       "has_replacement": self._has_replacement(sql_str(c["card_number"]))}
                      for c in cards],
        }

    def lookup(self, id_number: str | None = None, card_number: str | None = None
               ) -> Answer:
        with self.db.tx():
            if id_number is not None:
                return self._person_cards(self._person(id_number))
            card = self._card(card_number or "")
            return self.person_cards(sql_str(card["person_ref"]))

    def id_card_genuine(self, id_number: str, valid_from: dt.date,
                        valid_to: dt.date | None, authority: str) -> bool:
        """Whether an ID card with these chip facts is the person's current one (the
        identity check a core relays to the public-security service). Unknown person,
        another card (an older one, a forged one): False."""
        with self.db.tx():
            row = self.db.one("SELECT id_valid_from, id_valid_to, id_authority FROM persons "
                              "WHERE id_number = ?", id_number)
        if row is None or row["id_valid_from"] is None:
            return False
        return (row["id_valid_from"] == valid_from.isoformat()
                and (row["id_valid_to"] or None) == (valid_to.isoformat() if valid_to
                                                     else None)
                and row["id_authority"] == authority)

    def card_chip_genuine(self, card_number: str, chip_id: str) -> bool:
        """Whether the card with this number carries this chip (recorded when the card
        was made): a number typed or printed is not enough."""
        with self.db.tx():
            row = self.db.one("SELECT chip_id FROM cards WHERE card_number = ?", card_number)
        return row is not None and row["chip_id"] is not None and secrets.compare_digest(
            str(row["chip_id"]), chip_id)

    def person_cards(self, person_ref: str) -> Answer:
        with self.db.tx():
            person = self.db.one("SELECT * FROM persons WHERE person_ref = ?", person_ref)
            if person is None:
                raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such person")
            return self._person_cards(person)

    def _replacement_dict(self, row: Row) -> Answer:
        history = self.db.all("SELECT stage, at FROM stage_history WHERE card_number = ? "
                              "ORDER BY id", row["card_number"])
        return {
            "card_number": row["card_number"], "replaces": row["replaces"],
            "stage": row["stage"], "applied_on": row["applied_on"],
            "expected_on": row["expected_on"], "outlet": row["outlet"],
            "ready_since": row["ready_since"], "mailed": bool(row["mailed"]),
            "tracking_number": row["tracking_number"],
            "history": [{"stage": h["stage"], "at": h["at"]} for h in history],
        }

    def card_status(self, card_number: str) -> Answer:
        with self.db.tx():
            card = self._card(card_number)
            history = self.db.all("SELECT state, at, channel FROM card_history WHERE "
                                  "card_number = ? ORDER BY id", card_number)
            repl = self.db.one("SELECT * FROM replacements WHERE replaces = ?", card_number)
            pre = self._open_pre_loss(card_number) \
                if card["state"] == CardState.PRE_LOST.value else None
            return {
                "card_number": card_number, "state": card["state"],
                "history": [dict(h) for h in history],
                "replacement": self._replacement_dict(repl) if repl else None,
                "lapses_on": pre["lapses_on"] if pre and repl is None else None,
            }

    def replacement_progress(self, card_number: str | None = None,
                             id_number: str | None = None) -> Answer:
        with self.db.tx():
            if card_number is not None:
                row = self.db.one("SELECT * FROM replacements WHERE card_number = ? OR "
                                  "replaces = ?", card_number, card_number)
                if row is None:
                    self._card(card_number)  # unknown card → not_found
            else:
                person = self._person(id_number or "")
                row = self.db.one("SELECT * FROM replacements WHERE person_ref = ? "
                                  "ORDER BY applied_on DESC LIMIT 1", person["person_ref"])
            if row is None:
                raise ApiProblem(ProblemCode.NO_REPLACEMENT, 404, "no replacement applied for")
            return self._replacement_dict(row)

    # ---- verification codes: the phone on record, the SMS ------------------------------

    def contact(self, id_number: str) -> Contact:
        with self.db.tx():
            person = self._person(id_number)
            return Contact(sql_str(person["person_ref"]), sql_str(person["phone"]))

    def send_code(self, contact: Contact, code: str) -> None:
        """"Sends" the SMS: nothing leaves; the code is readable only through the
        loopback admin API (``GET /admin/verification/last``, from the register)."""

    # ---- state changes (inside the front-end's idempotent transaction) ----------------

    def _once(self, key: str | None, operation: str) -> Answer | None:
        if key is None:
            return None
        row = self.db.one("SELECT answer FROM core_requests WHERE idempotency_key = ? AND "
                          "operation = ?", key, operation)
        return sql_json_object(row["answer"]) if row is not None else None

    def _remember(self, key: str | None, operation: str, answer: Answer) -> Answer:
        if key is not None:
            self.db.run("INSERT INTO core_requests VALUES (?,?,?)", key, operation,
                        json.dumps(answer))
        return answer

    def pre_loss(self, card_number: str, id_number: str | None, terminal_id: str,
                 channel: str = "kiosk", idempotency_key: str | None = None, *,
                 person_ref: str | None = None) -> Answer:
        with self.db.tx():
            done = self._once(idempotency_key, f"pre_loss:{card_number}")
            if done is not None:
                return done
            card = self._holder_card(card_number, id_number, person_ref)
            try:
                new = next_state(CardState(sql_str(card["state"])), "pre_loss")
            except RuleViolation as exc:
                raise _rule(exc) from None
            now = self.now()
            self._set_state(card_number, new, now, channel)
            reference = self._reference("YGS")
            lapses = self.rules.lapses_on(local_date(now))
            self.db.run(
                "INSERT INTO pre_losses (reference, card_number, channel, terminal_id, at, "
                "lapses_on, idempotency_key) VALUES (?,?,?,?,?,?,?)",
                reference, card_number, channel, terminal_id, _iso(now), lapses.isoformat(),
                idempotency_key)
            return self._remember(idempotency_key, f"pre_loss:{card_number}", {
                "reference": reference, "card_number": card_number,
                "settlement_stopped_at": _iso(now), "lapses_on": lapses.isoformat(),
                "hotline": self.rules.hotline})

    def cancel_pre_loss(self, card_number: str, id_number: str,
                        idempotency_key: str | None = None) -> Answer:
        with self.db.tx():
            done = self._once(idempotency_key, f"cancel:{card_number}")
            if done is not None:
                return done
            card = self._holder_card(card_number, id_number)
            state = CardState(sql_str(card["state"]))
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
                self.db.run("UPDATE pre_losses SET cancelled_at = ? WHERE reference = ?",
                            _iso(now), pre["reference"])
            reference = self._reference("JG", "cancellations")
            self.db.run("INSERT INTO cancellations VALUES (?,?,?,?)",
                        reference, card_number, _iso(now), idempotency_key)
            return self._remember(idempotency_key, f"cancel:{card_number}", {
                "reference": reference, "card_number": card_number, "state": new.value,
                "cancelled_at": _iso(now)})

    # ---- the e-SSC platform -------------------------------------------------------------

    def essc_identify(self, code: str, terminal_id: str) -> str:
        """Spend a one-time e-SSC code: the person's ref, or :class:`EsscRefused`."""
        if not ESSC_CODE_SHAPE.match(code):
            raise EsscRefused(e.EsscRefusal.NOT_AN_ESSC.value, "not an e-SSC code")
        with self.db.tx():
            row = self.db.one("SELECT * FROM essc_codes WHERE code_sha256 = ?"
                              + self.db.for_update, sha256_hex(code))
            if row is None:
                raise EsscRefused(e.EsscRefusal.NOT_AN_ESSC.value,
                                  "code not issued by the platform")
            ident = self.db.one("SELECT status FROM essc_identities WHERE person_ref = ?",
                                row["person_ref"])
            if ident is None or ident["status"] != "active":
                raise EsscRefused(e.EsscRefusal.REVOKED.value, "e-SSC not active")
            if row["used_at"] is not None:
                raise EsscRefused(e.EsscRefusal.ALREADY_USED.value, "code already used")
            now = self.now().timestamp()
            if now >= sql_float(row["expires"]):
                raise EsscRefused(e.EsscRefusal.EXPIRED.value, "code expired")
            self.db.run("UPDATE essc_codes SET used_at = ?, used_by = ? WHERE code_sha256 = ?",
                        now, terminal_id, row["code_sha256"])
            return str(row["person_ref"])

    def essc_issue(self, persona: str, expired: bool = False,
                   used: bool = False) -> Answer:
        """The platform's side (admin): a fresh code for a persona's e-SSC."""
        ref = self.person_ids().get(persona)
        with self.db.tx():
            if ref is None or self.db.one("SELECT 1 AS x FROM essc_identities WHERE "
                                          "person_ref = ?", ref) is None:
                raise ApiProblem(ProblemCode.NOT_FOUND, 404, "persona has no e-SSC")
            code = ESSC_CODE_PREFIX + secrets.token_urlsafe(30)
            now = self.now().timestamp()
            expires = now - 1 if expired else now + e.CODE_TTL_SECONDS
            self.db.run("INSERT INTO essc_codes VALUES (?,?,?,?,?)", sha256_hex(code), ref,
                        expires, now if used else None, "elsewhere" if used else None)
        return {"code": code, "expires_in": max(0, round(expires - now))}

    def essc_set_status(self, persona: str, status: str) -> Answer:
        """The platform's side (admin): revoke or restore a persona's e-SSC."""
        ref = self.person_ids().get(persona)
        with self.db.tx():
            self.db.run("UPDATE essc_identities SET status = ? WHERE person_ref = ?",
                        status, ref)
        return {"persona": persona, "status": status}
