"""The Kivy application: one window, one ScreenManager, screens created once.

Import only after :func:`kiosk.ui.kivy_env.configure_kivy` (use :func:`kiosk.ui.launch.create_app`).

Public interface for other layers (all on the Kivy main thread; from a worker thread use
``Clock.schedule_once``):

- ``app.settings``; ``app.lang`` ("zh_CN"/"en"), ``app.large_text``, ``app.high_contrast``
  (Kivy properties: bind to them); ``app.tr(key, lang=None, **values)``;
  ``app.settings_version`` (bind to it: new settings taken while running,
  :meth:`KioskApp.take_settings`, which the bridge calls with the controller's).
- ``KioskApp(settings, parts_factory, screens=...)`` (the composition root makes it:
  :func:`kiosk.composition.build_app`): the app builds its parts with that factory after
  its first frame (or at first use, ``app.compose()``), knows them through
  :class:`kiosk.ui.parts.AppParts`, draws their states (``app.journeys``: the bridge),
  starts and stops them; ``app.use_parts(other)`` swaps.
- ``app.go(name, **params)``, ``app.back()``, ``app.go_home()`` (ends the session),
  ``app.start_route(route_id)``, ``app.show_message(spec)``.
- ``app.end_session(reason)``: ONE intent to the controller, ``ctl.end(reason)``; the
  HOME state it publishes comes back as :meth:`KioskApp.draw_home`, which dismisses the
  warning, dispatches ``on_session_end(reason)`` (bind it to wipe session data),
  ``reset()``s every screen, restores the defaults (language, display modes, the
  settings' inactivity timings) and shows the attract screen.
  ``app.session``: a :class:`SessionData` (it must have ``wipe()``: anything else is
  refused when set), wiped and dropped at every session end.
- ``app.note_activity()`` (e.g. a card was inserted) restarts the quiet period.
- ``app.speaker`` (read aloud), ``app.allow_close`` (False vetoes window close),
  ``app.inactivity`` (the :class:`~kiosk.ui.inactivity.InactivityTimer`).
- Accessibility (:mod:`kiosk.ui.access`): ``app.access`` (the keypad, non-visual mode,
  what is said), ``app.nonvisual``, ``app.low_reach``, ``app.headphones`` (bindable),
  ``app.call_staff()`` (一键呼叫), ``app.toggle_low_reach()``.

Helpers, one job each: ``app.nav`` (:mod:`kiosk.ui.navigation`: go, back, routes; its
methods are the app's ``go``/``back``/…), ``app.idle`` (:mod:`kiosk.ui.idle_watch`: the
inactivity poll and warning), ``app.staff`` (:mod:`kiosk.ui.staff_call_panel`: the staff
call and its panel), :mod:`kiosk.ui.first_frame` (start-up after the first frame),
:mod:`kiosk.ui.crash_guard`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kivy.app import App
from kivy.base import ExceptionManager
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition

import kiosk.ui.widgets  # noqa: F401  (registers widget classes and their kv)
from kiosk.config import Settings
from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from kiosk.logs import error_fields, get_logger
from kiosk.services.states import EndReason
from kiosk.system.memory import release_free_heap
from kiosk.ui import fonts
from kiosk.ui.access.mode import Access
from kiosk.ui.crash_guard import RecoverToErrorScreen
from kiosk.ui.first_frame import AfterFirstFrame
from kiosk.ui.idle import IdleGovernor
from kiosk.ui.idle_watch import IdleWatch
from kiosk.ui.inactivity import InactivityTimer
from kiosk.ui.journeys.bridge import JourneyBridge, kivy_dispatch
from kiosk.ui.live_theme import LiveTheme
from kiosk.ui.lockdown import lock_down
from kiosk.ui.navigation import ATTRACT, Navigator
from kiosk.ui.registry import SCREENS, ScreenSpec
from kiosk.ui.screen_manager import KioskScreenManager
from kiosk.ui.staff_call_panel import StaffCallPanel
from kiosk.ui.theme import LARGE_TEXT_SCALE, LOW_REACH_SCALE, PALETTES, Metrics, ui_scale_for
from kiosk.ui.widgets.overlay import InactivityOverlay

if TYPE_CHECKING:
    from kiosk.services.controller import JourneyController
    from kiosk.ui.access.help import HelpOverlay
    from kiosk.ui.parts import AppParts, PartsFactory
    from kiosk.ui.technician.base import Technician

# After a session, once the start screen is drawn: hand the C heap's freed pages back
# (kiosk/system/memory.py; without it RSS creeps up over thousands of sessions).
RELEASE_HEAP_AFTER_S = 1.0

log = get_logger("kiosk.ui.app")
KEY_ESCAPE = 27


@runtime_checkable
class SessionData(Protocol):
    """What ``app.session`` may hold: data of one session, wiped at its end."""

    def wipe(self) -> None:
        """Forget every personal value held (called once, at the session's end)."""


class KioskApp(App):
    lang = StringProperty(DEFAULT_LANGUAGE)
    large_text = BooleanProperty(False)
    high_contrast = BooleanProperty(False)
    nonvisual = BooleanProperty(False)   # the keypad's first key: speech, focus ring
    low_reach = BooleanProperty(False)   # everything in the lower half of the screen
    headphones = BooleanProperty(False)  # a plug in the headphone jack
    theme = ObjectProperty(None)
    allow_close = BooleanProperty(False)
    screens_ready = BooleanProperty(False)   # start-up done; screens build when first shown
    # Only a SessionData: an object that cannot be wiped is refused when set (ValueError).
    session = ObjectProperty(None, allownone=True, baseclass=SessionData)
    # Counts settings taken while running (a config overlay): what draws from the settings
    # binds to it (every KLabel, the start screen's tiles) and redraws.
    settings_version = NumericProperty(0)

    __events__ = ("on_session_end",)

    def __init__(self, settings: Settings, parts: PartsFactory | None = None, *,
                 screens: Sequence[ScreenSpec] | None = None, **kwargs: object) -> None:
        self.settings = settings
        self._parts_factory = parts
        self.parts: AppParts | None = None
        self.screen_specs: list[ScreenSpec] = list(SCREENS if screens is None else screens)
        self.journeys: JourneyBridge | None = None
        self._technician: Technician | None = None
        self.speaker: Callable[[str, str], None] | None = None
        self.theme = LiveTheme()
        self.inactivity = InactivityTimer(settings.session.inactivity_seconds,
                                          settings.session.warning_seconds)
        self.idle = IdleWatch(self.inactivity, lambda: self.end_session(EndReason.TIMEOUT),
                              InactivityOverlay)
        # Navigation lives in its own object; kv files and screens call it as app.go etc.
        self.nav = Navigator(self)
        self.current_screen_widget = self.nav.current_screen_widget
        self.has_screen = self.nav.has_screen
        self.go = self.nav.go
        self.back = self.nav.back
        self.start_route = self.nav.start_route
        self.show_message = self.nav.show_message
        self.sm: KioskScreenManager | None = None
        # The tour: screens show the sample states it draws; no live check (the
        # technician's screens refresh when shown) may replace them.
        self.samples_only = False
        self.access: Access | None = None  # made in build(): it needs the window
        self.staff = StaffCallPanel(self)  # the staff call (一键呼叫) and its panel
        # One pending release at most, however many sessions end meanwhile.
        self.release_heap = Clock.create_trigger(lambda _dt: release_free_heap(),
                                                 RELEASE_HEAP_AFTER_S)
        super().__init__(**kwargs)
        self.title = "kiosk"
        self._defaults()
        self.bind(large_text=self._apply_theme, high_contrast=self._apply_theme,
                  low_reach=self._apply_theme)

    # --- building ------------------------------------------------------------------
    def build(self) -> KioskScreenManager:
        fonts.register_fonts()
        self._apply_theme()
        Window.clearcolor = self.theme.bg
        Window.bind(on_request_close=self._on_request_close, on_keyboard=self._on_keyboard,
                    on_touch_down=self.idle.on_touch_down, size=self._apply_theme)
        factories = {spec.name: spec.factory() for spec in self.screen_specs}
        self.sm = KioskScreenManager(factories, transition=NoTransition())
        self.sm.current = ATTRACT  # built now; the others after the first frame
        self.sm.bind(current=self._on_screen_changed)
        self.access = Access(self)
        self.access.attach(self.parts)
        self.sm.bind(current=self.access.screen_changed)
        log.info("ui built", extra={"fields": {"screens": len(self.screen_specs)}})
        return self.sm

    @property
    def overlay(self) -> InactivityOverlay:
        """The inactivity warning (built when first needed: :class:`IdleWatch`)."""
        overlay = self.idle.overlay
        assert overlay is not None  # the app gives its watch the overlay's factory
        return overlay

    def on_start(self) -> None:
        # Kept: Kivy holds bound-method callbacks weakly.
        self._after_first_frame = AfterFirstFrame(self)
        self._after_first_frame.arm()  # then: start the parts, build the other screens
        self.lockdown = lock_down(self)  # keys, clicks, Kivy settings: kiosk/ui/lockdown.py
        self.frame_rate = IdleGovernor(self)  # still → few wake-ups: kiosk/ui/idle.py

    def on_stop(self) -> None:
        if self.parts is not None:
            self.parts.stop()

    def compose(self) -> AppParts | None:
        """The parts, built from the factory on first call (idempotent)."""
        if self.parts is None and self._parts_factory is not None:
            factory, self._parts_factory = self._parts_factory, None
            self.use_parts(factory(self.settings, kivy_dispatch))
        return self.parts

    @property
    def controller(self) -> JourneyController:
        """The journey controller the screens send their intents to."""
        self.compose()
        if self.journeys is None:
            raise RuntimeError("this app was built without journey parts")
        return self.journeys.controller

    def use_parts(self, parts: AppParts | None) -> AppParts | None:
        """Draw ``parts``' controller from now on (tests, bench); returns the previous
        parts, neither started nor stopped here (their owner does that)."""
        previous = self.parts
        if self.journeys is not None:
            self.journeys.detach()
            self.journeys = None
        self.parts = parts
        if parts is not None:
            self.journeys = JourneyBridge(self, parts)
        speaker = parts.speaker if parts is not None else None
        self.speaker = speaker.say if speaker is not None else None
        old_call = previous.staff_call if previous is not None else None
        if old_call is not None:
            old_call.unsubscribe(self.staff.show_status)
        new_call = self.staff.current_call()
        if new_call is not None:
            new_call.subscribe(self.staff.show_status)
        if self.access is not None:
            self.access.attach(parts)
        return previous

    @property
    def technician(self) -> Technician:
        """The technician entry (gesture, PIN access, live parts), built by the app right
        after its first frame (:meth:`install_technician`); before that, an error."""
        if self._technician is None:
            raise RuntimeError("the technician entry is built after the first frame")
        return self._technician

    def install_technician(self) -> Technician:
        """Build the technician entry once: the corner gesture is bound from then on
        (:mod:`kiosk.ui.first_frame` calls this with the parts; idempotent)."""
        if self._technician is None:
            # lazy: heavy (prometheus, diagnostics): after the first frame, not before.
            from kiosk.ui.technician.base import Technician

            self._technician = Technician(self)
            log.info("technician entry ready")
        return self._technician

    def technician_card(self) -> None:
        """A technician card was presented (the bridge routes it here)."""
        from kiosk.ui.technician.card import on_technician_card  # lazy: heavy, as above

        on_technician_card(self)

    def build_all_screens(self) -> None:
        """Build every registered screen now (tests, tour)."""
        if self.sm is not None:
            self.sm.build_all()
        self.screens_ready = True

    def take_settings(self, settings: Settings) -> None:
        """Settings newly in effect, at an idle moment (the controller's: a config overlay
        from the centre): every screen shows them from now on, without a restart — the
        hotline and region in every text, the start screen's tiles, the start language
        and display mode if those changed, the inactivity timings, the opening hours."""
        old, self.settings = self.settings, settings
        self.inactivity.configure(settings.session.inactivity_seconds,
                                  settings.session.warning_seconds)
        blanking = getattr(getattr(self, "lockdown", None), "blanking", None)
        if blanking is not None and (old.display, old.region.timezone) != (
                settings.display, settings.region.timezone):
            blanking.retake(settings)
        if (old.kiosk.language, old.display.large_text, old.display.high_contrast) != (
                settings.kiosk.language, settings.display.large_text,
                settings.display.high_contrast):
            self._defaults()
        self.settings_version += 1
        log.info("settings taken", extra={"fields": {"version": self.settings_version}})

    def _defaults(self) -> None:
        lang = self.settings.kiosk.language
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        self.large_text = self.settings.display.large_text
        self.high_contrast = self.settings.display.high_contrast
        self.nonvisual = False  # the next person starts again: the first key turns it on
        self.low_reach = False

    def _apply_theme(self, *_: object) -> None:
        palette = PALETTES["high_contrast" if self.high_contrast else "normal"]
        w, h = (Window.size if Window else (self.settings.display.width,
                                            self.settings.display.height))
        scale = ui_scale_for(w, h) * (LOW_REACH_SCALE if self.low_reach else 1.0)
        metrics = Metrics().scaled(scale, LARGE_TEXT_SCALE if self.large_text else 1.0)
        self.theme.apply(palette, metrics)
        if Window:
            Window.clearcolor = self.theme.bg

    # --- text ------------------------------------------------------------------------
    def tr(self, key: str, lang: str | None = None, **values: object) -> str:
        """Translate ``key``; in kv write ``app.tr("key", app.lang)`` so it re-renders.
        ``{hotline}`` and ``{region}`` are always filled from the settings."""
        merged: dict[str, object] = {"hotline": self.settings.region.hotline,
                                     "region": self.settings.region.name}
        merged.update(values)
        return translate(key, lang or self.lang, **merged)

    def set_language(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
        self.lang = lang

    def toggle_language(self) -> None:
        i = LANGUAGES.index(self.lang)
        self.set_language(LANGUAGES[(i + 1) % len(LANGUAGES)])

    def toggle_large_text(self) -> None:
        self.large_text = not self.large_text

    def toggle_high_contrast(self) -> None:
        self.high_contrast = not self.high_contrast

    def toggle_low_reach(self) -> None:
        """The "accessible height" toggle: everything in the lower half, or not."""
        self.low_reach = not self.low_reach

    # --- the staff call (一键呼叫) -------------------------------------------------------
    @property
    def help_overlay(self) -> HelpOverlay:
        """The staff call panel (built on first use)."""
        return self.staff.overlay

    def call_staff(self) -> None:
        """Call staff to this terminal now (no personal data: the screen's name)."""
        self.staff.call()

    def read_aloud(self) -> None:
        screen = self.current_screen_widget()
        text = screen.speech_text() if screen is not None else ""
        if self.speaker is None:
            log.info("read aloud requested, no speaker attached")
            return
        try:
            self.speaker(text, self.lang)
        except Exception as exc:  # speech must never break the screen
            log.warning("read aloud failed", extra={"fields": error_fields(exc)})

    # --- navigation ---------------------------------------------------------------------
    def go_home(self) -> None:
        """Home ends the session: the next person must not see this one's data."""
        self.end_session(EndReason.HOME)

    def _on_screen_changed(self, sm: KioskScreenManager, name: str) -> None:
        log.info("screen", extra={"fields": {"screen": name}})
        if name == ATTRACT or getattr(sm.get_screen(name), "idle_screen", False):
            self.idle.stop()  # no session runs there (out of service, too)
        else:
            self.idle.session_screen()

    # --- session and inactivity -------------------------------------------------------
    def note_activity(self) -> None:
        """Activity outside the window (a card was inserted): restart the quiet period."""
        self.idle.touch()

    def more_time(self) -> None:
        """The warning's "more time" button."""
        self.idle.more_time()

    def end_session(self, reason: EndReason | str = EndReason.DONE) -> None:
        """End the session: one intent to the controller, whose HOME state comes back
        as :meth:`draw_home` (without journeys, straight there)."""
        reason = EndReason(reason)
        if self.journeys is not None:
            self.journeys.controller.end(reason)
        else:
            self.draw_home(reason)

    def draw_home(self, reason: EndReason | None) -> None:
        """Draw a HOME state: wipe, reset every screen, defaults, the attract screen.
        (Not to be confused with a screen's ``show_home`` flag: whether its frame has a
        home button. No app method shares a name with a screen property.)"""
        reason = reason or EndReason.DONE
        log.info("session end", extra={"fields": {"reason": reason.value}})
        self.idle.stop()
        self.dispatch("on_session_end", reason)
        session: SessionData | None = self.session
        self.session = None
        if session is not None:
            try:
                session.wipe()
            except Exception as exc:
                log.error("session wipe failed", extra={"fields": error_fields(exc)})
        call = self.staff.current_call()
        if call is not None:
            call.end_session()
        self.staff.hide()
        for screen in self.sm.screens if self.sm else ():
            try:
                screen.reset()
            except Exception as exc:  # one broken screen must not keep data on others
                log.error("screen reset failed",
                          extra={"fields": {"screen": screen.name, **error_fields(exc)}})
        self._defaults()
        # The next person gets the configured quiet period, whatever this one was given.
        self.inactivity.configure(self.settings.session.inactivity_seconds,
                                  self.settings.session.warning_seconds)
        if self.sm is not None:
            self.sm.current = ATTRACT
        self.release_heap()

    def install_crash_guard(self) -> RecoverToErrorScreen:
        """Keep the kiosk up through unexpected UI errors (``kiosk run`` calls this;
        tests don't, so their errors stay loud)."""
        guard = RecoverToErrorScreen(self)
        ExceptionManager.add_handler(guard)
        return guard

    def recover(self) -> None:
        """After an unexpected error: wipe the session, say so in plain words."""
        # lazy: screen modules load after the first frame (registry), not with the app
        from kiosk.ui.screens.message import GENERIC_ERROR

        try:
            self.end_session(EndReason.ERROR)
            self.show_message(GENERIC_ERROR)
        except Exception as exc:
            log.error("could not show the error screen",
                      extra={"fields": error_fields(exc)})

    def on_session_end(self, reason: EndReason) -> None:
        """Default handler of the event (bind to it to wipe your data)."""

    # --- window -----------------------------------------------------------------------
    def _on_keyboard(self, _window: object, key: int, *_: object) -> bool:
        self.idle.touch()
        return key == KEY_ESCAPE  # swallow Escape: it must never leave the kiosk

    def _on_request_close(self, *_: object, **kwargs: object) -> bool:
        if self.allow_close:
            log.info("window close allowed")
            return False
        log.info("window close vetoed", extra={"fields": {"source": kwargs.get("source", "")}})
        return True
