"""A real pcscd restart while the pre-loss journey waits for the ID card: the red
"card reading is not available" screen must not flash. Every screen the window shows is
recorded; the sequence must have no failure screen, and the card is read afterwards.
(The grace is set long here so a loaded machine's slow restart still fits in it: the
test is about what is shown, not how fast pcscd comes back.)"""

from __future__ import annotations

import dataclasses

from tests.e2e.window.conftest import Journey
from tests.fixtures.polling import until


def test_a_pcscd_restart_at_a_card_step_shows_no_failure(journey: Journey) -> None:
    j = journey
    ctl = j.ctl
    ctl.settings = dataclasses.replace(ctl.settings, session=dataclasses.replace(
        ctl.settings.session, reader_grace_seconds=30))
    j.open_pre_loss()
    shown: list[str] = []
    j.app.sm.bind(current=lambda _sm, name: shown.append(name))
    j.pcscd.kill()
    j.ui.wait_until(lambda: j.parts.hub.snapshot().get("service") == "down", 10,
                    "the hub sees the service go")
    j.pcscd.start()
    j.ui.wait_until(lambda: j.parts.hub.snapshot().get("service") == "up"
                    and len(j.parts.hub.snapshot().get("readers", {})) >= 2, 20,
                    "the service and both readers back")
    j.ui.pump_frames(5)
    assert "journey_failure" not in shown, shown
    assert j.app.sm.current == "pre_loss"
    j.slots.insert("normal", "id")
    j.screen("pre_loss_cards")


def test_a_pcscd_that_stays_down_is_said_after_the_grace(journey: Journey) -> None:
    j = journey
    ctl = j.ctl
    ctl.settings = dataclasses.replace(ctl.settings, session=dataclasses.replace(
        ctl.settings.session, reader_grace_seconds=0.5))
    j.open_pre_loss()
    j.pcscd.kill()
    j.failure("reader_service", 15)
    j.pcscd.start()
    until(lambda: j.parts.hub.snapshot().get("service") == "up", 20, "service back")
    j.screen("pre_loss", 20)   # the screen follows the service back
