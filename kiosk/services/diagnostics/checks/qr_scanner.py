"""The QR scanner (e-SSC), by the configured kind (serial, hid, none), and the
technician's test scan, which shows only that a code came and how long it was."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.logs import get_logger
from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult, CheckStatus

log = get_logger("kiosk.services.diagnostics.qr_scanner")

# The device probe's problem → summary key and status. Held by another program is a
# warning: headless, that is usually the running kiosk itself.
_KEYS = {"no_scanner": ("diagnostics.qr_scanner.no_scanner", CheckStatus.FAIL),
         "scanner_lost": ("diagnostics.qr_scanner.no_scanner", CheckStatus.FAIL),
         "busy": ("diagnostics.qr_scanner.busy", CheckStatus.WARN)}
TEST_SCAN_SECONDS = 20.0


def check_qr_scanner(ctx: DiagnosticsContext) -> CheckResult:
    """Fail when the configured scanner cannot be opened; ok when none is configured."""
    probe = ctx.scanner()
    if probe.kind == "none":
        return CheckResult("qr_scanner", CheckStatus.OK,
                           "diagnostics.qr_scanner.not_configured", {"kind": "none"})
    if probe.ok:
        return CheckResult("qr_scanner", CheckStatus.OK, "diagnostics.qr_scanner.ok",
                           probe.details)
    key, status = _KEYS.get(probe.problem or "", _KEYS["no_scanner"])
    return CheckResult("qr_scanner", status, key, probe.details)


def scan_test_check(timeout: float = TEST_SCAN_SECONDS
                    ) -> Callable[[DiagnosticsContext], CheckResult]:
    """The test scan as a check for :func:`~kiosk.services.diagnostics.runner.run_check`:
    wait ``timeout`` s for one code on the live (or a freshly opened) scanner and report
    only "code received, N characters". The code itself is dropped at once."""

    def check(ctx: DiagnosticsContext) -> CheckResult:
        try:
            chars = ctx.get_scanner().test_scan(timeout)
        except Exception as exc:  # noqa: BLE001 - the scanner's typed error, as a result
            cards = ctx.settings.cards
            return CheckResult("qr_scanner", CheckStatus.FAIL,
                               "diagnostics.qr_scanner.no_scanner",
                               {"where": cards.qr_scanner_port or cards.qr_scanner_device,
                                "error": str(getattr(exc, "kind", type(exc).__name__))})
        log.info("test scan", extra={"fields": {"chars": chars}})
        if chars is None:
            return CheckResult("qr_scanner", CheckStatus.WARN,
                               "diagnostics.qr_scanner.test_nothing",
                               {"timeout_seconds": int(timeout)})
        return CheckResult("qr_scanner", CheckStatus.OK, "diagnostics.qr_scanner.test_ok",
                           {"chars": chars})

    return check
