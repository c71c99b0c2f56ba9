"""The PC/SC readers: service up, readers present, card present, ATR."""

from __future__ import annotations

from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult, CheckStatus
from kiosk.services.failures import card_error_kind


def check_readers(ctx: DiagnosticsContext) -> CheckResult:
    """Fail when pcscd is down, no reader is connected, or the configured SSC reader is
    missing; otherwise list the readers (from the running card hub when there is one)."""
    try:
        readers = ctx.readers()
    except Exception as exc:
        kind = card_error_kind(exc)  # the card layer's errors, by kind
        if kind is None:
            raise
        key = ("diagnostics.readers.service_down" if kind == "service_down"
               else "diagnostics.readers.error")
        return CheckResult("readers", CheckStatus.FAIL, key,
                           {"error": kind, "count": 0, "readers": []})
    wanted = ctx.settings.cards.ssc_reader
    details = {"count": len(readers), "readers": readers, "ssc_reader": wanted,
               "cards_present": sum(1 for r in readers if r["card_present"])}
    if not readers:
        return CheckResult("readers", CheckStatus.FAIL, "diagnostics.readers.none", details)
    if wanted and not any(wanted in str(r.get("reader") or "") for r in readers):
        return CheckResult("readers", CheckStatus.FAIL, "diagnostics.readers.ssc_missing",
                           details)
    return CheckResult("readers", CheckStatus.OK, "diagnostics.readers.ok", details)
