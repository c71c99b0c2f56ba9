"""The e-SSC contract: the real client against the real sandbox over HTTP on 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.central.client import new_idempotency_key
from kiosk.central.errors import CentralNotFound, CentralRefused
from kiosk.central.schemas_essc import CODE_TTL_SECONDS, GRANT_TTL_SECONDS, EsscPath
from kiosk.domain.card_states import CardState
from kiosk.personas import persona

CENTRAL_BACKENDS = ("sandbox", "centre")  # the contract holds on both (tests/fixtures/centre.py)
CARD_NORMAL = persona("normal")["ssc"]["card_number"]


def issue(sandbox, name: str = "normal", **flags) -> str:
    return sandbox.admin("POST", "/essc/codes", json={"persona": name, **flags})["code"]


def refusal(call) -> CentralRefused:
    with pytest.raises(CentralRefused) as info:
        call()
    return info.value


def test_verify_answers_masked_identity_cards_and_grant(sandbox, central_client):
    who = central_client.verify_essc(issue(sandbox))
    assert who.name == "王**"  # masked: the scan greets, it does not reveal
    assert who.phone_masked == "138****1230"
    assert [c.card_number for c in who.cards] == [CARD_NORMAL]
    assert who.person_ref == sandbox.store.person_ids()["normal"]
    assert who.grant_scope == ["pre_loss"] and who.grant_expires_in == GRANT_TTL_SECONDS
    assert "110105" not in who.model_dump_json()  # never the ID number


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


def test_pre_loss_with_the_grant_once(sandbox, central_client):
    who = central_client.verify_essc(issue(sandbox))
    key = new_idempotency_key()
    done = central_client.submit_pre_loss_essc(CARD_NORMAL, who.grant, key)
    again = central_client.submit_pre_loss_essc(CARD_NORMAL, who.grant, key)
    assert done.reference == again.reference
    assert central_client.card_status(CARD_NORMAL).state == CardState.PRE_LOST
    kiosk = [p for p in sandbox.admin("GET", "/pre_losses") if p["channel"] == "kiosk"]
    assert len(kiosk) == 1


def test_grant_is_for_this_person_terminal_and_time(sandbox, central_client):
    who = central_client.verify_essc(issue(sandbox, "replacement"))
    # Not this person's card: not found (a terminal never learns whose card it is).
    with pytest.raises(CentralNotFound):
        central_client.submit_pre_loss_essc(CARD_NORMAL, who.grant, new_idempotency_key())
    err = refusal(lambda: central_client.submit_pre_loss_essc(
        CARD_NORMAL, "g" * 40, new_idempotency_key()))
    assert (err.code, err.status) == ("grant_invalid", 403)
    mine = central_client.verify_essc(issue(sandbox))
    sandbox.admin("POST", "/clock", json={"offset_days": (GRANT_TTL_SECONDS + 5) / 86400})
    err = refusal(lambda: central_client.submit_pre_loss_essc(
        CARD_NORMAL, mine.grant, new_idempotency_key()))
    assert err.code == "grant_invalid"


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
    assert code.encode() not in raw and who.grant.encode() not in raw


def test_openapi_documents_the_operations():
    from kiosk.central.sandbox.openapi import OPENAPI_FILE, render

    assert OPENAPI_FILE.read_text(encoding="utf-8") == render()
    import json

    doc = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    verify = doc["paths"][EsscPath.VERIFY.value]["post"]
    assert "does not replace the ID card for cancelling" in verify["description"]
    assert {"409", "410", "422", "403"} <= set(verify["responses"])
    assert EsscPath.PRE_LOSS.value in doc["paths"]


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
