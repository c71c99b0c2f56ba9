"""Request and reply signatures pinned byte for byte, and every signed field tampered with.

The vectors were computed outside Python (``openssl dgst -sha256 -mac HMAC`` over the
canonical strings spelt out below), so they pin the scheme the service and every
terminal must agree on: a change to the canonical string, the digest or the compare
fails here. Each tamper test changes one field and nothing else, so a field left out of
the signed string (the nonce, the status of a reply, ...), a prefix compare or a clock
check that looks one way only cannot pass.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest

from kiosk.central.signing import (
    H_IDEMPOTENCY,
    H_NONCE,
    H_SIGNATURE,
    H_TERMINAL,
    H_TIMESTAMP,
    SignatureError,
    SignedRequest,
    canonical_string,
    compute_signature,
    reply_is_authentic,
    reply_signature,
    sign_request,
    verify_request,
)

KEY = b"terminal-key-for-known-answer-01"
BODY = b'{"card_number":"X00000019"}'
NONCE = "0123456789abcdef0123456789abcdef"
TS = 1767225600  # 2026-01-01T00:00:00Z
TERMINAL = "T-0001"
PATH = "/v1/pre_losses"
SKEW = 300

IDEM = "idem-key-00000001"
# printf 'KIOSK-HMAC-SHA256-V2\nPOST\n/v1/pre_losses\n<sha256 of BODY>\n1767225600\n
#   0123456789abcdef0123456789abcdef\nT-0001\n' | openssl dgst -sha256 -mac HMAC -macopt key:...
# (the last line is the Idempotency-Key header: empty when the request has none)
CANONICAL = (b"KIOSK-HMAC-SHA256-V2\nPOST\n/v1/pre_losses\n"
             b"3c1061df1bb94a63b099dd67a73c2a44c9e01ae8de2462bd4e338b5f8280d11e\n"
             b"1767225600\n0123456789abcdef0123456789abcdef\nT-0001\n")
REQUEST_SIG = "2adf2248c908497e2fc74d651be36d8a8435ae42e27b206261d9da38a99d92dd"
# The same request with "Idempotency-Key: idem-key-00000001" (its value on the last line).
IDEM_SIG = "092efdaa32c6acd336081377f6b76e8914532c7377f3f0dbc4f36b778bf650f2"
# GET, empty body (sha256 of nothing), timestamp 0, a short nonce, a dotted terminal id.
EMPTY_SIG = "0e816c367b60cdc59a1211bc227529ca92c7260ba891b36b5f4cb5692b17bd0d"
# KIOSK-HMAC-SHA256-V1-REPLY / NONCE / 200 (then 201) / sha256('{"reference":"PL-1"}')
REPLY_BODY = b'{"reference":"PL-1"}'
REPLY_SIG_200 = "13c303087bfa43f2f565c6538db4de94b324b299c809e9231824efdb54d5f694"
REPLY_SIG_201 = "f7e890fbc177eb04896a46b89d163d1ff174af7151ecaed32349ea1fa251cad7"


def _headers(changes: dict[str, str] | None = None) -> dict[str, str]:
    """The known request's headers, with ``changes`` (header name → value) applied."""
    return {H_TERMINAL: TERMINAL, H_TIMESTAMP: str(TS), H_NONCE: NONCE,
            H_SIGNATURE: REQUEST_SIG, **(changes or {})}


def _verify(headers: dict[str, str], *, method: str = "POST", path: str = PATH,
            body: bytes = BODY, now: float = TS, keys: dict[str, bytes] | None = None,
            max_skew: float | None = SKEW) -> SignedRequest:
    return verify_request(keys or {TERMINAL: KEY}, method, path, body, headers, max_skew,
                          now=now)


def _flip_last_hex(sig: str) -> str:
    return sig[:-1] + ("0" if sig[-1] != "0" else "1")


# --- known answers -------------------------------------------------------------------

def test_canonical_string_is_the_documented_one():
    assert canonical_string("POST", PATH, BODY, TS, NONCE, TERMINAL) == CANONICAL
    assert canonical_string("post", PATH, BODY, TS, NONCE, TERMINAL) == CANONICAL


