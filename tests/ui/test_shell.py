"""The shell in a real window (Xvfb): attract, language, modes, navigation, inactivity,
Escape and window close. Every press is a simulated touch through real hit-testing."""

from __future__ import annotations

import pytest

from kiosk.i18n import translate
from kiosk.ui.theme import MIN_TARGET_MM, mm

pytestmark = pytest.mark.ui


def header_title(ui):
    return ui.app.sm.current_screen.frame.ids.header.title_label.text


def open_placeholder(ui, title_key="attract.pre_loss"):
    """An in-session screen of the shell itself (journey screens come and go)."""
    ui.app.go("placeholder", title_key=title_key)
    return ui.wait_for_screen("placeholder")


def test_attract_shows_welcome_and_all_outlet_journeys(kiosk_ui):
    ui = kiosk_ui
    assert ui.app.sm.current == "attract"
    assert header_title(ui) == translate("attract.welcome", "zh_CN")
    for key in ("attract.pre_loss", "attract.status", "attract.guide", "attract.cancel_pre_loss"):
        assert ui.find(key=key).text == translate(key, "zh_CN")
    # The attract screen is home: no back or home button on it.
    assert not ui.find_all(key="app.back") and not ui.find_all(key="app.home")


def test_language_switch_rerenders_live_on_every_screen(kiosk_ui):
    ui = kiosk_ui
    subtitle = ui.find(key="attract.subtitle")
    assert subtitle.text == "请点击您要办理的业务"
    ui.tap(key="app.language_switch")
    assert ui.app.lang == "en"
    ui.pump_frames(2)
    assert subtitle.text == "Touch what you want to do"
    assert header_title(ui) == "Welcome to card self-service"
    assert ui.find(key="app.language_switch").text == "中文"
    # A screen built long ago, not shown at the switch, is in English too.
    open_placeholder(ui, "attract.status")
    assert header_title(ui) == translate("attract.status", "en")
    assert ui.find(key="app.back").text == "Back"
    ui.tap(key="app.language_switch")
    assert ui.find(key="app.back").text == "返回"
    assert header_title(ui) == translate("attract.status", "zh_CN")


def test_large_text_toggle_grows_text_and_buttons(kiosk_ui):
    ui = kiosk_ui
    subtitle = ui.find(key="attract.subtitle")
    toggle = ui.find(key="app.large_text")
    size0, height0, button0 = subtitle.font_size, subtitle.height, toggle.font_size
    ui.tap(toggle)
    assert ui.app.large_text and toggle.active
    ui.pump_frames(3)
    assert subtitle.font_size >= size0 * 1.25
    assert subtitle.height > height0
    assert toggle.font_size >= button0 * 1.25
    ui.tap(toggle)
    ui.pump_frames(3)
    assert subtitle.font_size == size0 and not toggle.active


def test_high_contrast_toggle_changes_colours(kiosk_ui):
    from kivy.core.window import Window

    ui = kiosk_ui
    subtitle = ui.find(key="attract.subtitle")
    colour0, bg0 = list(subtitle.color), list(Window.clearcolor)
    ui.tap(key="app.high_contrast")
    ui.pump_frames(2)
    assert ui.app.high_contrast
    assert list(Window.clearcolor)[:3] == [0, 0, 0]
    assert list(subtitle.color) != colour0 and list(Window.clearcolor) != bg0
    ui.tap(key="app.high_contrast")
    ui.pump_frames(2)
    assert list(subtitle.color) == colour0


@pytest.mark.parametrize("route_id", ["pre_loss", "status", "guide", "cancel_pre_loss"])
def test_each_journey_tile_opens_its_screen_or_the_placeholder(kiosk_ui, route_id):
    from kiosk.ui.routes import ROUTES

    ui = kiosk_ui
    route = next(r for r in ROUTES if r.id == route_id)
    expected = route.screen if ui.app.has_screen(route.screen) else "placeholder"
    ui.tap(key=route.label_key)
    ui.wait_for_screen(expected)
    if expected == "placeholder":
        assert header_title(ui) == translate(route.label_key, "zh_CN")
    ui.tap(key="app.home")
    ui.wait_for_screen("attract")


