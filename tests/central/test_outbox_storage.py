"""The outbox's file: what it writes on disk (kinds a later version must still read, a
version 0.1 file opened), how it creates the file (private from the first instant, its
name made durable, missing directories made) and what an operator reads when it cannot.
SQLite on disk; ``os`` watched, never replaced, where a step leaves nothing else to see.
Fast on purpose: ``kiosk bench mutate`` runs these against every change to outbox.py
and outbox_rows.py."""

from __future__ import annotations

import dataclasses
import errno
import json
import logging
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from kiosk.central import outbox as outbox_module
from kiosk.central.errors import OutboxError
from kiosk.central.outbox import (
    KIND_CANCEL_PRE_LOSS,
    KIND_ESSC_PRE_LOSS,
    KIND_PRE_LOSS,
    KINDS,
    Outbox,
)
from kiosk.central.outbox_sender import OutboxSender
from kiosk.central.request_build import QUEUEABLE
from kiosk.central.sealing import derive_key, seal
from kiosk.config import Settings

KEY = b"k" * 32
PAYLOAD = {"card_number": "X00000019", "id_number": "110105198503071230"}
# The kinds as version 0.1 spelt them (split: the old spelling is not a word we use).
OLD_PRE_LOSS, OLD_CANCEL = "pre" + "lost", "cancel_pre" + "lost"
OLD_SCHEMA = """
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT,
  idempotency_key TEXT NOT NULL UNIQUE, created_at REAL NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL DEFAULT 0,
  last_error TEXT, status TEXT NOT NULL DEFAULT 'pending', done_at REAL, reference TEXT);
"""


def _rows(path: Path) -> list[sqlite3.Row]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM outbox ORDER BY id").fetchall()
    finally:
        db.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---- what is on disk ------------------------------------------------------------------------

def test_the_kinds_on_disk_are_the_wire_kinds_a_later_version_reads(tmp_path: Path):
    box = Outbox(tmp_path / "o.db")
    for n, kind in enumerate(KINDS):
        box.enqueue(kind, PAYLOAD, f"k{n}")
    box.close()
    # Spelt out: a file written today is read by the next version, whatever it renames.
    assert [r["kind"] for r in _rows(tmp_path / "o.db")] == [
        "pre_loss", "essc_pre_loss", "cancel_pre_loss"]
    assert (KIND_PRE_LOSS, KIND_ESSC_PRE_LOSS, KIND_CANCEL_PRE_LOSS) == KINDS
    assert set(QUEUEABLE) <= set(KINDS)  # everything the client queues can be stored


# (name, declared type, NOT NULL, default) of every column, spelt out: the file format
# is what a later version's migration starts from, so a declared type is part of it.
COLUMNS = [
    ("id", "INTEGER", 0, None), ("kind", "TEXT", 1, None), ("payload", "TEXT", 0, None),
    ("idempotency_key", "TEXT", 1, None), ("created_at", "REAL", 1, None),
    ("attempts", "INTEGER", 1, "0"), ("next_attempt_at", "REAL", 1, "0"),
    ("last_error", "TEXT", 0, None), ("status", "TEXT", 1, "'pending'"),
    ("done_at", "REAL", 0, None), ("reference", "TEXT", 0, None),
    ("refusals", "INTEGER", 1, "0"), ("refused_seconds", "REAL", 1, "0"),
    ("alert", "TEXT", 0, None), ("exported_at", "REAL", 0, None),
]


def _columns(path: Path) -> list[tuple[str, str, int, str | None]]:
    with sqlite3.connect(path) as db:
        found = [(r[1], r[2], r[3], r[4]) for r in db.execute("PRAGMA table_info(outbox)")]
    db.close()
    return found


def test_a_new_file_and_an_upgraded_one_declare_the_same_columns(tmp_path: Path):
    Outbox(tmp_path / "new.db").close()
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as db:
        db.executescript(OLD_SCHEMA)
    db.close()
    Outbox(old).close()  # the columns added since version 0.2, by ALTER TABLE
    assert _columns(tmp_path / "new.db") == COLUMNS
    assert _columns(old) == COLUMNS


