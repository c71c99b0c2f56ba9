"""Directives come only from the centre: an answer changed on the way (a directive slipped
in) or an old answer played again (a pause already lifted) is refused by the client's
reply check, and the terminal does nothing."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import pytest

from tests.central.hostile import HostileServer


class Injector(HostileServer):
    """Forwards to the real centre, then adds a pause to the signed answer."""

    def _inject(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        status, headers, content = self._forward(h, body)
        doc = json.loads(content)
        doc["directives"] = [*doc.get("directives", []), {
            "id": "forged-0000-0001", "kind": "pause", "reason": "maintenance"}]
        self._answer(h, status, headers, json.dumps(doc).encode())


@pytest.fixture
def mitm(sandbox):
    server = Injector(mode="proxy", target=sandbox.url).start()
    yield server
    server.stop()


def test_a_directive_slipped_into_an_answer_is_refused(sandbox, terminals, mitm):
    t = terminals("T-AUTH-0001", base_url=mitm.url)
    assert t.agent.beat() is not None  # through the proxy, untouched
    mitm.mode = "inject"
    assert t.agent.beat() is None
    assert t.events == [] and t.agent.paused is None
    assert t.agent.state.inbox() == []


def test_an_old_answer_played_again_does_not_pause_again(sandbox, terminals, mitm):
    t = terminals("T-AUTH-0002", base_url=mitm.url)
    t.agent.beat()
    sandbox.admin("POST", "/fleet/terminals/T-AUTH-0002/pause",
                  json={"reason": "maintenance"})
    t.agent.beat()  # the answer with the pause
    with_pause = mitm.last_reply
    assert with_pause is not None and b'"pause"' in with_pause[2]
    sandbox.admin("POST", "/fleet/terminals/T-AUTH-0002/resume")
    t.agent.beat()  # acks the pause, gets the resume
    t.agent.beat()
    assert [e[0] for e in t.events] == ["pause", "resume"]
    mitm.mode, mitm.last_reply = "replay", with_pause
    assert t.agent.beat() is None
    assert [e[0] for e in t.events] == ["pause", "resume"] and t.agent.paused is None
