"""Every message exists in every language, with the same placeholders, in every catalog."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalog, placeholders, translate

I18N = Path(__file__).resolve().parent.parent / "kiosk" / "i18n"


def _area_files() -> list[str]:
    return sorted({p.name for lang in LANGUAGES for p in (I18N / lang).glob("*.toml")})


def _flat(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}

    def walk(prefix: str, table: dict) -> None:
        for k, v in table.items():
            key = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict):
                walk(key, v)
            else:
                out[key] = v

    with path.open("rb") as fh:
        walk("", tomllib.load(fh))
    return out


@pytest.mark.parametrize("area", _area_files())
def test_every_area_file_exists_in_every_language_with_the_same_keys(area):
    keys = {}
    for lang in LANGUAGES:
        path = I18N / lang / area
        assert path.exists(), f"{lang}/{area} is missing"
        keys[lang] = _flat(path)
    base = keys[DEFAULT_LANGUAGE]
    for lang, messages in keys.items():
        assert set(messages) == set(base), (
            f"{lang}/{area}: missing {sorted(set(base) - set(messages))}, "
            f"extra {sorted(set(messages) - set(base))}")
        for key, text in messages.items():
            assert isinstance(text, str), f"{lang}/{area}: {key} is not text"
            # Empty on purpose is allowed only when it is empty in every language.
            assert bool(text.strip()) == bool(str(base[key]).strip()), (
                f"{lang}/{area}: {key} is empty in one language only")
            assert placeholders(text) == placeholders(base[key]), (
                f"{lang}/{area}: {key} has {placeholders(text)}, "
                f"{DEFAULT_LANGUAGE} has {placeholders(base[key])}")


def test_no_key_is_defined_twice_across_area_files():
    for lang in LANGUAGES:
        seen: dict[str, str] = {}
        for path in sorted((I18N / lang).glob("*.toml")):
            for key in _flat(path):
                assert key not in seen, f"{lang}: {key} in both {seen[key]} and {path.name}"
                seen[key] = path.name


def test_catalogs_agree_as_a_whole():
    assert set(catalog("zh_CN")) == set(catalog("en"))


def test_missing_key_shows_itself_and_bad_values_do_not_crash():
    assert translate("no.such.key", "en") == "[no.such.key]"
    assert "96102" in translate("app.hotline", "zh_CN", hotline="96102")
    assert translate("app.hotline", "en") == "Hotline {hotline}"


# Where the kiosk sends a person to the replacement-status journey: each must use the
# start screen tile's own words (the card list said 查询补卡进度 to a tile that said
# 补卡进度查询, "Check my replacement card" to "New card status").
STATUS_POINTERS = ("journeys.cards.state.lost", "guidance.mail_delivery.p2", "essc.choose.status",
                   "journeys.identify.title_status")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_status_journey_has_one_name_everywhere(lang: str) -> None:
    cat = catalog(lang)
    name = cat["attract.status"]
    for key in STATUS_POINTERS:
        assert name in cat[key], (lang, key, cat[key])
