"""The durable outbox: storage, typed failures, the sender, and kill -9 between
"confirmed" and "acknowledged" (delivered exactly once after restart)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.central.client import new_idempotency_key
from kiosk.central.errors import OutboxError
from kiosk.central.outbox import KIND_CANCEL_PRE_LOSS, KIND_PRE_LOSS, Outbox
from kiosk.central.outbox_sender import OutboxSender
from kiosk.devices.virtual.cards import id_card_data, ssc_card_data
from kiosk.domain.card_states import CardState
from kiosk.personas import persona
from tests.fixtures.polling import until
from tests.fixtures.strict import skip_or_fail

ID = persona("normal")["id"]["id_number"]
CARD = persona("normal")["ssc"]["card_number"]
CHILD = Path(__file__).with_name("outbox_child.py")


SSC = ssc_card_data("normal")
ANY_HANDLE = "h" * 60  # the shape of a handle, for the tests that send nothing


def _payload(handle: str = ANY_HANDLE) -> dict:
    """A queued pre-loss as the journey writes it ahead: the request body, whose only
    reference to the card is its handle (nothing personal)."""
    return {"body": {"handle": handle, "channel": "kiosk", "terminal_id": "T-DEMO-0001"}}


def _handle(client, persona_key: str = "normal") -> str:
    """A handle for the persona's first card, from a lookup by their ID card."""
    return client.lookup_by_id_card(id_card_data(persona_key)).cards[0].handle


def _recorded(sandbox, key: str) -> list[dict]:
    return [p for p in sandbox.admin("GET", "/pre_losses") if p["idempotency_key"] == key]


def test_enqueue_pending_deliver_and_stats(tmp_path):
    now = [1000.0]
    box = Outbox(tmp_path / "o.db", clock=lambda: now[0])
    a = box.enqueue(KIND_PRE_LOSS, _payload(), "key-a")
    assert box.enqueue(KIND_PRE_LOSS, _payload(), "key-a") == a  # same key: same item
    box.enqueue(KIND_CANCEL_PRE_LOSS, _payload(), "key-b")
    now[0] = 1030.0
    stats = box.stats()
    assert stats.pending == 2 and stats.oldest_age_seconds == 30.0
    assert [i.idempotency_key for i in box.pending()] == ["key-a", "key-b"]
    assert ID not in repr(box.pending()[0])
    box.mark_failed(a, "offline", retry_in=60)
    assert [i.idempotency_key for i in box.pending(due_only=True)] == ["key-b"]
    assert box.stats().last_error == "offline"
    box.mark_delivered(a, "YGS1")
    stats = box.stats()
    assert stats.pending == 1 and stats.delivered_total == 1
    with pytest.raises(ValueError):
        box.enqueue("other", {}, "key-c")


def test_delivered_item_leaves_no_personal_data_on_disk(tmp_path):
    box = Outbox(tmp_path / "o.db")
    item = box.enqueue(KIND_PRE_LOSS, _payload(), "k1")
    box.mark_delivered(item, "YGS1")
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert ID.encode() not in raw and CARD.encode() not in raw
    assert ANY_HANDLE.encode() not in raw  # a handle is scrubbed like personal data
    assert box.stats().delivered_total == 1


def test_full_disk_is_a_typed_error(tmp_path):
    box = Outbox(tmp_path / "o.db", max_pages=8)
    big = {"card_number": CARD, "id_number": ID, "note": "x" * 3000}
    with pytest.raises(OutboxError) as err:
        for n in range(100):
            box.enqueue(KIND_PRE_LOSS, big, f"k{n}")
    assert err.value.kind == "full" and err.value.i18n_key == "central.error.outbox"


def test_unopenable_database_is_a_typed_error(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(OutboxError) as err:
        Outbox(tmp_path / "taken")
    assert err.value.kind == "unavailable"
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutboxError):
        Outbox(blocker / "sub" / "o.db")


def test_read_only_database_is_a_typed_error(tmp_path):
    path = tmp_path / "o.db"
    Outbox(path).close()
    box = Outbox(path)
    box._db.execute("PRAGMA query_only=ON")  # what a read-only mount gives SQLite
    with pytest.raises(OutboxError) as err:
        box.enqueue(KIND_PRE_LOSS, _payload(), "k")
    assert err.value.kind == "read_only"  # by SQLite's result code, not its message


def test_corrupt_file_is_a_typed_error(tmp_path):
    path = tmp_path / "o.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(OutboxError) as err:
        Outbox(path)
    assert err.value.kind == "corrupt"


