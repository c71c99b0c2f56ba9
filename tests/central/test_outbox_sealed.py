"""The outbox at rest: sealed payloads (AES-GCM, HKDF from the terminal secret), the
migration of a plaintext queue, and the alert for items refused for a terminal problem —
SQLite on disk, delivery to the real sandbox over HTTP."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path

import pytest

from kiosk import metrics
from kiosk.central.client import new_idempotency_key
from kiosk.central.outbox import KIND_PRE_LOSS, LEGACY_KINDS, Outbox
from kiosk.central.outbox_sender import OutboxSender
from kiosk.central.sealing import derive_key, is_sealed
from kiosk.devices.virtual.cards import id_card_data
from kiosk.personas import persona
from kiosk.secrets import Secrets

CARD = persona("normal")["ssc"]["card_number"]
ID = persona("normal")["id"]["id_number"]
KEY = b"k" * 32

# The outbox table exactly as the version before sealing created it.
OLD_SCHEMA = """
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT,
  idempotency_key TEXT NOT NULL UNIQUE, created_at REAL NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL DEFAULT 0,
  last_error TEXT, status TEXT NOT NULL DEFAULT 'pending', done_at REAL, reference TEXT);
CREATE INDEX outbox_status ON outbox(status, id);
"""


def _raw(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in directory.iterdir() if p.is_file())


def test_payloads_are_sealed_on_disk(tmp_path):
    box = Outbox(tmp_path / "o.db", terminal_key=KEY)
    key = new_idempotency_key()
    box.enqueue(KIND_PRE_LOSS, {"card_number": CARD, "id_number": ID}, key)
    raw = _raw(tmp_path)
    assert CARD.encode() not in raw and ID.encode() not in raw
    (item,) = box.pending()
    assert item.payload == {"card_number": CARD, "id_number": ID}
    box.close()
    with sqlite3.connect(tmp_path / "o.db") as db:
        (stored,) = db.execute("SELECT payload FROM outbox").fetchone()
    assert is_sealed(stored)
    # Another terminal secret cannot open it, and the item is kept, not lost.
    other = Outbox(tmp_path / "o.db", terminal_key=b"x" * 32)
    assert other.pending() == [] and other.stats().pending == 1
    other.close()


def test_a_plaintext_queue_from_before_is_sealed_without_losing_an_item(
        tmp_path, sandbox, make_central_client, central_secrets):
    """A version 0.1 file: plaintext payloads, and the kind as that version spelt it."""
    (old_kind,) = [k for k, v in LEGACY_KINDS.items() if v == KIND_PRE_LOSS]
    path = tmp_path / "outbox.sqlite3"
    keys = [new_idempotency_key(), new_idempotency_key()]
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        db.execute("PRAGMA journal_mode=WAL")
        for n, key in enumerate(keys):
            db.execute("INSERT INTO outbox (kind, payload, idempotency_key, created_at) "
                       "VALUES (?,?,?,?)", (old_kind, json.dumps(
                           {"card_number": CARD, "id_number": ID}), key, time.time() + n))
    box = Outbox(path, terminal_key=central_secrets.terminal_key)
    assert [i.idempotency_key for i in box.pending()] == keys
    assert {i.kind for i in box.pending()} == {KIND_PRE_LOSS}
    raw = _raw(tmp_path)
    assert CARD.encode() not in raw and ID.encode() not in raw  # old pages scrubbed too
    sender = OutboxSender(box, make_central_client())
    # The contract no longer takes a card and an ID number for a pre-loss (only a card
    # handle): such items are set aside as invalid, kept and counted, not lost silently.
    assert sender.deliver_once() == 0
    stats = box.stats()  # held for the outlet (sealed export), with an alert
    assert stats.pending == 0 and stats.held == 2 and stats.alert == "held_invalid_item"
    box.close()


def test_the_sender_hands_the_client_key_to_an_unsealed_outbox(tmp_path, central_client):
    box = Outbox(tmp_path / "o.db")
    box.enqueue(KIND_PRE_LOSS, {"card_number": CARD, "id_number": ID}, new_idempotency_key())
    OutboxSender(box, central_client)
    assert box.sealed and CARD.encode() not in _raw(tmp_path)
    assert box.pending()[0].payload["card_number"] == CARD
    expected = derive_key(central_client.terminal_key)
    assert len(expected) == 32 and expected != central_client.terminal_key


def test_items_refused_for_a_terminal_problem_stay_and_alert_on_the_monotonic_clock(
        tmp_path, sandbox, make_central_client, central_secrets, caplog):
    """Refused for a bad key: kept, retried, and after ``outbox_terminal_expiry_hours``
    of refusals counted on the monotonic clock, an alert — never dropped. A wall clock
    that jumps counts for nothing."""
    now, mono = [time.time()], [1000.0]
    box = Outbox(tmp_path / "o.db", clock=lambda: now[0])
    wrong = Secrets(terminal_key=b"w" * 32,
                    technician_pin_hash=central_secrets.technician_pin_hash)
    client = make_central_client(secrets=wrong, outbox_terminal_expiry_hours=2.0)
    sender = OutboxSender(box, client, monotonic=lambda: mono[0])
    key = new_idempotency_key()
    handle = make_central_client().lookup_by_id_card(id_card_data("normal")).cards[0].handle
    box.enqueue(KIND_PRE_LOSS, {"body": dict(client.pre_loss_request(handle).body)}, key)
    sender.deliver_once()
    assert box.stats().pending == 1 and box.stats().alert is None
    before = metrics.OUTBOX_ALERTS.labels(code="stuck_bad_signature")._value.get()
    now[0] += 3 * 3600  # the wall clock jumps: nothing happens
    box.make_due()
    sender.deliver_once()
    assert box.stats().pending == 1 and box.stats().undeliverable == 0
    mono[0] += 2 * 3600 + 1  # two hours of refusals, as the monotonic clock counts them
    box.make_due()
    with caplog.at_level(logging.ERROR, logger="kiosk.central.outbox"):
        sender.deliver_once()
    stats = box.stats()
    assert stats.pending == 1 and stats.rejected_total == 0  # still there
    assert stats.undeliverable == 1 and stats.alert == "stuck_bad_signature"
    assert metrics.OUTBOX_ALERTS.labels(code="stuck_bad_signature")._value.get() == before + 1
    assert metrics.OUTBOX_UNDELIVERABLE._value.get() == 1
    assert any(r.getMessage() == "outbox item undeliverable" for r in caplog.records)
    (item,) = box.pending()
    assert item.refusals == 3 and item.refused_seconds == 2 * 3600 + 1
    # The key is fixed: delivered once, and the alert ends with it.
    box.make_due()
    assert OutboxSender(box, make_central_client()).deliver_once() == 1
    assert box.stats().undeliverable == 0 and metrics.OUTBOX_UNDELIVERABLE._value.get() == 0
    assert len([p for p in sandbox.admin("GET", "/pre_losses")
                if p["idempotency_key"] == key]) == 1


@pytest.mark.parametrize("hours", [0.5, 10_000])
def test_the_expiry_is_a_checked_config_key(hours, tmp_path):
    from kiosk.config import ConfigError, load_settings

    with pytest.raises(ConfigError):
        load_settings(environ={"KIOSK__CENTRAL__OUTBOX_TERMINAL_EXPIRY_HOURS": str(hours)})


@pytest.mark.parametrize("secret", [b"", b"k" * 32, bytes(range(64)), b"\xff" * 100])
def test_outbox_key_is_hkdf_sha256_of_the_terminal_secret(secret) -> None:
    # derive_key is plain hmac (cryptography loads only when a payload is sealed); it
    # must stay the same key cryptography's HKDF gives, or queued items could not open.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=b"kiosk outbox v1").derive(secret)
    assert derive_key(secret) == expected
