"""What the technician's screens work on in the running app, handed over by the
composition root: the app's live parts, never second ones.

- ``context()`` — a :class:`DiagnosticsContext` on the live card hub, printer, speaker,
  central client, outbox, QR scanner and headphone jack (a check closes only what it
  made itself, and here it makes nothing);
- ``access()`` — the technician's PIN access (reads the secrets file when first asked);
- ``worker`` — where the screens run their checks and actions (one
  :class:`~kiosk.services.tasks.Worker`; results come back on the UI's thread);
- ``outbox`` — retry now, the sealed export and the gauges, on the live outbox and its
  sender (None when the app runs without an outbox);
- ``speaker`` — the live speaker for the audio test (None: the app has none).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kiosk.services.diagnostics.access import TechnicianAccess
from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.tasks import Worker


class SealedExport(Protocol):
    """A sealed export written for the outlet (``kiosk.central.outbox_export.Exported``)."""

    @property
    def path(self) -> Path: ...
    @property
    def items(self) -> int: ...
    @property
    def demo_key(self) -> bool: ...


class OutboxTools(Protocol):
    """The technician's actions on the live outbox."""

    def retry_now(self) -> None:
        """Make every pending request due now, and wake the sender."""

    def export(self, dest: Path) -> SealedExport:
        """Seal every undelivered request into a new file in ``dest``; they stay queued.
        Raises an error with a ``reason`` code (no key, cannot write) or the outbox's."""

    def update_gauges(self) -> None:
        """Set the outbox metrics from the outbox now."""


class AudioTest(Protocol):
    """The live speaker, as the audio test uses it."""

    @property
    def last_error(self) -> str | None: ...
    def say(self, text: str, language: str) -> None: ...
    def cue(self, name: str) -> None: ...


@dataclass(frozen=True)
class TechnicianParts:
    """See the module doc."""

    context: Callable[[], DiagnosticsContext]
    access: Callable[[], TechnicianAccess]
    worker: Worker
    outbox: OutboxTools | None = None
    speaker: AudioTest | None = None
