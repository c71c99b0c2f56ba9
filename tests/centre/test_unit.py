"""The centre's systemd unit, checked by systemd's own tools (no running systemd needed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not shutil.which("systemd-analyze"),
                                reason="needs systemd-analyze (package systemd)")
UNIT = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "kiosk-centre.service"
MAX_EXPOSURE = 1.5  # docs/centre.md records the figure and what keeps it there


def runnable_copy(tmp: Path) -> Path:
    """The unit with the installed command replaced by this checkout's (verify checks
    that every command exists)."""
    out = tmp / UNIT.name
    here = Path(sys.executable).parent / "kiosk-centre"
    out.write_text(UNIT.read_text().replace("/opt/kiosk-centre/venv/bin/kiosk-centre",
                                            str(here)))
    return out


def test_the_centre_unit_verifies_and_stays_hardened(tmp_path: Path):
    unit = runnable_copy(tmp_path)
    verify = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert verify.returncode == 0 and not verify.stderr.strip(), verify.stderr
    security = subprocess.run(["systemd-analyze", "security", "--offline=true", str(unit)],
                              capture_output=True, text=True, timeout=60, check=False)
    m = re.search(r"Overall exposure level for kiosk-centre.service: ([0-9.]+)",
                  security.stdout)
    assert m, security.stdout[-500:] + security.stderr
    assert float(m.group(1)) <= MAX_EXPOSURE
    text = UNIT.read_text()
    for line in ("User=kiosk-centre", "LoadCredentialEncrypted=master-key:",
                 "ProtectSystem=strict", "PrivateDevices=yes", "CapabilityBoundingSet=\n",
                 "MemoryDenyWriteExecute=yes", "Restart=always"):
        assert line in text, line
