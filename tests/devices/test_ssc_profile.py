"""SSC profile logic against recorded APDU scripts (no PC/SC involved)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.devices.apdu import command, with_le
from kiosk.devices.pcsc.errors import CardError
from kiosk.devices.ssc import APDUS_PER_READ, read_ssc, verify_pin
from kiosk.devices.virtual.ssc_card import VirtualSscCard
from tests.devices.apdu_script import ScriptedCard, load_script

TODAY = dt.date(2026, 11, 25)


def card_transmit(card: VirtualSscCard):
    def transmit(apdu: bytes) -> tuple[bytes, int]:
        answer = card.process(apdu)
        if answer is None:
            raise CardError("card_removed", "pulled")
        return answer[:-2], (answer[-2] << 8) | answer[-1]
    return transmit


def test_normal_card_from_recorded_script() -> None:
    card = ScriptedCard(load_script("ssc_normal.apdu"))
    data = read_ssc(card, TODAY)
    assert card.done and len(card.sent) == APDUS_PER_READ == 15
    assert data.card_number == "X00000019"
    assert data.ssn == "110105198503071230"
    assert data.name == "王小明"
    assert data.gender == "male" and data.ethnicity == "01"
    assert data.birth_date == dt.date(1985, 3, 7)
    assert data.issue_date == dt.date(2020, 1, 15) and data.expiry_date == dt.date(2030, 1, 15)
    assert data.spec_version == "3.00" and data.region_code == "110105"
    assert "王小明" not in repr(data) and "110105198503071230" not in repr(data)


def test_x_check_digit_and_rare_characters() -> None:
    assert read_ssc(ScriptedCard(load_script("ssc_x_check.apdu")), TODAY).ssn.endswith("X")
    assert read_ssc(ScriptedCard(load_script("ssc_rare_name.apdu")), TODAY).name == "欧阳喆赟"


def test_real_card_variants_61xx_6cxx_p1_02() -> None:
    card = ScriptedCard(load_script("ssc_real_variants.apdu"))
    data = read_ssc(card, TODAY)
    assert card.done and data.name == "刘秀"
    assert data.ssn == "110105198503071230"


def test_with_le_cases() -> None:
    assert with_le(bytes.fromhex("00B2090020"), 6) == bytes.fromhex("00B2090006")
    assert with_le(bytes.fromhex("00A4000002EF05"), 0) == bytes.fromhex("00A4000002EF0500")
    assert with_le(bytes.fromhex("00A4000002EF0500"), 9) == bytes.fromhex("00A4000002EF0509")


def test_endless_61xx_is_unsupported() -> None:
    with pytest.raises(CardError) as ei:
        command(lambda apdu: (b"x", 0x6101), bytes.fromhex("00B2010012"))
    assert ei.value.kind == "unsupported_card"


def persona_card(key: str, **changes: object) -> VirtualSscCard:
    card = VirtualSscCard.from_persona(key)
    for tag, value in changes.items():
        ef, num = (b"\xEF\x05", int(tag[1:], 16)) if tag[1:] in ("01", "03", "05", "06", "07") \
            else (b"\xEF\x06", int(tag[1:], 16))
        card.files[ef][num] = value  # type: ignore[assignment]
    return card


@pytest.mark.parametrize("changes", [
    {"t08": b"110105198503071231"},  # wrong check digit
    {"t0D": bytes.fromhex("19850308")},  # birth date disagrees with the number
    {"t05": bytes.fromhex("20201399")},  # not a date
    {"t06": bytes.fromhex("20100101")},  # expires before issue
    {"t01": bytes(16)},  # identification code without D156000005
    {"t07": b"X0\x01\x02\x03\x04\x05\x06\x07"},  # card number not text
    {"t09": b"\xff\xfe\x80" + bytes(27)},  # name not GBK
    {"t0A": b"2"},  # female, but the number says male
])
def test_lying_card_is_unsupported(changes: dict[str, bytes]) -> None:
    with pytest.raises(CardError) as ei:
        read_ssc(card_transmit(persona_card("normal", **changes)), TODAY)
    assert ei.value.kind == "unsupported_card"


def test_garbage_and_foreign_cards() -> None:
    # Garbage data: a social security card that may be damaged. A bank card (no SSC
    # application) or files of another structure (6981): another kind of card.
    for key, kind in (("garbage", "unsupported_card"), ("foreign", "not_ssc"),
                      ("transparent_files", "not_ssc")):
        with pytest.raises(CardError) as ei:
            read_ssc(card_transmit(VirtualSscCard.from_persona(key)), TODAY)
        assert ei.value.kind == kind, key
    foreign = VirtualSscCard.from_persona("foreign")
    with pytest.raises(CardError) as ei:
        read_ssc(card_transmit(foreign), TODAY)
    assert ei.value.raw_code == 0x6A82 and foreign.apdus == 1


def test_6282_short_records_read_like_9000() -> None:
    card = VirtualSscCard.from_persona("short_records")
    data = read_ssc(card_transmit(card), TODAY)
    assert (data.name, data.card_number, data.ssn) == ("周文华", "X00000205",
                                                      "110102199002140037")
    assert card.apdus == APDUS_PER_READ   # no resend: 6282 is not 6Cxx


def test_6282_without_data_or_with_a_cut_record_is_not_success() -> None:
    for answer in (b"", b"\x09\x06\xd6\xdc"):   # nothing; length 6 but 2 bytes
        def transmit(apdu: bytes, answer: bytes = answer) -> tuple[bytes, int]:
            if apdu[1] == 0xB2:
                return answer, 0x6282
            return b"", 0x9000
        with pytest.raises(CardError) as ei:
            read_ssc(transmit, TODAY)
        assert ei.value.kind in ("comm_failed", "unsupported_card")


def test_6300_after_verify_is_a_wrong_pin_with_unknown_tries() -> None:
    card = VirtualSscCard.from_persona("pin_no_counter")
    t = card_transmit(card)
    with pytest.raises(CardError) as ei:
        verify_pin(t, "000000")
    assert (ei.value.kind, ei.value.tries_left, ei.value.raw_code) == ("pin_wrong", None,
                                                                       0x6300)
    verify_pin(t, "123456")


def test_pin_script_wrong_then_blocked() -> None:
    card = ScriptedCard(load_script("ssc_pin_one_try_wrong_twice.apdu"))
    with pytest.raises(CardError) as ei:
        verify_pin(card, "000000")
    assert (ei.value.kind, ei.value.tries_left) == ("pin_blocked", 0)
    with pytest.raises(CardError) as ei:
        verify_pin(card, "000000")
    assert ei.value.kind == "pin_blocked" and ei.value.raw_code == 0x6983


def test_pin_tries_like_a_real_card() -> None:
    card = VirtualSscCard.from_persona("normal")
    t = card_transmit(card)
    with pytest.raises(CardError) as ei:
        verify_pin(t, "111111")
    assert (ei.value.kind, ei.value.tries_left) == ("pin_wrong", 2)
    verify_pin(t, "123456")  # right PIN restores the tries
    assert card.tries == 3
    for left in (2, 1):
        with pytest.raises(CardError) as ei:
            verify_pin(t, "999999")
        assert ei.value.tries_left == left
    with pytest.raises(CardError) as ei:
        verify_pin(t, "999999")
    assert ei.value.kind == "pin_blocked"
    with pytest.raises(CardError) as ei:
        verify_pin(t, "123456")  # even the right PIN: blocked stays blocked
    assert ei.value.kind == "pin_blocked"
    with pytest.raises(ValueError):
        verify_pin(t, "12a456")


def test_expired_card_reads_fine_and_says_so() -> None:
    data = read_ssc(card_transmit(VirtualSscCard.from_persona("expired_ssc")), TODAY)
    assert data.is_expired(TODAY) and data.expiry_date == dt.date(2024, 1, 1)
    assert data.gender == "female" and data.name == "刘秀英"
