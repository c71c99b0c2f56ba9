"""Inactivity timer logic with a fake clock (no window)."""

from __future__ import annotations

import pytest

from kiosk.ui.inactivity import InactivityTimer, Phase


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def timer(clock: FakeClock) -> InactivityTimer:
    return InactivityTimer(60, 20, clock=clock)


def test_idle_until_a_session_starts(timer, clock):
    assert timer.poll() is Phase.IDLE
    clock.advance(10_000)
    assert timer.poll() is Phase.IDLE
    assert timer.next_check_in() is None and timer.seconds_left() == 0


def test_warning_after_quiet_period_then_expiry(timer, clock):
    timer.start()
    clock.advance(59.9)
    assert timer.poll() is Phase.ACTIVE
    clock.advance(0.1)
    assert timer.poll() is Phase.WARNING
    assert timer.seconds_left() == 20
    clock.advance(19.5)
    assert timer.poll() is Phase.WARNING and timer.seconds_left() == 1
    clock.advance(0.5)
    assert timer.poll() is Phase.EXPIRED
    assert timer.next_check_in() is None


def test_touch_restarts_the_quiet_period_only_while_active(timer, clock):
    timer.start()
    clock.advance(50)
    timer.touch()
    clock.advance(50)
    assert timer.poll() is Phase.ACTIVE
    clock.advance(10)
    assert timer.poll() is Phase.WARNING
    timer.touch()  # a stray touch on the dimmed screen does not cancel the warning
    clock.advance(20)
    assert timer.poll() is Phase.EXPIRED


def test_more_time_leaves_the_warning(timer, clock):
    timer.start()
    clock.advance(70)
    assert timer.poll() is Phase.WARNING
    timer.extend()
    assert timer.poll() is Phase.ACTIVE
    clock.advance(59)
    assert timer.poll() is Phase.ACTIVE


def test_stop_ends_watching_and_extend_does_not_restart_it(timer, clock):
    timer.start()
    timer.stop()
    timer.extend()
    clock.advance(1000)
    assert timer.poll() is Phase.IDLE


def test_next_check_in_wakes_at_the_warning_then_each_second(timer, clock):
    timer.start()
    clock.advance(10)
    assert timer.next_check_in() == pytest.approx(50)
    clock.advance(50)
    timer.poll()
    assert timer.next_check_in() == pytest.approx(1.0)
    clock.advance(0.3)
    assert timer.next_check_in() == pytest.approx(0.7)
    assert timer.seconds_left() == 20  # 19.7 shows as 20


def test_configure_rejects_nonsense(timer):
    with pytest.raises(ValueError):
        timer.configure(0, 5)
    with pytest.raises(ValueError):
        timer.configure(10, -1)
