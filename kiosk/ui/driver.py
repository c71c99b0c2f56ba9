"""Drive the real app in this process: pump Kivy's loop, tap widgets, take screenshots.

Used by the pytest fixtures (tests/fixtures/kivy_app.py), ``kiosk tour`` and benchmarks.
The app runs in the calling thread: :meth:`AppDriver.pump` runs ``EventLoop.idle()``
(the same step ``App.run()`` loops on), so input, clock events and drawing are real.
Touches go through ``EventLoop.post_dispatch_input`` at the widget's window
coordinates, so real hit-testing decides who gets them (an overlay on top wins).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, TypeVar, Unpack

from kivy.base import EventLoop, runTouchApp
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics.opengl import GL_RGB, GL_UNSIGNED_BYTE, glReadPixels
from kivy.input.motionevent import MotionEvent
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp

_touch_ids = itertools.count(1000)
T = TypeVar("T")


class Criteria(TypedDict, total=False):
    """What :meth:`AppDriver.find_all` matches on (its keyword arguments)."""

    key: str | None
    text: str | None
    id: str | None
    cls: type | None
    root: Widget | None
    visible: bool


class DriverError(AssertionError):
    """A UI expectation failed (shown by pytest like an assertion)."""


class _Touch(MotionEvent):
    """A single-finger touch at window pixel coordinates."""

    def __init__(self, x: float, y: float) -> None:
        super().__init__("kiosk-driver", next(_touch_ids), self._args(x, y),
                         is_touch=True, type_id="touch")
        self.profile = ["pos"]

    @staticmethod
    def _args(x: float, y: float) -> dict[str, float]:
        return {"x": x / max(1.0, Window.width - 1.0), "y": y / max(1.0, Window.height - 1.0)}

    def depack(self, args: dict[str, float]) -> None:
        self.sx, self.sy = args["x"], args["y"]
        super().depack(args)


class AppDriver:
    """Start ``app`` without blocking, then step it from the caller."""

    def __init__(self, app: KioskApp) -> None:
        self.app = app
        app._run_prepare()             # build(), root into the window, on_start
        runTouchApp(embedded=True)     # input providers + EventLoop.start(), no loop
        self.pump_frames(3)
        app.build_all_screens()        # tests and the tour see every screen at once
        self.pump_frames(1)

    # --- the loop ------------------------------------------------------------------------
    def pump_frames(self, n: int = 1) -> None:
        for _ in range(n):
            EventLoop.idle()

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            EventLoop.idle()

    def wait_until(self, condition: Callable[[], T | None], timeout: float = 5.0,
                   what: str = "condition") -> T:
        end = time.monotonic() + timeout
        while True:
            EventLoop.idle()
            value = condition()
            if value:
                return value
            if time.monotonic() > end:
                raise DriverError(f"timed out after {timeout:g} s waiting for {what}")

    def drain(self, timeout: float = 5.0) -> None:
        """Pump until every callback already handed to the UI thread has run (a hop from
        another thread, ``Clock.schedule_once(fn, 0)``): Kivy runs them in the order they
        were handed over, so a marker handed over now runs after them. What a test asserts
        did *not* happen is then shown not to be merely late."""
        ran: list[bool] = []
        Clock.schedule_once(lambda _dt: ran.append(True), 0)
        self.wait_until(lambda: ran, timeout, "the callbacks handed to the UI thread")

    def wait_for_screen(self, name: str, timeout: float = 5.0) -> Screen:
        sm = self.app.sm
        assert sm is not None  # the app was built in __init__
        self.wait_until(lambda: sm.current == name, timeout, f"screen {name!r}")
        self.pump_frames(2)
        return sm.current_screen

    def stop(self) -> None:
        self.app.allow_close = True
        self.app._stop()

    # --- finding widgets -------------------------------------------------------------------
    def roots(self) -> list[Widget]:
        """Window children, top-most first (modal overlays before the screens)."""
        return list(Window.children)

    def walk(self, root: Widget | None = None) -> Iterator[Widget]:
        for r in [root] if root is not None else self.roots():
            yield from r.walk(restrict=True)

    def find_all(self, *, key: str | None = None, text: str | None = None,
                 id: str | None = None, cls: type | None = None,
                 root: Widget | None = None, visible: bool = True) -> list[Widget]:
        """Widgets matching all given criteria: i18n ``key``, exact ``text``, kv ``id``."""
        by_id: set[int] = set()
        if id is not None:
            for w in self.walk(root):
                target = getattr(w, "ids", {}).get(id)
                if target is not None:
                    by_id.add(target.uid)
        out = []
        for w in self.walk(root):
            if key is not None and getattr(w, "key", None) != key:
                continue
            if text is not None and getattr(w, "text", None) != text:
                continue
            if id is not None and w.uid not in by_id:
                continue
            if cls is not None and not isinstance(w, cls):
                continue
            if visible and not self.is_visible(w):
                continue
            out.append(w)
        return out

    def find(self, **criteria: Unpack[Criteria]) -> Widget:
        """Exactly one widget (the first, top-most) matching; raises if none."""
        found = self.find_all(**criteria)
        if not found:
            raise DriverError(f"no visible widget with {criteria}")
        return found[0]

    def is_visible(self, w: Widget) -> bool:
        """Attached to the window, on the current screen (or an overlay), not hidden."""
        node: Widget | None = w
        while node is not None:
            if getattr(node, "opacity", 1) == 0 or getattr(node, "disabled", False):
                return False
            parent = node.parent
            if parent is self.app.sm:
                return node is self.app.sm.current_screen
            if parent is Window or parent is None:
                return parent is Window
            node = parent
        return False

    # --- touching ----------------------------------------------------------------------------
    def tap_at(self, x: float, y: float) -> None:
        touch = _Touch(x, y)
        EventLoop.post_dispatch_input("begin", touch)
        self.pump_frames(1)
        EventLoop.post_dispatch_input("end", touch)
        self.pump_frames(2)

    def tap(self, widget: Widget | None = None, **criteria: Unpack[Criteria]) -> Widget:
        """Tap the centre of ``widget`` (or of ``find(**criteria)``)."""
        w = widget if widget is not None else self.find(**criteria)
        self.pump_frames(1)   # layouts settle before we read positions
        x, y = w.to_window(*w.center)
        self.tap_at(x, y)
        return w

    def press_key(self, key: int, scancode: int = 0, codepoint: str = "") -> bool | None:
        """Send a key through the window's real keyboard events."""
        Window.dispatch("on_key_down", key, scancode, codepoint, [])
        result = Window.dispatch("on_keyboard", key, scancode, codepoint, [])
        Window.dispatch("on_key_up", key, scancode)
        self.pump_frames(2)
        return result

    # --- pictures ------------------------------------------------------------------------------
    def screenshot(self, path: str | Path) -> Path:
        """Save the next drawn frame (read before the buffer swap) as a PNG."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        done: list[bool] = []

        def grab(*_: object) -> None:
            width, height = Window.size
            data = glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE)
            Window._win.save_bytes_in_png(str(path), data, width, height)
            done.append(True)

        Window.bind(on_flip=grab)
        try:
            Window.canvas.ask_update()
            self.wait_until(lambda: done, 5.0, "a drawn frame")
        finally:
            Window.unbind(on_flip=grab)
        return path
