"""Joins the journeys' state machine (kiosk.services) to the shell's screens.

One way each: a touch is an intent sent to the controller (``ctl.start``, ``ctl.back``,
``ctl.end(reason)`` …); the controller publishes an immutable
:class:`~kiosk.services.states.State`, the one owner of navigation; the bridge hands it
to the app's navigator, which draws it on the screen that :data:`SCREEN_FOR_STEP` names
and shows that screen (:mod:`kiosk.ui.navigation`; on the Kivy main thread: worker
results and card events hop here through ``Clock.schedule_once``). A HOME state (a
session end, for whatever :class:`~kiosk.services.states.EndReason`) makes the app reset
every screen; the app's home button and inactivity timeout only ever call ``ctl.end``.

The app builds its bridge from the parts it was given (:class:`kiosk.ui.parts.AppParts`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kivy.clock import Clock

from kiosk.logs import get_logger
from kiosk.services.ports import CardEvent, CardEventKind, ScanEvent, ScanEventKind
from kiosk.services.states import Journey, State, Step

if TYPE_CHECKING:
    from kiosk.ui.app_protocol import UiApp
    from kiosk.ui.parts import AppParts

log = get_logger("kiosk.ui.journeys")

# One screen per step (names registered in kiosk/ui/registry.py). The first
# screen of each journey carries the attract screen's route name (kiosk/ui/routes.py).
SCREEN_FOR_STEP: dict[Step, str] = {
    Step.HOME: "attract",
    Step.IDENTIFY: "pre_loss",  # "status" in the status journey (see screen_for)
    Step.ID_KEYPAD: "identify_keypad",
    Step.CODE_ENTRY: "identify_code",
    Step.CARDS: "pre_loss_cards",
    Step.CONSEQUENCES: "pre_loss_consequences",
    Step.PRE_LOSS_DONE: "pre_loss_done",
    Step.PRE_LOSS_PENDING: "pre_loss_pending",
    Step.STATUS: "status_progress",
    Step.CANCEL_INSERT_SSC: "cancel_pre_loss",
    Step.CANCEL_PIN: "cancel_pin",
    Step.CANCEL_INSERT_ID: "cancel_id",
    Step.CANCEL_CONFIRM: "cancel_confirm",
    Step.CANCEL_DONE: "cancel_done",
    Step.GUIDANCE_INDEX: "guide",
    Step.GUIDANCE_TOPIC: "guidance_topic",
    Step.ESSC_CHOOSE: "essc_choose",
    Step.ESSC_REFUSED: "essc_refused",
    Step.BUSY: "journey_busy",
    Step.FAILED: "journey_failure",
    Step.OUT_OF_SERVICE: "out_of_service",
}

# Card hub events that mean a person touched a card, so the screen is in use. Reader and
# pcscd events (readers_changed, service_down/up) are not: a flapping pcscd must not keep
# a session from ever timing out.
ACTIVITY_EVENTS = frozenset({CardEventKind.CARD_READ, CardEventKind.CARD_FAILED,
                             CardEventKind.CARD_REMOVED, CardEventKind.TECHNICIAN_CARD})


def screen_for(state: State) -> str:
    """The name of the screen that draws ``state``."""
    if state.step == Step.IDENTIFY and state.journey == Journey.STATUS:
        return "status"
    return SCREEN_FOR_STEP[state.step]


def kivy_dispatch(fn: Callable[[], None]) -> None:
    """Run ``fn`` on the Kivy main thread at the next frame (safe from any thread)."""
    Clock.schedule_once(lambda _dt: fn(), 0)


class JourneyBridge:
    """Draws controller states on the journey screens; routes card events."""

    def __init__(self, app: UiApp, parts: AppParts) -> None:
        self.app = app
        self.parts = parts
        self.controller = parts.controller
        self.controller.subscribe(self._on_state)
        # One source of settings: the app draws the ones its controller runs on, from now
        # and whenever the controller takes new ones (a config overlay, at an idle moment).
        self.controller.subscribe_settings(app.take_settings)
        if app.settings is not self.controller.settings:
            app.take_settings(self.controller.settings)
        self.controller.language = app.lang
        app.bind(lang=self._on_lang)
        parts.card_events.connect(self.card_sink)
        if parts.scan_events is not None:
            parts.scan_events.connect(self.scan_sink)
        self.switches = 0  # screens shown (the bench reads it)

    def detach(self) -> None:
        """Stop drawing (the app is given other parts)."""
        self.controller.unsubscribe(self._on_state)
        self.controller.unsubscribe_settings(self.app.take_settings)
        self.app.unbind(lang=self._on_lang)
        self.parts.card_events.connect(self.controller.card_event_sink)
        if self.parts.scan_events is not None:
            self.parts.scan_events.connect(self.controller.essc.scan_event_sink)

    def _on_lang(self, _app: object, lang: str) -> None:
        self.controller.language = lang

    def _on_state(self, state: State) -> None:
        if self.app.nav.draw(state):  # the navigator is the view of the state
            self.switches += 1
        self._cue(state)

    def _cue(self, state: State) -> None:
        """Audio cue on success and failure (the parts' speaker, if any)."""
        speaker = self.parts.speaker
        if speaker is None:
            return
        cue = speaker.cue
        if state.step in (Step.PRE_LOSS_DONE, Step.CANCEL_DONE) and state.view is not None \
                and getattr(state.view, "receipt", "none") in ("none", "printing"):
            cue("success")
        elif state.step == Step.FAILED:
            cue("error")

    def card_sink(self, event: CardEvent) -> None:
        """For the card hub: any thread → main thread; a person's card event (not a
        reader or service event) counts as activity. A technician card goes to the
        technician entry, never to the journeys."""
        def run() -> None:
            kind = CardEventKind.parse(event.kind)
            if kind in ACTIVITY_EVENTS:
                self.app.note_activity()
            if kind is CardEventKind.TECHNICIAN_CARD:
                self.app.technician_card()
                return
            self.controller.on_card_event(event)
        kivy_dispatch(run)

    def scan_sink(self, event: ScanEvent) -> None:
        """For the QR scanner: any thread → main thread; a scanned code (read or not) is
        activity, the scanner coming and going is not."""
        def run() -> None:
            kind = ScanEventKind.parse(event.kind)
            if kind in (ScanEventKind.CODE_SCANNED, ScanEventKind.CODE_REFUSED):
                self.app.note_activity()
            self.controller.essc.on_scan_event(event)
        kivy_dispatch(run)
