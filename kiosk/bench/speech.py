"""``kiosk bench speech``: espeak-ng synthesis time per language and voice.

Measures ``Speaker.synthesize_to_file`` (espeak-ng to a WAV file) for the same notice in
each language, with the voice the kiosk uses and, for Mandarin, the rejected ``cmn``
voice too; reports the audio length (sox) and whether the phonemes switch to English
(``(en)`` in ``espeak-ng -x``), which is why ``cmn`` was rejected.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TypedDict

from kiosk.config import load_settings
from kiosk.devices import speech

TEXTS = {"zh_CN": "您的社保卡已临时挂失，卡片的结算功能已停止。请在十日内携带身份证到服务网点"
                  "办理正式挂失。服务热线96102。",
         "en": "Your card is now pre-lost and can no longer be used for payments. Within ten "
               "days, bring your ID card to an outlet. Hotline 96102."}
CASES = (("zh_CN", "cmn-latn-pinyin"), ("zh_CN", "cmn"), ("en", "en-us"))


class VoiceFigures(TypedDict):
    """One voice's synthesis figures."""

    median_ms: float
    max_ms: float
    audio_s: float
    ms_per_audio_s: float
    english_switches: int
    runs: int


def _seconds(path: Path) -> float:
    out = subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout)


def run(args: argparse.Namespace) -> int:
    runs = getattr(args, "runs", None) or 20
    settings = load_settings(getattr(args, "config", None))
    figures: dict[str, VoiceFigures] = {}
    original = dict(speech.VOICES)
    sp = speech.Speaker(dataclasses.replace(settings, speech=dataclasses.replace(
        settings.speech, enabled=True)))
    try:
        with tempfile.TemporaryDirectory(prefix="kiosk-bench-speech-") as tmp:
            for language, voice in CASES:
                speech.VOICES[language] = voice
                path = Path(tmp) / f"{voice}.wav"
                samples = []
                for _ in range(runs):
                    started = time.perf_counter()
                    sp.synthesize_to_file(TEXTS[language], language, path)
                    samples.append((time.perf_counter() - started) * 1000)
                phonemes = subprocess.run(
                    [sp.command, "-q", "-x", "-v", voice, speech.speakable(TEXTS[language])],
                    capture_output=True, text=True, check=False).stdout
                audio = _seconds(path)
                figures[f"{language}/{voice}"] = {
                    "median_ms": round(statistics.median(samples), 1),
                    "max_ms": round(max(samples), 1), "audio_s": round(audio, 2),
                    "ms_per_audio_s": round(statistics.median(samples) / audio, 2),
                    "english_switches": phonemes.count("(en)"), "runs": runs}
    finally:
        speech.VOICES.clear()
        speech.VOICES.update(original)
        sp.close()
    if getattr(args, "json", False):
        print(json.dumps({"speech": figures}, ensure_ascii=False))
    else:
        print(f"speech (espeak-ng to WAV, {runs} runs each)")
        for name, f in figures.items():
            used = " (used)" if name.split("/")[1] in original.values() else " (rejected)"
            print(f"  {name:22s} median {f['median_ms']:6.1f} ms  max {f['max_ms']:6.1f} ms"
                  f"  audio {f['audio_s']:5.2f} s  English switches {f['english_switches']:2d}"
                  f"{used}")
    return 0
