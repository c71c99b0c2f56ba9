"""The cardholder journeys as one state machine: pre-loss, status, cancel, guidance.

Threading: every public method and :meth:`JourneyController.on_card_event` run on the
owner's thread (Kivy's main thread). Card events arrive from the card hub's threads
through :meth:`card_event_sink`, which hands them to the dispatcher. Blocking calls run
on :class:`~kiosk.services.tasks.Worker` threads; while one runs the state is ``BUSY``
with a cancel that takes effect at once (the late outcome is dropped by its token).

Personal data is kept only in :attr:`session` and wiped by :meth:`end`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from kiosk.config import Settings
from kiosk.domain.idnumber import InvalidIdNumber, parse_id_number
from kiosk.domain.masking import mask_card_number, mask_id_number, mask_name
from kiosk.domain.models import IdCardData, SscCardData
from kiosk.domain.working_days import add_working_days
from kiosk.logs import get_logger
from kiosk.services import guidance
from kiosk.services.adapt import (
    CardInfo,
    field,
    person_info,
    prelost_info,
    replacement_info,
)
from kiosk.services.failures import Failure, error_kind, failure_from_error
from kiosk.services.ports import CentralPort, OutboxPort, PinVerifier, PrinterPort
from kiosk.services.session import KioskSession
from kiosk.services.states import (
    BusyView,
    CancelView,
    CardChoice,
    CardStateLine,
    CardsView,
    CodeView,
    ConsequencesView,
    GuidanceView,
    IdentifyView,
    Journey,
    KeypadView,
    PinView,
    PreLossView,
    State,
    StatusView,
    Step,
)
from kiosk.services.tasks import Outcome, Task, Worker
from kiosk.services.timeline import build_timeline, expected_date

log = get_logger("kiosk.services.controller")

# Steps where the kiosk waits for a card to be presented.
WAITING_FOR_CARD = frozenset({Step.IDENTIFY, Step.ID_KEYPAD, Step.CODE_ENTRY,
                              Step.CANCEL_INSERT_SSC, Step.CANCEL_INSERT_ID})
# Errors at confirmation after which the request may or may not have arrived: queue it
# with the same idempotency key, so it takes effect exactly once.
QUEUE_ON = frozenset({"offline", "timeout", "server_error", "bad_response"})
WRONG_CODE = frozenset({"code_wrong", "wrong_code", "invalid_code"})
ENDED_NOTICES = frozenset({"card_removed", "inactivity"})

Listener = Callable[[State], None]
ReceiptFactory = Callable[[PreLossView, Settings, dt.date], Any]


class JourneyController:
    """Drive the journeys; observe with :meth:`subscribe`; read :attr:`state`."""

    def __init__(
        self,
        settings: Settings,
        central: CentralPort,
        dispatch: Callable[[Callable[[], None]], None],
        *,
        pins: PinVerifier | None = None,
        outbox: OutboxPort | None = None,
        printer: PrinterPort | None = None,
        make_receipt: ReceiptFactory | None = None,
        worker: Worker | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone(),
    ) -> None:
        self.settings = settings
        self.central = central
        self.pins = pins
        self.outbox = outbox
        self.printer = printer
        self.make_receipt = make_receipt
        self.today = today
        self.now = now
        self.language = settings.kiosk.language
        self.session = KioskSession()
        self._dispatch = dispatch
        self._worker = worker or Worker(dispatch)
        self._state = State(Step.HOME)
        self._listeners: list[Listener] = []
        self._task: Task | None = None
        self._token = 0
        self._before_busy: State | None = None
        self._on_cancel: Callable[[], None] | None = None
        self._retry: Callable[[], None] | None = None
        self._fail_back: State | None = None
        self._guidance_return: State | None = None

    # ---- observation -------------------------------------------------------------
    @property
    def state(self) -> State:
        return self._state

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(state)`` on every change (on the owner's thread)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _set(self, step: Step, view: Any = None, failure: Failure | None = None,
             notice_key: str = "", journey: Journey | None = None) -> None:
        self._state = State(step=step, journey=self._state.journey if journey is None
                            else journey, view=view, failure=failure,
                            notice_key=notice_key, seq=self._state.seq + 1)
        for listener in list(self._listeners):
            listener(self._state)

    def _restore(self, state: State) -> None:
        self._set(state.step, state.view, state.failure, state.notice_key, state.journey)

    @property
    def hotline(self) -> str:
        return self.settings.region.hotline

    # ---- entry, exit, navigation ------------------------------------------------
    def start(self, journey: str | Journey) -> None:
        """Begin a journey with a fresh session."""
        journey = Journey(journey)
        self._reset()
        s = self.settings
        if journey == Journey.PRELOST:
            self._set(Step.IDENTIFY, IdentifyView(s.features.keypad_identify, False),
                      journey=journey)
        elif journey == Journey.STATUS:
            self._set(Step.IDENTIFY, IdentifyView(s.features.keypad_identify, True),
                      journey=journey)
        elif journey == Journey.CANCEL:
            if not s.features.cancel_prelost:
                raise ValueError("cancelling a pre-loss is not offered at this site")
            self._set(Step.CANCEL_INSERT_SSC, journey=journey)
        elif journey == Journey.GUIDANCE:
            self._set(Step.GUIDANCE_INDEX, self._guidance_view(), journey=journey)
        else:
            self._set(Step.HOME, journey=Journey.NONE)

    def end(self, reason: str = "done") -> None:
        """End the session: drop any call in flight, wipe personal data, go home."""
        self._reset()
        self._set(Step.HOME, notice_key=f"journeys.ended.{reason}"
                  if reason in ENDED_NOTICES else "", journey=Journey.NONE)
        log.info("session ended", extra={"fields": {"reason": reason}})

    def _reset(self) -> None:
        self._drop_task()
        self.session.wipe()
        self._before_busy = self._fail_back = self._guidance_return = None
        self._retry = self._on_cancel = None

    def back(self) -> None:
        """The back button: one step back, or home where going back means starting over."""
        st = self._state
        step, journey = st.step, st.journey
        if step == Step.BUSY:
            self.cancel_busy()
        elif step == Step.FAILED:
            target = self._fail_back
            self._fail_back = None
            if target is None or target.step in (Step.BUSY, Step.FAILED):
                self.end()
            else:
                self._restore(target)
        elif step == Step.ID_KEYPAD:
            self.session.id_number = None
            self.start(journey)
        elif step == Step.CODE_ENTRY:
            self.session.challenge_id = self.session.phone_masked = None
            self._set(Step.ID_KEYPAD, KeypadView())
        elif step in (Step.CARDS, Step.STATUS):
            self.start(journey)  # identify again (someone else's card?): data wiped
        elif step == Step.CONSEQUENCES:
            self.session.chosen = None
            self._show_cards()
        elif step == Step.GUIDANCE_TOPIC:
            if self._guidance_return is not None:
                target, self._guidance_return = self._guidance_return, None
                self._restore(target)
            else:
                self._set(Step.GUIDANCE_INDEX, self._guidance_view())
        else:
            self.end()

    def retry(self) -> None:
        """Try the failed step again (offered only when the failure allows it)."""
        action, self._retry = self._retry, None
        if action is not None and self._state.step == Step.FAILED:
            action()

    def cancel_busy(self) -> None:
        """Stop waiting for the call in flight; takes effect now, not when it returns."""
        if self._state.step != Step.BUSY:
            return
        self._drop_task()
        on_cancel, self._on_cancel = self._on_cancel, None
        before, self._before_busy = self._before_busy, None
        if on_cancel is not None:
            on_cancel()
        elif before is not None:
            self._restore(before)
        else:
            self.end()

    # ---- background calls ---------------------------------------------------------
    def _drop_task(self) -> None:
        self._token += 1
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _call(self, name: str, fn: Callable[[], Any], on_ok: Callable[[Any], None],
              message_key: str, on_error: Callable[[BaseException], bool] | None = None,
              on_cancel: Callable[[], None] | None = None) -> None:
        """Run ``fn`` on a worker; ``BUSY`` meanwhile. ``on_error`` returns True if it
        handled the error; otherwise the failure screen shows it, with retry."""
        self._drop_task()
        if self._state.step not in (Step.BUSY, Step.FAILED):
            self._before_busy = self._state
        self._on_cancel = on_cancel
        token = self._token

        def again() -> None:
            self._call(name, fn, on_ok, message_key, on_error, on_cancel)

        def done(outcome: Outcome) -> None:
            if token != self._token:
                return  # cancelled, or the session ended meanwhile
            self._task = None
            self._on_cancel = None
            if outcome.ok:
                on_ok(outcome.value)
            elif on_error is None or not on_error(outcome.error):  # type: ignore[arg-type]
                self._fail(failure_from_error(outcome.error, self.hotline),  # type: ignore[arg-type]
                           retry=again)

        self._set(Step.BUSY, BusyView(message_key, True, time.monotonic()))
        self._task = self._worker.run(name, fn, done)

    def _fail(self, failure: Failure, retry: Callable[[], None] | None = None) -> None:
        if self._state.step == Step.BUSY:
            back_to = self._before_busy
        elif self._state.step == Step.FAILED:
            back_to = self._fail_back
        else:
            back_to = self._state
        self._fail_back = back_to
        self._retry = retry if failure.retry else None
        if not failure.params.get("hotline"):
            failure = Failure(failure.kind, {**failure.params, "hotline": self.hotline},
                              failure.retry)
        self._set(Step.FAILED, failure=failure)
        log.info("journey failure", extra={"fields": {
            "journey": self._state.journey.value, "failure": failure.kind,
            "code": None}})

    def _fail_kind(self, kind: str, retry_to: State | None = None, **params: Any) -> None:
        """A failure of our own making; retry returns to ``retry_to`` (a waiting step)."""
        def go_back() -> None:
            if retry_to is not None:
                self._restore(retry_to)
        self._fail(Failure(kind, {"hotline": self.hotline, **params}, retry_to is not None),
                   retry=go_back if retry_to is not None else None)

    # ---- card events -------------------------------------------------------------
    def card_event_sink(self, event: Any) -> None:
        """Give this to the card hub: safe to call from any thread."""
        self._dispatch(lambda: self.on_card_event(event))

    def on_card_event(self, event: Any) -> None:
        """A card hub event (owner's thread)."""
        kind, slot = field(event, "kind"), field(event, "slot")
        data, error = field(event, "data"), field(event, "error")
        step, journey = self._state.step, self._state.journey
        if kind == "card_removed":
            if slot == "ssc" and self.session.ssc_card is not None:
                self.end("card_removed")
            return
        if step not in WAITING_FOR_CARD:
            return
        if kind == "card_read":
            self._card_read(slot, data)
        elif kind == "card_failed":
            failure = failure_from_error(error, self.hotline) if error is not None \
                else Failure("card_unreadable", {"hotline": self.hotline}, True)
            if failure.kind == "person_not_found":  # not a card error: be safe
                failure = Failure("card_unreadable", failure.params, True)
            # While waiting for a card, presenting it again is always worth a try.
            failure = Failure(failure.kind, failure.params, True)
            waiting = self._state
            self._fail(failure, retry=lambda: self._restore(waiting))
        elif kind == "service_down":
            self._fail_kind("reader_service", retry_to=self._state)
        log.debug("card event", extra={"fields": {"kind": kind, "slot": slot,
                                                   "journey": journey.value}})

    def _card_read(self, slot: str, data: Any) -> None:
        step, journey = self._state.step, self._state.journey
        if step == Step.CANCEL_INSERT_SSC:
            if slot == "ssc" and isinstance(data, SscCardData):
                self._cancel_ssc_read(data)
            else:
                self._fail_kind("wrong_card", retry_to=self._state, expected="ssc")
        elif step == Step.CANCEL_INSERT_ID:
            if slot == "id" and isinstance(data, IdCardData):
                self._cancel_id_read(data)
            elif slot != "ssc":
                self._fail_kind("wrong_card", retry_to=self._state, expected="id")
        elif slot == "id" and isinstance(data, IdCardData):
            self._id_read(data)
        elif slot == "ssc" and isinstance(data, SscCardData) and journey == Journey.STATUS:
            self._status_ssc_read(data)
        else:
            self._fail_kind("wrong_card", retry_to=self._state, expected="id")

    # ---- identification --------------------------------------------------------------
    def _id_read(self, card: IdCardData) -> None:
        if card.is_expired(self.today()):
            self._fail_kind("id_expired")
            return
        self.session.id_card = card
        self.session.id_number = card.id_number
        self._call("lookup_person", lambda: self.central.lookup_person(card.id_number),
                   self._identified, "journeys.busy.looking_up")

    def use_keypad(self) -> None:
        """Identify by ID number and a code sent to the phone on record (if allowed)."""
        if self._state.step == Step.IDENTIFY and self.settings.features.keypad_identify:
            self._set(Step.ID_KEYPAD, KeypadView())

    def submit_id_number(self, text: str) -> None:
        if self._state.step != Step.ID_KEYPAD:
            return
        try:
            number = parse_id_number(text, self.today()).value
        except InvalidIdNumber as exc:
            self._set(Step.ID_KEYPAD, KeypadView(error_key=exc.reason))
            return
        self.session.id_number = number
        self._request_code(number)

    def _request_code(self, number: str) -> None:
        def got(result: Any) -> None:
            self.session.challenge_id = str(field(result, "challenge_id", ""))
            self.session.phone_masked = str(field(result, "phone_masked", ""))
            self._set(Step.CODE_ENTRY, CodeView(self.session.phone_masked,
                                                int(field(result, "expires_in", 300) or 300)))
        self._call("request_code", lambda: self.central.request_code(number), got,
                   "journeys.busy.sending_code")

    def resend_code(self) -> None:
        if self._state.step == Step.CODE_ENTRY and self.session.id_number:
            self._request_code(self.session.id_number)

    def submit_code(self, code: str) -> None:
        if self._state.step != Step.CODE_ENTRY:
            return
        view: CodeView = self._state.view
        code = code.strip()
        if not (code.isdigit() and 4 <= len(code) <= 8):
            self._set(Step.CODE_ENTRY, CodeView(view.phone_masked, view.expires_in,
                                                "journeys.code.error.format"))
            return
        challenge = self.session.challenge_id or ""

        def refused(exc: BaseException) -> bool:
            code_ = str(getattr(exc, "code", ""))
            if error_kind(exc) == "refused" and (code_ in WRONG_CODE or code_ == "code_expired"):
                key = "journeys.code.error.expired" if code_ == "code_expired" \
                    else "journeys.code.error.wrong"
                self._set(Step.CODE_ENTRY, CodeView(view.phone_masked, view.expires_in, key))
                return True
            return False

        self._call("confirm_code", lambda: self.central.confirm_code(challenge, code),
                   self._identified, "journeys.busy.checking_code", on_error=refused)

    def _identified(self, result: Any) -> None:
        self.session.person = person_info(result, self.session.id_number or "")
        if not self.session.id_number:
            self.session.id_number = self.session.person.id_number
        if self._state.journey == Journey.STATUS:
            self._load_status()
        else:
            self._show_cards()

    # ---- pre-loss -------------------------------------------------------------------
    def _show_cards(self) -> None:
        person = self.session.person
        if person is None:
            self.end()
            return
        choices = tuple(
            CardChoice(card_number_masked=c.masked, state=c.state,
                       offerable=c.state == "active",
                       explain_key=f"journeys.cards.state.{c.state}",
                       bank_function=c.bank_function, token=str(i))
            for i, c in enumerate(person.cards))
        self._set(Step.CARDS, CardsView(person.masked_name, choices))

    def choose_card(self, token: str) -> None:
        person = self.session.person
        if self._state.step != Step.CARDS or person is None:
            return
        try:
            card = person.cards[int(token)]
        except (ValueError, IndexError):
            return
        if card.state != "active":
            return  # explained on screen, not offered
        self.session.chosen = card
        r = self.settings.region
        self._set(Step.CONSEQUENCES, ConsequencesView(
            card.masked, r.hotline, r.prelost_lapse_days, r.prelost_lapse_working_days,
            r.replacement_fee_yuan))

    def confirm_prelost(self) -> None:
        """Submit the pre-loss; the idempotency key is made here, once."""
        card, number = self.session.chosen, self.session.id_number
        if self._state.step != Step.CONSEQUENCES or card is None or not number:
            return
        key = self.session.new_idempotency_key()

        def failed(exc: BaseException) -> bool:
            if error_kind(exc) in QUEUE_ON:
                self._queue_prelost(card, number, key)
                return True
            return False

        self._call("submit_prelost",
                   lambda: self.central.submit_prelost(card.card_number, number, key),
                   lambda result: self._prelost_done(card, result),
                   "journeys.busy.submitting", on_error=failed,
                   on_cancel=lambda: self._queue_prelost(card, number, key))

    def _lapse_date(self, start: dt.date) -> dt.date:
        r = self.settings.region
        if r.prelost_lapse_working_days:
            return add_working_days(start, r.prelost_lapse_days)
        return start + dt.timedelta(days=r.prelost_lapse_days)

    def _prelost_done(self, card: CardInfo, result: Any) -> None:
        info = prelost_info(result, self.hotline)
        self.session.prelost = info
        at = info.settlement_stopped_at or self.now()
        view = PreLossView(card.masked, info.reference, at,
                           info.lapses_on or self._lapse_date(at.date()), info.hotline,
                           qr_payload=info.reference, pending=False)
        self._set(Step.PRELOST_DONE, view)
        self._print(view)

    def _queue_prelost(self, card: CardInfo, number: str, key: str) -> None:
        """Offline at confirmation: queue durably and say honestly it is not in effect."""
        if self.outbox is None:
            self._fail_kind("offline")
            return
        payload = {"card_number": card.card_number, "id_number": number,
                   "terminal_id": self.settings.kiosk.terminal_id,
                   "requested_at": self.now().isoformat()}
        try:
            self.outbox.enqueue("prelost", payload, key)
        except Exception as exc:  # the disk failed too: the hotline is the only way now
            log.error("outbox enqueue failed", extra={"fields": {"error": type(exc).__name__}})
            self._fail_kind("offline")
            return
        reference = "Q-" + key[:10].upper()
        view = PreLossView(card.masked, reference, self.now(), None, self.hotline,
                           qr_payload=reference, pending=True)
        self._set(Step.PRELOST_PENDING, view)
        self._print(view)

    def _print(self, view: PreLossView) -> None:
        """Print the receipt on a worker; the journey never waits for the printer."""
        if self.printer is None or self.settings.printer.kind == "none":
            return
        step = self._state.step
        printing = _with_receipt(view, "printing")
        self._set(step, printing)
        make = self.make_receipt or receipt_for
        lapse = view.lapses_on or self._lapse_date(view.at.date())
        printer, receipt, language = self.printer, make(view, self.settings, lapse), self.language

        def done(outcome: Outcome) -> None:
            if self._state.step == step and self._state.view is printing:
                ok = outcome.ok and outcome.value is not False
                self._set(step, _with_receipt(view, "printed" if ok else "failed"))

        self._worker.run("print_receipt", lambda: printer.print_receipt(receipt, language), done)

    # ---- replacement status -----------------------------------------------------------
    def _status_ssc_read(self, card: SscCardData) -> None:
        self.session.ssc_card = card

        def lookup() -> tuple[Any, Any]:
            person = self.central.lookup_by_card(card.card_number)
            return person, self._progress(card_number=card.card_number)

        def got(result: tuple[Any, Any]) -> None:
            self.session.person = person_info(result[0], card.ssn)
            self.session.id_number = self.session.person.id_number or card.ssn
            self._show_status(result[1])

        self._call("lookup_by_card", lookup, got, "journeys.busy.looking_up")

    def _progress(self, **by: str | None) -> Any:
        """Replacement progress, or None when no replacement exists (not a failure)."""
        try:
            return self.central.replacement_progress(**by)
        except Exception as exc:
            kind = error_kind(exc)
            if kind == "person_not_found" or (
                    kind == "refused" and getattr(exc, "code", "") == "no_replacement"):
                return None
            raise

    def _load_status(self) -> None:
        number = self.session.id_number
        self._call("replacement_progress", lambda: self._progress(id_number=number),
                   self._show_status, "journeys.busy.looking_up")

    def _show_status(self, progress: Any) -> None:
        person = self.session.person
        info = replacement_info(progress)
        self.session.replacement = info
        lines = tuple(CardStateLine(c.masked, c.state, f"journeys.status.card.{c.state}")
                      for c in (person.cards if person else ()))
        holder = person.masked_name if person else ""
        if info is None:
            self._set(Step.STATUS, StatusView(holder, lines, False,
                                              next_key="journeys.status.next.none"))
            return
        bank = any(c.bank_function for c in person.cards) if person else False
        r = self.settings.region
        days = r.replacement_working_days_bank if bank else r.replacement_working_days
        self._set(Step.STATUS, StatusView(
            holder, lines, True, timeline=build_timeline(info), stage=info.stage,
            applied_on=info.applied_on, expected_on=expected_date(info, days),
            working_days=days, outlet=info.outlet, ready_since=info.ready_since,
            mailed=info.mailed, tracking_number=info.tracking_number,
            next_key=f"journeys.status.next.{info.stage}"))

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
                self._fail_kind("not_prelost", state=state)
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

        self._call("cancel_prelost",
                   lambda: self.central.cancel_prelost(ssc.card_number, number, key), done,
                   "journeys.busy.submitting")

    # ---- guidance ------------------------------------------------------------------------
    def _guidance_view(self, topic: str = "") -> GuidanceView:
        return GuidanceView(guidance.topics(self.settings), topic,
                            guidance.params(self.settings))

    def open_topic(self, topic: str) -> None:
        """Open a guidance topic; from inside another journey, back returns there."""
        if topic not in guidance.topics(self.settings):
            return
        if self._state.journey != Journey.GUIDANCE and self._guidance_return is None:
            self._guidance_return = self._state
        self._set(Step.GUIDANCE_TOPIC, self._guidance_view(topic))

    def shutdown(self) -> None:
        """Stop the worker threads (app exit)."""
        self._reset()
        self._worker.shutdown()


def receipt_for(view: PreLossView, settings: Settings, lapse: dt.date) -> Any:
    """The printable receipt (kiosk.domain.receipts) for a done or pending pre-loss."""
    from kiosk.domain.receipts import PrelossReceipt, ReceiptStatus

    return PrelossReceipt(
        reference=view.reference, masked_card_number=view.card_number_masked,
        created_at=view.at, lapse_date=lapse, hotline=view.hotline,
        status=ReceiptStatus.PENDING if view.pending else ReceiptStatus.CONFIRMED,
        terminal_id=settings.kiosk.terminal_id)


def _with_receipt(view: PreLossView, receipt: str) -> PreLossView:
    from dataclasses import replace

    return replace(view, receipt=receipt)


def masked_id(number: str) -> str:
    """Re-exported for screens that show the typed ID number back, masked."""
    return mask_id_number(number)
