"""Technician entry: corner long-press, PIN right/wrong, escalating lock-outs on the
monotonic clock (kept across restarts and reboots, 0600, fail closed), the alert, idle
exit."""

from __future__ import annotations

import json
import stat
import time

import pytest

from kiosk import metrics
from kiosk.secrets import hash_pin
from kiosk.services.diagnostics.access import (
    LOCK_FILE,
    CornerHold,
    PinOutcome,
    TechnicianAccess,
)
from kiosk.services.diagnostics.lockout import MAX_LOCK_SECONDS, lockout_status
from tests.diagnostics.helpers import settings_for

PIN = "246810"
PIN_HASH = hash_pin(PIN, iterations=1000)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Boot:
    """The boot id: ``reboot()`` starts a new boot, whose monotonic clock restarts."""

    def __init__(self, clock: Clock) -> None:
        self.clock, self.n = clock, 1

    def __call__(self) -> str:
        return f"boot-{self.n}"

    def reboot(self, uptime: float = 15.0) -> None:
        self.n += 1
        self.clock.t = uptime


@pytest.fixture
def clocks():
    mono = Clock()
    return mono, Boot(mono)


def _access(tmp_path, clocks, **cfg):
    mono, boot = clocks
    settings = settings_for(tmp_path, **{f"diagnostics__{k}": v for k, v in cfg.items()})
    return TechnicianAccess(settings, PIN_HASH, clock=mono, boot_id=boot)


def _state(tmp_path) -> dict:
    return json.loads((tmp_path / "data" / LOCK_FILE).read_text())


def _metric(name: str) -> float:
    value = metrics.REGISTRY.get_sample_value(name)
    return 0.0 if value is None else value


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


def test_lockout_runs_out_on_the_monotonic_clock(tmp_path, clocks):
    mono, _ = clocks
    access = _access(tmp_path, clocks, max_pin_attempts=1, lockout_seconds=60)
    assert access.verify("9").outcome is PinOutcome.LOCKED
    mono.t += 59
    assert access.verify(PIN).outcome is PinOutcome.LOCKED
    mono.t += 2
    assert access.locked_seconds() == 0
    assert access.verify(PIN).outcome is PinOutcome.GRANTED


def test_lockouts_escalate_until_a_right_pin(tmp_path, clocks):
    mono, _ = clocks
    access = _access(tmp_path, clocks, max_pin_attempts=2, lockout_seconds=60)
    seen = []
    for _ in range(4):
        access.verify("1")
        result = access.verify("2")
        assert result.outcome is PinOutcome.LOCKED
        seen.append(result.locked_seconds)
        mono.t += result.locked_seconds
        assert access.attempts_left == 2  # a fresh round once it ran out
    assert seen == [60, 120, 240, 480]
    assert access.verify(PIN).outcome is PinOutcome.GRANTED
    access.leave()
    access.verify("1")
    assert access.verify("2").locked_seconds == 60  # a right PIN reset the escalation


def test_escalation_is_capped_at_a_day(tmp_path, clocks):
    mono, _ = clocks
    access = _access(tmp_path, clocks, max_pin_attempts=1, lockout_seconds=3600)
    for _ in range(8):
        locked = access.verify("1").locked_seconds
        mono.t += locked
    assert locked == MAX_LOCK_SECONDS


def test_lockout_survives_an_app_restart_exactly(tmp_path, clocks):
    mono, _ = clocks
    access = _access(tmp_path, clocks, max_pin_attempts=2, lockout_seconds=120)
    access.verify("1")
    access.verify("2")
    mono.t += 30  # the app restarts 30 s later, same boot
    again = _access(tmp_path, clocks, max_pin_attempts=2, lockout_seconds=120)
    assert again.locked_seconds() == 90
    assert again.verify(PIN).outcome is PinOutcome.LOCKED
    # One wrong try before a restart still counts after it.
    other = tmp_path / "other"
    first = _access(other, clocks, max_pin_attempts=2)
    first.verify("1")
    assert _access(other, clocks, max_pin_attempts=2).attempts_left == 1


