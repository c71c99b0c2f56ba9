"""Technician diagnostics, Kivy-free: checks per part, the runner, technician access,
the support bundle. Used by ``kiosk diagnose`` and the diagnostics screens.

    ctx = DiagnosticsContext(settings, devices=DeviceProbes(settings),
                             remote=CentralProbes(settings))   # + the app's live parts
    report = run_checks(ctx)                      # Report(results=(CheckResult, ...))
    result = run_check(ctx, check_readers)        # one check; ctx closed afterwards
    report.to_dict("en")                          # the --json document

This package imports no pyscard, pyserial, requests or Kivy: the probes of the layers
below come in through :mod:`.ports`.
"""

from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import PARTS, CheckResult, CheckStatus, worst
from kiosk.services.diagnostics.runner import Report, run_check, run_checks

__all__ = ["PARTS", "CheckResult", "CheckStatus", "DiagnosticsContext", "Report",
           "run_check", "run_checks", "worst"]