def test_request_signature_known_answers():
    assert compute_signature(KEY, "POST", PATH, BODY, TS, NONCE, TERMINAL) == REQUEST_SIG
    assert compute_signature(KEY, "GET", "/v1/health", b"", 0, "nonce-000",
                             "kiosk.outlet-7") == EMPTY_SIG
    # The same bytes through hmac directly: the signature is HMAC-SHA256, hex, lower case.
    assert hmac.new(KEY, CANONICAL, hashlib.sha256).hexdigest() == REQUEST_SIG
    assert compute_signature(KEY, "POST", PATH, BODY, TS, NONCE, TERMINAL, IDEM) == IDEM_SIG
    assert hmac.new(KEY, CANONICAL + IDEM.encode(), hashlib.sha256).hexdigest() == IDEM_SIG


def test_the_idempotency_key_is_signed_and_sent():
    headers = sign_request(KEY, TERMINAL, "POST", PATH, BODY, now=TS, nonce=NONCE,
                           idempotency_key=IDEM)
    assert headers == {H_TERMINAL: TERMINAL, H_TIMESTAMP: str(TS), H_NONCE: NONCE,
                       H_SIGNATURE: IDEM_SIG, H_IDEMPOTENCY: IDEM}
    assert _verify(headers).nonce == NONCE
    for changed in ({H_IDEMPOTENCY: "idem-key-00000002"}, {H_IDEMPOTENCY: IDEM[:-1]}):
        with pytest.raises(SignatureError):
            _verify({**headers, **changed})
    with pytest.raises(SignatureError):
        _verify({k: v for k, v in headers.items() if k != H_IDEMPOTENCY})
    with pytest.raises(SignatureError):  # a key added to a request signed without one
        _verify(_headers({H_IDEMPOTENCY: IDEM}))


def test_sign_request_sends_the_known_headers():
    assert sign_request(KEY, TERMINAL, "POST", PATH, BODY, now=TS + 0.9, nonce=NONCE) == {
        H_TERMINAL: TERMINAL, H_TIMESTAMP: str(TS), H_NONCE: NONCE, H_SIGNATURE: REQUEST_SIG}


def test_sign_request_draws_a_fresh_unguessable_nonce_and_reads_the_clock():
    a = sign_request(KEY, TERMINAL, "POST", PATH, BODY)
    b = sign_request(KEY, TERMINAL, "POST", PATH, BODY)
    assert a[H_NONCE] != b[H_NONCE] and len(a[H_NONCE]) == 32
    int(a[H_NONCE], 16)  # 128 random bits, hex
    # A signature made now verifies now: the clock read is the real one.
    assert _verify(a, keys={TERMINAL: KEY}, now=float(a[H_TIMESTAMP])).nonce == a[H_NONCE]
    verify_request({TERMINAL: KEY}, "POST", PATH, BODY, a, SKEW)


def test_reply_signature_known_answers():
    assert reply_signature(KEY, NONCE, 200, REPLY_BODY) == REPLY_SIG_200
    assert reply_signature(KEY, NONCE, 201, REPLY_BODY) == REPLY_SIG_201


def test_the_known_request_verifies_and_says_who_sent_it():
    assert _verify(_headers()) == SignedRequest(terminal_id=TERMINAL, timestamp=TS, nonce=NONCE)
    # Header names are case-insensitive, as in HTTP.
    lower = {k.lower(): v for k, v in _headers().items()}
    assert _verify(lower).terminal_id == TERMINAL
    # A lower-case method is the same request.
    assert _verify(_headers(), method="post").nonce == NONCE


# --- one signed field at a time ------------------------------------------------------

@pytest.mark.parametrize("field,change", [
    ("nonce", {H_NONCE: "fedcba9876543210fedcba9876543210"}),
    ("timestamp", {H_TIMESTAMP: str(TS + 1)}),
    ("terminal", {H_TERMINAL: "T-0002"}),
    ("signature, last hex digit", {H_SIGNATURE: _flip_last_hex(REQUEST_SIG)}),
    ("signature, first hex digit", {H_SIGNATURE: "0" + REQUEST_SIG[1:]}),
    ("signature, 17th hex digit", {H_SIGNATURE: REQUEST_SIG[:16] + "0" + REQUEST_SIG[17:]}),
])
def test_a_tampered_header_is_refused(field, change):
    # T-0002 shares the key: only the terminal id in the signed string tells them apart.
    with pytest.raises(SignatureError) as err:
        _verify(_headers(change), keys={TERMINAL: KEY, "T-0002": KEY})
    assert err.value.code == "bad_signature", field


