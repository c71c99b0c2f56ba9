"""Widgets of the technician screens: a status light and a part's status row."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ColorProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

# Status colours are fixed (not themed): a light's colour means the same in every mode,
# and the status word next to it carries the meaning for those who cannot see colour.
LIGHT_COLOURS = {"ok": (0.106, 0.498, 0.231, 1), "warn": (0.85, 0.55, 0.0, 1),
                 "fail": (0.70, 0.15, 0.12, 1), "": (0.55, 0.55, 0.55, 1)}


class StatusLight(Widget):
    """A round light: ``status`` is ok / warn / fail, or "" while unknown."""

    status = StringProperty("")
    colour = ColorProperty(LIGHT_COLOURS[""])

    def on_status(self, _w: object, value: str) -> None:
        self.colour = LIGHT_COLOURS.get(value, LIGHT_COLOURS[""])


class StatusRow(BoxLayout):
    """Light, status word, part name and the check's one-line summary."""

    part = StringProperty("")
    status = StringProperty("")
    summary = StringProperty("")


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
