"""Per-session release in a real window: what a session's data built (card rows, stage
lists, QR codes) is wiped at its end and reused by the next, so the widgets alive after
each session end stay at one count, and no QR texture outlives its session."""

from __future__ import annotations

import gc

import pytest

from kiosk.services.states import EndReason

pytestmark = pytest.mark.ui

# The screens that draw a session's data: cards, stages, receipts with QR codes.
DATA_SCREENS = ("pre_loss_cards", "status_progress", "pre_loss_done", "pre_loss_pending",
                "cancel_confirm", "essc_choose")


def widgets_alive() -> int:
    from kivy.uix.widget import Widget

    gc.collect()
    alive = 0
    for o in gc.get_objects():
        try:
            alive += isinstance(o, Widget)
        except ReferenceError:  # a Kivy weak proxy whose widget went while counting
            pass
    return alive


def test_session_widgets_are_released_at_session_end_and_stay_flat(kiosk_ui):
    ui = kiosk_ui
    app = ui.app

    def session() -> int:
        for name in DATA_SCREENS:
            screen = app.sm.get_screen(name)  # built on first use, then kept
            for render in screen.tour_states().values():  # every sample: most cards too
                render()
                app.idle.touch()  # someone is there: a slow run must not bring the warning
                ui.pump_frames(1)
        app.draw_home(EndReason.DONE)
        ui.pump_frames(2)
        for name in DATA_SCREENS:
            qr = app.sm.get_screen(name).ids.get("qr")
            assert qr is None or qr.texture is None, name  # no reference left drawn
        return widgets_alive()

    counts = [session() for _ in range(4)]
    assert app.sm.current == "attract"
    # The first session builds the screens and fills the row pools; later ones reuse.
    assert counts[1] == counts[2] == counts[3], counts


def test_session_end_gives_the_freed_c_heap_back_once_the_start_screen_is_up(
        kiosk_ui, monkeypatch):
    import kiosk.ui.app as app_module

    released: list[float] = []
    monkeypatch.setattr(app_module, "release_free_heap", lambda: released.append(1.0))
    ui = kiosk_ui
    for _ in range(3):  # sessions ending in quick succession: one release, not three
        ui.app.draw_home(EndReason.DONE)
        ui.pump_frames(1)
    assert released == []  # not while the start screen is being drawn
    ui.wait_until(lambda: released, timeout=5.0, what="the heap release after the session")
    assert released == [1.0] and not ui.app.release_heap.is_triggered  # none more pending
    assert ui.app.sm.current == "attract"
