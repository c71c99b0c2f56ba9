"""Outbox payloads at rest: AES-256-GCM with a key derived from the terminal secret.

The key is HKDF-SHA256(terminal key, info ``kiosk outbox v1``): a stolen disk without the
secrets file (0600, outside the data directory) reveals no card or ID number. The
associated data binds each sealed payload to its row (kind and idempotency key), so
payloads cannot be swapped between rows. Sealed text is ``aesgcm1:`` + base64(nonce ‖
ciphertext); anything else is a plaintext payload from before (migrated on open).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

PREFIX = "aesgcm1:"
_INFO = b"kiosk outbox v1"
_NONCE = 12


class SealError(Exception):
    """A sealed payload cannot be opened (wrong key, or tampered with)."""


def derive_key(terminal_key: bytes) -> bytes:
    """The outbox key for this terminal secret: HKDF-SHA256 (RFC 5869) with no salt,
    one output block. Plain ``hmac``: the outbox derives its key at start, and loading
    ``cryptography`` for it would cost the idle kiosk ~5 MiB it needs only to seal."""
    prk = hmac.new(b"\0" * hashlib.sha256().digest_size, terminal_key, hashlib.sha256).digest()
    return hmac.new(prk, _INFO + b"\x01", hashlib.sha256).digest()


def is_sealed(text: str) -> bool:
    return text.startswith(PREFIX)


def seal(key: bytes, plaintext: str, associated: str) -> str:
    # lazy: cryptography costs ~5 MiB; loaded with the first payload sealed or opened
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(_NONCE)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), associated.encode())
    return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def open_sealed(key: bytes, text: str, associated: str) -> str:
    # lazy: as in seal
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = base64.b64decode(text[len(PREFIX):], validate=True)
        return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], associated.encode()).decode()
    except (ValueError, InvalidTag) as exc:
        raise SealError("outbox payload cannot be opened") from exc
