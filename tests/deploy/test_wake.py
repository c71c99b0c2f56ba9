"""The click that wakes a blanked screen presses nothing: the real kiosk (``kiosk run``)
under Xvfb with the screensaver set from its config, real clicks from xdotool on the
pre-loss tile of the start screen, the screen read back from the kiosk's log and from
screenshots."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.logs import LOG_FILE
from kiosk.ui.wake import WakeGuard, reset_x_idle
from kiosk.ui.xvfb import Xvfb
from tests.deploy.helpers import production_env
from tests.deploy.running import H, NotifySocket, W, start_kiosk, stop
from tests.deploy.test_lockdown import differing_pixels, settle, xdo
from tests.fixtures.polling import until
from tests.system.test_blanking import screensaver

pytestmark = [pytest.mark.ui, pytest.mark.skipif(
    not (shutil.which("xdotool") and shutil.which("import") and shutil.which("xset")
         and ctypes.util.find_library("Xss")),
    reason="needs xdotool, imagemagick, xset and libXss")]

BLANK_S = 4        # long enough for two clicks and a screenshot on a loaded machine
TILE = (180, 320)  # the first tile (pre-loss) of the start screen at W x H


class SaverInfo(ctypes.Structure):
    """XScreenSaverInfo (X11/extensions/scrnsaver.h)."""

    _fields_ = [("window", ctypes.c_ulong), ("state", ctypes.c_int), ("kind", ctypes.c_int),
                ("til_or_since", ctypes.c_ulong), ("idle", ctypes.c_ulong),
                ("event_mask", ctypes.c_ulong)]


def x_saver(display: str) -> tuple[int, int]:
    """(state, idle ms) of ``display``'s screensaver, from the X server itself (libXss):
    state 1 = blank, 0 = awake, 3 = screensaver off."""
    x11 = ctypes.CDLL(ctypes.util.find_library("X11"))
    xss = ctypes.CDLL(ctypes.util.find_library("Xss"))
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    xss.XScreenSaverQueryInfo.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                          ctypes.POINTER(SaverInfo)]
    dpy = x11.XOpenDisplay(display.encode())
    assert dpy, f"cannot open {display}"
    try:
        info = SaverInfo()
        assert xss.XScreenSaverQueryInfo(dpy, x11.XDefaultRootWindow(dpy), ctypes.byref(info))
        return info.state, info.idle
    finally:
        x11.XCloseDisplay(dpy)


def events(log: Path, name: str) -> list[dict]:
    """The kiosk's log records called ``name`` (JSON lines)."""
    if not log.exists():
        return []
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [rec for rec in lines if rec.get("event") == name]


@pytest.mark.parametrize("blank_seconds", [BLANK_S, 0])
def test_the_click_that_wakes_the_screen_presses_nothing(tmp_path: Path, blank_seconds):
    notify = NotifySocket(tmp_path / "notify.sock")
    env = production_env(tmp_path, KIOSK__DISPLAY__BLANK_SECONDS=str(blank_seconds))
    log = tmp_path / "log" / LOG_FILE
    with Xvfb(W, H) as xvfb:
        proc = start_kiosk(env, xvfb.display, notify)
        try:
            notify.wait_for("READY=1", timeout=90)
            xdo(xvfb.display, "mousemove", *map(str, TILE))
            before = settle(xvfb.display, tmp_path / "before.png")
            assert screensaver(xvfb.display)[0] == blank_seconds
            # Idle a second past the blank timeout by the X server's own count (the app
            # syncs its idle time with X's), then blank or not as configured.
            until(lambda: x_saver(xvfb.display)[1] >= (BLANK_S + 1) * 1000, 30,
                  "the X server idle past the blank timeout", interval=0.25)
            assert (x_saver(xvfb.display)[0] == 1) == bool(blank_seconds)  # X blank?
            xdo(xvfb.display, "click", "1")
            if blank_seconds == 0:        # never blanks: the first click opens the journey
                until(lambda: events(log, "screen"), 10, "a journey screen")
                assert not events(log, "wake-up input consumed")
            else:
                check_woken_then_next_click(xvfb.display, log, before, tmp_path)
        finally:
            err = stop(proc)
            notify.close()
        assert "Traceback" not in err, err[-2000:]


def check_woken_then_next_click(display: str, log: Path, before: Path, tmp: Path) -> None:
    """The first click was consumed (start screen unchanged, pixel for pixel, not even
    a pressed tile); the second one opens the journey."""
    woke = until(lambda: events(log, "wake-up input consumed"), 10, "the wake-up record")
    assert woke[0]["fields"]["by"] == "touch"
    assert woke[0]["fields"]["idle_s"] >= BLANK_S
    after = settle(display, tmp / "after.png")
    assert not events(log, "screen"), "the waking click opened a screen"
    assert differing_pixels(before, after) == 0, "the start screen changed"
    assert x_saver(display)[0] == 0    # the click woke the X server (and it is still awake)
    xdo(display, "click", "1")   # the screen is awake: this one works
    screens = until(lambda: events(log, "screen"), 10, "a journey screen")
    assert screens[0]["fields"]["screen"] != "attract"
    assert len(events(log, "wake-up input consumed")) == 1


def test_the_app_starts_x_idle_time_with_its_own(monkeypatch):
    """An app restarted inside a blank X server: X's idle time starts again with the
    app's (and the screen wakes), so the rule and the X server agree."""
    with Xvfb(W, H) as xvfb:
        monkeypatch.setenv("DISPLAY", xvfb.display)
        xdo(xvfb.display, "mousemove", "5", "5")
        subprocess.run(["xset", "s", "1", "1"], env={**os.environ}, check=True, timeout=10)
        # Blank, and idle since the move by the X server's own count.
        until(lambda: x_saver(xvfb.display)[0] == 1 and x_saver(xvfb.display)[1] >= 1500,
              30, "the X server blank", interval=0.25)
        clock = [1000.0]
        guard = WakeGuard(lambda: 1, clock=lambda: clock[0])
        clock[0] += 30
        guard.sync_x_idle()                 # what the app does shortly after start-up
        state, idle = x_saver(xvfb.display)
        assert state == 0 and idle < 500, (state, idle)
        assert guard.last_input == 1030.0   # the guard's idle time starts with X's
    monkeypatch.setenv("PATH", "/nonexistent")
    assert reset_x_idle() is False                          # no xset: nothing to do
    clock[0] += 5
    guard.sync_x_idle()
    assert guard.last_input == 1030.0                       # nor is the guard's time moved
