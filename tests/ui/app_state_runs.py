"""Run by ``tests/ui/test_fresh_state.py`` in a pytest of its own with one worker (one
process at a time, these tests in this order; not collected by the suite: its name does not
start with ``test_``).

1. leaves the app as a cardholder could and does not clean up;
2. the next UI test on that app starts from the known state;
3. leaves Kivy half-way through a frame, as a test stopped by the per-test timeout inside
   ``Builder.sync`` does (every later frame fails);
4. the next UI test has a working app (a new worker's)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.kivy_app import app_state
from tests.ui.test_fresh_state import changed, dirty

pytestmark = pytest.mark.ui

FIRST = "test_1_a_test_leaves_the_app_as_a_cardholder_could"
_left: dict[str, Any] = {}


def test_1_a_test_leaves_the_app_as_a_cardholder_could(kiosk_ui: Any) -> None:
    held = dirty(kiosk_ui)
    _left["state"] = app_state(kiosk_ui.app)
    _left["held"] = held
    # No clean-up: the next test must not see any of it.


def test_2_the_next_test_starts_from_the_known_state(kiosk_ui: Any) -> None:
    assert "state" in _left and kiosk_ui.kiosk_previous_test.endswith(FIRST), (
        f"run with {FIRST} right before this test (the whole file, same process)")
    known = kiosk_ui.kiosk_known_state
    assert changed(_left["state"], known) >= {"screen", "lang", "large_text", "session",
                                               "warning_open"}
    assert app_state(kiosk_ui.app) == known
    assert _left["held"].data is None
    assert kiosk_ui.app.sm.current == "attract" and not kiosk_ui.find_all(
        key="inactivity.title")
    assert kiosk_ui.find(key="attract.subtitle").text == "请点击您要办理的业务"


def test_3_dies_mid_frame(kiosk_ui: Any) -> None:
    import kivy.lang.builder as builder

    kiosk_ui.tap(key="attract.pre_loss")
    # What an exception raised inside Builder.sync's loop leaves: a chain of delayed
    # calls whose link was already cut. Every later frame fails on it.
    builder._delayed_start = [None]


def test_4_the_next_ui_test_has_a_working_app(kiosk_ui: Any) -> None:
    kiosk_ui.tap(key="attract.pre_loss")
    kiosk_ui.wait_for_screen("pre_loss")
    assert kiosk_ui.find(key="app.home")
