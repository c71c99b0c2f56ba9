"""The card data the readers return: expiry at its edge, the region code, and reprs that
never show a name or number; the pause reasons, a vocabulary shared with the centre."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.models import IdCardData, SscCardData
from kiosk.domain.pause_reasons import PauseReason
from kiosk.i18n import catalog

ID = IdCardData(name="欧阳喆赟", gender="female", ethnicity="01",
                birth_date=dt.date(1992, 11, 30), address="上海市浦东新区", id_number=
                "310115199211300024", authority="上海市公安局浦东分局",
                valid_from=dt.date(2016, 1, 1), valid_to=dt.date(2026, 1, 1), photo=b"JPEG")
SSC = SscCardData(card_id_code="310100D15600000500A1B2C3D4E5F601", card_type="3",
                  spec_version="3.00", issuer_code="31010000", issue_date=dt.date(2019, 5, 1),
                  expiry_date=dt.date(2029, 5, 1), card_number="X00000035",
                  ssn="310115199211300024", name="欧阳喆赟", gender="female",
                  ethnicity="01", birth_date=dt.date(1992, 11, 30))


def test_an_id_card_expires_after_its_last_valid_day():
    assert not ID.is_expired(dt.date(2025, 12, 31))
    assert not ID.is_expired(dt.date(2026, 1, 1))  # valid through its last day
    assert ID.is_expired(dt.date(2026, 1, 2))
    forever = IdCardData(**{**ID.__dict__, "valid_to": None})  # 长期: never expires
    assert not forever.is_expired(dt.date(2999, 1, 1))


def test_a_social_security_card_expires_after_its_last_valid_day():
    assert not SSC.is_expired(dt.date(2029, 5, 1))
    assert SSC.is_expired(dt.date(2029, 5, 2))
    assert SSC.region_code == "310100"


def test_reprs_show_masked_values_only():
    text = repr(ID)
    assert text == ("IdCardData(name='欧***', id_number='310115********0024', "
                    "valid_to=2026-01-01)")
    assert "JPEG" not in text and "浦东" not in text
    assert repr(SSC) == ("SscCardData(card_number='*****0035', ssn='310115********0024', "
                         "name='欧***')")
    assert str(SSC) == repr(SSC)


def test_pause_reasons_are_the_agreed_words():
    # The centre sends these exact values; the kiosk has words for each, both languages.
    assert [r.value for r in PauseReason] == [
        "maintenance", "central_migration", "fault_investigation", "network_work",
        "outlet_closed"]


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_pause_reason_has_words(language):
    words = catalog(language)
    for reason in PauseReason:
        assert f"fleet.reason.{reason.value}" in words, reason


def test_card_data_is_immutable():
    import dataclasses

    for data, name in ((ID, "id_number"), (SSC, "card_number")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(data, name, "x")
