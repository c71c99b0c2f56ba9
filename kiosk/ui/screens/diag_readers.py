"""Readers: each reader, card present, ATR; a test read shows card type + masked number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.services.diagnostics.cardtest import TestRead, card_test_check
from kiosk.services.diagnostics.checks import check_readers
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen, run_check
from kiosk.ui.widgets.buttons import KButton
from kiosk.ui.widgets.text import KLabel


class DiagReadersScreen(DiagScreen):
    def reset(self) -> None:
        self.forget()
        self.ids.readers.clear_widgets()
        self.show_text(self.ids.summary, "")
        self.show_text(self.ids.result, "")

    def refresh(self) -> None:
        run_check(self.app, check_readers, self._show)

    def _show(self, result: Any) -> None:
        box = self.ids.readers
        box.clear_widgets()
        if isinstance(result, Exception):
            self.show_error(self.ids.summary, result)
            return
        self.show_summary(self.ids.summary, result)
        for reader in result.details.get("readers", []):
            # The reader's name and ATR are data; the words around them are translated
            # (KLabel key/values), so the line follows the language switch.
            state = ("diagnostics.ui.card_present" if reader["card_present"]
                     else "diagnostics.ui.card_absent")
            line = KLabel()
            self.show(line, f"{state}_line", reader=reader["reader"], atr=reader["atr"] or "-")
            box.add_widget(line)
            button = KButton(key="diagnostics.ui.test_read", variant="secondary",
                             role="small", fit_width=True)
            button.bind(on_release=lambda _b, r=reader["reader"]: self.test_read(r))
            box.add_widget(button)

    def test_read(self, reader: str) -> None:
        self.forget()
        self.show(self.ids.result, "diagnostics.ui.reading")
        run_check(self.app, card_test_check(reader), self._show_read)

    def _show_read(self, result: Any) -> None:
        if not isinstance(result, TestRead):
            self.forget()
            self.show_error(self.ids.result, result)
            return
        if result.error:  # a CardErrorKind value: said in words, not as the raw code
            self.render(lambda: self.show(self.ids.result, "diagnostics.ui.read_failed",
                                          reader=result.reader, error=self.tr(
                                              f"diagnostics.ui.card_error.{result.error}")))
        else:
            self.render(lambda: self.show_text(self.ids.result, self.tr(
                "diagnostics.ui.read_ok", reader=result.reader,
                card_type=self.tr(f"diagnostics.ui.card_type.{result.card_type}"),
                number=result.masked_number, ms=round(result.duration_ms))))

    def tour_states(self) -> dict[str, Callable[[], None]]:
        def sample() -> None:
            self.show(self.ids.summary, "diagnostics.readers.ok", count=2, cards_present=1)
            self.render(lambda: self.show_text(self.ids.result, self.tr(
                "diagnostics.ui.read_ok", reader="Virtual PCD 00 00",
                card_type=self.tr("diagnostics.ui.card_type.ssc"), number="X*****019",
                ms=12)))

        return {"default": sample}


load_kv(__file__)
