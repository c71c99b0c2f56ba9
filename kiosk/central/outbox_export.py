"""The sealed export of undelivered requests, handed in at the outlet.

A request the terminal cannot deliver stays in the outbox (it is never dropped); a
technician can also export every undelivered one into a file that only the outlet or the
centre can open, carry it on a USB stick, and hand it in, so the pre-loss is entered
there. Whoever finds the stick, or reads the terminal's disk, learns nothing from it:

- it is sealed to the outlet's X25519 public key (``central.outbox_export_public_key``,
  64 hex digits; the private key never comes near a terminal), with an ephemeral key per
  file: ECDH, HKDF-SHA256, AES-256-GCM. The terminal itself cannot open what it wrote;
- the header (format, terminal, time, item count, recipient fingerprint) is readable and
  bound to the ciphertext as associated data, so it cannot be changed unnoticed.

The outlet makes the key pair once with ``kiosk outbox keygen`` and opens a file with
``kiosk outbox open FILE --key KEYFILE`` (see docs/security.md). In demo mode without a
configured key, a fixed demo key pair is used, and said so: it protects nothing.

Exporting changes nothing in the outbox but the items' ``exported_at``: they stay queued,
and the idempotency key in the file lets the centre apply the request once, whichever
way it arrives first. This module loads ``cryptography`` (~5 MiB): import it when a
technician exports, not at start.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from pydantic import JsonValue

from kiosk.central.outbox import Outbox, OutboxItem

FORMAT = "kiosk-outbox-export/1"
_INFO = b"kiosk outbox export v1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# Demo only: the private key is this public text's hash, so anyone can open a demo file.
DEMO_PRIVATE_KEY = hashlib.sha256(b"kiosk demo outlet export key - not secret").digest()


class ExportError(Exception):
    """A sealed export cannot be made or opened; ``reason`` is a short code
    (``no_recipient_key``, ``bad_key``, ``not_an_export``, ``wrong_key``, ``write_failed``)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class Exported:
    """What an export wrote: the file and how many requests it holds."""

    path: Path
    items: int
    demo_key: bool


def generate_keypair() -> tuple[bytes, bytes]:
    """A new X25519 key pair for an outlet: (private, public), 32 bytes each."""

    private = X25519PrivateKey.generate()
    return _raw_private(private), _raw_public(private.public_key())


def public_key_of(private: bytes) -> bytes:
    """The public key that goes with a raw X25519 private key."""

    return _raw_public(X25519PrivateKey.from_private_bytes(private).public_key())


def parse_key(text: str) -> bytes:
    """A key written as 64 hex digits (whitespace and a ``#`` comment line allowed)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not
             ln.strip().startswith("#")]
    value = "".join(lines).lower()
    if not _HEX64.fullmatch(value):
        raise ExportError("bad_key", "expected 64 hex digits")
    return bytes.fromhex(value)


def recipient_key(configured: str, demo: bool) -> tuple[bytes, bool]:
    """The outlet's public key from the setting, or the demo one in demo mode; returns
    (key, is_demo). :class:`ExportError` ``no_recipient_key`` outside demo mode."""
    if configured.strip():
        return parse_key(configured), False
    if demo:
        return public_key_of(DEMO_PRIVATE_KEY), True
    raise ExportError("no_recipient_key", "central.outbox_export_public_key is not set")


def seal_items(items: list[OutboxItem], recipient: bytes, terminal_id: str,
               now: dt.datetime) -> bytes:
    """The export file's bytes for ``items``, sealed to ``recipient``."""

    if len(recipient) != 32:
        raise ExportError("bad_key", "a public key is 32 bytes")
    header = {"format": FORMAT, "terminal_id": terminal_id,
              "exported_at": now.isoformat(timespec="seconds"), "items": len(items),
              "recipient": fingerprint(recipient)}
    content = {**header, "requests": [_entry(i) for i in items]}
    ephemeral = X25519PrivateKey.generate()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    eph_public = _raw_public(ephemeral.public_key())
    key = _kdf(shared, eph_public + recipient)
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, json.dumps(content, ensure_ascii=False).encode(),
                                 _aad(header))
    return (json.dumps({**header, "ephemeral_public": _b64(eph_public),
                        "nonce": _b64(nonce), "ciphertext": _b64(sealed)}, indent=1)
            + "\n").encode()


