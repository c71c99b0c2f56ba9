"""Speech with the real espeak-ng, measured with sox; cues; non-blocking say()."""

from __future__ import annotations

import array
import dataclasses
import math
import os
import shlex
import subprocess
import wave
from pathlib import Path

import pytest

from kiosk.config import load_settings
from kiosk.devices.speech import (
    CUES,
    RATE_RANGE,
    SOUNDS_DIR,
    VOLUME_RANGE,
    Speaker,
    SpeechError,
    speakable,
    voice_for,
)
from tests.fixtures.polling import until

ZH = "您的社保卡已临时挂失，请拨打服务热线96102。"
EN = "Your card is now pre-lost. Call the hotline 96102."


def _settings(**speech):
    base = load_settings(environ={})
    return dataclasses.replace(base, speech=dataclasses.replace(base.speech, **speech))


def _seconds(path) -> float:
    out = subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout)


@pytest.fixture
def speaker_factory():
    made = []

    def make(**speech):
        sp = Speaker(_settings(**speech))
        made.append(sp)
        return sp

    yield make
    for sp in made:
        sp.close()


def test_digit_runs_are_spoken_one_by_one():
    assert speakable("热线96102") == "热线9 6 1 0 2"
    assert speakable("10 days") == "10 days"


def test_each_language_has_its_own_voice_and_mandarin_phonemes_are_mandarin():
    assert voice_for("zh_CN") == "cmn-latn-pinyin"
    assert voice_for("en") == "en-us"
    # The cmn voice switches to English for most characters; ours must not.
    out = subprocess.run(["espeak-ng", "-q", "-x", "-v", voice_for("zh_CN"), "社保卡挂失"],
                         capture_output=True, text=True, check=True).stdout
    assert "(en)" not in out
    bad = subprocess.run(["espeak-ng", "-q", "-x", "-v", "cmn", "社保卡挂失"],
                         capture_output=True, text=True, check=True).stdout
    assert "(en)" in bad


@pytest.mark.parametrize(("text", "language"), [(ZH, "zh_CN"), (EN, "en")])
def test_synthesize_to_file_makes_real_audio(speaker_factory, tmp_path, text, language):
    sp = speaker_factory()
    path = sp.synthesize_to_file(text, language, tmp_path / f"{language}.wav")
    assert 1.5 < _seconds(path) < 20


def test_synthesis_failure_is_a_speech_error(speaker_factory, tmp_path):
    sp = speaker_factory(command="espeak-ng-not-installed")
    assert not sp.available()
    with pytest.raises(SpeechError):
        sp.synthesize_to_file("hello", "en", tmp_path / "x.wav")


def test_say_returns_at_once_and_plays_through_the_player(speaker_factory, tmp_path):
    out, hold = tmp_path / "played.wav", tmp_path / "hold"
    os.mkfifo(hold)
    # The player writes the audio, then stays until the test lets it go: say() has
    # returned while it still plays (how soon it returns: kiosk bench speech).
    sp = speaker_factory(player=f"sh -c 'sox -q -t wav - {shlex.quote(str(out))}; "
                                f"cat {shlex.quote(str(hold))} >/dev/null'")
    sp.say(ZH, "zh_CN")
    assert sp.spoken == 0  # returned; nothing has played to the end yet
    release = until(lambda: _open_writer(hold), 10, "the player waiting to be let go")
    os.close(release)
    assert sp.wait(10)
    assert sp.last_error is None and sp.spoken == 1
    assert _seconds(out) > 1.5


def _open_writer(fifo: Path) -> int | None:
    """A write end of ``fifo`` once a reader has it open (None before)."""
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # ENXIO: no reader yet
        return None


def test_newest_utterance_replaces_the_playing_one(speaker_factory, tmp_path):
    log = tmp_path / "log.bin"
    # A slow "player": reads the WAV, then plays for 2 s (exec so kill() reaches it).
    sp = speaker_factory(player=f"sh -c 'cat >> {shlex.quote(str(log))}; exec sleep 2'")
    sp.say(EN, "en")
    until(lambda: log.exists() and log.read_bytes().count(b"RIFF") == 1, 10,
          "the first utterance playing")
    sp.say("Second.", "en")
    assert sp.wait(10)
    assert sp.spoken == 1  # the first was cut off, the second finished
    assert log.read_bytes().count(b"RIFF") == 2  # both reached the player


