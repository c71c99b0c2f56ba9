"""Guidance: one big button per topic (title and one-line summary)."""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.behaviors import ButtonBehavior

from kiosk.services.states import GuidanceView, State
from kiosk.ui.journeys.base import JourneyScreen, set_label, view_of
from kiosk.ui.journeys.widgets import Panel, RowPool
from kiosk.ui.screen_base import load_kv


class TopicButton(ButtonBehavior, Panel):
    topic = StringProperty("")


class GuidanceIndexScreen(JourneyScreen):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._rows = RowPool(self.ids.topics, self._make)

    def _make(self) -> TopicButton:
        b = TopicButton()
        b.bind(on_release=lambda w: self.ctl.guidance.open_topic(w.topic))
        return b

    def show(self, state: State) -> None:
        v = view_of(state, GuidanceView)
        for row, topic in zip(self._rows.rows(len(v.topics)), v.topics, strict=True):
            row.topic = topic
            set_label(row.ids.title, f"guidance.{topic}.title", **v.params)


load_kv(__file__)
