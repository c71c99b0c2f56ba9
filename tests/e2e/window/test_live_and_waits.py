"""Live outcomes and no silent waits, in the real window on real parts (private pcscd
with virtual cards, the sandbox with its fault modes, the outbox on disk)."""

from __future__ import annotations

from kiosk.personas import persona
from kiosk.services.states import Step
from tests.e2e.window.conftest import Journey


def test_a_garbled_but_applied_pre_loss_turns_into_the_success_screen(journey: Journey
                                                                     ) -> None:
    j = journey
    steps: list[Step] = []
    j.ctl.subscribe(lambda st: steps.append(st.step))
    j.choose_card()
    j.sandbox.faults.set(garbage_next=1)  # applied by the service, the reply garbled
    j.tap(key="journeys.consequences.confirm")
    j.screen("pre_loss_done", 15)
    (recorded,) = j.new_pre_losses()  # exactly once
    ref = recorded["reference"]
    assert Step.PRE_LOSS_PENDING in steps  # it was pending first, then live-updated
    j.ui.wait_until(lambda: ref in j.texts(), 5, "the real reference on screen")
    assert "Q-" not in j.texts().replace("Q- 号码", "")  # only in "replaces the Q- number"
    assert j.shown(key="journeys.done.now_in_effect")  # says plainly that it changed
    j.ui.wait_until(lambda: ref.encode() in j.parts.printer.output, 5, "the real receipt")
    assert j.parts.outbox.stats().pending == 0


def test_reader_service_killed_at_identify_says_so_at_once_and_follows(journey: Journey
                                                                       ) -> None:
    j = journey
    j.open_pre_loss()
    j.pcscd.kill()  # kill -9 of the private pcscd
    j.failure("reader_service", 8)  # said without a card being tried first
    assert j.shown(key="journeys.failure.use_keypad")  # the other way in, right there
    assert "96102" in j.texts()
    j.app.toggle_language()
    j.ui.pump_frames(3)
    assert "counter" in j.texts()
    j.app.toggle_language()
    j.ui.pump_frames(3)
    j.pcscd.start()
    j.screen("pre_loss", 15)  # the screen follows the service back
    j.slots.insert("normal", "id")
    j.screen("pre_loss_cards", 15)


def test_started_while_the_reader_service_is_down(journey: Journey) -> None:
    j = journey
    j.pcscd.kill()
    j.ui.wait_until(lambda: j.parts.hub.snapshot()["service"] == "down", 8, "hub sees it")
    j.ui.tap(key="attract.pre_loss")
    j.failure("reader_service", 3)  # at once, not a silent "place your ID card"
    j.tap(key="journeys.failure.use_keypad")
    j.screen("identify_keypad")
    j.pcscd.start()


def test_the_code_step_counts_down_before_send_again(journey: Journey) -> None:
    j = journey
    j.open_pre_loss()
    j.tap(key="journeys.identify.use_keypad")
    j.screen("identify_keypad")
    j.type_digits(persona("normal")["id"]["id_number"])
    j.tap(key="journeys.keypad.submit")
    screen = j.screen("identify_code")
    assert screen.ids.resend.disabled  # the sandbox's 60 s cooldown
    assert "秒后可以重新发送" in j.texts()
    sent, calls = j.sandbox.store.last_code(), len(j.calls)
    j.ui.tap(screen.ids.resend)
    assert len(j.calls) == calls  # no call started: a resend would be one
    assert j.app.sm.current == "identify_code"
    assert j.sandbox.store.last_code() == sent  # nothing was sent during the countdown
