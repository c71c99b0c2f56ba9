"""Where an installed terminal keeps what (all under a root, "/" on a real terminal).

The kiosk Debian package (kiosk/deploy/package.py) ships each release as
``/opt/kiosk/releases/<version>/`` (``app/`` and the wheelhouse); its maintainer scripts
(kiosk/deploy/maint.py, deploy/debian/) make the release's ``venv/`` from those wheels,
point ``/opt/kiosk/current`` at it, and before an upgrade keep a hard-linked copy of the
release that ran in ``/opt/kiosk/kept/<version>/`` for the crash-loop rollback
(kiosk/deploy/bootcount.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

USER = "kiosk"
# Groups of user kiosk, each for one kind of device (README "Deploying a terminal").
GROUPS = ("dialout", "lp", "audio", "input", "video")
PROBATION_S = 300        # after an upgrade, a crash loop in this time rolls back
PROBATION_MAX_STARTS = 3
# The sealed terminal key: systemd credential name and file (deploy/systemd/kiosk.service).
CREDENTIAL_NAME = "kiosk-terminal-key"


@dataclass(frozen=True)
class Layout:
    """Paths of an installation under ``root``."""

    root: Path

    def p(self, path: str) -> Path:
        """``path`` (absolute on a terminal) under this root."""
        return self.root / path.lstrip("/")

    @property
    def real(self) -> bool:
        """The machine itself, not a scratch tree (users, chown, systemd at run time)."""
        return self.root == Path("/")

    @property
    def opt(self) -> Path:
        return self.p("/opt/kiosk")

    @property
    def current(self) -> Path:
        return self.opt / "current"

    @property
    def probation(self) -> Path:
        return self.opt / "probation.json"

    @property
    def etc(self) -> Path:
        return self.p("/etc/kiosk")

    @property
    def config(self) -> Path:
        return self.etc / "kiosk.toml"

    @property
    def secrets(self) -> Path:
        return self.etc / "secrets.toml"

    @property
    def credential(self) -> Path:
        return self.etc / "credentials" / f"{CREDENTIAL_NAME}.cred"

    @property
    def state(self) -> Path:
        return self.p("/var/lib/kiosk")

    @property
    def logs(self) -> Path:
        return self.p("/var/log/kiosk")

    @property
    def unit(self) -> Path:
        return self.p("/lib/systemd/system/kiosk.service")

    @property
    def dropins(self) -> Path:
        """The site's drop-ins (kiosk-provision, the install's network allow-list)."""
        return self.p("/etc/systemd/system/kiosk.service.d")

    def user_ids(self, name: str) -> tuple[int, int] | None:
        """uid and gid of user ``name`` in this root's /etc/passwd, or None."""
        try:
            lines = self.p("/etc/passwd").read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        for line in lines:
            parts = line.split(":")
            if len(parts) > 3 and parts[0] == name and parts[2].isdigit() \
                    and parts[3].isdigit():
                return int(parts[2]), int(parts[3])
        return None

    def has_group(self, name: str) -> bool:
        """Whether this root's /etc/group has group ``name``."""
        try:
            text = self.p("/etc/group").read_text(encoding="utf-8")
        except OSError:
            return False
        return any(line.split(":", 1)[0] == name for line in text.splitlines())

    def version_dir(self, version: str) -> Path:
        """A release as the package installed it."""
        return self.opt / "releases" / version

    def kept_dir(self, version: str) -> Path:
        """The copy of a release kept for a rollback after it was upgraded."""
        return self.opt / "kept" / version

    def current_target(self) -> str | None:
        """Where ``current`` points, relative to ``/opt/kiosk`` (``releases/1.2``)."""
        try:
            return str(self.current.readlink())
        except OSError:
            return None

    def current_version(self) -> str | None:
        """The version ``current`` points at, or None."""
        target = self.current_target()
        return Path(target).name if target else None

    def switch(self, target: str) -> None:
        """Point ``current`` at ``target`` (relative to ``/opt/kiosk``) atomically: a new
        link renamed over the old one, so a start never sees no ``current``."""
        tmp = self.opt / ".current.new"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        tmp.replace(self.current)
