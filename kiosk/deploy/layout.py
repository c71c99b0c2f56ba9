"""Where an installed terminal keeps what (all under a root, "/" on a real terminal)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

USER = "kiosk"
# Groups of user kiosk, each for one kind of device (README "Deploying a terminal").
GROUPS = ("dialout", "lp", "audio", "input", "video")
PROBATION_S = 300        # after an upgrade, a crash loop in this time rolls back
PROBATION_MAX_STARTS = 3


@dataclass(frozen=True)
class Layout:
    """Paths of an installation under ``root``."""

    root: Path

    def p(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    @property
    def opt(self) -> Path:
        return self.p("/opt/kiosk")

    @property
    def current(self) -> Path:
        return self.opt / "current"

    @property
    def manifest(self) -> Path:
        return self.opt / "install-manifest.json"

    @property
    def probation(self) -> Path:
        return self.opt / "probation.json"

    @property
    def etc(self) -> Path:
        return self.p("/etc/kiosk")

    @property
    def state(self) -> Path:
        return self.p("/var/lib/kiosk")

    @property
    def logs(self) -> Path:
        return self.p("/var/log/kiosk")

    @property
    def unit(self) -> Path:
        return self.p("/etc/systemd/system/kiosk.service")

    @property
    def xorg_conf(self) -> Path:
        return self.p("/etc/X11/kiosk.conf")

    def version_dir(self, version: str) -> Path:
        return self.opt / version

    def current_version(self) -> str | None:
        """The version ``current`` points at, or None."""
        try:
            return self.current.readlink().name
        except OSError:
            return None
