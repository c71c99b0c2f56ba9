"""Audio test: a sentence in each language, and the three cue tones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.clock import Clock

from kiosk.devices.speech import Speaker
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen


class DiagAudioScreen(DiagScreen):
    _own: Any = None

    def speaker(self) -> Any:
        """The app's Speaker if it has one, else one made for this screen."""
        live = getattr(self.app.speaker, "__self__", None)
        if hasattr(live, "cue"):
            return live
        if self._own is None:
            self._own = Speaker(self.app.settings)
        return self._own

    def reset(self) -> None:
        self.show_text(self.ids.result, "")

    def say(self, language: str) -> None:
        text = self.app.tr("diagnostics.ui.audio_sample", lang=language)
        self.speaker().say(text, language)
        self._later()

    def cue(self, name: str) -> None:
        self.speaker().cue(name)
        self._later()

    def _later(self) -> None:
        self.show(self.ids.result, "diagnostics.ui.playing")
        Clock.schedule_once(lambda _dt: self._status(), 1.5)

    def _status(self) -> None:
        error = self.speaker().last_error
        if error:
            self.show(self.ids.result, "diagnostics.speech.play_failed", last_error=error)
        else:
            self.show(self.ids.result, "diagnostics.ui.played")

    def tour_states(self) -> dict[str, Callable[[], None]]:
        return {"default": lambda: None}


load_kv(__file__)
