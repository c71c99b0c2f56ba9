"""Printer: its status, and a test page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.devices.printer import PrinterError
from kiosk.services.diagnostics.checks import check_printer
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen, run_check, run_in_background, technician


class DiagPrinterScreen(DiagScreen):
    def reset(self) -> None:
        self.show_text(self.ids.status, "")
        self.show_text(self.ids.result, "")

    def refresh(self) -> None:
        run_check(self.app, check_printer, self._show)

    def _show(self, result: Any) -> None:
        if isinstance(result, Exception):
            self.show_error(self.ids.status, result)
        else:
            self.show_summary(self.ids.status, result)

    def test_page(self) -> None:
        ctx = technician(self.app).context()
        printer = ctx.get_printer()
        lang, terminal = self.app.lang, self.app.settings.kiosk.terminal_id

        def work() -> str:
            try:
                printer.test_page(lang, terminal)
            except PrinterError as exc:
                return f"diagnostics.printer.{exc.status.value}"
            return "diagnostics.ui.test_page_printed"

        self.show(self.ids.result, "diagnostics.ui.printing")
        run_in_background(work, self._printed)

    def _printed(self, key: Any) -> None:
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
