"""The client against the sandbox's fault modes, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import logging
import secrets
import socket
import time

import pytest
import requests

from kiosk.central import schemas as s
from kiosk.central.client import CentralClient, new_idempotency_key
from kiosk.central.errors import (
    CentralBadResponse,
    CentralOffline,
    CentralRefused,
    CentralServerError,
    CentralTimeout,
)
from kiosk.central.request_build import chip_facts
from kiosk.central.signing import sign_request
from kiosk.devices.virtual.cards import id_card_data, ssc_card_data
from kiosk.domain.card_states import CardState
from kiosk.personas import persona
from kiosk.secrets import Secrets

ID = persona("normal")["id"]["id_number"]
CARD = persona("normal")["ssc"]["card_number"]
SSC, ID_CARD = ssc_card_data("normal"), id_card_data("normal")  # as the readers read them


def _handle(client) -> str:
    """A handle for normal's card (a lookup by their ID card), got before any fault."""
    return client.lookup_by_id_card(ID_CARD).cards[0].handle


def _pre_losses(sandbox, card=CARD):
    return [p for p in sandbox.admin("GET", "/pre_losses") if p["card_number"] == card]


def _attempts(caplog) -> list[tuple[int, str, bool]]:
    """(attempt, error kind, retried) of each failed attempt the client logged."""
    return [(r.fields["attempt"], r.fields["error"], r.fields["retry"])
            for r in caplog.records if r.getMessage() == "central call failed"]


def test_read_timeout_raises_timeout_after_bounded_retries(make_central_client, sandbox,
                                                           caplog):
    caplog.set_level(logging.WARNING, logger="kiosk")
    client = make_central_client(read_timeout=0.3, retries=1)
    sandbox.admin("POST", "/faults", json={"latency_ms": 1000})
    with pytest.raises(CentralTimeout) as err:
        client.card_status(ssc=SSC)
    assert err.value.maybe_applied and err.value.i18n_key == "central.error.timeout"
    # Two attempts, each ended by the read timeout, the last not retried: not forever.
    assert _attempts(caplog) == [(1, "timeout", True), (2, "timeout", False)]


def test_timed_out_pre_loss_was_applied_and_a_repeat_gets_the_same_answer(
        make_central_client, sandbox):
    """Applied but not acknowledged: repeating with the key tells the outcome, once."""
    client = make_central_client(read_timeout=0.3, retries=0)
    key, handle = new_idempotency_key(), _handle(client)
    sandbox.admin("POST", "/faults", json={"latency_ms": 800})
    with pytest.raises(CentralTimeout):
        client.submit_pre_loss(handle, key)
    sandbox.admin("DELETE", "/faults")
    result = client.submit_pre_loss(handle, key)
    (recorded,) = _pre_losses(sandbox)
    assert recorded["reference"] == result.reference


def test_5xx_then_success_is_retried_for_idempotent_calls(make_central_client, sandbox):
    client = make_central_client(retries=2)
    sandbox.admin("POST", "/faults", json={"fail_next": 2})
    assert client.card_status(ssc=SSC).state == CardState.ACTIVE
    assert sandbox.admin("GET", "/faults")["fail_next"] == 0


def test_5xx_beyond_the_retry_budget_is_a_server_error(make_central_client, sandbox):
    client = make_central_client(retries=1)
    sandbox.admin("POST", "/faults", json={"fail_next": 5})
    with pytest.raises(CentralServerError) as err:
        client.lookup_by_id_card(ID_CARD)
    assert err.value.status == 503
    assert sandbox.admin("GET", "/faults")["fail_next"] == 3  # exactly two attempts


def test_sending_a_code_is_never_retried(make_central_client, sandbox):
    client = make_central_client(retries=3)
    sandbox.admin("POST", "/faults", json={"fail_next": 1})
    with pytest.raises(CentralServerError):
        client.request_code(ID)
    assert sandbox.admin("GET", "/faults")["fail_next"] == 0  # one attempt only


def test_pre_loss_is_retried_with_the_same_key_and_applied_once(make_central_client, sandbox):
    client = make_central_client(retries=2)
    handle = _handle(client)
    sandbox.admin("POST", "/faults", json={"fail_next": 2})
    result = client.submit_pre_loss(handle, new_idempotency_key())
    assert [p["reference"] for p in _pre_losses(sandbox)] == [result.reference]


def test_garbage_body_is_a_bad_response_not_retried(make_central_client, sandbox):
    client = make_central_client(retries=2)
    sandbox.admin("POST", "/faults", json={"garbage_next": 2})
    with pytest.raises(CentralBadResponse) as err:
        client.card_status(ssc=SSC)
    assert err.value.i18n_key == "central.error.bad_response"
    assert sandbox.admin("GET", "/faults")["garbage_next"] == 1


def test_dropped_connection_is_offline_maybe_applied_then_retried(make_central_client,
                                                                  sandbox):
    client = make_central_client(retries=0)
    sandbox.admin("POST", "/faults", json={"drop_next": 1})
    with pytest.raises(CentralOffline) as err:
        client.card_status(ssc=SSC)
    assert err.value.maybe_applied  # the request was written before the peer hung up
    retrying = make_central_client(retries=1)
    sandbox.admin("POST", "/faults", json={"drop_next": 1})
    assert retrying.card_status(ssc=SSC).state == CardState.ACTIVE


def test_wrong_key_is_refused_as_bad_signature(make_central_client, central_secrets):
    wrong = Secrets(terminal_key=secrets.token_bytes(32),
                    technician_pin_hash=central_secrets.technician_pin_hash)
    client = make_central_client(secrets=wrong, retries=2)
    with pytest.raises(CentralRefused) as err:
        client.card_status(ssc=SSC)
    assert err.value.code == "bad_signature" and err.value.status == 401
    assert err.value.terminal_problem


