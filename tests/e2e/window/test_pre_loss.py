"""Pre-loss in the real window: ID card / keypad + SMS, cards, confirm, result, offline."""

from __future__ import annotations

import pytest

from kiosk.personas import persona
from tests.e2e.window.conftest import Journey

# The main journeys also on the centre on PostgreSQL (tests/fixtures/centre.py); the
# rest of the file on the sandbox only, to keep the window tests' time down.
BOTH = pytest.mark.central_backends("sandbox", "centre")


@BOTH
def test_pre_loss_by_id_card_happy_path(journey: Journey) -> None:
    j = journey
    j.open_pre_loss()
    assert j.shown(key="journeys.identify.put_id_card")
    j.slots.insert("normal", "id")
    j.screen("pre_loss_cards")
    assert "*****0019" in j.texts() and "王**" in j.texts()
    assert "X00000019" not in j.texts() and "王小明" not in j.texts()
    j.tap(key="journeys.cards.choose")
    j.screen("pre_loss_consequences")
    assert j.shown(key="journeys.consequences.p1")
    spoken = j.app.sm.current_screen.speech_text()  # what "read aloud" says
    assert spoken.startswith("挂失前，请先看清楚") and "*****0019" in spoken
    j.tap(key="journeys.consequences.confirm")
    j.screen("pre_loss_done")
    recorded = j.new_pre_losses()
    assert [r["card_number"] for r in recorded] == ["X00000019"]
    assert j.sandbox.store.card_status("X00000019")["state"] == "pre_lost"
    ref = recorded[0]["reference"]
    assert ref in j.texts()
    qr = j.app.sm.current_screen.ids.qr
    assert qr.data == ref and qr.texture is not None  # the QR carries the reference only
    j.ui.wait_until(lambda: j.parts.printer.output, 5, "the receipt printed")
    assert ref.encode() in j.parts.printer.output
    j.ui.wait_until(lambda: "回执已打印" in j.texts(), 5, "receipt printed note")
    j.tap(key="app.done")
    j.screen("attract")
    assert j.ctl.session.is_empty()


@BOTH
def test_pre_loss_by_keypad_and_sms_code(journey: Journey) -> None:
    j = journey
    number = persona("x_check")["id"]["id_number"]  # ends in X
    j.open_pre_loss()
    j.tap(key="journeys.identify.use_keypad")
    j.screen("identify_keypad")
    j.type_digits("110105199306148821")  # wrong check character
    j.tap(key="journeys.keypad.submit")
    assert j.shown(key="id.error.check_digit")
    j.tap(key="journeys.keypad.clear")
    j.type_digits(number)
    assert j.app.sm.current_screen.ids.keypad.value == number
    j.tap(key="journeys.keypad.submit")
    j.screen("identify_code")
    assert "139****8820" in j.texts()
    j.type_digits("000000")
    j.tap(key="journeys.code.submit")
    j.ui.wait_until(lambda: j.ui.find_all(key="journeys.code.error.wrong"), 8, "wrong code")
    code = j.sandbox.store.last_code()["code"]
    j.type_digits(code)
    j.tap(key="journeys.code.submit")
    j.screen("pre_loss_cards")
    assert "*****0027" in j.texts()


def test_already_pre_lost_card_is_explained_not_offered(journey: Journey) -> None:
    j = journey
    j.show_cards("pre_lost")
    assert j.shown(key="journeys.cards.none_offerable")
    # Pre-lost earlier (by phone): it says when that pre-loss lapses, the service's date.
    assert j.shown(key="journeys.cards.state.pre_lost_until")
    lapse = j.sandbox.store.card_status("X00000094")["lapses_on"]
    assert str(lapse)[:10] in j.texts()
    assert not j.ui.find_all(key="journeys.cards.choose", root=j.app.sm.current_screen)


def test_expired_id_card_refused(journey: Journey) -> None:
    j = journey
    j.open_pre_loss()
    j.slots.insert("expired_id", "id")
    j.failure("id_expired")
    assert "96102" in j.texts()
    assert j.new_pre_losses() == []


def test_person_not_found(journey: Journey) -> None:
    j = journey
    j.open_pre_loss()
    j.slots.insert("unknown", "id")
    j.failure("person_not_found")


def test_ssc_where_id_card_expected_is_the_wrong_card(journey: Journey) -> None:
    j = journey
    j.open_pre_loss()
    j.slots.insert("normal", "ssc")
    j.failure("wrong_card")
    j.slots.remove("ssc")
    j.tap(key="journeys.failure.try_again")
    j.screen("pre_loss")
    j.slots.insert("normal", "id")
    j.screen("pre_loss_cards")


@BOTH
def test_offline_at_confirm_is_queued_then_sent_once(journey: Journey) -> None:
    j = journey
    j.choose_card()
    j.sandbox.faults.set(fail_next=10)  # every attempt gets a 503
    items = j.confirm_queued()
    assert items[0].idempotency_key[:10].upper().encode() in j.parts.printer.output
    # The network is back a day later: long past the card handle's read lifetime, the
    # queued request (that handle) is still taken for a pre-loss.
    j.sandbox.admin("POST", "/clock", json={"offset_days": 1})
    j.sandbox.faults.clear()
    j.parts.sender.retry_now()
    key = items[0].idempotency_key
    # Delivered = the service has it AND the outbox has marked it (the sender's thread
    # marks it after the answer: a round started in between would send it again).
    j.ui.wait_until(lambda: j.new_pre_losses()
                    and j.parts.outbox.status_of(key) == "delivered", 10,
                    "the queued pre-loss delivered and marked")
    assert [r["card_number"] for r in j.new_pre_losses()] == ["X00000019"]
    j.parts.sender.retry_now()
    assert j.parts.sender.deliver_once() == 0  # one more round: nothing left to send
    assert j.parts.outbox.status_of(items[0].idempotency_key) == "delivered"
    assert len(j.new_pre_losses()) == 1


def test_slow_service_shows_progress_and_cancels_within_a_second(journey: Journey) -> None:
    j = journey
    j.sandbox.faults.set(latency_ms=4500)
    j.open_pre_loss()
    j.slots.insert("normal", "id")
    j.screen("journey_busy")
    assert j.shown(key="journeys.busy.looking_up")
    j.ui.wait_until(lambda: j.ui.find_all(key="journeys.busy.slow"), 6, "the slow note")
    # Back without waiting for the answer (the controller moves on at once:
    # tests/services/test_pre_loss.py; how soon on screen: kiosk bench journeys).
    j.tap(key="app.cancel")
    j.screen("pre_loss", 10)
    j.calls_ended()  # the cancelled lookup ended: its answer is dropped
    assert j.app.sm.current == "pre_loss"


def test_inactivity_ends_the_session_and_wipes(journey: Journey) -> None:
    j = journey
    j.app.inactivity.configure(1.0, 0.5)
    j.show_cards()
    assert not j.ctl.session.is_empty()
    j.ui.wait_until(lambda: j.ui.find_all(key="inactivity.title"), 5, "the warning")
    j.ui.wait_until(lambda: j.app.sm.current == "attract", 5, "back to the start")
    assert j.ctl.session.is_empty()
    assert "*****0019" not in "".join(
        str(getattr(w, "text", "")) for w in j.ui.walk(j.app.sm.get_screen("pre_loss_cards")))
