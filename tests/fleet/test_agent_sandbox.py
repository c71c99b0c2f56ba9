"""Fleet agents heartbeating against the real sandbox over HTTP: the register, pause and
resume with acknowledgements, directives never applied twice, and the contract's
guards (a terminal speaks only for itself; unknown terminals; refused shapes)."""

from __future__ import annotations

import pytest
import requests

from kiosk import __version__, metrics
from kiosk.central import schemas_fleet as f
from kiosk.central.errors import CentralRefused
from tests.fixtures.polling import until


def test_two_terminals_appear_in_the_register_with_version_and_parts(sandbox, terminals):
    a, b = terminals("T-FLEET-A01"), terminals("T-FLEET-B01")
    assert a.agent.beat() is not None
    assert b.agent.beat() is not None
    assert a.agent.beat() is not None
    listed = {t["terminal_id"]: t for t in
              sandbox.admin("GET", "/fleet/terminals")["terminals"]}
    assert set(listed) >= {"T-FLEET-A01", "T-FLEET-B01"}
    ra, rb = listed["T-FLEET-A01"], listed["T-FLEET-B01"]
    assert ra["heartbeats"] == 2 and rb["heartbeats"] == 1
    for row in (ra, rb):
        assert row["version"] == __version__
        assert row["config_version"] == 0 and row["site"] == "medical"
        assert set(row["parts"]) == set(f.Parts.model_fields)
        assert row["parts"]["printer"] == {"light": "ok", "code": "not_configured",
                                           "paper": "none"}
        assert row["parts"]["outbox"]["light"] == "ok"
        assert row["parts"]["outbox"]["depth"] == 0
        assert row["parts"]["speech"]["code"] == "disabled"
        assert row["first_seen"] <= row["last_seen"]
    # The second heartbeat measured the clock from the first answer.
    assert ra["parts"]["clock"]["light"] == "ok"
    assert abs(ra["parts"]["clock"]["skew_seconds"]) < 5
    assert rb["parts"]["clock"]["light"] == "unknown"


def test_pause_is_taken_acknowledged_and_resumed(sandbox, terminals):
    a, b = terminals("T-FLEET-A02"), terminals("T-FLEET-B02")
    a.agent.beat(), b.agent.beat()
    sent = sandbox.admin("POST", "/fleet/terminals/T-FLEET-A02/pause",
                         json={"reason": "maintenance", "guidance_readable": False})
    assert a.register(sandbox)["directives"][0]["state"] == "pending"
    answer = a.agent.beat()
    assert [d.id for d in answer.directives] == [sent["id"]]
    assert [e[0] for e in a.events] == ["pause"]
    pause = a.events[0][1]
    assert pause.reason is f.PauseReason.MAINTENANCE and pause.guidance_readable is False
    assert a.agent.paused is not None
    b.agent.beat()
    assert b.events == []  # only the terminal it was meant for
    a.agent.beat()  # carries the ack
    row = a.register(sandbox)
    assert row["paused"] is True
    assert row["directives"][0] | {"state": "acknowledged", "outcome": "applied"} \
        == row["directives"][0]
    sandbox.admin("POST", "/fleet/terminals/T-FLEET-A02/resume")
    a.agent.beat()
    a.agent.beat()
    assert [e[0] for e in a.events] == ["pause", "resume"]
    row = a.register(sandbox)
    assert row["paused"] is False
    assert [d["state"] for d in row["directives"]] == ["acknowledged", "acknowledged"]


def test_a_pause_survives_a_restart_of_the_terminal(sandbox, terminals, tmp_path):
    a = terminals("T-FLEET-A03")
    a.agent.beat()
    sandbox.admin("POST", "/fleet/terminals/T-FLEET-A03/pause",
                  json={"reason": "central_migration"})
    a.agent.beat()
    again = terminals("T-FLEET-A03")  # same config and data dir: a restart
    again.agent.start()
    again.agent.stop()
    assert again.events and again.events[0][0] == "pause"
    assert again.events[0][1].reason is f.PauseReason.CENTRAL_MIGRATION


