from kiosk.domain.masking import (
    mask_card_number,
    mask_id_number,
    mask_name,
    mask_phone,
    scrub_text,
)


def test_masks_keep_only_the_ends():
    assert mask_id_number("11010519930614882X") == "110105********882X"
    assert mask_card_number("X00000019") == "X*****019"
    assert mask_name("欧阳喆赟") == "欧***"
    assert mask_phone("13800001230") == "138****1230"


def test_short_values_are_fully_masked():
    assert mask_id_number("123") == "***"
    assert mask_card_number("X12") == "***"
    assert mask_name("") == ""


def test_scrub_text_masks_numbers_inside_free_text():
    text = "lookup 11010519930614882X card X00000019 phone 13800001230 acct 6222021234567890"
    out = scrub_text(text)
    for secret in ("11010519930614882X", "X00000019", "13800001230", "6222021234567890"):
        assert secret not in out
    assert "110105********882X" in out
    assert "X*****019" in out


def test_scrub_text_leaves_ordinary_text_alone():
    text = "reader Virtual PCD 00 01 took 42 ms, status 9000"
    assert scrub_text(text) == text
