"""One person per session, headless: another person's ID card or SSC, or lifting the
identifying ID card off a card list, ends the session's personal data at once; the same
person's card changes nothing; a pre-loss being sent is never cut short."""

from __future__ import annotations

import threading

from kiosk.services.states import EndReason, Journey, Step
from tests.services.conftest import BLOCKED_ID, NORMAL_ID, PRE_LOSS_ID, Rig
from tests.services.fakes import Event, id_card, ssc_card


def _cards_for(rig: Rig, number: str = NORMAL_ID, name: str = "王小明") -> None:
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card(number, name=name)))
    rig.pump()
    assert rig.ctl.state.step == Step.CARDS


def _lookups(rig: Rig) -> list[str]:
    return [args[0] for op, args in rig.central.calls if op == "lookup_person"]


def test_another_persons_id_card_on_a_card_list_starts_over_for_them(rig: Rig) -> None:
    _cards_for(rig, NORMAL_ID)
    assert rig.ctl.state.view.holder_masked == "王**"
    seen: list = []
    rig.ctl.subscribe(seen.append)
    rig.ctl.on_card_event(Event("card_read", "id", id_card(PRE_LOSS_ID, name="孙建华")))
    # At once: the session ended (the UI resets every screen on it), nothing of the first
    # person is left, and the new person's lookup is under way.
    assert seen[0].step == Step.HOME and seen[0].end_reason == EndReason.NEW_PERSON
    assert rig.ctl.session.id_number == PRE_LOSS_ID
    assert rig.ctl.session.person is None and rig.ctl.session.chosen is None
    rig.pump()
    st = rig.ctl.state
    assert (st.step, st.journey) == (Step.CARDS, Journey.PRE_LOSS)
    assert st.view.holder_masked == "孙**"
    assert [c.card_number_masked for c in st.view.cards] == ["*****0094"]
    assert _lookups(rig) == [NORMAL_ID, PRE_LOSS_ID]


def test_the_same_persons_id_card_again_changes_nothing(rig: Rig) -> None:
    _cards_for(rig)
    before = rig.ctl.state
    rig.ctl.on_card_event(Event("card_read", "id", id_card(NORMAL_ID)))
    assert rig.ctl.state is before and _lookups(rig) == [NORMAL_ID]


def test_another_persons_card_at_the_consequences_or_the_result_starts_over(rig: Rig) -> None:
    _cards_for(rig)
    rig.ctl.pre_loss.choose_card("0")
    assert rig.ctl.state.step == Step.CONSEQUENCES
    rig.ctl.on_card_event(Event("card_read", "id", id_card(PRE_LOSS_ID, name="孙建华")))
    rig.pump()
    assert rig.ctl.state.view.holder_masked == "孙**"
    assert rig.ctl.session.chosen is None
    _cards_for(rig)
    rig.ctl.pre_loss.choose_card("0")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_DONE)
    rig.pump()
    rig.ctl.on_card_event(Event("card_read", "id", id_card(PRE_LOSS_ID, name="孙建华")))
    rig.pump()
    assert rig.ctl.state.step == Step.CARDS and rig.ctl.state.view.holder_masked == "孙**"
    assert rig.ctl.session.pre_loss is None


def test_lifting_the_id_card_off_the_card_list_ends_the_session(rig: Rig) -> None:
    _cards_for(rig)
    assert rig.ctl.state.view.keep_id_card  # the screen says it must stay
    rig.ctl.on_card_event(Event("card_removed", "id"))
    st = rig.ctl.state
    assert st.step == Step.HOME and st.end_reason == EndReason.ID_CARD_REMOVED
    assert st.notice_key == "journeys.ended.id_card_removed"
    assert rig.ctl.session.is_empty()


def test_lifting_the_id_card_at_the_consequences_or_during_the_lookup_ends_it(rig: Rig) -> None:
    _cards_for(rig)
    rig.ctl.pre_loss.choose_card("0")
    rig.ctl.on_card_event(Event("card_removed", "id"))
    assert rig.ctl.state.end_reason == EndReason.ID_CARD_REMOVED
    gate = rig.central.gates["lookup_person"] = threading.Event()
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    assert rig.ctl.state.step == Step.BUSY
    rig.ctl.on_card_event(Event("card_removed", "id"))
    assert rig.ctl.state.step == Step.HOME and rig.ctl.session.is_empty()
    gate.set()
    rig.dispatch.run_pending(wait=0.2)
    assert rig.ctl.state.step == Step.HOME  # the late answer is dropped


def test_lifting_the_id_card_after_the_status_is_shown_is_fine(rig: Rig) -> None:
    rig.ctl.start("status")
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    rig.pump()
    assert rig.ctl.state.step == Step.STATUS
    rig.ctl.on_card_event(Event("card_removed", "id"))
    assert rig.ctl.state.step == Step.STATUS


def test_the_persons_own_ssc_is_no_new_person_anothers_is(rig: Rig) -> None:
    _cards_for(rig)
    before = rig.ctl.state
    rig.ctl.on_card_event(Event("card_read", "ssc", ssc_card("X00000019", NORMAL_ID)))
    assert rig.ctl.state is before
    rig.ctl.on_card_event(Event("card_read", "ssc", ssc_card("X00000051", BLOCKED_ID)))
    # Pre-loss identifies by the ID card: the new person is asked for theirs.
    st = rig.ctl.state
    assert st.journey == Journey.PRE_LOSS and rig.ctl.session.person is None
    assert st.step == Step.FAILED and st.failure.kind == "wrong_card"


def test_another_persons_ssc_in_the_status_journey_shows_their_status(rig: Rig) -> None:
    rig.ctl.start("status")
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    rig.pump()
    assert rig.ctl.state.step == Step.STATUS and rig.ctl.state.view.holder_masked == "王**"
    rig.ctl.on_card_event(Event("card_read", "ssc", ssc_card("X00000051", BLOCKED_ID)))
    rig.pump()
    assert rig.ctl.state.step == Step.STATUS and rig.ctl.state.view.holder_masked == "陈**"


def test_a_card_during_the_keypad_identification_replaces_it(rig: Rig) -> None:
    rig.ctl.start("pre_loss")
    rig.ctl.identify.use_keypad()
    rig.ctl.identify.submit_id_number(NORMAL_ID)
    rig.pump()
    assert rig.ctl.state.step == Step.CODE_ENTRY and rig.ctl.session.challenge_id
    rig.ctl.on_card_event(Event("card_read", "id", id_card(PRE_LOSS_ID, name="孙建华")))
    assert rig.ctl.session.challenge_id is None and rig.ctl.session.phone_masked is None
    rig.pump()
    assert rig.ctl.state.step == Step.CARDS and rig.ctl.state.view.holder_masked == "孙**"


def test_a_pre_loss_being_sent_is_not_cut_short(rig: Rig) -> None:
    _cards_for(rig)
    rig.ctl.pre_loss.choose_card("0")
    gate = rig.central.gates["submit_pre_loss"] = threading.Event()
    rig.ctl.pre_loss.confirm_pre_loss()
    assert rig.ctl.state.step == Step.BUSY
    rig.ctl.on_card_event(Event("card_read", "id", id_card(PRE_LOSS_ID, name="孙建华")))
    rig.ctl.on_card_event(Event("card_removed", "id"))
    assert rig.ctl.state.step == Step.BUSY and rig.ctl.session.id_number == NORMAL_ID
    gate.set()
    rig.pump(until=Step.PRE_LOSS_DONE)
    assert [op for op in rig.central.ops() if op == "submit_pre_loss"] == ["submit_pre_loss"]
