"""Helpers behind the technician screens: log tail, config lines, bundle targets, restart."""

from __future__ import annotations

import sys

from kiosk.logs import get_logger, setup_logging
from kiosk.services.diagnostics.tools import (
    bundle_targets,
    config_lines,
    log_tail,
    log_time,
    restart_command,
    restart_process,
)
from tests.diagnostics.helpers import settings_for


def test_log_tail_is_compact_masked_and_newest_last(tmp_path):
    settings = settings_for(tmp_path)
    setup_logging(settings.log_dir)
    log = get_logger("kiosk.test.tools")
    log.info("first")
    log.info("lookup 110105198503071230", extra={"fields": {"name": "王小明", "step": 2}})
    for handler in get_logger("kiosk").handlers:
        handler.flush()
    lines = log_tail(settings, 10)
    assert lines[-2].endswith("kiosk.test.tools: first")
    assert "110105********1230" in lines[-1] and "王小明" not in lines[-1]
    assert '"step": 2' in lines[-1]


def test_log_times_are_the_regions_wall_clock_like_every_other_screen(tmp_path):
    """The file keeps UTC; the technician's page shows the region's time, as the
    cardholder screens do (it showed UTC: 01:30 for 09:30 in Beijing)."""
    settings = settings_for(tmp_path)
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    (settings.log_dir / "kiosk.log").write_text(
        '{"ts": "2026-11-25T01:30:05.120Z", "level": "INFO", "logger": "kiosk.ui.app", '
        '"event": "screen"}\n', encoding="utf-8")
    assert log_tail(settings) == ["09:30:05 INFO kiosk.ui.app: screen"]
    urumqi = settings_for(tmp_path, region__timezone="Asia/Urumqi")
    assert log_tail(urumqi)[0].startswith("07:30:05 ")
    assert log_time("garbage", "Asia/Shanghai") == ""


def test_log_tail_without_a_log_is_empty(tmp_path):
    assert log_tail(settings_for(tmp_path)) == []


def test_config_lines_list_every_setting(tmp_path):
    lines = config_lines(settings_for(tmp_path, printer__kind="dummy"))
    assert 'printer.kind = "dummy"' in lines
    assert any(line.startswith("diagnostics.max_pin_attempts = ") for line in lines)
    assert lines[0].startswith("sources = ")


def test_bundle_targets_include_the_local_support_dir(tmp_path):
    settings = settings_for(tmp_path)
    targets = bundle_targets(settings)
    assert targets[-1] == settings.data_dir / "support" and targets[-1].is_dir()


def test_restart_reexecs_the_same_command():
    assert restart_command(["/x/kiosk/__main__.py", "run", "--demo"]) == [
        sys.executable, "-m", "kiosk", "run", "--demo"]
    calls = []
    restart_process(["/usr/bin/kiosk", "run"], execv=lambda path, args: calls.append(args))
    assert calls == [[sys.executable, "/usr/bin/kiosk", "run"]]
