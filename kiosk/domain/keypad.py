"""The accessibility keypad's vocabulary: what each key does (the "EZ Access" pattern).

A tactile keypad beside the screen lets a cardholder who cannot see it use every
cardholder screen: up/down move through the elements, a round key acts, back and help
keys, the digits type wherever a number is asked. The map of key → action is site
configuration (``access.keys``, entries ``"KeyName=action"``); key names are X keysym
names (what ``xdotool key`` and ``xev`` print). The keypad's decimal point
(``KP_Decimal``) types the X that ends some ID numbers, unless the map gives it an
action. Pure data, no I/O: the UI maps names to its toolkit's key codes
(``kiosk/ui/access/keys.py``), the config validates entries here.
"""

from __future__ import annotations

from enum import StrEnum


class KeyAction(StrEnum):
    """What a mapped key does."""

    NEXT = "next"            # focus the next element (and say it)
    PREVIOUS = "previous"    # focus the previous element
    ACTIVATE = "activate"    # press the focused element
    BACK = "back"            # the screen's back (or delete the last digit typed)
    HELP = "help"            # call staff (一键呼叫)
    REPEAT = "repeat"        # say again what was said last
    SLOWER = "slower"        # slower speech
    FASTER = "faster"        # faster speech


# Key names the kiosk knows (X keysym names). Digits 0-9 and KP_0-KP_9 always type.
KEY_NAMES: tuple[str, ...] = (
    "Up", "Down", "Left", "Right", "Return", "KP_Enter", "BackSpace", "Delete", "space",
    "Tab", "KP_Add", "KP_Subtract", "KP_Multiply", "KP_Divide", "KP_Decimal",
    "Home", "End", "Prior", "Next", "Insert",
)
DIGIT_NAMES: tuple[str, ...] = (tuple(str(d) for d in range(10))
                                + tuple(f"KP_{d}" for d in range(10)))

DEFAULT_KEYS: tuple[str, ...] = (
    "Up=previous", "Down=next", "Return=activate", "KP_Enter=activate",
    "Left=back", "BackSpace=back", "KP_Add=help", "KP_Subtract=repeat",
    "KP_Multiply=slower", "KP_Divide=faster",
)


def parse_key_map(entries: tuple[str, ...] | list[str]) -> dict[str, KeyAction]:
    """``("Up=previous", …)`` → ``{"Up": KeyAction.PREVIOUS, …}``.

    Raises ValueError (one line) for an unknown key or action, a key mapped twice, a
    digit (digits always type) or an action left without a key: a blind cardholder must
    be able to move, act, go back and call for help whatever the site changed."""
    out: dict[str, KeyAction] = {}
    for entry in entries:
        name, sep, action = (part.strip() for part in entry.partition("="))
        if not sep or not name or not action:
            raise ValueError(f"expected KeyName=action, got {entry!r}")
        if name in DIGIT_NAMES:
            raise ValueError(f"{name} is a digit: digits always type numbers")
        if name not in KEY_NAMES:
            raise ValueError(f"unknown key {name!r} (known: {', '.join(KEY_NAMES)})")
        try:
            act = KeyAction(action)
        except ValueError:
            raise ValueError(f"unknown action {action!r} (known: "
                             f"{', '.join(a.value for a in KeyAction)})") from None
        if name in out:
            raise ValueError(f"{name} is mapped twice")
        out[name] = act
    missing = [a.value for a in KeyAction if a not in out.values()]
    if missing:
        raise ValueError(f"no key for {', '.join(missing)}")
    return out


def digit_of(name: str) -> str | None:
    """The digit a key types ("7" for ``7`` and ``KP_7``), else None."""
    if name in DIGIT_NAMES:
        return name[-1]
    return None
