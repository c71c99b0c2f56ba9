"""The sandbox as a reference service that is safe to run: raw HTTP against it on
127.0.0.1 (hostile headers and bodies), plus its store for SMS codes (SQLite on disk)."""

from __future__ import annotations

import socket

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.central import schemas as s
from kiosk.central.errors import CentralNotFound, CentralRefused
from kiosk.central.request_build import chip_facts
from kiosk.central.sandbox.gate import MAX_BODY_BYTES
from kiosk.central.sandbox.limits import Limit, RateLimiter
from kiosk.central.sandbox.rules import RegionalRules
from kiosk.central.sandbox.store import ApiProblem, SandboxStore
from kiosk.central.signing import (
    H_REPLY_SIGNATURE,
    H_SIGNATURE,
    SignatureError,
    sign_request,
    verify_request,
)
from kiosk.cli.main import main
from kiosk.devices.virtual.cards import id_card_data, ssc_card_data
from kiosk.personas import persona

CARD = persona("normal")["ssc"]["card_number"]
ID = persona("normal")["id"]["id_number"]
TERMINAL = "T-DEMO-0001"


SSC, ID_CARD = ssc_card_data("normal"), id_card_data("normal")


def _body() -> bytes:
    return s.CardStatusRequest(card=chip_facts(SSC)).model_dump_json().encode()


def _post(sandbox, headers: dict, body: bytes | None = None) -> requests.Response:
    body = _body() if body is None else body
    return requests.post(sandbox.url + s.Path.CARD_STATUS, data=body, timeout=5,
                         headers={"Content-Type": "application/json", **headers})


def _signed(key: bytes, terminal: str = TERMINAL, body: bytes | None = None) -> dict:
    return sign_request(key, terminal, "POST", s.Path.CARD_STATUS,
                        _body() if body is None else body)


@pytest.mark.parametrize("header,value", [
    (H_SIGNATURE, b"\xe9" * 64),                  # non-ASCII: was a 500
    (H_SIGNATURE, "ABCDEF" * 10 + "abcd"),        # upper-case hex
    (H_SIGNATURE, "0" * 63),                      # one short
    (H_SIGNATURE, "0" * 100_00),                  # very long
    ("X-Kiosk-Timestamp", "9" * 40),              # huge number
    ("X-Kiosk-Timestamp", "-5"),
    ("X-Kiosk-Nonce", "a b c d e f g h"),
    ("X-Kiosk-Terminal", b"T\xff\xfe"),
])
def test_malformed_signature_headers_get_the_one_401(sandbox, central_secrets, header, value):
    headers = _signed(central_secrets.terminal_key)
    headers[header] = value
    resp = _post(sandbox, headers)
    assert resp.status_code == 401
    assert resp.json()["code"] == "bad_signature"
    assert resp.json()["detail"] == "request not authenticated"
    assert H_REPLY_SIGNATURE not in resp.headers


def test_unknown_terminal_and_wrong_signature_answer_the_same(sandbox, central_secrets):
    unknown = _post(sandbox, _signed(central_secrets.terminal_key, terminal="T-NOBODY"))
    wrong = _post(sandbox, _signed(b"w" * 32))
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.content == wrong.content
    drop = {"date"}
    assert ({k.lower() for k in unknown.headers} - drop) == ({k.lower() for k in wrong.headers}
                                                             - drop)


def test_an_oversized_body_is_refused_before_authentication(sandbox):
    big = b"{" + b" " * (MAX_BODY_BYTES + 10) + b"}"
    resp = _post(sandbox, {}, big)  # no signature at all: the cap comes first
    assert resp.status_code == 413 and resp.json()["code"] == "too_large"


