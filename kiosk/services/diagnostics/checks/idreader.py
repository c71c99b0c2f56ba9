"""The resident ID card reader, by the configured kind (pcsc, serial, sdk, none)."""

from __future__ import annotations

from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult, CheckStatus

# The device probe's problem → summary key. Unknown problems read as "no answer".
_KEYS = {"no_port": "diagnostics.id_reader.no_port",
         "no_answer": "diagnostics.id_reader.no_answer",
         "no_library": "diagnostics.id_reader.no_library",
         "pcsc_down": "diagnostics.id_reader.pcsc_down",
         "missing": "diagnostics.id_reader.missing"}


def check_id_reader(ctx: DiagnosticsContext) -> CheckResult:
    """Fail when the configured ID reader cannot be reached; ok when none is configured."""
    probe = ctx.id_reader()
    if probe.kind == "none":
        return CheckResult("id_reader", CheckStatus.OK, "diagnostics.id_reader.not_configured",
                           {"kind": "none"})
    if probe.ok:
        return CheckResult("id_reader", CheckStatus.OK, "diagnostics.id_reader.ok",
                           probe.details)
    return CheckResult("id_reader", CheckStatus.FAIL,
                       _KEYS.get(probe.problem or "", "diagnostics.id_reader.no_answer"),
                       probe.details)
