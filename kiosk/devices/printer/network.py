"""A network (raw TCP, usually port 9100) printer via python-escpos ``Network``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.devices.printer.base import EscposPrinter

if TYPE_CHECKING:  # lazy at run time: escpos is heavy (see _device)
    from escpos.escpos import Escpos


def parse_host_port(target: str, default_port: int = 9100) -> tuple[str, int]:
    """``"host:port"`` or ``"host"`` → (host, port)."""
    host, _, port = target.rpartition(":")
    if not host:
        return target, default_port
    return host, int(port)


class NetworkPrinter(EscposPrinter):
    """Raw TCP printer. Status asks DLE EOT 4; no answer within the timeout counts as ok
    (some printers never answer), a refused or timed-out connection as offline."""

    kind = "network"
    timeout = 3.0

    def _device(self) -> Escpos:  # an escpos.printer.Network
        # lazy: escpos is heavy (PIL, qrcode, yaml); only when printing or probing
        from escpos.printer import Network

        host, port = parse_host_port(self.target)
        dev = Network(host, port=port, timeout=self.timeout)
        dev.open()
        return dev

    def _read_answer(self, dev: Escpos) -> bytes:
        try:
            return bytes(dev._read())
        except TimeoutError:  # this printer never answers: it cannot tell, counts as ok
            return b""
