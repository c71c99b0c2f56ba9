"""The inactivity warning: "are you still there?", a countdown, "more time"."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import NumericProperty
from kivy.uix.modalview import ModalView


class KioskModal(ModalView):
    """A modal panel, centred in the window, or in its lower half in the low-reach
    layout (``app.low_reach``), where a seated cardholder reaches it."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        app = App.get_running_app()
        if app is not None:
            app.bind(low_reach=self._align_center)

    def _align_center(self, *_args: object) -> None:
        if not self._is_open or self._window is None:
            return
        app = App.get_running_app()
        cx, cy = self._window.center
        if app is not None and app.low_reach:
            half = self._window.height / 2
            cy = max(self.height / 2, min(half / 2, half - self.height / 2))
        self.center = (cx, cy)


class InactivityOverlay(KioskModal):
    """Shown by the app during :attr:`Phase.WARNING`; ``seconds`` drives the countdown.

    Only the two buttons act: a stray touch on the dimmed area does nothing."""

    seconds = NumericProperty(0)

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("auto_dismiss", False)
        super().__init__(**kwargs)
        self._anim_duration = 0  # appear at once; no animation frames

    @property
    def is_open(self) -> bool:
        return self._window is not None

    def show(self) -> None:
        """Open at once (no fade: a late fade-out could remove a re-opened warning)."""
        if not self.is_open:
            self.open(animation=False)

    def hide(self) -> None:
        if self.is_open:
            self.dismiss(animation=False)

    def more_time(self) -> None:
        App.get_running_app().more_time()

    def end_now(self) -> None:
        App.get_running_app().end_session("home")
