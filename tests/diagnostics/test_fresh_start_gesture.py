"""A fresh ``kiosk run --demo``: the long-press in the top-right corner and the demo PIN
open technician mode. Nothing of the app is built or bound by the test: the real entry
point in its own process, the real ``App.run()`` loop, real X input (``xdotool``); the
test only reads what shows (:mod:`tests.system.observed_run`).

Before the fix the press did nothing: the gesture was bound when the technician entry
was first used, and the in-process UI tests built it through their fixture."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk.secrets import DEMO_TECHNICIAN_PIN
from kiosk.system.processes import stop_process
from kiosk.ui.xvfb import Xvfb
from tests.fixtures.cli import REPO, clean_env
from tests.fixtures.polling import until
from tests.fixtures.strict import skip_or_fail

pytestmark = [pytest.mark.ui, pytest.mark.pcsc]
W, H = 1280, 720
CORNER = (W - 6, 6)   # X coordinates: origin top-left


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def xdo(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, check=True,
                   timeout=10, capture_output=True)


class Shown:
    """The observer's lines: what the window shows, newest last."""

    def __init__(self, path: Path, proc: subprocess.Popen[str]) -> None:
        self.path, self.proc = path, proc

    def last(self) -> dict[str, Any] | None:
        if self.proc.poll() is not None:
            raise AssertionError(f"the kiosk exited ({self.proc.returncode})")
        if not self.path.exists():
            return None
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return json.loads(lines[-1]) if lines else None

    def screen(self, name: str, timeout: float) -> dict[str, Any]:
        return until(lambda: (s := self.last()) is not None and s["screen"] == name and s,
                     timeout, f"screen {name}")


def test_fresh_start_long_press_and_demo_pin_open_technician_mode(tmp_path: Path):
    if not shutil.which("xdotool"):
        skip_or_fail("needs xdotool")
    if os.geteuid() != 0:
        skip_or_fail("the demo's private pcscd needs root (a network namespace)")
    out = tmp_path / "shown.jsonl"
    env = clean_env(KIOSK__KIOSK__DEMO="true", KIOSK__KIOSK__DATA_DIR=str(tmp_path / "data"),
                    KIOSK__KIOSK__LOG_DIR=str(tmp_path / "log"),
                    KIOSK__CENTRAL__BASE_URL=f"http://127.0.0.1:{free_port()}",
                    KIOSK__DISPLAY__WIDTH=str(W), KIOSK__DISPLAY__HEIGHT=str(H))
    with Xvfb(W, H) as xvfb:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.system.observed_run", str(out), "run", "--demo"],
            env={**env, "DISPLAY": xvfb.display}, cwd=REPO, text=True,
            stdout=subprocess.DEVNULL, stderr=(tmp_path / "stderr").open("w"),
            start_new_session=True)
        shown = Shown(out, proc)
        try:
            shown.screen("attract", 90)
            # The parts are up once the start screen says so in the log; hold the corner.
            until(lambda: "technician entry ready" in _log(tmp_path), 60,
                  "the technician entry built")
            xdo(xvfb.display, "mousemove", *map(str, CORNER))
            xdo(xvfb.display, "mousedown", "1")
            pin = shown.screen("diag_pin", 10)   # about 3 s after the press
            xdo(xvfb.display, "mouseup", "1")
            digits = {b["text"]: (b["x"], b["y"]) for b in pin["buttons"]
                      if re.fullmatch(r"\d", b["text"])}
            assert sorted(digits) == list("0123456789"), pin["buttons"]
            for digit in DEMO_TECHNICIAN_PIN:
                xdo(xvfb.display, "mousemove", *map(str, digits[digit]), "click", "1")
            enter = next(b for b in pin["buttons"] if b["key"] == "diagnostics.ui.pin_enter")
            xdo(xvfb.display, "mousemove", str(enter["x"]), str(enter["y"]), "click", "1")
            shown.screen("diag_overview", 10)
        finally:
            stop_process(proc)
        err = (tmp_path / "stderr").read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in err, err[-3000:]


def _log(tmp_path: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace")
                   for p in (tmp_path / "log").glob("*.log*"))


def test_no_test_builds_the_technician_entry():
    """Production builds the entry (kiosk/ui/first_frame.py); a fixture or driver that
    did it too would hide a fault like the one this module's first test catches."""
    offenders = []
    for path in [*(REPO / "tests").rglob("*.py"), REPO / "kiosk" / "ui" / "driver.py"]:
        text = path.read_text(encoding="utf-8")
        if path.name != Path(__file__).name and re.search(
                r"install_technician\(|Technician\(", text):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
