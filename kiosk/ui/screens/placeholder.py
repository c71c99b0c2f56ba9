"""Stands in for a journey screen that does not exist yet (the journeys replace it)."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.ui.screen_base import KioskScreen, load_kv


class PlaceholderScreen(KioskScreen):
    def prepare(self, title_key: str = "placeholder.title", **params: object) -> None:
        self.title_key = title_key

    def reset(self) -> None:
        self.title_key = "placeholder.title"

    def tour_states(self) -> dict[str, Callable[[], None]]:
        return {"default": lambda: self.prepare("attract.pre_loss")}

    def home(self) -> None:
        self.app.go_home()


load_kv(__file__)
