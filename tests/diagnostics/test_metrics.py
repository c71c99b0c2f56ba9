"""Metrics endpoint: off by default, on 127.0.0.1 when enabled, scraped over real HTTP."""

from __future__ import annotations

import urllib.request

import pytest

from kiosk import metrics
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


def test_counters_show_up_in_a_scrape(server):
    before = _scrape(server.port)
    base = 0.0
    if 'kiosk_journeys_total{journey="prelost",outcome="confirmed"}' in before:
        base = _value(before, 'kiosk_journeys_total{journey="prelost",outcome="confirmed"}')
    metrics.journey("prelost", "confirmed")
    metrics.journey("prelost", "confirmed")
    metrics.error("central_offline")
    metrics.reader_event("card_inserted")
    metrics.outbox_depth(4)
    metrics.central_latency(0.03)
    text = _scrape(server.port)
    assert _value(text, 'kiosk_journeys_total{journey="prelost",outcome="confirmed"}') \
        == base + 2
    assert _value(text, 'kiosk_errors_total{kind="central_offline"}') >= 1
    assert _value(text, 'kiosk_reader_events_total{event="card_inserted"}') >= 1
    assert _value(text, "kiosk_outbox_depth") == 4
    assert _value(text, "kiosk_central_latency_seconds_count") >= 1


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
