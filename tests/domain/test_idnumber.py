import datetime as dt

import pytest

from kiosk.domain.idnumber import InvalidIdNumber, check_char, is_valid_id_number, parse_id_number
from kiosk.personas import load_personas


def test_known_check_characters():
    assert check_char("11010519491231002") == "X"
    assert check_char("11010519850307123") == "0"


def test_every_persona_id_number_is_valid():
    ids = [p["id"]["id_number"] for p in load_personas().values() if "id" in p]
    assert len(ids) >= 8
    for value in ids:
        assert is_valid_id_number(value), value


def test_x_check_character_parses_upper_or_lower():
    n = parse_id_number("11010519930614882x")
    assert n.value.endswith("X")
    assert n.gender == "female"
    assert n.birth_date == dt.date(1993, 6, 14)
    assert n.region == "110105"


@pytest.mark.parametrize("text,reason", [
    ("11010519850307123", "id.error.length"),
    ("1101051985030712300", "id.error.length"),
    ("11010519850307123A", "id.error.characters"),
    ("1101051985O307123X", "id.error.characters"),
    ("110105198513071230", "id.error.birth_date"),
    ("110105187001011230", "id.error.birth_date"),
    ("110105198503071231", "id.error.check_digit"),
])
def test_invalid_numbers_give_a_reason(text, reason):
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(text)
    assert err.value.reason == reason


def test_future_birth_date_is_refused():
    with pytest.raises(InvalidIdNumber):
        parse_id_number("110105203001011234", today=dt.date(2026, 1, 1))


def test_repr_masks_the_number():
    assert "19850307" not in repr(parse_id_number("110105198503071230"))
