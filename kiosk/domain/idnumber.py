"""Resident identity numbers (GB 11643-1999): check character, birth date, gender."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from kiosk.domain.masking import mask_id_number

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


class InvalidIdNumber(ValueError):
    """The text is not a valid 18-character identity number. ``reason`` is an i18n key."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def check_char(first17: str) -> str:
    """The check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class IdNumber:
    """A validated identity number."""

    value: str

    @property
    def region(self) -> str:
        return self.value[:6]

    @property
    def birth_date(self) -> dt.date:
        return dt.date(int(self.value[6:10]), int(self.value[10:12]), int(self.value[12:14]))

    @property
    def gender(self) -> str:
        """``"male"`` or ``"female"`` from the parity of the sequence code."""
        return "male" if int(self.value[16]) % 2 else "female"

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:  # never print the full number by accident
        return f"IdNumber({mask_id_number(self.value)})"


def parse_id_number(text: str, today: dt.date | None = None) -> IdNumber:
    """Validate ``text`` and return an :class:`IdNumber`, or raise :class:`InvalidIdNumber`."""
    value = text.strip().upper()
    if len(value) != 18:
        raise InvalidIdNumber("id.error.length")
    # ASCII only: str.isdigit() also takes full-width and other scripts' digits ("４").
    if not _SHAPE.fullmatch(value):
        raise InvalidIdNumber("id.error.characters")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber("id.error.birth_date") from None
    if birth.year < 1880 or birth > (today or dt.date.today()):
        raise InvalidIdNumber("id.error.birth_date")
    if check_char(value[:17]) != value[17]:
        raise InvalidIdNumber("id.error.check_digit")
    return IdNumber(value)


def is_valid_id_number(text: str) -> bool:
    """True when ``text`` is a valid identity number."""
    try:
        parse_id_number(text)
    except InvalidIdNumber:
        return False
    return True
