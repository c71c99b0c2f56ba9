import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.masking import (
    mask_card_number,
    mask_id_number,
    mask_name,
    mask_phone,
    scrub_text,
)


def test_masks_keep_only_the_ends():
    assert mask_id_number("11010519930614882X") == "110105********882X"
    assert mask_card_number("X00000019") == "*****0019"
    assert mask_name("欧阳喆赟") == "欧***"
    assert mask_phone("13800001230") == "138****1230"


def test_short_values_are_fully_masked():
    assert mask_id_number("123") == "***"
    assert mask_card_number("X12") == "***"
    # A card number of 4 characters or fewer is never shown whole (its "last 4").
    for short in ("0019", "019", "9", "X001"):
        assert mask_card_number(short) == "*" * len(short)
    assert mask_name("") == ""


def test_scrub_text_masks_numbers_inside_free_text():
    text = "lookup 11010519930614882X card X00000019 phone 13800001230 acct 6222021234567890"
    out = scrub_text(text)
    for secret in ("11010519930614882X", "X00000019", "13800001230", "6222021234567890"):
        assert secret not in out
    assert out == ("lookup 110105********882X card *****0019 phone 138****1230 "
                   "acct ****************")


def test_scrub_text_leaves_ordinary_text_alone():
    text = "reader Virtual PCD 00 01 took 42 ms, status 9000"
    assert scrub_text(text) == text


# --- every input length: the length is kept, never more than the ends are shown ------

# name → (mask, characters kept at the head, at the tail, fewest masked between them)
MASKS = {
    "id_number": (mask_id_number, 6, 4, 8),
    "card_number": (mask_card_number, 0, 4, 5),
    "phone": (mask_phone, 3, 4, 4),
    "name": (mask_name, 1, 0, 1),
}
# No "*" in the input, so every "*" in the output is the mask's own.
_CHARS = st.characters(blacklist_characters="*", blacklist_categories=("Cs",))


@pytest.mark.parametrize("which", sorted(MASKS))
@pytest.mark.parametrize("length", range(0, 41))
def test_every_length_keeps_its_length_and_shows_at_most_the_ends(which, length):
    mask, head, tail, hidden = MASKS[which]

    @settings(max_examples=15, deadline=None, database=None)
    @given(st.text(_CHARS, min_size=length, max_size=length))
    def check(value: str) -> None:
        out = mask(value)
        assert len(out) == len(value)
        shown = [i for i, ch in enumerate(out) if ch != "*"]
        assert len(shown) <= head + tail
        if length < head + hidden + tail:
            assert shown == [], f"{which} of {length} characters shows {out!r}"
            return
        # A well-formed length or longer: exactly the ends, each where it was.
        assert out == value[:head] + "*" * (length - head - tail) + value[length - tail:]
        assert out.count("*") >= hidden

    check()


def test_short_inputs_at_the_edge_are_masked_whole():
    # The bug this guards: a 7-character phone number (3 + 4 kept) came out in full.
    assert mask_phone("1381234") == "*******"
    assert mask_phone("1381234567") == "**********"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("11010519850307123") == "*" * 17
    assert mask_card_number("X0000001") == "********"
    assert mask_card_number("X00000019") == "*****0019"
    assert mask_card_number("X000000019") == "******0019"  # longer: still only the last 4
    assert mask_name("王") == "*"
    assert mask_name("王五") == "王*"
