"""The accessibility keypad's map (access.keys): what is accepted, what is refused."""

from __future__ import annotations

import pytest

from kiosk.config import ConfigError, load_settings
from kiosk.domain.keypad import DEFAULT_KEYS, KEY_NAMES, KeyAction, digit_of, parse_key_map
from kiosk.ui.access.keys import KIVY_CODES, KeyMap


def test_the_default_map_is_the_issues():
    m = parse_key_map(DEFAULT_KEYS)
    assert m == {"Up": KeyAction.PREVIOUS, "Down": KeyAction.NEXT,
                 "Return": KeyAction.ACTIVATE, "KP_Enter": KeyAction.ACTIVATE,
                 "Left": KeyAction.BACK, "BackSpace": KeyAction.BACK,
                 "KP_Add": KeyAction.HELP, "KP_Subtract": KeyAction.REPEAT,
                 "KP_Multiply": KeyAction.SLOWER, "KP_Divide": KeyAction.FASTER}
    assert load_settings(environ={}).access.keys == DEFAULT_KEYS


@pytest.mark.parametrize(("entries", "says"), [
    (["Up"], "expected KeyName=action"),
    (["F1=help"], "unknown key 'F1'"),
    (["Up=jump"], "unknown action 'jump'"),
    (["KP_5=help"], "digits always type"),
    ([*DEFAULT_KEYS, "Up=next"], "Up is mapped twice"),
    ([e for e in DEFAULT_KEYS if not e.endswith("=help")], "no key for help"),
])
def test_a_bad_map_is_refused_in_one_line(entries, says):
    with pytest.raises(ValueError, match=says):
        parse_key_map(entries)
    value = "[" + ", ".join(f'"{e}"' for e in entries) + "]"
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"KIOSK__ACCESS__KEYS": value})
    assert "access.keys" in str(err.value) and "\n" not in str(err.value)


def test_a_site_may_remap_within_the_vocabulary():
    keys = [e for e in DEFAULT_KEYS if not e.startswith("KP_Add")] + ["Insert=help"]
    s = load_settings(environ={"KIOSK__ACCESS__KEYS": "[" + ", ".join(
        f'"{e}"' for e in keys) + "]"})
    km = KeyMap.from_settings(s)
    assert km.action(KIVY_CODES["Insert"]) is KeyAction.HELP
    assert km.action(KIVY_CODES["KP_Add"]) is None  # no longer the keypad's
    assert not km.lets_through(KIVY_CODES["KP_Add"])


def test_kivy_codes_modifiers_and_digits():
    assert set(KIVY_CODES) == set(KEY_NAMES)
    km = KeyMap.from_settings(load_settings(environ={}))
    assert km.action(274) is KeyAction.NEXT and km.action(270) is KeyAction.HELP
    for held in (["ctrl"], ["alt"], ["super"], ["meta"], ["shift"], ["ctrl", "alt"]):
        assert km.action(8, held) is None  # ctrl+alt+BackSpace is not "back"
        assert not km.lets_through(274, held)
    assert km.action(274, ["numlock"]) is KeyAction.NEXT  # NumLock is not a modifier
    assert [km.digit(c) for c in (48, 57, 256, 265)] == ["0", "9", "0", "9"]
    assert km.digit(256, ["alt"]) == "0"  # xdotool's stale alt on KP_0
    assert km.digit(256, ["ctrl"]) is None
    assert km.digit(KIVY_CODES["KP_Decimal"]) == "X"  # the X of an ID number
    for code in (282, 27, 9, 32, 101, 283):  # F1, Escape, Tab, space, e, F2
        assert not km.lets_through(code), code
    assert digit_of("KP_7") == "7" and digit_of("Up") is None
