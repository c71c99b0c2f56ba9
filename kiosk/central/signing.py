"""Per-terminal HMAC request signing, shared by the client and the sandbox.

The signature is HMAC-SHA256 with the terminal key over the canonical string::

    KIOSK-HMAC-SHA256-V1
    <METHOD>
    <path>
    <sha256 hex of the body>
    <timestamp, unix seconds>
    <nonce>
    <terminal id>

sent in the headers below. The verifier recomputes it (constant-time compare), rejects
a timestamp further than ``max_skew`` seconds from its clock (``clock_skew``) and, in its
own store, a nonce it has already seen within that window (``replayed``). Every attempt,
including retries, is signed afresh with a new nonce.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

SCHEME = "KIOSK-HMAC-SHA256-V1"
H_TERMINAL = "X-Kiosk-Terminal"
H_TIMESTAMP = "X-Kiosk-Timestamp"
H_NONCE = "X-Kiosk-Nonce"
H_SIGNATURE = "X-Kiosk-Signature"
SIGNED_HEADERS = (H_TERMINAL, H_TIMESTAMP, H_NONCE, H_SIGNATURE)


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
                     terminal_id: str) -> bytes:
    return "\n".join((SCHEME, method.upper(), path, body_digest(body), str(timestamp),
                      nonce, terminal_id)).encode()


def compute_signature(key: bytes, method: str, path: str, body: bytes, timestamp: int,
                      nonce: str, terminal_id: str) -> str:
    msg = canonical_string(method, path, body, timestamp, nonce, terminal_id)
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def sign_request(key: bytes, terminal_id: str, method: str, path: str, body: bytes,
                 now: float | None = None, nonce: str | None = None) -> dict[str, str]:
    """Headers that authenticate one request (fresh nonce unless one is given)."""
    ts = int(time.time() if now is None else now)
    nonce = nonce or secrets.token_hex(16)
    return {
        H_TERMINAL: terminal_id,
        H_TIMESTAMP: str(ts),
        H_NONCE: nonce,
        H_SIGNATURE: compute_signature(key, method, path, body, ts, nonce, terminal_id),
    }


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
    if not (terminal and ts_text and nonce and given):
        raise SignatureError("bad_signature", "signature headers missing")
    key = keys.get(terminal)
    if key is None:
        raise SignatureError("bad_signature", "unknown terminal")
    try:
        ts = int(ts_text)
    except ValueError:
        raise SignatureError("bad_signature", "timestamp not a number") from None
    if not 8 <= len(nonce) <= 64:
        raise SignatureError("bad_signature", "nonce length")
    expected = compute_signature(key, method, path, body, ts, nonce, terminal)
    if not hmac.compare_digest(expected, given):
        raise SignatureError("bad_signature", "signature does not match")
    current = time.time() if now is None else now
    if max_skew is not None and abs(current - ts) > max_skew:
        raise SignatureError("clock_skew", f"terminal clock off by {int(current - ts)} s")
    return SignedRequest(terminal_id=terminal, timestamp=ts, nonce=nonce)