def test_sender_delivers_when_the_service_is_back(tmp_path, sandbox, make_central_client):
    client = make_central_client(retries=0)
    box = Outbox(tmp_path / "o.db")
    key = new_idempotency_key()
    box.enqueue(KIND_PRE_LOSS, _payload(_handle(client)), key)
    sandbox.admin("POST", "/faults", json={"fail_next": 1000})
    sender = OutboxSender(box, client, base_delay=0.05, max_delay=0.2, poll_interval=0.1)
    sender.start()
    try:
        until(lambda: box.stats().last_error is not None, 10, "a failed delivery to be recorded")
        stats = box.stats()
        assert stats.pending == 1 and stats.last_error == "server_error"
        assert _recorded(sandbox, key) == []
        sandbox.admin("DELETE", "/faults")
        sender.retry_now()
        until(lambda: box.stats().pending == 0, 5, "the item delivered")
    finally:
        sender.stop()
    assert box.stats().pending == 0 and box.stats().delivered_total == 1
    assert len(_recorded(sandbox, key)) == 1
    assert client.card_status(ssc=SSC).state == CardState.PRE_LOST


def test_sender_rejects_items_the_service_refuses(tmp_path, sandbox, make_central_client):
    client = make_central_client()
    box = Outbox(tmp_path / "o.db")
    box.enqueue(KIND_PRE_LOSS, _payload(_handle(client, "pre_lost")), new_idempotency_key())
    box.enqueue(KIND_PRE_LOSS, _payload(_handle(client)), new_idempotency_key())
    seen = []
    assert OutboxSender(box, client, on_result=lambda i, r: seen.append(r)).deliver_once() == 1
    stats = box.stats()
    assert stats.pending == 0 and stats.rejected_total == 1 and stats.delivered_total == 1
    assert getattr(seen[0], "code", None) == "already_pre_lost"


def test_sender_keeps_items_when_the_terminal_key_is_wrong(tmp_path, sandbox,
                                                           make_central_client,
                                                           central_secrets):
    from kiosk.secrets import Secrets

    wrong = Secrets(terminal_key=b"w" * 32,
                    technician_pin_hash=central_secrets.technician_pin_hash)
    box = Outbox(tmp_path / "o.db")
    box.enqueue(KIND_PRE_LOSS, _payload(), new_idempotency_key())
    OutboxSender(box, make_central_client(secrets=wrong)).deliver_once()
    assert box.stats().pending == 1 and box.stats().last_error == "bad_signature"


def _child(mode: str, sandbox, central_settings, handle: str, db: Path,
           key: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(CHILD), mode, sandbox.url, central_settings.security.secrets_file,
         str(db), key, handle],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_kill_9_between_applied_and_acknowledged_delivers_exactly_once(
        tmp_path, sandbox, central_settings, central_client):
    db = tmp_path / "outbox.sqlite3"
    key, handle = new_idempotency_key(), _handle(central_client)
    # The service applies the pre-loss, then holds the answer: the terminal dies waiting.
    sandbox.admin("POST", "/faults", json={"latency_ms": 20_000})
    child = _child("enqueue-and-send", sandbox, central_settings, handle, db, key)
    try:
        assert child.stdout.readline().strip() == "ENQUEUED"
        until(lambda: _recorded(sandbox, key), 10, "the service to receive the pre-loss")
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    # Confirmed and applied, but not acknowledged: still pending in the durable outbox.
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT COUNT(*) FROM outbox WHERE status='pending'").fetchone() == (1,)
    sandbox.admin("DELETE", "/faults")
    restarted = _child("deliver", sandbox, central_settings, handle, db, key)
    out, err = restarted.communicate(timeout=30)
    assert restarted.returncode == 0, err
    stats = json.loads(out.strip().splitlines()[-1])
    assert stats["delivered"] == 1 and stats["pending"] == 0 and stats["delivered_total"] == 1
    (recorded,) = _recorded(sandbox, key)  # applied once, not twice
    with sqlite3.connect(db) as raw:
        (reference,) = raw.execute("SELECT reference FROM outbox").fetchone()
    assert reference == recorded["reference"]  # the stored answer came back
    assert central_client.card_status(ssc=SSC).state == CardState.PRE_LOST


def test_kill_9_before_sending_delivers_once_after_restart(tmp_path, sandbox,
                                                           central_settings, central_client):
    db = tmp_path / "outbox.sqlite3"
    key, handle = new_idempotency_key(), _handle(central_client)
    sandbox.admin("POST", "/faults", json={"fail_next": 1000, "latency_ms": 20_000})
    child = _child("enqueue-and-send", sandbox, central_settings, handle, db, key)
    try:
        assert child.stdout.readline().strip() == "ENQUEUED"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    sandbox.admin("DELETE", "/faults")
    assert _recorded(sandbox, key) == []
    for _ in range(2):  # a second restart finds nothing left to send
        again = _child("deliver", sandbox, central_settings, handle, db, key)
        out, err = again.communicate(timeout=30)
        assert again.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["delivered_total"] == 1
    assert len(_recorded(sandbox, key)) == 1


