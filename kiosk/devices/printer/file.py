"""A printer reached through a file: a device node (``/dev/usb/lp0``) or a plain file."""

from __future__ import annotations

import os
from pathlib import Path

from kiosk.devices.printer.base import PrinterStatus, ReceiptPrinter


class FilePrinter(ReceiptPrinter):
    """Appends each job to ``target``. It cannot read, so paper status is unknown (ok)."""

    kind = "file"

    def _query_paper(self) -> PrinterStatus:
        path = Path(self.target)
        if path.exists():
            if not os.access(path, os.W_OK):
                raise PermissionError("printer file not writable")
        elif not (path.parent.is_dir() and os.access(path.parent, os.W_OK)):
            raise FileNotFoundError("printer file's directory missing")
        return PrinterStatus.OK

    def _send(self, job: bytes) -> None:
        with open(self.target, "ab") as fh:
            fh.write(job)