def test_replayed_request_is_refused(sandbox, central_secrets):
    body = s.CardStatusRequest(card=chip_facts(SSC)).model_dump_json().encode()
    headers = {"Content-Type": "application/json",
               **sign_request(central_secrets.terminal_key, "T-DEMO-0001", "POST",
                              s.Path.CARD_STATUS, body)}
    first = requests.post(sandbox.url + s.Path.CARD_STATUS, data=body, headers=headers,
                          timeout=5)
    again = requests.post(sandbox.url + s.Path.CARD_STATUS, data=body, headers=headers,
                          timeout=5)
    assert first.status_code == 200
    assert again.status_code == 401 and again.json()["code"] == "replayed"


def test_tampered_body_is_refused(sandbox, central_secrets):
    body = s.CardStatusRequest(card=chip_facts(SSC)).model_dump_json().encode()
    headers = sign_request(central_secrets.terminal_key, "T-DEMO-0001", "POST",
                           s.Path.CARD_STATUS, body)
    other = body.replace(b"19", b"27")
    resp = requests.post(sandbox.url + s.Path.CARD_STATUS, data=other,
                         headers={**headers, "Content-Type": "application/json"}, timeout=5)
    assert resp.status_code == 401 and resp.json()["code"] == "bad_signature"


def test_skewed_clock_is_refused(central_settings, central_secrets, sandbox):
    client = CentralClient(central_settings, central_secrets,
                           clock=lambda: time.time() - 3600)
    try:
        with pytest.raises(CentralRefused) as err:
            client.card_status(ssc=SSC)
        assert err.value.code == "clock_skew" and err.value.terminal_problem
    finally:
        client.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_service_down_is_offline_quickly(make_central_client, caplog):
    caplog.set_level(logging.WARNING, logger="kiosk")
    client = make_central_client(base_url=f"http://127.0.0.1:{_free_port()}", retries=1)
    with pytest.raises(CentralOffline) as err:
        client.lookup_by_id_card(ID_CARD)
    assert not err.value.maybe_applied
    # Refused at once: every attempt ends "offline" (connection refused), none waits
    # for a timeout.
    assert [kind for _, kind, _ in _attempts(caplog)] == ["offline", "offline"]


def test_connection_is_reused(central_client, sandbox):
    peers = set()

    def remember(resp, *args, **kwargs):
        sock = resp.raw._connection.sock if resp.raw._connection else None
        if sock is not None:
            peers.add(sock.getsockname())

    central_client._session.hooks["response"].append(remember)
    for _ in range(5):
        central_client.heartbeat(0)
    assert len(peers) == 1


def test_tls_verification_is_on_with_the_configured_bundle(make_central_client, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert make_central_client()._session.verify is True
    assert make_central_client(ca_bundle=str(bundle))._session.verify == str(bundle)


def test_no_personal_data_in_urls_or_logs(central_client, sandbox, caplog):
    urls: list[str] = []
    central_client._session.hooks["response"].append(lambda r, *a, **k: urls.append(r.url))
    caplog.set_level(logging.DEBUG, logger="kiosk")
    sandbox.admin("POST", "/faults", json={"fail_next": 1})
    handle = central_client.lookup_by_id_card(ID_CARD).cards[0].handle
    central_client.card_status(ssc=SSC)
    central_client.submit_pre_loss(handle, new_idempotency_key())
    text = " ".join(urls) + " ".join(r.getMessage() + str(getattr(r, "fields", ""))
                                     for r in caplog.records)
    assert urls and caplog.records
    for secret in (ID, CARD, persona("normal")["id"]["name"], "13800001230", handle,
                   SSC.card_id_code):
        assert secret not in text


def test_heartbeat_with_skewed_clock_is_refused_as_clock_skew(central_settings,
                                                              central_secrets, sandbox):
    """Diagnostics rely on this: the refusal's code tells the technician the clock is off."""
    client = CentralClient(central_settings, central_secrets,
                           clock=lambda: time.time() - 3600)
    try:
        with pytest.raises(CentralRefused) as err:
            client.heartbeat(outbox_depth=0)
    finally:
        client.close()
    assert err.value.code == "clock_skew"


def test_malformed_input_is_refused_locally_without_leaking_it(central_client, sandbox):
    with pytest.raises(CentralRefused) as err:
        central_client.lookup_by_id_card(dataclasses.replace(ID_CARD, id_number="12345"))
    assert err.value.code == "validation_error" and "12345" not in str(err.value)
    with pytest.raises(CentralRefused):
        central_client.replacement_progress()
    with pytest.raises(CentralRefused):
        central_client.card_status("not a handle")
    # A lower-case check character is what a reader may give: normalised, not refused.
    x = id_card_data("x_check")
    assert central_client.lookup_by_id_card(
        dataclasses.replace(x, id_number=x.id_number.lower())).cards


def test_plain_http_to_a_remote_host_is_refused_outside_demo(central_settings,
                                                             central_secrets):
    import dataclasses

    from kiosk.config import ConfigError

    prod = dataclasses.replace(central_settings, kiosk=dataclasses.replace(
        central_settings.kiosk, demo=False))
    remote = dataclasses.replace(prod, central=dataclasses.replace(
        prod.central, base_url="http://central.example.cn"))
    with pytest.raises(ConfigError) as err:
        CentralClient(remote, central_secrets)
    assert "central.base_url" in str(err.value)
    CentralClient(prod, central_secrets).close()  # loopback HTTP stays allowed
    https = dataclasses.replace(prod, central=dataclasses.replace(
        prod.central, base_url="https://central.example.cn"))
    CentralClient(https, central_secrets).close()
