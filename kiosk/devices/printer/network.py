"""A network (raw TCP, usually port 9100) printer via python-escpos ``Network``."""

from __future__ import annotations

from typing import Any

from kiosk.devices.printer.base import EscposPrinter


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

    def _device(self) -> Any:  # -> escpos.printer.Network
        # lazy: escpos is heavy (PIL, qrcode, yaml); only when printing or probing
        from escpos.printer import Network

        host, port = parse_host_port(self.target)
        dev = Network(host, port=port, timeout=self.timeout)
        dev.open()
        return dev

    def _read_answer(self, dev: Any) -> bytes:
        try:
            return bytes(dev._read())
        except TimeoutError:  # this printer never answers: it cannot tell, counts as ok
            return b""
