import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- every weight, every month, both answers ------------------------------------------

TODAY = dt.date(2026, 6, 1)


def _oracle_check_char(first17: str) -> str:
    """GB 11643 written out another way: weight 2^(17-i) mod 11, check (12 - sum) mod 11."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    return "0123456789X"[(12 - total % 11) % 11]


def _with_check(first17: str) -> str:
    return first17 + _oracle_check_char(first17)


_REGIONS = st.sampled_from(["110105", "440305", "310115", "653130", "520381", "371702"])
_BIRTHS = st.dates(min_value=dt.date(1880, 1, 1), max_value=TODAY)


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    birth = draw(_BIRTHS)
    seq = draw(st.integers(0, 999))
    return _with_check(f"{draw(_REGIONS)}{birth:%Y%m%d}{seq:03d}")


def test_check_char_matches_the_standard_on_every_position():
    # One digit at a time at each position, so each weight is exercised on its own.
    for pos in range(17):
        for digit in "123456789":
            first17 = "0" * pos + digit + "0" * (16 - pos)
            assert check_char(first17) == _oracle_check_char(first17), (pos, digit)


@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_and_its_last_day_parses(month):
    last = (dt.date(2000 + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    for day in (1, 10, last):
        text = _with_check(f"440305{1990 + month}{month:02d}{day:02d}372")
        parsed = parse_id_number(text, today=TODAY)
        assert parsed.birth_date == dt.date(1990 + month, month, day)
        assert is_valid_id_number(text)


@settings(max_examples=300, deadline=None, database=None)
@given(valid_ids())
def test_generated_valid_ids_parse_with_their_parts(text):
    parsed = parse_id_number(text, today=TODAY)
    assert parsed.value == text
    assert parsed.region == text[:6]
    assert parsed.birth_date == dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    assert parsed.gender == ("male" if int(text[16]) % 2 else "female")
    assert is_valid_id_number(text) is True
    assert parse_id_number(f" {text.lower()} ", today=TODAY).value == text


@settings(max_examples=300, deadline=None, database=None)
@given(valid_ids(), st.integers(0, 16), st.integers(1, 9))
def test_any_one_digit_changed_is_refused(text, pos, delta):
    # Every weight is non-zero modulo 11, so one changed digit always breaks the check
    # character (or the birth date first).
    changed = text[:pos] + str((int(text[pos]) + delta) % 10) + text[pos + 1:]
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(changed, today=TODAY)
    assert err.value.reason in ("id.error.check_digit", "id.error.birth_date")
    if not 6 <= pos < 14:
        assert err.value.reason == "id.error.check_digit"
    assert is_valid_id_number(changed) is False


@settings(max_examples=200, deadline=None, database=None)
@given(valid_ids(), st.sampled_from("0123456789X"))
def test_any_other_check_character_is_refused(text, other):
    if other == text[17]:
        return
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(text[:17] + other, today=TODAY)
    assert err.value.reason == "id.error.check_digit"


@pytest.mark.parametrize("date", ["19900001", "19901301", "19901200", "19900132",
                                  "19900229", "19000229", "19900431", "18791231"])
def test_impossible_or_too_old_birth_dates_are_refused(date):
    text = _with_check(f"440305{date}372")
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(text, today=TODAY)
    assert err.value.reason == "id.error.birth_date"
    assert is_valid_id_number(text) is False


def test_leap_days_and_the_edges_of_time():
    assert parse_id_number(_with_check("44030520000229372"), today=TODAY)
    assert parse_id_number(_with_check("44030518800101372"), today=TODAY)
    assert parse_id_number(_with_check(f"440305{TODAY:%Y%m%d}372"), today=TODAY)
    tomorrow = TODAY + dt.timedelta(days=1)
    with pytest.raises(InvalidIdNumber):
        parse_id_number(_with_check(f"440305{tomorrow:%Y%m%d}372"), today=TODAY)


@pytest.mark.parametrize("text", ["", " " * 18, "X" * 18, "44030519900101372Y",
                                  "44030519900101372\n", "4403051990010137 2"])
def test_other_text_is_not_an_id_number(text):
    assert is_valid_id_number(text) is False


@pytest.mark.parametrize("digit", ["\uff12", "\u0662", "\u0968", "\u00b2"])
def test_digits_of_other_scripts_are_refused_even_with_the_right_check(digit):
    # Full-width ２, Arabic-Indic ٢, Devanagari २, superscript ²: int() reads them all
    # as 2 (or fail on ²), but an ID number is ASCII: it goes to the service as typed.
    first17 = "44030519900101372"
    text = first17[:16] + digit + check_char(first17)
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(text, today=TODAY)
    assert err.value.reason == "id.error.characters"


def test_the_parsed_number_is_immutable_and_prints_as_itself_or_masked():
    import dataclasses

    parsed = parse_id_number("110105198503071230", today=TODAY)
    assert str(parsed) == "110105198503071230"
    assert repr(parsed) == "IdNumber(110105********1230)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.value = "x"  # type: ignore[misc]


def test_the_error_names_its_reason():
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number("123", today=TODAY)
    assert str(err.value) == "id.error.length" == err.value.reason


@pytest.mark.parametrize("digits", ["1101051985030712", "110105198503071230"])
def test_check_char_wants_exactly_seventeen_digits(digits):
    with pytest.raises(ValueError):
        check_char(digits)
