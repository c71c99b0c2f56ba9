"""Runs the real-window journey tests (tests/e2e/window) in their own process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kiosk.config import REPO_ROOT


@pytest.mark.ui
@pytest.mark.pcsc
@pytest.mark.timeout(900)
def test_journeys_in_a_real_window() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "PCSCLITE_CSOCK_NAME", "PYTEST_ADDOPTS")}
    env["KIOSK_E2E_WINDOW"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/e2e/window", "-q", "-p", "no:cacheprovider"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=880)
    tail = proc.stdout[-8000:] + "\n" + proc.stderr[-3000:]
    if proc.returncode == 5:  # nothing collected: would hide a broken set-up
        pytest.fail("no window tests collected:\n" + tail)
    assert proc.returncode == 0, tail
    assert " passed" in proc.stdout and "skipped" not in proc.stdout.splitlines()[-1], tail
