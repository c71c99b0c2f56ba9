"""Pre-loss journey, headless: identify, choose, confirm, result, offline queue, wipe."""

from __future__ import annotations

import datetime as dt
import threading
import time

from kiosk.services.states import EndReason, Journey, Step
from tests.services.conftest import NORMAL_ID, PRE_LOSS_ID, Rig
from tests.services.fakes import CentralOffline, CentralTimeout, Event, handle_for, id_card


def identify_by_id_card(rig: Rig, number: str = NORMAL_ID) -> None:
    rig.ctl.start("pre_loss")
    assert rig.ctl.state.step == Step.IDENTIFY
    rig.ctl.on_card_event(Event("card_read", "id", id_card(number)))
    assert rig.ctl.state.step == Step.BUSY
    rig.pump()


def test_happy_path_by_id_card_then_wipe(rig: Rig) -> None:
    identify_by_id_card(rig)
    st = rig.ctl.state
    assert st.step == Step.CARDS and st.journey == Journey.PRE_LOSS
    assert [c.card_number_masked for c in st.view.cards] == ["*****0019", "*****0001"]
    assert [c.offerable for c in st.view.cards] == [True, False]
    assert st.view.cards[1].explain_key == "journeys.cards.state.cancelled"
    assert "X00000019" not in repr(st)  # views carry masked numbers only

    rig.ctl.pre_loss.choose_card("0")
    assert rig.ctl.state.step == Step.CONSEQUENCES
    assert rig.ctl.state.view.hotline == "96102"
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_DONE)
    rig.pump()  # the receipt prints on a worker
    view = rig.ctl.state.view
    assert rig.ctl.state.step == Step.PRE_LOSS_DONE
    assert view.reference == "PL-20261125-0001" and view.qr_payload == "PL-20261125-0001"
    assert view.lapses_on == dt.date(2026, 12, 5) and not view.pending
    submits = [a for op, a in rig.central.calls if op == "submit_pre_loss"]
    # By the card's handle: no ID number goes with it.
    assert submits == [("X00000019", rig.ctl.session.idempotency_key)]
    deadline = time.monotonic() + 2
    while rig.ctl.state.view.receipt != "printed" and time.monotonic() < deadline:
        rig.dispatch.run_pending(wait=0.05)
    assert rig.ctl.state.view.receipt == "printed"
    receipt, language = rig.printer.printed[0]
    assert receipt.reference == "PL-20261125-0001" and receipt.status == "confirmed"
    assert language == "zh_CN"

    assert not rig.ctl.session.is_empty()
    rig.ctl.end()
    assert rig.ctl.session.is_empty()
    assert rig.ctl.state.step == Step.HOME and rig.ctl.state.view is None


def test_expired_id_card_is_refused_without_asking_the_service(rig: Rig) -> None:
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card(valid_to=dt.date(2025, 1, 1))))
    st = rig.ctl.state
    assert st.step == Step.FAILED and st.failure.kind == "id_expired"
    assert st.failure.params["hotline"] == "96102"
    assert rig.central.calls == [] and rig.ctl.session.is_empty()


def test_already_pre_lost_cards_are_explained_not_offered(rig: Rig) -> None:
    identify_by_id_card(rig, PRE_LOSS_ID)
    st = rig.ctl.state
    assert not st.view.any_offerable
    assert st.view.cards[0].explain_key == "journeys.cards.state.pre_lost"
    rig.ctl.pre_loss.choose_card("0")
    assert rig.ctl.state.step == Step.CARDS


def test_keypad_and_sms_code(rig: Rig) -> None:
    rig.ctl.start("pre_loss")
    rig.ctl.identify.use_keypad()
    assert rig.ctl.state.step == Step.ID_KEYPAD
    rig.ctl.identify.submit_id_number("110105198503071231")
    assert rig.ctl.state.view.error_key == "id.error.check_digit"
    rig.ctl.identify.submit_id_number("1101051985")
    assert rig.ctl.state.view.error_key == "id.error.length"
    rig.ctl.identify.submit_id_number(NORMAL_ID)
    rig.pump()
    assert rig.ctl.state.step == Step.CODE_ENTRY
    assert rig.ctl.state.view.phone_masked == "138****1230"
    rig.ctl.identify.submit_code("12")
    assert rig.ctl.state.view.error_key == "journeys.code.error.format"
    rig.ctl.identify.submit_code("654321")
    rig.pump()
    assert rig.ctl.state.step == Step.CODE_ENTRY
    assert rig.ctl.state.view.error_key == "journeys.code.error.wrong"
    rig.ctl.identify.submit_code("123456")
    rig.pump()
    assert rig.ctl.state.step == Step.CARDS
    assert rig.ctl.session.id_number == NORMAL_ID


