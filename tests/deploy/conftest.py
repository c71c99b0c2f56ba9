"""Fixtures of the deploy tests: the kiosk's Debian packages, built once per session."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.debian import build
from tests.deploy.helpers import REPO

BROKEN_DIAGNOSE = "    raise SystemExit(1)  # a release whose self-check fails\n"


def source_copy(dest: Path) -> Path:
    """This tree as another release's source. (Its fonts are copied: cutting them takes
    20 s; deploy/check-boot.sh builds from a fresh clone, which has none.)"""
    shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(
        ".git", ".venv", "var", "dist", "__pycache__", "tests", ".pytest_cache"))
    return dest


@pytest.fixture(scope="session")
def kiosk_debs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``good`` 1.0.0 (wheels from pip, as `./kiosk.sh package`), ``next`` 1.0.1 (the
    same wheels), ``broken`` 1.0.2 from a copy whose self-check fails."""
    if os.geteuid() != 0:
        pytest.skip("builds and installs packages as root (CI runs as root)")
    for tool in ("dpkg-deb", "systemd-creds"):
        if not shutil.which(tool):
            pytest.skip(f"needs {tool}")
    # Built once for the whole run: with pytest-xdist each worker has its own base temp
    # dir under a common parent, and the first worker to get here builds while the
    # others wait on the lock.
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "kiosk-debs"
    shared.mkdir(exist_ok=True)
    out, unpacked = shared / "debs", shared / "unpacked"
    debs = {"good": out / "good", "next": out / "next", "broken": out / "broken"}
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "done").exists():
            _build(shared, out, unpacked)
    made = {name: Path((shared / f"{name}.path").read_text()) for name in debs}
    return {**made, "unpacked": unpacked}


def _build(shared: Path, out: Path, unpacked: Path) -> None:
    for leftover in (out, unpacked, shared / "broken-src"):   # an earlier failed attempt
        shutil.rmtree(leftover, ignore_errors=True)
    good = build(REPO, out, "1.0.0")
    subprocess.run(["dpkg-deb", "-x", str(good), str(unpacked)], check=True, timeout=300)
    wheels = unpacked / "opt/kiosk/releases/1.0.0/wheels"
    nxt = build(REPO, out, "1.0.1", wheelhouse=wheels)
    src = source_copy(shared / "broken-src")
    diag = src / "kiosk" / "cli" / "diagnose.py"
    text = diag.read_text()
    text, n = re.subn(r"(?m)^    settings = settings_from\(args\)\n", BROKEN_DIAGNOSE, text,
                      count=1)
    assert n == 1, "kiosk/cli/diagnose.py changed: the broken release needs a new spot"
    diag.write_text(text)
    broken = build(src, out, "1.0.2", wheelhouse=wheels)
    for name, path in (("good", good), ("next", nxt), ("broken", broken)):
        (shared / f"{name}.path").write_text(str(path))
    (shared / "done").touch()