def test_a_version_0_1_file_opens_with_its_kinds_renamed_and_nothing_lost(tmp_path: Path):
    path = tmp_path / "o.db"
    sealed_body = seal(derive_key(KEY), json.dumps(PAYLOAD), f"{OLD_PRE_LOSS}\nk-sealed")
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        rows = [(OLD_PRE_LOSS, json.dumps(PAYLOAD), "k-pre", "pending"),
                (OLD_CANCEL, json.dumps(PAYLOAD), "k-cancel", "pending"),
                (OLD_PRE_LOSS, None, "k-done", "delivered"),
                # Sealed under its old kind (the kind is part of what was sealed): keeps
                # it, or it could never be opened again.
                (OLD_PRE_LOSS, sealed_body, "k-sealed", "pending")]
        db.executemany("INSERT INTO outbox (kind, payload, idempotency_key, created_at, "
                       "status) VALUES (?,?,?,1,?)", rows)
    db.close()
    box = Outbox(path, terminal_key=KEY)
    by_key = {i.idempotency_key: i for i in box.pending()}
    assert {k: (i.kind, i.payload) for k, i in by_key.items()} == {
        "k-pre": (KIND_PRE_LOSS, PAYLOAD), "k-cancel": (KIND_CANCEL_PRE_LOSS, PAYLOAD),
        "k-sealed": (OLD_PRE_LOSS, PAYLOAD)}
    box.close()
    kinds = {r["idempotency_key"]: r["kind"] for r in _rows(path)}
    assert kinds["k-done"] == "pre_loss"  # a settled row is renamed too
    # The columns added since: there, with their defaults, on every old row.
    assert {(r["refusals"], r["refused_seconds"], r["alert"], r["exported_at"])
            for r in _rows(path)} == {(0, 0.0, None, None)}


def test_the_added_columns_keep_their_declared_types(tmp_path: Path):
    box = Outbox(tmp_path / "o.db")
    box.enqueue(KIND_PRE_LOSS, PAYLOAD, "k")
    box.close()
    db = sqlite3.connect(tmp_path / "o.db")
    try:
        for column in ("refusals", "refused_seconds"):  # NOT NULL, as declared
            with pytest.raises(sqlite3.IntegrityError):
                db.execute(f"UPDATE outbox SET {column} = NULL")
        db.execute("UPDATE outbox SET refused_seconds = '2.5', refusals = '3'")
        # Numbers, as declared (REAL and INTEGER affinity), whatever a writer handed in.
        assert db.execute("SELECT refused_seconds, refusals FROM outbox").fetchone() == (
            2.5, 3)
    finally:
        db.close()


def test_an_item_shows_no_content_in_its_repr(tmp_path: Path):
    box = Outbox(tmp_path / "o.db")
    item_id = box.enqueue(KIND_PRE_LOSS, PAYLOAD, "k")
    (item,) = box.pending()
    assert repr(item) == f"OutboxItem(id={item_id}, kind=pre_loss, attempts=0)"
    box.close()


def test_the_default_expiry_for_a_client_that_does_not_say_is_the_configured_one(tmp_path: Path):
    """A client that does not say (a fake) gets the same 72 h as the shipped config."""
    box = Outbox(tmp_path / "o.db")
    sender = OutboxSender(box, object())
    assert sender.terminal_expiry_seconds == \
        Settings().central.outbox_terminal_expiry_hours * 3600 == 72 * 3600
    box.close()


# ---- creating the file -------------------------------------------------------------------

def test_missing_directories_are_made(tmp_path: Path):
    box = Outbox(tmp_path / "data" / "kiosk" / "o.db")
    box.enqueue(KIND_PRE_LOSS, PAYLOAD, "k")
    assert box.stats().pending == 1
    box.close()


def test_the_file_is_private_from_its_first_instant(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch):
    """Created 0600 (not made private after: for that instant another user could open
    it and keep it open), whatever the umask."""
    seen: dict[str, int] = {}
    made_private = outbox_module.make_private

    def watch(path: Path) -> None:
        if path.exists():
            seen.setdefault(path.name, _mode(path))
        made_private(path)

    monkeypatch.setattr(outbox_module, "make_private", watch)
    old = os.umask(0o002)
    try:
        box = Outbox(tmp_path / "o.db")
    finally:
        os.umask(old)
    assert seen == {"o.db": 0o600}
    box.close()


def test_files_a_crash_left_readable_are_made_private(tmp_path: Path):
    """An older version (another umask) was killed mid-run: its write-ahead log and
    shared memory are still there, readable by others, and hold a committed item."""
    old = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    old.execute("PRAGMA journal_mode=WAL")
    old.executescript(OLD_SCHEMA)
    old.execute("INSERT INTO outbox (kind, payload, idempotency_key, created_at) "
                "VALUES ('pre_loss', ?, 'k', 1)", (json.dumps(PAYLOAD),))
    names = ("o.db", "o.db-wal", "o.db-shm")
    for name in names:  # the files as the killed process left them
        (tmp_path / name).write_bytes((tmp_path / name.replace("o.db", "old.db")).read_bytes())
        (tmp_path / name).chmod(0o644)
    old.close()
    assert (tmp_path / "o.db-wal").stat().st_size > 0  # the item is only in the log
    box = Outbox(tmp_path / "o.db")
    assert {name: _mode(tmp_path / name) for name in names} == dict.fromkeys(names, 0o600)
    assert [i.payload for i in box.pending()] == [PAYLOAD]
    box.close()


