"""Read central-service results into the services' own plain views.

The services read results by attribute (or mapping key) name, so they work with the
central client's pydantic models, plain dicts from tests, and fakes alike, and a
renamed optional field degrades to its default instead of crashing a journey.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kiosk.domain.masking import mask_id_number, mask_name


def field(obj: Any, name: str, default: Any = None) -> Any:
    """``obj.name`` or ``obj[name]``, else ``default``."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def as_date(value: Any) -> dt.date | None:
    """A date from a date, datetime or ISO text; None when absent or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def as_datetime(value: Any) -> dt.datetime | None:
    """A datetime from a datetime or ISO text; None when absent or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _state_text(value: Any) -> str:
    return str(getattr(value, "value", value) or "unknown")


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


def card_info(obj: Any) -> CardInfo:
    return CardInfo(
        handle=str(field(obj, "handle", "") or ""),
        masked=str(field(obj, "card_number_masked", "") or ""),
        state=_state_text(field(obj, "state")),
        bank_function=bool(field(obj, "bank_function", False)),
        has_replacement=bool(field(obj, "has_replacement", False)
                             or field(obj, "replacement", None)),
        issued=as_date(field(obj, "issued", None) or field(obj, "issued_on", None)),
    )


def person_info(obj: Any, id_number: str = "") -> PersonInfo:
    """A :class:`PersonInfo` from ``PersonCards`` (or a dict of the same shape)."""
    cards = field(obj, "cards", ()) or ()
    return PersonInfo(
        id_number=id_number,
        name=str(field(obj, "name", "") or ""),
        cards=tuple(card_info(c) for c in cards),
        may_pre_lose=bool(field(obj, "may_pre_lose", False)),
    )


@dataclass(frozen=True)
class PreLossInfo:
    """The service's acknowledgement of a pre-loss (or, when pending, what we queued)."""

    reference: str
    settlement_stopped_at: dt.datetime | None
    lapses_on: dt.date | None
    hotline: str


def pre_loss_info(obj: Any, hotline: str) -> PreLossInfo:
    return PreLossInfo(
        reference=str(field(obj, "reference", "")),
        settlement_stopped_at=as_datetime(field(obj, "settlement_stopped_at")),
        lapses_on=as_date(field(obj, "lapses_on")),
        hotline=str(field(obj, "hotline", "") or hotline),
    )


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


def replacement_info(obj: Any) -> ReplacementInfo | None:
    if obj is None:
        return None
    history = []
    for item in field(obj, "history", ()) or ():
        stage = field(item, "stage") if not isinstance(item, (tuple, list)) else item[0]
        when = field(item, "at", None) or field(item, "on", None) or field(item, "date", None)
        if isinstance(item, (tuple, list)) and len(item) > 1:
            when = item[1]
        history.append((_state_text(stage), as_date(when)))
    return ReplacementInfo(
        stage=_state_text(field(obj, "stage")),
        applied_on=as_date(field(obj, "applied_on")),
        expected_on=as_date(field(obj, "expected_on")),
        outlet=str(field(obj, "outlet", "") or ""),
        ready_since=as_date(field(obj, "ready_since")),
        mailed=bool(field(obj, "mailed", False)),
        tracking_number=str(field(obj, "tracking_number", "") or ""),
        history=tuple(history),
        card_number_masked=str(field(obj, "card_number_masked", "") or ""),
    )
