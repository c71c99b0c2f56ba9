"""Technician home: a status light per part, and the way to every test."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kiosk.services.diagnostics import PARTS, CheckResult, CheckStatus, run_checks, tools
from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.runner import Report
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen, run_in_background, technician
from kiosk.ui.technician.widgets import StatusRow
from kiosk.ui.widgets.buttons import KButton

# Buttons: (i18n key, screen) — "" screen means a method of this class.
TOOLS = (("diagnostics.ui.readers", "diag_readers"), ("diagnostics.ui.printer", "diag_printer"),
         ("diagnostics.ui.central", "diag_central"), ("diagnostics.ui.outbox", "diag_outbox"),
         ("diagnostics.ui.display", "diag_display"), ("diagnostics.ui.audio", "diag_audio"),
         ("diagnostics.ui.logs", "diag_logs"), ("diagnostics.ui.config", "diag_config"),
         ("diagnostics.ui.bundle", "diag_bundle"))
# Actions of this screen: (i18n key, method name, button variant).
ACTIONS = (("diagnostics.ui.refresh", "refresh", "primary"),
           ("diagnostics.ui.restart", "restart", "danger"),
           ("diagnostics.ui.leave", "leave_diagnostics", "primary"))


class DiagOverviewScreen(DiagScreen):
    back_to = ""
    show_back = False

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.rows: dict[str, StatusRow] = {}
        for part in PARTS:
            row = StatusRow(part=part)
            self.rows[part] = row
            self.ids.parts.add_widget(row)
        for key, screen in TOOLS:
            b = KButton(key=key, variant="secondary", role="small")
            b.bind(on_release=lambda _b, s=screen: self.app.go(s))
            self.ids.tools.add_widget(b)
        for key, method, variant in ACTIONS:
            b = KButton(key=key, variant=variant, role="small")
            b.bind(on_release=lambda _b, m=method: getattr(self, m)())
            self.ids.tools.add_widget(b)
        self.report: Report | None = None
        self._running = False
        self._sample = False  # the tour's sample is on show: live results wait

    def reset(self) -> None:
        self.forget()
        self.report = None
        self._sample = False
        for row in self.rows.values():
            row.status, row.summary = "", ""

    def refresh(self) -> None:
        if self._running or self._sample:
            return
        self._running = True
        for row in self.rows.values():
            row.status = ""
        ctx = technician(self.app).context()
        run_in_background(self.app, lambda: _run(ctx), self._show)

    def _show(self, report: Report | BaseException) -> None:
        self._running = False
        if not isinstance(report, Report) or self._sample:
            return
        self.report = report
        self.render(lambda: self.show_results(report.results))

    def show_results(self, results: Iterable[CheckResult]) -> None:
        for result in results:
            self.show_result(result)

    def show_result(self, result: CheckResult) -> None:
        row = self.rows[result.part]
        row.status = result.status.value
        row.summary = result.summary(self.app.lang)

    def restart(self) -> None:
        self.app.allow_close = True
        tools.restart_process()

    def tour_states(self) -> dict[str, Callable[[], None]]:
        def sample() -> None:
            self._sample = True
            self.render(lambda: self.show_results(SAMPLE))

        return {"default": sample}


SAMPLE = (
    CheckResult("readers", CheckStatus.OK, "diagnostics.readers.ok",
                {"count": 2, "cards_present": 1}),
    CheckResult("id_reader", CheckStatus.OK, "diagnostics.id_reader.ok", {"kind": "pcsc"}),
    CheckResult("qr_scanner", CheckStatus.OK, "diagnostics.qr_scanner.ok", {"kind": "serial"}),
    CheckResult("printer", CheckStatus.FAIL, "diagnostics.printer.out_of_paper"),
    CheckResult("speech", CheckStatus.WARN, "diagnostics.speech.no_device"),
    CheckResult("headphones", CheckStatus.WARN, "diagnostics.headphones.no_signal",
                {"kind": "none", "where": "", "state": "unknown", "setting": "auto"}),
    CheckResult("central", CheckStatus.OK, "diagnostics.central.ok", {"latency_ms": 18.2}),
    CheckResult("outbox", CheckStatus.WARN, "diagnostics.outbox.stale",
                {"pending": 2, "oldest_age_seconds": 1260}),
    CheckResult("disk", CheckStatus.OK, "diagnostics.disk.ok", {"free_mb": 81047}),
    CheckResult("clock", CheckStatus.OK, "diagnostics.clock.ok", {"skew_seconds": 0.4}),
    CheckResult("config", CheckStatus.OK, "diagnostics.config.ok",
                {"version": "0.1.0", "site": "medical", "terminal_id": "T-DEMO-0001"}),
    CheckResult("calendar", CheckStatus.OK, "diagnostics.calendar.ok",
                {"year": 2026, "next_year": 2027}),
)


def _run(ctx: DiagnosticsContext) -> Report:
    try:
        return run_checks(ctx)
    finally:
        ctx.close()


load_kv(__file__)
