"""Shared by the package tests: a scratch Debian root that the real dpkg installs into
(``dpkg --root``, maintainer scripts unchrooted with ``$DPKG_ROOT``), and packages built
once per test session by the real builder (kiosk/deploy/package.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from kiosk.deploy.package import Builder

# The host's accounts and their defaults: useradd --prefix works on copies of them.
ACCOUNT_FILES = ("passwd", "group", "shadow", "gshadow", "login.defs")
# A stand-in for Debian's pcscd.socket, so that enabling it can be seen in the tree.
PCSCD_SOCKET = "[Socket]\nListenStream=/run/pcscd/pcscd.comm\n\n[Install]\n" \
               "WantedBy=sockets.target\n"


def scratch_root(path: Path) -> Path:
    """An empty dpkg database and the accounts, under ``path``."""
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "etc",
              "lib/systemd/system"):
        (path / d).mkdir(parents=True, exist_ok=True)
    (path / "var/lib/dpkg/status").touch()
    for name in ACCOUNT_FILES:
        shutil.copy2(Path("/etc") / name, path / "etc" / name)
    (path / "lib/systemd/system/pcscd.socket").write_text(PCSCD_SOCKET)
    return path


def dpkg(root: Path, *args: str, env: dict[str, str] | None = None,
         timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The real dpkg on ``root`` (its Depends are not in that database: forced)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK__", "PYTHON"))}
    full.update(env or {})
    return subprocess.run(["dpkg", f"--root={root}", "--force-script-chrootless",
                           "--force-depends", "--log=/dev/null", *args],
                          capture_output=True, text=True, timeout=timeout, env=full,
                          cwd="/")


def said(res: subprocess.CompletedProcess[str]) -> str:
    """What dpkg and the maintainer scripts said, without the forced-Depends noise."""
    return "\n".join(line for line in (res.stdout + res.stderr).splitlines()
                     if "depends on" not in line and "however:" not in line
                     and "is not installed" not in line)


def build(src: Path, out: Path, version: str, wheelhouse: Path | None = None) -> Path:
    return Builder(src, version=version, wheelhouse=wheelhouse).build(out).path
