"""Speech and audio cues: espeak-ng for text, short WAV tones for touch/success/error.

Each language has its own voice (measured): Mandarin uses
``cmn-latn-pinyin`` — ``cmn`` reads most Chinese characters as English letters — and
English uses ``en-us``. Long digit runs (hotlines) are spaced out so both voices read
them digit by digit (``96102`` would otherwise be read as a mangled number).

Text goes to espeak-ng on stdin, never on the command line (``ps`` shows arguments).
Audio: ``espeak-ng --stdout`` piped into a player command that reads a WAV on stdin
(``speech.player``, default the first of aplay, play, paplay). ``say`` and ``cue`` never
block and never raise: the newest utterance replaces the one playing (so the next key
press interrupts speech), and a failure is kept in ``last_error`` for diagnostics.

Rate (words per minute, ``speech.rate``) and volume (espeak-ng's amplitude,
``speech.volume``) can change while the kiosk runs (the keypad's slower/faster keys).
Two outputs: the loudspeaker and the headphones (``access.headphone_player``, e.g.
``aplay -D plughw:0,0``; empty = the loudspeaker's player, for codecs that switch by
themselves when a plug goes in); :meth:`Speaker.route` picks one.
"""

from __future__ import annotations

import math
import re
import shlex
import shutil
import struct
import subprocess
import threading
import time
import wave
from pathlib import Path

from kiosk.config import REPO_ROOT, Settings
from kiosk.logs import get_logger
from kiosk.system.priority import background_thread

log = get_logger("kiosk.devices.speech")

VOICES = {"zh_CN": "cmn-latn-pinyin", "en": "en-us"}
CUES = ("touch", "success", "error")
SOUNDS_DIR = REPO_ROOT / "assets" / "sounds"
_PLAYERS = (["aplay", "-q", "-"], ["play", "-q", "-t", "wav", "-"], ["paplay"])
_DIGIT_RUN = re.compile(r"\d{3,}")
RATE_RANGE = (80, 450)     # words per minute espeak-ng speaks intelligibly
VOLUME_RANGE = (0, 200)    # espeak-ng -a
OUTPUTS = ("speaker", "headphones")


class SpeechError(Exception):
    """Synthesis failed (espeak-ng missing, unknown voice, cannot write the file); its
    ``kind`` is what the layers above map it by."""

    kind = "synth_failed"


def speakable(text: str) -> str:
    """Text as it should be spoken: runs of 3+ digits read one digit at a time."""
    return _DIGIT_RUN.sub(lambda m: " ".join(m.group(0)), text)


def voice_for(language: str) -> str:
    """The espeak-ng voice for ``zh_CN`` or ``en`` (others fall back to Mandarin)."""
    return VOICES.get(language, VOICES["zh_CN"])


def find_player(configured: str = "") -> list[str] | None:
    """The audio player command: the configured one, else the first installed default."""
    if configured:
        return shlex.split(configured)
    for cmd in _PLAYERS:
        if shutil.which(cmd[0]):
            return list(cmd)
    return None


