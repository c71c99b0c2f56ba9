"""Receipt printers (python-escpos): ``make_printer(settings)`` picks the transport.

Interface for callers (journeys, diagnostics)::

    printer = make_printer(settings)
    printer.status()                      # PrinterStatus: ok/out_of_paper/offline/not_configured
    printer.print_receipt(receipt, "zh_CN")  # raises PrinterError (safe to catch and ignore)
    printer.test_page("en", terminal_id)
"""

from __future__ import annotations

from kiosk.config import Settings
from kiosk.devices.printer.base import (
    NoPrinter,
    PrinterError,
    PrinterNotConfigured,
    PrinterOffline,
    PrinterOutOfPaper,
    PrinterStatus,
    ReceiptPrinter,
    build_job,
)
from kiosk.devices.printer.dummy import DummyPrinter
from kiosk.devices.printer.file import FilePrinter
from kiosk.devices.printer.network import NetworkPrinter
from kiosk.devices.printer.serial import SerialPrinter
from kiosk.devices.printer.usb import UsbPrinter

__all__ = [
    "DummyPrinter", "FilePrinter", "NetworkPrinter", "NoPrinter", "PrinterError",
    "PrinterNotConfigured", "PrinterOffline", "PrinterOutOfPaper", "PrinterStatus",
    "ReceiptPrinter", "SerialPrinter", "UsbPrinter", "build_job", "make_printer",
]

_KINDS: dict[str, type[ReceiptPrinter]] = {
    "none": NoPrinter,
    "dummy": DummyPrinter,
    "file": FilePrinter,
    "network": NetworkPrinter,
    "serial": SerialPrinter,
    "usb": UsbPrinter,
}


def make_printer(settings: Settings) -> ReceiptPrinter:
    """The printer configured in ``[printer]`` (kind, target). A relative file target is
    resolved against the repository root, like every configured path."""
    kind = settings.printer.kind
    target = settings.printer.target
    if kind == "file" and target:
        target = str(settings.path(target))
    return _KINDS[kind](target)
