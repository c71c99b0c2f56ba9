"""An undeliverable request raises an alert everywhere someone may look: the terminal's
metrics, its technician check, and its fleet heartbeat to the real sandbox over HTTP
(the register and the fleet page). The heartbeat's new fields stay optional both ways."""

from __future__ import annotations

import datetime as dt
import json

from kiosk import metrics
from kiosk.central import schemas_fleet as f
from kiosk.central.outbox import KIND_PRE_LOSS, Outbox
from kiosk.central.sandbox.fleet_page import render_fleet_page
from kiosk.composition.outbox import OUTBOX_FILE
from kiosk.services.diagnostics import DiagnosticsContext
from kiosk.services.diagnostics.checks import check_outbox
from kiosk.services.diagnostics.model import CheckStatus


def _held(path) -> None:
    box = Outbox(path)
    item = box.enqueue(KIND_PRE_LOSS, {"body": {"card_number": "X99999999"}}, "held-key-01")
    box.enqueue(KIND_PRE_LOSS, {"body": {"card_number": "X00000019"}}, "fine-key-01")
    box.mark_held(item, "not_found")
    box.close()


def test_the_heartbeat_carries_the_alert_to_the_register(sandbox, terminals):
    quiet, alerting = terminals("T-FLEET-OB1"), terminals("T-FLEET-OB2")
    _held(alerting.settings.data_dir / OUTBOX_FILE)
    quiet.agent.beat()
    alerting.agent.beat()
    outbox = alerting.register(sandbox)["parts"]["outbox"]
    assert outbox["light"] == "fail" and outbox["code"] == "undeliverable"
    assert outbox["undeliverable"] == 1 and outbox["alert"] == "held_not_found"
    assert outbox["depth"] == 2  # one waiting, one held: both undelivered
    calm = quiet.register(sandbox)["parts"]["outbox"]
    assert calm.get("undeliverable") is None and calm["light"] == "ok"
    assert metrics.OUTBOX_UNDELIVERABLE._value.get() == 1  # the check set the gauge
    rows = sandbox.admin("GET", "/fleet/terminals")["terminals"]
    page = render_fleet_page(rows, dt.datetime.now(dt.UTC))
    assert page.count("undeliverable") == 1 and " · 1 undeliverable</td>" in page


def test_the_new_fields_are_optional_both_ways() -> None:
    old = {"light": "ok", "code": "empty", "depth": 0, "oldest_age_seconds": None}
    part = f.OutboxPart.model_validate(old)  # a terminal from before: still accepted
    assert part.undeliverable is None and part.alert is None
    sent = json.loads(part.model_dump_json(exclude_none=True))
    assert sent == {"light": "ok", "code": "empty", "depth": 0}  # nothing new on the wire
    alert = f.OutboxPart(light=f.Light.FAIL, code="undeliverable", depth=1, undeliverable=1,
                         alert="stuck_clock_skew")
    assert json.loads(alert.model_dump_json())["alert"] == "stuck_clock_skew"


def test_the_technician_check_fails_and_says_what_to_do(tmp_path, central_settings):
    _held(central_settings.data_dir / OUTBOX_FILE)
    box = Outbox(central_settings.data_dir / OUTBOX_FILE)
    try:
        result = check_outbox(DiagnosticsContext(central_settings, outbox=box))
    finally:
        box.close()
    assert result.status is CheckStatus.FAIL
    assert result.summary_key == "diagnostics.outbox.undeliverable"
    assert result.details["held"] == 1 and result.details["undeliverable"] == 1
    assert result.details["alert"] == "held_not_found"
