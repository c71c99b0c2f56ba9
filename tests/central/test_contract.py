"""Contract tests: the client against the running sandbox over real HTTP on 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from kiosk.central import schemas as s
from kiosk.central.client import new_idempotency_key
from kiosk.central.errors import CentralNotFound, CentralRefused
from kiosk.central.sandbox.rules import CHINA_TZ
from kiosk.central.schemas import HANDLE_TTL_SECONDS
from kiosk.devices.virtual.cards import id_card_data, ssc_card_data
from kiosk.domain.card_states import CardState, ReplacementStage
from kiosk.domain.masking import mask_card_number
from kiosk.domain.working_days import add_working_days
from kiosk.personas import persona

CENTRAL_BACKENDS = ("sandbox", "centre")  # the contract holds on both (tests/fixtures/centre.py)
NORMAL = persona("normal")
ID_NORMAL = NORMAL["id"]["id_number"]
CARD_NORMAL = NORMAL["ssc"]["card_number"]
REPL = persona("replacement")
ID_REPL = REPL["id"]["id_number"]
CARD_REPL_OLD = REPL["central"]["cards"][0]["card_number"]
CARD_PRE_LOSS = persona("pre_lost")["central"]["cards"][0]["card_number"]


def _handle(client, key: str = "normal", index: int = 0) -> str:
    """A handle for ``key``'s card, from a lookup by their ID card (its chip)."""
    return client.lookup_by_id_card(id_card_data(key)).cards[index].handle


def test_lookup_by_id_card_answers_masked_cards_and_handles(central_client):
    """The ID card's chip reveals a masked name and masked card numbers, with handles."""
    person = central_client.lookup_by_id_card(id_card_data("normal"))
    assert isinstance(person, s.PersonCards)
    full = NORMAL["id"]["name"]
    assert person.name == full[0] + "*" * (len(full) - 1) and person.name != full
    assert person.phone_masked == "138****1230"
    assert ID_NORMAL not in person.person_ref and person.may_pre_lose
    assert [c.card_number_masked for c in person.cards] == [mask_card_number(CARD_NORMAL)]
    card = person.cards[0]
    assert card.state == CardState.ACTIVE and card.bank_function and not card.has_replacement
    assert card.issued == dt.date(2020, 1, 15)
    assert CARD_NORMAL not in card.handle and person.handles_expire_in == HANDLE_TTL_SECONDS


def test_lookup_by_the_card_chip_finds_the_same_cards_without_a_join_key(central_client):
    by_chip = central_client.lookup_by_ssc(ssc_card_data("normal"))
    by_id = central_client.lookup_by_id_card(id_card_data("normal"))
    assert [c.card_number_masked for c in by_chip.cards] == \
        [c.card_number_masked for c in by_id.cards]
    assert by_chip.name == by_id.name and not by_chip.may_pre_lose
    # Nothing to join the two answers by: each names itself only.
    assert by_chip.person_ref != by_id.person_ref
    assert by_chip.cards[0].handle != by_id.cards[0].handle


@pytest.mark.parametrize("key", ["unknown"])
def test_persona_without_central_record_is_not_found(central_client, key):
    with pytest.raises(CentralNotFound) as err:
        central_client.lookup_by_id_card(id_card_data(key))
    assert err.value.code == "not_found"


def test_status_has_history_and_replacement(central_client):
    handle = _handle(central_client, "replacement")
    status = central_client.card_status(handle)
    assert status.state == CardState.LOST
    assert status.card_number_masked == mask_card_number(CARD_REPL_OLD)
    assert [e.state for e in status.history] == [CardState.ACTIVE, CardState.PRE_LOST,
                                                 CardState.LOST]
    repl = status.replacement
    assert repl is not None and repl.stage == ReplacementStage.READY_FOR_PICKUP
    assert repl.outlet and repl.ready_since is not None and not repl.mailed
    assert repl.replaces_masked == mask_card_number(CARD_REPL_OLD)
    # Bank-function card: 35 working days from the regional config.
    assert repl.expected_on == add_working_days(dt.date(2026, 10, 20), 35)


def test_pre_loss_applies_state_rule_and_regional_lapse(central_client, sandbox):
    key = new_idempotency_key()
    handle = _handle(central_client)
    result = central_client.submit_pre_loss(handle, key)
    today = result.settlement_stopped_at.astimezone(CHINA_TZ).date()
    assert result.lapses_on == today + dt.timedelta(days=10)  # Beijing: 10 calendar days
    assert result.hotline == "96102" and result.reference.startswith("YGS")
    assert result.card_number_masked == mask_card_number(CARD_NORMAL)
    status = central_client.card_status(handle)
    assert status.state == CardState.PRE_LOST
    assert status.history[-1].channel == "kiosk"
    assert status.lapses_on == result.lapses_on
    recorded = [p for p in sandbox.admin("GET", "/pre_losses") if p["card_number"] == CARD_NORMAL]
    assert len(recorded) == 1 and recorded[0]["reference"] == result.reference
    assert recorded[0]["terminal_id"] == "T-DEMO-0001"