def test_a_reboot_never_shortens_a_lockout(tmp_path, clocks):
    mono, boot = clocks
    access = _access(tmp_path, clocks, max_pin_attempts=1, lockout_seconds=600)
    access.verify("1")
    mono.t += 200
    assert access.verify(PIN).locked_seconds == 400  # refused: 400 s left is saved
    boot.reboot(uptime=5000.0)  # the new boot's clock says nothing about the old one
    after = _access(tmp_path, clocks, max_pin_attempts=1, lockout_seconds=600)
    assert after.locked_seconds() == 400
    mono.t += 399
    assert after.verify(PIN).outcome is PinOutcome.LOCKED
    mono.t += 2
    assert after.verify(PIN).outcome is PinOutcome.GRANTED


def test_the_wall_clock_does_not_matter(tmp_path, clocks, monkeypatch):
    access = _access(tmp_path, clocks, max_pin_attempts=1, lockout_seconds=600)
    access.verify("1")
    monkeypatch.setattr(time, "time", lambda: 4_000_000_000.0)  # clock set far ahead
    assert _access(tmp_path, clocks, max_pin_attempts=1,
                   lockout_seconds=600).locked_seconds() == 600


@pytest.mark.parametrize("garbage", [
    "", "{", "[]", '{"version": 2}', '{"version": 1, "failures": 0}',
    '{"version": 2, "failures": "x", "round_failures": 0, "lockouts": 0,'
    ' "lock_seconds": 1, "remaining": 1, "locked_at": 0}'])
def test_an_unreadable_state_file_fails_closed(tmp_path, clocks, garbage):
    path = tmp_path / "data" / LOCK_FILE
    path.parent.mkdir(parents=True)
    path.write_text(garbage)
    access = _access(tmp_path, clocks, lockout_seconds=300)
    assert access.locked_seconds() == 300
    assert access.verify(PIN).outcome is PinOutcome.LOCKED


def test_a_tampered_remaining_time_is_bounded(tmp_path, clocks):
    access = _access(tmp_path, clocks, max_pin_attempts=1, lockout_seconds=60)
    access.verify("1")
    state = _state(tmp_path)
    state.update(remaining=10**9, lock_seconds=10**9, boot_id="elsewhere")
    (tmp_path / "data" / LOCK_FILE).write_text(json.dumps(state))
    assert _access(tmp_path, clocks, max_pin_attempts=1).locked_seconds() == MAX_LOCK_SECONDS


def test_state_file_is_private_and_holds_no_pin(tmp_path, clocks):
    path = tmp_path / "data" / LOCK_FILE
    path.parent.mkdir(parents=True)
    access = _access(tmp_path, clocks)
    access.verify("13579024")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)  # as an older version left it
    access.verify("13579025")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "13579024" not in text and PIN not in text
    assert not list(path.parent.glob(".*.tmp"))


def test_alert_after_repeated_failures_in_metrics_and_status(tmp_path, clocks):
    mono, _ = clocks
    access = _access(tmp_path, clocks, max_pin_attempts=3, lockout_seconds=10)
    before = _metric("kiosk_technician_pin_failures_total")
    for n in range(1, 7):
        result = access.verify("1")
        if result.outcome is PinOutcome.LOCKED:
            mono.t += result.locked_seconds
        assert access.status().alert is (n >= 6), n
    assert _metric("kiosk_technician_pin_alert") == 1
    assert _metric("kiosk_technician_pin_failures_total") - before == 6
    # What a heartbeat reads: from the file, with the real clocks (the test's monotonic
    # clock is far from the real one, but the lock-out counters are what it reports).
    status = lockout_status(settings_for(tmp_path))
    assert status["alert"] is True and status["failures"] == 6 and status["lockouts"] == 2
    assert access.verify(PIN).outcome is PinOutcome.GRANTED
    assert _metric("kiosk_technician_pin_alert") == 0
    assert lockout_status(settings_for(tmp_path))["alert"] is False


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
