"""Per-terminal HMAC request signing, shared by the client and the sandbox.

The signature is HMAC-SHA256 with the terminal key over the canonical string::

    KIOSK-HMAC-SHA256-V2
    <METHOD>
    <path>
    <sha256 hex of the body>
    <timestamp, unix seconds>
    <nonce>
    <terminal id>
    <Idempotency-Key header value, or empty when the request has none>

sent in the headers below. The idempotency key is signed (V2; V1 did not) because the
service stores and replays answers by it: an unsigned key could be swapped on the way,
so that a stored answer is replayed for another request, or one request applied twice.
The verifier recomputes it (constant-time compare), rejects a timestamp further than
``max_skew`` seconds from its clock (``clock_skew``) and, in its own store, a nonce it
has already seen within that window (``replayed``). Every attempt, including retries,
is signed afresh with a new nonce.

Replies are signed too, so a terminal can tell the service from an impersonator and a
fresh answer from a recorded one: ``X-Kiosk-Reply-Signature`` is HMAC-SHA256 with the
same terminal key over::

    KIOSK-HMAC-SHA256-V1-REPLY
    <the request's nonce>
    <HTTP status>
    <sha256 hex of the reply body>

A 401 is never signed (the service may not know who is asking, and signing only some
401s would tell an attacker which terminal ids exist).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

SCHEME = "KIOSK-HMAC-SHA256-V2"  # V2: the Idempotency-Key is signed
H_TERMINAL = "X-Kiosk-Terminal"
H_TIMESTAMP = "X-Kiosk-Timestamp"
H_NONCE = "X-Kiosk-Nonce"
H_SIGNATURE = "X-Kiosk-Signature"
H_IDEMPOTENCY = "Idempotency-Key"  # the same header as schemas.IDEMPOTENCY_HEADER
SIGNED_HEADERS = (H_TERMINAL, H_TIMESTAMP, H_NONCE, H_SIGNATURE)
REPLY_SCHEME = "KIOSK-HMAC-SHA256-V1-REPLY"
H_REPLY_SIGNATURE = "X-Kiosk-Reply-Signature"
# One answer for every authentication failure: which check failed is logged, not told.
NOT_AUTHENTICATED = "request not authenticated"

# Header shapes, checked before any use: outside them a header is refused, never parsed.
TERMINAL_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
NONCE_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
SIGNATURE_RE = re.compile(r"[0-9a-f]{64}")
IDEMPOTENCY_RE = re.compile(r"[A-Za-z0-9_-]{8,128}")


class SignatureError(Exception):
    """Verification failed; ``code`` is ``bad_signature`` or ``clock_skew``."""

    def __init__(self, code: str, detail: str) -> None:
        self.code, self.detail = code, detail
        super().__init__(f"{code}: {detail}")


@dataclass(frozen=True)
class SignedRequest:
    """What a verified request proved: who sent it, when, with which nonce."""

    terminal_id: str
    timestamp: int
    nonce: str


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_string(method: str, path: str, body: bytes, timestamp: int, nonce: str,
                     terminal_id: str, idempotency_key: str = "") -> bytes:
    """The signed text (see the module doc); ``idempotency_key`` "" when there is none."""
    return "\n".join((SCHEME, method.upper(), path, body_digest(body), str(timestamp),
                      nonce, terminal_id, idempotency_key)).encode()


def compute_signature(key: bytes, method: str, path: str, body: bytes, timestamp: int,
                      nonce: str, terminal_id: str, idempotency_key: str = "") -> str:
    """HMAC-SHA256 (hex) of :func:`canonical_string` with the terminal key."""
    msg = canonical_string(method, path, body, timestamp, nonce, terminal_id,
                           idempotency_key)
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def sign_request(key: bytes, terminal_id: str, method: str, path: str, body: bytes,
                 now: float | None = None, nonce: str | None = None,
                 idempotency_key: str | None = None) -> dict[str, str]:
    """Headers that authenticate one request (fresh nonce unless one is given), with
    the ``Idempotency-Key`` header when the request has one (it is signed)."""
    if idempotency_key is not None and not IDEMPOTENCY_RE.fullmatch(idempotency_key):
        raise ValueError("an idempotency key is 8 to 128 of A-Z a-z 0-9 _ -")
    ts = int(time.time() if now is None else now)
    nonce = nonce or secrets.token_hex(16)
    headers = {
        H_TERMINAL: terminal_id,
        H_TIMESTAMP: str(ts),
        H_NONCE: nonce,
        H_SIGNATURE: compute_signature(key, method, path, body, ts, nonce, terminal_id,
                                       idempotency_key or ""),
    }
    if idempotency_key is not None:
        headers[H_IDEMPOTENCY] = idempotency_key
    return headers


def reply_signature(key: bytes, nonce: str, status: int, body: bytes) -> str:
    """The service's signature of one reply to the request that carried ``nonce``."""
    msg = "\n".join((REPLY_SCHEME, nonce, str(status), body_digest(body))).encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def reply_is_authentic(key: bytes, nonce: str, status: int, body: bytes,
                       given: str | None) -> bool:
    """Whether ``given`` is the service's signature of this reply to this request."""
    if not given or not SIGNATURE_RE.fullmatch(given):
        return False
    return hmac.compare_digest(reply_signature(key, nonce, status, body), given)


def verify_request(keys: Mapping[str, bytes], method: str, path: str, body: bytes,
                   headers: Mapping[str, str], max_skew: float | None,
                   now: float | None = None) -> SignedRequest:
    """Check the signature and the clock; raise :class:`SignatureError`.

    ``keys`` maps terminal ids to their keys. Replay (a nonce seen before) is the
    caller's check, since it needs a store shared across requests. ``max_skew=None``
    skips the clock check (the heartbeat, whose job is to tell a terminal its clock is off).
    """
    lower = {k.lower(): v for k, v in headers.items()}
    terminal = lower.get(H_TERMINAL.lower(), "")
    ts_text = lower.get(H_TIMESTAMP.lower(), "")
    nonce = lower.get(H_NONCE.lower(), "")
    given = lower.get(H_SIGNATURE.lower(), "")
    idem = lower.get(H_IDEMPOTENCY.lower())
    if not (TERMINAL_RE.fullmatch(terminal) and TIMESTAMP_RE.fullmatch(ts_text)
            and NONCE_RE.fullmatch(nonce) and SIGNATURE_RE.fullmatch(given)
            and (idem is None or IDEMPOTENCY_RE.fullmatch(idem))):
        raise SignatureError("bad_signature", "signature headers missing or malformed")
    key = keys.get(terminal)
    if key is None:
        raise SignatureError("bad_signature", "unknown terminal")
    ts = int(ts_text)
    expected = compute_signature(key, method, path, body, ts, nonce, terminal, idem or "")
    if not hmac.compare_digest(expected, given):
        raise SignatureError("bad_signature", "signature does not match")
    current = time.time() if now is None else now
    if max_skew is not None and abs(current - ts) > max_skew:
        raise SignatureError("clock_skew", f"terminal clock off by {int(current - ts)} s")
    return SignedRequest(terminal_id=terminal, timestamp=ts, nonce=nonce)
