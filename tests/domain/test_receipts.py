"""Pre-loss receipt model and rendering: masked, both languages, QR = reference only."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.receipts import (
    PreLossReceipt,
    ReceiptStatus,
    display_width,
    render_receipt,
    render_test_page,
    wrap_line,
)
from kiosk.i18n import catalog, placeholders
from kiosk.personas import load_personas


def _receipt(status: str = "confirmed", card: str = "X00000019") -> PreLossReceipt:
    return PreLossReceipt.create(
        reference="PL-1", card_number=card, created_at=dt.datetime(2026, 11, 25, 9, 5),
        lapse_date=dt.date(2026, 12, 5), hotline="96102", status=status)


def test_card_number_is_masked_and_qr_is_the_reference():
    r = _receipt()
    assert r.masked_card_number == "*****0019"
    assert r.qr_payload == "PL-1"
    assert r.status is ReceiptStatus.CONFIRMED


def test_an_unmasked_number_is_refused():
    with pytest.raises(ValueError):
        PreLossReceipt(reference="PL-1", masked_card_number="X00000019",
                       created_at=dt.datetime(2026, 1, 1), lapse_date=dt.date(2026, 1, 11),
                       hotline="96102", status=ReceiptStatus.PENDING)
    with pytest.raises(ValueError):
        PreLossReceipt(reference="PL-1", masked_card_number="X*0000019",
                       created_at=dt.datetime(2026, 1, 1), lapse_date=dt.date(2026, 1, 11),
                       hotline="96102", status=ReceiptStatus.PENDING)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("status", ["confirmed", "pending"])
def test_rendering_in_both_languages(language, status):
    out = render_receipt(_receipt(status), language)
    text = out.all_text()
    assert "[" not in text  # no missing catalog key
    assert "*****0019" in text and "2026-12-05" in text and "96102" in text
    assert "2026-11-25 09:05" in text
    assert len(out.next_steps) == 4


def test_pending_and_confirmed_say_different_things():
    a = render_receipt(_receipt("confirmed"), "zh_CN").all_text()
    b = render_receipt(_receipt("pending"), "zh_CN").all_text()
    assert "已确认" in a and "等待" in b


def test_no_persona_number_survives_rendering():
    for person in load_personas().values():
        for card in person.get("central", {}).get("cards", []):
            if not card["card_number"]:
                continue
            text = render_receipt(_receipt(card=card["card_number"]), "en").all_text()
            assert card["card_number"] not in text


def test_test_page_renders_without_missing_keys():
    page = render_test_page("en", "T-1", dt.datetime(2026, 11, 25, 9, 0), "0.1.0")
    assert "[" not in page.all_text() and "T-1" in page.all_text()


def test_receipt_catalogs_match_across_languages():
    zh = {k: v for k, v in catalog("zh_CN").items() if k.startswith("receipts.")}
    en = {k: v for k, v in catalog("en").items() if k.startswith("receipts.")}
    assert zh.keys() == en.keys()
    for key in zh:
        assert placeholders(zh[key]) == placeholders(en[key]), key


def test_wrap_counts_cjk_as_two_columns():
    assert display_width("社保A") == 5
    lines = wrap_line("社" * 20, 32)
    assert [display_width(x) for x in lines] == [32, 8]
    assert wrap_line("") == [""]
    assert wrap_line("a b", 32) == ["a b"]


# --- wrapping: nothing dropped, nothing too wide, breaks only where needed -------------

_RECEIPT_TEXT = st.text(st.sampled_from("ab Z9.中文社保卡，。\u3000"), max_size=120)


@settings(max_examples=400, deadline=None, database=None)
@given(_RECEIPT_TEXT, st.integers(2, 40))
def test_wrapping_drops_nothing_and_fits_every_line(text, width):
    lines = wrap_line(text, width)
    assert lines, "even an empty text is one (empty) line"
    assert all(display_width(line) <= width for line in lines)
    # Every character but the spaces broken at is there, in order.
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    # No empty line in the middle of text that has something to print.
    if text.strip(" "):
        assert all(lines)
    # Greedy: a line is broken only when the next word would not have fitted on it.
    for line, following in zip(lines, lines[1:], strict=False):
        assert display_width(f"{line} {following.split(' ')[0]}") > width


def test_wrapping_at_spaces_keeps_the_words_whole():
    text = "Your card is stopped. Keep this slip until your new card is ready."
    lines = wrap_line(text, 20)
    assert " ".join(lines) == text
    assert lines == ["Your card is", "stopped. Keep this", "slip until your new",
                     "card is ready."]


def test_a_long_word_and_cjk_text_break_by_column_and_keep_every_character():
    assert wrap_line("a" * 70, 32) == ["a" * 32, "a" * 32, "a" * 6]
    assert wrap_line("社保卡" * 11, 32) == ["社保卡" * 5 + "社", "保卡" + "社保卡" * 4 + "社保",
                                          "卡"]
    # The odd column left by a 2-column character stays empty rather than overflowing.
    assert wrap_line("a" + "中" * 16, 32) == ["a" + "中" * 15, "中"]


def test_the_last_line_is_kept():
    assert wrap_line("one two three", 8) == ["one two", "three"]
    assert wrap_line("aaaa bbbb", 4) == ["aaaa", "bbbb"]
    assert wrap_line("a" * 33, 32) == ["a" * 32, "a"]


def test_a_newline_starts_a_new_line():
    assert wrap_line("first\nsecond line", 32) == ["first", "second line"]
    assert wrap_line("a" * 30 + "\n" + "b" * 30, 32) == ["a" * 30, "b" * 30]


@pytest.mark.parametrize("width", [0, 1, -5])
def test_a_line_narrower_than_one_cjk_character_is_refused(width):
    with pytest.raises(ValueError):
        wrap_line("中", width)


# --- what the mutation run found untested -----------------------------------------------

def _direct(**changes) -> PreLossReceipt:
    values = dict(reference="PL-1", masked_card_number="*****0019",
                  created_at=dt.datetime(2026, 1, 1, 9, 0), lapse_date=dt.date(2026, 1, 11),
                  hotline="96102", status=ReceiptStatus.PENDING)
    return PreLossReceipt(**{**values, **changes})


def test_the_receipt_checks_its_masked_number_and_reference():
    assert _direct(masked_card_number="*****1019").masked_card_number == "*****1019"  # 4
    for five in ("X****1019", "****01019"):  # 5 characters shown, letter or digit
        with pytest.raises(ValueError, match=r"^masked_card_number shows too many characters$"):
            _direct(masked_card_number=five)
    with pytest.raises(ValueError, match=r"^masked_card_number must be masked "
                                         r"\(use PreLossReceipt\.create\)$"):
        _direct(masked_card_number="X0000")
    assert _direct(masked_card_number="").masked_card_number == ""  # none printed
    assert _direct(reference="R" * 64).reference == "R" * 64
    for bad in ("", "R" * 65):
        with pytest.raises(ValueError, match=r"^reference must be 1 to 64 characters$"):
            _direct(reference=bad)


def test_a_status_given_as_text_becomes_the_status():
    assert _direct(status="confirmed").status is ReceiptStatus.CONFIRMED
    assert _direct().lapse_estimate is False and _direct().terminal_id == ""


def test_receipts_are_immutable():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        _direct().reference = "PL-2"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        render_receipt(_direct(), "en").title = "x"  # type: ignore[misc]


def test_the_rendered_lines_in_order():
    from kiosk.i18n import translate

    receipt = dataclasses_replace(_direct(terminal_id="T-0042"), lapse_estimate=True)
    out = render_receipt(receipt, "en")
    t = lambda key, **v: translate(f"receipts.{key}", "en", **v)  # noqa: E731
    about = t("about_date", date="2026-01-11")
    assert out.lines == (t("reference", reference="PL-1"), t("card", card="*****0019"),
                         t("time", time="2026-01-01 09:00"), t("status.pending"),
                         t("lapse", date=about), t("terminal", terminal="T-0042"))
    assert out.next_steps == (t("next.heading"), *(t(f"next.pending.{i}", date=about,
                                                      hotline="96102") for i in (1, 2, 3)))
    assert out.all_text() == "\n".join((out.title, *out.lines, *out.next_steps, out.footer))
    assert "T-0042" not in render_receipt(_direct(), "en").all_text()


def test_the_test_page_lines():
    page = render_test_page("en", "T-1", dt.datetime(2026, 11, 25, 9, 0), "0.1.0")
    assert page.lines[-2:] == ("0123456789 ABCDEF abcdef", "-" * 32)
    assert page.qr_payload == "TEST-T-1" and page.next_steps == ()


def test_full_width_characters_take_two_columns():
    assert display_width("ＡＢ") == 4  # full-width Latin (east Asian width F)
    assert display_width("ｱ") == 1  # half-width katakana (H)


def test_the_default_width_is_the_58mm_roll():
    assert wrap_line("a" * 33) == ["a" * 32, "a"]
    with pytest.raises(ValueError, match=r"^a receipt line must fit one CJK character "
                                         r"\(2 columns\), not 1$"):
        wrap_line("a", 1)


def dataclasses_replace(receipt: PreLossReceipt, **changes) -> PreLossReceipt:
    import dataclasses

    return dataclasses.replace(receipt, **changes)
