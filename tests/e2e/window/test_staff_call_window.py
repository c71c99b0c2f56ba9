"""The staff call (一键呼叫) in the real window: the keypad's help key (a real KP_Add
through the lock-down) or the "call staff" button on a cardholder screen calls staff at
once; the call reaches the sandbox's register; the acknowledgement comes back and the
screen (and the voice) says staff are on their way. With the centre down, the screen
says nobody was called and gives the hotline; it never says someone is coming."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from kiosk.composition.parts import build_kiosk
from tests.e2e.window.conftest import Journey
from tests.fixtures.access import Heard, needs_xdotool, point_at_window, press

pytestmark = pytest.mark.ui


def _calls(j: Journey) -> list[dict[str, Any]]:
    return [c for c in j.sandbox.admin("GET", "/fleet/help")["help_requests"]
            if c["terminal_id"] == j.settings.kiosk.terminal_id]


def _panel(j: Journey) -> Any:
    overlay = j.app.help_overlay
    j.ui.wait_until(lambda: overlay.is_open, 5, "the staff call panel")
    return overlay


@needs_xdotool
def test_help_key_calls_staff_and_the_answer_shows(journey: Journey, heard: Heard) -> None:
    j = journey
    point_at_window(j.ui)
    j.ui.tap(key="attract.pre_loss")
    j.screen("pre_loss")
    press(j.ui, "KP_Add")  # the first key: non-visual mode on, and staff called at once
    assert j.app.nonvisual
    panel = _panel(j)
    calls = j.ui.wait_until(lambda: _calls(j), 10, "the call in the sandbox's register")
    assert [(c["step"], c["state"], c["outlet"]) for c in calls] == [
        ("pre_loss", "waiting", j.settings.kiosk.outlet)]
    j.ui.wait_until(lambda: panel.phase == "waiting", 10, "waiting on screen")
    assert j.ui.find(key="access.help.title.waiting").text == "已通知工作人员"
    assert not j.ui.find_all(key="access.help.hotline")  # someone was reached
    j.ui.wait_until(lambda: "已通知工作人员" in heard.words(), 5, "waiting said")
    j.sandbox.admin("POST", "/fleet/help/ack", json={"terminal_id": calls[0]["terminal_id"]})
    j.ui.wait_until(lambda: panel.phase == "coming", 15, "the acknowledgement on screen")
    assert j.ui.find(key="access.help.title.coming").text == "工作人员正在赶来"
    j.ui.wait_until(lambda: "工作人员正在赶来" in heard.words(), 5, "coming said")
    press(j.ui, "Left")  # back closes the panel; the journey is where it was
    j.ui.wait_until(lambda: not panel.is_open, 5, "the panel closed")
    assert j.app.sm.current == "pre_loss"


def test_call_staff_button_on_every_cardholder_screen(journey: Journey) -> None:
    j = journey
    attract = j.app.sm.get_screen("attract")
    assert attract.ids.help_button.key == "access.call_staff"  # in its footer row
    for spec in j.app.screen_specs:
        screen = j.app.sm.get_screen(spec.name)
        nav = screen.frame.ids.nav
        nav._layout()
        button = nav._buttons.get("access.call_staff")  # made only where it is shown
        in_bar = button is not None and button.parent is not None
        cardholder = not spec.name.startswith("diag_")
        own_row = getattr(screen, "access_in_content", False)  # start, out of service
        assert in_bar == (cardholder and not own_row), spec.name
        if own_row:
            assert screen.ids.help_button.key == "access.call_staff", spec.name
    j.ui.tap(key="attract.status")
    j.screen("status")
    j.ui.tap(key="access.call_staff")
    panel = _panel(j)
    j.ui.wait_until(lambda: _calls(j), 10, "the call in the register")
    j.ui.wait_until(lambda: panel.phase == "waiting", 10, "waiting")
    j.app.end_session("home")  # the next person never sees this call
    j.screen("attract")
    assert not panel.is_open
    j.ui.tap(key="attract.status")
    j.screen("status")
    assert not panel.is_open


def test_centre_down_the_screen_says_nobody_was_called(journey: Journey, heard: Heard) -> None:
    j = journey
    settings = dataclasses.replace(j.settings, central=dataclasses.replace(
        j.settings.central, base_url="http://127.0.0.1:9", retries=0))
    from kiosk.ui.journeys.bridge import kivy_dispatch

    parts = build_kiosk(settings, kivy_dispatch, cards=False, speech=False, fleet=False)
    own = j.app.use_parts(parts)
    try:
        j.app.nonvisual = True
        j.ui.tap(key="attract.guide")
        j.screen("guide")
        j.ui.tap(key="access.call_staff")
        panel = _panel(j)
        j.ui.wait_until(lambda: panel.phase == "unreachable", 20, "the honest answer")
        assert j.ui.find(key="access.help.title.unreachable").text == "无法呼叫工作人员"
        hotline = j.ui.find(key="access.help.hotline").text
        assert j.settings.region.hotline in hotline
        assert j.ui.find(key="access.help.again")  # another try, by touch or key
        j.ui.wait_until(lambda: "没有人收到这次呼叫" in heard.words(), 5, "said")
        words = heard.words()
        assert "正在赶来" not in words and "已通知工作人员" not in words
        assert not _calls(j)
    finally:
        j.app.use_parts(own)
        parts.stop()
