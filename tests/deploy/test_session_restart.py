"""The runner's restart rule and its journal line: the wait it states is the wait it
makes (it logged "restarting after 8 s" and restarted at once). Real app processes
(a stand-in that exits), no X server; the runner's sleep is recorded, not slept."""

from __future__ import annotations

import re
import sys

import pytest

from kiosk.system.session import (
    MAX_BACKOFF_S,
    QUICK_EXIT_S,
    START_UP_CRASH_S,
    Session,
    restart_delay,
)


def test_a_crash_after_start_up_restarts_now_whatever_the_back_off():
    # The case: the back-off had grown to 8 s, the app ran 5 s: no wait.
    assert restart_delay(5.0, 4.0) == (8.0, 0.0)
    # A crash at start-up waits the (grown) back-off, capped.
    assert restart_delay(START_UP_CRASH_S / 2, 4.0) == (8.0, 8.0)
    assert restart_delay(0.1, MAX_BACKOFF_S) == (MAX_BACKOFF_S, MAX_BACKOFF_S)
    # A long run forgets the back-off.
    assert restart_delay(QUICK_EXIT_S + 1, 16.0) == (0.0, 0.0)


def test_the_journal_line_states_the_wait_the_runner_makes(capsys: pytest.CaptureFixture[str]):
    waits: list[float] = []
    session: Session

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            session.stop()

    session = Session(":99", [], egl=False, sleep=sleep,
                      app_command=[sys.executable, "-c", "raise SystemExit(3)"])
    assert session.run() == 0
    err = capsys.readouterr().err
    stated = [float(s) for s in re.findall(r"restarting after (\d+) s", err)]
    assert waits == [1.0, 2.0, 4.0]     # start-up crashes back off
    assert stated == waits
    assert err.count("(exit 3,") == 3
