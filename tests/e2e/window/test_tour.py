"""Every journey screen in every sample state, in both languages: no missing text.

Screenshots go to ``$KIOSK_TOUR_DIR`` when set (look at them; commit none)."""

from __future__ import annotations

import os
from pathlib import Path

from kiosk.ui.screens.journey_screens import JOURNEY_SCREENS
from tests.e2e.window.conftest import Journey


def test_every_journey_screen_state_renders_in_both_languages(journey: Journey) -> None:
    j = journey
    out = os.environ.get("KIOSK_TOUR_DIR")
    seen = 0
    for spec in JOURNEY_SCREENS:
        screen = j.app.sm.get_screen(spec.name)
        for state_name, show in screen.tour_states().items():
            for lang in ("zh_CN", "en"):
                j.app.set_language(lang)
                if j.app.sm.current != spec.name:
                    j.app.go(spec.name, bridge=True)
                show()
                j.ui.pump_frames(3)
                text = j.texts()
                assert "[journeys." not in text and "[guidance." not in text, \
                    (spec.name, state_name, lang, text)
                if out:
                    j.ui.screenshot(Path(out) / f"{spec.name}-{state_name}-{lang}.png")
                seen += 1
    assert seen >= 2 * len(JOURNEY_SCREENS)
