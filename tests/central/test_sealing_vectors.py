"""The outbox's sealing pinned byte for byte: the key derivation, the sealed text of a
known payload with a known nonce, and each part of a sealed payload tampered with.

The derived key was computed outside Python (``openssl kdf -keylen 32 -kdfopt
digest:SHA256 -kdfopt key:terminal-key-for-known-answer-01 -kdfopt info:"kiosk outbox v1"
HKDF``): items queued by one release must open in the next, so the derivation, the
associated data (kind, newline, idempotency key) and the layout (``aesgcm1:`` +
base64(12-byte nonce ‖ ciphertext ‖ 16-byte tag)) may never change silently.
"""

from __future__ import annotations

import base64

import pytest

from kiosk.central import sealing
from kiosk.central.sealing import PREFIX, SealError, derive_key, is_sealed, open_sealed, seal

TERMINAL_KEY = b"terminal-key-for-known-answer-01"
OUTBOX_KEY = bytes.fromhex("7ce642a5d3b45d5c203aaba20e8e24e4ec6b73ceaa251553458d034cbeeb8f56")
PLAINTEXT = '{"card_number":"X00000019","id_number":"110105198503071230"}'
AAD = "pre_loss\nidem-0001"
NONCE = bytes(range(12))
SEALED = ("aesgcm1:AAECAwQFBgcICQoLqjp9fPeENlh/OnAdTcYmVt1aMAyus42cjMJVE5A4WhnPAjQvYGvQJsgNkX"
          "jICljOUpQMwbh+9wBkTResSSsM1e10AYhn3ATSv1MBYA==")


def test_outbox_key_known_answer():
    assert derive_key(TERMINAL_KEY) == OUTBOX_KEY
    assert derive_key(TERMINAL_KEY + b"\0") != OUTBOX_KEY


def test_seal_known_answer(monkeypatch):
    drawn: list[int] = []

    def fixed_nonce(n: int) -> bytes:
        drawn.append(n)
        return NONCE[:n]

    monkeypatch.setattr(sealing.os, "urandom", fixed_nonce)
    assert seal(OUTBOX_KEY, PLAINTEXT, AAD) == SEALED
    assert drawn == [12]


def test_open_known_answer_and_layout():
    assert open_sealed(OUTBOX_KEY, SEALED, AAD) == PLAINTEXT
    raw = base64.b64decode(SEALED[len(PREFIX):])
    assert raw[:12] == NONCE
    assert len(raw) == 12 + len(PLAINTEXT.encode()) + 16  # nonce, ciphertext, GCM tag
    assert PLAINTEXT.encode() not in raw and b"X00000019" not in SEALED.encode()


def test_each_seal_draws_a_fresh_nonce_and_opens():
    text = '{"name":"王小明","card_number":"X00000019"}'
    a, b = seal(OUTBOX_KEY, text, AAD), seal(OUTBOX_KEY, text, AAD)
    assert a != b and is_sealed(a) and is_sealed(b)
    assert open_sealed(OUTBOX_KEY, a, AAD) == text == open_sealed(OUTBOX_KEY, b, AAD)


def test_is_sealed_is_the_prefix_only():
    assert is_sealed(SEALED) and is_sealed(PREFIX)
    assert not is_sealed(PLAINTEXT) and not is_sealed("") and not is_sealed("AESGCM1:x")
    assert not is_sealed(" " + SEALED)


def _with_byte_flipped(index: int) -> str:
    raw = bytearray(base64.b64decode(SEALED[len(PREFIX):]))
    raw[index] ^= 0x01
    return PREFIX + base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("what,key,text,aad", [
    ("nonce, first byte", OUTBOX_KEY, _with_byte_flipped(0), AAD),
    ("nonce, last byte", OUTBOX_KEY, _with_byte_flipped(11), AAD),
    ("ciphertext, first byte", OUTBOX_KEY, _with_byte_flipped(12), AAD),
    ("tag, last byte", OUTBOX_KEY, _with_byte_flipped(-1), AAD),
    ("truncated tag", OUTBOX_KEY, PREFIX + base64.b64encode(
        base64.b64decode(SEALED[len(PREFIX):])[:-1]).decode(), AAD),
    ("another row's kind", OUTBOX_KEY, SEALED, "cancel_pre_loss\nidem-0001"),
    ("another row's key", OUTBOX_KEY, SEALED, "pre_loss\nidem-0002"),
    ("associated data run together", OUTBOX_KEY, SEALED, "pre_lossidem-0001"),
    ("another terminal's key", derive_key(b"another terminal"), SEALED, AAD),
    ("the terminal secret itself", TERMINAL_KEY, SEALED, AAD),
    ("not base64", OUTBOX_KEY, PREFIX + "not base64!", AAD),
    ("empty", OUTBOX_KEY, PREFIX, AAD),
])
def test_a_tampered_sealed_payload_does_not_open(what, key, text, aad):
    with pytest.raises(SealError):
        open_sealed(key, text, aad)


def test_stray_characters_in_the_sealed_text_are_refused_not_skipped():
    body = SEALED[len(PREFIX):]
    for junk in ("!", "\n", " "):
        with pytest.raises(SealError) as err:
            open_sealed(OUTBOX_KEY, PREFIX + body[:20] + junk + body[20:], AAD)
        assert str(err.value) == "outbox payload cannot be opened"
