"""Receipt printer: byte-exact jobs on the Dummy, failures as PrinterError, and real
transports (a TCP printer on 127.0.0.1, a pty as serial port, a file)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading

import pytest

from kiosk.config import load_settings
from kiosk.devices.printer import (
    DummyPrinter,
    FilePrinter,
    NetworkPrinter,
    NoPrinter,
    PrinterError,
    PrinterNotConfigured,
    PrinterOffline,
    PrinterOutOfPaper,
    PrinterStatus,
    SerialPrinter,
    UsbPrinter,
    build_job,
    make_printer,
)
from kiosk.devices.printer.base import DLE_EOT_PAPER, ESC_INIT, FS_CHINESE_ON
from kiosk.domain.receipts import PreLossReceipt, render_receipt

RECEIPT = PreLossReceipt.create(
    reference="PL-20261125-0001", card_number="X00000019",
    created_at=dt.datetime(2026, 11, 25, 9, 30), lapse_date=dt.date(2026, 12, 5),
    hotline="96102", status="confirmed", terminal_id="T-DEMO-0001")


def test_dummy_receipt_bytes_are_exact_and_chinese_is_gb18030():
    printer = DummyPrinter()
    printer.print_receipt(RECEIPT, "zh_CN")
    out = printer.output
    assert out.startswith(ESC_INIT + FS_CHINESE_ON)
    assert "社保卡号：*****0019".encode("gb18030") in out
    assert "业务编号：PL-20261125-0001".encode("gb18030") in out
    assert b"X00000019" not in out
    # QR (GS ( k, model 2) carrying the reference only, then a cut (GS V).
    assert b"\x1d(k" in out and b"PL-20261125-0001" in out
    assert out.rstrip(b"\x00").endswith(b"\x1dV\x00") or b"\x1dV" in out[-8:]
    # Same input, same bytes: the job is deterministic.
    assert out == build_job(render_receipt(RECEIPT, "zh_CN"))


def test_english_receipt_is_wrapped_to_the_roll_width():
    printer = DummyPrinter()
    printer.print_receipt(RECEIPT, "en")
    assert b"Card number: *****0019\n" in printer.output
    assert b"\n1. Before 2026-12-05, bring your\nID card to a card service outlet\n" \
        in printer.output


def test_dummy_out_of_paper_raises_and_status_says_so():
    printer = DummyPrinter()
    printer.paper = False
    assert printer.status() is PrinterStatus.OUT_OF_PAPER
    with pytest.raises(PrinterOutOfPaper) as err:
        printer.print_receipt(RECEIPT)
    assert isinstance(err.value, PrinterError)
    assert err.value.status is PrinterStatus.OUT_OF_PAPER
    assert printer.jobs == []


def test_dummy_unplugged_is_offline():
    printer = DummyPrinter()
    printer.online = False
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline):
        printer.test_page("en", "T-1")


def test_no_printer_is_not_configured():
    printer = NoPrinter()
    assert printer.status() is PrinterStatus.NOT_CONFIGURED
    with pytest.raises(PrinterNotConfigured):
        printer.print_receipt(RECEIPT)


def test_test_page_has_terminal_and_no_person():
    printer = DummyPrinter()
    printer.test_page("zh_CN", "T-DEMO-0001")
    assert "打印机测试页".encode("gb18030") in printer.output
    assert b"T-DEMO-0001" in printer.output


def test_make_printer_picks_the_transport(tmp_path):
    env = {"KIOSK__PRINTER__KIND": '"file"', "KIOSK__PRINTER__TARGET": f'"{tmp_path}/p.bin"'}
    printer = make_printer(load_settings(environ=env))
    assert isinstance(printer, FilePrinter)
    assert isinstance(make_printer(load_settings(environ={})), NoPrinter)
    env = {"KIOSK__PRINTER__KIND": '"dummy"'}
    assert isinstance(make_printer(load_settings(environ=env)), DummyPrinter)


def test_file_printer_appends_jobs_and_missing_dir_is_offline(tmp_path):
    target = tmp_path / "lp0"
    printer = FilePrinter(str(target))
    assert printer.status() is PrinterStatus.OK
    printer.print_receipt(RECEIPT)
    printer.test_page()
    data = target.read_bytes()
    assert data.count(ESC_INIT + FS_CHINESE_ON) == 2
    gone = FilePrinter(str(tmp_path / "missing" / "lp0"))
    assert gone.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline):
        gone.print_receipt(RECEIPT)


class TcpPrinter:
    """A raw-TCP ESC/POS printer on 127.0.0.1: records bytes, answers DLE EOT 4."""

    def __init__(self, paper_byte: int = 0x12) -> None:
        self.paper_byte = paper_byte
        self.received = bytearray()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                while chunk := conn.recv(65536):
                    self.received += chunk
                    if chunk.endswith(DLE_EOT_PAPER):
                        conn.sendall(bytes([self.paper_byte]))

    def close(self) -> None:
        self._stop = True
        self.sock.close()


@pytest.fixture
def tcp_printer():
    server = TcpPrinter()
    yield server
    server.close()


def test_network_printer_prints_over_tcp(tcp_printer):
    printer = NetworkPrinter(f"127.0.0.1:{tcp_printer.port}")
    assert printer.status() is PrinterStatus.OK
    printer.print_receipt(RECEIPT)
    deadline = dt.datetime.now() + dt.timedelta(seconds=3)
    job = build_job(render_receipt(RECEIPT, "zh_CN"))
    while job not in bytes(tcp_printer.received) and dt.datetime.now() < deadline:
        threading.Event().wait(0.02)
    assert job in bytes(tcp_printer.received)


def test_network_printer_out_of_paper_from_status_byte(tcp_printer):
    tcp_printer.paper_byte = 0x72  # bits 5+6: roll paper end
    printer = NetworkPrinter(f"127.0.0.1:{tcp_printer.port}")
    assert printer.status() is PrinterStatus.OUT_OF_PAPER
    with pytest.raises(PrinterOutOfPaper):
        printer.print_receipt(RECEIPT)


def test_network_printer_refused_is_offline():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    printer = NetworkPrinter(f"127.0.0.1:{port}")
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline):
        printer.print_receipt(RECEIPT)


def test_serial_printer_over_a_pty():
    master, slave = os.openpty()
    path = os.ttyname(slave)
    try:
        os.write(master, b"\x12")  # the paper-ok answer waiting for the status query
        printer = SerialPrinter(f"{path}:115200")
        assert printer.status() is PrinterStatus.OK
        printer.test_page("en", "T-9")
        got = b""
        os.set_blocking(master, False)
        for _ in range(50):
            try:
                got += os.read(master, 65536)
            except BlockingIOError:
                if b"Printer test page" in got:
                    break
                threading.Event().wait(0.02)
        assert b"Printer test page" in got
    finally:
        os.close(master)
        os.close(slave)


def test_missing_serial_device_and_usb_without_device_are_offline(tmp_path):
    assert SerialPrinter(str(tmp_path / "ttyNONE")).status() is PrinterStatus.OFFLINE
    usb = UsbPrinter("04b8:0202")
    assert usb.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterError):
        usb.print_receipt(RECEIPT)
