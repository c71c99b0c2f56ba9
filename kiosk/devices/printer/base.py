"""The receipt printer: one abstract class over python-escpos, one subclass per transport.

A print job is built once, as bytes, by :func:`build_job` (python-escpos commands written
into an in-memory ``Dummy``); each transport only knows how to send bytes (``_send``)
and, where it can read, how to ask for the paper status (``_query_paper``).

Every failure surfaces as :class:`PrinterError` (a subclass per cause), never a raw
escpos/OS error, so a journey can ``except PrinterError`` and carry on without a receipt.
``status()`` never raises.
"""

from __future__ import annotations

import datetime as dt
import threading
from abc import ABC, abstractmethod
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from kiosk import __version__
from kiosk.domain.receipts import (
    RECEIPT_WIDTH,
    PreLossReceipt,
    RenderedReceipt,
    render_receipt,
    render_test_page,
    wrap_line,
)
from kiosk.logs import get_logger

if TYPE_CHECKING:  # lazy at run time: escpos is heavy (see build_job)
    from escpos.escpos import Escpos

log = get_logger("kiosk.devices.printer")

# ESC/POS bytes we emit ourselves (python-escpos covers the rest).
ESC_INIT = b"\x1b\x40"
FS_CHINESE_ON = b"\x1c\x26"  # Chinese character mode: text below is GB18030
DLE_EOT_PAPER = b"\x10\x04\x04"  # real-time paper sensor status
_PAPER_END_BITS = 0x60  # bits 5 and 6 of the DLE EOT 4 answer: roll paper end


class PrinterStatus(StrEnum):
    """What a caller needs to know about the printer."""

    OK = "ok"
    OUT_OF_PAPER = "out_of_paper"
    OFFLINE = "offline"
    NOT_CONFIGURED = "not_configured"


class PrinterError(Exception):
    """A receipt could not be printed. ``status`` says why, and ``kind`` (the status's
    value) is what the layers above map it by; safe to catch and ignore."""

    status: PrinterStatus = PrinterStatus.OFFLINE
    # Which part of the terminal failed: a printer's ``offline`` is not the central
    # service's ``offline`` (the layers above tell them apart by this, not by class).
    part: ClassVar[str] = "printer"

    @property
    def kind(self) -> str:
        """``offline``, ``out_of_paper`` or ``not_configured``."""
        return self.status.value


class PrinterNotConfigured(PrinterError):
    status = PrinterStatus.NOT_CONFIGURED


class PrinterOffline(PrinterError):
    status = PrinterStatus.OFFLINE


class PrinterOutOfPaper(PrinterError):
    status = PrinterStatus.OUT_OF_PAPER


def paper_status_from_byte(answer: bytes) -> PrinterStatus:
    """Map a DLE EOT 4 answer to a status (empty answer: printer cannot tell → OK)."""
    if not answer:
        return PrinterStatus.OK
    return PrinterStatus.OUT_OF_PAPER if answer[0] & _PAPER_END_BITS else PrinterStatus.OK


def build_job(rendered: RenderedReceipt, width: int = RECEIPT_WIDTH) -> bytes:
    """The ESC/POS bytes of one receipt: init, Chinese mode, title, lines, QR, cut."""
    # lazy: escpos pulls in PIL, qrcode, barcode and yaml (~8 MiB); an idle kiosk
    # never prints, so it is loaded with the first job.
    from escpos.printer import Dummy as _EscposBuffer

    buf = _EscposBuffer()

    def text(line: str) -> None:
        for part in wrap_line(line, width):
            # GB18030 keeps ASCII as is, so one encoding serves both languages.
            buf._raw(part.encode("gb18030", errors="replace") + b"\n")

    buf._raw(ESC_INIT + FS_CHINESE_ON)
    buf.set(align="center", bold=True, double_height=True)
    text(rendered.title)
    buf.set(align="left", bold=False, normal_textsize=True)
    buf._raw(b"-" * width + b"\n")
    for line in rendered.lines:
        text(line)
    if rendered.next_steps:
        buf._raw(b"\n")
        for line in rendered.next_steps:
            text(line)
    buf.set(align="center")
    buf.qr(rendered.qr_payload, native=True, size=6, center=False)
    buf._raw(b"\n")
    text(rendered.footer)
    buf.set(align="left")
    buf.cut()
    return buf.output


