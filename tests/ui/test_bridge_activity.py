"""Which card hub events keep a session alive: only a person touching a card, never
reader or pcscd events (a flapping pcscd must not stop the inactivity timeout).

One layer: the bridge's card sink with a stand-in app (real InactivityTimer on a fake
clock) and a stand-in controller; the hop to the Kivy thread is run at once."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.composition.parts import CardEventRelay
from kiosk.devices.card_hub import HubEvent
from kiosk.devices.events import CardEventKind
from kiosk.ui.inactivity import InactivityTimer, Phase
from kiosk.ui.journeys import bridge as journey_bridge
from kiosk.ui.journeys.bridge import JourneyBridge


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeApp:
    lang = "zh_CN"
    settings = None

    def __init__(self, clock: FakeClock) -> None:
        self.inactivity = InactivityTimer(60, 20, clock=clock)

    def bind(self, **_kw: Any) -> None:
        pass

    def unbind(self, **_kw: Any) -> None:
        pass

    def note_activity(self) -> None:
        self.inactivity.touch()

    def take_settings(self, _settings: Any) -> None:
        pass


class FakeController:
    settings = None

    def __init__(self) -> None:
        self.events: list[Any] = []

    def subscribe(self, _fn: Any) -> None:
        pass

    def unsubscribe(self, _fn: Any) -> None:
        pass

    subscribe_settings = unsubscribe_settings = subscribe

    def on_card_event(self, event: Any) -> None:
        self.events.append(event)


@pytest.fixture
def rig(monkeypatch):
    monkeypatch.setattr(journey_bridge, "kivy_dispatch", lambda fn: fn())
    clock = FakeClock()
    app = FakeApp(clock)
    controller = FakeController()
    parts = type("Parts", (), {"controller": controller, "speaker": None,
                               "card_events": CardEventRelay(controller.on_card_event),
                               "scan_events": None})()
    bridge = JourneyBridge(app, parts)
    app.inactivity.start()
    return clock, app, controller, bridge


@pytest.mark.parametrize("kind", [CardEventKind.READERS_CHANGED, CardEventKind.SERVICE_DOWN,
                                  CardEventKind.SERVICE_UP])
def test_reader_and_service_events_are_not_activity(rig, kind):
    clock, app, controller, bridge = rig
    for _ in range(3):  # pcscd flapping every 20 s during the 60 s quiet period
        clock.now += 20
        bridge.card_sink(HubEvent(kind))
    assert app.inactivity.poll() is Phase.WARNING
    clock.now += 20
    assert app.inactivity.poll() is Phase.EXPIRED
    assert [e.kind for e in controller.events] == [kind] * 3  # still passed on


@pytest.mark.parametrize("kind", [CardEventKind.CARD_READ, CardEventKind.CARD_FAILED,
                                  CardEventKind.CARD_REMOVED])
def test_a_person_touching_a_card_is_activity(rig, kind):
    clock, app, controller, bridge = rig
    clock.now += 50
    bridge.card_sink(HubEvent(kind, "ssc"))
    clock.now += 50
    assert app.inactivity.poll() is Phase.ACTIVE
    assert [e.kind for e in controller.events] == [kind]