def test_back_and_home_from_the_navigation_bar(kiosk_ui):
    ui = kiosk_ui
    open_placeholder(ui)
    assert header_title(ui) == translate("attract.pre_loss", "zh_CN")
    ui.tap(key="app.back")
    ui.wait_for_screen("attract")
    open_placeholder(ui)
    ui.tap(key="app.home")
    ui.wait_for_screen("attract")


def test_back_from_a_screen_beside_the_journeys_goes_to_its_back_to(kiosk_ui):
    ui = kiosk_ui
    screen = open_placeholder(ui)
    screen.back_to = "message"
    try:
        ui.tap(key="app.back")
        ui.wait_for_screen("message")
        assert ui.app.controller.state.step.value == "home"  # no journey was touched
    finally:
        screen.back_to = ""
    ui.tap(key="app.home")
    ui.wait_for_screen("attract")


WAYS_BACK = ("back", "home", "exit", "leave", "done", "close", "cancel")


def test_every_screen_has_a_way_back_and_big_targets(kiosk_ui):
    from kiosk.ui.widgets.buttons import JourneyTile, KButton

    ui = kiosk_ui
    app = ui.app
    smallest = mm(MIN_TARGET_MM)
    for screen in list(app.sm.screens):
        app.end_session("reset")
        if screen.name != "attract":
            app.go(screen.name)
        ui.pump_frames(3)  # a screen may move on by itself in prepare(): check where we are
        name = app.sm.current
        if name != "attract" and not getattr(app.sm.current_screen, "idle_screen", False):
            ways = [b for b in ui.find_all(cls=KButton)
                    if any(w in b.key.rsplit(".", 1)[-1] for w in WAYS_BACK)]
            assert ways, f"{name}: no back, home or exit button"
        buttons = ui.find_all(cls=KButton) + ui.find_all(cls=JourneyTile)
        assert buttons, name
        for b in buttons:
            assert b.height >= smallest and b.width >= smallest, (name, b.text)


def test_message_screen_shows_plain_words_and_runs_its_buttons(kiosk_ui):
    from kiosk.ui.screens.message import MessageButton, MessageSpec

    ui = kiosk_ui
    pressed = []
    spec = MessageSpec("error.generic.title", "error.generic.body", "error.generic.next",
                       buttons=(MessageButton("app.retry", lambda: pressed.append(1)),
                                MessageButton("app.home", "home", "secondary")))
    ui.app.show_message(spec)
    ui.wait_for_screen("message")
    assert ui.find(id="title").text == "暂时无法完成"
    assert "96102" in ui.find(id="next").text  # {hotline} filled from the settings
    ui.tap(key="app.retry")
    assert pressed == [1]
    buttons = ui.app.sm.current_screen.ids.buttons
    ui.tap(ui.find(key="app.home", root=buttons))
    ui.wait_for_screen("attract")


def test_read_aloud_gives_the_screen_text_to_the_speaker(kiosk_ui, monkeypatch):
    ui = kiosk_ui
    said = []
    monkeypatch.setattr(ui.app, "speaker", lambda text, lang: said.append((text, lang)))
    ui.tap(key="app.read_aloud")
    assert said and said[0][1] == "zh_CN"
    assert "请点击您要办理的业务" in said[0][0] and "服务热线 96102" in said[0][0]


def test_inactivity_warning_then_more_time_keeps_the_session(kiosk_ui):
    from kiosk.ui.inactivity import Phase

    ui = kiosk_ui
    app = ui.app
    open_placeholder(ui)
    app.inactivity.configure(0.6, 3)
    app.more_time()  # restart the quiet period with the short durations
    ui.wait_until(lambda: ui.find_all(key="inactivity.title"), 3, "the warning")
    assert ui.find(key="inactivity.title").text == "您还在吗？"
    countdown = ui.find(id="countdown").text
    assert countdown.startswith("还剩") and any(c.isdigit() for c in countdown)
    # The dimmed screen behind takes no touches: "back" under the overlay does nothing.
    back = app.sm.current_screen.back_button
    ui.tap_at(*back.to_window(*back.center))
    assert app.sm.current == "placeholder" and ui.find_all(key="inactivity.title")
    app.inactivity.configure(5, 3)
    ui.tap(key="app.more_time")
    ui.wait_until(lambda: not ui.find_all(key="inactivity.title"), 2, "the warning to close")
    assert app.sm.current == "placeholder" and app.inactivity.phase is Phase.ACTIVE


