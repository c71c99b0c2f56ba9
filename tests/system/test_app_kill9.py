"""The outbox and the technician lock-out survive a kill -9 of the whole app.

A real app process (:mod:`tests.system.app_process`: the app as ``kiosk run`` builds it,
production settings, on the private pcscd with virtual cards, on a private X display)
queues a pre-loss while the sandbox central service is stopped, and is locked out after
wrong technician PINs. kill -9. A fresh ``kiosk run`` on the same data dir, with the
central service back: the queued pre-loss is delivered (once), and its heartbeat reports
the lock-out still in force, ending no earlier than before the kill.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kiosk.central.outbox import Outbox
from kiosk.central.sandbox.server import start_sandbox_thread
from kiosk.composition.outbox import OUTBOX_FILE
from kiosk.config import load_settings
from kiosk.secrets import load_secrets
from kiosk.ui.xvfb import Xvfb
from tests.deploy.helpers import REPO, production_env
from tests.deploy.running import H, NotifySocket, W, start_kiosk, stop
from tests.fixtures.pcsc import EventRecorder
from tests.fixtures.polling import until
from tests.fixtures.sandbox import central_test_settings

pytestmark = [pytest.mark.ui, pytest.mark.pcsc]
CARD = "X00000019"   # the "normal" persona's card


def register_row(sandbox, settings) -> dict | None:
    """This terminal's row in the sandbox's fleet register (its last heartbeat)."""
    rows = [r for r in sandbox.admin("GET", "/fleet/terminals")["terminals"]
            if r["terminal_id"] == settings.kiosk.terminal_id]
    return rows[0] if rows else None


def start_app_process(env: dict[str, str], display: str):
    proc = subprocess.Popen([sys.executable, "-m", "tests.system.app_process"],
                            env={**env, "DISPLAY": display, "KIOSK__DISPLAY__WIDTH": str(W),
                                 "KIOSK__DISPLAY__HEIGHT": str(H)},
                            cwd=REPO, text=True, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    lines = EventRecorder()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("{"):
                lines(json.loads(line))

    threading.Thread(target=pump, name="app-lines", daemon=True).start()
    return proc, lines


def test_queued_pre_loss_and_lock_out_survive_kill_9_of_the_app(
        tmp_path: Path, virtual_slots):
    sandbox_dir = tmp_path / "central"
    sandbox_dir.mkdir()
    # Heartbeats every 5 s (the least allowed): the test waits for the fresh instance's
    # heartbeats, and at the default 60 s one wait took the whole of its 60 s limit.
    env = production_env(tmp_path, KIOSK__SPEECH__ENABLED="false",
                         KIOSK__CENTRAL__DEADLINE_SECONDS="4",
                         KIOSK__FLEET__HEARTBEAT_SECONDS="5")
    settings = load_settings(environ=env)
    secrets = load_secrets(settings)

    def central(port: int = 0):
        central_settings = central_test_settings(sandbox_dir)   # knows this terminal's id
        central_settings = dataclasses.replace(central_settings, kiosk=dataclasses.replace(
            central_settings.kiosk, terminal_id=settings.kiosk.terminal_id))
        return start_sandbox_thread(central_settings, port=port,
                                    db_path=sandbox_dir / "sandbox.db", secrets=secrets)

    sandbox = central()
    port = sandbox.port
    env["KIOSK__CENTRAL__BASE_URL"] = sandbox.url
    settings = load_settings(environ=env)
    notify = NotifySocket(tmp_path / "notify.sock")
    fresh = None
    with Xvfb(W, H) as xvfb:
        app, lines = start_app_process(env, xvfb.display)
        try:
            try:
                lines.wait_for(lambda m: m.get("want") == "id_card", timeout=120)
                virtual_slots.insert("normal", "id")
                lines.wait_for(lambda m: m.get("want") == "central_down", timeout=60)
                sandbox.stop()                       # the central service goes down
                assert app.stdin is not None
                app.stdin.write("go\n")
                app.stdin.flush()
                state = lines.wait_for(lambda m: "queued" in m, timeout=90)
            except AssertionError:
                app.kill()
                raise AssertionError(app.communicate(timeout=10)[1][-3000:]) from None
            assert len(state["queued"]) == 1
            lock = state["lock"]
            assert lock["locked"] and lock["locked_seconds"] > 0 and lock["failures"] == 3

            os.kill(app.pid, signal.SIGKILL)         # the whole app, no clean-up
            killed = time.monotonic()
            app.wait(10)
            assert app.returncode == -signal.SIGKILL

            # Still there on disk, before anything else starts.
            box = Outbox(settings.data_dir / OUTBOX_FILE, terminal_key=secrets.terminal_key)
            try:
                assert [i.idempotency_key for i in box.pending()] == state["queued"]
            finally:
                box.close()

            sandbox = central(port)                  # the central service is back
            virtual_slots.remove("id")
            beats0 = (register_row(sandbox, settings) or {}).get("heartbeats", 0)
            started = time.monotonic()
            fresh = start_kiosk(env, xvfb.display, notify)
            ready = notify.wait_for("READY=1", timeout=90)
            delivered = until(lambda: [r for r in sandbox.store.recorded_pre_losses()
                                       if r["card_number"] == CARD], 60,
                              "the queued pre-loss to be delivered")
            sent = time.monotonic()
            assert len(delivered) == 1

            def technician() -> dict | None:
                row = register_row(sandbox, settings)
                return row and row["heartbeats"] > beats0 and row["parts"].get("technician")

            tech = until(technician, 60, "a heartbeat from the fresh instance")
            seen = time.monotonic()
            assert tech["locked"] is True and tech["failures"] == 3, tech
            # Same boot: the lock ends when it did before the kill (whole seconds).
            before_end = state["t"] + lock["locked_seconds"]
            assert seen + tech["locked_seconds"] >= before_end - 2, (tech, lock)
            assert tech["locked_seconds"] <= lock["locked_seconds"]
            # Once the fresh instance says its outbox is empty, nothing is left to send
            # twice.
            beats = (register_row(sandbox, settings) or {}).get("heartbeats", 0)

            def emptied() -> bool:
                row = register_row(sandbox, settings) or {}
                outbox = (row.get("parts") or {}).get("outbox") or {}
                return row.get("heartbeats", 0) > beats and outbox.get("depth") == 0

            until(emptied, 60, "a heartbeat saying the outbox is empty")
            assert len([r for r in sandbox.store.recorded_pre_losses()
                        if r["card_number"] == CARD]) == 1
            print(f"fresh instance: first frame {ready - started:.2f}s after its start, "
                  f"queued pre-loss delivered {sent - started:.2f}s after its start "
                  f"({sent - killed:.2f}s after the kill -9); lock-out "
                  f"{tech['locked_seconds']}s left of {lock['locked_seconds']}s")
        finally:
            if app.poll() is None:
                app.kill()
                app.wait(10)
            if fresh is not None:
                err = stop(fresh)
                assert fresh.returncode == 0, err[-2000:]
            notify.close()
            sandbox.stop()
