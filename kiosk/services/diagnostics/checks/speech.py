"""Speech: espeak-ng and both voices present, synthesis works (timed), a player exists."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult, CheckStatus

SAMPLES = {"zh_CN": "社保卡自助服务", "en": "Card service"}
SYNTH_FAILED = "synth_failed"  # the speaker's error kind when synthesis fails


def _audio_device_present() -> bool:
    """A sound card (ALSA) or a sound server (PulseAudio/PipeWire) to play on."""
    snd = Path("/dev/snd")
    if snd.is_dir() and any(p.name.startswith("pcm") for p in snd.iterdir()):
        return True
    if os.environ.get("PULSE_SERVER"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return runtime is not None and bool(runtime) \
        and Path(runtime, "pulse", "native").exists()


def _installed_voices(command: str) -> set[str]:
    out = subprocess.run([command, "--voices"], capture_output=True, text=True, timeout=10,
                         check=False).stdout
    return {line.split()[1] for line in out.splitlines()[1:] if len(line.split()) > 1}


def check_speech(ctx: DiagnosticsContext) -> CheckResult:
    """Fail when espeak-ng or a voice is missing or synthesis fails; warn when there is
    no player or sound device, or the live speaker's last playback failed."""
    speaker = ctx.get_speaker()  # the app's own, or (headless) one made and closed for us
    if speaker is None:  # the app runs without a speaker: off, or it could not start
        details: dict[str, object] = {"enabled": ctx.settings.speech.enabled,
                                      "command": ctx.settings.speech.command}
        if not ctx.settings.speech.enabled:
            return CheckResult("speech", CheckStatus.OK, "diagnostics.speech.disabled", details)
        return CheckResult("speech", CheckStatus.FAIL, "diagnostics.speech.missing", details)
    details = {"enabled": speaker.enabled, "command": speaker.command,
               "player": " ".join(speaker.player or []) or None, "voices": speaker.voices}
    if not speaker.enabled:
        return CheckResult("speech", CheckStatus.OK, "diagnostics.speech.disabled", details)
    if not speaker.available():
        return CheckResult("speech", CheckStatus.FAIL, "diagnostics.speech.missing", details)
    missing = sorted(set(speaker.voices.values()) - _installed_voices(speaker.command))
    if missing:
        details["missing_voices"] = missing
        return CheckResult("speech", CheckStatus.FAIL, "diagnostics.speech.no_voice",
                           details)
    synth_ms = {}
    with tempfile.TemporaryDirectory(prefix="kiosk-diag-") as tmp:
        for language, text in SAMPLES.items():
            started = time.perf_counter()
            try:
                speaker.synthesize_to_file(text, language, Path(tmp) / f"{language}.wav")
            except Exception as exc:  # the speaker's own error, by its kind
                if getattr(exc, "kind", None) != SYNTH_FAILED:
                    raise
                details["error"] = str(exc)
                return CheckResult("speech", CheckStatus.FAIL,
                                   "diagnostics.speech.synth_failed", details)
            synth_ms[language] = round((time.perf_counter() - started) * 1000, 1)
    details["synth_ms"] = synth_ms
    details["last_error"] = speaker.last_error
    if speaker.player is None:
        return CheckResult("speech", CheckStatus.WARN, "diagnostics.speech.no_player",
                           details)
    if not _audio_device_present():
        return CheckResult("speech", CheckStatus.WARN, "diagnostics.speech.no_device",
                           details)
    if speaker.last_error:
        return CheckResult("speech", CheckStatus.WARN, "diagnostics.speech.play_failed",
                           details)
    return CheckResult("speech", CheckStatus.OK, "diagnostics.speech.ok", details)