class _WatchedOs:
    """The descriptors fsync'd and closed, in order, with what each one was."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_fsync: bool = False) -> None:
        self.calls: list[tuple[str, int, str]] = []
        fsync, close = os.fsync, os.close

        def watched_fsync(fd: int) -> None:
            self.calls.append(("fsync", fd, os.readlink(f"/proc/self/fd/{fd}")))
            if fail_fsync:  # as some filesystems answer for a directory
                raise OSError(22, "Invalid argument")
            fsync(fd)

        def watched_close(fd: int) -> None:
            self.calls.append(("close", fd, ""))
            close(fd)

        monkeypatch.setattr(os, "fsync", watched_fsync)
        monkeypatch.setattr(os, "close", watched_close)

    def synced_then_closed(self, directory: Path) -> int:
        """How many times ``directory`` was fsync'd, each descriptor given back after."""
        synced = [(n, fd) for n, (call, fd, target) in enumerate(self.calls)
                  if call == "fsync" and target == str(directory)]
        for n, fd in synced:
            assert ("close", fd, "") in self.calls[n:], "the directory's descriptor leaked"
        return len(synced)


def test_a_new_files_name_is_made_durable_in_its_directory(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    watched = _WatchedOs(monkeypatch)
    box = Outbox(tmp_path / "o.db")
    assert watched.synced_then_closed(tmp_path) == 1
    box.close()


def test_a_directory_that_refuses_fsync_still_opens_and_leaks_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    watched = _WatchedOs(monkeypatch, fail_fsync=True)
    box = Outbox(tmp_path / "o.db")
    assert watched.synced_then_closed(tmp_path) == 1
    box.enqueue(KIND_PRE_LOSS, PAYLOAD, "k")
    assert box.stats().pending == 1
    box.close()


# ---- what an operator reads when it cannot ---------------------------------------------------

def test_a_directory_that_cannot_be_made_is_named(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutboxError) as err:
        Outbox(blocker / "sub" / "o.db")
    assert err.value.kind == "unavailable"
    assert err.value.detail == \
        f"cannot create directory {blocker / 'sub'} ({os.strerror(errno.ENOTDIR)})"


def test_a_file_that_cannot_be_made_is_named(tmp_path: Path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(OutboxError) as err:
        Outbox(tmp_path / "taken")
    assert err.value.kind == "unavailable"
    assert err.value.detail == f"cannot create {tmp_path / 'taken'} ({os.strerror(errno.EISDIR)})"


def test_a_damaged_file_is_corrupt(tmp_path: Path):
    """Pages after the first overwritten (a bad sector, a cut write): SQLite says the
    image is malformed, the outbox says ``corrupt`` (the technician's words differ)."""
    path = tmp_path / "o.db"
    box = Outbox(path)
    for n in range(5):
        box.enqueue(KIND_PRE_LOSS, PAYLOAD, f"k{n}")
    box.close()
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(4096)
        f.write(b"\xff" * (size - 4096))
    with pytest.raises(OutboxError) as err:
        Outbox(path)
    assert err.value.kind == "corrupt" and "malformed" in err.value.detail


def test_a_database_that_refuses_writes_is_read_only(tmp_path: Path):
    box = Outbox(tmp_path / "o.db")
    with box._lock:  # per connection: what a read-only mount gives SQLite
        box._db.execute("PRAGMA query_only=ON")
    with pytest.raises(OutboxError) as err:
        box.enqueue(KIND_PRE_LOSS, PAYLOAD, "k")
    assert err.value.kind == "read_only"
    box.close()


# ---- what the log says (counts and ids, never content) -----------------------------------

def _said(caplog: pytest.LogCaptureFixture, message: str) -> list[object]:
    return [getattr(r, "fields", None) for r in caplog.records
            if r.name == "kiosk.central.outbox" and r.getMessage() == message]


def test_sealing_a_plaintext_queue_is_logged_with_its_count(tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture):
    box = Outbox(tmp_path / "o.db")
    for n in range(3):
        box.enqueue(KIND_PRE_LOSS, PAYLOAD, f"k{n}")
    with caplog.at_level(logging.INFO, logger="kiosk.central.outbox"):
        box.use_terminal_key(KEY)
        box.use_terminal_key(KEY)  # nothing left to seal: nothing said
    assert _said(caplog, "outbox sealed") == [{"items": 3}]
    box.close()


def test_an_item_another_key_sealed_is_logged_by_id_and_kept(tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture):
    box = Outbox(tmp_path / "o.db", terminal_key=KEY)
    item_id = box.enqueue(KIND_PRE_LOSS, PAYLOAD, "k")
    box.close()
    other = Outbox(tmp_path / "o.db", terminal_key=b"x" * 32)  # the secret changed
    with caplog.at_level(logging.ERROR, logger="kiosk.central.outbox"):
        assert other.pending() == []
    assert _said(caplog, "outbox item cannot be opened") == [{"id": item_id}]
    assert PAYLOAD["card_number"] not in caplog.text
    assert other.stats().pending == 1  # kept, counted
    other.close()


# ---- when an item is due, and ages ---------------------------------------------------------

def test_an_item_stored_with_a_claim_is_due_when_the_claim_ends(tmp_path: Path):
    """The direct attempt stores its item claimed for its call; the background sender's
    turn comes only after that (it does not poll an item someone else is sending)."""
    wall, mono = [1_000_000.0], [10.0]
    box = Outbox(tmp_path / "o.db", clock=lambda: wall[0], monotonic=lambda: mono[0])
    claimed = box.enqueue(KIND_PRE_LOSS, PAYLOAD, "a", claim_owner="direct:a",
                          claim_seconds=35, due_in=35)
    assert box.holds(claimed, "direct:a") and box.next_due_in() == 35
    assert box.pending(due_only=True) == []
    box.enqueue(KIND_PRE_LOSS, PAYLOAD, "b", due_in=0.5)
    assert box.next_due_in() == 0.5  # a fraction of a second is a delay too
    wall[0] += 0.5
    assert [i.idempotency_key for i in box.pending(due_only=True)] == ["b"]
    wall[0] += 34.5
    assert [i.idempotency_key for i in box.pending(due_only=True)] == ["a", "b"]
    box.close()


def test_an_age_is_never_negative_nor_more_than_it_is(tmp_path: Path):
    wall = [1_000_000.0]
    box = Outbox(tmp_path / "o.db", clock=lambda: wall[0])
    box.enqueue(KIND_PRE_LOSS, PAYLOAD, "k")
    assert box.stats().oldest_age_seconds == 0.0  # just stored
    wall[0] -= 50  # the wall clock set back
    assert box.stats().oldest_age_seconds == 0.0
    wall[0] += 80.5
    assert box.stats().oldest_age_seconds == 30.5
    box.close()


def test_a_claim_is_refused_with_false_and_a_bare_claim_lasts_no_time(tmp_path: Path):
    wall, mono = [1_000_000.0], [10.0]
    box = Outbox(tmp_path / "o.db", clock=lambda: wall[0], monotonic=lambda: mono[0])
    item_id = box.enqueue(KIND_PRE_LOSS, PAYLOAD, "k", claim_owner="direct:k")
    assert not box.holds(item_id, "direct:k")  # claimed for no time: nobody is kept out
    assert box.claim(item_id, "sender", 30) is True
    assert box.claim(item_id, "direct:k", 30) is False  # a bool, as the sender expects
    box.close()


# ---- what stays fixed, and what closing leaves -------------------------------------------------

def test_items_and_counts_cannot_be_changed_behind_the_queues_back(tmp_path: Path):
    box = Outbox(tmp_path / "o.db")
    box.enqueue(KIND_PRE_LOSS, PAYLOAD, "k")
    (item,) = box.pending()
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.status = "delivered"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        box.stats().pending = 0  # type: ignore[misc]
    box.close()


def test_sealed_says_whether_a_key_was_given(tmp_path: Path):
    box = Outbox(tmp_path / "o.db")
    assert box.sealed is False
    box.use_terminal_key(KEY)
    assert box.sealed is True
    box.close()
    box = Outbox(tmp_path / "o.db", terminal_key=KEY)
    assert box.sealed is True
    box.close()


def test_closing_checkpoints_and_leaves_only_the_database(tmp_path: Path):
    box = Outbox(tmp_path / "o.db")
    box.enqueue(KIND_PRE_LOSS, PAYLOAD, "k")
    assert (tmp_path / "o.db-wal").exists()
    box.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.db"]
    with pytest.raises(OutboxError) as err:  # and nothing more is written through it
        box.enqueue(KIND_PRE_LOSS, PAYLOAD, "k2")
    assert err.value.kind == "unavailable"  # an error of Python's sqlite3, no SQLite code


def test_an_item_that_cannot_be_opened_does_not_hide_the_next(tmp_path: Path):
    box = Outbox(tmp_path / "o.db", terminal_key=b"x" * 32)
    box.enqueue(KIND_PRE_LOSS, PAYLOAD, "old-secret")
    box.close()
    box = Outbox(tmp_path / "o.db", terminal_key=KEY)  # the secret changed
    box.enqueue(KIND_PRE_LOSS, PAYLOAD, "new-secret")
    assert [i.idempotency_key for i in box.pending()] == ["new-secret"]
    assert [i.idempotency_key for i in box.undelivered()] == ["new-secret"]
    assert box.stats().pending == 2
    box.close()


def test_sealing_a_queue_that_does_not_fit_is_all_or_nothing(tmp_path: Path):
    """The key comes while the disk is all but full: sealing (bigger than plaintext)
    fails as a whole, nothing is half sealed, and the outbox goes on storing."""
    path = tmp_path / "o.db"
    box = Outbox(path, max_pages=9)
    bodies = [{"note": f"{n}" + "x" * 1500} for n in range(6)]
    for n, body in enumerate(bodies):
        box.enqueue(KIND_PRE_LOSS, body, f"k{n}")
    with pytest.raises(OutboxError) as err:
        box.use_terminal_key(KEY)
    assert err.value.kind == "full"
    box.enqueue(KIND_PRE_LOSS, PAYLOAD, "after")  # committed, not left in a transaction
    box.close()
    stored = {r["idempotency_key"]: r["payload"] for r in _rows(path)}
    assert [json.loads(stored[f"k{n}"]) for n in range(6)] == bodies  # none half sealed
    box = Outbox(path, terminal_key=KEY)  # room again: sealed, nothing lost
    assert [i.payload for i in box.pending()] == [*bodies, PAYLOAD]
    box.close()


# ---- SQLite's other failures -------------------------------------------------------------------

def test_a_file_sqlite_cannot_use_is_unavailable(tmp_path: Path):
    """A directory where SQLite's write-ahead log must go: an I/O error, neither full nor
    read-only nor corrupt (the technician's words say the storage cannot be used)."""
    (tmp_path / "o.db-wal").mkdir()
    with pytest.raises(OutboxError) as err:
        Outbox(tmp_path / "o.db")
    assert err.value.kind == "unavailable" and "I/O" in err.value.detail


def test_a_checkpoint_that_cannot_run_now_is_deferred_and_said(
        tmp_path: Path, caplog: pytest.LogCaptureFixture):
    box = Outbox(tmp_path / "o.db")
    item_id = box.enqueue(KIND_PRE_LOSS, PAYLOAD, "k")
    with box._lock:  # a transaction still open on the connection: no checkpoint now
        box._db.execute("BEGIN")
    with caplog.at_level(logging.WARNING, logger="kiosk.central.outbox"):
        box.mark_delivered(item_id, "PL-1")  # the outcome stands
    with box._lock:
        box._db.execute("COMMIT")
    assert len(_said(caplog, "outbox checkpoint deferred")) == 1
    assert box.status_of("k") == "delivered"
    box.close()


def test_sealing_refused_midway_leaves_no_transaction_open(tmp_path: Path):
    """A failure SQLite does not roll back by itself (a statement refused; here by a
    trigger on the third item): the sealing is undone, and what is stored next is
    committed, not left in a transaction that closing would throw away."""
    path = tmp_path / "o.db"
    box = Outbox(path)
    for n in range(4):
        box.enqueue(KIND_PRE_LOSS, {**PAYLOAD, "n": n}, f"k{n}")
    with sqlite3.connect(path) as db:
        db.execute("CREATE TRIGGER refuse BEFORE UPDATE OF payload ON outbox "
                   "WHEN OLD.idempotency_key = 'k2' BEGIN SELECT RAISE(ABORT, 'refused'); END")
    db.close()
    with pytest.raises(OutboxError):
        box.use_terminal_key(KEY)
    box.enqueue(KIND_PRE_LOSS, PAYLOAD, "after")
    box.close()
    rows = {r["idempotency_key"]: r["payload"] for r in _rows(path)}
    assert set(rows) == {"k0", "k1", "k2", "k3", "after"}
    assert [json.loads(rows[f"k{n}"])["n"] for n in range(4)] == [0, 1, 2, 3]  # undone
