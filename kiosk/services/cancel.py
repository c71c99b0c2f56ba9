"""Cancel pre-loss steps: found SSC, holder PIN on the card, matching ID card, confirm."""

from __future__ import annotations

from typing import Any

from kiosk.domain.masking import mask_card_number, mask_name
from kiosk.domain.models import IdCardData, SscCardData
from kiosk.services.adapt import field
from kiosk.services.failures import Failure, FailureKind
from kiosk.services.journey import JourneyContext
from kiosk.services.states import CancelView, PinView, Step


class CancelJourney:
    """Cancelling a pre-loss (:class:`~kiosk.services.journey.CancelIntents`): the found
    SSC, the holder PIN on it, the matching ID card, confirm."""

    def __init__(self, core: JourneyContext) -> None:
        self.core = core

    def ssc_read(self, card: SscCardData) -> None:
        """The found SSC is in: ask for its PIN."""
        self.core.session.ssc_card = card
        self.core.publish(Step.CANCEL_PIN, PinView(mask_card_number(card.card_number)))

    def submit_pin(self, pin: str) -> None:
        """Check the holder PIN on the inserted card (the PIN is never stored)."""
        card = self.core.session.ssc_card
        if self.core.state.step != Step.CANCEL_PIN or card is None or self.core.pins is None:
            return
        masked = mask_card_number(card.card_number)
        if not (pin.isdigit() and 4 <= len(pin) <= 12):
            self.core.publish(Step.CANCEL_PIN, PinView(masked, None, "journeys.pin.error.format"))
            return
        pins = self.core.pins

        def ok(_: Any) -> None:
            self.core.session.pin_verified = True
            self.core.publish(Step.CANCEL_INSERT_ID, CancelView(masked))

        def wrong(exc: BaseException) -> bool:
            if getattr(exc, "kind", None) == "pin_wrong":
                tries = getattr(exc, "tries_left", None)
                if tries == 0:
                    return False  # blocked now: failure screen
                self.core.publish(Step.CANCEL_PIN,
                                  PinView(masked, tries, "journeys.pin.error.wrong"))
                return True
            return False

        self.core.call("verify_pin", lambda: pins.verify_pin(pin), ok,
                   "journeys.busy.checking_pin", on_error=wrong)

    def id_read(self, card: IdCardData) -> None:
        """The holder's ID card, after the PIN: must match the SSC."""
        ssc = self.core.session.ssc_card
        if ssc is None or not self.core.session.pin_verified:
            return
        if card.is_expired(self.core.today()):
            self.core.fail_kind(FailureKind.ID_EXPIRED)
            return
        if card.id_number.strip().upper() != ssc.ssn.strip().upper():
            self.core.fail_kind(FailureKind.ID_MISMATCH, retry_to=self.core.state)
            return
        self.core.session.id_card = card
        self.core.session.id_number = card.id_number
        masked = mask_card_number(ssc.card_number)

        def got(status: Any) -> None:
            state = str(getattr(field(status, "state"), "value", field(status, "state")))
            if field(status, "has_replacement", False) or field(status, "replacement"):
                self.core.fail(Failure(FailureKind.REFUSED, {"hotline": self.core.hotline,
                                               "code": "replacement_exists"}))
            elif state != "pre_lost":
                self.core.fail_kind(FailureKind.NOT_PRE_LOST, state=state)
            else:
                self.core.publish(Step.CANCEL_CONFIRM, CancelView(masked, mask_name(card.name)))

        self.core.call("card_status", lambda: self.core.central.card_status(ssc.card_number), got,
                   "journeys.busy.looking_up")

    def confirm_cancel(self) -> None:
        ssc, number = self.core.session.ssc_card, self.core.session.id_number
        if self.core.state.step != Step.CANCEL_CONFIRM or ssc is None or not number:
            return
        key = self.core.session.new_idempotency_key()
        masked = mask_card_number(ssc.card_number)

        def done(result: Any) -> None:
            self.core.session.cancel_reference = str(field(result, "reference", "") or "")
            self.core.publish(Step.CANCEL_DONE, CancelView(masked))

        self.core.call("cancel_pre_loss",
                   lambda: self.core.central.cancel_pre_loss(ssc.card_number, number, key), done,
                   "journeys.busy.submitting")

