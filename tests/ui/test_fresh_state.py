"""Every UI test starts from a known app state: the one the first UI test of the process
started from, brought back by the app's own session end (``app.end_session``, the path a
cardholder's session ends by), never by the fixture setting things itself.

``test_ui_tests_start_clean_even_after_one_broke`` proves it across real test boundaries:
it runs ``tests/ui/app_state_runs.py`` in a pytest of its own (one worker, its tests in
order, whatever the workers of this run do): a test leaves the app as a cardholder could
(another language, large text, high contrast, deep in a journey with a history, the
inactivity warning open, a session object holding data, shorter quiet periods) and does
not clean up; the next UI test on that app starts clean. Then a test leaves Kivy broken
mid-frame (what the per-test timeout can do): it fails, its worker ends, and the next UI
test runs on a new worker's app."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from kiosk.services.states import EndReason
from tests.fixtures.cli import REPO
from tests.fixtures.kivy_app import _fresh, app_state

pytestmark = pytest.mark.ui

class Held:
    """A session object holding personal data until the session end wipes it."""

    def __init__(self) -> None:
        self.data: str | None = "张三 110101199003077777"

    def wipe(self) -> None:
        self.data = None


def dirty(ui: Any) -> Held:
    """Change everything a session can change, through the window where a person can."""
    app = ui.app
    ui.tap(key="attract.pre_loss")
    ui.wait_for_screen("pre_loss")
    ui.tap(key="app.language_switch")
    ui.tap(key="app.large_text")
    ui.tap(key="app.high_contrast")
    app.go("placeholder", title_key="attract.status")
    ui.wait_for_screen("placeholder")
    held = Held()
    app.session = held
    app.inactivity.configure(1.5, 1.0)   # e.g. a mode that gives one person other times
    app.overlay.show()
    ui.pump_frames(2)
    return held


def changed(state: dict[str, Any], known: dict[str, Any]) -> set[str]:
    return {k for k in known if state[k] != known[k]}


def test_session_end_brings_back_the_known_state(kiosk_ui: Any) -> None:
    known = kiosk_ui.kiosk_known_state
    held = dirty(kiosk_ui)
    # Not a vacuous check: the dirty app differs in every respect a session touched.
    assert {"screen", "controller", "lang", "large_text", "high_contrast", "session",
            "inactivity", "warning_open"} <= changed(app_state(kiosk_ui.app), known)
    kiosk_ui.app.end_session(EndReason.RESET)
    kiosk_ui.wait_for_screen("attract")
    assert app_state(kiosk_ui.app) == known
    assert held.data is None  # wiped, not only dropped


def test_what_a_session_end_does_not_restore_is_reported(kiosk_ui: Any,
                                                          request: pytest.FixtureRequest) -> None:
    """A test that changes what the session end leaves alone (here the window-close
    veto, set without monkeypatch) fails at its own teardown, naming what it left."""
    app = kiosk_ui.app
    known = kiosk_ui.kiosk_known_state
    app.allow_close = True
    try:
        with pytest.raises(pytest.fail.Exception) as failed:
            _fresh(kiosk_ui, request.node.nodeid, after=request.node.nodeid)  # its teardown
        assert f"left by {request.node.nodeid}" in str(failed.value)
        assert "allow_close: True (was False)" in str(failed.value)
    finally:
        app.allow_close = False
        kiosk_ui.kiosk_known_state = known


def _sub_pytest(tmp_path: Any, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest on this checkout in a process of its own (its own display and app)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-rA",
         "--basetemp", str(tmp_path / "run"), *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=560)


@pytest.mark.timeout(600)  # two apps started in another pytest: slow on a loaded machine
def test_ui_tests_start_clean_even_after_one_broke(tmp_path: Any) -> None:
    """Across real test boundaries (``tests/ui/app_state_runs.py``, one worker): the UI
    test after one that left the app dirty starts clean; a test that leaves Kivy broken
    mid-frame fails, and only it: its worker ends and a new one, with a new app, runs the
    next UI test."""
    proc = _sub_pytest(tmp_path, "-n", "1", "tests/ui/app_state_runs.py")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-4000:]
    runs = "tests/ui/app_state_runs.py::"
    for passed in ("test_1_a_test_leaves_the_app_as_a_cardholder_could",
                   "test_2_the_next_test_starts_from_the_known_state",
                   "test_4_the_next_ui_test_has_a_working_app"):
        assert f"PASSED {runs}{passed}" in out, (passed, out[-4000:])
    assert f"kiosk: the app broke in {runs}test_3_dies_mid_frame" in out, out[-4000:]
    assert f"worker 'gw0' crashed while running '{runs}test_3_dies_mid_frame'" in out, \
        out[-4000:]
    assert f"[gw1] [100%] PASSED {runs}test_4" in out, out[-4000:]  # a new worker, a new app
    assert "= 1 failed, " in out, out[-4000:]  # test_3 alone (its call passed, then it crashed)
