"""Identification, shared by the pre-loss and status journeys: an ID card on the reader,
or (where allowed) the ID number typed in plus a code sent to the phone on record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.domain.idnumber import InvalidIdNumber, parse_id_number
from kiosk.domain.models import IdCardData
from kiosk.services.adapt import field, person_info
from kiosk.services.failures import FailureKind, error_kind
from kiosk.services.journey import JourneyContext
from kiosk.services.states import CodeView, KeypadView, Step

WRONG_CODE = frozenset({"code_wrong", "wrong_code", "invalid_code"})


class Identification:
    """:class:`~kiosk.services.journey.IdentifyIntents`; calls ``identified()`` once the
    service knows the person (the session then holds them)."""

    def __init__(self, core: JourneyContext, identified: Callable[[], None]) -> None:
        self.core = core
        self.identified = identified

    def id_read(self, card: IdCardData) -> None:
        """An ID card was read while waiting for one."""
        if card.is_expired(self.core.today()):
            self.core.fail_kind(FailureKind.ID_EXPIRED)
            return
        self.core.session.id_card = card
        self.core.session.id_number = card.id_number
        self.core.call("lookup_person", lambda: self.core.central.lookup_person(card.id_number),
                       self._found, "journeys.busy.looking_up")

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

        def got(result: Any) -> None:
            session.challenge_id = str(field(result, "challenge_id", ""))
            session.phone_masked = str(field(result, "phone_masked", ""))
            self.core.publish(Step.CODE_ENTRY, CodeView(
                session.phone_masked, int(field(result, "expires_in", 300) or 300)))
        self.core.call("request_code", lambda: self.core.central.request_code(number), got,
                       "journeys.busy.sending_code")

    def resend_code(self) -> None:
        """Send a new code to the same phone."""
        if self.core.state.step == Step.CODE_ENTRY and self.core.session.id_number:
            self._request_code(self.core.session.id_number)

    def submit_code(self, code: str) -> None:
        """The code from the phone; a wrong or expired code is said on the same step."""
        state = self.core.state
        if state.step != Step.CODE_ENTRY or not isinstance(state.view, CodeView):
            return
        view = state.view
        code = code.strip()
        if not (code.isdigit() and 4 <= len(code) <= 8):
            self.core.publish(Step.CODE_ENTRY, CodeView(view.phone_masked, view.expires_in,
                                                        "journeys.code.error.format"))
            return
        challenge = self.core.session.challenge_id or ""

        def refused(exc: BaseException) -> bool:
            code_ = str(getattr(exc, "code", ""))
            if error_kind(exc) is FailureKind.REFUSED and (
                    code_ in WRONG_CODE or code_ == "code_expired"):
                key = "journeys.code.error.expired" if code_ == "code_expired" \
                    else "journeys.code.error.wrong"
                self.core.publish(Step.CODE_ENTRY,
                                  CodeView(view.phone_masked, view.expires_in, key))
                return True
            return False

        self.core.call("confirm_code", lambda: self.core.central.confirm_code(challenge, code),
                       self._found, "journeys.busy.checking_code", on_error=refused)

    def _found(self, result: Any) -> None:
        session = self.core.session
        session.person = person_info(result, session.id_number or "")
        if not session.id_number:
            session.id_number = session.person.id_number
        self.identified()
