"""Access to the fictional personas shared by virtual cards, the sandbox and the tests."""

from __future__ import annotations

import hashlib
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

PERSONAS_FILE = Path(__file__).parent / "data" / "personas.toml"


@cache
def load_personas() -> dict[str, dict[str, Any]]:
    """All personas by key, as parsed from ``kiosk/data/personas.toml``."""
    with PERSONAS_FILE.open("rb") as fh:
        return tomllib.load(fh)["persona"]


def persona(key: str) -> dict[str, Any]:
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
