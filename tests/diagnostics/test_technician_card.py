"""Technician card entry: the rule (unit), and in the real window with the card hub on
the private pcscd (virtual technician card): the card at the attract screen opens the
PIN pad (the PIN is still required), never a journey; with no ATR configured, or
during a journey, it does nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kiosk.services.diagnostics.access import card_opens_pin
from tests.fixtures.pcsc import SSC_READER, EventRecorder

PIN = "246810"  # kiosk.secrets.DEMO_TECHNICIAN_PIN (demo secrets in the UI data dir)


# ---- the rule ----------------------------------------------------------------------------
@pytest.mark.parametrize("screen,overlay,journey,inside,opens", [
    ("attract", False, "none", False, True),
    ("attract", False, "", False, True),
    ("attract", True, "none", False, False),  # the inactivity warning is showing
    ("attract", False, "pre_loss", False, False),  # a journey is under way
    ("pre_loss", False, "pre_loss", False, False),
    ("diag_overview", False, "none", True, False),  # already inside
    ("diag_pin", False, "none", False, False),  # the PIN pad is already open
    ("attract", False, "none", True, False),
])
def test_card_opens_pin_only_on_an_idle_attract_screen(screen, overlay, journey, inside,
                                                       opens):
    assert card_opens_pin(screen=screen, overlay_open=overlay, journey=journey,
                          inside=inside) is opens


# ---- the real window ---------------------------------------------------------------------
@pytest.fixture
def tech_ui(kiosk_ui) -> Iterator[Any]:
    from kiosk.services.diagnostics.access import LOCK_FILE
    from kiosk.ui.technician.base import technician

    tech = technician(kiosk_ui.app)  # built by the app itself (an error if it were not)
    (kiosk_ui.app.settings.data_dir / LOCK_FILE).unlink(missing_ok=True)
    tech._access = None
    yield kiosk_ui
    tech.leave(end_session=False)
    tech._access = None
    (kiosk_ui.app.settings.data_dir / LOCK_FILE).unlink(missing_ok=True)


@pytest.fixture
def start_hub(tech_ui, virtual_slots) -> Iterator[Callable[..., EventRecorder]]:
    """``start_hub(atrs)``: a CardHub on the private pcscd feeding the app's journey
    bridge (as in the running kiosk); returns a recorder of the hub's events."""
    from kiosk.devices.card_hub import CardHub
    hubs: list[CardHub] = []

    def start(atrs: tuple[str, ...]) -> EventRecorder:
        s = tech_ui.app.settings
        settings = dataclasses.replace(
            s, cards=dataclasses.replace(s.cards, id_reader="pcsc", ssc_reader="",
                                         id_pcsc_reader=""),
            diagnostics=dataclasses.replace(s.diagnostics, technician_card_atrs=atrs))
        bridge = tech_ui.app.journeys
        events = EventRecorder()

        def sink(ev: Any) -> None:
            bridge.card_sink(ev)  # hands it to the UI thread...
            events(ev)            # ...before the test can see it (wait_event drains)

        hub = CardHub(settings, sink)
        hubs.append(hub)
        hub.start()
        events.wait_for(lambda ev: ev.kind == "readers_changed" and ev.reader == SSC_READER)
        return events

    yield start
    for hub in hubs:
        hub.stop()


def wait_event(ui, events: EventRecorder, kind: str, start: int = 0) -> Any:
    """Wait (pumping the window) for a hub event, then until its hop to the UI ran."""
    ui.wait_until(lambda: any(e.kind == kind for e in events.events[start:]), 8, kind)
    ui.drain()
    return next(e for e in events.events[start:] if e.kind == kind)


def enter_pin(ui, pin: str) -> None:
    for digit in pin:
        ui.tap(ui.find(text=digit, root=ui.app.sm.current_screen.ids.keypad))
    ui.tap(key="diagnostics.ui.pin_enter")


@pytest.mark.ui
@pytest.mark.pcsc
def test_technician_card_on_attract_opens_the_pin_pad(tech_ui, start_hub, virtual_slots):
    from kiosk.devices.virtual.technician_card import TECHNICIAN_ATR

    ui = tech_ui
    events = start_hub((TECHNICIAN_ATR.hex(),))
    assert ui.app.sm.current == "attract"
    card = virtual_slots.insert("technician", "ssc")
    wait_event(ui, events, "technician_card")
    screen = ui.wait_for_screen("diag_pin")
    assert screen.ids.message.key == "diagnostics.ui.pin_prompt"
    assert card.apdus == 0  # recognised by its ATR, never read
    assert not [e for e in events.events if e.kind in ("card_read", "card_failed")]
    # Two factors: the card opened the pad; only the PIN lets the technician in.
    enter_pin(ui, "111111")
    assert ui.app.sm.current == "diag_pin"
    enter_pin(ui, PIN)
    ui.wait_for_screen("diag_overview")
    # Inside, the card lifted and presented again changes nothing.
    m = events.mark()
    virtual_slots.remove("ssc")
    virtual_slots.insert("technician", "id")
    wait_event(ui, events, "technician_card", m)
    assert ui.app.sm.current == "diag_overview"


@pytest.mark.ui
@pytest.mark.pcsc
def test_without_configured_atrs_the_card_does_nothing(tech_ui, start_hub, virtual_slots):
    ui = tech_ui
    events = start_hub(())
    card = virtual_slots.insert("technician", "ssc")
    failed = wait_event(ui, events, "card_failed")  # just an unknown card
    assert failed.error.kind == "not_ssc" and card.apdus > 0
    assert ui.app.sm.current == "attract"
    # Nor does a cardholder's card on the attract screen.
    m = events.mark()
    virtual_slots.insert("normal", "id")
    wait_event(ui, events, "card_read", m)
    assert ui.app.sm.current == "attract"


@pytest.mark.ui
@pytest.mark.pcsc
def test_technician_card_during_a_journey_does_nothing(tech_ui, start_hub, virtual_slots):
    from kiosk.devices.virtual.technician_card import TECHNICIAN_ATR

    ui = tech_ui
    events = start_hub((TECHNICIAN_ATR.hex(),))
    ui.tap(key="attract.pre_loss")
    ui.wait_for_screen("pre_loss")
    virtual_slots.insert("technician", "id")
    wait_event(ui, events, "technician_card")
    assert ui.app.sm.current == "pre_loss"
    assert ui.app.journeys.controller.state.step == "identify"  # still waiting for an ID