def test_keypad_unknown_person(rig: Rig) -> None:
    rig.ctl.start("pre_loss")
    rig.ctl.identify.use_keypad()
    rig.ctl.identify.submit_id_number("130102198704052137")
    rig.pump()
    assert rig.ctl.state.failure.kind == "person_not_found"
    rig.ctl.back()
    assert rig.ctl.state.step == Step.ID_KEYPAD


def test_offline_at_confirm_queues_durably_and_says_pending(rig: Rig) -> None:
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    rig.central.errors["submit_pre_loss"] = CentralOffline("down")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump()
    st = rig.ctl.state
    assert st.step == Step.PRE_LOSS_PENDING and st.view.pending
    key = rig.ctl.session.idempotency_key
    # Stored before it was sent: the request body as it goes on the wire, under its key:
    # the card's handle only, no card or ID number.
    assert rig.outbox.items == [("pre_loss", {
        "handle": handle_for("X00000019"), "channel": "kiosk",
        "terminal_id": "T-DEMO-0001"}, key)]
    assert st.view.qr_payload.startswith("Q-") and NORMAL_ID not in st.view.qr_payload
    deadline = time.monotonic() + 2
    while not rig.printer.printed and time.monotonic() < deadline:
        rig.dispatch.run_pending(wait=0.05)
    assert rig.printer.printed[0][0].status == "pending"


def test_timeout_at_confirm_also_queues(rig: Rig) -> None:
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    rig.central.errors["submit_pre_loss"] = CentralTimeout("slow")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump()
    assert rig.ctl.state.step == Step.PRE_LOSS_PENDING and len(rig.outbox.items) == 1


def test_outbox_failure_sends_to_hotline(rig: Rig) -> None:
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    rig.central.errors["submit_pre_loss"] = CentralOffline("down")
    rig.outbox.fail = True
    rig.ctl.pre_loss.confirm_pre_loss()
    assert rig.ctl.state.step == Step.BUSY
    # Nothing is saved: the busy screen must not say it is.
    assert rig.ctl.state.view.cancel_key == "journeys.busy.on_cancel.may_have_arrived"
    rig.pump()
    assert rig.ctl.state.failure.kind == "offline"  # nothing reached the service
    assert rig.outbox.items == []


def test_outbox_failure_and_no_answer_says_it_may_have_arrived(rig: Rig) -> None:
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    rig.central.errors["submit_pre_loss"] = CentralTimeout("slow")
    rig.outbox.fail = True
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump()
    failure = rig.ctl.state.failure
    assert failure.kind == "not_saved" and failure.retry  # not "nothing was done"
    # Trying again tries to save it again, then sends it under the same key.
    rig.outbox.fail = False
    del rig.central.errors["submit_pre_loss"]
    rig.ctl.retry()
    rig.pump(until=Step.PRE_LOSS_DONE)
    keys = {a[1] for op, a in rig.central.calls if op == "submit_pre_loss"}
    assert keys == {rig.ctl.session.idempotency_key} and len(rig.outbox.items) == 1


def test_saved_before_the_first_byte_and_the_busy_screen_says_so(rig: Rig) -> None:
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    gate = rig.central.gates["submit_pre_loss"] = threading.Event()
    rig.ctl.pre_loss.confirm_pre_loss()
    # The busy screen is up and the call not yet answered: the request is stored already.
    assert rig.ctl.state.step == Step.BUSY
    assert rig.ctl.state.view.cancel_key == "journeys.busy.on_cancel.queued"
    assert [i[2] for i in rig.outbox.items] == [rig.ctl.session.idempotency_key]
    gate.set()
    rig.pump(until=Step.PRE_LOSS_DONE)
    assert not rig.outbox.is_queued(rig.ctl.session.idempotency_key)


