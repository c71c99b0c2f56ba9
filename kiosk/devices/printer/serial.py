"""A serial (RS-232 / USB-serial) printer via python-escpos ``Serial``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.devices.printer.base import EscposPrinter

if TYPE_CHECKING:  # lazy at run time: escpos is heavy (see _device)
    from escpos.escpos import Escpos


def parse_serial_target(target: str) -> tuple[str, int]:
    """``"/dev/ttyS0"`` or ``"/dev/ttyS0:115200"`` → (device, baudrate)."""
    dev, sep, baud = target.rpartition(":")
    if sep and baud.isdigit():
        return dev, int(baud)
    return target, 9600


class SerialPrinter(EscposPrinter):
    """Serial printer; the pyserial import happens only when this transport is used."""

    kind = "serial"
    timeout = 1.0

    def _device(self) -> Escpos:  # an escpos.printer.Serial
        from escpos.printer import Serial  # lazy: escpos is heavy; only when printing

        devfile, baud = parse_serial_target(self.target)
        dev = Serial(devfile=devfile, baudrate=baud, timeout=self.timeout)
        dev.open()
        return dev