class Speaker:
    """Speaks text and plays cues without blocking the caller (the Kivy main thread)."""

    def __init__(self, settings: Settings, sounds_dir: Path = SOUNDS_DIR) -> None:
        self.enabled = settings.speech.enabled
        self.command = settings.speech.command
        self.rate = settings.speech.rate
        self.volume = settings.speech.volume
        self.players = {"speaker": find_player(settings.speech.player)}
        self.players["headphones"] = (find_player(settings.access.headphone_player)
                                      if settings.access.headphone_player
                                      else self.players["speaker"])
        self.output = "speaker"
        self.sounds_dir = sounds_dir
        self.last_error: str | None = None
        self.spoken = 0  # utterances that played to the end (for tests and metrics)
        self._cv = threading.Condition()
        self._pending: tuple[list[str], bytes | None, Path | None] | None = None
        self._procs: list[subprocess.Popen[bytes]] = []
        self._busy = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._thread.start()

    # -- public API ---------------------------------------------------------------------
    @property
    def voices(self) -> dict[str, str]:
        """The espeak-ng voice of each language."""
        return dict(VOICES)

    @property
    def player(self) -> list[str] | None:
        """The player command of the output in use."""
        return self.players[self.output]

    def set_rate(self, wpm: int) -> int:
        """Speak at ``wpm`` words per minute from the next utterance (clamped to
        :data:`RATE_RANGE`); returns the rate in effect."""
        self.rate = max(RATE_RANGE[0], min(RATE_RANGE[1], int(wpm)))
        return self.rate

    def set_volume(self, volume: int) -> int:
        """espeak-ng amplitude from the next utterance (clamped to :data:`VOLUME_RANGE`)."""
        self.volume = max(VOLUME_RANGE[0], min(VOLUME_RANGE[1], int(volume)))
        return self.volume

    def route(self, output: str) -> None:
        """Send what is said from now on to ``speaker`` or ``headphones``; what is
        playing stops (it was meant for the other output)."""
        if output not in OUTPUTS:
            raise ValueError(f"unknown output {output!r}; known: {', '.join(OUTPUTS)}")
        if output != self.output:
            self.output = output
            self.stop()

    def available(self) -> bool:
        """espeak-ng is installed (whether or not speech is enabled)."""
        return shutil.which(self.command) is not None

    def say(self, text: str, language: str) -> None:
        """Speak ``text`` with the voice of ``language``; returns at once."""
        if not self.enabled or not text.strip():
            return
        cmd = [self.command, "--stdout", *self._voice_args(language), "--stdin"]
        self._submit(cmd, speakable(text).encode("utf-8"), None)

    def cue(self, name: str) -> None:
        """Play a short tone: ``touch``, ``success`` or ``error``; returns at once."""
        if not self.enabled:
            return
        if name not in CUES:
            raise ValueError(f"unknown cue {name!r}; known: {', '.join(CUES)}")
        self._submit(None, None, self.sounds_dir / f"{name}.wav")

    def stop(self) -> None:
        """Silence whatever is playing and drop what is waiting."""
        with self._cv:
            self._pending = None
            self._kill_locked()

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until nothing plays or waits (tests, shutdown). True if idle in time."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._busy or self._pending is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
        return True

    def close(self) -> None:
        """Stop playing and end the worker thread."""
        with self._cv:
            self._closed = True
            self._pending = None
            self._kill_locked()
            self._cv.notify_all()
        self._thread.join(timeout=2)

    def synthesize_to_file(self, text: str, language: str, path: Path | str) -> Path:
        """Write the speech as a WAV file (blocking). Raises :class:`SpeechError`."""
        path = Path(path)
        cmd = [self.command, *self._voice_args(language), "-w", str(path), "--stdin"]
        try:
            proc = subprocess.run(cmd, input=speakable(text).encode("utf-8"),
                                  capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SpeechError(f"{self.command} could not run: {type(exc).__name__}") from exc
        if proc.returncode != 0 or not path.exists() or path.stat().st_size <= 44:
            first = proc.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
            raise SpeechError(f"{self.command} failed ({proc.returncode}): "
                              f"{first[0] if first else 'no output'}")
        return path

    def _voice_args(self, language: str) -> list[str]:
        return ["-v", voice_for(language), "-s", str(self.rate), "-a", str(self.volume)]

    # -- worker ---------------------------------------------------------------------------
    def _submit(self, cmd: list[str] | None, text: bytes | None, wav: Path | None) -> None:
        with self._cv:
            if self._closed:
                return
            self._pending = (cmd or [], text, wav)
            self._kill_locked()  # the newest utterance wins
            self._cv.notify_all()

    def _kill_locked(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()

    def _run(self) -> None:
        background_thread()  # the UI first; espeak-ng inherits it (kiosk/system/priority.py)
        while True:
            with self._cv:
                while self._pending is None and not self._closed:
                    self._cv.wait()
                job = self._pending
                if self._closed or job is None:  # the wait ends on a job or on close
                    return
                self._pending = None
                self._busy = True
            try:
                self._play(*job)
            except Exception as exc:  # keep the worker alive whatever happens
                self._fail(f"{type(exc).__name__}: {exc}")
            finally:
                with self._cv:
                    self._procs = []
                    self._busy = False
                    self._cv.notify_all()

    def _fail(self, message: str) -> None:
        if message != self.last_error:
            log.warning("audio failed", extra={"fields": {"error": message}})
        self.last_error = message

    def _play(self, cmd: list[str], text: bytes | None, wav: Path | None) -> None:
        player_cmd = self.player
        if player_cmd is None:
            self._fail("no audio player found (aplay, play or paplay)")
            return
        wav_fh = None
        with self._cv:
            if self._pending is not None or self._closed:
                return  # replaced before it started
            if wav is not None:
                wav_fh = open(wav, "rb")  # noqa: SIM115 - closed below, after the player ends
                player = subprocess.Popen([*player_cmd], stdin=wav_fh,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                procs = [player]
            else:
                synth = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE)
                try:
                    player = subprocess.Popen([*player_cmd], stdin=synth.stdout,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                except OSError:
                    synth.kill()  # nobody would read its output
                    synth.wait()
                    raise
                assert synth.stdout is not None and synth.stdin is not None
                synth.stdout.close()  # the player owns the pipe now
                procs = [synth, player]
            self._procs = procs
        if text is not None:
            try:
                procs[0].stdin.write(text)  # type: ignore[union-attr]
                procs[0].stdin.close()  # type: ignore[union-attr]
            except BrokenPipeError:
                pass
        for proc in procs:
            proc.wait()
        if wav_fh is not None:
            wav_fh.close()
        killed = any(p.returncode is not None and p.returncode < 0 for p in procs)
        if killed:
            return
        bad = next((p for p in procs if p.returncode != 0), None)
        if bad is not None:
            err = bad.stderr.read().decode("utf-8", "replace").strip() if bad.stderr else ""
            lines = [ln for ln in err.splitlines() if ln.strip()]
            program = bad.args[0] if isinstance(bad.args, list) else bad.args  # argv lists
            self._fail(f"{Path(str(program)).name} exit {bad.returncode}: "
                       f"{lines[-1] if lines else 'no message'}")
            return
        self.spoken += 1
        self.last_error = None


def make_cue_wavs(directory: Path = SOUNDS_DIR, rate: int = 22050) -> list[Path]:
    """(Re)generate the shipped cue tones: 16-bit mono WAVs, with short fades (no clicks)."""
    tones = {  # name: [(frequency Hz, seconds), ...]
        "touch": [(1200, 0.035)],
        "success": [(660, 0.09), (880, 0.14)],
        "error": [(330, 0.15), (220, 0.22)],
    }
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, parts in tones.items():
        frames = bytearray()
        for freq, seconds in parts:
            n = int(rate * seconds)
            fade = int(rate * 0.005)
            for i in range(n):
                env = min(1.0, i / fade, (n - 1 - i) / fade)
                sample = 0.5 * env * math.sin(2 * math.pi * freq * i / rate)
                frames += struct.pack("<h", int(sample * 32767))
        path = directory / f"{name}.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(bytes(frames))
        written.append(path)
    return written


if __name__ == "__main__":  # python -m kiosk.devices.speech: regenerate assets/sounds
    for p in make_cue_wavs():
        print(p)
