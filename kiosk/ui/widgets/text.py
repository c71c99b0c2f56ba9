"""Translated, themed text."""

from __future__ import annotations

from collections.abc import Callable

from kivy.app import App
from kivy.properties import DictProperty, OptionProperty, StringProperty
from kivy.uix.label import Label

ROLES = ("small", "body", "button", "title", "heading", "display")


class Translated:
    """Mixin: ``key`` (+ ``values``) sets ``text`` in the app's current language, again on
    every language switch and whenever the app takes new settings (``{hotline}`` and
    ``{region}`` come from them). With an empty key, ``text`` is left alone (raw data)."""

    # What it uses of the Kivy widget it is mixed into (declared only: Kivy has no types).
    text: str
    opacity: float
    x: float
    top: float
    bind: Callable[..., None]
    to_window: Callable[[float, float], tuple[float, float]]

    key = StringProperty("")
    values = DictProperty({})

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        app = App.get_running_app()
        if app is not None:
            app.bind(lang=self._retranslate)
            if app.property("settings_version", quiet=True) is not None:
                app.bind(settings_version=self._retranslate)
        self.bind(key=self._retranslate, values=self._retranslate)
        self._retranslate()

    def _retranslate(self, *_: object) -> None:
        if not self.key:
            return
        app = App.get_running_app()
        if app is not None:
            self.text = app.tr(self.key, **self.values)


class KLabel(Translated, Label):
    """A label that wraps to its width and grows to its text's height.

    ``role`` picks the type size, ``tone`` the palette colour (``text``, ``text_muted``,
    ``header_text``, ``danger_text`` …)."""

    role = OptionProperty("body", options=ROLES)
    tone = StringProperty("text")
