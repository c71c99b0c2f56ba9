"""Metrics endpoint: off by default, on 127.0.0.1 when enabled, scraped over real HTTP."""

from __future__ import annotations

import urllib.request

import pytest

from kiosk import metrics
from kiosk.devices.virtual.cards import id_card_data
from tests.diagnostics.helpers import settings_for


def test_off_by_default(tmp_path):
    assert metrics.start_server(settings_for(tmp_path)) is None


@pytest.fixture
def server(tmp_path):
    srv = metrics.start_server(settings_for(tmp_path, diagnostics__metrics_enabled=True), port=0)
    yield srv
    srv.stop()


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        assert resp.status == 200
        return resp.read().decode()


def _value(text: str, prefix: str) -> float:
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{prefix} not in scrape")


def _journey_with_an_offline_confirmation(tmp_path) -> None:
    """A pre-loss through the real controller and a real outbox: confirmed once, then
    offline at confirmation (queued), each producer feeding its own metric."""
    import time

    from kiosk.composition.parts import build_kiosk
    from kiosk.services.states import Step
    from kiosk.services.tasks import QueueDispatcher
    from tests.services.fakes import CentralOffline, Event, FakeCentral, id_card, person

    central = FakeCentral()
    central.people["110105198503071230"] = person(("X00000019", "active"))
    dispatch = QueueDispatcher()
    parts = build_kiosk(settings_for(tmp_path), dispatch, central=central, cards=False)
    ctl = parts.controller

    def pump(until: Step) -> None:
        deadline = time.monotonic() + 3
        while ctl.state.step != until and time.monotonic() < deadline:
            dispatch.run_pending(wait=0.05)
        assert ctl.state.step == until

    try:
        for offline in (False, True):
            ctl.start("pre_loss")
            ctl.on_card_event(Event("card_read", "id", id_card()))
            pump(Step.CARDS)
            ctl.pre_loss.choose_card("0")
            if offline:
                central.errors["submit_pre_loss"] = CentralOffline("down")
            ctl.pre_loss.confirm_pre_loss()
            pump(Step.PRE_LOSS_PENDING if offline else Step.PRE_LOSS_DONE)
            ctl.end()
        central.errors["lookup_person"] = CentralOffline("down")
        ctl.start("pre_loss")
        ctl.on_card_event(Event("card_read", "id", id_card()))
        pump(Step.FAILED)
        ctl.end()
    finally:
        parts.stop()


@pytest.mark.pcsc
def test_counters_show_up_in_a_scrape(server, tmp_path, card_hub, central_client):
    before = _scrape(server.port)
    confirmed = 'kiosk_journeys_total{journey="pre_loss",outcome="confirmed"}'
    queued = 'kiosk_journeys_total{journey="pre_loss",outcome="queued"}'
    offline = 'kiosk_errors_total{kind="offline"}'
    inserted = 'kiosk_reader_events_total{event="card_inserted"}'
    latency = "kiosk_central_latency_seconds_count"
    base = {k: _value(before, k) if k in before else 0.0
            for k in (confirmed, queued, offline, inserted, latency)}
    _journey_with_an_offline_confirmation(tmp_path)
    # Read at once: the gauge is one per process, and a kiosk of another test in this
    # process (the UI tests' app, its fleet agent's outbox check) sets it from its own outbox.
    assert _value(_scrape(server.port), "kiosk_outbox_depth") == 1  # the queued pre-loss
    mark = card_hub.events.mark()  # a card in the real reader (private pcscd, vpcd)
    card_hub.slots.insert("normal", "ssc")
    card_hub.events.wait_for(lambda ev: ev.kind == "card_read", start=mark)
    central_client.lookup_by_id_card(id_card_data("normal"))  # the sandbox over HTTP
    text = _scrape(server.port)
    assert _value(text, confirmed) == base[confirmed] + 1
    assert _value(text, queued) == base[queued] + 1
    assert _value(text, offline) == base[offline] + 1
    assert _value(text, inserted) == base[inserted] + 1
    assert _value(text, latency) == base[latency] + 1


def test_bound_to_loopback_only(server):
    # The listening socket's own address says it all; we never send traffic to other
    # addresses of this machine (the workplace forbids it).
    host, port = server.server.server_address[:2]
    assert host == "127.0.0.1"
    assert server.server.socket.getsockname()[0] == "127.0.0.1"


def test_labels_cannot_carry_free_text():
    metrics.error("card X00000019 of 王小明 / 110105198503071230 " * 3)
    kinds = [s.labels["kind"] for m in metrics.REGISTRY.collect()
             if m.name == "kiosk_errors" for s in m.samples]
    for kind in kinds:
        assert len(kind) <= 40 and "王" not in kind and " " not in kind
        assert "00000019" not in kind and "1101051985" not in kind
    assert metrics._label("Central Offline") == "central_offline"
