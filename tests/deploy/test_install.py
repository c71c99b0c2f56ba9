"""install → idempotent re-install → upgrade → forced self-check failure → crash-loop
rollback → uninstall, on a scratch --root (real venvs, real self-check subprocesses)."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.deploy.bootcount import check, on_trial
from kiosk.deploy.install import Installer, InstallError, pip_install_command
from kiosk.deploy.layout import PROBATION_MAX_STARTS, Layout
from tests.deploy.helpers import REPO, write_secrets
from tests.fixtures.cli import clean_env, run_kiosk

DEPS = Path(sys.prefix)   # this venv's packages: no network in tests


def install(root: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return run_kiosk(["install", "--root", str(root), "--deps-from", str(DEPS), *more],
                     timeout=300)


def source_copy(tmp: Path, name: str, version: str) -> Path:
    """A copy of this repo as another release."""
    src = tmp / name
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "var", "__pycache__", "tests", ".pytest_cache"))
    init = src / "kiosk" / "__init__.py"
    init.write_text(re.sub(r'__version__ = "[^"]+"', f'__version__ = "{version}"',
                           init.read_text()))
    return src


def tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.lstat().st_mode, p.lstat().st_size)
            for p in sorted(root.rglob("*")) if "__pycache__" not in p.parts}


def test_install_upgrade_failed_check_crash_loop_rollback_uninstall(tmp_path: Path):
    root = tmp_path / "root"
    lay = Layout(root)
    res = install(root)
    assert res.returncode == 0, res.stderr
    assert "user kiosk not created" in res.stdout
    first = lay.current_version()
    assert first and first.startswith("0.1.0-")
    venv_py = lay.current / "venv" / "bin" / "python"
    where = subprocess.run([str(venv_py), "-c", "import kiosk; print(kiosk.__file__)"],
                           capture_output=True, text=True, env=clean_env(PYTHONPATH=""),
                           cwd=tmp_path,
                           timeout=60, check=True).stdout
    assert where.startswith(str(lay.version_dir(first) / "app"))
    assert stat.S_IMODE(lay.etc.stat().st_mode) == 0o750
    assert stat.S_IMODE((lay.etc / "kiosk.toml").stat().st_mode) == 0o640
    assert stat.S_IMODE(lay.state.stat().st_mode) == 0o700
    assert "demo = false" in (lay.etc / "kiosk.toml").read_text()
    assert lay.unit.exists() and lay.xorg_conf.exists()

    # Idempotent: a second run changes nothing.
    before = tree(root)
    assert install(root).returncode == 0
    assert tree(root) == before

    # The site fills in its secrets, then upgrades: self-check passes, current switches.
    write_secrets(lay.etc / "secrets.toml")
    good = source_copy(tmp_path, "good", "0.2.0")
    res = install(root, "--upgrade", str(good))
    assert res.returncode == 0, res.stderr
    second = lay.current_version()
    assert second and second.startswith("0.2.0-") and lay.version_dir(first).is_dir()
    assert json.loads(lay.probation.read_text())["previous"] == first
    # On trial: the session runner (user kiosk) reads this to give up on a crash loop.
    assert on_trial(lay) and stat.S_IMODE(lay.probation.stat().st_mode) == 0o644

    # A release whose self-check fails is installed beside, never switched to.
    bad = source_copy(tmp_path, "bad", "0.3.0")
    diag = bad / "kiosk" / "cli" / "diagnose.py"
    diag.write_text(diag.read_text().replace(
        "    settings = settings_from(args)\n",
        "    raise SystemExit(1)  # a broken release\n", 1))
    res = install(root, "--upgrade", str(bad))
    assert res.returncode == 1
    assert len(res.stderr.strip().splitlines()) == 1 and "self-check" in res.stderr
    assert lay.current_version() == second

    # The good-looking 0.2.0 crash-loops at start: each systemd start counts, the one
    # after PROBATION_MAX_STARTS rolls back to the version before.
    for _ in range(PROBATION_MAX_STARTS):
        assert "in probation" in check(lay)
        assert lay.current_version() == second
    assert "rolled back" in check(lay)
    assert lay.current_version() == first and not lay.probation.exists()
    assert not on_trial(lay)   # the release rolled back to is trusted: no more giving up
    assert check(lay) == "no probation"

    # Uninstall removes everything it added; the operator's secrets stay.
    res = install(root, "--uninstall")
    assert res.returncode == 0, res.stderr
    left = [p.relative_to(root) for p in root.rglob("*") if p.is_file()]
    assert all(str(p) == "etc/kiosk/secrets.toml" or str(p).startswith(("var/lib/kiosk/",
               "var/log/kiosk/")) for p in left), left   # data the kiosk wrote stays
    assert not (root / "etc" / "systemd").exists() and not (root / "etc" / "X11").exists()
    assert not (root / "opt" / "kiosk").exists()


def test_probation_ends_after_the_window(tmp_path: Path):
    lay = Layout(tmp_path)
    (lay.opt / "a").mkdir(parents=True)
    (lay.opt / "b").mkdir()
    lay.current.symlink_to("b")
    lay.probation.write_text(json.dumps({"version": "b", "previous": "a", "since": 0}))
    assert on_trial(lay, now=10) and not on_trial(lay, now=10_000)
    lay.current.unlink()
    lay.current.symlink_to("a")           # another release is current: not on trial
    assert not on_trial(lay, now=10)
    lay.current.unlink()
    lay.current.symlink_to("b")
    assert "trusted" in check(lay, now=10_000)
    assert lay.current_version() == "b" and not lay.probation.exists()


def test_an_unreadable_probation_file_is_no_trial(tmp_path: Path):
    lay = Layout(tmp_path)
    (lay.opt / "b").mkdir(parents=True)
    lay.current.symlink_to("b")
    assert not on_trial(lay)
    lay.probation.write_text("{not json")
    assert not on_trial(lay) and lay.probation.exists()   # read-only: check() removes it


def test_install_to_the_real_root_needs_root():
    if os.geteuid() == 0:
        pytest.skip("running as root")
    res = run_kiosk(["install"])
    assert res.returncode == 1 and "run as root" in res.stderr


def test_pip_installs_the_dependencies_not_the_kiosk_itself(tmp_path: Path):
    """An installed copy of ``kiosk`` in site-packages comes before ``app/`` on the path
    (seen in a booted container: the start-up could not find assets/fonts)."""
    cmd = pip_install_command(tmp_path / "venv", REPO)
    assert cmd[:2] == [str(tmp_path / "venv" / "bin" / "pip"), "install"]
    assert str(REPO) not in cmd and "." not in cmd
    assert any(arg.startswith("kivy") for arg in cmd)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    with pytest.raises(InstallError, match="no \\[project\\] dependencies"):
        pip_install_command(tmp_path / "venv", tmp_path)


def test_a_release_from_a_fresh_clone_gets_its_fonts(tmp_path: Path):
    """git has no assets/fonts/*.otf (set-up extracts them): the installer does it for
    the release, or its app exits at start ("the Chinese font is missing")."""
    src = source_copy(tmp_path, "clone", "0.1.9")
    for otf in (src / "assets" / "fonts").glob("*.otf"):
        otf.unlink()
    root = tmp_path / "root"
    version = Installer(Layout(root), deps_from=DEPS).install_version(src)
    fonts = root / "opt" / "kiosk" / version / "app" / "assets" / "fonts"
    assert sorted(p.name for p in fonts.glob("*.otf")) == [
        "NotoSansCJKsc-Bold.otf", "NotoSansCJKsc-Regular.otf"]
