"""Display and touch test: a grid whose cells light up where touched; colour bars."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kivy.properties import BooleanProperty, ColorProperty, NumericProperty
from kivy.uix.widget import Widget

from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen

if TYPE_CHECKING:
    from kivy.input.motionevent import MotionEvent

GRID_COLS, GRID_ROWS = 8, 4
BARS = ((1, 1, 1, 1), (1, 1, 0, 1), (0, 1, 1, 1), (0, 1, 0, 1), (1, 0, 1, 1), (1, 0, 0, 1),
        (0, 0, 1, 1), (0, 0, 0, 1))


class TouchCell(Widget):
    """One cell of the touch grid: turns on where a finger lands or slides."""

    hit = BooleanProperty(False)

    def on_touch_down(self, touch: MotionEvent) -> bool:
        if self.collide_point(*touch.pos):
            self.hit = True
        return False

    def on_touch_move(self, touch: MotionEvent) -> bool:
        if self.collide_point(*touch.pos):
            self.hit = True
        return False


class ColourBar(Widget):
    index = NumericProperty(0)
    colour = ColorProperty(BARS[0])

    def on_index(self, _w: object, value: int) -> None:
        self.colour = BARS[int(value) % len(BARS)]


class DiagDisplayScreen(DiagScreen):
    show_bars = BooleanProperty(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.cells = [TouchCell() for _ in range(GRID_COLS * GRID_ROWS)]
        for cell in self.cells:
            cell.bind(hit=self._count)
            self.ids.grid.add_widget(cell)
        for i in range(len(BARS)):
            self.ids.bars.add_widget(ColourBar(index=i))
        self._count()

    def reset(self) -> None:
        self.clear_grid()
        self.show_bars = False

    def clear_grid(self) -> None:
        for cell in self.cells:
            cell.hit = False

    def toggle_bars(self) -> None:
        self.show_bars = not self.show_bars

    def _count(self, *_: object) -> None:
        self.ids.count.values = {"hit": sum(c.hit for c in self.cells),
                                 "total": len(self.cells)}

    def tour_states(self) -> dict[str, Callable[[], None]]:
        def some() -> None:
            for cell in self.cells[::3]:
                cell.hit = True

        return {"default": some, "bars": lambda: setattr(self, "show_bars", True)}


load_kv(__file__)
