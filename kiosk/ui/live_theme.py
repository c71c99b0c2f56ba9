"""The theme as Kivy properties, so kv rules re-render when a mode is switched.

``app.theme.font_body``, ``app.theme.text`` … are properties (bind to them in kv);
``app.theme.font(role, app.theme.version)`` and ``app.theme.color(token, app.theme.version)``
look one up by name, passing ``version`` only so kv re-evaluates on every change.
"""

from __future__ import annotations

from dataclasses import fields

from kivy.event import EventDispatcher
from kivy.properties import ColorProperty, NumericProperty, StringProperty

from kiosk.ui.theme import NORMAL, Metrics, Palette, hex_to_rgba

_props: dict[str, object] = {
    "version": NumericProperty(0),
    "palette_name": StringProperty(NORMAL.name),
}
for _f in fields(Metrics):
    _props[_f.name] = NumericProperty(getattr(Metrics(), _f.name))
for _f in fields(Palette):
    if _f.name != "name":
        _props[_f.name] = ColorProperty(hex_to_rgba(getattr(NORMAL, _f.name)))


class _LiveThemeMethods:
    version: float  # a NumericProperty of the class built below
    def apply(self, palette: Palette, metrics: Metrics) -> None:
        """Set every token, then bump ``version`` once."""
        for f in fields(Metrics):
            setattr(self, f.name, getattr(metrics, f.name))
        for f in fields(Palette):
            if f.name != "name":
                setattr(self, f.name, hex_to_rgba(getattr(palette, f.name)))
        self.palette_name = palette.name
        self.version += 1

    def font(self, role: str, _version: float = 0) -> float:
        """Font size for a role: small, body, button, title, heading, display."""
        return getattr(self, f"font_{role}")

    def color(self, token: str, _version: float = 0) -> list[float]:
        """A palette colour by token name (``text``, ``primary_bg`` …)."""
        return list(getattr(self, token))


LiveTheme = type("LiveTheme", (_LiveThemeMethods, EventDispatcher), _props)
