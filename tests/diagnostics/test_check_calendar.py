"""The calendar check: warns from December 1 when next year's official schedule is
missing, and when this year's is; fails on a bad schedule file."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from kiosk.config import load_settings
from kiosk.services.diagnostics import DiagnosticsContext, run_checks
from kiosk.services.diagnostics.checks.calendar import check_calendar
from tests.diagnostics.helpers import env_for

REPO = Path(__file__).resolve().parents[2]


def _ctx(tmp_path: Path, extra: dict[str, str] | None = None) -> DiagnosticsContext:
    config = tmp_path / "config"
    if not config.exists():
        shutil.copytree(REPO / "config", config)
    for name, text in (extra or {}).items():
        (config / "holidays" / name).write_text(text, encoding="utf-8")
    return DiagnosticsContext(load_settings(config / "kiosk.toml", environ=env_for(tmp_path)))


@pytest.mark.parametrize("today, status, key", [
    (dt.date(2026, 11, 30), "ok", "diagnostics.calendar.ok_until_december"),
    (dt.date(2026, 12, 1), "warn", "diagnostics.calendar.next_missing"),
    (dt.date(2025, 12, 20), "ok", "diagnostics.calendar.ok"),
    (dt.date(2027, 3, 1), "warn", "diagnostics.calendar.this_missing"),
])
def test_schedule_presence(tmp_path, today, status, key):
    result = check_calendar(_ctx(tmp_path), today=today)
    assert (result.status, result.summary_key) == (status, key)
    if key.endswith("next_missing"):
        assert "cn-2027.toml" in result.summary("en")
        assert "cn-2027.toml" in result.summary("zh_CN")


def test_next_years_file_clears_the_warning(tmp_path):
    from tests.cli.test_calendar import TEST_2027

    result = check_calendar(_ctx(tmp_path, {"cn-2027.toml": TEST_2027}),
                            today=dt.date(2026, 12, 1))
    assert (result.status, result.summary_key) == ("ok", "diagnostics.calendar.ok")
    assert result.details["next_year_official"] is True


def test_bad_file_fails_with_file_key_and_problem(tmp_path):
    result = check_calendar(_ctx(tmp_path, {"cn-2027.toml": "kind = 1\n"}),
                            today=dt.date(2026, 12, 1))
    assert result.status == "fail"
    assert "cn-2027.toml is invalid: format: missing" in result.summary("en")


def test_registered_with_the_runner(tmp_path):
    report = run_checks(_ctx(tmp_path), ["calendar"])
    assert [r.part for r in report.results] == ["calendar"]
