"""Technician home: a status light per part, and the way to every test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.services.diagnostics import PARTS, CheckResult, CheckStatus, run_checks
from kiosk.services.diagnostics.runner import Report
from kiosk.ui.screens.base import load_kv
from kiosk.ui.screens.diag_base import DiagScreen, run_in_background, technician
from kiosk.ui.screens.diag_widgets import StatusRow

# Buttons: (i18n key, screen) — "" screen means a method of this class.
TOOLS = (("diagnostics.ui.readers", "diag_readers"), ("diagnostics.ui.printer", "diag_printer"),
         ("diagnostics.ui.central", "diag_central"), ("diagnostics.ui.outbox", "diag_outbox"),
         ("diagnostics.ui.display", "diag_display"), ("diagnostics.ui.audio", "diag_audio"),
         ("diagnostics.ui.logs", "diag_logs"), ("diagnostics.ui.config", "diag_config"),
         ("diagnostics.ui.bundle", "diag_bundle"))


class DiagOverviewScreen(DiagScreen):
    back_to = ""
    show_back = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from kiosk.ui.widgets.buttons import KButton

        self.rows: dict[str, StatusRow] = {}
        for part in PARTS:
            row = StatusRow(part=part)
            self.rows[part] = row
            self.ids.parts.add_widget(row)
        for key, screen in TOOLS:
            b = KButton(key=key, variant="secondary", role="small")
            b.bind(on_release=lambda _b, s=screen: self.app.go(s))
            self.ids.tools.add_widget(b)
        self.report: Report | None = None
        self._running = False

    def reset(self) -> None:
        self.report = None
        for row in self.rows.values():
            row.status, row.summary = "", ""

    def refresh(self) -> None:
        if self._running:
            return
        self._running = True
        for row in self.rows.values():
            row.status = ""
        ctx = technician(self.app).context()
        run_in_background(lambda: _run(ctx), self._show)

    def _show(self, report: Any) -> None:
        self._running = False
        if not isinstance(report, Report):
            return
        self.report = report
        for result in report.results:
            self.show_result(result)

    def show_result(self, result: CheckResult) -> None:
        row = self.rows[result.part]
        row.status = result.status.value
        row.summary = result.summary(self.app.lang)

    def restart(self) -> None:
        from kiosk.services.diagnostics import tools

        self.app.allow_close = True
        tools.restart_process()

    def tour_states(self) -> dict[str, Callable[[], None]]:
        def sample() -> None:
            self._running = True  # keep a live run from overwriting the sample
            for i, part in enumerate(PARTS):
                status = (CheckStatus.OK, CheckStatus.WARN, CheckStatus.FAIL)[i % 3]
                self.show_result(CheckResult(part, status, f"diagnostics.part.{part}"))
            self._running = False

        return {"default": sample}


def _run(ctx: Any) -> Report:
    try:
        return run_checks(ctx)
    finally:
        ctx.close()


load_kv(__file__)
