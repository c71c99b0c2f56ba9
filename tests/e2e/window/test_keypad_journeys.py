"""Every journey with the accessibility keypad only, in the real window: real key
presses (xdotool) through the production lock-down, real cards on the private pcscd,
the sandbox over HTTP. Each screen on the way is announced (title, purpose, choices),
each focus change is said, and nothing said or logged holds a full name or number."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.personas import load_personas, persona
from tests.e2e.window.conftest import Journey
from tests.essc import test_window as essc_window
from tests.essc.test_window import Essc
from tests.fixtures.access import (
    Heard,
    choose,
    focus_on,
    keypad_digits,
    needs_xdotool,
    point_at_window,
    press,
)

pytestmark = [pytest.mark.ui, needs_xdotool]
essc = essc_window.essc  # the e-SSC rig (a virtual QR scanner) of tests/essc
PERSONAL = ("name", "id_number", "card_number", "phone", "address")


def _secrets(who: str) -> set[str]:
    """Every name and number of a persona (what must never be said or logged)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in PERSONAL and isinstance(value, str) and len(value) >= 2:
                    found.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(persona(who))
    return found


def _nothing_personal(heard: Heard, *people: str) -> None:
    words = heard.words()
    logged = "\n".join(str(line) for line in heard.logged)
    for who in people:
        for secret in _secrets(who):
            assert secret not in words, f"{who}: said {secret!r}"
            assert secret not in logged, f"{who}: logged {secret!r}"


def _start(j: Journey) -> None:
    point_at_window(j.ui)
    press(j.ui, "Down")  # the first key: non-visual mode on, the start screen said
    assert j.app.nonvisual


def _announced(heard: Heard, *screens: str) -> None:
    """Each of ``screens`` was announced, in this order, with its title, purpose and
    number of choices (the JSON log's catalog keys)."""
    said = heard.screens()
    at = 0
    for name in screens:
        assert name in said[at:], f"{name} not announced after {said[:at]}: {said}"
        at = said.index(name, at) + 1
    for line in heard.logged:
        f = line["fields"]
        if line["event"] == "speech" and f["kind"] == "screen":
            keys = f["keys"].split(",")
            assert "access.screen.choices" in keys, line
            assert f"access.purpose.{f['screen']}" in keys, line
            assert f["lang"] in ("zh_CN", "en")


def _every_focus_said(j: Journey, heard: Heard) -> None:
    """Go through every element of the shown screen: each move is one focus utterance
    naming the focused element's catalog key (or its data)."""
    from kiosk.ui.access import elements

    items = elements.stops(j.app)
    for _ in items:
        before = len(heard.logged)
        press(j.ui, "Down")
        new = [e for e in heard.logged[before:] if e["event"] == "speech"]
        assert [e["fields"]["kind"] for e in new] == ["focus"]
        key = getattr(j.app.access.focused, "key", None)
        if key is not None:  # a label or button: its catalog key, or "data" for raw text
            assert (key or "data") in new[0]["fields"]["keys"].split(",")


def test_pre_loss_by_id_card_with_the_keypad_only(journey: Journey, heard: Heard) -> None:
    j = journey
    _start(j)
    choose(j.ui, "attract.pre_loss")
    j.screen("pre_loss")
    j.slots.insert("normal", "id")
    j.screen("pre_loss_cards")
    j.ui.pump_frames(3)
    _every_focus_said(j, heard)
    choose(j.ui, "journeys.cards.choose")
    j.screen("pre_loss_consequences")
    j.ui.pump_frames(3)
    choose(j.ui, "journeys.consequences.confirm")
    j.screen("pre_loss_done", 15)
    j.ui.pump_frames(3)
    assert [r["card_number"] for r in j.new_pre_losses()] == ["X00000019"]
    _announced(heard, "attract", "pre_loss", "pre_loss_cards", "pre_loss_consequences",
               "pre_loss_done")
    words = heard.words()
    assert "王 隐去" in words and "隐去 0019" in words  # masked, said as masked
    assert j.new_pre_losses()[0]["reference"] in words  # the reference is said whole
    # A change on the same screen is said when it happens (the receipt, once printed).
    j.ui.wait_until(lambda: "回执已打印" in heard.words(), 10, "the receipt said")
    _nothing_personal(heard, "normal")


def test_pre_loss_by_typed_id_number_and_sms_code(journey: Journey, heard: Heard) -> None:
    j = journey
    number = persona("x_check")["id"]["id_number"]  # ends in X: the decimal point key
    _start(j)
    choose(j.ui, "attract.pre_loss")
    j.screen("pre_loss")
    choose(j.ui, "journeys.identify.use_keypad")
    j.screen("identify_keypad")
    j.ui.pump_frames(3)
    typed = [k if k != "KP_X" else "KP_Decimal" for k in keypad_digits(number)]
    before = len(heard.said)
    press(j.ui, *typed)
    digits = [w for kind, _, w in heard.said[before:] if kind == "digit"]
    assert digits[0] == "已输入第 1 位，共 18 位。" and digits[-1] == "已输入第 18 位，共 18 位。"
    assert len(digits) == 18
    assert j.app.sm.current_screen.ids.keypad.value == number
    press(j.ui, "BackSpace")  # back deletes the last character typed first
    assert heard.said[-1][2] == "已删除一位，现在是 17 位，共 18 位。"
    press(j.ui, "KP_Decimal")
    choose(j.ui, "journeys.keypad.submit")
    j.screen("identify_code")
    j.ui.pump_frames(3)
    code = j.sandbox.store.last_code()["code"]
    press(j.ui, *keypad_digits(code))
    choose(j.ui, "journeys.code.submit")
    j.screen("pre_loss_cards")
    _announced(heard, "pre_loss", "identify_keypad", "identify_code", "pre_loss_cards")
    _nothing_personal(heard, "x_check")
    assert code not in heard.words().replace(" ", "")


