"""The tour shoots the accessibility states in both languages and finds nothing wrong:
the focus ring (non-visual mode) on its samples, every cardholder screen in the
low-reach layout (everything in the lower half, nothing overlapping), and the staff
call panel in each of its phases. Screenshots go to ``$KIOSK_TOUR_DIR`` when set."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.ui


def test_focus_ring_low_reach_and_staff_call_shots_have_no_problems(kiosk_ui: Any) -> None:
    from kiosk.ui.tour import plan, run_tour

    ui = kiosk_ui
    shots = [s for s in plan(ui.app) if s.low_reach or s.focus
             or s.state.startswith("staff-call-")]
    langs = {s.lang for s in shots}
    assert langs == {"zh_CN", "en"}
    for lang in langs:
        mine = [s for s in shots if s.lang == lang]
        assert sum(s.focus for s in mine) >= 5
        assert {s.state for s in mine if s.screen == "app"} >= {
            "staff-call-sending", "staff-call-waiting", "staff-call-coming",
            "staff-call-unanswered", "staff-call-unreachable"}
        low = {s.screen for s in mine if s.low_reach}
        assert {"attract", "pre_loss", "identify_keypad", "cancel_pin", "pre_loss_cards",
                "pre_loss_done", "guide", "message"} <= low
        assert not any(name.startswith("diag_") for name in low)
    out = Path(os.environ.get("KIOSK_TOUR_DIR") or tempfile.mkdtemp(prefix="access-tour-"))
    rings: list[Any] = []
    original = ui.app.access.ring.follow

    def follow(widget: Any) -> None:
        original(widget)
        rings.append(ui.app.access.ring.box)

    ui.app.access.ring.follow = follow
    try:
        results = run_tour(ui, out, shots)
    finally:
        ui.app.access.ring.follow = original
    # As the journeys' tour test: a page's block cut at its foot is paged, not lost.
    problems = {k: [p for p in v if "scrolling" not in p] for k, v in results.items()}
    assert {k: v for k, v in problems.items() if v} == {}
    assert len(results) >= len(shots)
    assert rings and all(box is not None for box in rings)  # the ring drawn each time
