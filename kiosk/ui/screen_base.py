"""The base class of every screen: shared frame, navigation flags, reset, tour states.

How to add a screen (journeys, diagnostics):

1. ``kiosk/ui/screens/myscreen.py``::

       from kiosk.ui.screen_base import KioskScreen, load_kv

       class MyScreen(KioskScreen):
           def reset(self):            # called at every session end: forget everything
               self.ids.answer.text = ""
           def prepare(self, **params): # called by app.go("my", **params) before showing
               ...
           def tour_states(self):      # optional: extra states for `kiosk tour`
               return {"default": lambda: None, "error": lambda: self.show_error()}

       load_kv(__file__)               # loads myscreen.kv next to this file

2. ``kiosk/ui/screens/myscreen.kv``: a rule ``<MyScreen>:`` with ``title_key`` and the
   children; they land in the frame's content area under the header. Use ``KLabel``
   (``key:``, ``role:``, ``tone:``) and ``KButton`` (``key:``, ``variant:``,
   ``on_release: root.something()``), never literal text; keep logic in Python.
3. One line in ``SCREENS`` in ``kiosk/ui/registry.py``.
4. Navigate with ``app.go("my", **params)``, ``app.back()``, ``app.go_home()``; failures
   with ``app.show_message(MessageSpec(...))``. Widgets are created once: never build a
   screen anew per session; put per-session state back in ``reset()``. A journey step's
   screen is not opened with ``go``: the controller's state decides it
   (:mod:`kiosk.ui.navigation`); back is always ``app.back()``, which on a screen
   beside the journeys goes to its ``back_to`` (else the controller's state again).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Never

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.ui.widgets.frame import ScreenFrame
from kiosk.ui.widgets.text import Translated

if TYPE_CHECKING:
    from kiosk.ui.app_protocol import UiApp
    from kiosk.ui.widgets.buttons import KButton


def load_kv(module_file: str) -> None:
    """Load the ``.kv`` beside a screen module (once).

    Called at the end of the module, so the kv may ``#:import`` names from its own
    module: we attach the half-imported module to its package first (Python does that
    only when the import finishes)."""
    source = Path(module_file).resolve()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and Path(path).resolve() == source:
            parent, _, child = name.rpartition(".")
            if parent in sys.modules and not hasattr(sys.modules[parent], child):
                setattr(sys.modules[parent], child, module)
            break
    path = str(source.with_suffix(".kv"))
    if path not in Builder.files:
        Builder.load_file(path)


class KioskScreen(Screen):
    """A screen inside the shared frame (header with back/home, title, language,
    large text, high contrast, read aloud). Children declared in kv go into the frame's
    content area."""

    title_key = StringProperty("")
    show_back = BooleanProperty(True)
    show_home = BooleanProperty(True)
    # Where back goes from a screen beside the journeys ("": the controller's state
    # again, the start screen at HOME); a journey step's back is the controller's.
    back_to = StringProperty("")
    compact = BooleanProperty(False)  # tighter spacing in the content area

    _frame: ScreenFrame | None = None

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._ensure_frame()

    def _ensure_frame(self) -> ScreenFrame:
        if self._frame is None:
            self._frame = ScreenFrame(screen=self)
            super().add_widget(self._frame)
        return self._frame

    def add_widget(self, widget: Widget, *args: object, **kwargs: object) -> None:
        frame = self._ensure_frame()
        if widget is frame:
            return
        frame.ids.content.add_widget(widget, *args, **kwargs)

    @property
    def frame(self) -> ScreenFrame:
        return self._ensure_frame()

    @property
    def back_button(self) -> KButton:
        return self.frame.ids.nav.back_button

    @property
    def home_button(self) -> KButton:
        return self.frame.ids.nav.home_button

    @property
    def app(self) -> UiApp:
        return App.get_running_app()

    # --- lifecycle hooks for subclasses -------------------------------------------
    # Never: this screen takes no parameter; a subclass names those it takes.
    def prepare(self, **params: Never) -> None:
        """Receive ``app.go(name, **params)``'s parameters before the screen shows."""
        if params:
            raise TypeError(f"{type(self).__name__} takes no parameters, got {sorted(params)}")

    def reset(self) -> None:
        """Forget all session state (called on every screen at each session end)."""

    def tour_states(self) -> dict[str, Callable[[], None]]:
        """Named states for ``kiosk tour``: each callable puts the shown screen in it."""
        return {"default": lambda: None}

    def speech_text(self) -> str:
        """What "read aloud" says: the title, then the texts top to bottom."""
        texts = [self.app.tr(self.title_key)] if self.title_key else []
        found: list[tuple[float, float, str]] = []
        for w in self.frame.ids.content.walk(restrict=True):
            if isinstance(w, Translated) and w.text and w.opacity > 0:
                x, y = w.to_window(w.x, w.top)
                found.append((-y, x, w.text))
        texts += [t for _, _, t in sorted(found)]
        return "\n".join(texts)
