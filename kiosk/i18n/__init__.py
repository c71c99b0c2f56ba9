"""One i18n mechanism for every user-visible text: Simplified Chinese (default) and English.

Catalogs are TOML files ``kiosk/i18n/<lang>/<area>.toml``; nested tables become dotted
keys (``[attract] title = "…"`` → ``attract.title``). Each area file is owned by one
layer (``common``, ``cards``, ``central``, ``journeys``, ``diagnostics`` …). Placeholders
use ``str.format`` names: ``"{days} 个工作日"``. ``tests/test_i18n.py`` checks that every
key exists in every language with the same placeholders.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path

LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"
_HERE = Path(__file__).parent
# Full-width punctuation carries its own spacing: no ASCII space after it in Chinese.
_ZH_PUNCT_SPACE = re.compile(r"([。，；：！？、）」”])[ \t]+")


def join_sentences(parts: Iterable[str], language: str = DEFAULT_LANGUAGE) -> str:
    """Sentences as one text, the way the language writes them: Chinese sentences follow
    each other with no space (their punctuation is full-width), English ones with one.
    Empty parts are left out. The one way to join sentences for the screen or speech."""
    texts = [p.strip() for p in parts if p and p.strip()]
    if language.startswith("zh"):
        return tidy("".join(texts), language)
    return " ".join(texts)


def tidy(text: str, language: str = DEFAULT_LANGUAGE) -> str:
    """``text`` without ASCII spaces after full-width punctuation (Chinese only)."""
    return _ZH_PUNCT_SPACE.sub(r"\1", text) if language.startswith("zh") else text


def _flatten(prefix: str, table: Mapping[str, object], out: dict[str, str]) -> None:
    for key, value in table.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(dotted, value, out)
        else:
            out[dotted] = str(value)


@cache
def catalog(language: str) -> dict[str, str]:
    """All messages of one language, by dotted key."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    out: dict[str, str] = {}
    for path in sorted((_HERE / language).glob("*.toml")):
        with path.open("rb") as fh:
            _flatten("", tomllib.load(fh), out)
    return {key: tidy(message, language) for key, message in out.items()}


def placeholders(message: str) -> set[str]:
    """Names of the ``{placeholders}`` in a message."""
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def translate(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The message for ``key`` in ``language``; a missing key shows as itself in brackets
    (visible in screenshots and caught by the completeness test, never a crash)."""
    message = catalog(language).get(key)
    if message is None:
        return f"[{key}]"
    try:
        return message.format(**values) if values else message
    except (KeyError, IndexError, ValueError):
        return message


class Translator:
    """The current language, with listeners told when it changes (the UI re-renders)."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self._language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._listeners: list[Callable[[str], None]] = []

    @property
    def language(self) -> str:
        return self._language

    def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        if language != self._language:
            self._language = language
            for listener in list(self._listeners):
                listener(language)

    def subscribe(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)

    def __call__(self, key: str, **values: object) -> str:
        return translate(key, self._language, **values)
