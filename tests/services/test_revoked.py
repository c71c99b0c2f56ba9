"""A revoked terminal key, headless: a journey's call refused with ``terminal_revoked``
ends the session at once and shows out of service with the hotline (not a failure
screen); nothing starts until the key is good again; a result on screen stays; a pause
and a revocation do not undo each other."""

from __future__ import annotations

from kiosk.central.errors import CentralRevoked
from kiosk.services.states import EndReason, Journey, OutOfServiceView, Step
from tests.services.conftest import Rig
from tests.services.fakes import Event, id_card


def _revoked_at_lookup(rig: Rig) -> None:
    rig.central.errors["lookup_person"] = CentralRevoked("revoked")
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    rig.pump()


def test_a_revoked_key_shows_out_of_service_with_the_hotline(rig: Rig) -> None:
    seen: list = []
    rig.ctl.subscribe(seen.append)
    _revoked_at_lookup(rig)
    st = rig.ctl.state
    assert st.step == Step.OUT_OF_SERVICE and st.failure is None
    assert st.view.reason == "terminal_revoked" and st.view.hotline == "96102"
    assert not st.view.guidance_readable
    assert rig.ctl.session.is_empty()
    assert Step.FAILED not in [s.step for s in seen]
    assert any(s.end_reason == EndReason.OUT_OF_SERVICE for s in seen)
    for journey in ("pre_loss", "status", "cancel", "guidance"):
        rig.ctl.start(journey)
        assert rig.ctl.state.step == Step.OUT_OF_SERVICE, journey
    rig.ctl.out_of_service.reinstated()
    assert rig.ctl.state.step == Step.HOME
    rig.ctl.start("pre_loss")
    assert rig.ctl.state.step == Step.IDENTIFY


def test_told_by_the_client_while_idle_or_on_a_result(rig: Rig) -> None:
    rig.ctl.out_of_service.revoked(rig.ctl.settings)
    assert rig.ctl.state.step == Step.OUT_OF_SERVICE
    rig.ctl.out_of_service.reinstated()
    assert rig.ctl.state.step == Step.HOME
    # A pre-loss done: its result stays on screen until it is left.
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    rig.pump()
    rig.ctl.pre_loss.choose_card("0")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_DONE)
    rig.ctl.out_of_service.revoked(rig.ctl.settings)
    assert rig.ctl.state.step == Step.PRE_LOSS_DONE
    rig.ctl.end(EndReason.DONE)
    assert rig.ctl.state.step == Step.OUT_OF_SERVICE
    assert rig.ctl.state.journey == Journey.NONE


def test_a_pause_and_a_revocation_keep_each_other(rig: Rig) -> None:
    pause = OutOfServiceView(reason="maintenance", hotline="96102", guidance_readable=True)
    rig.ctl.out_of_service.pause(pause)
    rig.ctl.out_of_service.revoked(rig.ctl.settings)
    assert rig.ctl.state.view.reason == "terminal_revoked"
    rig.ctl.out_of_service.resume()  # the fleet's resume does not reinstate a key
    assert rig.ctl.state.step == Step.OUT_OF_SERVICE
    rig.ctl.out_of_service.pause(pause)
    rig.ctl.out_of_service.reinstated()  # still paused by the centre
    assert rig.ctl.state.step == Step.OUT_OF_SERVICE
    assert rig.ctl.state.view.reason == "maintenance"
