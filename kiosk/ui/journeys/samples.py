"""Sample states of every journey screen, for ``kiosk tour`` (fictional, masked data)."""

from __future__ import annotations

import datetime as dt
import time

from kiosk.config import Settings
from kiosk.domain.masking import mask_card_number, mask_name
from kiosk.personas import load_personas
from kiosk.services import guidance
from kiosk.services.failures import FAILURE_KINDS, Failure, FailureKind
from kiosk.services.states import (
    BusyView,
    CancelView,
    CardChoice,
    CardStateLine,
    CardsView,
    CodeView,
    ConsequencesView,
    EsscChooseView,
    EsscRefusedView,
    GuidanceView,
    IdentifyView,
    Journey,
    KeypadView,
    OutOfServiceView,
    PinView,
    PreLossView,
    State,
    StatusView,
    Step,
    TimelineEntry,
)

_AT = dt.datetime(2026, 11, 25, 9, 30)


def _timeline(current: int, mailed: bool = False) -> tuple[TimelineEntry, ...]:
    stages = ("applied", "in_production", "mailed" if mailed else "ready_for_pickup",
              "collected")
    dates = (dt.date(2026, 10, 20), dt.date(2026, 10, 21), dt.date(2026, 11, 9), None)
    return tuple(TimelineEntry(s, f"journeys.status.stage.{s}", i < current, i == current,
                               dates[i] if i <= current else None)
                 for i, s in enumerate(stages))


def _most_cards() -> CardsView:
    """The cards of the persona with the most cards, as the pre-loss list shows them
    (masked): the longest list a cardholder screen must fit."""
    person = max(load_personas().values(),
                 key=lambda p: len(p.get("central", {}).get("cards", [])))
    return CardsView(mask_name(person["id"]["name"]), tuple(
        CardChoice(mask_card_number(c["card_number"]), c["state"], c["state"] == "active",
                   f"journeys.cards.state.{c['state']}", c["bank_function"], str(i))
        for i, c in enumerate(person["central"]["cards"])))


