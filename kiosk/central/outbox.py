"""Durable outbox: confirmed state changes the central service has not acknowledged yet.

A pre-loss the cardholder confirmed must never be lost nor applied twice. The service
layer stores it here (SQLite, WAL, ``synchronous=FULL``: committed means on disk, so it
survives ``kill -9`` and power loss) under its idempotency key; :class:`OutboxSender`
delivers it when the service is reachable, repeating with the same key until an answer
comes back, so the service applies it exactly once.

Personal data is kept to the minimum the request needs (card and ID number), sealed with
AES-GCM under a key derived from the terminal secret (:mod:`kiosk.central.sealing`), and
deleted the moment the item is acknowledged; technicians see counts and ages only
(:meth:`Outbox.stats`). A queue written before sealing existed is sealed in place when a
key is given, without losing an item. Storage failures raise
:class:`~kiosk.central.errors.OutboxError`.

An item the service keeps refusing for a terminal problem (bad key, clock) stays queued,
since fixing the terminal makes it deliverable, but only for
``central.outbox_terminal_expiry_hours``: then it is set aside as ``expired_<code>``, with
the ``kiosk_outbox_expired_total`` metric and an error log line (someone must act).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk import metrics
from kiosk.central.errors import (
    CentralError,
    CentralNotFound,
    CentralRefused,
    OutboxError,
)
from kiosk.central.sealing import SealError, derive_key, is_sealed, open_sealed, seal
from kiosk.logs import error_fields, get_logger
from kiosk.storage import make_private
from kiosk.system.priority import background_thread

log = get_logger("kiosk.central.outbox")

KIND_PRE_LOSS = "pre_loss"
KIND_CANCEL_PRE_LOSS = "cancel_pre_loss"
KINDS = (KIND_PRE_LOSS, KIND_CANCEL_PRE_LOSS)
# Kinds as spelt by outbox files of version 0.1: renamed in place when a file is opened.
LEGACY_KINDS = {"pre" + "lost": KIND_PRE_LOSS, "cancel_pre" + "lost": KIND_CANCEL_PRE_LOSS}
DEFAULT_TERMINAL_EXPIRY_SECONDS = 72 * 3600.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  payload TEXT,                      -- sealed JSON; NULL once acknowledged (data gone)
  idempotency_key TEXT NOT NULL UNIQUE,
  created_at REAL NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at REAL NOT NULL DEFAULT 0,
  last_error TEXT,                   -- error kind/code only, never personal data
  status TEXT NOT NULL DEFAULT 'pending',   -- pending | delivered | rejected
  done_at REAL,
  reference TEXT                     -- the service's reference number, once delivered
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox(status, id);
"""


@dataclass(frozen=True, repr=False)
class OutboxItem:
    id: int
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    created_at: float
    attempts: int
    last_error: str | None

    def __repr__(self) -> str:  # the payload is personal data
        return f"OutboxItem(id={self.id}, kind={self.kind}, attempts={self.attempts})"


@dataclass(frozen=True)
class OutboxStats:
    """What a technician may see: counts and ages, no content."""

    pending: int
    oldest_age_seconds: float | None
    delivered_total: int
    last_error: str | None
    rejected_total: int = 0


def _classify(exc: sqlite3.Error) -> OutboxError:
    text = str(exc).lower()
    if "full" in text:
        kind = "full"
    elif "readonly" in text or "read-only" in text or "read only" in text:
        kind = "read_only"
    elif "malformed" in text or "not a database" in text or "corrupt" in text:
        kind = "corrupt"
    else:
        kind = "unavailable"
    return OutboxError(kind, str(exc))


