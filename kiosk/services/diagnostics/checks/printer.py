"""The receipt printer's status."""

from __future__ import annotations

from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult, CheckStatus

_MAP = {
    "ok": (CheckStatus.OK, "diagnostics.printer.ok"),
    "not_configured": (CheckStatus.OK, "diagnostics.printer.not_configured"),
    "out_of_paper": (CheckStatus.FAIL, "diagnostics.printer.out_of_paper"),
    "offline": (CheckStatus.FAIL, "diagnostics.printer.offline"),
}


def check_printer(ctx: DiagnosticsContext) -> CheckResult:
    """ok / not configured (ok: the site has none) / out of paper / offline (fail)."""
    printer = ctx.get_printer()
    state = str(printer.status())
    status, key = _MAP.get(state, (CheckStatus.FAIL, "diagnostics.printer.offline"))
    return CheckResult("printer", status, key, {
        "kind": ctx.settings.printer.kind, "target": ctx.settings.printer.target,
        "printer_status": state})
