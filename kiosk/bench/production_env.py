"""The environment of a kiosk in production mode as the benches run it (footprint, touch):
a scratch home with its own secrets file, data and log dirs, central on loopback."""

from __future__ import annotations

import os
from pathlib import Path


def production_env(home: Path, port: int) -> dict[str, str]:
    """Environment of a production kiosk (and its sandbox) in ``home``: real secrets
    file (0600), data dir, central on loopback."""
    # lazy: the footprint bench's bare window imports this module; the secrets module
    # (and its storage helpers) must not be measured in it
    from kiosk.secrets import hash_pin

    secrets = home / "secrets.toml"
    for d in ("data", "log", "kivy"):
        (home / d).mkdir(exist_ok=True)
    fd = os.open(secrets, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f'terminal_key = "{os.urandom(32).hex()}"\n'
                 f'technician_pin_hash = "{hash_pin("48151623", iterations=20_000)}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK__")}
    env.update({
        "KIOSK__KIOSK__DEMO": "false",
        "KIOSK__KIOSK__TERMINAL_ID": "T-BENCH-0001",   # production refuses the demo's
        "KIOSK__KIOSK__DATA_DIR": str(home / "data"),
        "KIOSK__KIOSK__LOG_DIR": str(home / "log"),
        "KIOSK__SECURITY__SECRETS_FILE": str(secrets),
        "KIOSK__CENTRAL__BASE_URL": f"http://127.0.0.1:{port}",
        "KIOSK_BENCH_HOME": str(home / "kivy"),
    })
    return env
