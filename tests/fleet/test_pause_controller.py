"""The pause in the journey controller, headless (the services rig with fakes): it never
interrupts a cardholder, shows out of service at the session boundary, offers no journey
(guidance only when allowed), and resume goes home."""

from __future__ import annotations

import pytest

from kiosk.services.states import EndReason, Journey, OutOfServiceView, Step
from tests.services.conftest import Rig
from tests.services.test_pre_loss import identify_by_id_card

VIEW = OutOfServiceView("maintenance", "96102", True, "site", {"zh_CN": "东城区网点"})


def _steps(rig: Rig) -> list[Step]:
    seen: list[Step] = []
    rig.ctl.subscribe(lambda st: seen.append(st.step))
    return seen


def test_pause_mid_journey_waits_for_the_journey_to_finish(rig: Rig) -> None:
    identify_by_id_card(rig)
    assert rig.ctl.state.step == Step.CARDS
    seen = _steps(rig)
    rig.ctl.out_of_service.pause(VIEW)
    assert seen == [] and rig.ctl.state.step == Step.CARDS  # not interrupted
    rig.ctl.pre_loss.choose_card("0")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_DONE)
    assert rig.ctl.state.step == Step.PRE_LOSS_DONE
    rig.ctl.end(EndReason.DONE)
    assert rig.ctl.state.step == Step.OUT_OF_SERVICE and rig.ctl.state.view == VIEW
    assert Step.HOME in seen  # the UI resets its screens on the way
    assert rig.ctl.session.is_empty()


@pytest.mark.parametrize("reason", [EndReason.TIMEOUT, EndReason.HOME,
                                    EndReason.CARD_REMOVED, EndReason.TECHNICIAN])
def test_every_session_end_is_a_boundary(rig: Rig, reason: EndReason) -> None:
    rig.ctl.start("status")
    rig.ctl.out_of_service.pause(VIEW)
    assert rig.ctl.state.step == Step.IDENTIFY
    rig.ctl.end(reason)
    assert rig.ctl.state.step == Step.OUT_OF_SERVICE


def test_idle_kiosk_goes_out_of_service_at_once_and_offers_no_journey(rig: Rig) -> None:
    rig.ctl.out_of_service.pause(VIEW)
    assert rig.ctl.state.step == Step.OUT_OF_SERVICE
    for journey in ("pre_loss", "status", "cancel"):
        rig.ctl.start(journey)
        assert rig.ctl.state.step == Step.OUT_OF_SERVICE
        assert rig.ctl.state.journey == Journey.NONE
    # Guidance stays readable when the pause says so, and comes back here.
    rig.ctl.start("guidance")
    assert rig.ctl.state.step == Step.GUIDANCE_INDEX
    rig.ctl.back()
    assert rig.ctl.state.step == Step.OUT_OF_SERVICE


def test_guidance_closed_when_the_pause_says_so(rig: Rig) -> None:
    rig.ctl.out_of_service.pause(OutOfServiceView("central_migration", "96102", False))
    rig.ctl.start("guidance")
    assert rig.ctl.state.step == Step.OUT_OF_SERVICE


def test_resume_goes_home_and_journeys_start_again(rig: Rig) -> None:
    rig.ctl.out_of_service.pause(VIEW)
    rig.ctl.out_of_service.resume()
    assert rig.ctl.state.step == Step.HOME
    rig.ctl.start("pre_loss")
    assert rig.ctl.state.step == Step.IDENTIFY


def test_resume_before_the_boundary_leaves_the_journey_alone(rig: Rig) -> None:
    rig.ctl.start("pre_loss")
    rig.ctl.out_of_service.pause(VIEW)
    rig.ctl.out_of_service.resume()
    assert rig.ctl.state.step == Step.IDENTIFY
    rig.ctl.end(EndReason.DONE)
    assert rig.ctl.state.step == Step.HOME


def _with_fleet(settings, **fleet):
    import dataclasses

    return dataclasses.replace(settings, fleet=dataclasses.replace(settings.fleet, **fleet))


def test_where_else_is_a_catalog_key_or_the_sites_own_words(rig: Rig) -> None:
    from kiosk.services.out_of_service import where_else

    s = rig.ctl.settings
    assert where_else(_with_fleet(s, alternative="site")) == ("", {})  # no words: nothing
    assert where_else(_with_fleet(s, alternative="site", alternative_zh=" 东城区网点 ")) \
        == ("site", {"zh_CN": "东城区网点"})
    assert where_else(_with_fleet(s, alternative="nearest_outlet",
                                  alternative_zh="东城区网点")) == ("nearest_outlet", {})
    assert where_else(_with_fleet(s, alternative="none", alternative_zh="东城区网点")) \
        == ("", {})


def test_new_settings_reach_a_pause_in_force_at_once(rig: Rig) -> None:
    import dataclasses

    rig.ctl.out_of_service.pause(VIEW)
    seen = _steps(rig)
    s = rig.ctl.settings
    new = _with_fleet(dataclasses.replace(s, region=dataclasses.replace(s.region,
                                                                        hotline="12333")),
                      alternative="staffed_counter")
    rig.ctl.take_settings(new)
    assert rig.ctl.settings is new and seen == [Step.OUT_OF_SERVICE]
    view = rig.ctl.state.view
    assert (view.hotline, view.alternative, view.place) == ("12333", "staffed_counter", {})
    assert (view.reason, view.guidance_readable) == ("maintenance", True)