def test_an_oversized_chunked_body_is_refused_without_reading_it_all(sandbox):
    """No Content-Length: the gate stops reading at the cap and answers 413."""
    host, port = sandbox.url.rsplit(":", 1)
    with socket.create_connection(("127.0.0.1", int(port)), timeout=5) as sock:
        sock.sendall(b"POST /v1/cards/status HTTP/1.1\r\nHost: x\r\n"
                     b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n")
        chunk = b"a" * 8192
        try:
            for _ in range(64):  # 512 KiB offered
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the server may close before we are done: fine
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")


def test_malformed_content_length_is_4xx(sandbox):
    with socket.create_connection(("127.0.0.1", int(sandbox.url.rsplit(":", 1)[1])),
                                  timeout=5) as sock:
        sock.sendall(b"POST /v1/cards/status HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: 99999999999999999999\r\n\r\n")
        answer = sock.recv(4096)
    assert answer[9:10] == b"4", answer[:40]


def test_the_nonce_table_survives_an_admin_reset(sandbox, central_secrets):
    headers = _signed(central_secrets.terminal_key)
    assert _post(sandbox, headers).status_code == 200
    sandbox.admin("POST", "/reset")
    again = _post(sandbox, headers)
    assert again.status_code == 401 and again.json()["code"] == "replayed"


def test_replies_are_signed_for_the_request(sandbox, central_secrets):
    from kiosk.central.signing import reply_is_authentic

    headers = _signed(central_secrets.terminal_key)
    resp = _post(sandbox, headers)
    assert reply_is_authentic(central_secrets.terminal_key, headers["X-Kiosk-Nonce"], 200,
                              resp.content, resp.headers[H_REPLY_SIGNATURE])
    assert not reply_is_authentic(central_secrets.terminal_key, "another-nonce", 200,
                                  resp.content, resp.headers[H_REPLY_SIGNATURE])


def test_rate_limit_per_terminal(sandbox, make_central_client):
    gate = sandbox.gate
    saved = gate.terminal_limit
    gate.terminal_limit = RateLimiter(Limit(burst=3, per_second=0.01))
    try:
        client = make_central_client(retries=0)
        for _ in range(3):
            client.card_status(ssc=SSC)
        with pytest.raises(CentralRefused) as err:
            client.card_status(ssc=SSC)
        assert err.value.code == "rate_limited" and err.value.status == 429
    finally:
        gate.terminal_limit = saved


def test_rate_limit_per_id_number(sandbox, central_client):
    """Guessing through ID numbers is slow: 30 at once, then one every 5 s per number."""
    for _ in range(30):
        central_client.lookup_by_id_card(ID_CARD)
    with pytest.raises(CentralRefused) as err:
        central_client.lookup_by_id_card(ID_CARD)
    assert err.value.code == "rate_limited"
    other = id_card_data("replacement")
    assert central_client.lookup_by_id_card(other).cards  # another person is not affected


def test_one_live_code_per_person_with_a_resend_cooldown(sandbox, central_client):
    first = central_client.request_code(ID)
    assert first.resend_after_seconds == 60
    with pytest.raises(CentralRefused) as err:
        central_client.request_code(ID)
    assert err.value.code == "resend_too_soon" and err.value.status == 429
    sandbox.admin("POST", "/clock", json={"offset_days": 61 / 86400})
    second = central_client.request_code(ID)
    code = sandbox.admin("GET", f"/verification/last?challenge_id={second.challenge_id}")
    with pytest.raises(CentralNotFound):  # the old code is gone
        central_client.confirm_code(first.challenge_id, code["code"])
    assert central_client.confirm_code(second.challenge_id, code["code"]).cards


def test_a_code_is_tied_to_the_terminal_that_asked(tmp_path):
    store = SandboxStore(tmp_path / "sb.db", RegionalRules())
    try:
        challenge = store.request_code(ID, "T-ONE")["challenge_id"]
        code = store.last_code(challenge)["code"]
        with pytest.raises(ApiProblem) as err:
            store.confirm_code(challenge, code, "T-TWO")
        assert err.value.status == 404
        assert store.confirm_code(challenge, code, "T-ONE")["cards"]
    finally:
        store.close()


def test_allow_remote_requires_tls(capsys, tmp_path):
    assert main(["sandbox", "--host", "0.0.0.0", "--allow-remote"]) == 1
    err = capsys.readouterr().err
    assert "--tls-cert" in err and len(err.strip().splitlines()) == 1
    assert main(["sandbox", "--host", "0.0.0.0", "--allow-remote", "--tls-cert",
                 str(tmp_path / "c.pem")]) == 1
    assert "go together" in capsys.readouterr().err


@settings(max_examples=300, deadline=None)
@given(terminal=st.text(max_size=80), ts=st.text(max_size=20), nonce=st.text(max_size=80),
       sig=st.text(max_size=80))
def test_any_signature_headers_verify_or_raise_signature_error(terminal, ts, nonce, sig):
    """Whatever the headers hold (latin-1 text, as the server decodes them)."""
    headers = {"X-Kiosk-Terminal": terminal, "X-Kiosk-Timestamp": ts,
               "X-Kiosk-Nonce": nonce, H_SIGNATURE: sig}
    try:
        verify_request({TERMINAL: b"k" * 32}, "POST", s.Path.CARD_STATUS, b"{}", headers, 300)
    except SignatureError:
        pass
