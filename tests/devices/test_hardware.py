"""Real readers: run only where one is plugged in (``-m hardware``); skipped otherwise.

The test process talks to the private pcscd, so the system pcscd is asked from a
subprocess with the default socket.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.fixtures.cli import run_kiosk

pytestmark = pytest.mark.hardware

_LIST = """
import json
from kiosk.devices.pcsc.context import PcscContext
try:
    print(json.dumps(PcscContext().list_readers()))
except Exception:
    print("[]")
"""


def real_readers() -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "PCSCLITE_CSOCK_NAME"}
    try:
        out = subprocess.run([sys.executable, "-c", _LIST], capture_output=True, text=True,
                             timeout=10, env=env).stdout
        return [r for r in json.loads(out or "[]") if not r.startswith("Virtual PCD")]
    except (subprocess.SubprocessError, ValueError):
        return []


def test_read_a_real_card() -> None:
    if not os.path.exists("/run/pcscd/pcscd.comm"):
        pytest.skip("no system pcscd running, so no real reader to use")
    readers = real_readers()
    if not readers:
        pytest.skip("no real PC/SC reader connected to the system pcscd")
    env = {k: v for k, v in os.environ.items() if k != "PCSCLITE_CSOCK_NAME"}
    r = run_kiosk(["read-card", "--json", "--timeout", "30"], env, timeout=60)
    # Either data, or one clear line and a kind exit code: never a traceback.
    assert "Traceback" not in r.stderr
    if r.returncode == 0:
        assert json.loads(r.stdout)
    else:
        assert r.returncode in (3, 4, 5, 6, 7, 8) and r.stderr.count("\n") == 1
