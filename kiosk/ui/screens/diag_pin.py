"""Technician PIN: digits on a keypad, checked against the stored hash; limited tries."""

from __future__ import annotations

from collections.abc import Callable

import kiosk.ui.journeys.widgets  # noqa: F401  (NumericKeypad, Panel)
from kiosk.services.diagnostics.access import PinOutcome
from kiosk.ui.screen_base import KioskScreen, load_kv
from kiosk.ui.technician.base import HOME_SCREEN, technician


class DiagPinScreen(KioskScreen):
    """The hidden gesture lands here. Right PIN → overview; wrong → tries left;
    too many → locked for ``diagnostics.lockout_seconds``."""

    def reset(self) -> None:
        self.ids.keypad.clear()
        self.ids.message.key = "diagnostics.ui.pin_prompt"
        self.ids.message.values = {}

    def on_pre_enter(self, *args: object) -> None:
        self.ids.keypad.clear()
        locked = technician(self.app).access.locked_seconds()
        if locked:
            self._show_locked(locked)
        else:
            self.ids.message.key = "diagnostics.ui.pin_prompt"

    def _show_locked(self, seconds: int) -> None:
        self.ids.message.values = {"minutes": max(1, (seconds + 59) // 60)}
        self.ids.message.key = "diagnostics.ui.pin_locked"

    def submit(self) -> None:
        tech = technician(self.app)
        pin = self.ids.keypad.value
        self.ids.keypad.clear()
        if not pin:
            return
        result = tech.access.verify(pin)
        if result.outcome is PinOutcome.GRANTED:
            tech.entered()
            self.app.go(HOME_SCREEN)
        elif result.outcome is PinOutcome.LOCKED:
            self._show_locked(result.locked_seconds)
        else:
            self.ids.message.values = {"left": result.attempts_left}
            self.ids.message.key = "diagnostics.ui.pin_wrong"

    def tour_states(self) -> dict[str, Callable[[], None]]:
        def wrong() -> None:
            self.ids.message.values = {"left": 2}
            self.ids.message.key = "diagnostics.ui.pin_wrong"

        return {"default": lambda: None, "wrong": wrong,
                "locked": lambda: self._show_locked(300)}


load_kv(__file__)