def samples_for(screen: str, settings: Settings) -> dict[str, State]:
    """Named states of ``screen`` (empty when the screen has none)."""
    r = settings.region
    hot = {"hotline": r.hotline}
    cards = CardsView("王**", (
        CardChoice("*****0019", "active", True, "journeys.cards.state.active", True, "0"),
        CardChoice("*****0001", "pre_lost", False, "journeys.cards.state.pre_lost", True, "1"),
        CardChoice("*****0027", "cancelled", False, "journeys.cards.state.cancelled", False,
                   "2")), keep_id_card=True)  # identified by the ID card on the reader
    done = PreLossView("*****0019", "PL-20261125-0001", _AT, dt.date(2026, 12, 5), r.hotline,
                       "PL-20261125-0001", False, "printed")
    ready = StatusView("李**", (CardStateLine("*****0108", "lost", "journeys.status.card.lost"),),
                       True, _timeline(2), "ready_for_pickup", dt.date(2026, 10, 20),
                       dt.date(2026, 12, 8), r.replacement_working_days_bank,
                       "东城区社保卡服务网点（东四十条）", dt.date(2026, 11, 9), False, "",
                       "journeys.status.next.ready_for_pickup")
    table: dict[str, dict[str, State]] = {
        "pre_loss": {"default": State(Step.IDENTIFY, Journey.PRE_LOSS,
                                     IdentifyView(True, False)),
                     "essc": State(Step.IDENTIFY, Journey.PRE_LOSS,
                                   IdentifyView(True, False, "ready")),
                     "essc_unavailable": State(Step.IDENTIFY, Journey.PRE_LOSS,
                                               IdentifyView(True, False, "unavailable"))},
        "status": {"default": State(Step.IDENTIFY, Journey.STATUS, IdentifyView(True, True)),
                   "essc": State(Step.IDENTIFY, Journey.STATUS,
                                 IdentifyView(True, True, "ready"))},
        "essc_choose": {"default": State(Step.ESSC_CHOOSE, Journey.NONE,
                                         EsscChooseView("王**", True))},
        "essc_refused": {**{r: State(Step.ESSC_REFUSED, Journey.PRE_LOSS,
                                     EsscRefusedView(r, r == "not_an_essc"))
                            for r in ("expired", "already_used", "not_an_essc", "revoked",
                                      "bad_code")},
                         "revoked_start": State(Step.ESSC_REFUSED, Journey.PRE_LOSS,
                                                EsscRefusedView("revoked", True))},
        "identify_keypad": {
            "default": State(Step.ID_KEYPAD, Journey.PRE_LOSS, KeypadView()),
            "error": State(Step.ID_KEYPAD, Journey.PRE_LOSS, KeypadView("id.error.check_digit"))},
        "identify_code": {
            "default": State(Step.CODE_ENTRY, Journey.PRE_LOSS, CodeView("138****1230", 300)),
            "wrong": State(Step.CODE_ENTRY, Journey.PRE_LOSS,
                           CodeView("138****1230", 300, "journeys.code.error.wrong"))},
        "pre_loss_cards": {
            "mixed": State(Step.CARDS, Journey.PRE_LOSS, cards),
            "most_cards": State(Step.CARDS, Journey.PRE_LOSS, _most_cards()),
            "none_offerable": State(Step.CARDS, Journey.PRE_LOSS, CardsView(
                "孙**", (CardChoice("*****0094", "pre_lost", False,
                                    "journeys.cards.state.pre_lost_until", True, "0",
                                    dt.date(2026, 12, 3)),)))},
        "pre_loss_consequences": {"default": State(
            Step.CONSEQUENCES, Journey.PRE_LOSS,
            ConsequencesView("*****0019", r.hotline, r.pre_loss_lapse_days,
                             r.pre_loss_lapse_working_days, r.replacement_fee_yuan))},
        "pre_loss_done": {
            "printed": State(Step.PRE_LOSS_DONE, Journey.PRE_LOSS, done),
            "print_failed": State(Step.PRE_LOSS_DONE, Journey.PRE_LOSS,
                                  PreLossView(**{**done.__dict__, "receipt": "failed"})),
            # The lapse date counted here beyond the known official calendar: "about".
            "estimated": State(Step.PRE_LOSS_DONE, Journey.PRE_LOSS, PreLossView(
                **{**done.__dict__, "lapses_on": dt.date(2027, 12, 24),
                   "lapse_estimate": True})),
            # Pending a moment ago, then delivered by the outbox while still shown.
            "after_pending": State(Step.PRE_LOSS_DONE, Journey.PRE_LOSS, PreLossView(
                **{**done.__dict__, "reference": "YGS20261125000123",
                   "qr_payload": "YGS20261125000123", "was_pending": True}))},
        "pre_loss_pending": {"default": State(
            Step.PRE_LOSS_PENDING, Journey.PRE_LOSS,
            PreLossView("*****0019", "Q-3F9A27C0D1", _AT, None, r.hotline, "Q-3F9A27C0D1",
                        True, "printed"))},
        "status_progress": {
            "ready": State(Step.STATUS, Journey.STATUS, ready),
            "in_production": State(Step.STATUS, Journey.STATUS, StatusView(
                **{**ready.__dict__, "timeline": _timeline(1), "stage": "in_production",
                   "ready_since": None, "next_key": "journeys.status.next.in_production"})),
            "mailed": State(Step.STATUS, Journey.STATUS, StatusView(
                **{**ready.__dict__, "timeline": _timeline(2, True), "stage": "mailed",
                   "mailed": True, "tracking_number": "SF1234567890",
                   "next_key": "journeys.status.next.mailed"})),
            "none": State(Step.STATUS, Journey.STATUS, StatusView(
                "王**", (CardStateLine("*****0019", "active", "journeys.status.card.active"),),
                False, next_key="journeys.status.next.none"))},
        "cancel_pre_loss": {"default": State(Step.CANCEL_INSERT_SSC, Journey.CANCEL)},
        "cancel_pin": {
            "default": State(Step.CANCEL_PIN, Journey.CANCEL, PinView("*****0051")),
            "tries_left": State(Step.CANCEL_PIN, Journey.CANCEL,
                                PinView("*****0051", 2, "journeys.pin.error.wrong")),
            # A card that does not say how many tries are left (ISO 7816-4 6300).
            "tries_unknown": State(Step.CANCEL_PIN, Journey.CANCEL, PinView(
                "*****0051", None, "journeys.pin.error.wrong_count_unknown"))},
        "cancel_id": {"default": State(Step.CANCEL_INSERT_ID, Journey.CANCEL,
                                       CancelView("*****0051"))},
        "cancel_confirm": {"default": State(Step.CANCEL_CONFIRM, Journey.CANCEL,
                                            CancelView("*****0051", "陈**"))},
        "cancel_done": {"default": State(Step.CANCEL_DONE, Journey.CANCEL,
                                         CancelView("*****0051"))},
        "guide": {"default": State(Step.GUIDANCE_INDEX, Journey.GUIDANCE, GuidanceView(
            guidance.topics(settings), "", guidance.params(settings)))},
        "guidance_topic": {t: State(Step.GUIDANCE_TOPIC, Journey.GUIDANCE, GuidanceView(
            guidance.topics(settings), t, guidance.params(settings)))
            for t in guidance.topics(settings)},
        "journey_busy": {
            "default": State(Step.BUSY, Journey.PRE_LOSS,
                             BusyView("journeys.busy.looking_up", True, time.monotonic())),
            "slow": State(Step.BUSY, Journey.PRE_LOSS,
                          BusyView("journeys.busy.submitting", True, time.monotonic() - 10,
                                   "journeys.busy.on_cancel.queued"))},
        "out_of_service": {
            "default": State(Step.OUT_OF_SERVICE, view=OutOfServiceView(
                "maintenance", r.hotline, True, "site",
                {"zh_CN": "东城区社保卡服务网点（东四十条）",
                 "en": "Dongcheng card service point (Dongsishitiao)"})),
            "no_guidance": State(Step.OUT_OF_SERVICE, view=OutOfServiceView(
                "central_migration", r.hotline, False)),
            "nearest_outlet": State(Step.OUT_OF_SERVICE, view=OutOfServiceView(
                "outlet_closed", r.hotline, True, "nearest_outlet"))},
        "journey_failure": {
            **{k: State(Step.FAILED, Journey.PRE_LOSS, failure=Failure(
                k, {**hot, "code": "replacement_exists", "keypad": True,
                    "seconds": settings.session.card_wait_seconds},
                k in ("card_unreadable", "card_reset", "timeout", "card_wait", "reader_service")))
               for k in FAILURE_KINDS},
            # The card service went down at the cancel journey's "insert the card" step:
            # no keypad there, so the counter and the hotline.
            "reader_service_cancel": State(Step.FAILED, Journey.CANCEL, failure=Failure(
                FailureKind.READER_SERVICE, {**hot, "keypad": False}, True))},
    }
    return table.get(screen, {})
