"""Outbox: how many confirmed requests wait and how old they are; retry now."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.clock import Clock

from kiosk.services.diagnostics.checks import check_outbox
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen, run_check, technician

FIELDS = ("pending", "oldest_age_seconds", "delivered_total", "last_error")


class DiagOutboxScreen(DiagScreen):
    def reset(self) -> None:
        self.forget()
        for label in (self.ids.summary, self.ids.details, self.ids.result):
            self.show_text(label, "")

    def refresh(self) -> None:
        run_check(self.app, check_outbox, self._show)

    def _show(self, result: Any) -> None:
        self.show_check(result, FIELDS, _fmt)

    def retry_now(self) -> None:
        sender = technician(self.app).sender()
        if sender is None:
            self.show(self.ids.result, "diagnostics.ui.no_sender")
            return
        sender.retry_now()
        self.show(self.ids.result, "diagnostics.ui.retrying")
        Clock.schedule_once(lambda _dt: self.refresh(), 1.0)

    def tour_states(self) -> dict[str, Callable[[], None]]:
        def sample() -> None:
            self.show(self.ids.summary, "diagnostics.outbox.stale", pending=2,
                      oldest_age_seconds=1260)
            self.render(lambda: self.show_text(self.ids.details, self.field_lines(
                zip(FIELDS, (2, 1260, 41, "offline"), strict=True))))

        return {"default": sample}


def _fmt(value: Any) -> str:
    return "-" if value is None else str(value)


load_kv(__file__)
