"""The Kivy application: one window, one ScreenManager, screens created once.

Import only after :func:`kiosk.ui.kivy_env.configure_kivy` (use :func:`kiosk.ui.launch.create_app`).

Public interface for other layers (all on the Kivy main thread; from a worker thread use
``Clock.schedule_once``):

- ``app.settings``; ``app.lang`` ("zh_CN"/"en"), ``app.large_text``, ``app.high_contrast``
  (Kivy properties: bind to them); ``app.tr(key, lang=None, **values)``.
- ``KioskApp(settings, composed(), screens=...)``: the app builds its parts with that
  factory after its first frame (or at first use, ``app.compose()``), draws their states
  (``app.journeys``: the bridge), starts and stops them; ``app.use_parts(other)`` swaps.
- ``app.go(name, **params)``, ``app.back()``, ``app.go_home()`` (ends the session),
  ``app.start_route(route_id)``, ``app.show_message(spec)``.
- ``app.end_session(reason)``: ONE intent to the controller, ``ctl.end(reason)``; the
  HOME state it publishes comes back as :meth:`KioskApp.show_home`, which dismisses the
  warning, dispatches ``on_session_end(reason)`` (bind it to wipe session data),
  ``reset()``s every screen, restores the defaults and shows the attract screen.
  ``app.session`` is a free slot for a session object; if it has ``wipe()``, it is called.
- ``app.note_activity()`` (e.g. a card was inserted) restarts the quiet period.
- ``app.speaker`` (read aloud), ``app.allow_close`` (False vetoes window close),
  ``app.inactivity`` (the :class:`~kiosk.ui.inactivity.InactivityTimer`).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.base import ExceptionHandler, ExceptionManager
from kivy.clock import Clock
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.core.window import Window
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition

from kiosk.config import Settings
from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from kiosk.logs import error_fields, get_logger
from kiosk.services.states import EndReason
from kiosk.ui import fonts
from kiosk.ui.idle import IdleGovernor
from kiosk.ui.inactivity import InactivityTimer, Phase
from kiosk.ui.journeys.bridge import JourneyBridge, kivy_dispatch
from kiosk.ui.live_theme import LiveTheme
from kiosk.ui.lockdown import lock_down
from kiosk.ui.registry import SCREENS, ScreenSpec
from kiosk.ui.routes import ROUTES
from kiosk.ui.screen_manager import KioskScreenManager
from kiosk.ui.theme import LARGE_TEXT_SCALE, PALETTES, Metrics, ui_scale_for

if TYPE_CHECKING:
    from kiosk.composition import KioskParts
    from kiosk.services.controller import JourneyController
    from kiosk.ui.launch import PartsFactory
    from kiosk.ui.technician.base import Technician

log = get_logger("kiosk.ui.app")
ATTRACT = "attract"
KEY_ESCAPE = 27


def register_fonts() -> None:
    """Make the Simplified Chinese face Kivy's default font, for every Label and input.

    Re-registering the DEFAULT_FONT name means no widget needs ``font_name``."""
    regular, bold = fonts.font_path("Regular"), fonts.font_path("Bold")
    for path in (regular, bold):
        if not path.exists():
            raise FileNotFoundError(
                f"font {path} is missing: run ./kiosk.sh setup (python -m kiosk.ui.fonts)")
    LabelBase.register(DEFAULT_FONT, str(regular), str(regular), str(bold), str(bold))


class RecoverToErrorScreen(ExceptionHandler):
    """In the running kiosk (``App.run()``'s loop), an unexpected error in a touch handler
    or clock callback must not end the program: log it (type and scrubbed message only),
    end the session and show the plain-words error screen. Errors in a burst (a broken
    loop) still end the program, so a supervisor can restart it."""

    MAX_ERRORS, WINDOW_S = 5, 10.0

    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self.recent: deque[float] = deque(maxlen=self.MAX_ERRORS)

    def handle_exception(self, inst: BaseException) -> int:
        if isinstance(inst, (KeyboardInterrupt, SystemExit)):
            return ExceptionManager.RAISE
        now = time.monotonic()
        self.recent.append(now)
        # Type and location only: the message may quote a name from the card.
        log.error("unexpected error in the UI", extra={"fields": error_fields(inst)})
        if len(self.recent) == self.MAX_ERRORS and now - self.recent[0] < self.WINDOW_S:
            log.error("too many UI errors in a row: stopping")
            return ExceptionManager.RAISE
        Clock.schedule_once(lambda _dt: self.app.recover(), 0)
        return ExceptionManager.PASS


class KioskApp(App):
    lang = StringProperty(DEFAULT_LANGUAGE)
    large_text = BooleanProperty(False)
    high_contrast = BooleanProperty(False)
    theme = ObjectProperty(None)
    allow_close = BooleanProperty(False)
    screens_ready = BooleanProperty(False)   # start-up done; screens build when first shown
    session = ObjectProperty(None, allownone=True)

    __events__ = ("on_session_end",)

    def __init__(self, settings: Settings, parts: PartsFactory | None = None, *,
                 screens: Sequence[ScreenSpec] | None = None, **kwargs: Any) -> None:
        self.settings = settings
        self._parts_factory = parts
        self.parts: KioskParts | None = None
        self.screen_specs: list[ScreenSpec] = list(SCREENS if screens is None else screens)
        self.journeys: JourneyBridge | None = None
        self._technician: Technician | None = None
        self.speaker: Callable[[str, str], None] | None = None
        self.theme = LiveTheme()
        self.inactivity = InactivityTimer(settings.session.inactivity_seconds,
                                          settings.session.warning_seconds)
        self._history: list[str] = []
        self._poll_event: Any = None
        self.overlay: Any = None
        self.sm: KioskScreenManager | None = None
        super().__init__(**kwargs)
        self.title = "kiosk"
        self._defaults()
        self.bind(large_text=self._apply_theme, high_contrast=self._apply_theme)

    # --- building ------------------------------------------------------------------
    def build(self) -> KioskScreenManager:
        register_fonts()
        self._apply_theme()
        import kiosk.ui.widgets  # noqa: F401  (registers widget classes and their kv)
        from kiosk.ui.widgets.overlay import InactivityOverlay

        Window.clearcolor = self.theme.bg
        Window.bind(on_request_close=self._on_request_close, on_keyboard=self._on_keyboard,
                    on_touch_down=self._on_any_touch, size=self._apply_theme)
        factories = {spec.name: (lambda spec=spec: spec.load()(name=spec.name))
                     for spec in self.screen_specs}
        self.sm = KioskScreenManager(factories, transition=NoTransition())
        self.sm.current = ATTRACT  # built now; the others after the first frame
        self.sm.bind(current=self._on_screen_changed)
        self.overlay = InactivityOverlay()
        log.info("ui built", extra={"fields": {"screens": len(self.screen_specs)}})
        return self.sm

    def on_start(self) -> None:
        Window.bind(on_flip=self._first_frame)
        self.lockdown = lock_down(self)  # keys, clicks, Kivy settings: kiosk/ui/lockdown.py
        self.idle = IdleGovernor(self)  # still → few wake-ups: kiosk/ui/idle.py

    def on_stop(self) -> None:
        if self.parts is not None:
            self.parts.stop()

    def _first_frame(self, *_: Any) -> None:
        Window.unbind(on_flip=self._first_frame)
        Clock.schedule_once(self._start_parts, 0)
        # Each screen is built when first shown: building all ~40 up front cost ~80 MiB.
        self.screens_ready = True

    def _start_parts(self, _dt: float) -> None:
        """Build and start the parts right after the first frame, not at the first
        touch: the card hub watches, and a pre-loss queued before a restart is sent
        even if nobody uses the kiosk; not before, which would delay it by about 1 s."""
        parts = self.compose()
        if parts is not None:
            parts.start()

    def compose(self) -> KioskParts | None:
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

    def use_parts(self, parts: KioskParts | None) -> KioskParts | None:
        """Draw ``parts``' controller from now on (tests, bench); returns the previous
        parts, neither started nor stopped here (their owner does that)."""
        previous = self.parts
        if self.journeys is not None:
            self.journeys.detach()
            self.journeys = None
        self.parts = parts
        if parts is not None:
            self.journeys = JourneyBridge(self, parts)
        speaker = getattr(parts, "speaker", None)
        self.speaker = speaker.say if speaker is not None else None
        return previous

    @property
    def technician(self) -> Technician:
        """The technician entry (gesture, PIN access, live parts), made on first use."""
        if self._technician is None:
            # Heavy (prometheus, diagnostics): the technician screens come after the
            # first frame, and so does this.
            from kiosk.ui.technician.base import Technician

            self._technician = Technician(self)
        return self._technician

    def technician_card(self) -> None:
        """A technician card was presented (the bridge routes it here)."""
        from kiosk.ui.technician.card import on_technician_card  # heavy, as above

        on_technician_card(self)

    def build_all_screens(self) -> None:
        """Build every registered screen now (tests, tour)."""
        if self.sm is not None:
            self.sm.build_all()
        self.screens_ready = True

    def _defaults(self) -> None:
        lang = self.settings.kiosk.language
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        self.large_text = self.settings.display.large_text
        self.high_contrast = self.settings.display.high_contrast

    def _apply_theme(self, *_: Any) -> None:
        palette = PALETTES["high_contrast" if self.high_contrast else "normal"]
        w, h = (Window.size if Window else (self.settings.display.width,
                                            self.settings.display.height))
        metrics = Metrics().scaled(ui_scale_for(w, h),
                                   LARGE_TEXT_SCALE if self.large_text else 1.0)
        self.theme.apply(palette, metrics)
        if Window:
            Window.clearcolor = self.theme.bg

    # --- text ------------------------------------------------------------------------
    def tr(self, key: str, lang: str | None = None, **values: Any) -> str:
        """Translate ``key``; in kv write ``app.tr("key", app.lang)`` so it re-renders.
        ``{hotline}`` and ``{region}`` are always filled from the settings."""
        merged = {"hotline": self.settings.region.hotline, "region": self.settings.region.name}
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
    def current_screen_widget(self) -> Any:
        return self.sm.current_screen if self.sm else None

    def has_screen(self, name: str) -> bool:
        return bool(self.sm and self.sm.has_screen(name))

    def go(self, name: str, **params: Any) -> None:
        """Show screen ``name`` after calling its ``prepare(**params)``."""
        assert self.sm is not None
        screen = self.sm.get_screen(name)
        screen.prepare(**params)
        if self.sm.current != name:
            self._history.append(self.sm.current)
            self.sm.current = name

    def back(self) -> None:
        """The screen's ``handle_back()``, else its ``back_to``, else the previous screen,
        else home."""
        assert self.sm is not None
        handler = getattr(self.sm.current_screen, "handle_back", None)
        if callable(handler) and handler():
            return
        target = getattr(self.sm.current_screen, "back_to", "")
        if target:
            self.go(target)
            return
        while self._history:
            prev = self._history.pop()
            if prev == ATTRACT:
                self.go_home()
                return
            if prev != self.sm.current:
                self.sm.current = prev
                return
        self.go_home()

    def go_home(self) -> None:
        """Home ends the session: the next person must not see this one's data."""
        self.end_session(EndReason.HOME)

    def start_route(self, route_id: str) -> None:
        """Open a journey from the attract screen (placeholder until its screen exists)."""
        route = next(r for r in ROUTES if r.id == route_id)
        if self.has_screen(route.screen):
            self.go(route.screen)
        else:
            self.go("placeholder", title_key=route.label_key)

    def show_message(self, spec: Any) -> None:
        """Show a :class:`~kiosk.ui.screens.message.MessageSpec` on the message screen."""
        self.go("message", spec=spec)

    def _on_screen_changed(self, _sm: Any, name: str) -> None:
        log.info("screen", extra={"fields": {"screen": name}})
        if name == ATTRACT:
            self._stop_watch()
        elif self.inactivity.phase is Phase.IDLE:
            self.inactivity.start()
            self._schedule_poll()

    # --- session and inactivity -------------------------------------------------------
    def note_activity(self) -> None:
        self.inactivity.touch()

    def more_time(self) -> None:
        self.inactivity.extend()
        if self.overlay is not None:
            self.overlay.hide()
        self._schedule_poll()

    def end_session(self, reason: EndReason | str = EndReason.DONE) -> None:
        """End the session: one intent to the controller, whose HOME state comes back
        as :meth:`show_home` (without journeys, straight there)."""
        reason = EndReason(reason)
        if self.journeys is not None:
            self.journeys.controller.end(reason)
        else:
            self.show_home(reason)

    def show_home(self, reason: EndReason | None) -> None:
        """Draw a HOME state: wipe, reset every screen, defaults, the attract screen."""
        reason = reason or EndReason.DONE
        log.info("session end", extra={"fields": {"reason": reason.value}})
        self._stop_watch()
        self.dispatch("on_session_end", reason)
        wipe = getattr(self.session, "wipe", None)
        if callable(wipe):
            try:
                wipe()
            except Exception as exc:
                log.error("session wipe failed", extra={"fields": error_fields(exc)})
        self.session = None
        for screen in self.sm.screens if self.sm else ():
            try:
                screen.reset()
            except Exception as exc:  # one broken screen must not keep data on others
                log.error("screen reset failed",
                          extra={"fields": {"screen": screen.name, **error_fields(exc)}})
        self._history.clear()
        self._defaults()
        if self.sm is not None:
            self.sm.current = ATTRACT

    def install_crash_guard(self) -> RecoverToErrorScreen:
        """Keep the kiosk up through unexpected UI errors (``kiosk run`` calls this;
        tests don't, so their errors stay loud)."""
        guard = RecoverToErrorScreen(self)
        ExceptionManager.add_handler(guard)
        return guard

    def recover(self) -> None:
        """After an unexpected error: wipe the session, say so in plain words."""
        from kiosk.ui.screens.message import GENERIC_ERROR

        try:
            self.end_session(EndReason.ERROR)
            self.show_message(GENERIC_ERROR)
        except Exception as exc:
            log.error("could not show the error screen",
                      extra={"fields": error_fields(exc)})

    def on_session_end(self, reason: EndReason) -> None:
        """Default handler of the event (bind to it to wipe your data)."""

    def _stop_watch(self) -> None:
        self.inactivity.stop()
        if self._poll_event is not None:
            self._poll_event.cancel()
            self._poll_event = None
        if self.overlay is not None:
            self.overlay.hide()

    def _schedule_poll(self) -> None:
        if self._poll_event is not None:
            self._poll_event.cancel()
        delay = self.inactivity.next_check_in()
        self._poll_event = None if delay is None else Clock.schedule_once(self._poll, delay)

    def _poll(self, _dt: float) -> None:
        self._poll_event = None
        phase = self.inactivity.poll()
        if phase is Phase.EXPIRED:
            self.end_session(EndReason.TIMEOUT)
            return
        if phase is Phase.WARNING:
            self.overlay.seconds = self.inactivity.seconds_left()
            if not self.overlay.is_open:
                log.info("inactivity warning")
                self.overlay.show()
        self._schedule_poll()

    # --- window -----------------------------------------------------------------------
    def _on_any_touch(self, _window: Any, _touch: Any) -> bool:
        self.inactivity.touch()
        return False  # let the touch reach the widgets

    def _on_keyboard(self, _window: Any, key: int, *_: Any) -> bool:
        self.inactivity.touch()
        return key == KEY_ESCAPE  # swallow Escape: it must never leave the kiosk

    def _on_request_close(self, *_: Any, **kwargs: Any) -> bool:
        if self.allow_close:
            log.info("window close allowed")
            return False
        log.info("window close vetoed", extra={"fields": {"source": kwargs.get("source", "")}})
        return True
