"""The keypad on the shell in a real window: the first key turns non-visual mode on
(speech, focus ring, doubled timeouts), focus moves and speaks, activate presses."""

from __future__ import annotations

import pytest

from tests.fixtures.access import needs_xdotool, point_at_window, press

pytestmark = [pytest.mark.ui, needs_xdotool]


def test_first_key_turns_non_visual_mode_on_and_announces_the_start_screen(kiosk_ui, heard):
    ui = kiosk_ui
    point_at_window(ui)
    press(ui, "Down")
    assert ui.app.nonvisual
    assert heard.screens() == ["attract"]
    words = heard.last()
    assert words.startswith("语音引导已打开")
    assert "欢迎" in words and "本页有" in words
    ring = ui.app.access.ring
    assert ring.box is not None and ring.widget is ui.app.access.focused
    press(ui, "Down")
    assert heard.kinds()[-1] == "focus"


def test_non_visual_mode_doubles_every_timeout_until_the_session_ends(kiosk_ui, heard):
    ui = kiosk_ui
    s = ui.app.settings
    point_at_window(ui)
    press(ui, "KP_Enter")
    factor = s.access.timeout_factor
    assert factor >= 2
    assert ui.app.inactivity.inactivity_seconds == s.session.inactivity_seconds * factor
    assert ui.app.inactivity.warning_seconds == s.session.warning_seconds * factor
    waits = ui.app.controller.waits
    assert waits.limit_seconds == round(s.session.card_wait_seconds * factor)
    ui.app.end_session("home")
    ui.wait_for_screen("attract")
    assert not ui.app.nonvisual and ui.app.access.ring.box is None
    assert ui.app.inactivity.inactivity_seconds == s.session.inactivity_seconds
    assert waits.limit_seconds == s.session.card_wait_seconds
    assert ui.app.access.voice.last is None  # nothing to repeat to the next person


def test_more_time_repeat_and_speech_rate_by_key(kiosk_ui, heard):
    ui = kiosk_ui
    point_at_window(ui)
    ui.app.go("placeholder", title_key="attract.pre_loss")
    ui.wait_for_screen("placeholder")
    press(ui, "Down")
    ui.app.overlay.seconds = 10
    ui.app.overlay.show()  # the inactivity warning: its "more time" takes the focus
    ui.wait_until(lambda: getattr(ui.app.access.focused, "key", "") == "app.more_time", 5,
                  "more time focused")
    assert heard.kinds()[-1] == "screen" and heard.screens()[-1] == "placeholder"
    press(ui, "Return")
    ui.wait_until(lambda: not ui.app.overlay.is_open, 5, "the warning gone")
    said = heard.last()
    press(ui, "KP_Subtract")
    assert heard.kinds()[-1] == "repeat" and heard.last() == said
    press(ui, "KP_Multiply")
    assert heard.last() == "语速放慢。"
    press(ui, "KP_Divide")
    assert heard.last() == "语速加快。"
    press(ui, "Left")  # back from the placeholder: the start screen; the session ended
    ui.wait_for_screen("attract")
    assert not ui.app.nonvisual  # the next person starts afresh
    press(ui, "BackSpace")  # a first key again: the mode, and the start screen said
    assert ui.app.nonvisual and heard.screens()[-1] == "attract"
    press(ui, "BackSpace")  # no step back from the start screen: it says so
    assert heard.last() == "这是首页，没有上一步。"
    press(ui, "KP_5")  # no number is asked for here
    assert heard.last() == "这里不用输入数字。"
