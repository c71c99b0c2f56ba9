"""The journeys' states: an explicit step plus an immutable view the UI renders.

Each :class:`Step` maps to one screen (``SCREEN_FOR_STEP``). Views carry only what the
screen shows (masked numbers, dates, i18n keys); the full personal data stays in the
:class:`~kiosk.services.session.KioskSession` and is wiped when the session ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kiosk.services.failures import Failure


class Journey(StrEnum):
    NONE = "none"
    PRE_LOSS = "pre_loss"
    STATUS = "status"
    CANCEL = "cancel"
    GUIDANCE = "guidance"


class Step(StrEnum):
    HOME = "home"
    IDENTIFY = "identify"
    ID_KEYPAD = "id_keypad"
    CODE_ENTRY = "code_entry"
    CARDS = "cards"
    CONSEQUENCES = "consequences"
    PRE_LOSS_DONE = "pre_loss_done"
    PRE_LOSS_PENDING = "pre_loss_pending"
    STATUS = "status"
    CANCEL_INSERT_SSC = "cancel_insert_ssc"
    CANCEL_PIN = "cancel_pin"
    CANCEL_INSERT_ID = "cancel_insert_id"
    CANCEL_CONFIRM = "cancel_confirm"
    CANCEL_DONE = "cancel_done"
    GUIDANCE_INDEX = "guidance_index"
    GUIDANCE_TOPIC = "guidance_topic"
    BUSY = "busy"
    FAILED = "failed"


# One screen per step (names registered by kiosk/ui/screens/registry.py). The first
# screen of each journey carries the attract screen's route name (kiosk/ui/routes.py).
SCREEN_FOR_STEP: dict[Step, str] = {
    Step.HOME: "attract",
    Step.IDENTIFY: "pre_loss",  # "status" in the status journey (see State.screen)
    Step.ID_KEYPAD: "identify_keypad",
    Step.CODE_ENTRY: "identify_code",
    Step.CARDS: "pre_loss_cards",
    Step.CONSEQUENCES: "pre_loss_consequences",
    Step.PRE_LOSS_DONE: "pre_loss_done",
    Step.PRE_LOSS_PENDING: "pre_loss_pending",
    Step.STATUS: "status_progress",
    Step.CANCEL_INSERT_SSC: "cancel_pre_loss",
    Step.CANCEL_PIN: "cancel_pin",
    Step.CANCEL_INSERT_ID: "cancel_id",
    Step.CANCEL_CONFIRM: "cancel_confirm",
    Step.CANCEL_DONE: "cancel_done",
    Step.GUIDANCE_INDEX: "guide",
    Step.GUIDANCE_TOPIC: "guidance_topic",
    Step.BUSY: "journey_busy",
    Step.FAILED: "journey_failure",
}


@dataclass(frozen=True)
class IdentifyView:
    """Waiting for a card; which other ways in are offered."""

    keypad_allowed: bool
    ssc_allowed: bool  # status journey: the new or old SSC identifies too


@dataclass(frozen=True)
class KeypadView:
    """Digits typed so far are kept by the UI; the service only reports the error."""

    error_key: str = ""
    max_length: int = 18


@dataclass(frozen=True)
class CodeView:
    phone_masked: str
    expires_in: int
    error_key: str = ""


@dataclass(frozen=True)
class CardChoice:
    """One card in the list: offered for pre-loss, or explained and not offered."""

    card_number_masked: str
    state: str
    offerable: bool
    explain_key: str  # journeys.cards.state.<state>
    bank_function: bool
    token: str  # opaque handle for choose_card(); not the card number


@dataclass(frozen=True)
class CardsView:
    holder_masked: str
    cards: tuple[CardChoice, ...]

    @property
    def any_offerable(self) -> bool:
        return any(c.offerable for c in self.cards)


@dataclass(frozen=True)
class ConsequencesView:
    card_number_masked: str
    hotline: str
    lapse_days: int
    lapse_working_days: bool
    fee_yuan: int


@dataclass(frozen=True)
class PreLossView:
    """Done (``pending`` False) or queued (``pending`` True) pre-loss."""

    card_number_masked: str
    reference: str
    at: dt.datetime
    lapses_on: dt.date | None
    hotline: str
    qr_payload: str
    pending: bool
    receipt: str = "none"  # none | printing | printed | failed
    lapse_estimate: bool = False  # lapses_on computed on the kiosk, not from the service


@dataclass(frozen=True)
class TimelineEntry:
    stage: str
    label_key: str
    done: bool
    current: bool
    on: dt.date | None


@dataclass(frozen=True)
class CardStateLine:
    card_number_masked: str
    state: str
    advice_key: str  # journeys.status.card.<state>


@dataclass(frozen=True)
class StatusView:
    holder_masked: str
    cards: tuple[CardStateLine, ...]
    has_replacement: bool
    timeline: tuple[TimelineEntry, ...] = ()
    stage: str = ""
    applied_on: dt.date | None = None
    expected_on: dt.date | None = None
    working_days: int = 0
    outlet: str = ""
    ready_since: dt.date | None = None
    mailed: bool = False
    tracking_number: str = ""
    next_key: str = ""  # journeys.status.next.<stage>
    expected_estimate: bool = False  # expected_on counted on the kiosk, not the service's


@dataclass(frozen=True)
class PinView:
    card_number_masked: str
    tries_left: int | None = None  # set after a wrong PIN
    error_key: str = ""


@dataclass(frozen=True)
class CancelView:
    card_number_masked: str
    holder_masked: str = ""


@dataclass(frozen=True)
class GuidanceView:
    topics: tuple[str, ...]
    topic: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BusyView:
    message_key: str
    cancellable: bool
    started: float  # time.monotonic() when the call began


@dataclass(frozen=True)
class State:
    """What the UI shows now. ``notice_key`` is a one-line note (e.g. why we came home)."""

    step: Step
    journey: Journey = Journey.NONE
    view: Any = None
    failure: Failure | None = None
    notice_key: str = ""
    seq: int = 0  # increases on every change; lets the UI skip stale renders

    @property
    def screen(self) -> str:
        if self.step == Step.IDENTIFY and self.journey == Journey.STATUS:
            return "status"
        return SCREEN_FOR_STEP[self.step]
