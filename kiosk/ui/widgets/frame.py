"""The frame every screen shares: header bar, content area, navigation bar.

- Header, left to right: the screen's title (wraps, the bar grows), then read aloud,
  large text, high contrast and the language switch — on every screen.
- Navigation bar at the bottom (within reach of a seated user): back on the left, home
  on the right (not on the attract screen: ``show_back``/``show_home`` False), and
  between them, on every cardholder screen, "call staff" (一键呼叫) and the "accessible
  height" toggle — at the bottom because a cardholder in a wheelchair must reach them.
- Low reach (``app.low_reach``): the frame keeps to the lower half of the window, the
  upper half left empty.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import NumericProperty, ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
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

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        app = App.get_running_app()
        self._app = app
        self.nav: NavBar | None = None  # the frame's navigation bar (ScreenFrame sets it)

        def button(key: str, action: Callable[[], object]) -> KButton:
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
        return self._nav().back_button

    @property
    def home_button(self) -> KButton:
        """The navigation bar's home button (older name, as above)."""
        return self._nav().home_button

    def _nav(self) -> NavBar:
        if self.nav is None:  # ScreenFrame sets it when it builds the frame
            raise RuntimeError("this header has no navigation bar")
        return self.nav

    def _relayout(self, *_: object) -> None:
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

    def _follow(self, *_: object) -> None:
        if self.screen is not None:
            self.screen.bind(title_key=self._set_title)
            self._set_title(self.screen, self.screen.title_key)

    def _set_title(self, _screen: object, key: str) -> None:
        self.title_label.key = key or "app.title"


class NavBar(BoxLayout):
    """Back (left), call staff and accessible height (middle), home (right); on a
    technician screen only back and home, and it collapses when it has none.

    Each button is made when first shown (or asked for): a label renders its text,
    opening its font face (~2.5 MiB for the CJK face at one size), even while it is not
    on screen. The two accessibility buttons use the header's type (28 px regular), a
    face the start screen holds already."""

    screen = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._buttons: dict[str, KButton] = {}
        self._gap = Widget()
        self._gap_right = Widget()
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

    @property
    def help_button(self) -> KButton:
        """"Call staff" (一键呼叫; made on first use)."""
        return self._button("access.call_staff",
                            lambda *_: App.get_running_app().call_staff(), variant="danger")

    @property
    def low_reach_button(self) -> KButton:
        """The "accessible height" toggle (made on first use)."""
        b = self._button("access.low_reach",
                         lambda *_: App.get_running_app().toggle_low_reach())
        if not b.variant == "header":
            app = App.get_running_app()
            b.variant = "header"  # a toggle, drawn like the header's: "active" when on
            b.active = app.low_reach
            app.bind(low_reach=b.setter("active"))
        return b

    # ``action`` is bound to on_release: it is called with the button.
    def _button(self, key: str, action: Callable[..., object],
                variant: str = "secondary") -> KButton:
        b = self._buttons.get(key)
        if b is None:
            small = key.startswith("access.")
            b = self._buttons[key] = KButton(key=key, variant=variant,
                                             role="small" if small else "button",
                                             bold=not small)
            b.bind(on_release=action)
            # Shares of the bar, wherever the others are (kv sets size_hint_x: 1).
            b.size_hint_x = None
            self._size_buttons()
        return b

    def _size_buttons(self, *_: object) -> None:
        inner = self.width - self.padding[0] - self.padding[2]
        for key, b in self._buttons.items():
            b.width = inner * (0.19 if key.startswith("access.") else 0.28)

    def _follow(self, *_: object) -> None:
        if self.screen is not None:
            self.screen.bind(show_back=self._trigger_layout, show_home=self._trigger_layout)
        self._trigger_layout()

    def _layout(self, *_: object) -> None:
        screen = self.screen
        self.clear_widgets()
        back = screen is not None and screen.show_back
        home = screen is not None and screen.show_home
        # Every cardholder screen; not the technician's (the technician is the staff);
        # a screen that holds them itself says so (access_in_content: the start screen).
        access = (screen is not None and not screen.name.startswith("diag_")
                  and not getattr(screen, "access_in_content", False))
        if back:
            self.add_widget(self.back_button)
        self.add_widget(self._gap)
        if access:
            self.add_widget(self.help_button)
            self.add_widget(self.low_reach_button)
            self.add_widget(self._gap_right)
        if home:
            self.add_widget(self.home_button)
        self.shown = back or home or access


