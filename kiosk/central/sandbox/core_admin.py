"""The simulated core's seeding from the personas and its admin-only operations (the
test and demo harness: advance or apply a replacement, read records). A mixin of
:class:`kiosk.central.sandbox.core.SimulatedCore`, which provides the database, the
clock and the card reads."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from kiosk.central.sandbox.db import sql_str
from kiosk.central.sandbox.rules import local_date
from kiosk.central.sandbox.store_util import ApiProblem, _at, _iso, _rule
from kiosk.central.schemas import ProblemCode
from kiosk.domain.card_states import (
    CardState,
    ReplacementStage,
    RuleViolation,
    next_stage,
    next_state,
)
from kiosk.personas import card_chip_id, load_personas

if TYPE_CHECKING:
    from kiosk.central.sandbox.db import Database, Row
    from kiosk.central.sandbox.ports import Answer
    from kiosk.central.sandbox.rules import RegionalRules


def _day(text: str) -> str | None:
    """A persona's ``YYYYMMDD`` as an ISO date; "" (长期, no expiry) as None."""
    text = text.strip()
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8])).isoformat() if text \
        else None


class SeedAndAdmin:
    """Seeding and admin operations (see the module doc)."""

    if TYPE_CHECKING:  # what SimulatedCore provides (kiosk/central/sandbox/core.py)
        db: Database
        rules: RegionalRules

        def now(self) -> dt.datetime: ...
        def _reference(self, prefix: str, table: str = "pre_losses") -> str: ...
        def _card(self, card_number: str, lock: bool = False) -> Row: ...
        def _has_replacement(self, card_number: str) -> bool: ...
        def _set_state(self, card_number: str, state: CardState, at: dt.datetime,
                       channel: str) -> None: ...
        def _replacement_dict(self, row: Row) -> Answer: ...

    # ---- seed -------------------------------------------------------------------------

    def _seed(self) -> None:
        """Persons from personas that have a ``central`` table (others are not found)."""
        now = self.now()
        for key, p in sorted(load_personas().items()):
            central, ident = p.get("central"), p.get("id")
            if not central or not ident:
                continue
            ref = "P" + secrets.token_hex(8)
            self.db.run("INSERT INTO persons VALUES (?,?,?,?,?,?,?,?,?)", ref, key,
                        ident["id_number"], ident["name"], central["phone"],
                        central.get("bank"), _day(ident["valid_from"]),
                        _day(ident.get("valid_to", "")), ident["authority"])
            if "essc" in p:  # an e-SSC identity at the (simulated) platform
                self.db.run("INSERT INTO essc_identities VALUES (?,?) ON CONFLICT DO NOTHING",
                            ref, p["essc"].get("status", "active"))
            for card in central.get("cards", []):
                self._seed_card(ref, card, central.get("replacement"), now,
                                ident["id_number"][:6])
            if central.get("replacement"):
                self._seed_replacement(ref, central["cards"], central["replacement"], now)

    def _seed_card(self, ref: str, card: Mapping[str, object],
                   repl: Mapping[str, object] | None, now: dt.datetime, region: str) -> None:
        number, state = str(card["card_number"]), CardState(str(card["state"]))
        issued = dt.date.fromisoformat(str(card["issued"]))
        # The chip the card was made with: the one the virtual card carries.
        self.db.run("INSERT INTO cards VALUES (?,?,?,?,?,?)", number, ref, state.value,
                    int(bool(card["bank_function"])), issued.isoformat(),
                    card_chip_id(number, region))
        events: list[tuple[CardState, dt.datetime, str]] = [
            (CardState.ACTIVE, _at(issued), "counter")]
        if state == CardState.PRE_LOST:
            at = now - dt.timedelta(days=1)
            events.append((CardState.PRE_LOST, at, "hotline"))
            self.db.run(
                "INSERT INTO pre_losses (reference, card_number, channel, at, lapses_on) "
                "VALUES (?,?,?,?,?)", self._reference("HL"), number, "hotline", _iso(at),
                 self.rules.lapses_on(local_date(at)).isoformat())
        elif state == CardState.LOST:
            applied = dt.date.fromisoformat(str(repl["applied"])) if repl \
                else local_date(now)
            events.append((CardState.PRE_LOST, _at(applied - dt.timedelta(days=1)), "hotline"))
            events.append((CardState.LOST, _at(applied), "counter"))
        elif state == CardState.EXPIRED:
            events.append((CardState.EXPIRED,
                           _at(issued.replace(year=issued.year + 10)), "system"))
        elif state in (CardState.FROZEN, CardState.CANCELLED):
            events.append((state, now - dt.timedelta(days=30), "system"))
        for st, at, channel in events:
            self.db.run("INSERT INTO card_history (card_number, state, at, channel) "
                             "VALUES (?,?,?,?)", number, st.value, _iso(at), channel)

    def _seed_replacement(self, ref: str, cards: Sequence[Mapping[str, object]],
                          repl: Mapping[str, object], now: dt.datetime) -> None:
        old = next((c for c in cards if c["state"] == CardState.LOST.value), cards[0])
        applied = dt.date.fromisoformat(str(repl["applied"]))
        target = ReplacementStage(str(repl["stage"]))
        mailed = bool(repl.get("mailed", False))
        bank = bool(old["bank_function"])
        self.db.run(
            "INSERT INTO replacements VALUES (?,?,?,?,?,?,?,?,?,?,?)", repl["card_number"],
            old["card_number"], ref, ReplacementStage.APPLIED.value,
            applied.isoformat(), self.rules.expected_on(applied, bank).isoformat(),
             repl.get("outlet"), None, int(mailed), None, int(bank))
        self.db.run("INSERT INTO stage_history (card_number, stage, at) VALUES (?,?,?)",
                    repl["card_number"], ReplacementStage.APPLIED.value,
                    _iso(_at(applied, 10)))
        # Walk the real stage rule up to the persona's stage, three days a step.
        step = 1
        stage = ReplacementStage.APPLIED
        while stage != target:
            at = min(_at(applied + dt.timedelta(days=3 * step), 14), now)
            stage = self._advance(str(repl["card_number"]), at)
            step += 1

    # ---- admin (sandbox only) ---------------------------------------------------------

    def _advance(self, card_number: str, at: dt.datetime) -> ReplacementStage:
        row = self.db.one("SELECT * FROM replacements WHERE card_number = ? OR replaces = ?",
                        card_number, card_number)
        if row is None:
            raise ApiProblem(ProblemCode.NO_REPLACEMENT, 404, "no replacement applied for")
        stage = next_stage(ReplacementStage(sql_str(row["stage"])), bool(row["mailed"]))
        if stage is None:
            raise ApiProblem(ProblemCode.NOT_ALLOWED, 409, "replacement already collected")
        new_card = sql_str(row["card_number"])
        updates: dict[str, str] = {"stage": stage.value}
        if stage == ReplacementStage.READY_FOR_PICKUP:
            updates["ready_since"] = _iso(at)
        if stage == ReplacementStage.MAILED:
            updates["tracking_number"] = f"SF{secrets.randbelow(10**10):010d}"
        sets = ", ".join(f"{k} = ?" for k in updates)
        self.db.run(f"UPDATE replacements SET {sets} WHERE card_number = ?",
                    *updates.values(), new_card)
        self.db.run("INSERT INTO stage_history (card_number, stage, at) VALUES (?,?,?)",
                    new_card, stage.value, _iso(at))
        if stage == ReplacementStage.COLLECTED:
            # The new card becomes a card of its own; the old one ends cancelled.
            old = self.db.one("SELECT * FROM cards WHERE card_number = ?", row["replaces"])
            if old is not None:
                try:
                    self._set_state(sql_str(old["card_number"]), next_state(
                        CardState(sql_str(old["state"])), "replacement_collected"), at,
                        "counter")
                except RuleViolation as exc:
                    raise _rule(exc) from None
            holder = self.db.one("SELECT id_number FROM persons WHERE person_ref = ?",
                                 row["person_ref"])
            region = str(holder["id_number"])[:6] if holder is not None else "000000"
            self.db.run("INSERT INTO cards VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                        new_card, row["person_ref"], CardState.ACTIVE.value,
                        row["bank_function"], local_date(at).isoformat(),
                        card_chip_id(new_card, region))
            self.db.run("INSERT INTO card_history (card_number, state, at, channel) "
                        "VALUES (?,?,?,?)", new_card, CardState.ACTIVE.value, _iso(at),
                        "counter")
        return stage

    def advance_replacement(self, card_number: str) -> Answer:
        with self.db.tx():
            self._advance(card_number, self.now())
            row = self.db.one("SELECT * FROM replacements WHERE card_number = ? OR replaces = ?",
                            card_number, card_number)
            if row is None:  # _advance found it, in this transaction
                raise ApiProblem(ProblemCode.NO_REPLACEMENT, 404, "no replacement applied for")
            return self._replacement_dict(row)

    def apply_replacement(self, card_number: str, mailed: bool = False,
                          outlet: str | None = None) -> Answer:
        """The counter's official loss + replacement application (not a kiosk action)."""
        with self.db.tx():
            card = self._card(card_number)
            if self._has_replacement(card_number):
                raise ApiProblem(ProblemCode.REPLACEMENT_EXISTS, 409, "already applied for")
            state = CardState(sql_str(card["state"]))
            now = self.now()
            if state != CardState.LOST:
                try:
                    self._set_state(card_number, next_state(state, "official_loss"), now,
                                    "counter")
                except RuleViolation as exc:
                    raise _rule(exc) from None
            applied = local_date(now)
            new_card = f"R{secrets.randbelow(10**8):08d}"
            bank = bool(card["bank_function"])
            self.db.run(
                "INSERT INTO replacements VALUES (?,?,?,?,?,?,?,?,?,?,?)", new_card,
                card_number, card["person_ref"], ReplacementStage.APPLIED.value,
                applied.isoformat(), self.rules.expected_on(applied, bank).isoformat(),
                 outlet or "东城区社保卡服务网点（东四十条）", None, int(mailed), None, int(bank))
            self.db.run("INSERT INTO stage_history (card_number, stage, at) "
                             "VALUES (?,?,?)", new_card, ReplacementStage.APPLIED.value,
                                                _iso(now))
            row = self.db.one("SELECT * FROM replacements WHERE card_number = ?", new_card)
            if row is None:  # inserted above, in this transaction
                raise ApiProblem(ProblemCode.NO_REPLACEMENT, 404, "no replacement applied for")
            return self._replacement_dict(row)

    def recorded_pre_losses(self) -> list[Answer]:
        with self.db.tx():
            return [dict(r) for r in self.db.all("SELECT * FROM pre_losses ORDER BY at")]

    def recorded_cancellations(self) -> list[Answer]:
        with self.db.tx():
            return [dict(r) for r in self.db.all("SELECT * FROM cancellations ORDER BY at")]

    def person_ids(self) -> dict[str, str]:
        """Persona key → person_ref (tests)."""
        with self.db.tx():
            return {sql_str(r["persona"]): sql_str(r["person_ref"])
                    for r in self.db.all("SELECT persona, person_ref FROM persons")}
