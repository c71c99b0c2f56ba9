"""The holder PIN keypad is emptied at every exit from the PIN screen (real window)."""

from __future__ import annotations

from tests.e2e.window.conftest import Journey
from tests.e2e.window.test_status_cancel import _cancel_until_pin


def _typed(j: Journey) -> str:
    return j.app.sm.get_screen("cancel_pin").ids.keypad.value


def test_back_and_home_leave_no_digits_behind(journey: Journey) -> None:
    j = journey
    _cancel_until_pin(j, "normal")
    j.type_digits("123")
    assert _typed(j) == "123"
    j.tap(key="app.back")
    j.ui.wait_until(lambda: j.app.sm.current != "cancel_pin", 5, "left the PIN screen")
    assert _typed(j) == ""
    j.lift("ssc")  # handled before the card goes in again
    j.ui.wait_until(lambda: j.app.sm.current == "attract", 8, "session end")
    _cancel_until_pin(j, "normal")
    j.type_digits("9876")
    j.tap(key="app.home")
    j.screen("attract")
    assert _typed(j) == ""
