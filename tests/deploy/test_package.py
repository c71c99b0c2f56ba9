"""The kiosk's Debian package, built by the real builder and installed by the real dpkg
into a scratch root (maintainer scripts unchrooted, honouring $DPKG_ROOT): what it holds
and depends on; install → provision → upgrade → crash-loop rollback → an upgrade whose
self-check fails → purge. The booted-container check (deploy/check-boot.sh) does the same
through apt from a signed repository under a real systemd."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from kiosk.deploy.bootcount import check, on_trial
from kiosk.deploy.credential import format_credential
from kiosk.deploy.layout import GROUPS, PROBATION_MAX_STARTS, Layout
from kiosk.deploy.maint import Configure
from kiosk.deploy.package import package_names, read_list
from kiosk.secrets import hash_pin
from tests.deploy.debian import dpkg, said, scratch_root
from tests.deploy.helpers import REPO, TECH_PIN

FORBIDDEN = ("gcc", "cc", "clang", "g++", "swig", "python3-dev", "libpcsclite-dev",
             "chromium", "firefox-esr", "xdotool", "prometheus", "vsmartcard-vpcd",
             "xvfb", "x11-apps")
KEY = bytes.fromhex("5a17" * 16)


def control(deb: Path) -> dict[str, str]:
    text = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if line[:1].isspace():
            continue
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def contents(deb: Path) -> dict[str, str]:
    """path → mode string, from ``dpkg-deb -c``."""
    out = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return {line.split()[-1].removeprefix("./").split(" -> ")[0]: line.split()[0]
            for line in out.splitlines()}


def test_the_package_depends_on_what_a_terminal_runs_and_nothing_else(kiosk_debs):
    fields = control(kiosk_debs["good"])
    assert fields["Package"] == "kiosk" and fields["Version"] == "1.0.0"
    depends = [d.strip() for d in fields["Depends"].split(",")]
    assert depends == read_list(REPO / "deploy" / "packages" / "terminal.txt")
    names = {d.split()[0] for d in depends}
    assert not names & set(FORBIDDEN), names & set(FORBIDDEN)
    # Beside them, with its reason (kiosk/deploy/package.py): boxes without a GPU driver.
    assert fields["Recommends"] == "xserver-xorg-video-dummy"
    for needed in ("pcscd", "xserver-xorg-core", "espeak-ng", "python3-pip-whl", "systemd"):
        assert needed in names
    # Nothing of the development or build lists slips into a terminal.
    lists = REPO / "deploy" / "packages"
    assert not names & (set(package_names(lists / "development.txt"))
                        | set(package_names(lists / "build.txt")))


def test_the_package_holds_one_release_its_wheels_and_the_system_files(kiosk_debs):
    files = contents(kiosk_debs["good"])
    rel = "opt/kiosk/releases/1.0.0/"
    for path in ("app/kiosk/__init__.py", "app/config/kiosk.toml",
                 "app/assets/fonts/NotoSansCJKsc-Regular.otf", "app/docs/deploying.md",
                 "wheels/requirements.txt"):
        assert rel + path in files, path
    assert "lib/systemd/system/kiosk.service" in files
    assert files["usr/sbin/kiosk-provision"] == "-rwxr-xr-x"
    assert {"etc/X11/kiosk.conf", "etc/X11/kiosk-dummy.conf"} <= set(files)
    assert not [p for p in files if "__pycache__" in p or p.endswith(".pyc")]
    wheels = [p for p in files if p.startswith(rel + "wheels/") and p.endswith(".whl")]
    assert any("/Kivy-" in p for p in wheels) and any("/pyscard-" in p for p in wheels)
    # Every wheel pinned by its hash: pip installs exactly these, offline.
    unpacked = kiosk_debs["unpacked"] / rel
    pins = (unpacked / "wheels" / "requirements.txt").read_text().splitlines()
    assert len(pins) == len(wheels) and all("--hash=sha256:" in p for p in pins)
    # The unit's documentation link is a file of the release.
    unit = (kiosk_debs["unpacked"] / "lib/systemd/system/kiosk.service").read_text()
    doc = next(line for line in unit.splitlines() if line.startswith("Documentation="))
    assert (unpacked / doc.removeprefix("Documentation=file:///opt/kiosk/current/")).is_file()


def provision(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """kiosk-provision as the package installed it (its venv, its code), on ``root``."""
    cred = format_credential("T-4403-0001", KEY, base_url="https://10.20.30.40/",
                             site="outlet")
    python = root / "opt/kiosk/current/venv/bin/python"
    return subprocess.run([str(python), "-m", "kiosk.deploy.provision", "--root", str(root),
                           "--credential", "-", "--technician-pin-hash",
                           hash_pin(TECH_PIN, iterations=1000), "--hotline", "12333", *extra],
                          input=cred, capture_output=True, text=True, timeout=120, cwd="/")


def files_holding(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()
            and needle in p.read_bytes()]


def mode_owner(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


def test_install_provision_upgrade_roll_back_refuse_a_broken_release_purge(
        kiosk_debs, tmp_path: Path):
    root = scratch_root(tmp_path / "root")
    lay = Layout(root)
    res = dpkg(root, "-i", str(kiosk_debs["good"]))
    assert res.returncode == 0, said(res)
    assert "venv of 1.0.0: made from the wheels" in said(res)
    assert "not provisioned yet: run kiosk-provision" in said(res)

    # The user, the directories and their modes; current; the units enabled.
    uid, gid = lay.user_ids("kiosk") or (None, None)
    assert uid is not None
    passwd = next(line for line in (root / "etc/passwd").read_text().splitlines()
                  if line.startswith("kiosk:"))
    assert passwd.endswith(":/var/lib/kiosk:/usr/sbin/nologin")
    groups = [line.split(":")[0] for line in (root / "etc/group").read_text().splitlines()
              if "kiosk" in line.split(":")[-1].split(",")]
    assert set(groups) == {g for g in GROUPS if lay.has_group(g)}
    assert mode_owner(lay.etc) == (0o750, 0, gid)
    assert mode_owner(lay.config) == (0o640, 0, gid)
    assert mode_owner(lay.credential.parent) == (0o700, 0, 0)
    assert mode_owner(lay.state) == (0o700, uid, gid)
    assert mode_owner(lay.logs) == (0o700, uid, gid)
    assert "demo = false" in lay.config.read_text()
    assert lay.current_target() == "releases/1.0.0"
    wants = root / "etc/systemd/system"
    assert (wants / "graphical.target.wants/kiosk.service").is_symlink()
    assert (wants / "sockets.target.wants/pcscd.socket").is_symlink()
    # The release's venv finds its own code and nothing outside the release and Python
    # itself (an install once pointed into a developer's venv: --deps-from).
    paths = subprocess.run(
        [str(lay.current / "venv/bin/python"), "-c",
         "import sys, kiosk, smartcard; print(kiosk.__file__); print(*sys.path[1:])"],
        capture_output=True, text=True, timeout=120, cwd="/", env={"PATH": "/usr/bin:/bin"},
        check=True).stdout.split()
    assert paths[0] == str(lay.current / "app/kiosk/__init__.py")
    assert all(p.startswith((str(lay.current) + "/", "/usr/lib/python3")) for p in paths[1:])

    # Provisioning: config, sealed key, network; no plain key anywhere in the tree.
    res = provision(root)
    assert res.returncode == 0, res.stdout + res.stderr
    text = lay.config.read_text()
    assert 'terminal_id = "T-4403-0001"' in text and 'base_url = "https://10.20.30.40/"' in text
    assert "terminal_key" not in lay.secrets.read_text()
    assert mode_owner(lay.secrets) == (0o400, uid, gid)
    assert mode_owner(lay.credential) == (0o600, 0, 0)
    assert not files_holding(root, KEY.hex().encode()) and not files_holding(root, KEY)
    assert "IPAddressAllow=10.20.30.40/32" in (lay.dropins / "50-network.conf").read_text()

    # Upgrade: the release that ran is kept (hard links), the self-check passes with the
    # sealed key, current switches, the trial starts.
    res = dpkg(root, "-i", str(kiosk_debs["next"]))
    assert res.returncode == 0, said(res)
    assert "linked from kept/1.0.0" in said(res) and "self-check of 1.0.1 passed" in said(res)
    assert lay.current_target() == "releases/1.0.1"
    assert not lay.version_dir("1.0.0").exists()          # dpkg removed it
    assert (lay.kept_dir("1.0.0") / "app/kiosk/__init__.py").is_file()
    trial = json.loads(lay.probation.read_text())
    assert trial["version"] == "1.0.1" and trial["previous"] == "kept/1.0.0"
    assert on_trial(lay) and stat.S_IMODE(lay.probation.stat().st_mode) == 0o644

    # It crash-loops: each systemd start counts (ExecStartPre=+ bootcount); past the limit
    # current goes back to the kept release, which runs.
    for _ in range(PROBATION_MAX_STARTS):
        assert "in probation" in check(lay)
    assert "rolled back from 1.0.1 to 1.0.0 (kept/1.0.0)" in check(lay)
    assert lay.current_target() == "kept/1.0.0" and not on_trial(lay)
    ran = subprocess.run([str(lay.current / "venv/bin/python"), "-c",
                          "import kiosk; print(kiosk.__file__)"], capture_output=True,
                         text=True, timeout=60, cwd="/", check=True).stdout.strip()
    assert ran == str(lay.current / "app/kiosk/__init__.py")

    # A release whose self-check fails: dpkg reports the failure, the kept one runs on.
    res = dpkg(root, "-i", str(kiosk_debs["broken"]))
    assert res.returncode != 0
    assert "self-check of 1.0.2 failed" in said(res) and "running 1.0.0 (kept/1.0.0)" in said(res)
    assert lay.current_target() == "kept/1.0.0"

    # Purge: no user, nothing left owned by its uid, the key gone, the data kept as root's.
    res = dpkg(root, "--purge", "kiosk")
    assert res.returncode == 0, said(res)
    assert lay.user_ids("kiosk") is None
    assert not [p for p in root.rglob("*") if p.lstat().st_uid == uid or p.lstat().st_gid == gid]
    assert not lay.etc.exists() and not lay.opt.exists() and not lay.dropins.exists()
    assert not (wants / "graphical.target.wants/kiosk.service").exists()
    assert mode_owner(lay.state)[1:] == (0, 0)
    assert "kept, owned by root: /var/lib/kiosk /var/log/kiosk" in said(res)


def postrm(kiosk_debs, root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The package's own postrm, run alone on ``root`` as dpkg runs it ($DPKG_ROOT)."""
    script = kiosk_debs["unpacked"] / "postrm"
    if not script.exists():
        subprocess.run(["dpkg-deb", "-e", str(kiosk_debs["good"]), str(script.parent / "ctl")],
                       check=True, timeout=60)
        (script.parent / "ctl" / "postrm").rename(script)
    return subprocess.run(["sh", str(script), *args], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                           "DPKG_ROOT": str(root), **env})