def test_same_idempotency_key_applies_once_and_returns_the_stored_answer(central_client,
                                                                         sandbox):
    key = new_idempotency_key()
    handle = _handle(central_client)
    first = central_client.submit_pre_loss(handle, key)
    again = central_client.submit_pre_loss(handle, key)
    assert again == first
    assert len([p for p in sandbox.admin("GET", "/pre_losses")
                if p["card_number"] == CARD_NORMAL]) == 1
    # A new key for the same card is a new request, refused by the state rule.
    with pytest.raises(CentralRefused) as err:
        central_client.submit_pre_loss(_handle(central_client), new_idempotency_key())
    assert err.value.code == "already_pre_lost" and err.value.status == 409


def test_same_key_different_body_is_a_conflict(central_client):
    key = new_idempotency_key()
    central_client.submit_pre_loss(_handle(central_client), key)
    with pytest.raises(CentralRefused) as err:
        central_client.submit_pre_loss(_handle(central_client, "x_check"), key)
    assert err.value.code == "idempotency_conflict" and err.value.status == 409


def test_stored_refusal_is_replayed_too(central_client):
    key = new_idempotency_key()
    handle = _handle(central_client, "pre_lost")
    for _ in range(2):
        with pytest.raises(CentralRefused) as err:
            central_client.submit_pre_loss(handle, key)
        assert err.value.code == "already_pre_lost"


def test_cancel_pre_loss_then_refused_once_replacement_exists(central_client, sandbox):
    ssc, id_card = ssc_card_data("normal"), id_card_data("normal")
    central_client.submit_pre_loss(_handle(central_client), new_idempotency_key())
    done = central_client.cancel_pre_loss(ssc, id_card, new_idempotency_key())
    assert done.state == CardState.ACTIVE
    assert done.card_number_masked == mask_card_number(CARD_NORMAL)
    assert central_client.card_status(ssc=ssc).state == CardState.ACTIVE
    # Pre-lose again, then the counter applies for a replacement: cancel is refused.
    central_client.submit_pre_loss(_handle(central_client), new_idempotency_key())
    sandbox.admin("POST", "/replacements/apply", json={"card_number": CARD_NORMAL})
    with pytest.raises(CentralRefused) as err:
        central_client.cancel_pre_loss(ssc, id_card, new_idempotency_key())
    assert err.value.code == "replacement_exists"
    assert central_client.card_status(ssc=ssc).state == CardState.LOST


def test_cancel_of_an_active_card_is_not_allowed(central_client):
    with pytest.raises(CentralRefused) as err:
        central_client.cancel_pre_loss(ssc_card_data("normal"), id_card_data("normal"),
                                       new_idempotency_key())
    assert err.value.code == "not_allowed"


def test_cancel_needs_the_holders_id_card_and_the_real_chip(central_client):
    central_client.submit_pre_loss(_handle(central_client), new_idempotency_key())
    ssc = ssc_card_data("normal")
    with pytest.raises(CentralNotFound):  # someone else's ID card
        central_client.cancel_pre_loss(ssc, id_card_data("x_check"), new_idempotency_key())
    forged = {"card_number": CARD_NORMAL, "chip_id": "0" * 32}  # the number, not the chip
    with pytest.raises(CentralNotFound):
        central_client.cancel_pre_loss(forged, id_card_data("normal"), new_idempotency_key())
    assert central_client.card_status(ssc=ssc).state == CardState.PRE_LOST


def test_replacement_progress_walks_the_stages(central_client, sandbox):
    ssc = ssc_card_data("normal")
    with pytest.raises(CentralNotFound) as err:
        central_client.replacement_progress(ssc=ssc)
    assert err.value.code == "no_replacement"
    sandbox.admin("POST", "/replacements/apply", json={"card_number": CARD_NORMAL,
                                                        "mailed": True})
    seen = [central_client.replacement_progress(_handle(central_client)).stage]
    for _ in range(3):
        sandbox.admin("POST", "/replacements/advance", json={"card_number": CARD_NORMAL})
        seen.append(central_client.replacement_progress(ssc=ssc).stage)
    assert seen == [ReplacementStage.APPLIED, ReplacementStage.IN_PRODUCTION,
                    ReplacementStage.MAILED, ReplacementStage.COLLECTED]
    repl = central_client.replacement_progress(ssc=ssc)
    assert repl.tracking_number and repl.mailed
    assert [h.stage for h in repl.history] == seen
    # Collected: the old card ends cancelled and the new one is active.
    assert central_client.card_status(ssc=ssc).state == CardState.CANCELLED
    cards = central_client.lookup_by_id_card(id_card_data("normal")).cards
    new = next(c for c in cards if c.card_number_masked == repl.card_number_masked)
    assert new.state == CardState.ACTIVE
    assert central_client.card_status(new.handle).state == CardState.ACTIVE


