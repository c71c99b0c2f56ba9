"""Production's reader service under socket activation survives a kill -9 of pcscd.

Real parts: Debian's pcscd started by :class:`~tests.fixtures.socket_activator.SocketActivator`
(systemd's behaviour for ``pcscd.socket``), the vpcd driver with virtual cards, and the
real :class:`~kiosk.devices.card_hub.CardHub` with the shipped (production) config in a
process of its own (:mod:`tests.system.hub_process`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kiosk.devices.virtual.pcscd import missing_requirements
from kiosk.devices.virtual.slots import VirtualSlots
from tests.fixtures.pcsc import EventRecorder
from tests.fixtures.socket_activator import SocketActivator
from tests.fixtures.strict import skip_or_fail

pytestmark = pytest.mark.pcsc
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def activator(tmp_path: Path):
    why = missing_requirements()
    if why:
        skip_or_fail(f"socket-activated pcscd not possible: {why}")
    act = SocketActivator(tmp_path / "pcscd")
    act.start()
    yield act
    act.stop()


def start_hub(socket_path: str) -> tuple[subprocess.Popen[str], EventRecorder]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK__")}
    env.update({"PCSCLITE_CSOCK_NAME": socket_path, "PYTHONPATH": str(REPO)})
    proc = subprocess.Popen([sys.executable, "-m", "tests.system.hub_process"], env=env,
                            cwd=REPO, text=True, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    events = EventRecorder()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            events(json.loads(line))

    threading.Thread(target=pump, name="hub-events", daemon=True).start()
    return proc, events


def is_(kind: str, slot: str = ""):
    return lambda ev: ev["kind"] == kind and (not slot or ev["slot"] == slot)


def test_next_connect_after_kill_9_brings_pcscd_back_and_cards_read_again(activator):
    slots = VirtualSlots(activator.vpcd_port)
    hub, events = start_hub(activator.socket_path)
    try:
        slots.insert("normal", "ssc")
        read = events.wait_for(is_("card_read", "ssc"), timeout=20)
        assert read["card_tail"] == "019"
        assert len(activator.starts) == 1  # started by the hub's first connect
        assert activator.listening_fd_of(activator.pcscd_pid)  # serves the handed-over fd

        mark = events.mark()
        victim = activator.kill_pcscd()
        killed = time.monotonic()
        down = events.wait_for(is_("service_down"), start=mark, timeout=10)
        up = events.wait_for(is_("service_up"), start=mark, timeout=10)
        again = events.wait_for(is_("card_read", "ssc"), start=mark, timeout=15)
        assert again["card_tail"] == "019"
        assert len(activator.starts) == 2 and activator.pcscd_pid not in (None, victim)
        assert activator.listening_fd_of(activator.pcscd_pid)
        assert hub.poll() is None  # the same app process throughout

        # And a fresh card works on the reborn daemon.
        mark = events.mark()
        slots.insert("x_check", "ssc")
        events.wait_for(is_("card_read", "ssc"), start=mark, timeout=15)
        print(f"after kill -9 of pcscd: service down {down['t'] - killed:.2f}s, "
              f"pcscd started again {activator.starts[1] - killed:.2f}s, service up "
              f"{up['t'] - killed:.2f}s, card read again {again['t'] - killed:.2f}s")
    finally:
        slots.stop()
        if hub.stdin is not None:
            hub.stdin.close()
        try:
            hub.wait(10)
        except subprocess.TimeoutExpired:
            hub.kill()
            hub.wait(5)


def test_an_idle_exit_is_also_answered_by_the_next_connect(activator):
    """Debian runs pcscd with --auto-exit: gone when idle, back on the next connect.
    A clean exit is the same to the activator as a crash; here, SIGTERM."""
    slots = VirtualSlots(activator.vpcd_port)
    hub, events = start_hub(activator.socket_path)
    try:
        slots.insert("normal", "ssc")
        events.wait_for(is_("card_read", "ssc"), timeout=20)
        pid = activator.pcscd_pid
        assert pid is not None
        mark = events.mark()
        os.kill(pid, 15)
        events.wait_for(is_("service_down"), start=mark, timeout=10)
        events.wait_for(is_("card_read", "ssc"), start=mark, timeout=15)
        assert len(activator.starts) == 2
    finally:
        slots.stop()
        if hub.stdin is not None:
            hub.stdin.close()
        hub.wait(10)