@pytest.mark.parametrize("keep", [False, True])
def test_purge_keeps_the_sealed_key_only_when_the_operator_asks(kiosk_debs, tmp_path: Path,
                                                                keep: bool):
    root = scratch_root(tmp_path / "root")
    lay = Layout(root)
    subprocess.run(["useradd", "--prefix", str(root), "--system", "--user-group", "kiosk"],
                   check=True, timeout=60)
    uid, gid = lay.user_ids("kiosk") or (0, 0)
    for d in (lay.credential.parent, lay.state):
        d.mkdir(parents=True)
    lay.credential.write_bytes(b"sealed")
    lay.config.write_text("[kiosk]\n")
    (lay.state / "outbox.db").write_bytes(b"queued")
    for path in (lay.etc, lay.config, lay.state, lay.state / "outbox.db"):
        os.chown(path, uid, gid)   # as the install leaves them: the kiosk's
    res = postrm(kiosk_debs, root, "purge", **({"KIOSK_KEEP_KEY": "1"} if keep else {}))
    assert res.returncode == 0, res.stderr
    assert lay.user_ids("kiosk") is None
    assert (lay.state / "outbox.db").read_bytes() == b"queued"     # never deleted silently
    assert mode_owner(lay.state / "outbox.db")[1:] == (0, 0)
    if keep:
        assert lay.credential.read_bytes() == b"sealed"
        assert sorted(p.name for p in lay.etc.iterdir()) == ["credentials"]
        assert mode_owner(lay.etc) == (0o700, 0, 0)
        assert "the sealed terminal key: KIOSK_KEEP_KEY=1" in res.stderr
    else:
        assert not lay.etc.exists()


def test_a_new_install_gives_the_kiosk_back_what_a_purge_left_to_root(kiosk_debs,
                                                                      tmp_path: Path):
    """Seen in the booted container: install, purge (the data chowned to root), install
    again: the new kiosk could not replace its session's X cookie and failed to start."""
    root = scratch_root(tmp_path / "root")
    lay = Layout(root)
    session = lay.state / "session"
    session.mkdir(parents=True)
    (session / "Xserver.auth").write_bytes(b"cookie")       # root's, as the purge left it
    secret = root / "root-only"
    secret.write_text("root's")
    (session / "link").symlink_to(secret)                    # never followed
    release = lay.version_dir("1.0.0")
    release.mkdir(parents=True)
    shutil.copytree(kiosk_debs["unpacked"] / "opt/kiosk/releases/1.0.0/app", release / "app")
    step = Configure(lay, "1.0.0")
    step.ensure_user()
    step.ensure_files()
    uid, gid = lay.user_ids("kiosk") or (None, None)
    for path in (lay.state, session, session / "Xserver.auth"):
        assert mode_owner(path)[1:] == (uid, gid), path
    assert (session / "link").lstat().st_uid == uid
    assert mode_owner(secret)[1:] == (0, 0)