class SideBar(BoxLayout):
    """The low-reach layout's column of controls, beside the content in the lower half:
    the title, then back, home, call staff, accessible height, read aloud, large text,
    high contrast and the language, three to a row (one on a narrow portrait panel). Back
    and home are the app's one back and home, as the navigation bar's (a journey's back
    is one step of the journey)."""

    def __init__(self, screen: Screen, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.screen = screen
        app = App.get_running_app()
        self._app = app
        self._made: dict[str, KButton] = {}
        screen.bind(title_key=self._title, show_back=self._fill, show_home=self._fill)
        self._title()
        self._fill()

    def _title(self, *_: object) -> None:
        self.ids.title.key = self.screen.title_key or "app.title"

    def _button(self, key: str, action: Callable[[], object], variant: str = "header",
                toggle: str = "") -> KButton:
        b = self._made.get(key)
        if b is None:
            b = self._made[key] = KButton(key=key, variant=variant, role="small", bold=False)
            b.bind(on_release=lambda *_: action())
            if toggle:
                b.active = getattr(self._app, toggle)
                self._app.bind(**{toggle: b.setter("active")})
        return b

    def _fill(self, *_: object) -> None:
        app, screen = self._app, self.screen
        grid = self.ids.buttons
        grid.clear_widgets()
        wanted = []
        if screen.show_back:
            wanted.append(self._button("app.back", app.back))
        if screen.show_home:
            wanted.append(self._button("app.home", app.go_home))
        if not screen.name.startswith("diag_"):
            wanted.append(self._button("access.call_staff", app.call_staff, "danger"))
            wanted.append(self._button("access.low_reach", app.toggle_low_reach,
                                       toggle="low_reach"))
        if app.settings.speech.enabled:
            wanted.append(self._button("app.read_aloud", app.read_aloud))
        wanted += [self._button("app.large_text", app.toggle_large_text,
                                toggle="large_text"),
                   self._button("app.high_contrast", app.toggle_high_contrast,
                                toggle="high_contrast"),
                   self._button("app.language_switch", app.toggle_language)]
        for b in wanted:
            grid.add_widget(b)
            b.bind(texture_size=self._rows)
        self._rows()

    def _rows(self, *_: object) -> None:
        # Every row as tall as the tallest button needs (a label that wraps makes one
        # taller), from the texts, not the heights the grid itself forces.
        t = self._app.theme
        buttons = self.ids.buttons.children
        tallest = max([t.target] + [b.texture_size[1] + t.spacing for b in buttons])
        for b in buttons:  # after the button's own rule (bound first) set its height
            b.height = tallest


class ScreenFrame(BoxLayout):
    """Header + ``content`` (a vertical BoxLayout your screen's kv children go into) +
    the navigation bar. Low reach: the upper half empty, the controls in a
    :class:`SideBar` (made the first time the layout is shown on this screen)."""

    screen = ObjectProperty(None, allownone=True)
    side: SideBar | None = None

    def on_kv_post(self, base_widget: object) -> None:
        # Older names kept: the back/home buttons used to live in the header.
        self.ids.header.nav = self.ids.nav
        app = App.get_running_app()
        app.bind(low_reach=self._low_reach)
        self.bind(screen=self._follow)
        self._follow()

    def _follow(self, *_: object) -> None:
        if self.screen is not None:
            self.screen.bind(on_pre_enter=self._low_reach)

    def _low_reach(self, *_: object) -> None:
        app = App.get_running_app()
        low = bool(app.low_reach)
        shown = app.sm is not None and self.screen is not None \
            and app.sm.current == self.screen.name
        if low and self.side is None and shown:
            self.side = SideBar(self.screen)
        if self.side is None:
            return
        body = self.ids.body
        if low and self.side.parent is None:
            body.add_widget(self.side, index=len(body.children))  # on the left
        elif not low and self.side.parent is not None:
            body.remove_widget(self.side)
