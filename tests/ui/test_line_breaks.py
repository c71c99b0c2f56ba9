"""Chinese line breaks (kiosk/ui/line_breaks.py), with a measure that counts a CJK
character as two columns and anything else as one: the issue's two cut words, the
punctuation rules, and properties over many widths of every Chinese text in the
catalog."""

from __future__ import annotations

import pytest

from kiosk.i18n import catalog
from kiosk.ui.line_breaks import CLOSING, MIN_LAST, OPENING, break_lines, has_cjk


def columns(text: str) -> float:
    return float(sum(2 if ord(c) > 0x2E80 else 1 for c in text))


def test_the_tile_hint_keeps_stop_settlement_together() -> None:
    text = "卡丢了？先在这里临时挂失，卡会马上停止结算"
    greedy_last = "结算"   # what a break wherever the line is full left alone
    lines = break_lines(text, 36, columns)
    assert lines[-1] != greedy_last and lines[-1].endswith("停止结算")
    assert "".join(lines) == text


def test_lapse_does_not_end_on_a_lone_character() -> None:
    text = "请在2026-12-05之前到服务网点办理正式挂失和补卡。过了这一天，临时挂失会自动失效。"
    for width in range(24, 80):
        lines = break_lines(text, width, columns)
        assert "".join(lines) == text
        assert all("2026-12-05" in line or "2026" not in line for line in lines)
        if len(lines) > 1:
            assert len(lines[-1].rstrip("。")) >= MIN_LAST, (width, lines)


def test_no_line_starts_with_closing_or_ends_with_opening_punctuation() -> None:
    text = "代办人带上您的身份证（原件和复印件）和他自己的身份证，原件和复印件都要带。"
    for width in range(10, 60):
        lines = break_lines(text, width, columns)
        assert "".join(lines) == text
        assert not any(line[:1] in CLOSING for line in lines[1:]), (width, lines)
        assert not any(line[-1:] in OPENING for line in lines[:-1]), (width, lines)


def test_latin_text_breaks_at_spaces_and_keeps_its_words() -> None:
    lines = break_lines("Call 96102 now to stop the card.", 12, columns)
    assert lines == ["Call 96102", "now to stop", "the card."]
    assert break_lines("", 10, columns) == [""]
    assert break_lines("一\n二", 10, columns) == ["一", "二"]


CHINESE = sorted({v for v in catalog("zh_CN").values() if has_cjk(v) and len(v) > 12})


@pytest.mark.parametrize("width", [20, 26, 34, 48, 70])
def test_every_chinese_message_breaks_by_the_rules(width: int) -> None:
    for text in CHINESE:
        lines = break_lines(text, width, columns)
        kept = "".join(text.split("\n"))
        assert "".join(lines).replace(" ", "") == kept.replace(" ", ""), text
        for line in lines:
            assert columns(line) <= width or " " not in line.strip(), (text, line)
        assert not any(line[:1] in CLOSING for line in lines[1:] if line), (text, lines)
