"""Read the central service's answers into the services' own plain views.

The answers are the contract's response models (:mod:`kiosk.central.schemas`), parsed,
bounded and typed by the client: every field read here exists with its type, so a
renamed field fails the type check and the contract tests instead of degrading quietly.
The views hold only what the journeys show (masked numbers, handles, dates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.domain.masking import mask_id_number, mask_name
from kiosk.services.ports import CardSummary, PersonCards, PreLossResult, Replacement


@dataclass(frozen=True)
class CardInfo:
    """One of the person's social security cards, as the journeys use it: the service's
    opaque handle for it and its masked number (the kiosk never has the number)."""

    handle: str
    masked: str
    state: str
    bank_function: bool = False
    has_replacement: bool = False
    issued: dt.date | None = None

    def __repr__(self) -> str:
        return f"CardInfo({self.masked!r}, state={self.state!r})"


@dataclass(frozen=True)
class PersonInfo:
    """The identified person and their cards (held only in the session). ``name`` is
    the service's masked name; ``id_number`` what the kiosk read or was typed ("" when
    identified by the e-SSC)."""

    id_number: str
    name: str
    cards: tuple[CardInfo, ...]
    may_pre_lose: bool = False

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    def __repr__(self) -> str:
        return f"PersonInfo({self.masked_id!r}, cards={len(self.cards)})"


def card_info(card: CardSummary) -> CardInfo:
    """One card of a lookup's answer."""
    return CardInfo(handle=card.handle, masked=card.card_number_masked,
                    state=str(card.state), bank_function=card.bank_function,
                    has_replacement=card.has_replacement, issued=card.issued)


def person_info(answer: PersonCards, id_number: str = "") -> PersonInfo:
    """A :class:`PersonInfo` from a lookup's answer (``id_number``: what the kiosk read
    or was typed; the service never sends it)."""
    return PersonInfo(id_number=id_number, name=answer.name,
                      cards=tuple(card_info(c) for c in answer.cards),
                      may_pre_lose=answer.may_pre_lose)


@dataclass(frozen=True)
class PreLossInfo:
    """The service's acknowledgement of a pre-loss (or, when pending, what we queued)."""

    reference: str
    settlement_stopped_at: dt.datetime | None
    lapses_on: dt.date | None
    hotline: str


def pre_loss_info(answer: PreLossResult, hotline: str) -> PreLossInfo:
    """The service's receipt of a pre-loss (its hotline, else the region's)."""
    return PreLossInfo(reference=answer.reference,
                       settlement_stopped_at=answer.settlement_stopped_at,
                       lapses_on=answer.lapses_on, hotline=answer.hotline or hotline)


@dataclass(frozen=True)
class ReplacementInfo:
    """Where a replacement card is."""

    stage: str
    applied_on: dt.date | None
    expected_on: dt.date | None
    outlet: str
    ready_since: dt.date | None
    mailed: bool
    tracking_number: str
    history: tuple[tuple[str, dt.date | None], ...]
    card_number_masked: str = ""


def replacement_info(answer: Replacement | None) -> ReplacementInfo | None:
    """Where a replacement card is (None: the person has none)."""
    if answer is None:
        return None
    return ReplacementInfo(
        stage=str(answer.stage),
        applied_on=answer.applied_on,
        expected_on=answer.expected_on,
        outlet=answer.outlet or "",
        ready_since=answer.ready_since.date() if answer.ready_since else None,
        mailed=answer.mailed,
        tracking_number=answer.tracking_number or "",
        history=tuple((str(e.stage), e.at.date()) for e in answer.history),
        card_number_masked=answer.card_number_masked,
    )