def test_replacement_progress_by_the_old_cards_handle_or_chip(central_client):
    by_handle = central_client.replacement_progress(_handle(central_client, "replacement"))
    assert by_handle.replaces_masked == mask_card_number(CARD_REPL_OLD)
    assert by_handle.card_number_masked == mask_card_number(
        REPL["central"]["replacement"]["card_number"])


def test_pre_loss_lapses_after_the_regional_period(central_client, sandbox):
    central_client.submit_pre_loss(_handle(central_client), new_idempotency_key())
    sandbox.admin("POST", "/clock", json={"offset_days": 11})
    status = central_client.card_status(ssc=ssc_card_data("normal"))
    assert status.state == CardState.ACTIVE
    assert status.history[-1].channel == "system"


def test_verification_code_flow(central_client, sandbox):
    challenge = central_client.request_code(ID_NORMAL)
    assert challenge.phone_masked == "138****1230" and challenge.expires_in > 0
    code = sandbox.admin("GET", "/verification/last")["code"]
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(CentralRefused) as err:
        central_client.confirm_code(challenge.challenge_id, wrong)
    assert err.value.code == "code_wrong" and err.value.tries_left == 2
    person = central_client.confirm_code(challenge.challenge_id, code)
    assert person.cards[0].card_number_masked == mask_card_number(CARD_NORMAL)
    assert person.may_pre_lose and person.name == "王**"
    central_client.submit_pre_loss(person.cards[0].handle, new_idempotency_key())


def test_verification_blocks_after_three_wrong_codes(central_client, sandbox):
    challenge = central_client.request_code(ID_NORMAL)
    code = sandbox.admin("GET", "/verification/last")["code"]
    wrong = "000000" if code != "000000" else "111111"
    codes = []
    for _ in range(4):
        with pytest.raises(CentralRefused) as err:
            central_client.confirm_code(challenge.challenge_id, wrong)
        codes.append(err.value.code)
    assert codes == ["code_wrong", "code_wrong", "code_blocked", "code_blocked"]
    with pytest.raises(CentralRefused):  # even the right code is refused now
        central_client.confirm_code(challenge.challenge_id, code)


def test_heartbeat(central_client, sandbox):
    result = central_client.heartbeat(outbox_depth=3)
    assert result.accepted
    assert abs((result.server_time - dt.datetime.now(dt.UTC)).total_seconds()) < 5
    (beat,) = sandbox.admin("GET", "/heartbeats")
    assert beat["outbox_depth"] == 3 and beat["terminal_id"] == "T-DEMO-0001"


def test_unsigned_request_is_refused_as_problem_json(sandbox):
    resp = requests.post(sandbox.url + s.Path.CARD_STATUS, json={"card_number": CARD_NORMAL},
                         timeout=5)
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith(s.PROBLEM_CONTENT_TYPE)
    body = resp.json()
    assert body["code"] == "bad_signature" and body["type"].endswith("bad_signature")
    assert {"type", "title", "status", "detail", "code"} <= set(body)


def test_validation_error_names_fields_not_values(central_client, sandbox):
    from kiosk.central.signing import sign_request

    body = b'{"card": {"card_number": "x0019 secret", "chip_id": "00"}}'
    headers = sign_request(central_client._key, "T-DEMO-0001", "POST", s.Path.CARD_STATUS,
                           body)
    resp = requests.post(sandbox.url + s.Path.CARD_STATUS, data=body,
                         headers={**headers, "Content-Type": "application/json"}, timeout=5)
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    assert "secret" not in resp.text and "card_number" in resp.text


def test_state_change_without_idempotency_key_is_refused(central_client, sandbox):
    from kiosk.central.signing import sign_request

    body = s.PreLossRequest(handle=_handle(central_client),
                            terminal_id="T-DEMO-0001").model_dump_json().encode()
    headers = sign_request(central_client._key, "T-DEMO-0001", "POST", s.Path.PRE_LOSS, body)
    resp = requests.post(sandbox.url + s.Path.PRE_LOSS, data=body,
                         headers={**headers, "Content-Type": "application/json"}, timeout=5)
    assert resp.status_code == 400 and resp.json()["code"] == "idempotency_key_missing"
    assert sandbox.admin("GET", "/pre_losses")[-1]["card_number"] != CARD_NORMAL


def test_admin_is_only_on_its_own_port_and_wants_the_token(sandbox):
    """On the public port /admin does not exist; on the admin port it needs the token."""
    assert requests.get(sandbox.url + "/admin/health", timeout=5).status_code == 404
    assert requests.get(sandbox.admin_url + "/admin/health", timeout=5).status_code == 401
    wrong = {"Authorization": "Bearer " + "x" * len(sandbox.admin_token)}
    assert requests.get(sandbox.admin_url + "/admin/health", headers=wrong,
                        timeout=5).status_code == 401
    assert sandbox.admin("GET", "/health")["ok"] is True
    assert sandbox.admin_url.startswith("http://127.0.0.1:")
