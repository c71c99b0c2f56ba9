"""Where a screen switch's time goes, for the benches (import after Kivy is configured).

:class:`SwitchClock` records, on the Kivy main thread, the moments of one switch:
the touch (down and up), the screen becoming current (the controller's state drawn by
the bridge, the screen built or entered), the draw starting (after layout and the
Clock's callbacks), and the buffer swap returning (the frame is on screen: llvmpipe
rasterises at the swap). Garbage-collector pauses are summed in between. Every buffer is
bounded: a soak must not grow the bench itself.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable

from kivy.core.window import Window
from kivy.uix.screenmanager import ScreenManager

clock: Callable[[], float] = time.monotonic  # CLOCK_MONOTONIC: one clock for all processes


class SwitchClock:
    """Timestamps of touches, screen changes, draws, swaps and GC pauses."""

    def __init__(self, sm: ScreenManager, keep: int = 256) -> None:
        self.downs: deque[float] = deque(maxlen=keep)
        self.ups: deque[float] = deque(maxlen=keep)
        self.draws: deque[float] = deque(maxlen=keep)
        self.swaps: deque[float] = deque(maxlen=keep)
        self.gcs: deque[tuple[float, float]] = deque(maxlen=keep)
        self.shown_at: dict[str, float] = {}
        self._gc_start = 0.0
        Window.bind(on_touch_down=lambda *_: self.downs.append(clock()),
                    on_touch_up=lambda *_: self.ups.append(clock()),
                    on_draw=lambda *_: self.draws.append(clock()))
        sm.bind(current=lambda _sm, name: self.shown_at.__setitem__(name, clock()))
        swap = Window.flip

        def flip() -> None:  # the window's own swap, then the time it returned
            swap()
            self.swaps.append(clock())

        Window.flip = flip
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = clock()
        else:
            self.gcs.append((self._gc_start, clock()))

    def close(self) -> None:
        """Stop counting GC pauses (the window's hooks go with the window)."""
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def swap_after(self, t: float) -> float | None:
        """The first buffer swap that returned at or after ``t``."""
        return next((s for s in self.swaps if s >= t), None)

    def phases(self, t0: float, name: str) -> dict[str, float] | None:
        """ms from ``t0`` (e.g. the finger lifted) to: screen ``name`` current, the draw
        after it started, its swap returned; plus GC pause ms in that span. None until
        that frame is on screen."""
        shown = self.shown_at.get(name, -1.0)
        if shown < t0:
            return None
        swap = self.swap_after(shown)
        if swap is None:
            return None
        draw = next((d for d in self.draws if shown <= d <= swap), swap)
        pause = sum(min(b, swap) - max(a, t0) for a, b in self.gcs if b >= t0 and a <= swap)

        def ms(t: float) -> float:
            return round((t - t0) * 1000, 2)

        return {"current": ms(shown), "draw": ms(draw), "swap": ms(swap),
                "gc": round(pause * 1000, 2)}
