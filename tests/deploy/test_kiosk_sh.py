"""``./kiosk.sh install`` on a terminal must not install the vpcd driver (production
refuses to start while it is there) nor anything else of the development list: it
installs what building the package needs, then the package, whose Depends bring the rest.
Runs the real script with apt stand-ins on PATH (nothing is installed)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kiosk.deploy.package import package_names
from tests.deploy.helpers import REPO

LISTS = REPO / "deploy" / "packages"

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
    return [w for w in log.read_text().split() if not w.startswith("-") and w != "install"]


@pytest.fixture(scope="module")
def asked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    tmp = tmp_path_factory.mktemp("kiosk-sh")
    return {cmd: packages_asked(tmp, cmd) for cmd in ("setup", "install")}


def test_install_leaves_out_the_vpcd_driver_and_every_development_package(
        asked: dict[str, list[str]]):
    assert "vsmartcard-vpcd" not in asked["install"]
    assert not set(asked["install"]) & set(package_names(LISTS / "development.txt"))
    # It builds the package (compilers, the fonts to cut); apt brings the terminal's part.
    assert set(asked["install"]) == set(package_names(LISTS / "build.txt"))


def test_setup_for_the_demo_still_installs_it(asked: dict[str, list[str]]):
    assert "vsmartcard-vpcd" in asked["setup"]
    assert set(asked["install"]) < set(asked["setup"])
    every = {n for f in LISTS.glob("*.txt") for n in package_names(f)}
    assert set(asked["setup"]) == every        # each once
    assert len(asked["setup"]) == len(set(asked["setup"]))
