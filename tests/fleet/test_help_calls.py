"""The staff call (一键呼叫) against the real sandbox over HTTP: the signed contract
operations, the register, the fleet page's block, the outlet's staff page (its own
token), ``kiosk fleet ls/ack/staff-link`` as real processes, and the kiosk's staff call
service on the real client: a call reaches the register, the answer comes back, and with
the centre down it says that nobody was called."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.central import schemas_help as sh
from kiosk.central.errors import CentralError, CentralNotFound, CentralRefused
from kiosk.central.sandbox.help_page import staff_token
from kiosk.central.schemas import _Model
from kiosk.services.staff_call import HelpPhase, StaffCall
from tests.fixtures.cli import run_kiosk
from tests.fixtures.polling import until

REPO = Path(__file__).resolve().parents[2]


def _calls(sandbox: Any, **params: str) -> list[dict[str, Any]]:
    return sandbox.admin("GET", "/fleet/help", params=params)["help_requests"]


def _kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return run_kiosk(args, {**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)


def test_the_contract_holds_no_personal_data():
    """Every field of the two requests is an id, a code, an outlet or a time: no name,
    no number of a person fits (a step is lower-case letters and _ only)."""
    assert set(sh.HelpRequest.model_fields) == {"terminal_id", "request_id", "outlet",
                                                "step", "at"}
    assert set(sh.HelpStatusRequest.model_fields) == {"terminal_id", "request_id"}
    base = {"terminal_id": "T-1", "request_id": uuid.uuid4().hex, "outlet": "dongcheng",
            "at": dt.datetime.now(dt.UTC)}
    sh.HelpRequest(step="pre_loss_cards", **base)
    for step in ("110105198503071230", "王小明", "X00000019", "pre loss"):
        with pytest.raises(ValueError):
            sh.HelpRequest(step=step, **base)
    assert issubclass(sh.HelpRequest, _Model)


def test_a_call_is_recorded_repeated_answered_and_listed(sandbox, terminals):
    a = terminals("T-HELP-0001")
    rid = uuid.uuid4().hex
    ticket = a.client.help_request("dongcheng", "pre_loss_cards", rid)
    assert ticket.state == sh.HelpState.WAITING and ticket.acknowledged_at is None
    again = a.client.help_request("dongcheng", "pre_loss_cards", rid)
    assert again.received_at == ticket.received_at  # the same call, not a second one
    calls = _calls(sandbox)
    assert [c["request_id"] for c in calls] == [rid]
    assert calls[0] | {"received_at": None} == {
        "request_id": rid, "state": "waiting", "received_at": None, "acknowledged_at": None,
        "terminal_id": "T-HELP-0001", "outlet": "dongcheng", "step": "pre_loss_cards",
        "terminal_at": calls[0]["terminal_at"], "acknowledged_by": None}
    listed = sandbox.admin("GET", "/fleet/terminals")
    assert [c["request_id"] for c in listed["help_requests"]] == [rid]

    answered = sandbox.admin("POST", "/fleet/help/ack", json={"terminal_id": "T-HELP-0001"})
    assert answered["state"] == "acknowledged" and answered["acknowledged_by"] == "fleet_cli"
    status = a.client.help_status(rid)
    assert status.state == sh.HelpState.ACKNOWLEDGED and status.acknowledged_at is not None


def test_another_terminals_call_is_neither_taken_nor_shown(sandbox, terminals):
    a, b = terminals("T-HELP-0002"), terminals("T-HELP-0003")
    rid = uuid.uuid4().hex
    a.client.help_request("dongcheng", "attract", rid)
    with pytest.raises(CentralRefused) as refused:
        b.client.help_request("dongcheng", "attract", rid)
    assert refused.value.code == "not_allowed"
    with pytest.raises(CentralNotFound):
        b.client.help_status(rid)
    # kiosk fleet ack with another terminal's request id changes nothing.
    resp = requests.post(f"{sandbox.admin_url}/admin/fleet/help/ack", timeout=10,
                         headers={"Authorization": f"Bearer {sandbox.admin_token}"},
                         json={"terminal_id": "T-HELP-0003", "request_id": rid})
    assert resp.status_code == 404
    assert a.client.help_status(rid).state == sh.HelpState.WAITING


def test_staff_page_opens_with_its_outlets_token_only_and_answers(sandbox, terminals):
    a = terminals("T-HELP-0004")
    rid = uuid.uuid4().hex
    a.client.help_request("dongcheng", "cancel_pin", rid)
    a.client.help_request("xicheng", "attract", uuid.uuid4().hex)
    base = f"{sandbox.admin_url}/admin/fleet/staff"
    good = staff_token(sandbox.admin_token, "dongcheng")
    for url in (f"{base}/dongcheng", f"{base}/dongcheng?token={sandbox.admin_token}",
                f"{base}/dongcheng?token={staff_token(sandbox.admin_token, 'xicheng')}",
                f"{sandbox.admin_url}/admin/fleet?token={good}",
                f"{sandbox.admin_url}/admin/fleet/help?token={good}"):
        assert requests.get(url, timeout=10).status_code == 401, url
    page = requests.get(f"{base}/dongcheng?token={good}", timeout=10)
    assert page.status_code == 200
    assert "T-HELP-0004" in page.text and "cancel_pin" in page.text
    assert "xicheng" not in page.text.split("</header>")[1]  # the other outlet's call
    assert 'http-equiv="refresh"' in page.text and "<script" not in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    answered = requests.post(f"{sandbox.admin_url}{action.replace('&amp;', '&')}",
                             timeout=10, allow_redirects=False)
    assert answered.status_code == 303
    assert answered.headers["location"].startswith("/admin/fleet/staff/dongcheng?token=")
    assert a.client.help_status(rid).state == sh.HelpState.ACKNOWLEDGED
    call = next(c for c in _calls(sandbox) if c["request_id"] == rid)
    assert call["acknowledged_by"] == "staff_page"
    # Another outlet's token cannot answer this outlet's calls.
    other = a.client.help_request("dongcheng", "attract", uuid.uuid4().hex)
    wrong = requests.post(f"{base}/xicheng/ack/{other.request_id}?token="
                          f"{staff_token(sandbox.admin_token, 'xicheng')}", timeout=10,
                          allow_redirects=False)
    assert wrong.status_code == 404
    assert a.client.help_status(other.request_id).state == sh.HelpState.WAITING


def test_fleet_page_shows_unanswered_calls_at_the_top(sandbox, terminals):
    a = terminals("T-HELP-0005")
    a.agent.beat()
    a.client.help_request("dongcheng", "pre_loss_done", uuid.uuid4().hex)
    page = requests.get(f"{sandbox.admin_url}/admin/fleet?token={sandbox.admin_token}",
                        timeout=10).text
    body = page.split("</header>")[1]
    assert body.index("Help requested") < body.index("<table")
    assert "T-HELP-0005" in body[:body.index("<table")] and "pre_loss_done" in body


def test_kiosk_fleet_lists_answers_and_links_staff_calls(sandbox, terminals, tmp_path):
    a = terminals("T-HELP-0006")
    a.agent.beat()
    rid = uuid.uuid4().hex
    a.client.help_request("dongcheng", "identify_keypad", rid)
    token = tmp_path / "token"
    token.write_text(sandbox.admin_token + "\n")
    admin = ["fleet", "--admin-url", sandbox.admin_url, "--token-file", str(token)]
    listed = _kiosk(*admin, "ls", "--json")
    assert listed.returncode == 0, listed.stderr
    calls = json.loads(listed.stdout)["help_requests"]
    assert [(c["terminal_id"], c["state"]) for c in calls] == [("T-HELP-0006", "waiting")]
    table = _kiosk(*admin, "ls")
    assert table.stdout.startswith("HELP  T-HELP-0006") and rid in table.stdout
    acked = _kiosk(*admin, "ack", "T-HELP-0006")
    assert acked.returncode == 0, acked.stderr
    assert rid in acked.stdout and "on their way" in acked.stdout
    assert a.client.help_status(rid).state == sh.HelpState.ACKNOWLEDGED
    none_left = _kiosk(*admin, "ack", "T-HELP-0006")
    assert none_left.returncode == 1 and "no unanswered staff call" in none_left.stderr
    assert len(none_left.stderr.strip().splitlines()) == 1
    link = _kiosk(*admin, "staff-link", "dongcheng")
    url = link.stdout.strip()
    assert url == (f"{sandbox.admin_url}/admin/fleet/staff/dongcheng?token="
                   f"{staff_token(sandbox.admin_token, 'dongcheng')}")
    assert requests.get(url, timeout=10).status_code == 200
    bad = _kiosk(*admin, "staff-link", "Dong Cheng")
    assert bad.returncode == 1 and "not an outlet code" in bad.stderr


class _Seen:
    def __init__(self) -> None:
        self.phases: list[HelpPhase] = []

    def __call__(self, status: Any) -> None:
        self.phases.append(status.phase)


def test_staff_call_reaches_the_register_and_the_answer_comes_back(sandbox, terminals):
    a = terminals("T-HELP-0007", extra='[access]\nhelp_poll_seconds = 0.5')
    call = StaffCall(a.settings, a.client, lambda fn: fn())
    seen = _Seen()
    call.subscribe(seen)
    try:
        call.call("pre_loss_consequences")
        calls = until(lambda: [c for c in _calls(sandbox)
                               if c["terminal_id"] == "T-HELP-0007"], 10,
                      "the call in the register")
        assert calls[0]["step"] == "pre_loss_consequences"
        until(lambda: HelpPhase.WAITING in seen.phases, 10, "waiting on screen")
        assert call.call("pre_loss_consequences").phase is HelpPhase.WAITING  # not twice
        assert len([c for c in _calls(sandbox) if c["terminal_id"] == "T-HELP-0007"]) == 1
        sandbox.admin("POST", "/fleet/help/ack", json={"terminal_id": "T-HELP-0007"})
        until(lambda: seen.phases[-1] is HelpPhase.COMING, 10, "staff on their way")
        assert seen.phases[0] is HelpPhase.SENDING
    finally:
        call.stop()


def test_staff_call_with_the_centre_down_says_nobody_was_called(sandbox, terminals):
    a = terminals("T-HELP-0008", base_url="http://127.0.0.1:9")
    call = StaffCall(a.settings, a.client, lambda fn: fn())
    seen = _Seen()
    call.subscribe(seen)
    call.call("attract")
    until(lambda: seen.phases[-1] is HelpPhase.UNREACHABLE, 20, "the honest answer")
    assert HelpPhase.WAITING not in seen.phases and HelpPhase.COMING not in seen.phases
    assert not [c for c in _calls(sandbox) if c["terminal_id"] == "T-HELP-0008"]
    # Pressed again: a new attempt (nobody was called the first time).
    call.call("attract")
    until(lambda: seen.phases.count(HelpPhase.UNREACHABLE) == 2, 20, "tried again")
    with pytest.raises(CentralError):
        a.client.help_request("demo", "attract", uuid.uuid4().hex)
