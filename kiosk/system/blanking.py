"""Screen blanking and DPMS of the X server, set once at start from the config
(``display.blank_seconds``) with ``xset`` (Debian package x11-xserver-utils)."""

from __future__ import annotations

import shutil
import subprocess

from kiosk.logs import error_fields, get_logger

log = get_logger("kiosk.system.blanking")
XSET_TIMEOUT_S = 5.0


def xset_commands(blank_seconds: int) -> list[list[str]]:
    """``xset`` calls for the configured blanking: 0 = never blank (no screensaver, no
    DPMS), else blank and power the screen down after that many idle seconds."""
    if blank_seconds <= 0:
        return [["xset", "s", "off"], ["xset", "s", "noblank"], ["xset", "-dpms"]]
    s = str(blank_seconds)
    return [["xset", "s", s, s], ["xset", "s", "blank"], ["xset", "+dpms"],
            ["xset", "dpms", s, s, s]]


def apply_blanking(blank_seconds: int) -> bool:
    """Set the X server's screensaver and DPMS; False (logged) when xset is missing or
    fails: blanking is comfort, not a reason to stop the kiosk."""
    if shutil.which("xset") is None:
        log.info("xset not found (package x11-xserver-utils): blanking left as it was")
        return False
    for cmd in xset_commands(blank_seconds):
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=XSET_TIMEOUT_S)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("xset failed", extra={"fields": {"cmd": " ".join(cmd),
                                                         **error_fields(exc)}})
            return False
    return True
