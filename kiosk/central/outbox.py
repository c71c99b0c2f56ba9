"""Durable outbox: confirmed state changes the central service has not acknowledged yet.

A pre-loss the cardholder confirmed must never be lost nor applied twice. It is stored
here BEFORE the first byte goes to the service (write-ahead: SQLite, WAL,
``synchronous=FULL``, so committed means fsync'd and it survives ``kill -9`` and power
loss), under its idempotency key; the first attempt and every later one send that stored
item (:class:`~kiosk.central.outbox_sender.OutboxSender`), repeating with the same key
until a signed answer comes back, so the service applies it exactly once. A claim
(:meth:`Outbox.claim`, in memory: it dies with the process, so a crash leaves nothing
locked) keeps the direct attempt and the background sender off the same item at once.

Payloads are opaque: the request body exactly as it goes on the wire
(``{"body": {...}}``), kept to what the request needs, sealed with AES-GCM under a key
derived from the terminal secret (:mod:`kiosk.central.sealing`), and deleted the moment
the service acknowledges or settles the item; technicians see counts and ages only
(:meth:`Outbox.stats`). A queue written before sealing existed is sealed in place when a
key is given, without losing an item. Storage failures raise
:class:`~kiosk.central.errors.OutboxError`.

Nothing but a signed answer of the service ends an item. An item the service keeps
refusing for a terminal problem (key, clock) stays queued and is retried; the time it has
been refused is counted on the monotonic clock and kept across restarts
(``refusals``, ``refused_seconds``), never read off the wall clock. An item the service
refuses, signed, for a reason retrying cannot fix is ``held``: kept, not retried until a
technician asks, and raised as an alert (``alert``) with a sealed export for the outlet
(:mod:`kiosk.central.outbox_export`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.central.errors import OutboxError

# The rows live in outbox_rows; the names imported "X as X" are re-exported (callers
# import the kinds and the item types with the queue).
from kiosk.central.outbox_rows import (
    ADDED_COLUMNS,
    LEGACY_KINDS,
    SCHEMA,
    UNDELIVERED,
    aad,
    classify,
)
from kiosk.central.outbox_rows import (
    DEFAULT_TERMINAL_EXPIRY_SECONDS as DEFAULT_TERMINAL_EXPIRY_SECONDS,
)
from kiosk.central.outbox_rows import KIND_CANCEL_PRE_LOSS as KIND_CANCEL_PRE_LOSS
from kiosk.central.outbox_rows import KIND_ESSC_PRE_LOSS as KIND_ESSC_PRE_LOSS
from kiosk.central.outbox_rows import KIND_PRE_LOSS as KIND_PRE_LOSS
from kiosk.central.outbox_rows import KINDS as KINDS
from kiosk.central.outbox_rows import OutboxItem as OutboxItem
from kiosk.central.outbox_rows import OutboxStats as OutboxStats
from kiosk.central.sealing import SealError, derive_key, is_sealed, open_sealed, seal
from kiosk.logs import get_logger
from kiosk.storage import fsync_dir, make_private

log = get_logger("kiosk.central.outbox")


class Outbox:
    """The queue. Thread-safe; one SQLite connection guarded by a lock.

    ``max_pages`` caps the database size (``PRAGMA max_page_count``): a bound on the
    file on a small terminal disk, and how tests simulate a full disk. ``terminal_key``
    (the terminal secret) seals payloads; without it (technician views that only count)
    payloads are stored as they come, until :meth:`use_terminal_key` seals them.
    ``clock`` is the wall clock (ages shown to people); ``monotonic`` times claims.
    """

    def __init__(self, path: str | Path, *, max_pages: int | None = None,
                 clock: Callable[[], float] = time.time,
                 terminal_key: bytes | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self._clock = clock
        self._monotonic = monotonic
        self._key: bytes | None = None
        self._lock = threading.RLock()
        # item id -> (owner, monotonic time the claim lapses). In memory on purpose: a
        # claim must not outlive its process (kill -9 frees every item at once).
        self._claims: dict[int, tuple[str, float]] = {}
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
            created = not self.path.exists()
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            if created:
                fsync_dir(self.path.parent)  # the new file's name is durable too
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
            # FULL: every commit fsyncs the WAL before it returns (NORMAL would only
            # fsync at checkpoints, and a power cut could lose the last commits).
            self._db.execute("PRAGMA synchronous=FULL")
            # Deleted content is overwritten, not left in free pages.
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(SCHEMA)
            self._add_columns()
            self._rename_legacy_kinds()
            if max_pages is not None:
                self._db.execute(f"PRAGMA max_page_count={int(max_pages)}")
        except sqlite3.Error as exc:
            raise classify(exc) from None
        if terminal_key is not None:
            self.use_terminal_key(terminal_key)

    def durability(self) -> dict[str, str | int]:
        """The settings that make a commit durable, as SQLite reports them (tests and
        diagnostics): ``journal_mode`` (``wal``) and ``synchronous`` (2 = FULL)."""
        with self._lock:
            return {"journal_mode": self._db.execute("PRAGMA journal_mode").fetchone()[0],
                    "synchronous": self._db.execute("PRAGMA synchronous").fetchone()[0]}

    def _add_columns(self) -> None:
        have = {r["name"] for r in self._db.execute("PRAGMA table_info(outbox)")}
        for name, decl in ADDED_COLUMNS:
            if name not in have:
                self._db.execute(f"ALTER TABLE outbox ADD COLUMN {name} {decl}")

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
                        seal(self._key, r["payload"], aad(r["kind"], r["idempotency_key"])),
                        r["id"]))
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise classify(exc) from None
        if rows:
            log.info("outbox sealed", extra={"fields": {"items": len(rows)}})
            self._scrub()  # the plaintext page images go too

    def _write(self, sql: str, args: tuple[object, ...]) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._db.execute(sql, args)
            except sqlite3.Error as exc:
                raise classify(exc) from None

    def _read(self, sql: str, args: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise classify(exc) from None

    # ---- storing --------------------------------------------------------------------

    def enqueue(self, kind: str, payload: dict[str, object], idempotency_key: str, *,
                claim_owner: str | None = None, claim_seconds: float = 0.0,
                due_in: float = 0.0) -> int:
        """Store a confirmed change durably (committed and fsync'd when this returns);
        returns its id. The same key again is the same request: a pending item is kept
        as it is; one that had ended (delivered or refused) is queued again, since the
        person confirmed again. With ``claim_owner`` the item is claimed for that owner
        before anyone is told it exists (:meth:`holds` says whether the claim was had);
        ``due_in``: seconds before the background sender's turn (the claim's length, so it
        does not poll an item someone else is sending)."""
        if kind not in KINDS:
            raise ValueError(f"unknown outbox kind {kind!r}")
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        if self._key is not None:
            body = seal(self._key, body, aad(kind, idempotency_key))
        with self._lock:
            try:
                # One statement, so two threads confirming with the same key cannot both
                # insert; a row that had ended is revived in the same statement.
                now = self._clock()
                cur = self._db.execute(
                    "INSERT INTO outbox (kind, payload, idempotency_key, created_at, "
                    "next_attempt_at) VALUES (?,?,?,?,?) ON CONFLICT(idempotency_key) DO "
                    "UPDATE SET kind = excluded.kind, payload = excluded.payload, "
                    "status = 'pending', next_attempt_at = excluded.next_attempt_at, "
                    "done_at = NULL, alert = NULL, last_error = NULL "
                    "WHERE outbox.status NOT IN ('pending', 'held')",
                    (kind, body, idempotency_key, now, now + due_in if due_in > 0 else 0))
                changed = cur.rowcount
                row = self._db.execute("SELECT id FROM outbox WHERE idempotency_key = ?",
                                       (idempotency_key,)).fetchone()
            except sqlite3.Error as exc:
                raise classify(exc) from None
            item_id = int(row["id"])
            if claim_owner is not None:
                self.claim(item_id, claim_owner, claim_seconds)
        if changed:
            for listener in list(self.on_enqueue):
                listener()
        return item_id

    # ---- claims (who is sending an item right now) ----------------------------------

    def claim(self, item_id: int, owner: str, seconds: float) -> bool:
        """Claim ``item_id`` for ``owner`` for ``seconds`` (renewed if it holds it
        already); False while someone else's claim lasts. Whoever sends an item claims it
        first, so the direct attempt and the sender never send the same item at once."""
        now = self._monotonic()
        with self._lock:
            held = self._claims.get(item_id)
            if held is not None and held[0] != owner and held[1] > now:
                return False
            self._claims[item_id] = (owner, now + max(0.0, seconds))
            return True

    def holds(self, item_id: int, owner: str) -> bool:
        """Whether ``owner``'s claim on ``item_id`` is in force."""
        with self._lock:
            held = self._claims.get(item_id)
            return held is not None and held[0] == owner and held[1] > self._monotonic()

    def release(self, item_id: int, owner: str) -> None:
        """End ``owner``'s claim (someone else's is left alone)."""
        with self._lock:
            held = self._claims.get(item_id)
            if held is not None and held[0] == owner:
                del self._claims[item_id]

    # ---- reading --------------------------------------------------------------------

    def pending(self, due_only: bool = False) -> list[OutboxItem]:
        """Items not yet acknowledged, oldest first (``due_only``: back-off elapsed)."""
        sql = "SELECT * FROM outbox WHERE status = 'pending'"
        args: tuple[object, ...] = ()
        if due_only:
            sql += " AND next_attempt_at <= ?"
            args = (self._clock(),)
        return self._items(self._read(sql + " ORDER BY id", args))

    def undelivered(self) -> list[OutboxItem]:
        """Every item not delivered nor settled (pending and held), oldest first."""
        return self._items(self._read(
            "SELECT * FROM outbox WHERE status IN ('pending', 'held') ORDER BY id"))

    def item(self, idempotency_key: str) -> OutboxItem | None:
        """The undelivered item stored under this key, or None (none, or ended)."""
        found = self._items(self._read(
            "SELECT * FROM outbox WHERE idempotency_key = ? AND status IN ('pending', 'held')",
            (idempotency_key,)))
        return found[0] if found else None

    def status_of(self, idempotency_key: str) -> str | None:
        """``pending``, ``held``, ``delivered``, ``rejected``, or None (never stored)."""
        rows = self._read("SELECT status FROM outbox WHERE idempotency_key = ?",
                          (idempotency_key,))
        return str(rows[0]["status"]) if rows else None

    def _items(self, rows: list[sqlite3.Row]) -> list[OutboxItem]:
        items = []
        for r in rows:
            try:
                payload = self._open(r)
            except (SealError, ValueError):
                # Wrong key (the secret changed) or damaged: keep it, counted in stats,
                # rather than lose a confirmed request.
                log.error("outbox item cannot be opened", extra={"fields": {"id": r["id"]}})
                continue
            items.append(OutboxItem(r["id"], r["kind"], payload, r["idempotency_key"],
                                    r["created_at"], r["attempts"], r["last_error"],
                                    r["status"], r["refusals"], r["refused_seconds"],
                                    r["alert"]))
        return items

    def _open(self, row: sqlite3.Row) -> dict[str, object]:
        text = row["payload"]
        if text is None:
            raise ValueError("no payload")
        if is_sealed(text):
            if self._key is None:
                raise SealError("no key")
            text = open_sealed(self._key, text, aad(row["kind"], row["idempotency_key"]))
        payload = json.loads(text)
        if not isinstance(payload, dict):
            raise ValueError("payload is not an object")
        return payload

    # ---- outcomes -------------------------------------------------------------------

    def mark_delivered(self, item_id: int, reference: str | None = None) -> None:
        """Acknowledged: delete the personal data, keep a content-free record."""
        self._write("UPDATE outbox SET status = 'delivered', payload = NULL, done_at = ?, "
                    "reference = ?, last_error = NULL, alert = NULL WHERE id = ?",
                    (self._clock(), reference, item_id))
        self._scrub()

    def mark_rejected(self, item_id: int, code: str) -> None:
        """Settled by the service's signed answer (e.g. the card is already pre-lost):
        stop sending and delete the personal data. Never for an unsigned answer."""
        self._write("UPDATE outbox SET status = 'rejected', payload = NULL, done_at = ?, "
                    "last_error = ?, alert = NULL WHERE id = ?",
                    (self._clock(), code, item_id))
        self._scrub()

    def mark_held(self, item_id: int, code: str) -> None:
        """Refused for a reason retrying cannot fix (signed), or unsendable: kept with its
        payload, no longer retried on its own, and raised as an alert (``held_<code>``)
        until a technician retries it or hands it in at the outlet."""
        self._write("UPDATE outbox SET status = 'held', last_error = ?, alert = ?, "
                    "attempts = attempts + 1 WHERE id = ?", (code, f"held_{code}", item_id))

    def unhold(self) -> int:
        """Every held item is pending again, due now (a technician's retry); returns how
        many. The alert stays until the item is delivered or settled."""
        cur = self._write("UPDATE outbox SET status = 'pending', next_attempt_at = 0 "
                          "WHERE status = 'held'", ())
        return int(cur.rowcount)

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

    def note_terminal_refusal(self, item_id: int, code: str, seconds: float,
                              retry_in: float) -> tuple[int, float]:
        """The service refused the terminal (key, clock) for this item: count it, add
        ``seconds`` (monotonic time since the previous refusal in this run) to the time
        it has been refused, and try again in ``retry_in``. Returns the totals over every
        run, (refusals, refused seconds)."""
        with self._lock:
            self._write("UPDATE outbox SET attempts = attempts + 1, refusals = refusals + 1, "
                        "refused_seconds = refused_seconds + ?, last_error = ?, "
                        "next_attempt_at = ? WHERE id = ?",
                        (max(0.0, seconds), code, self._clock() + retry_in, item_id))
            rows = self._read("SELECT refusals, refused_seconds FROM outbox WHERE id = ?",
                              (item_id,))
        return (int(rows[0]["refusals"]), float(rows[0]["refused_seconds"])) if rows \
            else (0, 0.0)

    def set_alert(self, item_id: int, alert: str | None) -> None:
        """Raise (or clear, ``None``) the alert of an undelivered item."""
        self._write("UPDATE outbox SET alert = ? WHERE id = ? AND status IN "
                    "('pending', 'held')", (alert, item_id))

    def mark_exported(self, item_ids: list[int]) -> None:
        """These items went into a sealed export for the outlet (they stay queued)."""
        now = self._clock()
        with self._lock:
            for item_id in item_ids:
                self._write("UPDATE outbox SET exported_at = ? WHERE id = ?", (now, item_id))

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
        held = by["held"]["n"] if "held" in by else 0
        oldest_at = [by[s]["oldest"] for s in UNDELIVERED if s in by]
        oldest = min(oldest_at) if oldest_at else None
        last = self._read("SELECT last_error FROM outbox WHERE last_error IS NOT NULL "
                          "ORDER BY COALESCE(done_at, next_attempt_at) DESC LIMIT 1")
        alerts = self._read("SELECT alert FROM outbox WHERE alert IS NOT NULL AND status IN "
                            "('pending', 'held') ORDER BY id DESC")
        return OutboxStats(
            pending=pending,
            oldest_age_seconds=None if oldest is None else max(0.0, self._clock() - oldest),
            delivered_total=by["delivered"]["n"] if "delivered" in by else 0,
            last_error=last[0]["last_error"] if last else None,
            rejected_total=by["rejected"]["n"] if "rejected" in by else 0,
            held=held,
            undeliverable=len(alerts),
            alert=alerts[0]["alert"] if alerts else None,
        )

    def now(self) -> float:
        """The outbox's wall clock (injectable for tests); for ages shown to people only."""
        return self._clock()

    def close(self) -> None:
        with self._lock:
            self._db.close()