def test_the_agent_thread_heartbeats_on_its_interval(sandbox, terminals):
    a = terminals("T-FLEET-A04")
    a.agent.start()
    until(lambda: a.agent.beats_answered >= 2, 15, "two heartbeats answered")
    a.agent.stop()
    assert a.agent.beats_answered >= 2  # heartbeat_seconds = 5: first at once, then 5 s


def test_counts_since_the_last_answered_heartbeat(sandbox, terminals):
    a = terminals("T-FLEET-A05")
    a.agent.beat()
    metrics.journey("pre_loss", "started")
    metrics.journey("pre_loss", "confirmed")
    metrics.journey("status", "started")
    metrics.error("central_offline")
    metrics.error("card_removed")
    metrics.error("card_removed")
    counts = a.agent.report().counts
    assert counts.sessions_started == {"pre_loss": 1, "status": 1}
    assert counts.sessions_finished == {"pre_loss": 1}
    assert counts.failures == {"central_offline": 1, "card_removed": 2}
    a.agent.beat()
    row = a.register(sandbox)
    assert row["counts"]["failures"] == {"central_offline": 1, "card_removed": 2}
    assert a.agent.report().counts.failures == {}  # committed once the centre had them


def test_a_terminal_cannot_heartbeat_for_another(sandbox, terminals):
    a, b = terminals("T-FLEET-A06"), terminals("T-FLEET-B06")
    hb = a.agent.report().model_copy(update={"terminal_id": "T-FLEET-B06"})
    with pytest.raises(CentralRefused) as err:
        a.client.fleet_heartbeat(hb)
    assert err.value.status == 403
    assert all(t["terminal_id"] != "T-FLEET-B06"
               for t in sandbox.admin("GET", "/fleet/terminals")["terminals"])
    del b


def test_admin_refuses_unknown_terminals_and_bad_reasons(sandbox, terminals):
    a = terminals("T-FLEET-A07")
    a.agent.beat()
    headers = {"Authorization": f"Bearer {sandbox.admin_token}"}
    base = f"{sandbox.admin_url}/admin/fleet/terminals"
    assert requests.post(f"{base}/T-NOBODY/pause", json={"reason": "maintenance"},
                         headers=headers, timeout=5).status_code == 404
    assert requests.post(f"{base}/T-FLEET-A07/pause", json={"reason": "lunch"},
                         headers=headers, timeout=5).status_code == 422
    # A config overlay whose shape the terminal would refuse to parse never leaves.
    bad = requests.post(f"{base}/T-FLEET-A07/config",
                        json={"overlay": {"Region": {"hotline": "12333"}}},
                        headers=headers, timeout=5)
    assert bad.status_code == 422
    assert requests.get(base, timeout=5).status_code == 401  # token required
    assert a.register(sandbox)["directives"] == []


def test_the_public_port_has_no_fleet_admin(sandbox):
    resp = requests.get(f"{sandbox.url}/admin/fleet/terminals", timeout=5)
    assert resp.status_code == 404


def test_directive_repeated_by_the_centre_is_applied_once(sandbox, terminals):
    a = terminals("T-FLEET-A08")
    a.agent.beat()
    sent = sandbox.admin("POST", "/fleet/terminals/T-FLEET-A08/pause",
                         json={"reason": "fault_investigation"})
    # The centre answers it, but the answer's handling is cut short before the ack is
    # sent: the next answers repeat it (pending), and the terminal takes it once.
    body = a.agent.report()
    first = a.client.fleet_heartbeat(body.model_copy(update={"acks": []}))
    again = a.client.fleet_heartbeat(a.agent.report().model_copy(update={"acks": []}))
    assert [d.id for d in first.directives] == [d.id for d in again.directives] \
        == [sent["id"]]
    taken = [d.model_dump(mode="json") for d in first.directives + again.directives]
    assert len(a.agent.state.take(taken)) == 1
    a.agent.handle_inbox()
    a.agent.beat()
    a.agent.beat()
    assert [e[0] for e in a.events] == ["pause"]
    assert a.register(sandbox)["directives"][0]["state"] == "acknowledged"
