"""What the checks look at: settings, the probes of the layers below, live parts.

In the running app the context holds the app's live parts (the card hub, printer,
speaker, central client, outbox: the composition root hands them over) so checks see
exactly what cardholders use, and never a second one; headless (``kiosk diagnose``) the
root gives it :class:`~kiosk.services.diagnostics.ports.PartMakers` instead, and the
context builds short-lived parts with them and closes them in
:meth:`DiagnosticsContext.close`. The central heartbeat is made once per context and
shared by the central and clock checks.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from kiosk.config import Settings
from kiosk.logs import get_logger
from kiosk.secrets import Secrets, load_secrets
from kiosk.services.diagnostics.ports import (
    CardReaderPort,
    CentralProbePort,
    DeviceProbePort,
    HeartbeatClient,
    HeartbeatResult,
    IdReaderResult,
    OutboxPort,
    PartMakers,
    PrinterPort,
    ScannerPort,
    SpeakerPort,
)

P = TypeVar("P")

log = get_logger("kiosk.services.diagnostics")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ProbeMissing(RuntimeError):
    """A check needed a part the context was built without (no live one and no maker:
    the app runs without it, e.g. no card hub in a test rig)."""


@dataclass
class DiagnosticsContext:
    """Settings, probes and the live parts; a part with no live one is made with
    ``makers`` (headless) and owned (closed) by the context. Use it as a context manager,
    or through :func:`~kiosk.services.diagnostics.runner.run_check`."""

    settings: Settings
    secrets: Secrets | None = None
    card_hub: CardReaderPort | None = None  # the app's CardHub (the probes read its states)
    printer: PrinterPort | None = None
    speaker: SpeakerPort | None = None
    central: HeartbeatClient | None = None
    outbox: OutboxPort | None = None
    qr_scanner: ScannerPort | None = None
    jack: object = None  # the app's headphone jack watcher, when it has one (probes read it)
    devices: DeviceProbePort | None = None
    remote: CentralProbePort | None = None
    makers: PartMakers = field(default_factory=PartMakers)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # The checks run side by side (runner.py): a part made on demand is made under this
    # lock, once, never by two checks at the same time (two outboxes opening one file).
    _making: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _probe: HeartbeatResult | None = field(default=None, repr=False)
    _owned: list[object] = field(default_factory=list, repr=False)
    _reader: CardReaderPort | None = field(default=None, repr=False)

    # -- probes --------------------------------------------------------------------------
    def _devices(self) -> DeviceProbePort:
        if self.devices is None:
            raise ProbeMissing("diagnostics context built without device probes")
        return self.devices

    def _remote(self) -> CentralProbePort:
        if self.remote is None:
            raise ProbeMissing("diagnostics context built without central probes")
        return self.remote

    def readers(self) -> list[dict[str, object]]:
        """The PC/SC readers, from the live hub when there is one (raises CardError)."""
        return self._devices().readers(self.card_hub)

    def id_reader(self) -> IdReaderResult:
        """Whether the configured ID reader can be reached."""
        return self._devices().id_reader(self.card_hub)

    def scanner(self) -> IdReaderResult:
        """Whether the configured QR scanner can be reached (the live one's status)."""
        return self._devices().qr_scanner(self.qr_scanner)

    def headphones(self) -> dict[str, str]:
        """Headphone jack detection (the live watcher's state when there is one)."""
        return self._devices().headphones(self.jack)

    # -- parts made on demand ------------------------------------------------------------
    def _own(self, obj: P) -> P:
        with self._lock:
            self._owned.append(obj)
        return obj

    def get_secrets(self) -> Secrets:
        with self._making:
            if self.secrets is None:
                self.secrets = load_secrets(self.settings)
            return self.secrets

    def _make(self, name: str, maker: Callable[[], P] | None) -> P:
        if maker is None:
            raise ProbeMissing(f"no {name} here (none running, none to make)")
        return self._own(maker())

    def get_printer(self) -> PrinterPort:
        """The live printer, or one made for this context."""
        with self._making:
            if self.printer is None:
                self.printer = self._make("printer", self.makers.printer)
            return self.printer

    def get_card_reader(self) -> CardReaderPort:
        """The live card hub, or an idle one made for this context (released on close)."""
        with self._making:
            if self.card_hub is not None:
                return self.card_hub
            if self._reader is None:
                self._reader = self._make("card reader", self.makers.card_reader)
            return self._reader

    def get_scanner(self) -> ScannerPort:
        """The live scanner watcher, or one made and started for this context."""
        with self._making:
            if self.qr_scanner is None:
                watcher = self._make("QR scanner", self.makers.scanner)
                watcher.start()
                self.qr_scanner = watcher
            return self.qr_scanner

    def get_speaker(self) -> SpeakerPort | None:
        """The live speaker, or one made for this context; None when there is neither
        (the app runs without speech)."""
        with self._making:
            if self.speaker is None and self.makers.speaker is not None:
                self.speaker = self._make("speaker", self.makers.speaker)
            return self.speaker

    def get_outbox(self) -> OutboxPort:
        """The live outbox, or the one on disk opened for this context."""
        with self._making:
            if self.outbox is None:
                self.outbox = self._make("outbox", self.makers.outbox)
            return self.outbox

    def get_central(self) -> HeartbeatClient:
        """The live central client, or one made for this context."""
        with self._making:
            if self.central is None:
                make = self.makers.central
                self.central = self._make("central client",
                                          None if make is None else lambda: make(
                                              self.get_secrets()))
            return self.central

    def heartbeat(self) -> HeartbeatResult:
        """One timed heartbeat per context (the central and clock checks share it)."""
        with self._lock:
            probe = self._probe
        if probe is None:
            probe = self._remote().heartbeat(self.get_central, self._outbox_depth())
            with self._lock:
                if self._probe is None:
                    self._probe = probe
                probe = self._probe
        return probe

    def _outbox_depth(self) -> int:
        try:
            return self.get_outbox().stats().pending
        except Exception:  # the outbox check reports outbox trouble; here 0 is fine
            return 0

    # -- closing -------------------------------------------------------------------------
    def close(self) -> None:
        """Close what this context made itself (never the app's live parts). Safe to
        call more than once."""
        with self._lock:
            owned, self._owned = self._owned, []
        for obj in owned:
            for name in ("close", "stop"):
                method = getattr(obj, name, None)
                if callable(method):
                    try:
                        method()
                    except Exception:  # noqa: BLE001 - closing is best effort
                        log.warning("closing a diagnostics part failed",
                                    extra={"fields": {"part": type(obj).__name__}})
                    break

    def __enter__(self) -> DiagnosticsContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

