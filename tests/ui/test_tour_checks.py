"""The tour's checker on the real window: it reads what every label shows at the moment of
the shot and where pictures and buttons are drawn, so it catches what the cardholder
would see: a picture over a title or a header button, text wider than its button, a
placeholder left unformatted (the pager's "Page {page} of {count}" after a session end).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.ui


@pytest.fixture
def ui(kiosk_ui) -> Iterator[Any]:
    yield kiosk_ui
    kiosk_ui.app.large_text = False


def _problems(ui) -> list[str]:
    from kiosk.ui.tour import layout_problems

    ui.pump_frames(4)
    return layout_problems(ui)


def _stage(ui, screen: str, state: str, lang: str = "en", large: bool = False) -> None:
    from kiosk.ui.tour import Shot, stage

    stage(ui.app, Shot(screen, state, lang, large_text=large))
    ui.pump_frames(6)


def test_a_picture_over_a_header_button_is_found(ui) -> None:
    from kivy.core.window import Window
    from kivy.uix.image import Image

    from kiosk.ui.journeys.base import image_path

    _stage(ui, "guide", "default")
    assert _problems(ui) == []
    button = ui.find(key="app.high_contrast")
    bx, by = button.to_window(button.x, button.y)
    picture = Image(source=image_path("guidance_id_card.png"), size_hint=(None, None),
                    fit_mode="fill", pos=(bx - 40, by), size=button.size)
    Window.add_widget(picture)   # drawn on top, where a layout fault would put it
    try:
        problems = _problems(ui)
    finally:
        Window.remove_widget(picture)
    assert any(p.startswith("picture over button") and "High contrast" in p
               for p in problems), problems


def test_text_wider_than_its_button_is_found(ui) -> None:
    _stage(ui, "guide", "default")
    home = ui.find(key="app.home")
    old = home.text_size
    home.key, home.text = "", "A very long word " * 12
    home.text_size = (None, None)   # one line, wider than the button
    try:
        problems = _problems(ui)
    finally:
        home.text_size = old
        home.key = "app.home"
    assert any(p.startswith("text outside its box") for p in problems), problems


@pytest.mark.parametrize("screen,state", [("status_progress", "ready"),
                                          ("status_progress", "mailed"),
                                          ("cancel_done", "default")])
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_pager_shows_its_numbers_after_a_session_end(ui, screen, state, lang) -> None:
    """A session's end wipes shown values; the pager's page count is not data and must
    come back formatted on the next showing (it stayed "Page {page} of {count}")."""
    from kiosk.ui.widgets.pager import PagerBar

    for large in (False, True, True):   # the same screen again after a session end
        _stage(ui, screen, state, lang, large)
        bars = [w for w in ui.app.sm.current_screen.walk(restrict=True)
                if isinstance(w, PagerBar) and w.count > 1]
        for bar in bars:
            assert "{" not in bar.ids.where.text and str(bar.count) in bar.ids.where.text
        assert not [p for p in _problems(ui) if "placeholder" in p], (large, _problems(ui))


def test_an_unformatted_placeholder_anywhere_is_found(ui) -> None:
    _stage(ui, "guide", "default")
    label = ui.find(key="app.home")
    label.key, label.text = "", "Call {hotline}"
    try:
        problems = _problems(ui)
    finally:
        label.key = "app.home"
    assert "unformatted placeholder: 'Call {hotline}'" in problems


def test_the_identify_screen_in_english_large_text_has_nothing_over_its_title(ui) -> None:
    for state in ("default", "essc", "essc_unavailable"):
        for lang in ("zh_CN", "en"):
            _stage(ui, "pre_loss", state, lang, large=True)
            assert _problems(ui) == [], (state, lang)


def _paged(ui):
    from kiosk.ui.widgets.pager import PagedView

    return [w for w in ui.app.sm.current_screen.walk(restrict=True)
            if isinstance(w, PagedView)]


def test_the_next_session_starts_on_the_first_page(ui) -> None:
    """A new person never lands on the page the last one left open."""
    _stage(ui, "pre_loss_done", "printed", "en", large=True)
    view = _paged(ui)[0]
    assert view.count > 1
    while view.turn(1):
        pass
    ui.pump_frames(2)
    assert view.page == view.count - 1
    _stage(ui, "pre_loss_done", "printed", "en", large=True)   # after a session end
    assert view.page == 0 and "Page 1 of" in view._bar.ids.where.text


def test_words_that_fit_without_the_pager_are_one_page(ui) -> None:
    _stage(ui, "pre_loss_pending", "default", "en")
    assert [v.count for v in _paged(ui)] == [1]
    assert _problems(ui) == []


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("large", [False, True])
def test_the_fee_is_seen_before_stop_this_card(ui, lang, large) -> None:
    _stage(ui, "pre_loss_consequences", "default", lang, large)
    screen = ui.app.sm.current_screen
    assert ui.is_visible(screen.ids.fee) and "20" in screen.ids.fee.text
    assert all(v.page == 0 for v in _paged(ui))   # on the first page, beside the button
    assert ui.is_visible(screen.ids.confirm)


LAPSE = "请在2026-12-05之前到服务网点办理正式挂失和补卡。过了这一天，临时挂失会自动失效。"


def test_a_chinese_word_cut_for_its_last_character_is_found_and_ours_are_not(ui) -> None:
    """Kivy breaks only at spaces: the lapse sentence ended on a line of its own "。"
    (or "效。"). The checker reads the lines as laid out; a KLabel breaks them itself."""
    from kivy.core.window import Window
    from kivy.uix.label import Label

    from kiosk.ui.widgets.text import KLabel

    _stage(ui, "guide", "default", "zh_CN")
    font = ui.find(key="app.home").font_name
    widths = [w for w in range(480, 720, 8)]   # some of them cut the sentence badly
    found_one = False
    for width in widths:
        plain = Label(text=LAPSE, font_name=font, font_size=30, text_size=(width, None),
                      size_hint=(None, None), size=(width, 200), pos=(50, 300))
        ours = KLabel(text=LAPSE, font_name=font, font_size=30, size_hint=(None, None),
                      width=width, pos=(50, 600))
        Window.add_widget(plain)
        Window.add_widget(ours)
        try:
            problems = _problems(ui)
        finally:
            Window.remove_widget(plain)
            Window.remove_widget(ours)
        found_one |= any(p.startswith("a word cut") or p.startswith("line starts with")
                         for p in problems)
        assert not [p for p in problems if "'" + ours.drawn_lines[-1] + "'" in p], \
            ours.drawn_lines
        assert "".join(ours.drawn_lines) == LAPSE and ours.text == LAPSE
        assert len(ours.drawn_lines[-1].rstrip("。")) >= 4 or len(ours.drawn_lines) == 1
    assert found_one, "Kivy's own breaking never cut the sentence badly at these widths"
