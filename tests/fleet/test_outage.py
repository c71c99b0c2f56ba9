"""A central outage: the sandbox really stops (and comes back on the same port with the
same database), or answers are lost or mangled after the centre acted. Heartbeats
resume; no directive is lost or applied twice; counts made meanwhile arrive."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from kiosk import metrics
from kiosk.central.sandbox.server import SandboxHandle, start_sandbox_thread
from kiosk.secrets import load_secrets
from tests.fixtures.sandbox import central_test_settings
from tests.fleet.conftest import make_terminal


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Centre:
    """A sandbox that can be stopped and started again on the same port and database."""

    def __init__(self, home: Path) -> None:
        self.home, self.port = home, _free_port()
        self.settings = central_test_settings(home)
        self.secrets = load_secrets(self.settings)
        self.keys: dict[str, bytes] = {}
        self.handle: SandboxHandle | None = None

    def start(self) -> SandboxHandle:
        self.handle = start_sandbox_thread(self.settings, port=self.port,
                                           db_path=self.home / "sandbox.db",
                                           secrets=self.secrets)
        self.handle.gate.keys.update(self.keys)
        return self.handle

    def stop(self) -> None:
        assert self.handle is not None
        self.keys.update(self.handle.gate.keys)
        self.handle.stop()
        self.handle = None


@pytest.fixture
def centre(tmp_path: Path):
    c = Centre(tmp_path / "centre")
    c.start()
    yield c
    if c.handle is not None:
        c.stop()


def test_outage_nothing_lost_nothing_twice(centre, tmp_path):
    a = make_terminal(tmp_path, centre.handle, "T-OUT-A01")
    b = make_terminal(tmp_path, centre.handle, "T-OUT-B01")
    try:
        assert a.agent.beat() and b.agent.beat()
        pause = centre.handle.admin("POST", "/fleet/terminals/T-OUT-A01/pause",
                                    json={"reason": "network_work"})
        push = centre.handle.admin("POST", "/fleet/terminals/T-OUT-B01/config",
                                   json={"overlay": {"region": {"hotline": "12333"}}})
        centre.stop()  # the centre goes away before either terminal heard
        metrics.error("central_offline")
        for _ in range(3):
            assert a.agent.beat() is None and b.agent.beat() is None
        assert a.agent.beats_failed == 3 and a.events == [] and b.events == []
        # Counts made during the outage wait for the first heartbeat that gets through.
        assert a.agent.report().counts.failures.get("central_offline", 0) >= 1
        handle = centre.start()  # back, same database
        assert a.agent.beat() is not None and b.agent.beat() is not None
        assert [e[0] for e in a.events] == ["pause"]
        assert [e[0] for e in b.events] == ["config"]
        a.agent.beat(), b.agent.beat()
        rows = {t["terminal_id"]: t for t in
                handle.admin("GET", "/fleet/terminals")["terminals"]}
        assert rows["T-OUT-A01"]["directives"][0]["id"] == pause["id"]
        assert rows["T-OUT-A01"]["directives"][0]["state"] == "acknowledged"
        assert rows["T-OUT-B01"]["directives"][0]["id"] == push["id"]
        assert rows["T-OUT-B01"]["config_version"] == 1
        assert rows["T-OUT-A01"]["paused"] is True
        assert rows["T-OUT-A01"]["heartbeats"] == 3  # the failed ones never arrived
        assert a.agent.report().counts.failures.get("central_offline", 0) == 0
        for _ in range(3):
            a.agent.beat(), b.agent.beat()
        assert len(a.events) == 1 and len(b.events) == 1  # never twice
    finally:
        for t in (a, b):
            t.client.close()


@pytest.mark.parametrize("fault", ["garbage_next", "drop_next"])
def test_an_answer_lost_after_the_centre_acted_is_repeated_and_taken_once(
        sandbox, terminals, fault):
    a = terminals(f"T-OUT-{fault[:4].upper()}")
    a.agent.beat()
    sent = sandbox.admin("POST", f"/fleet/terminals/{a.terminal_id}/pause",
                         json={"reason": "maintenance"})
    sandbox.admin("POST", "/faults", json={fault: 1})
    assert a.agent.beat() is None  # the centre ran it (or not); the answer is lost
    assert a.events == []
    assert a.agent.beat() is not None
    assert [e[0] for e in a.events] == ["pause"]
    # The ack's answer is lost too: the ack goes again, nothing is applied again.
    sandbox.admin("POST", "/faults", json={fault: 1})
    assert a.agent.beat() is None
    assert a.agent.state.acks() and a.agent.state.acks()[0]["directive_id"] == sent["id"]
    assert a.agent.beat() is not None
    assert a.agent.state.acks() == []
    assert [e[0] for e in a.events] == ["pause"]
    d = a.register(sandbox)["directives"][0]
    assert (d["state"], d["outcome"]) == ("acknowledged", "applied")


def test_an_agent_restarted_mid_outage_keeps_its_pending_acks(sandbox, terminals):
    a = terminals("T-OUT-A03")
    a.agent.beat()
    sent = sandbox.admin("POST", "/fleet/terminals/T-OUT-A03/resume")
    a.agent.beat()  # taken, applied; the ack waits for the next heartbeat
    assert a.agent.state.acks()[0]["directive_id"] == sent["id"]
    again = terminals("T-OUT-A03")  # the process restarts before that heartbeat
    assert again.agent.state.acks()[0]["directive_id"] == sent["id"]
    again.agent.beat()
    assert again.events == []  # not applied twice after the restart
    d = again.register(sandbox)["directives"][0]
    assert (d["state"], d["outcome"]) == ("acknowledged", "applied")
