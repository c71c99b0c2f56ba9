"""Kivy-free helpers behind the technician screens: log tail, config lines, bundle
destinations, restarting the app."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from kiosk.config import Settings
from kiosk.domain.clock import to_region
from kiosk.domain.masking import scrub_text
from kiosk.logs import LOG_FILE, get_logger
from kiosk.services.diagnostics.bundle import redacted_config

log = get_logger("kiosk.services.diagnostics.tools")

USB_ROOTS = ("/media", "/mnt", "/run/media")


def log_time(ts: str, timezone: str) -> str:
    """A log line's UTC timestamp (``2026-11-25T01:30:05.123Z``) as the region's wall
    clock (``09:30:05``), as every other time on the kiosk's screens; unreadable: as is."""
    try:
        moment = dt.datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
        return to_region(moment, timezone).strftime("%H:%M:%S")
    except (ValueError, TypeError):
        return ts[11:19]


def log_tail(settings: Settings, lines: int = 200) -> list[str]:
    """The newest ``lines`` log lines, compact (time level logger event), scrubbed again;
    times in the region's zone (the file keeps UTC)."""
    path = settings.log_dir / LOG_FILE
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 256 * 1024))
            raw = fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []
    out = []
    for line in raw[-lines:]:
        try:
            entry = json.loads(line)
            fields = entry.get("fields")
            extra = f" {json.dumps(fields, ensure_ascii=False)}" if fields else ""
            when = log_time(str(entry.get("ts", "")), settings.region.timezone)
            text = (f"{when} {entry.get('level', '')[:4]} "
                    f"{entry.get('logger', '')}: {entry.get('event', '')}{extra}")
        except (ValueError, AttributeError):
            text = line
        out.append(scrub_text(text))
    return out


def config_lines(settings: Settings) -> list[str]:
    """``section.key = value`` for every setting in effect (secret-like keys hidden)."""
    cfg = redacted_config(settings)
    del cfg["sources"]
    lines = [f"sources = {', '.join(settings.sources)}"]
    for section, values in cfg.items():
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            lines.append(f"{section}.{key} = {json.dumps(value, ensure_ascii=False)}")
    return lines


def bundle_targets(settings: Settings) -> list[Path]:
    """Where a bundle can go: mounted USB sticks (writable dirs under /media, /mnt,
    /run/media/<user>), then the terminal's own ``<data_dir>/support``."""
    found: list[Path] = []
    for root in USB_ROOTS:
        base = Path(root)
        try:
            candidates = sorted(base.iterdir()) if base.is_dir() else []
        except OSError:
            continue
        for cand in candidates:
            # /run/media/<user>/<label>: one level deeper.
            inner = sorted(cand.iterdir()) if root == "/run/media" and cand.is_dir() else [cand]
            for path in inner:
                if path.is_dir() and os.path.ismount(path) and os.access(path, os.W_OK):
                    found.append(path)
    local = settings.data_dir / "support"
    try:
        local.mkdir(parents=True, exist_ok=True)
        found.append(local)
    except OSError:
        pass
    return found


def restart_command(argv: list[str] | None = None) -> list[str]:
    """The command line that starts this app again."""
    args = list(sys.argv if argv is None else argv)
    if args and args[0].endswith("__main__.py"):
        return [sys.executable, "-m", "kiosk", *args[1:]]
    return [sys.executable, *args]


def restart_process(argv: list[str] | None = None,
                    execv: Callable[[str, list[str]], object] = os.execv) -> None:
    """Replace this process by a fresh start of the app (does not return)."""
    cmd = restart_command(argv)
    log.warning("restarting the app at the technician's request")
    for handler in list(get_logger("kiosk").handlers):
        handler.flush()
    execv(cmd[0], cmd)
