"""The terminal clock: plausible, and close to the central service's clock."""

from __future__ import annotations

import time

from kiosk.services.diagnostics.context import DiagnosticsContext, utcnow
from kiosk.services.diagnostics.model import CheckResult, CheckStatus

EARLIEST_YEAR = 2025  # a clock before the software existed has not been set


def check_clock(ctx: DiagnosticsContext) -> CheckResult:
    """Fail when unset or skewed beyond ``central.max_clock_skew_seconds``; warn past half."""
    now = utcnow()
    limit = ctx.settings.central.max_clock_skew_seconds
    details: dict[str, str | float | None] = {"utc": now.isoformat(timespec="seconds"),
               "timezone": time.strftime("%Z"), "utc_offset": time.strftime("%z"),
               "skew_seconds": None, "max_skew_seconds": limit}
    if not EARLIEST_YEAR <= now.year < 2100:
        return CheckResult("clock", CheckStatus.FAIL, "diagnostics.clock.unset", details)
    probe = ctx.heartbeat()
    if probe.error_code == "clock_skew":  # the service refused our timestamp outright
        return CheckResult("clock", CheckStatus.FAIL, "diagnostics.clock.refused", details)
    skew = probe.skew_seconds
    if skew is None:
        return CheckResult("clock", CheckStatus.OK, "diagnostics.clock.unverified", details)
    details["skew_seconds"] = round(skew, 1)
    if abs(skew) > limit or probe.accepted is False:
        return CheckResult("clock", CheckStatus.FAIL, "diagnostics.clock.skewed", details)
    if abs(skew) > limit / 2:
        return CheckResult("clock", CheckStatus.WARN, "diagnostics.clock.drifting", details)
    return CheckResult("clock", CheckStatus.OK, "diagnostics.clock.ok", details)
