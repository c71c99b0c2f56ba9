"""In-memory printer: keeps every job's bytes for tests and can run out of paper."""

from __future__ import annotations

from kiosk.devices.printer.base import PrinterStatus, ReceiptPrinter


class DummyPrinter(ReceiptPrinter):
    """A complete printer without hardware. ``jobs`` holds each job's bytes;
    ``paper`` and ``online`` simulate the out-of-paper and unplugged states."""

    kind = "dummy"

    def __init__(self, target: str = "", width: int = 32) -> None:
        super().__init__(target, width)
        self.jobs: list[bytes] = []
        self.paper = True
        self.online = True

    @property
    def output(self) -> bytes:
        """All bytes sent so far."""
        return b"".join(self.jobs)

    def _query_paper(self) -> PrinterStatus:
        if not self.online:
            raise ConnectionError("dummy printer unplugged")
        return PrinterStatus.OK if self.paper else PrinterStatus.OUT_OF_PAPER

    def _send(self, job: bytes) -> None:
        if not self.online:
            raise ConnectionError("dummy printer unplugged")
        self.jobs.append(job)
