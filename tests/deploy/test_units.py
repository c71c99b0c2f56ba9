"""The systemd unit, checked by systemd's own tools (no running systemd needed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.deploy.layout import CREDENTIAL_NAME, Layout
from tests.deploy.helpers import REPO

pytestmark = pytest.mark.skipif(not shutil.which("systemd-analyze"),
                                reason="needs systemd-analyze (package systemd)")
UNIT = REPO / "deploy" / "systemd" / "kiosk.service"
MAX_EXPOSURE = 2.5   # README "Deploying a terminal" records the figure and why


def runnable_copy(tmp: Path) -> Path:
    """The unit with the installed interpreter replaced by this one: verify checks that
    every command exists."""
    out = tmp / UNIT.name
    out.write_text(UNIT.read_text().replace("/opt/kiosk/current/venv/bin/python",
                                            sys.executable))
    return out


def test_unit_verifies(tmp_path: Path):
    res = subprocess.run(["systemd-analyze", "verify", "--man=no", str(runnable_copy(tmp_path))],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and not res.stderr.strip(), res.stderr


def test_a_broken_unit_is_caught(tmp_path: Path):
    bad = runnable_copy(tmp_path)
    bad.write_text(bad.read_text().replace("Type=notify", "Type=notifyy"))
    res = subprocess.run(["systemd-analyze", "verify", "--man=no", str(bad)],
                         capture_output=True, text=True, timeout=60)
    assert "notifyy" in res.stderr   # what test_unit_verifies would see


def test_exposure_score_stays_low(tmp_path: Path):
    res = subprocess.run(["systemd-analyze", "security", "--offline=true",
                          str(runnable_copy(tmp_path))], capture_output=True, text=True,
                         timeout=60)
    m = re.search(r"Overall exposure level for kiosk.service: ([0-9.]+)", res.stdout)
    assert m, res.stdout[-500:] + res.stderr
    assert float(m.group(1)) <= MAX_EXPOSURE


def test_hardening_the_unit_promises():
    text = UNIT.read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=always", "User=kiosk",
                 "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                 "PrivateTmp=yes", "ReadWritePaths=/var/lib/kiosk /var/log/kiosk",
                 "CapabilityBoundingSet=\n", "DevicePolicy=closed", "pcscd.socket"):
        assert line in text, line


def unit_values(key: str) -> list[str]:
    """Every value of ``key`` in the unit (keys may repeat), split on spaces."""
    return [v for line in UNIT.read_text().splitlines() if line.startswith(f"{key}=")
            for v in line.split("=", 1)[1].split()]


def test_readers_come_from_the_socket_activated_pcscd():
    assert "pcscd.socket" in unit_values("Wants")
    assert "pcscd.socket" in unit_values("After")   # the socket exists before the kiosk
    # The package enables it (tests/deploy/test_package.py sees sockets.target.wants).


def test_the_terminal_key_comes_sealed_and_is_needed_to_start():
    path = str(Layout(Path("/")).credential)
    assert unit_values("LoadCredentialEncrypted") == [f"{CREDENTIAL_NAME}:{path}"]
    assert unit_values("AssertPathExists") == [path]


def syscalls(group: str) -> set[str]:
    """The system calls of a name or an @group, groups expanded (systemd's own lists)."""
    if not group.startswith("@"):
        return {group}
    out = subprocess.run(["systemd-analyze", "syscall-filter", group], capture_output=True,
                         text=True, timeout=30).stdout.splitlines()[1:]
    names = [s.strip() for s in out if s.strip() and not s.strip().startswith("#")]
    return set().union(*(syscalls(n) for n in names)) if names else set()


def test_system_call_filter_lets_xorg_start_and_still_denies_the_rest():
    """In order, as systemd merges them: the first line is the allow list, ``~`` lines
    take away, later plain lines add back."""
    allowed: set[str] = set()
    lines = [line.split("=", 1)[1] for line in UNIT.read_text().splitlines()
             if line.startswith("SystemCallFilter=")]
    for i, value in enumerate(lines):
        names = set().union(*(syscalls(n) for n in value.lstrip("~").split()))
        allowed = allowed - names if (i and value.startswith("~")) else allowed | names
    # Xorg as user kiosk calls these at start; denied, it died of SIGSYS under systemd.
    assert {"setresuid", "setuid", "mincore"} <= allowed
    assert not {"mount", "reboot", "init_module", "iopl", "ptrace", "setgroups"} & allowed


def test_data_and_log_dirs_stay_private_at_every_start():
    # StateDirectory=/LogsDirectory= chmod to 0755 at each start unless told otherwise.
    assert unit_values("StateDirectoryMode") == ["0700"]
    assert unit_values("LogsDirectoryMode") == ["0700"]


def test_one_cgroup_holds_the_whole_session():
    """No PAMName=: with it, pam_systemd moved every process into a logind session scope,
    so a watchdog restart or a kill -9 of the runner left the old Xorg and app running
    beside the new session, and the device policy applied to an empty cgroup (seen in a
    booted container; deploy/check-boot.sh counts the processes after each)."""
    text = UNIT.read_text()
    assert not unit_values("PAMName")
    # SIGTERM to the runner (it stops the app, then Xorg), then SIGKILL to what is left.
    assert unit_values("KillMode") == ["mixed"]
    assert unit_values("TTYPath") == ["/dev/tty7"]    # the VT, chowned to User= by systemd
    assert "DevicePolicy=closed" in text


def test_network_and_devices_are_closed_but_for_what_the_kiosk_uses():
    assert unit_values("IPAddressDeny") == ["any"]
    assert unit_values("IPAddressAllow") == ["localhost"]  # the central's come in a drop-in
    assert "char-ttyACM" in unit_values("DeviceAllow")   # USB-CDC e-SSC scanner


def test_the_documentation_link_points_into_the_installed_release():
    (url,) = unit_values("Documentation")
    assert url.startswith("file:///opt/kiosk/current/app/")
    # app/ is a copy of the repo's tree (kiosk/deploy): the file must be in it.
    assert (REPO / url.removeprefix("file:///opt/kiosk/current/app/")).is_file()
