"""Each part's status for the heartbeat, through the same checks the technician runs
(:mod:`kiosk.services.diagnostics`: readers, ID reader, printer, outbox, disk), with the
app's live parts when it passes them, and the technician lock-out status. Only lights,
codes and numbers come out — the checks' details (reader names, paths) stay here.

Speech is judged without synthesising (the technician's check speaks two samples, too
much for every heartbeat): disabled, engine missing, or the last playback's failure.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable

from kiosk.central.schemas_fleet import (
    CODE_PATTERN,
    ClockStatus,
    DiskStatus,
    Light,
    OutboxPart,
    Paper,
    Parts,
    PartStatus,
    PrinterStatus,
    ReadersStatus,
    TechnicianStatus,
)
from kiosk.config import Settings
from kiosk.fleet.ports import LiveSpeaker
from kiosk.logs import get_logger
from kiosk.services.diagnostics import (
    PARTS,
    CheckResult,
    DiagnosticsContext,
    Report,
    run_checks,
)
from kiosk.services.diagnostics.lockout import lockout_for

log = get_logger("kiosk.fleet")
CHECKED = ["readers", "id_reader", "printer", "outbox", "disk"]
_PAPER = {"ok": Paper.OK, "out_of_paper": Paper.OUT, "paper_low": Paper.LOW,
          "not_configured": Paper.NONE}


def _light(result: CheckResult | None) -> Light:
    return Light(result.status.value) if result is not None else Light.UNKNOWN


def _code(result: CheckResult | None, fallback: str = "not_checked") -> str:
    if result is None:
        return fallback
    code = result.summary_key.rsplit(".", 1)[-1]
    return code if re.fullmatch(CODE_PATTERN, code) else "other"


def _alert(value: object) -> str | None:
    """An outbox alert code as the heartbeat may carry it (a code, never free text)."""
    return value if isinstance(value, str) and re.fullmatch(CODE_PATTERN, value) else None


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


class StatusCollector:
    """Collects :class:`~kiosk.central.schemas_fleet.Parts`. ``context`` makes the
    diagnostics context the checks run on (the composition root's: the app's live
    parts); ``speaker`` is the live speaker, if any; ``central``: whether the central
    and clock checks belong in a full report (there is a central client to probe)."""

    def __init__(self, settings: Settings, *,
                 context: Callable[[], DiagnosticsContext] | None = None,
                 speaker: LiveSpeaker | None = None, central: bool = False) -> None:
        self.settings = settings
        self.speaker, self.central = speaker, central
        self._make_context = context

    def _context(self) -> DiagnosticsContext:
        if self._make_context is None:  # no probes: every check says what it lacks
            return DiagnosticsContext(self.settings)
        return self._make_context()

    def _report(self) -> dict[str, CheckResult]:
        return run_checks(self._context(), CHECKED).by_part()

    def full_report(self) -> Report:
        """Every technician check (for a support bundle); the central ones only when
        there is a central probe."""
        parts = [p for p in PARTS if self.central or p not in ("central", "clock")]
        return run_checks(self._context(), parts)

    def collect(self, skew_seconds: float | None) -> Parts:
        """Every part's status now; ``skew_seconds`` from the previous answer."""
        try:
            by_part = self._report()
        except Exception as exc:  # never let status collection stop the heartbeat
            log.warning("status collection failed", extra={"fields": {
                "error": type(exc).__name__}})
            by_part = {}
        readers = by_part.get("readers")
        printer = by_part.get("printer")
        outbox = by_part.get("outbox")
        disk = by_part.get("disk")
        printer_state = str((printer.details if printer else {}).get("printer_status", ""))
        outbox_details = outbox.details if outbox else {}
        return Parts(
            readers=ReadersStatus(light=_light(readers), code=_code(readers),
                                  count=min(64, _int((readers.details if readers else {})
                                                     .get("count")) or 0)),
            id_reader=PartStatus(light=_light(by_part.get("id_reader")),
                                 code=_code(by_part.get("id_reader"))),
            printer=PrinterStatus(light=_light(printer), code=_code(printer),
                                  paper=_PAPER.get(printer_state, Paper.UNKNOWN)),
            speech=self._speech(),
            disk=DiskStatus(light=_light(disk), code=_code(disk),
                            free_mb=_int((disk.details if disk else {}).get("free_mb"))),
            clock=self._clock(skew_seconds),
            outbox=OutboxPart(light=_light(outbox), code=_code(outbox),
                              depth=(_int(outbox_details.get("pending")) or 0)
                              + (_int(outbox_details.get("held")) or 0),
                              oldest_age_seconds=_float(outbox_details.get("oldest_age_seconds")),
                              undeliverable=_int(outbox_details.get("undeliverable")) or None,
                              alert=_alert(outbox_details.get("alert"))),
            technician=self._technician())

    def _speech(self) -> PartStatus:
        cfg = self.settings.speech
        if not cfg.enabled:
            return PartStatus(light=Light.OK, code="disabled")
        if self.speaker is not None:
            if not self.speaker.available():
                return PartStatus(light=Light.FAIL, code="missing")
            if self.speaker.last_error:
                return PartStatus(light=Light.WARN, code="play_failed")
            return PartStatus(light=Light.OK, code="ok")
        found = shutil.which(cfg.command) is not None
        return PartStatus(light=Light.OK if found else Light.FAIL,
                          code="ok" if found else "missing")

    def _clock(self, skew: float | None) -> ClockStatus:
        if skew is None:
            return ClockStatus(light=Light.UNKNOWN, code="not_measured")
        limit = float(self.settings.central.max_clock_skew_seconds)
        if abs(skew) > limit:
            return ClockStatus(light=Light.FAIL, code="skewed", skew_seconds=round(skew, 3))
        if abs(skew) > limit / 2:
            return ClockStatus(light=Light.WARN, code="drifting", skew_seconds=round(skew, 3))
        return ClockStatus(light=Light.OK, code="ok", skew_seconds=round(skew, 3))

    def _technician(self) -> TechnicianStatus:
        try:
            st = lockout_for(self.settings).status()
        except Exception as exc:  # an unreadable lock file is reported, not fatal
            log.warning("lock-out status unreadable", extra={"fields": {
                "error": type(exc).__name__}})
            return TechnicianStatus(light=Light.UNKNOWN, code="unreadable", locked=False,
                                    locked_seconds=0, failures=0, lockouts=0, alert=False)
        light, code = Light.OK, "ok"
        if st.alert:
            light, code = Light.FAIL, "alert"
        elif st.locked:
            light, code = Light.WARN, "locked"
        return TechnicianStatus(light=light, code=code, locked=st.locked,
                                locked_seconds=max(0, st.locked_seconds),
                                failures=max(0, st.failures),
                                lockouts=max(0, st.lockouts), alert=st.alert)
