"""Screen navigation: a view of the journey controller's state, and the one back.

The controller's :class:`~kiosk.services.states.State` is the one owner of where the
cardholder is (docs/architecture.md, "Navigation: one owner"). The navigator keeps no
history of its own:

- :meth:`Navigator.draw` shows each state the controller publishes (the bridge calls
  it): HOME is the session's end (the app resets every screen), any other step is
  rendered on its screen (``SCREEN_FOR_STEP``), which is then shown.
- :meth:`Navigator.go` shows a screen beside the journeys — the technician's, the
  message, the placeholder — after its ``prepare(**params)``. It never starts a journey
  or changes the controller's state.
- :meth:`Navigator.back` is THE back: the navigation bar's back button, the low-reach
  bar's, the keypad's back key and a screen's own back button all call ``app.back()``.
  On a screen that draws the controller's state it is one journey step back, as the
  controller decides (``ctl.back()``: the journey registry); on a screen beside the
  journeys, its ``back_to`` screen, else the controller's state again (at HOME: the
  start screen, the session ended as by the home button).
- :meth:`Navigator.start_route` is a start screen tile's intent: the controller begins
  the route's journey, and the state it publishes is drawn like any other.

The app exposes these as ``app.go``, ``app.back``, ``app.has_screen``,
``app.current_screen_widget``, ``app.start_route`` and ``app.show_message`` (kv files
and screens call them there); going home ends the session, which stays the app's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.uix.screenmanager import Screen

from kiosk.logs import get_logger
from kiosk.services.states import State, Step
from kiosk.ui.journeys.bridge import screen_for
from kiosk.ui.routes import ROUTES

if TYPE_CHECKING:
    from kiosk.services.controller import JourneyController
    from kiosk.ui.app_protocol import UiApp

ATTRACT = "attract"

log = get_logger("kiosk.ui.navigation")


class Navigator:
    """Shows screens of ``app.sm``: the controller's state, or a screen beside it."""

    def __init__(self, app: UiApp) -> None:
        self.app = app
        self._opening = ""  # the screen go() is preparing and showing, while it does

    def current_screen_widget(self) -> Screen | None:
        """The screen on show (None before the UI is built)."""
        sm = self.app.sm
        return sm.current_screen if sm else None

    def has_screen(self, name: str) -> bool:
        """Whether a screen called ``name`` is registered."""
        sm = self.app.sm
        return bool(sm and sm.has_screen(name))

    # --- the view of the controller's state ------------------------------------------
    def draw(self, state: State) -> bool:
        """Show ``state`` (the controller published it); True when another screen was
        switched to. A state published while :meth:`go` opens a screen is a journey
        started (or moved) from inside navigation: refused loudly, never drawn halfway."""
        if self._opening:
            raise RuntimeError(f"state {state.step.value!r} published while the screen "
                               f"{self._opening!r} was being opened")
        if state.step == Step.HOME:
            self.app.draw_home(state.end_reason)
            return False
        name = screen_for(state)
        if not self.has_screen(name):
            log.error("no screen for state", extra={"fields": {"screen": name}})
            return False
        sm = self.app.sm
        assert sm is not None  # it has the screen
        sm.get_screen(name).render(state)
        return self._show(name)

    def shows_state(self) -> bool:
        """Whether the screen on show draws the controller's state (a journey step or
        the out-of-service pause, not the start screen or a screen beside them)."""
        ctl, sm = self._controller(), self.app.sm
        return (ctl is not None and sm is not None and ctl.state.step != Step.HOME
                and sm.current == screen_for(ctl.state))

    def show_state(self) -> None:
        """Leave a screen beside the journeys for the controller's state; at HOME that
        is the start screen, reached by ending the session (as the home button does)."""
        ctl = self._controller()
        if ctl is None or ctl.state.step == Step.HOME:
            self.app.go_home()
        else:
            self.draw(ctl.state)

    # --- screens beside the journeys -----------------------------------------------------
    def go(self, name: str, **params: object) -> None:
        """Show screen ``name`` after calling its ``prepare(**params)``. For the screens
        beside the journeys; a journey screen shown this way shows what was last drawn
        on it (the tour and tests draw samples on it), the controller's state unchanged."""
        sm = self.app.sm
        assert sm is not None
        self._opening = name
        try:
            sm.get_screen(name).prepare(**params)
            self._show(name)
        finally:
            self._opening = ""

    def _show(self, name: str) -> bool:
        sm = self.app.sm
        assert sm is not None  # the screen to show was found in it
        if sm.current == name:
            return False
        sm.current = name
        return True

    # --- intents ----------------------------------------------------------------------------
    def back(self) -> None:
        """The one back (see the module doc)."""
        if self.app.sm is None:
            return
        ctl = self._controller()
        if ctl is not None and self.shows_state():
            ctl.back()
            return
        target = getattr(self.current_screen_widget(), "back_to", "")
        if target:
            self.go(target)
        else:
            self.show_state()

    def start_route(self, route_id: str) -> None:
        """A start screen tile: the controller begins the route's journey (the state it
        publishes is drawn by :meth:`draw`). An app without journeys (the shell alone)
        shows the placeholder with the route's title."""
        route = next(r for r in ROUTES if r.id == route_id)
        self.app.compose()  # the parts are built after the first frame: a quick touch
        ctl = self._controller()
        if ctl is None:
            self.go("placeholder", title_key=route.label_key)
        else:
            ctl.start(route.journey)

    def show_message(self, spec: object) -> None:
        """Show a :class:`~kiosk.ui.screens.message.MessageSpec` on the message screen."""
        self.go("message", spec=spec)

    def _controller(self) -> JourneyController | None:
        bridge = self.app.journeys
        return bridge.controller if bridge is not None else None
