"""Private listening in the real window: a fake jack source (a FIFO speaking evdev's
input_event records, read by the kiosk's own jack watcher) plugs headphones in; the
real speaker (espeak-ng) then plays to the headphones' player, and non-visual mode is
offered at once; unplugged, speech is back on the loudspeaker."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from kiosk.composition.parts import build_kiosk
from tests.devices.test_jack import FakeJack
from tests.fixtures.access import Heard, needs_xdotool, point_at_window, press

pytestmark = [pytest.mark.ui, needs_xdotool]


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def test_headphones_take_the_speech_and_offer_the_keypad(kiosk_ui: Any, heard: Heard,
                                                          tmp_path: Path) -> None:
    from kiosk.ui.journeys.bridge import kivy_dispatch

    ui = kiosk_ui
    fake = FakeJack(tmp_path / "event-jack")
    speaker_out, phones_out = tmp_path / "speaker.wav", tmp_path / "headphones.wav"
    s = ui.app.settings
    settings = dataclasses.replace(
        s, speech=dataclasses.replace(s.speech, enabled=True, player=f"tee {speaker_out}"),
        access=dataclasses.replace(s.access, headphone_jack="evdev",
                                   headphone_device=str(fake.path),
                                   headphone_player=f"tee {phones_out}"))
    parts = build_kiosk(settings, kivy_dispatch, cards=False, fleet=False, speech=True)
    assert parts.jack is not None and parts.speaker is not None
    own = ui.app.use_parts(parts)
    parts.start()
    try:
        fake.open()
        fake.plug(True)
        ui.wait_until(lambda: ui.app.headphones, 5, "headphones noticed")
        assert parts.speaker.output == "headphones"
        offer = [e for e in heard.logged if e["event"] == "speech"]
        assert offer[-1]["fields"]["keys"] == "access.headphones.offer"
        ui.wait_until(lambda: _size(phones_out) > 10_000, 15, "the offer in the headphones")
        assert _size(speaker_out) == 0  # nothing on the loudspeaker
        point_at_window(ui)
        before = _size(phones_out)
        press(ui, "Down")  # takes the offer: non-visual mode, the screen said
        assert ui.app.nonvisual
        ui.wait_until(lambda: _size(phones_out) > before, 15, "the screen in the headphones")
        fake.plug(False)
        ui.wait_until(lambda: not ui.app.headphones, 5, "headphones out")
        assert parts.speaker.output == "speaker"
        assert heard.logged[-1]["fields"]["keys"] == "access.headphones.out"
        ui.wait_until(lambda: _size(speaker_out) > 10_000, 15, "back on the loudspeaker")
    finally:
        ui.app.use_parts(own)
        parts.stop()
        fake.close()
