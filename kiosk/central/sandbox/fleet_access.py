"""Where operators' tools find the sandbox's admin side: ``<data_dir>/sandbox-admin.json``
(0600) with its loopback URL and token, written when the sandbox starts (demo or
``kiosk sandbox``) and read by ``kiosk fleet``."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kiosk.storage import ensure_dir, private_umask

ADMIN_FILE = "sandbox-admin.json"


def write_admin_access(data_dir: Path, url: str, token: str) -> Path:
    """Record the admin URL and token for this data directory."""
    path = ensure_dir(data_dir, "the data directory") / ADMIN_FILE
    with private_umask():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"url": url, "token": token}, fh)
    return path


def read_admin_access(data_dir: Path) -> tuple[str, str] | None:
    """``(url, token)``, or None when no sandbox recorded one (or the file is unusable)."""
    try:
        raw = json.loads((data_dir / ADMIN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(raw, dict) and isinstance(raw.get("url"), str) \
            and isinstance(raw.get("token"), str):
        return raw["url"], raw["token"]
    return None
