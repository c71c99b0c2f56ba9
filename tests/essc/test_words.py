"""Every e-SSC refusal and every scanner error has plain words in both languages."""

from __future__ import annotations

import pytest

from kiosk.central.errors import CentralRefused
from kiosk.central.schemas_essc import EsscRefusal
from kiosk.devices.scanner import ScannerError, ScannerErrorKind
from kiosk.i18n import LANGUAGES, translate


@pytest.mark.parametrize("lang", LANGUAGES)
def test_refusals_and_scanner_errors_have_words(lang):
    for refusal in EsscRefusal:
        key = CentralRefused(refusal.value, "", 403).refusal_key
        assert translate(key, lang) != key, key
    for kind in ScannerErrorKind:
        err = ScannerError(kind)
        assert translate(err.i18n_key, lang) != err.i18n_key
        title = f"cards.scanner_error_title.{kind}"
        assert translate(title, lang) != title


def test_expired_says_refresh_and_scan_again():
    assert "refresh the code in your app and scan again" in translate(
        "central.refused.expired", "en")
    assert "刷新" in translate("central.refused.expired", "zh_CN")
