"""The busy step: its words say what cancel does for each action, and cancel really
cancels (the central client's connections are closed, so no worker is ever held)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.config import Settings
from kiosk.i18n import translate
from kiosk.personas import persona
from kiosk.services.controller import JourneyController
from kiosk.services.states import ON_CANCEL, BusyView, Step
from kiosk.services.tasks import QueueDispatcher
from tests.central.hostile import HostileServer
from tests.fixtures.polling import until
from tests.services.conftest import Rig
from tests.services.fakes import Event, id_card

ID = persona("normal")["id"]["id_number"]


def test_each_action_says_what_cancel_does(rig: Rig) -> None:
    gate = rig.central.gates["lookup_person"] = threading.Event()
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    assert rig.ctl.state.view.cancel_key == "journeys.busy.on_cancel.nothing_sent"
    gate.set()
    rig.pump()
    rig.ctl.pre_loss.choose_card("0")
    rig.central.gates["submit_pre_loss"] = threading.Event()
    rig.ctl.pre_loss.confirm_pre_loss()
    view = rig.ctl.state.view
    assert isinstance(view, BusyView) and view.cancel_key == "journeys.busy.on_cancel.queued"
    assert "saved" in translate(view.cancel_key, "en")
    assert "保存" in translate(view.cancel_key, "zh_CN")
    assert len(rig.outbox.items) == 1  # and it is saved, while the words say so
    rig.ctl.cancel_busy()  # what the words said: saved, still to be sent
    assert rig.ctl.state.step == Step.PRE_LOSS_PENDING
    assert len(rig.outbox.items) == 1


def test_cancel_closes_the_central_calls_in_flight(rig: Rig) -> None:
    rig.central.gates["lookup_person"] = threading.Event()
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    rig.ctl.cancel_busy()
    assert "cancel" in rig.central.ops()
    assert rig.ctl.state.step == Step.IDENTIFY


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_cancel_effect_has_words(lang: str) -> None:
    for key in {*ON_CANCEL.values(), BusyView.cancel_key}:
        text = translate(key, lang, hotline="96102")
        assert text and text != key and "{" not in text


@pytest.fixture
def dribbling(sandbox: Any) -> Iterator[HostileServer]:
    server = HostileServer(mode="dribble", dribble_every=0.2, target=sandbox.url).start()
    yield server
    server.stop()


def test_ten_cancelled_sessions_against_a_dribbling_server_leave_the_kiosk_usable(
        dribbling: HostileServer, make_central_client: Any, central_settings: Settings
        ) -> None:
    client = make_central_client(base_url=dribbling.url, deadline_seconds=30)
    dispatch = QueueDispatcher()
    ctl = JourneyController(central_settings, client, dispatch)
    threads_before = threading.active_count()
    try:
        for _ in range(10):
            answered = dribbling.headers_sent
            ctl.start("pre_loss")
            ctl.on_card_event(Event("card_read", "id", id_card(ID)))
            assert ctl.state.step == Step.BUSY
            until(lambda n=answered: dribbling.headers_sent > n, 5,
                  "the header in and the body dribbling (a worker free to make the call)")
            ctl.cancel_busy()
            assert ctl.state.step == Step.IDENTIFY
            ctl.end()
        dribbling.mode = "proxy"  # now the real sandbox answers through it
        ctl.start("pre_loss")
        ctl.on_card_event(Event("card_read", "id", id_card(ID)))
        # Usable: the next call is made and answered (no worker is held by the ten).
        until(lambda: dispatch.run_pending(wait=0.05) >= 0 and ctl.state.step != Step.BUSY,
              5, "the answer through the proxy")
        assert ctl.state.step == Step.CARDS, ctl.state
        # No thread is left behind per session (the pool is bounded; none is held).
        assert threading.active_count() - threads_before < 8
    finally:
        ctl.shutdown()
