"""The central service link: reachable, latency, TLS, signature accepted, clock skew."""

from __future__ import annotations

from urllib.parse import urlsplit

from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult, CheckStatus

SLOW_MS = 2000.0  # a heartbeat slower than this makes journeys feel broken


def check_central(ctx: DiagnosticsContext) -> CheckResult:
    """One signed heartbeat. Fail: unreachable, TLS, signature refused, server error.
    Warn: plain HTTP outside demo mode, slow, or the service says our clock is off."""
    url = urlsplit(ctx.settings.central.base_url)
    tls = url.scheme == "https"
    probe = ctx.heartbeat()
    details = {"host": url.hostname or "", "port": url.port or (443 if tls else 80),
               "tls": tls, "latency_ms": round(probe.latency_ms, 1),
               "last_heartbeat": probe.at.isoformat(timespec="seconds") if probe.ok else None,
               "signature": None, "skew_seconds": None, "error": probe.error_kind}
    if not probe.ok:
        if probe.error_kind == "refused":
            bad_key = probe.error_code in ("bad_signature", "replayed")
            # "accepted" only on the service's signed word; a 401 is never signed, so a
            # clock refusal (or anyone forging one) leaves the signature unknown.
            details["signature"] = ("rejected" if bad_key else "accepted"
                                    if getattr(probe, "reply_signed", False) else "unknown")
            details["error"] = probe.error_code
            key = ("diagnostics.central.signature_rejected" if bad_key
                   else "diagnostics.central.clock_refused" if probe.error_code == "clock_skew"
                   else "diagnostics.central.refused")
            return CheckResult("central", CheckStatus.FAIL, key, details)
        key = {"tls": "diagnostics.central.tls_failed",
               "timeout": "diagnostics.central.timeout",
               "server_error": "diagnostics.central.server_error",
               "bad_response": "diagnostics.central.bad_response",
               "setup": "diagnostics.central.setup_failed",
               }.get(probe.error_kind or "", "diagnostics.central.offline")
        return CheckResult("central", CheckStatus.FAIL, key, details)
    details["signature"] = "accepted"
    skew = probe.skew_seconds
    details["skew_seconds"] = round(skew, 1) if skew is not None else None
    if probe.accepted is False:
        return CheckResult("central", CheckStatus.FAIL, "diagnostics.central.clock_refused",
                           details)
    if not tls and not ctx.settings.kiosk.demo:
        return CheckResult("central", CheckStatus.WARN, "diagnostics.central.no_tls", details)
    if probe.latency_ms > SLOW_MS:
        return CheckResult("central", CheckStatus.WARN, "diagnostics.central.slow", details)
    return CheckResult("central", CheckStatus.OK, "diagnostics.central.ok", details)
