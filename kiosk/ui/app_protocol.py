"""What the UI's modules use of the app: :class:`UiApp`, the type of ``app`` outside
:mod:`kiosk.ui.app`.

:class:`kiosk.ui.app.KioskApp` imports the screens, the navigator, the bridge, the idle
and keypad helpers and the technician entry, which are handed the app: naming
``KioskApp`` there would be an import cycle (type-only ones too, see
docs/architecture.md). They name this Protocol instead; ``KioskApp`` satisfies it. Its
helpers that would close a cycle as well (the bridge, the navigator, the keypad, the
idle watch, the technician entry) appear here as the little of them that is used
through the app. The module imports nothing of the UI at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from kivy.event import EventDispatcher
    from kivy.uix.screenmanager import Screen

    from kiosk.config import Settings
    from kiosk.services.controller import JourneyController
    from kiosk.services.states import EndReason, State
    from kiosk.ui.inactivity import InactivityTimer
    from kiosk.ui.parts import AppParts
    from kiosk.ui.screen_manager import KioskScreenManager


class JourneysView(Protocol):
    """The app's journey bridge (:class:`kiosk.ui.journeys.bridge.JourneyBridge`)."""

    @property
    def controller(self) -> JourneyController:
        """The controller whose states the bridge draws."""


class NavigatorView(Protocol):
    """The app's navigator (:class:`kiosk.ui.navigation.Navigator`)."""

    def draw(self, state: State) -> bool:
        """Show a state the controller published; True when the screen changed."""


class IdleView(Protocol):
    """The app's inactivity watch (:class:`kiosk.ui.idle_watch.IdleWatch`)."""

    @property
    def overlay_open(self) -> bool:
        """Whether the "are you still there?" warning is on screen."""

    def touch(self) -> None:
        """Activity: restart the quiet period."""


class TechnicianView(Protocol):
    """The technician entry (:class:`kiosk.ui.technician.base.Technician`)."""

    @property
    def active(self) -> bool:
        """Whether a technician is inside diagnostics (PIN granted)."""


class UiApp(Protocol):
    """The app as the screens and the UI's helpers use it (:mod:`kiosk.ui.app` documents
    each member). Bindable Kivy properties are plain attributes here."""

    settings: Settings
    lang: str
    large_text: bool
    high_contrast: bool
    nonvisual: bool
    low_reach: bool
    headphones: bool
    allow_close: bool
    screens_ready: bool
    samples_only: bool
    title: str
    sm: KioskScreenManager | None
    parts: AppParts | None
    # Kivy's App: its F1 settings panel (the lockdown turns it off).
    use_kivy_settings: bool
    open_settings: Callable[..., bool]

    @property
    def theme(self) -> EventDispatcher:
        """Sizes and colours now: a :data:`kiosk.ui.live_theme.LiveTheme` (a class Kivy
        builds from its properties, not a type to name); bind to ``version``."""

    @property
    def inactivity(self) -> InactivityTimer:
        """The quiet-period timer."""

    @property
    def idle(self) -> IdleView:
        """The inactivity watch."""

    @property
    def nav(self) -> NavigatorView:
        """The navigator."""

    @property
    def journeys(self) -> JourneysView | None:
        """The journey bridge (None: the app has no parts yet)."""

    @property
    def controller(self) -> JourneyController:
        """The journey controller (builds the parts if needed)."""

    @property
    def technician(self) -> TechnicianView:
        """The technician entry (an error before the first frame)."""

    # Kivy's event dispatcher (bind to a property or to on_session_end).
    def bind(self, **handlers: Callable[..., object]) -> None: ...

    def unbind(self, **handlers: Callable[..., object]) -> None: ...

    def tr(self, key: str, lang: str | None = None, **values: object) -> str:
        """``key`` translated, in ``lang`` or the app's language."""

    def go(self, name: str, **params: object) -> None:
        """Prepare and show a screen beside the journeys."""

    def back(self) -> None:
        """The one back."""

    def go_home(self) -> None:
        """End the session (home button)."""

    def start_route(self, route_id: str) -> None:
        """A start screen tile: begin its journey."""

    def show_message(self, spec: object) -> None:
        """Show a message screen."""

    def has_screen(self, name: str) -> bool:
        """Whether a screen called ``name`` is registered."""

    def current_screen_widget(self) -> Screen | None:
        """The screen on show (None before the UI is built)."""

    def compose(self) -> AppParts | None:
        """The parts, built on first call."""

    def take_settings(self, settings: Settings) -> None:
        """Settings newly in effect."""

    def install_technician(self) -> object:
        """Build the technician entry once."""

    def technician_card(self) -> None:
        """A technician card was presented."""

    def note_activity(self) -> None:
        """Activity outside the window: restart the quiet period."""

    def end_session(self, reason: EndReason | str = ...) -> None:
        """End the session (one intent to the controller)."""

    def draw_home(self, reason: EndReason | None) -> None:
        """Draw a HOME state: wipe, reset, the attract screen."""

    def recover(self) -> None:
        """After an unexpected error: wipe the session, say so."""

    def call_staff(self) -> None:
        """Call staff to this terminal."""

    def read_aloud(self) -> None:
        """Read the screen on show aloud."""

    def set_language(self, lang: str) -> None:
        """Switch the language."""

    def toggle_language(self) -> None:
        """The next language."""

    def toggle_large_text(self) -> None:
        """Large text on or off."""

    def toggle_high_contrast(self) -> None:
        """High contrast on or off."""

    def toggle_low_reach(self) -> None:
        """Everything in the lower half, or not."""
