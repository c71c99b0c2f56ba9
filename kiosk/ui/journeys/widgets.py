"""Widgets of the journey screens: numeric keypad, QR code, panel, reusable rows.

Registered with Kivy's Factory on import (the journey screens import this module).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.ui.journeys.base import wipe_label
from kiosk.ui.widgets.buttons import KButton


class KScrollView(ScrollView):
    """ScrollView without Kivy 2.3's binding leak: ``update_from_scroll`` adds a
    ``bar_color`` binding on every call and removes one per 0.5 s, so re-rendered
    content piles up bindings (measured with tracemalloc over scripted sessions)."""

    def update_from_scroll(self, *largs: object) -> None:
        self.funbind("bar_color", self._change_bar_color)
        super().update_from_scroll(*largs)


class Panel(BoxLayout):
    """A vertical surface panel with a border (groups a card, a result, a timeline).
    The accessibility keypad says its texts with a button in it (``access_group``)."""

    tone_bg = StringProperty("surface")
    access_group = True


class NumericKeypad(BoxLayout):
    """Digits (and X for ID numbers) typed by touch: no free-text input anywhere.

    ``value`` is what was typed; ``secret`` shows dots (PINs); ``max_length`` caps it.
    The accessibility keypad's digits type here (``access_keypad``; kiosk/ui/access).
    """

    access_keypad = True

    value = StringProperty("")
    max_length = NumericProperty(18)
    allow_x = BooleanProperty(False)
    secret = BooleanProperty(False)
    shown = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(value=self._show, secret=self._show)

    def on_kv_post(self, _base_widget: object) -> None:
        # ids exist only once this widget's own kv rule has been applied.
        self.bind(allow_x=self._build_keys)
        self._build_keys()
        self._show()

    def _build_keys(self, *_: object) -> None:
        grid = self.ids.keygrid
        grid.clear_widgets()
        labels = ["1", "2", "3", "4", "5", "6", "7", "8", "9",
                  "X" if self.allow_x else "", "0", ""]
        for label in labels:
            if label:
                b = KButton(text=label, variant="secondary")
                b.bind(on_release=lambda _b, ch=label: self.press(ch))
            elif len(grid.children) == 11:
                b = KButton(key="journeys.keypad.delete", variant="secondary")
                b.bind(on_release=lambda _b: self.delete())
            else:
                b = Widget(size_hint_y=None, height=1)
            grid.add_widget(b)

    def access_describe(self) -> list[tuple[str, dict[str, int]]]:
        """What the accessibility keypad hears on reaching it: how many digits are
        typed, never which (its keys are not stops: the keypad's own digits type)."""
        return [("access.digit.entry_x" if self.allow_x else "access.digit.entry",
                 {"count": len(self.value), "total": int(self.max_length)})]

    def press(self, ch: str) -> None:
        if len(self.value) < self.max_length and (ch.isdigit() or (ch == "X" and self.allow_x)):
            self.value += ch

    def delete(self) -> None:
        self.value = self.value[:-1]

    def clear(self) -> None:
        self.value = ""

    def _show(self, *_: object) -> None:
        self.shown = "●" * len(self.value) if self.secret else _grouped(self.value)


def _grouped(value: str) -> str:
    """ID numbers in groups 6-8-4 so the holder can check them against the card."""
    if len(value) <= 6:
        return value
    parts = [value[:6], value[6:14], value[14:]]
    return " ".join(p for p in parts if p)


class QrCode(Widget):
    """Draws ``data`` as a QR code (qrcode's matrix into a nearest-filtered texture)."""

    data = StringProperty("")
    texture = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(data=self._make)
        self._make()

    def _make(self, *_: object) -> None:
        if not self.data:
            self.texture = None
            return
        import qrcode  # lazy: qrcode and PIL load only when a receipt has a QR code

        qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
        qr.add_data(self.data)
        qr.make(fit=True)
        matrix = qr.get_matrix()
        n = len(matrix)
        # RGBA rows are always 4-byte aligned (luminance rows of odd width are not).
        black, white = b"\x00\x00\x00\xff", b"\xff\xff\xff\xff"
        buf = b"".join(black if cell else white for row in reversed(matrix) for cell in row)
        tex = Texture.create(size=(n, n), colorfmt="rgba")
        tex.blit_buffer(buf, colorfmt="rgba", bufferfmt="ubyte")
        tex.mag_filter = tex.min_filter = "nearest"
        self.texture = tex


class RowPool:
    """Reuses row widgets across sessions (widgets made per session leak in Kivy)."""

    def __init__(self, container: Widget, factory: Callable[[], Widget]) -> None:
        self.container = container
        self.factory = factory
        self.pool: list[Widget] = []

    def wipe(self) -> None:
        """Detach every row and blank the data on all of them (session end)."""
        self.container.clear_widgets()
        for row in self.pool:
            for w in row.walk(restrict=True):
                wipe_label(w)

    def rows(self, n: int) -> list[Widget]:
        while len(self.pool) < n:
            self.pool.append(self.factory())
        self.container.clear_widgets()
        for row in self.pool[:n]:
            self.container.add_widget(row)
        return self.pool[:n]


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
