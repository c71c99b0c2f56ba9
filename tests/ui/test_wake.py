"""The wake-up rule (kiosk/ui/wake.py) with an injected clock, then wired into the real
app's window: a touch on a blank screen reaches no widget and still wakes the idle
governor; the next touch works."""

from __future__ import annotations

import pytest

from kiosk.ui.wake import WakeGuard

# Kivy's modules are imported inside the tests: the window must be configured first
# (the kiosk_ui fixture does that).


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def guard(seconds: int | None) -> tuple[WakeGuard, Clock]:
    clock = Clock()
    return WakeGuard(lambda: seconds, clock=clock), clock


def test_the_touch_after_the_timeout_is_consumed_down_moves_and_up():
    g, clock = guard(60)
    clock.now += 60.0                     # exactly the timeout: X has blanked
    assert g.touch("begin", 7) is True
    clock.now += 0.1
    assert g.touch("update", 7) is True
    assert g.touch("end", 7) is True
    assert g.touch("begin", 8) is False   # the next touch works
    assert g.touch("update", 8) is False and g.touch("end", 8) is False
    assert g.woken == 1 and not g.consumed_touches


def test_an_awake_screen_or_no_blanking_never_consumes():
    g, clock = guard(60)
    clock.now += 59.9
    assert g.touch("begin", 1) is False
    for seconds in (0, None):             # 0 = never blank; None = not applied yet
        g, clock = guard(seconds)
        clock.now += 86400
        assert g.touch("begin", 1) is False and g.touch("end", 1) is False


def test_the_timeout_in_force_is_read_at_each_touch():
    seconds = [0]
    clock = Clock()
    g = WakeGuard(lambda: seconds[0], clock=clock)
    clock.now += 30
    assert g.touch("begin", 1) is False   # open hours: never blank
    g.touch("end", 1)
    seconds[0] = 20                       # closing time: blank after 20 s
    clock.now += 20
    assert g.touch("begin", 2) is True


def test_a_held_moving_finger_is_input():
    g, clock = guard(10)
    assert g.touch("begin", 1) is False
    for _ in range(5):
        clock.now += 5
        assert g.touch("update", 1) is False
    clock.now += 5
    assert g.touch("end", 1) is False
    clock.now += 9
    assert g.touch("begin", 2) is False


def test_a_second_finger_on_the_waking_touch_is_its_own_touch():
    g, clock = guard(10)
    clock.now += 11
    assert g.touch("begin", 1) is True
    assert g.touch("begin", 2) is False   # the screen is awake now
    assert g.touch("end", 2) is False
    assert g.touch("end", 1) is True


def test_a_key_on_a_blank_screen_is_consumed_with_its_text_and_repeats():
    g, clock = guard(10)
    clock.now += 10
    assert g.key_down(13) is True
    assert g.text() is True               # its text comes before its up
    clock.now += 0.5
    assert g.key_down(13) is True         # auto-repeat of the consumed key
    assert g.key_up(13) is True
    assert g.text() is False
    assert g.key_down(13) is False and g.key_up(13) is False
    clock.now += 9.9
    assert g.key_down(50) is False        # a key is input too: still awake


def test_a_touch_wakes_then_a_key_works():
    g, clock = guard(10)
    clock.now += 100
    assert g.touch("begin", 1) is True and g.touch("end", 1) is True
    assert g.key_down(13) is False


@pytest.fixture
def blank_now(kiosk_ui):
    """The app's guard told the screen blanks after 1 s and has been still for 5 s."""
    wake = kiosk_ui.app.lockdown.wake
    timeout = wake.timeout
    wake.timeout = lambda: 1
    wake.last_input -= 5
    try:
        yield wake
    finally:
        wake.timeout = timeout


def test_the_app_consumes_the_waking_tap_and_the_next_one_opens_the_journey(kiosk_ui,
                                                                           blank_now):
    from kivy.clock import Clock as KivyClock

    from kiosk.ui.widgets.buttons import JourneyTile

    ui = kiosk_ui
    gov = ui.app.frame_rate
    idle_after, gov.idle_after = gov.idle_after, 0.2
    try:
        ui.wait_until(lambda: gov.idle, timeout=5, what="idle")
        blank_now.last_input -= 5
        woken = blank_now.woken
        tile = ui.find(cls=JourneyTile)
        ui.tap(tile)  # handled before tap() returns: nothing is left for later frames
        ui.drain()
        assert ui.app.sm.current == "attract"
        assert blank_now.woken == woken + 1 and not blank_now.consumed_touches
        assert not gov.idle and KivyClock._max_fps == gov.active_fps  # governor woke
        ui.tap(tile)
        ui.wait_until(lambda: ui.app.sm.current != "attract", timeout=5, what="journey")
    finally:
        gov.idle_after = idle_after
        gov.wake()


def test_the_app_consumes_a_key_on_a_blank_screen_in_technician_mode(kiosk_ui, blank_now):
    from kivy.core.window import Window

    lock = kiosk_ui.app.lockdown
    seen: list[int] = []

    def spy(_window, key, *_):
        seen.append(key)

    # Bound before the guard would be, as the app's own key handler is.
    Window.unbind(**lock.wake_handlers)
    Window.bind(on_keyboard=spy)
    Window.bind(**lock.wake_handlers)
    lock.technician = lambda: True        # the lockdown lets keys through now
    try:
        kiosk_ui.press_key(13)
        assert seen == [] and blank_now.woken >= 1
        kiosk_ui.press_key(13)
        assert seen == [13]
    finally:
        Window.unbind(on_keyboard=spy)
        del lock.technician
