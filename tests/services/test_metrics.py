"""The metrics are fed by the real producers: the journeys, the card hub, the central
client and the outbox (registry read directly; the scrape test is in tests/diagnostics)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from kiosk import metrics
from kiosk.composition.parts import build_kiosk
from kiosk.config import Settings
from kiosk.devices.virtual.cards import id_card_data as persona_id_card
from kiosk.services.states import Step
from kiosk.services.tasks import QueueDispatcher
from tests.services.conftest import NORMAL_ID, Rig
from tests.services.fakes import CentralOffline, Event, id_card


def value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def journeys(journey: str, outcome: str) -> float:
    return value("kiosk_journeys_total", journey=journey, outcome=outcome)


def errors(kind: str) -> float:
    return value("kiosk_errors_total", kind=kind)


def test_journey_outcomes_and_failures_are_counted(rig: Rig) -> None:
    started, confirmed = journeys("pre_loss", "started"), journeys("pre_loss", "confirmed")
    queued, offline = journeys("pre_loss", "queued"), errors("offline")
    failed, abandoned = journeys("pre_loss", "failed"), journeys("status", "abandoned")
    status_started = journeys("status", "started")

    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card(NORMAL_ID)))
    rig.pump()
    rig.ctl.pre_loss.choose_card("0")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_DONE)
    rig.pump()  # the receipt update is the same outcome, not a second one
    rig.ctl.end()
    assert journeys("pre_loss", "started") == started + 1
    assert journeys("pre_loss", "confirmed") == confirmed + 1

    # Offline at confirmation: queued (an outcome), no failure screen.
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card(NORMAL_ID)))
    rig.pump()
    rig.ctl.pre_loss.choose_card("0")
    rig.central.errors["submit_pre_loss"] = CentralOffline("down")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_PENDING)
    rig.ctl.end()
    assert journeys("pre_loss", "queued") == queued + 1
    assert journeys("pre_loss", "confirmed") == confirmed + 1

    # Offline at lookup: a failure of kind "offline", and the session ends failed.
    rig.central.errors["lookup_person"] = CentralOffline("down")
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card(NORMAL_ID)))
    rig.pump()
    assert rig.ctl.state.failure is not None and rig.ctl.state.failure.kind == "offline"
    rig.ctl.end()
    assert errors("offline") == offline + 1
    assert journeys("pre_loss", "failed") == failed + 1

    rig.ctl.start("status")
    rig.ctl.start("status")  # back to identify: the same session
    rig.ctl.end()
    assert journeys("status", "abandoned") == abandoned + 1
    assert journeys("status", "started") == status_started + 1
    assert journeys("pre_loss", "started") == started + 3


def test_no_personal_data_in_any_label(rig: Rig) -> None:
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card(NORMAL_ID)))
    rig.pump()
    rig.ctl.pre_loss.choose_card("0")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_DONE)
    rig.ctl.end()
    for family in metrics.REGISTRY.collect():
        for sample in family.samples:
            text = " ".join(sample.labels.values())
            for secret in (NORMAL_ID, "X00000019", "王小明", "19850307"):
                assert secret not in text


def test_outbox_depth_follows_enqueue_and_delivery(tmp_path: Path) -> None:
    from kiosk.config import KioskSection, SecuritySection
    from tests.services.fakes import FakeCentral, handle_for

    settings = Settings(kiosk=KioskSection(data_dir=str(tmp_path), log_dir=str(tmp_path / "l")),
                        security=SecuritySection(secrets_file=str(tmp_path / "absent.toml")))
    parts = build_kiosk(settings, QueueDispatcher(), central=FakeCentral(), cards=False)
    try:
        assert value("kiosk_outbox_depth") == 0
        for i in range(2):
            parts.outbox.enqueue("pre_loss", {"body": {"handle": handle_for("X00000019")}},
                                 f"key-{i}" * 4)
        assert value("kiosk_outbox_depth") == 2
        assert parts.sender.deliver_once() == 2
        assert value("kiosk_outbox_depth") == 0
    finally:
        parts.stop()


def test_central_latency_from_real_calls(make_central_client: Any) -> None:
    client = make_central_client(retries=0)
    before = value("kiosk_central_latency_seconds_count")
    client.lookup_by_id_card(persona_id_card("normal"))
    with pytest.raises(Exception):  # noqa: B017 - not found is an answer too
        client.lookup_by_id_card(persona_id_card("unknown"))
    assert value("kiosk_central_latency_seconds_count") == before + 2
    # A refused connection is an error, not a latency sample.
    closed = make_central_client(retries=0, base_url="http://127.0.0.1:9")
    with pytest.raises(Exception):  # noqa: B017
        closed.lookup_by_id_card(persona_id_card("normal"))
    assert value("kiosk_central_latency_seconds_count") == before + 2


@pytest.mark.pcsc
def test_reader_events_from_the_card_hub(card_hub: Any) -> None:
    inserted = value("kiosk_reader_events_total", event="card_inserted")
    read = value("kiosk_reader_events_total", event="card_read")
    removed = value("kiosk_reader_events_total", event="card_removed")
    mark = card_hub.events.mark()
    card_hub.slots.insert("normal", "ssc")
    card_hub.events.wait_for(lambda ev: ev.kind == "card_read", start=mark)
    card_hub.slots.remove("ssc")
    card_hub.events.wait_for(lambda ev: ev.kind == "card_removed", start=mark)
    assert value("kiosk_reader_events_total", event="card_inserted") == inserted + 1
    assert value("kiosk_reader_events_total", event="card_read") == read + 1
    assert value("kiosk_reader_events_total", event="card_removed") == removed + 1
    assert card_hub.hub.reader_slots() == frozenset({"ssc", "id"})



def test_receipt_printer_failures_are_counted_by_kind(rig: Rig) -> None:
    from kiosk.devices.printer.dummy import DummyPrinter

    printer = DummyPrinter()
    printer.paper = False
    rig.ctl.printer = printer
    out_of_paper = errors("printer_out_of_paper")
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card(NORMAL_ID)))
    rig.pump()
    rig.ctl.pre_loss.choose_card("0")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_DONE)
    deadline = time.monotonic() + 3
    while rig.ctl.state.view.receipt != "failed" and time.monotonic() < deadline:
        rig.dispatch.run_pending(wait=0.05)
    assert rig.ctl.state.view.receipt == "failed"  # the journey itself is done
    assert errors("printer_out_of_paper") == out_of_paper + 1
