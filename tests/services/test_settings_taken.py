"""Settings taken while running (a config overlay from the centre, at an idle moment):
the next session's screens and receipts show them, and the hotline is always the
terminal's own, never a number from the service's answer (headless, the services rig)."""

from __future__ import annotations

import dataclasses

from kiosk.services.states import EndReason, Step
from tests.services.conftest import Rig
from tests.services.test_pre_loss import identify_by_id_card


def _region(settings, **region):
    return dataclasses.replace(settings,
                               region=dataclasses.replace(settings.region, **region))


def test_the_services_hotline_never_reaches_the_screen_or_the_receipt(rig: Rig) -> None:
    real = rig.central.submit_pre_loss

    def answer(*args, **kwargs):  # a service (or a forger) naming another number
        return real(*args, **kwargs).model_copy(update={"hotline": "13800138000"})

    rig.central.submit_pre_loss = answer
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_DONE)
    rig.pump()
    assert rig.ctl.state.view.hotline == "96102"
    receipt, _ = rig.printer.printed[-1]
    assert receipt.hotline == "96102"


def test_the_next_session_shows_the_settings_taken(rig: Rig) -> None:
    seen = []
    rig.ctl.subscribe_settings(seen.append)
    new = _region(rig.ctl.settings, hotline="12333", replacement_fee_yuan=30,
                  pre_loss_lapse_days=15)
    rig.ctl.take_settings(new)
    assert seen == [new] and rig.ctl.hotline == "12333"
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    view = rig.ctl.state.view
    assert (view.hotline, view.fee_yuan, view.lapse_days) == ("12333", 30, 15)
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_DONE)
    rig.pump()
    assert rig.ctl.state.view.hotline == "12333"
    assert rig.printer.printed[-1][0].hotline == "12333"
    rig.ctl.end(EndReason.DONE)
    rig.ctl.start("guidance")
    assert rig.ctl.state.view.params["hotline"] == "12333"
    assert rig.ctl.state.view.params["fee"] == 30
