"""What the kiosk says in non-visual mode, as catalog keys: composed, masked, logged.

An :class:`Utterance` is a list of :class:`Say` parts, each a catalog key with its
values, or a text already on the screen (masked data such as ``王**`` or
``*****0019``, never more). :class:`Voice` renders it in the session's language, scrubs
anything that looks like an ID, card or phone number (defence in depth: screens show
only masked values), hands it to the speaker (the newest utterance interrupts the one
playing) and logs one JSON event per utterance with its kind, the catalog keys and the
language, never the words. The last utterance is kept for "repeat" until the session
ends. Kivy-free: tests drive it with a recording speaker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from kiosk.domain.masking import scrub_text
from kiosk.i18n import join_sentences
from kiosk.logs import error_fields, get_logger

log = get_logger("kiosk.access")
SPEECH_EVENT = "speech"
_HIDDEN_RUN = re.compile(r"[*●]+")
_EMPTY: Mapping[str, object] = MappingProxyType({})
# Placeholder values said as they are: counts, dates, times, money, the hotline and the
# service's reference number (the cardholder needs it; it names no one). Every other
# value, and every text from the screen, is scrubbed of anything that looks like an ID,
# card or phone number first.
PLAIN_VALUES = frozenset({"count", "total", "tries", "days", "date", "time", "fee",
                          "hotline", "reference", "seconds", "page", "region"})


@dataclass(frozen=True)
class Say:
    """One part: a catalog ``key`` with ``values``, or (``key`` empty) ``text`` from the
    screen, which is masked there already."""

    key: str = ""
    values: Mapping[str, object] = field(default_factory=lambda: _EMPTY)
    text: str = ""


@dataclass(frozen=True)
class Utterance:
    """What is said at once: ``kind`` (screen, focus, digit, notice, help, repeat, rate)
    and its parts, in order."""

    kind: str
    parts: tuple[Say, ...]
    screen: str = ""

    @property
    def keys(self) -> list[str]:
        """The catalog keys, in order ("data" for a text from the screen)."""
        return [p.key or "data" for p in self.parts]


class SpeakerPort(Protocol):
    """What the voice needs of a speaker (kiosk.devices.speech.Speaker has it)."""

    def say(self, text: str, language: str) -> None: ...

    def stop(self) -> None: ...


Translate = Callable[..., str]  # (key, language, **values) -> text
Listener = Callable[[Utterance, str, str], None]  # (utterance, text, language)


class Voice:
    """Says utterances through ``speaker()`` (looked up at each call: the app's parts
    change) and logs them; ``listeners`` hear every utterance (tests capture words)."""

    def __init__(self, translate: Translate,
                 speaker: Callable[[], SpeakerPort | None]) -> None:
        self.translate = translate
        self.speaker = speaker
        self.last: tuple[Utterance, str] | None = None
        self.listeners: list[Listener] = []
        self.spoken = 0

    def render(self, utterance: Utterance, language: str) -> str:
        """The words, in ``language``; hidden characters said as a word."""
        hidden = self.translate("access.speech.hidden", language)
        texts = []
        for part in utterance.parts:
            if part.key:
                values = {name: value if name in PLAIN_VALUES else scrub_text(str(value))
                          for name, value in part.values.items()}
                text = self.translate(part.key, language, **values)
            else:
                text = scrub_text(part.text)
            texts.append(_HIDDEN_RUN.sub(f" {hidden} ", text).strip())
        return join_sentences((t if t.endswith(_STOPS) else t + _stop(language)
                               for t in texts if t), language)

    def say(self, utterance: Utterance, language: str) -> str:
        """Say ``utterance`` now (interrupting whatever plays); returns the words."""
        text = self.render(utterance, language)
        if utterance.kind != "repeat":
            self.last = (utterance, language)
        self._out(utterance, text, language)
        return text

    def repeat(self) -> str | None:
        """Say the last utterance again (None when nothing was said this session)."""
        if self.last is None:
            return None
        utterance, language = self.last
        again = Utterance("repeat", utterance.parts, utterance.screen)
        text = self.render(again, language)
        self._out(again, text, language)
        return text

    def stop(self) -> None:
        """Silence (the next key interrupts speech even when it says nothing new)."""
        speaker = self.speaker()
        if speaker is not None:
            try:
                speaker.stop()
            except Exception as exc:
                log.warning("speech stop failed", extra={"fields": error_fields(exc)})

    def forget(self) -> None:
        """Session end: nothing of this session is repeated to the next person."""
        self.last = None
        self.stop()

    def _out(self, utterance: Utterance, text: str, language: str) -> None:
        self.spoken += 1
        log.info(SPEECH_EVENT, extra={"fields": {
            "kind": utterance.kind, "keys": ",".join(utterance.keys), "lang": language,
            "screen": utterance.screen}})
        speaker = self.speaker()
        if speaker is not None:
            try:
                speaker.say(text, language)
            except Exception as exc:  # speech must never break the screen
                log.warning("speech failed", extra={"fields": error_fields(exc)})
        for listener in list(self.listeners):
            listener(utterance, text, language)


_STOPS = ("。", "！", "？", ".", "!", "?", "：", ":")


def _stop(language: str) -> str:
    return "。" if language.startswith("zh") else "."
