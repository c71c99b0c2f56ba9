"""Joins the journeys' state machine (kiosk.services) to the shell's screens.

The controller publishes a :class:`~kiosk.services.states.State`; the bridge renders it
on the screen named by ``state.screen`` and shows that screen (on the Kivy main thread;
worker results and card events hop here through ``Clock.schedule_once``). Ending works
both ways: the shell's home button / inactivity timeout dispatch ``on_session_end`` →
the controller wipes its session; the controller ending (card pulled) → the shell's
``end_session``.

Wiring: ``journeys(app)`` gives the app's bridge, building the real parts on first use
(:func:`kiosk.services.wiring.build_parts`); tests and the bench call
:func:`install` with their own parts first.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock

from kiosk.logs import get_logger
from kiosk.services.states import State, Step
from kiosk.services.wiring import JourneyParts, build_parts

log = get_logger("kiosk.ui.journeys")

# The shell's end reasons → the controller's (its notice keys).
END_REASONS = {"timeout": "inactivity"}

# Card hub events that mean a person touched a card, so the screen is in use. Reader and
# pcscd events (readers_changed, service_down/up) are not: a flapping pcscd must not keep
# a session from ever timing out.
ACTIVITY_EVENTS = frozenset({"card_read", "card_failed", "card_removed", "technician_card"})


def kivy_dispatch(fn: Callable[[], None]) -> None:
    """Run ``fn`` on the Kivy main thread at the next frame (safe from any thread)."""
    Clock.schedule_once(lambda _dt: fn(), 0)


class JourneyBridge:
    """Renders controller states on the journey screens and keeps both ends in step."""

    def __init__(self, app: Any, parts: JourneyParts) -> None:
        self.app = app
        self.parts = parts
        self.controller = parts.controller
        self._ending = False
        self.controller.subscribe(self._on_state)
        app.bind(on_session_end=self._on_session_end)
        self.controller.language = app.lang
        app.bind(lang=self._on_lang)
        self.switches = 0  # screens shown (the bench reads it)

    def detach(self) -> None:
        self.controller.unsubscribe(self._on_state)
        self.app.unbind(on_session_end=self._on_session_end, lang=self._on_lang)

    def _on_lang(self, _app: Any, lang: str) -> None:
        self.controller.language = lang

    def _on_state(self, state: State) -> None:
        app = self.app
        if state.step == Step.HOME:
            if not self._ending and app.sm is not None and app.sm.current != "attract":
                self._ending = True
                try:
                    app.end_session(state.notice_key.rpartition(".")[2] or "done")
                finally:
                    self._ending = False
            return
        name = state.screen
        if not app.has_screen(name):
            log.error("no screen for state", extra={"fields": {"screen": name}})
            return
        screen = app.sm.get_screen(name)
        screen.render(state)
        if app.sm.current != name:
            app.go(name, bridge=True)
            self.switches += 1
        self._cue(state)

    def _cue(self, state: State) -> None:
        """Audio cue on success and failure (the Speaker behind app.speaker, if any)."""
        speaker = getattr(self.app.speaker, "__self__", None)
        cue = getattr(speaker, "cue", None)
        if cue is None:
            return
        if state.step in (Step.PRE_LOSS_DONE, Step.CANCEL_DONE) and state.view is not None \
                and getattr(state.view, "receipt", "none") in ("none", "printing"):
            cue("success")
        elif state.step == Step.FAILED:
            cue("error")

    def _on_session_end(self, _app: Any, reason: str) -> None:
        if self._ending:
            return
        self._ending = True
        try:
            self.controller.end(END_REASONS.get(reason, reason))
        finally:
            self._ending = False

    def card_sink(self, event: Any) -> None:
        """For a card hub: any thread → main thread; a person's card event (not a
        reader or service event) counts as activity. A technician card goes to the
        technician entry, never to the journeys."""
        def run() -> None:
            kind = getattr(event, "kind", None)
            if kind in ACTIVITY_EVENTS:
                self.app.note_activity()
            if kind == "technician_card":
                from kiosk.ui.technician_card import on_technician_card

                on_technician_card(self.app)
                return
            self.controller.on_card_event(event)
        kivy_dispatch(run)


def install(app: Any, parts: JourneyParts) -> JourneyBridge:
    """Use ``parts`` for the journeys (replacing and stopping any earlier ones)."""
    old = getattr(app, "journeys", None)
    if isinstance(old, JourneyBridge):
        old.detach()
        if old.parts is not parts:
            old.parts.stop()
    bridge = JourneyBridge(app, parts)
    app.journeys = bridge
    return bridge


def journeys(app: Any) -> JourneyBridge:
    """The app's bridge, built from the settings on first use.

    Under pytest (``PYTEST_CURRENT_TEST``) the default has no card hub, so a test that
    merely opens a journey never touches the system's pcscd; e2e tests install theirs."""
    bridge = getattr(app, "journeys", None)
    if isinstance(bridge, JourneyBridge):
        return bridge
    under_test = "PYTEST_CURRENT_TEST" in os.environ
    cards = not under_test
    if app.speaker is None and app.settings.speech.enabled and not under_test:
        _attach_speaker(app)
    # Card events go through the bridge (activity + main thread); bound late.
    parts = build_parts(app.settings, kivy_dispatch, cards=cards,
                        card_sink=lambda ev: app.journeys.card_sink(ev))
    bridge = install(app, parts)
    parts.start()
    app.bind(on_stop=lambda *_: app.journeys.parts.stop())
    return bridge


def _attach_speaker(app: Any) -> None:
    """Read aloud through espeak-ng (kiosk.devices.speech), if that module is there."""
    try:
        from kiosk.devices.speech import Speaker
    except ImportError:
        return
    try:
        app.speaker = Speaker(app.settings).say
    except Exception as exc:  # no audio is not a reason to stop the journeys
        log.warning("speaker unavailable", exc_info=exc)
