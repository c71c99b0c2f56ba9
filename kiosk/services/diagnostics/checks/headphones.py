"""Headphone jack detection (private listening): is there a jack signal, and where."""

from __future__ import annotations

from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult, CheckStatus


def check_headphones(ctx: DiagnosticsContext) -> CheckResult:
    """OK with the source and the plug's state; a warning when the hardware gives no
    jack signal (speech cannot move to headphones by itself, and non-visual mode is
    not offered when they are plugged in) or detection is switched off."""
    probe = ctx.headphones()
    details = dict(probe)
    if probe["kind"] == "none":
        key = "diagnostics.headphones.off" if probe["setting"] == "none" \
            else "diagnostics.headphones.no_signal"
        return CheckResult("headphones", CheckStatus.WARN, key, details)
    return CheckResult("headphones", CheckStatus.OK, "diagnostics.headphones.ok", details)
