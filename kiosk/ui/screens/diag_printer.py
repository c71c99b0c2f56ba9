"""Printer: its status, and a test page."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.services.diagnostics.checks import check_printer
from kiosk.services.diagnostics.model import CheckResult
from kiosk.services.failures import printer_error_kind
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen, run_check, run_in_background, technician


class DiagPrinterScreen(DiagScreen):
    def reset(self) -> None:
        self.show_text(self.ids.status, "")
        self.show_text(self.ids.result, "")

    def refresh(self) -> None:
        # No "print test page" without a printer: the status says "not configured".
        configured = self.configured()
        self.ids.test_page.opacity = 1 if configured else 0
        self.ids.test_page.disabled = not configured
        run_check(self.app, check_printer, self._show)

    def configured(self) -> bool:
        """Whether this terminal has a printer (configured, or handed to diagnostics)."""
        if self.app.settings.printer.kind != "none":
            return True
        return technician(self.app).context().printer is not None

    def _show(self, result: CheckResult | BaseException) -> None:
        if isinstance(result, BaseException):
            self.show_error(self.ids.status, result)
        else:
            self.show_summary(self.ids.status, result)

    def test_page(self) -> None:
        if not self.configured():
            self.show(self.ids.result, "diagnostics.printer.not_configured")
            return
        ctx = technician(self.app).context()
        printer = ctx.get_printer()
        lang, terminal = self.app.lang, self.app.settings.kiosk.terminal_id

        def work() -> str:
            try:
                printer.test_page(lang, terminal)
            except Exception as exc:
                kind = printer_error_kind(exc)  # the printer's own error, by its kind
                if kind is None:
                    raise
                return f"diagnostics.printer.{kind}"
            return "diagnostics.ui.test_page_printed"

        self.show(self.ids.result, "diagnostics.ui.printing")
        run_in_background(self.app, work, self._printed)

    def _printed(self, key: str | BaseException) -> None:
        if isinstance(key, str):
            self.show(self.ids.result, key, kind="", target="")
        else:
            self.show_error(self.ids.result, key)
        self.refresh()

    def tour_states(self) -> dict[str, Callable[[], None]]:
        def sample() -> None:
            self.show(self.ids.status, "diagnostics.printer.out_of_paper")

        return {"default": sample}


load_kv(__file__)
