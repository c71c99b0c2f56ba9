"""Under systemd, the kiosk's JSON log lines also go to journald (via stderr)."""

from __future__ import annotations

import logging
import os
import sys

from kiosk.logs import JsonMaskingFormatter


def log_to_journal(environ: dict[str, str] | None = None) -> bool:
    """Add a stderr handler with the masked JSON format when stderr is the journal
    (systemd sets ``JOURNAL_STREAM``); True when added. Idempotent."""
    env = os.environ if environ is None else environ
    if not env.get("JOURNAL_STREAM"):
        return False
    logger = logging.getLogger("kiosk")
    if any(getattr(h, "kiosk_journal", False) for h in logger.handlers):
        return True
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonMaskingFormatter())
    handler.kiosk_journal = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    return True
