"""Shared parts of the technician screens: the hidden entry gesture, the technician
session (PIN access + idle exit), background work, and the base class.

The technician works on the app's live parts, handed over by the composition root as
``app.parts.technician`` (:class:`~kiosk.services.diagnostics.live.TechnicianParts`):
the diagnostics context, the PIN access, the worker its checks run on, the outbox tools
and the speaker. It builds none of them.

Entry gesture: bound on the Window (so the shell's attract screen needs no hook): a
press held 3 s in the top-right corner while the attract screen shows opens the PIN
screen; the press is then taken from the widget under it, so the header button there
is not also triggered on release.

While a technician is inside, the cardholder inactivity timer is stopped and
:class:`~kiosk.services.diagnostics.access.TechnicianAccess` decides the idle exit
(``diagnostics.idle_seconds``); every touch counts as activity. Leaving (button, home,
idle) ends the session and returns to the attract screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from kivy.app import App
from kivy.clock import Clock, ClockEvent
from kivy.core.window import Window
from kivy.input.motionevent import MotionEvent
from kivy.uix.widget import Widget

from kiosk.logs import error_fields, get_logger
from kiosk.services.diagnostics.access import CornerHold, TechnicianAccess
from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.live import AudioTest, OutboxTools, TechnicianParts
from kiosk.services.diagnostics.model import CheckResult
from kiosk.services.diagnostics.runner import run_check as run_on_context
from kiosk.services.failures import failed_part
from kiosk.services.tasks import Outcome
from kiosk.ui.registry import SCREENS
from kiosk.ui.screen_base import KioskScreen

if TYPE_CHECKING:
    from kiosk.ui.app_protocol import UiApp

log = get_logger("kiosk.ui.diagnostics")
T = TypeVar("T")
ATTRACT = "attract"
PIN_SCREEN = "diag_pin"
HOME_SCREEN = "diag_overview"


class Technician:
    """One per app (``app.technician``, built by the app after its first frame, see
    :mod:`kiosk.ui.first_frame`): the gesture, the access and the app's live parts
    (``app.parts.technician``)."""

    def __init__(self, app: UiApp) -> None:
        self.app = app
        self.hold = CornerHold()
        self._access: TechnicianAccess | None = None
        self._touch: MotionEvent | None = None
        self._poll_event: ClockEvent | None = None
        self._idle_event: ClockEvent | None = None
        Window.bind(on_touch_down=self._down, on_touch_move=self._move, on_touch_up=self._up)
        app.bind(on_session_end=lambda *_: self.leave(end_session=False))
        if app.settings.diagnostics.metrics_enabled:  # the endpoint is one of the parts
            Clock.schedule_interval(self._metrics_tick, 30.0)

    def _metrics_tick(self, _dt: float) -> None:
        """Keep the outbox gauge current between diagnostics runs."""
        tools = self.outbox()
        if tools is not None:
            tools.update_gauges()  # never raises: a metric must not disturb the kiosk

    @property
    def parts(self) -> TechnicianParts:
        """The app's technician parts (an error while the app has no parts)."""
        parts = self.app.parts
        if parts is None:
            raise RuntimeError("the app runs without parts: no technician")
        technician: TechnicianParts = parts.technician
        return technician

    # -- access ---------------------------------------------------------------------------
    @property
    def access(self) -> TechnicianAccess:
        if self._access is None:
            self._access = self.parts.access()
        return self._access

    @property
    def active(self) -> bool:
        return self._access is not None and self._access.active

    def entered(self) -> None:
        """Called after a granted PIN: watch idleness, keep the cardholder timer off."""
        self.app.inactivity.stop()
        if self._idle_event is None:
            self._idle_event = Clock.schedule_interval(self._check_idle, 1.0)

    def leave(self, end_session: bool = True) -> None:
        """Leave diagnostics: back to the attract screen (session wiped)."""
        if self._idle_event is not None:
            self._idle_event.cancel()
            self._idle_event = None
        if self._access is not None and self._access.active:
            self._access.leave()
        if end_session:
            self.app.end_session("technician")

    def _check_idle(self, _dt: float) -> None:
        if self.active:
            self.app.inactivity.stop()  # screen changes restart it; we govern here
            if self.access.idle_expired():
                log.info("technician idle timeout")
                self.leave()

    def context(self) -> DiagnosticsContext:
        """A diagnostics context on the app's live parts."""
        return self.parts.context()

    def outbox(self) -> OutboxTools | None:
        """Retry now, the sealed export (None: the app runs without an outbox)."""
        return self.parts.outbox

    def speaker(self) -> AudioTest | None:
        """The app's speaker for the audio test (None: the app runs without one)."""
        return self.parts.speaker

    def run(self, work: Callable[[], T], done: Callable[[T | BaseException], None]) -> None:
        """Run ``work`` on the technician's worker; its result (or the exception) goes
        to ``done`` on the Kivy main thread."""
        def deliver(outcome: Outcome[T]) -> None:
            if outcome.error is not None:
                log.warning("background work failed",
                            extra={"fields": error_fields(outcome.error)})
                done(outcome.error)
            else:
                done(outcome.value)

        self.parts.worker.run("technician", work, deliver)

    # -- the hidden gesture ---------------------------------------------------------------
    def _on_attract(self) -> bool:
        sm = self.app.sm
        return bool(sm is not None and (sm.current == ATTRACT or getattr(
            sm.current_screen, "idle_screen", False))  # out of service: also no session
            and not self.app.idle.overlay_open)

    def _down(self, _win: object, touch: MotionEvent) -> bool:
        if self.active and self.app.sm is not None and self.app.sm.current.startswith("diag"):
            self.access.touch()
        if not self._on_attract():
            return False
        self.hold.down(touch.x, touch.y, Window.width, Window.height, time.monotonic())
        self._touch = touch
        if self._poll_event is None:
            self._poll_event = Clock.schedule_interval(self._poll, 0.1)
        return False

    def _move(self, _win: object, touch: MotionEvent) -> bool:
        if self._touch is not None and touch is self._touch:
            self.hold.move(touch.x, touch.y, Window.width, Window.height)
        return False

    def _up(self, _win: object, touch: MotionEvent) -> bool:
        if touch is self._touch:
            self.hold.up()
            self._touch = None
            self._stop_poll()
        return False

    def _stop_poll(self) -> None:
        if self._poll_event is not None:
            self._poll_event.cancel()
            self._poll_event = None

    def _poll(self, _dt: float) -> None:
        if not self._on_attract():
            self.hold.up()
            self._stop_poll()
            return
        if self.hold.poll(time.monotonic()):
            self._stop_poll()
            touch, self._touch = self._touch, None
            if touch is not None:  # the button under the finger must not fire on release
                for ref in list(touch.grab_list):
                    widget = ref()
                    if widget is not None:
                        touch.ungrab(widget)
                        if getattr(widget, "state", None) == "down":
                            widget.state = "normal"
            log.info("technician gesture")
            if self.app.has_screen(PIN_SCREEN):
                self.app.go(PIN_SCREEN)


