"""Logs viewer: the newest lines of the (already masked) log, scrubbed once more."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.services.diagnostics.tools import log_tail
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen

SHOWN_LINES = 80


class DiagLogsScreen(DiagScreen):
    def reset(self) -> None:
        self.show_text(self.ids.lines, "")

    def refresh(self) -> None:
        lines = log_tail(self.app.settings, SHOWN_LINES)
        if lines:
            self.show_text(self.ids.lines, "\n".join(reversed(lines)))
        else:
            self.show(self.ids.lines, "diagnostics.ui.no_logs")

    def tour_states(self) -> dict[str, Callable[[], None]]:
        return {"default": self.refresh}


load_kv(__file__)
