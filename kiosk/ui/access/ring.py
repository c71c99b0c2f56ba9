"""The focus ring: a thick frame around the focused element, drawn over everything.

Black inside yellow (#FFFF00 on #000000 is 19.6:1): it stands out on the normal palette's
light background, on its dark-blue buttons and on the high-contrast palette alike, and
helps a cardholder with low vision follow the keypad. Drawn on the window's
``canvas.after`` (above the screens and the modal panels); it follows the element's
position and size.
"""

from __future__ import annotations

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics import Color, InstructionGroup, Line
from kivy.uix.widget import Widget

RING_WIDTH = 6.0     # px of yellow, at the reference 1080p panel
INNER_WIDTH = 3.0    # px of black inside it
YELLOW = (1.0, 1.0, 0.0, 1.0)
BLACK = (0.0, 0.0, 0.0, 1.0)


class FocusRing:
    """One ring on the window; :meth:`follow` a widget, :meth:`hide` it."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
        self.widget: Widget | None = None
        self.box: tuple[float, float, float, float] | None = None  # x, y, w, h (tests)
        self._group = InstructionGroup()
        self._outer = Line(width=RING_WIDTH * scale)
        self._inner = Line(width=INNER_WIDTH * scale)
        self._group.add(Color(*YELLOW))
        self._group.add(self._outer)
        self._group.add(Color(*BLACK))
        self._group.add(self._inner)
        self._drawn = False
        self._place = Clock.create_trigger(self._update, -1)

    def follow(self, widget: Widget | None) -> None:
        """Put the ring around ``widget`` (None: hide it)."""
        if self.widget is not None:
            self.widget.unbind(pos=self._place, size=self._place)
        self.widget = widget
        if widget is None:
            self.hide()
            return
        widget.bind(pos=self._place, size=self._place)
        if not self._drawn:
            Window.canvas.after.add(self._group)
            self._drawn = True
        self._update()

    def hide(self) -> None:
        """Take the ring off the window."""
        if self.widget is not None:
            self.widget.unbind(pos=self._place, size=self._place)
            self.widget = None
        if self._drawn:
            Window.canvas.after.remove(self._group)
            self._drawn = False
        self.box = None

    def refresh(self) -> None:
        """Place the ring again (a layout moved the element's parents)."""
        self._place()

    def _update(self, *_: object) -> None:
        w = self.widget
        if w is None:
            return
        x, y = w.to_window(w.x, w.y)
        gap = RING_WIDTH * self.scale
        # Outside the element, so it never covers its text; kept on the window.
        x0, y0 = max(gap, x - gap), max(gap, y - gap)
        x1 = min(Window.width - gap, x + w.width + gap)
        y1 = min(Window.height - gap, y + w.height + gap)
        self.box = (x0, y0, x1 - x0, y1 - y0)
        self._outer.rectangle = self.box
        inset = (RING_WIDTH - INNER_WIDTH) * self.scale
        self._inner.rectangle = (x0 + inset, y0 + inset, max(1.0, x1 - x0 - 2 * inset),
                                 max(1.0, y1 - y0 - 2 * inset))
        Window.canvas.ask_update()
