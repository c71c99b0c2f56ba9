"""The journeys' states: an explicit step plus an immutable view the UI renders.

Each :class:`Step` is drawn by one screen (the UI's ``SCREEN_FOR_STEP``). Views carry
only what the screen shows (masked numbers, dates, i18n keys); the full personal data stays in the
:class:`~kiosk.services.session.KioskSession` and is wiped when the session ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from kiosk.services.failures import Failure


class Journey(StrEnum):
    NONE = "none"
    PRE_LOSS = "pre_loss"
    STATUS = "status"
    CANCEL = "cancel"
    GUIDANCE = "guidance"


class EndReason(StrEnum):
    """Why a session ended (carried in the HOME state; metrics and the notice use it)."""

    DONE = "done"            # the journey's own end (finish button)
    HOME = "home"            # the home button
    TIMEOUT = "timeout"      # nobody touched the screen
    CARD_REMOVED = "card_removed"  # the social security card was pulled mid-journey
    ID_CARD_REMOVED = "id_card_removed"  # the identifying ID card lifted off its list
    OUT_OF_SERVICE = "out_of_service"  # the centre revoked the terminal's key
    NEW_PERSON = "new_person"  # another person's card or e-SSC (services/one_person.py)
    ERROR = "error"          # an unexpected UI error (the crash guard)
    TECHNICIAN = "technician"  # diagnostics entered or left
    RESET = "reset"          # tests, the tour and the benches start over


# A one-line note on the home screen for the endings the person did not choose.
NOTICE_FOR_END = {EndReason.TIMEOUT: "journeys.ended.inactivity",
                  EndReason.CARD_REMOVED: "journeys.ended.card_removed",
                  EndReason.ID_CARD_REMOVED: "journeys.ended.id_card_removed",
                  EndReason.NEW_PERSON: "journeys.ended.new_person"}


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
    ESSC_CHOOSE = "essc_choose"  # identified by the e-SSC at the start screen
    ESSC_REFUSED = "essc_refused"  # a scanned code that identifies nobody
    BUSY = "busy"
    FAILED = "failed"
    OUT_OF_SERVICE = "out_of_service"  # paused by the central service (kiosk/fleet)


@dataclass(frozen=True)
class IdentifyView:
    """Waiting for a card; which other ways in are offered."""

    keypad_allowed: bool
    ssc_allowed: bool  # status journey: the new or old SSC identifies too
    essc: str = "off"  # the e-SSC offer: off (no scanner) | ready | unavailable


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
    # "Send again" is possible from this time.monotonic() on (the service's cooldown).
    resend_at: float = 0.0


@dataclass(frozen=True)
class CardChoice:
    """One card in the list: offered for pre-loss, or explained and not offered."""

    card_number_masked: str
    state: str
    offerable: bool
    explain_key: str  # journeys.cards.state.<state>
    bank_function: bool
    token: str  # opaque handle for choose_card(); not the card number
    lapses_on: dt.date | None = None  # a pre-lost card (e.g. by phone): when it lapses


@dataclass(frozen=True)
class CardsView:
    """A person's cards, the ones they can act on first (in the order given), then the
    others, each explained, under a heading (:attr:`first_other`). With many cards a
    cancelled or expired card must never push the reportable one to a later page."""

    holder_masked: str
    cards: tuple[CardChoice, ...]
    keep_id_card: bool = False  # identified by the ID card: it must stay on the reader

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.cards, key=lambda c: not c.offerable))  # stable
        object.__setattr__(self, "cards", ordered)

    @property
    def any_offerable(self) -> bool:
        return any(c.offerable for c in self.cards)

    @property
    def first_other(self) -> int | None:
        """Where the cards that cannot be acted on begin, when both kinds are listed
        (the heading goes there); None when the list is of one kind."""
        others = [i for i, c in enumerate(self.cards) if not c.offerable]
        return others[0] if others and others[0] > 0 else None


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
    was_pending: bool = False  # queued first, delivered while the person was still here


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
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class EsscChooseView:
    """Identified by the e-SSC on the start screen: which journey now."""

    holder_masked: str
    cancel_allowed: bool  # shown as "needs the found card and the ID card"


@dataclass(frozen=True)
class EsscRefusedView:
    """Why a scanned code identifies nobody: expired | already_used | not_an_essc |
    revoked | bad_code (unreadable)."""

    refusal: str
    from_start: bool  # scanned at the start screen (scan again there)


# What cancel does to each background call (by name), said on the busy screen before it
# is pressed.
# Lookups and checks send nothing that changes anything; a pre-loss is protective, so a
# cancelled one is queued and still sent; a code or a cancellation may already be on its way.
ON_CANCEL = {"submit_pre_loss": "journeys.busy.on_cancel.queued",  # saved before sending
             # the outbox could not store it: nothing saved, and it may still arrive
             "submit_pre_loss_unsaved": "journeys.busy.on_cancel.may_have_arrived",
             "request_code": "journeys.busy.on_cancel.code_may_arrive",
             "cancel_pre_loss": "journeys.busy.on_cancel.may_have_arrived",
             "verify_pin": "journeys.busy.on_cancel.pin_again"}


@dataclass(frozen=True)
class BusyView:
    message_key: str
    cancellable: bool
    started: float  # time.monotonic() when the call began
    # What pressing cancel does to this action, in words (queued, nothing sent, …).
    cancel_key: str = "journeys.busy.on_cancel.nothing_sent"


@dataclass(frozen=True)
class OutOfServiceView:
    """Paused by the centre: why (``fleet.reason.<reason>``), whom to call, where else to
    go, and whether guidance stays open. ``alternative`` is a key of
    :class:`~kiosk.domain.alternatives.Alternative` ("" = nothing to show): a catalog
    sentence (``fleet.alternatives.<key>``), or ``site`` with the site's own words from
    the local config in ``place`` (by language)."""

    reason: str
    hotline: str
    guidance_readable: bool
    alternative: str = ""
    place: dict[str, str] = field(default_factory=dict)


View = (IdentifyView | KeypadView | CodeView | CardsView | ConsequencesView | PreLossView
        | StatusView | PinView | CancelView | GuidanceView | EsscChooseView | EsscRefusedView
        | BusyView | OutOfServiceView | None)


@dataclass(frozen=True)
class State:
    """What the UI shows now. ``end_reason`` is set on the HOME state a session end
    publishes (``None`` before any session)."""

    step: Step
    journey: Journey = Journey.NONE
    view: View = None
    failure: Failure | None = None
    end_reason: EndReason | None = None
    seq: int = 0  # increases on every change; lets the UI skip stale renders

    @property
    def notice_key(self) -> str:
        """A one-line note on why we came home ("" when there is nothing to say)."""
        return NOTICE_FOR_END.get(self.end_reason, "") if self.end_reason else ""
