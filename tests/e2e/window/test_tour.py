"""Every journey screen in every sample state, in both languages and in the large-text and
high-contrast modes: no missing text, nothing outside the screen's content area.

Screenshots go to ``$KIOSK_TOUR_DIR`` when set (look at them; commit none)."""

from __future__ import annotations

import os
from pathlib import Path

from kiosk.ui.registry import JOURNEY_SCREENS
from tests.e2e.window.conftest import Journey

MODES = {"normal": (False, False), "large": (True, False), "contrast": (False, True)}


def test_every_journey_screen_state_renders(journey: Journey) -> None:
    from kiosk.ui.tour import layout_problems

    j = journey
    out = os.environ.get("KIOSK_TOUR_DIR")
    seen, problems = 0, []
    for spec in JOURNEY_SCREENS:
        screen = j.app.sm.get_screen(spec.name)
        for state_name, show in screen.tour_states().items():
            for lang in ("zh_CN", "en"):
                # Every state in normal mode; the first state of a screen in each mode.
                modes = MODES if state_name == next(iter(screen.tour_states())) \
                    else {"normal": MODES["normal"]}
                for mode, (large, contrast) in modes.items():
                    j.app.set_language(lang)
                    j.app.large_text, j.app.high_contrast = large, contrast
                    if j.app.sm.current != spec.name:
                        j.app.go(spec.name, bridge=True)
                    show()
                    j.ui.pump_frames(4)
                    text = j.texts()
                    assert "[journeys." not in text and "[guidance." not in text, \
                        (spec.name, state_name, lang, text)
                    problems += [f"{spec.name}/{state_name}/{lang}/{mode}: {p}"
                                 for p in layout_problems(j.ui) if "scrolling" not in p]
                    if out:
                        j.ui.screenshot(Path(out) / f"{spec.name}-{state_name}-{lang}-{mode}.png")
                    seen += 1
    j.app.large_text = j.app.high_contrast = False
    assert seen >= 2 * len(JOURNEY_SCREENS)
    assert problems == [], "\n".join(problems)
