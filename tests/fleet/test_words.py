"""Every pause reason and alternative the centre can send has words in both languages."""

from __future__ import annotations

from kiosk.central.schemas_fleet import PauseReason
from kiosk.domain.alternatives import CATALOG_ALTERNATIVES
from kiosk.i18n import LANGUAGES, catalog


def test_every_pause_reason_has_words_in_every_language():
    for lang in LANGUAGES:
        words = catalog(lang)
        for reason in PauseReason:
            assert words.get(f"fleet.reason.{reason.value}", "").strip(), (lang, reason)
        for key in ("title", "body", "hotline", "alternative", "guidance"):
            assert words.get(f"fleet.paused.{key}", "").strip(), (lang, key)
        for alternative in CATALOG_ALTERNATIVES:  # what the centre may pick: words for each
            assert words.get(f"fleet.alternatives.{alternative}", "").strip(), (lang, alternative)
