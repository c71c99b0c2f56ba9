"""The PC/SC code table and the error vocabulary."""

from __future__ import annotations

import pickle

import pytest
from smartcard import scard

from kiosk.devices.pcsc.errors import (
    PCSC_CODE_KINDS,
    CardError,
    CardErrorKind,
    error_for_code,
    error_for_status_word,
    kind_for_code,
)
from kiosk.i18n import LANGUAGES, catalog, placeholders

KNOWN_CODES = {name: getattr(scard, name) & 0xFFFFFFFF for name in dir(scard)
               if name.startswith(("SCARD_E_", "SCARD_W_", "SCARD_F_", "SCARD_P_"))}


def test_every_pcsc_code_pyscard_knows_is_mapped() -> None:
    missing = sorted(n for n, code in KNOWN_CODES.items() if code not in PCSC_CODE_KINDS)
    assert not missing, f"unmapped PC/SC codes: {missing}"


def test_table_has_no_stray_codes() -> None:
    assert set(PCSC_CODE_KINDS) <= set(KNOWN_CODES.values())


@pytest.mark.parametrize(("name", "kind"), [
    ("SCARD_E_NO_SERVICE", "service_down"), ("SCARD_F_COMM_ERROR", "service_down"),
    ("SCARD_E_SERVICE_STOPPED", "service_down"),
    ("SCARD_E_NO_READERS_AVAILABLE", "no_reader"), ("SCARD_E_UNKNOWN_READER", "no_reader"),
    ("SCARD_E_NO_SMARTCARD", "no_card"), ("SCARD_W_REMOVED_CARD", "card_removed"),
    ("SCARD_W_UNRESPONSIVE_CARD", "comm_failed"), ("SCARD_E_PROTO_MISMATCH", "unsupported_card"),
    ("SCARD_W_UNSUPPORTED_CARD", "unsupported_card"), ("SCARD_W_CHV_BLOCKED", "pin_blocked"),
    ("SCARD_W_WRONG_CHV", "pin_wrong"),
])
def test_key_codes(name: str, kind: str) -> None:
    assert kind_for_code(getattr(scard, name)) == kind
    err = error_for_code(getattr(scard, name), "x")
    assert err.raw_code == getattr(scard, name) & 0xFFFFFFFF
    assert err.i18n_key == f"cards.error.{kind}"


def test_unknown_code_is_comm_failed() -> None:
    assert kind_for_code(0x80109999) is CardErrorKind.comm_failed


@pytest.mark.parametrize(("sw", "kind", "tries"), [
    (0x63C2, "pin_wrong", 2), (0x63C1, "pin_wrong", 1), (0x63C0, "pin_blocked", 0),
    (0x6983, "pin_blocked", 0), (0x6A82, "unsupported_card", None),
    (0x6981, "unsupported_card", None), (0x6300, "comm_failed", None),
    (0x6F00, "comm_failed", None),
])
def test_status_words(sw: int, kind: str, tries: int | None) -> None:
    err = error_for_status_word(sw)
    assert (err.kind, err.tries_left, err.raw_code) == (kind, tries, sw)


def test_error_text_and_pickling() -> None:
    err = CardError("pin_wrong", "verify PIN", tries_left=2, raw_code=0x63C2)
    assert str(err) == "pin_wrong: verify PIN (SW 63C2) (2 tries left)"
    back = pickle.loads(pickle.dumps(err))
    assert (back.kind, back.tries_left, back.raw_code) == (err.kind, 2, 0x63C2)
    with pytest.raises(ValueError):
        CardError("exploded")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_kind_has_screen_text(lang: str) -> None:
    cat = catalog(lang)
    for kind in CardErrorKind:
        assert cat.get(f"cards.error.{kind}"), f"{lang}: cards.error.{kind} missing"
        assert cat.get(f"cards.error_title.{kind}"), f"{lang}: cards.error_title.{kind}"
    assert placeholders(cat["cards.error.pin_wrong"]) == {"tries_left"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_ethnicity_code_has_a_name(lang: str) -> None:
    from kiosk.devices.idcard.text import ETHNICITIES

    cat = catalog(lang)
    assert {k.rsplit(".", 1)[1] for k in cat if k.startswith("cards.ethnicity.")} == ETHNICITIES


def test_card_messages_fit_the_reader_kind() -> None:
    """An ID card is laid on the reading area (never inserted chip up); a social security
    card is inserted chip end first; the reader-neutral text names both gestures."""
    for lang, lay, chip_first in (("en", "reading area", "chip end first"),
                                  ("zh_CN", "感应区", "芯片一端朝里")):
        cat = catalog(lang)
        for kind in ("no_card", "card_removed", "comm_failed"):
            id_text, ssc_text = cat[f"cards.error_id.{kind}"], cat[f"cards.error_ssc.{kind}"]
            assert lay in id_text and "chip" not in id_text and "芯片" not in id_text
            assert chip_first in ssc_text, (lang, kind)
        assert lay in cat["cards.error.no_card"] and chip_first in cat["cards.error.no_card"]
