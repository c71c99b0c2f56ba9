"""One guidance topic: short paragraphs in big type, a picture where it helps."""

from __future__ import annotations

from kiosk.services import guidance
from kiosk.services.states import GuidanceView, State
from kiosk.ui.journeys.base import JourneyScreen, image_path, set_label, view_of
from kiosk.ui.journeys.widgets import RowPool
from kiosk.ui.screen_base import load_kv
from kiosk.ui.widgets.text import KLabel


class GuidanceTopicScreen(JourneyScreen):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._rows = RowPool(self.ids.paragraphs, lambda: KLabel(role="title"))

    def show(self, state: State) -> None:
        v = view_of(state, GuidanceView)
        self.title_key = f"guidance.{v.topic}.title"
        keys = guidance.paragraph_keys(v.topic)
        for label, key in zip(self._rows.rows(len(keys)), keys, strict=True):
            set_label(label, key, **v.params)
        set_label(self.ids.heading, f"guidance.{v.topic}.title", **v.params)
        set_label(self.ids.summary, f"guidance.{v.topic}.summary", **v.params)
        self.ids.picture.source = image_path(guidance.IMAGES.get(v.topic, "")) \
            if v.topic in guidance.IMAGES else ""

    def clear(self) -> None:
        self._rows.wipe()


load_kv(__file__)
