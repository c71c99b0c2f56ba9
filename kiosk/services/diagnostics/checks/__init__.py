"""One check per part. Each is ``check_<part>(ctx) -> CheckResult`` and never raises:
the runner turns an unexpected exception into a failed result anyway. :data:`PROBES`
says what each check looks through (``kiosk diagnose --list``)."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.services.diagnostics.checks.calendar import check_calendar
from kiosk.services.diagnostics.checks.central import check_central
from kiosk.services.diagnostics.checks.clock import check_clock
from kiosk.services.diagnostics.checks.config import check_config
from kiosk.services.diagnostics.checks.disk import check_disk
from kiosk.services.diagnostics.checks.headphones import check_headphones
from kiosk.services.diagnostics.checks.idreader import check_id_reader
from kiosk.services.diagnostics.checks.outbox import check_outbox
from kiosk.services.diagnostics.checks.printer import check_printer
from kiosk.services.diagnostics.checks.qr_scanner import check_qr_scanner
from kiosk.services.diagnostics.checks.readers import check_readers
from kiosk.services.diagnostics.checks.speech import check_speech
from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult

CHECKS: dict[str, Callable[[DiagnosticsContext], CheckResult]] = {
    "readers": check_readers,
    "id_reader": check_id_reader,
    "qr_scanner": check_qr_scanner,
    "printer": check_printer,
    "speech": check_speech,
    "headphones": check_headphones,
    "central": check_central,
    "outbox": check_outbox,
    "disk": check_disk,
    "clock": check_clock,
    "config": check_config,
    "calendar": check_calendar,
}

# What each check looks through: the layer's probe (see ports.py) or the local system.
PROBES: dict[str, str] = {
    "readers": "devices.probes: PC/SC readers (the running card hub when there is one)",
    "id_reader": "devices.probes: the ID reader by cards.id_reader (serial, sdk, pcsc)",
    "qr_scanner": "devices.probes: the QR scanner by cards.qr_scanner (the running "
                  "watcher's status, or open it once)",
    "printer": "devices.probes: the configured printer's status",
    "speech": "devices.speech: espeak-ng, voices, a player",
    "headphones": "devices.jack: the headphone jack signal (ALSA jack control, evdev "
                  "SW_HEADPHONE_INSERT)",
    "central": "central.probe: one signed heartbeat (latency, TLS, signature)",
    "outbox": "central.probe: the outbox database",
    "disk": "local: free space and writability of the data and log directories",
    "calendar": "local: the official working-day schedule files (this year, next year)",
    "clock": "local clock + the central heartbeat's server time",
    "config": "local: settings in effect and the secrets file",
}


__all__ = ["CHECKS", "PROBES", "check_calendar", "check_central", "check_clock", "check_config",
           "check_disk", "check_headphones", "check_id_reader", "check_outbox", "check_printer",
           "check_qr_scanner", "check_readers", "check_speech"]
