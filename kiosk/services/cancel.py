"""Cancel pre-loss steps: found SSC, holder PIN on the card, matching ID card, confirm."""

from __future__ import annotations

from typing import Any

from kiosk.domain.masking import mask_card_number, mask_name
from kiosk.domain.models import IdCardData, SscCardData
from kiosk.services.adapt import field
from kiosk.services.failures import Failure
from kiosk.services.states import CancelView, PinView, Step


class CancelSteps:
    """Mixin of :class:`~kiosk.services.controller.JourneyController` (shares its state)."""

    # ---- cancel pre-loss -------------------------------------------------------------
    def _cancel_ssc_read(self, card: SscCardData) -> None:
        self.session.ssc_card = card
        self._set(Step.CANCEL_PIN, PinView(mask_card_number(card.card_number)))

    def submit_pin(self, pin: str) -> None:
        """Check the holder PIN on the inserted card (the PIN is never stored)."""
        card = self.session.ssc_card
        if self._state.step != Step.CANCEL_PIN or card is None or self.pins is None:
            return
        masked = mask_card_number(card.card_number)
        if not (pin.isdigit() and 4 <= len(pin) <= 12):
            self._set(Step.CANCEL_PIN, PinView(masked, None, "journeys.pin.error.format"))
            return
        pins = self.pins

        def ok(_: Any) -> None:
            self.session.pin_verified = True
            self._set(Step.CANCEL_INSERT_ID, CancelView(masked))

        def wrong(exc: BaseException) -> bool:
            if getattr(exc, "kind", None) == "pin_wrong":
                tries = getattr(exc, "tries_left", None)
                if tries == 0:
                    return False  # blocked now: failure screen
                self._set(Step.CANCEL_PIN, PinView(masked, tries, "journeys.pin.error.wrong"))
                return True
            return False

        self._call("verify_pin", lambda: pins.verify_pin(pin), ok,
                   "journeys.busy.checking_pin", on_error=wrong)

    def _cancel_id_read(self, card: IdCardData) -> None:
        ssc = self.session.ssc_card
        if ssc is None or not self.session.pin_verified:
            return
        if card.is_expired(self.today()):
            self._fail_kind("id_expired")
            return
        if card.id_number.strip().upper() != ssc.ssn.strip().upper():
            self._fail_kind("id_mismatch", retry_to=self._state)
            return
        self.session.id_card = card
        self.session.id_number = card.id_number
        masked = mask_card_number(ssc.card_number)

        def got(status: Any) -> None:
            state = str(getattr(field(status, "state"), "value", field(status, "state")))
            if field(status, "has_replacement", False) or field(status, "replacement"):
                self._fail(Failure("refused", {"hotline": self.hotline,
                                               "code": "replacement_exists"}))
            elif state != "pre_lost":
                self._fail_kind("not_pre_lost", state=state)
            else:
                self._set(Step.CANCEL_CONFIRM, CancelView(masked, mask_name(card.name)))

        self._call("card_status", lambda: self.central.card_status(ssc.card_number), got,
                   "journeys.busy.looking_up")

    def confirm_cancel(self) -> None:
        ssc, number = self.session.ssc_card, self.session.id_number
        if self._state.step != Step.CANCEL_CONFIRM or ssc is None or not number:
            return
        key = self.session.new_idempotency_key()
        masked = mask_card_number(ssc.card_number)

        def done(result: Any) -> None:
            self.session.cancel_reference = str(field(result, "reference", "") or "")
            self._set(Step.CANCEL_DONE, CancelView(masked))

        self._call("cancel_pre_loss",
                   lambda: self.central.cancel_pre_loss(ssc.card_number, number, key), done,
                   "journeys.busy.submitting")

