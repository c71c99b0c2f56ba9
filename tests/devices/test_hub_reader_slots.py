"""CardHub.reader_slots(): which slots have a reader, on a real private pcscd (vpcd)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.pcsc import ID_READER, EventRecorder

pytestmark = pytest.mark.pcsc


def test_reader_slots_follow_pcscd_restarts(pcsc_settings: Any, virtual_slots: Any,
                                            pcscd_alive: Any) -> None:
    from kiosk.devices.card_hub import CardHub

    events = EventRecorder()
    seen_at_up: list[frozenset[str] | None] = []
    hub: CardHub | None = None

    def on_event(ev: Any) -> None:
        if ev.kind == "service_up" and hub is not None:
            # What a listener learns when told the service is back (before the
            # watcher has announced the readers one by one).
            seen_at_up.append(hub.reader_slots())
        events(ev)

    hub = CardHub(pcsc_settings, on_event)
    hub.start()
    try:
        events.wait_for(lambda ev: ev.kind == "readers_changed" and ev.reader == ID_READER)
        assert hub.reader_slots() == frozenset({"ssc", "id"})

        mark = events.mark()
        pcscd_alive.restart(with_vpcd=False)
        events.wait_for(lambda ev: ev.kind == "service_up", timeout=10, start=mark)
        assert seen_at_up[-1] == frozenset()
        assert hub.reader_slots() == frozenset()

        mark = events.mark()
        pcscd_alive.restart(with_vpcd=True)
        events.wait_for(lambda ev: ev.kind == "service_up", timeout=10, start=mark)
        assert seen_at_up[-1] == frozenset({"ssc", "id"})  # no "no reader" moment
        events.wait_for(lambda ev: ev.kind == "readers_changed" and ev.reader == ID_READER,
                        start=mark)
        assert hub.reader_slots() == frozenset({"ssc", "id"})
        mark = events.mark()
        pcscd_alive.kill()
        events.wait_for(lambda ev: ev.kind == "service_down", timeout=10, start=mark)
        assert hub.reader_slots() is None  # unknown while the service is down
    finally:
        hub.stop()
        if not pcscd_alive.running:
            pcscd_alive.start()
