"""The diagnostics' parts, built here: the probes, the short-lived parts of a headless
run (``kiosk diagnose``), and what the running app's technician works on (its live
parts, never second ones).

- :func:`diagnostics_context` — headless: the probes, plus :class:`PartMakers` that build
  a central client, the outbox on disk, the printer, an idle card hub, a QR scanner
  watcher or a speaker when a check first needs one (closed with the context);
- :func:`live_context` — in the app: a context on the app's own parts, nothing to make;
- :func:`technician_parts` — the technician's access, worker, outbox tools and speaker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypedDict

from kiosk.central.client import CentralClient
from kiosk.central.outbox import Outbox
from kiosk.central.outbox_sender import OutboxSender
from kiosk.central.probe import CentralProbes
from kiosk.composition.outbox import open_outbox
from kiosk.config import Settings
from kiosk.devices.card_hub import CardHub
from kiosk.devices.jack import JackWatcher
from kiosk.devices.printer import make_printer
from kiosk.devices.probes import DeviceProbes
from kiosk.devices.scanner import ScannerError, ScannerErrorKind, ScannerWatcher, make_scanner
from kiosk.devices.speech import Speaker
from kiosk.secrets import Secrets, load_secrets
from kiosk.services.diagnostics.access import TechnicianAccess
from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.live import SealedExport, TechnicianParts
from kiosk.services.diagnostics.ports import HeartbeatClient, PartMakers
from kiosk.services.diagnostics.ports import PrinterPort as DiagPrinterPort
from kiosk.services.ports import Dispatcher, PrinterPort
from kiosk.services.tasks import Worker
from kiosk.system.priority import background_thread


class AppPrinter(PrinterPort, DiagPrinterPort, Protocol):
    """The app's printer: the journeys print receipts on it, the technician checks it
    and prints a test page (``kiosk.devices.printer.ReceiptPrinter``)."""



def _ignore(_event: object) -> None:
    """Events of a part built for one check: nobody listens."""


def _scanner(settings: Settings) -> ScannerWatcher:
    watcher = make_scanner(settings, _ignore)
    if watcher is None:
        raise ScannerError(ScannerErrorKind.no_scanner, "no scanner configured")
    return watcher


def part_makers(settings: Settings) -> PartMakers:
    """How a headless context builds each part when a check first needs it."""
    return PartMakers(
        central=lambda secrets: CentralClient(settings, secrets),
        outbox=lambda: open_outbox(settings),
        printer=lambda: make_printer(settings),
        card_reader=lambda: CardHub(settings, _ignore),  # idle: not watching
        scanner=lambda: _scanner(settings),
        speaker=lambda: Speaker(settings))


class GivenParts(TypedDict, total=False):
    """The parts a headless context may be given rather than make (None: make it), as
    keyword arguments of :func:`diagnostics_context`."""

    secrets: Secrets | None
    card_hub: CardHub | None
    printer: AppPrinter | None
    speaker: Speaker | None
    central: CentralClient | None
    outbox: Outbox | None
    qr_scanner: ScannerWatcher | None


def diagnostics_context(settings: Settings, *, secrets: Secrets | None = None,
                        card_hub: CardHub | None = None,
                        printer: AppPrinter | None = None, speaker: Speaker | None = None,
                        central: CentralClient | None = None, outbox: Outbox | None = None,
                        qr_scanner: ScannerWatcher | None = None) -> DiagnosticsContext:
    """A headless context (``kiosk diagnose``, a test): the real probes, the parts given
    here (:class:`GivenParts`), and makers for the others."""
    return DiagnosticsContext(settings, secrets=secrets, card_hub=card_hub, printer=printer,
                              speaker=speaker, central=central, outbox=outbox,
                              qr_scanner=qr_scanner, devices=DeviceProbes(settings),
                              remote=CentralProbes(settings), makers=part_makers(settings))


def live_context(settings: Settings, *, card_hub: CardHub | None, printer: AppPrinter | None,
                 speaker: Speaker | None, central: HeartbeatClient | None, outbox: Outbox | None,
                 qr_scanner: ScannerWatcher | None, jack: JackWatcher | None
                 ) -> Callable[[], DiagnosticsContext]:
    """Contexts on the app's own parts (``None``: the app runs without that part, and
    the check says so). Nothing is made beside a live part: only the stand-in of a
    terminal without a printer (``printer.kind = "none"``), which answers "not
    configured", and, for an app run without a card hub (``cards=False``: a test rig,
    the tour), an idle hub for one test read, as the reader list then comes from a
    short-lived PC/SC context too."""
    devices, remote = DeviceProbes(settings), CentralProbes(settings)
    makers = PartMakers(
        printer=(lambda: make_printer(settings)) if printer is None else None,
        card_reader=(lambda: CardHub(settings, _ignore)) if card_hub is None else None)
    return lambda: DiagnosticsContext(
        settings, card_hub=card_hub, printer=printer, speaker=speaker, central=central,
        outbox=outbox, qr_scanner=qr_scanner, jack=jack, devices=devices, remote=remote,
        makers=makers)


class LiveOutboxTools:
    """The technician's actions on the app's outbox and its sender."""

    def __init__(self, settings: Settings, sender: OutboxSender) -> None:
        self.settings, self.sender = settings, sender

    def retry_now(self) -> None:
        self.sender.retry_now()

    def export(self, dest: Path) -> SealedExport:
        # lazy: cryptography (~5 MiB) is loaded when a technician exports, not at start
        from kiosk.central.outbox_export import export_outbox

        s = self.settings
        return export_outbox(self.sender.outbox, dest,
                             public_key_setting=s.central.outbox_export_public_key,
                             demo=s.kiosk.demo, terminal_id=s.kiosk.terminal_id)

    def update_gauges(self) -> None:
        self.sender.update_gauges()


def technician_parts(settings: Settings, dispatch: Dispatcher, *,
                     context: Callable[[], DiagnosticsContext],
                     sender: OutboxSender | None,
                     speaker: Speaker | None) -> TechnicianParts:
    """What the technician's screens work on; the PIN hash is read from the secrets file
    when the PIN pad is first used."""
    return TechnicianParts(
        context=context,
        access=lambda: TechnicianAccess(settings, load_secrets(settings).technician_pin_hash),
        worker=Worker(dispatch, max_workers=2, name="diag-work",
                      initializer=background_thread),
        outbox=LiveOutboxTools(settings, sender) if sender is not None else None,
        speaker=speaker)
