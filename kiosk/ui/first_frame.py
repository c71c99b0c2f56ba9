"""What the app does after its first frame: start the parts and build the technician
entry (its corner gesture). The other screens are built when first shown (building all
~40 up front cost ~80 MiB)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.clock import Clock
from kivy.core.window import Window

if TYPE_CHECKING:
    from kiosk.ui.app_protocol import UiApp


class AfterFirstFrame:
    """Armed in ``on_start``; runs once, at the first buffer flip of the window."""

    def __init__(self, app: UiApp) -> None:
        self.app = app

    def arm(self) -> None:
        """Wait for the first frame."""
        Window.bind(on_flip=self._first_frame)

    def _first_frame(self, *_: object) -> None:
        Window.unbind(on_flip=self._first_frame)
        Clock.schedule_once(self._start_parts, 0)
        self.app.screens_ready = True

    def _start_parts(self, _dt: float) -> None:
        """Build and start the parts right after the first frame, not at the first
        touch: the card hub watches, and a pre-loss queued before a restart is sent
        even if nobody uses the kiosk; not before, which would delay it by about 1 s."""
        parts = self.app.compose()
        if parts is not None:
            parts.start()
        # The technician's corner gesture works from the first start screen on, whether
        # or not a technician screen was ever built.
        self.app.install_technician()
