"""What the voice says and logs (Kivy-free): catalog keys and the language in the JSON
log, never the words; anything that looks like an ID, card or phone number scrubbed
from what is said; hidden characters said as a word; repeat; forgotten at session end."""

from __future__ import annotations

import json
import logging
from typing import Any

from kiosk.i18n import translate
from kiosk.logs import JsonMaskingFormatter
from kiosk.ui.access.voice import Say, Utterance, Voice


class Recorder:
    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []
        self.stops = 0

    def say(self, text: str, language: str) -> None:
        self.said.append((text, language))

    def stop(self) -> None:
        self.stops += 1


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonMaskingFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def _voice() -> tuple[Voice, Recorder, Lines]:
    rec, lines = Recorder(), Lines()
    logger = logging.getLogger("kiosk.access")
    logger.setLevel(logging.INFO)
    logger.addHandler(lines)
    return Voice(translate, lambda: rec), rec, lines


def test_words_are_said_keys_are_logged_never_the_data():
    voice, rec, lines = _voice()
    try:
        words = voice.say(Utterance("focus", (
            Say(text="110105198503071230"), Say(text="王**"),
            Say("journeys.pin.card", {"card": "X00000019"}),
            Say("journeys.done.reference", {"reference": "YGS20261207123456"}),
            Say(text="13812348820"), Say("access.role.button")), "pre_loss_cards"), "zh_CN")
        assert "110105198503071230" not in words and "19850307" not in words
        assert "X00000019" not in words and "13812348820" not in words
        assert "王 隐去" in words and "YGS20261207123456" in words  # a reference is said
        assert rec.said == [(words, "zh_CN")]
        line = [entry for entry in lines.lines if entry["event"] == "speech"][-1]
        assert line["fields"] == {
            "kind": "focus", "lang": "zh_CN", "screen": "pre_loss_cards",
            "keys": "data,data,journeys.pin.card,journeys.done.reference,data,"
                    "access.role.button"}
        assert "王" not in json.dumps(line, ensure_ascii=False)
    finally:
        logging.getLogger("kiosk.access").removeHandler(lines)


def test_repeat_says_the_last_utterance_until_the_session_ends():
    voice, rec, lines = _voice()
    try:
        assert voice.repeat() is None
        first = voice.say(Utterance("screen", (Say("access.digit.typed",
                                                   {"count": 3, "total": 6}),)), "en")
        assert first == "Digit 3 of 6."
        assert voice.repeat() == first
        assert [e["fields"]["kind"] for e in lines.lines if e["event"] == "speech"] \
            == ["screen", "repeat"]
        voice.forget()  # session end: the next person hears nothing of this one
        assert voice.repeat() is None and rec.stops == 1
    finally:
        logging.getLogger("kiosk.access").removeHandler(lines)


def test_chinese_sentences_join_without_spaces_and_end_with_a_stop():
    voice, _rec, lines = _voice()
    try:
        words = voice.render(Utterance("screen", (Say("access.purpose.attract"),
                                                  Say("access.screen.choices",
                                                      {"count": 4}))), "zh_CN")
        assert words == "本机可以办理社保卡挂失，查询新卡进度，阅读办事指南。本页有 4 个可选项。"
    finally:
        logging.getLogger("kiosk.access").removeHandler(lines)