class Outbox:
    """The queue. Thread-safe; one SQLite connection guarded by a lock.

    ``max_pages`` caps the database size (``PRAGMA max_page_count``): a bound on the
    file on a small terminal disk, and how tests simulate a full disk. ``terminal_key``
    (the terminal secret) seals payloads; without it (technician views that only count)
    payloads are stored as they come, until :meth:`use_terminal_key` seals them.
    """

    def __init__(self, path: str | Path, *, max_pages: int | None = None,
                 clock: Callable[[], float] = time.time,
                 terminal_key: bytes | None = None) -> None:
        self.path = Path(path)
        self._clock = clock
        self._key: bytes | None = None
        self._lock = threading.Lock()
        # Called after each new item is stored (the sender wakes up at once).
        self.on_enqueue: list[Callable[[], None]] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutboxError("unavailable", f"cannot create directory {self.path.parent} "
                                             f"({exc.strerror})") from None
        try:
            # The queue holds personal data: the file is made 0600 before SQLite opens
            # it; SQLite gives the -wal/-shm files the database file's mode.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            for suffix in ("", "-wal", "-shm"):
                make_private(Path(f"{self.path}{suffix}"))
        except OSError as exc:
            raise OutboxError("unavailable", f"cannot create {self.path} ({exc.strerror})") \
                from None
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False,
                                       isolation_level=None, timeout=10)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            # Deleted content is overwritten, not left in free pages.
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(SCHEMA)
            self._rename_legacy_kinds()
            if max_pages is not None:
                self._db.execute(f"PRAGMA max_page_count={int(max_pages)}")
        except sqlite3.Error as exc:
            raise _classify(exc) from None
        if terminal_key is not None:
            self.use_terminal_key(terminal_key)

    def _rename_legacy_kinds(self) -> None:
        """Version 0.1 files spell the kinds differently; their payloads are plaintext
        (sealing came later), so only the kind changes. Queued items are kept as they are."""
        for old, new in LEGACY_KINDS.items():
            self._db.execute("UPDATE outbox SET kind = ? WHERE kind = ? AND (payload IS NULL "
                             "OR payload NOT LIKE 'aesgcm1:%')", (new, old))

    @property
    def sealed(self) -> bool:
        """Whether new payloads are sealed (a key was given)."""
        return self._key is not None

    def use_terminal_key(self, terminal_key: bytes) -> None:
        """Seal from now on, and seal in place every plaintext payload still queued (a
        queue from before sealing, or items stored before the key was known)."""
        self._key = derive_key(terminal_key)
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                rows = self._db.execute(
                    "SELECT id, kind, idempotency_key, payload FROM outbox WHERE payload IS "
                    "NOT NULL AND payload NOT LIKE 'aesgcm1:%'").fetchall()
                for r in rows:
                    self._db.execute("UPDATE outbox SET payload = ? WHERE id = ?", (
                        seal(self._key, r["payload"], _aad(r["kind"], r["idempotency_key"])),
                        r["id"]))
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise _classify(exc) from None
        if rows:
            log.info("outbox sealed", extra={"fields": {"items": len(rows)}})
            self._scrub()  # the plaintext page images go too

    def _write(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._db.execute(sql, args)
            except sqlite3.Error as exc:
                raise _classify(exc) from None

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise _classify(exc) from None

    def enqueue(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> int:
        """Store a confirmed change durably; returns its id. Enqueueing the same key again
        returns the existing id (a retried confirmation is not a second request)."""
        if kind not in KINDS:
            raise ValueError(f"unknown outbox kind {kind!r}")
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        if self._key is not None:
            body = seal(self._key, body, _aad(kind, idempotency_key))
        # One statement, so two threads confirming with the same key cannot both insert.
        cur = self._write("INSERT INTO outbox (kind, payload, idempotency_key, created_at) "
                          "VALUES (?,?,?,?) ON CONFLICT(idempotency_key) DO NOTHING",
                          (kind, body, idempotency_key, self._clock()))
        if cur.rowcount == 0:
            existing = self._read("SELECT id FROM outbox WHERE idempotency_key = ?",
                                  (idempotency_key,))
            return int(existing[0]["id"])
        for listener in list(self.on_enqueue):
            listener()
        return int(cur.lastrowid)

    def pending(self, due_only: bool = False) -> list[OutboxItem]:
        """Items not yet acknowledged, oldest first (``due_only``: back-off elapsed)."""
        sql = "SELECT * FROM outbox WHERE status = 'pending'"
        args: tuple[Any, ...] = ()
        if due_only:
            sql += " AND next_attempt_at <= ?"
            args = (self._clock(),)
        items = []
        for r in self._read(sql + " ORDER BY id", args):
            try:
                payload = self._open(r)
            except (SealError, ValueError):
                # Wrong key (the secret changed) or damaged: keep it, counted in stats,
                # rather than lose a confirmed request.
                log.error("outbox item cannot be opened", extra={"fields": {"id": r["id"]}})
                continue
            items.append(OutboxItem(r["id"], r["kind"], payload, r["idempotency_key"],
                                    r["created_at"], r["attempts"], r["last_error"]))
        return items

    def _open(self, row: sqlite3.Row) -> dict[str, Any]:
        text = row["payload"]
        if is_sealed(text):
            if self._key is None:
                raise SealError("no key")
            text = open_sealed(self._key, text, _aad(row["kind"], row["idempotency_key"]))
        return json.loads(text)

    def mark_delivered(self, item_id: int, reference: str | None = None) -> None:
        """Acknowledged: delete the personal data, keep a content-free record."""
        self._write("UPDATE outbox SET status = 'delivered', payload = NULL, done_at = ?, "
                    "reference = ?, last_error = NULL WHERE id = ?",
                    (self._clock(), reference, item_id))
        self._scrub()

    def mark_rejected(self, item_id: int, code: str) -> None:
        """The service refused it for good (e.g. card already pre-lost): stop sending."""
        self._write("UPDATE outbox SET status = 'rejected', payload = NULL, done_at = ?, "
                    "last_error = ? WHERE id = ?", (self._clock(), code, item_id))
        self._scrub()

    def _scrub(self) -> None:
        """Copy the WAL into the database and empty it, so the old page images holding
        the personal data are gone from disk too (secure_delete zeroes the rest)."""
        try:
            with self._lock:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:  # busy readers: the next scrub will do it
            log.warning("outbox checkpoint deferred", extra={"fields": {"error": str(exc)}})

    def mark_failed(self, item_id: int, error: str, retry_in: float) -> None:
        """A delivery attempt failed (``error``: kind or code only); try again later."""
        self._write("UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                    "next_attempt_at = ? WHERE id = ?",
                    (error, self._clock() + retry_in, item_id))

    def make_due(self) -> None:
        """Forget back-off: every pending item is due now."""
        self._write("UPDATE outbox SET next_attempt_at = 0 WHERE status = 'pending'", ())

    def next_due_in(self) -> float | None:
        """Seconds until the next pending item is due (negative: overdue; None: empty)."""
        rows = self._read("SELECT MIN(next_attempt_at) AS t FROM outbox "
                          "WHERE status = 'pending'")
        t = rows[0]["t"] if rows else None
        return None if t is None else t - self._clock()

    def stats(self) -> OutboxStats:
        rows = self._read(
            "SELECT status, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox "
            "GROUP BY status")
        by = {r["status"]: r for r in rows}
        pending = by["pending"]["n"] if "pending" in by else 0
        oldest = by["pending"]["oldest"] if "pending" in by else None
        last = self._read("SELECT last_error FROM outbox WHERE last_error IS NOT NULL "
                          "ORDER BY COALESCE(done_at, next_attempt_at) DESC LIMIT 1")
        return OutboxStats(
            pending=pending,
            oldest_age_seconds=None if oldest is None else max(0.0, self._clock() - oldest),
            delivered_total=by["delivered"]["n"] if "delivered" in by else 0,
            last_error=last[0]["last_error"] if last else None,
            rejected_total=by["rejected"]["n"] if "rejected" in by else 0,
        )

    def now(self) -> float:
        """The outbox's clock (wall time; injectable for tests)."""
        return self._clock()

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _aad(kind: str, idempotency_key: str) -> str:
    return f"{kind}\n{idempotency_key}"


class OutboxSender:
    """Background thread delivering the outbox through a ``CentralClient``.

    Items go in order, one at a time. A network or server failure stops the round and
    backs off (exponential, capped); a refusal about the item (4xx with a rule code)
    marks it rejected; a refusal about the terminal (bad signature, clock) keeps it and
    backs off, since fixing the terminal makes it deliverable — until
    ``terminal_expiry_seconds`` after it was queued (then ``expired_<code>``, alerted).

    Each delivery is one client call, so it has the client's overall deadline. When the
    client knows the terminal key (a ``CentralClient``) and the outbox was opened without
    one, the sender hands it over so that the queue is sealed.
    """

    def __init__(self, outbox: Outbox, client: Any, *, base_delay: float = 1.0,
                 max_delay: float = 60.0, poll_interval: float = 5.0,
                 on_result: Callable[[OutboxItem, Any], None] | None = None,
                 terminal_expiry_seconds: float | None = None) -> None:
        self.outbox, self.client = outbox, client
        key = getattr(client, "terminal_key", None)
        if isinstance(key, bytes) and not outbox.sealed:
            outbox.use_terminal_key(key)
        self.terminal_expiry_seconds = terminal_expiry_seconds or getattr(
            client, "outbox_terminal_expiry_seconds", DEFAULT_TERMINAL_EXPIRY_SECONDS)
        self.base_delay, self.max_delay, self.poll_interval = base_delay, max_delay, \
            poll_interval
        self.on_result = on_result
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._failures = 0
        self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)
        outbox.on_enqueue.append(self._wake.set)

    def start(self) -> OutboxSender:
        self._thread.start()
        return self

    def retry_now(self) -> None:
        """Send everything pending now (e.g. the network came back, or a technician asked)."""
        self._failures = 0
        self.outbox.make_due()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def deliver_once(self) -> int:
        """One round over the due items; returns how many were acknowledged."""
        done = 0
        for item in self.outbox.pending(due_only=True):
            if self._stop.is_set():
                break
            try:
                result = self._send(item)
            except (CentralRefused, CentralNotFound) as exc:
                if isinstance(exc, CentralRefused) and exc.terminal_problem:
                    if self._expired(item, exc.code):
                        continue
                    self._back_off(item, exc.code)
                    break
                self.outbox.mark_rejected(item.id, exc.code)
                log.warning("outbox item refused", extra={"fields": {
                    "id": item.id, "kind": item.kind, "code": exc.code}})
                self._notify(item, exc)
                continue
            except CentralError as exc:
                self._back_off(item, exc.kind)
                break
            except (KeyError, TypeError, ValueError) as exc:
                # A malformed item would block the queue for ever: set it aside.
                self.outbox.mark_rejected(item.id, "invalid_item")
                log.error("outbox item invalid", extra={"fields": {
                    "id": item.id, "kind": item.kind, "error": type(exc).__name__}})
                continue
            self.outbox.mark_delivered(item.id, getattr(result, "reference", None))
            self._failures = 0
            done += 1
            log.info("outbox item delivered", extra={"fields": {
                "id": item.id, "kind": item.kind, "attempts": item.attempts + 1}})
            self._notify(item, result)
        return done

    def _expired(self, item: OutboxItem, code: str) -> bool:
        age = self.outbox.now() - item.created_at
        if age <= self.terminal_expiry_seconds:
            return False
        self.outbox.mark_rejected(item.id, f"expired_{code}")
        metrics.outbox_expired(code)
        log.error("outbox item expired", extra={"fields": {
            "id": item.id, "kind": item.kind, "code": code, "age_hours": round(age / 3600, 1),
            "action": "fix the terminal key or clock; the request was NOT delivered"}})
        self._notify(item, CentralRefused(f"expired_{code}", status=401))
        return True

    def _send(self, item: OutboxItem) -> Any:
        p = item.payload
        if item.kind == KIND_PRE_LOSS and "grant" in p:  # identified by the e-SSC
            return self.client.submit_pre_loss_essc(p["card_number"], p["grant"],
                                                    item.idempotency_key)
        if item.kind == KIND_PRE_LOSS:
            return self.client.submit_pre_loss(p["card_number"], p["id_number"],
                                              item.idempotency_key)
        if item.kind == KIND_CANCEL_PRE_LOSS:
            return self.client.cancel_pre_loss(p["card_number"], p["id_number"],
                                              item.idempotency_key)
        raise ValueError(f"unknown outbox kind {item.kind!r}")  # pragma: no cover

    def _back_off(self, item: OutboxItem, error: str) -> None:
        self._failures += 1
        delay = min(self.max_delay, self.base_delay * 2 ** (self._failures - 1))
        self.outbox.mark_failed(item.id, error, delay)
        log.info("outbox delivery deferred", extra={"fields": {
            "id": item.id, "error": error, "retry_in": delay}})

    def _notify(self, item: OutboxItem, outcome: Any) -> None:
        if self.on_result is not None:
            try:
                self.on_result(item, outcome)
            except Exception as exc:  # a listener must not kill the sender
                log.error("outbox listener failed", extra={"fields": error_fields(exc)})

    def _run(self) -> None:
        background_thread()  # the UI first: kiosk/system/priority.py
        while not self._stop.is_set():
            try:
                self.deliver_once()
            except OutboxError as exc:
                log.error("outbox unusable", extra={"fields": {"kind": exc.kind}})
            except Exception as exc:  # keep the sender alive whatever happens
                log.error("outbox sender round failed", extra={"fields": error_fields(exc)})
            wait = self.poll_interval
            due = self._next_due()
            if due is not None:
                wait = max(0.05, min(wait, due))
            self._wake.wait(wait)
            self._wake.clear()

    def _next_due(self) -> float | None:
        try:
            return self.outbox.next_due_in()
        except OutboxError:
            return None