def test_inactivity_timeout_returns_to_attract_and_wipes_the_session(kiosk_ui):
    from kiosk.ui.inactivity import Phase
    from kiosk.ui.screens.message import GENERIC_ERROR, MessageSpec

    ui = kiosk_ui
    app = ui.app
    ended = []

    def on_end(_app, reason):
        ended.append(reason)

    app.bind(on_session_end=on_end)

    class Session:
        wiped = False

        def wipe(self):
            Session.wiped = True

    try:
        ui.tap(key="app.language_switch")
        ui.tap(key="app.large_text")
        app.show_message(MessageSpec("placeholder.title", "placeholder.body", tone="info"))
        ui.wait_for_screen("message")
        app.session = Session()
        app.inactivity.configure(0.5, 1.0)
        app.more_time()
        ui.wait_until(lambda: ui.find_all(key="inactivity.title"), 3, "the warning")
        ui.wait_for_screen("attract", timeout=4)
    finally:
        app.unbind(on_session_end=on_end)
    assert "timeout" in ended and Session.wiped and app.session is None
    assert app.inactivity.phase is Phase.IDLE
    assert not ui.find_all(key="inactivity.title")
    assert app.lang == "zh_CN" and not app.large_text
    assert app.sm.get_screen("message").spec is GENERIC_ERROR
    assert ui.find(key="attract.subtitle").text == "请点击您要办理的业务"


def test_warning_reopened_at_once_stays_open(kiosk_ui):
    # Regression: a fade-out finishing late used to remove a warning opened again.
    ui = kiosk_ui
    open_placeholder(ui)
    ui.app.overlay.show()
    ui.pump_frames(2)
    ui.app.end_session("reset")
    # Closed at once: no fade-out is left running that could end after the re-open (a
    # fading modal stays in the window, is_open, until its animation completes).
    assert not ui.app.overlay.is_open
    open_placeholder(ui)
    ui.app.overlay.show()
    assert ui.app.overlay.is_open  # at once too: no fade-in either
    ui.drain()
    assert ui.app.overlay.is_open and ui.find_all(key="inactivity.title")
    ui.app.overlay.hide()


def test_idle_attract_schedules_no_inactivity_checks(kiosk_ui):
    from kiosk.ui.inactivity import Phase

    ui = kiosk_ui
    assert ui.app.idle._poll_event is None
    # Only a session screen starts the timer, and only a running timer schedules a poll.
    ui.drain()
    assert ui.app.inactivity.phase is Phase.IDLE
    assert ui.app.idle._poll_event is None and ui.app.sm.current == "attract"


def test_escape_does_not_leave_the_kiosk(kiosk_ui):
    from kivy.base import EventLoop

    ui = kiosk_ui
    open_placeholder(ui)
    assert ui.press_key(27) is True  # swallowed (Kivy would close the window at once)
    ui.drain()
    assert not EventLoop.quit and EventLoop.status == "started"
    assert ui.app.sm.current == "placeholder"


def test_window_close_is_vetoed_unless_diagnostics_allow_it(kiosk_ui, monkeypatch):
    from kivy.base import EventLoop
    from kivy.core.window import Window

    ui = kiosk_ui
    assert Window.dispatch("on_request_close") is True
    assert Window.dispatch("on_request_close", source="keyboard") is True
    ui.drain()
    assert not EventLoop.quit
    monkeypatch.setattr(ui.app, "allow_close", True)
    # Only ask: actually closing would end the window for the other tests.
    assert not ui.app._on_request_close(Window)


def test_screenshot_is_the_drawn_window(kiosk_ui, tmp_path):
    from kivy.core.image import Image as CoreImage

    path = kiosk_ui.screenshot(tmp_path / "shot.png")
    img = CoreImage(str(path), keep_data=True)
    assert (img.width, img.height) == (1920, 1080)
    # Bottom-left corner is the page background (#F4F2EC), not black: the frame is drawn.
    r, g, b, _ = img.read_pixel(5, img.height - 5)
    assert abs(r - 0xF4 / 255) < 0.02 and abs(b - 0xEC / 255) < 0.02