def open_export(data: bytes, private: bytes) -> dict[str, JsonValue]:
    """The requests in an export file (what the outlet enters), with its header.
    :class:`ExportError` ``not_an_export`` or ``wrong_key`` (or tampered with)."""

    try:
        doc: object = json.loads(data)
        if not isinstance(doc, dict):
            raise TypeError(type(doc).__name__)
        header = {k: doc[k] for k in ("format", "terminal_id", "exported_at", "items",
                                      "recipient")}
        eph_public = base64.b64decode(doc["ephemeral_public"], validate=True)
        nonce = base64.b64decode(doc["nonce"], validate=True)
        sealed = base64.b64decode(doc["ciphertext"], validate=True)
    except (ValueError, KeyError, TypeError) as exc:
        raise ExportError("not_an_export", type(exc).__name__) from None
    if header["format"] != FORMAT:
        raise ExportError("not_an_export", f"format {str(header['format'])[:40]!r}")
    try:
        own = X25519PrivateKey.from_private_bytes(private)
        recipient = _raw_public(own.public_key())
        if header["recipient"] != fingerprint(recipient):
            raise ExportError("wrong_key", "sealed for another key")
        shared = own.exchange(X25519PublicKey.from_public_bytes(eph_public))
        plain = AESGCM(_kdf(shared, eph_public + recipient)).decrypt(nonce, sealed,
                                                                      _aad(header))
    except (ValueError, InvalidTag) as exc:
        raise ExportError("wrong_key", "cannot be opened with this key (or altered)") \
            from exc
    content: object = json.loads(plain)
    if not isinstance(content, dict):  # sealed by a terminal: always an object
        raise ExportError("not_an_export", "its content is not an object")
    return content


def export_outbox(outbox: Outbox, dest: Path, *, public_key_setting: str, demo: bool,
                  terminal_id: str, now: dt.datetime | None = None) -> Exported:
    """Seal every undelivered request into a new file in ``dest`` (0600); the items stay
    queued, marked exported. :class:`ExportError` when no key or the file cannot be
    written; an outbox failure raises its own ``OutboxError``."""
    recipient, is_demo = recipient_key(public_key_setting, demo)
    items = outbox.undelivered()
    when = now or dt.datetime.now(dt.UTC)
    data = seal_items(items, recipient, terminal_id, when)
    name = f"outbox-{_safe(terminal_id)}-{when.strftime('%Y%m%dT%H%M%SZ')}.sealed.json"
    path = Path(dest) / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise ExportError("write_failed", f"{path}: {exc.strerror}") from None
    outbox.mark_exported([i.id for i in items])
    return Exported(path, len(items), is_demo)


def fingerprint(public: bytes) -> str:
    """A short name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public).hexdigest()[:16]


def _entry(item: OutboxItem) -> dict[str, object]:
    return {"kind": item.kind, "idempotency_key": item.idempotency_key,
            "created_at": dt.datetime.fromtimestamp(item.created_at, dt.UTC)
            .isoformat(timespec="seconds"),
            "status": item.status, "attempts": item.attempts, "refusals": item.refusals,
            "last_error": item.last_error, "alert": item.alert,
            "request": item.payload.get("body", item.payload)}


def _kdf(shared: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(shared)


def _aad(header: Mapping[str, object]) -> bytes:
    return json.dumps(header, sort_keys=True, ensure_ascii=True).encode()


def _raw_public(key: X25519PublicKey) -> bytes:
    return bytes(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def _raw_private(key: X25519PrivateKey) -> bytes:
    return bytes(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)[:64] or "terminal"
