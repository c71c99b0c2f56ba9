"""Deaf and hard of hearing: every sound the kiosk makes has a visual equivalent, and no
step needs sound. Real window, real cards and sandbox; the speaker is a recorder that
notes, at each sound, what the screen shows at that moment."""

from __future__ import annotations

from typing import Any

from kiosk.devices.speech import CUES
from tests.e2e.window.conftest import Journey


class SeenAtEachSound:
    """A speaker that plays nothing and writes down the screen at every sound."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.sounds: list[tuple[str, str, str]] = []  # (cue or "speech", screen, title)
        self.rate = 150
        self.output = "speaker"

    def _seen(self, what: str) -> None:
        screen = self.app.sm.current_screen
        title = screen.frame.ids.header.title_label.text
        self.sounds.append((what, screen.name, title))

    def cue(self, name: str) -> None:
        assert name in CUES
        self._seen(name)

    def say(self, _text: str, _language: str) -> None:
        self._seen("speech")

    def stop(self) -> None:
        """Nothing plays."""


def _failure_title(j: Journey) -> str:
    return j.app.sm.current_screen.ids.title.text


def test_every_sound_has_its_picture_and_nothing_waits_for_sound(journey: Journey) -> None:
    j = journey
    # First, no sound at all (the journey fixture's parts have no speaker): a whole
    # pre-loss by touch, start to end.
    assert j.parts.speaker is None
    j.show_cards("normal")
    j.tap(key="journeys.cards.choose")
    j.screen("pre_loss_consequences")
    j.tap(key="journeys.consequences.confirm")
    j.screen("pre_loss_done", 15)
    j.tap(key="app.done")
    j.screen("attract")
    j.slots.remove("id")

    # Then with a speaker: each sound comes with a screen that says the same.
    recorder = SeenAtEachSound(j.app)
    parts = j.parts
    parts.speaker = recorder  # the parts' speaker is looked up at each sound
    try:
        j.ui.tap(key="attract.pre_loss")
        j.screen("pre_loss")
        j.slots.insert("expired_id", "id")  # refused: the error tone
        j.ui.wait_until(lambda: any(s[0] == "error" for s in recorder.sounds), 10,
                        "the error tone")
        error = next(s for s in recorder.sounds if s[0] == "error")
        assert error[1] == "journey_failure"
        assert _failure_title(j)  # the failure in words, on screen, with the tone
        j.slots.remove("id")
        j.ui.wait_until(lambda: not any(r["card_present"] for r in
                                        parts.hub.snapshot()["readers"]), 10, "no card")
        j.app.end_session("home")
        j.screen("attract")
        j.ui.tap(key="attract.pre_loss")
        j.screen("pre_loss")
        j.slots.insert("rare_name", "id")  # an active card
        j.screen("pre_loss_cards")
        j.ui.tap(j.ui.find(root=j.app.sm.current_screen, key="journeys.cards.choose"))
        j.screen("pre_loss_consequences")
        j.ui.tap(j.ui.find(root=j.app.sm.current_screen, key="journeys.consequences.confirm"))
        j.ui.wait_until(lambda: any(s[0] == "success" for s in recorder.sounds), 15,
                        "the success tone")
        success = next(s for s in recorder.sounds if s[0] == "success")
        assert success[1:] == ("pre_loss_done", j.app.tr("journeys.done.title"))
        # Every sound of the run came with a titled screen (the picture of the sound).
        assert recorder.sounds and all(title for _, _, title in recorder.sounds)
    finally:
        parts.speaker = None
