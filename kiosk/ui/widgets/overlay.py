"""The inactivity warning: "are you still there?", a countdown, "more time"."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import NumericProperty
from kivy.uix.modalview import ModalView


class InactivityOverlay(ModalView):
    """Shown by the app during :attr:`Phase.WARNING`; ``seconds`` drives the countdown.

    Only the two buttons act: a stray touch on the dimmed area does nothing."""

    seconds = NumericProperty(0)

    def __init__(self, **kwargs: Any) -> None:
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
