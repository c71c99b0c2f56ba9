"""Serial (USB-CDC, ``/dev/ttyACM*``) scanners through pyserial.

The port is opened exclusively (``TIOCEXCL`` + ``flock``), so no other program reads
the codes. Reads never block past ``timeout``; an unplugged scanner (the tty hangs up:
``EIO``, or "ready but no data") is ``ScannerError(scanner_lost)``.
"""

from __future__ import annotations

import errno
import os
import select

import serial

from kiosk.devices.scanner.errors import ScannerError, ScannerErrorKind

BUSY_ERRNOS = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY})
DEFAULT_BAUD = 115200  # USB-CDC ignores it; a true RS-232 scanner is usually 9600 or 115200


class SerialSource:
    """One open serial scanner. ``read(timeout)`` returns what arrived (maybe b"")."""

    kind = "serial"

    def __init__(self, port: str, baudrate: int = DEFAULT_BAUD) -> None:
        self.where = port
        try:
            self._ser = serial.Serial(port, baudrate=baudrate, timeout=0, exclusive=True)
        except serial.SerialException as exc:
            # pyserial keeps the OS error's number: the port is locked by another program
            # (flock: EWOULDBLOCK) or the device says busy (EBUSY).
            busy = exc.errno in BUSY_ERRNOS
            raise ScannerError(ScannerErrorKind.busy if busy else ScannerErrorKind.no_scanner,
                               f"cannot open {port}") from None
        except (OSError, ValueError):
            raise ScannerError(ScannerErrorKind.no_scanner, f"cannot open {port}") from None
        self._wake_r, self._wake_w = os.pipe()

    def read(self, timeout: float) -> bytes:
        try:
            ready, _, _ = select.select([self._ser.fileno(), self._wake_r], [], [], timeout)
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
            if self._ser.fileno() not in ready:
                return b""
            return self._ser.read(max(1, self._ser.in_waiting))
        except (serial.SerialException, OSError, ValueError, TypeError):
            # TypeError/ValueError: pyserial after the port went away under it.
            raise ScannerError(ScannerErrorKind.scanner_lost, f"{self.where} went away") from None

    def wake(self) -> None:
        os.write(self._wake_w, b"x")

    def close(self) -> None:
        try:
            self._ser.close()
        except (serial.SerialException, OSError):
            pass
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
