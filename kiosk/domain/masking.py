"""Masking personal data for display and logs. One place for every mask."""

from __future__ import annotations

import re


def _keep_ends(value: str, head: int, tail: int, hidden: int) -> str:
    """``value`` with only its first ``head`` and last ``tail`` characters shown, and
    only when at least ``hidden`` characters stay masked between them (as many as on a
    well-formed value); anything shorter is masked whole, so a short or truncated value
    never shows more of itself than a full one does."""
    if len(value) < head + hidden + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail:]


def mask_id_number(value: str) -> str:
    """``110105199001011234`` → ``110105********1234`` (region and last four kept)."""
    return _keep_ends(value, 6, 4, hidden=8)


def mask_card_number(value: str) -> str:
    """``X00000019`` → ``*****0019``: only the last four characters shown, the length
    kept (layouts don't move); shorter than a card number (9) is masked whole."""
    return _keep_ends(value, 0, 4, hidden=5)


def mask_name(value: str) -> str:
    """``张三丰`` → ``张**``; ``Li Lei`` → ``L*****``: only the first character shown
    (a one-character name is masked whole)."""
    return _keep_ends(value, 1, 0, hidden=1)


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    return _keep_ends(value, 3, 4, hidden=4)


# Patterns that look like personal data inside free text (log messages, exceptions).
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_CARD_RE = re.compile(r"(?<![0-9A-Za-z])([A-Z])(\d{8})(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_LONG_DIGITS_RE = re.compile(r"(?<!\d)\d{12,}(?!\d)")


def scrub_text(text: str) -> str:
    """Mask anything in free text that looks like an ID, card or phone number."""
    text = _ID_RE.sub(lambda m: m.group(1) + "********" + m.group(3), text)
    text = _CARD_RE.sub(lambda m: "*****" + m.group(2)[-4:], text)
    text = _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    text = _LONG_DIGITS_RE.sub(lambda m: "*" * len(m.group(0)), text)
    return text
