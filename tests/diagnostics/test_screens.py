"""Technician screens in the real app window (Xvfb): the hidden gesture, PIN, lock-out,
idle exit, every screen, and no persona data on any of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.i18n import translate
from tests.diagnostics.test_privacy import assert_clean

pytestmark = pytest.mark.ui
PIN = "246810"  # kiosk.secrets.DEMO_TECHNICIAN_PIN (demo secrets in the UI data dir)


@pytest.fixture
def ui(kiosk_ui):
    from kiosk.services.diagnostics.access import LOCK_FILE
    from kiosk.ui.technician.base import technician

    tech = technician(kiosk_ui.app)  # built by the app itself (an error if it were not)
    (kiosk_ui.app.settings.data_dir / LOCK_FILE).unlink(missing_ok=True)
    tech._access = None  # fresh attempts for every test
    yield kiosk_ui
    tech.hold.hold_seconds = 3.0
    tech.leave(end_session=False)
    tech._access = None
    (kiosk_ui.app.settings.data_dir / LOCK_FILE).unlink(missing_ok=True)


def hold(ui, x, y, seconds):
    """A finger held at (x, y) for ``seconds``: the gesture's length is the input (a press
    shorter than the 3 s it needs, or in the wrong corner, must open nothing)."""
    from kivy.base import EventLoop

    from kiosk.ui.driver import _Touch

    touch = _Touch(x, y)
    EventLoop.post_dispatch_input("begin", touch)
    ui.pump(seconds)
    EventLoop.post_dispatch_input("end", touch)
    ui.pump_frames(3)


def hold_until_pin(ui, x, y):
    """A finger held at (x, y) until the PIN pad opens, then lifted."""
    from kivy.base import EventLoop

    from kiosk.ui.driver import _Touch

    touch = _Touch(x, y)
    EventLoop.post_dispatch_input("begin", touch)
    try:
        return ui.wait_for_screen("diag_pin", timeout=10)
    finally:
        EventLoop.post_dispatch_input("end", touch)
        ui.pump_frames(3)


def corner(ui):
    from kivy.core.window import Window

    return Window.width - 6, Window.height - 6


def enter_pin(ui, pin):
    for digit in pin:
        keypad = ui.app.sm.current_screen.ids.keypad
        ui.tap(ui.find(text=digit, root=keypad))
    ui.tap(key="diagnostics.ui.pin_enter")


def enter(ui):
    from kiosk.ui.technician.base import technician

    technician(ui.app).hold.hold_seconds = 0.3  # the 3 s gesture has its own test
    hold_until_pin(ui, *corner(ui))
    enter_pin(ui, PIN)
    return ui.wait_for_screen("diag_overview")


def test_long_press_in_the_corner_opens_the_pin_without_pressing_the_button(ui):
    lang = ui.app.lang
    x, y = corner(ui)
    hold(ui, x, y, 1.0)  # too short
    assert ui.app.sm.current == "attract"
    hold(ui, 40, 40, 3.3)  # wrong corner
    assert ui.app.sm.current == "attract"
    hold_until_pin(ui, x, y)
    assert ui.app.lang == lang  # the language button under the finger did not fire


def test_right_pin_opens_the_overview_with_a_light_per_part(ui):
    screen = enter(ui)
    ui.wait_until(lambda: all(r.status for r in screen.rows.values()), 20, "all checks")
    for part, row in screen.rows.items():
        assert row.status in ("ok", "warn", "fail"), part
        assert row.summary and "[" not in row.summary
    assert screen.rows["disk"].status == "ok"
    assert screen.rows["config"].status == "ok"


def test_wrong_pin_then_lock_out(ui):
    from kiosk.ui.technician.base import technician

    technician(ui.app).hold.hold_seconds = 0.3
    screen = hold_until_pin(ui, *corner(ui))
    enter_pin(ui, "111111")
    assert screen.ids.message.text == translate("diagnostics.ui.pin_wrong", "zh_CN", left=2)
    enter_pin(ui, "222222")
    enter_pin(ui, "333333")
    assert screen.ids.message.key == "diagnostics.ui.pin_locked"
    enter_pin(ui, PIN)  # refused while locked
    assert ui.app.sm.current == "diag_pin"
    assert screen.ids.message.key == "diagnostics.ui.pin_locked"


def test_idle_timeout_returns_to_attract(ui):
    from kiosk.ui.technician.base import technician

    enter(ui)
    ui.tap(key="diagnostics.ui.display")
    ui.wait_for_screen("diag_display")
    # Not before its time: tests/diagnostics/test_access.py, on a clock the test moves.
    technician(ui.app).access.idle_seconds = 1.5
    ui.wait_for_screen("attract", timeout=5)
    assert not technician(ui.app).active


def test_leave_returns_to_attract(ui):
    enter(ui)
    ui.tap(key="diagnostics.ui.leave")
    ui.wait_for_screen("attract")


def test_touch_grid_and_colour_bars(ui):
    enter(ui)
    ui.tap(key="diagnostics.ui.display")
    screen = ui.wait_for_screen("diag_display")
    for cell in screen.cells[:5]:
        ui.tap(cell)
    assert sum(c.hit for c in screen.cells) == 5
    assert screen.ids.count.text == translate("diagnostics.ui.touch_count", "zh_CN",
                                              hit=5, total=32)
    ui.tap(key="diagnostics.ui.colour_bars")
    assert screen.show_bars


def test_printer_test_page_on_a_dummy(ui, monkeypatch):
    from kiosk.devices.printer import DummyPrinter
    from kiosk.services.diagnostics import DiagnosticsContext
    from kiosk.ui.technician.base import technician

    printer = DummyPrinter()
    tech = technician(ui.app)
    monkeypatch.setattr(tech, "context",
                        lambda: DiagnosticsContext(ui.app.settings, printer=printer))
    enter(ui)
    ui.tap(key="diagnostics.ui.printer")
    screen = ui.wait_for_screen("diag_printer")
    ui.wait_until(lambda: screen.ids.status.text, 5, "printer status")
    ui.tap(key="diagnostics.ui.test_page")
    ui.wait_until(lambda: printer.jobs, 5, "a test page")
    ui.wait_until(lambda: screen.ids.result.text == translate(
        "diagnostics.ui.test_page_printed", "zh_CN"), 5, "printed message")
    printer.paper = False
    ui.tap(key="diagnostics.ui.refresh")
    ui.wait_until(lambda: screen.ids.status.text == translate(
        "diagnostics.printer.out_of_paper", "zh_CN"), 5, "out of paper")


def test_restart_execs_the_app_again(ui, monkeypatch):
    from kiosk.services.diagnostics import tools

    calls = []
    monkeypatch.setattr(tools, "restart_process", lambda *a, **k: calls.append(True))
    # The real restart replaces this process; here the app lives on for the next test,
    # which must find the window-close veto back on.
    monkeypatch.setattr(ui.app, "allow_close", False)
    enter(ui)
    ui.tap(key="diagnostics.ui.restart")
    assert calls == [True] and ui.app.allow_close


@pytest.mark.pcsc
def test_every_screen_shows_no_persona_data(ui, virtual_slots, wait_card_state, tmp_path):
    from kiosk.logs import get_logger
    from kiosk.ui.widgets.text import KLabel
    from tests.fixtures.pcsc import SSC_READER

    virtual_slots.insert("normal", "ssc")
    wait_card_state(SSC_READER, True)
    get_logger("kiosk.test").info("lookup 110105198503071230 X00000019",
                                  extra={"fields": {"name": "王小明"}})
    enter(ui)
    texts = []
    for key, name in (("diagnostics.ui.readers", "diag_readers"),
                      ("diagnostics.ui.central", "diag_central"),
                      ("diagnostics.ui.outbox", "diag_outbox"),
                      ("diagnostics.ui.logs", "diag_logs"),
                      ("diagnostics.ui.config", "diag_config"),
                      ("diagnostics.ui.bundle", "diag_bundle")):
        ui.app.go("diag_overview")
        ui.wait_for_screen("diag_overview")
        summary = ui.app.sm.get_screen(name).ids.get("summary")
        if summary is not None:  # a check in the background: this visit's result
            summary.key, summary.text = "", ""
        ui.tap(key=key)
        screen = ui.wait_for_screen(name)
        if summary is not None:
            ui.wait_until(lambda s=summary: s.key not in ("", "diagnostics.ui.checking"), 20,
                          f"{name}'s check")
        if name == "diag_readers":
            ui.wait_until(lambda: ui.find_all(key="diagnostics.ui.test_read"), 10, "readers")
            ui.tap(ui.find_all(key="diagnostics.ui.test_read")[0])
            ssc = translate("diagnostics.ui.card_type.ssc", ui.app.lang)
            ui.wait_until(lambda s=screen, t=ssc: t in s.ids.result.text, 10, "test read")
        ui.drain()
        texts += [w.text for w in ui.walk(screen) if isinstance(w, KLabel)]
    joined = "\n".join(texts)
    assert "*****0019" not in joined   # not even masked: the test read shows the type only
    assert_clean(joined, "diagnostics screens")


def test_registry_lists_every_technician_screen():
    from kiosk.ui.technician.base import DIAG_SCREENS

    registry = (Path(__file__).parents[2] / "kiosk/ui/registry.py").read_text()
    for name, target in DIAG_SCREENS:
        assert f'ScreenSpec("{name}", "{target}")' in registry


def test_outbox_retry_now_delivers_a_backed_off_request(ui, monkeypatch, central_settings,
                                                        central_client, sandbox):
    from kiosk.central.outbox import Outbox
    from kiosk.central.outbox_sender import OutboxSender
    from kiosk.composition.diagnostics import LiveOutboxTools
    from kiosk.devices.virtual.cards import id_card_data
    from kiosk.services.diagnostics import DiagnosticsContext
    from kiosk.ui.technician.base import technician

    box = Outbox(central_settings.data_dir / "outbox.sqlite3")
    handle = central_client.lookup_by_id_card(id_card_data("normal")).cards[0].handle
    body = dict(central_client.pre_loss_request(handle).body)  # as the journey writes it
    # The sender runs (a start tries everything at once), then a request is queued
    # while it backs off for an hour.
    sender = OutboxSender(box, central_client, poll_interval=3600).start()
    item = box.enqueue("pre_loss", {"body": body}, "diag-retry-1", due_in=3600)
    box.mark_failed(item, "offline", retry_in=3600)  # backed off for an hour
    tech = technician(ui.app)
    monkeypatch.setattr(tech, "outbox", lambda: LiveOutboxTools(central_settings, sender))
    monkeypatch.setattr(tech, "context",
                        lambda: DiagnosticsContext(central_settings, outbox=box))
    try:
        enter(ui)
        ui.tap(key="diagnostics.ui.outbox")
        screen = ui.wait_for_screen("diag_outbox")
        ui.wait_until(lambda: "1" in screen.ids.details.text, 5, "one waiting")
        assert box.stats().pending == 1
        ui.tap(key="diagnostics.ui.retry_now")
        ui.wait_until(lambda: box.stats().pending == 0, 10, "delivery")
        ui.wait_until(lambda: screen.ids.summary.text == translate(
            "diagnostics.outbox.empty", "zh_CN"), 5, "empty outbox shown")
        assert box.stats().delivered_total == 1
    finally:
        sender.stop()
        box.close()


def test_outbox_export_seals_what_cannot_be_delivered_for_the_outlet(
        ui, monkeypatch, central_settings, central_client, sandbox):
    """The technician's action: the outbox screen says a request cannot be delivered,
    "export for the outlet" seals it into a file only the outlet's key opens (the demo
    key here, and the screen says so), and the request stays queued."""
    import json

    from kiosk.central.client import new_idempotency_key
    from kiosk.central.outbox import Outbox
    from kiosk.central.outbox_export import DEMO_PRIVATE_KEY, open_export
    from kiosk.central.outbox_sender import OutboxSender
    from kiosk.composition.diagnostics import LiveOutboxTools
    from kiosk.services.diagnostics import DiagnosticsContext
    from kiosk.services.diagnostics.tools import bundle_targets
    from kiosk.ui.technician.base import technician

    box = Outbox(central_settings.data_dir / "outbox.sqlite3")
    sender = OutboxSender(box, central_client)
    key = new_idempotency_key()
    forged = "A" * 64  # a handle the service never made: refused, signed
    sender.write_ahead(central_client.pre_loss_request(forged), key)
    box.release(box.item(key).id, "direct:" + key)
    box.make_due()  # as if the cardholder's attempt never ran and its claim lapsed
    sender.deliver_once()  # the service refuses it, signed: held, an alert
    assert box.status_of(key) == "held"
    tech = technician(ui.app)
    monkeypatch.setattr(tech, "outbox", lambda: LiveOutboxTools(central_settings, sender))
    monkeypatch.setattr(tech, "context",
                        lambda: DiagnosticsContext(central_settings, outbox=box))
    target = bundle_targets(ui.app.settings)[0]
    before = set(target.glob("*.sealed.json"))
    try:
        enter(ui)
        ui.tap(key="diagnostics.ui.outbox")
        screen = ui.wait_for_screen("diag_outbox")
        ui.wait_until(lambda: screen.ids.summary.key == "diagnostics.outbox.undeliverable",
                      5, "the alert on the outbox screen")
        ui.tap(key="diagnostics.ui.export_outbox")
        ui.wait_until(lambda: screen.ids.result.key == "diagnostics.ui.outbox_exported_demo",
                      10, "the export done")
        (made,) = set(target.glob("*.sealed.json")) - before
        assert str(made) in screen.ids.result.text
        assert forged.encode() not in made.read_bytes()
        (request,) = open_export(made.read_bytes(), DEMO_PRIVATE_KEY)["requests"]
        assert request["idempotency_key"] == key and request["alert"] == "held_handle_invalid"
        assert json.loads(made.read_bytes())["items"] == 1
        assert box.status_of(key) == "held"  # still here
        made.unlink()
    finally:
        box.close()


def test_outbox_screen_follows_the_language_switch_and_names_no_exception_class(
        ui, monkeypatch, tmp_path):
    from kiosk.central.errors import OutboxError
    from kiosk.central.outbox import Outbox
    from kiosk.services.diagnostics import DiagnosticsContext
    from kiosk.ui.screens import diag_outbox
    from kiosk.ui.technician.base import technician

    box = Outbox(tmp_path / "outbox.sqlite3")
    tech = technician(ui.app)
    monkeypatch.setattr(tech, "context",
                        lambda: DiagnosticsContext(ui.app.settings, outbox=box))
    start = ui.app.lang
    try:
        ui.app.set_language("zh_CN")
        enter(ui)
        ui.tap(key="diagnostics.ui.outbox")
        screen = ui.wait_for_screen("diag_outbox")
        ui.wait_until(lambda: screen.ids.summary.text == translate(
            "diagnostics.outbox.empty", "zh_CN"), 5, "empty outbox in Chinese")
        assert translate("diagnostics.ui.field.pending", "zh_CN") in screen.ids.details.text
        ui.app.set_language("en")
        ui.pump_frames(2)
        assert screen.ids.summary.text == translate("diagnostics.outbox.empty", "en")
        assert translate("diagnostics.ui.field.pending", "en") in screen.ids.details.text
        assert translate("diagnostics.ui.field.pending", "zh_CN") not in screen.ids.details.text

        # A check that cannot run says which part failed, in words, and switches too.
        def broken(_ctx):
            raise OutboxError("corrupt", "database disk image is malformed")

        monkeypatch.setattr(diag_outbox, "check_outbox", broken)
        screen.refresh()
        ui.wait_until(lambda: screen.ids.summary.text == translate(
            "diagnostics.ui.error.outbox", "en"), 5, "error in words")
        ui.app.set_language("zh_CN")
        ui.pump_frames(2)
        assert screen.ids.summary.text == translate("diagnostics.ui.error.outbox", "zh_CN")
        assert "Error" not in screen.ids.summary.text + screen.ids.details.text
    finally:
        ui.app.set_language(start)
        box.close()


def test_failed_test_read_says_the_card_error_in_words_and_switches(ui, virtual_slots,
                                                                    wait_card_state):
    from tests.fixtures.pcsc import SSC_READER

    wait_card_state(SSC_READER, False)  # an empty reader: the read fails with no_card
    start = ui.app.lang
    try:
        ui.app.set_language("zh_CN")
        enter(ui)
        ui.tap(key="diagnostics.ui.readers")
        screen = ui.wait_for_screen("diag_readers")
        ui.wait_until(lambda: ui.find_all(key="diagnostics.ui.test_read"), 10, "readers")
        screen.test_read(SSC_READER)

        def expected(lang: str) -> str:
            return translate("diagnostics.ui.read_failed", lang, reader=SSC_READER,
                             error=translate("diagnostics.ui.card_error.no_card", lang))

        ui.wait_until(lambda: screen.ids.result.text == expected("zh_CN"), 10, "read failed")
        ui.app.set_language("en")
        ui.pump_frames(2)
        assert screen.ids.result.text == expected("en")
        assert "no_card" not in screen.ids.result.text
    finally:
        ui.app.set_language(start)


@pytest.mark.pcsc
def test_an_id_test_read_shows_no_number_and_nothing_over_the_header(ui, virtual_slots,
                                                                     wait_card_state):
    """Both readers with a card, a test read of the ID card (测试读卡): the result says the
    card type and the time, no part of the ID number, and the screen still fits under
    its header (the summary was drawn over it, worse after a read)."""
    from kiosk.personas import persona
    from kiosk.ui.tour import layout_problems
    from tests.fixtures.pcsc import ID_READER, SSC_READER

    id_number = persona("x_check")["id"]["id_number"]
    virtual_slots.insert("x_check", "ssc")
    virtual_slots.insert("x_check", "id")
    wait_card_state(SSC_READER, True)
    wait_card_state(ID_READER, True)
    start = ui.app.lang
    try:
        ui.app.set_language("zh_CN")
        enter(ui)
        ui.tap(key="diagnostics.ui.readers")
        screen = ui.wait_for_screen("diag_readers")
        ui.wait_until(lambda: len(ui.find_all(key="diagnostics.ui.test_read")) == 2, 10,
                      "both readers")
        ui.tap(ui.find_all(key="diagnostics.ui.test_read")[1])   # 测试读卡, the ID reader
        card_type = translate("diagnostics.ui.card_type.id_card", "zh_CN")
        ui.wait_until(lambda: card_type in screen.ids.result.text, 10, "the test read")
        ui.wait_until(lambda: len(ui.find_all(key="diagnostics.ui.test_read")) == 2, 10,
                      "the readers again")
        for lang, large in (("zh_CN", False), ("zh_CN", True), ("en", True)):
            ui.app.set_language(lang)
            ui.app.large_text = large
            ui.pump_frames(6)
            shown = "\n".join(str(getattr(w, "text", "")) for w in ui.walk(screen))
            assert translate("diagnostics.ui.card_type.id_card", lang) in shown
            for part in (id_number, id_number[:6], id_number[-4:]):
                assert part not in shown, (lang, part)
            assert layout_problems(ui) == [], (lang, large)
    finally:
        ui.app.set_language(start)
        ui.app.large_text = False


def test_bundle_export_failure_is_translated_and_switches(ui, monkeypatch, tmp_path):
    from kiosk.ui.screens import diag_bundle

    monkeypatch.setattr(diag_bundle, "run_checks", lambda _ctx: None)  # not under test
    missing = tmp_path / "no-usb-stick"
    start = ui.app.lang
    try:
        ui.app.set_language("zh_CN")
        enter(ui)
        ui.tap(key="diagnostics.ui.bundle")
        screen = ui.wait_for_screen("diag_bundle")
        screen.export(missing)

        def expected(lang: str) -> str:
            return translate("diagnostics.ui.export_failed", lang, error=translate(
                "diagnostics.ui.bundle_error.not_a_directory", lang, path=str(missing)))

        ui.wait_until(lambda: screen.ids.result.text == expected("zh_CN"), 10, "failure")
        ui.app.set_language("en")
        ui.pump_frames(2)
        assert screen.ids.result.text == expected("en")
        assert "destination is not a directory" not in screen.ids.result.text
    finally:
        ui.app.set_language(start)


def test_the_central_page_shows_the_regions_time_not_utc(ui):
    """The last heartbeat comes from the check as a UTC instant; the page shows it in the
    region's zone, like the cardholder screens (it showed 01:00 for 09:00 in Beijing)."""
    from kiosk.services.diagnostics.model import CheckResult, CheckStatus

    enter(ui)
    ui.tap(key="diagnostics.ui.central")
    screen = ui.wait_for_screen("diag_central")
    screen._show(CheckResult("central", CheckStatus.OK, "diagnostics.central.ok", {
        "latency_ms": 9.0, "last_heartbeat": "2026-11-25T01:00:00+00:00"}))
    ui.pump_frames(2)
    assert "2026-11-25 09:00" in screen.ids.details.text
    assert "01:00" not in screen.ids.details.text and "+00:00" not in screen.ids.details.text
