"""sd_notify against a real datagram socket and the real app under Xvfb."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.system.notify import Notifier, NotifyRelay, socket_address
from kiosk.ui.xvfb import Xvfb
from tests.deploy.helpers import production_env
from tests.deploy.running import H, NotifySocket, W, start_kiosk, stop

pytestmark = pytest.mark.ui


def test_watchdog_interval_is_half_of_watchdog_usec_and_only_for_us():
    assert Notifier({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "4000000"}).watchdog_seconds == 2
    assert Notifier({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "1"}).watchdog_seconds == 0
    assert Notifier({"WATCHDOG_USEC": "soon"}).watchdog_seconds == 0
    assert not Notifier({}).enabled and Notifier({}).send("READY=1") is False
    assert socket_address("@kiosk/notify") == "\0kiosk/notify"


def test_send_to_a_vanished_socket_is_false_not_an_error(tmp_path: Path):
    assert Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")}).send("READY=1") is False


@pytest.mark.parametrize("abstract", [False, True])
def test_running_kiosk_sends_ready_then_watchdog_then_stopping(tmp_path: Path, abstract: bool):
    notify = (NotifySocket(abstract=f"kiosk-test-{os.getpid()}-{tmp_path.name}") if abstract
              else NotifySocket(tmp_path / "notify.sock"))
    env = production_env(tmp_path, WATCHDOG_USEC="1000000")  # a ping every 0.5 s
    with Xvfb(W, H) as xvfb:
        started = time.monotonic()
        proc = start_kiosk(env, xvfb.display, notify)
        try:
            ready = notify.wait_for("READY=1", timeout=90)
            assert not any("WATCHDOG=1" in m for t, m in notify.messages if t < ready)
            for _ in range(4):
                notify.wait_for("WATCHDOG=1", timeout=3)
            pings = [t for t, m in notify.messages if "WATCHDOG=1" in m]
            gaps = [b - a for a, b in zip(pings[1:], pings[2:], strict=False)]
            assert all(0.2 < g < 1.0 for g in gaps), gaps   # half of 1 s, from the Clock
            assert proc.poll() is None
            proc.terminate()
            notify.wait_for("STOPPING=1", timeout=15)
            proc.wait(15)   # one SIGTERM only: a second one during exit would kill it
        finally:
            err = stop(proc)
            notify.close()
    assert proc.returncode == 0, err[-2000:]
    print(f"READY=1 {ready - started:.2f}s after start")


def test_a_frozen_ui_thread_stops_the_watchdog_pings(tmp_path: Path):
    """The pings come from the UI thread's Clock: while it hangs, none arrive, so
    systemd's WatchdogSec kills the kiosk."""
    notify = NotifySocket(tmp_path / "notify.sock")
    env = {**production_env(tmp_path), "NOTIFY_SOCKET": notify.name, "WATCHDOG_USEC": "400000"}
    script = Path(__file__).with_name("freeze_app.py")
    with Xvfb(W, H) as xvfb:
        proc = subprocess.Popen([sys.executable, str(script), "3"], env={**env,
                                "DISPLAY": xvfb.display}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        try:
            ready = notify.wait_for("READY=1", timeout=60)
            notify.wait_for("STOPPING=1", timeout=30)
        finally:
            stop(proc)
            notify.close()
    pings = [t - ready for t, m in notify.messages if "WATCHDOG=1" in m]
    gaps = [b - a for a, b in zip(pings, pings[1:], strict=False)]
    assert max(gaps) > 2.5, gaps                # silent while frozen (3 s)
    assert sorted(gaps)[len(gaps) // 2] < 0.5   # every 0.2 s otherwise


def test_relay_forwards_only_state_lines_from_its_own_pid(tmp_path: Path):
    upstream = NotifySocket(tmp_path / "systemd.sock")
    relay = NotifyRelay(Notifier({"NOTIFY_SOCKET": upstream.name}), tmp_path / "relay.sock")
    try:
        app = Notifier({"NOTIFY_SOCKET": str(relay.path)})
        assert app.send("MAINPID=1", "FDSTORE=1")       # dropped: not the app's to say
        assert app.send("READY=1", "MAINPID=1", "STATUS=start screen shown")
        upstream.wait_for("READY=1", timeout=5)
        assert upstream.messages[-1][1] == "READY=1\nSTATUS=start screen shown"
        assert [pid for pid, _ in upstream.senders] == [os.getpid()]
        app.send("STOPPING=1")
    finally:
        relay.close()   # drains what is queued first
    upstream.wait_for("STOPPING=1", timeout=5)
    assert not relay.path.exists()
    upstream.close()
