"""Every journey screen in every sample state, in both languages and in the large-text and
high-contrast modes: no missing text, nothing outside the screen's content area.

Screenshots go to ``$KIOSK_TOUR_DIR`` when set (look at them; commit none)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kiosk.config import load_settings
from kiosk.ui.journeys.samples import samples_for
from kiosk.ui.registry import JOURNEY_SCREENS, ScreenSpec
from tests.e2e.window.conftest import Journey

RAW = re.compile(r"\{\w*\}")  # a placeholder that reached the screen
ZH_SPACE = re.compile(r"[。，；：！？、）] ")  # sentences joined with an ASCII space
MODES = {"normal": (False, False), "large": (True, False), "contrast": (False, True)}
STATES_PER_TEST = 12  # sample states per test: the tour runs as a few tests side by side


def _cases() -> list:
    """The journey screens in registry order, packed into tests of at most
    STATES_PER_TEST sample states; a screen with more is toured in parts (part i of n:
    its states i, i+n, …, so the parts cover them all whatever the count at run time)."""
    settings = load_settings(environ={})
    cases, group, size = [], [], 0

    def flush() -> None:
        nonlocal group, size
        if group:
            cases.append(pytest.param(group, id="+".join(s.name for s, _, _ in group)))
        group, size = [], 0

    for spec in JOURNEY_SCREENS:
        count = max(1, len(samples_for(spec.name, settings)))
        parts = -(-count // STATES_PER_TEST)
        if parts > 1:
            cases += [pytest.param([(spec, i, parts)], id=f"{spec.name}-{i + 1}of{parts}")
                      for i in range(parts)]
            continue
        if size + count > STATES_PER_TEST:
            flush()
        group.append((spec, 0, 1))
        size += count
    flush()
    return cases


@pytest.mark.parametrize("screens", _cases())
def test_every_journey_screen_state_renders(journey: Journey,
                                            screens: list[tuple[ScreenSpec, int, int]]) -> None:
    """A few journey screens (or a part of a big one) per test: they run side by side on
    the suite's workers, each well within the per-test time limit."""
    from kiosk.ui.tour import layout_problems

    j = journey
    out = os.environ.get("KIOSK_TOUR_DIR")
    problems = []
    for spec, part, parts in screens:
        seen = 0
        screen = j.app.sm.get_screen(spec.name)
        states = list(screen.tour_states().items())
        for state_name, show in states[part::parts]:
            for lang in ("zh_CN", "en"):
                # Every state in normal mode; the first state of a screen in each mode.
                modes = MODES if state_name == states[0][0] else {"normal": MODES["normal"]}
                for mode, (large, contrast) in modes.items():
                    j.app.set_language(lang)
                    j.app.large_text, j.app.high_contrast = large, contrast
                    if j.app.sm.current != spec.name:
                        j.app.go(spec.name)
                    show()
                    j.ui.pump_frames(4)
                    text = j.texts()
                    assert "[journeys." not in text and "[guidance." not in text, \
                        (spec.name, state_name, lang, text)
                    assert not RAW.search(text), ("raw placeholder", spec.name, state_name,
                                                  lang, text)
                    if lang == "zh_CN":
                        assert not ZH_SPACE.search(text), ("ASCII space after Chinese "
                                                           "punctuation", spec.name, text)
                    problems += [f"{spec.name}/{state_name}/{lang}/{mode}: {p}"
                                 for p in layout_problems(j.ui) if "scrolling" not in p]
                    if out:
                        j.ui.screenshot(Path(out) /
                                        f"{spec.name}-{state_name}-{lang}-{mode}.png")
                    seen += 1
        assert seen >= 2 or part >= len(states), spec.name  # its states, both languages
    j.app.large_text = j.app.high_contrast = False
    assert problems == [], "\n".join(problems)
