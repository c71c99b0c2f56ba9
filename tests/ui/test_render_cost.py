"""What a frame costs the software rasteriser: no full-window quad is drawn twice. The
screen manager has no stencil clip, the screen frame no background of its own (the
window's clear colour is the page background, in every palette), and the picture is
unchanged."""

from __future__ import annotations


def _instructions(canvas) -> list:
    return list(canvas.children) if canvas is not None else []


def test_no_stencil_on_the_screen_manager_and_no_frame_background(kiosk_ui):
    from kivy.core.window import Window
    from kivy.graphics import Rectangle, StencilPush

    sm = kiosk_ui.app.sm
    assert not any(isinstance(i, StencilPush) for i in _instructions(sm.canvas.before))
    assert _instructions(sm.canvas.after) == []
    frames = [w for w in sm.current_screen.walk() if type(w).__name__ == "ScreenFrame"]
    assert frames
    for f in frames:
        before = _instructions(f.canvas.before) if f.canvas.has_before else []
        assert not any(isinstance(i, Rectangle) and tuple(i.size) == tuple(Window.size)
                       for i in before)
    # Moving and resizing the manager (a kv binding to a removed instruction would fail).
    sm.pos, sm.size = (1, 1), (100, 100)
    kiosk_ui.pump_frames(2)
    sm.pos, sm.size = (0, 0), tuple(Window.size)
    kiosk_ui.pump_frames(2)


def test_the_window_is_cleared_to_the_page_background_in_every_palette(kiosk_ui, tmp_path):
    from kivy.core.image import Image as CoreImage
    from kivy.core.window import Window

    app = kiosk_ui.app
    try:
        for contrast in (False, True):
            app.high_contrast = contrast
            kiosk_ui.pump_frames(2)
            assert list(Window.clearcolor) == list(app.theme.bg)
            img = CoreImage(str(kiosk_ui.screenshot(tmp_path / f"{contrast}.png")),
                            keep_data=True)
            r, g, b, _ = img.read_pixel(5, img.height - 5)
            want = app.theme.bg
            assert max(abs(r - want[0]), abs(g - want[1]), abs(b - want[2])) < 0.02
    finally:
        app.high_contrast = False
        kiosk_ui.pump_frames(1)
