"""The cardholder journeys as one state machine: pre-loss, status, cancel, guidance.

Threading: every public method and :meth:`JourneyController.on_card_event` run on the
owner's thread (Kivy's main thread). Card events arrive from the card hub's threads
through :meth:`card_event_sink`, which hands them to the dispatcher. Blocking calls run
on :class:`~kiosk.services.tasks.Worker` threads; while one runs the state is ``BUSY``
with a cancel that takes effect at once (the late outcome is dropped by its token).

Personal data is kept only in :attr:`session` and wiped by :meth:`end`.

This module is the core: observation, navigation, the busy step, failures, card events
and the session end. Its state is the one owner of navigation: the UI draws it and
never keeps a history of its own. Each journey is one object behind a declared interface
(:mod:`kiosk.services.journey`): :attr:`identify` (``identify.py``), :attr:`pre_loss`,
:attr:`status`, :attr:`cancel`, :attr:`guidance` and :attr:`essc` (``essc.py``); the UI
sends them its intents (``ctl.pre_loss.choose_card(token)``) and draws the states the
core publishes. The core names no journey: where each begins, what a card read and back
mean at its steps and where an identified person goes on are its entry in the journey
registry (:mod:`kiosk.services.registry`). The card steps' readers and limits are
:attr:`waits`, the centre's pause :attr:`out_of_service`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from kiosk import metrics
from kiosk.config import Settings
from kiosk.domain.clock import region_now, region_today
from kiosk.logs import get_logger
from kiosk.services.cancel import CancelJourney
from kiosk.services.essc import EsscIdentification
from kiosk.services.failures import Failure, FailureKind, card_failure, failure_from_error
from kiosk.services.guidance import GuidanceJourney
from kiosk.services.identify import Identification
from kiosk.services.in_flight import CallInFlight, cancel_central
from kiosk.services.journey import ReceiptFactory
from kiosk.services.one_person import OnePerson
from kiosk.services.out_of_service import OutOfService
from kiosk.services.ports import (
    CardEvent,
    CardEventKind,
    CentralPort,
    OutboxPort,
    PinVerifier,
    PrinterPort,
    ReaderPort,
    Slot,
)
from kiosk.services.pre_loss import PreLossJourney
from kiosk.services.registry import journey_registry
from kiosk.services.session import KioskSession
from kiosk.services.states import (
    ON_CANCEL,
    BusyView,
    EndReason,
    Journey,
    State,
    Step,
    View,
)
from kiosk.services.status import StatusJourney
from kiosk.services.tasks import Done, Outcome, Worker
from kiosk.services.waits import CardWaits

log = get_logger("kiosk.services.controller")

# How a session ended without an outcome (metrics label).
UNFINISHED = {EndReason.TIMEOUT: "timeout", EndReason.CARD_REMOVED: "card_removed",
              EndReason.ID_CARD_REMOVED: "card_removed", EndReason.NEW_PERSON: "new_person",
              EndReason.OUT_OF_SERVICE: "out_of_service"}

Listener = Callable[[State], None]
T = TypeVar("T")


class JourneyController:
    """Drive the journeys; observe with :meth:`subscribe`; read :attr:`state`.

    Implements :class:`~kiosk.services.journey.JourneyContext` for the journey objects."""

    def __init__(
        self,
        settings: Settings,
        central: CentralPort,
        dispatch: Callable[[Callable[[], None]], None],
        *,
        pins: PinVerifier | None = None,
        readers: ReaderPort | None = None,
        qr_scanner: bool = False,
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
        self.worker = worker or Worker(dispatch)
        self._in_flight = CallInFlight(self.worker)  # the background call, if any
        self._state = State(Step.HOME)
        self._listeners: list[Listener] = []
        self._settings_listeners: list[Callable[[Settings], None]] = []
        self._before_busy: State | None = None
        self._on_cancel: Callable[[], None] | None = None
        self._retry: Callable[[], None] | None = None
        self._fail_back: State | None = None
        self._outcome = ""  # this session's outcome, once reached (metrics)
        # The card hub (``reader_slots()``: slots with a reader, None = unknown). Without
        # it the kiosk never claims that no reader is there.
        self.readers: ReaderPort | None = readers
        self.pre_loss = PreLossJourney(self)
        self.status = StatusJourney(self)
        self.cancel = CancelJourney(self)
        self.guidance = GuidanceJourney(self)
        self.one_person = OnePerson(self)
        self.essc = EsscIdentification(self, dispatch, start_over=self.one_person.scanned)
        if qr_scanner:  # a QR scanner is configured: the e-SSC offer waits for it
            self.essc.scanner_configured()
        self.identify = Identification(self, lambda: self.essc.offer)
        self.waits = CardWaits(self, dispatch)
        self.out_of_service = OutOfService(self)
        self.registry = journey_registry(self)  # how each journey is routed

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

    def publish(self, step: Step, view: View = None) -> None:
        """Show ``step`` with ``view`` in the current journey (for the journey objects)."""
        self._set(step, view)

    def _set(self, step: Step, view: View = None, failure: Failure | None = None,
             end_reason: EndReason | None = None, journey: Journey | None = None) -> None:
        self._state = State(step=step, journey=self._state.journey if journey is None
                            else journey, view=view, failure=failure,
                            end_reason=end_reason, seq=self._state.seq + 1)
        self.waits.arm()
        outcome = self.registry.outcome(self._state.journey, step)
        if outcome and not self._outcome:
            self._outcome = outcome
            metrics.journey(self._state.journey.value, outcome)
        for listener in list(self._listeners):
            listener(self._state)

    def publish_idle(self, step: Step, view: View = None) -> None:
        """Show ``step`` outside any journey (no session open)."""
        self._set(step, view, journey=Journey.NONE)

    def restore(self, state: State) -> None:
        """Show an earlier state again (its journey, view and failure)."""
        self._set(state.step, state.view, state.failure, state.end_reason, state.journey)

    @property
    def hotline(self) -> str:
        return self.settings.region.hotline

    def subscribe_settings(self, listener: Callable[[Settings], None]) -> None:
        """Call ``listener(settings)`` whenever :meth:`take_settings` puts new ones in
        effect (on the owner's thread)."""
        self._settings_listeners.append(listener)

    def unsubscribe_settings(self, listener: Callable[[Settings], None]) -> None:
        if listener in self._settings_listeners:
            self._settings_listeners.remove(listener)

    def take_settings(self, settings: Settings) -> None:
        """New settings in effect (a config overlay from the centre, taken at an idle
        moment): sessions read them from now on, a pause in force shows their hotline,
        and every listener (the UI: the start screen) redraws with them."""
        self.settings = settings
        self.out_of_service.settings_changed(settings)
        for listener in list(self._settings_listeners):
            listener(settings)

    # ---- entry, exit, navigation ------------------------------------------------
    def start(self, journey: str | Journey) -> None:
        """Begin a journey with a fresh session."""
        journey = Journey(journey)
        if self.out_of_service.refuses(journey):
            self.out_of_service.show()  # paused: no journey (a stale touch, a route)
            return
        # Starting over within the same journey (back to identify) is the same session
        # for the metrics: one "started", at most one outcome.
        previous = self._state.journey
        outcome = self._outcome if previous == journey else ""
        self._reset()
        self._outcome = outcome
        entry = self.registry.entry(journey)
        if entry is None:
            self._set(Step.HOME, journey=Journey.NONE)
        else:
            step, view = entry.begin()  # cancel where not offered: ValueError, nothing shown
            self._set(step, view, journey=journey)
        if journey != Journey.NONE and journey != previous:
            metrics.journey(journey.value, "started")
        self.waits.check()

    def end(self, reason: EndReason = EndReason.DONE) -> None:
        """End the session: drop any call in flight, wipe personal data, publish HOME
        carrying ``reason`` (the UI resets its screens when it draws that state)."""
        reason = EndReason(reason)
        journey = self._state.journey
        if journey != Journey.NONE and not self._outcome:
            outcome = "failed" if self._state.step == Step.FAILED \
                else UNFINISHED.get(reason, "abandoned")
            metrics.journey(journey.value, outcome)
        self._reset()
        self._set(Step.HOME, end_reason=reason, journey=Journey.NONE)
        log.info("session ended", extra={"fields": {"reason": reason}})
        self.out_of_service.show()  # paused meanwhile: the session boundary is here

    def _reset(self) -> None:
        self._in_flight.drop()
        self.session.wipe()
        self._before_busy = self._fail_back = self.guidance.return_to = None
        self._retry = self._on_cancel = None
        self._outcome = ""

    def back(self) -> None:
        """Back, wherever it was pressed (the UI's one back): one step back, or home
        where going back means starting over. The busy and failure steps are the core's;
        any other step's back is its journey object's (the registry), else the end."""
        step = self._state.step
        if step == Step.BUSY:
            self.cancel_busy()
        elif step == Step.FAILED:
            target = self._fail_back
            self._fail_back = None
            if target is None or target.step in (Step.BUSY, Step.FAILED):
                self.end()
            else:
                self.restore(target)
        else:
            back = self.registry.back_at(step)
            if back is None:
                self.end()
            else:
                back()

    def retry(self) -> None:
        """Try the failed step again (offered only when the failure allows it)."""
        action, self._retry = self._retry, None
        if action is not None and self._state.step == Step.FAILED:
            action()
            self.waits.check()

    def cancel_busy(self) -> None:
        """Stop waiting for the call in flight; takes effect now, not when it returns."""
        if self._state.step != Step.BUSY:
            return
        self._in_flight.drop()
        cancel_central(self.central)
        on_cancel, self._on_cancel = self._on_cancel, None
        before, self._before_busy = self._before_busy, None
        if on_cancel is not None:
            on_cancel()
        elif before is not None:
            self.restore(before)
        else:
            self.end()

    # ---- background calls ---------------------------------------------------------
    @property
    def busy_call(self) -> str:
        """The name of the background call in flight ("" when none; one_person reads it)."""
        return self._in_flight.name

    def call(self, name: str, fn: Callable[[], T], on_ok: Callable[[T], None],
              message_key: str, on_error: Callable[[BaseException], bool] | None = None,
              on_cancel: Callable[[], None] | None = None) -> None:
        """Run ``fn`` on a worker; ``BUSY`` meanwhile. ``on_error`` returns True if it
        handled the error; otherwise the failure screen shows it, with retry."""
        token = self._in_flight.drop()
        if self._state.step not in (Step.BUSY, Step.FAILED):
            self._before_busy = self._state
        self._on_cancel = on_cancel

        def again() -> None:
            self.call(name, fn, on_ok, message_key, on_error, on_cancel)

        def done(outcome: Outcome[T]) -> None:
            if not self._in_flight.is_current(token):
                return  # cancelled, or the session ended meanwhile
            self._in_flight.finished()
            self._on_cancel = None
            if isinstance(outcome, Done):
                on_ok(outcome.value)
            elif on_error is None or not on_error(outcome.error):
                self.fail(failure_from_error(outcome.error, self.hotline), retry=again)

        self._set(Step.BUSY, BusyView(message_key, True, time.monotonic(),
                                      ON_CANCEL.get(name, BusyView.cancel_key)))
        self._in_flight.start(name, fn, done)

    def fail(self, failure: Failure, retry: Callable[[], None] | None = None) -> None:
        if failure.kind is FailureKind.TERMINAL_REVOKED:
            # Not the person's failure: nothing can be done here now. Out of service.
            metrics.error(failure.kind)
            self.out_of_service.revoked(self.settings)
            return
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

    def fail_kind(self, kind: FailureKind, retry_to: State | None = None,
                  **params: object) -> None:
        """A failure of our own making; retry returns to ``retry_to`` (a waiting step)."""
        def go_back() -> None:
            if retry_to is not None:
                self.restore(retry_to)
        if retry_to is not None and "keypad" not in params:
            params["keypad"] = self.waits.keypad_allowed(retry_to)
        self.fail(Failure(kind, {"hotline": self.hotline, **params}, retry_to is not None),
                   retry=go_back if retry_to is not None else None)

    def use_keypad_instead(self) -> None:
        """From a failure about the reader: type the ID number instead (where allowed)."""
        self.waits.use_keypad_instead()

    def waiting_behind_failure(self) -> State | None:
        """The state a failure on screen goes back to (for :class:`CardWaits`)."""
        return self._fail_back if self._state.step == Step.FAILED else None

    def forget_failure(self) -> None:
        """Drop the failure's way back and retry (its waiting step is shown again)."""
        self._fail_back = self._retry = None

    # ---- card events -------------------------------------------------------------
    def card_event_sink(self, event: CardEvent) -> None:
        """Give this to the card hub: safe to call from any thread."""
        self._dispatch(lambda: self.on_card_event(event))

    def delivery_sink(self, idempotency_key: str, outcome: object) -> None:
        """Give this to the outbox sender (a :data:`~kiosk.services.ports.DeliverySink`):
        safe to call from any thread. The pre-loss journey shows it live."""
        self._dispatch(lambda: self.pre_loss.delivered(idempotency_key, outcome))

    def on_card_event(self, event: CardEvent) -> None:
        """A card hub event (owner's thread)."""
        kind, slot = CardEventKind.parse(event.kind), Slot.parse(event.slot)
        data, error = event.data, event.error
        journey = self._state.journey
        waiting = self.registry.waits_for_card(journey, self._state.step)
        self.waits.note(kind)
        if kind is CardEventKind.CARD_REMOVED:
            self.one_person.card_removed(slot)
            return
        if kind is CardEventKind.CARD_READ and self.one_person.card_read(slot, data):
            return  # another person's card: the session started over for them
        if waiting and kind is CardEventKind.CARD_READ:
            self._card_read(slot, data)
        elif waiting and kind is CardEventKind.CARD_FAILED:
            at = self._state
            self.fail(card_failure(error, self.hotline), retry=lambda: self.restore(at))
        self.waits.after_event(kind, waiting)
        if waiting:
            log.debug("card event", extra={"fields": {"kind": kind, "slot": slot,
                                                       "journey": journey.value}})

    def card_read_for_journey(self, slot: Slot, data: object) -> None:
        """Give a card read to the current journey's waiting step (after a start over)."""
        self._card_read(slot, data)

    def _card_read(self, slot: Slot, data: object) -> None:
        entry = self.registry.entry(self._state.journey)
        for read in entry.card_reads if entry is not None else ():
            if read(slot, data):
                return
        self.fail_kind(FailureKind.WRONG_CARD, retry_to=self._state, expected="id")

    def identified(self, journey: Journey | None = None) -> None:
        """The person is known: they go on in their journey (its registry entry says
        where: their cards, their status); in ``journey`` when given, begun now with the
        person kept (the e-SSC start screen's choice) — or, for a journey that takes no
        identified person (cancelling needs the card itself), started afresh."""
        if journey is not None:
            chosen = self.registry.entry(journey)
            if chosen is None or chosen.identified is None:
                self.start(journey)
                return
            self._state = replace(self._state, journey=journey)  # the next publish shows it
            metrics.journey(journey.value, "started")
        entry = self.registry.entry(self._state.journey)
        if entry is None or entry.identified is None:
            # Identified outside any journey that takes a person: nothing to go on with.
            log.error("identified outside a journey", extra={"fields": {
                "journey": self._state.journey.value}})
            self.end()
            return
        entry.identified()

    def shutdown(self) -> None:
        """Stop the worker threads (app exit)."""
        self._reset()
        self.waits.stop()
        self.worker.shutdown()

