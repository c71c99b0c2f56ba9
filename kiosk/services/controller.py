"""The cardholder journeys as one state machine: pre-loss, status, cancel, guidance.

Threading: every public method and :meth:`JourneyController.on_card_event` run on the
owner's thread (Kivy's main thread). Card events arrive from the card hub's threads
through :meth:`card_event_sink`, which hands them to the dispatcher. Blocking calls run
on :class:`~kiosk.services.tasks.Worker` threads; while one runs the state is ``BUSY``
with a cancel that takes effect at once (the late outcome is dropped by its token).

Personal data is kept only in :attr:`session` and wiped by :meth:`end`.

This module holds the core (observation, navigation, background calls, card events,
identification, guidance); the journey-specific steps are mixins in ``pre_loss.py``,
``status.py`` and ``cancel.py`` sharing the controller's state.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from kiosk import metrics
from kiosk.config import Settings
from kiosk.domain.clock import region_now, region_today
from kiosk.domain.idnumber import InvalidIdNumber, parse_id_number
from kiosk.domain.masking import mask_id_number
from kiosk.domain.models import IdCardData, SscCardData
from kiosk.logs import get_logger
from kiosk.services import guidance
from kiosk.services.adapt import (
    field,
    person_info,
)
from kiosk.services.cancel import CancelSteps
from kiosk.services.failures import Failure, error_kind, failure_from_error
from kiosk.services.ports import CentralPort, OutboxPort, PinVerifier, PrinterPort
from kiosk.services.pre_loss import PreLossSteps, receipt_for  # noqa: F401  (re-export)
from kiosk.services.session import KioskSession
from kiosk.services.states import (
    BusyView,
    CodeView,
    GuidanceView,
    IdentifyView,
    Journey,
    KeypadView,
    PreLossView,
    State,
    Step,
)
from kiosk.services.status import StatusSteps
from kiosk.services.tasks import Outcome, Task, Worker

log = get_logger("kiosk.services.controller")

# Steps where the kiosk waits for a card to be presented.
WAITING_FOR_CARD = frozenset({Step.IDENTIFY, Step.ID_KEYPAD, Step.CODE_ENTRY,
                              Step.CANCEL_INSERT_SSC, Step.CANCEL_INSERT_ID})
WRONG_CODE = frozenset({"code_wrong", "wrong_code", "invalid_code"})
ENDED_NOTICES = frozenset({"card_removed", "inactivity"})
# Steps that can only go on with a card reader, and the slots any of which will do
# (the keypad steps do not need one; the status journey takes the ID card or the SSC).
NEEDS_READER = frozenset({Step.IDENTIFY, Step.CANCEL_INSERT_SSC, Step.CANCEL_INSERT_ID})
# Steps where a journey has reached its outcome (counted once per session in metrics).
OUTCOMES = {(Journey.PRE_LOSS, Step.PRE_LOSS_DONE): "confirmed",
            (Journey.PRE_LOSS, Step.PRE_LOSS_PENDING): "queued",
            (Journey.STATUS, Step.STATUS): "shown",
            (Journey.CANCEL, Step.CANCEL_DONE): "confirmed",
            (Journey.GUIDANCE, Step.GUIDANCE_TOPIC): "read"}
# How a session ended without an outcome (metrics label).
UNFINISHED = {"done": "abandoned", "inactivity": "timeout", "card_removed": "card_removed"}

Listener = Callable[[State], None]
ReceiptFactory = Callable[[PreLossView, Settings, dt.date], Any]


class JourneyController(PreLossSteps, StatusSteps, CancelSteps):
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
        today: Callable[[], dt.date] | None = None,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.central = central
        self.pins = pins
        self.outbox = outbox
        self.printer = printer
        self.make_receipt = make_receipt
        zone = settings.region.timezone  # dates and times people read: the region's
        self.today = today or (lambda: region_today(zone))
        self.now = now or (lambda: region_now(zone))
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
        self._outcome = ""  # this session's outcome, once reached (metrics)
        # The card hub (``reader_slots()``: slots with a reader, None = unknown); set
        # by the wiring. Without it the kiosk never claims that no reader is there.
        self.readers: Any = None

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
        outcome = OUTCOMES.get((self._state.journey, step))
        if outcome and not self._outcome:
            self._outcome = outcome
            metrics.journey(self._state.journey.value, outcome)
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
        # Starting over within the same journey (back to identify) is the same session
        # for the metrics: one "started", at most one outcome.
        previous = self._state.journey
        outcome = self._outcome if previous == journey else ""
        self._reset()
        self._outcome = outcome
        s = self.settings
        if journey == Journey.PRE_LOSS:
            self._set(Step.IDENTIFY, IdentifyView(s.features.keypad_identify, False),
                      journey=journey)
        elif journey == Journey.STATUS:
            self._set(Step.IDENTIFY, IdentifyView(s.features.keypad_identify, True),
                      journey=journey)
        elif journey == Journey.CANCEL:
            if not s.features.cancel_pre_loss:
                raise ValueError("cancelling a pre-loss is not offered at this site")
            self._set(Step.CANCEL_INSERT_SSC, journey=journey)
        elif journey == Journey.GUIDANCE:
            self._set(Step.GUIDANCE_INDEX, self._guidance_view(), journey=journey)
        else:
            self._set(Step.HOME, journey=Journey.NONE)
        if journey != Journey.NONE and journey != previous:
            metrics.journey(journey.value, "started")
        self._check_readers()

    def end(self, reason: str = "done") -> None:
        """End the session: drop any call in flight, wipe personal data, go home."""
        journey = self._state.journey
        if journey != Journey.NONE and not self._outcome:
            outcome = "failed" if self._state.step == Step.FAILED \
                else UNFINISHED.get(reason, "abandoned")
            metrics.journey(journey.value, outcome)
        self._reset()
        self._set(Step.HOME, notice_key=f"journeys.ended.{reason}"
                  if reason in ENDED_NOTICES else "", journey=Journey.NONE)
        log.info("session ended", extra={"fields": {"reason": reason}})

    def _reset(self) -> None:
        self._drop_task()
        self.session.wipe()
        self._before_busy = self._fail_back = self._guidance_return = None
        self._retry = self._on_cancel = None
        self._outcome = ""

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
            self._check_readers()

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
        metrics.error(failure.kind)
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
            if kind in ("readers_changed", "service_up"):
                self._check_readers()
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
        if kind in ("readers_changed", "service_up"):
            self._check_readers()
        log.debug("card event", extra={"fields": {"kind": kind, "slot": slot,
                                                   "journey": journey.value}})

    def _slots_needed(self, step: Step) -> frozenset[str]:
        """Slots any of which can take the card this step waits for (empty: no check)."""
        if step == Step.CANCEL_INSERT_SSC:
            slots = {"ssc"}
        elif step == Step.IDENTIFY and self._state.journey == Journey.STATUS:
            slots = {"id", "ssc"}
        else:
            slots = {"id"}
        if self.settings.cards.id_reader == "none":  # by design: the keypad is the way in
            slots.discard("id")
        return frozenset(slots)

    def _check_readers(self) -> None:
        """While waiting for a card that no reader can take, say so ("no reader"); when
        a reader is back (or the card service, after a restart), go back to waiting."""
        present = self.readers.reader_slots() if self.readers is not None else None
        if present is None:
            return  # unknown (no hub, or the card service is down: its own failure)
        st = self._state
        if st.step in NEEDS_READER:
            needed = self._slots_needed(st.step)
            if needed and not present & needed:
                self._fail_kind("no_reader", retry_to=st)
        elif (st.step == Step.FAILED and st.failure is not None
              and st.failure.kind in ("no_reader", "reader_service")
              and self._fail_back is not None and self._fail_back.step in NEEDS_READER):
            waiting = self._fail_back
            if present & self._slots_needed(waiting.step):
                self._fail_back = self._retry = None
                self._restore(waiting)
            elif st.failure.kind == "reader_service":
                self._fail_kind("no_reader", retry_to=waiting)

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


def masked_id(number: str) -> str:
    """Re-exported for screens that show the typed ID number back, masked."""
    return mask_id_number(number)
