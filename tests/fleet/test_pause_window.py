"""Pause in a real window: the parts come from the composition root (the fleet agent
included, heartbeating the real sandbox), a cardholder is mid pre-loss when the centre
pauses the terminal; the journey finishes, then the out-of-service screen; the register
shows the pause acknowledged; resume brings the start screen back."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.e2e.window.conftest import Journey


def _row(j: Journey) -> dict:
    terminal = j.settings.kiosk.terminal_id
    return next((t for t in j.sandbox.admin("GET", "/fleet/terminals")["terminals"]
                 if t["terminal_id"] == terminal), {})


def test_pause_mid_journey_then_out_of_service_then_resume(journey: Journey,
                                                           tmp_path: Path) -> None:
    j = journey
    agent = j.parts.fleet
    assert agent is not None, "the composition root builds the fleet agent"
    terminal = j.settings.kiosk.terminal_id
    # The agent's thread sent its first heartbeat on start: the register knows us.
    j.ui.wait_until(lambda: _row(j).get("version"), 10, "first heartbeat")
    assert set(_row(j)["parts"]) >= {"readers", "printer", "outbox", "clock"}

    j.ui.tap(key="attract.pre_loss")
    j.screen("pre_loss")
    j.slots.insert("normal", "id")
    j.screen("pre_loss_cards")
    j.sandbox.admin("POST", f"/fleet/terminals/{terminal}/pause",
                    json={"reason": "maintenance", "guidance_readable": True})
    assert agent.beat() is not None
    j.ui.wait_until(lambda: j.ctl.out_of_service.view is not None, 5,
                    "the pause handed to the controller")
    j.ui.drain()
    assert j.app.sm.current == "pre_loss_cards"  # never interrupts the cardholder
    j.tap(key="journeys.cards.choose")
    j.screen("pre_loss_consequences")
    j.tap(key="journeys.consequences.confirm")
    j.screen("pre_loss_done")
    assert [r["card_number"] for r in j.new_pre_losses()] == ["X00000019"]
    j.tap(key="app.done")
    j.screen("out_of_service")
    texts = j.texts()
    assert "暂停服务" in texts and "本机正在维护" in texts
    assert j.settings.region.hotline in texts
    assert j.shown(key="fleet.paused.guidance_button")
    assert j.ctl.session.is_empty()
    shot = tmp_path / "out_of_service.png"
    j.ui.screenshot(shot)
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("KIOSK_PAUSE_PNG")
    if keep:
        shutil.copy(shot, keep)
    # No journey from here; guidance opens and comes back here.
    j.ctl.start("pre_loss")
    assert j.ctl.state.step == "out_of_service"  # refused at once, by the controller
    j.ui.drain()
    assert j.app.sm.current == "out_of_service"
    j.tap(key="fleet.paused.guidance_button")
    j.screen("guide")
    j.app.go_home()
    j.screen("out_of_service")

    agent.beat()  # carries the ack
    row = _row(j)
    assert row["paused"] is True
    assert (row["directives"][0]["state"], row["directives"][0]["outcome"]) == \
        ("acknowledged", "applied")

    j.sandbox.admin("POST", f"/fleet/terminals/{terminal}/resume")
    agent.beat()
    j.screen("attract")
    j.ui.tap(key="attract.status")  # journeys start again (the ID card still lies there)
    j.ui.wait_until(lambda: j.app.sm.current in ("status", "status_progress"), 8,
                    "the status journey")
    agent.beat()
    assert _row(j)["paused"] is False
