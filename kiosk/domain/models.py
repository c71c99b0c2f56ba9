"""What the card readers return, as plain data shared by devices, services and UI.

``repr`` masks personal fields so that a stray log line or traceback never shows them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.domain.masking import mask_card_number, mask_id_number, mask_name


@dataclass(frozen=True)
class IdCardData:
    """Text block of a resident ID card (photo optional, never kept)."""

    name: str
    gender: str  # "male", "female", "unknown", "unstated"
    ethnicity: str  # GB 3304 code, "01".."56", "97", "98"
    birth_date: dt.date
    address: str
    id_number: str
    authority: str
    valid_from: dt.date
    valid_to: dt.date | None  # None = 长期 (no expiry)
    photo: bytes = b""  # never shown: __repr__ below names the fields it shows

    def is_expired(self, today: dt.date) -> bool:
        return self.valid_to is not None and self.valid_to < today

    def __repr__(self) -> str:
        return (f"IdCardData(name={mask_name(self.name)!r}, "
                f"id_number={mask_id_number(self.id_number)!r}, valid_to={self.valid_to})")


@dataclass(frozen=True)
class SscCardData:
    """Card and holder data from a social security card (EF05 + EF06)."""

    card_id_code: str  # 16-byte identification code, hex
    card_type: str
    spec_version: str  # "2.00" / "3.00"
    issuer_code: str  # BCD issuing organisation
    issue_date: dt.date
    expiry_date: dt.date
    card_number: str  # e.g. "X00000019"
    ssn: str  # social security number = citizen ID number
    name: str
    gender: str  # "male" / "female" / "unknown"
    ethnicity: str
    birth_date: dt.date | None

    @property
    def region_code(self) -> str:
        return self.card_id_code[:6]

    def is_expired(self, today: dt.date) -> bool:
        return self.expiry_date < today

    def __repr__(self) -> str:
        return (f"SscCardData(card_number={mask_card_number(self.card_number)!r}, "
                f"ssn={mask_id_number(self.ssn)!r}, name={mask_name(self.name)!r})")
