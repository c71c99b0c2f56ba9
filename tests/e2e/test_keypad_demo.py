"""The issue's "done when", as a tester does it: ``kiosk run --demo`` (a real process with
its private pcscd, virtual cards and sandbox) on an X display of the test's own, and
only key presses (xdotool). A pre-loss for ``normal`` with the ID card on the reader,
from the start screen to the done screen; the kiosk's JSON log has an announcement for
each screen and no unmasked personal data. Then KP_Add on a cardholder screen is a
staff call in ``kiosk fleet ls --json``, and ``kiosk fleet ack`` shows on the kiosk."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk.personas import persona
from kiosk.system.processes import stop_process
from kiosk.ui.xvfb import Xvfb
from tests.fixtures.cli import run_kiosk
from tests.fixtures.polling import until

REPO = Path(__file__).resolve().parents[2]
TERMINAL = "T-DEMO-0001"

pytestmark = [pytest.mark.ui, pytest.mark.skipif(shutil.which("xdotool") is None,
                                                 reason="needs xdotool")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    def __init__(self, env: dict[str, str], home: Path, display: str) -> None:
        self.env, self.home, self.display = env, home, display

    def log(self) -> list[dict[str, Any]]:
        path = self.home / "var" / "log" / "kiosk.log"
        out = []
        for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def screens(self) -> list[str]:
        return [e["fields"]["screen"] for e in self.log() if e.get("event") == "screen"]

    def said(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [e["fields"] for e in self.log() if e.get("event") == "speech"
                and (kind is None or e["fields"]["kind"] == kind)]

    def key(self, *keys: str) -> None:
        for key in keys:
            subprocess.run(["xdotool", "key", "--clearmodifiers", key], check=True,
                           timeout=10, capture_output=True, env={**os.environ,
                                                                 "DISPLAY": self.display})

    def kiosk(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_kiosk(args, self.env, timeout=60)

    def until_screen(self, name: str, timeout: float = 30) -> None:
        until(lambda: self.screens()[-1:] == [name], timeout, f"the {name} screen",
              interval=0.3)

    def focus_then_press(self, key: str, limit: int = 40) -> None:
        """Down until the focus is said on ``key``, then Return."""
        for _ in range(limit):
            before = len(self.said("focus"))
            self.key("Down")
            said = until(lambda b=before: self.said("focus")[b:], 10, "a focus said",
                         interval=0.2)
            if key in said[-1]["keys"].split(","):
                self.key("Return")
                return
        raise AssertionError(f"{key} never took the focus")


@pytest.fixture
def demo(tmp_path: Path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK__")},
           "PYTHONPATH": str(REPO), "KIOSK__KIOSK__DATA_DIR": str(tmp_path / "var"),
           "KIOSK__KIOSK__LOG_DIR": str(tmp_path / "var" / "log"),
           "KIOSK__CENTRAL__BASE_URL": f"http://127.0.0.1:{_free_port()}",
           "KIOSK__FLEET__HEARTBEAT_SECONDS": "5", "KIOSK__ACCESS__HELP_POLL_SECONDS": "1",
           "KIOSK__DISPLAY__WIDTH": "1280", "KIOSK__DISPLAY__HEIGHT": "720",
           "KIOSK__SPEECH__PLAYER": "true"}  # espeak-ng runs; the sound goes nowhere
    with Xvfb(1280, 720) as xvfb:
        env["DISPLAY"] = xvfb.display
        out = (tmp_path / "run.out").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--demo"], cwd=REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            d = Demo(env, tmp_path, xvfb.display)
            until(lambda: any(e.get("event") == "ui built" for e in d.log()), 90,
                  "the kiosk's window", interval=0.5)
            until(lambda: d.kiosk("fleet", "ls", "--json").returncode == 0, 60,
                  "the demo's sandbox", interval=0.5)
            subprocess.run(["xdotool", "mousemove", "20", "20"], env={
                **os.environ, "DISPLAY": xvfb.display}, check=True, timeout=10)
            yield d
        finally:
            stop_process(proc, 30)
            out.close()


def test_keypad_only_pre_loss_then_a_staff_call_answered_from_the_fleet(demo: Demo) -> None:
    d = demo
    p = persona("normal")
    d.key("Down")  # the first key: non-visual mode, the start screen announced
    until(lambda: d.said("screen"), 20, "the start screen announced", interval=0.3)
    d.focus_then_press("attract.pre_loss")
    # The ID card goes on the reader once the kiosk has said what to do (with the card
    # already there the step is passed within one frame, before anything could be said).
    until(lambda: "pre_loss" in [f["screen"] for f in d.said("screen")], 20,
          "the identify step announced", interval=0.3)
    assert d.kiosk("card", "insert", "normal", "--slot", "id").returncode == 0
    d.until_screen("pre_loss_cards")
    d.focus_then_press("journeys.cards.choose")
    d.until_screen("pre_loss_consequences")
    d.focus_then_press("journeys.consequences.confirm")
    d.until_screen("pre_loss_done")
    until(lambda: "pre_loss_done" in [f["screen"] for f in d.said("screen")], 20,
          "the done screen announced", interval=0.3)
    announced = {f["screen"] for f in d.said("screen")}
    shown = set(d.screens())
    assert shown <= announced, shown - announced  # every screen on the way, announced
    log_text = (d.home / "var" / "log" / "kiosk.log").read_text(encoding="utf-8")
    for secret in (p["id"]["name"], p["id"]["id_number"], p["ssc"]["card_number"]):
        assert secret not in log_text

    # KP_Add on a cardholder screen: a staff call in `kiosk fleet ls --json`.
    d.key("KP_Add")

    def call() -> dict[str, Any] | None:
        listed = d.kiosk("fleet", "ls", "--json")
        calls = json.loads(listed.stdout).get("help_requests", []) if listed.stdout else []
        return next((c for c in calls if c["terminal_id"] == TERMINAL), None)

    found = until(call, 30, "the staff call in kiosk fleet ls --json", interval=0.5)
    assert found["state"] == "waiting" and found["step"] == "pre_loss_done"
    acked = d.kiosk("fleet", "ack", TERMINAL)
    assert acked.returncode == 0, acked.stderr
    until(lambda: any("access.help.title.coming" in f["keys"] for f in d.said()), 30,
          "staff are on their way, on the kiosk", interval=0.3)
