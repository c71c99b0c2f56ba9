"""The synthetic province ``kiosk-centre bench`` seeds before it drives the centre: people
in the simulated core, each with an active card and an active e-SSC identity, and the
one-time e-SSC codes its calls present (bench data: a province's core holds millions)."""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from dataclasses import dataclass

from kiosk.central import schemas as s
from kiosk.central.sandbox.core import ESSC_CODE_PREFIX, sha256_hex
from kiosk.centre.pg import PgDatabase
from kiosk.domain.idnumber import check_char
from kiosk.personas import card_chip_id

BENCH_ID_VALID = ("2016-03-01", "2036-03-01")  # every synthetic ID card's validity
BENCH_AUTHORITY = "测试市公安局"


@dataclass
class Person:
    """A synthetic cardholder of the simulated core."""

    id_number: str
    card_number: str
    person_ref: str

    @property
    def id_card(self) -> s.IdCardFacts:
        """What the person's ID card's chip says (the seed's facts)."""
        return s.IdCardFacts(id_number=self.id_number,
                             valid_from=dt.date.fromisoformat(BENCH_ID_VALID[0]),
                             valid_to=dt.date.fromisoformat(BENCH_ID_VALID[1]),
                             authority=BENCH_AUTHORITY)

    @property
    def chip(self) -> s.SscChipFacts:
        """What the person's social security card's chip says."""
        return s.SscChipFacts(card_number=self.card_number,
                              chip_id=card_chip_id(self.card_number, self.id_number[:6]))


def seed_people(db: PgDatabase, n: int) -> list[Person]:
    """``n`` synthetic people in the simulated core, each with an active card and an
    active e-SSC identity (bench data: a province's core holds millions)."""
    people, persons, cards, history, idents = [], [], [], [], []
    for i in range(n):
        first17 = f"99{i % 10000:04d}19{60 + i % 40:02d}0{1 + i % 9}1{i % 10}{i % 1000:03d}"
        first17 = first17[:17]
        id_number = first17 + check_char(first17)
        card = f"B{i:08d}"
        ref = "P" + secrets.token_hex(8)
        people.append(Person(id_number, card, ref))
        persons.append((ref, None, id_number, "测试" + str(i), f"139{i:08d}"[:11], None,
                        *BENCH_ID_VALID, BENCH_AUTHORITY))
        cards.append((card, ref, "active", 1, "2021-03-01",
                       card_chip_id(card, id_number[:6])))
        history.append((card, "active", "2021-03-01T01:00:00+00:00", "counter"))
        idents.append((ref, "active"))
    with db.tx():
        db.run_many("INSERT INTO persons VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                    persons)
        db.run_many("INSERT INTO cards VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING", cards)
        db.run_many("INSERT INTO card_history (card_number, state, at, channel) VALUES "
                    "(?,?,?,?)", history)
        db.run_many("INSERT INTO essc_identities VALUES (?,?) ON CONFLICT DO NOTHING",
                    idents)
    return people


def issue_essc_codes(db: PgDatabase, people: list[Person], n: int,
                     rng: random.Random) -> list[str]:
    """``n`` one-time e-SSC codes issued at the (simulated) platform before the run; they
    live an hour here, not 60 s, as the bench hands them out over its whole run."""
    expires = time.time() + 3600
    codes = [ESSC_CODE_PREFIX + secrets.token_urlsafe(30) for _ in range(n)]
    db.run_many("INSERT INTO essc_codes VALUES (?,?,?,?,?)",
                [(sha256_hex(c), rng.choice(people).person_ref, expires, None, None)
                 for c in codes])
    return codes
