"""The outbox on disk, opened here: for the app (:mod:`kiosk.composition.parts`), a
headless diagnostics run, and ``kiosk outbox`` (status and the sealed export, with the
app stopped or running: SQLite in WAL mode takes both)."""

from __future__ import annotations

from pathlib import Path

from kiosk.central.outbox import Outbox
from kiosk.config import Settings

OUTBOX_FILE = "outbox.sqlite3"


def outbox_path(settings: Settings) -> Path:
    """Where the terminal keeps its outbox."""
    return settings.data_dir / OUTBOX_FILE


def open_outbox(settings: Settings, *, terminal_key: bytes | None = None) -> Outbox:
    """The terminal's outbox (created when missing); ``terminal_key`` to open what it
    holds (counting needs none)."""
    return Outbox(outbox_path(settings), terminal_key=terminal_key)
