"""Settings for diagnostics tests: every path under tmp_path, overrides as keyword pairs."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.composition.outbox import OUTBOX_FILE
from kiosk.config import Settings, load_settings


def env_for(tmp_path: Path, **overrides: object) -> dict[str, str]:
    """Environment overrides: data and logs in ``tmp_path``, no system secrets file, and
    ``section__key=value`` pairs."""
    env = {"KIOSK__KIOSK__DATA_DIR": json.dumps(str(tmp_path / "data")),
           "KIOSK__KIOSK__LOG_DIR": json.dumps(str(tmp_path / "log")),
           "KIOSK__SECURITY__SECRETS_FILE": json.dumps(str(tmp_path / "no-such-secrets.toml")),
           "KIOSK__KIOSK__DEMO": "true"}  # demo secrets; the shipped config is production
    for name, value in overrides.items():
        section, key = name.split("__")
        env[f"KIOSK__{section.upper()}__{key.upper()}"] = json.dumps(value)
    return env


def settings_for(tmp_path: Path, **overrides: object) -> Settings:
    """Settings from :func:`env_for`."""
    return load_settings(environ=env_for(tmp_path, **overrides))


def outbox_file(settings: Settings) -> Path:
    """Where the app and the diagnostics keep the outbox for ``settings``."""
    return settings.data_dir / OUTBOX_FILE
