"""The cardholder PIN (cancel a pre-loss): exactly 6 digits, it exists only for the
VERIFY call, and "try again" means typing it again — never a re-send of the old one."""

from __future__ import annotations

import pytest

from kiosk.devices.pcsc.errors import CardError
from kiosk.devices.ssc import PinFormatError
from kiosk.services.states import Step
from tests.services.conftest import Rig
from tests.services.test_status_cancel import cancel_up_to_pin

PIN = "123456"


@pytest.mark.parametrize("typed", ["12345", "1234567", "", "12345a", "１２３４５６"])
def test_anything_but_six_ascii_digits_is_refused_before_the_card(rig: Rig, typed: str
                                                                   ) -> None:
    cancel_up_to_pin(rig)
    rig.ctl.cancel.submit_pin(typed)
    st = rig.ctl.state
    assert st.step == Step.CANCEL_PIN and st.view.error_key == "journeys.pin.error.format"
    assert rig.pins.calls == 0


def test_the_device_layers_format_refusal_is_the_pin_steps_own_words(rig: Rig) -> None:
    def refuse(pin: str) -> None:
        raise PinFormatError("the PIN is exactly 6 digits")

    rig.pins.verify_pin = refuse  # type: ignore[method-assign]
    cancel_up_to_pin(rig)
    rig.ctl.cancel.submit_pin(PIN)
    rig.pump()
    st = rig.ctl.state
    assert st.step == Step.CANCEL_PIN and st.view.error_key == "journeys.pin.error.format"


def _holds(obj: object, secret: str) -> bool:
    """Whether ``secret`` is reachable from ``obj`` through closures (a retry action)."""
    seen: set[int] = set()
    todo = [obj]
    while todo:
        o = todo.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if o == secret:
            return True
        for cell in getattr(o, "__closure__", None) or ():
            try:
                todo.append(cell.cell_contents)
            except ValueError:
                pass
    return False


def test_retry_after_a_failed_check_asks_for_the_pin_again(rig: Rig) -> None:
    calls: list[str] = []

    def unplugged(pin: str) -> None:
        calls.append(pin)
        raise CardError("comm_failed")

    rig.pins.verify_pin = unplugged  # type: ignore[method-assign]
    cancel_up_to_pin(rig)
    rig.ctl.cancel.submit_pin("864209")
    rig.pump()
    assert rig.ctl.state.step == Step.FAILED and rig.ctl.state.failure.retry
    assert not _holds(rig.ctl._retry, "864209")  # no retry closure holds the PIN
    rig.ctl.retry()
    st = rig.ctl.state
    assert st.step == Step.CANCEL_PIN and not st.view.error_key
    assert calls == ["864209"]  # typed once, sent once: retry did not re-send it


def test_a_wrong_pin_is_typed_again_with_the_tries_left(rig: Rig) -> None:
    cancel_up_to_pin(rig)
    rig.ctl.cancel.submit_pin("000000")
    rig.pump()
    st = rig.ctl.state
    assert st.step == Step.CANCEL_PIN and st.view.tries_left == 2
    assert rig.ctl._retry is None
