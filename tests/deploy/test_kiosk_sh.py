"""``./kiosk.sh install`` on a terminal must not install the vpcd driver: production
refuses to start while it is there, so an install or an upgrade that brought it back
would leave the terminal out of service. Runs the real script with apt stand-ins on PATH
(nothing is installed)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.deploy.helpers import REPO

FAKES = {
    # Nothing is installed yet: every package is "missing".
    "dpkg-query": "#!/bin/sh\nexit 1\n",
    # As root, whoever runs the tests.
    "id": "#!/bin/sh\necho 0\n",
    # Records what would be installed, then fails so kiosk.sh stops before any venv work.
    "apt-get": '#!/bin/sh\n[ "$1" = update ] && exit 0\necho "$@" >> "$APT_LOG"\nexit 3\n',
}


def packages_asked(tmp: Path, *args: str) -> list[str]:
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, text in FAKES.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    log = tmp / f"apt-{args[0]}.log"
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "APT_LOG": str(log),
           "HOME": str(tmp)}
    res = subprocess.run(["bash", str(REPO / "kiosk.sh"), *args], env=env, text=True,
                         capture_output=True, timeout=60)
    assert res.returncode == 3, res.stderr   # stopped at the stand-in apt-get install
    return log.read_text().split()


@pytest.fixture(scope="module")
def asked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    tmp = tmp_path_factory.mktemp("kiosk-sh")
    return {cmd: packages_asked(tmp, cmd) for cmd in ("setup", "install")}


def test_install_leaves_out_the_vpcd_driver(asked: dict[str, list[str]]):
    assert "vsmartcard-vpcd" not in asked["install"]
    # what a terminal needs is still there
    for pkg in ("pcscd", "xserver-xorg-core", "xserver-xorg-video-dummy", "python3-venv"):
        assert pkg in asked["install"], pkg


def test_setup_for_the_demo_still_installs_it(asked: dict[str, list[str]]):
    assert "vsmartcard-vpcd" in asked["setup"]
    assert set(asked["install"]) < set(asked["setup"])
