"""Revoking a terminal's key, on the real sandbox over HTTP with the real client: the
revoked terminal's next call is refused with its own kind (``revoked``, a signed 403
``terminal_revoked``), other terminals go on, a forged request still gets only the one
401, a queued pre-loss is kept (and delivered once the key is reinstated), and the
operator's ``kiosk fleet revoke`` / ``reinstate`` do it."""

from __future__ import annotations

import pytest
import requests

from kiosk.central import schemas as s
from kiosk.central.client import new_idempotency_key
from kiosk.central.errors import CentralRevoked
from kiosk.central.outbox import KIND_PRE_LOSS, Outbox
from kiosk.central.outbox_sender import OutboxSender
from kiosk.central.request_build import chip_facts
from kiosk.central.signing import sign_request
from kiosk.cli.main import main
from kiosk.devices.virtual.cards import id_card_data, ssc_card_data

CENTRAL_BACKENDS = ("sandbox", "centre")  # revocation holds on both
TERMINAL = "T-DEMO-0001"
SSC, ID_CARD = ssc_card_data("normal"), id_card_data("normal")
CARD = SSC.card_number


@pytest.fixture(autouse=True)
def _reinstated_after(sandbox):
    """The centre keeps a revocation across its harness reset (the sandbox does not):
    every test here leaves the demo terminal's key good."""
    yield
    sandbox.admin("POST", f"/fleet/terminals/{TERMINAL}/reinstate")


def _revoke(sandbox, terminal: str = TERMINAL) -> None:
    assert sandbox.admin("POST", f"/fleet/terminals/{terminal}/revoke")["revoked"] is True


def _reinstate(sandbox, terminal: str = TERMINAL) -> None:
    assert sandbox.admin("POST", f"/fleet/terminals/{terminal}/reinstate")["revoked"] is False


def test_a_revoked_terminal_is_refused_with_its_own_kind_until_reinstated(
        sandbox, central_client):
    told: list[bool] = []
    central_client.on_revocation = told.append
    central_client.card_status(ssc=SSC)
    assert told == []  # nothing to tell while the key is good
    _revoke(sandbox)
    with pytest.raises(CentralRevoked) as err:
        central_client.card_status(ssc=SSC)
    # Not CentralUnauthenticated: the answer was signed for this request, so it is the
    # service's word; a kind of its own, not a generic refusal screen.
    assert err.value.kind == "revoked" and err.value.code == "terminal_revoked"
    assert err.value.status == 403 and err.value.terminal_problem
    with pytest.raises(CentralRevoked):  # every operation, the heartbeat too
        central_client.heartbeat(0)
    assert told == [True, True]
    _reinstate(sandbox)
    central_client.card_status(ssc=SSC)
    assert told == [True, True, False]
    central_client.card_status(ssc=SSC)
    assert told == [True, True, False]  # told once when it is good again


def test_other_terminals_go_on(sandbox, central_client):
    _revoke(sandbox, "T-STOLEN-0001")
    assert central_client.card_status(ssc=SSC).state == "active"


def test_without_the_key_a_revoked_terminal_gets_only_the_one_401(sandbox, central_secrets):
    _revoke(sandbox)
    body = s.CardStatusRequest(card=chip_facts(SSC)).model_dump_json().encode()

    def post(key: bytes, terminal: str) -> requests.Response:
        headers = {"Content-Type": "application/json",
                   **sign_request(key, terminal, "POST", s.Path.CARD_STATUS, body)}
        return requests.post(sandbox.url + s.Path.CARD_STATUS, data=body, headers=headers,
                             timeout=5)

    forged, unknown = post(b"w" * 32, TERMINAL), post(b"w" * 32, "T-NOBODY-0001")
    assert forged.status_code == unknown.status_code == 401
    assert forged.content == unknown.content  # revocation is no oracle for outsiders
    signed = post(central_secrets.terminal_key, TERMINAL)
    assert signed.status_code == 403 and signed.json()["code"] == "terminal_revoked"


def test_a_queued_pre_loss_is_kept_while_revoked_and_delivered_after(
        tmp_path, sandbox, central_client):
    box = Outbox(tmp_path / "o.db")
    key = new_idempotency_key()
    handle = central_client.lookup_by_id_card(ID_CARD).cards[0].handle
    box.enqueue(KIND_PRE_LOSS, {"body": dict(central_client.pre_loss_request(handle).body)},
                key)
    sender = OutboxSender(box, central_client, base_delay=0.01)
    _revoke(sandbox)
    assert sender.deliver_once() == 0
    stats = box.stats()
    assert stats.pending == 1 and stats.rejected_total == 0
    _reinstate(sandbox)
    box.make_due()
    assert sender.deliver_once() == 1
    assert [p["card_number"] for p in sandbox.admin("GET", "/pre_losses")
            if p["idempotency_key"] == key] == [CARD]


def test_the_operator_revokes_and_reinstates_from_the_command_line(
        tmp_path, sandbox, central_client, capsys):
    token = tmp_path / "token"
    token.write_text(sandbox.admin_token, encoding="utf-8")
    admin = ["fleet", "--admin-url", sandbox.admin_url, "--token-file", str(token)]
    assert main([*admin, "revoke", TERMINAL]) == 0
    assert "revoked" in capsys.readouterr().out
    with pytest.raises(CentralRevoked):
        central_client.card_status(ssc=SSC)
    assert main([*admin, "reinstate", TERMINAL]) == 0
    assert central_client.card_status(ssc=SSC).state == "active"
    assert main([*admin, "revoke", "not a terminal"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
