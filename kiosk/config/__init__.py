"""Typed, validated settings: config/kiosk.toml, then a site profile, then environment.

Order of precedence (later wins):
1. the base file (``config/kiosk.toml`` or ``--config PATH``),
2. the site profile ``config/sites/<kiosk.site>.toml`` next to the base file,
3. environment variables ``KIOSK__<SECTION>__<KEY>=value`` (value parsed as TOML,
   falling back to a plain string).

Anything malformed raises :class:`ConfigError`, whose ``str()`` is one line naming the
file and the key, so the CLI can print it and exit without a traceback.
"""

from __future__ import annotations

from kiosk.config.load import (
    DEFAULT_CONFIG,
    ENV_PREFIX,
    EnvValue,
    load_settings,
    parse_setting,
    setting_types,
)
from kiosk.config.rules import CHOICES, HEX_LISTS, RANGES
from kiosk.config.sections import (
    REPO_ROOT,
    AccessSection,
    CardsSection,
    CentralSection,
    ConfigError,
    DiagnosticsSection,
    DisplaySection,
    FeaturesSection,
    FleetSection,
    KioskSection,
    PrinterSection,
    RegionSection,
    SecuritySection,
    SessionSection,
    Settings,
    SettingValue,
    SpeechSection,
)

__all__ = [
    "CHOICES", "DEFAULT_CONFIG", "ENV_PREFIX", "HEX_LISTS", "RANGES", "REPO_ROOT",
    "AccessSection", "CardsSection", "CentralSection", "ConfigError", "DiagnosticsSection",
    "DisplaySection", "EnvValue", "FeaturesSection", "FleetSection", "KioskSection",
    "PrinterSection", "RegionSection", "SecuritySection", "SessionSection", "SettingValue",
    "Settings", "SpeechSection", "load_settings", "parse_setting", "setting_types",
]