def test_choosing_another_card_makes_another_key(rig: Rig) -> None:
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    rig.central.errors["submit_pre_loss"] = __import__(
        "tests.services.fakes", fromlist=["refused"]).refused("not_active")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump()
    first = rig.ctl.session.idempotency_key
    rig.ctl.back()
    rig.ctl.back()
    assert rig.ctl.state.step == Step.CARDS
    rig.ctl.pre_loss.choose_card("0")
    del rig.central.errors["submit_pre_loss"]
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_DONE)
    assert rig.ctl.session.idempotency_key != first


def test_cancel_while_submitting_queues_at_once_and_drops_late_answer(rig: Rig) -> None:
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    gate = rig.central.gates["submit_pre_loss"] = threading.Event()
    rig.ctl.pre_loss.confirm_pre_loss()
    assert rig.ctl.state.step == Step.BUSY and rig.ctl.state.view.cancellable
    task = rig.ctl._in_flight.task
    assert task is not None
    # At once: the call is still held at the gate, and the journey has already moved on.
    rig.ctl.cancel_busy()
    assert rig.ctl.state.step == Step.PRE_LOSS_PENDING
    key = rig.ctl.session.idempotency_key
    assert rig.outbox.items[0][2] == key  # same key: the service applies it once
    gate.set()
    assert task.wait(5), "the late answer never came"
    rig.dispatch.run_pending(wait=0.2)
    assert rig.ctl.state.step == Step.PRE_LOSS_PENDING


def test_slow_lookup_cancel_returns_to_waiting(rig: Rig) -> None:
    gate = rig.central.gates["lookup_person"] = threading.Event()
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    assert rig.ctl.state.step == Step.BUSY
    rig.ctl.cancel_busy()
    assert rig.ctl.state.step == Step.IDENTIFY
    gate.set()
    rig.dispatch.run_pending(wait=0.3)
    assert rig.ctl.state.step == Step.IDENTIFY


def test_timeout_on_lookup_offers_retry(rig: Rig) -> None:
    rig.central.errors["lookup_person"] = CentralTimeout("slow")
    identify_by_id_card(rig)
    st = rig.ctl.state
    assert st.step == Step.FAILED and st.failure.kind == "timeout" and st.failure.retry
    del rig.central.errors["lookup_person"]
    rig.ctl.retry()
    rig.pump()
    assert rig.ctl.state.step == Step.CARDS


def test_idempotency_key_made_once_and_reused_on_retry(rig: Rig) -> None:
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    rig.central.errors["submit_pre_loss"] = __import__(
        "tests.services.fakes", fromlist=["refused"]).refused("already_pre_lost")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump()
    st = rig.ctl.state
    assert st.failure.kind == "refused" and st.failure.body_key == \
        "journeys.refused.already_pre_lost"
    rig.ctl.back()
    assert rig.ctl.state.step == Step.CONSEQUENCES
    del rig.central.errors["submit_pre_loss"]
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_DONE)
    keys = {a[1] for op, a in rig.central.calls if op == "submit_pre_loss"}
    assert len(keys) == 1


def test_printer_failure_never_blocks(rig: Rig) -> None:
    rig.printer.fail = True
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_DONE)
    deadline = time.monotonic() + 2
    while rig.ctl.state.view.receipt != "failed" and time.monotonic() < deadline:
        rig.dispatch.run_pending(wait=0.05)
    assert rig.ctl.state.step == Step.PRE_LOSS_DONE and rig.ctl.state.view.receipt == "failed"


def test_inactivity_wipes(rig: Rig) -> None:
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    rig.ctl.end(EndReason.TIMEOUT)
    assert rig.ctl.session.is_empty()
    assert rig.ctl.state.notice_key == "journeys.ended.inactivity"
    assert "holding=[]" in repr(rig.ctl.session)


def test_back_from_cards_identifies_again_with_data_wiped(rig: Rig) -> None:
    identify_by_id_card(rig)
    rig.ctl.back()
    assert rig.ctl.state.step == Step.IDENTIFY and rig.ctl.state.journey == Journey.PRE_LOSS
    assert rig.ctl.session.is_empty()
