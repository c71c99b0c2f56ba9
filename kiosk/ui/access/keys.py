"""The keypad's keys as Kivy sees them, and the configured map (``access.keys``).

Kivy (SDL2) key codes, measured with ``xdotool key NAME`` under Xvfb: the keypad's
digits arrive as 256-265 whether NumLock is on or off (xdotool toggles NumLock around
them), the top-row digits as 48-57.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.config import Settings
from kiosk.domain.keypad import KeyAction, parse_key_map

# One per name in kiosk.domain.keypad.KEY_NAMES (tests/ui/access checks it).
KIVY_CODES: dict[str, int] = {
    "Up": 273, "Down": 274, "Left": 276, "Right": 275, "Return": 13, "KP_Enter": 271,
    "BackSpace": 8, "Delete": 127, "space": 32, "Tab": 9, "KP_Add": 270,
    "KP_Subtract": 269, "KP_Multiply": 268, "KP_Divide": 267, "KP_Decimal": 266,
    "Home": 278, "End": 279, "Prior": 280, "Next": 281, "Insert": 277,
}
DIGIT_CODES: dict[int, str] = {**{48 + d: str(d) for d in range(10)},
                               **{256 + d: str(d) for d in range(10)},
                               # The keypad's decimal point types the X that ends some
                               # ID numbers (unless access.keys gives it an action).
                               KIVY_CODES["KP_Decimal"]: "X"}
# A key with one of these held is never the keypad's (ctrl+alt+BackSpace, alt+F4, a
# keyboard's shift+…): a keypad has no modifier keys.
BLOCKING_MODIFIERS = frozenset({"ctrl", "alt", "meta", "super", "shift"})
# The keypad's digits: xdotool (and some keypads) report a stale "alt" with KP_0.
DIGIT_BLOCKING_MODIFIERS = frozenset({"ctrl", "meta", "super", "shift"})


@dataclass(frozen=True)
class KeyMap:
    """Kivy key code → action, and the digit codes."""

    actions: dict[int, KeyAction]

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyMap:
        """The map of ``access.keys`` (validated when the settings were loaded)."""
        return cls({KIVY_CODES[name]: action
                    for name, action in parse_key_map(settings.access.keys).items()})

    def action(self, code: int, modifiers: list[str] | tuple[str, ...] = ()) -> KeyAction | None:
        """The action of a key press (None: not the keypad's, or a modifier held)."""
        if BLOCKING_MODIFIERS & set(modifiers):
            return None
        return self.actions.get(code)

    def digit(self, code: int, modifiers: list[str] | tuple[str, ...] = ()) -> str | None:
        """The digit (or X) a key press types (None: not one, a modifier held, or the
        key has an action)."""
        if DIGIT_BLOCKING_MODIFIERS & set(modifiers) or code in self.actions:
            return None
        return DIGIT_CODES.get(code)

    def lets_through(self, code: int, modifiers: list[str] | tuple[str, ...] = ()) -> bool:
        """Whether the lock-down passes this key to the keypad handler."""
        return self.action(code, modifiers) is not None or self.digit(code, modifiers) \
            is not None
