"""The SMS code's resend cooldown, from the real sandbox: the code step carries the time
"send again" is possible from, and a press before then sends nothing."""

from __future__ import annotations

import time
from typing import Any

from kiosk.config import Settings
from kiosk.personas import persona
from kiosk.services.controller import JourneyController
from kiosk.services.states import CodeView, Step
from kiosk.services.tasks import QueueDispatcher

ID = persona("normal")["id"]["id_number"]


class Counting:
    """The real client, counting code requests."""

    def __init__(self, client: Any) -> None:
        self.client, self.requests = client, 0

    def request_code(self, id_number: str) -> Any:
        self.requests += 1
        return self.client.request_code(id_number)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def _pump(dispatch: QueueDispatcher, ctl: JourneyController, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while ctl.state.step == Step.BUSY and time.monotonic() < deadline:
        dispatch.run_pending(wait=0.05)


def test_resend_waits_for_the_services_cooldown(central_client: Any,
                                                central_settings: Settings) -> None:
    central = Counting(central_client)
    dispatch = QueueDispatcher()
    ctl = JourneyController(central_settings, central, dispatch)
    try:
        ctl.start("pre_loss")
        ctl.identify.use_keypad()
        ctl.identify.submit_id_number(ID)
        _pump(dispatch, ctl)
        view = ctl.state.view
        assert ctl.state.step == Step.CODE_ENTRY and isinstance(view, CodeView)
        left = view.resend_at - time.monotonic()
        assert 0 < left <= 600, left  # the sandbox's resend_after_seconds, from now
        ctl.identify.resend_code()  # pressed during the countdown: nothing is sent
        assert central.requests == 1 and ctl.state.step == Step.CODE_ENTRY
        ctl.identify.submit_code("12")  # an error keeps the countdown
        assert ctl.state.view.resend_at == view.resend_at
    finally:
        ctl.shutdown()


def test_a_too_soon_refusal_stays_on_the_code_step(central_client: Any,
                                                   central_settings: Settings) -> None:
    dispatch = QueueDispatcher()
    ctl = JourneyController(central_settings, central_client, dispatch)
    try:
        ctl.start("pre_loss")
        ctl.identify.use_keypad()
        ctl.identify.submit_id_number(ID)
        _pump(dispatch, ctl)
        # The kiosk's clock says the cooldown is over; the service's does not.
        ctl.publish(Step.CODE_ENTRY, CodeView(ctl.state.view.phone_masked, 300))
        ctl.identify.resend_code()
        _pump(dispatch, ctl)
        st = ctl.state
        assert st.step == Step.CODE_ENTRY, st
        assert st.view.error_key == "journeys.code.error.resend_too_soon"
    finally:
        ctl.shutdown()