def test_replacement_status_with_the_keypad_only(journey: Journey, heard: Heard) -> None:
    j = journey
    _start(j)
    choose(j.ui, "attract.status")
    j.screen("status")
    j.slots.insert("replacement", "id")
    j.screen("status_progress")
    j.ui.pump_frames(3)
    _every_focus_said(j, heard)
    assert "东城区社保卡服务网点" in heard.words()
    _announced(heard, "attract", "status", "status_progress")
    _nothing_personal(heard, "replacement")


def test_cancel_with_a_keypad_pin(journey: Journey, heard: Heard) -> None:
    j = journey
    _start(j)
    choose(j.ui, "attract.cancel_pre_loss")
    j.screen("cancel_pre_loss")
    j.slots.insert("pin_one_try", "ssc")
    j.screen("cancel_pin")
    j.ui.pump_frames(3)
    before = len(heard.said)
    press(j.ui, *keypad_digits("123456"))
    pin_words = [w for kind, _, w in heard.said[before:]]
    assert pin_words == [f"已输入第 {n} 位，共 6 位。" for n in range(1, 7)]
    press(j.ui, "KP_7")  # a seventh digit: "all 6 typed", and still no digit said
    assert heard.said[-1][2] == "6 位已全部输入。"
    focus_on(j.ui, "journeys.pin.submit")
    press(j.ui, "Return")
    j.screen("cancel_id")
    j.slots.insert("pin_one_try", "id")
    j.screen("cancel_confirm")
    j.ui.pump_frames(3)
    choose(j.ui, "journeys.cancel.confirm")
    j.screen("cancel_done", 15)
    j.ui.pump_frames(3)
    assert [c["card_number"] for c in j.new_cancellations()] == ["X00000060"]
    _announced(heard, "cancel_pre_loss", "cancel_pin", "cancel_id", "cancel_confirm",
               "cancel_done")
    _nothing_personal(heard, "pin_one_try")
    assert all("123456" not in line.replace(" ", "") for line in heard.words().splitlines())


def test_guidance_with_the_keypad_only(journey: Journey, heard: Heard) -> None:
    j = journey
    _start(j)
    choose(j.ui, "attract.guide")
    j.screen("guide")
    j.ui.pump_frames(3)
    access = j.app.access
    for _ in range(20):
        if getattr(access.focused, "topic", "") == "proxy":
            break
        press(j.ui, "Down")
    assert access.focused.topic == "proxy"
    assert heard.said[-1][2].endswith("按钮。")  # a topic is a button, said with its title
    press(j.ui, "Return")
    j.screen("guidance_topic")
    j.ui.pump_frames(3)
    _every_focus_said(j, heard)
    press(j.ui, "Left")  # back: to the list of topics
    j.screen("guide")
    _announced(heard, "attract", "guide", "guidance_topic", "guide")


def test_essc_identification_with_the_keypad_only(essc: Essc, heard: Heard) -> None:
    j = essc
    _start(j)
    j.scan("normal")
    j.screen("essc_choose")
    j.ui.pump_frames(3)
    choose(j.ui, "essc.choose.pre_loss")
    j.screen("pre_loss_cards")
    j.ui.pump_frames(3)
    choose(j.ui, "journeys.cards.choose")
    j.screen("pre_loss_consequences")
    j.ui.pump_frames(3)
    choose(j.ui, "journeys.consequences.confirm")
    j.screen("pre_loss_done", 15)
    j.ui.pump_frames(3)
    _announced(heard, "attract", "essc_choose", "pre_loss_cards", "pre_loss_consequences",
               "pre_loss_done")
    _nothing_personal(heard, "normal")


@pytest.mark.parametrize("who", sorted(p for p, d in load_personas().items() if "id" in d))
def test_nothing_personal_is_said_for_any_persona(journey: Journey, heard: Heard,
                                                   who: str) -> None:
    """Every persona with an ID card, through pre-loss identification with the keypad:
    every element of the screen that follows is said, none with a name or number."""
    j = journey
    _start(j)
    choose(j.ui, "attract.pre_loss")
    j.screen("pre_loss")
    j.slots.insert(who, "id")
    j.ui.wait_until(lambda: j.app.sm.current not in ("pre_loss", "journey_busy"), 10,
                    "the next screen")
    j.ui.pump_frames(3)
    _every_focus_said(j, heard)
    _nothing_personal(heard, who)
