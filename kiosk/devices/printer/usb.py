"""A USB printer via python-escpos ``Usb`` (needs pyusb + libusb, imported only here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.devices.printer.base import EscposPrinter, PrinterOffline

if TYPE_CHECKING:  # lazy at run time: escpos is heavy (see _device)
    from escpos.escpos import Escpos


def parse_usb_target(target: str) -> tuple[int, int]:
    """``"04b8:0202"`` (hex vendor:product) → (0x04b8, 0x0202)."""
    vid, _, pid = target.partition(":")
    return int(vid, 16), int(pid, 16)


class UsbPrinter(EscposPrinter):
    """USB printer. Without pyusb installed it reports offline (and says why in logs)."""

    kind = "usb"

    def _device(self) -> Escpos:  # an escpos.printer.Usb
        from escpos.printer import Usb  # lazy: escpos is heavy; only when printing

        if not Usb.is_usable():
            raise PrinterOffline("USB printing needs the pyusb package")
        vid, pid = parse_usb_target(self.target)
        dev = Usb(vid, pid, timeout=1000)
        dev.open()
        return dev
