"""The outbox by its public behaviour, on SQLite on disk, with injected clocks: what is
pending, what an outcome leaves behind (no personal data once an item is settled), the
back-off, claims, the technician's counts, and the settings that make a commit durable.
Fast on purpose: ``kiosk bench mutate`` runs these against every change to outbox.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.central.outbox import (
    KIND_CANCEL_PRE_LOSS,
    KIND_ESSC_PRE_LOSS,
    KIND_PRE_LOSS,
    Outbox,
    OutboxStats,
)

CARDS = ["X00000019", "X00000027", "X00000035", "X00000124"]
IDS = ["110105198503071230", "11010519930614882X", "310115199211300024",
       "110105199901010104"]


class Clocks:
    """A wall clock and a monotonic clock that move only when told."""

    def __init__(self) -> None:
        self.wall, self.mono = 1_000_000.0, 500.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def box(tmp_path: Path, clocks: Clocks):
    outbox = Outbox(tmp_path / "o.db", clock=lambda: clocks.wall,
                    monotonic=lambda: clocks.mono)
    yield outbox
    outbox.close()


def _payload(i: int) -> dict[str, str]:
    return {"card_number": CARDS[i], "id_number": IDS[i]}


def _raw(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())


def _row(tmp_path: Path, key: str) -> sqlite3.Row:
    db = sqlite3.connect(tmp_path / "o.db")
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM outbox WHERE idempotency_key = ?", (key,)).fetchone()
    finally:
        db.close()


# ---- what is pending ---------------------------------------------------------------------

def test_pending_is_only_what_still_waits_oldest_first(box: Outbox):
    ids = [box.enqueue(KIND_PRE_LOSS, _payload(i), f"key-{i}") for i in range(4)]
    assert [i.id for i in box.pending()] == ids  # in the order confirmed
    box.mark_delivered(ids[0], "PL-1")
    box.mark_rejected(ids[1], "already_pre_lost")
    box.mark_held(ids[2], "handle_expired")
    assert [i.idempotency_key for i in box.pending()] == ["key-3"]
    assert [i.idempotency_key for i in box.undelivered()] == ["key-2", "key-3"]
    assert [box.status_of(f"key-{i}") for i in range(4)] == [
        "delivered", "rejected", "held", "pending"]
    assert box.status_of("never-stored") is None
    assert box.item("key-0") is None and box.item("key-1") is None
    assert box.item("key-2").status == "held" and box.item("key-3").status == "pending"
    assert box.item("key-3").payload == _payload(3)


def test_an_item_comes_back_as_it_was_stored(box: Outbox, clocks: Clocks):
    item_id = box.enqueue(KIND_CANCEL_PRE_LOSS, {"card_number": CARDS[0], "n": 1}, "k")
    (item,) = box.pending()
    assert (item.id, item.kind, item.payload, item.idempotency_key, item.created_at,
            item.attempts, item.last_error, item.status, item.refusals,
            item.refused_seconds, item.alert) == (
        item_id, KIND_CANCEL_PRE_LOSS, {"card_number": CARDS[0], "n": 1}, "k", clocks.wall,
        0, None, "pending", 0, 0.0, None)
    assert CARDS[0] not in repr(item)


def test_the_same_key_is_one_item_until_it_ends(box: Outbox):
    woken: list[int] = []
    box.on_enqueue.append(lambda: woken.append(1))
    first = box.enqueue(KIND_PRE_LOSS, _payload(0), "same")
    assert box.enqueue(KIND_PRE_LOSS, _payload(1), "same") == first  # a retried confirm
    assert [i.payload for i in box.pending()] == [_payload(0)] and woken == [1]
    box.mark_held(first, "x")
    assert box.enqueue(KIND_PRE_LOSS, _payload(1), "same") == first  # held: kept as it is
    assert box.status_of("same") == "held" and woken == [1]
    box.mark_rejected(first, "x")
    # Confirmed again after it ended: queued again, under the same key.
    assert box.enqueue(KIND_ESSC_PRE_LOSS, _payload(2), "same") == first
    (item,) = box.pending()
    assert (item.kind, item.payload, item.last_error, item.alert) == (
        KIND_ESSC_PRE_LOSS, _payload(2), None, None)
    assert woken == [1, 1]


def test_an_unknown_kind_is_refused(box: Outbox):
    with pytest.raises(ValueError, match="unknown outbox kind 'pre_lost'"):
        box.enqueue("pre_lost", _payload(0), "k")
    assert box.stats().pending == 0


# ---- outcomes leave no personal data behind -------------------------------------------------

@pytest.mark.parametrize("outcome", ["delivered", "rejected"])
def test_a_settled_item_leaves_no_personal_data_on_disk(tmp_path: Path, box: Outbox,
                                                        outcome: str):
    # Unsealed (no key), so the data would be in plain text if it were anywhere.
    ids = [box.enqueue(KIND_PRE_LOSS, _payload(i), f"key-{i}") for i in range(2)]
    assert CARDS[0].encode() in _raw(tmp_path)
    if outcome == "delivered":
        box.mark_delivered(ids[0], "PL-7")
    else:
        box.mark_rejected(ids[0], "already_pre_lost")
    row = _row(tmp_path, "key-0")
    assert row["payload"] is None and row["status"] == outcome
    assert row["done_at"] is not None
    raw = _raw(tmp_path)
    assert CARDS[0].encode() not in raw and IDS[0].encode() not in raw
    assert CARDS[1].encode() in raw  # the other item keeps what it needs


def test_outcomes_record_reference_code_and_clear_the_alert(tmp_path: Path, box: Outbox,
                                                            clocks: Clocks):
    a = box.enqueue(KIND_PRE_LOSS, _payload(0), "a")
    b = box.enqueue(KIND_PRE_LOSS, _payload(1), "b")
    box.set_alert(a, "terminal_refused")
    box.set_alert(b, "terminal_refused")
    box.mark_failed(a, "offline", 60)
    clocks.advance(5)
    box.mark_delivered(a, "PL-9")
    box.mark_rejected(b, "already_pre_lost")
    ra, rb = _row(tmp_path, "a"), _row(tmp_path, "b")
    assert (ra["reference"], ra["last_error"], ra["alert"], ra["done_at"]) == (
        "PL-9", None, None, clocks.wall)
    assert (rb["last_error"], rb["alert"], rb["done_at"]) == (
        "already_pre_lost", None, clocks.wall)
    stats = box.stats()
    assert (stats.delivered_total, stats.rejected_total, stats.undeliverable) == (1, 1, 0)


def test_held_items_keep_their_data_raise_an_alert_and_come_back_on_retry(box: Outbox):
    item_id = box.enqueue(KIND_PRE_LOSS, _payload(0), "k")
    box.mark_failed(item_id, "offline", 3600)
    box.mark_held(item_id, "handle_expired")
    (item,) = box.undelivered()
    assert (item.status, item.last_error, item.alert, item.attempts) == (
        "held", "handle_expired", "held_handle_expired", 2)
    assert item.payload == _payload(0)
    assert box.stats().held == 1 and box.stats().alert == "held_handle_expired"
    assert box.unhold() == 1 and box.unhold() == 0
    (again,) = box.pending(due_only=True)  # due now, back-off forgotten
    assert again.alert == "held_handle_expired"  # until it is delivered or settled


# ---- back-off --------------------------------------------------------------------------------

def test_back_off_decides_what_is_due(box: Outbox, clocks: Clocks):
    a = box.enqueue(KIND_PRE_LOSS, _payload(0), "a")
    b = box.enqueue(KIND_PRE_LOSS, _payload(1), "b")
    assert box.next_due_in() == 0 - clocks.wall  # both due since the epoch: overdue
    box.mark_failed(a, "offline", 30)
    box.mark_failed(b, "timeout", 10)
    assert box.pending(due_only=True) == []
    assert [i.idempotency_key for i in box.pending()] == ["a", "b"]
    assert box.next_due_in() == 10
    clocks.advance(10)
    assert [i.idempotency_key for i in box.pending(due_only=True)] == ["b"]  # exactly due
    (b_item,) = box.pending(due_only=True)
    assert (b_item.attempts, b_item.last_error) == (1, "timeout")
    box.make_due()
    assert [i.idempotency_key for i in box.pending(due_only=True)] == ["a", "b"]
    box.mark_delivered(a)
    box.mark_delivered(b)
    assert box.next_due_in() is None


def test_terminal_refusals_add_up(tmp_path: Path, box: Outbox, clocks: Clocks):
    item_id = box.enqueue(KIND_PRE_LOSS, _payload(0), "k")
    assert box.note_terminal_refusal(item_id, "bad_signature", 5.0, 60) == (1, 5.0)
    assert box.note_terminal_refusal(item_id, "clock_skew", -3.0, 60) == (2, 5.0)
    assert box.note_terminal_refusal(item_id, "clock_skew", 2.5, 60) == (3, 7.5)
    assert box.note_terminal_refusal(999, "clock_skew", 1.0, 60) == (0, 0.0)
    row = _row(tmp_path, "k")
    assert (row["attempts"], row["last_error"], row["next_attempt_at"]) == (
        3, "clock_skew", clocks.wall + 60)


# ---- claims ---------------------------------------------------------------------------------

def test_a_claim_keeps_others_out_until_it_lapses_or_is_released(box: Outbox,
                                                                  clocks: Clocks):
    item_id = box.enqueue(KIND_PRE_LOSS, _payload(0), "k", claim_owner="direct",
                          claim_seconds=30)
    assert box.holds(item_id, "direct") and not box.holds(item_id, "sender")
    assert not box.claim(item_id, "sender", 30)
    assert box.claim(item_id, "direct", 60)  # renewed by its owner
    clocks.advance(59)
    assert not box.claim(item_id, "sender", 30)
    clocks.advance(1)  # lapsed exactly now
    assert not box.holds(item_id, "direct")
    assert box.claim(item_id, "sender", 30) and box.holds(item_id, "sender")
    box.release(item_id, "direct")  # not its claim: nothing happens
    assert box.holds(item_id, "sender")
    box.release(item_id, "sender")
    assert not box.holds(item_id, "sender") and box.claim(item_id, "direct", 0) is True
    assert not box.holds(item_id, "direct")  # a claim of 0 s is over at once


# ---- what a technician sees -------------------------------------------------------------------

def test_stats_count_and_age_without_content(box: Outbox, clocks: Clocks):
    assert box.stats() == OutboxStats(pending=0, oldest_age_seconds=None, delivered_total=0,
                                      last_error=None)
    a = box.enqueue(KIND_PRE_LOSS, _payload(0), "a")
    clocks.advance(100)
    b = box.enqueue(KIND_PRE_LOSS, _payload(1), "b")
    c = box.enqueue(KIND_PRE_LOSS, _payload(2), "c")
    clocks.advance(20)
    box.mark_held(a, "handle_expired")
    box.mark_failed(b, "offline", 5)
    box.set_alert(c, "terminal_refused")
    stats = box.stats()
    assert (stats.pending, stats.held, stats.oldest_age_seconds) == (2, 1, 120)
    assert stats.undeliverable == 2 and stats.alert == "terminal_refused"  # the newest
    assert stats.last_error == "offline"
    box.mark_delivered(b, "PL-1")
    box.set_alert(c, None)
    stats = box.stats()
    assert (stats.pending, stats.delivered_total, stats.undeliverable) == (1, 1, 1)
    assert stats.alert == "held_handle_expired"
    assert box.now() == clocks.wall


def test_an_alert_is_only_raised_on_an_undelivered_item(box: Outbox):
    item_id = box.enqueue(KIND_PRE_LOSS, _payload(0), "k")
    box.mark_delivered(item_id)
    box.set_alert(item_id, "terminal_refused")
    assert box.stats().undeliverable == 0 and box.stats().alert is None


def test_exported_items_stay_queued(tmp_path: Path, box: Outbox, clocks: Clocks):
    ids = [box.enqueue(KIND_PRE_LOSS, _payload(i), f"k{i}") for i in range(2)]
    box.mark_exported(ids)
    assert [_row(tmp_path, f"k{i}")["exported_at"] for i in range(2)] == [clocks.wall] * 2
    assert box.stats().pending == 2


# ---- durable, and private -------------------------------------------------------------------

def test_a_commit_is_durable_and_deleted_data_is_overwritten(box: Outbox):
    # Read from the outbox's own connection: these are per connection.
    assert box.durability() == {"journal_mode": "wal", "synchronous": 2}  # 2 = FULL
    with box._lock:
        assert box._db.execute("PRAGMA secure_delete").fetchone()[0] == 1


def test_a_settled_item_leaves_the_wal_empty(tmp_path: Path, box: Outbox):
    item_id = box.enqueue(KIND_PRE_LOSS, _payload(0), "k")
    assert (tmp_path / "o.db-wal").stat().st_size > 0
    box.mark_rejected(item_id, "already_pre_lost")
    assert (tmp_path / "o.db-wal").stat().st_size == 0  # checkpointed and truncated


def test_the_files_are_private(tmp_path: Path, box: Outbox):
    box.enqueue(KIND_PRE_LOSS, _payload(0), "k")
    for name in ("o.db", "o.db-wal", "o.db-shm"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