@pytest.mark.parametrize("field,kwargs", [
    ("method", {"method": "PUT"}),
    ("path", {"path": "/v1/cancel_pre_losses"}),
    ("path, trailing slash", {"path": PATH + "/"}),
    ("body", {"body": b'{"card_number":"X00000027"}'}),
    ("body, empty", {"body": b""}),
    ("key", {"keys": {TERMINAL: b"another-terminal-key-000000000000"}}),
    ("unknown terminal", {"keys": {"T-0002": KEY}}),
])
def test_a_tampered_request_is_refused(field, kwargs):
    with pytest.raises(SignatureError) as err:
        _verify(_headers(), **kwargs)
    assert err.value.code == "bad_signature", field


# --- the clock, both ways, at the edge -----------------------------------------------

@pytest.mark.parametrize("offset", [-SKEW, -1, 0, 1, SKEW])
def test_a_timestamp_within_the_skew_is_accepted(offset):
    # offset > 0: the terminal's clock is behind the service's; < 0: ahead of it.
    assert _verify(_headers(), now=TS + offset).timestamp == TS


@pytest.mark.parametrize("offset,said", [(SKEW + 1, "301"), (SKEW + 0.5, "300"),
                                         (-SKEW - 1, "-301"), (-10**9, "-1000000000"),
                                         (10**9, "1000000000")])
def test_a_timestamp_past_the_skew_is_refused_past_or_future(offset, said):
    with pytest.raises(SignatureError) as err:
        _verify(_headers(), now=TS + offset)
    assert err.value.code == "clock_skew"
    assert f"off by {said} s" in err.value.detail


def test_no_skew_limit_skips_only_the_clock_check():
    assert _verify(_headers(), now=TS + 10**6, max_skew=None).timestamp == TS
    with pytest.raises(SignatureError) as err:
        _verify(_headers({H_NONCE: "fedcba9876543210"}), now=TS + 10**6, max_skew=None)
    assert err.value.code == "bad_signature"


def test_the_signature_is_checked_before_the_clock():
    # A forged request with a stale clock is told "bad signature", not "clock skew":
    # the clock answer would confirm a guessed key.
    with pytest.raises(SignatureError) as err:
        _verify(_headers({H_SIGNATURE: _flip_last_hex(REQUEST_SIG)}), now=TS + 10**6)
    assert err.value.code == "bad_signature"


def test_the_clock_defaults_to_the_real_one():
    with pytest.raises(SignatureError) as err:
        verify_request({TERMINAL: KEY}, "POST", PATH, BODY, _headers(), SKEW)
    assert err.value.code == "clock_skew"  # 2026-01-01 is not now


# --- header shapes: refused before any use -------------------------------------------

def _signed_with(terminal: str = TERMINAL, nonce: str = NONCE, ts: int = TS) -> dict[str, str]:
    return sign_request(KEY, terminal, "POST", PATH, BODY, now=ts, nonce=nonce)


@pytest.mark.parametrize("headers", [
    _signed_with(terminal="T" * 64), _signed_with(terminal="a.b_c-D9"),
    _signed_with(nonce="n" * 8), _signed_with(nonce="N_-9" * 16),
    _signed_with(ts=10**11 + TS % 10),
], ids=["terminal-64", "terminal-chars", "nonce-8", "nonce-64", "ts-12-digits"])
def test_header_shapes_at_their_limits_are_accepted(headers):
    got = verify_request({headers[H_TERMINAL]: KEY}, "POST", PATH, BODY, headers, None)
    assert got.nonce == headers[H_NONCE]


@pytest.mark.parametrize("headers", [
    _signed_with(terminal="T" * 65), _signed_with(terminal="T 1"), _signed_with(terminal=""),
    _signed_with(nonce="n" * 7), _signed_with(nonce="n" * 65), _signed_with(nonce="nonce+00"),
    _signed_with(ts=10**12), {**_headers(), H_TIMESTAMP: "-1"},
    {**_headers(), H_TIMESTAMP: " 1767225600"},
    {**_headers(), H_SIGNATURE: REQUEST_SIG.upper()},
    {**_headers(), H_SIGNATURE: REQUEST_SIG[:63]},
    {**_headers(), H_SIGNATURE: REQUEST_SIG[:16]},
    {**_headers(), H_SIGNATURE: REQUEST_SIG + "0"},
    {k: v for k, v in _headers().items() if k != H_NONCE},
    {k: v for k, v in _headers().items() if k != H_TIMESTAMP},
    {k: v for k, v in _headers().items() if k != H_TERMINAL},
    {k: v for k, v in _headers().items() if k != H_SIGNATURE},
])
def test_malformed_headers_are_refused_before_any_use(headers):
    with pytest.raises(SignatureError) as err:
        verify_request({headers.get(H_TERMINAL, TERMINAL): KEY, TERMINAL: KEY}, "POST", PATH,
                       BODY, headers, None)
    assert err.value.code == "bad_signature"
    assert err.value.detail == "signature headers missing or malformed"


