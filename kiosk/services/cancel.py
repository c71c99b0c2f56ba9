"""Cancel pre-loss steps: found SSC, holder PIN on the card, matching ID card, confirm."""

from __future__ import annotations

from kiosk.domain.masking import mask_card_number, mask_name
from kiosk.domain.models import IdCardData, SscCardData
from kiosk.services.failures import PIN_FORMAT, Failure, FailureKind, failure_from_error
from kiosk.services.journey import JourneyContext
from kiosk.services.ports import CancelResult, CardStatus, Slot
from kiosk.services.states import CancelView, PinView, Step, View

PIN_DIGITS = 6  # the holder PIN of a social security card; the card refuses others


class CancelJourney:
    """Cancelling a pre-loss (:class:`~kiosk.services.journey.CancelIntents`): the found
    SSC, the holder PIN on it, the matching ID card, confirm."""

    # The steps that wait for a card (a card read there comes to :meth:`card_read`);
    # back at any of its steps ends the session (the journey registry).
    card_steps = frozenset({Step.CANCEL_INSERT_SSC, Step.CANCEL_INSERT_ID})

    def __init__(self, core: JourneyContext) -> None:
        self.core = core

    def first_step(self) -> tuple[Step, View]:
        """Where the journey begins: the found card in the reader (where offered)."""
        if not self.core.settings.features.cancel_pre_loss:
            raise ValueError("cancelling a pre-loss is not offered at this site")
        return Step.CANCEL_INSERT_SSC, None

    def card_read(self, slot: Slot, data: object) -> bool:
        """A card read while the journey waits for one: the found SSC, then the ID card
        (an SSC still in its slot then is no wrong card). Every card is taken here (True):
        a wrong one is said with the card this step asks for."""
        st = self.core.state
        if st.step == Step.CANCEL_INSERT_SSC:
            if slot is Slot.SSC and isinstance(data, SscCardData):
                self.ssc_read(data)
            else:
                self.core.fail_kind(FailureKind.WRONG_CARD, retry_to=st, expected="ssc")
        elif st.step == Step.CANCEL_INSERT_ID:
            if slot is Slot.ID and isinstance(data, IdCardData):
                self.id_read(data)
            elif slot is not Slot.SSC:
                self.core.fail_kind(FailureKind.WRONG_CARD, retry_to=st, expected="id")
        return True

    def ssc_read(self, card: SscCardData) -> None:
        """The found SSC is in: ask for its PIN."""
        self.core.session.ssc_card = card
        self.core.publish(Step.CANCEL_PIN, PinView(mask_card_number(card.card_number)))

    def submit_pin(self, pin: str) -> None:
        """Check the holder PIN on the inserted card. The PIN exists only for the VERIFY
        call: it is never stored, and no retry holds it (trying again means typing it
        again), so every outcome of the check is handled here, none re-sends it."""
        card = self.core.session.ssc_card
        if self.core.state.step != Step.CANCEL_PIN or card is None or self.core.pins is None:
            return
        masked = mask_card_number(card.card_number)
        if not (len(pin) == PIN_DIGITS and pin.isascii() and pin.isdigit()):
            self.core.publish(Step.CANCEL_PIN, PinView(masked, None, "journeys.pin.error.format"))
            return
        pins = self.core.pins

        def ok(_: object) -> None:
            self.core.session.pin_verified = True
            self.core.publish(Step.CANCEL_INSERT_ID, CancelView(masked))

        def type_again() -> None:
            self.core.publish(Step.CANCEL_PIN, PinView(masked))

        def failed(exc: BaseException) -> bool:
            if getattr(exc, "kind", None) == "pin_wrong" and getattr(exc, "tries_left", None) != 0:
                left = getattr(exc, "tries_left", None)
                # A card that does not count (ISO 7816-4 6300) still burns a try: say so.
                self.core.publish(Step.CANCEL_PIN, PinView(
                    masked, left, "journeys.pin.error.wrong" if left is not None
                    else "journeys.pin.error.wrong_count_unknown"))
            elif getattr(exc, "kind", None) == PIN_FORMAT:  # the device layer's own refusal
                self.core.publish(Step.CANCEL_PIN,
                                  PinView(masked, None, "journeys.pin.error.format"))
            else:  # blocked, card pulled, reader gone: retry = a fresh, empty PIN screen
                failure = failure_from_error(exc, self.core.hotline)
                self.core.fail(failure, retry=type_again if failure.retry else None)
            return True

        self.core.call("verify_pin", lambda: pins.verify_pin(pin), ok,
                       "journeys.busy.checking_pin", on_error=failed)

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

        def got(status: CardStatus) -> None:
            state = str(status.state)
            if status.replacement is not None:
                self.core.fail(Failure(FailureKind.REFUSED, {"hotline": self.core.hotline,
                                               "code": "replacement_exists"}))
            elif state != "pre_lost":
                self.core.fail_kind(FailureKind.NOT_PRE_LOST, state=state)
            else:
                self.core.publish(Step.CANCEL_CONFIRM, CancelView(masked, mask_name(card.name)))

        self.core.call("card_status", lambda: self.core.central.card_status(ssc=ssc), got,
                       "journeys.busy.looking_up")

    def confirm_cancel(self) -> None:
        """Cancel by the chips of the found card and of the holder's ID card (the
        service checks both; no handle can cancel)."""
        ssc, id_card = self.core.session.ssc_card, self.core.session.id_card
        if self.core.state.step != Step.CANCEL_CONFIRM or ssc is None or id_card is None:
            return
        key = self.core.session.new_idempotency_key()
        masked = mask_card_number(ssc.card_number)

        def done(result: CancelResult) -> None:
            self.core.session.cancel_reference = result.reference
            self.core.publish(Step.CANCEL_DONE, CancelView(masked))

        self.core.call("cancel_pre_loss",
                       lambda: self.core.central.cancel_pre_loss(ssc, id_card, key),
                       done, "journeys.busy.submitting")

