"""Configuration in effect (secret-like values hidden; the secrets file is never shown)."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.services.diagnostics.tools import config_lines
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen


class DiagConfigScreen(DiagScreen):
    def reset(self) -> None:
        self.ids.lines.text = ""

    def refresh(self) -> None:
        self.ids.lines.text = "\n".join(config_lines(self.app.settings))

    def tour_states(self) -> dict[str, Callable[[], None]]:
        return {"default": self.refresh}


load_kv(__file__)
