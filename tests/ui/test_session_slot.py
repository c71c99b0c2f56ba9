"""``app.session`` holds only what can be wiped (a :class:`kiosk.ui.app.SessionData`):
anything else is refused when set, and what it holds is wiped at every session end,
also when its wipe fails (then it is dropped all the same)."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.services.states import EndReason

pytestmark = pytest.mark.ui


class Data:
    """One session's data; the wipe can be made to fail."""

    def __init__(self, fail: bool = False) -> None:
        self.values: dict[str, str] | None = {"name": "张*"}
        self.fail = fail

    def wipe(self) -> None:
        self.values = None
        if self.fail:
            raise RuntimeError("wipe failed half-way")


def test_a_session_slot_refuses_what_cannot_be_wiped(kiosk_ui: Any) -> None:
    app = kiosk_ui.app
    with pytest.raises(ValueError):
        app.session = {"name": "张*"}  # a dict has no wipe(): it would outlive the session
    assert app.session is None


@pytest.mark.parametrize("fail", [False, True], ids=["wiped", "wipe_fails"])
def test_the_session_end_wipes_and_drops_what_the_slot_holds(kiosk_ui: Any,
                                                             fail: bool) -> None:
    app = kiosk_ui.app
    data = Data(fail)
    app.session = data
    app.end_session(EndReason.DONE)
    kiosk_ui.wait_for_screen("attract")
    assert data.values is None and app.session is None
