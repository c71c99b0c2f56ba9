"""What a diagnostics check returns: a part, a status light, an i18n summary, details.

Details are plain, non-personal values (counts, durations, reader names, ATRs, versions).
As a second line of defence every text value is scrubbed of anything that looks like an
ID, card or phone number, and fields with personal names are dropped, when the result
is made — so no check can leak a number even by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from kiosk.domain.masking import scrub_text
from kiosk.i18n import translate
from kiosk.logs import PERSONAL_FIELDS

SCHEMA_VERSION = 1

# The parts, in the order screens and `kiosk diagnose` list them.
PARTS = ("readers", "id_reader", "qr_scanner", "printer", "speech", "headphones", "central",
         "outbox", "disk", "clock", "config", "calendar")


class CheckStatus(StrEnum):
    """A status light. Order matters: ``worst()`` picks the highest."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        return ("ok", "warn", "fail").index(self.value)


def clean_value(value: object) -> object:
    """A JSON-safe, scrubbed copy of a detail value."""
    if isinstance(value, str):
        return scrub_text(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, dict):
        return clean_details(value)
    if isinstance(value, (list, tuple)):
        return [clean_value(v) for v in value]
    if isinstance(value, bytes):
        return value.hex().upper()
    return scrub_text(str(value))


def clean_details(details: Mapping[str, object]) -> dict[str, object]:
    """Details without personal fields; text scrubbed; nested values cleaned too."""
    return {str(k): clean_value(v) for k, v in details.items()
            if str(k).lower() not in PERSONAL_FIELDS}


@dataclass(frozen=True)
class CheckResult:
    """One part's result. ``summary_key`` is an i18n key under ``diagnostics.``; its
    placeholders are filled from ``details``."""

    part: str
    status: CheckStatus
    summary_key: str
    details: Mapping[str, object] = field(default_factory=dict)
    duration_ms: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", CheckStatus(self.status))
        object.__setattr__(self, "details", clean_details(self.details))

    def summary(self, language: str) -> str:
        """The summary in ``language``, with details filled in."""
        values = {k: v for k, v in self.details.items() if k not in ("key", "language")}
        return translate(self.summary_key, language, **values)

    def to_dict(self, language: str = "en") -> dict[str, object]:
        """The stable JSON shape (see ``kiosk diagnose --json``)."""
        return {"part": self.part, "status": self.status.value,
                "summary_key": self.summary_key, "summary": self.summary(language),
                "duration_ms": round(self.duration_ms, 1), "details": self.details}


def worst(results: list[CheckResult]) -> CheckStatus:
    """The worst status among ``results`` (ok when empty)."""
    return max((r.status for r in results), key=lambda s: s.rank, default=CheckStatus.OK)
