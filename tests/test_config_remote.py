"""The allow-list of settings the centre may change (kiosk/config_remote.py): every setting
is classified, the classification keeps what names a program, library, path, device, host,
port, URL, key or ATR local, and the remote bounds only ever tighten local policy."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from kiosk.config import Settings, load_settings, setting_types
from kiosk.config_remote import LOCAL_ONLY, REMOTE, Local, Why, check_key, check_remote

REPO = Path(__file__).resolve().parents[1]


def _walk_settings() -> list[str]:
    """Every field of the typed Settings, found by walking the dataclasses (not by the
    helper under test)."""
    keys = []
    for section in dataclasses.fields(Settings):
        default = getattr(Settings(), section.name)
        if not dataclasses.is_dataclass(default):
            continue  # "sources": bookkeeping, not a setting
        keys += [f"{section.name}.{f.name}" for f in dataclasses.fields(default)]
    return keys


def test_every_setting_is_either_allowed_or_denied_from_the_centre():
    keys = _walk_settings()
    assert len(keys) > 60 and set(keys) == set(setting_types())
    unclassified = [k for k in keys if k not in REMOTE and k not in LOCAL_ONLY]
    assert not unclassified, (
        "new settings must be classified in kiosk/config_remote.py, REMOTE (with remote "
        f"bounds) or LOCAL_ONLY (with the reason): {unclassified}")
    assert not set(REMOTE) & set(LOCAL_ONLY)
    stale = sorted((set(REMOTE) | set(LOCAL_ONLY)) - set(keys))
    assert not stale, f"classified but not settings: {stale}"


def test_an_unclassified_setting_is_refused_anyway(monkeypatch):
    monkeypatch.delitem(REMOTE, "display.large_text")
    refusal = check_key("display.large_text", True)
    assert refusal is not None and refusal.why is Why.LOCAL_ONLY


# Words that mark a setting which names something the kiosk runs, loads, opens or trusts.
NAMING = re.compile(r"(command|player|library|_dir$|_file$|path|port|device|url|host|"
                    r"target|bundle|atrs|reader$|^cards\.|kind$|terminal_id|enabled$)")


def test_nothing_that_names_a_program_path_host_port_or_key_is_remote():
    named = [k for k in REMOTE if NAMING.search(k)]
    assert named == [], named
    for key in ("speech.player", "speech.command", "printer.target", "printer.kind",
                "cards.id_sdk_library", "central.base_url", "central.ca_bundle",
                "diagnostics.technician_card_atrs", "diagnostics.metrics_port",
                "security.secrets_file", "kiosk.data_dir", "region.official_hotlines",
                "fleet.alternative_zh", "fleet.alternative_en", "fleet.enabled"):
        assert key in LOCAL_ONLY, key


def test_remote_text_is_only_a_hotline_a_catalog_key_or_opening_hours():
    """Free text from afar would reach cardholders: each remote text setting is checked
    against a local list (hotline), a catalog (choices) or a strict parser (hours)."""
    types = setting_types()
    text = sorted(k for k, rule in REMOTE.items() if types[k] in (str, tuple[str, ...]))
    assert text == ["display.opening_hours", "fleet.alternative", "kiosk.language",
                    "region.hotline"]
    assert REMOTE["region.hotline"].hotline
    assert REMOTE["fleet.alternative"].catalog and REMOTE["kiosk.language"].catalog


def test_every_numeric_remote_setting_is_bounded():
    types = setting_types()
    for key, rule in REMOTE.items():
        if types[key] in (int, float):
            assert rule.lo is not None, key
            assert rule.hi is not None or rule.local is Local.AT_MOST, key


@pytest.mark.parametrize(("key", "value", "why"), [
    ("speech.player", "sh -c 'id > /tmp/x'", Why.LOCAL_ONLY),
    ("speech.command", "/bin/sh", Why.LOCAL_ONLY),
    ("printer.target", "10.0.0.5:9100", Why.LOCAL_ONLY),
    ("printer.kind", "network", Why.LOCAL_ONLY),
    ("cards.id_sdk_library", "/tmp/evil.so", Why.LOCAL_ONLY),
    ("region.hotline", "13800138000", Why.NOT_OFFICIAL_HOTLINE),
    ("region.hotline", "９６１０２", Why.NOT_OFFICIAL_HOTLINE),  # full-width digits
    ("fleet.alternative_zh", "请拨打 13800138000", Why.LOCAL_ONLY),
    ("fleet.alternative", "请拨打 13800138000", Why.NOT_A_CATALOG_KEY),
    ("diagnostics.max_pin_attempts", 20, Why.OUT_OF_BOUNDS),
    ("diagnostics.max_pin_attempts", 4, Why.LOOSER_THAN_LOCAL),  # local is 3
    ("diagnostics.lockout_seconds", 1, Why.OUT_OF_BOUNDS),
    ("diagnostics.lockout_seconds", 120, Why.LOOSER_THAN_LOCAL),  # local is 300
    ("diagnostics.technician_card_atrs", ["3B8F80"], Why.LOCAL_ONLY),
    ("session.inactivity_seconds", 3600, Why.OUT_OF_BOUNDS),
    ("central.deadline_seconds", 120.0, Why.LOOSER_THAN_LOCAL),
    ("central.retries", 10, Why.LOOSER_THAN_LOCAL),
    ("central.max_reply_bytes", 16_777_216, Why.LOOSER_THAN_LOCAL),
    ("central.connect_timeout", 0.01, Why.OUT_OF_BOUNDS),
    ("session.inactivity_seconds", "90", Why.WRONG_TYPE),
    ("display.opening_hours", ["mon 08:00-09:00"] * 15, Why.OUT_OF_BOUNDS),
    ("nosuch.key", 1, Why.UNKNOWN_KEY),
])
def test_each_refusal_names_its_reason(key, value, why):
    local = load_settings(environ={})
    refusal = check_key(key, value, local)
    assert refusal is not None and refusal.why is why, refusal
    assert refusal.line().startswith(f"refused: {key}: ")


@pytest.mark.parametrize(("key", "value"), [
    ("region.hotline", "12333"), ("region.hotline", "96102"),
    ("session.inactivity_seconds", 30), ("session.inactivity_seconds", 180),
    ("diagnostics.max_pin_attempts", 3), ("diagnostics.max_pin_attempts", 1),
    ("diagnostics.lockout_seconds", 300), ("diagnostics.lockout_seconds", 3600),
    ("central.deadline_seconds", 5), ("central.retries", 0),
    ("display.opening_hours", ["mon-fri 08:00-17:30", "sat 09:00-12:00"]),
    ("fleet.alternative", "nearest_outlet"), ("fleet.alternative", "none"),
    ("region.replacement_fee_yuan", 0), ("kiosk.language", "en"),
])
def test_within_the_bounds_is_accepted(key, value):
    assert check_key(key, value, load_settings(environ={})) is None


def test_the_local_hotline_is_official_and_the_list_is_local(tmp_path):
    base = tmp_path / "kiosk.toml"
    base.write_text('[region]\nhotline = "96688"\nofficial_hotlines = ["12333"]\n',
                    encoding="utf-8")
    local = load_settings(base, environ={})
    assert check_key("region.hotline", "96688", local) is None  # back to the local one
    assert check_key("region.hotline", "12333", local) is None
    assert check_key("region.hotline", "96102", local).why is Why.NOT_OFFICIAL_HOTLINE


def test_without_a_local_config_only_what_holds_everywhere_is_checked():
    """What a centre can check before pushing: the allow-list, types, remote bounds."""
    assert check_remote({"region": {"hotline": "13800138000"}}) == []  # terminal decides
    assert check_remote({"region": {"hotline": "call us"}})[0].why is Why.NOT_OFFICIAL_HOTLINE
    assert check_remote({"central": {"retries": 10}}) == []  # against the local 2: terminal
    assert [r.key for r in check_remote({"speech": {"player": "x", "rate": 150},
                                         "session": {"inactivity_seconds": 3600}})] \
        == ["speech.player", "session.inactivity_seconds"]
    assert check_remote(["not", "a", "table"])[0].why is Why.WRONG_TYPE
    assert check_remote({"region": "12333"})[0].key == "region"


def test_official_hotlines_must_be_numbers(tmp_path):
    from kiosk.config import ConfigError

    base = tmp_path / "kiosk.toml"
    base.write_text('[region]\nofficial_hotlines = ["12333", "call us"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="region.official_hotlines"):
        load_settings(base, environ={})


def test_the_shipped_config_lists_the_official_hotlines():
    settings = load_settings(environ={})
    assert settings.region.official_hotlines == ("96102", "12333")
    assert settings.fleet.alternative == "site"


def test_docs_list_exactly_the_remote_settings():
    """docs/config.md's table of remote settings is the allow-list, no more, no less."""
    text = (REPO / "docs" / "config.md").read_text(encoding="utf-8")
    section = text.split("## From the centre", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", section, re.M))
    assert documented == set(REMOTE)
