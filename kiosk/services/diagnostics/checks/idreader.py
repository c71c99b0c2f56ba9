"""The resident ID card reader, by the configured kind (pcsc, serial, sdk, none)."""

from __future__ import annotations

import ctypes
import ctypes.util

from kiosk.services.diagnostics.checks.readers import pcsc_snapshot
from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult, CheckStatus

FIND_CARD = bytes.fromhex("AAAAAA96690003200122")
FRAME_START = bytes.fromhex("AAAAAA9669")


def _serial(port: str) -> CheckResult:
    """Open the port and send "find card": any well-formed answer means the reader lives
    (with or without a card on it)."""
    import serial

    details = {"kind": "serial", "port": port}
    try:
        with serial.Serial(port, 115200, timeout=1.0) as dev:
            dev.reset_input_buffer()
            dev.write(FIND_CARD)
            answer = dev.read(11)
    except (serial.SerialException, OSError) as exc:
        details["error"] = type(exc).__name__
        return CheckResult("id_reader", CheckStatus.FAIL, "diagnostics.id_reader.no_port",
                           details)
    if not answer.startswith(FRAME_START):
        details["answer_bytes"] = len(answer)
        return CheckResult("id_reader", CheckStatus.FAIL, "diagnostics.id_reader.no_answer",
                           details)
    return CheckResult("id_reader", CheckStatus.OK, "diagnostics.id_reader.ok", details)


def _sdk(library: str) -> CheckResult:
    details = {"kind": "sdk", "library": library}
    try:
        ctypes.CDLL(ctypes.util.find_library(library) or library)
    except OSError:
        return CheckResult("id_reader", CheckStatus.FAIL, "diagnostics.id_reader.no_library",
                           details)
    return CheckResult("id_reader", CheckStatus.OK, "diagnostics.id_reader.ok", details)


def _pcsc(wanted: str) -> CheckResult:
    from kiosk.devices.pcsc import CardError

    details = {"kind": "pcsc", "reader": wanted}
    try:
        readers = pcsc_snapshot()
    except CardError as exc:
        details["error"] = str(exc.kind)
        return CheckResult("id_reader", CheckStatus.FAIL, "diagnostics.id_reader.pcsc_down",
                           details)
    match = [r for r in readers if wanted in r["reader"]]
    if not match:
        return CheckResult("id_reader", CheckStatus.FAIL, "diagnostics.id_reader.missing",
                           details)
    details["matched"] = match[0]["reader"]
    return CheckResult("id_reader", CheckStatus.OK, "diagnostics.id_reader.ok", details)


def check_id_reader(ctx: DiagnosticsContext) -> CheckResult:
    """Fail when the configured ID reader cannot be reached; ok when none is configured."""
    cards = ctx.settings.cards
    if cards.id_reader == "serial":
        return _serial(cards.id_serial_port)
    if cards.id_reader == "sdk":
        return _sdk(cards.id_sdk_library)
    if cards.id_reader == "pcsc":
        return _pcsc(cards.id_pcsc_reader)
    return CheckResult("id_reader", CheckStatus.OK, "diagnostics.id_reader.not_configured",
                       {"kind": "none"})
