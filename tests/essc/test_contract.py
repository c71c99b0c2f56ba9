"""The e-SSC contract: the real client against the real sandbox over HTTP on 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.central.client import new_idempotency_key
from kiosk.central.errors import CentralRefused
from kiosk.central.schemas import HANDLE_TTL_SECONDS, Path
from kiosk.central.schemas_essc import CODE_TTL_SECONDS, EsscPath
from kiosk.devices.virtual.cards import id_card_data, ssc_card_data
from kiosk.domain.card_states import CardState
from kiosk.domain.masking import mask_card_number
from kiosk.personas import persona

CENTRAL_BACKENDS = ("sandbox", "centre")  # the contract holds on both (tests/fixtures/centre.py)
CARD_NORMAL = persona("normal")["ssc"]["card_number"]


def issue(sandbox, name: str = "normal", **flags) -> str:
    return sandbox.admin("POST", "/essc/codes", json={"persona": name, **flags})["code"]


def refusal(call) -> CentralRefused:
    with pytest.raises(CentralRefused) as info:
        call()
    return info.value


def test_verify_answers_masked_identity_and_cards_with_handles(sandbox, central_client):
    who = central_client.verify_essc(issue(sandbox))
    assert who.name == "王**"  # masked: the scan greets, it does not reveal
    assert who.phone_masked == "138****1230"
    assert [c.card_number_masked for c in who.cards] == [mask_card_number(CARD_NORMAL)]
    # This answer's own reference: not the service's reference of the person.
    assert who.person_ref != sandbox.store.person_ids()["normal"]
    assert who.may_pre_lose and who.handles_expire_in == HANDLE_TTL_SECONDS
    text = who.model_dump_json()
    assert "110105" not in text and CARD_NORMAL not in text  # never the ID or card number


def test_a_code_is_one_time(sandbox, central_client):
    code = issue(sandbox)
    central_client.verify_essc(code)
    err = refusal(lambda: central_client.verify_essc(code))
    assert (err.code, err.status) == ("already_used", 409)


def test_used_elsewhere_expired_foreign_and_revoked(sandbox, central_client):
    cases = {"already_used": issue(sandbox, used=True),
             "expired": issue(sandbox, expired=True),
             "not_an_essc": "https://pay.example.com/qr/8f3a9c1d2e",
             "revoked": issue(sandbox, "pin_blocked")}
    # A well-formed code the platform never issued is as foreign as a payment code.
    forged = "essc1." + "A" * 40
    for code, text in [*cases.items(), ("not_an_essc", forged)]:
        err = refusal(lambda t=text: central_client.verify_essc(t))
        assert err.code == code
    assert {c: refusal(lambda t=t: central_client.verify_essc(t)).status
            for c, t in cases.items() if c != "not_an_essc"} == {
        "already_used": 409, "expired": 410, "revoked": 403}


def test_code_expires_after_its_lifetime(sandbox, central_client):
    code = issue(sandbox)
    sandbox.admin("POST", "/clock", json={"offset_days": (CODE_TTL_SECONDS + 1) / 86400})
    assert refusal(lambda: central_client.verify_essc(code)).code == "expired"


def test_malformed_code_refused_locally_without_echo(sandbox, central_client):
    err = refusal(lambda: central_client.verify_essc("short"))
    assert err.code == "validation_error" and "short" not in str(err)
    err = refusal(lambda: central_client.verify_essc("essc1.\u00e9" * 5))
    assert err.code == "validation_error"


def test_pre_loss_with_the_handle_once(sandbox, central_client):
    who = central_client.verify_essc(issue(sandbox))
    key, handle = new_idempotency_key(), who.cards[0].handle
    done = central_client.submit_pre_loss(handle, key)
    again = central_client.submit_pre_loss(handle, key)
    assert done.reference == again.reference
    assert central_client.card_status(handle).state == CardState.PRE_LOST
    kiosk = [p for p in sandbox.admin("GET", "/pre_losses") if p["channel"] == "kiosk"]
    assert len(kiosk) == 1


def test_a_handle_is_for_this_terminal_and_cannot_cancel(sandbox, central_client):
    who = central_client.verify_essc(issue(sandbox))
    err = refusal(lambda: central_client.submit_pre_loss("g" * 60, new_idempotency_key()))
    assert (err.code, err.status) == ("handle_invalid", 403)
    central_client.submit_pre_loss(who.cards[0].handle, new_idempotency_key())
    # Cancelling takes the found card's chip and the ID card's: there is no way to pass
    # an e-SSC handle, and the contract refuses one where chip facts belong.
    with pytest.raises(CentralRefused) as info:
        central_client.cancel_pre_loss({"handle": who.cards[0].handle},
                                       id_card_data("normal"), new_idempotency_key())
    assert info.value.code == "validation_error"
    central_client.cancel_pre_loss(ssc_card_data("normal"), id_card_data("normal"),
                                   new_idempotency_key())


def test_verify_is_never_retried(sandbox, make_central_client):
    client = make_central_client(retries=3)
    sandbox.admin("POST", "/faults", json={"fail_next": 1})
    with pytest.raises(Exception) as info:
        client.verify_essc(issue(sandbox))
    assert getattr(info.value, "status", None) == 503  # one attempt, no retry


def test_admin_issue_needs_the_token_and_an_essc(sandbox):
    resp = requests.post(f"{sandbox.admin_url}/admin/essc/codes", json={"persona": "normal"},
                         timeout=5)
    assert resp.status_code in (401, 403)
    with pytest.raises(requests.HTTPError):
        issue(sandbox, "unknown")  # no e-SSC identity
    resp = requests.post(f"{sandbox.url}/admin/essc/codes", json={"persona": "normal"},
                         timeout=5)
    assert resp.status_code in (401, 404)  # the public port has no admin side


def test_sandbox_keeps_only_hashes(sandbox, central_client):
    code = issue(sandbox)
    who = central_client.verify_essc(code)
    if hasattr(sandbox.store, "path"):  # the sandbox: its SQLite files and their WAL
        raw = b"".join(p.read_bytes() for p in sandbox.store.path.parent.glob(
            sandbox.store.path.name + "*"))
    else:  # the centre: every row of every table, as a dump would hold them
        db = sandbox.store.db
        raw = "".join(repr([dict(r) for r in db.all(f"SELECT * FROM {table}")])
                      for table in db.tables()).encode()
    # Neither the code nor a handle: handles are sealed, the service keeps none of them.
    assert code.encode() not in raw and who.cards[0].handle.encode() not in raw


def test_openapi_documents_the_operations():
    from kiosk.central.sandbox.openapi import OPENAPI_FILE, render

    assert OPENAPI_FILE.read_text(encoding="utf-8") == render()
    import json

    doc = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    verify = doc["paths"][EsscPath.VERIFY.value]["post"]
    assert "does not replace the ID card for cancelling" in verify["description"]
    assert {"409", "410", "422", "403"} <= set(verify["responses"])
    # One way to pre-lose: /v1/pre_losses with a handle (the e-SSC's included).
    assert "/v1/essc/pre_losses" not in doc["paths"] and Path.PRE_LOSS.value in doc["paths"]


def test_clock_offset_is_reset(sandbox):
    assert abs(sandbox.store.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


@settings(max_examples=60,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.one_of(st.text(max_size=600),
                      st.from_regex(r"essc1\.[A-Za-z0-9_-]{0,220}", fullmatch=True),
                      st.binary(max_size=80).map(lambda b: b.decode("latin-1"))))
def test_any_scanned_text_is_a_typed_refusal(sandbox, central_client, text):
    # Whatever a scanner delivers: refused locally (shape) or by the service, never a 5xx.
    err = refusal(lambda: central_client.verify_essc(text))
    assert err.code in ("validation_error", "not_an_essc")
