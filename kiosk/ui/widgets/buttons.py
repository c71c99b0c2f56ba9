"""Big touch buttons (never below the theme's ``target`` height, 26 mm by default)."""

from __future__ import annotations

from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    NumericProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from kiosk.ui.widgets.text import ChineseLines, Translated


class KButton(ChineseLines, Translated, ButtonBehavior, Label):
    """A themed button whose text comes from ``key``.

    ``variant``: ``primary`` (filled), ``secondary`` (outlined), ``header`` (on the header
    bar; ``active`` shows a toggle's on-state), ``danger``. Set ``size_hint_x: None`` to
    size it to its text (``fit_width``)."""

    variant = OptionProperty("primary", options=("primary", "secondary", "header", "danger"))
    active = BooleanProperty(False)
    role = OptionProperty("button", options=("small", "body", "button", "title"))
    fit_width = BooleanProperty(False)
    min_width = NumericProperty(0)
    text_padding = NumericProperty(0)
    fg_color = ColorProperty([1, 1, 1, 1])
    bg_color = ColorProperty([0, 0, 0, 1])
    line_color = ColorProperty([0, 0, 0, 1])

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(texture_size=self._fit, fit_width=self._fit, min_width=self._fit,
                  text_padding=self._fit)

    def _fit(self, *_: object) -> None:
        # Sized to the text only when asked: in layouts buttons share the width.
        if self.fit_width:
            self.width = max(self.min_width, self.texture_size[0] + 2 * self.text_padding)


class JourneyTile(ButtonBehavior, BoxLayout):
    """An attract-screen tile: a title and a one-line hint, one big target."""

    label_key = StringProperty("")
    hint_key = StringProperty("")
    route_id = StringProperty("")
    natural_height = NumericProperty(0)   # what its text needs; the screen sets height
