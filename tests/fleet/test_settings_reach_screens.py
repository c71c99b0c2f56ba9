"""Settings from the centre reach every screen, in a real window: the parts come
from the composition root with a real fleet agent heartbeating the real sandbox; the
operator pushes an overlay, and at the next idle moment, without a restart, every
cardholder-visible setting it changes shows on every screen that shows it — the start
screen, the guidance, the pre-loss journey, the done screen, the printed receipt and the
out-of-service screen — while a cardholder mid-session keeps what they started with.

The terminal's settings come from a config file, as on a terminal (the agent checks an
overlay against that local config)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.composition.parts import build_kiosk
from kiosk.domain.clock import region_now
from kiosk.fleet.overlay import boot_settings
from kiosk.secrets import load_secrets
from tests.e2e.window.conftest import Journey, readers_listed, watch

TERMINAL = "T-REACH-0001"


def _config(path: Path, data: Path, base_url: str) -> Path:
    path.write_text(f"""
[kiosk]
site = "outlet"
demo = true
terminal_id = "{TERMINAL}"
data_dir = "{data}"
log_dir = "{data / 'log'}"
[central]
base_url = "{base_url}"
connect_timeout = 2.0
read_timeout = 6.0
retries = 1
[security]
secrets_file = "{data / 'no-such-secrets.toml'}"
[features]
cancel_pre_loss = true
[printer]
kind = "dummy"
[speech]
enabled = false
[fleet]
heartbeat_seconds = 3600
""", encoding="utf-8")
    return path


@pytest.fixture
def terminal(kiosk_ui: Any, virtual_slots: Any, sandbox: Any, pcscd_alive: Any,
             tmp_path: Path) -> Iterator[Journey]:
    """The app on parts the composition root builds from a terminal's config file (as
    ``kiosk run`` does: ``boot_settings``, then ``build_kiosk``)."""
    from kiosk.ui.journeys.bridge import kivy_dispatch

    config = _config(tmp_path / "kiosk.toml", tmp_path / "var", sandbox.url)
    settings, _ = boot_settings(config, environ={})
    sandbox.gate.keys[TERMINAL] = load_secrets(settings).terminal_key  # the centre knows it
    app = kiosk_ui.app
    parts = build_kiosk(settings, kivy_dispatch, speech=False)
    assert parts.fleet is not None, "the composition root builds the fleet agent"
    events, calls = watch(parts)
    own = app.use_parts(parts)
    parts.start()
    readers_listed(kiosk_ui, parts)
    baseline = (len(sandbox.store.recorded_pre_losses()),
                len(sandbox.store.recorded_cancellations()))
    try:
        yield Journey(kiosk_ui, parts, virtual_slots, sandbox, pcscd_alive, settings, baseline,
                      events, calls)
    finally:
        app.use_parts(own)
        parts.stop()
        sandbox.gate.keys.pop(TERMINAL, None)


def _push(j: Journey, overlay: dict) -> dict:
    return j.sandbox.admin("POST", f"/fleet/terminals/{TERMINAL}/config",
                           json={"overlay": overlay})


def _row(j: Journey) -> dict:
    return next((t for t in j.sandbox.admin("GET", "/fleet/terminals")["terminals"]
                 if t["terminal_id"] == TERMINAL), {})


def _attract(j: Journey, key: str = "app.hotline") -> str:
    screen = j.app.sm.get_screen("attract")
    return j.ui.find(root=screen, key=key).text


def _all_text(j: Journey) -> str:
    """Every label of the current screen, on any page of it."""
    return "\n".join(str(getattr(w, "text", "")) for w in j.ui.walk(j.app.sm.current_screen)
                     if getattr(w, "text", ""))


def _keep(j: Journey, name: str) -> None:
    """With KIOSK_REACH_PNG_DIR set, save the window (to look at what was drawn)."""
    folder = os.environ.get("KIOSK_REACH_PNG_DIR")
    if folder:
        j.ui.pump_frames(2)
        j.ui.screenshot(Path(folder) / f"{name}.png")


def _closed_now(settings) -> list[str]:
    """Opening hours that leave the terminal closed now: one minute, twelve hours away."""
    later = region_now(settings.region.timezone) + dt.timedelta(hours=12)
    start = later.replace(second=0, microsecond=0)
    end = start + dt.timedelta(minutes=1)
    if end.date() != start.date():
        start, end = start - dt.timedelta(minutes=2), start - dt.timedelta(minutes=1)
    return [f"mon-sun {start:%H:%M}-{end:%H:%M}"]


def test_a_pushed_overlay_reaches_every_screen_at_the_next_idle_moment(terminal: Journey):
    j = terminal
    agent = j.parts.fleet
    agent.beat()
    assert "96102" in _attract(j)
    assert j.ui.find_all(root=j.app.sm.get_screen("attract"), key="attract.cancel_pre_loss")
    assert j.app.lockdown.blanking.is_open is True  # no opening hours: always open

    # A cardholder is reading the guidance when the operator pushes.
    j.ui.tap(key="attract.guide")
    j.screen("guide")
    assert "96102" in j.texts()
    sent = _push(j, {
        "region": {"hotline": "12333", "replacement_fee_yuan": 30, "pre_loss_lapse_days": 15,
                   "replacement_working_days": 20, "replacement_working_days_bank": 40},
        "features": {"cancel_pre_loss": False},
        "session": {"inactivity_seconds": 45, "warning_seconds": 15},
        "display": {"opening_hours": _closed_now(j.settings)},
    })
    agent.beat()
    # Not mid-session: the overlay waits in the agent's inbox (beat() handled the answer
    # before it returned), and the cardholder keeps what they started with.
    assert [d["kind"] for d in agent.state.inbox()] == ["config"]
    j.ui.drain()  # anything handed to the UI thread has run
    assert j.app.sm.current == "guide" and "12333" not in j.texts()
    assert j.ctl.settings.region.hotline == "96102" and agent.overlay.version == 0

    # Home is the next idle moment: the start screen shows the new settings at once.
    j.tap(key="app.home")
    j.screen("attract")
    j.ui.wait_until(lambda: "12333" in _attract(j), 10, "the pushed hotline on the start screen")
    assert "96102" not in _attract(j)
    assert j.app.parts is j.parts  # no restart
    attract = j.app.sm.get_screen("attract")
    assert not j.ui.find_all(root=attract, key="attract.cancel_pre_loss")  # journey gone
    assert j.ui.find_all(root=attract, key="attract.pre_loss")
    assert j.app.inactivity.inactivity_seconds == 45 and j.app.inactivity.warning_seconds == 15
    assert j.app.lockdown.blanking.is_open is False  # the new hours: closed now
    assert j.app.lockdown.blanking.applied == j.app.settings.display.blank_seconds_closed
    _keep(j, "attract-after-overlay-zh_CN")
    j.app.set_language("en")
    j.ui.pump_frames(2)
    assert "12333" in _attract(j) and "Hotline" in _attract(j)
    _keep(j, "attract-after-overlay-en")
    j.app.set_language("zh_CN")
    j.ui.pump_frames(2)
    agent.beat()
    row = _row(j)
    assert row["config_version"] == 1
    assert next(d for d in row["directives"] if d["id"] == sent["id"])["outcome"] == "applied"

    # The guidance: the hotline topic's title on the index, fee and days in a topic.
    j.ui.tap(key="attract.guide")
    j.screen("guide")
    assert "12333" in j.texts() and "96102" not in j.texts()
    j.tap(key="guidance.official_loss.title")
    j.screen("guidance_topic")
    topic = _all_text(j)
    assert "30元" in topic and "20个工作日" in topic and "40个工作日" in topic
    j.tap(key="app.home")
    j.screen("attract")

    # The pre-loss journey: consequences, the done screen (the terminal's hotline, not the
    # service's answer) and the printed receipt.
    j.choose_card("normal")
    consequences = _all_text(j)
    assert "30元" in consequences and "15天内" in consequences
    j.tap(key="journeys.consequences.confirm")
    j.screen("pre_loss_done", 15)
    done = _all_text(j)
    assert "12333" in done and "96102" not in done
    _keep(j, "pre_loss_done-after-overlay-zh_CN")
    j.ui.wait_until(lambda: j.parts.printer.output, 5, "the receipt")
    assert b"12333" in j.parts.printer.output and b"96102" not in j.parts.printer.output
    j.tap(key="app.done")
    j.screen("attract")
    assert "12333" in _attract(j)


def test_a_pause_in_force_shows_the_pushed_hotline_and_alternative_at_once(terminal: Journey):
    j = terminal
    agent = j.parts.fleet
    agent.beat()
    j.sandbox.admin("POST", f"/fleet/terminals/{TERMINAL}/pause",
                    json={"reason": "maintenance", "guidance_readable": True})
    agent.beat()
    j.screen("out_of_service")
    assert "96102" in j.texts()
    assert not j.ui.find_all(root=j.app.sm.current_screen, key="fleet.alternatives.nearest_outlet")

    _push(j, {"region": {"hotline": "12333"}, "fleet": {"alternative": "nearest_outlet"}})
    agent.beat()  # out of service is an idle moment: taken now
    j.ui.wait_until(lambda: "12333" in j.texts(), 10, "the pushed hotline while paused")
    texts = j.texts()
    assert "96102" not in texts and "请到就近的社保卡服务网点办理。" in texts
    _keep(j, "out_of_service-after-overlay-zh_CN")
    j.app.set_language("en")
    j.ui.pump_frames(2)
    assert "Please go to the nearest social security card service point." in j.texts()
    _keep(j, "out_of_service-after-overlay-en")
    assert "call 12333" in j.texts()
    j.app.set_language("zh_CN")

    # Guidance stays readable and shows the new number too; then back here.
    j.tap(key="fleet.paused.guidance_button")
    j.screen("guide")
    assert "12333" in j.texts()
    j.app.go_home()
    j.screen("out_of_service")
    j.sandbox.admin("POST", f"/fleet/terminals/{TERMINAL}/resume")
    agent.beat()
    j.screen("attract")
    assert "12333" in _attract(j)


def test_the_start_language_and_display_mode_change_at_once(terminal: Journey):
    j = terminal
    agent = j.parts.fleet
    agent.beat()
    assert j.app.lang == "zh_CN" and not j.app.large_text
    _push(j, {"kiosk": {"language": "en"}, "display": {"large_text": True}})
    agent.beat()
    j.ui.wait_until(lambda: j.app.lang == "en", 10, "the new start language")
    assert j.app.large_text and "Hotline 96102" in _attract(j)
    # A cardholder switching back is their own choice; the next session starts in the new
    # defaults again.
    j.app.set_language("zh_CN")
    j.ui.tap(key="attract.guide")
    j.screen("guide")
    j.tap(key="app.home")
    j.screen("attract")
    assert j.app.lang == "en" and j.app.large_text