def test_service_down_then_back_on_the_same_port(tmp_path, central_settings,
                                                 central_secrets):
    import dataclasses

    from kiosk.central.client import CentralClient
    from kiosk.central.sandbox.server import start_sandbox_thread

    db = tmp_path / "central.db"
    first = start_sandbox_thread(central_settings, port=0, db_path=db, secrets=central_secrets)
    port, url = first.port, first.url
    settings = dataclasses.replace(central_settings, central=dataclasses.replace(
        central_settings.central, base_url=url, retries=0))
    client = CentralClient(settings, central_secrets)
    handle = _handle(client)  # the service keeps its handle key across a restart
    first.stop()  # nothing listens now
    box = Outbox(tmp_path / "o.db")
    key = new_idempotency_key()
    box.enqueue(KIND_PRE_LOSS, _payload(handle), key)
    sender = OutboxSender(box, client, base_delay=0.05, max_delay=0.1, poll_interval=0.1)
    sender.start()
    again = None
    try:
        until(lambda: box.stats().last_error is not None, 10, "a failed delivery to be recorded")
        assert box.stats().pending == 1 and box.stats().last_error == "offline"
        again = start_sandbox_thread(central_settings, port=port, db_path=db,
                                     secrets=central_secrets)
        sender.retry_now()
        until(lambda: box.stats().pending == 0, 5, "the item delivered")
        assert box.stats().delivered_total == 1
        assert len(_recorded(again, key)) == 1
    finally:
        sender.stop()
        client.close()
        if again is not None:
            again.stop()


def test_real_full_disk_is_a_typed_error_and_keeps_what_was_stored(tmp_path):
    """A 256 KiB tmpfs in a private mount namespace: a real ENOSPC, not a simulation."""
    import shutil

    if shutil.which("unshare") is None or os.geteuid() != 0:
        skip_or_fail("needs unshare and root for a private tmpfs (max_page_count test covers)")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    child = Path(__file__).with_name("outbox_full_child.py")
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         f'mount -t tmpfs -o size=256k tmpfs "{mnt}" && exec "{sys.executable}" "{child}" '
         f'"{mnt}"'], capture_output=True, text=True, timeout=60)
    if "mount" in proc.stderr and proc.returncode != 0:
        skip_or_fail(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    words = proc.stdout.split()
    stored, kind, pending = int(words[1]), words[3], int(words[5])
    assert kind == "full" and stored > 0 and pending == stored


def test_running_sender_sends_a_new_item_at_once(tmp_path, sandbox, make_central_client):
    box = Outbox(tmp_path / "o.db")
    client = make_central_client()
    handles = _handle(client), _handle(client, "x_check")
    sender = OutboxSender(box, client, poll_interval=30).start()
    try:
        # A first item, delivered: the sender has done its round and is idle, waiting
        # up to 30 s; only the enqueue can wake it for the next one.
        box.enqueue(KIND_PRE_LOSS, _payload(handles[0]), new_idempotency_key())
        until(lambda: box.stats().delivered_total == 1, 10, "the first item delivered")
        key = new_idempotency_key()
        box.enqueue(KIND_PRE_LOSS, _payload(handles[1]), key)
        until(lambda: box.stats().pending == 0, 3, "the new item sent at once")
        assert box.stats().delivered_total == 2 and len(_recorded(sandbox, key)) == 1
    finally:
        sender.stop()


def test_malformed_item_is_set_aside_not_blocking_the_queue(tmp_path, sandbox,
                                                            make_central_client):
    box = Outbox(tmp_path / "o.db")
    box.enqueue(KIND_PRE_LOSS, {"card_number": CARD}, new_idempotency_key())  # no handle
    key = new_idempotency_key()
    client = make_central_client()
    box.enqueue(KIND_PRE_LOSS, _payload(_handle(client)), key)
    assert OutboxSender(box, client).deliver_once() == 1
    stats = box.stats()
    # Out of the queue's way, but kept (with its data) and raised for a person to act.
    assert stats.pending == 0 and stats.delivered_total == 1 and stats.rejected_total == 0
    assert stats.held == 1 and stats.undeliverable == 1 and stats.alert == "held_invalid_item"
    (held,) = box.undelivered()
    assert held.payload == {"card_number": CARD} and held.status == "held"


def test_concurrent_enqueue_of_the_same_key_stores_one_item(tmp_path):
    import threading

    box = Outbox(tmp_path / "o.db")
    ids: list[int] = []
    threads = [threading.Thread(target=lambda: ids.append(
        box.enqueue(KIND_PRE_LOSS, _payload(), "same-key-1"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1 and box.stats().pending == 1
