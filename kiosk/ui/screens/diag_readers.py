"""Readers: each reader, card present, ATR; a test read shows the card's type and the
time it took (no part of any number: diagnostics show no one's data); the QR scanner's
test scan shows only that a code came and its length."""

from __future__ import annotations

from collections.abc import Callable

from kivy.factory import Factory

from kiosk.services.diagnostics.cardtest import TestRead, card_test_check
from kiosk.services.diagnostics.checks import check_readers
from kiosk.services.diagnostics.checks.qr_scanner import scan_test_check
from kiosk.services.diagnostics.model import CheckResult
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen, run_check


class DiagReadersScreen(DiagScreen):
    def reset(self) -> None:
        self.forget()
        self.ids.readers.clear_widgets()
        self.show_text(self.ids.summary, "")
        self.show_text(self.ids.result, "")

    def refresh(self) -> None:
        run_check(self.app, check_readers, self._show)

    def _show(self, result: CheckResult | BaseException) -> None:
        if isinstance(result, BaseException):
            self.ids.readers.clear_widgets()
            self.show_error(self.ids.summary, result)
            return
        self.show_summary(self.ids.summary, result)
        readers = result.details.get("readers", [])
        self._lines(readers if isinstance(readers, list) else [])

    def _lines(self, readers: list[dict[str, object]]) -> None:
        """One line per reader with its test button (the rows are rebuilt: a few)."""
        box = self.ids.readers
        box.clear_widgets()
        for reader in readers:
            # The reader's name and ATR are data; the words around them are translated
            # (KLabel key/values), so the line follows the language switch.
            state = ("diagnostics.ui.card_present" if reader["card_present"]
                     else "diagnostics.ui.card_absent")
            row = Factory.ReaderLine()
            self.show(row.ids.line, f"{state}_line", reader=reader["reader"],
                      atr=reader["atr"] or "-")
            row.ids.test.bind(on_release=lambda _b, r=str(reader["reader"]): self.test_read(r))
            box.add_widget(row)

    def test_read(self, reader: str) -> None:
        self.forget()
        self.show(self.ids.result, "diagnostics.ui.reading")
        run_check(self.app, card_test_check(reader), self._show_read)

    def _show_read(self, result: TestRead | BaseException) -> None:
        if not isinstance(result, TestRead):
            self.forget()
            self.show_error(self.ids.result, result)
            return
        self.render(lambda: self._show_result(result))
        self.refresh()  # the reader lines follow: "card present" after a read

    def _show_result(self, result: TestRead) -> None:
        """The test read in words: the card's type and the time, never its data."""
        if result.error:  # a CardErrorKind value: said in words, not as the raw code
            self.show(self.ids.result, "diagnostics.ui.read_failed", reader=result.reader,
                      error=self.tr(f"diagnostics.ui.card_error.{result.error}"))
        else:
            self.show_text(self.ids.result, self.tr(
                "diagnostics.ui.read_ok", reader=result.reader,
                card_type=self.tr(f"diagnostics.ui.card_type.{result.card_type}"),
                ms=round(result.duration_ms)))

    def test_scan(self) -> None:
        """The QR scanner's test scan: wait for one code, show only its length."""
        self.forget()
        self.show(self.ids.result, "diagnostics.qr_scanner.test_prompt")
        run_check(self.app, scan_test_check(), lambda result: self.show_summary(
            self.ids.result, result) if not isinstance(result, BaseException)
            else self.show_error(self.ids.result, result))

    def tour_states(self) -> dict[str, Callable[[], None]]:
        names = ("Virtual PCD 00 00", "Virtual PCD 00 01")
        readers = [{"reader": names[0], "card_present": True,
                    "atr": "3B6D00000081867C0E2D53534300900000"},
                   {"reader": names[1], "card_present": True,
                    "atr": "3B8880014B494F534B544543"}]

        def sample(card_type: str) -> Callable[[], None]:
            def show() -> None:   # both readers with a card, after a test read
                self.show(self.ids.summary, "diagnostics.readers.ok", count=2,
                          cards_present=2)
                self._lines(readers)
                self.render(lambda: self._show_result(TestRead(
                    names[1], card_type, 12.0)))
            return show

        def failed() -> None:
            self.show(self.ids.summary, "diagnostics.readers.ok", count=2, cards_present=1)
            self._lines(readers[:1] + [{**readers[1], "card_present": False}])
            self.render(lambda: self._show_result(TestRead(names[0], "unknown",
                                                           40.0, "not_ssc")))

        return {"default": sample("ssc"), "id_card": sample("id_card"), "failed": failed}


load_kv(__file__)
