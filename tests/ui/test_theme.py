"""Theme tokens: WCAG contrast of every text/background pair, type and target sizes."""

from __future__ import annotations

import pytest

from kiosk.ui.theme import (
    LARGE_TEXT_SCALE,
    MIN_TARGET_MM,
    MIN_TEXT_CONTRAST,
    PALETTES,
    PX_PER_MM,
    TEXT_PAIRS,
    Metrics,
    contrast_ratio,
    ui_scale_for,
)


def test_contrast_formula_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("palette", list(PALETTES.values()), ids=list(PALETTES))
@pytest.mark.parametrize("fg,bg", TEXT_PAIRS)
def test_every_text_pair_reaches_7_to_1(palette, fg, bg):
    ratio = contrast_ratio(getattr(palette, fg), getattr(palette, bg))
    assert ratio >= MIN_TEXT_CONTRAST, f"{palette.name}: {fg} on {bg} is {ratio:.2f}:1"


def test_every_text_colour_is_checked_against_its_background():
    text_tokens = {f for f, _ in TEXT_PAIRS}
    for name in PALETTES["normal"].__dataclass_fields__:
        if name.endswith("_text") or name in ("text", "text_muted"):
            assert name in text_tokens, f"{name} is not in TEXT_PAIRS"


def test_type_sizes_at_1080p():
    m = Metrics().scaled(ui_scale_for(1920, 1080), 1.0)
    assert m.font_small >= 28 and m.font_body >= 28
    assert m.font_title > m.font_body and m.font_heading > m.font_title
    assert m.font_display > m.font_heading


def test_touch_targets_are_at_least_15_mm_and_we_prefer_96_px():
    assert PX_PER_MM == pytest.approx(1920 / 476, rel=0.02)
    m = Metrics()
    assert m.target_min == pytest.approx(MIN_TARGET_MM * PX_PER_MM)
    assert m.target >= 96 and m.target >= m.target_min
    assert m.tile_height >= m.target and m.header_height >= m.target


def test_large_text_scales_type_by_at_least_a_quarter():
    assert LARGE_TEXT_SCALE >= 1.25
    normal, large = Metrics().scaled(1.0, 1.0), Metrics().scaled(1.0, LARGE_TEXT_SCALE)
    assert large.font_body >= normal.font_body * 1.25
    assert large.target >= normal.target


def test_portrait_panel_keeps_the_same_sizes():
    assert ui_scale_for(1080, 1920) == ui_scale_for(1920, 1080) == 1.0
