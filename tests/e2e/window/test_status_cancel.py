"""Replacement status, cancel pre-loss and card failures in the real window."""

from __future__ import annotations

from tests.e2e.window.conftest import Journey


def test_status_by_id_card_shows_pickup(journey: Journey) -> None:
    j = journey
    j.ui.tap(key="attract.status")
    j.screen("status")
    assert j.shown(key="journeys.identify.or_ssc")
    j.slots.insert("replacement", "id")
    j.screen("status_progress")
    texts = j.texts()
    assert "东城区社保卡服务网点（东四十条）" in texts
    assert j.shown(key="journeys.status.stage.ready_for_pickup")
    assert j.shown(key="journeys.status.next.ready_for_pickup")
    assert j.shown(key="journeys.status.voucher")
    j.app.toggle_language()
    j.ui.pump_frames(3)
    assert "certificate of receipt" in j.texts()


def test_status_by_ssc_without_replacement(journey: Journey) -> None:
    j = journey
    j.ui.tap(key="attract.status")
    j.screen("status")
    j.slots.insert("normal", "ssc")
    j.screen("status_progress")
    assert j.shown(key="journeys.status.no_replacement")
    j.slots.remove("ssc")  # the card identified this session: pulling it ends it
    j.ui.wait_until(lambda: j.app.sm.current == "attract", 5, "session end")
    assert j.ctl.session.is_empty()


def test_garbage_and_foreign_and_pulled_cards(journey: Journey) -> None:
    j = journey
    j.ui.tap(key="attract.status")
    j.screen("status")
    # A bank card and a card of another file layout (6981) are not social security
    # cards: their own words, not "the card may be broken".
    for persona, kind in (("garbage", "wrong_card"), ("foreign", "not_ssc"),
                          ("transparent_files", "not_ssc"), ("pulled", "card_pulled")):
        j.slots.insert(persona, "ssc")
        j.failure(kind)
        j.lift("ssc")
        j.tap(key="journeys.failure.try_again")
        j.screen("status")


def test_reader_service_down_while_waiting(journey: Journey) -> None:
    j = journey
    j.ui.tap(key="attract.status")
    j.screen("status")
    j.pcscd.kill()
    j.failure("reader_service", 10)
    j.pcscd.start()


def _cancel_until_pin(j: Journey, persona: str) -> None:
    j.ui.tap(key="attract.cancel_pre_loss")
    j.screen("cancel_pre_loss")
    j.slots.insert(persona, "ssc")
    j.screen("cancel_pin")


def _pin_right(j: Journey) -> None:
    """The holder PIN the personas here have (123456): on to the ID card."""
    j.type_digits("123456")
    j.tap(key="journeys.pin.submit")
    j.screen("cancel_id")


def test_cancel_pre_loss_happy_path(journey: Journey) -> None:
    j = journey
    _cancel_until_pin(j, "pin_one_try")
    j.type_digits("123456")
    assert "123456" not in j.texts()  # dots only
    j.tap(key="journeys.pin.submit")
    j.screen("cancel_id")
    j.slots.insert("pin_one_try", "id")
    j.screen("cancel_confirm")
    j.tap(key="journeys.cancel.confirm")
    j.screen("cancel_done")
    assert j.shown(key="journeys.cancel.bank_reminder")
    assert [c["card_number"] for c in j.new_cancellations()] == ["X00000060"]
    assert j.sandbox.store.card_status("X00000060")["state"] == "active"
    j.slots.remove("ssc")
    j.ui.wait_until(lambda: j.app.sm.current == "attract", 5, "session end")
    assert j.ctl.session.is_empty()


def test_cancel_wrong_pin_shows_tries_left_then_other_id_is_refused(journey: Journey) -> None:
    j = journey
    _cancel_until_pin(j, "normal")
    j.type_digits("000000")
    j.tap(key="journeys.pin.submit")
    j.ui.wait_until(lambda: "还可以再试2次" in j.texts(), 8, "tries left")
    _pin_right(j)
    j.slots.insert("x_check", "id")
    j.failure("id_mismatch")


def test_status_by_a_card_that_answers_6282(journey: Journey) -> None:
    """Another card OS: unpadded records answered with 6282 read like 9000."""
    j = journey
    j.ui.tap(key="attract.status")
    j.screen("status")
    j.slots.insert("short_records", "ssc")
    j.screen("status_progress")
    assert j.shown(key="journeys.status.no_replacement")


def test_cancel_6300_after_verify_says_wrong_pin(journey: Journey) -> None:
    """A card that answers a wrong PIN with 6300 (no count): "wrong PIN", tries unknown,
    and the right PIN then goes on."""
    j = journey
    _cancel_until_pin(j, "pin_no_counter")
    j.type_digits("000000")
    j.tap(key="journeys.pin.submit")
    j.ui.wait_until(lambda: j.ui.find_all(root=j.app.sm.current_screen,
                                          key="journeys.pin.error.wrong_count_unknown"),
                    8, "wrong PIN, tries unknown")
    assert j.app.sm.current == "cancel_pin" and "密码不对" in j.texts()
    _pin_right(j)
    j.slots.insert("pin_no_counter", "id")
    j.screen("cancel_confirm")


def test_cancel_not_pre_lost_card(journey: Journey) -> None:
    j = journey
    _cancel_until_pin(j, "normal")
    _pin_right(j)
    j.slots.insert("normal", "id")
    j.failure("not_pre_lost")


def test_cancel_pin_blocked(journey: Journey) -> None:
    j = journey
    _cancel_until_pin(j, "pin_blocked")
    j.type_digits("123456")
    j.tap(key="journeys.pin.submit")
    j.failure("pin_blocked")
    assert not j.ui.find_all(key="journeys.failure.try_again", root=j.app.sm.current_screen)


def test_cancel_refused_when_replacement_applied(journey: Journey) -> None:
    j = journey
    j.sandbox.store.apply_replacement("X00000060")
    _cancel_until_pin(j, "pin_one_try")
    _pin_right(j)
    j.slots.insert("pin_one_try", "id")
    j.screen("journey_failure", 8)
    assert j.shown(key="journeys.refused.replacement_exists")
    assert j.new_cancellations() == []


def test_card_pulled_mid_cancel_ends_session(journey: Journey) -> None:
    j = journey
    _cancel_until_pin(j, "pin_one_try")
    j.slots.remove("ssc")
    j.ui.wait_until(lambda: j.app.sm.current == "attract", 5, "session end")
    assert j.ctl.session.is_empty()


def test_guidance_topics(journey: Journey) -> None:
    j = journey
    j.ui.tap(key="attract.guide")
    j.screen("guide")
    j.tap(key="guidance.proxy.title")
    j.screen("guidance_topic")
    assert j.shown(key="guidance.proxy.p4")
    j.tap(key="app.back")
    j.screen("guide")
