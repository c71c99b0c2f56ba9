"""Shared by the deploy tests: a production-like environment for ``kiosk`` subprocesses."""

from __future__ import annotations

import os
from pathlib import Path

from kiosk.secrets import hash_pin

REPO = Path(__file__).resolve().parents[2]
TECH_PIN = "13579086"  # production: at least 8 digits
TERMINAL_ID = "T-TEST-0001"  # not the demo's


def write_secrets(path: Path) -> Path:
    """A valid secrets file, mode 0600."""
    path.write_text(f'terminal_key = "{"ab" * 32}"\n'
                    f'technician_pin_hash = "{hash_pin(TECH_PIN, iterations=1000)}"\n')
    path.chmod(0o600)
    return path


def production_env(tmp: Path, **extra: str) -> dict[str, str]:
    """Production settings in ``tmp``: secrets there, central on loopback (not the demo's
    port), a terminal id of its own, and the vpcd checks pointed at empty scratch dirs
    (this test machine has vpcd installed)."""
    (tmp / "reader.conf.d").mkdir(exist_ok=True)
    (tmp / "drivers").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KIOSK__", "KIVY", "KCFG_", "NOTIFY_", "WATCHDOG_"))
           and k != "DISPLAY"}
    env.update({
        "PYTHONPATH": str(REPO),
        "KIOSK__KIOSK__DATA_DIR": str(tmp / "data"),
        "KIOSK__KIOSK__LOG_DIR": str(tmp / "log"),
        "KIOSK__SECURITY__SECRETS_FILE": str(write_secrets(tmp / "secrets.toml")),
        "KIOSK__SECURITY__READER_CONF_DIR": str(tmp / "reader.conf.d"),
        "KIOSK__SECURITY__PCSC_DRIVER_DIR": str(tmp / "drivers"),
        "KIOSK__CENTRAL__BASE_URL": "http://127.0.0.1:9",
        # Provisioned: production refuses the demo's terminal id (kiosk/production.py).
        "KIOSK__KIOSK__TERMINAL_ID": TERMINAL_ID,
    })
    env.update(extra)
    return env
