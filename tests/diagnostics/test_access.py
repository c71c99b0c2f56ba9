"""Technician entry: corner long-press, PIN right/wrong, lock-out (persisted), idle exit."""

from __future__ import annotations

import pytest

from kiosk.secrets import hash_pin
from kiosk.services.diagnostics.access import (
    CornerHold,
    PinOutcome,
    TechnicianAccess,
)
from tests.diagnostics.helpers import settings_for

PIN = "246810"
PIN_HASH = hash_pin(PIN, iterations=1000)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clocks():
    return Clock(), Clock()


def _access(tmp_path, clocks, **cfg):
    mono, wall = clocks
    settings = settings_for(tmp_path, **{f"diagnostics__{k}": v for k, v in cfg.items()})
    return TechnicianAccess(settings, PIN_HASH, clock=mono, wall=wall)


def test_right_pin_enters(tmp_path, clocks):
    access = _access(tmp_path, clocks)
    result = access.verify(PIN)
    assert result.outcome is PinOutcome.GRANTED
    assert access.active


def test_wrong_pin_counts_down_then_locks(tmp_path, clocks):
    access = _access(tmp_path, clocks, max_pin_attempts=3, lockout_seconds=300)
    assert access.verify("000000").attempts_left == 2
    assert access.verify("111111").outcome is PinOutcome.WRONG
    locked = access.verify("222222")
    assert locked.outcome is PinOutcome.LOCKED and locked.locked_seconds == 300
    # While locked even the right PIN is refused, without being checked.
    assert access.verify(PIN).outcome is PinOutcome.LOCKED
    assert not access.active


def test_lockout_runs_out(tmp_path, clocks):
    mono, wall = clocks
    access = _access(tmp_path, clocks, max_pin_attempts=1, lockout_seconds=60)
    assert access.verify("9").outcome is PinOutcome.LOCKED
    wall.t += 59
    assert access.verify(PIN).outcome is PinOutcome.LOCKED
    wall.t += 2
    assert access.locked_seconds() == 0
    assert access.verify(PIN).outcome is PinOutcome.GRANTED


def test_lockout_survives_a_restart(tmp_path, clocks):
    access = _access(tmp_path, clocks, max_pin_attempts=2, lockout_seconds=120)
    access.verify("1")
    access.verify("2")
    again = _access(tmp_path, clocks, max_pin_attempts=2, lockout_seconds=120)
    assert again.locked_seconds() == 120
    assert again.verify(PIN).outcome is PinOutcome.LOCKED
    # One wrong try before a restart still counts after it.
    other = tmp_path / "other"
    first = _access(other, clocks, max_pin_attempts=2)
    first.verify("1")
    assert _access(other, clocks, max_pin_attempts=2).attempts_left == 1


def test_state_file_holds_no_pin(tmp_path, clocks):
    access = _access(tmp_path, clocks)
    access.verify("135790")
    text = (tmp_path / "data" / "technician-lockout.json").read_text()
    assert "135790" not in text and PIN not in text


def test_idle_timeout_leaves_and_touch_postpones_it(tmp_path, clocks):
    mono, _ = clocks
    access = _access(tmp_path, clocks, idle_seconds=120)
    access.verify(PIN)
    mono.t += 100
    assert not access.idle_expired()
    access.touch()
    mono.t += 100
    assert not access.idle_expired() and access.idle_left() == pytest.approx(20)
    mono.t += 21
    assert access.idle_expired()
    access.leave()
    assert not access.active and not access.idle_expired()


def test_corner_hold_fires_after_three_seconds_in_the_top_right():
    hold = CornerHold()
    w, h = 1920, 1080
    hold.down(1900, 1060, w, h, now=0.0)
    assert not hold.poll(2.9)
    assert hold.poll(3.0)
    assert not hold.poll(4.0)  # once per press


def test_corner_hold_ignores_other_places_short_presses_and_slides():
    hold = CornerHold()
    w, h = 1920, 1080
    hold.down(20, 1060, w, h, now=0.0)  # top-left
    assert not hold.poll(5.0)
    hold.down(1900, 20, w, h, now=0.0)  # bottom-right
    assert not hold.poll(5.0)
    hold.down(1900, 1060, w, h, now=0.0)
    hold.up()
    assert not hold.poll(5.0)
    hold.down(1900, 1060, w, h, now=0.0)
    hold.move(1000, 500, w, h)  # slid out of the corner
    assert not hold.poll(5.0)
