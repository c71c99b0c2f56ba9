"""The device event vocabulary: what the card hub reports and for which slot, what the
QR scanner reports, and what the headphone jack says.

The ONE definition of the event kinds and slots. A pure module (standard library only,
no pyscard), so the services read these enums through :mod:`kiosk.services.ports`
without importing the device layer's heavy parts.
"""

from __future__ import annotations

from enum import StrEnum


class CardEventKind(StrEnum):
    """What the card hub reports."""

    CARD_READ = "card_read"
    CARD_FAILED = "card_failed"
    CARD_REMOVED = "card_removed"
    READERS_CHANGED = "readers_changed"
    SERVICE_DOWN = "service_down"
    SERVICE_UP = "service_up"
    TECHNICIAN_CARD = "technician_card"  # a configured technician card; never read
    UNKNOWN = "unknown"  # anything else (ignored, logged); the hub never emits it

    @classmethod
    def parse(cls, value: object) -> CardEventKind:
        """The kind for a hub's value (a string or a same-valued enum); UNKNOWN if none."""
        try:
            return cls(str(value))
        except ValueError:
            return cls.UNKNOWN


class Slot(StrEnum):
    """The two card slots; NONE for events about the service, not a slot."""

    SSC = "ssc"
    ID = "id"
    NONE = ""

    @classmethod
    def parse(cls, value: object) -> Slot:
        """The slot for a hub's value; NONE for anything else."""
        try:
            return cls(str(value or ""))
        except ValueError:
            return cls.NONE


class ScanEventKind(StrEnum):
    """What the QR scanner's watcher reports."""

    SCANNER_READY = "scanner_ready"
    SCANNER_LOST = "scanner_lost"
    SCANNER_BACK = "scanner_back"
    CODE_SCANNED = "code_scanned"
    CODE_REFUSED = "code_refused"  # unreadable: not a plausible code
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: object) -> ScanEventKind:
        """The kind for a scanner's value; UNKNOWN if none."""
        try:
            return cls(str(value))
        except ValueError:
            return cls.UNKNOWN


class JackState(StrEnum):
    """What the headphone socket says (kiosk/devices/jack.py watches it)."""

    PLUGGED = "plugged"
    UNPLUGGED = "unplugged"
    UNKNOWN = "unknown"


__all__ = ["CardEventKind", "JackState", "ScanEventKind", "Slot"]
