"""Outbox: how many confirmed requests wait, how old they are, which ones cannot be
delivered; send now, or export them sealed for the outlet."""

from __future__ import annotations

from collections.abc import Callable

from kivy.clock import Clock

from kiosk.services.diagnostics.checks import check_outbox
from kiosk.services.diagnostics.live import SealedExport
from kiosk.services.diagnostics.model import CheckResult
from kiosk.services.diagnostics.tools import bundle_targets
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import (
    DiagScreen,
    error_key,
    run_check,
    run_in_background,
    technician,
)

# The alert's code is in the summary's words; held items are counted in "undeliverable".
FIELDS = ("pending", "oldest_age_seconds", "undeliverable", "delivered_total", "last_error")


class DiagOutboxScreen(DiagScreen):
    def reset(self) -> None:
        self.forget()
        for label in (self.ids.summary, self.ids.details, self.ids.result):
            self.show_text(label, "")

    def refresh(self) -> None:
        run_check(self.app, check_outbox, self._show)

    def _show(self, result: CheckResult | BaseException) -> None:
        self.show_check(result, FIELDS, _fmt)

    def retry_now(self) -> None:
        tools = technician(self.app).outbox()
        if tools is None:
            self.show(self.ids.result, "diagnostics.ui.no_sender")
            return
        tools.retry_now()
        self.show(self.ids.result, "diagnostics.ui.retrying")
        Clock.schedule_once(lambda _dt: self.refresh(), 1.0)

    def export_sealed(self) -> None:
        """Seal every undelivered request into a file for the outlet: on a USB stick when
        one is mounted, else in the terminal's support folder. They stay queued."""
        tools = technician(self.app).outbox()
        if tools is None:
            self.show(self.ids.result, "diagnostics.ui.no_sender")
            return
        settings = self.app.settings

        def work() -> SealedExport:
            targets = bundle_targets(settings)
            if not targets:
                raise OSError("no USB stick and no support folder")
            return tools.export(targets[0])

        self.show(self.ids.result, "diagnostics.ui.exporting")
        run_in_background(self.app, work, self._exported)

    def _exported(self, result: SealedExport | BaseException) -> None:
        self.forget()
        if not isinstance(result, BaseException):
            key = ("diagnostics.ui.outbox_exported_demo" if result.demo_key
                   else "diagnostics.ui.outbox_exported")
            self.show(self.ids.result, key, items=result.items, path=str(result.path))
            self.refresh()
            return
        reason = getattr(result, "reason", None)
        words = (f"diagnostics.ui.export_error.{reason}" if reason
                 else error_key(result))
        self.render(lambda: self.show(self.ids.result, "diagnostics.ui.outbox_export_failed",
                                      error=self.tr(words)))

    def tour_states(self) -> dict[str, Callable[[], None]]:
        def sample() -> None:
            self.show(self.ids.summary, "diagnostics.outbox.stale", pending=2,
                      oldest_age_seconds=1260)
            self.render(lambda: self.show_text(self.ids.details, self.field_lines(
                zip(FIELDS, (2, 1260, 0, 41, "offline"), strict=True))))

        def exported() -> None:
            self.show(self.ids.summary, "diagnostics.outbox.undeliverable", undeliverable=1,
                      alert="held_not_found")
            self.render(lambda: self.show_text(self.ids.details, self.field_lines(
                zip(FIELDS, (1, 93600, 1, 41, "not_found"), strict=True))))
            self.show(self.ids.result, "diagnostics.ui.outbox_exported", items=1,
                      path="/media/usb0/outbox-T-4403-0001-20261207T093000Z.sealed.json")

        return {"default": sample, "exported": exported}


def _fmt(value: object) -> str:
    return "-" if value is None else str(value)


load_kv(__file__)
