"""Identification, shared by the pre-loss and status journeys: an ID card on the reader,
or (where allowed) the ID number typed in plus a code sent to the phone on record."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from kiosk.domain.idnumber import InvalidIdNumber, parse_id_number
from kiosk.domain.models import IdCardData
from kiosk.services.adapt import person_info
from kiosk.services.failures import Failure, FailureKind, error_kind
from kiosk.services.journey import JourneyContext
from kiosk.services.ports import PersonCards, Slot, VerificationChallenge
from kiosk.services.states import CodeView, IdentifyView, KeypadView, Step, View

WRONG_CODE = frozenset({"code_wrong", "wrong_code", "invalid_code"})
MAX_RESEND_WAIT_S = 600  # a longer cooldown from the service is shown as this


def _seconds(value: int) -> int:
    """The service's resend cooldown in whole seconds, at most MAX_RESEND_WAIT_S."""
    return max(0, min(MAX_RESEND_WAIT_S, value))


def not_found_on_card(core: JourneyContext) -> Callable[[BaseException], bool]:
    """``on_error`` for a lookup by a card that was read: "not found" must not ask the
    person to check a number they never typed."""
    def handle(exc: BaseException) -> bool:
        if error_kind(exc) is not FailureKind.PERSON_NOT_FOUND:
            return False
        core.fail(Failure(FailureKind.PERSON_NOT_FOUND,
                          {"hotline": core.hotline, "read_from_card": True}))
        return True
    return handle


class Identification:
    """:class:`~kiosk.services.journey.IdentifyIntents`; calls the core's ``identified()``
    once the service knows the person (the session then holds them). ``essc_offer()``
    says how the start of identification offers the e-SSC (off, ready, unavailable)."""

    # The steps that wait for a card (a card read there comes to :meth:`card_read`), and
    # those where back is identification's own (:meth:`back`; the journey registry).
    card_steps = frozenset({Step.IDENTIFY, Step.ID_KEYPAD, Step.CODE_ENTRY})
    back_steps = frozenset({Step.ID_KEYPAD, Step.CODE_ENTRY})

    def __init__(self, core: JourneyContext, essc_offer: Callable[[], str]) -> None:
        self.core = core
        self.essc_offer = essc_offer

    def first_step(self, status: bool) -> tuple[Step, View]:
        """Where the pre-loss (``status`` False) and status journeys begin."""
        return Step.IDENTIFY, IdentifyView(self.core.settings.features.keypad_identify,
                                           status, self.essc_offer())

    def card_read(self, slot: Slot, data: object) -> bool:
        """A card read at one of :attr:`card_steps`: an ID card identifies (True);
        anything else is not identification's (False)."""
        if slot is Slot.ID and isinstance(data, IdCardData):
            self.id_read(data)
            return True
        return False

    def id_read(self, card: IdCardData) -> None:
        """An ID card was read while waiting for one."""
        if card.is_expired(self.core.today()):
            self.core.fail_kind(FailureKind.ID_EXPIRED)
            return
        self.core.session.id_card = card
        self.core.session.id_number = card.id_number
        # The client is read when the call runs: "try again" asks the one in use then.
        self.core.call("lookup_person", lambda: self.core.central.lookup_by_id_card(card),
                       self._found, "journeys.busy.looking_up", on_error=not_found_on_card(
                           self.core))

    def back(self) -> None:
        """Back from the keypad (identify again) or from the code (type the number again)."""
        session = self.core.session
        if self.core.state.step == Step.ID_KEYPAD:
            session.id_number = None
            self.core.start(self.core.state.journey)
        elif self.core.state.step == Step.CODE_ENTRY:
            session.challenge_id = session.phone_masked = None
            self.core.publish(Step.ID_KEYPAD, KeypadView())

    def use_keypad(self) -> None:
        """Identify by ID number and a code sent to the phone on record (if allowed)."""
        if self.core.state.step == Step.IDENTIFY and self.core.settings.features.keypad_identify:
            self.core.publish(Step.ID_KEYPAD, KeypadView())

    def submit_id_number(self, text: str) -> None:
        """The typed ID number: checked here (checksum, date), then a code is sent."""
        if self.core.state.step != Step.ID_KEYPAD:
            return
        try:
            number = parse_id_number(text, self.core.today()).value
        except InvalidIdNumber as exc:
            self.core.publish(Step.ID_KEYPAD, KeypadView(error_key=exc.reason))
            return
        self.core.session.id_number = number
        self._request_code(number)

    def _request_code(self, number: str) -> None:
        session = self.core.session

        def got(result: VerificationChallenge) -> None:
            session.challenge_id = result.challenge_id
            session.phone_masked = result.phone_masked
            self.core.publish(Step.CODE_ENTRY, CodeView(
                session.phone_masked, result.expires_in or 300,
                resend_at=time.monotonic() + _seconds(result.resend_after_seconds)))

        waiting = self.core.state

        def too_soon(exc: BaseException) -> bool:
            # The service's cooldown (a resend pressed too early): same screen, its words.
            if str(getattr(exc, "code", "")) == "resend_too_soon" and isinstance(
                    waiting.view, CodeView):
                self.core.publish(Step.CODE_ENTRY, replace(
                    waiting.view, error_key="journeys.code.error.resend_too_soon"))
                return True
            return False

        self.core.call("request_code", lambda: self.core.central.request_code(number), got,
                       "journeys.busy.sending_code", on_error=too_soon)

    def resend_code(self) -> None:
        """Send a new code to the same phone."""
        state = self.core.state
        if state.step != Step.CODE_ENTRY or not self.core.session.id_number:
            return
        if isinstance(state.view, CodeView) and time.monotonic() < state.view.resend_at:
            return  # the countdown is on screen; the button is off until it ends
        self._request_code(self.core.session.id_number)

    def submit_code(self, code: str) -> None:
        """The code from the phone; a wrong or expired code is said on the same step."""
        state = self.core.state
        if state.step != Step.CODE_ENTRY or not isinstance(state.view, CodeView):
            return
        view = state.view
        code = code.strip()
        if not (code.isdigit() and 4 <= len(code) <= 8):
            self.core.publish(Step.CODE_ENTRY,
                              replace(view, error_key="journeys.code.error.format"))
            return
        challenge = self.core.session.challenge_id or ""

        def refused(exc: BaseException) -> bool:
            code_ = str(getattr(exc, "code", ""))
            if error_kind(exc) is FailureKind.REFUSED and (
                    code_ in WRONG_CODE or code_ == "code_expired"):
                key = "journeys.code.error.expired" if code_ == "code_expired" \
                    else "journeys.code.error.wrong"
                self.core.publish(Step.CODE_ENTRY, replace(view, error_key=key))
                return True
            return False

        self.core.call("confirm_code", lambda: self.core.central.confirm_code(challenge, code),
                       self._found, "journeys.busy.checking_code", on_error=refused)

    def _found(self, result: PersonCards) -> None:
        session = self.core.session
        session.person = person_info(result, session.id_number or "")
        self.core.identified()
