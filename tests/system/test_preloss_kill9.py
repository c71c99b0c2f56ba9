"""A confirmed pre-loss survives a kill -9 at any instant of its first attempt.

Real processes throughout: the kiosk's services stack as the composition root builds it
(:mod:`tests.system.preloss_process`: the central client, the SQLite outbox on disk and
its sender thread, the journey controller) in a child process, the real sandbox over
HTTP in this one. The child confirms a pre-loss and is killed with SIGKILL at a chosen
point of the call; a fresh child on the same data directory (a restarted kiosk) then runs
with the service reachable. Every time, the sandbox's list of pre-losses shows it exactly
once: before the kill it was either delivered or on disk, never neither, never twice.

The points: before the first byte (held in the child), while the request is held by the
service before it runs, while the service holds its answer after applying it, after the
answer came back but before the kiosk recorded it (held in the child), a dropped
connection (the reported loss: ``drop_next`` and a kill 0.12 s after 确认挂失), and a
sweep of instants over a call the service spreads over 300 ms.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.composition.outbox import OUTBOX_FILE
from kiosk.personas import persona
from tests.deploy.helpers import REPO
from tests.fixtures.pcsc import EventRecorder
from tests.fixtures.polling import until

CARD = persona("normal")["ssc"]["card_number"]


class Child:
    """One run of :mod:`tests.system.preloss_process`, its JSON lines recorded."""

    def __init__(self, mode: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.system.preloss_process", mode], env=env, cwd=REPO,
            text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)
        self.lines = EventRecorder()
        threading.Thread(target=self._pump, name="preloss-lines", daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.lines(json.loads(line))

    def wait_for(self, check: Any, timeout: float = 60) -> dict[str, Any]:
        try:
            return self.lines.wait_for(check, timeout=timeout)
        except AssertionError:
            self.proc.kill()
            raise AssertionError(self.proc.communicate(timeout=10)[1][-3000:]) from None

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        assert self.proc.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def env(central_settings: Any, tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK__")}
    return {**base, "PYTHONPATH": str(REPO),
            "KIOSK__KIOSK__DEMO": "true",
            "KIOSK__KIOSK__DATA_DIR": str(tmp_path / "data"),
            "KIOSK__KIOSK__LOG_DIR": str(tmp_path / "log"),
            "KIOSK__SECURITY__SECRETS_FILE": central_settings.security.secrets_file,
            "KIOSK__CENTRAL__BASE_URL": central_settings.central.base_url,
            "KIOSK__PRINTER__KIND": "none", "KIOSK__SPEECH__ENABLED": "false",
            "KIOSK__FLEET__ENABLED": "false"}


@pytest.fixture
def children() -> Iterator[list[Child]]:
    made: list[Child] = []
    yield made
    for child in made:
        child.stop()


def recorded(sandbox: Any) -> list[dict[str, Any]]:
    return [p for p in sandbox.admin("GET", "/pre_losses") if p["card_number"] == CARD]


def confirm_then_kill(sandbox: Any, env: dict[str, str], children: list[Child],
                      faults: dict[str, int], *, hold: str = "",
                      when: Any = None, delay: float | None = None) -> str:
    """Confirm in a child with ``faults`` set on the service; kill -9 it when ``when``
    (a check on the sandbox) holds, at the child's ``hold`` point, or ``delay`` seconds
    after confirming. Returns the pre-loss's idempotency key."""
    child = Child("confirm", {**env, "PRELOSS_HOLD": hold})
    children.append(child)
    at = child.wait_for(lambda m: m.get("at") == "consequences")
    assert at["step"] == "consequences", at  # the card is active: the service was reset
    if faults:
        sandbox.admin("POST", "/faults", json=faults)
    child.go()
    confirmed = child.wait_for(lambda m: "confirmed" in m)
    key = confirmed["confirmed"]
    assert key, (confirmed, child.lines.events)
    if hold:
        child.wait_for(lambda m: m.get("at") == hold, timeout=30)
    elif when is not None:
        until(when, 30, "the service to reach the point of the kill")
    elif delay:
        time.sleep(delay)  # the instant of the kill is what this test varies
    child.kill9()
    return key


def restart_and_deliver(sandbox: Any, env: dict[str, str], children: list[Child],
                        key: str) -> None:
    """The service is reachable again; a fresh kiosk delivers what is left, once."""
    db = Path(env["KIOSK__KIOSK__DATA_DIR"]) / OUTBOX_FILE
    # On disk before the restart, read straight from the SQLite file: delivered already,
    # or still queued, never neither.
    with contextlib.closing(sqlite3.connect(db)) as raw:
        row = raw.execute("SELECT status FROM outbox WHERE idempotency_key = ?",
                          (key,)).fetchone()
    assert row is not None and row[0] in ("pending", "delivered"), row
    if row[0] == "delivered":
        assert len(recorded(sandbox)) == 1
    sandbox.admin("DELETE", "/faults")
    started = time.monotonic()
    child = Child("deliver", env)
    children.append(child)
    stats = child.wait_for(lambda m: "pending" in m)
    print(f"restarted kiosk: outbox empty {time.monotonic() - started:.2f} s after its start")
    assert child.proc.wait(30) == 0
    assert stats["pending"] == 0 and stats["held"] == 0 and stats["rejected_total"] == 0
    (once,) = recorded(sandbox)  # exactly one pre-loss, whatever instant the kill hit
    assert once["idempotency_key"] == key


def test_kill_9_just_before_the_first_byte(sandbox, env, children) -> None:
    key = confirm_then_kill(sandbox, env, children, {}, hold="before_send")
    assert recorded(sandbox) == []  # nothing went out: it lives on disk only
    restart_and_deliver(sandbox, env, children, key)


def test_kill_9_while_the_service_holds_the_request(sandbox, env, children) -> None:
    key = confirm_then_kill(sandbox, env, children, {"hold_request_ms": 20_000},
                            delay=0.5)
    restart_and_deliver(sandbox, env, children, key)


def test_kill_9_after_the_service_applied_it_before_the_answer(sandbox, env,
                                                                children) -> None:
    key = confirm_then_kill(sandbox, env, children, {"latency_ms": 20_000},
                            when=lambda: recorded(sandbox))
    restart_and_deliver(sandbox, env, children, key)


def test_kill_9_after_the_answer_before_it_is_recorded(sandbox, env, children) -> None:
    key = confirm_then_kill(sandbox, env, children, {}, hold="after_answer")
    assert len(recorded(sandbox)) == 1  # applied and answered; the kiosk did not note it
    restart_and_deliver(sandbox, env, children, key)


def test_kill_9_with_the_connection_dropped_as_reported(sandbox, env,
                                                             children) -> None:
    """As reported: ``drop_next`` 1000, 确认挂失, kill -9 0.12 s later, clear the fault,
    restart: the pre-loss was lost. Now it is delivered, once."""
    key = confirm_then_kill(sandbox, env, children, {"drop_next": 1000}, delay=0.12)
    assert recorded(sandbox) == []
    restart_and_deliver(sandbox, env, children, key)


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.12, 0.2, 0.3, 0.45])
def test_kill_9_at_instants_across_the_call(sandbox, env, children, delay) -> None:
    """The service holds each request 150 ms before applying it and each answer 150 ms
    after: kills from 0 to 450 ms after 确认挂失 land before, during and after."""
    key = confirm_then_kill(sandbox, env, children,
                            {"hold_request_ms": 150, "latency_ms": 150}, delay=delay)
    restart_and_deliver(sandbox, env, children, key)
