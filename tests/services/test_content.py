"""Every failure, step, topic and state the journeys can show has words in both languages."""

from __future__ import annotations

import pytest

from kiosk.domain.card_states import CardState, ReplacementStage
from kiosk.i18n import LANGUAGES, catalog, placeholders, translate
from kiosk.services import guidance
from kiosk.services.failures import FAILURE_KINDS, KNOWN_REFUSALS, Failure
from tests.services.conftest import make_settings


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_failure_has_title_body_advice(language: str) -> None:
    cat = catalog(language)
    for kind in FAILURE_KINDS:
        f = Failure(kind, {"code": "replacement_exists"})
        for key in (f.title_key, f.body_key, f.advice_key):
            assert key in cat, key
        assert cat[f.title_key] and cat[f.advice_key]
    for code in (*KNOWN_REFUSALS, "other"):
        assert f"journeys.refused.{code}" in cat


@pytest.mark.parametrize("language", LANGUAGES)
def test_states_stages_and_topics_have_words(language: str) -> None:
    cat = catalog(language)
    for state in [*(s.value for s in CardState), "unknown"]:
        assert f"journeys.cards.state.{state}" in cat
        assert f"journeys.status.card.{state}" in cat
    for stage in ReplacementStage:
        assert f"journeys.status.stage.{stage.value}" in cat
        assert f"journeys.status.next.{stage.value}" in cat
    for topic in guidance.TOPICS:
        for key in (f"guidance.{topic}.title", f"guidance.{topic}.summary",
                    *guidance.paragraph_keys(topic)):
            assert key in cat, key
        assert f"guidance.{topic}.p{guidance.TOPICS[topic] + 1}" not in cat


def test_both_languages_same_keys_and_placeholders() -> None:
    zh = {k: v for k, v in catalog("zh_CN").items() if k.startswith(("journeys", "guidance"))}
    en = {k: v for k, v in catalog("en").items() if k.startswith(("journeys", "guidance"))}
    assert set(zh) == set(en)
    assert [k for k in zh if placeholders(zh[k]) != placeholders(en[k])] == []


def test_guidance_placeholders_filled_from_region() -> None:
    params = guidance.params(make_settings())
    text = translate("guidance.official_loss.p5", "zh_CN", **params)
    assert "15个工作日" in text and "35个工作日" in text
    assert "96102" in translate("guidance.hotline.p1", "en", **params)
    assert "20 yuan" in translate("guidance.official_loss.p6", "en", **params)
    for lang in LANGUAGES:
        for topic in guidance.TOPICS:
            for key in guidance.paragraph_keys(topic):
                assert "{" not in translate(key, lang, **params)


def test_mail_delivery_topic_follows_the_site() -> None:
    from dataclasses import replace

    from kiosk.config import FeaturesSection

    s = make_settings()
    assert "mail_delivery" in guidance.topics(s)
    s2 = replace(s, features=FeaturesSection(mail_delivery=False))
    assert "mail_delivery" not in guidance.topics(s2)
