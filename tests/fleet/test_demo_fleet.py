"""The demo, as an operator sees it: ``kiosk run --demo --headless`` (a real process with
its private pcscd, sandbox and Xvfb) heartbeats, ``kiosk fleet ls --json`` lists it with
its version and parts within two heartbeat intervals, ``kiosk fleet pause`` puts it out
of service (its log shows the screen) with the pause acknowledged, ``resume`` brings the
start screen back."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk.system.processes import stop_process
from tests.fixtures.cli import run_kiosk
from tests.fixtures.polling import until

REPO = Path(__file__).resolve().parents[2]
INTERVAL = 5
TERMINAL = "T-DEMO-0001"
POLL = 0.5  # seconds; a check may run ``kiosk fleet ls`` (an interpreter start-up)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo(tmp_path: Path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK__")},
           "PYTHONPATH": str(REPO), "KIOSK__KIOSK__DATA_DIR": str(tmp_path / "var"),
           "KIOSK__KIOSK__LOG_DIR": str(tmp_path / "var" / "log"),
           "KIOSK__CENTRAL__BASE_URL": f"http://127.0.0.1:{_free_port()}",
           "KIOSK__FLEET__HEARTBEAT_SECONDS": str(INTERVAL)}
    env.pop("DISPLAY", None)
    out = (tmp_path / "run.out").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--demo", "--headless"],
                            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield env, tmp_path
    finally:
        stop_process(proc, 30)
        out.close()


def _row(env: dict[str, str]) -> dict[str, Any] | None:
    listed = run_kiosk(["fleet", "ls", "--json"], env, timeout=60)
    if listed.returncode != 0:
        return None
    return next((t for t in json.loads(listed.stdout)["terminals"]
                 if t["terminal_id"] == TERMINAL), None)


def _screens(home: Path) -> list[str]:
    path = home / "var" / "log" / "kiosk.log"
    if not path.exists():
        return []
    shown = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "screen":
            shown.append(entry.get("fields", {}).get("screen"))
    return shown


def test_demo_terminal_listed_paused_and_resumed(demo):
    env, home = demo
    row = until(lambda: _row(env), 90, "the demo terminal in the register", interval=POLL)
    # Listed within two heartbeat intervals of the agent starting.
    assert row["uptime_seconds"] <= 2 * INTERVAL
    assert row["version"] and row["parts"]["readers"]["count"] == 2
    assert row["parts"]["readers"]["light"] == "ok"
    assert set(row["parts"]) == {"readers", "id_reader", "printer", "speech", "disk",
                                 "clock", "outbox", "technician"}

    paused = run_kiosk(["fleet", "pause", TERMINAL, "--reason", "maintenance"], env, timeout=60)
    assert paused.returncode == 0, paused.stderr
    until(lambda: "out_of_service" in _screens(home), 3 * INTERVAL, "the out-of-service screen",
          interval=POLL)
    row = until(lambda: (r := _row(env)) and r["directives"]
                and r["directives"][0]["state"] == "acknowledged" and r, 3 * INTERVAL,
                "the pause to be acknowledged", interval=POLL)
    assert row["paused"] is True and row["directives"][0]["outcome"] == "applied"

    assert run_kiosk(["fleet", "resume", TERMINAL], env, timeout=60).returncode == 0
    until(lambda: _screens(home)[-1:] == ["attract"], 3 * INTERVAL, "the start screen",
          interval=POLL)
    until(lambda: (r := _row(env)) and r["paused"] is False, 3 * INTERVAL,
          "the resume in the register", interval=POLL)
