"""What the outbox keeps on disk, and how its storage fails.

The kinds of item and their old spellings, the table's schema (and the columns added
since), the rows as :class:`OutboxItem` and the technician's counts as
:class:`OutboxStats`; SQLite's failures classified into the outbox's kinds by result code
(:func:`classify`); the associated data a sealed payload is bound to (:func:`aad`). The
queue itself is :class:`kiosk.central.outbox.Outbox`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from kiosk.central.errors import OutboxError

KIND_PRE_LOSS = "pre_loss"
KIND_ESSC_PRE_LOSS = "essc_pre_loss"
KIND_CANCEL_PRE_LOSS = "cancel_pre_loss"
KINDS = (KIND_PRE_LOSS, KIND_ESSC_PRE_LOSS, KIND_CANCEL_PRE_LOSS)
# Kinds as spelt by outbox files of version 0.1: renamed in place when a file is opened.
LEGACY_KINDS = {"pre" + "lost": KIND_PRE_LOSS, "cancel_pre" + "lost": KIND_CANCEL_PRE_LOSS}
DEFAULT_TERMINAL_EXPIRY_SECONDS = 72 * 3600.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  payload TEXT,                      -- sealed JSON; NULL once acknowledged (data gone)
  idempotency_key TEXT NOT NULL UNIQUE,
  created_at REAL NOT NULL,          -- wall clock: shown as an age, never decides anything
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at REAL NOT NULL DEFAULT 0,
  last_error TEXT,                   -- error kind/code only, never personal data
  status TEXT NOT NULL DEFAULT 'pending',   -- pending | delivered | rejected | held
  done_at REAL,
  reference TEXT                     -- the service's reference number, once delivered
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox(status, id);
"""
# Columns added after version 0.2 (ALTER TABLE on open: queues from before keep their items).
ADDED_COLUMNS = (
    # Terminal-problem refusals, and the monotonic seconds they spanned, over every run.
    ("refusals", "INTEGER NOT NULL DEFAULT 0"),
    ("refused_seconds", "REAL NOT NULL DEFAULT 0"),
    ("alert", "TEXT"),                # why a person must act (a code), NULL: nothing
    ("exported_at", "REAL"),          # last sealed export for the outlet (wall clock)
)
UNDELIVERED = ("pending", "held")


@dataclass(frozen=True, repr=False)
class OutboxItem:
    """One undelivered item as stored (its payload opened); ``repr`` leaves the payload
    out: it is personal data."""

    id: int
    kind: str
    payload: dict[str, object]
    idempotency_key: str
    created_at: float
    attempts: int
    last_error: str | None
    status: str = "pending"
    refusals: int = 0
    refused_seconds: float = 0.0
    alert: str | None = None

    def __repr__(self) -> str:  # the payload is personal data
        return f"OutboxItem(id={self.id}, kind={self.kind}, attempts={self.attempts})"


@dataclass(frozen=True)
class OutboxStats:
    """What a technician may see: counts and ages, no content.

    ``pending`` items are being delivered; ``held`` ones wait for a person (the service
    refused them, signed, for a reason retrying cannot fix); ``undeliverable`` counts the
    items raising an alert (held, or refused for a terminal problem for too long)."""

    pending: int
    oldest_age_seconds: float | None
    delivered_total: int
    last_error: str | None
    rejected_total: int = 0
    held: int = 0
    undeliverable: int = 0
    alert: str | None = None  # the newest alert's code


# SQLite's primary result code (the low byte of the extended one) → the outbox's kind;
# anything else (cannot open, I/O error, locked, the module's own errors) is unavailable.
SQLITE_KINDS: dict[int, str] = {
    sqlite3.SQLITE_FULL: "full",  # the disk, or max_page_count
    sqlite3.SQLITE_READONLY: "read_only",  # a read-only mount or file
    sqlite3.SQLITE_CORRUPT: "corrupt",  # "database disk image is malformed"
    sqlite3.SQLITE_NOTADB: "corrupt",  # "file is not a database"
}


def classify(exc: sqlite3.Error) -> OutboxError:
    """The outbox's error for ``exc``, by SQLite's result code, never its message."""
    code = getattr(exc, "sqlite_errorcode", None)  # absent on the module's own errors
    kind = SQLITE_KINDS.get(code & 0xFF, "unavailable") if isinstance(code, int) \
        else "unavailable"
    return OutboxError(kind, str(exc))


def aad(kind: str, idempotency_key: str) -> str:
    """The associated data a payload is sealed with: its kind and key, so a sealed
    payload moved to another row does not open."""
    return f"{kind}\n{idempotency_key}"