# --- replies -------------------------------------------------------------------------

def test_the_known_reply_is_authentic():
    assert reply_is_authentic(KEY, NONCE, 200, REPLY_BODY, REPLY_SIG_200) is True
    assert reply_is_authentic(KEY, NONCE, 201, REPLY_BODY, REPLY_SIG_201) is True


@pytest.mark.parametrize("field,args", [
    ("nonce", ("fedcba9876543210fedcba9876543210", 200, REPLY_BODY, REPLY_SIG_200)),
    ("status", (NONCE, 201, REPLY_BODY, REPLY_SIG_200)),
    ("status, error", (NONCE, 409, REPLY_BODY, REPLY_SIG_200)),
    ("body", (NONCE, 200, b'{"reference":"PL-2"}', REPLY_SIG_200)),
    ("body, empty", (NONCE, 200, b"", REPLY_SIG_200)),
    ("last hex digit", (NONCE, 200, REPLY_BODY, _flip_last_hex(REPLY_SIG_200))),
    ("17th hex digit", (NONCE, 200, REPLY_BODY,
                        REPLY_SIG_200[:16] + "0" + REPLY_SIG_200[17:])),
    ("upper case", (NONCE, 200, REPLY_BODY, REPLY_SIG_200.upper())),
    ("prefix", (NONCE, 200, REPLY_BODY, REPLY_SIG_200[:16])),
    ("longer", (NONCE, 200, REPLY_BODY, REPLY_SIG_200 + "0")),
    ("missing", (NONCE, 200, REPLY_BODY, None)),
    ("empty", (NONCE, 200, REPLY_BODY, "")),
])
def test_a_tampered_reply_is_not_authentic(field, args):
    assert reply_is_authentic(KEY, *args) is False, field


def test_a_reply_signature_outside_its_shape_is_refused_not_compared():
    # hmac.compare_digest raises TypeError on non-ASCII text: the shape check comes first.
    assert reply_is_authentic(KEY, NONCE, 200, REPLY_BODY, "é" * 64) is False


def test_a_reply_signed_with_another_key_is_not_authentic():
    other = reply_signature(b"another-terminal-key-000000000000", NONCE, 200, REPLY_BODY)
    assert not reply_is_authentic(KEY, NONCE, 200, REPLY_BODY, other)


# --- the wire names and the words, pinned (a renamed header breaks every terminal) -------

def test_the_header_names_on_the_wire():
    headers = sign_request(KEY, TERMINAL, "POST", PATH, BODY, now=TS, nonce=NONCE,
                           idempotency_key="idem-0001")
    assert set(headers) == {"X-Kiosk-Terminal", "X-Kiosk-Timestamp", "X-Kiosk-Nonce",
                            "X-Kiosk-Signature", "Idempotency-Key"}
    from kiosk.central import signing

    assert signing.H_REPLY_SIGNATURE == "X-Kiosk-Reply-Signature"
    assert signing.NOT_AUTHENTICATED == "request not authenticated"


def test_each_refusal_says_which_check_failed_in_the_log_words():
    cases = [({}, "signature headers missing or malformed"),
             ({"keys": {"T-0002": KEY}}, "unknown terminal"),
             ({"body": b"{}"}, "signature does not match")]
    for kwargs, detail in cases:
        with pytest.raises(SignatureError) as err:
            _verify(_headers() if kwargs else {}, **kwargs)
        assert (err.value.code, err.value.detail) == ("bad_signature", detail)
        assert str(err.value) == f"bad_signature: {detail}"


def test_a_malformed_idempotency_key_is_not_signed():
    with pytest.raises(ValueError, match=r"^an idempotency key is 8 to 128 of "
                                         r"A-Z a-z 0-9 _ -$"):
        sign_request(KEY, TERMINAL, "POST", PATH, BODY, idempotency_key="short")


def test_what_a_verified_request_proved_is_a_value():
    import dataclasses

    who = _verify(_headers())
    with pytest.raises(dataclasses.FrozenInstanceError):
        who.nonce = "other"  # type: ignore[misc]
