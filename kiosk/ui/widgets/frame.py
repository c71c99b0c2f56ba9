"""The frame every screen shares: header bar, content area, navigation bar.

- Header, left to right: the screen's title (wraps, the bar grows), then read aloud,
  large text, high contrast and the language switch — on every screen.
- Navigation bar at the bottom (within reach of a seated user): back on the left, home
  on the right; hidden on the attract screen (``show_back``/``show_home`` False).
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import NumericProperty, ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.stacklayout import StackLayout
from kivy.uix.widget import Widget

from kiosk.ui.widgets.buttons import KButton
from kiosk.ui.widgets.text import KLabel


class Header(BoxLayout):
    """Title and the accessibility toggles; buttons are found by their ``key``.

    One row when it fits; on a narrow panel or in large text the title gets its own row
    and the toggles wrap under it, right-aligned (``wanted_height`` follows)."""

    screen = ObjectProperty(None, allownone=True)
    title_label = ObjectProperty(None)
    wanted_height = NumericProperty(0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        app = App.get_running_app()
        self._app = app
        self.nav: NavBar | None = None  # the frame's navigation bar (ScreenFrame sets it)

        def button(key: str, action: Any) -> KButton:
            # Toggles in the smaller type (still >= 28 px), sized to their text; regular
            # weight, like all 28 px text on the start screen: each weight at each size
            # is one more font face open (~2.5 MiB for the CJK face).
            b = KButton(key=key, variant="header", role="small", fit_width=True, bold=False)
            b.bind(on_release=lambda *_: action())
            return b

        self.read_button = button("app.read_aloud", app.read_aloud)
        self.large_button = button("app.large_text", app.toggle_large_text)
        self.contrast_button = button("app.high_contrast", app.toggle_high_contrast)
        self.lang_button = button("app.language_switch", app.toggle_language)
        app.bind(large_text=self.large_button.setter("active"),
                 high_contrast=self.contrast_button.setter("active"))
        self.large_button.active = app.large_text
        self.contrast_button.active = app.high_contrast
        self.title_label = KLabel(role="title", tone="header_text", bold=True)
        # Right to left: the language switch sits in the top right corner.
        self.toggles = StackLayout(orientation="rl-tb", size_hint=(None, None))
        buttons = [self.lang_button, self.contrast_button, self.large_button]
        if app.settings.speech.enabled:
            buttons.append(self.read_button)
        for b in buttons:
            self.toggles.add_widget(b)
        self.add_widget(self.title_label)
        self.add_widget(self.toggles)
        self._trigger = Clock.create_trigger(self._relayout, -1)
        for b in buttons:
            b.bind(size=self._trigger)
        self.bind(size=self._trigger)
        self.title_label.bind(height=self._trigger)
        self.toggles.bind(minimum_height=self._trigger)
        app.theme.bind(version=self._trigger)
        self.bind(screen=self._follow)

    @property
    def back_button(self) -> KButton:
        """The navigation bar's back button (older name: it used to live here)."""
        return self.nav.back_button

    @property
    def home_button(self) -> KButton:
        """The navigation bar's home button (older name, as above)."""
        return self.nav.home_button

    def _relayout(self, *_: Any) -> None:
        t = self._app.theme
        gap = t.spacing * 0.6
        pad_x, pad_y = t.spacing, t.spacing * 0.4
        buttons = self.toggles.children
        row = sum(b.width for b in buttons) + gap * (len(buttons) - 1)
        inner = max(1.0, self.width - 2 * pad_x)
        # One row while the title keeps a fair width (ten title characters or 30 %).
        two_rows = inner - row - gap < max(t.font_title * 10, inner * 0.3)
        self.padding = [pad_x, pad_y]
        self.spacing = gap
        self.toggles.spacing = gap
        self.orientation = "vertical" if two_rows else "horizontal"
        self.toggles.width = inner if two_rows else row
        self.toggles.height = self.toggles.minimum_height or max(b.height for b in buttons)
        self.toggles.pos_hint = {"right": 1} if two_rows else {"center_y": 0.5}
        self.title_label.pos_hint = {} if two_rows else {"center_y": 0.5}
        if two_rows:
            self.wanted_height = (self.title_label.height + gap + self.toggles.height
                                  + 2 * pad_y)
        else:
            self.wanted_height = max(t.header_height,
                                     max(self.title_label.height, self.toggles.height)
                                     + 2 * pad_y)

    def _follow(self, *_: Any) -> None:
        if self.screen is not None:
            self.screen.bind(title_key=self._set_title)
            self._set_title(self.screen, self.screen.title_key)

    def _set_title(self, _screen: Any, key: str) -> None:
        self.title_label.key = key or "app.title"


class NavBar(BoxLayout):
    """Back (left) and home (right); collapses when the screen shows neither.

    Each button is made when first shown (or asked for): the attract screen shows
    neither, and a label renders its text, opening its font face (~2.5 MiB for the CJK
    face at one size), even while it is not on screen."""

    screen = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._buttons: dict[str, KButton] = {}
        self._gap = Widget()
        # Laid out before the next frame, once the screen's kv rules have set show_back
        # and show_home (their class defaults are True: laying out at once would make
        # the buttons a screen without them never shows).
        self._trigger_layout = Clock.create_trigger(self._layout, -1)
        self.bind(width=self._size_buttons, screen=self._follow)

    @property
    def back_button(self) -> KButton:
        """The back button (made on first use)."""
        return self._button("app.back", lambda *_: App.get_running_app().back())

    @property
    def home_button(self) -> KButton:
        """The home button (made on first use)."""
        return self._button("app.home", lambda *_: App.get_running_app().go_home())

    def _button(self, key: str, action: Any) -> KButton:
        b = self._buttons.get(key)
        if b is None:
            b = self._buttons[key] = KButton(key=key, variant="secondary")
            b.bind(on_release=action)
            # A third of the bar each, wherever the other one is (kv sets size_hint_x: 1).
            b.size_hint_x = None
            self._size_buttons()
        return b

    def _size_buttons(self, *_: Any) -> None:
        for b in self._buttons.values():
            b.width = (self.width - self.padding[0] - self.padding[2]) * 0.3

    def _follow(self, *_: Any) -> None:
        if self.screen is not None:
            self.screen.bind(show_back=self._trigger_layout, show_home=self._trigger_layout)
        self._trigger_layout()

    def _layout(self, *_: Any) -> None:
        screen = self.screen
        self.clear_widgets()
        back = screen is not None and screen.show_back
        home = screen is not None and screen.show_home
        if back:
            self.add_widget(self.back_button)
        self.add_widget(self._gap)
        if home:
            self.add_widget(self.home_button)
        self.shown = back or home


class ScreenFrame(BoxLayout):
    """Header + ``content`` (a vertical BoxLayout your screen's kv children go into) +
    the navigation bar."""

    screen = ObjectProperty(None, allownone=True)

    def on_kv_post(self, base_widget: Any) -> None:
        # Older names kept: the back/home buttons used to live in the header.
        self.ids.header.nav = self.ids.nav
