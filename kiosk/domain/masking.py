"""Masking personal data for display and logs. One place for every mask."""

from __future__ import annotations

import re


def mask_id_number(value: str) -> str:
    """``110105199001011234`` → ``110105********1234`` (region and last four kept)."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_card_number(value: str) -> str:
    """``X00000019`` → ``X*****019``: first and last three kept."""
    if len(value) <= 4:
        return "*" * len(value)
    return value[:1] + "*" * (len(value) - 4) + value[-3:]


def mask_name(value: str) -> str:
    """``张三丰`` → ``张**``; ``Li Lei`` → ``L*****``: only the first character shown."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


# Patterns that look like personal data inside free text (log messages, exceptions).
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_CARD_RE = re.compile(r"(?<![0-9A-Za-z])([A-Z])(\d{8})(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_LONG_DIGITS_RE = re.compile(r"(?<!\d)\d{12,}(?!\d)")


def scrub_text(text: str) -> str:
    """Mask anything in free text that looks like an ID, card or phone number."""
    text = _ID_RE.sub(lambda m: m.group(1) + "********" + m.group(3)[-4:], text)
    text = _CARD_RE.sub(lambda m: m.group(1) + "*****" + m.group(2)[-3:], text)
    text = _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    text = _LONG_DIGITS_RE.sub(lambda m: "*" * len(m.group(0)), text)
    return text