class ReceiptPrinter(ABC):
    """A receipt printer on one transport. Subclasses implement ``_send`` (and may
    implement ``_query_paper``); everything else is written once here."""

    kind: ClassVar[str] = "abstract"

    def __init__(self, target: str = "", width: int = RECEIPT_WIDTH) -> None:
        self.target = target
        self.width = width
        self._lock = threading.Lock()

    @abstractmethod
    def _send(self, job: bytes) -> None:
        """Deliver the job bytes; raise anything on failure (mapped by the caller)."""

    def _query_paper(self) -> PrinterStatus:
        """Ask the device for its paper status; default: a transport that cannot read."""
        return PrinterStatus.OK

    def status(self) -> PrinterStatus:
        """ok / out_of_paper / offline / not_configured. Never raises."""
        with self._lock:
            try:
                return self._query_paper()
            except Exception as exc:  # any transport failure means we cannot reach it
                log.info("printer status: offline",
                         extra={"fields": {"kind": self.kind, "error": type(exc).__name__}})
                return PrinterStatus.OFFLINE

    def print_receipt(self, receipt: PreLossReceipt, language: str = "zh_CN") -> None:
        """Print a pre-loss receipt in ``language``; raise :class:`PrinterError` on failure."""
        self._print(render_receipt(receipt, language), "receipt")

    def test_page(self, language: str = "zh_CN", terminal_id: str = "") -> None:
        """Print the test page (no personal data); raise :class:`PrinterError` on failure."""
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)  # printed in region time
        self._print(render_test_page(language, terminal_id or "-", now, __version__), "test")

    def _print(self, rendered: RenderedReceipt, what: str) -> None:
        job = build_job(rendered, self.width)
        with self._lock:
            try:
                paper = self._query_paper()
            except Exception as exc:
                raise PrinterOffline(f"{self.kind} printer unreachable: "
                                     f"{type(exc).__name__}") from exc
            if paper is PrinterStatus.OUT_OF_PAPER:
                raise PrinterOutOfPaper(f"{self.kind} printer is out of paper")
            try:
                self._send(job)
            except PrinterError:
                raise
            except Exception as exc:
                raise PrinterOffline(f"{self.kind} printer failed: "
                                     f"{type(exc).__name__}") from exc
        log.info("printed", extra={"fields": {"kind": self.kind, "what": what,
                                              "bytes": len(job)}})


class EscposPrinter(ReceiptPrinter):
    """A printer on a python-escpos device (serial, USB, network). Each job or status
    query opens the device, does its one thing and closes it again, so an unplugged or
    restarted printer is simply found again next time. Subclasses say how to open the
    device (``_device``) and, if it differs, how to read the status answer."""

    @abstractmethod
    def _device(self) -> Escpos:
        """An opened python-escpos device for ``self.target``."""

    def _read_answer(self, dev: Escpos) -> bytes:
        """The device's answer to the status query."""
        return bytes(dev._read())

    def _query_paper(self) -> PrinterStatus:
        dev = self._device()
        try:
            dev._raw(DLE_EOT_PAPER)
            return paper_status_from_byte(self._read_answer(dev))
        finally:
            dev.close()

    def _send(self, job: bytes) -> None:
        dev = self._device()
        try:
            dev._raw(job)
        finally:
            dev.close()


class NoPrinter(ReceiptPrinter):
    """``printer.kind = none``: the terminal has no printer."""

    kind = "none"

    def _query_paper(self) -> PrinterStatus:
        return PrinterStatus.NOT_CONFIGURED

    def _send(self, job: bytes) -> None:  # pragma: no cover - _print stops before
        raise PrinterNotConfigured("no printer configured")

    def _print(self, rendered: RenderedReceipt, what: str) -> None:
        raise PrinterNotConfigured("no printer configured")
