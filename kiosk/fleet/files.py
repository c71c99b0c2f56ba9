"""The fleet agent's small state files: JSON, written whole (temporary file, fsync,
rename) and private (0600), so a power cut leaves the old or the new one, never half."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kiosk.storage import ensure_dir, fsync_dir, private_umask

FLEET_DIR = "fleet"


JsonObject = dict[str, object]
"""A JSON object as the agent reads and writes it (values are narrowed where used)."""


def fleet_dir(data_dir: Path) -> Path:
    """``<data_dir>/fleet`` (created by the first write: reading creates nothing)."""
    return data_dir / FLEET_DIR


def read_json(path: Path) -> object:
    """The file's JSON, or None when it is missing or unreadable (a torn or edited file
    is treated as absent: the caller falls back to its safe default)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, value: object) -> None:
    """Replace ``path`` atomically with ``value`` as JSON."""
    ensure_dir(path.parent, "the fleet state directory")
    tmp = path.with_name(f".{path.name}.tmp")
    data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
    with private_umask():
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def remove(path: Path) -> None:
    """Delete ``path`` if it is there (durably: the directory is synced)."""
    if path.exists():
        path.unlink(missing_ok=True)
        fsync_dir(path.parent)
