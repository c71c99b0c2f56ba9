"""The ScreenManager that builds registered screens once, when first needed.

Creating ~40 screens (and parsing their kv) before the first frame took > 1 s. The app
builds the attract screen at once, draws, then builds the others one per frame in the
background ("warm-up"); any access before that (``get_screen``, ``current = name``,
``has_screen``) builds the screen on the spot. Each screen is still created once and
lives for the whole run.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.lang import Builder
from kivy.uix.screenmanager import Screen, ScreenManager

# "<-…>": without ScreenManager's rule, which clips the screens with a stencil (two
# window-sized stencil quads and a stencil test on every pixel of every frame). This
# manager fills the window and never slides screens (NoTransition): nothing to clip, and
# with a software rasteriser (llvmpipe) the clip cost ≈ 5 of ≈ 24 ms CPU a 1080p frame.
Builder.load_string("<-KioskScreenManager>:\n    size_hint: 1, 1\n")


class KioskScreenManager(ScreenManager):
    def __init__(self, factories: dict[str, Callable[[], Screen]] | None = None,
                 **kwargs: object) -> None:
        self._factories: dict[str, Callable[[], Screen]] = dict(factories or {})
        super().__init__(**kwargs)

    @property
    def pending(self) -> list[str]:
        """Registered names not built yet, in registry order."""
        return list(self._factories)

    def build_screen(self, name: str) -> bool:
        """Build ``name`` now if it is still pending; True if it was."""
        factory = self._factories.pop(name, None)
        if factory is None:
            return False
        self.add_widget(factory())
        return True

    def build_all(self) -> None:
        for name in self.pending:
            self.build_screen(name)

    def get_screen(self, name: str) -> Screen:
        self.build_screen(name)
        return super().get_screen(name)

    def has_screen(self, name: str) -> bool:
        return name in self._factories or super().has_screen(name)
