"""What ``kiosk bench mutate`` mutates and against which tests: the modules and their
tests (:data:`TARGETS`), the hand-written mutants (:data:`HAND_MUTANTS`) and the known
equivalent mutants (:data:`EQUIVALENT`, kept in step with docs/testing.md)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# The outbox's fast tests: the queue (outbox.py) and its rows (outbox_rows.py) alike.
OUTBOX_TESTS = ("tests/central/test_outbox_behaviour.py", "tests/central/test_outbox_storage.py",
                "tests/central/test_outbox_sealed.py", "tests/central/test_outbox.py",
                "-k", "not sender and not kill_9 and not service_down")

# Module → the tests that must notice a change to it (paths from the repository root,
# and any further pytest arguments). The outbox's slow tests (kill -9, forged answers
# over HTTP, a thousand restarts) are CI's; its fast behaviour tests are run here.
TARGETS: dict[str, tuple[str, ...]] = {
    "kiosk/domain/masking.py": ("tests/domain/test_masking.py",),
    "kiosk/domain/idnumber.py": ("tests/domain/test_idnumber.py",),
    "kiosk/domain/receipts.py": ("tests/domain/test_receipts.py",),
    "kiosk/domain/opening_hours.py": ("tests/domain/test_opening_hours.py",),
    "kiosk/domain/working_days.py": ("tests/domain/test_working_days.py",
                                     "tests/domain/test_calendar.py"),
    "kiosk/domain/holiday_schedule.py": ("tests/domain/test_holiday_schedule.py",),
    "kiosk/domain/card_states.py": ("tests/domain/test_card_states.py",),
    "kiosk/domain/clock.py": ("tests/domain/test_clock.py",),
    "kiosk/domain/models.py": ("tests/domain/test_models.py",),
    "kiosk/domain/pause_reasons.py": ("tests/domain/test_models.py",),
    "kiosk/central/signing.py": ("tests/central/test_signing_vectors.py",),
    "kiosk/central/sealing.py": ("tests/central/test_sealing_vectors.py",),
    "kiosk/central/outbox.py": OUTBOX_TESTS,
    "kiosk/central/outbox_rows.py": OUTBOX_TESTS,
    "kiosk/services/failures.py": ("tests/services/test_failure_mapping.py",
                                   "tests/services/test_failure_parts.py",
                                   "tests/services/test_failure_tables.py",
                                   "tests/services/test_card_failure.py"),
}

# Hand-written mutants: (what the change is, the text replaced, its replacement). One
# that no longer applies (the code changed) is reported, never silently dropped.
HAND_MUTANTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "kiosk/central/signing.py": (
        ("the nonce left out of the signed request string",
         "str(timestamp),\n                      nonce, terminal_id,",
         "str(timestamp),\n                      terminal_id,"),
        ("the terminal id left out of the signed request string",
         "nonce, terminal_id, idempotency_key)", "nonce, idempotency_key)"),
        ("the idempotency key left out of the signed request string",
         "terminal_id, idempotency_key)).encode()", "terminal_id)).encode()"),
        ("only the first 16 hex digits of a request signature compared",
         "hmac.compare_digest(expected, given)",
         "hmac.compare_digest(expected[:16], given[:16])"),
        ("only the first 16 hex digits of a reply signature compared",
         "hmac.compare_digest(reply_signature(key, nonce, status, body), given)",
         "hmac.compare_digest(reply_signature(key, nonce, status, body)[:16], given[:16])"),
        ("any timestamp in the future accepted",
         "abs(current - ts) > max_skew", "current - ts > max_skew"),
        ("the HTTP status left out of the reply signature",
         "(REPLY_SCHEME, nonce, str(status), body_digest(body))",
         "(REPLY_SCHEME, nonce, body_digest(body))"),
        ("the method signed as sent (case)", "method.upper(), path", "method, path"),
        ("the reply signature's shape not checked",
         "not given or not SIGNATURE_RE.fullmatch(given)", "not given"),
    ),
    "kiosk/central/sealing.py": (
        ("no associated data", "plaintext.encode(), associated.encode()",
         "plaintext.encode(), None"),
        ("a fixed nonce", "os.urandom(_NONCE)", "bytes(_NONCE)"),
        ("HKDF info changed", 'b"kiosk outbox v1"', 'b"kiosk outbox"'),
    ),
    "kiosk/central/outbox.py": (
        ("pending() also returns rejected items", "WHERE status = 'pending'\"",
         "WHERE status != 'delivered'\""),
        ("mark_rejected keeps the payload (personal data stays on disk)",
         "status = 'rejected', payload = NULL,", "status = 'rejected',"),
        ("mark_delivered keeps the payload", "status = 'delivered', payload = NULL,",
         "status = 'delivered',"),
        ("synchronous=OFF", "PRAGMA synchronous=FULL", "PRAGMA synchronous=OFF"),
        ("synchronous=NORMAL", "PRAGMA synchronous=FULL", "PRAGMA synchronous=NORMAL"),
        ("no WAL journal", "PRAGMA journal_mode=WAL", "PRAGMA journal_mode=DELETE"),
        ("no secure delete", "PRAGMA secure_delete=ON", "PRAGMA secure_delete=OFF"),
        ("newest first", "ORDER BY id\", args)", "ORDER BY id DESC\", args)"),
        ("back-off ignored", "next_attempt_at <= ?", "next_attempt_at >= 0 OR ? IS NULL"),
        ("the WAL not emptied after a delivery", "PRAGMA wal_checkpoint(TRUNCATE)",
         "PRAGMA wal_checkpoint(PASSIVE)"),
    ),
}

# Known equivalent mutants: mutant id (see :class:`Mutant`) → why no test can tell it
# from the original. Kept in step with docs/testing.md.
EQUIVALENT: dict[str, str] = {
    "InvalidIdNumber.__init__: call super().__init__() removed [1]":
        "BaseException.__new__ keeps the arguments already: str() and args are the same",
    "RuleViolation.__init__: call super().__init__() removed [1]":
        "BaseException.__new__ keeps the arguments already: str() and args are the same",
    "_adhoc: 0 → 1 [1]": "the ad-hoc schedule's year is never asked for: the free "
                        "functions return dates only",
    "_adhoc: 'given' changed [1]": "the ad-hoc schedule's source is never shown: the free "
                                  "functions return dates only",
    "_adhoc: False → True [2]": "the ad-hoc schedule's 'official' flag is never read: the "
                               "free functions return dates only",
    "WorkingCalendar.month: 1 → 2 [1]": "the date is built only to refuse a month that does "
                                       "not exist; any day of the month does the same",
    "region_zone: 8 → 9 [1]": "the size of the zone cache changes speed, never an answer",
    "OpeningHours.next_change: > → >= [1]": "at the moment itself the state is the one it "
                                           "is: never a change, so never returned",
    "scrub_text: - removed [1]": "the card pattern's digits are exactly 8: their last 4 "
                                 "([-4:]) are the ones from the 5th on ([4:])",
    # kiosk/central/outbox_rows.py
    "OutboxItem: 'pending' changed [1]": "no caller builds an OutboxItem without its status: "
                                         "the outbox reads every field from the row",
    "OutboxItem: 0 → 1 [1]": "no caller builds an OutboxItem without its refusals: the "
                             "outbox reads every field from the row",
    "OutboxItem: 0.0 → 1.0 [1]": "no caller builds an OutboxItem without its refused time: "
                                 "the outbox reads every field from the row",
    "OutboxItem: False → True [1]": "repr=True: a dataclass never replaces a __repr__ the "
                                    "class defines (the one that hides the payload)",
    # kiosk/central/outbox.py
    "Outbox.__init__: call self._db.execute() removed [2]":
        "PRAGMA synchronous=FULL removed: FULL is this SQLite build's default, so the "
        "connection is the same (durability() reads 2 either way); kept for a build whose "
        "default is not",
    "Outbox.__init__: call self._db.execute() removed [3]":
        "PRAGMA secure_delete=ON removed: ON is this SQLite build's default (Debian builds "
        "with SQLITE_SECURE_DELETE); kept for a build whose default is not",
    "Outbox.enqueue: False → True [1]": "ensure_ascii: the stored JSON spelt with \\u "
                                        "escapes reads back as the same payload",
    "Outbox.enqueue: True → False [1]": "sort_keys: the stored JSON's key order; it reads "
                                        "back as the same payload",
    "Outbox._open: 'no payload' changed [1]": "the error's words are never shown: _items "
                                              "catches it and logs the item's id only",
    "Outbox._open: 'payload is not an ob' changed [1]": "the error's words are never shown: "
                                                        "_items catches it and logs the "
                                                        "item's id only",
    "Outbox._open: 'no key' changed [1]": "the error's words are never shown: _items catches "
                                          "it and logs the item's id only",
    "Outbox.__init__: 10 → 11 [1]": "how long a write waits for another connection's lock: "
                                    "the outbox is its file's one writer; an answer never "
                                    "depends on it",
}
