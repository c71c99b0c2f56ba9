"""Technician diagnostics, Kivy-free: checks per part, the runner, technician access,
the support bundle. Used by ``kiosk diagnose`` and the diagnostics screens.

    ctx = DiagnosticsContext(settings)            # or pass the app's live parts
    report = run_checks(ctx)                      # Report(results=(CheckResult, ...))
    report.to_dict("en")                          # the --json document
"""

from kiosk.services.diagnostics.context import DiagnosticsContext, HeartbeatProbe
from kiosk.services.diagnostics.model import PARTS, CheckResult, CheckStatus, worst
from kiosk.services.diagnostics.runner import Report, run_checks

__all__ = ["PARTS", "CheckResult", "CheckStatus", "DiagnosticsContext", "HeartbeatProbe",
           "Report", "run_checks", "worst"]