def test_screens_are_built_once_on_first_use(kiosk_ui):
    from kivy.uix.screenmanager import Screen

    from kiosk.ui.screen_manager import KioskScreenManager

    built = []

    def make(name):
        built.append(name)
        return Screen(name=name)

    sm = KioskScreenManager({n: (lambda n=n: make(n)) for n in ("a", "b", "c")})
    assert sm.pending == ["a", "b", "c"] and sm.has_screen("b") and not built
    sm.current = "b"
    assert built == ["b"] and sm.current_screen.name == "b"
    assert sm.get_screen("b") is sm.current_screen and built == ["b"]
    sm.build_all()
    assert built == ["b", "a", "c"] and sm.pending == []
    assert kiosk_ui.app.screens_ready and not kiosk_ui.app.sm.pending


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("large", [False, True])
def test_shell_screens_fit_without_overlap(kiosk_ui, lang, large):
    from kiosk.ui.tour import Shot, layout_problems, stage

    ui = kiosk_ui
    for screen, state in (("attract", "default"), ("message", "error"),
                          ("placeholder", "default"), ("app", "inactivity-warning")):
        stage(ui.app, Shot(screen, state, lang, large_text=large))
        ui.pump_frames(4)
        assert layout_problems(ui) == [], (screen, state)
    ui.app.overlay.hide()


def test_crash_guard_shows_the_error_screen_and_gives_up_on_a_burst(kiosk_ui):
    from kivy.base import ExceptionManager

    from kiosk.ui.app import RecoverToErrorScreen

    ui = kiosk_ui
    open_placeholder(ui)
    guard = RecoverToErrorScreen(ui.app)  # not installed: the test loop stays loud
    assert guard.handle_exception(RuntimeError("boom")) == ExceptionManager.PASS
    screen = ui.wait_for_screen("message")
    assert screen.ids.title.text == translate("error.generic.title", "zh_CN")
    assert guard.handle_exception(KeyboardInterrupt()) == ExceptionManager.RAISE
    results = [guard.handle_exception(RuntimeError("again")) for _ in range(4)]
    assert results[-1] == ExceptionManager.RAISE and results[0] == ExceptionManager.PASS
    ui.pump_frames(3)


def test_attract_builds_no_back_or_home_button_until_a_screen_shows_one(kiosk_ui):
    # A label renders (and opens its font face) even off screen: the attract screen,
    # which shows neither button, must not make them.
    ui = kiosk_ui
    ui.app.go_home()
    ui.wait_for_screen("attract")
    assert ui.app.sm.get_screen("attract").frame.ids.nav._buttons == {}
    open_placeholder(ui)
    ui.pump_frames(2)  # laid out before the next frame
    nav = ui.app.sm.current_screen.frame.ids.nav
    # The placeholder shows back in the bar (its big home button is its own), with the
    # accessibility pair every cardholder screen has (the start screen has them in its
    # footer row, not in the bar).
    assert set(nav._buttons) == {"app.back", "access.call_staff", "access.low_reach"}
    assert ui.find(key="app.back").text == "返回" and nav.back_button.parent == nav
    ui.tap(key="app.back")
    ui.wait_for_screen("attract")


def test_warning_overlay_is_built_when_first_needed(kiosk_ui):
    from kiosk.ui.idle_watch import IdleWatch
    from kiosk.ui.inactivity import InactivityTimer

    made = []

    class Overlay:
        is_open = False
        seconds = 0

        def show(self):
            self.is_open = True

        def hide(self):
            self.is_open = False

    def make():
        made.append(Overlay())
        return made[-1]

    watch = IdleWatch(InactivityTimer(0.2, 5), lambda: None, make)
    watch.touch()
    watch.more_time()
    watch.stop()
    assert made == [] and not watch.overlay_open  # hiding a warning never built builds none
    watch.session_screen()
    kiosk_ui.wait_until(lambda: made and made[0].is_open, 3, "the warning")
    assert len(made) == 1 and watch.overlay_open
    watch.stop()
    assert not made[0].is_open and len(made) == 1