# The technician screens, in the registry's order (name, "module:Class").
DIAG_SCREENS = tuple((spec.name, spec.target) for spec in SCREENS
                     if spec.name.startswith("diag_"))


def technician(app: UiApp) -> Technician:
    """The app's :class:`Technician` (the app builds it right after its first frame)."""
    tech = app.technician
    if not isinstance(tech, Technician):  # the app builds this class (install_technician)
        raise TypeError(f"not a technician entry: {type(tech).__name__}")
    return tech


def run_in_background(app: UiApp, work: Callable[[], T],
                      done: Callable[[T | BaseException], None]) -> None:
    """Run ``work`` on the technician's worker; hand its result (or the exception) to
    ``done`` on the Kivy main thread."""
    technician(app).run(work, done)


def run_check(app: UiApp, check: Callable[[DiagnosticsContext], T],
              done: Callable[[T | BaseException], None]) -> None:
    """Run ``check`` on a fresh diagnostics context in the background (the context is
    closed afterwards, whatever happens); its result or exception goes to ``done``."""
    ctx = technician(app).context()
    run_in_background(app, lambda: run_on_context(ctx, check), done)


def error_key(exc: BaseException) -> str:
    """The i18n key that says in words which part failed (never a Python class name):
    the failure map's :func:`~kiosk.services.failures.failed_part`, by the error's kind."""
    return f"diagnostics.ui.error.{failed_part(exc).value}"


