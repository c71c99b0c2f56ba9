"""The kiosk window gives nothing away: no Kivy settings panel, inspector or key binding,
no key outside technician mode but the accessibility keypad's, no right/middle click or
wheel, no cursor in production, screen blanking by opening hours, and the touch that
wakes it does nothing else.

The accessibility keypad's keys are exactly those of ``access.keys`` and the digits,
without ctrl, alt, meta or super held (kiosk/ui/access/keys.py): they go to
``app.access`` (kiosk/ui/access/mode.py) and no further; every other key (F1, Escape,
alt+F4, ctrl+alt+BackSpace, …) is swallowed. On the technician's PIN pad no key acts.

Installed once from ``KioskApp.on_start`` (:func:`lock_down`), which Kivy dispatches after
it bound its own keys (F1 → settings panel) to the window: our window handlers are bound
later, so Kivy calls them first, and returning True stops the event there. The settings
panel is also switched off at its source (``use_kivy_settings``, ``open_settings``), so
it cannot open while a technician types either, and Kivy never rewrites its config.ini.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.modules import Modules

from kiosk.config import Settings
from kiosk.logs import get_logger
from kiosk.system.blanking import BlankingSchedule
from kiosk.ui.wake import SYNC_AFTER_S, Handler, WakeGuard, bind_window

if TYPE_CHECKING:
    from kivy.input.motionevent import MotionEvent

    from kiosk.ui.app_protocol import UiApp

log = get_logger("kiosk.ui.lockdown")

# Screens where a technician has proved the PIN: only there do keys reach widgets.
TECHNICIAN_PREFIX = "diag_"
TECHNICIAN_GATE = "diag_pin"   # the PIN pad itself is open to anyone: no keys there
KEY_EVENTS = ("on_key_down", "on_key_up", "on_keyboard", "on_textinput")


def in_technician_mode(screen_name: str) -> bool:
    """True on a technician screen behind the PIN (``diag_*`` but not the PIN pad)."""
    return screen_name.startswith(TECHNICIAN_PREFIX) and screen_name != TECHNICIAN_GATE


@dataclass
class Lockdown:
    """What :func:`lock_down` installed; counts what it swallowed (for diagnostics)."""

    app: UiApp
    swallowed_keys: int = 0
    passed_keys: int = 0  # keypad keys handed to app.access
    swallowed_clicks: int = 0
    handlers: dict[str, Handler] = field(default_factory=dict)
    blanking: BlankingSchedule | None = None
    wake: WakeGuard | None = None
    wake_handlers: dict[str, Handler] = field(default_factory=dict)

    def technician(self) -> bool:
        sm = getattr(self.app, "sm", None)
        return bool(sm is not None and in_technician_mode(str(sm.current)))

    def on_key(self, *_: object) -> bool:
        if self.technician():
            return False
        self.swallowed_keys += 1
        return True

    def on_key_down(self, _window: object, key: int, _scancode: int = 0,
                    _codepoint: str | None = None, modifiers: Sequence[str] = ()) -> bool:
        """A key press: the keypad's go to ``app.access``; nothing goes further."""
        if self.technician():
            return False
        access = getattr(self.app, "access", None)
        sm = getattr(self.app, "sm", None)
        gate = sm is not None and str(sm.current) == TECHNICIAN_GATE
        if access is not None and not gate and access.lets_through(key, list(modifiers or ())):
            self.passed_keys += 1
            access.key_down(key, list(modifiers or ()))
            return True
        self.swallowed_keys += 1
        return True

    def on_touch(self, _window: object, touch: MotionEvent) -> bool:
        """Only a plain press (a finger, or a left click) reaches the widgets."""
        button = getattr(touch, "button", "left")
        if button in (None, "left"):
            return False
        self.swallowed_clicks += 1
        return True

    def remove(self) -> None:
        """Unbind everything (tests)."""
        for name, handler in self.handlers.items():
            Window.unbind(**{name: handler})
        self.handlers.clear()
        for name, handler in self.wake_handlers.items():
            Window.unbind(**{name: handler})
        self.wake_handlers.clear()
        if self.blanking is not None:
            self.blanking.stop()


def _no_settings(*_: object, **__: object) -> bool:
    return False


def lock_down(app: UiApp) -> Lockdown:
    """Lock the app's window down (see the module docstring). Call from ``on_start``."""
    settings: Settings = app.settings
    app.use_kivy_settings = False
    app.open_settings = _no_settings   # Kivy's F1 handler calls this: it must do nothing
    Modules.unregister_window(Window)  # no inspector/monitor/screen module, whatever ini says
    lock = Lockdown(app)
    for name in KEY_EVENTS:
        lock.handlers[name] = lock.on_key_down if name == "on_key_down" else lock.on_key
    lock.handlers["on_touch_down"] = lock.on_touch
    lock.handlers["on_touch_up"] = lock.on_touch
    Window.bind(**lock.handlers)
    production = not settings.kiosk.demo
    if production or settings.display.hide_cursor:
        Window.show_cursor = False
    # Blanking by opening hours, re-applied at each boundary (kiosk/system/blanking.py).
    lock.blanking = BlankingSchedule.for_settings(settings, Clock.schedule_once)
    lock.blanking.start()
    # The touch or key that wakes a blanked screen does nothing else (kiosk/ui/wake.py);
    # bound after the key handlers above, so it runs first.
    blanking = lock.blanking
    lock.wake = WakeGuard(lambda: blanking.applied)
    lock.wake_handlers = bind_window(Window, lock.wake)
    Clock.schedule_once(lock.wake.sync_x_idle, SYNC_AFTER_S)
    log.info("window locked down", extra={"fields": {"production": production}})
    return lock
