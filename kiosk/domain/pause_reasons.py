"""Why the central service may pause a terminal: a fixed vocabulary (stdlib only, so the
CLI's choices load fast and both the contract and the kiosk can use it)."""

from __future__ import annotations

from enum import StrEnum


class PauseReason(StrEnum):
    """Why a terminal is paused; the words are in the kiosk's catalogs
    (``fleet.reason.<key>``, both languages) — the centre sends no text to show."""

    MAINTENANCE = "maintenance"
    CENTRAL_MIGRATION = "central_migration"
    FAULT_INVESTIGATION = "fault_investigation"
    NETWORK_WORK = "network_work"
    OUTLET_CLOSED = "outlet_closed"
