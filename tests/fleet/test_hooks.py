"""The agent joined to a journey controller (kiosk/fleet/hooks.py, as the composition
root builds it: kiosk/composition/fleet.py), headless: a config overlay waits while a
cardholder is mid-journey and reaches the controller at the next return home; pause and
resume become its intents."""

from __future__ import annotations

from kiosk.composition.diagnostics import diagnostics_context
from kiosk.composition.fleet import build_fleet_agent
from kiosk.services.controller import JourneyController
from kiosk.services.states import EndReason, Step
from kiosk.services.tasks import QueueDispatcher
from tests.services.fakes import FakeCentral


def test_config_at_the_next_idle_moment_and_pause_resume(sandbox, terminals):
    t = terminals("T-HOOKS-0001")
    dispatch = QueueDispatcher()
    ctl = JourneyController(t.settings, FakeCentral(), dispatch)
    agent = build_fleet_agent(t.settings, dispatch, ctl, t.client,
                              context=lambda: diagnostics_context(t.settings))
    try:
        agent.beat()
        ctl.start("guidance")  # someone is using the kiosk
        sent = sandbox.admin("POST", "/fleet/terminals/T-HOOKS-0001/config",
                             json={"overlay": {"region": {"hotline": "12333"}}})
        agent.beat()
        dispatch.run_pending()
        assert ctl.settings.region.hotline == "96102"  # not mid-session
        assert agent.overlay.version == 0
        ctl.end(EndReason.DONE)  # home: the agent is poked
        agent.handle_inbox()  # what the poked thread does
        dispatch.run_pending()
        assert ctl.settings.region.hotline == "12333" and agent.overlay.version == 1
        agent.beat()
        row = t.register(sandbox)
        assert next(d for d in row["directives"] if d["id"] == sent["id"])["outcome"] \
            == "applied"

        sandbox.admin("POST", "/fleet/terminals/T-HOOKS-0001/pause",
                      json={"reason": "outlet_closed", "guidance_readable": False})
        agent.beat()
        dispatch.run_pending()
        assert ctl.state.step == Step.OUT_OF_SERVICE
        assert ctl.state.view.reason == "outlet_closed"
        assert ctl.state.view.hotline == "12333"  # the site's settings at pause time
        sandbox.admin("POST", "/fleet/terminals/T-HOOKS-0001/resume")
        agent.beat()
        dispatch.run_pending()
        assert ctl.state.step == Step.HOME
    finally:
        agent.stop()
        agent.client.close()
        ctl.shutdown()
