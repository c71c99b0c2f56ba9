"""Keys and clicks change nothing on a real kiosk window (xdotool under Xvfb, screenshots
compared pixel for pixel), and Kivy's own config file is never rewritten — except the
accessibility keypad's keys (access.keys and the digits): the first of them turns
non-visual mode on (the focus ring appears), and the other keys stay dead after it."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.system.blanking import xset_commands
from kiosk.ui.xvfb import Xvfb
from tests.deploy.helpers import production_env
from tests.deploy.running import H, NotifySocket, W, start_kiosk, stop
from tests.fixtures.polling import until

pytestmark = pytest.mark.ui

# Not the keypad's: nothing happens, before or after non-visual mode is on. A keypad key
# with a modifier held (ctrl+alt+BackSpace, ctrl+Down, alt+Return) is not the keypad's.
KEYS = ["F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12",
        "alt+F4", "ctrl+alt+BackSpace", "Escape", "ctrl+e", "alt+Tab", "super", "Tab",
        "space", "ctrl+Down", "alt+Return", "shift+KP_Add", "a", "x"]


def shot(display: str, path: Path) -> Path:
    subprocess.run(["import", "-display", display, "-window", "root", str(path)], check=True,
                   timeout=30, capture_output=True)
    return path


def differing_pixels(a: Path, b: Path) -> int:
    res = subprocess.run(["compare", "-metric", "AE", str(a), str(b), "null:"],
                         capture_output=True, text=True, timeout=30)
    return int(float(res.stderr.split()[0]))


def xdo(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], env={"DISPLAY": display}, check=True, timeout=10,
                   capture_output=True)


def settle(display: str, path: Path) -> Path:
    """A screenshot once the window stopped changing: two in a row the same (the start
    screen is static, so it settles as soon as the last input has been drawn)."""
    previous = shot(display, path.with_name(f"{path.stem}-settling.png"))

    def stable() -> Path | None:
        current = shot(display, path)
        if differing_pixels(previous, current) == 0:
            return current
        shutil.copyfile(current, previous)
        return None

    return until(stable, 30, "the screen to stop changing", interval=0.3)


def test_blanking_commands():
    assert ["xset", "-dpms"] in xset_commands(0)
    assert ["xset", "dpms", "300", "300", "300"] in xset_commands(300)


@pytest.mark.skipif(not (shutil.which("xdotool") and shutil.which("import")),
                    reason="needs xdotool and imagemagick")
def test_every_key_and_click_leaves_the_start_screen_pixel_identical(tmp_path: Path):
    notify = NotifySocket(tmp_path / "notify.sock")
    env = production_env(tmp_path)
    ini = tmp_path / "data" / "kivy" / "config.ini"
    with Xvfb(W, H) as xvfb:
        proc = start_kiosk(env, xvfb.display, notify)
        try:
            notify.wait_for("READY=1", timeout=90)
            before = settle(xvfb.display, tmp_path / "before.png")
            ini_before = hashlib.sha256(ini.read_bytes()).hexdigest()
            xdo(xvfb.display, "mousemove", str(W // 2), str(H // 2))
            for key in KEYS:
                xdo(xvfb.display, "key", "--clearmodifiers", key)
                assert proc.poll() is None, f"{key} (or the key before) ended the kiosk"
            xdo(xvfb.display, "click", "3")     # right click: no multitouch red dot
            xdo(xvfb.display, "click", "2")
            xdo(xvfb.display, "click", "4")     # wheel
            after = settle(xvfb.display, tmp_path / "after.png")
            assert proc.poll() is None, "a key or click ended the kiosk"
            assert differing_pixels(before, after) == 0, "the screen changed"
            assert hashlib.sha256(ini.read_bytes()).hexdigest() == ini_before
            assert proc.poll() is None

            # The keypad's Down gets through: non-visual mode, the focus ring drawn.
            xdo(xvfb.display, "key", "--clearmodifiers", "Down")
            ring = until(lambda: differing_pixels(after, p := shot(
                xvfb.display, tmp_path / "ring-now.png")) > 500 and p, 30,
                "the focus ring", interval=0.3)
            assert ring
            ringed = settle(xvfb.display, tmp_path / "ring.png")
            for key in KEYS:  # still dead in non-visual mode
                xdo(xvfb.display, "key", "--clearmodifiers", key)
            still = settle(xvfb.display, tmp_path / "still.png")
            assert proc.poll() is None, "a key ended the kiosk"
            assert differing_pixels(ringed, still) == 0, "a dead key changed the screen"
            assert hashlib.sha256(ini.read_bytes()).hexdigest() == ini_before
        finally:
            stop(proc)
            notify.close()
