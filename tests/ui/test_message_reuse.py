"""The message screen does not pile up bindings across sessions (buttons reused, the
paged view binds its content once)."""

from __future__ import annotations


def test_message_screen_sessions_leave_no_bindings_behind(kiosk_ui):
    from kiosk.ui.screens.message import MessageButton, MessageSpec

    ui = kiosk_ui
    app = ui.app
    pressed: list[int] = []
    spec = MessageSpec("error.generic.title", "error.generic.body", "error.generic.next",
                       buttons=(MessageButton("app.retry", lambda: pressed.append(1)),
                                MessageButton("app.home", "home", "secondary")))

    def one_session() -> None:
        app.show_message(spec)
        ui.wait_for_screen("message")
        ui.pump_frames(2)
        app.go_home()
        ui.wait_for_screen("attract")

    one_session()  # warm up: the pool and the kv rules are in place
    screen = app.sm.get_screen("message")
    content = screen.ids.body.parent  # the blocks the paged view shows

    def observers() -> int:
        return (len(content.get_property_observers("height"))
                + len(content.get_property_observers("children")))

    lang_before = len(app.get_property_observers("lang"))
    bound_before = observers()
    buttons_before = list(screen.ids.buttons.children)
    for _ in range(15):
        one_session()
    assert len(app.get_property_observers("lang")) == lang_before
    assert observers() == bound_before
    assert screen.ids.buttons.children == buttons_before  # the same buttons, reused

    # Reused buttons still do what the current spec says.
    app.show_message(spec)
    ui.wait_for_screen("message")
    ui.tap(key="app.retry")
    assert pressed == [1]
    ui.tap(ui.find(key="app.home", root=screen.ids.buttons))
    ui.wait_for_screen("attract")
