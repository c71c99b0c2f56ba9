"""Pages instead of scrolling: the page cuts (pure), the paged screens on a real window
(every block seen whole exactly once, big next/previous buttons), the technician's
settings without absolute paths, and a tour plan that covers large text."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.config import load_settings
from kiosk.personas import load_personas
from kiosk.ui.widgets.pager import Pages, page_starts


def test_page_starts_cut_at_block_boundaries() -> None:
    blocks = [(0, 100), (120, 220), (240, 340), (360, 460)]
    assert page_starts(blocks, 1000) == [0]
    assert page_starts(blocks, 230) == [0, 240]
    assert page_starts(blocks, 100) == [0, 120, 240, 360]


def test_a_block_taller_than_the_view_gets_a_page_of_its_own() -> None:
    assert page_starts([(0, 50), (60, 500), (510, 560)], 100) == [0, 60, 510]


def test_grid_rows_share_their_top_and_turn_together() -> None:
    grid = [(0, 100), (0, 100), (110, 210), (110, 210), (220, 320)]
    assert page_starts(grid, 215) == [0, 220]
    assert page_starts([], 100) == [0.0]


def test_pages_arithmetic() -> None:
    p = Pages(total=7, per_page=3)
    assert p.count == 3 and list(p.window()) == [0, 1, 2]
    assert p.turn(1) and p.turn(1) and list(p.window()) == [6]
    assert not p.turn(1) and p.page == 2
    assert not Pages(total=0, per_page=3).turn(1) and Pages().count == 1


def test_config_lines_show_no_absolute_data_dir(kiosk_ui, tmp_path: Path) -> None:
    from kiosk.ui.screens.diag_config import DATA_MARK, shown_lines

    settings = load_settings(None)
    settings = replace(settings, kiosk=replace(settings.kiosk, data_dir=str(tmp_path / "d")))
    lines = shown_lines(settings)
    text = "\n".join(lines)
    assert str(tmp_path) not in text and f'kiosk.data_dir = "{DATA_MARK}"' in lines
    from kiosk.config import REPO_ROOT

    assert str(REPO_ROOT) not in text


def test_a_persona_with_many_cards_exists() -> None:
    most = max(len(p.get("central", {}).get("cards", [])) for p in load_personas().values())
    assert most >= 6


def _pager_of(screen):
    from kiosk.ui.widgets.pager import PagedView

    return next(w for w in screen.walk(restrict=True) if isinstance(w, PagedView))


@pytest.mark.parametrize("large", [False, True])
def test_the_longest_card_list_pages_and_every_card_is_seen_whole_once(kiosk_ui, large):
    from kiosk.ui.tour import Shot, layout_problems, stage

    ui = kiosk_ui
    stage(ui.app, Shot("pre_loss_cards", "most_cards", "en", large_text=large))
    ui.pump_frames(6)
    screen = ui.app.sm.current_screen
    view = _pager_of(screen)
    rows = [r for r in reversed(screen.ids.cards.children) if hasattr(r, "token")]  # cards
    seen: list[int] = []
    for page in range(view.count):
        assert view.page == page and layout_problems(ui) == [], page
        seen += [i for i, r in enumerate(rows) if ui.is_visible(r)]
        bar = view._bar
        assert ui.is_visible(bar.ids.next) == (page < view.count - 1)
        if page < view.count - 1:
            ui.tap(bar.ids.next)
            ui.pump_frames(3)
    cards = max(len(p.get("central", {}).get("cards", [])) for p in load_personas().values())
    assert sorted(seen) == list(range(cards)) and view.count > 1
    ui.tap(view._bar.ids.previous)
    ui.pump_frames(3)
    assert view.page == view.count - 2
    # A new list starts on its first page.
    stage(ui.app, Shot("pre_loss_cards", "mixed", "en", large_text=large))
    ui.pump_frames(6)
    assert _pager_of(ui.app.sm.current_screen).page == 0
    ui.app.large_text = False


def test_tour_plan_shoots_every_state_in_large_text_too(kiosk_ui) -> None:
    from kiosk.ui.tour import plan

    shots = plan(kiosk_ui.app, ("en",))
    normal = {(s.screen, s.state) for s in shots if not s.large_text and not s.high_contrast}
    large = {(s.screen, s.state) for s in shots if s.large_text}
    assert normal == large and ("pre_loss_cards", "most_cards") in large


@pytest.mark.parametrize("keep", [True, False])
def test_a_heading_never_ends_a_page(kiosk_ui, keep: bool) -> None:
    """A heading (KLabel keep_with_next) that would be the last line of a page turns
    the page with the block after it; unmarked, the same label stays behind (so the
    mark is what moves it). The done screen's 'What to do next' was cut this way."""
    from kivy.core.window import Window
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.widget import Widget

    from kiosk.ui.widgets.pager import PagedView
    from kiosk.ui.widgets.text import KLabel

    ui = kiosk_ui
    view = PagedView(size_hint=(None, None), size=(800, 520), pos=(40, 40))
    box = BoxLayout(orientation="vertical", size_hint_y=None)
    box.bind(minimum_height=box.setter("height"))
    first, steps = Widget(size_hint_y=None, height=300), Widget(size_hint_y=None, height=200)
    heading = KLabel(text="What to do next", role="title", keep_with_next=keep)
    for block in (first, heading, steps):
        box.add_widget(block)
    view.add_widget(box)
    Window.add_widget(view)
    try:
        ui.wait_until(lambda: view.count == 2 and heading.height > 0, 10, "two pages")
        assert view.page == 0 and first.opacity == 1 and steps.opacity == 0
        assert (heading.opacity == 0) == keep   # on page 1 only when unmarked
        view.turn(1)
        ui.pump_frames(2)
        assert steps.opacity == 1 and first.opacity == 0
        assert (heading.opacity == 1) == keep   # with its steps when marked
    finally:
        Window.remove_widget(view)