class DiagScreen(KioskScreen):
    """Base of the technician screens (not the PIN screen): back goes to the overview.

    Text follows the language switch like the shell's: a single message goes on a
    ``KLabel`` by key (:meth:`show`, :meth:`show_summary`, :meth:`show_error`); text
    composed from several keys is drawn by a function given to :meth:`render`, which runs
    again whenever ``app.lang`` changes."""

    back_to = HOME_SCREEN
    _render: Callable[[], None] | None = None

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        app = App.get_running_app()
        if app is not None:
            app.bind(lang=lambda *_: self._rerender())

    def _rerender(self) -> None:
        if self._render is not None:
            self._render()

    def render(self, draw: Callable[[], None]) -> None:
        """Run ``draw`` now, and again after each language switch (until :meth:`forget`)."""
        self._render = draw
        draw()

    def forget(self) -> None:
        """Stop re-drawing (the screen was reset)."""
        self._render = None

    def show(self, label: Widget, key: str, **values: object) -> None:
        """``key`` with ``values`` on a KLabel; it re-translates itself on a switch."""
        label.key = ""  # so the new values are not rendered with the old key
        label.values = values
        label.key = key

    def show_text(self, label: Widget, text: str) -> None:
        """Raw text (data, or drawn inside :meth:`render`) on a KLabel: no key."""
        label.key = ""
        label.text = text

    def show_summary(self, label: Widget, result: CheckResult) -> None:
        """A check's summary by its key, placeholders from its (clean) details."""
        values = {k: v for k, v in result.details.items() if k not in ("key", "language")}
        self.show(label, result.summary_key, **values)

    def show_error(self, label: Widget, exc: BaseException) -> None:
        """A failed check in words: which part, not the exception's class or message."""
        self.show(label, error_key(exc))

    def field_lines(self, pairs: Iterable[tuple[str, object]]) -> str:
        """``name: value`` lines, each name translated from ``diagnostics.ui.field.<name>``."""
        return "\n".join(f"{self.tr(f'diagnostics.ui.field.{n}')}: {v}" for n, v in pairs)

    def show_check(self, result: CheckResult | BaseException, fields: Iterable[str],
                   fmt: Callable[[object], str]) -> None:
        """A check's outcome: summary on ``ids.summary``, its ``fields`` (values through
        ``fmt``) on ``ids.details``; an exception in words, with no details."""
        if isinstance(result, BaseException):
            self.forget()
            self.show_error(self.ids.summary, result)
            self.show_text(self.ids.details, "")
            return
        self.show_summary(self.ids.summary, result)
        self.render(lambda: self.show_text(self.ids.details, self.field_lines(
            (n, fmt(result.details.get(n))) for n in fields)))

    def on_enter(self, *args: object) -> None:
        tech = technician(self.app)
        if tech.active:
            tech.entered()
            tech.access.touch()
        if not self.app.samples_only:   # the tour draws its samples instead
            self.refresh()

    def refresh(self) -> None:
        """Reload what the screen shows (subclasses)."""

    def tr(self, key: str, **values: object) -> str:
        return App.get_running_app().tr(key, **values)

    def leave_diagnostics(self) -> None:
        technician(self.app).leave()