def test_player_failure_is_kept_for_diagnostics(speaker_factory):
    sp = speaker_factory(player="sh -c 'cat >/dev/null; echo no sound card >&2; exit 3'")
    sp.say("hello", "en")
    assert sp.wait(10)
    assert sp.last_error is not None and "no sound card" in sp.last_error
    assert sp.spoken == 0


def test_cues_are_short_tones_and_play(speaker_factory, tmp_path):
    for name in CUES:
        assert 0.02 < _seconds(SOUNDS_DIR / f"{name}.wav") < 0.5
    out = tmp_path / "cue.wav"
    sp = speaker_factory(player=f"sox -q -t wav - {shlex.quote(str(out))}")
    sp.cue("success")
    assert sp.wait(5) and sp.last_error is None
    assert abs(_seconds(out) - _seconds(SOUNDS_DIR / "success.wav")) < 0.01
    with pytest.raises(ValueError):
        sp.cue("fanfare")


def test_disabled_speech_is_silent(speaker_factory, tmp_path):
    out = tmp_path / "never.wav"
    sp = speaker_factory(enabled=False, player=f"sox -q -t wav - {shlex.quote(str(out))}")
    sp.say("hello", "en")
    sp.cue("touch")
    assert sp.wait(2)
    assert not out.exists() and sp.spoken == 0


def test_missing_player_or_engine_is_reported_not_raised(speaker_factory):
    sp = speaker_factory(player="no-such-player-binary -q")
    sp.say("hello", "en")
    assert sp.wait(5)
    assert sp.last_error and "FileNotFoundError" in sp.last_error
    sp2 = speaker_factory(command="espeak-ng-missing", player="sox -q -t wav - -n")
    sp2.say("hello", "en")
    assert sp2.wait(5) and sp2.last_error


def _rms(path: Path) -> float:
    with wave.open(str(path)) as w:
        frames = w.readframes(w.getnframes())
    samples = array.array("h", frames)
    return math.sqrt(sum(x * x for x in samples) / max(1, len(samples)))


def test_rate_and_volume_change_the_speech_and_are_bounded(speaker_factory, tmp_path):
    """The keypad's slower/faster keys change the rate; the volume is the amplitude."""
    sp = speaker_factory(rate=150, volume=100)
    normal = sp.synthesize_to_file(EN, "en", tmp_path / "normal.wav")
    assert sp.set_rate(100) == 100
    slow = sp.synthesize_to_file(EN, "en", tmp_path / "slow.wav")
    assert sp.set_rate(300) == 300
    fast = sp.synthesize_to_file(EN, "en", tmp_path / "fast.wav")
    assert _seconds(slow) > _seconds(normal) > _seconds(fast)
    assert sp.set_rate(10) == RATE_RANGE[0] and sp.set_rate(10_000) == RATE_RANGE[1]
    sp.set_rate(150)
    assert sp.set_volume(30) == 30
    quiet = sp.synthesize_to_file(EN, "en", tmp_path / "quiet.wav")
    assert sp.set_volume(200) == 200
    loud = sp.synthesize_to_file(EN, "en", tmp_path / "loud.wav")
    assert _rms(quiet) < _rms(normal) < _rms(loud)
    assert sp.set_volume(-5) == VOLUME_RANGE[0] and sp.set_volume(999) == VOLUME_RANGE[1]


def test_speech_goes_to_the_headphones_when_routed_there(tmp_path):
    """Two outputs: the loudspeaker's player and the headphones' (access.headphone_player)."""
    base = load_settings(environ={})
    settings = dataclasses.replace(
        base, speech=dataclasses.replace(base.speech, player=f"tee {tmp_path / 'speaker.wav'}"),
        access=dataclasses.replace(base.access,
                                   headphone_player=f"tee {tmp_path / 'headphones.wav'}"))
    sp = Speaker(settings)
    try:
        sp.say("Speaker.", "en")
        assert sp.wait(10) and sp.last_error is None
        assert (tmp_path / "speaker.wav").stat().st_size > 10_000
        assert not (tmp_path / "headphones.wav").exists()
        sp.route("headphones")
        sp.say("Headphones.", "en")
        assert sp.wait(10) and sp.last_error is None
        assert (tmp_path / "headphones.wav").stat().st_size > 10_000  # real audio
        with pytest.raises(ValueError):
            sp.route("bluetooth")
    finally:
        sp.close()
