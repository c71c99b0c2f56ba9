"""The frame every screen shares: a header bar over a content area.

Header, left to right: back, home (hidden on the attract screen), the screen's title,
then read aloud, large text, high contrast and the language switch — on every screen.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import ObjectProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.ui.widgets.buttons import KButton
from kiosk.ui.widgets.text import KLabel


class Header(BoxLayout):
    """Header bar; its buttons are found by their ``key`` (``app.back``, ``app.home`` …)."""

    screen = ObjectProperty(None, allownone=True)
    title_label = ObjectProperty(None)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        app = App.get_running_app()
        self.back_button = KButton(key="app.back", variant="header", fit_width=True)
        self.back_button.bind(on_release=lambda *_: app.back())
        self.home_button = KButton(key="app.home", variant="header", fit_width=True)
        self.home_button.bind(on_release=lambda *_: app.go_home())
        # Toggles in the smaller type (still >= 28 px); back/home stay button-sized.
        self.read_button = KButton(key="app.read_aloud", variant="header", role="small",
                                   fit_width=True)
        self.read_button.bind(on_release=lambda *_: app.read_aloud())
        self.large_button = KButton(key="app.large_text", variant="header", role="small",
                                    fit_width=True)
        self.large_button.bind(on_release=lambda *_: app.toggle_large_text())
        self.contrast_button = KButton(key="app.high_contrast", variant="header", role="small",
                                       fit_width=True)
        self.contrast_button.bind(on_release=lambda *_: app.toggle_high_contrast())
        self.lang_button = KButton(key="app.language_switch", variant="header", role="small",
                                   fit_width=True)
        self.lang_button.bind(on_release=lambda *_: app.toggle_language())
        app.bind(large_text=self.large_button.setter("active"),
                 high_contrast=self.contrast_button.setter("active"))
        self.large_button.active = app.large_text
        self.contrast_button.active = app.high_contrast
        # The title wraps (the header grows) rather than being cut off.
        self.title_label = KLabel(role="title", tone="header_text", bold=True,
                                  pos_hint={"center_y": 0.5})
        for b in (self.back_button, self.home_button, self.read_button, self.large_button,
                  self.contrast_button, self.lang_button):
            b.pos_hint = {"center_y": 0.5}
        self.bind(screen=self._layout)

    def _layout(self, *_: Any) -> None:
        app = App.get_running_app()
        screen = self.screen
        self.clear_widgets()
        if screen is not None and screen.show_back:
            self.add_widget(self.back_button)
        if screen is not None and screen.show_home:
            self.add_widget(self.home_button)
        if screen is not None:
            screen.bind(title_key=self._set_title, show_back=self._layout,
                        show_home=self._layout)
            self._set_title(screen, screen.title_key)
        self.add_widget(self.title_label)
        if app.settings.speech.enabled:
            self.add_widget(self.read_button)
        for b in (self.large_button, self.contrast_button, self.lang_button):
            self.add_widget(b)

    def _set_title(self, _screen: Any, key: str) -> None:
        self.title_label.key = key or "app.title"


class ScreenFrame(BoxLayout):
    """Header + ``content`` (a vertical BoxLayout your screen's kv children go into)."""

    screen = ObjectProperty(None, allownone=True)
