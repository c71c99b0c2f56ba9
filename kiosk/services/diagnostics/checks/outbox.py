"""The durable outbox: how many confirmed requests wait, and for how long."""

from __future__ import annotations

from kiosk import metrics
from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult, CheckStatus


def check_outbox(ctx: DiagnosticsContext) -> CheckResult:
    """Fail when the outbox cannot be read, or holds requests it cannot deliver (refused
    by the service, or refused for a terminal problem for too long: a person must act —
    fix the cause and send again, or export them sealed for the outlet); warn when the
    oldest request waits too long."""
    try:
        stats = ctx.get_outbox().stats()
    except Exception as exc:  # OutboxError, sqlite errors, a missing module: all "down"
        return CheckResult("outbox", CheckStatus.FAIL, "diagnostics.outbox.unavailable",
                           {"error": type(exc).__name__})
    pending = stats.pending
    held = stats.held
    undeliverable = stats.undeliverable
    metrics.outbox_depth(pending + held)
    metrics.outbox_undeliverable(undeliverable)
    age = stats.oldest_age_seconds
    details = {"pending": pending,
               "oldest_age_seconds": round(float(age), 1) if age is not None else None,
               "delivered_total": stats.delivered_total,
               "last_error": stats.last_error,
               "held": held, "undeliverable": undeliverable, "alert": stats.alert,
               "warn_age_seconds": ctx.settings.diagnostics.outbox_warn_age_seconds}
    if undeliverable:
        return CheckResult("outbox", CheckStatus.FAIL, "diagnostics.outbox.undeliverable",
                           details)
    if pending and age is not None and age > ctx.settings.diagnostics.outbox_warn_age_seconds:
        return CheckResult("outbox", CheckStatus.WARN, "diagnostics.outbox.stale", details)
    if pending:
        return CheckResult("outbox", CheckStatus.OK, "diagnostics.outbox.pending", details)
    return CheckResult("outbox", CheckStatus.OK, "diagnostics.outbox.empty", details)
