"""Audio test: a sentence in each language, and the three cue tones."""

from __future__ import annotations

from collections.abc import Callable

from kivy.clock import Clock

from kiosk.services.diagnostics.live import AudioTest
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen, technician


class DiagAudioScreen(DiagScreen):
    def speaker(self) -> AudioTest | None:
        """The app's own speaker (None: the app runs without one)."""
        return technician(self.app).speaker()

    def reset(self) -> None:
        self.show_text(self.ids.result, "")

    def say(self, language: str) -> None:
        speaker = self.speaker()
        if speaker is None:
            self._no_speaker()
            return
        speaker.say(self.app.tr("diagnostics.ui.audio_sample", lang=language), language)
        self._later()

    def cue(self, name: str) -> None:
        speaker = self.speaker()
        if speaker is None:
            self._no_speaker()
            return
        speaker.cue(name)
        self._later()

    def _no_speaker(self) -> None:
        """Nothing can play: speech is off, or espeak-ng could not start."""
        key = ("diagnostics.speech.missing" if self.app.settings.speech.enabled
               else "diagnostics.speech.disabled")
        self.show(self.ids.result, key, command=self.app.settings.speech.command)

    def _later(self) -> None:
        self.show(self.ids.result, "diagnostics.ui.playing")
        Clock.schedule_once(lambda _dt: self._status(), 1.5)

    def _status(self) -> None:
        speaker = self.speaker()
        error = speaker.last_error if speaker is not None else None
        if error:
            self.show(self.ids.result, "diagnostics.speech.play_failed", last_error=error)
        else:
            self.show(self.ids.result, "diagnostics.ui.played")

    def tour_states(self) -> dict[str, Callable[[], None]]:
        return {"default": lambda: None}


load_kv(__file__)
