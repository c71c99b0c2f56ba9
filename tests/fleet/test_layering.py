"""The fleet agent is Kivy-free (it runs under the app, but never draws)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_fleet_package_imports_no_kivy():
    code = ("import sys, kiosk.fleet.agent, kiosk.fleet.hooks, kiosk.cli.fleet; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kivy'))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
