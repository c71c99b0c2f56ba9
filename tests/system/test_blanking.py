"""Screen blanking by opening hours: the config (strict, one line naming the key), real
``xset`` against a real X server at an opening/closing boundary passed with an
injected clock, and the running app setting it from its config."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.calendar_source import build_calendar
from kiosk.config import ConfigError, load_settings
from kiosk.system.blanking import MAX_WAIT_S, BlankingSchedule, apply_blanking
from kiosk.ui.xvfb import Xvfb
from tests.deploy.helpers import REPO, production_env
from tests.deploy.running import NotifySocket, start_kiosk, stop
from tests.fixtures.cli import run_kiosk

needs_x = pytest.mark.skipif(not (shutil.which("xset") and shutil.which("Xvfb")),
                             reason="needs xset (x11-xserver-utils) and Xvfb")
SH = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai has no DST


def site_config(tmp: Path, display: str) -> Path:
    """A base config and an outlet site profile with ``display`` lines in it."""
    base = tmp / "kiosk.toml"
    base.write_text(Path(REPO / "config" / "kiosk.toml").read_text()
                    .replace('site = "medical"', 'site = "outlet"', 1))
    (tmp / "sites").mkdir()
    (tmp / "sites" / "outlet.toml").write_text(f"[display]\n{display}\n")
    return base


def test_opening_hours_come_from_the_site_profile(tmp_path: Path):
    base = site_config(tmp_path, 'opening_hours = ["mon-fri 08:00-17:30", "sat 09:00-12:00"]'
                                 "\nblank_seconds_closed = 30")
    s = load_settings(base, environ={})
    assert s.display.opening_hours == ("mon-fri 08:00-17:30", "sat 09:00-12:00")
    assert s.display.blank_seconds_closed == 30 and s.display.blank_seconds == 0
    assert load_settings(environ={}).display.opening_hours == ()  # shipped: always open


@pytest.mark.parametrize("line,words", [
    ('opening_hours = ["mon-fri 8-17"]', "time span like 08:00-17:30"),
    ('opening_hours = ["weekdays 08:00-17:30"]', "unknown day"),
    ('opening_hours = "mon-fri 08:00-17:30"', "expected a list of text"),
    ('opening_hours = ["mon 09:00-12:00", "mon 11:00-13:00"]', "overlap"),
    ("blank_seconds_closed = -1", "between 0 and 86400"),
])
def test_a_malformed_value_is_one_line_naming_the_key(tmp_path: Path, line, words):
    base = site_config(tmp_path, line)
    with pytest.raises(ConfigError) as err:
        load_settings(base, environ={})
    text = str(err.value)
    assert "\n" not in text and "display." in text and words in text
    assert str(tmp_path / "sites" / "outlet.toml") in text


def test_the_cli_says_it_in_one_line(tmp_path: Path):
    base = site_config(tmp_path, 'opening_hours = ["mon-fri 08:00-25:00"]')
    res = run_kiosk(["config", "check", "--config", str(base)], timeout=60)
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "display.opening_hours" in res.stderr and "Traceback" not in res.stderr


def screensaver(display: str) -> tuple[int, int, str]:
    """(timeout, cycle, DPMS line) from ``xset q`` on ``display``."""
    out = subprocess.run(["xset", "q"], env={**os.environ, "DISPLAY": display},
                         capture_output=True, text=True, timeout=10, check=True).stdout
    m = re.search(r"timeout:\s+(\d+)\s+cycle:\s+(\d+)", out)
    assert m, out
    dpms = out.split("DPMS (Energy Star):", 1)[1].strip().splitlines()[0]
    return int(m.group(1)), int(m.group(2)), dpms


class FakeTimer:
    """Stands in for ``Clock.schedule_once``: remembers the one pending call."""

    def __init__(self) -> None:
        self.pending: list[tuple[object, float]] = []
        self.cancelled = 0

    def __call__(self, callback, delay: float):
        self.pending.append((callback, delay))
        return self

    def cancel(self) -> None:
        self.cancelled += 1

    def fire(self, clock: list[float], to: float | None = None) -> None:
        """Time passes to the pending call (or to ``to``, earlier), then it runs."""
        callback, delay = self.pending.pop(0)
        clock[0] = clock[0] + delay if to is None else to
        callback(delay)


@needs_x
def test_xset_follows_the_boundaries_on_a_real_x_server(monkeypatch):
    base = load_settings(environ={})
    settings = dataclasses.replace(base, display=dataclasses.replace(
        base.display, opening_hours=("mon-fri 08:00-17:30",), blank_seconds=0,
        blank_seconds_closed=60))
    clock = [dt.datetime(2026, 12, 1, 17, 29, tzinfo=SH).timestamp()]   # Tuesday
    timer = FakeTimer()
    applied: list[int] = []

    def apply(seconds: int) -> bool:
        applied.append(seconds)
        return apply_blanking(seconds)

    with Xvfb(640, 480) as x:
        monkeypatch.setenv("DISPLAY", x.display)
        sched = BlankingSchedule(settings, timer, calendar=build_calendar(),
                                 now=lambda: clock[0], apply=apply)
        sched.start()
        assert screensaver(x.display)[0] == 0              # open: never blank
        assert sched.is_open and timer.pending[0][1] == 61.0  # wakes 1 s after 17:30
        timer.fire(clock)
        assert (sched.is_open, applied) == (False, [0, 60])
        assert screensaver(x.display)[:2] == (60, 60)      # closed: blank after 60 s idle
        # The next boundary is Wednesday 08:00, 14.5 h away: the wait is capped, and a
        # wake-up that finds nothing changed runs no xset.
        assert timer.pending[0][1] == MAX_WAIT_S
        timer.fire(clock)
        assert applied == [0, 60]
        timer.fire(clock, to=dt.datetime(2026, 12, 2, 7, 59, 59, tzinfo=SH).timestamp())
        assert timer.pending[0][1] == 2.0
        timer.fire(clock)
        assert sched.is_open and applied == [0, 60, 0]
        assert screensaver(x.display)[0] == 0
        # This server has no DPMS extension (neither has Xorg's dummy driver): xset says
        # so; the screensaver part above is what can be observed here.
        print("DPMS on this X server:", screensaver(x.display)[2])
        sched.stop()
        assert timer.cancelled == 1


@needs_x
def test_the_running_app_blanks_by_its_opening_hours(tmp_path: Path):
    """The real app outside its hours (a one-minute opening at 00:00 Monday): xset q
    shows the closed timeout once the first frame is drawn."""
    notify = NotifySocket(tmp_path / "notify.sock")
    env = production_env(tmp_path, KIOSK__DISPLAY__OPENING_HOURS='["mon 00:00-00:01"]',
                         KIOSK__DISPLAY__BLANK_SECONDS_CLOSED="45")
    with Xvfb(1024, 600) as x:
        proc = start_kiosk(env, x.display, notify)
        try:
            try:
                notify.wait_for("READY=1", timeout=90)
            except AssertionError:
                raise AssertionError(stop(proc)[-2000:]) from None
            assert screensaver(x.display)[:2] == (45, 45)
        finally:
            stop(proc)
            notify.close()


def test_new_opening_hours_apply_at_once_without_a_restart():
    """A config overlay's opening hours (kiosk/ui/app.py take_settings → retake): applied
    now, the pending wake-up replaced."""
    base = load_settings(environ={})
    clock = [dt.datetime(2026, 12, 1, 19, 0, tzinfo=SH).timestamp()]   # Tuesday evening
    timer = FakeTimer()
    applied: list[int] = []
    sched = BlankingSchedule(base, timer, now=lambda: clock[0],
                             apply=lambda s: applied.append(s) or True)
    sched.start()
    assert sched.is_open and applied == [0]   # no hours: always open
    closing = dataclasses.replace(base, display=dataclasses.replace(
        base.display, opening_hours=("mon-fri 08:00-17:30",), blank_seconds_closed=45))
    sched.retake(closing)
    assert (sched.is_open, applied) == (False, [0, 45])
    assert timer.cancelled == 1 and len(timer.pending) == 2  # the old wake-up cancelled
