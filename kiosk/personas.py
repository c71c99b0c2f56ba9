"""Access to the fictional personas shared by virtual cards, the sandbox and the tests."""

from __future__ import annotations

import hashlib
import tomllib
from functools import cache
from pathlib import Path
from typing import NotRequired  # pydantic validates these on 3.11

from typing_extensions import TypedDict

PERSONAS_FILE = Path(__file__).parent / "data" / "personas.toml"


class IdTable(TypedDict):
    """The text block of a persona's resident ID card (dates as ``YYYYMMDD``)."""

    name: str
    gender: str
    ethnicity: str
    birth_date: str
    address: str
    id_number: str
    authority: str
    valid_from: str
    valid_to: str


class SscTable(TypedDict):
    """The social security card in a persona's wallet (dates as ``YYYYMMDD``)."""

    card_number: str
    issue_date: str
    expiry_date: str
    pin: str
    pin_tries: int
    behaviour: str


class CardRow(TypedDict):
    """One card the central service knows of a persona (``issued`` as ISO date)."""

    card_number: str
    state: str
    bank_function: bool
    issued: str


class ReplacementRow(TypedDict):
    """A replacement card being made for a persona."""

    card_number: str
    stage: str
    applied: str
    outlet: NotRequired[str]
    mailed: NotRequired[bool]


class CentralTable(TypedDict):
    """What the central service knows of a persona."""

    phone: str
    bank: NotRequired[str]
    cards: NotRequired[list[CardRow]]
    replacement: NotRequired[ReplacementRow]


class EsscTable(TypedDict):
    """A persona's electronic social security card."""

    status: str


class TechnicianTable(TypedDict):
    """A technician card (only its ATR, hex)."""

    atr: NotRequired[str]


class Persona(TypedDict):
    """One fictional person: the tables each is absent when the persona has none."""

    summary: NotRequired[str]
    id: NotRequired[IdTable]
    ssc: NotRequired[SscTable]
    central: NotRequired[CentralTable]
    essc: NotRequired[EsscTable]
    technician_card: NotRequired[TechnicianTable]


@cache
def load_personas() -> dict[str, Persona]:
    """All personas by key, as parsed from ``kiosk/data/personas.toml`` (a table that
    does not fit its shape raises pydantic's ValidationError)."""
    from pydantic import TypeAdapter  # lazy: `kiosk card` and the virtual cards start light

    with PERSONAS_FILE.open("rb") as fh:
        table: object = tomllib.load(fh).get("persona", {})
    return TypeAdapter(dict[str, Persona]).validate_python(table, strict=True)


def persona(key: str) -> Persona:
    """One persona; ``KeyError`` with the known keys listed when it does not exist."""
    people = load_personas()
    if key not in people:
        raise KeyError(f"unknown persona {key!r}; known: {', '.join(sorted(people))}")
    return people[key]


def card_chip_id(card_number: str, region: str) -> str:
    """The identification code on a fictional card's chip (EF05 record 01, 32 hex digits):
    the region code, the issuer mark ``D156000005`` and 16 hex digits from the card
    number. One definition for the virtual cards and the sandbox's card records, so the
    chip read by the reader is the one the sandbox knows."""
    serial = hashlib.sha256(card_number.encode()).hexdigest()[:16].upper()
    return region + "D156000005" + serial
