"""Cancel pre-loss, step 1: insert the found social security card (outlet sites only)."""

from __future__ import annotations

from kiosk.ui.journeys.base import JourneyScreen, image_path
from kiosk.ui.screen_base import load_kv


class CancelInsertScreen(JourneyScreen):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.ids.picture.source = image_path("guidance_ssc_slot.png")


load_kv(__file__)
