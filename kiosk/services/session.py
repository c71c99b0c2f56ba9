"""One cardholder's session: the only place personal data lives while they use the kiosk.

:meth:`KioskSession.wipe` drops every reference (the ID card text, the SSC data, the
person's cards, the challenge, results). Python cannot zero immutable strings, so wiping
means nothing of the session stays reachable: the tests check the object is empty and
the bench checks memory does not grow over 1,000 sessions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, fields

from kiosk.domain.models import IdCardData, SscCardData
from kiosk.services.adapt import CardInfo, PersonInfo, PreLossInfo, ReplacementInfo


@dataclass
class KioskSession:
    """Personal data of the current cardholder, held only until :meth:`wipe`."""

    id_card: IdCardData | None = None
    ssc_card: SscCardData | None = None
    id_number: str | None = None  # typed on the keypad or read from the ID card
    person: PersonInfo | None = None
    chosen: CardInfo | None = None
    challenge_id: str | None = None
    phone_masked: str | None = None
    idempotency_key: str | None = None
    pre_loss: PreLossInfo | None = None
    replacement: ReplacementInfo | None = None
    pin_verified: bool = False
    cancel_reference: str | None = None
    # Pre-lost cards' lapse dates from the service, (card handle, date) pairs; None until
    # asked (once per session: the cards list is shown again on Back).
    lapses: tuple[tuple[str, dt.date | None], ...] | None = None

    def new_idempotency_key(self) -> str:
        """Created once per confirmation; every retry and the outbox reuse it."""
        if self.idempotency_key is None:
            self.idempotency_key = uuid.uuid4().hex
        return self.idempotency_key

    def wipe(self) -> None:
        """Forget everything about the cardholder."""
        for f in fields(self):
            setattr(self, f.name, f.default)

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) == f.default for f in fields(self))

    def __repr__(self) -> str:  # never shows personal data
        held = [f.name for f in fields(self) if getattr(self, f.name) != f.default]
        return f"KioskSession(holding={held})"

    def snapshot(self) -> dict[str, bool]:
        """Field names → whether set (diagnostics; no values)."""
        return {f.name: getattr(self, f.name) != f.default for f in fields(self)}
